"""The simulated web: deterministic, shaped like the real sites, hostile where
the ground truth says so, and consistent with its ground truth.

A DemoServer runs on a free port for the module; requests use urllib only.
"""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlencode, urlsplit

import pytest
from PIL import Image

from demo import DemoServer, DemoWeb, generate, twins, write_ground_truth
from demo.content import CATEGORIES
from demo.ground_truth import ground_truth_lines
from demo.hostile import CAPTCHA_TEXT, SCRIPT

SLOW = 1.0
ROOT = Path(__file__).resolve().parents[1]


# --- helpers -------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_plain = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) without following redirects; errors are answers."""
    try:
        with _plain.open(url, timeout=timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers.items()), err.read()


class Node:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        return [n for n in self.iter() if n.tag == tag and (cls is None or cls in n.classes)]

    def by_id(self, ident: str) -> Node | None:
        return next((n for n in self.iter() if n.attrs.get("id") == ident), None)


class _TreeBuilder(HTMLParser):
    VOID: ClassVar[frozenset[str]] = frozenset({"img", "meta", "input", "br", "link", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom(body: bytes | str) -> Node:
    parser = _TreeBuilder()
    parser.feed(body.decode("utf-8") if isinstance(body, bytes) else body)
    parser.close()
    return parser.root


_CN = str.maketrans("零〇一二三四五六七八九幺", "001234567891")


def normalise(text: str) -> str:
    """What a contact extractor would do: NFKC, Chinese digits, no separators."""
    text = unicodedata.normalize("NFKC", text).translate(_CN)
    return re.sub(r"[\s\-\u200b-\u200d\u2060\ufeff]", "", text).lower()


def record_text(base: str, rec: dict[str, Any]) -> str:
    """The text a crawler extracts from the record's own pages."""
    if rec["channel"] == "search":
        _, _, body = fetch(base + rec["url"])
        return dom(body).text()
    if rec["channel"] == "video":
        _, _, body = fetch(base + rec["url"])
        script = dom(body).by_id("RENDER_DATA")
        assert script is not None
        detail = json.loads(unquote(script.text()))["app"]["videoDetail"]
        return "\n".join([detail["desc"], *(c["text"] for c in detail["comments"])])
    _, _, body = fetch(base + rec["url"])
    return dom(body).text()


# --- fixtures ------------------------------------------------------------------


# web, truth and records: tests/conftest.py (this module's own web)


@pytest.fixture(scope="module")
def rejects(truth: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["case"]: line for line in truth if line["kind"] == "reject"}


@pytest.fixture(scope="module")
def server(web: DemoWeb) -> Iterator[DemoServer]:
    with DemoServer(web, port=0, slow_seconds=SLOW) as srv:
        yield srv


@pytest.fixture(scope="module")
def base(server: DemoServer) -> str:
    return server.base_url


def hostile_record(records: list[dict[str, Any]], case: str, channel: str) -> dict[str, Any]:
    return next(r for r in records if r["hostile"] == case and r["channel"] == channel)


# --- generation ------------------------------------------------------------------


def test_same_seed_same_web_other_seed_other_web(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    write_ground_truth(generate(7, 1), a)
    write_ground_truth(generate(7, 1), b)
    write_ground_truth(generate(8, 1), c)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_size_one_mix_and_page_count(truth: list[dict[str, Any]]) -> None:
    meta = truth[0]
    assert meta["kind"] == "meta" and meta["seed"] == 7 and meta["size"] == 1
    assert 300 <= meta["pages"]["total"] <= 450
    recs = [t for t in truth if t["kind"] == "record"]
    share = {
        label: sum(r["label"] == label for r in recs) / len(recs)
        for label in ("ad", "not_ad", "benign")
    }
    assert 0.35 <= share["ad"] <= 0.45
    assert 0.25 <= share["not_ad"] <= 0.35
    ads = [r for r in recs if r["label"] == "ad"]
    assert {r["category"] for r in ads} == set(CATEGORIES)
    assert any(r["sponsored"] for r in ads) and any(r["image_only"] for r in ads)
    assert {r["channel"] for r in recs if r["image_only"]} == {"search", "video", "market"}
    seen = {d for r in ads for d in r["disguises"]}
    assert {
        "homophone",
        "pinyin",
        "separator",
        "zero_width",
        "fullwidth",
        "traditional",
        "wechat_cue",
        "phone_split",
        "phone_chinese",
    } <= seen
    assert len({r["url"] for r in recs}) == len(recs)
    for q in ("网贷逾期怎么办", "逾期 停催", "信用卡逾期协商", "征信修复"):
        assert q in meta["queries"]["search"]


def test_every_hostile_case_is_declared(truth: list[dict[str, Any]]) -> None:
    cases = {(t["case"], t["expect"]) for t in truth if t["kind"] == "reject"}
    assert cases == {
        ("captcha", "blocked"),
        ("huge", "too_large"),
        ("redirect_loop", "redirect_loop"),
        ("slow", "timeout"),
        ("corrupt_image", "corrupt_image"),
        ("not_image", "not_image"),
    }
    hostile = {(r["channel"], r["hostile"]) for r in truth if r["kind"] == "record"}
    assert {
        ("search", "markup"),
        ("video", "markup"),
        ("market", "markup"),
        ("search", "gbk"),
        ("search", "huge"),
        ("search", "slow"),
        ("search", "redirect_loop"),
        ("search", "captcha"),
        ("video", "not_image"),
        ("market", "corrupt_image"),
        ("search", "never_loads"),
        ("search", "infinite_scroll"),
        ("search", "navigates_away"),
        ("search", "download"),
    } <= hostile
    capture = {t["case"]: t["expect"] for t in truth if t["kind"] == "capture"}
    assert capture == {
        "never_loads": "load_timeout",
        "infinite_scroll": "scroll_limit",
        "navigates_away": "navigated",
        "download": "download",
    }
    assert [t["case"] for t in truth if t["kind"] == "transient"] == ["captcha_transient"]
    unreachable = [r for r in truth if r["kind"] == "record" and not r["reachable"]]
    assert unreachable and all(r["hostile"] == "captcha" for r in unreachable)


def test_size_twenty_is_large_and_fast() -> None:
    start = time.perf_counter()
    big = generate(7, 20)
    lines = ground_truth_lines(big)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0
    assert lines[0]["pages"]["total"] >= 3000
    assert len(big.search) == 80 and len(big.video) == 60 and len(big.market) == 60


# --- every record answers ----------------------------------------------------------


# twins whose record URL is the platform's redirect link (the live link, kept as found)
TWIN_REDIRECTS = ("demo-bing", "demo-sogou-wechat")
TWIN_PLATFORMS = tuple(twins.BY_PLATFORM)


def test_every_record_url_answers_as_declared(base: str, records: list[dict[str, Any]]) -> None:
    special = {"huge", "slow", "redirect_loop"}

    def check(rec: dict[str, Any]) -> None:
        status, headers, body = fetch(base + rec["url"])
        if status == 302 and rec["platform"] in TWIN_REDIRECTS:  # Bing /aclk, Sogou /link
            status, headers, body = fetch(headers["Location"])
        assert status == 200, rec["url"]
        assert body and headers["Content-Length"] == str(len(body))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(check, [r for r in records if r["hostile"] not in special]))


def test_redirect_loop(base: str, rejects: dict[str, dict[str, Any]]) -> None:
    url = rejects["redirect_loop"]["url"]
    status, headers, _ = fetch(base + url)
    assert status == 302 and headers["Location"] == f"{base}/loop/b"
    status, headers, _ = fetch(f"{base}/loop/b")
    assert status == 302 and headers["Location"] == f"{base}/loop/a"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(base + url, timeout=10)
    err.value.close()


def test_huge_page_is_twenty_megabytes(base: str, rejects: dict[str, dict[str, Any]]) -> None:
    with urllib.request.urlopen(base + rejects["huge"]["url"], timeout=30) as resp:
        assert int(resp.headers["Content-Length"]) == 20 * 1024 * 1024
        head = resp.read(4096)
        total = len(head)
        while chunk := resp.read(1 << 20):
            total += len(chunk)
    assert total == 20 * 1024 * 1024
    assert b"<h1>" in head


def test_slow_page_waits_without_blocking_others(
    base: str, rejects: dict[str, dict[str, Any]]
) -> None:
    with ThreadPoolExecutor(2) as pool:
        start = time.perf_counter()
        slow = pool.submit(fetch, base + rejects["slow"]["url"])
        time.sleep(0.05)
        fast_start = time.perf_counter()
        status, _, _ = fetch(base + "/")
        fast = time.perf_counter() - fast_start
        assert status == 200 and fast < SLOW / 2
        status, _, body = slow.result()
    assert status == 200 and body
    assert time.perf_counter() - start >= SLOW


def test_persistent_captcha_answers_every_time(
    base: str, server: DemoServer, rejects: dict[str, dict[str, Any]]
) -> None:
    url = rejects["captcha"]["url"]
    for _ in range(3):
        status, _, body = fetch(base + url)
        text = body.decode("utf-8")
        assert status == 200
        assert CAPTCHA_TEXT in text and 'id="captcha_container"' in text
        assert 'window.decision_conf = {"type":"verify","subtype":"slide","region":"cn"}' in text
        assert "c-container" not in text
    assert server.hits(url) >= 3


def test_transient_captcha_blocks_only_the_first_request(
    web: DemoWeb, truth: list[dict[str, Any]]
) -> None:
    block = next(t for t in truth if t["kind"] == "transient")
    with DemoServer(web, port=0) as srv:
        first = fetch(srv.base_url + block["url"])[2].decode()
        second = fetch(srv.base_url + block["url"])[2].decode()
        api = json.loads(fetch(srv.base_url + block["api_url"])[2])
    assert CAPTCHA_TEXT in first and "decision_conf" in first
    assert CAPTCHA_TEXT not in second and 'id="feeds-list"' in second
    assert api["ret"][0].startswith("SUCCESS") and api["data"]["resultList"]
    with DemoServer(web, port=0) as srv:  # the API alone is blocked the same way
        api_first = json.loads(fetch(srv.base_url + block["api_url"])[2])
        api_again = json.loads(fetch(srv.base_url + block["api_url"])[2])
    assert api_first["ret"][0].startswith("FAIL_SYS_USER_VALIDATE")
    assert api_again["ret"][0].startswith("SUCCESS")


# --- search -------------------------------------------------------------------------


def test_search_pages_match_ground_truth(
    base: str, web: DemoWeb, records: list[dict[str, Any]]
) -> None:
    first_seen = {(r["url"]): r for r in records}
    for sq in web.search:
        pn = 0
        while True:
            url = base + "/s?" + urlencode({"wd": sq.query, "pn": pn})
            status, headers, body = fetch(url)
            assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
            if CAPTCHA_TEXT.encode() in body:
                assert sq.pages[pn // 10].blocked
                break
            root = dom(body)
            (left,) = [n for n in root.find_all("div") if n.attrs.get("id") == "content_left"]
            right = [n for n in root.find_all("div") if n.attrs.get("id") == "content_right"]
            results = left.find_all("div", "c-container")
            results += [r for col in right for r in col.find_all("div", "c-container")]
            assert 1 <= len(results) <= 10
            for res in results:
                assert "result" in res.classes
                (link,) = res.find_all("a")[:1]
                href = link.attrs["href"]
                assert res.find_all("h3", "t")
                assert res.find_all("div", "c-abstract") and res.find_all("div", "c-showurl")
                marks = [
                    n
                    for n in res.iter()
                    if "ec-tuiguang" in n.classes or "data-tuiguang" in n.attrs
                ]
                status, headers, _ = fetch(base + href)
                assert status == 302 and headers["Location"].startswith(base + "/")
                landing = headers["Location"][len(base) :]
                if marks:  # paid: no mu, a per-impression /baidu.php link to the landing page
                    assert "mu" not in res.attrs and href.startswith("/baidu.php?url=")
                    assert len(marks) == 1 and marks[0].text() in ("广告", "推广")
                else:  # organic: /link?url= and the target in mu
                    assert href.startswith("/link?url=")
                    assert res.attrs["mu"] == headers["Location"]
                rec = first_seen[landing]  # the ground truth keys both on the landing
                if rec["query"] == sq.query:
                    assert rec["sponsored"] == bool(marks)
                assert rec["text_contains"] in res.text()
            for col in right:  # the right column holds paid results only
                assert all("mu" not in r.attrs for r in col.find_all("div", "c-container")), (
                    col.text()
                )
            nxt = root.by_id("page")
            if nxt is None:
                assert pn // 10 + 1 == len(sq.pages)
                break
            (a,) = nxt.find_all("a", "n")
            assert a.text() == "下一页 >"
            pn += 10
            assert a.attrs["href"] == "/s?" + urlencode({"wd": sq.query, "pn": pn})
        assert 3 <= len(sq.pages) <= 5


def test_landing_pages_have_title_h1_content_images(
    base: str, web: DemoWeb, records: list[dict[str, Any]]
) -> None:
    for rec in records:
        if rec["platform"] != "demo-baidu" or rec["hostile"] in ("huge", "redirect_loop", "slow"):
            continue  # (the twins' pages: tests/test_demo_twins.py)
        body = fetch(base + rec["url"])[2]
        text = body.decode("gbk" if rec["hostile"] == "gbk" else "utf-8")
        root = dom(text)
        assert root.find_all("title") and root.find_all("h1")
        assert root.find_all("div", "content")
        for img in root.find_all("img"):
            assert img.attrs["src"].startswith("/img/")
        if rec["image_only"]:
            assert root.find_all("img"), rec["url"]


def test_gbk_page_has_no_charset_and_decodes_as_gbk(
    base: str, records: list[dict[str, Any]]
) -> None:
    rec = hostile_record(records, "gbk", "search")
    _, headers, body = fetch(base + rec["url"])
    assert headers["Content-Type"] == "text/html"
    assert b"charset" not in body.lower()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gbk")
    assert rec["text_contains"] in text
    for contact in rec["contacts"]:
        assert normalise(contact["value"]) in normalise(text)


def test_markup_is_escaped_in_html_and_literal_in_json(
    base: str, records: list[dict[str, Any]]
) -> None:
    search = hostile_record(records, "markup", "search")
    video = hostile_record(records, "markup", "video")
    market = hostile_record(records, "markup", "market")
    serp = fetch(base + "/s?" + urlencode({"wd": search["query"], "pn": 0}))[2].decode()
    for page in (
        serp,
        fetch(base + search["url"])[2].decode(),
        fetch(base + market["url"])[2].decode(),
        fetch(base + video["url"])[2].decode(),
    ):
        assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in serp
    titles = [html.unescape(t.text()) for t in dom(serp).find_all("h3", "t")]
    assert any(SCRIPT in t and "\x1b[31m" in t and "\u202e" in t for t in titles)
    query = video["query"]
    batch = json.loads(
        fetch(
            base
            + "/aweme/v1/web/search/item/?"
            + urlencode({"keyword": query, "offset": 0, "count": 10})
        )[2]
    )
    items = [e["aweme_info"] for e in batch["data"] if "aweme_info" in e]
    desc = next(i["desc"] for i in items if video["url"].endswith(i["aweme_id"]))
    assert SCRIPT in desc and "<img src=x onerror=alert(1)>" in desc and "\u202e" in desc
    item_page = dom(fetch(base + market["url"])[2])
    (h1,) = item_page.find_all("h1", "item-title")
    assert SCRIPT in h1.text() and "\x1b[31m" in h1.text()


# --- video ----------------------------------------------------------------------------


def test_video_api_shape_and_scroll_batches(
    base: str, web: DemoWeb, records: list[dict[str, Any]]
) -> None:
    by_url = {r["url"]: r for r in records}
    for vq in web.video:
        cursor, batch_no, seen = 0, 0, []
        while True:
            status, headers, body = fetch(
                base
                + "/aweme/v1/web/search/item/?"
                + urlencode({"keyword": vq.query, "offset": cursor, "count": 10})
            )
            assert status == 200 and headers["Content-Type"].startswith("application/json")
            data = json.loads(body)
            batch_no += 1
            videos = [e for e in data["data"] if "aweme_info" in e]
            assert data["status_code"] == 0 and len(videos) <= 10
            # other cards (a user card first, a related search in a full batch) are mixed in
            others = [e for e in data["data"] if "aweme_info" not in e]
            assert all(e["type"] != 1 for e in others) and data["log_pb"]["impr_id"]
            assert others or (cursor and len(videos) < 10)
            assert all(e["type"] == 1 for e in videos)
            for item in (e["aweme_info"] for e in videos):
                assert re.fullmatch(r"7\d{18}", item["aweme_id"])
                assert isinstance(item["create_time"], int)
                assert set(item["author"]) >= {"nickname", "uid", "sec_uid"}
                assert item["author"]["sec_uid"].startswith("MS4wLjABAAAA")
                assert set(item["statistics"]) >= {"digg_count", "comment_count", "share_count"}
                (cover,) = item["video"]["cover"]["url_list"]
                assert cover.startswith(base + "/img/cover_")
                assert item["video"]["play_addr"]["url_list"]
                assert isinstance(item["is_ads"], bool)
                for tag in item["text_extra"]:
                    assert item["desc"][tag["start"] : tag["end"]] == "#" + tag["hashtag_name"]
                rec = by_url["/video/" + item["aweme_id"]]
                assert rec["text_contains"] in item["desc"]
                if rec["query"] == vq.query:
                    assert rec["page"] == batch_no
                seen.append(item["aweme_id"])
            assert data["cursor"] == cursor + len(videos)
            cursor = data["cursor"]
            if not data["has_more"]:
                break
        assert seen == [v.aweme_id for v in vq.videos]
        assert 3 <= batch_no <= 4


def test_video_page_render_data(base: str, web: DemoWeb) -> None:
    video = next(v for v in web.videos.values() if v.comments)
    _, _, body = fetch(f"{base}/video/{video.aweme_id}?previous_page=search&enter_from=search")
    root = dom(body)
    script = root.by_id("RENDER_DATA")
    assert script is not None and script.attrs["type"] == "application/json"
    assert "%7B%22app%22" in script.text()
    detail = json.loads(unquote(script.text()))["app"]["videoDetail"]
    assert detail["aweme_id"] == video.aweme_id and detail["desc"] == video.desc
    assert [c["text"] for c in detail["comments"]] == [c.text for c in video.comments]
    assert set(detail["comments"][0]) == {"cid", "text", "user"}
    for ident in ("video-desc", "author-name", "comments"):
        assert root.by_id(ident) is not None


# --- market ---------------------------------------------------------------------------


def test_market_api_shape_and_pages(
    base: str, web: DemoWeb, records: list[dict[str, Any]], server: DemoServer
) -> None:
    by_url = {r["url"]: r for r in records}
    for mq in web.market:
        for number in range(1, len(mq.pages) + 2):
            data = json.dumps({"keyword": mq.query, "pageNumber": number, "rowsPerPage": 30})
            url = base + "/h5/mtop.taobao.idlemtopsearch.pc.search/1.0/?data=" + quote(data)
            resp = json.loads(fetch(url)[2])
            if resp["ret"][0].startswith("FAIL_SYS_USER_VALIDATE"):  # the transient block
                resp = json.loads(fetch(url)[2])
            assert resp["api"] == "mtop.taobao.idlemtopsearch.pc.search" and resp["v"] == "1.0"
            assert resp["ret"] == ["SUCCESS::调用成功"]
            info = resp["data"]["resultInfo"]
            assert info == {"hasNextPage": number < len(mq.pages), "pageNumber": number}
            items = resp["data"]["resultList"]
            if number > len(mq.pages):
                assert items == []
                continue
            assert 10 <= len(items) <= 20
            for entry in items:
                main = entry["data"]["item"]["main"]
                ex = main["exContent"]
                assert ex["price"][0] == {"text": "¥"} and re.fullmatch(
                    r"[\d.]+", ex["price"][1]["text"]
                )
                assert ex["picUrl"].startswith(base + "/img/item_") and ex["area"]
                args = main["clickParam"]["args"]
                assert args["item_id"] == ex["itemId"] and args["seller_id"]
                # milliseconds as text, like the live answer; 2024-2025
                assert re.fullmatch(r"17\d{11}", args["publishTime"])
                assert main["targetUrl"] == "fleamarket://item?id=" + ex["itemId"]
                rec = by_url["/item?id=" + ex["itemId"]]
                assert rec["text_contains"] in ex["title"]
                if rec["query"] == mq.query:
                    assert rec["page"] == number
            assert [e["data"]["item"]["main"]["exContent"]["itemId"] for e in items] == [
                i.item_id for i in mq.pages[number - 1]
            ]


def test_listing_page_structure(base: str, web: DemoWeb) -> None:
    item = next(iter(web.listings.values()))
    _, _, body = fetch(f"{base}/item?id={item.item_id}&spm=a21ybx.search.0")
    root = dom(body)
    assert root.find_all("h1", "item-title")[0].text() == item.title
    assert root.find_all("div", "item-desc")[0].text() == item.desc
    assert root.find_all("span", "item-price")[0].text() == f"¥{item.price}"
    assert root.find_all("span", "item-area")[0].text() == item.area
    (seller,) = root.find_all("a", "seller")
    assert seller.attrs["href"] == f"/user?id={item.seller_id}"
    assert fetch(base + seller.attrs["href"])[0] == 200
    photos = root.find_all("div", "item-photos")[0].find_all("img")
    assert [p.attrs["src"] for p in photos] == [f"/img/{n}" for n in item.photos]


# --- contacts and images --------------------------------------------------------------


def test_text_contacts_are_in_the_record_text(base: str, records: list[dict[str, Any]]) -> None:
    for rec in records:
        shown = [c for c in rec["contacts"] if c["where"] in ("text", "comment")]
        if not shown or rec["hostile"] in ("huge", "slow", "redirect_loop", "gbk"):
            continue
        if rec["platform"] in TWIN_PLATFORMS:  # their pages: tests/test_demo_twins.py
            continue
        text = normalise(record_text(base, rec))
        for contact in shown:
            assert normalise(contact["value"]) in text, (rec["url"], contact)


def test_image_contacts_are_drawn_or_encoded(web: DemoWeb, records: list[dict[str, Any]]) -> None:
    carried: dict[str, str] = {}
    for spec in web.images.values():
        carried[spec.name] = " ".join(spec.lines) + " " + (spec.qr_payload or "")
    everything = "\n".join(carried.values())
    for rec in records:
        for contact in rec["contacts"]:
            if contact["where"] in ("image", "qr"):
                assert contact["value"] in everything, (rec["url"], contact)
        if rec["image_only"]:
            assert rec["contacts"] and all(c["where"] in ("image", "qr") for c in rec["contacts"])


def _image_urls(base: str, web: DemoWeb) -> list[str]:
    return [f"{base}/img/{name}" for name in web.images]


def test_images_open_except_the_broken_ones(
    base: str, web: DemoWeb, rejects: dict[str, dict[str, Any]]
) -> None:
    broken = {rejects["corrupt_image"]["url"], rejects["not_image"]["url"]}

    def check(url: str) -> None:
        status, headers, body = fetch(url)
        assert status == 200
        path = url[len(base) :]
        expected = "image/png" if path.endswith(".png") else "image/jpeg"
        assert headers["Content-Type"] == expected
        if path in broken:
            return
        with Image.open(io.BytesIO(body)) as img:
            img.load()
            assert img.format == ("PNG" if path.endswith(".png") else "JPEG")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(check, _image_urls(base, web)))
    _, _, corrupt = fetch(base + rejects["corrupt_image"]["url"])
    assert corrupt.startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(OSError), Image.open(io.BytesIO(corrupt)) as img:
        img.load()
    _, headers, fake = fetch(base + rejects["not_image"]["url"])
    assert headers["Content-Type"] == "image/jpeg" and fake.lstrip().startswith(b"<!DOCTYPE")


def test_index_links_every_query(base: str, web: DemoWeb) -> None:
    root = dom(fetch(base + "/")[2])
    hrefs = {a.attrs["href"] for a in root.find_all("a")}
    for sq in web.search:
        assert "/s?" + urlencode({"wd": sq.query, "pn": 0}) in hrefs
    for vq in web.video:
        assert "/douyin/search?" + urlencode({"keyword": vq.query}) in hrefs
    for mq in web.market:
        assert "/goofish/search?" + urlencode({"q": mq.query, "page": 1}) in hrefs
    assert fetch(base + "/no/such/page")[0] == 404


def test_mu_follows_the_host_header(base: str, web: DemoWeb) -> None:
    query = web.search[0].query
    req = urllib.request.Request(
        base + "/s?" + urlencode({"wd": query, "pn": 0}), headers={"Host": "localhost:9"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read().decode()
    assert 'mu="http://localhost:9/l/' in body


# --- the command line -----------------------------------------------------------------


def test_main_serves_and_writes_ground_truth(tmp_path: Path) -> None:
    out = tmp_path / "truth.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo", "--port", "0", "--seed", "3", "--ground-truth", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("demo web on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        for _ in range(5):
            assert fetch(url + "/")[0] == 200
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert stderr.strip().startswith("ground truth:") and "GET /" not in stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["seed"] == 3


# --- a real browser ---------------------------------------------------------------------


@pytest.mark.browser
def test_browser_renders_video_scroll_and_market(base: str, web: DemoWeb) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs Debian chromium")
    vq, mq = web.video[0], web.market[1]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(base + "/douyin/search?" + urlencode({"keyword": vq.query}))
            page.wait_for_selector("#search-result[data-state=idle]")
            assert page.locator("li.video-card").count() == 10
            first = page.locator("li.video-card a").first
            assert first.inner_text() == vq.videos[0].desc.strip()
            assert first.get_attribute("href").startswith("/video/")
            page.mouse.wheel(0, 20000)
            page.wait_for_function("document.querySelectorAll('li.video-card').length > 10")
            assert page.locator("li.video-card").count() == 20
            page.goto(base + "/goofish/search?" + urlencode({"q": mq.query, "page": 1}))
            page.wait_for_selector("#feeds-list[data-state=done]")
            assert page.locator("div.feeds-item").count() == len(mq.pages[0])
            # paging is by the next button (tests/test_demo_live_shapes.py clicks it)
            assert page.locator("button#next-page").is_enabled() == (len(mq.pages) > 1)
            video = vq.videos[0]
            page.goto(f"{base}/video/{video.aweme_id}")
            page.wait_for_selector("body[data-rendered='1']")
            assert page.locator("#author-name").inner_text() == video.author.nickname.strip()
            assert page.locator("#comments li").count() == len(video.comments)
        finally:
            browser.close()


def test_urls_in_ground_truth_are_relative(records: list[dict[str, Any]]) -> None:
    for rec in records:
        parts = urlsplit(rec["url"])
        assert not parts.scheme and not parts.netloc and rec["url"].startswith("/")
