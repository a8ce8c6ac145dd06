"""Xianyu/Goofish-like pages: a JavaScript search shell, the mtop JSON API it
calls, and server-rendered listing and seller pages."""

from __future__ import annotations

import json
from typing import Any

from demo.model import DemoWeb, Listing, Seller
from demo.render_common import esc, page

API_NAME = "mtop.taobao.idlemtopsearch.pc.search"
API_PATH = f"/h5/{API_NAME}/1.0/"

SHELL_STYLE = (
    "<style>body{font:14px sans-serif;margin:20px auto;max-width:900px;background:#f6f6f6}"
    ".feeds-item{background:#fff;margin:8px 0;padding:12px;border-radius:8px}"
    ".feeds-item .price{color:#ff4400;margin-left:12px}.feeds-item .area{color:#999;"
    "margin-left:12px}.next-page{display:inline-block;margin:16px 0}</style>"
)

SHELL_SCRIPT = r"""
(function () {
  var params = new URLSearchParams(location.search);
  var keyword = params.get('q') || '';
  var pageNumber = parseInt(params.get('page') || '1', 10) || 1;
  var list = document.getElementById('feeds-list');
  var data = JSON.stringify({keyword: keyword, pageNumber: pageNumber, rowsPerPage: 30});
  var url = '/h5/mtop.taobao.idlemtopsearch.pc.search/1.0/?data=' + encodeURIComponent(data);
  if (!keyword) { list.setAttribute('data-state', 'end'); return; }
  fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.json(); })
    .then(function (resp) {
      if (!resp.ret || String(resp.ret[0]).indexOf('SUCCESS') !== 0) {
        var box = document.createElement('div');
        box.id = 'mtop-blocked';
        box.textContent = '访问受限,请稍后刷新重试';
        list.appendChild(box);
        list.setAttribute('data-state', 'blocked');
        return;
      }
      var result = resp.data.resultList || [];
      result.forEach(function (entry) {
        var main = entry.data.item.main;
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
        list.appendChild(div);
      });
      var info = resp.data.resultInfo || {};
      if (info.hasNextPage) {
        var next = document.createElement('a');
        next.className = 'next-page';
        var nextParams = new URLSearchParams({q: keyword, page: String(pageNumber + 1)});
        next.href = '/goofish/search?' + nextParams;
        next.textContent = '下一页';
        document.getElementById('pager').appendChild(next);
      }
      list.setAttribute('data-state', 'done');
    })
    .catch(function () { list.setAttribute('data-state', 'error'); });
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
                        "args": {"item_id": item.item_id, "seller_id": seller.seller_id}
                    },
                }
            }
        }
    }


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


def search_shell(keyword: str, number: int) -> str:
    body = (
        f'<h2 id="search-title">闲鱼搜索: {esc(keyword)} (第{number}页)</h2>'
        '<div id="feeds-list" data-state="loading"></div><div id="pager"></div>'
        f"<script>{SHELL_SCRIPT}</script>"
    )
    return page(f"{keyword}_闲鱼", body, head=SHELL_STYLE)


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
