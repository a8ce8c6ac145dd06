"""Xiaohongshu (小红书) twin, in the shape public crawlers document for
www.xiaohongshu.com.

- The search page (live ``/search_result?keyword=Q``) is a JavaScript shell that
  POSTs ``/api/sns/web/v1/search/notes`` with ``{keyword, page, page_size: 20,
  search_id, sort: "general", note_type: 0}`` (MediaCrawler
  media_platform/xhs/client.py, get_note_by_keyword; live on edith.xiaohongshu.com).
- The answer is ``{code, success, msg, data{has_more, items[]}}``; items of
  ``model_type`` "rec_query" or "hot_query" are suggestions, not notes (MediaCrawler
  media_platform/xhs/core.py skips them); a note item is ``{id, model_type: "note",
  xsec_token, note_card{type, display_title, user{user_id, nickname, avatar},
  cover{url_default, url_pre}, interact_info{liked_count}}}``.  More pages come as
  the reader scrolls, while ``has_more`` is true.
- A note's page is ``/explore/{id}?xsec_token=..&xsec_source=pc_search``
  (MediaCrawler builds that URL); it carries ``window.__INITIAL_STATE__={...}``, a
  JavaScript object literal with ``undefined`` where JSON has null
  (MediaCrawler media_platform/xhs/extractor.py replaces them before parsing), whose
  ``note.noteDetailMap[id].note`` holds ``title``, ``desc``, ``user{userId,
  nickname}``, ``imageList[]{urlDefault}``, ``time`` (ms) and ``ipLocation``.
"""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import urlencode

from demo import content
from demo.build_common import TOKEN_CHARS, Registry
from demo.render_common import esc, page
from demo.twins import _build
from demo.twins._common import Answer, as_json, body_json, first, html, img, script_json
from demo.twins.model import Post, Twin

PLATFORM = "demo-xiaohongshu"
PREFIX = "/xhs"
SEARCH_PATH = f"{PREFIX}/search_result"
API_PATH = f"{PREFIX}/api/sns/web/v1/search/notes"
NOTE_PATH = f"{PREFIX}/explore/"
QUERIES = ("债务协商", "退保")
SIZES = ((5, 3), (5,))
TITLE_LIMIT = 20  # a note's display_title is its title, not its whole text


def build(reg: Registry, rng: random.Random, size: int) -> Twin:
    twin = Twin(PLATFORM, "video", [])

    def make(query: str, number: int, slot: int) -> Post:
        note_id = _build.ident(reg, rng, "6", 24, _build.HEX)
        user_id = _build.ident(reg, rng, "5", 24, _build.HEX)
        item = _build.post(
            reg,
            rng,
            query,
            note_id,
            user_id,
            comments=False,
            title_limit=TITLE_LIMIT,
            cover_size=(600, 800),
        )
        alnum = [c for c in TOKEN_CHARS if c.isalnum()]
        item.token = "AB" + "".join(rng.choice(alnum) for _ in range(42))
        twin.posts[note_id] = item
        return item

    twin.queries = _build.batches(rng, _build.queries_of(QUERIES, size), SIZES, make)
    return twin


def record_url(item: Post) -> str:
    return f"{NOTE_PATH}{item.post_id}?" + urlencode(
        {"xsec_token": item.token, "xsec_source": "pc_search"}
    )


def search_url(query: str) -> str:
    return f"{SEARCH_PATH}?" + urlencode({"keyword": query, "source": "web_explore_feed"})


def answer(
    twin: Twin, method: str, path: str, qs: dict[str, list[str]], body: bytes, base: str
) -> Answer | None:
    if path == SEARCH_PATH:
        return html(_shell(first(qs, "keyword")))
    if path == API_PATH:
        if method != "POST":
            return 405, b"", "text/plain; charset=utf-8", [("Allow", "POST")]
        return as_json(_search(twin, body_json(body), base))
    if path.startswith(NOTE_PATH):
        item = twin.posts.get(path[len(NOTE_PATH) :])
        return html(_note_page(item, base)) if item else None
    return None


def _search(twin: Twin, request: dict[str, Any], base: str) -> dict[str, Any]:
    found = twin.query(str(request.get("keyword") or "").strip())
    pages = found.pages if found else []
    asked = request.get("page")
    number = asked if isinstance(asked, int) else 1
    items: list[dict[str, Any]] = []
    if 1 <= number <= len(pages):
        items = [_note_item(item, base) for item in pages[number - 1]]
    if number == 1 and found:  # related searches ride along in the first page
        items.insert(
            min(2, len(items)),
            {
                "id": f"{found.query}#rec",
                "model_type": "rec_query",
                "rec_query": {"title": "相关搜索", "queries": [{"name": f"{found.query} 攻略"}]},
            },
        )
    return {
        "code": 0,
        "success": True,
        "msg": "成功",
        "data": {"has_more": number < len(pages), "items": items},
    }


def _note_item(item: Post, base: str) -> dict[str, Any]:
    cover = img(base, item.images[0])
    return {
        "id": item.post_id,
        "model_type": "note",
        "xsec_token": item.token,
        "note_card": {
            "type": "normal",
            "display_title": item.title,
            "user": {
                "user_id": item.author_id,
                "nickname": item.author_name,
                "nick_name": item.author_name,
                "avatar": "",
            },
            "interact_info": {"liked": False, "liked_count": str(item.created % 997)},
            "cover": {"url_default": cover, "url_pre": cover, "width": 600, "height": 800},
            "corner_tag_info": [{"type": "publish_time", "text": "3天前"}],
        },
    }


