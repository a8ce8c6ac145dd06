"""Run a crawl of one or more channels in one process, with live progress.

Used by ``adwatch crawl``; tests and benchmarks call :func:`crawl` directly.
Each channel is its own Scrapy crawler (own stats, own browser) sharing one
reactor, so the three channels are fetched at the same time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.config import AdwatchConfig
from crawler.finding.profile_folders import load_site_profiles
from crawler.finding.profiles import ProfileError, select_profiles
from crawler.finding.spiders.market import MarketSpider
from crawler.finding.spiders.search import SearchSpider
from crawler.finding.spiders.video import VideoSpider
from crawler.items import CHANNELS
from crawler.running.progress import Figures, Progress, summary
from crawler.running.stopping import stop_signals_to
from loopback.child import serve_child

SPIDERS = {"search": SearchSpider, "video": VideoSpider, "market": MarketSpider}


@dataclass
class CrawlResult:
    figures: Figures
    elapsed: float
    config: AdwatchConfig
    stats: dict[str, dict[str, Any]]

    def summary(self) -> str:
        return summary(
            self.figures, self.elapsed, self.config.catalogue_uri, str(self.config.rejects_path)
        )


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def link_operators(catalogue_uri: str) -> int:
    """Recompute operator clusters over the whole catalogue; how many operators
    have two or more ads (0, with a logged error, if linking failed: the
    crawled records are stored already and `adwatch clusters` retries)."""
    from crawler.reading.detect.cluster import relink
    from evidence.index import open_catalogue

    try:
        with open_catalogue(catalogue_uri) as catalogue:
            return sum(1 for op in relink(catalogue) if len(op.ads) >= 2)
    except Exception:
        logging.getLogger(__name__).exception("linking operators failed")
        return 0


def check_sites(settings: Settings, sites: Sequence[str]) -> None:
    """Refuse unknown ``--site`` names (and a malformed profile) as a usage
    error, before the job, the frontier or the demo web start: found later,
    inside :func:`crawl`, it was a ProfileError traceback after all of them."""
    import click

    sites_dir = AdwatchConfig.from_settings(settings).sites_dir
    try:
        profiles = load_site_profiles(sites_dir)
    except ProfileError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        select_profiles(profiles, None, list(sites) or None)
    except ProfileError as exc:
        raise click.BadParameter(f"{exc} (in {sites_dir})", param_hint="--site") from None


def crawl(
    settings: Settings,
    channels: Sequence[str] = CHANNELS,
    sites: Sequence[str] = (),
    queries: Sequence[str] = (),
    max_pages: int | None = None,
    progress: bool = True,
) -> CrawlResult:
    """Crawl the channels (all selected profiles of each) and return figures.

    Must be called once per process: Scrapy's reactor cannot be restarted."""
    config = AdwatchConfig.from_settings(settings)
    profiles = load_site_profiles(config.sites_dir)
    wanted = [c for c in channels if select_profiles(profiles, c, list(sites) or None)]
    with _signals_held() as held:
        process = CrawlerProcess(settings)
        for channel in wanted:
            # a spider class, not a Crawler: Scrapy re-applies the process settings over a
            # ready Crawler's, which would undo the spider's own (per-channel JOBDIR)
            process.crawl(
                SPIDERS[channel],
                sites=",".join(sites),
                queries="\n".join(queries),
                max_pages=max_pages or "",
            )
        crawlers: list[Crawler] = sorted(process.crawlers, key=lambda c: c.spidercls.name)
        ticker = Progress(crawlers) if progress else None
        started = time.monotonic()
        if ticker:
            ticker.start()
        from twisted.internet import reactor as installed

        # Scrapy installs its handlers in an "after startup" trigger that
        # process.start() adds after this one; a trigger added while the phase
        # fires runs in the same pass, so hand_over comes straight after Scrapy's.
        reactor: Any = installed
        reactor.addSystemEventTrigger(
            "after",
            "startup",
            lambda: reactor.addSystemEventTrigger(
                "after", "startup", held.hand_over, reactor, lambda: _engines_up(crawlers)
            ),
        )
        try:
            process.start()
        finally:
            if ticker:
                ticker.stop()
        figures = Figures.of(crawlers)
        for crawler in crawlers:  # stopped before its spider opened: no reason of its own
            figures.finish_reasons.setdefault(
                crawler.spidercls.name, "shutdown" if held.caught else "not started"
            )
        result = CrawlResult(
            figures=figures,
            elapsed=time.monotonic() - started,
            config=config,
            stats={
                c.spider.name if c.spider else "?": c.stats.get_stats() if c.stats else {}
                for c in crawlers
            },
        )
    # the process's own handlers are back: a Ctrl-C from here is a KeyboardInterrupt
    result.figures.operators = link_operators(config.catalogue_uri)
    return result


