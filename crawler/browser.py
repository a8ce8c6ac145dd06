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
(scrapy-playwright#240, playwright#6319), so spiders name contexts
``<platform>#<generation>`` and start a new generation every
``ADWATCH_CONTEXT_RECYCLE_PAGES`` pages; ``prepare_page`` closes older contexts
once they have no open page (pages are always closed before their context).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route
from playwright.async_api import Request as PlaywrightRequest
from scrapy import Request

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


def context_name(platform: str, pages_sent: int, recycle_every: int) -> str:
    """The context a platform's n-th browser page goes to."""
    return f"{platform}#{pages_sent // recycle_every}"


async def prepare_page(page: Page, request: Request) -> None:
    """Page init callback: recycle idle old contexts, set up XHR capture."""
    await _close_idle_contexts(page, request.meta.get("playwright_context", ""))
    bodies: list[str] = []
    request.meta[XHR_BODIES_META] = bodies
    pattern = request.meta.get(XHR_META)
    if not pattern:
        return
    capture = _Capture(bodies)
    _captures[id(page)] = capture
    page.once("close", lambda _page: _forget(page))

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


async def _close_idle_contexts(page: Page, current: str) -> None:
    platform, _, generation = current.rpartition("#")
    browser = page.context.browser
    if not platform or browser is None or not generation.isdigit():
        return
    for ctx in list(browser.contexts):
        if ctx is page.context or ctx.pages:
            continue
        name = getattr(ctx, "_adwatch_name", None)
        if name is None:
            continue
        other, _, gen = name.rpartition("#")
        if other == platform and gen.isdigit() and int(gen) < int(generation):
            logger.debug("closing recycled browser context %s", name)
            await ctx.close()
    if getattr(page.context, "_adwatch_name", None) is None:
        page.context._adwatch_name = current  # type: ignore[attr-defined]


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
    context: str,
    context_kwargs: dict[str, Any],
    has_next: str = "",
) -> dict[str, Any]:
    """Request meta for a page rendered in Chromium with data capture."""
    from scrapy_playwright.page import PageMethod

    return {
        "playwright": True,
        "playwright_context": context,
        "playwright_context_kwargs": context_kwargs,
        "playwright_page_init_callback": "crawler.browser.prepare_page",
        "playwright_page_methods": [
            PageMethod(settle, batches=batches, timeout=timeout, has_next=has_next)
        ],
        XHR_META: xhr,
    }