_UNDEFINED_SLOT = '"__undefined__"'


def _state(item: Post, base: str) -> str:
    """``window.__INITIAL_STATE__``'s literal: JSON, with ``undefined`` values
    where the live page has them."""
    note = {
        "noteId": item.post_id,
        "type": "normal",
        "title": item.title,
        "desc": item.text,
        "user": {"userId": item.author_id, "nickname": item.author_name, "avatar": ""},
        "imageList": [
            {"urlDefault": img(base, name), "width": 600, "height": 800, "livePhoto": False}
            for name in item.images
        ],
        "tagList": [],
        "time": item.created * 1000,
        "lastUpdateTime": item.created * 1000,
        "ipLocation": content.PROVINCES[item.created % len(content.PROVINCES)],
        "interactInfo": {"likedCount": str(item.created % 997), "relation": "none"},
        "shareInfo": {"unShare": False},
        "video": "__undefined__",
    }
    state = {
        "global": {"appSettings": {}, "serverTime": item.created * 1000},
        "user": {"loggedIn": False, "userInfo": "__undefined__"},
        "note": {
            "noteDetailMap": {
                item.post_id: {
                    "comments": {"list": [], "cursor": "", "hasMore": True, "loading": False},
                    "currentTime": item.created * 1000,
                    "note": note,
                }
            },
            "currentNoteId": item.post_id,
            "serverRequestInfo": {"state": "success", "errorCode": "__undefined__"},
        },
    }
    return script_json(state).replace(_UNDEFINED_SLOT, "undefined")


def _note_page(item: Post, base: str) -> str:
    body = (
        '<div id="noteContainer" class="note-container">'
        f'<div class="author-wrapper"><span class="username">{esc(item.author_name)}</span></div>'
        f'<div id="detail-title" class="title">{esc(item.title)}</div>'
        f'<div id="detail-desc" class="desc"><span class="note-text">{esc(item.text)}</span></div>'
        "</div>"
        f"<script>window.__INITIAL_STATE__={_state(item, base)}</script>"
    )
    return page(f"{item.title} - 小红书", body)


_SCRIPT = r"""
(function () {
  var keyword = JSON.parse(document.getElementById('search-key').textContent);
  var feeds = document.querySelector('.feeds-container');
  var pageNo = 1, hasMore = true, loading = false, batches = 0;
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }
  function card(item) {
    var section = document.createElement('section');
    section.className = 'note-item';
    var a = document.createElement('a');
    a.href = '/xhs/explore/' + encodeURIComponent(item.id) + '?xsec_token=' +
      encodeURIComponent(item.xsec_token) + '&xsec_source=pc_search';
    a.className = 'title';
    a.textContent = item.note_card.display_title;
    var s = document.createElement('span');
    s.className = 'name';
    s.textContent = item.note_card.user.nickname;
    section.appendChild(a); section.appendChild(s);
    return section;
  }
  function more() {
    if (loading || !hasMore) return;
    loading = true;
    feeds.setAttribute('data-state', 'loading');
    fetch('/xhs/api/sns/web/v1/search/notes', {
      method: 'POST', credentials: 'same-origin',
      headers: {'content-type': 'application/json;charset=UTF-8'},
      body: JSON.stringify({keyword: keyword, page: pageNo, page_size: 20,
                            search_id: 'demo', sort: 'general', note_type: 0})
    }).then(function (r) { return r.json(); }).then(function (d) {
      d.data.items.forEach(function (item) {
        if (item.model_type === 'note') feeds.appendChild(card(item));
      });
      hasMore = d.data.has_more; pageNo += 1; batches += 1;
      feeds.setAttribute('data-batches', String(batches));
      feeds.setAttribute('data-state', hasMore ? 'idle' : 'end');
    }).catch(function () { feeds.setAttribute('data-state', 'error'); })
      .then(function () { loading = false; });
  }
  window.addEventListener('scroll', function () { if (batches > 0 && nearBottom()) more(); });
  if ('IntersectionObserver' in window) {
    new IntersectionObserver(function (es) {
      if (es.some(function (e) { return e.isIntersecting; }) && batches > 0 && nearBottom()) more();
    }).observe(document.getElementById('sentinel'));
  }
  more();
})();
"""

_STYLE = (
    "<style>body{font:15px sans-serif;margin:0}.feeds-container{padding:0 24px}"
    ".note-item{min-height:260px;border-bottom:1px solid #eee;padding:16px 0}"
    ".note-item .name{display:block;color:#999}#sentinel{height:1px}</style>"
)


def _shell(keyword: str) -> str:
    data = json.dumps(keyword, ensure_ascii=False).replace("<", "\\u003c")
    body = (
        '<div class="search-layout"><div class="channel">笔记</div>'
        f'<script type="application/json" id="search-key">{data}</script>'
        '<div class="feeds-container" data-state="loading"></div><div id="sentinel"></div></div>'
        f"<script>{_SCRIPT}</script>"
    )
    return page(f"{keyword} - 小红书搜索", body, head=_STYLE)
