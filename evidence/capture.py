"""Capture one URL as evidence, in Chromium driven by Playwright.

A capture keeps what a regulator needs to trust that the page said what we
say it said, on the day we say (../shared/DOMAIN.md, "What a referral needs"):

* ``screenshot.png`` (or ``screenshot-1.png``... for pages taller than one
  tile), full page, images and fonts loaded;
* ``dom.html`` the DOM after scripts ran, ``response.html`` the document's
  body as the server sent it, ``page.mhtml`` a self-contained snapshot;
* ``visible-text.txt`` the text a reader saw; ``images/...`` every picture;
* ``network.wacz`` the whole network exchange as WARC inside a WACZ;
* ``tls-chain.pem`` the certificate chain of an https server;
* facts in the manifest: redirect chain, request and response headers, server
  address, DNS answers, TLS details, the environment (adwatch, Chromium and
  Playwright versions, user agent, viewport, time zone, the clock's offset from
  the time-stamp authority, proxy), times in UTC and Beijing time, and every
  limit the capture ran into.

Not everything a browser shows is evidence of an ad.  A captcha, a login
wall, a block page or an empty render is recognised (``outcome`` blocked or
empty) and the caller never seals it; a removed page (404/410, or a platform's
"content deleted" page) is ``gone``, which is evidence of a takedown.  The
capture never raises for a bad page: limits (a document that never arrives,
a load event that never fires, a 20 MB page, a page that navigates away or
starts a download, an invalid certificate) end it with what it got and why.

Every connection the capture's browser makes goes through an egress guard
(``evidence.egress``) applying the address policy (``evidence.netpolicy``):
a catalogue record pointing at ``file:``, an internal host, or a page that
redirects or navigates there is a failed capture that says so, never a
sealed one; a picture or frame refused on the way is a problem noted.  The
server addresses in the manifest and the WARC are the ones the guard
connected to (the browser itself only sees the guard).

This module builds captures; ``evidence.seal`` keeps them in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import platform
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Response as PlaywrightResponse

from evidence.content import ContentDigest, digest_of
from evidence.egress import NO_WEBRTC, Answer, EgressGuards
from evidence.netfacts import dns_answers, tls_chain
from evidence.netpolicy import AddressPolicy, Refused, default_port
from evidence.warc import Exchange, NetworkRecorder, wacz_bytes, warc_bytes

logger = logging.getLogger(__name__)

Outcome = Literal["page", "gone", "blocked", "empty", "failed"]
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

# Short pages carrying one of these are interstitials, not the ad (a profile
# adds its platform's own markers).  Only pages with little text are judged by
# them: an ad may well say 验证码 in a long pitch.
BLOCK_MARKERS = (
    "请完成下列验证",
    "请完成安全验证",
    "安全验证",
    "滑动验证",
    "拖动滑块",
    "人机验证",
    "访问受限",
    "访问过于频繁",
    "请登录后查看",
    "登录后查看",
    "请先登录",
    "扫码登录",
    "captcha",
    "access denied",
    "verify you are human",
)
GONE_MARKERS = (
    "该页面不存在",
    "页面不存在",
    "已被删除",
    "内容已删除",
    "视频不见了",
    "视频已删除",
    "宝贝不存在",
    "商品已下架",
    "该商品已下架",
    "内容已失效",
    "page not found",
)
SHORT_PAGE = 400  # characters of visible text: a page this short may be an interstitial
EMPTY_PAGE = 20  # characters: with no picture either, nothing rendered

_IMAGES_DONE_JS = "() => Array.from(document.images).every(i => i.complete)"
MAX_TEXT = 2_000_000  # characters of visible text kept (all frames together)


@dataclass(frozen=True)
class CaptureSettings:
    executable_path: str = "/usr/bin/chromium"
    launch_args: tuple[str, ...] = (
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    )
    viewport: tuple[int, int] = (1280, 900)
    timezone_id: str = "Asia/Shanghai"
    locale: str = "zh-CN"
    user_agent: str = ""  # empty: the browser's own
    navigation_timeout: float = 20.0  # seconds for the document to arrive
    load_wait: float = 8.0  # seconds more for the load event (sub-resources)
    settle: float = 3.0  # seconds more for pictures still loading
    max_height: int = 30_000  # CSS pixels of page kept in screenshots
    tile_height: int = 8_000  # one screenshot per this many pixels of a tall page
    max_body: int = 25 * 1024 * 1024  # bytes of one response kept in the WARC
    max_total: int = 120 * 1024 * 1024  # bytes of all responses kept
    max_images: int = 60  # pictures kept as their own artifacts
    step_timeout: float = 30.0  # seconds for one snapshot step (a page may keep the CPU busy)
    allow_hosts: tuple[str, ...] = ()  # internal hosts the address policy lets through

    @property
    def budget(self) -> float:
        """Seconds one capture may take in all before it is given up."""
        return self.navigation_timeout + self.load_wait + self.settle + 4 * self.step_timeout


@dataclass(frozen=True)
class Target:
    """What to capture, and how its platform looks when it refuses us."""

    url: str
    block_markers: tuple[str, ...] = ()
    gone_markers: tuple[str, ...] = ()
    proxy: str = ""
    storage_state: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    # what the page is known to say (the record's contacts, its title): a page
    # that says it is the ad even if it also reads like a block or 404 page
    expect: tuple[str, ...] = ()


@dataclass
class Capture:
    url: str
    outcome: Outcome
    reason: str
    started: datetime
    finished: datetime
    final_url: str = ""
    status: int = 0
    text: str = ""
    artifacts: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    content: ContentDigest | None = None

    @property
    def evidence(self) -> bool:
        """Whether this capture may be sealed: a page, or proof that it is gone."""
        return self.outcome in ("page", "gone")


def times(at: datetime) -> dict[str, str]:
    """An instant in UTC and in Beijing time, as a dossier prints them."""
    return {
        "utc": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "beijing": at.astimezone(BEIJING).isoformat(timespec="milliseconds"),
    }


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


class Capturer:
    """One Chromium for many captures; each capture in a fresh context (no
    cookies or cache carried from one ad to the next).  Use as an async
    context manager."""

    def __init__(self, settings: CaptureSettings, clock: Mapping[str, Any] | None = None) -> None:
        self.settings = settings
        self.clock = dict(clock or {})
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        self.environment: dict[str, Any] = {}
        self.policy = AddressPolicy(settings.allow_hosts)
        self.guards = EgressGuards(self.policy)

    async def __aenter__(self) -> Capturer:
        self.guards.proxy("")  # the guard starts before the browser that needs it
        self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(
                executable_path=self.settings.executable_path,
                headless=True,
                args=list(self.settings.launch_args),
                timeout=30_000,
                # a terminal's Ctrl-C reaches Playwright's driver too: left to
                # itself it would close the browser under the pages being
                # captured; the run stops them itself (crawler.running.evidence_run)
                handle_sigint=False,
            )
        except BaseException:
            await self._pw.stop()
            self.guards.close()
            raise
        s = self.settings
        self.environment = {
            "adwatch": package_version("adwatch"),
            "chromium": self._browser.version,
            "playwright": package_version("playwright"),
            "python": platform.python_version(),
            "os": platform.platform(),
            "host": socket.gethostname(),
            "viewport": {"width": s.viewport[0], "height": s.viewport[1]},
            "timezone": s.timezone_id,
            "locale": s.locale,
            "clock": self.clock or {"checked": False, "why": "no time-stamp authority configured"},
            "egress": {
                "guard": "every connection through adwatch's address guard on loopback, "
                "which checked each address and recorded the server it connected to",
                "allowed_internal_hosts": list(s.allow_hosts),
            },
        }
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            if self._pw is not None:
                await self._pw.stop()
            self.guards.close()

    async def capture(self, target: Target) -> Capture:
        """Capture ``target.url``; never raises for what the page does: a page
        that outlasts the capture's budget, or breaks the browser, is a failed
        capture with the reason."""
        started = datetime.now(UTC)
        problems: list[str] = []
        budget = self.settings.budget
        try:
            await asyncio.to_thread(self.policy.check, target.url)
        except Refused as exc:
            return self._failed(target, started, _why(exc.reason, exc.detail), [])
        try:
            async with asyncio.timeout(budget):
                try:
                    return await self._capture(target, started, problems, ignore_tls=False)
                except _CertificateInvalid as exc:
                    problems.append(f"certificate invalid: {exc}; captured without checking it")
                    return await self._capture(target, started, problems, ignore_tls=True)
        except TimeoutError:
            why = f"the page outlasted the capture's budget of {budget:g} s"
        except PlaywrightError as exc:
            why = f"the browser failed: {_first_line(exc.message)}"
        return self._failed(target, started, why, [], problems)

    async def _capture(
        self, target: Target, started: datetime, problems: list[str], ignore_tls: bool
    ) -> Capture:
        assert self._browser is not None, "use Capturer as an async context manager"
        s = self.settings
        try:
            proxy = self.guards.proxy(target.proxy)
        except ValueError as exc:  # a proxy the guard cannot chain to
            return self._failed(target, started, str(exc), [])
        context = await self._browser.new_context(
            viewport={"width": s.viewport[0], "height": s.viewport[1]},
            timezone_id=s.timezone_id,
            locale=s.locale,
            user_agent=s.user_agent or None,
            proxy=proxy,  # type: ignore[arg-type]
            storage_state=target.storage_state or None,
            extra_http_headers=dict(target.headers) or None,
            ignore_https_errors=ignore_tls,
            accept_downloads=True,
            service_workers="block",  # a service worker would hide requests from the WARC
        )
        try:
            await context.add_init_script(NO_WEBRTC)  # its UDP would go around the guard
            return await self._in_context(context, target, started, problems, ignore_tls)
        finally:
            # shielded: a capture cut off by its budget still closes its context
            with contextlib.suppress(TimeoutError, PlaywrightError):
                await asyncio.wait_for(asyncio.shield(context.close()), 10)

    async def _in_context(
        self,
        context: BrowserContext,
        target: Target,
        started: datetime,
        problems: list[str],
        ignore_tls: bool,
    ) -> Capture:
        s = self.settings
        page = await context.new_page()
        recorder = NetworkRecorder(page, s.max_body, s.max_total)
        downloads: list[dict[str, Any]] = []
        navigations: list[dict[str, str]] = []
        page.on(
            "download", lambda d: downloads.append({"url": d.url, "file": d.suggested_filename})
        )
        page.on(
            "framenavigated",
            lambda frame: navigations.append({"url": frame.url, **times(datetime.now(UTC))})
            if frame == page.main_frame
            else None,
        )
        t0 = time.monotonic()
        since = time.time()
        hops = [target.url]  # the document's URL and each redirect hop's

        def navigated(request: Any) -> None:
            with contextlib.suppress(PlaywrightError):
                if request.is_navigation_request() and request.frame.parent_frame is None:
                    hops.append(request.url)

        page.on("request", navigated)
        response: PlaywrightResponse | None = None
        try:
            response = await page.goto(
                target.url, wait_until="domcontentloaded", timeout=s.navigation_timeout * 1000
            )
        except PlaywrightError as exc:
            message = _first_line(exc.message)
            answer = self.guards.answer_for(hops, since) if "ERR_TUNNEL" in message else None
            if answer is not None:  # a refused or unreachable host, over https
                await _quietly(page.close())
                return self._failed(target, started, _why(answer.reason, answer.detail), downloads)
            if "ERR_CERT" in message and not ignore_tls:
                await _quietly(page.close())
                raise _CertificateInvalid(message) from None
            if "Download is starting" in message:
                await asyncio.sleep(0.2)  # the download event follows the error
                files = ", ".join(d["file"] for d in downloads) or "a file"
                return self._failed(
                    target, started, f"the URL starts a download ({files}), not a page", downloads
                )
            if not await _has_document(page):
                return self._failed(target, started, f"no page: {message}", downloads, problems)
            problems.append(f"the document did not finish within the limit: {message}")
        answer = self.guards.answer_for([response.url], since) if response is not None else None
        if answer is not None:  # the guard's own page for a plain-http hop
            await _quietly(page.close())
            return self._failed(target, started, _why(answer.reason, answer.detail), downloads)
        document_ms = round((time.monotonic() - t0) * 1000)
        load_fired = await _wait(page.wait_for_load_state("load", timeout=s.load_wait * 1000))
        if not load_fired:
            problems.append(
                f"the load event did not fire within {s.load_wait:g} s "
                "(a sub-resource never finished); captured what had loaded"
            )
        if not await _wait(page.wait_for_function(_IMAGES_DONE_JS, timeout=s.settle * 1000)):
            problems.append(f"some pictures were still loading after {s.settle:g} s more")
        shots, snap = await self._snapshot(page, problems)
        await recorder.settle()  # bodies still being read are read before the page goes
        await _quietly(page.close())
        self._through_guard(recorder, since, problems)
        finished = datetime.now(UTC)
        # what is read off Playwright objects is read here, in the loop's thread;
        # packaging (WARC, WACZ, hashes, DNS, TLS) then runs in a worker thread
        # while the browser goes on with the next capture
        first_url = response.url if response is not None else target.url
        snap["first_url"] = first_url
        snap["final_url"] = snap["url"] or first_url
        snap["status"] = response.status if response is not None else 0
        snap["redirects"] = _redirects(response, recorder.exchanges)
        if navigations[1:]:
            went = " -> ".join(n["url"] for n in navigations[1:])
            problems.append(
                f"the page moved on by itself after loading ({went}); the screenshot, DOM and "
                f"text show {snap['final_url']}, response-first.html is {first_url} as served"
            )
        return await asyncio.to_thread(
            self._assemble,
            target,
            started,
            finished,
            recorder,
            shots,
            snap,
            problems,
            {
                "document_ms": document_ms,
                "load_event": load_fired,
                "navigations": navigations[1:],  # the first is the page itself
                "downloads": downloads,
                "tls_checked": not ignore_tls,
            },
        )

    def _through_guard(self, recorder: NetworkRecorder, since: float, problems: list[str]) -> None:
        """Give each exchange the server address the guard connected to; the
        guard's own answers (refused, unresolved, unreachable) are no exchange
        with a site, only a problem each."""
        kept = []
        for ex in recorder.exchanges:
            answer = self.guards.answer_for([ex.url], since)
            if answer is not None:
                recorder.refused.append(ex.url)
                problems.append(_problem(ex.url, answer))
                continue
            parts = urlsplit(ex.url)
            host, port = parts.hostname or "", parts.port or default_port(parts.scheme)
            where = self.guards.address_of(host, port)
            ex.server_ip, ex.server_port = where if where else ("", 0)
            kept.append(ex)
        recorder.exchanges[:] = kept
        for failed in recorder.failed:
            answer = self.guards.answer_for([failed["url"]], since)
            if answer is not None:
                problems.append(_problem(failed["url"], answer))

    async def _snapshot(
        self, page: Page, problems: list[str]
    ) -> tuple[list[bytes], dict[str, Any]]:
        """Screenshot(s), DOM, MHTML and visible text; each part that fails (the
        page navigated away meanwhile, a renderer crash) is noted, not fatal."""
        s = self.settings
        step = s.step_timeout
        # text, title and size are read in Playwright's isolated world and over
        # CDP, not with the page's own JavaScript, which a page may redefine
        snap: dict[str, Any] = {"url": page.main_frame.url}
        snap["text"] = await _all_text(page, step, problems)
        snap["title"] = str(await _step(page.title(), "title", problems, step) or "")
        height = await _step(_content_height(page), "page height", problems, step)
        height = int(height or 0)
        snap["height"] = height
        kept = min(height, s.max_height) if height else s.viewport[1]
        if height > s.max_height:
            problems.append(
                f"page is {height} px tall; screenshots keep the top {s.max_height} px"
            )
        shots: list[bytes] = []
        if kept <= s.tile_height:
            shot = await _step(
                page.screenshot(full_page=True, timeout=step * 1000, animations="disabled"),
                "screenshot",
                problems,
                step,
            )
            shots = [shot] if shot else []
        else:
            for top in range(0, kept, s.tile_height):
                clip = {
                    "x": 0,
                    "y": top,
                    "width": s.viewport[0],
                    "height": min(s.tile_height, kept - top),
                }
                shot = await _step(
                    page.screenshot(full_page=True, clip=clip, timeout=step * 1000),  # type: ignore[arg-type]
                    f"screenshot from {top} px",
                    problems,
                    step,
                )
                if shot:
                    shots.append(shot)
        snap["dom"] = str(await _step(page.content(), "rendered DOM", problems, step) or "")
        snap["mhtml"] = str(await _step(_mhtml(page), "MHTML snapshot", problems, step) or "")
        if page.main_frame.url != snap["url"]:
            problems.append(
                f"the page navigated to {page.main_frame.url} while it was being captured: "
                "parts of this capture may show that page"
            )
        return shots, snap

    def _assemble(
        self,
        target: Target,
        started: datetime,
        finished: datetime,
        recorder: NetworkRecorder,
        shots: list[bytes],
        snap: dict[str, Any],
        problems: list[str],
        page_facts: dict[str, Any],
    ) -> Capture:
        s = self.settings
        final_url = str(snap["final_url"])
        status = int(snap["status"])
        exchanges = recorder.exchanges
        document = _document(exchanges, final_url)
        first = _document(exchanges, str(snap["first_url"]))
        if final_url in recorder.refused:  # the page navigated itself to a refused host
            problem = next((p for p in problems if f" {final_url[:200]}: " in p), "")
            return self._failed(target, started, problem or REFUSED_BY, [], problems)
        for ex in exchanges:
            if ex.body is None and ex.note:
                problems.append(f"{ex.url}: {ex.note}"[:400])
        artifacts: dict[str, tuple[bytes, str]] = {}
        if len(shots) == 1:
            artifacts["screenshot.png"] = (shots[0], "image/png")
        for n, shot in enumerate(shots if len(shots) > 1 else [], 1):
            artifacts[f"screenshot-{n}.png"] = (shot, "image/png")
        if snap.get("dom"):
            artifacts["dom.html"] = (snap["dom"].encode(), "text/html; charset=utf-8")
        if document is not None and document.body is not None:
            artifacts["response.html"] = (document.body, document.media_type or "text/html")
        elif document is None:
            problems.append(f"the browser gave no response for the document {final_url}")
        if first is not None and first is not document and first.body is not None:
            artifacts["response-first.html"] = (first.body, first.media_type or "text/html")
        if snap.get("mhtml"):
            artifacts["page.mhtml"] = (snap["mhtml"].encode(), "multipart/related")
        artifacts["visible-text.txt"] = (snap["text"].encode(), "text/plain; charset=utf-8")
        images = _images(exchanges, s.max_images, problems)
        for name, (data, media) in images.items():
            artifacts[name] = (data, media)
        info = {
            "software": f"adwatch {self.environment.get('adwatch')}; "
            f"Chromium {self.environment.get('chromium')}",
            "format": "WARC File Format 1.1",
            "url": target.url,
        }
        warc = warc_bytes(sorted(exchanges, key=lambda e: e.started), info)
        try:
            artifacts["network.wacz"] = (
                wacz_bytes(warc, document, snap.get("title", "")),
                "application/wacz",
            )
        except Exception as exc:  # the WARC still proves the exchange: keep it bare
            problems.append(f"WACZ packaging failed ({exc!r}); the WARC is kept as it is")
            artifacts["network.warc.gz"] = (warc, "application/warc")
        host, port = _host_port(final_url)
        facts: dict[str, Any] = {
            "request": {
                "url": target.url,
                "final_url": final_url,
                "status": status,
                "redirects": snap["redirects"],
                "request_headers": document.request_headers if document else [],
                "response_headers": document.response_headers if document else [],
                "server": {"ip": document.server_ip, "port": document.server_port}
                if document and document.server_ip
                else {},
            },
            "dns": dns_answers(host, port) if host else {},
            "page": page_facts
            | {"title": snap.get("title", ""), "height": snap.get("height", 0)}
            | {"screenshots": len(shots), "exchanges": len(exchanges)},
            "failed_requests": recorder.failed[:50],
            "time": {"started": times(started), "finished": times(finished)},
            "environment": self.environment | {"proxy": target.proxy or None},
            "limits": {
                "navigation_timeout_s": s.navigation_timeout,
                "load_wait_s": s.load_wait,
                "max_height_px": s.max_height,
                "max_body_bytes": s.max_body,
            },
        }
        if urlsplit(final_url).scheme == "https" and host:
            # the handshake goes to the address the browser's connection went to
            where = self.guards.address_of(host, port)
            chain = tls_chain(host, port, address=where[0] if where else "")
            facts["tls"] = chain.facts() | {"checked_by_browser": page_facts["tls_checked"]}
            if chain.pem:
                artifacts["tls-chain.pem"] = (chain.pem.encode(), "application/x-pem-file")
        text = str(snap.get("text", ""))
        outcome, reason = classify(status, text, bool(images), target)
        if outcome == "page" and target.expect and not reason:
            problems.append(
                "none of the record's contacts or title is in the page's text "
                "(the pitch may be only in pictures): look before relying on it"
            )
        if target.proxy:
            problems.append(
                "DNS answers and the TLS chain were fetched directly from this machine, "
                f"not through the capture's proxy {target.proxy}"
            )
        if outcome == "empty" and not shots:
            outcome, reason = "failed", "nothing could be captured: " + "; ".join(problems)
        facts["problems"] = problems
        facts["outcome"] = {"outcome": outcome, "reason": reason}
        capture = Capture(
            url=target.url,
            outcome=outcome,
            reason=reason,
            started=started,
            finished=finished,
            final_url=final_url,
            status=status,
            text=text,
            artifacts=artifacts,
            facts=facts,
        )
        capture.content = digest_of(text, [data for data, _m in images.values()])
        return capture

    def _failed(
        self,
        target: Target,
        started: datetime,
        reason: str,
        downloads: list[dict[str, Any]],
        problems: list[str] | None = None,
    ) -> Capture:
        finished = datetime.now(UTC)
        return Capture(
            url=target.url,
            outcome="failed",
            reason=reason,
            started=started,
            finished=finished,
            facts={
                "time": {"started": times(started), "finished": times(finished)},
                "page": {"downloads": downloads},
                "problems": list(problems or []),
            },
        )


def classify(status: int, text: str, has_pictures: bool, target: Target) -> tuple[Outcome, str]:
    """What the captured page is: the page, gone, a block page or nothing.
    A page that still shows what the ad said (``target.expect``) is the page,
    whatever else it says: "逾期记录已被删除" is a pitch, not a takedown."""
    low = text.casefold()
    shown = [e for e in target.expect if e and e.casefold() in low]
    if shown:
        return "page", (f"HTTP {status}, but " if status >= 400 else "") + (
            f"the page shows the ad's own words ({shown[0][:40]!r})"
        )
    short = len(text.strip()) <= SHORT_PAGE
    if status in (404, 410):
        return "gone", f"HTTP {status}"
    for marker in target.block_markers:
        if marker and marker.casefold() in low:
            return "blocked", f"the platform's block page ({marker!r})"
    if status in (401, 403, 429):
        return "blocked", f"HTTP {status}"
    if short:
        for marker in BLOCK_MARKERS:
            if marker.casefold() in low:
                return "blocked", f"a captcha or login wall ({marker!r})"
        for marker in (*target.gone_markers, *GONE_MARKERS):
            if marker and marker.casefold() in low:
                return "gone", f"the platform says the content is gone ({marker!r})"
    if len(text.strip()) < EMPTY_PAGE and not has_pictures:
        return "empty", "the page rendered no text and no pictures"
    if status >= 500:
        return "failed", f"HTTP {status}"
    return "page", ""


class _CertificateInvalid(Exception):
    pass


REFUSED_BY = "refused by the address policy:"


def _why(reason: str, detail: str) -> str:
    """A failed capture's reason for what the policy or the guard said."""
    if reason.startswith("refused_"):
        return f"{REFUSED_BY} {detail}"
    return f"no page: {detail}"


