"""`adwatch sites --check` against saved samples: which selector or path matched nothing."""

from __future__ import annotations

import json
from urllib.parse import quote

from click.testing import CliRunner

from crawler.finding.profile_check import check_sample
from crawler.finding.profile_folders import PACKAGED, load_site_profiles
from crawler.interfaces.cli import cli

RESULTS = """<html><body><div id="content_left">
<div class="result c-container" mu="https://ad.example/a">
 <h3><a href="/link?url=1">停催 协商</a></h3>
 <div class="c-abstract">专业处理逾期</div><span class="c-showurl">ad.example</span>
 <span class="ec-tuiguang">广告</span></div>
<div class="result c-container"><h3><a href="/link?url=2">征信修复</a></h3>
 <div class="c-abstract">修复征信</div><span class="c-showurl">b.example</span></div>
</div><div id="page"><a class="n" href="/s?pn=10">下一页</a></div></body></html>"""

# the same page after a redesign: the snippet and the displayed site moved
REDESIGNED = RESULTS.replace('class="c-abstract"', 'class="c-summary"').replace(
    'class="c-showurl"', 'class="site-name"'
)

VIDEOS = [
    {
        "aweme_id": "7001",
        "desc": "停催上岸",
        "author": {"nickname": "老王", "sec_uid": "MS4w"},
        "create_time": 1764000000,
        "video": {"cover": {"url_list": ["https://p.example/1.jpg"]}},
    },
    {"aweme_id": "7002", "desc": "债务协商", "author": {"nickname": "小李"}, "video": {}},
]
# the live shape: data[] entries, videos under aweme_info, a user card without it
ANSWER = {
    "has_more": 1,
    "data": [
        {"type": 4, "user_list": [{"user_info": {"nickname": "老王"}}]},
        *({"type": 1, "aweme_info": video} for video in VIDEOS),
    ],
}

VIDEO_PAGE = (
    '<html><body><script id="RENDER_DATA" type="application/json">'
    + quote(json.dumps({"app": {"videoDetail": {"desc": "停催", "author": {"nickname": "老王"}}}}))
    + "</script></body></html>"
)


def profile(name: str):
    return load_site_profiles(None)[name]


def by_key(found):
    return {m.key: m for m in found}


def test_a_result_page_counts_each_selector_per_result():
    found = by_key(check_sample(profile("demo-baidu"), "search", RESULTS))
    assert (found["search.results"].matched, found["search.results"].of) == (2, 2)
    assert found["search.title"].matched == 2 and found["search.target"].matched == 1
    assert found["search.sponsored"].matched == 1 and found["search.next_page"].matched == 1
    moved = by_key(check_sample(profile("demo-baidu"), "search", REDESIGNED))
    assert moved["search.snippet"].empty and moved["search.site"].empty
    assert not moved["search.title"].empty
    # a results selector that matches nothing reports itself, not every field below it
    gone = check_sample(profile("demo-baidu"), "search", "<html><body></body></html>")
    assert [m.key for m in gone] == ["search.results"] and gone[0].empty


def test_a_data_answer_counts_each_jmespath_per_item():
    found = by_key(check_sample(profile("demo-douyin"), "search", json.dumps(ANSWER)))
    assert found["search.items"].matched == 2 and found["search.has_next"].matched == 1
    assert (found["search.fields.author_id"].matched, found["search.fields.author_id"].of) == (
        1,
        2,
    )
    assert found["search.fields.images"].matched == 1
    # no item in this answer is paid: reported, but not a broken profile
    assert found["search.fields.sponsored"].empty and found["search.fields.sponsored"].optional
    # the old shape (aweme_list) against a profile reading data[].aweme_info
    old = {"aweme_list": VIDEOS, "has_more": 1}
    assert check_sample(profile("demo-douyin"), "search", json.dumps(old))[0].empty


def test_a_detail_page_with_embedded_data():
    found = by_key(check_sample(profile("demo-douyin"), "detail", VIDEO_PAGE))
    assert not found["detail.data"].empty and not found["detail.fields.title"].empty
    assert found["detail.fields.comments"].empty and found["detail.fields.author_id"].empty
    assert check_sample(profile("demo-douyin"), "detail", "<html></html>")[0].empty


