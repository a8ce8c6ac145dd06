"""Sharing what adwatch knows of the operators: `adwatch indicators` and
`adwatch lookup` (crawler/running/indicators.py does the work)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    catalogue_uri_for,
    data_dir_option,
    echo_json,
    say,
)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "stix"]),
    default="csv",
    show_default=True,
    help="csv: one row per contact, UTF-8 with a byte-order mark (Excel); "
    "stix: a STIX 2.1 bundle (JSON) for a threat-intelligence platform.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file (default: standard output).",
)
@click.option(
    "--tlp",
    type=click.Choice(["white", "green", "amber", "red"]),
    default="amber",
    show_default=True,
    help="STIX: the Traffic Light Protocol marking on every object "
    "(amber: the receiving organisation only).",
)
@click.option(
    "--producer",
    default="adwatch",
    show_default=True,
    help="STIX: who shares the bundle (your organisation's name), its Identity.",
)
@data_dir_option
@catalogue_option
def indicators(
    fmt: str, out: str | None, tlp: str, producer: str, data_dir: str | None, catalogue: str | None
) -> None:
    """Export the operators' contacts (phone, WeChat, QQ, link) of every ad
    and suspect, with operator, first and last seen and ad count, for
    sharing with banks: CSV or a STIX 2.1 bundle (docs/sharing.md).

    \b
    Example:
      adwatch indicators --out var/indicators.csv
      adwatch indicators --format stix --producer "某银行反欺诈中心" --out var/indicators.json
    """
    from crawler.running.indicators import indicator_rows, indicators_csv, indicators_stix
    from evidence.index import open_catalogue

    with open_catalogue(catalogue_uri_for(data_dir, catalogue)) as cat:
        rows = indicator_rows(cat)
    if fmt == "csv":
        text = indicators_csv(rows)
    else:
        text = indicators_stix(rows, producer=producer, tlp=tlp) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8", newline="")
    else:
        click.echo(text, nl=False)
    operators = len({row["operator_id"] for row in rows})
    where = f" written to {out}" if out else ""
    say(f"{len(rows)} contact(s) of {operators} operator(s){where}")


@click.command()
@click.argument("value")
@click.option("--json", "as_json", is_flag=True, help="The answer as one JSON object.")
@data_dir_option
@catalogue_option
def lookup(value: str, as_json: bool, data_dir: str | None, catalogue: str | None) -> None:
    """Is VALUE (a phone number, WeChat ID, QQ number or link, written any
    way) a contact of a known operator?  Lists the operator, the ads giving
    it and their evidence bundles.  Exit status: 0 it is, 1 it is not, 2
    VALUE is no contact.  A bare number is matched as phone, WeChat and QQ.

    \b
    Example:
      adwatch lookup "170 1234 5678"
      adwatch lookup +86-138-0013-8000 --json
      adwatch lookup "QQ 24681357"
    """
    from crawler.interfaces.show import format_lookup
    from crawler.interfaces.terminal import printable
    from crawler.running.indicators import lookup as look_up
    from evidence.index import open_catalogue

    with open_catalogue(catalogue_uri_for(data_dir, catalogue)) as cat:
        result = look_up(cat, value)
    if not result.kind:
        raise click.UsageError(
            f"{printable(value, one_line=True)!r} is no phone number, WeChat ID, QQ number or link"
        )
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(format_lookup(result.to_dict()))
    sys.exit(0 if result.found else 1)
