"""360 Search (360搜索, www.so.com) twin, in the shape public parsers document.

- Results are ``li.res-list`` in ``ul.result``, each with ``h3.res-title > a``; the
  link is 360's redirect and the real URL sits in the link's ``data-mdurl``
  (searxng searx/engines/360search.py reads ``data-mdurl`` first, then ``href``);
  the snippet is ``p.res-desc``, the displayed site a ``cite`` in
  ``p.res-linkinfo``.
- Paging: ``/s?q=Q&pn=N``, N the page number from 1 (searxng 360search.py); the
  next-page link is ``a#snext``.
- Paid results come first in ``ul#e_idea_pp``; their title links have class
  ``e_haosou_fw_bg_title`` and carry the advertiser's page in ``e-landurl``
  (public 360 ad scripts click ``#e_idea_pp li a[e-landurl]`` and read
  ``a.e_haosou_fw_bg_title``; ad-blocking userscripts hide ``#e_idea_pp``).
"""

from __future__ import annotations

import random
from urllib.parse import urlencode

from demo.build_common import Registry
from demo.render_common import esc, page
from demo.twins import _build
from demo.twins._common import Answer, first, html, number, redirect
from demo.twins._pages import landing_page
from demo.twins.model import Hit, Twin

PLATFORM = "demo-so360"
PREFIX = "/so"
SEARCH_PATH = f"{PREFIX}/s"
LINK_PATH = f"{PREFIX}/link"
CLICK_PATH = f"{PREFIX}/clk"
LANDING_PATH = f"{PREFIX}/l/"
AD_SOURCE = "?src=360_ad"  # how the advertiser's page tells a paid visit
QUERIES = ("征信修复", "逾期协商")
SIZES = ((5, 3), (5,))


def build(reg: Registry, rng: random.Random, size: int) -> Twin:
    return _build.engine_twin(reg, rng, size, PLATFORM, QUERIES, SIZES)


def record_url(item: Hit) -> str:
    return f"{LANDING_PATH}{item.hit_id}" + (AD_SOURCE if item.sponsored else "")


def search_url(query: str, page_number: int = 1) -> str:
    return f"{SEARCH_PATH}?" + urlencode({"q": query, "pn": page_number})


def answer(
    twin: Twin, method: str, path: str, qs: dict[str, list[str]], body: bytes, base: str
) -> Answer | None:
    if path == SEARCH_PATH:
        return html(_results(twin, first(qs, "q").strip(), number(first(qs, "pn"), 1), base))
    if path in (LINK_PATH, CLICK_PATH):
        hit_id = twin.tokens.get(first(qs, "m"))
        item = twin.hits.get(hit_id or "")
        return redirect(base + record_url(item)) if item else None
    if path.startswith(LANDING_PATH):
        item = twin.hits.get(path[len(LANDING_PATH) :])
        return html(landing_page(item, base)) if item else None
    return None


def _ad(item: Hit, base: str) -> str:
    click = f"{base}{CLICK_PATH}?" + urlencode({"m": item.token})
    return (
        f'<li class="e_idea_li"><h3><a class="e_haosou_fw_bg_title" href="{esc(click)}" '
        f'e-landurl="{esc(base + record_url(item))}">{esc(item.title)}</a></h3>'
        f'<p class="e_desc">{esc(item.snippet)}</p>'
        f'<p class="e_linkinfo"><cite>{esc(item.site)}</cite>'
        '<span class="e_tag">广告</span></p></li>'
    )


def _organic(item: Hit, base: str) -> str:
    link = f"{base}{LINK_PATH}?" + urlencode({"m": item.token})
    return (
        '<li class="res-list" data-lazyload="1"><h3 class="res-title">'
        f'<a href="{esc(link)}" data-mdurl="{esc(base + record_url(item))}" target="_blank">'
        f"{esc(item.title)}</a></h3>"
        f'<p class="res-desc">{esc(item.snippet)}</p>'
        f'<p class="res-linkinfo"><cite>{esc(item.site)}</cite></p></li>'
    )


def _results(twin: Twin, query: str, number: int, base: str) -> str:
    found = twin.query(query)
    pages = found.pages if found else []
    hits: list[Hit] = pages[number - 1] if 1 <= number <= len(pages) else []
    paid = "".join(_ad(h, base) for h in hits if h.sponsored)
    organic = "".join(_organic(h, base) for h in hits if not h.sponsored)
    pager = ""
    if number < len(pages):
        nxt = search_url(query, number + 1)
        pager = f'<div id="page"><a id="snext" href="{esc(nxt)}">下一页&gt;</a></div>'
    body = (
        f'<div id="header"><input id="keyword" name="q" value="{esc(query)}"></div>'
        '<div id="container"><div id="main">'
        + (f'<ul id="e_idea_pp" class="e_idea_pp">{paid}</ul>' if paid else "")
        + f'<ul class="result">{organic}</ul>{pager}</div></div>'
    )
    return page(f"{query}_360搜索", body)
