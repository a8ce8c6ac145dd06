"""What keeps the workbench safe: the session secret, CSRF tokens, the
Content-Security-Policy and other headers, and a brake on password guessing.

The pages show text written by the gangs adwatch watches, so the policy
assumes a page may one day carry their markup despite the escaping: no inline
script or style is allowed at all, only the app's own files; frames only from
the app itself (the WACZ replay), nothing may frame the app, forms post only
to it.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Script from the app only; workers and frames too (ReplayWeb.page's service
# worker and its replay iframe are served by the app); pictures may also be
# data:/blob: URLs (ECharts' exported images, replay thumbnails).
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "frame-src 'self'",
        "child-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
# The replay page and ReplayWeb.page's own frame: its interface sets inline
# styles and reads its icons from data: URLs.  Those pages show no ad text of
# their own (the replayed page runs inside the service worker's sandbox, under
# ReplayWeb.page's policy), so inline style there cannot be ad-made.
REPLAY_CSP = (
    CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    .replace("connect-src 'self'", "connect-src 'self' data:")
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


def session_secret(folder: Path) -> str:
    """The key that signs session cookies: ADWATCH_WEB_SECRET, or one made at
    the first start and kept (owner-only) in ``folder``, so that a restart
    keeps people logged in and a second workbench on another folder does not
    accept this one's cookies."""
    given = os.environ.get("ADWATCH_WEB_SECRET", "")
    if given:
        if len(given) < 32:
            raise ValueError("ADWATCH_WEB_SECRET must have at least 32 characters")
        return given
    path = folder / "session.key"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token (made on first use): every form carries it."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_ok(session: MutableMapping[str, Any], sent: str | None) -> bool:
    token = session.get(CSRF_FIELD)
    return bool(isinstance(token, str) and sent and hmac.compare_digest(token, sent))


class SecurityHeaders:
    """ASGI middleware adding HEADERS to every response, and no-store to pages
    (a shared computer's back button must not show a logged-out analyst's
    review queue)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LoginBrake:
    """At most ``attempts`` failed logins per ``window`` seconds for one client
    address and for one user name; past that, logins wait.  In memory: a
    restart forgets, which a guesser cannot use to go faster than restarts."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, *keys: str) -> int:
        """Seconds until a login for these keys may be tried (0: now)."""
        now = time.monotonic()
        longest = 0.0
        with self._lock:
            for key in keys:
                times = self._failures.get(key)
                if not times:
                    continue
                while times and now - times[0] > self.window:
                    times.popleft()
                if len(times) >= self.attempts:
                    longest = max(longest, self.window - (now - times[0]))
        return int(longest) + 1 if longest else 0

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 10_000:  # a flood of names: forget the oldest half
                for key in list(self._failures)[:5_000]:
                    del self._failures[key]
            for key in keys:
                self._failures.setdefault(key, deque(maxlen=self.attempts * 2)).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

