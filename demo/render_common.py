"""HTML helpers shared by the channel renderers, and the index page.

Ad text is hostile: every piece of it goes through `esc`, so markup in an ad
shows as literal text and never runs.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from demo.model import DemoWeb


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def page(title: str, body: str, *, head: str = "", charset: bool = True) -> str:
    """A complete HTML document; `title` is escaped here, `body` must be ready."""
    meta = '<meta charset="utf-8">' if charset else ""
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head>{meta}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title>{head}</head>\n<body>\n{body}\n</body></html>\n"
    )


def search_url(query: str, pn: int = 0) -> str:
    return "/s?" + urlencode({"wd": query, "pn": pn})


def video_search_url(query: str) -> str:
    return "/douyin/search?" + urlencode({"keyword": query})


def market_search_url(query: str, page_number: int = 1) -> str:
    return "/goofish/search?" + urlencode({"q": query, "page": page_number})


def index_page(
    web: DemoWeb, twins: list[tuple[str, str, list[tuple[str, str]]]] | None = None
) -> str:
    """Links to the three channel entry points and every query, then each
    twin's (``twins``: platform, name, [(query, url)], from demo.twins)."""

    def links(urls: list[tuple[str, str]]) -> str:
        return "".join(f'<li><a href="{esc(u)}">{esc(q)}</a></li>' for q, u in urls)

    body = (
        "<h1>adwatch demo web</h1>"
        f"<p>seed {web.seed}, size {web.size}: a simulated web of three channels.</p>"
        '<h2><a id="channel-search" href="/s">搜索 (search)</a></h2>'
        f'<ul class="queries" data-channel="search">'
        f"{links([(q.query, search_url(q.query)) for q in web.search])}</ul>"
        '<h2><a id="channel-video" href="/douyin/search">短视频 (video)</a></h2>'
        f'<ul class="queries" data-channel="video">'
        f"{links([(q.query, video_search_url(q.query)) for q in web.video])}</ul>"
        '<h2><a id="channel-market" href="/goofish/search">二手市场 (market)</a></h2>'
        f'<ul class="queries" data-channel="market">'
        f"{links([(q.query, market_search_url(q.query)) for q in web.market])}</ul>"
    )
    for platform, name, urls in twins or []:
        body += (
            f'<h2 id="platform-{esc(platform)}">{esc(name)}</h2>'
            f'<ul class="queries" data-platform="{esc(platform)}">{links(urls)}</ul>'
        )
    return page("adwatch demo web", body)


def not_found() -> str:
    return page("404 Not Found", "<h1>404</h1><p>页面不存在</p>")
