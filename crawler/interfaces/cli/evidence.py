"""Evidence: `adwatch capture`, `recheck`, `verify`, `timestamp`, `tsa serve`, `export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    catalogue_uri_for,
    data_dir_option,
    duration_arg,
    echo_json,
    evidence_settings,
    finish,
    invocation_settings,
    job_id_option,
    profile_option,
    say,
    sets_option,
    tsa_option,
)


def _readonly_store(data_dir: str | None, ca_file: str | None) -> tuple[Any, Any]:
    """The configuration (with --ca as the TSA root) and the evidence store,
    opened read-only; exit 2 when there is no store there."""
    from crawler.config import AdwatchConfig
    from evidence.store import EvidenceStore

    settings = invocation_settings(data_dir, None)
    if ca_file:
        settings.set("ADWATCH_TSA_CA", ca_file, priority="cmdline")
    config = AdwatchConfig.from_settings(settings)
    if not (config.evidence_dir / "ledger.jsonl").exists():
        click.echo(f"error: no evidence store at {config.evidence_dir}", err=True)
        sys.exit(2)
    return config, EvidenceStore(config.evidence_dir, readonly=True)


def ca_option(help_text: str) -> Any:
    """--ca: the time-stamp authorities' trusted roots: a PEM file, or a folder of them."""
    return click.option(
        "--ca",
        "ca_file",
        envvar="ADWATCH_TSA_CA",
        default=None,
        type=click.Path(),
        help=help_text,
    )


