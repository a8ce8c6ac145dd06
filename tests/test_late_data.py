"""A rendered result list whose data answer comes too late, in a real crawl
(Chromium, the demo web): the first answer or the answer to a scroll.  The list
is rendered again and nothing is lost, or, when the answer never comes in time,
a reject says where the list stopped.  Without this, the results behind a late
scroll answer were dropped without a word."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator

import pytest

from demo.generate import generate
from demo.ground_truth import ground_truth_lines
from demo.routes import Response
from demo.server import DemoServer
from tests.conftest import CRAWL_SETTINGS, Crawl, adwatch
from tests.test_crawl_e2e import crawl_log, crawl_stats, expected, stored_urls

pytestmark = [pytest.mark.browser, pytest.mark.slow]

API = "/aweme/v1/web/search/item/"
QUERY = "停催"
THIRD = "20"  # the third batch's offset
XHR_WAIT = 3.0  # the crawl's wait for a data answer; the late one takes twice that


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(generate(7, 1), port=0) as srv:
        yield srv


def late_answers(server: DemoServer, offset: str, times: int) -> list[int]:
    """Make the first `times` answers for the batch of QUERY at `offset` late;
    the list returned counts how many times that batch was asked for."""
    asked = [0]
    route: Callable[[dict[str, list[str]], str], Response] = server.router._exact[API]

    def answer(qs: dict[str, list[str]], base: str) -> Response:
        made = route(qs, base)
        if qs.get("keyword") == [QUERY] and qs.get("offset") == [offset]:
            asked[0] += 1
            if asked[0] <= times:
                return dataclasses.replace(made, delay=2 * XHR_WAIT)
        return made

    server.router._exact[API] = answer
    return asked


def crawl(server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    data = tmp_path_factory.mktemp("scroll")
    args = ["crawl", "--base-url", server.base_url, "--site", "demo-douyin", "--query", QUERY]
    args += ["--ocr-engine", "none"]
    for setting in [*CRAWL_SETTINGS, f"ADWATCH_XHR_WAIT={XHR_WAIT}", "RETRY_TIMES=1"]:
        args += ["-s", setting]
    done = adwatch(*args, data_dir=data, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return Crawl(data, done.stdout, done.stderr, done.returncode)


def wanted(server: DemoServer) -> list[str]:
    truth = ground_truth_lines(server.web)
    return [
        g["url"]
        for g in expected(truth)
        if g["platform"] == "demo-douyin" and g["query"] == QUERY
    ]


def test_a_late_answer_to_the_scroll_is_waited_out_by_reading_the_list_again(
    server: DemoServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    asked = late_answers(server, THIRD, times=1)
    done = crawl(server, tmp_path_factory)
    want = wanted(server)
    assert len(want) > 30  # the query has four batches, the last two behind the late one
    urls = stored_urls(done.data_dir)
    assert [u for u in want if u not in urls] == []
    assert asked[0] == 2  # late, then read again in time
    assert [r for r in done.rejects if r["reason"] == "paging_cut_short"] == []
    # rendered again from fresh meta: Scrapy's own keys (retry count, latency)
    # of the first rendering are not carried into the new request
    assert crawl_stats(done.data_dir)("adwatch/lists_rendered_again/paging_cut_short") == 1
    assert "internal meta keys" not in crawl_log(done.data_dir)
    # the paid mark (is_ads) of each video, from the captured answer to the catalogue
    paid = {g["url"]: g["sponsored"] for g in expected(ground_truth_lines(server.web))}
    assert {u: urls[u]["sponsored"] for u in want} == {u: paid[u] for u in want}
    assert 0 < sum(paid[u] for u in want) < len(want)


def test_an_answer_always_late_ends_in_a_reject_naming_the_batch(
    server: DemoServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    asked = late_answers(server, THIRD, times=sys.maxsize)
    done = crawl(server, tmp_path_factory)
    urls = stored_urls(done.data_dir)
    want = wanted(server)
    assert sum(u in urls for u in want) == 20  # the first two batches, each once
    assert asked[0] == 2  # RETRY_TIMES=1
    [reject] = [r for r in done.rejects if r["reason"] == "paging_cut_short"]
    assert QUERY in reject["url"] or "%E5%81%9C%E5%82%AC" in reject["url"]
    assert "after page 2 of up to 5 (page 3 missing)" in reject["detail"]


def test_a_late_first_answer_is_waited_out_by_reading_the_list_again(
    server: DemoServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    asked = late_answers(server, "0", times=1)
    done = crawl(server, tmp_path_factory)
    urls = stored_urls(done.data_dir)
    assert [u for u in wanted(server) if u not in urls] == []
    assert asked[0] == 2
    assert [r for r in done.rejects if r["reason"] == "no_data"] == []
