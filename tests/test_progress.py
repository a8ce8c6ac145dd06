"""The crawl's status line and summary, from the crawlers' stats."""

from __future__ import annotations

import io

from scrapy.utils.test import get_crawler

from crawler.running.progress import Figures, Progress, summary


def crawler_with(stats: dict[str, int]):
    crawler = get_crawler()
    crawler.stats.set_stats(dict(stats))
    return crawler


def test_the_status_line_sums_the_channels_and_shows_the_ocr_queue():
    video = crawler_with(
        {"response_received_count": 10, "adwatch/ocr/images": 3, "adwatch/ocr/waiting": 4}
    )
    market = crawler_with({"response_received_count": 5, "adwatch/ocr/images": 2})
    figures = Figures.of([video, market])
    assert figures.pages == 15 and figures.images_read == 5 and figures.images_waiting == 4
    assert figures.line(12).endswith("blocked 0  images read 5 (4 waiting)")
    assert "images read:  5" in summary(figures, 12.0, "sqlite:///x", "r.jsonl")


def test_without_ocr_the_line_and_summary_say_nothing_of_images():
    figures = Figures.of([crawler_with({"response_received_count": 3})])
    assert "images" not in figures.line(1)
    assert "images" not in summary(figures, 1.0, "sqlite:///x", "r.jsonl")


def test_a_plain_stream_gets_a_line_every_ten_seconds():
    stream = io.StringIO()
    progress = Progress([crawler_with({"adwatch/ocr/waiting": 2})], stream)
    progress.started -= 11
    progress.show()
    progress.show()  # within ten seconds of the last: nothing more
    assert stream.getvalue().count("\n") == 1 and "images read 0 (2 waiting)" in stream.getvalue()


def test_the_summary_names_each_platform_s_records_when_there_are_several():
    search = crawler_with(
        {"adwatch/platform_records/demo-baidu": 7, "adwatch/platform_records/demo-bing": 2}
    )
    video = crawler_with({"adwatch/platform_records/demo-douyin": 5})
    said = summary(Figures.of([search, video]), 1.0, "sqlite:///x", "r.jsonl")
    assert "platforms:    3   (demo-baidu 7, demo-bing 2, demo-douyin 5)" in said
    one = summary(Figures.of([video]), 1.0, "sqlite:///x", "r.jsonl")
    assert "platforms:" not in one
