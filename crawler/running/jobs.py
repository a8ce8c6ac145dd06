"""Job history: one row per run of a crawl or re-check, kept in the catalogue.

A standing watch is judged by its runs: how many pages, ads, new ads, ads
gone, blocks and errors each one had, and whether the spider-close monitors
(crawler.finding.monitor) trusted its output.  `adwatch crawl` and `adwatch recheck`
record themselves as a job (``--profile`` names the schedule profile they
ran for; "manual" otherwise); `adwatch schedule` launches them; `adwatch
jobs` lists them; crawler.running.alerts compares a job with the ones before it.

A profile's lock (an exclusive, non-blocking flock on
``<data dir>/locks/<profile>.lock``) keeps two runs of one profile from
overlapping, whoever starts them: the second is recorded as ``skipped``.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawler.items import utc_now
from evidence import locking

logger = logging.getLogger(__name__)

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
    monitors: dict[str, Any] = field(
        default_factory=dict
    )  # spider -> crawler.finding.monitor verdict
    finish_reasons: dict[str, str] = field(default_factory=dict)  # spider -> Scrapy's reason
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
        if stats.get("finish_reason"):
            job.finish_reasons[spider] = str(stats["finish_reason"])
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
    with exclusive(folder / f"{_SAFE.sub('_', profile)}.lock", f"profile {profile!r}"):
        yield


@contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold an flock on ``path`` for the block; `Busy` naming ``what`` if another
    process holds it (the lock dies with its holder, even after kill -9)."""
    with locking.exclusive(path, busy=lambda: Busy(f"{what} is already running")):
        yield


# Finish reasons of a crawl that stopped as it was meant to (bounds included).
NORMAL_FINISH = frozenset({"finished", "closespider_timeout", "closespider_pagecount"})


def save(catalogue_uri: str, job: Job) -> None:
    """Keep the job in the catalogue; a catalogue that fails costs the history
    line only (logged), never the crawl."""
    from evidence.index import open_catalogue

    try:
        with open_catalogue(catalogue_uri) as catalogue:
            catalogue.save_job(job.to_dict())
    except Exception:
        logger.exception("job %s (%s) not recorded", job.id, job.profile)


def history(catalogue_uri: str, profile: str, limit: int = 30) -> list[dict[str, Any]]:
    """The profile's earlier jobs, newest first ([] if the catalogue fails)."""
    from evidence.index import open_catalogue

    try:
        with open_catalogue(catalogue_uri) as catalogue:
            return catalogue.jobs(profile=profile, limit=limit)
    except Exception:
        logger.exception("history of %s not read", profile)
        return []


def complete_crawl(
    job: Job, stats_by_spider: Mapping[str, Mapping[str, Any]], catalogue_uri: str
) -> Job:
    """Figures of a finished crawl: its stats, the ads first seen during it and
    the operators that appeared with it."""
    from evidence.index import open_catalogue

    add_crawl_stats(job, stats_by_spider)
    reasons = {str(s.get("finish_reason", "")) for s in stats_by_spider.values()}
    try:
        with open_catalogue(catalogue_uri) as catalogue:
            job.new_ads = catalogue.count_new(job.started, label="ad")
            job.new_operators = [
                {k: op.get(k) for k in ("id", "ad_count", "first_seen", "platforms", "contacts")}
                for op in catalogue.operators(limit=1000, min_ads=2)
                if str(op.get("first_seen") or "") >= job.started
            ]
    except Exception:
        logger.exception("figures of job %s not read from the catalogue", job.id)
    status = "finished" if reasons <= NORMAL_FINISH else "interrupted"
    return job.finish(status, note=", ".join(sorted(reasons - NORMAL_FINISH)))


MANUAL = "manual"  # the profile of a run nobody scheduled


@contextmanager
def running(catalogue_uri: str, data_dir: Path, job: Job) -> Iterator[Job]:
    """Hold the profile's lock and keep the job's history line for the block.

    Recorded as running at the start, then as the block left it: finished
    (unless the block set another status), failed with the exception, or
    interrupted by Ctrl-C.  `Busy` (recorded as skipped) if the profile is
    already running; a manual run takes no lock.
    """
    lock: AbstractContextManager[None] = (
        profile_lock(data_dir, job.profile) if job.profile != MANUAL else nullcontext()
    )
    try:
        lock.__enter__()
    except Busy as exc:
        save(catalogue_uri, job.finish("skipped", str(exc)))
        raise
    try:
        save(catalogue_uri, job)
        try:
            yield job
        except KeyboardInterrupt:
            job.finish("interrupted", "Ctrl-C")
            raise
        except SystemExit as exc:
            if job.status == "running":
                job.finish("failed" if exc.code else "finished")
            raise
        except BaseException as exc:
            job.finish("failed", repr(exc)[:500])
            raise
        finally:
            if job.status == "running":
                job.finish("finished")
            save(catalogue_uri, job)
    finally:
        lock.__exit__(None, None, None)


ENDINGS = {
    "timeout": "killed by adwatch schedule at its time limit",
    "interrupted": "stopped with the scheduler",
    "failed": "the run ended without closing its job (crashed?)",
}


def close_job(catalogue_uri: str, profile: str, kind: str, job_id: str, ending: str) -> None:
    """Give a run the scheduler launched its ending, unless the run recorded
    one itself: a child killed or crashed leaves its line "running", or none.
    A run stopped at its time limit is a timeout even when it had time to call
    itself "interrupted" (the SIGTERM it got was the scheduler's, not a person's)."""
    from evidence.index import open_catalogue

    try:
        with open_catalogue(catalogue_uri) as catalogue:
            found = next(
                (j for j in catalogue.jobs(profile=profile, limit=100) if j.get("id") == job_id),
                None,
            )
    except Exception:
        logger.exception("job %s not read", job_id)
        return
    overrides = ending == "timeout" and (found or {}).get("status") == "interrupted"
    if found is not None and found.get("status") != "running" and not overrides:
        return
    known = {k: v for k, v in (found or {}).items() if k in Job.__dataclass_fields__}
    job = Job(**{"profile": profile, "kind": kind, "id": job_id, **known})
    save(catalogue_uri, job.finish(ending, ENDINGS.get(ending, "")))


def raise_alerts(job: Job, settings: Any, catalogue_uri: str, data_dir: Path) -> list[str]:
    """Alerts on a finished job against its profile's earlier jobs, sent through
    the configured channels (crawler.running.alerts); their titles, kept on the job.
    Never raises: an alert that cannot be sent is logged, the job stands."""
    from crawler.running.alerts import (
        AlertConfig,
        AlertConfigError,
        evaluate,
        notifiers_from_settings,
        notify,
    )

    try:
        config = AlertConfig.from_settings(settings)
        channels = notifiers_from_settings(settings)
    except AlertConfigError:
        logger.exception("alerts not evaluated")
        return []
    earlier = [
        h
        for h in history(catalogue_uri, job.profile, limit=config.history_jobs + 5)
        if h.get("id") != job.id
    ]
    try:
        alerts = evaluate(job.to_dict(), earlier, config)
    except Exception:
        logger.exception("alerts of job %s not evaluated", job.id)
        return []
    for alert in alerts:
        logger.warning("alert: %s", alert.title)
    if alerts and channels:
        notify(
            alerts,
            channels,
            state_path=data_dir / "alerts-state.json",
            window=config.dedup_window,
        )
    return [alert.title for alert in alerts]
