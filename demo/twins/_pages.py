"""The pages behind the search twins' results: an advertiser's landing page, a
WeChat official-account article."""

from __future__ import annotations

from demo.render_common import esc, page
from demo.twins._common import img
from demo.twins.model import Hit


def landing_page(hit: Hit, base: str) -> str:
    """An advertiser's (or a bank's, a newspaper's) page: title, heading, text, pictures."""
    paragraphs = "".join(f"<p>{esc(p)}</p>" for p in hit.paragraphs)
    pictures = "".join(f'<img src="{esc(img(base, name))}" alt="">' for name in hit.images)
    body = (
        f'<div class="header">{esc(hit.site)}</div><h1>{esc(hit.heading)}</h1>'
        f'<div class="content">{paragraphs}{pictures}</div>'
        f'<div class="footer">© {esc(hit.site)}</div>'
    )
    return page(hit.title, body)


def article_page(hit: Hit, base: str) -> str:
    """A WeChat article as mp.weixin.qq.com/s serves it: ``h1#activity-name``,
    the account in ``#js_name``, the body in ``div#js_content`` with its pictures
    lazy-loaded from ``data-src``, and the publish time in ``var ct``."""
    paragraphs = "".join(f"<p>{esc(p)}</p>" for p in hit.paragraphs)
    pictures = "".join(
        f'<p><img class="rich_pages wxw-img" data-src="{esc(img(base, name))}" alt=""></p>'
        for name in hit.images
    )
    body = (
        '<div id="js_article" class="rich_media"><div class="rich_media_inner">'
        f'<h1 class="rich_media_title" id="activity-name">{esc(hit.title)}</h1>'
        '<div id="meta_content" class="rich_media_meta_list">'
        f'<span class="rich_media_meta rich_media_meta_nickname" id="profileBt">'
        f'<a href="javascript:void(0);" id="js_name">{esc(hit.site)}</a></span>'
        '<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em></div>'
        f'<div class="rich_media_content js_underline_content" id="js_content">'
        f"{paragraphs}{pictures}</div></div></div>"
        f'<script>var ct = "{hit.created}"; var msg_title = "";</script>'
    )
    head = f'<meta property="og:title" content="{esc(hit.title)}">'
    return page(hit.title, body, head=head)
