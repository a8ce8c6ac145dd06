"""`adwatch crawl`: crawl the channels, with the demo web, a job line, the TSA and capture after."""

from __future__ import annotations

from typing import Any

import click

from crawler.interfaces.cli.common import (
    browser_choice,
    catalogue_option,
    data_dir_option,
    finish,
    invocation_settings,
    job_id_option,
    parse_sets,
    profile_option,
    say,
    sets_option,
)
from crawler.items import CHANNELS


@click.command()
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    multiple=True,
    help="Channel(s) to crawl; default all three.",
)
@click.option("--site", "sites", multiple=True, help="Site profile name(s); default the demo ones.")
@click.option("--query", "queries", multiple=True, help="Query to search (replaces the profiles').")
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=None,
    help="Result pages or scroll batches per query.",
)
@click.option("--demo", is_flag=True, help="Start the bundled demo web and crawl it.")
@click.option(
    "--demo-size",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Size of the demo web (with --demo).",
)
@click.option("--base-url", default=None, help="Point the chosen profiles at another host.")
@click.option(
    "--job-dir",
    default=None,
    help="Keep the crawl's frontier here so a stopped or killed crawl resumes "
    "(with --demo, the demo web's port too).",
)
@sets_option("Any Scrapy or adwatch setting, e.g. -s DOWNLOAD_TIMEOUT=5.")
@click.option(
    "--ocr-engine",
    type=click.Choice(["rapidocr", "paddleocr", "none"]),
    default=None,
    help="Engine that reads text and QR codes in images (default: rapidocr).",
)
@click.option("--verbose", is_flag=True, help="Log to the terminal instead of the log file.")
@click.option(
    "--no-timestamp",
    is_flag=True,
    help="Let a crawl of live sites capture evidence without a time-stamp authority "
    "(refused otherwise when ADWATCH_TSA_URL is not set).",
)
@click.option(
    "--cdp",
    default=None,
    metavar="URL",
    help="Drive the Chrome you already run (started with --remote-debugging-port=9222, "
    "on this machine) instead of launching one: http://127.0.0.1:9222.",
)
@click.option("--headed", is_flag=True, help="Show the browser window (needs a display).")
@profile_option
@job_id_option
@data_dir_option
@catalogue_option
def crawl(
    channel: tuple[str, ...],
    sites: tuple[str, ...],
    queries: tuple[str, ...],
    max_pages: int | None,
    demo: bool,
    demo_size: int,
    base_url: str | None,
    job_dir: str | None,
    sets: tuple[str, ...],
    ocr_engine: str | None,
    verbose: bool,
    no_timestamp: bool,
    cdp: str | None,
    headed: bool,
    profile: str,
    job_id: str | None,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Crawl search results, short videos and marketplace listings into the catalogue.

    \b
    Example:
      adwatch crawl --demo                      # the bundled demo web, all channels
      adwatch crawl --channel video --query 停催 --max-pages 2
      adwatch crawl --site baidu --query 征信修复 --job-dir var/jobs/baidu
      adwatch crawl --site douyin --cdp http://127.0.0.1:9222
    """
    from crawler.running.crawl_job import CrawlJob, run_crawl_job

    extra: dict[str, Any] = dict(parse_sets(sets)) | browser_choice(cdp, headed)
    if job_dir:
        extra["JOBDIR"] = job_dir
    if ocr_engine:
        extra["ADWATCH_OCR_ENGINE"] = ocr_engine
    ask = CrawlJob(
        channel or CHANNELS,
        sites,
        queries,
        max_pages,
        demo,
        demo_size,
        base_url,
        job_dir,
        profile,
        job_id,
        log_to_file=not verbose,
        timeout_given="DOWNLOAD_TIMEOUT" in extra,
        no_timestamp=no_timestamp,
    )
    settings = invocation_settings(data_dir, catalogue, **extra)
    finish(lambda: run_crawl_job(settings, ask, say))
