"""What adwatch does inside the browser: capture data requests, scroll, recycle.

Real short-video and marketplace sites build their result lists in JavaScript
from signed XHR calls that a plain HTTP client cannot reproduce.  adwatch
therefore loads the search page in Chromium and *captures* the JSON the page
fetches: ``prepare_page`` (scrapy-playwright's page init callback) routes the
profile's data URL through ``route.fetch`` so each answer is kept before the
page sees it, and ``settle`` (a page method) waits for that answer and scrolls
for more.  Everything named in request meta is a string or plain data, so
requests stay picklable for JOBDIR and a shared frontier.

Context recycling: a long-lived browser context grows without bound
(scrapy-playwright#240, playwright#6319).  ``ContextRecycler`` (a downloader
middleware) names each browser request's context ``<platform>#<generation>``
*when it is sent*, a new generation every ``ADWATCH_CONTEXT_RECYCLE_PAGES``
pages, so generations follow each other in time however the scheduler orders
requests (naming them when requests are created let stale generations pile up
until ``PLAYWRIGHT_MAX_CONTEXTS`` was reached and the crawl froze).  An older
generation's context is closed as soon as its last page is: pages are always
closed before their context.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from playwright.async_api import BrowserContext, Page, Route
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Request as PlaywrightRequest
from scrapy import Request
from scrapy.crawler import Crawler

from crawler.config import crawler_config

logger = logging.getLogger(__name__)

XHR_META = "adwatch_xhr"  # substring of the data request URL to capture
XHR_BODIES_META = "adwatch_xhr_bodies"  # list of captured JSON texts, in order

_ABORT_TYPES = frozenset({"image", "media", "font"})
_captures: dict[int, _Capture] = {}


def should_abort(request: PlaywrightRequest) -> bool:
    """Discovery crawls need no images, video or fonts in the browser: the image
    stage fetches images itself, through the plain downloader."""
    return request.resource_type in _ABORT_TYPES


class _Capture:
    """Data answers seen by one page, and a way to wait for the next."""

    def __init__(self, bodies: list[str]) -> None:
        self.bodies = bodies
        self.arrived = asyncio.Event()

    def add(self, body: str) -> None:
        self.bodies.append(body)
        self.arrived.set()

    async def wait_next(self, seen: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.bodies) <= seen:
            self.arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                return len(self.bodies) > seen
        return True


class ContextRecycler:
    """Downloader middleware: the browser context of each rendered request."""

    def __init__(self, recycle_every: int) -> None:
        self.recycle_every = recycle_every
        self._sent: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContextRecycler:
        return cls(crawler_config(crawler).context_recycle_pages)

    def process_request(self, request: Request) -> None:
        platform = request.meta.get("adwatch_platform")
        if not request.meta.get("playwright") or not platform:
            return
        sent = self._sent.get(platform, 0)
        self._sent[platform] = sent + 1
        request.meta["playwright_context"] = f"{platform}#{sent // self.recycle_every}"


def generation_of(name: str) -> tuple[str, int] | None:
    platform, _, generation = name.rpartition("#")
    return (platform, int(generation)) if platform and generation.isdigit() else None


_newest: dict[str, int] = {}  # platform -> newest context generation seen, per process


async def prepare_page(page: Page, request: Request) -> None:
    """Page init callback: close spent contexts, set up XHR capture.  Pages
    are reused (crawler.finding.pagepool), so hooks are set once per page and the
    previous request's capture is dropped."""
    if not getattr(page, "_adwatch_hooked", False):
        page.once("close", lambda _page: _forget(page))
        await _recycle(page, request.meta.get("playwright_context", ""))
        page._adwatch_hooked = True  # type: ignore[attr-defined]
    _forget(page)
    bodies: list[str] = []
    request.meta[XHR_BODIES_META] = bodies
    pattern = request.meta.get(XHR_META)
    if not pattern:
        return
    capture = _Capture(bodies)
    _captures[id(page)] = capture

    async def keep(route: Route) -> None:
        try:
            answer = await route.fetch()
            text = await answer.text()
        except PlaywrightError as exc:
            logger.info("data request failed %s: %s", route.request.url, exc)
            await route.abort()
            return
        capture.add(text)
        await route.fulfill(response=answer, body=text)

    await page.route(lambda url: pattern in url, keep)


def _forget(page: Page) -> None:
    _captures.pop(id(page), None)


async def _recycle(page: Page, name: str) -> None:
    """Tag the page's context with its name; close this platform's older,
    empty contexts now, and this one when its last page closes if it is old."""
    found = generation_of(name)
    browser = page.context.browser
    if found is None or browser is None:
        return
    platform, generation = found
    context = page.context
    context._adwatch_name = name  # type: ignore[attr-defined]
    _newest[platform] = max(_newest.get(platform, 0), generation)
    for other in list(browser.contexts):
        await _close_if_spent(other)

    async def on_close(_page: Page) -> None:
        await _close_if_spent(context)

    page.once("close", on_close)


async def _close_if_spent(context: BrowserContext) -> None:
    found = generation_of(getattr(context, "_adwatch_name", ""))
    if found is None or context.pages:
        return
    platform, generation = found
    if generation < _newest.get(platform, 0):
        context._adwatch_name = ""  # type: ignore[attr-defined]  # close once
        logger.debug("closing spent browser context %s#%d", platform, generation)
        with contextlib.suppress(PlaywrightError):
            await context.close()


async def settle(page: Page, batches: int = 1, timeout: float = 8.0, has_next: str = "") -> int:
    """Page method: wait for the page's first data answer, then scroll for each
    further batch until no new answer comes (or ``has_next``, a JMESPath over
    the last answer, says there is no more).  Returns how many answers were
    captured (0 when the page fired none, e.g. a block page).

    Scrolling moves up a little and back to the bottom, so that the page's
    scroll listeners and intersection observers fire even when it was already
    at the bottom while it appended the previous batch."""
    capture = _captures.get(id(page))
    if capture is None:
        return 0
    if not await capture.wait_next(0, timeout):
        return 0
    for _ in range(batches - 1):
        if has_next and not _more(capture.bodies[-1], has_next):
            break
        seen = len(capture.bodies)
        deadline = time.monotonic() + min(timeout, 5.0)
        while len(capture.bodies) <= seen and time.monotonic() < deadline:
            await page.evaluate("window.scrollBy(0, -400)")
            await capture.wait_next(seen, 0.1)
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            await capture.wait_next(seen, 0.4)
        if len(capture.bodies) <= seen:
            break
    return len(capture.bodies)


def _more(body: str, has_next: str) -> bool:
    import json

    import jmespath

    try:
        return bool(jmespath.search(has_next, json.loads(body)))
    except (ValueError, jmespath.exceptions.JMESPathError):
        return True


def browser_meta(
    *,
    xhr: str,
    batches: int,
    timeout: float,
    context_kwargs: dict[str, Any],
    has_next: str = "",
) -> dict[str, Any]:
    """Request meta for a page rendered in Chromium with data capture (the
    context name is set when the request is sent, by ContextRecycler)."""
    from scrapy_playwright.page import PageMethod

    return {
        "playwright": True,
        "playwright_context_kwargs": context_kwargs,
        "playwright_page_init_callback": "crawler.finding.browser.prepare_page",
        "playwright_page_methods": [
            PageMethod(settle, batches=batches, timeout=timeout, has_next=has_next)
        ],
        XHR_META: xhr,
    }
