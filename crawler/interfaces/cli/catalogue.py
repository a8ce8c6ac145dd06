"""Asking the catalogue: `adwatch search`, `stats`, `clusters`, `jobs`."""

from __future__ import annotations

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    catalogue_uri_for,
    data_dir_option,
    echo_json,
)
from crawler.items import CHANNELS, LABELS


@click.command()
@click.argument("query", required=False, default="")
@click.option("--label", type=click.Choice(LABELS), default=None)
@click.option("--platform", default=None, help="Site profile name, e.g. demo-douyin.")
@click.option("--channel", type=click.Choice(CHANNELS), default=None)
@click.option("--since", default=None, help="Only records seen on or after this date (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON record per line.")
@data_dir_option
@catalogue_option
def search(
    query: str,
    label: str | None,
    platform: str | None,
    channel: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Search the catalogue (Chinese substrings work: 停催 finds 当天停催).

    \b
    Example:
      adwatch search 停催
      adwatch search 征信 --label ad --channel market --since 2026-11-01 --json
    """
    from crawler.interfaces.show import format_hits
    from evidence.index import open_catalogue

    with open_catalogue(catalogue_uri_for(data_dir, catalogue)) as cat:
        result = cat.search(
            query, label=label, platform=platform, channel=channel, since=since, limit=limit
        )
    if as_json:
        for hit in result.hits:
            echo_json(hit)
        return
    click.echo(format_hits(query, result.total, result.hits))


@click.command()
@data_dir_option
@catalogue_option
def stats(data_dir: str | None, catalogue: str | None) -> None:
    """Counts in the catalogue: records by channel, platform and label; blocks; rejects.

    \b
    Example:
      adwatch stats
    """
    from crawler.interfaces.show import format_stats, format_takedowns
    from evidence.index import open_catalogue

    with open_catalogue(catalogue_uri_for(data_dir, catalogue)) as cat:
        click.echo(format_stats(cat.stats(), cat.rejects(limit=10)))
        for line in format_takedowns(cat.takedowns()):
            click.echo(line)


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--min-ads",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Only operators with at least this many ads (1 lists lone ads too).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON operator per line.")
@data_dir_option
@catalogue_option
def clusters(
    limit: int, min_ads: int, as_json: bool, data_dir: str | None, catalogue: str | None
) -> None:
    """Operators: ads and suspects linked by a shared phone, WeChat, QQ or
    link, or by a near-identical text, largest first (re-linked now).

    \b
    Example:
      adwatch clusters
      adwatch clusters --min-ads 5 --json
    """
    from crawler.interfaces.show import format_operators
    from crawler.reading.detect.cluster import relink
    from evidence.index import open_catalogue

    with open_catalogue(catalogue_uri_for(data_dir, catalogue)) as cat:
        relink(cat)
        found = cat.operators(limit=limit, min_ads=min_ads)
    if as_json:
        for op in found:
            echo_json(op)
        return
    click.echo(format_operators(found))


@click.command()
@click.option("--profile", default=None, help="Only this profile's jobs.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON job per line.")
@data_dir_option
@catalogue_option
def jobs(
    profile: str | None, limit: int, as_json: bool, data_dir: str | None, catalogue: str | None
) -> None:
    """The job history: every crawl and re-check run, newest first.

    \b
    Example:
      adwatch jobs
      adwatch jobs --profile demo-search --limit 5 --json
    """
    from crawler.interfaces.show import format_jobs
    from evidence.index import open_catalogue

    with open_catalogue(catalogue_uri_for(data_dir, catalogue)) as cat:
        found = cat.jobs(profile=profile, limit=limit)
    if as_json:
        for job in found:
            echo_json(job)
        return
    click.echo(format_jobs(found))
