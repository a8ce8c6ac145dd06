"""`adwatch review`: an analyst's decision on one record, from the terminal."""

from __future__ import annotations

import os

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    data_dir_option,
    finish,
    invocation_settings,
)
from evidence.review import REJECT_REASONS


@click.command()
@click.argument("record_id")
@click.option("--confirm", is_flag=True, help="It is an anti-collection ad: confirm it.")
@click.option(
    "--reject",
    "reason",
    type=click.Choice(list(REJECT_REASONS)),
    default=None,
    help="It is not, for this reason: "
    + "; ".join(f"{code} {label}" for code, label in REJECT_REASONS.items())
    + ".",
)
@click.option("--unsure", is_flag=True, help="Needs another look: back in the queue.")
@click.option("--note", default="", help="Free text kept with the decision (at most 2000).")
@click.option(
    "--reviewer",
    default=lambda: os.environ.get("USER") or "cli",
    show_default="$USER or cli",
    help="Who decides (kept in the catalogue and the evidence ledger).",
)
@data_dir_option
@catalogue_option
def review(
    record_id: str,
    confirm: bool,
    reason: str | None,
    unsure: bool,
    note: str,
    reviewer: str,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Record a decision on a detected ad: confirmed, rejected (with a
    reason) or unsure.  It becomes the record's review in the catalogue and
    a line in the evidence ledger (reviewer, time, the record's bundle); a
    dossier lists only confirmed ads unless asked otherwise.

    \b
    Example:
      adwatch review 3f1c9a0b2d4e6f8a1b2c3d4e --confirm
      adwatch review 3f1c9a0b2d4e6f8a1b2c3d4e --reject news --note "a bank's warning"
      adwatch review 3f1c9a0b2d4e6f8a1b2c3d4e --unsure --reviewer wang
    """
    from crawler.running.review_run import review_job

    chosen = [
        d for d, on in (("confirmed", confirm), ("rejected", reason), ("unsure", unsure)) if on
    ]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --confirm, --reject REASON, --unsure")
    settings = invocation_settings(data_dir, catalogue)
    finish(
        lambda: review_job(settings, record_id, chosen[0], reviewer, reason=reason or "", note=note)
    )
