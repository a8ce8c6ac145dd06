"""Xianyu/Goofish-like pages: a JavaScript search shell, the mtop JSON API it
calls, and server-rendered listing and seller pages."""

from __future__ import annotations

import json
import zlib
from typing import Any
from urllib.parse import urlencode

from demo.model import DemoWeb, Listing, Seller
from demo.render_common import esc, page
from demo.soft_blocks import (
    GOOFISH_BAXIA,
    GOOFISH_LOGIN,
    GOOFISH_MTOP,
    GOOFISH_PUNISH,
    LOGIN_SLOT,
    mini_login_url,
    mtop_block_answer,
    punish_url,
)

API_NAME = "mtop.taobao.idlemtopsearch.pc.search"
API_PATH = f"/h5/{API_NAME}/1.0/"
# A second call the live search page makes (suggestion words for the search box):
# a profile whose xhr is the bare API name also captures these answers.
SHADE_NAME = "mtop.taobao.idlemtopsearch.pc.search.shade"
SHADE_PATH = f"/h5/{SHADE_NAME}/1.0/"
# publishTime of the demo's listings: milliseconds in 2024-2025, from the item id
PUBLISHED_FROM_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
PUBLISHED_SPAN_MS = 600 * 86_400_000

SHELL_STYLE = (
    "<style>body{font:14px sans-serif;margin:20px auto;max-width:900px;background:#f6f6f6}"
    ".feeds-item{background:#fff;margin:8px 0;padding:12px;border-radius:8px}"
    ".feeds-item .price{color:#ff4400;margin-left:12px}.feeds-item .area{color:#999;"
    "margin-left:12px}#pager{margin:16px 0}#pager button{min-width:36px;height:32px}"
    ".login-button,.login-avatar{float:right}#shade-words{color:#999}"
    ".baxia-dialog-mask{position:fixed;inset:0;background:rgba(0,0,0,.5)}"
    ".baxia-dialog{position:fixed;top:120px;left:50%;margin-left:-190px;width:380px;"
    "height:300px;background:#fff;border-radius:8px}</style>"
)

PAGER = (
    '<div id="pager" class="search-pagination-wrap--demo">'
    '<button type="button" class="search-pagination-arrow-container--demo" disabled>'
    '<span class="search-pagination-arrow-left--demo">&lt;</span></button>'
    '<span class="search-pagination-page-box--demo" id="page-box">1</span>'
    '<button type="button" id="next-page" class="search-pagination-arrow-container--demo" '
    'disabled><span class="search-pagination-arrow-right--CKU78u4z '
    'search-pagination-arrow-disabled--demo">&gt;</span></button></div>'
)

BAXIA_DIALOG = (
    '<div class="baxia-dialog-mask"></div><div class="baxia-dialog" id="baxia-dialog-content">'
    '<div class="baxia-dialog-close">x</div><p>访问验证</p>'
    '<iframe title="nocaptcha" src="about:blank"></iframe></div>'
)

