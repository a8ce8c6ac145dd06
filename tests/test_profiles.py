from pathlib import Path

import pytest

from crawler.finding.profiles import (
    LIVE_DELAY,
    BlockRule,
    ProfileError,
    load_profile,
    load_profiles,
    select_profiles,
)

SITES = Path(__file__).resolve().parents[1] / "crawler" / "finding" / "sites"


def test_bundled_profiles_load():
    profiles = load_profiles(SITES)
    assert {"demo-baidu", "demo-douyin", "demo-xianyu", "baidu", "douyin", "xianyu"} <= set(
        profiles
    )
    assert {p.channel for p in profiles.values()} == {"search", "video", "market"}


def test_default_selection_is_the_demo_and_names_pick_real_sites():
    profiles = load_profiles(SITES)
    video = [p.name for p in select_profiles(profiles, "video")]
    assert video == ["demo-douyin", "demo-kuaishou", "demo-weibo", "demo-xiaohongshu"]
    # the default set: the nine demo platforms, no live one
    assert len(select_profiles(profiles)) == 9
    assert all(p.name.startswith("demo-") for p in select_profiles(profiles))
    assert [p.name for p in select_profiles(profiles, None, ["douyin"])] == ["douyin"]
    with pytest.raises(ProfileError, match="unknown site profile"):
        select_profiles(profiles, None, ["nope"])


def test_a_live_profile_goes_at_a_person_s_pace_unless_it_says_otherwise(tmp_path):
    text = "name: x\nchannel: search\nsearch: {url: '{base}/s', results: li, title: a, link: a}\n"
    live, local, paced = tmp_path / "live.yaml", tmp_path / "local.yaml", tmp_path / "p.yaml"
    live.write_text(text + "base_url: https://www.example.cn\n", encoding="utf-8")
    local.write_text(text + "base_url: http://127.0.0.1:8765\n", encoding="utf-8")
    paced.write_text(
        text + "base_url: https://www.example.cn\nrate: {concurrency: 2, delay: 9}\n",
        encoding="utf-8",
    )
    assert (load_profile(live).concurrency, load_profile(live).delay) == (1, LIVE_DELAY)
    assert (load_profile(local).concurrency, load_profile(local).delay) == (4, 0.0)
    assert (load_profile(paced).concurrency, load_profile(paced).delay) == (2, 9.0)


def test_block_and_session_rules_are_checked_when_the_profile_loads(tmp_path):
    base = (
        "name: x\nchannel: search\nbase_url: http://127.0.0.1:1\n"
        "search: {url: '{base}/s', results: li, title: a, link: a}\n"
    )
    path = tmp_path / "p.yaml"
    for extra, error in (
        ("block: {data: ['ret[']}", "block.data"),
        ("block: {selectors: ['a[']}", "block.selectors"),
        ("block: {url: ['x']}", "block.url is not a key"),
        ("session: {expired: {urls: [1]}}", "session.expired.urls"),
        ("session: {logged_in: 'div['}", "session.logged_in"),
        ("session: {login: x}", "session.login is not a key"),
    ):
        path.write_text(base + extra + "\n", encoding="utf-8")
        with pytest.raises(ProfileError, match=error):
            load_profile(path)
    path.write_text(
        base + "block: {data: \"ret[0] == 'x'\", urls: [wappass]}\n"
        "session: {logged_in: .avatar, expired: {markers: [请登录]}}\n",
        encoding="utf-8",
    )
    loaded = load_profile(path)
    assert loaded.block.data == ("ret[0] == 'x'",) and loaded.block.urls == ("wappass",)
    assert loaded.block.matches(200, "", (), ({"ret": ["x"]},)).startswith("data answer")
    assert loaded.block.matches(200, "", ("https://wappass.baidu.com/?x",)).startswith("url")
    assert loaded.session.expired.matches(200, "<p>请登录</p>") == "marker '请登录'"
    assert loaded.block.matches(200, "<p>ok</p>", ("https://www.baidu.com/s",)) == ""


def test_url_template_quotes_queries():
    p = load_profiles(SITES)["demo-baidu"].with_base_url("http://127.0.0.1:9/")
    url = p.url(p.search["url"], query="停催 &x", offset=10, page=2)
    assert url == "http://127.0.0.1:9/s?wd=%E5%81%9C%E5%82%AC%20%26x&pn=10"


def test_block_rule():
    rule = BlockRule(markers=("decision_conf",), statuses=(429,))
    assert rule.matches(429, "") == "status 429"
    assert "decision_conf" in rule.matches(200, "window.decision_conf = {}")
    assert rule.matches(200, "<html>ok</html>") == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nchannel: search\nbase_url: h\nsearch: {url: u}\n", "search.results is required"),
        ("name: x\nchannel: radio\nbase_url: h\nsearch: {}\n", "channel 'radio'"),
        ("channel: video\n", "missing key 'search'"),
        ("name: x\nchannel: search\n  bad: [\n", "not valid YAML"),
        ("- a list\n", "expected a mapping"),
        (
            "name: x\nchannel: video\nbase_url: h\nsearch: {url: u, xhr: x, items: i, fields: {},"
            " item_url: u}\nrate: {concurrency: 0}\n",
            "rate.concurrency must be >= 1",
        ),
        (
            "name: x\nchannel: search\nbase_url: h\nsearch: {url: u, results: r, title: t,"
            " link: l}\nproxy: socks5://127.0.0.1:1080\n",
            "must be an http:// proxy",
        ),
    ],
)
def test_malformed_profiles_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=message) as info:
        load_profile(path)
    assert str(path) in str(info.value)


def test_yaml_error_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nchannel: search\nsearch: {url: [\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"line \d+"):
        load_profile(path)


def test_duplicate_names_are_refused(tmp_path):
    body = (SITES / "demo-baidu.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(body, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(ProfileError, match="already used"):
        load_profiles(tmp_path)


SEARCH = "name: x\nchannel: search\nbase_url: h\nsearch: {url: u, results: r, title: t, link: l}\n"


def test_coverage_thresholds_are_read_and_absent_means_no_check(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(SEARCH + "coverage: {title: 0.9, author: 1, min_records: 3}\n", "utf-8")
    coverage = load_profile(path).coverage
    assert coverage.thresholds == {"title": 0.9, "author": 1.0} and coverage.min_records == 3
    path.write_text(SEARCH, "utf-8")
    assert load_profile(path).coverage.thresholds == {}
    # every packaged demo profile holds its crawl to some coverage
    assert all(p.coverage.thresholds for n, p in load_profiles(SITES).items() if n[:5] == "demo-")


@pytest.mark.parametrize(
    ("coverage", "message"),
    [
        ("[title]", "'coverage' must be a mapping"),
        ("{title: 1.5}", "coverage.title must be a share between 0 and 1"),
        ("{text: -0.1}", "coverage.text must be a share"),
        ("{images: yes}", "coverage.images must be a share"),
        ("{author: '0.5'}", "coverage.author must be a share"),
        ("{price: 0.5}", "coverage.price is not a field adwatch checks"),
        ("{min_records: 0}", "coverage.min_records must be a whole number"),
        ("{min_records: 2.5}", "coverage.min_records must be a whole number"),
    ],
)
def test_bad_coverage_names_file_and_key(tmp_path, coverage, message):
    path = tmp_path / "bad.yaml"
    path.write_text(SEARCH + f"coverage: {coverage}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=message) as info:
        load_profile(path)
    assert str(path) in str(info.value)
