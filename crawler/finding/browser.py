"""What adwatch does inside the browser: capture data requests, scroll, recycle.

Real short-video and marketplace sites build their result lists in JavaScript
from signed XHR calls that a plain HTTP client cannot reproduce.  adwatch
therefore loads the search page in Chromium and *reads* the JSON the page
fetches: ``prepare_page`` (scrapy-playwright's page init callback) listens to
the page's own responses and keeps the body of each whose URL holds the
profile's ``xhr`` (and, with ``xhr_match``, whose JSON satisfies that JMESPath:
one GraphQL endpoint answers many operations).  Nothing is re-sent: an earlier
version fulfilled the calls through ``route.fetch()``, i.e. by Playwright's
driver outside Chrome's network stack, which changed the fingerprint of exactly
the signed calls that matter.  ``settle`` (a page method) waits for the first
answer, then pages in place for more: by scrolling, or by clicking the
profile's ``next_click`` button and waiting for the answer each click brings.
Every answer whose URL matched, kept or not, is also listed for the block
check (``XHR_ANSWERS_META``): a soft block is an HTTP 200 answer.
Everything named in request meta is a string or plain data, so requests stay
picklable for JOBDIR and a shared frontier.

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

from playwright.async_api import BrowserContext, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import Response as PlaywrightResponse
from scrapy import Request
from scrapy.crawler import Crawler

from crawler.config import crawler_config

logger = logging.getLogger(__name__)

XHR_META = "adwatch_xhr"  # substring of the data request URL to capture
XHR_MATCH_META = "adwatch_xhr_match"  # JMESPath an answer must satisfy to be kept
XHR_BODIES_META = "adwatch_xhr_bodies"  # list of kept JSON texts, in order
XHR_ANSWERS_META = "adwatch_xhr_answers"  # every answer whose URL matched (block check)
NAVIGATIONS_META = "adwatch_navigations"  # URLs the main frame went to (redirects, JS)
PAGING_META = "adwatch_paging"  # how in-page paging ended: {"stopped": reason, "batch": n}

_ABORT_TYPES = frozenset({"image", "media", "font"})
_captures: dict[int, _Capture] = {}


def should_abort(request: PlaywrightRequest) -> bool:
    """Discovery crawls need no images, video or fonts in the browser: the image
    stage fetches images itself, through the plain downloader."""
    return request.resource_type in _ABORT_TYPES


class _Capture:
    """Data answers seen by one page, and a way to wait for the next."""

    def __init__(
        self,
        pattern: str,
        match: str,
        bodies: list[str],
        answers: list[str],
        paging: dict[str, Any],
    ) -> None:
        self.pattern = pattern
        self.match = match
        self.bodies = bodies
        self.answers = answers
        self.paging = paging
        self.arrived = asyncio.Event()
        self.reading: set[asyncio.Task[None]] = set()

    def add(self, body: str) -> None:
        self.answers.append(body)
        if self.match and not _satisfies(body, self.match):
            return  # another operation of a shared endpoint (GraphQL)
        self.bodies.append(body)
        self.arrived.set()

    def saw(self, response: PlaywrightResponse) -> None:
        """The page received a response: read its body if it is a data answer."""
        if self.pattern not in response.url:
            return
        task = asyncio.ensure_future(self._read(response))
        self.reading.add(task)
        task.add_done_callback(self.reading.discard)

    async def _read(self, response: PlaywrightResponse) -> None:
        try:
            self.add(await response.text())
        except PlaywrightError as exc:  # a redirect, or the page went on meanwhile
            logger.info("data answer unreadable %s: %s", response.url, exc)

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
    """Page init callback: close spent contexts, set up data capture.  Pages
    are reused (crawler.finding.pagepool), so hooks are set once per page and the
    previous request's capture is dropped."""
    if not getattr(page, "_adwatch_hooked", False):
        page.once("close", lambda _page: _forget(page))
        page.on("response", lambda response: _saw(page, response))
        await _recycle(page, request.meta.get("playwright_context", ""))
        page._adwatch_hooked = True  # type: ignore[attr-defined]
    _forget(page)
    bodies: list[str] = []
    answers: list[str] = []
    paging: dict[str, Any] = {}
    request.meta[XHR_BODIES_META] = bodies
    request.meta[XHR_ANSWERS_META] = answers
    request.meta[PAGING_META] = paging
    pattern = request.meta.get(XHR_META)
    if pattern:
        match = request.meta.get(XHR_MATCH_META, "")
        _captures[id(page)] = _Capture(pattern, match, bodies, answers, paging)


def _saw(page: Page, response: PlaywrightResponse) -> None:
    capture = _captures.get(id(page))
    if capture is not None:
        capture.saw(response)


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


