"""Item pipeline stages.  Each is thin: it calls one module and hands the
record on.  A stage never reaches back into an earlier one.

ValidatePipeline (100)   drop what is not a usable record, as a reject
ImagePipeline (200)      download each image (plain downloader), check and hash
                         it, keep it once under its content hash (crawler.reading.images)
OcrPipeline (250)        text and QR codes read from images (crawler.reading.ocr)
DetectPipeline (300)     score, label, contacts, template hash (crawler.reading.detect)
CataloguePipeline (900)  upsert into the catalogue in batches; also stores
                         rejects and block events sent as signals
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from io import BytesIO
from pathlib import Path
from typing import Any, NoReturn

from scrapy import Request
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException, MediaPipeline
from twisted.python.failure import Failure

from crawler.config import AdwatchConfig, crawler_config
from crawler.finding import signals
from crawler.finding.netguard import policy_of
from crawler.finding.rejects import Reject, reason_of, send_reject
from crawler.items import AdRecord, utc_now
from crawler.reading.detect import detect, load_rules, record_fields
from crawler.reading.detect.model import load_model
from crawler.reading.detect.rules import normal_form
from crawler.reading.images import ImageFacts, ImageRejected, inspect
from evidence.index import Catalogue, UpsertResult, open_catalogue

logger = logging.getLogger(__name__)


class ValidatePipeline:
    """Drops what is not a usable record, and the pictures of a record whose
    links the address policy refuses (``file:``, ``javascript:``, an internal
    host), each as a reject: the record goes on without them."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.policy = policy_of(crawler)

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
        kept = []
        for image in item.images:
            refused = self.policy.url_refusal(image.url)
            if refused is None:
                kept.append(image)
                continue
            item.problems.append(f"image {image.url[:200]}: {refused.reason}")
            send_reject(
                self.crawler,
                Reject(
                    url=image.url[:2000],
                    stage="image",
                    reason=refused.reason,
                    detail=refused.detail,
                    platform=item.platform,
                    data={"record": item.id},
                ),
            )
        item.images = kept
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
        cfg = crawler_config(crawler)
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


