"""The demo web as evidence capture and `recheck` meet it: record pages that
are taken down, edited and restored while serving (by API or a --gone file),
and landing pages that fight a browser (never_loads, infinite_scroll,
navigates_away, download).

Real server on a free port, urllib/http.client requests; one Chromium test.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import pytest

from demo import DemoServer, DemoWeb
from demo.build_search import _page_with_room
from demo.ground_truth import ground_truth_lines
from demo.model import SearchPage, SearchQuery, SearchResult, Truth

ROOT = Path(__file__).resolve().parents[1]
STALL = 30.0  # slow_seconds here: longer than any test, so only stop() ends the trickle
CASES = {
    "never_loads": "load_timeout",
    "infinite_scroll": "scroll_limit",
    "navigates_away": "navigated",
    "download": "download",
}


# --- helpers -------------------------------------------------------------------


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body); HTTP errors are answers too."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers.items()), err.read()


def text(url: str) -> str:
    return fetch(url)[2].decode("utf-8")


def title_of(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, page[:200]
    return found.group(1)


def render_data(page: str) -> Any:
    found = re.search(r'<script id="RENDER_DATA" type="application/json">(.*?)</script>', page)
    assert found, page[:200]
    return json.loads(unquote(found.group(1)))


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `check` until it holds (the --gone file is re-read by a poller)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# --- fixtures ------------------------------------------------------------------


# web, truth and records: tests/conftest.py (this module's own web)


@pytest.fixture(scope="module")
def server(web: DemoWeb) -> Iterator[DemoServer]:
    with DemoServer(web, port=0, slow_seconds=STALL) as srv:
        yield srv


@pytest.fixture(scope="module")
def base(server: DemoServer) -> str:
    return server.base_url


@pytest.fixture(scope="module")
def pages(records: list[dict[str, Any]]) -> dict[str, str]:
    """One record page per channel (the search one with tracking parameters)."""
    return {
        "search": next(
            r["url"]
            for r in records
            if r["channel"] == "search" and "?" in r["url"] and not r["hostile"]
        ),
        "video": next(r["url"] for r in records if r["channel"] == "video" and not r["hostile"]),
        "market": next(r["url"] for r in records if r["channel"] == "market" and not r["hostile"]),
    }


@pytest.fixture(scope="module")
def capture(truth: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t["case"]: t for t in truth if t["kind"] == "capture"}


# --- takedowns and edits -------------------------------------------------------


def assert_removed(channel: str, status: int, page: str) -> None:
    if channel == "search":
        assert status == 404 and "该页面不存在或已被删除" in page
        return
    assert status == 200  # the platforms answer 200: only the content says it is gone
    if channel == "video":
        assert render_data(page) == {"app": {"videoDetail": None, "statusCode": -404}}
        assert "视频不见了" in page
    else:
        assert "宝贝不存在" in page and "该商品已下架" in page and "item-title" not in page


@pytest.mark.parametrize("channel", ["search", "video", "market"])
def test_take_down_then_restore(
    server: DemoServer, base: str, pages: dict[str, str], channel: str
) -> None:
    url = pages[channel]
    status, _, before = fetch(base + url)  # now in the router's cache
    assert status == 200
    server.take_down(base + url)  # an absolute URL names the page too
    status, headers, body = fetch(base + url)
    assert headers["Content-Length"] == str(len(body))
    assert_removed(channel, status, body.decode())
    other = url.split("?")[0] if channel != "market" else url + "&spm=a21ybx.search.0"
    status, _, body = fetch(base + other)
    assert_removed(channel, status, body.decode())
    server.restore(other)  # tracking parameters do not matter
    status, _, after = fetch(base + url)
    assert status == 200 and after == before


def test_edit_changes_the_text_and_keeps_the_title(
    server: DemoServer, base: str, pages: dict[str, str]
) -> None:
    new = "已更新:本服务已暂停 <b>旧联系方式作废</b>"
    before = {channel: text(base + url) for channel, url in pages.items()}
    try:
        for url in pages.values():
            server.edit(url, new)
        after = {channel: text(base + url) for channel, url in pages.items()}
    finally:
        for url in pages.values():
            server.restore(url)
    escaped = new.replace("<", "&lt;").replace(">", "&gt;")
    for channel in pages:
        assert title_of(after[channel]) == title_of(before[channel]), channel
        assert after[channel] != before[channel]
    old_paragraphs = re.findall(r"<p>(.*?)</p>", before["search"].split('class="content"')[1])
    assert f"<p>{escaped}</p>" in after["search"]
    assert not any(p in after["search"] for p in old_paragraphs if len(p) > 8)
    detail = render_data(after["video"])["app"]["videoDetail"]
    assert detail["desc"] == new and render_data(before["video"])["app"]["videoDetail"]["desc"]
    assert f'<div class="item-desc">{escaped}</div>' in after["market"]
    assert {channel: text(base + url) for channel, url in pages.items()} == before


def test_only_record_pages_of_this_web_can_change(server: DemoServer) -> None:
    for target in ("/s?wd=x", "/l/00000000", "/video/", "/item?id=", "/user?id=1", "/loop/a"):
        with pytest.raises(ValueError):
            server.take_down(target)


def test_takedowns_and_edits_leave_the_ground_truth_alone(
    server: DemoServer, web: DemoWeb, truth: list[dict[str, Any]], pages: dict[str, str]
) -> None:
    server.take_down(pages["video"])
    server.edit(pages["market"], "改过的描述")
    try:
        assert ground_truth_lines(web) == truth
    finally:
        server.restore(pages["video"])
        server.restore(pages["market"])


def test_toggling_under_load_never_serves_a_stale_page(
    server: DemoServer, base: str, pages: dict[str, str]
) -> None:
    url = pages["market"]
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            assert fetch(base + url)[0] == 200

    with ThreadPoolExecutor(4) as pool:
        busy = [pool.submit(hammer) for _ in range(3)]
        try:
            for i in range(15):
                server.take_down(url)
                assert "宝贝不存在" in text(base + url)
                server.edit(url, f"第{i}版")
                server.restore(url)  # restore clears the takedown and the edit
                assert "宝贝不存在" not in (page := text(base + url)) and f"第{i}版" not in page
        finally:
            stop.set()
        for job in busy:
            job.result()


def test_gone_file_is_read_at_start_and_when_it_changes(
    web: DemoWeb, pages: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = tmp_path / "gone.txt"
    gone.write_text(f"# taken down\n{pages['video']}\n/s?wd=nope\n\n", encoding="utf-8")
    with DemoServer(web, port=0, gone_file=gone, gone_poll=0.05) as srv:
        video, item = srv.base_url + pages["video"], srv.base_url + pages["market"]
        assert "视频不见了" in text(video)  # gone before the first request
        assert "宝贝不存在" not in text(item)
        assert "/s?wd=nope" in capsys.readouterr().err
        gone.write_text(srv.base_url + pages["market"] + "\n", encoding="utf-8")
        wait_until(lambda: "宝贝不存在" in text(item))
        assert "视频不见了" not in text(video)  # no longer listed: restored
        srv.take_down(pages["search"])  # by hand: the file leaves it alone
        gone.unlink()
        wait_until(lambda: "宝贝不存在" not in text(item))
        assert fetch(srv.base_url + pages["search"])[0] == 404


def test_command_line_gone_file(pages: dict[str, str], tmp_path: Path) -> None:
    gone = tmp_path / "gone.txt"
    gone.write_text(pages["search"] + "\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo", "--port", "0", "--gone", str(gone)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().rsplit(" ", 1)[1]
        assert fetch(url + pages["search"])[0] == 404
        gone.write_text(pages["search"] + "\n" + pages["video"] + "\n", encoding="utf-8")
        wait_until(lambda: "视频不见了" in text(url + pages["video"]))
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert proc.returncode == 0


# --- capture-hostile landing pages ---------------------------------------------


def test_ground_truth_lists_the_capture_cases(
    base: str, capture: dict[str, dict[str, Any]], records: list[dict[str, Any]]
) -> None:
    assert {case: line["expect"] for case, line in capture.items()} == CASES
    assert capture["never_loads"]["target"] is None
    assert capture["infinite_scroll"]["target"] is None
    assert capture["download"]["target"] == "/dl/app.apk"
    landing_id = capture["navigates_away"]["url"].rsplit("/", 1)[1]
    assert capture["navigates_away"]["target"] == f"/wx/add?id={landing_id}"
    by_url = {r["url"]: r for r in records}
    for case, line in capture.items():
        rec = by_url[line["url"]]
        assert rec["channel"] == "search" and rec["hostile"] == case
        assert rec["label"] == "ad" and not rec["image_only"] and rec["reachable"]
        assert rec["page"] <= 5 and any(c["where"] == "text" for c in rec["contacts"])
        serp = text(base + "/s?" + urlencode({"wd": rec["query"], "pn": (rec["page"] - 1) * 10}))
        assert f'mu="{base}{rec["url"]}"' in serp  # reachable from the results
    assert by_url[capture["download"]["url"]]["category"] == "AI接听"


def test_never_loads_html_completes_while_its_script_trickles(
    base: str, capture: dict[str, dict[str, Any]], records: list[dict[str, Any]]
) -> None:
    rec = next(r for r in records if r["hostile"] == "never_loads")
    start = time.monotonic()
    status, headers, body = fetch(base + rec["url"])
    assert status == 200 and time.monotonic() - start < 1.0
    assert headers["Content-Length"] == str(len(body)) and body.endswith(b"</html>\n")
    page = body.decode()
    found = re.search(r'<script async src="(/js/stall\.js\?id=\w+)"></script>', page)
    assert found and rec["contacts"]
    assert '<div class="content">' in page.split(found.group(0))[0]  # the ad comes first
    conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=5)
    try:
        conn.request("GET", found.group(1))
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type", "").startswith(
            "application/javascript"
        )
        assert int(resp.getheader("Content-Length", "0")) > STALL
        assert resp.read(1) == b" "
        tick = time.monotonic()
        assert resp.read(1) == b" "  # the next byte a second later; the rest much later
        assert 0.7 <= time.monotonic() - tick <= 2.0
    finally:
        conn.close()
    status, headers, body = fetch(base + found.group(1), method="HEAD")
    assert status == 200 and body == b""


def test_a_trickling_answer_does_not_hold_up_stop(web: DemoWeb) -> None:
    srv = DemoServer(web, port=0, slow_seconds=60)
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    try:
        conn.request("GET", "/js/stall.js?id=x")
        resp = conn.getresponse()
        assert resp.read(1) == b" "
        start = time.monotonic()
        srv.stop()
        assert time.monotonic() - start < 2.0
        with pytest.raises(http.client.IncompleteRead):
            resp.read()
    finally:
        conn.close()
        srv.stop()


def test_download_page_and_apk(base: str, capture: dict[str, dict[str, Any]]) -> None:
    page = text(base + capture["download"]["url"])
    assert '<a class="download-btn" id="download" href="/dl/app.apk">' in page
    assert 'location.href = "/dl/app.apk"; }, 1000)' in page
    status, headers, apk = fetch(base + "/dl/app.apk")
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.android.package-archive"
    assert headers["Content-Disposition"] == 'attachment; filename="ai-jieting.apk"'
    assert headers["Content-Length"] == str(len(apk)) and 2_000 <= len(apk) <= 16_000
    with zipfile.ZipFile(io.BytesIO(apk)) as zf:
        assert "AndroidManifest.xml" in zf.namelist() and zf.testzip() is None
    assert fetch(base + "/dl/app.apk")[2] == apk  # the same bytes every time


def test_infinite_scroll_grows_only_from_the_scroll_handler(
    base: str, capture: dict[str, dict[str, Any]]
) -> None:
    page = text(base + capture["infinite_scroll"]["url"])
    assert '<div id="feed" data-screens="0"' in page
    assert "window.addEventListener('scroll'" in page and "nearBottom()" in page
    for timer in ("setInterval", "setTimeout", "IntersectionObserver", "requestAnimationFrame"):
        assert timer not in page
    assert page.count("addScreen()") == 2  # defined, and called from the scroll handler only


def test_navigates_away_to_a_benign_wechat_page(
    base: str, capture: dict[str, dict[str, Any]]
) -> None:
    line = capture["navigates_away"]
    page = text(base + line["url"])
    assert f'location.href = "{line["target"]}"; }}, 1500)' in page
    status, _, body = fetch(base + line["target"])
    wx = body.decode()
    assert status == 200 and title_of(wx) == "微信" and "添加朋友" in wx
    assert not re.search(r"\d{5,}", re.sub(r"<[^>]+>", "", wx))  # no contact on it


# --- in a real browser -----------------------------------------------------------


@pytest.mark.browser
def test_capture_cases_in_chromium(
    server: DemoServer, base: str, capture: dict[str, dict[str, Any]], pages: dict[str, str]
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs Debian chromium")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            ctx = browser.new_context(
                viewport={"width": 1280, "height": 800}, accept_downloads=True
            )
            stalled, away, dl = (ctx.new_page() for _ in range(3))
            stalled.goto(base + capture["never_loads"]["url"], wait_until="domcontentloaded")
            away.goto(base + capture["navigates_away"]["url"], wait_until="domcontentloaded")
            with dl.expect_download(timeout=5000) as download:
                dl.goto(base + capture["download"]["url"])
            assert download.value.suggested_filename == "ai-jieting.apk"
            away.wait_for_url("**" + capture["navigates_away"]["target"], timeout=5000)
            # more than a second after it arrived, `load` has still not fired
            assert stalled.evaluate("document.readyState") == "interactive"
            assert stalled.locator("h1").inner_text()
            scroll = away
            scroll.bring_to_front()  # wheel events go to the page in front
            scroll.goto(base + capture["infinite_scroll"]["url"])
            feed = scroll.locator("#feed")
            scroll.wait_for_timeout(300)  # idle: it must not grow by itself
            assert feed.get_attribute("data-screens") == "0"
            for screens in (1, 2):
                scroll.mouse.wheel(0, 100_000)
                scroll.wait_for_function(
                    f"document.getElementById('feed').dataset.screens >= {screens}"
                )
            server.take_down(pages["video"])
            try:
                dl.goto(base + pages["video"])
                dl.wait_for_selector("body[data-rendered='1']")
                assert "视频不见了" in dl.locator("body").inner_text()
            finally:
                server.restore(pages["video"])
        finally:
            browser.close()


def test_capture_cases_go_where_there_is_room() -> None:
    """Added on top of the generated results: short pages first, then a new
    page for a query with fewer than five, never a blocked page."""
    one = SearchResult("tok", "title", "snippet", "site", "/l/x", Truth("benign"))

    def query(name: str, sizes: list[int], blocked_from: int = 99) -> SearchQuery:
        pages = [SearchPage(n, [one] * k, n >= blocked_from) for n, k in enumerate(sizes, 1)]
        return SearchQuery(name, pages)

    full, short, blocked = query("a", [10] * 5), query("b", [10, 10, 7]), query("c", [10, 4], 2)
    assert _page_with_room([full, short, blocked], 0) == (short, short.pages[2])
    full_short = query("d", [10, 10, 10])
    sq, page = _page_with_room([full, full_short, blocked], 0)
    assert sq is full_short and page.number == 4 and full_short.pages[-1] is page
    assert _page_with_room([full, blocked], 0) == (full, full.pages[-1])
