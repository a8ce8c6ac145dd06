import pytest

from crawler.items import AdRecord, Author, Contact, ImageRef, Match, canonical_url, record_id


def test_canonical_url_strips_tracking_and_sorts():
    a = canonical_url("HTTP://Example.COM:80/l/ab?utm_source=baidu&b=2&spm=x&a=1#frag")
    b = canonical_url("http://example.com/l/ab?a=1&b=2&from=feed")
    assert a == b == "http://example.com/l/ab?a=1&b=2"


def test_canonical_url_keeps_meaningful_params_and_ports():
    assert (
        canonical_url("http://127.0.0.1:8765/item?id=7&spm=a21")
        == "http://127.0.0.1:8765/item?id=7"
    )
    assert canonical_url("https://h/video/1?previous_page=search") == "https://h/video/1"


def test_record_id_is_stable_and_platform_scoped():
    url = canonical_url("http://h/item?id=1")
    assert record_id("p", url) == record_id("p", canonical_url("http://h/item?spm=9&id=1"))
    assert record_id("p", url) != record_id("q", url)
    assert len(record_id("p", url)) == 24


def test_record_fills_history_and_id():
    r = AdRecord(channel="market", platform="demo-xianyu", url="http://h/item?id=1&spm=z")
    assert r.canonical_url == "http://h/item?id=1"
    assert r.id == record_id("demo-xianyu", r.canonical_url)
    assert r.first_seen == r.last_seen == r.fetched_at
    assert r.times_seen == 1


def test_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="unknown channel"):
        AdRecord(channel="radio", platform="p", url="http://h/")


def test_dict_round_trip_keeps_nested_parts():
    r = AdRecord(
        channel="video",
        platform="p",
        url="http://h/video/1",
        title="当天停催",
        author=Author(name="阿强", id="MS4w", url="http://h/user/MS4w"),
        images=[ImageRef(url="http://h/img/1.jpg", sha256="ab", ocr={"text": "加V"})],
        matches=[Match("firstpass.停催", "停催", "title", (2, 4))],
        contacts=[Contact("wechat", "V: abc123", "abc123", "text")],
        extra={"page": 2},
    )
    d = r.to_dict()
    assert d["matches"][0]["span"] == [2, 4]
    back = AdRecord.from_dict(d)
    assert back == r
    assert "加V" in back.searchable_text()
