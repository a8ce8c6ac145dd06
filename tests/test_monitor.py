"""Spider-close checks (crawler.finding.monitor) and the takedown figures of `adwatch stats`."""

from __future__ import annotations

from crawler.finding.monitor import judge
from crawler.interfaces.show import format_takedowns

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
