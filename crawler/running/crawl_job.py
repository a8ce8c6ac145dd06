"""One crawl as a job: what `adwatch crawl` runs, and what a scheduler or the
web workbench can run the same way.

Around the crawl itself (crawler.running.run) it keeps the job's line in the
history, a resumable job folder (its frontier and, with the demo, the demo
web's port), the log file, the demo web and its time-stamp authority, the
evidence capture after a crawl that finished, and the exit policy: records
that could not be stored, or a crawl ended by anything but finishing or its
own limits, make the run fail."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.items import CHANNELS
from crawler.running.lifecycle import JobError, Outcome, Say, demo_authority, job_in_history

DEMO_SLOW_SECONDS = 8.0  # the demo's deliberately slow page
DEMO_TIMEOUT = 4  # loopback answers in milliseconds: the slow page becomes a timeout reject
ENDINGS_OK = {"finished", "shutdown", "closespider_timeout", "closespider_pagecount"}


class CrawlJobError(JobError):
    """Something the person running the crawl must fix first (a job folder
    in use or unreadable, the demo's port taken)."""


@dataclass
class CrawlJob:
    """What was asked for: which channels, sites and queries, and how to run."""

    channels: tuple[str, ...] = CHANNELS
    sites: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()
    max_pages: int | None = None
    demo: bool = False
    demo_size: int = 1
    base_url: str | None = None
    job_dir: str | None = None
    profile: str = "manual"
    job_id: str | None = None
    log_to_file: bool = True
    timeout_given: bool = False  # DOWNLOAD_TIMEOUT set by the person: the demo keeps it
    no_timestamp: bool = False  # a live crawl may capture without a TSA (said in its summary)

    @property
    def live(self) -> bool:
        """Whether real platforms are crawled: a profile other than the demo's
        named, and neither the demo web nor another host (--base-url) in
        their place."""
        return not self.demo and not self.base_url and any(
            not site.startswith("demo-") for site in self.sites
        )


def check_timestamping(settings: Any, ask: CrawlJob) -> str:
    """A live crawl that captures evidence needs a time-stamp authority: an
    evidence bundle's time must not rest on this machine's clock alone.
    Raises CrawlJobError when none is set (unless ``no_timestamp``); returns
    the summary's line about time-stamps ("" when nothing is captured)."""
    if not settings.getbool("ADWATCH_CAPTURE"):
        return ""
    tsa = settings.get("ADWATCH_TSA_URL") or ""
    if tsa:
        return f"time-stamps: {tsa}"
    if not ask.live:
        return ""  # the demo starts its own authority; a stand-in web is a test
    if ask.no_timestamp:
        return "time-stamps: NONE (--no-timestamp): the bundles' times rest on this machine's clock"
    raise CrawlJobError(
        "a crawl of live sites captures evidence, and evidence needs RFC 3161 time-stamps: "
        "set ADWATCH_TSA_URL (see docs/real-sites.md, Time-stamps), or pass --no-timestamp "
        "to capture without them, or -s ADWATCH_CAPTURE=False to capture nothing"
    )


def run_crawl_job(settings: Any, ask: CrawlJob, say: Say) -> Outcome:
    """Crawl as ``ask`` says, with ``settings`` (the invocation's; changed
    here as the run needs).  Raises JobSkipped, CrawlJobError, or what the
    settings' checks raise (ConfigError)."""
    from crawler.config import AdwatchConfig
    from crawler.finding.frontier import job_finished, mark_job_finished
    from crawler.running.jobs import Job
    from crawler.running.run import check_sites

    check_sites(settings, ask.sites)  # an unknown site: a usage error before anything starts
    stamped = check_timestamping(settings, ask)  # before the job's line, like the sites
    own_frontier = bool(ask.job_dir) and not settings.get("ADWATCH_REDIS_URL")
    if ask.job_dir and own_frontier and (finished := job_finished(Path(ask.job_dir))):
        say(
            f"the crawl of {ask.job_dir} finished at {finished}: nothing to resume "
            "(a new crawl needs a new --job-dir, or this one deleted first)"
        )
        return Outcome()
    if ask.log_to_file:
        _log_file(settings, say)
    if ask.demo and not ask.timeout_given:
        settings.set("DOWNLOAD_TIMEOUT", DEMO_TIMEOUT, priority="cmdline")
    port = demo_port(Path(ask.job_dir), ask.demo_size) if ask.demo and ask.job_dir else 0
    job = Job(profile=ask.profile, kind="crawl")
    job.id = ask.job_id or job.id
    uri = AdwatchConfig.from_settings(settings).catalogue_uri
    with job_in_history(uri, settings, job, say), _surroundings(settings, ask, port, say):
        outcome, endings = _crawl_and_capture(settings, ask, job, uri, say)
    if stamped:
        outcome.lines.append(stamped)
    if outcome.status:
        return outcome
    if ask.job_dir and own_frontier and endings <= {"finished"}:
        mark_job_finished(Path(ask.job_dir), job.ended or datetime.now().isoformat())
    outcome.status = 1 if endings - ENDINGS_OK else 0
    return outcome


def _crawl_and_capture(
    settings: Any, ask: CrawlJob, job: Any, uri: str, say: Say
) -> tuple[Outcome, set[str]]:
    """The crawl, its job figures, the capture after it; the outcome (failed
    when records were not stored) and how the spiders ended."""
    from crawler.running.jobs import complete_crawl
    from crawler.running.run import crawl

    result = crawl(
        settings,
        channels=ask.channels or CHANNELS,
        sites=ask.sites,
        queries=ask.queries,
        max_pages=ask.max_pages,
    )
    outcome = Outcome(lines=[result.summary()])
    complete_crawl(job, result.stats, uri)
    endings = set(result.figures.finish_reasons.values())
    if settings.getbool("ADWATCH_CAPTURE") and endings <= {"finished"}:
        from crawler.running.evidence_run import capture_pending

        say("capturing evidence of the ads and suspects found…")
        captured = capture_pending(settings)
        outcome.lines.append(captured.summary())
        if captured.stopped:
            job.finish("interrupted", "Ctrl-C during the evidence capture")
    elif settings.getbool("ADWATCH_CAPTURE"):
        outcome.lines.append(
            "evidence not captured: the crawl stopped early (`adwatch capture` does it)"
        )
    unstored = _unstored(result.stats, uri)
    if unstored:
        say(unstored)
        outcome.status = 1
    return outcome, endings


def _unstored(stats: dict[str, Any], uri: str) -> str:
    """What the catalogue did not take, and where it was kept ("" if none)."""
    unstored = sum(int(s.get("adwatch/catalogue/unstored", 0)) for s in stats.values())
    if not unstored:
        return ""
    errors = {str(s.get("adwatch/catalogue/error", "")) for s in stats.values()} - {""}
    files = [
        str(s["adwatch/catalogue/unstored_file"])
        for s in stats.values()
        if s.get("adwatch/catalogue/unstored_file")
    ]
    return f"{unstored} records NOT STORED in {uri}: {'; '.join(sorted(errors))}" + (
        f"; kept in {', '.join(files)}" if files else "; not kept either (see the log)"
    )


def _log_file(settings: Any, say: Say) -> None:
    logs = Path(settings.get("ADWATCH_DATA_DIR")) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    settings.set(
        "LOG_FILE", str(logs / f"crawl-{datetime.now():%Y%m%d-%H%M%S}.log"), priority="cmdline"
    )
    say(f"log: {settings.get('LOG_FILE')}")


@contextmanager
def _surroundings(settings: Any, ask: CrawlJob, port: int, say: Say) -> Iterator[None]:
    """The job folder's frontier, the demo web (on ``port``, 0 any) and its
    time-stamp authority, for as long as the crawl runs; the URL crawled set
    in ``settings``."""
    from crawler.running.run import demo_web

    with (
        frontier(settings, ask.job_dir, say),
        demo_web(size=ask.demo_size, slow_seconds=DEMO_SLOW_SECONDS, port=port)
        if ask.demo
        else nullcontext(ask.base_url) as url,
        demo_authority(settings, say) if ask.demo else nullcontext(),
    ):
        if url:
            settings.set("ADWATCH_BASE_URL", url, priority="cmdline")
            say(f"crawling {url}")
        yield


def demo_port(folder: Path, size: int) -> int:
    """The loopback port of a job folder's demo web: a resumed demo crawl
    must find the demo where the first run left it, since the frontier holds
    its URLs.  Picked free on the first run and kept in ``demo.json``."""
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
        raise CrawlJobError(f"{saved} is unreadable ({exc}): delete it to start over") from None
    if known_size != size:
        raise CrawlJobError(
            f"{folder} holds a crawl of the demo web of size {known_size}: "
            f"resume it with --demo-size {known_size}"
        )
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise CrawlJobError(
                f"the demo web of {folder} ran on 127.0.0.1:{port}, which is in use now "
                "(a crawl of this folder still running, or another program): free it to resume"
            ) from None
    return port


@contextmanager
def frontier(settings: Any, job_dir: str | None, say: Say) -> Iterator[None]:
    """ADWATCH_REDIS_URL=local: a throw-away redis-server on 127.0.0.1 for this
    crawl's shared frontier (other workers may join it at the URL said).
    Else, with a job folder and no shared frontier: the job folder's own."""
    if job_dir and not settings.get("ADWATCH_REDIS_URL"):
        from crawler.finding.frontier import job_frontier
        from crawler.running.jobs import Busy

        with ExitStack() as stack:
            try:
                found = stack.enter_context(job_frontier(Path(job_dir)))
            except Busy as exc:
                message = f"{exc}: wait for it to end, or use another --job-dir"
                raise CrawlJobError(message) from None
            for name, value in found.items():
                settings.set(name, value, priority="cmdline")
            yield
        return
    if settings.get("ADWATCH_REDIS_URL") != "local":
        yield
        return
    from crawler.finding.frontier import RedisServer

    with RedisServer() as server:
        settings.set("ADWATCH_REDIS_URL", server.url, priority="cmdline")
        if not settings.get("ADWATCH_FRONTIER_RUN"):
            run = f"run-{datetime.now():%Y%m%d-%H%M%S}"
            settings.set("ADWATCH_FRONTIER_RUN", run, priority="cmdline")
        say(f"shared frontier {server.url} (run {settings.get('ADWATCH_FRONTIER_RUN')})")
        yield
