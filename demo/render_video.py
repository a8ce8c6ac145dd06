"""Douyin-like pages: a JavaScript search shell with infinite scroll, the JSON
search API it calls, and video pages whose data sits URL-encoded in RENDER_DATA.

The scripts build every card with textContent (never innerHTML), so hostile
captions stay text.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any
from urllib.parse import quote

from demo.model import VIDEO_BATCH_SIZE, DemoWeb, Video
from demo.render_common import esc, page
from demo.soft_blocks import DOUYIN_CAPTCHA, DOUYIN_VERIFY, LOGIN_SLOT, douyin_verify_answer

_HASHTAG = re.compile(r"#([^\s#]+)")

SHELL_STYLE = (
    "<style>body{font:15px sans-serif;margin:0;background:#161823;color:#fff}"
    "#douyin-header{padding:12px 24px;font-size:22px;font-weight:bold}"
    "#search-result{list-style:none;padding:0 24px;margin:0}"
    ".video-card{min-height:180px;border-bottom:1px solid #333;padding:16px 0}"
    ".video-card a{color:#fff;text-decoration:none;font-size:16px}"
    ".video-card .author{display:block;color:#aaa;margin-top:8px}"
    "#load-more-sentinel{height:1px}#no-more{text-align:center;color:#888;padding:20px}"
    ".login-button,.login-avatar{float:right;margin:12px 24px;color:#fff}"
    "#captcha-verify-image{position:fixed;inset:0;background:rgba(0,0,0,.7);"
    "display:flex;align-items:center;justify-content:center}</style>"
)

SHELL_SCRIPT = r"""
(function () {
  var params = new URLSearchParams(location.search);
  var keyword = params.get('keyword') || '';
  var list = document.getElementById('search-result');
  var sentinel = document.getElementById('load-more-sentinel');
  var cursor = 0, hasMore = keyword ? 1 : 0, loading = false, batches = 0;
  function card(item) {  // item: one entry's aweme_info
    var li = document.createElement('li');
    li.className = 'video-card';
    li.setAttribute('data-aweme-id', item.aweme_id);
    var a = document.createElement('a');
    a.href = '/video/' + encodeURIComponent(item.aweme_id) +
      '?previous_page=search&enter_from=search';
    a.textContent = item.desc;
    var span = document.createElement('span');
    span.className = 'author';
    span.textContent = (item.author && item.author.nickname) || '';
    li.appendChild(a);
    li.appendChild(span);
    return li;
  }
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }
  function loadMore() {
    if (loading || !hasMore) return;
    loading = true;
    list.setAttribute('data-state', 'loading');
    var url = '/aweme/v1/web/search/item/?keyword=' + encodeURIComponent(keyword) +
      '&offset=' + cursor + '&count=10';
    fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.json(); })
      .then(function (data) {
        // entries of other kinds (user cards, related searches) carry no aweme_info
        (data.data || []).forEach(function (entry) {
          if (entry && entry.aweme_info) list.appendChild(card(entry.aweme_info));
        });
        hasMore = data.has_more ? 1 : 0;
        cursor = data.cursor;
        batches += 1;
        list.setAttribute('data-batches', String(batches));
        list.setAttribute('data-state', hasMore ? 'idle' : 'end');
        if (!hasMore) document.getElementById('no-more').hidden = false;
      })
      .catch(function () { list.setAttribute('data-state', 'error'); })
      .then(function () { loading = false; });
  }
  if ('IntersectionObserver' in window) {
    new IntersectionObserver(function (entries) {
      // nearBottom() too: a notification queued before a batch landed is stale
      if (entries.some(function (e) { return e.isIntersecting; }) && batches > 0 &&
          nearBottom()) loadMore();
    }).observe(sentinel);
  }
  window.addEventListener('scroll', function () { if (batches > 0 && nearBottom()) loadMore(); });
  if (keyword) loadMore(); else list.setAttribute('data-state', 'end');
})();
"""

DETAIL_SCRIPT = r"""
(function () {
  var raw = document.getElementById('RENDER_DATA').textContent;
  var detail = JSON.parse(decodeURIComponent(raw)).app.videoDetail;
  if (!detail) {  // removed: the page says so in its own markup
    document.body.setAttribute('data-rendered', '1');
    return;
  }
  document.getElementById('video-desc').textContent = detail.desc;
  document.getElementById('author-name').textContent = detail.author.nickname;
  var cover = document.getElementById('video-cover');
  cover.src = detail.video.cover.url_list[0];
  var stats = detail.statistics;
  document.getElementById('video-stats').textContent =
    stats.digg_count + ' 赞 · ' + stats.comment_count + ' 评论 · ' + stats.share_count + ' 分享';
  var ul = document.getElementById('comments');
  (detail.comments || []).forEach(function (c) {
    var li = document.createElement('li');
    li.className = 'comment';
    var who = document.createElement('span');
    who.className = 'comment-user';
    who.textContent = c.user.nickname;
    var text = document.createElement('span');
    text.className = 'comment-text';
    text.textContent = c.text;
    li.appendChild(who);
    li.appendChild(text);
    ul.appendChild(li);
  });
  document.body.setAttribute('data-rendered', '1');
})();
"""

DETAIL_STYLE = (
    "<style>body{font:15px sans-serif;margin:0 auto;max-width:720px;background:#161823;"
    "color:#fff}#video-cover{width:360px;display:block}#author-name{color:#aaa}"
    ".comment-user{color:#8a8a8a;margin-right:8px}</style>"
)


def hashtags(desc: str) -> list[dict[str, Any]]:
    """text_extra entries for each #tag in the caption (offsets in characters)."""
    return [
        {"hashtag_name": m.group(1), "start": m.start(), "end": m.end(), "type": 1}
        for m in _HASHTAG.finditer(desc)
    ]


