"""Bing China (必应) twin, in the shape public parsers document for bing.com/search.

- Results are ``ol#b_results > li.b_algo``, each with ``h2 > a`` (title and link)
  and the snippet in ``.b_caption p`` (searxng searx/engines/bing.py; its
  ``<span class="algoSlug_icon">`` sits inside that ``p``), the displayed URL in
  ``.b_attribution cite``.
- Paging: ``first=1, 11, 21 ...`` ((page - 1) * 10 + 1) with ``FORM=PERE`` from page
  2 on (searxng bing.py ``_page_offset``); the next-page link is ``a.sb_pagN``.
- Paid results sit in ``li.b_ad`` blocks (public ad blockers hide ``.b_ad``;
  andpalmier/seads cmd/seads/bing.go reads ``li.b_adTop`` links), each with an
  ad label; their links go through Bing's ``/aclk`` redirect.  Organic links are
  direct here; the live site may wrap them in ``/ck/a?...&u=a1<base64url>``
  (searxng bing.py decodes it), which a profile cannot decode.
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

PLATFORM = "demo-bing"
PREFIX = "/bing"
SEARCH_PATH = f"{PREFIX}/search"
ACLK_PATH = f"{PREFIX}/aclk"
LANDING_PATH = f"{PREFIX}/l/"
QUERIES = ("网贷逾期怎么办", "停息挂账")
SIZES = ((5, 3), (5,))
PAGE_SIZE = 10  # what `first` steps by, whatever a page shows


def build(reg: Registry, rng: random.Random, size: int) -> Twin:
    return _build.engine_twin(reg, rng, size, PLATFORM, QUERIES, SIZES)


def record_url(item: Hit) -> str:
    if item.sponsored:
        return f"{ACLK_PATH}?" + urlencode({"ld": item.token})
    return f"{LANDING_PATH}{item.hit_id}"


def search_url(query: str) -> str:
    return f"{SEARCH_PATH}?" + urlencode({"q": query, "first": 1})


def answer(
    twin: Twin, method: str, path: str, qs: dict[str, list[str]], body: bytes, base: str
) -> Answer | None:
    if path == SEARCH_PATH:
        query = first(qs, "q").strip()
        offset = number(first(qs, "first"), 1)
        return html(_results(twin, query, (max(offset, 1) - 1) // PAGE_SIZE + 1, base))
    if path == ACLK_PATH:
        hit_id = twin.tokens.get(first(qs, "ld"))
        return redirect(f"{base}{LANDING_PATH}{hit_id}?msclkid=demo") if hit_id else None
    if path.startswith(LANDING_PATH):
        item = twin.hits.get(path[len(LANDING_PATH) :])
        return html(landing_page(item, base)) if item else None
    return None


def _ad(item: Hit, base: str) -> str:
    return (
        '<li class="b_adLastChild"><div class="sb_add sb_adTA">'
        f'<h2><a href="{esc(base + record_url(item))}" h="ID=SERP,5000.1">{esc(item.title)}</a>'
        '</h2><div class="b_caption"><div class="b_attribution">'
        f'<cite>{esc(item.site)}</cite><span class="b_adSlug b_opttxt b_divdef">广告</span>'
        f"</div><p>{esc(item.snippet)}</p></div></div></li>"
    )


def _organic(item: Hit, n: int, base: str) -> str:
    href = esc(base + record_url(item))
    return (
        f'<li class="b_algo" data-bm="{n}"><div class="b_tpcn"><a class="tilk" href="{href}">'
        f'<div class="tptt">{esc(item.site)}</div><div class="b_attribution"><cite>https://{esc(item.site)}</cite></div></a></div>'
        f'<h2><a target="_blank" href="{href}" h="ID=SERP,5{n:03d}.1">{esc(item.title)}</a></h2>'
        '<div class="b_caption"><p class="b_lineclamp2">'
        f'<span class="algoSlug_icon" data-priority="2">网页</span>{esc(item.snippet)}</p>'
        "</div></li>"
    )


def _results(twin: Twin, query: str, number: int, base: str) -> str:
    found = twin.query(query)
    pages = found.pages if found else []
    hits: list[Hit] = pages[number - 1] if 1 <= number <= len(pages) else []
    paid = [h for h in hits if h.sponsored]
    parts = []
    if paid:
        ads = "".join(_ad(h, base) for h in paid)
        parts.append(f'<li class="b_ad b_adTop"><ul>{ads}</ul></li>')
    parts += [_organic(h, n, base) for n, h in enumerate(hits) if not h.sponsored]
    if number < len(pages):
        nxt = f"{SEARCH_PATH}?" + urlencode(
            {"q": query, "first": number * PAGE_SIZE + 1, "FORM": "PERE"}
        )
        parts.append(
            '<li class="b_pag"><nav role="navigation"><ul class="sb_pagF">'
            f'<li><a class="sb_pagN sb_pagN_bp" href="{esc(nxt)}" title="下一页">下一页</a></li>'
            "</ul></nav></li>"
        )
    first_shown = (number - 1) * PAGE_SIZE + 1
    body = (
        '<header id="b_header"><form id="sb_form"><input id="sb_form_q" name="q" '
        f'value="{esc(query)}"></form></header><main aria-label="搜索结果"><div id="b_content">'
        f'<div id="b_tween"><span class="sb_count">{first_shown}-{first_shown + len(hits) - 1} '
        f"共 {sum(len(p) for p in pages)} 条结果</span></div>"
        f'<ol id="b_results">{"".join(parts)}</ol></div></main>'
    )
    return page(f"{query} - 搜索", body)
