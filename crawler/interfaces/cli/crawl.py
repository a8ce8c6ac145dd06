"""`adwatch crawl`: crawl the channels, with the demo web, a job line, the TSA and capture after."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    data_dir_option,
    demo_tsa,
    invocation_settings,
    job_id_option,
    job_line,
    parse_sets,
    profile_option,
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
    """
    from contextlib import nullcontext
    from datetime import datetime

    from crawler.config import AdwatchConfig
    from crawler.finding.frontier import job_finished, mark_job_finished
    from crawler.running.jobs import Job, complete_crawl
    from crawler.running.run import check_sites, demo_web
    from crawler.running.run import crawl as run_crawl

    extra: dict[str, Any] = dict(parse_sets(sets))
    if job_dir:
        extra["JOBDIR"] = job_dir
    if ocr_engine:
        extra["ADWATCH_OCR_ENGINE"] = ocr_engine
    settings = invocation_settings(data_dir, catalogue, **extra)
    check_sites(settings, sites)  # an unknown --site: a usage error before anything starts
    own_frontier = bool(job_dir) and not settings.get("ADWATCH_REDIS_URL")
    if job_dir and own_frontier and (finished := job_finished(Path(job_dir))):
        click.echo(
            f"the crawl of {job_dir} finished at {finished}: nothing to resume "
            "(a new crawl needs a new --job-dir, or this one deleted first)",
            err=True,
        )
        return
    if not verbose:
        logs = Path(settings.get("ADWATCH_DATA_DIR")) / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        settings.set(
            "LOG_FILE", str(logs / f"crawl-{datetime.now():%Y%m%d-%H%M%S}.log"), priority="cmdline"
        )
        click.echo(f"log: {settings.get('LOG_FILE')}", err=True)
    if demo and "DOWNLOAD_TIMEOUT" not in extra:
        # loopback answers in milliseconds; the demo's deliberately slow page
        # (8 s) should become a timeout reject without holding the run for long
        settings.set("DOWNLOAD_TIMEOUT", 4, priority="cmdline")
    demo_port = _demo_port(Path(job_dir), demo_size) if demo and job_dir else 0
    job = Job(profile=profile, kind="crawl")
    job.id = job_id or job.id
    uri = AdwatchConfig.from_settings(settings).catalogue_uri
    with (
        job_line(uri, settings, job),
        _frontier(settings, job_dir),
        demo_web(size=demo_size, slow_seconds=8.0, port=demo_port)
        if demo
        else nullcontext(base_url) as url,
        demo_tsa(settings) if demo else nullcontext(),
    ):
        if url:
            settings.set("ADWATCH_BASE_URL", url, priority="cmdline")
            click.echo(f"crawling {url}", err=True)
        result = run_crawl(
            settings,
            channels=channel or CHANNELS,
            sites=sites,
            queries=queries,
            max_pages=max_pages,
        )
        click.echo(result.summary())
        complete_crawl(job, result.stats, uri)
        reasons = set(result.figures.finish_reasons.values())
        if settings.getbool("ADWATCH_CAPTURE") and reasons <= {"finished"}:
            from crawler.running.evidence_run import capture_pending

            click.echo("capturing evidence of the ads and suspects found…", err=True)
            captured = capture_pending(settings)
            click.echo(captured.summary())
            if captured.stopped:
                job.finish("interrupted", "Ctrl-C during the evidence capture")
        elif settings.getbool("ADWATCH_CAPTURE"):
            click.echo("evidence not captured: the crawl stopped early (`adwatch capture` does it)")
    unstored = sum(int(s.get("adwatch/catalogue/unstored", 0)) for s in result.stats.values())
    if unstored:
        errors = {str(s.get("adwatch/catalogue/error", "")) for s in result.stats.values()} - {""}
        files = [
            str(s["adwatch/catalogue/unstored_file"])
            for s in result.stats.values()
            if s.get("adwatch/catalogue/unstored_file")
        ]
        click.echo(
            f"{unstored} records NOT STORED in {uri}: {'; '.join(sorted(errors))}"
            + (f"; kept in {', '.join(files)}" if files else "; not kept either (see the log)"),
            err=True,
        )
        sys.exit(1)
    if job_dir and own_frontier and reasons <= {"finished"}:
        mark_job_finished(Path(job_dir), job.ended or datetime.now().isoformat())
    if reasons - {"finished", "shutdown", "closespider_timeout", "closespider_pagecount"}:
        sys.exit(1)


def _demo_port(folder: Path, size: int) -> int:
    """The loopback port of a job folder's demo web: a resumed `--demo` crawl
    must find the demo where the first run left it, since the frontier holds
    its URLs.  Picked free on the first run and kept in ``demo.json``."""
    import json
    import socket

    saved = folder / "demo.json"
    try:
        known = json.loads(saved.read_text(encoding="utf-8"))
        port, known_size = int(known["port"]), int(known["size"])
    except FileNotFoundError:
        from crawler.finding.frontier import free_port

        port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps({"port": port, "size": size}), encoding="utf-8")
        return port
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(
            f"{saved} is unreadable ({exc}): delete it to start over"
        ) from None
    if known_size != size:
        raise click.ClickException(
            f"{folder} holds a crawl of the demo web of size {known_size}: "
            f"resume it with --demo-size {known_size}"
        )
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise click.ClickException(
                f"the demo web of {folder} ran on 127.0.0.1:{port}, which is in use now "
                "(a crawl of this folder still running, or another program): free it to resume"
            ) from None
    return port


@contextmanager
def _frontier(settings: Any, job_dir: str | None) -> Iterator[None]:
    """ADWATCH_REDIS_URL=local: a throw-away redis-server on 127.0.0.1 for this
    crawl's shared frontier (other workers may join it at the URL printed).
    Else, with a job folder and no shared frontier: the job folder's own."""
    if job_dir and not settings.get("ADWATCH_REDIS_URL"):
        from crawler.finding.frontier import job_frontier
        from crawler.running.jobs import Busy

        with ExitStack() as stack:
            try:
                frontier = stack.enter_context(job_frontier(Path(job_dir)))
            except Busy as exc:
                raise click.ClickException(
                    f"{exc}: wait for it to end, or use another --job-dir"
                ) from None
            for name, value in frontier.items():
                settings.set(name, value, priority="cmdline")
            yield
        return
    if settings.get("ADWATCH_REDIS_URL") != "local":
        yield
        return
    from datetime import datetime

    from crawler.finding.frontier import RedisServer

    with RedisServer() as server:
        settings.set("ADWATCH_REDIS_URL", server.url, priority="cmdline")
        if not settings.get("ADWATCH_FRONTIER_RUN"):
            run = f"run-{datetime.now():%Y%m%d-%H%M%S}"
            settings.set("ADWATCH_FRONTIER_RUN", run, priority="cmdline")
        click.echo(
            f"shared frontier {server.url} (run {settings.get('ADWATCH_FRONTIER_RUN')})", err=True
        )
        yield
