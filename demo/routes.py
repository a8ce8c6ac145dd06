"""URL -> response for the simulated web, independent of the HTTP plumbing.

Rendered pages are cached (keyed by the Host they were built for, since
absolute URLs inside them use it, and for record pages by their takedown
revision); hit counts per URL drive the captcha that blocks only a first
request.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo import capture_cases, hostile, render_market, render_search, render_video, twins
from demo.images import ImageStore
from demo.model import DemoWeb, Listing
from demo.render_common import index_page, not_found
from demo.takedown import PageKey, PageStates, page_key

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"


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


def html(text: str, status: int = 200) -> Response:
    return Response(status, text.encode("utf-8"))


def as_json(data: Any) -> Response:
    return Response(200, json.dumps(data, ensure_ascii=False).encode("utf-8"), JSON)


def redirect(location: str) -> Response:
    return Response(302, b"", HTML, [("Location", location)])


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
        self._seller_items: dict[str, list[Listing]] = {}
        for item in web.listings.values():
            self._seller_items.setdefault(item.seller_id, []).append(item)
        self._exact: dict[str, Callable[[dict[str, list[str]], str], Response]] = {
            "/": lambda qs, base: self._cached(("index",), lambda: html(index_page(web))),
            "/robots.txt": lambda qs, base: Response(
                200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8"
            ),
            "/s": self._search,
            "/link": self._link,
            "/loop/a": lambda qs, base: redirect(f"{base}/loop/b"),
            "/loop/b": lambda qs, base: redirect(f"{base}/loop/a"),
            "/douyin/search": self._video_shell,
            "/aweme/v1/web/search/item/": self._video_api,
            "/goofish/search": self._market_shell,
            render_market.API_PATH: self._market_api,
            "/item": self._item,
            "/user": self._user,
            "/punish": lambda qs, base: html(hostile.captcha_page()),
            capture_cases.WX_PATH: lambda qs, base: html(capture_cases.wx_page(_first(qs, "id"))),
            capture_cases.DOWNLOAD_PATH: lambda qs, base: _download(),
            capture_cases.STALL_PATH: lambda qs, base: self._stall(),
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
        landing, video or item page of this web."""
        key = page_key(url_or_path)
        pages: dict[str, dict[str, Any]] = {
            "landing": self.web.landings,
            "video": self.web.videos,
            "item": self.web.listings,
        }
        if key is None or key[1] not in pages[key[0]]:
            raise ValueError(f"not a landing, video or item page of this web: {url_or_path!r}")
        return key

    def take_down(self, url_or_path: str) -> None:
        self.pages.take_down(self.resolve(url_or_path))

    def edit(self, url_or_path: str, new_text: str) -> None:
        self.pages.edit(self.resolve(url_or_path), new_text)

    def restore(self, url_or_path: str) -> None:
        self.pages.restore(self.resolve(url_or_path))

    # --- dispatch -------------------------------------------------------------

    def handle(self, target: str, host: str) -> Response:
        """The response for a request target (path + query) sent with Host `host`."""
        parts = urlsplit(target)
        path = parts.path
        self.hit(target)
        qs = parse_qs(parts.query, keep_blank_values=True)
        base = f"http://{host}"
        route = self._exact.get(path)
        if route is not None:
            return route(qs, base)
        if path.startswith("/l/"):
            return self._landing(path[3:], base)
        if path.startswith("/video/"):
            return self._video_page(path[7:], base)
        if path.startswith("/img/"):
            return self._image(path[5:])
        if path.startswith(twins.PREFIXES) and (
            found := twins.answer(self.web.twins, "GET", path, qs, b"", base)
        ):
            return Response(*found)
        return html(not_found(), 404)

    # --- search ---------------------------------------------------------------

    def _search(self, qs: dict[str, list[str]], base: str) -> Response:
        query = _first(qs, "wd").strip()
        if not query:
            return self._cached(("search-home",), lambda: html(render_search.home_page()))
        pn = max(0, _int(_first(qs, "pn"), 0))
        blocked = render_search.blocked_from(self.web, query)
        if blocked is not None and pn // 10 + 1 >= blocked:
            return html(hostile.captcha_page())
        return self._cached(
            ("serp", base, query, str(pn)),
            lambda: html(render_search.results_page(self.web, query, pn, base)),
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
        return self._cached(("vshell", keyword), lambda: html(render_video.search_shell(keyword)))

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
            lambda: html(render_market.search_shell(keyword, number)),
        )

    def _market_api(self, qs: dict[str, list[str]], base: str) -> Response:
        parsed = render_market.parse_request(_first(qs, "data"))
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


def _first(qs: dict[str, list[str]], name: str) -> str:
    values = qs.get(name)
    return values[0] if values else ""


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default