def aweme_item(video: Video, base_url: str) -> dict[str, Any]:
    """One item shaped like the web API's aweme_list entries."""
    return {
        "aweme_id": video.aweme_id,
        "desc": video.desc,
        "create_time": video.create_time,
        "author": {
            "nickname": video.author.nickname,
            "uid": video.author.uid,
            "sec_uid": video.author.sec_uid,
        },
        "statistics": {
            "digg_count": video.digg_count,
            "comment_count": video.comment_count,
            "share_count": video.share_count,
        },
        "video": {
            "cover": {"url_list": [f"{base_url}/img/{video.cover}"]},
            # not served by the demo (no crawl or capture reads it); the field is there
            "play_addr": {"url_list": [f"{base_url}/aweme/v1/play/?video_id={video.aweme_id}"]},
        },
        "text_extra": hashtags(video.desc),
        "is_ads": video.sponsored,
    }


def _user_card(video: Video) -> dict[str, Any]:
    """A search answer's user card: an entry with no aweme_info."""
    author = video.author
    return {
        "type": 4,
        "card_unique_name": "aladdin_user",
        "user_list": [
            {
                "user_info": {
                    "nickname": author.nickname,
                    "uid": author.uid,
                    "sec_uid": author.sec_uid,
                }
            }
        ],
    }


def _related_card(keyword: str) -> dict[str, Any]:
    return {
        "type": 16,
        "card_unique_name": "related_search",
        "related_words": [{"word": f"{keyword} 怎么办"}, {"word": f"{keyword} 最新"}],
    }


