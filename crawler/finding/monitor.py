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
* zero results: a spider that received pages but produced no record.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.config import crawler_config

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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"failed": list(self.failed)}


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def judge(stats: dict[str, Any], limits: dict[str, float]) -> Verdict:
    """The verdict on one spider's stats against ``limits`` (invalid_rate,
    error_rate, block_rate: the highest acceptable rate of each)."""
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
    return Verdict(
        records=records,
        invalid=invalid,
        requests=requests,
        errors=errors,
        pages=pages,
        blocked=blocked,
        zero_results=zero,
        failed=tuple(failed),
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
        return monitor

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        if stats is None:
            return
        verdict = judge(stats.get_stats(), self.limits)
        for name, value in verdict.to_dict().items():
            stats.set_value(f"adwatch/monitor/{name}", value)
        for name in verdict.failed:
            figure = getattr(verdict, name)
            limit = self.limits.get(name)
            logger.warning(
                "monitor: %s failed on %s (%s%s)",
                name,
                spider.name,
                figure,
                f" > {limit}" if limit is not None else f"; {verdict.pages} pages, no record",
            )
