"""ReplayWeb.page replays a capture's WACZ in real Chromium, offline, from the
files the workbench vendors, under a strict Content-Security-Policy and behind
a login cookie: what the workbench's replay page must do, proved here first.

A page of a loopback site is captured by adwatch's own capture; a small
Starlette app (uvicorn, like the workbench) serves an embedding page, the
vendored ui.js and sw.js and the WACZ; Chromium opens it; the captured text
must appear in the frame ReplayWeb.page draws, with no request reaching the
captured site again.

The recipe (replaywebpage 2.5.3; this test follows it and asserts what a
point does not say was only seen):

- Files: ui.js and sw.js from one folder, served as JavaScript (on a loopback
  host ui.js fetches sw.js before registering it and gives up unless its
  Content-Type says javascript).  That folder is ``replaybase``: the service
  worker is registered at ``replaybase + "sw.js"`` with scope ``replaybase``,
  its own folder, so no Service-Worker-Allowed header is needed.  ui.js is
  loaded by a classic ``<script src>`` (not a module, not injected: it reads
  ``document.currentScript`` to load itself into its frame).
- Element: ``<replay-web-page source="/blob/<WACZ sha256>" url="<captured
  URL>" replaybase="/static/vendor/replaywebpage/" embed="replayonly">``.
  ``source``: the WACZ, same origin, any path (no ``.wacz`` needed), sent as
  application/octet-stream (the zip is recognised by its bytes); ``url``:
  the page to open (the one in the WACZ's pages.jsonl); ``embed="replayonly"``:
  the page alone, no ReplayWeb.page toolbar.  Size it from a stylesheet, e.g.
  ``replay-web-page { display: block; height: 80vh }`` (a style attribute is
  blocked by ``style-src 'self'``).
- The folder's index: the first time a browser meets the service worker,
  ReplayWeb.page's frame (``replaybase + "?source=..."``) may load before the
  worker controls it and so reach the server.  Answer GET ``replaybase`` (any
  query) with :data:`REPLAY_INDEX`, the markup the worker itself serves there.
  A 404 instead stalls the replay when the worker takes control between that
  answer and the frame's load event (seen on a loaded machine).  In Starlette:
  a Route for that path before the ``/static`` Mount.  Until the worker has
  control, that frame's questions about the archive (``replaybase + "w/..."``)
  reach the server too: they must get a 404 ("not loaded yet"), as the
  ``/static`` Mount answers, never a login page.
- CSP (:data:`CSP`, sent on every response, sw.js included: the workers take
  their policy from their script's response): ``script-src 'self'``,
  ``worker-src 'self'``, ``connect-src 'self'`` (ui.js fetches sw.js; the
  workers fetch the WACZ), ``frame-src 'self'``.  Nothing else: no
  'unsafe-inline', 'unsafe-eval', 'wasm-unsafe-eval', data: or blob:.  The
  replayed page is served by the service worker into a frame of its own, with
  ReplayWeb.page's own policy (which keeps it off the live web), not the
  app's.  Under the app's policy the server-answered index (above) logs
  blocked inline styles of ReplayWeb.page's own interface: seen harmless with
  ``embed="replayonly"``.
- Secure context: http://127.0.0.1 is one, so the service worker runs without
  TLS.  By the standard so are localhost and [::1], and no other plain-http
  host is: ReplayWeb.page shows only an error there (not tried here).
- Login: the workers' fetches of the WACZ carry the session cookie (HttpOnly,
  SameSite=Strict here), so the WACZ stays behind the login.  The workbench's
  /blob answer (application/octet-stream, attachment, ``sandbox`` CSP,
  private cache) is served as is; ReplayWeb.page asks with ``Range:
  bytes=0-`` and takes the 206 of Starlette's FileResponse.
- Left in the browser (seen, not asserted): ReplayWeb.page keeps what it read
  of the archive in the origin's storage under the source URL, so a second
  visit asks the server nothing, and it stays there after a logout (a logout
  answer with ``Clear-Site-Data: "storage"`` would drop it).  The source URL
  must never name other bytes later: a digest does not.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from PIL import Image
from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crawler.interfaces.web.vendor import VENDOR
from evidence.capture import Capturer, CaptureSettings, Target
from evidence.netpolicy import origin_entry
from loopback.server import LOOPBACK, free_port

pytestmark = pytest.mark.browser

AD = "逾期先别还，当天停催，加V: tc8888"
REPLAY_BASE = "/static/vendor/replaywebpage/"
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "worker-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
# the workbench's other headers, which replay must live with
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-opener-policy": "same-origin",
}
REPLAY_INDEX = (
    '<!doctype html><html><head><script src="./ui.js"></script></head>'
    "<body><replay-app-main></replay-app-main></body></html>"
)
COOKIE = "session"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (90, 60), "#c00000").save(out, "PNG")
    return out.getvalue()


AD_PAGES = {
    "/ad": (
        "text/html; charset=utf-8",
        f"<html><body><h1 id=ad>{AD}</h1><img id=pic src='/pic.png'></body></html>".encode(),
    ),
    "/pic.png": ("image/png", _png()),
}


class _AdSite(BaseHTTPRequestHandler):
    """The page captured: an ad and its picture.  Counts what it is asked."""

    def do_GET(self) -> None:
        self.server.asked.append(self.path)  # type: ignore[attr-defined]
        media, body = AD_PAGES.get(self.path, ("text/plain", b"no such page"))
        self.send_response(200 if self.path in AD_PAGES else 404)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ad_site() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer((LOOPBACK, 0), _AdSite)
    httpd.daemon_threads = True
    httpd.asked = []  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _base(httpd: ThreadingHTTPServer) -> str:
    return f"http://{LOOPBACK}:{httpd.server_address[1]}"


@pytest.fixture(scope="module")
def wacz(ad_site: ThreadingHTTPServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ad page captured as adwatch captures evidence, its WACZ kept by digest."""
    base = _base(ad_site)
    settings = CaptureSettings(
        navigation_timeout=10, load_wait=2, settle=2, allow_hosts=(origin_entry(base),)
    )

    async def capture() -> bytes:
        async with Capturer(settings) as capturer:
            cap = await capturer.capture(Target(base + "/ad"))
        assert cap.outcome == "page", cap.reason
        return cap.artifacts["network.wacz"][0]

    data = asyncio.run(capture())
    path = tmp_path_factory.mktemp("blobs") / hashlib.sha256(data).hexdigest()
    path.write_bytes(data)
    return path


