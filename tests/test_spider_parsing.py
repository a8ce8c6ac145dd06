"""Spider callbacks on fixture pages (no network): what each channel extracts."""

from dataclasses import replace
from pathlib import Path

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.finding import signals
from crawler.finding.browser import XHR_BODIES_META, ContextRecycler
from crawler.finding.spiders._rendered import RENDERED_AGAIN_META
from crawler.finding.spiders.market import MarketSpider
from crawler.finding.spiders.search import SearchSpider
from crawler.finding.spiders.video import VideoSpider

DATA = Path(__file__).parent / "data"
BASE = "http://127.0.0.1:8765"


def make_spider(cls, tmp_path):
    # the fixtures' links point at the demo web's usual port, allowed as --demo allows it
    settings = {"ADWATCH_DATA_DIR": str(tmp_path), "ADWATCH_ALLOW_HOSTS": "127.0.0.1:8765"}
    crawler = get_crawler(cls, settings)
    spider = cls.from_crawler(crawler)
    crawler.spider = spider
    rejects = []
    crawler.signals.connect(
        lambda reject: rejects.append(reject), signal=signals.reject, weak=False
    )
    return spider, rejects


def html(url, name, **meta):
    request = Request(url, meta=meta)
    return HtmlResponse(
        url=url,
        body=(DATA / name).read_bytes(),
        request=request,
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def test_search_results_page(tmp_path):
    spider, rejects = make_spider(SearchSpider, tmp_path)
    # keyed by URL here (the demo profile keys on the landing: test_profile_language.py)
    profile = spider.profiles["demo-baidu"]
    search = {k: v for k, v in profile.search.items() if k != "key"}
    spider.profiles["demo-baidu"] = replace(profile, search=search)
    out = list(
        spider.parse_results(
            html(f"{BASE}/s?wd=停催&pn=0", "serp.html"),
            profile_name="demo-baidu",
            query="停催",
            page=1,
        )
    )
    landings = [r for r in out if isinstance(r, Request) and r.callback == spider.parse_landing]
    nexts = [r for r in out if isinstance(r, Request) and r.callback == spider.parse_results]
    assert len(landings) == 3  # result 4 has no link at all
    ad = landings[0].cb_kwargs["record"]
    assert ad.url.startswith(f"{BASE}/l/ad1") and ad.canonical_url == f"{BASE}/l/ad1"
    assert ad.sponsored is True and ad.title == "信用卡逾期当天停催，专业协商"
    assert "tc8888" in ad.text and ad.author.name == "www.tingcui-help.cn"
    news = landings[1].cb_kwargs["record"]
    assert news.sponsored is False and "<script>alert(1)</script>" in news.title
    # without mu the redirect link is the record URL
    assert landings[2].cb_kwargs["record"].url == f"{BASE}/link?url=tok3"
    assert [r.cb_kwargs["page"] for r in nexts] == [2]
    assert [r.reason for r in rejects] == ["no_link"]


def test_landing_page_adds_text_and_images(tmp_path):
    spider, _ = make_spider(SearchSpider, tmp_path)
    record = spider.new_record(
        spider.profiles["demo-baidu"], f"{BASE}/l/ad1", title="t", text="snippet"
    )
    body = (
        "<html><body><h1>停催</h1>"
        "<div class=content>加V：tc8888<img src='/img/qr.png'></div></body></html>"
    )
    response = HtmlResponse(
        url=f"{BASE}/l/ad1",
        body=body.encode("gbk"),
        headers={"Content-Type": "text/html"},
        request=Request(f"{BASE}/l/ad1"),
    )
    [out] = spider.parse_landing(response, record)
    assert "加V：tc8888" in out.text and out.text.startswith("snippet")
    assert [i.url for i in out.images] == [f"{BASE}/img/qr.png"]


def test_landing_failure_keeps_the_record(tmp_path):
    spider, rejects = make_spider(SearchSpider, tmp_path)
    record = spider.new_record(spider.profiles["demo-baidu"], f"{BASE}/l/slow", title="t")
    request = Request(f"{BASE}/l/slow", cb_kwargs={"record": record})
    failure = Failure(TimeoutError("took too long"))
    failure.request = request
    [out] = spider.detail_failed(failure)
    assert out is record and out.problems == ["landing page: timeout"]
    assert rejects[0].reason == "timeout" and rejects[0].url == f"{BASE}/l/slow"


def test_video_list_from_captured_xhr(tmp_path):
    spider, rejects = make_spider(VideoSpider, tmp_path)
    response = html(
        f"{BASE}/douyin/search?keyword=停催",
        "video.html",
        **{XHR_BODIES_META: [(DATA / "aweme.json").read_text(encoding="utf-8"), "{bad json"]},
    )
    out = list(spider.parse_list(response, profile_name="demo-douyin", query="停催", page=1))
    # the good answer said there was more: the list is read again (see below)
    [detail] = [r for r in out if "record" in r.cb_kwargs]
    assert len(out) == 2
    record = detail.cb_kwargs["record"]
    assert record.url == f"{BASE}/video/7301" and record.title == "逾期别慌 #停催"
    assert record.author.name == "上岸哥" and record.author.url == f"{BASE}/user/MS4wLjABAAAAxyz"
    assert record.published_at == "2023-11-14T22:13:20Z"
    assert record.images[0].url.endswith("cover_7301.jpg")
    assert sorted(r.reason for r in rejects) == ["bad_json", "no_id"]


def test_video_page_embedded_data(tmp_path):
    spider, _ = make_spider(VideoSpider, tmp_path)
    record = spider.new_record(
        spider.profiles["demo-douyin"], f"{BASE}/video/7301", title="逾期别慌"
    )
    [out] = spider.parse_detail(html(f"{BASE}/video/7301", "video.html"), record)
    assert out.title == "逾期别慌 #停催 #上岸"
    assert (
        "加薇 shang-an-88 私聊" in out.text and out.extra["comments"][1] == "加薇 shang-an-88 私聊"
    )
    assert out.author.id == "MS4wLjABAAAAxyz"


def test_market_list_and_next_page(tmp_path):
    spider, _ = make_spider(MarketSpider, tmp_path)
    response = html(
        f"{BASE}/goofish/search?q=x&page=1",
        "video.html",
        **{XHR_BODIES_META: [(DATA / "mtop.json").read_text(encoding="utf-8")]},
    )
    out = list(spider.parse_list(response, profile_name="demo-xianyu", query="逾期协商", page=1))
    details = [r for r in out if r.callback == spider.parse_detail]
    nexts = [r for r in out if r.callback == spider.parse_list]
    record = details[0].cb_kwargs["record"]
    assert (
        record.url == f"{BASE}/item?id=9001" and record.price == "¥28" and record.region == "广东"
    )
    assert record.published_at == "2023-11-14T22:13:20Z"  # publishTime, milliseconds
    # the demo profile pages by its next button inside one rendered page, not by URL
    assert spider.profiles["demo-xianyu"].search["next_click"]
    assert nexts and not any("page=" in r.url for r in nexts)


def test_rendered_page_without_data_is_read_again_then_a_reject(tmp_path):
    spider, rejects = make_spider(VideoSpider, tmp_path)

    def read(**meta: object) -> list:
        response = html(f"{BASE}/douyin/search?keyword=x", "video.html", **meta)
        return list(spider.parse_list(response, profile_name="demo-douyin", query="x", page=1))

    [again] = read()
    assert again.meta[RENDERED_AGAIN_META] == 1 and again.dont_filter and rejects == []
    assert read(**{RENDERED_AGAIN_META: spider.settings.getint("RETRY_TIMES")}) == []
    [reject] = rejects
    assert reject.reason == "no_data" and "within 8 s" in reject.detail


def test_a_list_rendered_again_starts_from_fresh_meta(tmp_path, caplog):
    """The response of a rendered list carries what Scrapy's downloader set on
    its request (latency, the retries of a failed fetch, redirects); a list
    rendered again is a new request with adwatch's own keys only, so Scrapy's
    retry count is not inherited and its meta-copy check has nothing to say."""
    from scrapy.spidermiddlewares.metacopy import MetaCopyDetectionMiddleware

    spider, _ = make_spider(VideoSpider, tmp_path)
    spider.crawler.crawling = True
    [first] = spider.search_requests(spider.profiles["demo-douyin"], "停催")
    # what the downloader leaves on a request that needed one retry and a redirect
    first.meta.update(
        download_latency=1.5, retry_times=1, redirect_times=1, redirect_urls=[first.url]
    )
    response = HtmlResponse(
        url=first.url,
        body=(DATA / "video.html").read_bytes(),
        request=first,
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    [again] = spider.parse_list(response, profile_name="demo-douyin", query="停催", page=1)
    assert MetaCopyDetectionMiddleware._INTERNAL_KEYS & again.meta.keys() == set()
    assert again.meta[RENDERED_AGAIN_META] == 1 and again.meta["playwright"] is True
    assert again.url == first.url and again.cb_kwargs == first.cb_kwargs
    assert again.dont_filter and again.priority < first.priority
    # Scrapy's own check, as it runs in a crawl: silent on it, not on a copy
    check = MetaCopyDetectionMiddleware(spider.crawler)
    with caplog.at_level("WARNING", logger="scrapy.spidermiddlewares.metacopy"):
        check.get_processed_request(again, response)
        assert "internal meta keys" not in caplog.text
        check.get_processed_request(first.replace(dont_filter=True), response)
        assert "['download_latency', 'redirect_times', 'redirect_urls', 'retry_times']" in (
            caplog.text
        )


def test_browser_contexts_rotate_when_requests_are_sent():
    recycler = ContextRecycler(recycle_every=2)
    names = []
    for _ in range(5):
        request = Request("http://h/", meta={"playwright": True, "adwatch_platform": "p"})
        recycler.process_request(request)
        names.append(request.meta["playwright_context"])
    assert names == ["p#0", "p#0", "p#1", "p#1", "p#2"]
    plain = Request("http://h/img.png", meta={"adwatch_platform": "p"})
    recycler.process_request(plain)
    assert "playwright_context" not in plain.meta


def test_unreadable_detail_page_keeps_the_record(tmp_path):
    spider, rejects = make_spider(VideoSpider, tmp_path)
    record = spider.new_record(spider.profiles["demo-douyin"], f"{BASE}/video/9", title="停催")
    body = b'<script id="RENDER_DATA" type="application/json">%7Bnot json</script>'
    response = HtmlResponse(
        url=f"{BASE}/video/9",
        body=body,
        request=Request(f"{BASE}/video/9"),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    [out] = spider.parse_detail(response, record)
    assert out.title == "停催" and out.problems == ["detail page: unreadable"]
    assert rejects[0].reason == "unreadable_page"


def test_a_list_read_while_the_crawl_stops_is_left_unfinished(tmp_path):
    """Stopping cuts a rendered list's scrolling short: its items are kept and
    the list is marked for the frontier to hand to a resumed crawl whole."""
    from types import SimpleNamespace

    from crawler.finding.frontier import UNFINISHED_META

    body = (DATA / "aweme.json").read_text(encoding="utf-8")
    url = f"{BASE}/douyin/search?keyword=停催"

    def read(crawling: bool, closing: object, bodies: list[str]) -> tuple[list, dict, list]:
        spider, rejects = make_spider(VideoSpider, tmp_path)
        spider.crawler.engine = SimpleNamespace(_slot=SimpleNamespace(closing=closing))
        spider.crawler.crawling = crawling
        response = html(url, "video.html", **{XHR_BODIES_META: bodies})
        out = list(spider.parse_list(response, profile_name="demo-douyin", query="q", page=1))
        return out, response.meta, [r.reason for r in rejects]

    out, meta, _ = read(True, None, [body])
    assert len(out) == 2 and UNFINISHED_META not in meta  # its item; the list again (below)
    for crawling, closing in ((False, None), (True, object())):  # Ctrl-C; a CLOSESPIDER limit
        out, meta, _ = read(crawling, closing, [body])
        assert len(out) == 1 and meta[UNFINISHED_META] is True
    # a page whose data never came while stopping: no reject, the resumed crawl reads it
    out, meta, rejected = read(False, None, [])
    assert out == [] and meta[UNFINISHED_META] is True and rejected == []


def test_a_list_whose_scrolling_stopped_short_is_read_again_then_rejected(tmp_path):
    """The last data answer says there is more, yet no answer came to the scroll
    (a slow data request): the list is rendered again up to RETRY_TIMES, its
    items read so far kept and not followed twice; then a reject says so."""
    import json

    from crawler.finding.browser import XHR_META

    body = (DATA / "aweme.json").read_text(encoding="utf-8")
    last = json.dumps({**json.loads(body), "has_more": 0})
    url = f"{BASE}/douyin/search?keyword=停催"
    spider, rejects = make_spider(VideoSpider, tmp_path)
    spider.crawler.crawling = True

    def cut(rejects: list) -> list:  # aweme.json has an item without an id, also a reject
        return [r for r in rejects if r.reason != "no_id"]

    def read(bodies: list[str], **meta: object) -> list:
        response = html(url, "video.html", **{XHR_BODIES_META: bodies, XHR_META: "x", **meta})
        return list(spider.parse_list(response, profile_name="demo-douyin", query="q", page=1))

    first = read([body])
    [again] = [r for r in first if "record" not in r.cb_kwargs]
    assert again.dont_filter and again.meta[RENDERED_AGAIN_META] == 1
    assert XHR_BODIES_META not in again.meta
    assert again.meta[XHR_META] == spider.profiles["demo-douyin"].search["xhr"]
    assert len(first) == 2 and cut(rejects) == []
    # read again, further this time: the first batch's item is not followed twice
    assert read([body, last], **again.meta) == []
    # the budget spent: a reject names the batch the scrolling stopped at
    spent = {RENDERED_AGAIN_META: spider.settings.getint("RETRY_TIMES")}
    assert read([body, body], **spent) == []
    [reject] = cut(rejects)
    assert reject.reason == "paging_cut_short" and "after page 2 of up to 5" in reject.detail
    # no more to read, or as many batches as the profile asks for: nothing to do
    spider, rejects = make_spider(VideoSpider, tmp_path)
    spider.crawler.crawling = True
    assert len(read([last])) == 1 and len(read([body] * 5)) == 0 and cut(rejects) == []


def test_a_bad_link_is_one_reject_and_the_rest_of_the_page_goes_on(tmp_path):
    """A javascript: link in a result's target raised ValueError in follow()
    and cost the rest of the page; now it and every link the address policy
    refuses is one reject each, and the results after them are followed."""
    spider, rejects = make_spider(SearchSpider, tmp_path)
    targets = [
        "/l/first",
        "javascript:void(0)",
        "file:///etc/passwd",
        "http://10.0.0.5/admin",
        "http://[::1/broken",
        "/l/last",
    ]
    blocks = "".join(
        f'<div class="result c-container" mu="{t}"><h3 class="t"><a href="{t}">停催 {n}</a>'
        f'</h3><div class="c-abstract">协商还款 {n}</div></div>'
        for n, t in enumerate(targets)
    )
    page = f'<html><body><div id="content_left">{blocks}</div></body></html>'
    url = f"{BASE}/s?wd=x&pn=0"
    response = HtmlResponse(url=url, body=page.encode(), request=Request(url), encoding="utf-8")
    out = list(spider.parse_results(response, profile_name="demo-baidu", query="x", page=1))
    followed = [r.url for r in out if isinstance(r, Request)]
    assert followed == [f"{BASE}/l/first", f"{BASE}/l/last"]
    assert [(r.reason, r.url) for r in rejects] == [
        ("refused_scheme", "javascript:void(0)"),
        ("refused_scheme", "file:///etc/passwd"),
        ("refused_address", "http://10.0.0.5/admin"),
        ("bad_result", url),  # not even a URL: the result cannot be read
    ]
