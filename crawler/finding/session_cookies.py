"""A platform's login for plain HTTP requests too, not only for the browser.

A profile's ``session.storage_state`` (Playwright's storage state, what
``adwatch login`` saves) and ``session.cookies`` (a cookie file: the same JSON,
a JSON list of cookies, or a Netscape ``cookies.txt`` as browser extensions
export) reach the browser contexts of the platform; before this, pages fetched
without the browser (``render: false``: result pages, detail pages, JSON lists)
went out logged out.  ``SessionCookiesMiddleware`` takes the place of Scrapy's
cookie middleware: each platform with a session gets a cookie jar of its own
(``meta["cookiejar"]``), filled once from those files, so the cookies are sent
only where their domain and path allow, and what the site sets on the way is
kept in the same jar.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware

from crawler.finding.profiles import ProfileError, SiteProfile

logger = logging.getLogger(__name__)

JAR_PREFIX = "session:"
_HTTPONLY = "#HttpOnly_"


def _cookie(raw: dict[str, Any]) -> Cookie:
    """One cookie of Playwright's JSON form (name, value, domain, path,
    expires in Unix seconds or -1, secure, httpOnly)."""
    domain = str(raw["domain"])
    expires = raw.get("expires")
    expiry = int(expires) if isinstance(expires, int | float) and expires > 0 else None
    return Cookie(
        version=0,
        name=str(raw["name"]),
        value=str(raw["value"]),
        port=None,
        port_specified=False,
        domain=domain,
        domain_specified=domain.startswith("."),
        domain_initial_dot=domain.startswith("."),
        path=str(raw.get("path") or "/"),
        path_specified=True,
        secure=bool(raw.get("secure")),
        expires=expiry,
        discard=expiry is None,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": ""} if raw.get("httpOnly") else {},
    )


def read_cookies(path: Path) -> list[Cookie]:
    """The cookies of a storage-state file, a JSON cookie list or a Netscape
    cookies.txt; a file that is none of them is an error naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the session file: {exc.strerror}") from None
    stripped = text.lstrip()
    if stripped[:1] in "{[":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ProfileError(f"{path}: not valid JSON: {exc}") from None
        entries = data.get("cookies", []) if isinstance(data, dict) else data
        try:
            return [_cookie(c) for c in entries]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ProfileError(f"{path}: a cookie lacks name, value or domain: {exc!r}") from None
    return _netscape(path, text)


def _netscape(path: Path, text: str) -> list[Cookie]:
    """A Netscape cookies.txt: tab-separated domain, subdomains flag, path,
    secure, expiry (0: a session cookie), name, value; ``#HttpOnly_`` before a
    domain (curl's and browser exports' mark) keeps the line a cookie."""
    cookies: list[Cookie] = []
    for number, line in enumerate(text.splitlines(), start=1):
        http_only = line.startswith(_HTTPONLY)
        line = line[len(_HTTPONLY) :] if http_only else line
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) != 7 or not fields[4].strip().lstrip("-").isdigit():
            raise ProfileError(
                f"{path} line {number}: neither JSON nor a Netscape cookies.txt line "
                "(domain, flag, path, secure, expiry, name, value, tab-separated)"
            )
        domain, _flag, where, secure, expires, name, value = fields
        cookies.append(
            _cookie(
                {
                    "name": name,
                    "value": value,
                    "domain": domain,
                    "path": where,
                    "secure": secure.upper() == "TRUE",
                    "expires": int(expires),
                    "httpOnly": http_only,
                }
            )
        )
    return cookies


def session_files(profile: SiteProfile) -> list[Path]:
    return [Path(p).expanduser() for p in (profile.storage_state, profile.cookies_file) if p]


class SessionCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookie middleware, with each session platform's cookies in a
    jar of its own, filled from its profile's session files."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._seeded: set[str] = set()

    def process_request(self, request: Request) -> Any:  # type: ignore[override]
        profile = self._profile(request)
        if profile is not None and session_files(profile):
            key = JAR_PREFIX + profile.name
            request.meta.setdefault("cookiejar", key)
            if key not in self._seeded:
                self._seeded.add(key)
                self._seed(key, profile)
        return super().process_request(request)

    def _profile(self, request: Request) -> SiteProfile | None:
        name = request.meta.get("adwatch_platform")
        profiles: dict[str, SiteProfile] = getattr(self.crawler.spider, "profiles", {})
        return profiles.get(name) if name else None

    def _seed(self, key: str, profile: SiteProfile) -> None:
        cookies: list[Cookie] = []
        for path in session_files(profile):
            if not path.exists():
                logger.warning("%s: session file %s does not exist", profile.name, path)
                continue
            try:
                cookies += read_cookies(path)
            except ProfileError as exc:
                logger.error("%s: %s", profile.name, exc)
        _fill(self.jars[key].jar, cookies)
        logger.info("%s: %d session cookies for plain requests", profile.name, len(cookies))


def _fill(jar: Any, cookies: Iterable[Cookie]) -> None:
    for cookie in cookies:
        jar.set_cookie(cookie)
