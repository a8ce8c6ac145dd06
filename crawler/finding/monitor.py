"""Checks at spider close: is this crawl's output worth trusting?

A crawl can "finish" and still be useless: every page a captcha, every
record refused by validation, nothing found at all because a site changed
its markup.  `CrawlMonitor` runs when each spider closes, in the manner of
Spidermon's close monitors, and writes its verdict into the crawl's stats
(``adwatch/monitor/*``), from where the job history keeps it and alerts read
it.  A failed check is logged as a warning naming the figure and threshold.

Checks (thresholds are ADWATCH_MONITOR_* settings):

* item validation: records refused as invalid / records offered;
* error rate: download errors and callback exceptions / requests;
* block rate: captcha or block pages / pages received;
* zero results: a spider that received pages but produced no record;
* field coverage: per platform, the share of records with a title, text, author
  and images, against the thresholds of the platform's profile (``coverage:``).
  A selector that silently stops matching leaves records without that field:
  this names the platform and field on the first crawl after the change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.config import crawler_config
from crawler.finding.blocking import SESSION_EXPIRED_STAT
from crawler.finding.profiles import COVERAGE_FIELDS, Coverage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """The close checks of one spider; rates are 0..1."""

    records: int
    invalid: int
    invalid_rate: float
    requests: int
    errors: int
    error_rate: float
    pages: int
    blocked: int
    block_rate: float
    zero_results: bool
    failed: tuple[str, ...]
    # platform -> {"records": n, field: share}, for platforms with a coverage check
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)
    # one entry per field below its threshold: platform, field, share, threshold, records
    coverage_failures: tuple[dict[str, Any], ...] = ()
    # platform -> why its session check failed (the platform stopped for the run)
    session_expired: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "failed": list(self.failed),
            "coverage_failures": list(self.coverage_failures),
        }


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


COVERAGE_PREFIX = "adwatch/coverage/"  # + platform + "/records" or "/" + field


def has_field(item: Any, name: str) -> bool:
    """Whether a record carries ``name`` (author: a name, id or URL; images: one or more)."""
    value = getattr(item, name, None)
    if name == "author":
        return any(getattr(value, part, "") for part in ("name", "id", "url"))
    return bool(value)


def coverage_counts(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """platform -> {"records": n, field: records with it} from the stats."""
    counts: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if key.startswith(COVERAGE_PREFIX):
            platform, _, name = key[len(COVERAGE_PREFIX) :].rpartition("/")
            counts.setdefault(platform, {})[name] = int(value)
    return counts


def judge_coverage(
    stats: Mapping[str, Any], coverage: Mapping[str, Coverage]
) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    """Shares per platform with thresholds, and the fields below them."""
    counts = coverage_counts(stats)
    shares: dict[str, dict[str, float]] = {}
    failures: list[dict[str, Any]] = []
    for platform, wanted in sorted(coverage.items()):
        records = counts.get(platform, {}).get("records", 0)
        if not wanted.thresholds or records < wanted.min_records:
            continue
        shares[platform] = {"records": records}
        for name, threshold in wanted.thresholds.items():
            share = _rate(counts[platform].get(name, 0), records)
            shares[platform][name] = share
            if share < threshold:
                failures.append(
                    {
                        "platform": platform,
                        "field": name,
                        "share": share,
                        "threshold": threshold,
                        "records": records,
                    }
                )
    return shares, failures


def judge(
    stats: dict[str, Any],
    limits: dict[str, float],
    coverage: Mapping[str, Coverage] | None = None,
) -> Verdict:
    """The verdict on one spider's stats against ``limits`` (invalid_rate,
    error_rate, block_rate: the highest acceptable rate of each) and the
    ``coverage`` thresholds per platform (its profile's)."""
    records = int(stats.get("item_scraped_count", 0))
    invalid = int(stats.get("adwatch/rejects/invalid_record", 0))
    requests = int(stats.get("downloader/request_count", 0))
    errors = int(stats.get("downloader/exception_count", 0)) + sum(
        int(v) for k, v in stats.items() if k.startswith("spider_exceptions/")
    )
    pages = int(stats.get("response_received_count", 0))
    blocked = int(stats.get("adwatch/blocked", 0))
    rates = {
        "invalid_rate": _rate(invalid, records + invalid),
        "error_rate": _rate(errors, requests),
        "block_rate": _rate(blocked, pages),
    }
    failed = [name for name, value in rates.items() if value > limits[name]]
    zero = pages > 0 and records == 0
    if zero:
        failed.append("zero_results")
    shares, failures = judge_coverage(stats, coverage or {})
    failed += [f"coverage:{f['platform']}.{f['field']}" for f in failures]
    expired = {
        key[len(SESSION_EXPIRED_STAT) :]: str(value)
        for key, value in stats.items()
        if key.startswith(SESSION_EXPIRED_STAT)
    }
    failed += [f"session:{platform}" for platform in sorted(expired)]
    return Verdict(
        records=records,
        invalid=invalid,
        requests=requests,
        errors=errors,
        pages=pages,
        blocked=blocked,
        zero_results=zero,
        failed=tuple(failed),
        coverage=shares,
        coverage_failures=tuple(failures),
        session_expired=expired,
        **rates,
    )


class CrawlMonitor:
    """Scrapy extension: runs `judge` at spider close and keeps the verdict in stats."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limits = crawler_config(crawler).monitor_limits

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlMonitor:
        monitor = cls(crawler)
        crawler.signals.connect(monitor.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(monitor.item_scraped, signal=signals.item_scraped)
        return monitor

    def item_scraped(self, item: Any, spider: Spider) -> None:
        """Count the record and each field it carries, per platform."""
        stats, platform = self.crawler.stats, getattr(item, "platform", "")
        if stats is None or not platform:
            return
        stats.inc_value(f"{COVERAGE_PREFIX}{platform}/records")
        for name in COVERAGE_FIELDS:
            if has_field(item, name):
                stats.inc_value(f"{COVERAGE_PREFIX}{platform}/{name}")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        if stats is None:
            return
        profiles = getattr(spider, "profiles", None) or {}
        coverage = {name: p.coverage for name, p in profiles.items()}
        verdict = judge(stats.get_stats(), self.limits, coverage)
        for name, value in verdict.to_dict().items():
            stats.set_value(f"adwatch/monitor/{name}", value)
        for failure in verdict.coverage_failures:
            logger.warning(
                "monitor: coverage of %s failed on %s: %s of %s records have it (< %s)",
                failure["field"],
                failure["platform"],
                f"{failure['share']:.0%}",
                failure["records"],
                f"{failure['threshold']:.0%}",
            )
        for name in verdict.failed:
            if name.startswith(("coverage:", "session:")):
                continue
            figure = getattr(verdict, name)
            limit = self.limits.get(name)
            logger.warning(
                "monitor: %s failed on %s (%s%s)",
                name,
                spider.name,
                figure,
                f" > {limit}" if limit is not None else f"; {verdict.pages} pages, no record",
            )
