"""Weibo (微博) twin, in the shape public crawlers document for m.weibo.cn.

- Search is a JSON URL a plain client reads (no page to render):
  ``/api/container/getIndex?containerid=100103type=1&q=Q&page_type=searchall&page=N``
  (MediaCrawler media_platform/weibo/client.py, get_note_by_keyword; the
  containerid is URL-encoded as one parameter).  The answer is ``{ok: 1, data{
  cardlistInfo{page (the next page, null at the end), total}, cards[]}}``.
- Posts are the cards of ``card_type`` 9, at the top level or inside a
  ``card_group`` of another card (MediaCrawler media_platform/weibo/help.py,
  filter_search_result_card); other cards (related topics, users) are not posts.
- A post is ``mblog{id, mid, text (HTML: links, <br />, emoticon images),
  created_at ("Sat Jul 29 10:00:00 +0800 2023"), user{id, screen_name,
  profile_url}, pics[]{url, large{url}}, region_name, isLongText}``
  (MediaCrawler store/weibo reads these; ``re.sub(r"<.*?>", "", text)`` shows the
  text is HTML).  A long post's text is cut in the list, ending with a 全文 link.
- A post's page ``/detail/{mid}`` carries ``var $render_data = [{status: {...}}][0]
  || {};`` (MediaCrawler client.py get_note_info_by_id reads it with a regex) with
  the whole text.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode

from demo import content
from demo.build_common import Registry
from demo.render_common import esc, page
from demo.twins import _build
from demo.twins._common import Answer, as_json, first, html, img, number, script_json
from demo.twins.model import Post, Twin

PLATFORM = "demo-weibo"
PREFIX = "/weibo"
API_PATH = f"{PREFIX}/api/container/getIndex"
DETAIL_PATH = f"{PREFIX}/detail/"
QUERIES = ("代理投诉", "信用卡逾期")
SIZES = ((5, 3), (5,))
LONG_TEXT = 60  # longer posts are cut in the list (isLongText) and whole on their page
_CST = timezone(timedelta(hours=8))


def build(reg: Registry, rng: random.Random, size: int) -> Twin:
    twin = Twin(PLATFORM, "video", [])

    def make(query: str, number: int, slot: int) -> Post:
        mid = _build.ident(reg, rng, "49", 16, "0123456789")
        uid = _build.ident(reg, rng, "7", 10, "0123456789")
        item = _build.post(reg, rng, query, mid, uid, comments=False, cover_size=(720, 720))
        twin.posts[mid] = item
        return item

    twin.queries = _build.batches(rng, _build.queries_of(QUERIES, size), SIZES, make)
    return twin


def record_url(item: Post) -> str:
    return f"{DETAIL_PATH}{item.post_id}"


def search_url(query: str, page_number: int = 1) -> str:
    return f"{API_PATH}?" + urlencode(
        {"containerid": f"100103type=1&q={query}", "page_type": "searchall", "page": page_number}
    )


def answer(
    twin: Twin, method: str, path: str, qs: dict[str, list[str]], body: bytes, base: str
) -> Answer | None:
    if path == API_PATH:
        inner = parse_qs(first(qs, "containerid").partition("type=1&")[2])
        return as_json(_search(twin, first(inner, "q").strip(), number(first(qs, "page"), 1), base))
    if path.startswith(DETAIL_PATH):
        item = twin.posts.get(path[len(DETAIL_PATH) :])
        return html(_detail_page(item, base)) if item else None
    return None


def created_at(seconds: int) -> str:
    """Weibo's own time format, in China time: ``Sat Jul 29 10:00:00 +0800 2023``."""
    return datetime.fromtimestamp(seconds, UTC).astimezone(_CST).strftime("%a %b %d %H:%M:%S %z %Y")


def _html_text(text: str, mid: str, cut: bool) -> str:
    """The post's text as Weibo writes it: HTML-escaped, a line break where the
    first space was, a 全文 link when the list cuts a long post."""
    shown = text[:LONG_TEXT] if cut else text
    out = esc(shown).replace(" ", "<br />", 1)
    if cut:
        out += f'...<a href="/status/{mid}">全文</a>'
    return out


def _mblog(item: Post, base: str, whole: bool) -> dict[str, Any]:
    long = len(item.text) > LONG_TEXT
    return {
        "id": item.post_id,
        "mid": item.post_id,
        "created_at": created_at(item.created),
        "text": _html_text(item.text, item.post_id, long and not whole),
        "textLength": len(item.text.encode("utf-8")),
        "isLongText": long,
        "source": "微博 weibo.com",
        "user": {
            "id": int(item.author_id),
            "screen_name": item.author_name,
            "profile_url": f"https://m.weibo.cn/u/{item.author_id}?uid={item.author_id}",
            "verified": False,
        },
        "pic_num": len(item.images),
        "pics": [
            {"pid": name.split(".")[0], "url": img(base, name), "large": {"url": img(base, name)}}
            for name in item.images
        ],
        "region_name": f"发布于 {content.PROVINCES[item.created % len(content.PROVINCES)]}",
        "reposts_count": item.created % 50,
        "comments_count": item.created % 80,
        "attitudes_count": item.created % 300,
    }


def _search(twin: Twin, query: str, number: int, base: str) -> dict[str, Any]:
    found = twin.query(query)
    pages = found.pages if found else []
    posts = pages[number - 1] if 1 <= number <= len(pages) else []
    cards: list[dict[str, Any]] = [
        {"card_type": 9, "itemid": f"seqid:{p.post_id}", "mblog": _mblog(p, base, False)}
        for p in posts[:2]
    ]
    if posts[2:]:  # the rest in a group card, as the live answer nests some posts
        cards.append(
            {
                "card_type": 11,
                "card_group": [{"card_type": 9, "mblog": _mblog(p, base, False)} for p in posts[2:]]
                + [{"card_type": 17, "desc": "相关搜索", "title_sub": f"{query} 怎么办"}],
            }
        )
    if number == 1 and posts:  # a topic card: not a post
        cards.insert(1, {"card_type": 4, "desc": f"#{query}# 话题", "scheme": "sinaweibo://"})
    return {
        "ok": 1 if found else 0,
        "data": {
            "cardlistInfo": {
                "containerid": f"100103type=1&q={query}",
                "page": number + 1 if number < len(pages) else None,
                "total": sum(len(p) for p in pages),
            },
            "cards": cards,
        },
    }


# What m.weibo.cn's own script does with $render_data: draws the post in #app (the
# page has no server-rendered text, so a browser capture sees only what this draws).
_DRAW = (
    "<script>(function () {"
    "var s = $render_data.status || {}; var app = document.getElementById('app');"
    "var who = document.createElement('h3'); who.className = 'm-text-cut';"
    "who.textContent = (s.user || {}).screen_name || ''; app.appendChild(who);"
    "var text = document.createElement('div'); text.className = 'weibo-text';"
    "text.innerHTML = s.text || ''; app.appendChild(text);"
    "(s.pics || []).forEach(function (p) {"
    "var i = document.createElement('img'); i.src = p.url; app.appendChild(i); });"
    "})();</script>"
)


def _detail_page(item: Post, base: str) -> str:
    render = [{"status": _mblog(item, base, True), "call": "1", "hotScheme": ""}]
    body = (
        f'<div id="app"></div><script>var $render_data = {script_json(render)}[0] || {{}};</script>'
        + _DRAW
    )
    return page("微博正文 - 微博HTML5版", body)
