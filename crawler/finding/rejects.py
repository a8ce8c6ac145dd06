"""Rejects: every fetch or item that could not be used, with its reason.

Nothing bad input does may stop the crawl or silently vanish.  Any component
sends the ``reject`` signal; ``RejectLog`` appends it to the rejects file (JSON
Lines, one object per reject) and counts it in the stats under
``adwatch/rejects/<reason>``.  The catalogue pipeline listens to the same signal.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet import error as neterror
from twisted.python.failure import Failure

from crawler.config import crawler_config
from crawler.finding import signals
from crawler.items import utc_now

logger = logging.getLogger(__name__)


@dataclass
class Reject:
    url: str
    stage: str  # fetch | parse | validate | image | ...
    reason: str  # short, stable word: timeout, too_large, redirect_loop, blocked, ...
    detail: str = ""
    platform: str = ""
    at: str = field(default_factory=utc_now)
    data: dict[str, Any] = field(default_factory=dict)  # what was kept of the input


class BlockedError(IgnoreRequest):
    """A page stayed a block/captcha page after every retry."""


class SessionExpiredError(IgnoreRequest):
    """The platform's login is gone (its profile's session check failed): the
    platform is stopped for the run."""


class RefusedRequest(IgnoreRequest):
    """The address policy (evidence.netpolicy) refused a URL or the address it
    led to; ``reason`` is refused_scheme or refused_address."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def reason_of(failure: Failure) -> tuple[str, str]:
    """A short reason word and a detail line for a failed download."""
    exc = failure.value
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, BlockedError):
        return "blocked", detail
    if isinstance(exc, SessionExpiredError):
        return "session_expired", detail
    if isinstance(exc, RefusedRequest):
        return exc.reason, exc.detail[:500]
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}", detail
    if isinstance(exc, IgnoreRequest) and "redirections" in str(exc):
        return "redirect_loop", detail
    text = str(exc)
    if "larger than download max size" in text or "max size" in text:
        return "too_large", detail
    timeouts = (neterror.TimeoutError, defer.TimeoutError, TimeoutError)
    if isinstance(exc, timeouts) or "Timeout" in type(exc).__name__ or "timeout" in text.lower():
        return "timeout", detail
    if isinstance(exc, defer.CancelledError):
        return "cancelled", detail
    if isinstance(exc, neterror.ConnectError | neterror.DNSLookupError):
        return "unreachable", detail
    return "error", detail


class RejectLog:
    """Extension: writes each reject to the rejects file and the stats."""

    def __init__(self, path: Path, crawler: Crawler) -> None:
        self.path = path
        self.crawler = crawler
        self._file: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RejectLog:
        cfg = crawler_config(crawler)
        ext = cls(cfg.rejects_path, crawler)
        crawler.signals.connect(ext.on_reject, signal=signals.reject)
        crawler.signals.connect(ext.close, signal=scrapy_signals.spider_closed)
        return ext

    def on_reject(self, reject: Reject) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(json.dumps(asdict(reject), ensure_ascii=False) + "\n")
        self._file.flush()
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("adwatch/rejects")
        stats.inc_value(f"adwatch/rejects/{reject.reason}")
        logger.info("reject %s %s: %s (%s)", reject.stage, reject.reason, reject.url, reject.detail)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def send_reject(crawler: Crawler, reject: Reject) -> None:
    crawler.signals.send_catch_log(signal=signals.reject, reject=reject)
