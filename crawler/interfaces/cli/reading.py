"""Reading and scoring: `adwatch sites`, `ocr`, `score`, `train`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    catalogue_uri_for,
    data_dir_option,
    echo_json,
    finish,
    invocation_settings,
    say,
)


@click.command()
@click.option("--check", is_flag=True, help="Only check every profile; exit 1 on an error.")
@click.option(
    "--site",
    "site_name",
    default=None,
    help="With --check: the profile to check against samples (its own, or --sample).",
)
@click.option(
    "--sample",
    "samples",
    multiple=True,
    metavar="[search=|detail=]FILE",
    help="With --check --site: a saved result page or data answer (search=, the default) "
    "or a saved detail page (detail=); says which selector or path matched nothing.",
)
def sites(check: bool, site_name: str | None, samples: tuple[str, ...]) -> None:
    """List the site profiles, packaged (crawler/finding/sites/) and your own
    (--sites-dir or ADWATCH_SITES_DIR), and check that they load.  A profile of
    yours named like a packaged one replaces it; the list says so.

    With --check, each profile that names its own samples (samples: {search:
    FILE, detail: FILE}) is also checked against them; --site NAME --sample FILE
    checks one profile against a page you saved.  Every selector and JMESPath is
    listed with how many results it matched; exit 1 when one matched nothing.

    \b
    Example:
      adwatch sites
      adwatch sites --sites-dir ~/adwatch-sites --check
      adwatch sites --check --site baidu --sample saved/baidu-results.html
      adwatch sites --check --site douyin --sample search.json --sample detail=video.html
    """
    from crawler.config import AdwatchConfig
    from crawler.finding.profile_folders import folders_text, site_listing
    from crawler.finding.profiles import ProfileError

    if (site_name or samples) and not check:
        raise click.UsageError("--site and --sample go with --check")
    if samples and not site_name:
        raise click.UsageError("--sample needs --site NAME: the profile to check it against")
    cfg = AdwatchConfig.from_settings(invocation_settings(None, None))
    try:
        listing = site_listing(cfg.sites_dir)
        if check:
            click.echo(f"{len(listing)} profiles OK in {folders_text(cfg.sites_dir)}")
            if not _check_samples([p for p, _ in listing], site_name, samples):
                sys.exit(1)
            return
    except ProfileError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    names = max((len(p.name) for p, _ in listing), default=0) + 2
    hosts = max((len(p.base_url) for p, _ in listing), default=0) + 2
    for p, where in listing:
        click.echo(f"{p.name:<{names}}{p.channel:<8}{p.base_url:<{hosts}}{where:<26}{p.source}")


def _check_samples(profiles: list[Any], site_name: str | None, given: tuple[str, ...]) -> bool:
    """Check profiles against samples (given, else their own) and print each
    selector's count; False when one matched nothing or a sample was unusable."""
    from crawler.finding.profile_check import check_file, own_samples, sample_arg

    if site_name:
        profiles = [p for p in profiles if p.name == site_name]
        if not profiles:
            raise click.BadParameter(f"no profile {site_name!r}", param_hint="--site")
    ok = True
    for profile in profiles:
        pairs = [sample_arg(item) for item in given] or list(own_samples(profile).items())
        if site_name and not pairs:
            raise click.UsageError(f"{profile.name} names no samples of its own: give --sample")
        for part, path in pairs:
            try:
                found = check_file(profile, part, path)
            except ValueError as exc:  # unreadable, not JSON, a bad JMESPath, no detail
                click.echo(f"error: {profile.name} {part} sample: {exc}", err=True)
                ok = False
                continue
            click.echo(f"{profile.name}: {part} sample {path}")
            for m in found:
                mark = "ok" if not m.empty else "optional" if m.optional else "NOTHING"
                click.echo(f"  {mark:<9}{m.key:<26}{m.matched:>4}/{m.of:<4} {m.expression}")
            broken = [m.key for m in found if m.empty and not m.optional]
            if broken:
                ok = False
                names = ", ".join(broken)
                click.echo(f"{profile.name}: matched nothing in {path.name}: {names}", err=True)
    return ok


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--engine",
    "ocr_engine",
    type=click.Choice(["rapidocr", "paddleocr"]),
    default="rapidocr",
    show_default=True,
)
def ocr(images: tuple[str, ...], ocr_engine: str) -> None:
    """Read the text and QR codes in images, one JSON line per image:
    file, text, lines (text, box, confidence), qr, engine, ms.

    \b
    Example:
      adwatch ocr banner.png listing.jpg
      adwatch ocr --engine paddleocr var/objects/images/ab/cd/*.png
    """
    from crawler.reading.ocr import Reading, engine, read_image, reading_json

    reader = engine(ocr_engine)
    failed = 0
    for name in images:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            reading = Reading(engine=ocr_engine, error=f"unreadable: {exc.strerror or exc}")
        else:
            reading = read_image(data, reader)
        if reading.error:
            failed += 1
            click.echo(f"adwatch ocr: {name}: {reading.error}", err=True)
        click.echo(reading_json(name, reading))
    if failed:
        sys.exit(1)


