"""Item pipeline stages.  Each is thin: it calls one module and hands the
record on.  A stage never reaches back into an earlier one.

ValidatePipeline (100)   drop what is not a usable record, as a reject
FirstPassPipeline (300)  score with the first rules pass (crawler.detect)
CataloguePipeline (900)  upsert into the catalogue in batches; also stores
                         rejects and block events sent as signals
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler import signals
from crawler.config import AdwatchConfig
from crawler.detect.firstpass import judge
from crawler.items import AdRecord, utc_now
from crawler.rejects import Reject, send_reject
from evidence.index import Catalogue, open_catalogue

logger = logging.getLogger(__name__)


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> AdRecord:
        problem = _problem(item)
        if problem:
            data = item.to_dict() if isinstance(item, AdRecord) else {"repr": repr(item)[:2000]}
            send_reject(
                self.crawler,
                Reject(
                    url=getattr(item, "url", ""),
                    stage="validate",
                    reason="invalid_record",
                    detail=problem,
                    platform=getattr(item, "platform", ""),
                    data=data,
                ),
            )
            raise DropItem(problem)
        assert isinstance(item, AdRecord)
        return item


def _problem(item: Any) -> str:
    if not isinstance(item, AdRecord):
        return f"not an AdRecord: {type(item).__name__}"
    if not item.url.startswith(("http://", "https://")):
        return f"URL is not http(s): {item.url[:200]!r}"
    if not (item.title or item.text or item.images):
        return "no title, text or image"
    return ""


class FirstPassPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FirstPassPipeline:
        return cls(crawler)

    def process_item(self, item: AdRecord) -> AdRecord:
        verdict = judge(item)
        item.score = verdict.score
        item.label = verdict.label
        item.categories = verdict.categories
        item.matches = verdict.matches
        item.reasons = verdict.reasons
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"adwatch/records/{item.channel}")
        stats.inc_value(f"adwatch/label/{item.label}")
        return item


class CataloguePipeline:
    """Upserts records in batches of ``ADWATCH_CATALOGUE_BATCH``; flushes on close."""

    def __init__(self, crawler: Crawler, config: AdwatchConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.catalogue: Catalogue | None = None
        self._buffer: list[dict[str, Any]] = []
        self._rejects: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CataloguePipeline:
        pipeline = cls(crawler, AdwatchConfig.from_settings(crawler.settings))
        crawler.signals.connect(pipeline.on_reject, signal=signals.reject)
        crawler.signals.connect(pipeline.on_blocked, signal=signals.blocked)
        crawler.signals.connect(pipeline.flush, signal=scrapy_signals.spider_idle)
        return pipeline

    def open_spider(self) -> None:
        self.catalogue = open_catalogue(self.config.catalogue_uri)

    def process_item(self, item: AdRecord) -> AdRecord:
        self._buffer.append(item.to_dict())
        if len(self._buffer) >= self.config.catalogue_batch:
            self.flush()
        return item

    def on_reject(self, reject: Reject) -> None:
        self._rejects.append(asdict(reject))

    def on_blocked(self, platform: str, url: str, reason: str) -> None:
        if self.catalogue is not None:
            self.catalogue.record_block(platform, url, reason, utc_now())

    def flush(self) -> None:
        if self.catalogue is None:
            return
        if self._buffer:
            result = self.catalogue.upsert(self._buffer)
            logger.info("catalogue: %d new, %d updated", result.inserted, result.updated)
            self._buffer = []
        if self._rejects:
            self.catalogue.add_rejects(self._rejects)
            self._rejects = []

    def close_spider(self) -> None:
        self.flush()
        if self.catalogue is not None:
            self.catalogue.close()
            self.catalogue = None
