"""Sogou WeChat search (搜狗微信) twin, in the shape public parsers document for
weixin.sogou.com.

- Articles are searched at ``/weixin?type=2&query=Q&page=N`` (searxng
  searx/engines/sogou_wechat.py); each result is an ``li`` whose id starts with
  ``sogou_vr_``, with ``h3 > a`` (title; the link is a relative
  ``/link?url=...`` redirect), ``p.txt-info`` (the summary), ``div.img-box img``
  (a thumbnail) and a ``timeConvert('unix seconds')`` script for the date.  The
  account's name is shown in ``div.s-p``.
- The redirect leads to the article on mp.weixin.qq.com (``/s?__biz=..&mid=..
  &idx=..&sn=..``), whose text sits in ``div#js_content`` under
  ``h1#activity-name`` with the account in ``#js_name``.  The twin answers a 302;
  the live /link page may instead build the target in a script.
- The next page is ``a#sogou_next``.  Too many requests end on
  ``weixin.sogou.com/antispider/`` (public Sogou WeChat crawlers test for it).
"""

from __future__ import annotations

import random
from urllib.parse import urlencode

from demo.build_common import Registry
from demo.render_common import esc, page
from demo.twins import _build
from demo.twins._common import Answer, first, html, img, number, redirect
from demo.twins._pages import article_page
from demo.twins.model import Hit, Twin

PLATFORM = "demo-sogou-wechat"
PREFIX = "/sogou"
SEARCH_PATH = f"{PREFIX}/weixin"
LINK_PATH = f"{PREFIX}/link"
ARTICLE_PATH = f"{PREFIX}/mp/s"
QUERIES = ("债务优化", "全额退保")
SIZES = ((5, 3), (5,))


def build(reg: Registry, rng: random.Random, size: int) -> Twin:
    twin = Twin(PLATFORM, "search", [])

    def make(query: str, number: int, slot: int) -> Hit:
        sn = _build.ident(reg, rng, "", 32, _build.HEX)
        item = _build.hit(reg, rng, query, sn, account=True)
        twin.hits[sn] = item
        twin.tokens[item.token] = sn
        return item

    twin.queries = _build.batches(rng, _build.queries_of(QUERIES, size), SIZES, make)
    return twin


def record_url(item: Hit) -> str:
    return f"{LINK_PATH}?" + urlencode({"url": item.token, "type": 2})


def article_url(item: Hit) -> str:
    biz = f"Mz{int(item.hit_id[:8], 16) % 10**9:09d}=="
    return f"{ARTICLE_PATH}?" + urlencode(
        {"__biz": biz, "mid": str(int(item.hit_id[8:16], 16)), "idx": 1, "sn": item.hit_id}
    )


def search_url(query: str, page_number: int = 1) -> str:
    return f"{SEARCH_PATH}?" + urlencode(
        {"type": 2, "query": query, "page": page_number, "ie": "utf8"}
    )


def answer(
    twin: Twin, method: str, path: str, qs: dict[str, list[str]], body: bytes, base: str
) -> Answer | None:
    if path == SEARCH_PATH:
        query = first(qs, "query").strip()
        return html(_results(twin, query, number(first(qs, "page"), 1), base))
    if path == LINK_PATH:
        item = twin.hits.get(twin.tokens.get(first(qs, "url"), ""))
        return redirect(base + article_url(item)) if item else None
    if path == ARTICLE_PATH:
        item = twin.hits.get(first(qs, "sn"))
        return html(article_page(item, base)) if item else None
    return None


def _result(item: Hit, n: int, base: str) -> str:
    link = esc(record_url(item))
    thumb = (
        f'<div class="img-box"><a data-z="art" target="_blank" href="{link}">'
        f'<img src="{esc(img(base, item.images[0]))}"></a></div>'
        if item.images
        else ""
    )
    return (
        f'<li id="sogou_vr_11002601_box_{n}" d="ab735a258a90e8e1-{item.hit_id[:16]}">{thumb}'
        f'<div class="txt-box"><h3><a target="_blank" href="{link}" '
        f'id="sogou_vr_11002601_title_{n}">{esc(item.title)}</a></h3>'
        f'<p class="txt-info" id="sogou_vr_11002601_summary_{n}">{esc(item.snippet)}</p>'
        f'<div class="s-p" t="{item.created}"><span class="all-time-y2">{esc(item.site)}</span>'
        f"<span class=\"s2\"><script>document.write(timeConvert('{item.created}'))</script>"
        "</span></div></div></li>"
    )


def _results(twin: Twin, query: str, number: int, base: str) -> str:
    found = twin.query(query)
    pages = found.pages if found else []
    hits: list[Hit] = pages[number - 1] if 1 <= number <= len(pages) else []
    items = "".join(_result(h, n, base) for n, h in enumerate(hits))
    pager = ""
    if number < len(pages):
        nxt = "?" + urlencode({"query": query, "type": 2, "page": number + 1, "ie": "utf8"})
        pager = (
            '<div class="p-fy" id="pagebar_container">'
            f'<a id="sogou_next" href="{esc(nxt)}" class="np">下一页</a></div>'
        )
    script = (
        "<script>function timeConvert(t){var d=new Date(t*1000);"
        "return d.getFullYear()+'-'+(d.getMonth()+1)+'-'+d.getDate();}</script>"
    )
    body = (
        f'{script}<div class="header-box"><input id="query" value="{esc(query)}"></div>'
        f'<div class="news-box"><ul class="news-list">{items}</ul>{pager}</div>'
    )
    return page(f"{query}的相关微信公众号文章 – 搜狗微信搜索", body)
