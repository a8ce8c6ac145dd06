"""The sponsored mark of JSON list items (video, market): ``search.fields.sponsored``,
a JMESPath per item, read into AdRecord.sponsored.  Checked on the demo web's
own data answers against its ground truth, through the spiders' list callback."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.finding.browser import XHR_BODIES_META
from crawler.finding.profiles import ProfileError, load_profile
from crawler.finding.spiders._rendered import _flag
from crawler.finding.spiders.market import MarketSpider
from crawler.finding.spiders.video import VideoSpider
from crawler.items import AdRecord
from demo import render_market, render_video
from demo.generate import generate
from demo.ground_truth import ground_truth_lines
from demo.model import DemoWeb
from tests.test_spider_parsing import BASE, DATA, make_spider

VIDEO_PROFILE = (
    "name: x\nchannel: video\nbase_url: h\nsearch: {url: u, xhr: x, items: i, item_url: u,"
    " fields: {id: a, sponsored: %s}}\n"
)


@pytest.fixture(scope="module")
def web() -> DemoWeb:
    return generate(7, 1)


@pytest.fixture(scope="module")
def truth(web: DemoWeb) -> dict[str, bool]:
    """Ground truth: record path -> sponsored, for video and market records."""
    return {
        g["url"]: g["sponsored"]
        for g in ground_truth_lines(web)
        if g["kind"] == "record" and g["channel"] in ("video", "market")
    }


def listed(spider: Any, url: str, profile: str, query: str, answer: dict[str, Any]) -> list:
    """The records the list callback makes of one captured data answer."""
    body = json.dumps(answer, ensure_ascii=False)
    response = HtmlResponse(
        url=url,
        body=(DATA / "video.html").read_bytes(),
        request=Request(url, meta={XHR_BODIES_META: [body]}),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    out = spider.parse_list(response, profile_name=profile, query=query, page=1)
    return [r.cb_kwargs["record"] for r in out if "record" in r.cb_kwargs]


def check(records: list[AdRecord], truth: dict[str, bool]) -> int:
    """Every record's mark as the ground truth has it; how many were paid."""
    assert records
    for record in records:
        assert record.url.startswith(BASE)
        assert record.sponsored is truth[record.url[len(BASE) :]], record.url
    return sum(r.sponsored for r in records)


def test_video_items_carry_the_platforms_ad_mark(tmp_path, web, truth):
    spider, _ = make_spider(VideoSpider, tmp_path)
    paid = 0
    for vq in web.video:
        for offset in range(0, len(vq.videos), 10):
            answer = render_video.search_api(web, vq.query, offset, 10, BASE)
            url = f"{BASE}/douyin/search?keyword={vq.query}"
            paid += check(listed(spider, url, "demo-douyin", vq.query, answer), truth)
    # a video shown for two queries is one record
    assert paid == len({v.aweme_id for vq in web.video for v in vq.videos if v.sponsored}) > 0


def test_market_items_carry_the_platforms_ad_mark(tmp_path, web, truth):
    spider, _ = make_spider(MarketSpider, tmp_path)
    paid = 0
    for mq in web.market:
        for number in range(1, len(mq.pages) + 1):
            answer = render_market.search_api(web, mq.query, number, BASE)
            url = f"{BASE}/goofish/search?q={mq.query}&page={number}"
            paid += check(listed(spider, url, "demo-xianyu", mq.query, answer), truth)
    paid_items = {i.item_id for mq in web.market for page in mq.pages for i in page if i.sponsored}
    assert paid == len(paid_items) > 0


def test_the_demo_marks_some_ads_and_nothing_else(web, truth):
    """Paid items are among the ads only, and the answers say what the truth says."""
    videos = [v for vq in web.video for v in vq.videos]
    assert any(v.sponsored for v in videos) and not all(v.sponsored for v in videos)
    assert all(v.truth.label == "ad" for v in videos if v.sponsored)
    for v in videos:
        assert render_video.aweme_item(v, BASE)["is_ads"] is v.sponsored
        assert truth[f"/video/{v.aweme_id}"] is v.sponsored


def test_a_profile_without_the_key_marks_nothing(tmp_path, web):
    spider, _ = make_spider(VideoSpider, tmp_path)
    profile = spider.profiles["demo-douyin"]
    fields = {k: v for k, v in profile.search["fields"].items() if k != "sponsored"}
    spider.profiles["demo-douyin"] = replace(profile, search={**profile.search, "fields": fields})
    vq = next(q for q in web.video if any(v.sponsored for v in q.videos[:10]))
    answer = render_video.search_api(web, vq.query, 0, 10, BASE)
    url = f"{BASE}/douyin/search?keyword=x"
    records = listed(spider, url, "demo-douyin", vq.query, answer)
    assert records and not any(r.sponsored for r in records)


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        (True, True),
        (1, True),
        ("true", True),
        ("1", True),
        (False, False),
        (0, False),
        ("false", False),
        ("", False),
        (None, False),
        ({"ad": 1}, False),  # an expression that reaches an object is not a yes
    ],
)
def test_the_mark_is_read_as_a_yes_or_no(value: Any, flag: bool) -> None:
    assert _flag(value) is flag


def test_the_packaged_profiles_read_the_mark(web):
    sites = Path(__file__).resolve().parents[1] / "crawler" / "finding" / "sites"
    for name, key in (
        ("douyin", "is_ads"),
        ("demo-douyin", "is_ads"),
        ("xianyu", "exContent.isAliMaMaAD"),  # items are resultList[].data.item.main
        ("demo-xianyu", "exContent.isAliMaMaAD"),
    ):
        assert load_profile(sites / f"{name}.yaml").search["fields"]["sponsored"] == key


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ('"a[?"', "search.fields.sponsored: not valid JMESPath"),
        ("[]", "search.fields.sponsored must be a JMESPath expression"),
        ('""', "search.fields.sponsored must be a JMESPath expression"),
    ],
)
def test_a_bad_sponsored_path_names_file_and_key(tmp_path, expression, message):
    path = tmp_path / "bad.yaml"
    path.write_text(VIDEO_PROFILE % expression, encoding="utf-8")
    with pytest.raises(ProfileError, match=message) as info:
        load_profile(path)
    assert str(path) in str(info.value)


def test_a_good_sponsored_path_loads(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(VIDEO_PROFILE % '"aweme_info.is_ads"', encoding="utf-8")
    assert load_profile(path).search["fields"]["sponsored"] == "aweme_info.is_ads"
