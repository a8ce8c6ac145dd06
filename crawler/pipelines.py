"""Item pipeline stages.  Each is thin: it calls one module and hands the
record on.  A stage never reaches back into an earlier one.

ValidatePipeline (100)   drop what is not a usable record, as a reject
ImagePipeline (200)      download each image (plain downloader), check and hash
                         it, keep it once under its content hash (crawler.images)
DetectPipeline (300)     score, label, contacts, template hash (crawler.detect)
CataloguePipeline (900)  upsert into the catalogue in batches; also stores
                         rejects and block events sent as signals
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from io import BytesIO
from pathlib import Path
from typing import Any, NoReturn

from scrapy import Request
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException, MediaPipeline
from twisted.python.failure import Failure

from crawler import signals
from crawler.config import AdwatchConfig
from crawler.detect import detect, load_rules
from crawler.images import ImageFacts, ImageRejected, inspect
from crawler.items import AdRecord, utc_now
from crawler.rejects import Reject, reason_of, send_reject
from evidence.index import Catalogue, UpsertResult, open_catalogue

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


class _ImageFailed(FileException):
    """Carries a reject reason through the media pipeline's error path."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class ImagePipeline(FilesPipeline):
    """Images through Scrapy's media pipeline: the normal downloader, one
    download per URL per crawl, files under content-hash paths.  A bad image is
    a reject and an ``error`` on its ImageRef; the record goes on."""

    LOG_FAILED_RESULTS = False  # each failure is a reject with its reason instead

    def __init__(self, store_uri: str, *, crawler: Crawler) -> None:
        super().__init__(store_uri, crawler=crawler)
        self._crawler = crawler
        # what each image URL turned out to be, for records met later in the crawl
        self._facts: dict[str, ImageFacts] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImagePipeline:
        cfg = AdwatchConfig.from_settings(crawler.settings)
        cls._update_stores(crawler.settings)
        return cls(str((cfg.data_dir / "objects").resolve()), crawler=crawler)

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        assert isinstance(item, AdRecord)
        meta = {"adwatch_kind": "image", "adwatch_platform": item.platform}
        return [Request(i.url, callback=NO_CALLBACK, meta=meta) for i in item.images]

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        if response is None:  # asked before download: never "already stored"
            return "pending/" + super().file_path(request, None, info, item=item)
        return self._inspect(request, response).path

    def _inspect(self, request: Request, response: Response) -> ImageFacts:
        facts = self._facts.get(request.url)
        if facts is None:
            try:
                facts = inspect(response.body)
            except ImageRejected as exc:
                raise _ImageFailed(exc.reason, exc.detail) from None
            self._facts[request.url] = facts
        return facts

    async def file_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> str:
        facts = self._inspect(request, response)
        if not (Path(self.store.basedir) / facts.path).exists():  # type: ignore[attr-defined]
            self.store.persist_file(facts.path, BytesIO(response.body), info)
        return facts.sha256

    def media_failed(
        self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo
    ) -> NoReturn:
        exc = failure.value
        if isinstance(exc, _ImageFailed):  # our own verdict on the bytes
            raise exc
        if isinstance(exc, FileException):  # Scrapy's: "download-error", "empty-content"
            raise _ImageFailed(str(exc).replace("-", "_") or "download_error")
        reason, detail = reason_of(failure)
        raise _ImageFailed(reason, detail)

    def item_completed(
        self, results: list[Any], item: Any, info: MediaPipeline.SpiderInfo
    ) -> AdRecord:
        assert isinstance(item, AdRecord)
        for image, (ok, result) in zip(item.images, results, strict=False):
            if ok:
                facts = self._facts[image.url]
                image.sha256, image.size = facts.sha256, facts.size
                image.width, image.height = facts.width, facts.height
                image.path = f"objects/{result['path']}"
                continue
            exc = result.value if isinstance(result, Failure) else result
            reason = getattr(exc, "reason", "") or "download_error"
            detail = getattr(exc, "detail", "") or str(exc)
            image.error = reason
            item.problems.append(f"image {image.url}: {reason}")
            send_reject(
                self._crawler,
                Reject(
                    url=image.url,
                    stage="image",
                    reason=reason,
                    detail=detail,
                    platform=item.platform,
                    data={"record": item.id},
                ),
            )
        return item


class DetectPipeline:
    """Scores each record (crawler.detect).  The rules are loaded once, when
    the crawl starts, so a broken rules file stops it before any page is
    fetched; a record that fails detection is kept, unscored, with a reject."""

    def __init__(self, crawler: Crawler, config: AdwatchConfig) -> None:
        self.crawler = crawler
        self.rules = load_rules(config.rules_dir)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DetectPipeline:
        return cls(crawler, AdwatchConfig.from_settings(crawler.settings))

    def process_item(self, item: AdRecord) -> AdRecord:
        stats = self.crawler.stats
        assert stats is not None
        try:
            detect(item, self.rules)
        except Exception as exc:  # a detector bug must not lose the record
            logger.exception("detection failed for %s", item.url)
            item.problems.append(f"detection failed: {exc!r}"[:300])
            send_reject(
                self.crawler,
                Reject(
                    item.url, "detect", "detect_failed", repr(exc)[:300], platform=item.platform
                ),
            )
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
            batch, self._buffer = self._buffer, []
            try:
                result = self.catalogue.upsert(batch)
            except ValueError:  # one bad record must not cost the batch
                result = self._upsert_one_by_one(batch)
            logger.info("catalogue: %d new, %d updated", result.inserted, result.updated)
        if self._rejects:
            self.catalogue.add_rejects(self._rejects)
            self._rejects = []

    def _upsert_one_by_one(self, batch: list[dict[str, Any]]) -> UpsertResult:
        assert self.catalogue is not None
        inserted = updated = 0
        for record in batch:
            try:
                result = self.catalogue.upsert([record])
            except ValueError as exc:
                send_reject(
                    self.crawler,
                    Reject(
                        url=str(record.get("url", "")),
                        stage="store",
                        reason="not_stored",
                        detail=str(exc)[:500],
                        platform=str(record.get("platform", "")),
                        data=record,
                    ),
                )
                continue
            inserted += result.inserted
            updated += result.updated
        return UpsertResult(inserted, updated)

    def close_spider(self) -> None:
        self.flush()
        if self.catalogue is not None:
            self.catalogue.close()
            self.catalogue = None
