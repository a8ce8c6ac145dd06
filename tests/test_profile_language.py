"""Profile keys the live platforms need: records keyed by their landing page,
query labels, offsets, detail data from a data answer, times in milliseconds,
embedded script data, HTML inside JSON, and (in real Chromium) answers read
from the page's own responses, filtered by ``xhr_match`` and paged by a
``next_click`` button."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request
from twisted.python.failure import Failure

from crawler import settings
from crawler.finding.browser import (
    PAGING_META,
    XHR_ANSWERS_META,
    XHR_BODIES_META,
    browser_meta,
    prepare_page,
    settle,
)
from crawler.finding.extract import embedded_json, json_path
from crawler.finding.profiles import ProfileError, load_profile
from crawler.finding.spiders._rendered import _when
from crawler.finding.spiders.market import MarketSpider
from crawler.finding.spiders.search import SearchSpider
from tests.test_spider_parsing import BASE, html, make_spider


def keyed_by_landing(spider: SearchSpider) -> None:
    profile = spider.profiles["demo-baidu"]
    spider.profiles["demo-baidu"] = replace(profile, search={**profile.search, "key": "landing"})


def landing_requests(spider: SearchSpider) -> list[Request]:
    out = spider.parse_results(
        html(f"{BASE}/s?wd=停催&pn=0", "serp.html"), profile_name="demo-baidu", query="停催", page=1
    )
    return [r for r in out if isinstance(r, Request) and r.callback == spider.parse_landing]


def landed(request: Request, url: str) -> HtmlResponse:
    return HtmlResponse(
        url=url,
        body="<html><body><h1>协商</h1></body></html>".encode(),
        headers={"Content-Type": "text/html; charset=utf-8"},
        request=request,
    )


def test_a_result_keyed_by_its_landing_is_one_record_however_often_its_link_changes(tmp_path):
    spider, _ = make_spider(SearchSpider, tmp_path)
    keyed_by_landing(spider)
    first = landing_requests(spider)
    # the request goes to the result's own link, not to the key it waits under
    assert first[2].url == f"{BASE}/link?url=tok3"
    [record] = spider.parse_landing(
        landed(first[2], f"{BASE}/l/final?utm_source=x"), **first[2].cb_kwargs
    )
    assert record.url == f"{BASE}/l/final?utm_source=x"
    assert record.canonical_url == f"{BASE}/l/final" and record.extra["link"].endswith("tok3")
    # the same ad met again behind another impression's link: no second record
    spider._seen_records.discard(f"demo-baidu\n{BASE}/link?url=tok3")
    [again] = [r for r in landing_requests(spider) if r.url.endswith("tok3")]
    assert list(spider.parse_landing(landed(again, f"{BASE}/l/final"), **again.cb_kwargs)) == []


def test_a_result_keyed_by_its_landing_that_cannot_be_reached_is_keyed_by_site_and_title(
    tmp_path,
):
    spider, rejects = make_spider(SearchSpider, tmp_path)
    keyed_by_landing(spider)
    ids = set()
    for _ in range(2):
        spider._seen_records.clear()
        request = landing_requests(spider)[2]  # known by its link alone
        failure = Failure(TimeoutError("took too long"))
        failure.request = request
        [record] = spider.detail_failed(failure)
        assert record.problems == ["landing page: timeout"]
        assert "site=" in record.url and "%E6%B2%A1%E6%9C%89" in record.url  # its title
        ids.add(record.id)
    assert len(ids) == 1
    assert [r.reason for r in rejects if r.reason != "no_link"] == ["timeout", "timeout"]


def test_a_result_whose_page_names_its_target_keeps_it_as_its_key(tmp_path):
    spider, _ = make_spider(SearchSpider, tmp_path)
    keyed_by_landing(spider)
    request = landing_requests(spider)[0]  # Baidu's mu names the target
    record = request.cb_kwargs["record"]
    assert record.canonical_url == f"{BASE}/l/ad1" and "link" not in record.extra
    [out] = spider.parse_landing(landed(request, record.url), **request.cb_kwargs)
    assert out.canonical_url == f"{BASE}/l/ad1"
    failure = Failure(TimeoutError("took too long"))
    failure.request = request
    [kept] = spider.detail_failed(failure)
    assert kept.canonical_url == f"{BASE}/l/ad1"


def test_without_the_key_a_result_keeps_its_link_as_before(tmp_path):
    spider, _ = make_spider(SearchSpider, tmp_path)
    profile = spider.profiles["demo-baidu"]
    search = {k: v for k, v in profile.search.items() if k != "key"}
    spider.profiles["demo-baidu"] = replace(profile, search=search)
    assert landing_requests(spider)[2].cb_kwargs["record"].url == f"{BASE}/link?url=tok3"


def write_profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


SEARCH_PROFILE = """
name: t
channel: search
base_url: http://127.0.0.1:8765
queries: [停催, {label: 逾期话题, value: "100103type=1&q=逾期"}]
search:
  url: "{base}/search?q={query}&first={offset}"
  page_size: 10
  first_offset: 1
  results: li
  title: a
  link: a::attr(href)
