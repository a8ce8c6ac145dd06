"""URL -> response for the simulated web, independent of the HTTP plumbing.

Rendered pages are cached (keyed by the Host they were built for, since
absolute URLs inside them use it, and for record pages by their takedown
revision); what differs per response is filled into the cached copy as it is
sent (``Response.fill``): the login widget of search pages, which depends on
the request's session cookie, and the per-impression tokens of paid search
results.  Hit counts per URL drive the captcha that blocks only a first
request.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo import (
    capture_cases,
    hostile,
    render_market,
    render_search,
    render_video,
    soft_blocks,
    twins,
)
from demo.images import ImageStore
from demo.model import DemoWeb, Listing
from demo.render_common import index_page, not_found, search_url
from demo.takedown import PageKey, PageStates, page_key

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
TWIN_PAGE = "twin"  # PageKey kind of a twin's page: ("twin", path?query)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: Iterator[bytes] | None = None  # sent instead of body when set
    length: int | None = None  # Content-Length of the stream
    delay: float = 0.0  # seconds to wait before answering
    interval: float = 0.0  # seconds to wait between chunks of the stream
    fill: bool = False  # the body holds slots filled per response (login widget, paid tokens)


@dataclass(frozen=True)
class Request:
    """What a route may need of the request beyond its path and query."""

    method: str = "GET"
    cookies: dict[str, str] = field(default_factory=dict)
    form: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""  # as sent (a JSON API call: the twins' GraphQL and note search)

    @classmethod
    def parse(cls, method: str = "GET", cookie: str = "", body: bytes = b"") -> Request:
        jar: dict[str, str] = {}
        if cookie:
            parsed: SimpleCookie = SimpleCookie()
            with contextlib.suppress(CookieError):
                parsed.load(cookie)
            jar = {name: morsel.value for name, morsel in parsed.items()}
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) if body else {}
        return cls(method.upper(), jar, form, body)


def html(text: str, status: int = 200) -> Response:
    return Response(status, text.encode("utf-8"))


def filled_html(text: str) -> Response:
    """An HTML page with slots (soft_blocks.LOGIN_SLOT, paid-result tokens)."""
    return Response(200, text.encode("utf-8"), fill=True)


def as_json(data: Any) -> Response:
    return Response(200, json.dumps(data, ensure_ascii=False).encode("utf-8"), JSON)


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(302, b"", HTML, [("Location", location), *(headers or [])])


_LOGIN_SLOT = soft_blocks.LOGIN_SLOT.encode("utf-8")
_PAID_SLOT = re.compile(
    re.escape(render_search.PAID_SLOT_PREFIX).encode()
    + rb"([A-Za-z0-9_-]+)"
    + re.escape(render_search.PAID_SLOT_SUFFIX).encode()
)
MAX_PAID_TOKENS = 200_000  # impressions remembered for /baidu.php (oldest forgotten)


class Router:
    def __init__(self, web: DemoWeb, slow_seconds: float = 20.0, max_cached: int = 50_000) -> None:
        self.web = web
        self.slow_seconds = slow_seconds
        self.images = ImageStore(web.images)
        self._cache: OrderedDict[tuple[str, ...], Response] = OrderedDict()
        self._max_cached = max_cached
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()
        self._transient = {t.key for t in web.transient}
        self.pages = PageStates()
        self.sessions = soft_blocks.Sessions()
        self._paid: OrderedDict[str, str] = OrderedDict()  # impression token -> target
        self._seller_items: dict[str, list[Listing]] = {}
        for item in web.listings.values():
            self._seller_items.setdefault(item.seller_id, []).append(item)
        self._exact: dict[str, Callable[[dict[str, list[str]], str], Response]] = {
            "/": lambda qs, base: self._cached(
                ("index",), lambda: html(index_page(web, twins.entry_points(web.twins)))
            ),
            "/robots.txt": lambda qs, base: Response(
                200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8"
            ),
            "/s": self._search,
            "/link": self._link,
            render_search.PAID_PATH: self._paid_link,
            soft_blocks.WAPPASS_PATH: lambda qs, base: html(
                soft_blocks.wappass_page(_first(qs, "backurl"))
            ),
            "/loop/a": lambda qs, base: redirect(f"{base}/loop/b"),
            "/loop/b": lambda qs, base: redirect(f"{base}/loop/a"),
            "/douyin/search": self._video_shell,
            "/aweme/v1/web/search/item/": self._video_api,
            "/goofish/search": self._market_shell,
            soft_blocks.PUNISH_PATH: lambda qs, base: html(
                soft_blocks.punish_page(_first(qs, "x5secdata"))
            ),
            soft_blocks.MINI_LOGIN_PATH: lambda qs, base: html(
                soft_blocks.mini_login_page(_first(qs, "redirectURL"))
            ),
            "/item": self._item,
            "/user": self._user,
            "/punish": lambda qs, base: html(hostile.captcha_page()),
            capture_cases.WX_PATH: lambda qs, base: html(capture_cases.wx_page(_first(qs, "id"))),
            capture_cases.DOWNLOAD_PATH: lambda qs, base: _download(),
            capture_cases.STALL_PATH: lambda qs, base: self._stall(),
        }
        # routes that read the request itself (cookies, a POSTed form)
        self._with_request: dict[
            str, Callable[[dict[str, list[str]], str, str, Request], Response]
        ] = {
            soft_blocks.LOGIN_PATH: self._login,
            soft_blocks.LOGOUT_PATH: self._logout,
            soft_blocks.MEMBER_ITEM_PATH: self._member_item,
            render_market.API_PATH: self._market_api,
            render_market.SHADE_PATH: self._shade_api,
        }

    # --- bookkeeping --------------------------------------------------------

    def hit(self, key: str) -> int:
        """Count one request for `key`; returns the count including this one."""
        with self._lock:
            self._hits[key] += 1
            return self._hits[key]

    def hits(self, key: str) -> int:
        with self._lock:
            return self._hits[key]

    def reset_hits(self) -> None:
        with self._lock:
            self._hits.clear()

    def _cached(self, key: tuple[str, ...], build: Callable[[], Response]) -> Response:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        made = build()
        with self._lock:
            self._cache[key] = made
            if len(self._cache) > self._max_cached:
                self._cache.popitem(last=False)
        return made

    # --- takedowns and edits ------------------------------------------------------

    def resolve(self, url_or_path: str) -> PageKey:
        """The record page a URL or path names; ValueError unless it is a
        landing, video or item page of this web, or a page a twin answers
        (keyed by its path and query as asked for)."""
        key = page_key(url_or_path)
        pages: dict[str, dict[str, Any]] = {
            "landing": self.web.landings,
            "video": self.web.videos,
            "item": self.web.listings,
        }
        if key is not None and key[1] in pages[key[0]]:
            return key
        twin = self._twin_key(url_or_path)
        if twin is None:
            raise ValueError(f"not a landing, video or item page of this web: {url_or_path!r}")
        return twin

    def _twin_key(self, url_or_path: str) -> PageKey | None:
        parts = urlsplit(url_or_path.strip())
        if not parts.path.startswith(twins.PREFIXES):
            return None
        qs = parse_qs(parts.query, keep_blank_values=True)
        if twins.answer(self.web.twins, "GET", parts.path, qs, b"", "http://demo") is None:
            return None
        return TWIN_PAGE, parts.path + (f"?{parts.query}" if parts.query else "")

    def take_down(self, url_or_path: str) -> None:
        self.pages.take_down(self.resolve(url_or_path))

    def edit(self, url_or_path: str, new_text: str) -> None:
        key = self.resolve(url_or_path)
        if key[0] == TWIN_PAGE:
            raise ValueError(f"a twin's page can be taken down, not edited: {url_or_path!r}")
        self.pages.edit(key, new_text)

    def restore(self, url_or_path: str) -> None:
        self.pages.restore(self.resolve(url_or_path))

    # --- dispatch -------------------------------------------------------------

    def handle(self, target: str, host: str, request: Request | None = None) -> Response:
        """The response for a request target (path + query) sent with Host
        `host`; `request` carries its method, cookies and form, if any."""
        request = request or Request()
        parts = urlsplit(target)
        path = parts.path
        self.hit(target)
        qs = parse_qs(parts.query, keep_blank_values=True)
        base = f"http://{host}"
        special = self._with_request.get(path)
        if special is not None:
            resp = special(qs, base, target, request)
        elif (route := self._exact.get(path)) is not None:
            resp = route(qs, base)
        elif path.startswith("/l/"):
            resp = self._landing(path[3:], base)
        elif path.startswith("/video/"):
            resp = self._video_page(path[7:], base)
        elif path.startswith("/img/"):
            resp = self._image(path[5:])
        elif path.startswith(twins.PREFIXES) and self.pages.get((TWIN_PAGE, target))[1]:
            resp = html(render_search.removed_page(), 404)  # taken down while served
        elif path.startswith(twins.PREFIXES) and (
            found := twins.answer(self.web.twins, request.method, path, qs, request.body, base)
        ):
            resp = Response(*found)
        else:
            resp = html(not_found(), 404)
        return self._fill(resp, request) if resp.fill else resp

    # --- per-response slots and sessions -----------------------------------------

    def logged_in(self, request: Request) -> bool:
        return self.sessions.valid(request.cookies.get(soft_blocks.SESSION_COOKIE))

    def expire_sessions(self) -> None:
        """Forget every issued session: the next request with one is logged out."""
        self.sessions.expire_all()

    def _fill(self, resp: Response, request: Request) -> Response:
        body = resp.body.replace(_LOGIN_SLOT, soft_blocks.login_widget(self.logged_in(request)))
        if _PAID_SLOT.search(body):
            body = _PAID_SLOT.sub(self._impression, body)
        return replace(resp, body=body, fill=False)

    def _impression(self, match: re.Match[bytes]) -> bytes:
        """A fresh token for one paid result's link on one rendering."""
        target = self.web.tokens.get(match.group(1).decode())
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._paid[token] = target or ""
            while len(self._paid) > MAX_PAID_TOKENS:
                self._paid.popitem(last=False)
        return token.encode()

    def _paid_link(self, qs: dict[str, list[str]], base: str) -> Response:
        with self._lock:
            target = self._paid.get(_first(qs, "url"))
        if not target:
            return html(not_found(), 404)
        return redirect(base + target)

    def _login(
        self, qs: dict[str, list[str]], base: str, target: str, request: Request
    ) -> Response:
        if request.method != "POST":
            return html(soft_blocks.login_page(_first(qs, "next")))
        form = request.form
        user, password = _first(form, "user").strip(), _first(form, "password")
        next_url = _first(form, "next") or _first(qs, "next")
        if not user or not password:
            return html(soft_blocks.login_page(next_url, failed=True))
        token = self.sessions.issue()
        return redirect(
            soft_blocks.safe_next(next_url), [("Set-Cookie", soft_blocks.set_cookie(token))]
        )

    def _logout(
        self, qs: dict[str, list[str]], base: str, target: str, request: Request
    ) -> Response:
        self.sessions.revoke(request.cookies.get(soft_blocks.SESSION_COOKIE))
        return redirect(
            soft_blocks.safe_next(_first(qs, "next")),
            [("Set-Cookie", soft_blocks.clear_cookie())],
        )

    def _member_item(
        self, qs: dict[str, list[str]], base: str, target: str, request: Request
    ) -> Response:
        """A listing page for members only: the listing with a valid session,
        else 302 to the login form, which comes back here."""
        if not self.logged_in(request):
            return redirect(soft_blocks.login_redirect(target))
        return self._item(qs, base)

    # --- search ---------------------------------------------------------------

    def _search(self, qs: dict[str, list[str]], base: str) -> Response:
        query = _first(qs, "wd").strip()
        if not query:
            return self._cached(("search-home",), lambda: filled_html(render_search.home_page()))
        if query == soft_blocks.BAIDU_CAPTCHA:
            return redirect(soft_blocks.wappass_url(base, base + search_url(query)))
        pn = max(0, _int(_first(qs, "pn"), 0))
        blocked = render_search.blocked_from(self.web, query)
        if blocked is not None and pn // 10 + 1 >= blocked:
            return html(hostile.captcha_page())
        return self._cached(
            ("serp", base, query, str(pn)),
            lambda: filled_html(render_search.results_page(self.web, query, pn, base)),
        )

    def _link(self, qs: dict[str, list[str]], base: str) -> Response:
        target = self.web.tokens.get(_first(qs, "url"))
        if target is None:
            return html(not_found(), 404)
        return redirect(base + target)

    def _landing(self, landing_id: str, base: str) -> Response:
        landing = self.web.landings.get(landing_id)
        if landing is None:
            return html(not_found(), 404)
        revision, gone, text = self.pages.get(("landing", landing_id))
        if gone:
            return self._cached(
                ("landing-removed",), lambda: html(render_search.removed_page(), 404)
            )
        if text is not None:
            landing = replace(landing, paragraphs=_paragraphs(text))
        if landing.hostile == "huge":
            head, tail = render_search.huge_landing_parts(landing)
            length, chunks = hostile.huge_body(head, tail, self.web.huge_bytes)
            return Response(200, b"", HTML, stream=chunks, length=length)
        made = self._cached(
            ("landing", landing_id, revision),
            lambda: Response(
                200,
                render_search.landing_page(landing),
                "text/html" if landing.encoding != "utf-8" else HTML,
            ),
        )
        if landing.hostile == "slow":
            return Response(made.status, made.body, made.content_type, delay=self.slow_seconds)
        return made

    # --- video ----------------------------------------------------------------

    def _video_shell(self, qs: dict[str, list[str]], base: str) -> Response:
        keyword = _first(qs, "keyword").strip()
        return self._cached(
            ("vshell", keyword), lambda: filled_html(render_video.search_shell(keyword))
        )

    def _video_api(self, qs: dict[str, list[str]], base: str) -> Response:
        keyword = _first(qs, "keyword").strip()
        offset = max(0, _int(_first(qs, "offset"), 0))
        count = _int(_first(qs, "count"), 10)
        return self._cached(
            ("vapi", base, keyword, str(offset), str(count)),
            lambda: as_json(render_video.search_api(self.web, keyword, offset, count, base)),
        )

    def _video_page(self, aweme_id: str, base: str) -> Response:
        video = self.web.videos.get(aweme_id)
        if video is None:
            return html(not_found(), 404)
        revision, gone, text = self.pages.get(("video", aweme_id))
        if gone:  # 200, like the real site: only the content says it is gone
            return self._cached(("video-removed",), lambda: html(render_video.removed_page()))
        return self._cached(
            ("video", base, aweme_id, revision),
            lambda: html(render_video.video_page(video, base, desc=text)),
        )

    # --- market ---------------------------------------------------------------

    def _blocked_once(self, keyword: str, number: int) -> bool:
        """True on the first request of a transiently blocked market page
        (shell or API, whichever comes first)."""
        key = f"market:{keyword}:{number}"
        return key in self._transient and self.hit(key) == 1

    def _market_shell(self, qs: dict[str, list[str]], base: str) -> Response:
        keyword = _first(qs, "q").strip()
        number = max(1, _int(_first(qs, "page"), 1))
        if self._blocked_once(keyword, number):
            return html(hostile.captcha_page())
        return self._cached(
            ("mshell", keyword, str(number)),
            lambda: filled_html(render_market.search_shell(keyword, number)),
        )

    def _market_api(
        self, qs: dict[str, list[str]], base: str, target: str, request: Request
    ) -> Response:
        """The mtop search call: its ``data`` in the POSTed form (as the live
        page sends it) or in the query string."""
        parsed = render_market.parse_request(_first(request.form, "data") or _first(qs, "data"))
        if parsed is None:
            return as_json(render_market.api_error())
        keyword, number = parsed
        keyword = keyword.strip()
        if self._blocked_once(keyword, number):
            return as_json(hostile.mtop_block(base, f"market:{keyword}:{number}"))
        return self._cached(
            ("mapi", base, keyword, str(number)),
            lambda: as_json(render_market.search_api(self.web, keyword, number, base)),
        )

    def _shade_api(
        self, qs: dict[str, list[str]], base: str, target: str, request: Request
    ) -> Response:
        raw = _first(request.form, "data") or _first(qs, "data")
        return as_json(render_market.shade_api(_mtop_keyword(raw)))

    def _item(self, qs: dict[str, list[str]], base: str) -> Response:
        item = self.web.listings.get(_first(qs, "id"))
        if item is None:
            return html(not_found(), 404)
        revision, gone, text = self.pages.get(("item", item.item_id))
        if gone:  # 200, like the real site
            return self._cached(("item-removed",), lambda: html(render_market.removed_page()))
        if text is not None:
            item = replace(item, desc=text)
        seller = self.web.sellers[item.seller_id]
        return self._cached(
            ("item", item.item_id, revision),
            lambda: html(render_market.item_page(item, seller)),
        )

    def _user(self, qs: dict[str, list[str]], base: str) -> Response:
        seller = self.web.sellers.get(_first(qs, "id"))
        if seller is None:
            return html(not_found(), 404)
        items = self._seller_items.get(seller.seller_id, [])
        return self._cached(
            ("user", seller.seller_id), lambda: html(render_market.user_page(seller, items))
        )

    # --- capture cases ------------------------------------------------------------

    def _stall(self) -> Response:
        """The never_loads sub-resource: a byte a second for about slow_seconds."""
        length, chunks = capture_cases.stall_body(self.slow_seconds)
        return Response(
            200,
            b"",
            "application/javascript; charset=utf-8",
            [("Cache-Control", "no-store")],
            stream=chunks,
            length=length,
            interval=capture_cases.STALL_INTERVAL,
        )

    # --- images ---------------------------------------------------------------

    def _image(self, name: str) -> Response:
        found = self.images.get(name)
        if found is None:
            return Response(404, b"not found", "text/plain; charset=utf-8")
        body, ctype = found
        return Response(200, body, ctype, [("Cache-Control", "max-age=86400")])


def _download() -> Response:
    return Response(
        200,
        capture_cases.apk_bytes(),
        capture_cases.APK_TYPE,
        [("Content-Disposition", f'attachment; filename="{capture_cases.DOWNLOAD_NAME}"')],
    )


def _paragraphs(text: str) -> list[str]:
    """An edited page's text, one paragraph a non-empty line."""
    return [line for line in text.splitlines() if line.strip()] or [text]


def _mtop_keyword(raw: str) -> str:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return ""
    keyword = data.get("keyword") if isinstance(data, dict) else None
    return keyword.strip() if isinstance(keyword, str) else ""


def _first(qs: dict[str, list[str]], name: str) -> str:
    values = qs.get(name)
    return values[0] if values else ""


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default