class _Headers:
    """Every response gets HEADERS (the workbench's SecurityHeaders, in short)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = {k.lower() for k, _v in message["headers"]}
                message["headers"] = list(message["headers"]) + [
                    (k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in given
                ]
            await send(message)

        await self.app(scope, receive, send_with)


class Bench:
    """What the workbench will serve for a replay, on a free loopback port."""

    def __init__(self, wacz: Path, captured_url: str) -> None:
        self.token = secrets.token_urlsafe(16)
        self.asked: list[tuple[str, str, bool, int]] = []  # method, path, had cookie, status
        self.wacz, self.captured_url = wacz, captured_url
        app = Starlette(
            routes=[
                Route("/login", self.login),
                Route("/ad", self.ad_page),
                Route("/bench.css", self.css),
                Route(REPLAY_BASE, self.replay_index),
                Route("/blob/{digest}", self.blob, methods=["GET", "HEAD"]),
                Mount("/static/vendor", StaticFiles(directory=VENDOR)),
            ]
        )
        self.port = free_port()
        config = uvicorn.Config(
            self._logged(_Headers(app)), host=LOOPBACK, port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _logged(self, app: ASGIApp) -> ASGIApp:
        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            cookie = self._signed_in(Request(scope))

            async def send_logged(message: Message) -> None:
                if message["type"] == "http.response.start":
                    self.asked.append((scope["method"], scope["path"], cookie, message["status"]))
                await send(message)

            await app(scope, receive, send_logged)

        return logged

    def _signed_in(self, request: Request) -> bool:
        return request.cookies.get(COOKIE) == self.token

    async def login(self, request: Request) -> Response:
        response = PlainTextResponse("signed in")
        response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
        return response

    async def css(self, request: Request) -> Response:
        return Response(
            "replay-web-page { display: block; width: 1000px; height: 600px }",
            media_type="text/css",
        )

    async def ad_page(self, request: Request) -> Response:
        if not self._signed_in(request):
            return PlainTextResponse("log in", status_code=403)
        source = f"/blob/{self.wacz.name}"
        return HTMLResponse(
            "<!doctype html><html><head><meta charset=utf-8>"
            '<link rel="stylesheet" href="/bench.css">'
            f'<script src="{REPLAY_BASE}ui.js"></script></head><body>'
            f'<replay-web-page source="{html.escape(source)}"'
            f' url="{html.escape(self.captured_url)}"'
            f' replaybase="{REPLAY_BASE}" embed="replayonly"></replay-web-page>'
            "</body></html>",
            headers={"cache-control": "no-store"},
        )

    async def replay_index(self, request: Request) -> Response:
        return HTMLResponse(REPLAY_INDEX)

    async def blob(self, request: Request) -> Response:
        """As the workbench's /blob answers a file that is not a picture."""
        if not self._signed_in(request):
            return PlainTextResponse("log in", status_code=403)
        if request.path_params["digest"] != self.wacz.name:
            return PlainTextResponse("no such file", status_code=404)
        return FileResponse(
            self.wacz,
            media_type="application/octet-stream",
            filename=f"{self.wacz.name[:16]}.bin",
            headers={
                "content-security-policy": "sandbox; default-src 'none'",
                "cache-control": "private, max-age=86400",
            },
        )

    def __enter__(self) -> Bench:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test bench did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _replayed(page: Any) -> Any:
    """The captured page, two frames down: ReplayWeb.page's, then the replay's."""
    return page.frame_locator("replay-web-page iframe").frame_locator("replay-app-main iframe")


