"""`adwatch dossier`: a case file for one regulator."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    data_dir_option,
    evidence_settings,
    tsa_option,
)


@click.command()
@click.option(
    "--regulator",
    type=click.Choice(["cac", "samr", "nfra"]),
    required=True,
    help="cac: 网信办 (12377); samr: 市场监督管理局 (12315); nfra: 金融监管总局.",
)
@click.option("--cluster", default="", help='An operator id (adwatch clusters), or "largest".')
@click.option("--platform", default="", help="Only ads of this platform.")
@click.option("--since", default="", help="Only ads seen on or after this date (YYYY-MM-DD).")
@click.option("--ids", "ids", multiple=True, help="These record ids (repeatable).")
@click.option(
    "--unreviewed",
    is_flag=True,
    help="Also list ads no analyst has confirmed (adwatch review); the cover says so.",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Dossier folder.")
@click.option("--zip", "make_zip", is_flag=True, help="Also write OUT.zip of the whole dossier.")
@click.option("--no-redact", is_flag=True, help="Show third parties' data unmasked.")
@click.option("--html-only", is_flag=True, help="Write the HTML dossier, no PDF.")
@click.option(
    "--sign-key",
    envvar="ADWATCH_SIGN_KEY",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="PEM private key to sign the PDF with (PAdES; B-T with a TSA).",
)
@click.option(
    "--sign-cert",
    envvar="ADWATCH_SIGN_CERT",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="PEM certificate (and chain) of that key.",
)
@tsa_option
@data_dir_option
@catalogue_option
def dossier(
    regulator: str,
    cluster: str,
    platform: str,
    since: str,
    ids: tuple[str, ...],
    unreviewed: bool,
    out: str,
    make_zip: bool,
    no_redact: bool,
    html_only: bool,
    sign_key: str | None,
    sign_cert: str | None,
    tsa_url: str | None,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Write an evidence dossier for a regulator: HTML and PDF/A-3b (evidence
    files attached, signed when a key is given), the sealed bundles with their
    offline checker, and SHA256SUMS; third parties' data masked.  Only ads an
    analyst confirmed are listed, unless --unreviewed.

    \b
    Example:
      adwatch dossier --regulator samr --cluster largest --out var/dossiers/samr --zip
      adwatch dossier --regulator cac --platform demo-douyin --since 2026-11-01 --out d/cac
      adwatch dossier --regulator nfra --ids 3f1c9a0b2d4e6f8a1b2c3d4e --out d/one --html-only
      adwatch dossier --regulator samr --cluster largest --unreviewed --out d/draft
    """
    from crawler.running.dossier_run import Signing, make_dossier
    from crawler.running.lifecycle import JobError
    from evidence.dossier.build import Selection

    if bool(sign_key) != bool(sign_cert):
        raise click.UsageError("--sign-key and --sign-cert go together")
    signing = Signing(Path(sign_key), Path(sign_cert)) if sign_key and sign_cert else None
    try:
        result = make_dossier(
            evidence_settings(data_dir, catalogue, tsa_url),
            regulator,
            Selection(cluster, platform, since, ids, confirmed_only=not unreviewed),
            Path(out),
            redact=not no_redact,
            pdf=not html_only,
            signing=signing,
            make_zip=make_zip,
            progress=_dossier_progress,
        )
    except (LookupError, FileExistsError, ValueError, JobError) as exc:
        click.echo(f"error: {exc.args[0]}", err=True)
        sys.exit(2)
    for line in result.report(regulator):
        click.echo(line)


def _dossier_progress(message: str) -> None:
    if not message.startswith("exhibit "):  # a line per exhibit would drown the rest
        click.echo(f"  {message}", err=True)