rules_option = click.option(
    "--rules",
    "rules_dir",
    envvar="ADWATCH_RULES_DIR",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder of detection rule files (default: crawler/reading/detect/rules).",
)


@click.command()
@click.argument("text", required=False)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("rb"),
    default=None,
    help='JSON Lines with a "text" field ("-" for stdin); one result line per input line '
    "(an error object for a line that cannot be scored; then the exit status is 1).",
)
@rules_option
@click.option(
    "--model",
    "model_spec",
    envvar="ADWATCH_MODEL",
    default="",
    help='The learned model beside the rules: a model file, or "none" for the rules '
    "alone (default: crawler/reading/detect/model.json).",
)
def score(text: str | None, jsonl: Any, rules_dir: str | None, model_spec: str) -> None:
    """Score text for anti-collection advertising: label, score, categories,
    matched words, contacts and the reasons, as JSON.

    \b
    Example:
      adwatch score "逾期先别还，当天停❤催，加薇信 tc8888"
      adwatch score --jsonl texts.jsonl > scored.jsonl
    """
    from crawler.reading.detect import RulesError, load_rules
    from crawler.reading.detect.batch import score_lines

    if (text is None) == (jsonl is None):
        raise click.UsageError('give either a TEXT or --jsonl FILE (or "-" for stdin)')
    from crawler.reading.detect.model import load_model

    try:
        rules = load_rules(rules_dir)
        model = load_model(model_spec)
    except (RulesError, OSError, ValueError, KeyError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if text is not None:
        from crawler.reading.detect import score_text, verdict_json

        echo_json(verdict_json(score_text(text, rules, model)))
        return
    bad = score_lines(jsonl, sys.stdout, rules, err=sys.stderr, model=model)
    if bad:
        click.echo(f"{bad} input line(s) could not be scored (see the error lines)", err=True)
        sys.exit(1)


@click.command()
@click.option(
    "--data",
    "extra",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help='More labelled texts (JSON Lines: "text", "label" ad|not_ad, "category", '
    '"source"), e.g. analysts\' decisions; repeatable.',
)
@click.option(
    "--folds",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Cross-validation folds of whole sources (0: one source at a time).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the model (default: crawler/reading/detect/model.json).",
)
@click.option("--write", is_flag=True, help="Replace the model file (otherwise only report).")
@click.option(
    "--reviewed",
    is_flag=True,
    help="Also learn from the analysts' decisions in the catalogue (confirmed: ad, rejected: not).",
)
@rules_option
@data_dir_option
@catalogue_option
def train(
    extra: tuple[str, ...],
    folds: int,
    out: str | None,
    write: bool,
    reviewed: bool,
    rules_dir: str | None,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Retrain the learned model from labelled texts and print its figures on
    sources it never saw, beside the rules alone; --write replaces the model.

    \b
    Example:
      adwatch train                          # report only
      adwatch train --reviewed --write       # learn from the workbench's decisions too
      adwatch train --data var/reviewed.jsonl --write
    """
    from crawler.running.train_run import train_job

    uri = catalogue_uri_for(data_dir, catalogue) if reviewed else ""
    finish(
        lambda: train_job(
            [Path(p) for p in extra],
            folds,
            say,
            out=Path(out) if out else None,
            write=write,
            rules_dir=rules_dir,
            catalogue_uri=uri,
        )
    )
