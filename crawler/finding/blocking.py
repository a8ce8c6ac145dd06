"""Recognise block and captcha pages and expired sessions; back off instead of
hammering, stop instead of crawling on logged out.

A platform that answers with a captcha interstitial, a 403/429, a redirect to a
captcha or punish URL, a data answer that is a soft block (HTTP 200 JSON that
says "verify") or a captcha element (the profile's ``block`` rule) is recorded
as ``blocked`` (signal, stats ``adwatch/blocked``, catalogue), the whole
platform pauses for a backoff that doubles with each block (up to a ceiling),
and the page is retried after the pause (from the URL first asked for, not the
captcha it was sent to).  A page still blocked after ``ADWATCH_BLOCK_RETRIES``
retries becomes a ``blocked`` reject.  A page that comes through again resets
the platform's backoff.  A blocked page is never read: no record, no evidence.

A list page that fails the profile's session check (``session.logged_in``
missing, or ``session.expired`` matching: a login redirect, "please log in")
stops the platform for the rest of the run: the stats keep the reason under
``adwatch/session_expired/<platform>``, the monitor's verdict and the job's
alerts say "session expired", and every further request of that platform is
a ``session_expired`` reject, never fetched.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

from crawler.config import AdwatchConfig, crawler_config
from crawler.finding import signals
from crawler.finding.browser import NAVIGATIONS_META, XHR_ANSWERS_META
from crawler.finding.profiles import SiteProfile
from crawler.finding.rejects import BlockedError, SessionExpiredError

logger = logging.getLogger(__name__)

PLATFORM_META = "adwatch_platform"
RETRIES_META = "adwatch_block_retries"
SESSION_EXPIRED_STAT = "adwatch/session_expired/"  # + platform: the reason
_REDIRECT_KEYS = ("redirect_urls", "redirect_times", "redirect_reasons", "redirect_ttl")


@dataclass
class _Backoff:
    level: int = 0
    until: float = 0.0


class BlockDetectionMiddleware:
    def __init__(self, crawler: Crawler, config: AdwatchConfig) -> None:
        self.crawler = crawler
        self.config = config
        self._state: dict[str, _Backoff] = {}
        self._expired: dict[str, str] = {}  # platform -> why its session is gone

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockDetectionMiddleware:
        return cls(crawler, crawler_config(crawler))

    def _profile(self, request: Request) -> SiteProfile | None:
        name = request.meta.get(PLATFORM_META)
        profiles: dict[str, SiteProfile] = getattr(self.crawler.spider, "profiles", {})
        return profiles.get(name) if name else None

    async def process_request(self, request: Request) -> None:
        name = request.meta.get(PLATFORM_META)
        if name in self._expired:
            raise SessionExpiredError(_expired_text(name, self._expired[name]))
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
        urls = _urls(request, response)
        texts = tuple(request.meta.get(XHR_ANSWERS_META) or ())
        answers = _answers(texts, body, bool(profile.block.data or profile.session.expired.data))
        stats = self.crawler.stats
        assert stats is not None
        # Pages per platform: the denominator of its block rate (job history, alerts).
        stats.inc_value(f"adwatch/pages/{profile.name}")
        # a page that says the login is gone; else a block page; else, a list page
        # without the logged-in mark (a captcha page lacks it too: a block, first)
        expired = profile.session.expired.matches(response.status, body, urls, answers, texts)
        reason = (
            "" if expired else profile.block.matches(response.status, body, urls, answers, texts)
        )
        if not expired and not reason:
            expired = _not_logged_in(profile, request, body)
        if expired:
            self._expire(profile.name, expired, request.url)
            raise SessionExpiredError(_expired_text(profile.name, expired))
        state = self._state.setdefault(profile.name, _Backoff())
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
        return _retry(request, retries + 1)

    def _expire(self, platform: str, reason: str, url: str) -> None:
        if platform in self._expired:
            return
        self._expired[platform] = reason
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value(f"{SESSION_EXPIRED_STAT}{platform}", f"{reason} at {url[:300]}")
        logger.error("%s", _expired_text(platform, reason) + f" (at {url})")


def _not_logged_in(profile: SiteProfile, request: Request, body: str) -> str:
    """Why an HTML list page shows no sign of being logged in, or ''."""
    mark = profile.session.logged_in
    if not mark or request.meta.get("adwatch_kind") != "results" or body.lstrip()[:1] != "<":
        return ""
    from parsel import Selector

    if Selector(text=body).css(mark):
        return ""
    return f"no element matches session.logged_in {mark!r}"


def _expired_text(platform: str, reason: str) -> str:
    return (
        f"the {platform} session has expired ({reason}); the platform is stopped for this "
        f"run: log in again (adwatch login {platform}) and crawl it again"
    )


def _urls(request: Request, response: Response) -> tuple[str, ...]:
    """The URL a page ended at and every URL on the way: Scrapy's redirects,
    and the browser's own navigations (a script sending the page to a captcha)."""
    hops = [
        *request.meta.get("redirect_urls", ()),
        *request.meta.get(NAVIGATIONS_META, ()),
        request.url,
        response.url,
    ]
    return tuple(dict.fromkeys(str(u) for u in hops))


def _answers(texts: tuple[str, ...], body: str, wanted: bool) -> tuple[Any, ...]:
    """The data answers of a page, parsed: those a rendered page fired, or
    the page itself when it is a JSON list (``render: false``).  Only read when
    a rule looks at data."""
    if not wanted:
        return ()
    parsed = []
    for text in texts or ((body,) if body.lstrip()[:1] in "{[" else ()):
        try:
            parsed.append(json.loads(text))
        except ValueError:
            continue
    return tuple(parsed)


def _retry(request: Request, retries: int) -> Request:
    """The page asked for again: from its first URL when Scrapy followed a
    redirect to the captcha (asking for the captcha again would be no retry)."""
    first = (request.meta.get("redirect_urls") or [request.url])[0]
    retry = request.replace(url=first, dont_filter=True)
    for key in _REDIRECT_KEYS:
        retry.meta.pop(key, None)
    retry.meta[RETRIES_META] = retries
    return retry