def _engines_up(crawlers: Sequence[Crawler]) -> bool:
    """Whether every crawler that is crawling has its engine running: only then
    does Scrapy's stop close the spiders (pipelines, frontier) rather than
    just stopping the reactor."""
    return all(not c.crawling or (c.engine is not None and c.engine.running) for c in crawlers)


# what a Ctrl-C prints: the clean stop can take a while
STOPPING = (
    "stopping: the pages in flight and the records they hold are finished first; "
    "this can take a minute (kill the process to stop at once: a --job-dir crawl resumes)\n"
)


class _HeldSignals:
    """Ctrl-C and SIGTERM noted, not acted on, until Scrapy can act on them."""

    def __init__(self) -> None:
        self.caught: list[int] = []
        self.told = False
        self.reached_scrapy = False

    def _tell(self) -> None:
        if not self.told:
            self.told = True
            # os.write, not print: a signal handler may interrupt another
            # write to the same buffered stream
            with contextlib.suppress(OSError):
                os.write(2, STOPPING.encode())

    def note(self, signum: int, _frame: Any) -> None:
        """While the crawl is being built: note it (a second one is insisting:
        the build may be what hangs)."""
        self._tell()
        self.caught.append(signum)
        if len(self.caught) > 1:
            raise KeyboardInterrupt

    def hand_over(self, reactor: Any, ready: Callable[[], bool], waited: float = 0.0) -> None:
        """Once Scrapy's handlers are in: note what reaches them too (a crawler
        they stop before its spider opens has no reason of its own), then,
        once the engines run, deliver the signal held so far, if any."""
        if threading.current_thread() is not threading.main_thread():
            return
        if not waited:
            for sig in (signal.SIGINT, signal.SIGTERM):
                scrapys = signal.getsignal(sig)
                if callable(scrapys):
                    signal.signal(sig, self._noting(scrapys))
        if not self.caught:
            return
        if not ready() and waited < ENGINE_WAIT:
            reactor.callLater(0.1, self.hand_over, reactor, ready, waited + 0.1)
            return
        if not self.reached_scrapy:  # a Ctrl-C since has stopped it: a second is a kill
            os.kill(os.getpid(), self.caught[0])

    def _noting(self, handler: Callable[[int, Any], Any]) -> Callable[[int, Any], Any]:
        def noted(signum: int, frame: Any) -> Any:
            self._tell()
            self.caught.append(signum)
            self.reached_scrapy = True
            return handler(signum, frame)

        return noted


ENGINE_WAIT = 30.0  # seconds a held Ctrl-C waits for the engines to start


@contextmanager
def _signals_held() -> Iterator[_HeldSignals]:
    """Hold SIGINT and SIGTERM while the crawl is built and runs, then put the
    process's own handlers back.  Without it, a Ctrl-C in the second or two
    before Scrapy installs its handlers raised KeyboardInterrupt inside a
    crawler's set-up, where Twisted logged it and the crawl ran on to the end
    (recorded as finished); and Scrapy's handlers, left behind after the crawl,
    swallowed a Ctrl-C during the evidence capture that follows it."""
    held = _HeldSignals()
    if threading.current_thread() is not threading.main_thread():
        yield held  # signals reach the main thread only; nothing to hold
        return
    with stop_signals_to(held.note):
        yield held


_DEMO_LINE = re.compile(r"(http://127\.0\.0\.1:\d+)")


def demo_args(
    port: int, seed: int, size: int, slow_seconds: float, ground_truth: Path | str | None
) -> list[str]:
    """Command-line arguments of the demo web server (``python -m demo``)."""
    args = [
        "--port",
        str(port),
        "--seed",
        str(seed),
        "--size",
        str(size),
        "--slow-seconds",
        str(slow_seconds),
    ]
    if ground_truth:
        args += ["--ground-truth", str(ground_truth)]
    return args


def demo_web(
    seed: int = 7,
    size: int = 1,
    slow_seconds: float = 20.0,
    ground_truth: Path | None = None,
    port: int = 0,
) -> AbstractContextManager[str]:
    """Start the bundled demo web in a child process on a loopback port (a
    free one unless given); the ``with`` block gets its base URL.  A separate
    process, like the real web: the crawler's measurements do not include the
    server's work."""
    cmd = [sys.executable, "-m", "demo", *demo_args(port, seed, size, slow_seconds, ground_truth)]
    return serve_child(cmd, _DEMO_LINE, "demo web")