SHELL_SCRIPT = r"""
(function () {
  var params = new URLSearchParams(location.search);
  var keyword = params.get('q') || '';
  // the live page pages by its next button; ?page=N is still honoured as the first page
  var pageNumber = parseInt(params.get('page') || '1', 10) || 1;
  var list = document.getElementById('feeds-list');
  var next = document.getElementById('next-page');
  var arrow = next.querySelector('span');
  var loading = false;
  function mtop(path, api, data) {
    var qs = new URLSearchParams({jsv: '2.7.2', appKey: '34839810', t: String(Date.now()),
      api: api, v: '1.0', type: 'originaljson', dataType: 'json'});
    return fetch(path + '?' + qs, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/x-www-form-urlencoded'},
      body: 'data=' + encodeURIComponent(JSON.stringify(data))
    }).then(function (r) { return r.json(); });
  }
  function setNext(enabled) {
    next.disabled = !enabled;
    arrow.className = 'search-pagination-arrow-right--CKU78u4z' +
      (enabled ? '' : ' search-pagination-arrow-disabled--demo');
  }
  function item(main) {
    var ex = main.exContent;
    var div = document.createElement('div');
    div.className = 'feeds-item';
    div.setAttribute('data-item-id', ex.itemId);
    var a = document.createElement('a');
    a.href = '/item?id=' + encodeURIComponent(ex.itemId) + '&spm=a21ybx.search.0';
    a.textContent = ex.title;
    var price = document.createElement('span');
    price.className = 'price';
    price.textContent = (ex.price || []).map(function (p) { return p.text; }).join('');
    var area = document.createElement('span');
    area.className = 'area';
    area.textContent = ex.area || '';
    div.appendChild(a);
    div.appendChild(price);
    div.appendChild(area);
    return div;
  }
  function load(number) {
    if (loading) return;
    loading = true;
    setNext(false);
    list.setAttribute('data-state', 'loading');
    mtop('/h5/mtop.taobao.idlemtopsearch.pc.search/1.0/', 'mtop.taobao.idlemtopsearch.pc.search',
         {keyword: keyword, pageNumber: number, rowsPerPage: 30, searchReqFromPage: 'pcSearch'})
      .then(function (resp) {
        if (!resp.ret || String(resp.ret[0]).indexOf('SUCCESS') !== 0) {
          // a soft block: say so and stay (the page does not navigate)
          var box = document.createElement('div');
          box.id = 'mtop-blocked';
          box.textContent = '访问受限,请稍后刷新重试';
          list.appendChild(box);
          list.setAttribute('data-state', 'blocked');
          return;
        }
        while (list.firstChild) list.removeChild(list.firstChild);
        (resp.data.resultList || []).forEach(function (entry) {
          list.appendChild(item(entry.data.item.main));
        });
        var info = resp.data.resultInfo || {};
        pageNumber = number;
        list.setAttribute('data-page', String(number));
        document.getElementById('page-box').textContent = String(number);
        setNext(!!info.hasNextPage);
        list.setAttribute('data-state', 'done');
        window.scrollTo(0, 0);
      })
      .catch(function () { list.setAttribute('data-state', 'error'); })
      .then(function () { loading = false; });
  }
  next.addEventListener('click', function () { if (!next.disabled) load(pageNumber + 1); });
  if (!keyword) { list.setAttribute('data-state', 'end'); return; }
  mtop('/h5/mtop.taobao.idlemtopsearch.pc.search.shade/1.0/',
       'mtop.taobao.idlemtopsearch.pc.search.shade', {keyword: keyword})
    .then(function (resp) {
      var words = ((resp.data || {}).shadeWords || []).map(function (w) { return w.word; });
      document.getElementById('shade-words').textContent = words.join(' · ');
    })
    .catch(function () {});
  load(pageNumber);
})();
"""

ITEM_STYLE = (
    "<style>body{font:15px sans-serif;margin:20px auto;max-width:760px}"
    ".item-price{color:#ff4400;font-size:24px}.item-desc{white-space:pre-wrap;margin:16px 0}"
    ".item-photos img{max-width:100%;display:block;margin:8px 0}.item-area{color:#999}</style>"
)


def listing_entry(item: Listing, seller: Seller, base_url: str) -> dict[str, Any]:
    """One resultList entry shaped like the real mtop response."""
    return {
        "data": {
            "item": {
                "main": {
                    "exContent": {
                        "title": item.title,
                        "price": [{"text": "¥"}, {"text": item.price}],
                        "area": item.area,
                        "itemId": item.item_id,
                        "picUrl": f"{base_url}/img/{item.photos[0]}",
                        "userNickName": seller.nickname,
                        "fishTags": {},
                        "isAliMaMaAD": item.sponsored,
                        "wantCount": item.want_count,
                    },
                    "clickParam": {
                        "args": {
                            "item_id": item.item_id,
                            "seller_id": seller.seller_id,
                            "publishTime": str(published_ms(item)),
                            "wantNum": str(item.want_count),
                        }
                    },
                    "targetUrl": f"fleamarket://item?id={item.item_id}",
                }
            }
        }
    }


def published_ms(item: Listing) -> int:
    """When the listing was published, in milliseconds (from its id, stable)."""
    return PUBLISHED_FROM_MS + zlib.crc32(item.item_id.encode()) % PUBLISHED_SPAN_MS


def parse_request(raw: str | None) -> tuple[str, int] | None:
    """(keyword, pageNumber) from the API's `data` parameter, or None if malformed."""
    try:
        data = json.loads(raw or "")
        keyword = data["keyword"]
        number = int(data.get("pageNumber", 1))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(keyword, str):
        return None
    return keyword, number


