"""Baidu-like result pages and the landing pages behind them (server-rendered)."""

from __future__ import annotations

from demo.capture_cases import landing_extras
from demo.model import SEARCH_PAGE_SIZE, DemoWeb, Landing, SearchResult
from demo.render_common import esc, page, search_url
from demo.soft_blocks import LOGIN_SLOT

# A paid result's /baidu.php?url= token is new on every impression: the cached
# page holds this slot around the result's generated token, and the server puts
# a fresh token in its place on each response (routes.Router).
PAID_SLOT_PREFIX = "~adwatch-paid~"  # "~" is in no token (build_common.TOKEN_CHARS)
PAID_SLOT_SUFFIX = "~"
PAID_PATH = "/baidu.php"

SEARCH_STYLE = (
    "<style>body{font:14px arial,sans-serif;margin:0 0 40px 120px;max-width:700px}"
    ".result{margin:18px 0}.t a{color:#2440b3;font-size:17px}.c-abstract{color:#333}"
    ".c-showurl{color:#626675;font-size:13px}.ec-tuiguang,[data-tuiguang]{color:#999;"
    "margin-left:6px}#content_right{position:absolute;left:880px;top:80px;width:360px}"
    ".login-button,.login-avatar{float:right;margin-right:40px}"
    "#page a{display:inline-block;border:1px solid #ddd;padding:6px 14px}</style>"
)
LANDING_STYLE = (
    "<style>body{font:16px sans-serif;max-width:760px;margin:20px auto;line-height:1.7}"
    ".content img{max-width:100%;display:block;margin:12px 0}.site-header{color:#888}"
    ".footer{color:#aaa;font-size:12px;margin-top:40px}</style>"
)


def blocked_from(web: DemoWeb, query: str) -> int | None:
    """The first result page of `query` that answers the captcha, if any."""
    sq = web.search_query(query)
    if sq is None:
        return None
    return next((p.number for p in sq.pages if p.blocked), None)


def paid_slot(token: str) -> str:
    return f"{PAID_SLOT_PREFIX}{token}{PAID_SLOT_SUFFIX}"


def _organic(r: SearchResult, rank: int, base_url: str) -> str:
    """An organic result: a /link?url= redirect, and the target in ``mu``."""
    mu = esc(base_url + r.target)
    return (
        f'<div class="result c-container" id="{rank}" mu="{mu}">'
        f'<h3 class="t"><a href="/link?url={esc(r.token)}" target="_blank">{esc(r.title)}</a></h3>'
        f'<div class="c-abstract">{esc(r.snippet)}</div>'
        f'<div class="c-showurl">{esc(r.showurl)}</div></div>\n'
    )


def _paid(r: SearchResult, rank: int, n: int) -> str:
    """A paid result: no ``mu``, a /baidu.php?url= link whose token changes
    on every impression, and the 广告/推广 mark as ``span.ec-tuiguang`` (every
    other one) or ``span[data-tuiguang]``."""
    word = esc(r.sponsor_word)
    if n % 2 == 0:
        badge = f'<span class="ec-tuiguang">{word}</span>'
    else:
        badge = f'<span class="c-color-gray2" data-tuiguang="{rank}">{word}</span>'
    href = f"{PAID_PATH}?url={paid_slot(r.token)}"
    return (
        f'<div class="result c-container" id="{rank}">'
        f'<h3 class="t"><a href="{href}" target="_blank">{esc(r.title)}</a></h3>'
        f'<div class="c-abstract">{esc(r.snippet)}</div>'
        f'<div class="c-showurl">{esc(r.showurl)}{badge}</div></div>\n'
    )


def columns(results: list[SearchResult]) -> tuple[list[SearchResult], list[SearchResult]]:
    """(left, right): the last paid result of a page with two or more goes to
    ``#content_right``, the rest stay in ``#content_left`` in their order."""
    paid = [r for r in results if r.sponsored]
    right = paid[-1:] if len(paid) >= 2 else []
    return [r for r in results if not any(r is x for x in right)], right


