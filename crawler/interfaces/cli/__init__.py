"""The ``adwatch`` command: one module per command group (crawl, catalogue,
reading, evidence, dossier, review, schedule, elastic, demo, indicators), each command parsing
its options and calling the library.  Every command's help carries an
example (tests/test_cli.py checks that each is documented in docs/ too)."""

from __future__ import annotations

import sys

import click

from crawler.interfaces.cli.catalogue import clusters, jobs, search, stats
from crawler.interfaces.cli.common import sites_dir_option
from crawler.interfaces.cli.crawl import crawl
from crawler.interfaces.cli.demo import demo
from crawler.interfaces.cli.dossier import dossier
from crawler.interfaces.cli.elastic import es, kibana
from crawler.interfaces.cli.evidence import capture, export, recheck, timestamp, tsa, verify
from crawler.interfaces.cli.indicators import indicators, lookup
from crawler.interfaces.cli.login import login
from crawler.interfaces.cli.reading import ocr, score, sites, train
from crawler.interfaces.cli.review import review
from crawler.interfaces.cli.schedule import schedule
from crawler.interfaces.cli.web import user, web


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """adwatch: find anti-debt-collection (反催收) ads, keep the evidence, search it."""


for _command in (
    crawl,
    search,
    stats,
    sites,
    ocr,
    score,
    train,
    clusters,
    indicators,
    lookup,
    capture,
    recheck,
    verify,
    timestamp,
    tsa,
    export,
    dossier,
    review,
    jobs,
    schedule,
    es,
    kibana,
    demo,
    web,
    user,
    login,
):
    cli.add_command(_command)


# Every command that reads site profiles takes --sites-dir (added here, in one list,
# so that a new reader of profiles is not forgotten in one module and kept in another).
for _command in (crawl, sites, capture, recheck, schedule, login):
    sites_dir_option(_command)


def main(argv: list[str] | None = None) -> None:
    from crawler.config import ConfigError
    from evidence.index import CatalogueError

    try:
        cli.main(args=argv, prog_name="adwatch")
    except (CatalogueError, ConfigError) as exc:
        # A setting or a server the user must fix: the message, not a trace.
        click.echo(f"adwatch: error: {exc}", err=True)
        sys.exit(1)
