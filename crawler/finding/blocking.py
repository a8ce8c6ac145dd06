"""Recognise block and captcha pages, and back off instead of hammering.

A platform that answers with a captcha interstitial (or 403/429) is recorded
as ``blocked`` (signal, stats ``adwatch/blocked``, catalogue), the whole platform
pauses for a backoff that doubles with each block (up to a ceiling), and the
page is retried after the pause.  A page still blocked after
``ADWATCH_BLOCK_RETRIES`` retries becomes a ``blocked`` reject.  A page that
comes through again resets the platform's backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

from crawler.config import AdwatchConfig, crawler_config
from crawler.finding import signals
from crawler.finding.profiles import SiteProfile
from crawler.finding.rejects import BlockedError

logger = logging.getLogger(__name__)

PLATFORM_META = "adwatch_platform"
RETRIES_META = "adwatch_block_retries"


@dataclass
class _Backoff:
    level: int = 0
    until: float = 0.0


class BlockDetectionMiddleware:
    def __init__(self, crawler: Crawler, config: AdwatchConfig) -> None:
        self.crawler = crawler
        self.config = config
        self._state: dict[str, _Backoff] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockDetectionMiddleware:
        return cls(crawler, crawler_config(crawler))

    def _profile(self, request: Request) -> SiteProfile | None:
        name = request.meta.get(PLATFORM_META)
        profiles: dict[str, SiteProfile] = getattr(self.crawler.spider, "profiles", {})
        return profiles.get(name) if name else None

    async def process_request(self, request: Request) -> None:
        name = request.meta.get(PLATFORM_META)
        state = self._state.get(name) if name else None
        if state is not None:
            wait = state.until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        profile = self._profile(request)
        if profile is None or request.meta.get("adwatch_kind") == "image":
            return response
        body = response.text if isinstance(response, TextResponse) else ""
        reason = profile.block.matches(response.status, body)
        state = self._state.setdefault(profile.name, _Backoff())
        stats = self.crawler.stats
        assert stats is not None
        # Pages per platform: the denominator of its block rate (job history, alerts).
        stats.inc_value(f"adwatch/pages/{profile.name}")
        if not reason:
            state.level = 0
            return response
        stats.inc_value("adwatch/blocked")
        stats.inc_value(f"adwatch/blocked/{profile.name}")
        self.crawler.signals.send_catch_log(
            signal=signals.blocked, platform=profile.name, url=request.url, reason=reason
        )
        pause = min(self.config.block_backoff * 2**state.level, self.config.block_backoff_max)
        state.level += 1
        state.until = max(state.until, time.monotonic() + pause)
        retries = int(request.meta.get(RETRIES_META, 0))
        if retries >= self.config.block_retries:
            logger.warning(
                "%s still blocked after %d retries: %s", profile.name, retries, request.url
            )
            raise BlockedError(f"{reason} after {retries} retries")
        logger.warning(
            "%s blocked (%s) at %s; pausing the platform %.1fs",
            profile.name,
            reason,
            request.url,
            pause,
        )
        retry = request.replace(dont_filter=True)
        retry.meta[RETRIES_META] = retries + 1
        return retry