"""


def test_a_query_label_names_records_while_its_value_goes_into_the_url(tmp_path):
    profile = load_profile(write_profile(tmp_path, SEARCH_PROFILE))
    assert profile.queries == ("停催", "逾期话题")
    spider, _ = make_spider(SearchSpider, tmp_path)
    spider.profiles = {"t": profile}
    [request] = spider.search_requests(profile, "逾期话题")
    assert "q=100103type%3D1%26q%3D%E9%80%BE%E6%9C%9F" in request.url
    assert request.cb_kwargs["query"] == "逾期话题"
    [plain] = spider.search_requests(profile, "停催")
    assert "q=%E5%81%9C%E5%82%AC" in plain.url


def test_first_offset_starts_the_offsets_where_the_engine_counts_from(tmp_path):
    profile = load_profile(write_profile(tmp_path, SEARCH_PROFILE))
    spider, _ = make_spider(SearchSpider, tmp_path)
    spider.profiles = {"t": profile}
    assert spider._page_request(profile, "停催", 1).url.endswith("first=1")
    assert spider._page_request(profile, "停催", 3).url.endswith("first=21")


@pytest.mark.parametrize("entry", ["{label: x}", "{value: y}", "[a, b]", "{label: x, value: [1]}"])
def test_a_malformed_query_entry_is_a_profile_error(tmp_path, entry):
    text = SEARCH_PROFILE.replace(
        'queries: [停催, {label: 逾期话题, value: "100103type=1&q=逾期"}]', f"queries: [{entry}]"
    )
    with pytest.raises(ProfileError, match="queries entry 1"):
        load_profile(write_profile(tmp_path, text))


def test_detail_data_comes_from_the_page_s_data_answer(tmp_path):
    spider, rejects = make_spider(MarketSpider, tmp_path)
    profile = spider.profiles["demo-xianyu"]
    detail = {
        "render": True,
        "xhr": "/h5/mtop.taobao.idle.pc.detail/1.0/",
        "fields": {
            "text": "data.itemDO.desc",
            "author_name": "data.sellerDO.nick",
            "images": "data.itemDO.imageInfos[].url",
        },
    }
    spider.profiles["demo-xianyu"] = replace(profile, detail=detail)
    record = spider.new_record(spider.profiles["demo-xianyu"], f"{BASE}/item?id=1", title="话术")
    answer = {
        "data": {
            "itemDO": {
                "desc": "协商还款话术模板，加V：ht2024",
                "imageInfos": [{"url": "/img/a.jpg"}],
            },
            "sellerDO": {"nick": "上岸老师"},
        }
    }
    response = html(f"{BASE}/item?id=1", "video.html", **{XHR_BODIES_META: [json.dumps(answer)]})
    [out] = spider.parse_detail(response, record)
    assert "ht2024" in out.text and out.author.name == "上岸老师"
    assert [i.url for i in out.images] == [f"{BASE}/img/a.jpg"] and rejects == []
    # no answer came: a reject naming the key, the record kept with what the list said
    [kept] = spider.parse_detail(html(f"{BASE}/item?id=1", "video.html"), record)
    assert kept is record and "detail.xhr" in rejects[0].detail


def test_times_in_seconds_and_milliseconds_read_alike():
    assert _when(1700000000) == _when(1700000000000) == "2023-11-14T22:13:20Z"
    assert _when("1700000000000") == "2023-11-14T22:13:20Z"
    assert _when(10**30) == str(10**30) and _when(True) == "" and _when("昨天") == "昨天"


def test_script_data_with_undefined_values_is_read():
    page = Selector(
        text='<script>window.__INITIAL_STATE__={"note":{"title":"停催","a":undefined,'
        '"b":[undefined,1],"c":"s=undefined"}}</script>'
        '<script>var $render_data = [{"status":{"text":"协商"}}][0] || {};</script>'
    )
    state = embedded_json(page, "script:contains('__INITIAL_STATE__')::text", "js")
    assert state == {"note": {"title": "停催", "a": None, "b": [None, 1], "c": "s=undefined"}}
    data = embedded_json(page, "script:contains('render_data')::text", "js")
    assert json_path(data, "[0].status.text") == "协商"
    with pytest.raises(ValueError, match="no assigned object"):
        embedded_json(Selector(text="<script>go()</script>"), "script::text", "js")


def test_html_inside_json_is_read_as_a_reader_sees_it():
    post = {"text": '逾期<a href="/n/x">@上岸</a>可<span class="e">停</span>催<br />加微信'}
    assert json_path(post, "html_text(text)") == "逾期@上岸可停催\n加微信"
    assert json_path({}, "html_text(text)") == ""


# --- in real Chromium ---------------------------------------------------------

PAGE = """<!doctype html><meta charset=utf-8><body><ul id=list></ul>
<button class=next>下一页</button><script>
var page = 1;
function ask(op, n) {
  return fetch('/graphql', {method: 'POST', body: JSON.stringify({op: op, page: n})})
    .then(function (r) { return r.json(); });
}
function load(n) {
  ask('search', n).then(function (d) {
    d.data.search.items.forEach(function (i) {
      var li = document.createElement('li'); li.textContent = i; list.appendChild(li);
    });
  });
}
ask('profile', 0); load(1);
document.querySelector('.next').onclick = function () { page += 1; load(page); };
</script>"""


class _Site(BaseHTTPRequestHandler):
    silent_after = 99  # pages after this one never answer (a stuck button)

    def do_GET(self) -> None:
        self._send("text/html; charset=utf-8", PAGE.encode())

    def do_POST(self) -> None:
        asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if asked["op"] == "profile":
            answer: dict[str, Any] = {"data": {"profile": {"name": "me"}}}
        elif asked["page"] > self.silent_after:
            self._send("application/json", b'{"data": {"search": null}, "errors": ["later"]}')
            return
        else:
            n = asked["page"]
            answer = {"data": {"search": {"items": [f"p{n}a", f"p{n}b"], "more": n < 3}}}
        self._send("application/json", json.dumps(answer).encode())

    def _send(self, kind: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


async def _render(url: str, batches: int) -> tuple[int, dict[str, Any]]:
    from playwright.async_api import async_playwright

    meta = browser_meta(
        xhr="/graphql",
        batches=batches,
        timeout=3,
        context_kwargs={},
        has_next="data.search.more",
        next_click="button.next",
        xhr_match="data.search",
    )
    request = Request(url, meta=meta)
    async with async_playwright() as p:
        browser = await p.chromium.launch(**settings.PLAYWRIGHT_LAUNCH_OPTIONS)
        page = await browser.new_page()
        await prepare_page(page, request)
        await page.goto(url)
        kept = await settle(page, batches, 3, has_next="data.search.more", next_click="button.next")
        await browser.close()
    return kept, request.meta


@pytest.fixture()
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_a_button_pages_the_list_and_only_the_matching_operation_is_kept(site):
    _Site.silent_after = 99
    kept, meta = asyncio.run(_render(f"http://127.0.0.1:{site.server_port}/", 5))
    pages = [json.loads(b)["data"]["search"]["items"][0] for b in meta[XHR_BODIES_META]]
    assert kept == 3 and pages == ["p1a", "p2a", "p3a"]  # has_next said no after page 3
    # the other operation of the shared endpoint was seen (for the block check), not kept
    assert len(meta[XHR_ANSWERS_META]) == 4 and meta[PAGING_META] == {}


@pytest.mark.browser
def test_a_click_that_brings_no_answer_says_which_page_is_missing(site):
    _Site.silent_after = 1
    kept, meta = asyncio.run(_render(f"http://127.0.0.1:{site.server_port}/", 5))
    assert kept == 1
    assert meta[PAGING_META]["batch"] == 2
    assert "clicking 'button.next'" in meta[PAGING_META]["stopped"]


# --- a result page built by a script (search.render: true) ----------------------

RESULTS_SHELL = """<!doctype html><meta charset=utf-8><body><div id=list></div><script>
setTimeout(function () {
  fetch('/api/results').then(function (r) { return r.json(); }).then(function (d) {
    d.forEach(function (x) {
      var div = document.createElement('div'); div.className = 'r';
      var a = document.createElement('a'); a.href = x.url; a.textContent = x.title;
      var p = document.createElement('p'); p.textContent = x.text;
      div.appendChild(a); div.appendChild(p); list.appendChild(div);
    });
  });
}, 300);
</script>"""
SCRIPTED = [
    {"url": "/l/1", "title": "逾期协商 当天停催", "text": "专业团队 加微信 ts-0101"},
    {"url": "/l/2", "title": "征信修复 代理投诉", "text": "全国受理"},
]


class _ScriptedSearch(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/api/results"):
            body, kind = json.dumps(SCRIPTED).encode(), "application/json"
        elif self.path.startswith("/l/"):
            body, kind = f"<h1>{self.path}</h1>".encode(), "text/html; charset=utf-8"
        else:
            body, kind = RESULTS_SHELL.encode(), "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.slow
@pytest.mark.browser
def test_a_result_page_a_script_builds_is_read_after_the_browser_built_it(tmp_path):
    import sqlite3

    from tests.conftest import adwatch

    server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedSearch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "scripted.yaml").write_text(
        "name: scripted\nchannel: search\n"
        f"base_url: {base}\nqueries: [停催]\n"
        "search:\n"
        '  url: "{base}/s?q={query}"\n'
        "  render: true\n"
        '  results: "#list > div.r"\n'
        '  title: "a"\n'
        '  link: "a::attr(href)"\n'
        '  snippet: "p"\n',
        encoding="utf-8",
    )
    try:
        done = adwatch(
            "crawl", "--site", "scripted", "--sites-dir", str(sites), "--base-url", base,
            "-s", "ADWATCH_CAPTURE=False", "-s", "ADWATCH_XHR_WAIT=5",
            data_dir=tmp_path / "data",
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr[-2000:]
    db = sqlite3.connect(tmp_path / "data" / "catalogue.db")
    try:
        docs = [json.loads(d) for (d,) in db.execute("SELECT doc FROM records")]
    finally:
        db.close()
    assert sorted(d["title"] for d in docs) == sorted(x["title"] for x in SCRIPTED)
    assert any("ts-0101" in d["text"] for d in docs)
