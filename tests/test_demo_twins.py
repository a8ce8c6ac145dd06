"""The six platform twins of the demo web answer in the live shapes their
profiles read (demo/twins/*: Kuaishou GraphQL, Xiaohongshu note search and
note pages, Weibo getIndex and $render_data, Bing, 360 and Sogou WeChat result
pages), their ground truth names the platform, and every contact written in
text is in the pages a crawler reads.  Plain HTTP, no browser."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from parsel import Selector

from crawler.finding.extract import embedded_json, json_path
from demo import DemoServer, DemoWeb, twins
from demo.twins import bing, kuaishou, so360, sogou_wechat, weibo, xiaohongshu
from demo.twins.model import Twin


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_plain = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, data: Any = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body), redirects not followed; ``data`` is POSTed as JSON."""
    body = json.dumps(data, ensure_ascii=False).encode() if data is not None else None
    headers = {"content-type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with _plain.open(request, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers.items()), err.read()


@pytest.fixture(scope="module")
def server(web: DemoWeb) -> Iterator[DemoServer]:
    with DemoServer(web, port=0) as srv:
        yield srv


@pytest.fixture(scope="module")
def base(server: DemoServer) -> str:
    return server.base_url


def twin(web: DemoWeb, platform: str) -> Twin:
    return next(t for t in web.twins if t.platform == platform)


def test_the_ground_truth_names_every_platform(records: list[dict[str, Any]], truth) -> None:
    platforms = {r["platform"] for r in records}
    assert platforms == {"demo-baidu", "demo-douyin", "demo-xianyu", *twins.BY_PLATFORM}
    for platform in twins.BY_PLATFORM:
        mine = [r for r in records if r["platform"] == platform]
        assert 10 <= len(mine) <= 20, platform  # small: the whole demo crawl stays fast
        assert {r["label"] for r in mine} == {"ad", "not_ad", "benign"}, platform
        assert {r["page"] for r in mine} == {1, 2}, platform  # paging has work to do
    assert set(truth[0]["platforms"]) == platforms
    paid = {r["platform"] for r in records if r["sponsored"] and r["platform"] in twins.BY_PLATFORM}
    assert paid == {"demo-bing", "demo-so360"}  # the twins whose live site marks paid results


def test_the_index_links_every_twin(base: str, web: DemoWeb) -> None:
    page = Selector(text=fetch(base + "/")[2].decode())
    for t in web.twins:
        links = page.css(f'ul[data-platform="{t.platform}"] a::attr(href)').getall()
        assert len(links) == len(t.queries)
        assert all(fetch(base + link)[0] == 200 for link in links)


def test_kuaishou_graphql_pages_and_tells_operations_apart(base: str, web: DemoWeb) -> None:
    t = twin(web, kuaishou.PLATFORM)
    shell = fetch(base + kuaishou.search_url(t.queries[0].query))[2].decode()
    assert "/kuaishou/graphql" in shell and "visionProfileUserList" in shell
    assert fetch(base + kuaishou.GRAPHQL_PATH)[0] == 405  # POST only
    decoy = json.loads(
        fetch(
            base + kuaishou.GRAPHQL_PATH,
            {"operationName": "visionProfileUserList", "variables": {}},
        )[2]
    )
    assert "visionSearchPhoto" not in decoy["data"]
    cursor, seen = "", []
    for _ in range(len(t.queries[0].pages)):
        ask = {
            "operationName": "visionSearchPhoto",
            "variables": {"keyword": t.queries[0].query, "pcursor": cursor, "page": "search"},
        }
        found = json.loads(fetch(base + kuaishou.GRAPHQL_PATH, ask)[2])["data"]["visionSearchPhoto"]
        for feed in found["feeds"]:
            assert set(feed["photo"]) >= {"id", "caption", "coverUrl", "timestamp"}
            assert feed["photo"]["timestamp"] > 10**12  # milliseconds
            assert set(feed["author"]) >= {"id", "name"}
            seen.append(feed["photo"]["id"])
        cursor = found["pcursor"]
    assert cursor == "no_more"
    assert seen == [p.post_id for page in t.queries[0].pages for p in page]
    item = t.queries[0].pages[0][0]
    ask = {
        "operationName": "commentListQuery",
        "variables": {"photoId": item.post_id, "pcursor": ""},
    }
    roots = json.loads(fetch(base + kuaishou.GRAPHQL_PATH, ask)[2])["data"]["visionCommentList"][
        "rootComments"
    ]
    assert [c["content"] for c in roots] == [text for _who, text in item.comments]


def test_xiaohongshu_notes_and_note_pages(base: str, web: DemoWeb) -> None:
    t = twin(web, xiaohongshu.PLATFORM)
    query = t.queries[0]
    first = json.loads(fetch(base + xiaohongshu.API_PATH, {"keyword": query.query, "page": 1})[2])
    assert first["success"] and first["data"]["has_more"]
    kinds = [i["model_type"] for i in first["data"]["items"]]
    assert "rec_query" in kinds and kinds.count("note") == len(query.pages[0])
    note = next(i for i in first["data"]["items"] if i["model_type"] == "note")
    assert set(note["note_card"]) >= {"display_title", "user", "cover"} and note["xsec_token"]
    last = json.loads(fetch(base + xiaohongshu.API_PATH, {"keyword": query.query, "page": 2})[2])
    assert not last["data"]["has_more"]
    item = t.posts[note["id"]]
    body = fetch(base + xiaohongshu.record_url(item))[2].decode()
    assert re.search(r":undefined[,}]", body)  # a JavaScript literal, not JSON
    state = embedded_json(Selector(text=body), "script:contains('__INITIAL_STATE__')::text", "js")
    detail = json_path(state, "note.noteDetailMap.*.note | [0]")
    assert detail["desc"] == item.text and detail["imageList"][0]["urlDefault"].endswith(
        item.images[0]
    )


def test_weibo_get_index_and_render_data(base: str, web: DemoWeb) -> None:
    t = twin(web, weibo.PLATFORM)
    query = t.queries[0]
    answer = json.loads(fetch(base + weibo.search_url(query.query))[2])
    assert answer["ok"] == 1 and answer["data"]["cardlistInfo"]["page"] == 2
    cards = answer["data"]["cards"]
    assert {c["card_type"] for c in cards} > {9}  # posts among other cards
    nested = [g for c in cards for g in c.get("card_group", []) if g["card_type"] == 9]
    assert nested  # some posts sit inside a card_group
    posts = [c["mblog"] for c in cards if c["card_type"] == 9] + [g["mblog"] for g in nested]
    assert [p["id"] for p in posts] == [p.post_id for p in query.pages[0]]
    assert all("<" in p["text"] for p in posts)  # HTML
    assert re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d \+0800 \d{4}", posts[0]["created_at"])
    last = json.loads(fetch(base + weibo.search_url(query.query, 2))[2])
    assert last["data"]["cardlistInfo"]["page"] is None
    long = next(p for p in t.posts.values() if len(p.text) > weibo.LONG_TEXT)
    body = fetch(base + weibo.record_url(long))[2].decode()
    data = embedded_json(Selector(text=body), "script:contains('$render_data')::text", "js")
    assert json_path(data, "html_text([0].status.text)").replace("\n", " ") == long.text


def test_bing_pages_by_first_with_paid_blocks(base: str, web: DemoWeb) -> None:
    t = twin(web, bing.PLATFORM)
    query = t.queries[0]
    page1 = Selector(text=fetch(base + bing.search_url(query.query))[2].decode())
    assert page1.css("ol#b_results > li.b_ad .sb_add .b_adSlug")
    assert len(page1.css("ol#b_results > li.b_algo, ol#b_results > li.b_ad .sb_add")) == len(
        query.pages[0]
    )
    nxt = page1.css("a.sb_pagN::attr(href)").get()
    assert nxt and "first=11" in nxt
    page2 = Selector(text=fetch(base + nxt)[2].decode())
    assert len(page2.css("li.b_algo")) == len(query.pages[1]) and not page2.css("a.sb_pagN")
    paid = next(h for h in query.pages[0] if h.sponsored)
    status, headers, _ = fetch(base + bing.record_url(paid))
    assert status == 302 and headers["Location"].endswith(f"/bing/l/{paid.hit_id}?msclkid=demo")


def test_so360_pages_by_pn_with_paid_landing_urls(base: str, web: DemoWeb) -> None:
    t = twin(web, so360.PLATFORM)
    query = t.queries[0]
    page1 = Selector(text=fetch(base + so360.search_url(query.query))[2].decode())
    ads = page1.css("ul#e_idea_pp > li a.e_haosou_fw_bg_title")
    assert ads and all(a.attrib["e-landurl"].endswith(so360.AD_SOURCE) for a in ads)
    organic = page1.css("ul.result > li.res-list h3.res-title a")
    assert all(
        "/so/link?m=" in a.attrib["href"] and "/so/l/" in a.attrib["data-mdurl"] for a in organic
    )
    assert page1.css("a#snext::attr(href)").get() == so360.search_url(query.query, 2)
    link = organic[0].attrib["href"]
    status, headers, _ = fetch(link)
    assert status == 302 and headers["Location"] == organic[0].attrib["data-mdurl"]


def test_sogou_wechat_links_lead_to_articles(base: str, web: DemoWeb) -> None:
    t = twin(web, sogou_wechat.PLATFORM)
    query = t.queries[0]
    page1 = Selector(text=fetch(base + sogou_wechat.search_url(query.query))[2].decode())
    results = page1.css("ul.news-list > li[id^=sogou_vr_]")
    assert len(results) == len(query.pages[0])
    href = results[0].css("h3 a::attr(href)").get()
    assert href.startswith("/sogou/link?url=")
    assert page1.css("a#sogou_next::attr(href)").get()
    status, headers, _ = fetch(base + href)
    assert status == 302 and "/sogou/mp/s?__biz=" in headers["Location"]
    article = Selector(text=fetch(headers["Location"])[2].decode())
    hit = query.pages[0][0]
    assert article.css("#activity-name::text").get() == hit.title
    assert article.css("#js_name::text").get() == hit.site
    for img in article.css("#js_content img"):
        assert "src" not in img.attrib and img.attrib["data-src"].startswith(base + "/img/")


def _twin_text(base: str, web: DemoWeb, rec: dict[str, Any]) -> str:
    """What a crawler reading the twin's live shape gets for a record."""
    t = twin(web, rec["platform"])
    if t.channel == "search":
        status, headers, body = fetch(base + rec["url"])
        if status == 302:
            body = fetch(headers["Location"])[2]
        return " ".join(Selector(text=body.decode()).css("body *::text").getall())
    item_id = rec["url"].split("?")[0].rsplit("/", 1)[-1]
    if t.platform == kuaishou.PLATFORM:
        ask = {"operationName": "commentListQuery", "variables": {"photoId": item_id}}
        roots = json.loads(fetch(base + kuaishou.GRAPHQL_PATH, ask)[2])["data"][
            "visionCommentList"
        ]["rootComments"]
        return "\n".join([t.posts[item_id].text, *(c["content"] for c in roots)])
    body = fetch(base + rec["url"])[2].decode()
    if t.platform == xiaohongshu.PLATFORM:
        state = embedded_json(
            Selector(text=body), "script:contains('__INITIAL_STATE__')::text", "js"
        )
        return str(json_path(state, "note.noteDetailMap.*.note | [0].desc"))
    data = embedded_json(Selector(text=body), "script:contains('$render_data')::text", "js")
    return str(json_path(data, "html_text([0].status.text)"))


def test_text_contacts_are_in_the_twins_pages(base: str, web: DemoWeb, records) -> None:
    from tests.test_demo import normalise

    checked = 0
    for rec in records:
        if rec["platform"] not in twins.BY_PLATFORM:
            continue
        shown = [c for c in rec["contacts"] if c["where"] in ("text", "comment")]
        if shown:
            text = normalise(_twin_text(base, web, rec))
            for contact in shown:
                assert normalise(contact["value"]) in text, (rec["url"], contact)
                checked += 1
    assert checked >= 15


def test_a_twin_s_record_page_can_be_taken_down_and_restored(
    server: DemoServer, base: str, records: list[dict[str, Any]]
) -> None:
    """`adwatch recheck` has something to find on the twins too: the page a
    record points at answers 404 while taken down, as it was once restored."""
    for platform in ("demo-weibo", "demo-kuaishou", "demo-so360"):
        url = next(r["url"] for r in records if r["platform"] == platform)
        before = fetch(base + url)
        server.take_down(base + url)
        try:
            status, _, body = fetch(base + url)
            assert status == 404 and body != before[2], url
        finally:
            server.restore(base + url)
        assert fetch(base + url)[0] == before[0]
    with pytest.raises(ValueError, match="taken down, not edited"):
        server.edit(base + next(r["url"] for r in records if r["platform"] == "demo-weibo"), "x")
    with pytest.raises(ValueError):
        server.take_down(base + "/weibo/detail/0")  # no such post