def search_api(web: DemoWeb, keyword: str, number: int, base_url: str) -> dict[str, Any]:
    if keyword == GOOFISH_MTOP:
        return mtop_block_answer(API_NAME, base_url, f"mtop:{keyword}:{number}")
    mq = web.market_query(keyword)
    pages = mq.pages if mq else []
    items = pages[number - 1] if 1 <= number <= len(pages) else []
    return {
        "api": API_NAME,
        "v": "1.0",
        "ret": ["SUCCESS::调用成功"],
        "data": {
            "resultList": [listing_entry(i, web.sellers[i.seller_id], base_url) for i in items],
            "resultInfo": {"hasNextPage": number < len(pages), "pageNumber": number},
        },
    }


def api_error(message: str = "FAIL_SYS_ILLEGAL_ACCESS::非法请求") -> dict[str, Any]:
    return {"api": API_NAME, "v": "1.0", "ret": [message], "data": {}}


def shade_api(keyword: str) -> dict[str, Any]:
    """The decoy: suggestion words for the search box, no listings."""
    words = [f"{keyword}", f"{keyword} 教程", f"{keyword} 模板"] if keyword else []
    return {
        "api": SHADE_NAME,
        "v": "1.0",
        "ret": ["SUCCESS::调用成功"],
        "data": {"shadeWords": [{"word": w, "type": "query"} for w in words], "trackParams": {}},
    }


def search_shell(keyword: str, number: int) -> str:
    """The search page: its script fires the shade call and the search call
    (POST, like the live page) and pages by ``button#next-page``.  Reserved
    queries: ``GOOFISH_PUNISH`` and ``GOOFISH_LOGIN`` navigate away at once,
    ``GOOFISH_BAXIA`` shows the baxia dialog over the list."""
    if keyword == GOOFISH_PUNISH:
        target = punish_url("", f"shell:{keyword}")
        return page("闲鱼", f"<script>location.href = {json.dumps(target)};</script>")
    if keyword == GOOFISH_LOGIN:
        target = mini_login_url(market_search_path(keyword, number))
        return page("闲鱼", f"<script>location.href = {json.dumps(target)};</script>")
    dialog = BAXIA_DIALOG if keyword == GOOFISH_BAXIA else ""
    body = (
        f'<div id="header">闲鱼{LOGIN_SLOT}</div>'
        f'<h2 id="search-title">闲鱼搜索: {esc(keyword)}</h2><div id="shade-words"></div>'
        f'<div id="feeds-list" data-state="loading" data-page="{number}"></div>{PAGER}'
        f"{dialog}<script>{SHELL_SCRIPT}</script>"
    )
    return page(f"{keyword}_闲鱼", body, head=SHELL_STYLE)


def market_search_path(keyword: str, number: int) -> str:
    query = {"q": keyword} if number == 1 else {"q": keyword, "page": number}
    return "/goofish/search?" + urlencode(query)


def item_page(item: Listing, seller: Seller) -> str:
    photos = "".join(f'<img src="/img/{esc(name)}" alt="">' for name in item.photos)
    body = (
        f'<h1 class="item-title">{esc(item.title)}</h1>'
        f'<span class="item-price">¥{esc(item.price)}</span> '
        f'<span class="item-area">{esc(item.area)}</span>'
        f'<div class="seller-box">卖家: <a class="seller" href="/user?id={esc(seller.seller_id)}">'
        f"{esc(seller.nickname)}</a></div>"
        f'<div class="item-desc">{esc(item.desc)}</div>'
        f'<div class="item-photos">{photos}</div>'
        f'<div class="item-want">{item.want_count}人想要</div>'
    )
    return page(f"{item.title}_闲鱼", body, head=ITEM_STYLE)


def user_page(seller: Seller, items: list[Listing]) -> str:
    links = "".join(
        f'<li><a href="/item?id={esc(i.item_id)}">{esc(i.title)}</a> ¥{esc(i.price)}</li>'
        for i in items
    )
    body = (
        f'<h1 class="user-nick">{esc(seller.nickname)}</h1>'
        f'<span class="user-area">{esc(seller.area)}</span>'
        f'<ul class="user-items">{links}</ul>'
    )
    return page(f"{seller.nickname}的闲鱼", body, head=ITEM_STYLE)


REMOVED_TEXT = "宝贝不存在"
DELISTED_TEXT = "该商品已下架"


def removed_page() -> str:
    """A delisted item: HTTP 200 like the real site, with a notice instead of the listing."""
    body = (
        f'<div class="item-gone"><h2>{REMOVED_TEXT}</h2><p>{DELISTED_TEXT}</p>'
        '<a href="/goofish/search">去逛逛其他宝贝</a></div>'
    )
    return page("闲鱼", body, head=ITEM_STYLE)
