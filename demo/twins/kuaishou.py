"""Kuaishou (快手) twin, in the shape public crawlers document for www.kuaishou.com.

- The search page (live ``/search/video?searchKey=Q``) is a JavaScript shell that
  POSTs GraphQL to one endpoint, ``/graphql`` (MediaCrawler
  media_platform/kuaishou/client.py: ``_host = .../graphql``, ``operationName``
  ``visionSearchPhoto`` with ``variables{keyword, pcursor, page: "search",
  searchSessionId}``).  The same endpoint answers other operations, so the shell
  first sends ``visionProfileUserList`` (the login check MediaCrawler's ``pong``
  sends), a decoy answer the crawler must not read as results.
- The answer is ``data.visionSearchPhoto{result, llsid, feeds[], pcursor,
  searchSessionId}``; each feed is ``{type, author{id, name, headerUrl},
  photo{id, caption, coverUrl, photoUrl, timestamp (ms), likeCount, viewCount,
  realLikeCount, duration}}`` (the visionSearchPhoto query public crawlers send;
  MediaCrawler store/kuaishou/__init__.py reads photo.caption, photo.timestamp,
  photo.coverUrl, author.id, author.name).  ``pcursor`` is the next page's cursor,
  ``"no_more"`` at the end (MediaCrawler client.py loops ``while pcursor !=
  "no_more"``).  More comes by scrolling.
- A video's page is ``/short-video/{photo.id}`` (MediaCrawler store/kuaishou:
  ``video_url``); its comments come from the GraphQL ``commentListQuery``
  (``data.visionCommentList{rootComments[]{commentId, authorId, authorName,
  content, timestamp}, pcursor}``, MediaCrawler client.py get_video_comments),
  which the twin's page POSTs after a ``visionVideoDetail`` call.
"""

from __future__ import annotations

import json
import random
from typing import Any

from demo.build_common import Registry
from demo.render_common import esc, page
from demo.twins import _build
from demo.twins._common import Answer, as_json, body_json, first, html, img
from demo.twins.model import Post, Twin

PLATFORM = "demo-kuaishou"
PREFIX = "/kuaishou"
SEARCH_PATH = f"{PREFIX}/search/video"
GRAPHQL_PATH = f"{PREFIX}/graphql"
VIDEO_PATH = f"{PREFIX}/short-video/"
QUERIES = ("停催", "征信修复")
SIZES = ((5, 3), (5,))  # first query: two scroll batches; the others: one


def build(reg: Registry, rng: random.Random, size: int) -> Twin:
    twin = Twin(PLATFORM, "video", [])

    def make(query: str, number: int, slot: int) -> Post:
        photo_id = _build.ident(reg, rng, "3x", 15, _build.ALNUM)
        author_id = _build.ident(reg, rng, "3x", 15, _build.ALNUM)
        item = _build.post(reg, rng, query, photo_id, author_id, comments=True)
        twin.posts[photo_id] = item
        return item

    twin.queries = _build.batches(rng, _build.queries_of(QUERIES, size), SIZES, make)
    return twin


def record_url(item: Post) -> str:
    return f"{VIDEO_PATH}{item.post_id}"


def search_url(query: str) -> str:
    from urllib.parse import urlencode

    return f"{SEARCH_PATH}?{urlencode({'searchKey': query})}"


def answer(
    twin: Twin, method: str, path: str, qs: dict[str, list[str]], body: bytes, base: str
) -> Answer | None:
    if path == SEARCH_PATH:
        return html(_shell(first(qs, "searchKey")))
    if path == GRAPHQL_PATH:
        if method != "POST":
            return 405, b"", "text/plain; charset=utf-8", [("Allow", "POST")]
        return as_json(_graphql(twin, body_json(body), base))
    if path.startswith(VIDEO_PATH):
        item = twin.posts.get(path[len(VIDEO_PATH) :])
        return html(_video_page(item)) if item else None
    return None


def _feed(item: Post, base: str) -> dict[str, Any]:
    likes = 30 + int(item.post_id.encode().hex(), 16) % 30000
    return {
        "type": 1,
        "author": {
            "id": item.author_id,
            "name": item.author_name,
            "headerUrl": "",
            "following": False,
            "__typename": "User",
        },
        "photo": {
            "id": item.post_id,
            "duration": 15000 + likes % 45000,
            "caption": item.text,
            "likeCount": f"{likes / 10000:.1f}万" if likes >= 10000 else str(likes),
            "realLikeCount": likes,
            "viewCount": str(likes * 7),
            "coverUrl": img(base, item.images[0]),
            "photoUrl": f"{base}{PREFIX}/play/{item.post_id}.mp4",
            "timestamp": item.created * 1000,
            "__typename": "VisionPhotoEntity",
        },
        "canAddComment": 1,
        "llsid": "2001",
        "status": 1,
        "currentPcursor": "",
        "tags": [],
        "__typename": "VisionFeedItem",
    }


