"""Spider-close checks (crawler.finding.monitor) and the takedown figures of `adwatch stats`."""

from __future__ import annotations

from crawler.finding.monitor import has_field, judge
from crawler.finding.profiles import Coverage
from crawler.interfaces.show import format_takedowns
from crawler.items import AdRecord, Author, ImageRef

LIMITS = {"invalid_rate": 0.05, "error_rate": 0.2, "block_rate": 0.3}


def test_a_healthy_crawl_passes() -> None:
    verdict = judge(
        {
            "item_scraped_count": 100,
            "downloader/request_count": 120,
            "response_received_count": 118,
            "adwatch/blocked": 3,
        },
        LIMITS,
    )
    assert verdict.failed == () and verdict.block_rate == round(3 / 118, 4)


def test_each_check_fails_on_its_own_figure() -> None:
    stats = {
        "item_scraped_count": 10,
        "adwatch/rejects/invalid_record": 5,
        "downloader/request_count": 20,
        "downloader/exception_count": 3,
        "spider_exceptions/KeyError": 2,
        "response_received_count": 20,
        "adwatch/blocked": 7,
    }
    verdict = judge(stats, LIMITS)
    assert verdict.failed == ("invalid_rate", "error_rate", "block_rate")
    assert (verdict.invalid_rate, verdict.error_rate, verdict.block_rate) == (0.3333, 0.25, 0.35)
    assert judge(stats, {"invalid_rate": 1, "error_rate": 1, "block_rate": 1}).failed == ()


def test_pages_without_records_is_the_zero_results_alarm() -> None:
    verdict = judge({"response_received_count": 40, "downloader/request_count": 40}, LIMITS)
    assert verdict.zero_results and verdict.failed == ("zero_results",)
    assert judge({}, LIMITS).failed == ()  # nothing fetched: no rates, no alarm


def coverage_stats(platform: str, records: int, **have: int) -> dict[str, int]:
    stats = {f"adwatch/coverage/{platform}/records": records}
    return stats | {f"adwatch/coverage/{platform}/{k}": v for k, v in have.items()}


def test_a_field_below_its_threshold_fails_naming_platform_and_field() -> None:
    stats = {
        "item_scraped_count": 60,
        "response_received_count": 60,
        **coverage_stats("demo-baidu", 40, title=40, text=39, author=0),
        **coverage_stats("demo-x", 20, title=20, text=20, author=20),
    }
    wanted = Coverage({"title": 0.9, "text": 0.8, "author": 0.5})
    verdict = judge(stats, LIMITS, {"demo-baidu": wanted, "demo-x": wanted})
    assert verdict.failed == ("coverage:demo-baidu.author",)
    assert verdict.coverage_failures == (
        {
            "platform": "demo-baidu",
            "field": "author",
            "share": 0.0,
            "threshold": 0.5,
            "records": 40,
        },
    )
    assert verdict.coverage["demo-baidu"] == {
        "records": 40,
        "title": 1.0,
        "text": 0.975,
        "author": 0.0,
    }
    assert verdict.to_dict()["coverage_failures"][0]["field"] == "author"
    # at the threshold passes; no thresholds, too few records or no profile: no check
    assert judge(stats, LIMITS, {"demo-baidu": Coverage({"text": 0.975})}).failed == ()
    assert judge(stats, LIMITS, {"demo-baidu": Coverage()}).failed == ()
    few = Coverage({"author": 0.5}, min_records=41)
    assert judge(stats, LIMITS, {"demo-baidu": few}).failed == ()
    assert judge(stats, LIMITS).failed == ()


def test_what_counts_as_having_a_field() -> None:
    empty = AdRecord(channel="search", platform="p", url="http://127.0.0.1/")
    assert not any(has_field(empty, n) for n in ("title", "text", "author", "images"))
    full = AdRecord(
        channel="search",
        platform="p",
        url="http://127.0.0.1/",
        title="t",
        text="x",
        author=Author(id="u1"),
        images=[ImageRef(url="http://127.0.0.1/a.png")],
    )
    assert all(has_field(full, n) for n in ("title", "text", "author", "images"))


def test_takedown_days_per_platform() -> None:
    rows = [
        {
            "platform": "xianyu",
            "first_seen": "2026-11-01T00:00:00Z",
            "gone_at": "2026-11-03T00:00:00Z",
        },
        {
            "platform": "xianyu",
            "first_seen": "2026-11-01T00:00:00Z",
            "gone_at": "2026-11-11T12:00:00Z",
        },
        {
            "platform": "xianyu",
            "first_seen": "2026-11-02T00:00:00Z",
            "gone_at": "2026-11-06T00:00:00Z",
        },
        {
            "platform": "douyin",
            "first_seen": "2026-11-01T08:00:00+08:00",
            "gone_at": "2026-11-01T00:00:00Z",
        },
        {"platform": "douyin", "first_seen": "bad", "gone_at": "2026-11-01T00:00:00Z"},
    ]
    assert format_takedowns(rows) == [
        "time to takedown (first seen -> found gone), days:",
        "  douyin: 1 gone, median 0.0, slowest 0.0",
        "  xianyu: 3 gone, median 4.0, slowest 10.5",
    ]
    assert format_takedowns([]) == []