def _problem(url: str, answer: Answer) -> str:
    said = REFUSED_BY if answer.refused else "not fetched:"
    return f"{said} {url[:200]}: {answer.detail}"[:400]


def _first_line(message: str) -> str:
    return (message or "").strip().splitlines()[0][:300] if message else "error"


async def _quietly(awaitable: Any) -> None:
    with contextlib.suppress(PlaywrightError):
        await awaitable


async def _wait(awaitable: Any) -> bool:
    try:
        await awaitable
        return True
    except PlaywrightError:
        return False


async def _step(awaitable: Any, what: str, problems: list[str], limit: float = 30.0) -> Any:
    """One snapshot step; a failure or a page that holds it past ``limit``
    seconds is a problem noted, and the capture goes on without that part."""
    try:
        return await asyncio.wait_for(awaitable, limit)
    except PlaywrightError as exc:
        problems.append(f"{what} not taken: {_first_line(exc.message)}")
    except TimeoutError:
        problems.append(f"{what} not taken: the page held it past {limit:g} s")
    return None


async def _all_text(page: Page, limit: float, problems: list[str]) -> str:
    """The visible text of the page and of its frames (an ad may be framed)."""
    parts: list[str] = []
    for n, frame in enumerate(page.frames):
        what = "visible text" if n == 0 else f"text of frame {frame.url}"
        text = await _step(frame.inner_text("body", timeout=limit * 1000), what, problems, limit)
        if text:
            parts.append(str(text))
        if sum(map(len, parts)) > MAX_TEXT:
            problems.append(f"visible text cut at {MAX_TEXT} characters")
            break
    return "\n".join(parts)[:MAX_TEXT]


