"""Reuse browser pages across requests: scrapy-playwright with a page pool.

scrapy-playwright opens a new page (a new browser tab) for every request and
closes it afterwards.  Creating a tab costs Chromium a renderer set-up that
measured here as long as the page load itself: a bare Playwright loop over the
demo video pages ran at 9.6 pages/s reusing 4 pages and at 4.5 pages/s opening
one per URL.  ``PooledPageHandler`` keeps each context's pages open and lends
them to the next request for that context.

Each context has a queue of *tokens*, ``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT`` of
them: a token is either an idle page or ``None``, the right to open a new one.
A request takes a token (waiting when all pages are busy), and gives it back
when its download ends: the page itself if it is healthy, ``None`` if the page
failed, crashed or belongs to a retired context generation (it is then really
closed, so ``crawler.finding.browser`` can close the spent context).  Every live page
or permission is exactly one token, so a waiting request always wakes up when a
page comes back (scrapy-playwright's own per-context semaphore is only released
when a page *closes*, which is why it is lifted here).

A request that asks for its page itself (``playwright_include_page``) gets a
fresh page outside the pool, as with plain scrapy-playwright.

Every context's traffic goes through the crawl's egress guard
(``evidence.egress``), which applies the address policy to each connection
the browser makes; a document it refused fails the download with
:class:`~crawler.finding.rejects.RefusedRequest`, naming the address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from contextvars import ContextVar
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import Request as PlaywrightRequest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy_playwright.handler import DEFAULT_CONTEXT_NAME, ScrapyPlaywrightDownloadHandler
from twisted.internet import error as neterror

from crawler.finding.browser import NAVIGATIONS_META, generation_of
from crawler.finding.netguard import policy_of
from crawler.finding.rejects import RefusedRequest
from evidence.egress import NO_WEBRTC, Answer, EgressGuards

logger = logging.getLogger(__name__)

_UNLIMITED = 1 << 30
_BUSY, _IDLE, _GONE = "busy", "idle", "gone"


class _Pool:
    """The pages of one browser context."""

    def __init__(self, size: int) -> None:
        self.tokens: asyncio.Queue[Page | None] = asyncio.Queue()
        for _ in range(size):
            self.tokens.put_nowait(None)
        self.retired = False


class _Held:
    """What the handler knows about one pooled page."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.state = _BUSY
        self.crashed = False


class _Lease:
    """The page one download borrowed (set by ``_create_page``), and the URLs
    its main frame navigated to meanwhile (the document and its redirects)."""

    page: Page | None = None

    def __init__(self, navigations: list[str]) -> None:
        self.navigations = navigations

    def note(self, request: PlaywrightRequest) -> None:
        with contextlib.suppress(PlaywrightError):
            if request.is_navigation_request() and request.frame.parent_frame is None:
                self.navigations.append(request.url)


def _failure(answer: Answer) -> Exception:
    """What a download the guard answered fails with: the policy's refusal,
    or the network error it stood for."""
    if answer.refused:
        return RefusedRequest(answer.reason, answer.detail)
    if answer.reason == "unresolved":
        return neterror.DNSLookupError(answer.detail)
    return neterror.ConnectError(string=answer.detail)


# The current download's lease: the parent handler calls _create_page in the
# same task as _download_request_with_retry, so a context variable carries it
# (keying by id(request) broke when one Request object was downloaded twice).
_LEASE: ContextVar[_Lease | None] = ContextVar("adwatch_page_lease", default=None)


class PooledPageHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler, lending pooled pages."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.pool_size = self.config.max_pages_per_context
        self.config.max_pages_per_context = _UNLIMITED  # the pool limits pages now
        self._pools: dict[str, _Pool] = {}
        self._held: dict[Page, _Held] = {}
        self._newest: dict[str, int] = {}  # platform -> newest context generation seen
        self._closing: set[asyncio.Task[None]] = set()
        self.guards = EgressGuards(policy_of(crawler))
        if self.config.cdp_url:
            # a browser the user runs (--cdp): nothing to launch; each context
            # adwatch opens in it still goes through the guard (per-context
            # proxy), and says what that browser is, not what ours would be
            self.config.launch_options = {}
            self.user_agent = ""
        else:
            self.config.launch_options["proxy"] = self.guards.proxy("")
            # pages say what Scrapy's plain requests say (not "HeadlessChrome")
            self.user_agent = str(crawler.settings.get("USER_AGENT") or "")

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self.guards.close()

    async def _create_browser_context(
        self, name: str, context_kwargs: Any, spider: Any = None
    ) -> Any:
        """Each context sends its traffic through the guard (chained to the
        profile's own proxy, if it names one), and has no WebRTC."""
        kwargs = dict(context_kwargs or {})
        if self.user_agent:
            kwargs.setdefault("user_agent", self.user_agent)
        upstream = (kwargs.get("proxy") or {}).get("server", "")
        kwargs["proxy"] = self.guards.proxy(upstream)
        wrapper = await super()._create_browser_context(name, kwargs, spider)
        await wrapper.context.add_init_script(NO_WEBRTC)  # its UDP would go around the guard
        return wrapper

    async def _download_request_with_retry(self, request: Request, spider: Spider) -> Response:
        """The download, where the egress guard answered instead of a server
        (for the document or a hop of its redirects) failing as what it was:
        a refusal of the address policy, or a name or server out of reach."""
        started = time.time()
        navigations = [request.url]
        request.meta[NAVIGATIONS_META] = navigations  # the block check reads the hops
        try:
            response = await self._pooled_download(request, spider, navigations)
        except PlaywrightError as exc:
            tunnel = "ERR_TUNNEL" in str(exc)
            answer = self.guards.answer_for(navigations, started) if tunnel else None
            if answer is not None:
                raise _failure(answer) from None
            raise
        answer = self.guards.answer_for([response.url], started)
        if answer is not None:  # the guard's own page for a plain-http hop, not the site's
            raise _failure(answer)
        return response

    async def _pooled_download(
        self, request: Request, spider: Spider, navigations: list[str]
    ) -> Response:
        if request.meta.get("playwright_include_page"):  # the callback owns its page
            return await super()._download_request_with_retry(request, spider)
        request.meta["playwright_include_page"] = True  # keeps scrapy-playwright from closing it
        lease = _Lease(navigations)
        token = _LEASE.set(lease)
        broken = True
        try:
            response = await super()._download_request_with_retry(request, spider)
            broken = False
            self.stats.inc_value("adwatch/browser/pages")
            return response
        finally:
            _LEASE.reset(token)
            request.meta.pop("playwright_include_page", None)
            request.meta.pop("playwright_page", None)  # pages never leave the handler
            if lease.page is not None:
                lease.page.remove_listener("request", lease.note)
                await self._give_back(lease.page, broken)

    async def _create_page(self, request: Request, spider: Spider) -> Page:
        lease = _LEASE.get()
        if lease is None:
            return await super()._create_page(request, spider)
        name = request.meta.setdefault("playwright_context", DEFAULT_CONTEXT_NAME)
        self._retire_older(name)
        pool = self._pools.get(name)
        if pool is None:
            pool = self._pools[name] = _Pool(self.pool_size)
            found = generation_of(name)
            # a late request for a generation already superseded: its pages close on return
            pool.retired = found is not None and found[1] < self._newest.get(found[0], -1)
        page = await self._take(request, spider, pool)
        self._held[page].state = _BUSY
        lease.page = page
        page.on("request", lease.note)
        return page

    async def _take(self, request: Request, spider: Spider, pool: _Pool) -> Page:
        """An idle page of the pool, or a new one; waits while all are busy."""
        idle = await pool.tokens.get()
        if idle is not None:
            try:
                held = self._held.get(idle)
                if not idle.is_closed() and not (held and held.crashed):
                    with contextlib.suppress(PlaywrightError):
                        await idle.unroute_all(behavior="ignoreErrors")
                    if not idle.is_closed():
                        self.stats.inc_value("adwatch/browser/pages_reused")
                        return idle
            except BaseException:  # cancelled meanwhile: the page goes back, unharmed
                pool.tokens.put_nowait(idle)
                raise
            # an idle page that died or crashed: its token lets us open another
            self._held.pop(idle, None)
            if not idle.is_closed():
                self._spawn_close(idle)
        try:
            page = await super()._create_page(request, spider)
        except BaseException:
            pool.tokens.put_nowait(None)
            raise
        self._adopt(page, pool)
        return page

    def _spawn_close(self, page: Page) -> None:
        task = asyncio.ensure_future(_close(page))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _adopt(self, page: Page, pool: _Pool) -> None:
        held = self._held[page] = _Held(pool)

        def closed(_page: Page) -> None:
            # A page that dies while lent gives its token back as a permission;
            # one that dies while idle is found closed when its token is taken.
            if held.state == _BUSY:
                held.state = _GONE
                pool.tokens.put_nowait(None)
            if held.state == _GONE:
                self._held.pop(page, None)

        def crashed(_page: Page) -> None:
            held.crashed = True

        page.on("close", closed)
        page.on("crash", crashed)

    async def _give_back(self, page: Page, broken: bool) -> None:
        held = self._held.get(page)
        if held is None or held.state != _BUSY:
            return  # closed while lent: its token is back already
        if broken or held.pool.retired or held.crashed or page.is_closed():
            held.state = _GONE
            self._held.pop(page, None)
            await _close(page)  # closed before its token returns: no one opens a page
            held.pool.tokens.put_nowait(None)  # in a context that is being closed
        else:
            held.state = _IDLE
            held.pool.tokens.put_nowait(page)

    def _retire_older(self, name: str) -> None:
        """Close the idle pages of this platform's older context generations;
        their busy pages are closed when they come back."""
        found = generation_of(name)
        if found is None:
            return
        platform, generation = found
        self._newest[platform] = max(self._newest.get(platform, -1), generation)
        generation = self._newest[platform]
        for other, pool in list(self._pools.items()):
            older = generation_of(other)
            if older is None or older[0] != platform or older[1] >= generation:
                continue
            pool.retired = True
            del self._pools[other]
            while not pool.tokens.empty():
                page = pool.tokens.get_nowait()
                if page is not None:
                    self._held.pop(page, None)
                    self._spawn_close(page)


async def _close(page: Page) -> None:
    with contextlib.suppress(PlaywrightError):
        await page.close()