@click.command()
@click.option("--record", "record_ids", multiple=True, help="Capture this record (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N pages.")
@tsa_option
@sets_option("An adwatch setting, e.g. -s ADWATCH_CAPTURE_CONCURRENCY=2.")
@data_dir_option
@catalogue_option
def capture(
    record_ids: tuple[str, ...],
    limit: int | None,
    tsa_url: str | None,
    sets: tuple[str, ...],
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Capture evidence of the ads and suspects that have none yet: screenshot,
    DOM, HTML, MHTML, images, WACZ of the network exchange, TLS chain, sealed in
    the evidence store and time-stamped (`adwatch crawl` ends with this).

    \b
    Example:
      adwatch capture
      adwatch capture --record 3f1c9a0b2d4e6f8a1b2c3d4e --tsa http://127.0.0.1:8318/
      adwatch capture -s ADWATCH_CAPTURE_TIMEOUT=40   # a slow site
    """
    from crawler.running.evidence_run import capture_pending

    settings = evidence_settings(data_dir, catalogue, tsa_url, sets)
    try:
        figures = capture_pending(settings, record_ids=list(record_ids) or None, limit=limit)
    except KeyError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    click.echo(figures.summary())


@click.command()
@click.option(
    "--older-than",
    default="24h",
    show_default=True,
    help="Re-check ads whose newest capture is older than this (30m, 24h, 7d; 0: all).",
)
@click.option("--record", "record_ids", multiple=True, help="Re-check this record (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N pages.")
@profile_option
@job_id_option
@tsa_option
@sets_option("An adwatch setting, e.g. -s ADWATCH_CAPTURE_CONCURRENCY=2.")
@data_dir_option
@catalogue_option
def recheck(
    older_than: str,
    record_ids: tuple[str, ...],
    limit: int | None,
    profile: str,
    job_id: str | None,
    tsa_url: str | None,
    sets: tuple[str, ...],
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Revisit captured ads and record each as live (unchanged), changed or gone,
    with a new sealed bundle, so a dossier can say it was still online, or taken
    down, on a later date.

    \b
    Example:
      adwatch recheck                  # ads last captured more than a day ago
      adwatch recheck --older-than 0   # every ad with evidence, now
    """
    from crawler.running.evidence_run import recheck_job

    settings = evidence_settings(data_dir, catalogue, tsa_url, sets)
    ids = list(record_ids) or None
    age = duration_arg(older_than)
    finish(
        lambda: recheck_job(
            settings, age, say, record_ids=ids, limit=limit, profile=profile, job_id=job_id
        )
    )


@click.command()
@click.argument("bundles", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every bundle in the ledger.")
@click.option("--openssl", is_flag=True, help="Also check each token with `openssl ts -verify`.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per bundle.")
@ca_option(
    "PEM root(s) the TSAs must chain to, or a folder of *.pem (default: ADWATCH_TSA_CA, or "
    "the demo TSAs')."
)
@data_dir_option
def verify(
    bundles: tuple[str, ...],
    everything: bool,
    openssl: bool,
    as_json: bool,
    ca_file: str | None,
    data_dir: str | None,
) -> None:
    """Re-check the evidence store: every artifact's hash, every manifest, every
    ledger link and every time-stamp token. Prints passed / failed / not checked
    with every problem named; exits 1 if anything failed.

    \b
    Example:
      adwatch verify --all
      adwatch verify --all --openssl
      adwatch verify 9c2e… --json
    """
    from evidence.verify import format_report
    from evidence.verify import verify as run_verify

    if bool(bundles) == everything:
        raise click.UsageError("give BUNDLE ids or --all")
    config, store = _readonly_store(data_dir, ca_file)
    try:
        report = run_verify(store, list(bundles) or None, config.tsa_ca, openssl)
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if everything:
        _cross_check(report, catalogue_uri_for(data_dir, None))
    if as_json:
        for bundle in report.bundles:
            echo_json(bundle.to_dict())
        if report.ledger.problems:
            echo_json({"ledger": report.ledger.problems})
    else:
        click.echo(format_report(report, config.tsa_ca))
    if report.state == "failed":
        sys.exit(1)


def _cross_check(report: Any, catalogue_uri: str) -> None:
    """Bundles the catalogue recorded but the ledger does not list: the ledger
    was cut after its last time-stamped head (which the chain alone cannot
    show), or bundles were removed with their lines."""
    from pathlib import Path as _Path

    from evidence.index import open_catalogue

    path = catalogue_uri.removeprefix("sqlite://")
    if catalogue_uri.startswith("sqlite://") and not _Path(path).exists():
        return
    listed = {b.bundle_id for b in report.bundles}
    with open_catalogue(catalogue_uri) as cat:
        recorded = [c for c in cat.captures(limit=10**9) if c.get("bundle_id")]
    for row in recorded:
        if row["bundle_id"] not in listed:
            report.ledger.problems.append(
                f"bundle {row['bundle_id']} (record {row.get('record_id')}, captured "
                f"{row.get('at')}) is in the catalogue but in no ledger line: "
                "the ledger was cut or the bundle removed"
            )
            report.ledger.state = "failed"


@click.command()
@tsa_option
@data_dir_option
def timestamp(tsa_url: str | None, data_dir: str | None) -> None:
    """Time-stamp the bundles still waiting for a token (sealed while the
    time-stamp authority was down or not configured).

    \b
    Example:
      adwatch timestamp --tsa http://127.0.0.1:8318/
    """
    from crawler.running.evidence_run import timestamp_job

    settings = evidence_settings(data_dir, None, tsa_url)
    finish(lambda: timestamp_job(settings, say))


@click.group()
def tsa() -> None:
    """adwatch's own RFC 3161 time-stamp authority (openssl ts), for the demo and tests."""


@tsa.command("serve")
@click.option("--dir", "folder", default=None, help="CA, TSA key and config (default: var/tsa).")
@click.option("--port", type=int, default=8318, show_default=True, help="0 picks a free port.")
@data_dir_option
def tsa_serve(folder: str | None, port: int, data_dir: str | None) -> None:
    """Serve a time-stamp authority on 127.0.0.1 until Ctrl-C; its CA and TSA
    certificates are made on first use. Point ADWATCH_TSA_URL at it and
    ADWATCH_TSA_CA at its ca.pem.

    \b
    Example:
      adwatch tsa serve --port 8318
      ADWATCH_TSA_URL=http://127.0.0.1:8318/ adwatch capture
    """
    from evidence.tsa import main as serve

    where = folder or str(Path(invocation_settings(data_dir, None).get("ADWATCH_DATA_DIR")) / "tsa")
    sys.exit(serve(["--dir", where, "--port", str(port)]))


@click.command()
@click.argument("bundles", nargs=-1)
@click.option("--record", "record_id", default=None, help="Every bundle of this catalogue record.")
@click.option("--all", "everything", is_flag=True, help="Every bundle in the ledger.")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="New (or empty) folder to write the package to.",
)
@click.option("--zip", "make_zip", is_flag=True, help="Also write OUT.zip of the package.")
@ca_option(
    "PEM root(s) of the TSAs, or a folder of *.pem, copied to tsa/ca.pem (default: "
    "ADWATCH_TSA_CA, or the demo's)."
)
@data_dir_option
@catalogue_option
def export(
    bundles: tuple[str, ...],
    record_id: str | None,
    everything: bool,
    out: str,
    make_zip: bool,
    ca_file: str | None,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Export evidence bundles as a package a regulator can check without
    adwatch: files, manifests, time-stamp tokens, the ledger lines that chain
    them, the TSA root, SHA256SUMS, a README (Chinese and English) and a
    standalone verify.py (Python standard library and openssl only).

    \b
    Example:
      adwatch export --record 3f1c9a0b2d4e6f8a1b2c3d4e --out referral-2026-11 --zip
      adwatch export 9c2e… 41ab… --out var/export/package
      adwatch export --all --out var/export/everything
    """
    from crawler.running.evidence_run import export_job

    if sum([bool(bundles), record_id is not None, everything]) != 1:
        raise click.UsageError("give BUNDLE ids, --record RECORD_ID or --all (one of them)")
    config, store = _readonly_store(data_dir, ca_file)
    wanted = list(bundles)
    if everything:
        wanted = store.bundle_ids()
    elif record_id is not None:
        wanted = _record_bundles(catalogue_uri_for(data_dir, catalogue), record_id)
    about = f"record {record_id} in the catalogue" if record_id else "the evidence store"
    finish(
        lambda: export_job(
            store, wanted, Path(out), config.tsa_ca, say, make_zip=make_zip, about=about
        )
    )


def _record_bundles(catalogue_uri: str, record_id: str) -> list[str]:
    """The bundles of one record's captures, oldest first (failed attempts have none)."""
    from evidence.index import open_catalogue

    with open_catalogue(catalogue_uri) as cat:
        rows = cat.captures(record_id)
    return list(dict.fromkeys(str(r["bundle_id"]) for r in reversed(rows) if r.get("bundle_id")))