async def _content_height(page: Page) -> int:
    cdp = await page.context.new_cdp_session(page)
    try:
        metrics = await cdp.send("Page.getLayoutMetrics")
    finally:
        await _quietly(cdp.detach())
    return int((metrics.get("cssContentSize") or {}).get("height", 0))


async def _has_document(page: Page) -> bool:
    """Whether a navigation that did not finish still left a page of the site
    (not about:blank, not Chromium's own error page)."""
    if page.url.startswith(("about:", "chrome-error:")):
        return False
    try:
        return bool(await page.evaluate("() => !!document.body"))
    except PlaywrightError:
        return False


async def _mhtml(page: Page) -> str:
    cdp = await page.context.new_cdp_session(page)
    try:
        snapshot = await cdp.send("Page.captureSnapshot", {"format": "mhtml"})
    finally:
        await _quietly(cdp.detach())
    return str(snapshot.get("data", ""))


def _document(exchanges: list[Exchange], url: str) -> Exchange | None:
    """The main frame's document at ``url`` (never a frame's, never a guess)."""
    for ex in exchanges:
        if ex.main_frame and ex.resource_type == "document" and not ex.redirected_to and (
            ex.url == url
        ):
            return ex
    return None


def _redirects(
    response: PlaywrightResponse | None, exchanges: list[Exchange]
) -> list[dict[str, Any]]:
    """The chain of redirects that led to the document, first hop first."""
    if response is None:
        return []
    hops = []
    request = response.request.redirected_from
    while request is not None:
        seen = next((e for e in exchanges if e.url == request.url and e.redirected_to), None)
        hops.append(
            {
                "url": request.url,
                "status": seen.status if seen else 0,
                "location": request.redirected_to.url if request.redirected_to else "",
            }
        )
        request = request.redirected_from
    return list(reversed(hops))


_IMAGE_EXT = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/svg+xml": "svg",
    "image/avif": "avif",
    "image/x-icon": "ico",
    "image/vnd.microsoft.icon": "ico",
}


def _images(
    exchanges: list[Exchange], limit: int, problems: list[str]
) -> dict[str, tuple[bytes, str]]:
    found: dict[str, tuple[bytes, str]] = {}
    seen: set[str] = set()
    for ex in exchanges:
        if not ex.media_type.startswith("image/") or not ex.body:
            continue
        digest = hashlib.sha256(ex.body).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        if len(found) >= limit:
            problems.append(f"more than {limit} pictures; the rest are only in the WARC")
            break
        ext = _IMAGE_EXT.get(ex.media_type, "bin")
        found[f"images/{len(found) + 1:02d}-{digest[:12]}.{ext}"] = (ex.body, ex.media_type)
    return found


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if not parts.hostname:
        return "", 0
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