def test_a_detail_data_answer_and_a_shared_endpoint_s_operation():
    """Kuaishou's video page reads its comments from a GraphQL answer
    (detail.xhr with xhr_match); its list answers only for one operation."""
    kuaishou = profile("demo-kuaishou")
    assert kuaishou.detail.get("xhr") and kuaishou.search.get("xhr_match")
    other = check_sample(kuaishou, "search", json.dumps({"data": {"visionProfile": {}}}))
    assert [m.key for m in other] == ["search.xhr_match"] and other[0].empty
    detail = by_key(check_sample(kuaishou, "detail", json.dumps({"data": {}})))
    assert not detail["detail.xhr"].empty
    assert all(m.empty for k, m in detail.items() if k.startswith("detail.fields."))


def test_sites_check_with_a_sample_names_what_matched_nothing(tmp_path):
    good, bad = tmp_path / "good.html", tmp_path / "bad.html"
    good.write_text(RESULTS, encoding="utf-8")
    bad.write_text(REDESIGNED, encoding="utf-8")
    run = CliRunner().invoke
    passed = run(cli, ["sites", "--check", "--site", "demo-baidu", "--sample", str(good)])
    assert passed.exit_code == 0, passed.output
    assert "NOTHING" not in passed.output and "search.snippet" in passed.output
    failed = run(cli, ["sites", "--check", "--site", "demo-baidu", "--sample", f"search={bad}"])
    assert failed.exit_code == 1
    assert "matched nothing in bad.html: search.snippet, search.site" in failed.stderr
    line = next(x for x in failed.stdout.splitlines() if "search.snippet" in x)
    assert line.split()[0] == "NOTHING" and ".c-abstract" in line
    answer = tmp_path / "answer.json"
    answer.write_text("<html>a login page, not JSON</html>", encoding="utf-8")
    refused = run(cli, ["sites", "--check", "--site", "demo-douyin", "--sample", str(answer)])
    assert refused.exit_code == 1 and "not a JSON answer" in refused.stderr
    usage = run(cli, ["sites", "--check", "--sample", str(good)])
    assert usage.exit_code == 2 and "--site" in usage.output


def test_a_profile_names_its_own_samples(tmp_path):
    """A user profile carrying `samples:` is checked against them by a plain
    `sites --check`; a redesigned sample makes it fail."""
    text = (PACKAGED / "demo-douyin.yaml").read_text(encoding="utf-8")
    text = text.replace("name: demo-douyin", "name: my-douyin")
    text += "samples: {search: samples/answer.json, detail: samples/video.html}\n"
    (tmp_path / "my-douyin.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "answer.json").write_text(json.dumps(ANSWER), encoding="utf-8")
    (tmp_path / "samples" / "video.html").write_text(VIDEO_PAGE, encoding="utf-8")
    args = ["sites", "--check", "--sites-dir", str(tmp_path)]
    done = CliRunner().invoke(cli, args)
    # comments and author_id are absent from the sample video page
    assert done.exit_code == 1, done.output
    assert "detail.fields.comments" in done.stderr and "search.fields" not in done.stderr
    assert "my-douyin: search sample" in done.stdout
    page = (
        '<html><body><script id="RENDER_DATA">'
        + quote(
            json.dumps(
                {
                    "app": {
                        "videoDetail": {
                            "desc": "停催",
                            "author": {"nickname": "老王", "sec_uid": "MS4w"},
                            "comments": [{"text": "私信"}],
                            "video": {"cover": {"url_list": ["https://p.example/1.jpg"]}},
                        }
                    }
                }
            )
        )
        + "</script></body></html>"
    )
    (tmp_path / "samples" / "video.html").write_text(page, encoding="utf-8")
    again = CliRunner().invoke(cli, [*args, "--site", "my-douyin"])
    assert again.exit_code == 0, again.output
    assert "NOTHING" not in again.output