def _graphql(twin: Twin, request: dict[str, Any], base: str) -> dict[str, Any]:
    operation = request.get("operationName")
    variables = request.get("variables")
    if not isinstance(variables, dict):
        variables = {}
    if operation == "visionSearchPhoto":
        found = twin.query(str(variables.get("keyword") or "").strip())
        cursor = str(variables.get("pcursor") or "")
        batch = int(cursor) if cursor.isdigit() else 0
        pages = found.pages if found else []
        feeds = [_feed(i, base) for i in pages[batch]] if batch < len(pages) else []
        return {
            "data": {
                "visionSearchPhoto": {
                    "result": 1,
                    "llsid": "2001",
                    "webPageArea": "searchxxnull",
                    "feeds": feeds,
                    "searchSessionId": "MTRfZGVtb19zZWFyY2g",
                    "pcursor": str(batch + 1) if batch + 1 < len(pages) else "no_more",
                    "aladdinBanner": None,
                    "__typename": "VisionSearchPhotoResult",
                }
            }
        }
    if operation == "visionProfileUserList":  # the login check: not logged in here
        return {"data": {"visionProfileUserList": {"result": 2, "fols": [], "pcursor": ""}}}
    item = twin.posts.get(str(variables.get("photoId") or ""))
    if operation == "visionVideoDetail" and item is not None:
        feed = _feed(item, base)
        return {"data": {"visionVideoDetail": {"status": 1, "type": "NORMAL", **feed}}}
    if operation == "commentListQuery" and item is not None:
        roots = [
            {
                "commentId": f"{item.post_id}{n:03d}",
                "authorId": f"3x{n:02d}{item.post_id[-6:]}",
                "authorName": who,
                "content": text,
                "headurl": "",
                "timestamp": (item.created + 600 * (n + 1)) * 1000,
                "likedCount": "0",
                "realLikedCount": 0,
                "liked": False,
                "status": 0,
                "subCommentsPcursor": "no_more",
                "subComments": [],
                "__typename": "RootCommentNew",
            }
            for n, (who, text) in enumerate(item.comments)
        ]
        return {
            "data": {
                "visionCommentList": {
                    "commentCount": len(roots),
                    "pcursor": "no_more",
                    "rootComments": roots,
                    "__typename": "VisionCommentList",
                }
            }
        }
    return {"data": None, "errors": [{"message": f"unknown operation {operation!r}"}]}


_STYLE = (
    "<style>body{font:15px sans-serif;margin:0}#search-header{padding:12px 24px;font-size:20px}"
    ".search-result{padding:0 24px}.video-card{min-height:260px;border-bottom:1px solid #ddd;"
    "padding:16px 0}.video-card .author{display:block;color:#888}"
    "#sentinel{height:1px}</style>"
)

_GQL = r"""
function gql(op, variables) {
  return fetch('/kuaishou/graphql', {
    method: 'POST', credentials: 'same-origin',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({operationName: op, variables: variables,
                          query: 'query ' + op + ' { ... }'})
  }).then(function (r) { return r.json(); });
}
"""

_SHELL_SCRIPT = r"""
(function () {
  var keyword = JSON.parse(document.getElementById('search-key').textContent);
  var list = document.querySelector('.search-result');
  var pcursor = '', loading = false, batches = 0;
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }
  function card(feed) {
    var div = document.createElement('div');
    div.className = 'video-card';
    div.setAttribute('data-photo-id', feed.photo.id);
    var a = document.createElement('a');
    a.href = '/kuaishou/short-video/' + encodeURIComponent(feed.photo.id);
    a.textContent = feed.photo.caption;
    var s = document.createElement('span');
    s.className = 'author';
    s.textContent = feed.author.name;
    div.appendChild(a); div.appendChild(s);
    return div;
  }
  function more() {
    if (loading || pcursor === 'no_more') return;
    loading = true;
    list.setAttribute('data-state', 'loading');
    gql('visionSearchPhoto', {keyword: keyword, pcursor: pcursor, page: 'search',
                              searchSessionId: ''})
      .then(function (d) {
        var r = d.data.visionSearchPhoto;
        r.feeds.forEach(function (f) { list.appendChild(card(f)); });
        pcursor = r.pcursor; batches += 1;
        list.setAttribute('data-batches', String(batches));
        list.setAttribute('data-state', pcursor === 'no_more' ? 'end' : 'idle');
      })
      .catch(function () { list.setAttribute('data-state', 'error'); })
      .then(function () { loading = false; });
  }
  gql('visionProfileUserList', {ftype: 1}).catch(function () {});
  window.addEventListener('scroll', function () { if (batches > 0 && nearBottom()) more(); });
  if ('IntersectionObserver' in window) {
    new IntersectionObserver(function (es) {
      if (es.some(function (e) { return e.isIntersecting; }) && batches > 0 && nearBottom()) more();
    }).observe(document.getElementById('sentinel'));
  }
  more();
})();
"""

_VIDEO_SCRIPT = r"""
(function () {
  var photoId = document.body.getAttribute('data-photo-id');
  gql('visionVideoDetail', {photoId: photoId, page: 'detail'}).then(function () {
    return gql('commentListQuery', {photoId: photoId, pcursor: ''});
  }).then(function (d) {
    var ul = document.getElementById('comments');
    d.data.visionCommentList.rootComments.forEach(function (c) {
      var li = document.createElement('li');
      li.textContent = c.authorName + ': ' + c.content;
      ul.appendChild(li);
    });
    document.body.setAttribute('data-rendered', '1');
  }).catch(function () { document.body.setAttribute('data-rendered', 'error'); });
})();
"""


def _shell(keyword: str) -> str:
    data = json.dumps(keyword, ensure_ascii=False).replace("<", "\\u003c")
    body = (
        '<div id="search-header">快手 · 搜索</div>'
        f'<script type="application/json" id="search-key">{data}</script>'
        '<div class="search-result" data-state="loading"></div><div id="sentinel"></div>'
        f"<script>{_GQL}{_SHELL_SCRIPT}</script>"
    )
    return page(f"{keyword} - 快手搜索", body, head=_STYLE)


def _video_page(item: Post) -> str:
    body = (
        f'<div class="video-info"><h1 class="video-title">{esc(item.title)}</h1>'
        f'<a class="author-name">{esc(item.author_name)}</a></div>'
        '<ul id="comments"></ul>'
        f"<script>{_GQL}{_VIDEO_SCRIPT}</script>"
    )
    text = page(f"{item.title[:30]} - 快手", body)
    return text.replace("<body>", f'<body data-photo-id="{esc(item.post_id)}">', 1)