def results_page(web: DemoWeb, query: str, pn: int, base_url: str) -> str:
    """The result page at offset `pn` (10 a page); empty when there is none.
    Paid links hold ``paid_slot`` placeholders and the header ``LOGIN_SLOT``:
    both are filled per response."""
    sq = web.search_query(query)
    number = pn // SEARCH_PAGE_SIZE + 1
    found = sq.pages[number - 1] if sq and 1 <= number <= len(sq.pages) else None
    form = (
        f'<div id="head">{LOGIN_SLOT}<form id="form" action="/s">'
        f'<input id="kw" name="wd" value="{esc(query)}" maxlength="255">'
        '<input type="submit" id="su" value="百度一下"></form></div>\n'
    )
    if found is None:
        body = (
            f'{form}<div id="content_left"><div class="nors">抱歉,没有找到与“{esc(query)}”'
            "相关的网页。</div></div>"
        )
        return page(f"{query}_百度搜索", body, head=SEARCH_STYLE)
    _, right_results = columns(found.results)
    blocks: list[str] = []
    side: list[str] = []
    paid_rank, rank, n_paid = 3001, pn + 1, 0
    for r in found.results:
        if r.sponsored:
            (side if any(r is x for x in right_results) else blocks).append(
                _paid(r, paid_rank, n_paid)
            )
            paid_rank += 1
            n_paid += 1
        else:
            blocks.append(_organic(r, rank, base_url))
            rank += 1
    total = sum(len(p.results) for p in sq.pages) if sq else 0
    pager = ""
    if sq and number < len(sq.pages):
        href = esc(search_url(query, pn + SEARCH_PAGE_SIZE))
        pager = f'<div id="page"><a class="n" href="{href}">下一页 &gt;</a></div>'
    right = f'<div id="content_right">\n{"".join(side)}</div>' if side else ""
    body = (
        f'{form}<div id="container"><div class="nums">百度为您找到相关结果约{total * 1000}个</div>'
        f'<div id="content_left">\n{"".join(blocks)}</div>{right}{pager}</div>'
    )
    return page(f"{query}_百度搜索", body, head=SEARCH_STYLE)


def home_page() -> str:
    body = (
        f'<div id="head">{LOGIN_SLOT}<form id="form" action="/s">'
        '<input id="kw" name="wd" maxlength="255">'
        '<input type="submit" id="su" value="百度一下"></form></div>'
    )
    return page("百度一下,你就知道", body, head=SEARCH_STYLE)


def _landing_parts(landing: Landing) -> tuple[str, str, str]:
    """(document start, content, document end) of a landing page."""
    charset = landing.encoding == "utf-8"
    meta = '<meta charset="utf-8">' if charset else ""
    start = (
        f"<!DOCTYPE html>\n<html><head>{meta}<title>{esc(landing.title)}</title>{LANDING_STYLE}"
        f'</head>\n<body>\n<div class="site-header">{esc(landing.site)}</div>\n'
        f"<h1>{esc(landing.h1)}</h1>\n"
    )
    paras = "".join(f"<p>{esc(p)}</p>\n" for p in landing.paragraphs)
    imgs = "".join(f'<img src="/img/{esc(name)}" alt="">\n' for name in landing.images)
    inside, after, scripts = landing_extras(landing.hostile, landing.landing_id)
    content = f'<div class="content">\n{paras}{imgs}{inside}'
    footer = f'<div class="footer">Copyright {esc(landing.site)} 版权所有</div>'
    end = f"</div>\n{after}{footer}\n{scripts}</body></html>\n"
    return start, content, end


def landing_page(landing: Landing) -> bytes:
    """The landing page in its own encoding (GBK pages carry no charset at all)."""
    start, content, end = _landing_parts(landing)
    return (start + content + end).encode(landing.encoding)


def huge_landing_parts(landing: Landing) -> tuple[str, str]:
    """Head and tail of the 20 MB landing page; the server pads between them."""
    start, content, end = _landing_parts(landing)
    return start + content, end


REMOVED_TEXT = "该页面不存在或已被删除"


def removed_page() -> str:
    """What the advertiser's site answers (with 404) once the page is taken down."""
    return page("页面不存在", f'<div class="removed"><h1>404</h1><p>{REMOVED_TEXT}</p></div>')