class OcrPipeline:
    """Reads each stored image's text and QR codes (crawler.reading.ocr) in worker
    processes, so the crawl goes on while they work; a reading is cached by
    image sha256, so a picture is read once across the whole catalogue.  An
    image that cannot be read is a reject; the record goes on without it."""

    def __init__(self, crawler: Crawler, config: AdwatchConfig) -> None:
        from crawler.reading.ocr import OcrCache

        self.crawler = crawler
        self.config = config
        self.engine = config.ocr_engine
        self.root = config.data_dir
        self.cache = OcrCache(config.data_dir / "objects" / "ocr")
        self._inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._pool: Any = None  # taken on the first image, so text-only crawls start no workers

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OcrPipeline:
        cfg = crawler_config(crawler)
        if cfg.ocr_engine == "none":
            raise NotConfigured("ADWATCH_OCR_ENGINE is none")
        pipe = cls(crawler, cfg)
        crawler.signals.connect(pipe.close, signal=scrapy_signals.spider_closed)
        return pipe

    async def process_item(self, item: AdRecord) -> AdRecord:
        for image in item.images:
            if not image.sha256 or image.error or image.ocr:
                continue
            reading = self.cache.get(image.sha256, self.engine)
            if reading is None:
                reading = await self._read(image.sha256, str(self.root / image.path))
            if reading.get("error"):
                self._reject(item, image.url, reading["error"])
                continue
            image.ocr = {k: reading[k] for k in ("text", "lines", "qr", "engine", "ms")}
        return item

    async def _read(self, sha256: str, path: str) -> dict[str, Any]:
        future = self._inflight.get(sha256)
        if future is None:  # the same picture on two records is read once
            future = asyncio.ensure_future(self._read_once(path))
            self._inflight[sha256] = future
            future.add_done_callback(lambda _f: self._finished(sha256))
            self._count_waiting()
        # shielded: one waiting item being cancelled must not cancel the others' read
        reading = await asyncio.shield(future)
        if not reading.get("error"):
            try:
                self.cache.put(sha256, self.engine, reading)
            except OSError as exc:  # a full disk costs the cache, not the record
                logger.warning("OCR cache not written for %s: %s", sha256, exc)
            stats = self.crawler.stats
            if stats is not None:
                stats.inc_value("adwatch/ocr/images")
                stats.inc_value("adwatch/ocr/ms", int(reading.get("ms", 0)))
        return reading

    def _finished(self, sha256: str) -> None:
        self._inflight.pop(sha256, None)
        self._count_waiting()

    def _count_waiting(self) -> None:
        """For the status line: a crawl whose pages are all fetched is still
        busy while its records wait for their pictures to be read."""
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("adwatch/ocr/waiting", len(self._inflight))

    async def _read_once(self, path: str) -> dict[str, Any]:
        """One image through the worker pool; a worker that died takes every
        image in flight with it, so each gets one more try on a fresh pool."""
        if self._pool is None:
            self._pool = shared_pool(self.engine, self.config.ocr_workers)
        for attempt in (1, 2):
            try:
                return await asyncio.wrap_future(self._pool.submit(path))
            except BrokenProcessPool as exc:
                if attempt == 2:
                    return {"error": f"ocr_failed: {exc!r}"[:300]}
            except Exception as exc:  # this image's failure, not the crawl's
                return {"error": f"ocr_failed: {exc!r}"[:300]}
        return {"error": "ocr_failed"}

    def _reject(self, item: AdRecord, url: str, error: str) -> None:
        reason, _, detail = error.partition(": ")
        item.problems.append(f"image {url}: {reason}")
        send_reject(
            self.crawler,
            Reject(
                url, "ocr", reason or "ocr_failed", detail, item.platform, data={"record": item.id}
            ),
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool = None
            release_pool()


_pool: Any = None
_pool_users = 0


def shared_pool(engine: str, workers: int) -> Any:
    """One OCR process pool per crawl process, shared by its channels."""
    global _pool, _pool_users
    from crawler.reading.ocr import OcrPool

    if _pool is None:
        _pool = OcrPool(engine, workers)
    _pool_users += 1
    return _pool


def release_pool() -> None:
    """Shut the pool down when the last channel using it closes."""
    global _pool, _pool_users
    _pool_users = max(0, _pool_users - 1)
    if _pool is not None and _pool_users == 0:
        _pool.close()
        _pool = None


class DetectPipeline:
    """Scores each record (crawler.reading.detect).  The rules are loaded once, when
    the crawl starts, so a broken rules file stops it before any page is
    fetched; a record that fails detection is kept, unscored, with a reject.

    A record of more than ``INLINE_CHARS`` characters is scored on a thread
    of its own, off the reactor: a long landing page (up to 100,000
    characters a field are read) takes up to a few hundred milliseconds,
    which in the reactor thread would stall every download and the status
    line.  One such thread, so long records queue there rather than compete
    for the GIL.  The rules are then used from two threads (short records
    and the catalogue's normaliser stay in the reactor thread), which is safe
    because a built RuleSet is only read: its Aho-Corasick automata are
    searched, never changed (each search has its own iterator), its caches
    are dicts and lru_caches filled under the GIL, and OpenCC's converter is
    thread-safe (BYVoid/OpenCC#231)."""

    INLINE_CHARS = 2_000  # at most about 5 ms of scoring, whatever the text: not worth a thread

    def __init__(self, crawler: Crawler, config: AdwatchConfig) -> None:
        self.crawler = crawler
        self.rules = load_rules(config.rules_dir)
        self.model = load_model(config.model)
        self._thread: ThreadPoolExecutor | None = None  # started by the first long record

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DetectPipeline:
        pipe = cls(crawler, crawler_config(crawler))
        crawler.signals.connect(pipe.close, signal=scrapy_signals.spider_closed)
        return pipe

    async def process_item(self, item: AdRecord) -> AdRecord:
        stats = self.crawler.stats
        assert stats is not None
        try:
            if sum(map(len, record_fields(item).values())) <= self.INLINE_CHARS:
                detect(item, self.rules, self.model)
            else:
                if self._thread is None:
                    self._thread = ThreadPoolExecutor(1, thread_name_prefix="adwatch-detect")
                await asyncio.wrap_future(self._thread.submit(detect, item, self.rules, self.model))
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
        stats.inc_value(f"adwatch/platform_records/{item.platform}")
        return item

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None


class CataloguePipeline:
    """Upserts records in batches of ``ADWATCH_CATALOGUE_BATCH``; flushes when
    the spider is idle and on close.  Says ``records_stored`` after each write,
    so that a frontier can forget a request only once its records are kept."""

    def __init__(self, crawler: Crawler, config: AdwatchConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.catalogue: Catalogue | None = None
        self._buffer: list[dict[str, Any]] = []
        self._rejects: list[dict[str, Any]] = []
        self.write_error = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CataloguePipeline:
        pipeline = cls(crawler, crawler_config(crawler))
        crawler.signals.connect(pipeline.on_reject, signal=signals.reject)
        crawler.signals.connect(pipeline.on_blocked, signal=signals.blocked)
        crawler.signals.connect(pipeline.flush, signal=scrapy_signals.spider_idle)
        return pipeline

    def open_spider(self) -> None:
        # Elasticsearch's text_norm holds the detector's own normal form
        self.catalogue = open_catalogue(
            self.config.catalogue_uri, normalizer=normal_form(self.config.rules_dir)
        )
        self.crawler.signals.send_catch_log(signal=signals.catalogue_opened)

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
            except Exception as exc:  # the catalogue itself (a full disk): keep, retry
                self._buffer = batch + self._buffer
                self.write_error = f"{type(exc).__name__}: {exc}"
                logger.error(
                    "catalogue %s could not store %d records (%s); kept to try again",
                    self.config.catalogue_uri,
                    len(self._buffer),
                    self.write_error,
                )
                return
            logger.info("catalogue: %d new, %d updated", result.inserted, result.updated)
            if result.deferred:
                logger.error(
                    "catalogue: %d records not written now, kept to re-send", result.deferred
                )
        if self._rejects:  # before records_stored: a frontier then forgets their requests
            try:
                self.catalogue.add_rejects(self._rejects)
                self._rejects = []
            except Exception as exc:  # kept to try again; rejects.jsonl has them already
                logger.error("catalogue: %d rejects not stored now: %s", len(self._rejects), exc)
        # nothing buffered: every record of every request done so far is kept
        self.crawler.signals.send_catch_log(signal=signals.records_stored)

    def _spill(self) -> None:
        """Records the catalogue never took: counted in the stats (the crawl
        says so and exits 1) and written beside it as JSON Lines if the disk
        lets us, to load with `adwatch` once the catalogue is fixed."""
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("adwatch/catalogue/unstored", len(self._buffer))
        stats.set_value("adwatch/catalogue/error", self.write_error)
        spill = self.config.data_dir / f"unstored-{utc_now().replace(':', '')}-{id(self):x}.jsonl"
        try:
            with spill.open("w", encoding="utf-8") as f:
                for record in self._buffer:
                    f.write(json.dumps(record, ensure_ascii=False, default=repr) + "\n")
            stats.set_value("adwatch/catalogue/unstored_file", str(spill))
        except OSError as exc:
            logger.error(
                "%d records not stored and not kept (%s): %s", len(self._buffer), spill, exc
            )
        self._buffer = []

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
        if self._buffer:
            self._spill()
        if self.catalogue is not None:
            self.catalogue.close()
            self.catalogue = None
