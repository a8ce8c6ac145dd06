"""Job history: one row per run of a crawl or re-check, kept in the catalogue.

A standing watch is judged by its runs: how many pages, ads, new ads, ads
gone, blocks and errors each one had, and whether the spider-close monitors
(crawler.monitor) trusted its output.  `adwatch crawl` and `adwatch recheck`
record themselves as a job (``--profile`` names the schedule profile they
ran for; "manual" otherwise); `adwatch schedule` launches them; `adwatch
jobs` lists them; crawler.alerts compares a job with the ones before it.

A profile's lock (an exclusive, non-blocking flock on
``<data dir>/locks/<profile>.lock``) keeps two runs of one profile from
overlapping, whoever starts them: the second is recorded as ``skipped``.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawler.items import utc_now

STATUSES = ("running", "finished", "failed", "timeout", "skipped", "interrupted")


@dataclass
class Job:
    profile: str
    kind: str  # crawl | recheck
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    started: str = field(default_factory=utc_now)
    ended: str = ""
    status: str = "running"
    pages: int = 0
    records: int = 0
    ads: int = 0
    new_ads: int = 0
    gone_ads: int = 0
    blocked: int = 0
    errors: int = 0
    rejects: int = 0
    pages_by_platform: dict[str, int] = field(default_factory=dict)
    blocked_by_platform: dict[str, int] = field(default_factory=dict)
    records_by_platform: dict[str, int] = field(default_factory=dict)
    monitors: dict[str, Any] = field(default_factory=dict)  # spider -> crawler.monitor verdict
    new_operators: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    note: str = ""
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def finish(self, status: str, note: str = "") -> Job:
        if status not in STATUSES:
            raise ValueError(f"unknown job status {status!r}")
        self.status, self.ended = status, utc_now()
        if note:
            self.note = note
        return self


def _by_prefix(stats: Mapping[str, Any], prefix: str, into: dict[str, int]) -> None:
    for key, value in stats.items():
        if key.startswith(prefix):
            name = key[len(prefix) :]
            into[name] = into.get(name, 0) + int(value)


def add_crawl_stats(job: Job, stats_by_spider: Mapping[str, Mapping[str, Any]]) -> Job:
    """Fold each spider's Scrapy stats (and its monitor verdict) into the job."""
    for spider, stats in stats_by_spider.items():
        job.pages += int(stats.get("response_received_count", 0))
        job.records += int(stats.get("item_scraped_count", 0))
        job.ads += int(stats.get("adwatch/label/ad", 0))
        job.blocked += int(stats.get("adwatch/blocked", 0))
        job.rejects += int(stats.get("adwatch/rejects", 0))
        job.errors += int(stats.get("log_count/ERROR", 0))
        _by_prefix(stats, "adwatch/pages/", job.pages_by_platform)
        _by_prefix(stats, "adwatch/blocked/", job.blocked_by_platform)
        _by_prefix(stats, "adwatch/platform_records/", job.records_by_platform)
        verdict = {
            k.removeprefix("adwatch/monitor/"): v
            for k, v in stats.items()
            if k.startswith("adwatch/monitor/")
        }
        if verdict:
            job.monitors[spider] = verdict
    return job


_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class Busy(RuntimeError):
    """Another run of the same profile holds its lock."""


@contextmanager
def profile_lock(data_dir: Path, profile: str) -> Iterator[None]:
    """Hold ``profile``'s run lock for the block; `Busy` if another run has it.

    flock locks die with their process, so a run killed with SIGKILL never
    leaves a stale lock behind.
    """
    folder = data_dir / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{_SAFE.sub('_', profile)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"profile {profile!r} is already running") from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