def test_a_capture_replays_offline_under_the_csp_behind_the_login(
    wacz: Path, ad_site: ThreadingHTTPServer
) -> None:
    captured = _base(ad_site) + "/ad"
    ad_site.asked.clear()  # type: ignore[attr-defined]
    with Bench(wacz, captured) as bench, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            context = browser.new_context()
            worker_log: list[str] = []
            context.on(
                "serviceworker",
                lambda w: w.on("console", lambda m: worker_log.append(m.text)),
            )
            page = context.new_page()
            page.on("worker", lambda w: w.on("console", lambda m: worker_log.append(m.text)))
            # CSP violations of the embedding page itself (the app's document)
            page.add_init_script(
                "if (window === window.top) { window.violations = [];"
                " document.addEventListener('securitypolicyviolation', e =>"
                " window.violations.push(e.violatedDirective + ' ' + e.blockedURI)) }"
            )
            page.goto(bench.url + "/login")
            page.goto(bench.url + "/ad")

            replayed = _replayed(page)
            replayed.get_by_text(AD).wait_for(timeout=45_000)
            assert replayed.locator("#ad").inner_text() == AD
            picture = replayed.locator("#pic")
            assert picture.evaluate("img => img.complete && img.naturalWidth") == 90

            assert page.evaluate("window.isSecureContext") is True
            scope = page.evaluate(
                f"navigator.serviceWorker.getRegistration('{REPLAY_BASE}').then(r => r.scope)"
            )
            assert scope == bench.url + REPLAY_BASE
            assert page.evaluate("window.violations") == []
            assert page.evaluate("document.cookie") == ""  # HttpOnly: only the browser sends it
            assert not [line for line in worker_log if "Content Security Policy" in line]

            # a second visit: the worker answers the folder's index itself
            index_asked = sum(1 for a in bench.asked if a[1] == REPLAY_BASE)
            page.reload()
            _replayed(page).get_by_text(AD).wait_for(timeout=30_000)
            assert sum(1 for a in bench.asked if a[1] == REPLAY_BASE) == index_asked
        finally:
            browser.close()

    archive = [a for a in bench.asked if a[1] == f"/blob/{wacz.name}"]
    assert archive, bench.asked
    assert all(had_cookie and status in (200, 206) for _m, _p, had_cookie, status in archive)
    # before the worker controls its frame, ReplayWeb.page's first question about the
    # archive (under replaybase + "w/") may reach the server: its 404 means "not loaded yet"
    refused = [
        a
        for a in bench.asked
        if a[3] >= 400 and a[1] != "/favicon.ico" and not a[1].startswith(REPLAY_BASE + "w/")
    ]
    assert refused == [], bench.asked
    # offline: the captured site was not asked again, the page came from the WACZ
    assert ad_site.asked == []  # type: ignore[attr-defined]
