"""A crawl of live sites captures evidence, and evidence needs time-stamps:
without a time-stamp authority it is refused before anything starts (no
request, no job line, no log), unless the person says --no-timestamp; the
summary then says the bundles carry none.  Nothing here connects anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.interfaces.cli import cli
from crawler.running.crawl_job import CrawlJob, CrawlJobError, check_timestamping
from crawler.running.run import project_settings


def settings(**values: object) -> object:
    return project_settings({k: v for k, v in values.items()})


def test_a_live_crawl_without_a_tsa_is_refused_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> None:  # were the refusal gone, fail here, before any request
        raise AssertionError("a live crawl started without a time-stamp authority")

    monkeypatch.setattr("crawler.running.crawl_job._crawl_and_capture", never)
    done = CliRunner().invoke(
        cli, ["crawl", "--site", "baidu", "--data-dir", str(tmp_path)], env={"ADWATCH_TSA_URL": ""}
    )
    assert done.exit_code == 1
    assert "ADWATCH_TSA_URL" in done.output and "--no-timestamp" in done.output
    assert list(tmp_path.iterdir()) == []  # no catalogue, no job line, no log


@pytest.mark.parametrize(
    ("ask", "values", "line"),
    [
        (CrawlJob(sites=("baidu",), no_timestamp=True), {}, "time-stamps: NONE (--no-timestamp)"),
        (
            CrawlJob(sites=("baidu",)),
            {"ADWATCH_TSA_URL": "http://127.0.0.1:9/"},
            "time-stamps: http://127.0.0.1:9/",
        ),
        (CrawlJob(sites=("baidu",)), {"ADWATCH_CAPTURE": False}, ""),
        (CrawlJob(demo=True), {}, ""),  # the demo starts its own authority
        (CrawlJob(sites=("baidu",), base_url="http://127.0.0.1:9"), {}, ""),  # a stand-in web
        (CrawlJob(sites=("demo-baidu",)), {}, ""),
    ],
)
def test_what_the_summary_says_of_time_stamps(ask: CrawlJob, values: dict, line: str) -> None:
    said = check_timestamping(settings(**{"ADWATCH_TSA_URL": "", **values}), ask)
    assert said.startswith(line) and bool(said) == bool(line)


def test_one_live_site_among_demo_ones_is_a_live_crawl() -> None:
    with pytest.raises(CrawlJobError, match="needs RFC 3161 time-stamps"):
        check_timestamping(settings(ADWATCH_TSA_URL=""), CrawlJob(sites=("demo-douyin", "douyin")))
