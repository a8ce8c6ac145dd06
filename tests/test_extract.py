from parsel import Selector
from scrapy.http import HtmlResponse, Request

from crawler.finding.extract import embedded_json, page_text, text_of
from crawler.interfaces.terminal import printable, shorten

GBK_PAGE = (
    "<html><head><title>停催</title></head>"
    "<body><div class='content'>当天停催，加V：tc8888</div></body></html>"
)


def response(body: bytes, content_type: str = "text/html") -> HtmlResponse:
    return HtmlResponse(
        url="http://h/l/1",
        body=body,
        headers={"Content-Type": content_type},
        request=Request("http://h/l/1"),
    )


def test_gbk_page_without_charset_is_decoded():
    text = page_text(response(GBK_PAGE.encode("gbk")))
    assert "当天停催，加V：tc8888" in text


def test_declared_charset_wins():
    assert "停催" in page_text(response(GBK_PAGE.encode("gb2312"), "text/html; charset=gb2312"))
    assert "停催" in page_text(response(GBK_PAGE.encode("utf-8"), "text/html; charset=utf-8"))


def test_text_of_skips_scripts_and_tries_alternatives():
    sel = Selector(text="<div class='c'>加V <script>var x='no'</script><b>tc</b></div>")
    assert text_of(sel, ".missing, .c") == "加V tc"
    sel = Selector(text="<div class='c'><p>停<em>催</em></p><!-- note --><p>加V</p></div>")
    assert text_of(sel, ".c") == "停催\n加V"
    assert text_of(sel, ".c::attr(class)") == "c"
    assert text_of(sel, None) == ""


def test_markup_in_ad_text_stays_text():
    sel = Selector(text="<h3>&lt;script&gt;alert(1)&lt;/script&gt;当天停催</h3>")
    assert text_of(sel, "h3") == "<script>alert(1)</script>当天停催"


def test_embedded_url_encoded_json():
    sel = Selector(
        text='<script id="RENDER_DATA" type="application/json">'
        "%7B%22a%22%3A%22%E5%81%9C%22%7D</script>"
    )
    assert embedded_json(sel, "script#RENDER_DATA::text", "url") == {"a": "停"}


def test_terminal_shows_control_characters_as_escapes():
    assert printable("a\x1b[31mb\u202ec") == "a\\x1b[31mb\\u202ec"
    assert printable("x\ny", one_line=True) == "x y"
    assert shorten("停催" * 10, 5) == "停催停催…"