async def settle(
    page: Page,
    batches: int = 1,
    timeout: float = 8.0,
    has_next: str = "",
    next_click: str = "",
    wait_for: str = "",
) -> int:
    """Page method: wait for the page's first data answer, then page in place
    for each further batch (by clicking ``next_click``, else by scrolling)
    until no new answer comes or ``has_next``, a JMESPath over the last answer,
    says there is no more; then, given ``wait_for``, for that element.
    Returns how many answers were kept (0 when the page fired none, e.g. a
    block page, or when no data request was named).  Why paging stopped early is left in
    the request's ``PAGING_META`` for the spider to report."""
    capture = _captures.get(id(page))
    if capture is None:
        await _wait_for(page, wait_for, timeout)
        return 0
    if not await capture.wait_next(0, timeout):
        return 0
    for _ in range(batches - 1):
        if has_next and not _more(capture.bodies[-1], has_next):
            break
        seen = len(capture.bodies)
        if next_click:
            stopped = await _click_next(page, capture, next_click, timeout)
        else:
            stopped = await _scroll_more(page, capture, timeout)
        if stopped:
            capture.paging.update(stopped=stopped, batch=seen + 1)
            break
    await _drain(capture)
    await _wait_for(page, wait_for, timeout)
    return len(capture.bodies)


async def _wait_for(page: Page, selector: str, timeout: float) -> None:
    """Wait until the page shows ``selector`` (a result list a script builds
    after its data came), at most ``timeout`` seconds; a page that never
    shows it is read as it is (the spider says what it found)."""
    if not selector:
        return
    with contextlib.suppress(PlaywrightError):
        await page.wait_for_selector(selector, state="attached", timeout=timeout * 1000)


async def _scroll_more(page: Page, capture: _Capture, timeout: float) -> str:
    """Scroll for one more answer; '' when it came, else why not.  Scrolling
    moves up a little and back to the bottom, so that the page's scroll
    listeners and intersection observers fire even when it was already at the
    bottom while it appended the previous batch."""
    seen = len(capture.bodies)
    deadline = time.monotonic() + min(timeout, 5.0)
    while len(capture.bodies) <= seen and time.monotonic() < deadline:
        await page.evaluate("window.scrollBy(0, -400)")
        await capture.wait_next(seen, 0.1)
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        await capture.wait_next(seen, 0.4)
    return "" if len(capture.bodies) > seen else "no data answer to the scroll"


async def _click_next(page: Page, capture: _Capture, selector: str, timeout: float) -> str:
    """Click the next-page button and wait for the answer it brings; '' when
    it came, else why not (no such button, or no answer within ``timeout``)."""
    seen = len(capture.bodies)
    button = page.locator(selector).first
    try:
        if not await button.count():
            return f"no next-page button matching {selector!r}"
        await button.scroll_into_view_if_needed(timeout=timeout * 1000)
        await button.click(timeout=timeout * 1000)
    except PlaywrightError as exc:
        return f"the next-page button {selector!r} could not be clicked: {str(exc)[:200]}"
    if await capture.wait_next(seen, timeout):
        return ""
    return f"no data answer within {timeout:g} s of clicking {selector!r}"


async def _drain(capture: _Capture) -> None:
    """Let bodies still being read arrive before the page is handed back."""
    if capture.reading:
        await asyncio.wait(set(capture.reading), timeout=2.0)


def _satisfies(body: str, expression: str) -> bool:
    """An answer of the operation ``xhr_match`` names (unreadable: not kept)."""
    return _says(body, expression, unreadable=False)


def _more(body: str, has_next: str) -> bool:
    """Whether ``has_next`` says more is coming (unreadable: go on and see)."""
    return _says(body, has_next, unreadable=True)


def _says(body: str, expression: str, *, unreadable: bool) -> bool:
    import json

    from crawler.finding.extract import json_path

    try:
        return bool(json_path(json.loads(body), expression))
    except ValueError:
        return unreadable


def browser_meta(
    *,
    xhr: str,
    batches: int,
    timeout: float,
    context_kwargs: dict[str, Any],
    has_next: str = "",
    next_click: str = "",
    xhr_match: str = "",
    wait_for: str = "",
) -> dict[str, Any]:
    """Request meta for a page rendered in Chromium with data capture (the
    context name is set when the request is sent, by ContextRecycler)."""
    from scrapy_playwright.page import PageMethod

    meta: dict[str, Any] = {
        "playwright": True,
        "playwright_context_kwargs": context_kwargs,
        "playwright_page_init_callback": "crawler.finding.browser.prepare_page",
        "playwright_page_methods": [
            PageMethod(
                settle,
                batches=batches,
                timeout=timeout,
                has_next=has_next,
                next_click=next_click,
                wait_for=wait_for,
            )
        ],
        XHR_META: xhr,
    }
    if xhr_match:
        meta[XHR_MATCH_META] = xhr_match
    return meta