def search_api(
    web: DemoWeb, keyword: str, offset: int, count: int, base_url: str
) -> dict[str, Any]:
    """One batch of the video search API, shaped like the live web API today:
    ``data`` is a list of entries, a video's under ``aweme_info`` (type 1), with
    a few entries of other kinds mixed in (a user card first, a related-search
    card after the fifth video of a full batch); ``cursor`` counts videos."""
    if keyword == DOUYIN_VERIFY:
        return douyin_verify_answer()
    vq = web.video_query(keyword)
    videos = vq.videos if vq else []
    offset = max(0, offset)
    count = max(1, min(count, VIDEO_BATCH_SIZE))
    batch = videos[offset : offset + count]
    cursor = offset + len(batch)
    entries: list[dict[str, Any]] = []
    for i, video in enumerate(batch):
        if i == 0 and offset == 0:
            entries.append(_user_card(video))
        entries.append({"type": 1, "aweme_info": aweme_item(video, base_url)})
        if i == 4 and len(batch) == VIDEO_BATCH_SIZE:
            entries.append(_related_card(keyword))
    return {
        "status_code": 0,
        "data": entries,
        "has_more": 1 if cursor < len(videos) else 0,
        "cursor": cursor,
        "log_pb": {"impr_id": f"demo{offset:04d}{zlib.crc32(keyword.encode()):010d}"},
    }


CAPTCHA_OVERLAY = (
    '<div id="captcha-verify-image" class="captcha_verify_container">'
    '<div class="captcha-verify-box"><p>请完成下列验证后继续</p>'
    '<div class="captcha_verify_img_slide"></div><p>拖动滑块完成拼图</p></div></div>'
)


def search_shell(keyword: str) -> str:
    """The search page.  Its login widget is ``LOGIN_SLOT`` (filled per
    response); the reserved ``DOUYIN_CAPTCHA`` query shows the captcha overlay
    and fires no data request."""
    captcha = keyword == DOUYIN_CAPTCHA
    script = "" if captcha else f"<script>{SHELL_SCRIPT}</script>"
    body = (
        f'<div id="douyin-header">抖音{LOGIN_SLOT}</div>'
        f'<h2 id="search-title" style="padding:0 24px">搜索: {esc(keyword)}</h2>'
        f'<ul id="search-result" data-state="{"blocked" if captcha else "loading"}"></ul>'
        '<div id="load-more-sentinel"></div><div id="no-more" hidden>暂时没有更多了</div>'
        f"{CAPTCHA_OVERLAY if captcha else ''}{script}"
    )
    return page(f"{keyword} - 抖音搜索", body, head=SHELL_STYLE)


def encode_component(text: str) -> str:
    """JavaScript's encodeURIComponent."""
    return quote(text, safe="-_.!~*'()")


def _render_data(app: dict[str, Any]) -> str:
    data = encode_component(json.dumps({"app": app}, ensure_ascii=False))
    return f'<script id="RENDER_DATA" type="application/json">{data}</script>'


def video_page(video: Video, base_url: str, desc: str | None = None) -> str:
    """The video page; `desc` replaces the caption (an edit after publishing)
    while the document title keeps the caption it was published with."""
    detail = aweme_item(video, base_url)
    if desc is not None:
        detail["desc"], detail["text_extra"] = desc, hashtags(desc)
    detail["comments"] = [
        {"cid": c.cid, "text": c.text, "user": {"nickname": c.nickname, "uid": c.uid}}
        for c in video.comments
    ]
    body = (
        '<div id="douyin-header">抖音</div><img id="video-cover" alt="">'
        '<h1 id="video-desc"></h1><div id="author-name"></div><div id="video-stats"></div>'
        '<h3>评论</h3><ul id="comments"></ul>'
        f"{_render_data({'videoDetail': detail, 'statusCode': 0})}"
        f"<script>{DETAIL_SCRIPT}</script>"
    )
    return page(f"{video.desc} - 抖音", body, head=DETAIL_STYLE)


REMOVED_TEXT = "视频不见了"


def removed_page() -> str:
    """A removed video: HTTP 200 like the real site, with no detail in
    RENDER_DATA and a notice in the page, so only the content tells."""
    body = (
        '<div id="douyin-header">抖音</div>'
        f'<div id="video-gone"><p class="gone-title">{REMOVED_TEXT}</p>'
        "<p>该视频已被删除或设为私密</p></div>"
        f"{_render_data({'videoDetail': None, 'statusCode': -404})}"
        f"<script>{DETAIL_SCRIPT}</script>"
    )
    return page("抖音-记录美好生活", body, head=DETAIL_STYLE)
