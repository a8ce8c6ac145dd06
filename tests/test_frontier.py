"""The shared Redis frontier (crawler/finding/frontier.py): settings, serialisable
requests, the scheduler's atomic filter, acknowledgements and recovery on a real
redis-server, and two crawler processes on one Redis with one killed mid-crawl."""

from __future__ import annotations

import collections
import json
import os
import pickle
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import Mock
from urllib.parse import unquote_plus, urlsplit

import pytest
import scrapy
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.test import get_crawler
from scrapy_playwright.page import PageMethod
from twisted.internet import task

from crawler.finding import signals as adwatch_signals
from crawler.finding.browser import browser_meta
from crawler.finding.frontier import (
    SIGHTED_META,
    UNFINISHED_META,
    RedisScheduler,
    RedisServer,
    UnserialisableRequest,
    check_serialisable,
    cli_args,
    job_finished,
    job_frontier,
    mark_job_finished,
    redis_settings,
)
from crawler.finding.spiders.video import VideoSpider
from crawler.items import AdRecord
from crawler.running.jobs import Busy
from demo.generate import generate
from demo.ground_truth import ground_truth_lines
from demo.server import DemoServer
from tests.conftest import CRAWL_SETTINGS, ROOT, SLOW_SECONDS
from tests.test_crawl_e2e import expected

SPIDERS = ("search", "video", "market")
ORIGINAL_PLATFORMS = ("demo-baidu", "demo-douyin", "demo-xianyu")  # the two-worker crawl's


# --- settings ---------------------------------------------------------------


def test_redis_settings_put_scheduler_and_filter_on_redis_per_run_and_spider():
    s = redis_settings("redis://127.0.0.1:6379/0", "adwatch:run-7", idle=4, worker="host-a")
    assert s["SCHEDULER"] == "crawler.finding.frontier.RedisScheduler"
    assert s["DUPEFILTER_CLASS"] == "crawler.finding.frontier.RedisDupeFilter"
    assert s["SCHEDULER_QUEUE_CLASS"] == "crawler.finding.frontier.ReliableQueue"
    assert s["SCHEDULER_PERSIST"] is True
    assert s["SCHEDULER_IDLE_BEFORE_CLOSE"] == 0  # never BRPOP in the reactor
    assert s["SCHEDULER_QUEUE_KEY"] % {"spider": "video"} == "adwatch:run-7:video:requests"
    assert s["SCHEDULER_DUPEFILTER_KEY"] % {"spider": "video"} == "adwatch:run-7:video:dupefilter"
    assert s["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert s["ADWATCH_FRONTIER_IDLE"] == 4
    assert s["ADWATCH_FRONTIER_WORKER"] == "host-a"
    assert "ADWATCH_CATALOGUE_BATCH" not in s  # records are still written in batches
    assert "ADWATCH_FRONTIER_RECLAIM" not in s
    assert redis_settings("redis://h", "p", worker="w", reclaim=True)["ADWATCH_FRONTIER_RECLAIM"]
    assert s["ADWATCH_FRONTIER_KEYS"] == "adwatch:run-7"
    args = cli_args({"A": True, "B": {"x": 1}})
    assert args == ["-s", "A=True", "-s", 'B={"x": 1}']


def test_the_add_on_turns_the_shared_frontier_on_from_adwatch_settings():
    addon = {"ADDONS": {"crawler.finding.frontier.SharedFrontier": 0}}
    off = get_crawler(_Spider, addon)
    assert off.settings["SCHEDULER"] != "crawler.finding.frontier.RedisScheduler"
    on = get_crawler(
        _Spider,
        {
            **addon,
            "ADWATCH_REDIS_URL": "redis://10.0.0.5:6379/0",
            "ADWATCH_FRONTIER_RUN": "2026-11-26",
            "ADWATCH_FRONTIER_TTL": "4",
        },
    )
    assert on.settings["SCHEDULER"] == "crawler.finding.frontier.RedisScheduler"
    assert on.settings["REDIS_URL"] == "redis://10.0.0.5:6379/0"
    assert on.settings["ADWATCH_FRONTIER_KEYS"] == "adwatch:2026-11-26"
    assert on.settings.getfloat("ADWATCH_FRONTIER_TTL") == 4
    with pytest.raises(ValueError, match="ADWATCH_FRONTIER_RUN"):
        get_crawler(_Spider, {**addon, "ADWATCH_REDIS_URL": "redis://h:6379/0"})


@pytest.mark.parametrize(
    ("url", "prefix"),
    [("http://127.0.0.1:6379", "adwatch:x"), ("redis://h", ""), ("redis://h", "a b")],
)
def test_redis_settings_refuse_what_cannot_work(url, prefix):
    with pytest.raises(ValueError):
        redis_settings(url, prefix)


# --- serialisable requests --------------------------------------------------


class _Spider(scrapy.Spider):
    name = "unit"

    def parse(self, response: Any, **kwargs: Any) -> Any:
        return None

    def parse_detail(self, response: Any, record: AdRecord) -> Any:
        return None


def test_a_callable_in_meta_is_refused_naming_its_key():
    spider = _Spider()
    request = scrapy.Request(
        "http://x/a", callback=spider.parse, meta={"ok": 1, "adwatch_hook": lambda page: page}
    )
    with pytest.raises(UnserialisableRequest, match=r"meta\['adwatch_hook'\] holds a function"):
        check_serialisable(request, spider)


def test_a_lambda_inside_a_page_method_is_found_where_it_sits():
    spider = _Spider()
    meta = {"playwright": True, "playwright_page_methods": [PageMethod(lambda page: None)]}
    request = scrapy.Request("http://x/b", callback=spider.parse, meta=meta)
    with pytest.raises(UnserialisableRequest) as caught:
        check_serialisable(request, spider)
    assert "meta['playwright_page_methods'][0].method holds a function" in str(caught.value)


def test_a_page_object_in_meta_is_refused():
    class Page:  # stands in for playwright's Page: holds a live connection
        def __init__(self) -> None:
            self.lock = threading.Lock()

    spider = _Spider()
    request = scrapy.Request("http://x/c", callback=spider.parse, meta={"playwright_page": Page()})
    with pytest.raises(UnserialisableRequest, match=r"meta\['playwright_page'\]"):
        check_serialisable(request, spider)


def test_a_callback_that_is_no_spider_method_is_refused():
    spider = _Spider()
    request = scrapy.Request("http://x/d", callback=lambda response: None)
    with pytest.raises(UnserialisableRequest, match=r"callback .* is not a method of the spider"):
        check_serialisable(request, spider)


def test_adwatch_requests_are_serialisable():
    """What the channel spiders put in meta: browser meta (page methods by
    module-level function, page init callback by import path) and records."""
    spider = VideoSpider()
    meta = browser_meta(xhr="/aweme/", batches=5, timeout=5.0, context_kwargs={"locale": "zh-CN"})
    record = AdRecord(channel="video", platform="demo-douyin", url="http://x/video/1")
    request = scrapy.Request(
        "http://x/douyin/search?keyword=a",
        callback=spider.parse_detail,
        meta={**meta, "adwatch_platform": "demo-douyin", "adwatch_kind": "detail"},
        cb_kwargs={"record": record},
        dont_filter=True,
    )
    check_serialisable(request, spider)


# --- the scheduler on a real redis-server -----------------------------------


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def test_redis_server_answers_and_leaves_nothing_behind():
    server = RedisServer().start()
    folder = server._dir
    assert folder and Path(folder).is_dir()
    client = server.client()
    assert client.ping()
    client.close()
    proc = server.proc
    server.stop()
    assert proc is not None and proc.poll() is not None
    assert not Path(folder).exists()


def _scheduler(server: RedisServer, prefix: str, worker: str, **extra: Any) -> RedisScheduler:
    settings = {**redis_settings(server.url, prefix, idle=0.2, ttl=1.0, worker=worker), **extra}
    crawler = get_crawler(_Spider, settings)
    inprogress: set[scrapy.Request] = set()
    slot = SimpleNamespace(inprogress=inprogress, nextcall=Mock(), remove_request=inprogress.remove)
    # what the scheduler reads of Scrapy's engine
    crawler.engine = SimpleNamespace(_slot=slot, needs_backout=lambda: False)
    spider = _Spider.from_crawler(crawler)
    crawler.spider = spider
    scheduler = RedisScheduler.from_crawler(crawler)
    scheduler.clock = task.Clock()  # the tick is driven by hand here
    scheduler.open(spider)
    return scheduler


def _detail(spider: scrapy.Spider, url: str) -> scrapy.Request:
    record = AdRecord(channel="video", platform="p", url=url, canonical_url=url)
    return scrapy.Request(
        url,
        callback=spider.parse_detail,  # type: ignore[attr-defined]
        meta={"adwatch_kind": "detail", "adwatch_platform": "p"},
        cb_kwargs={"record": record},
        dont_filter=True,
    )


def test_seeds_and_records_are_scheduled_once_across_workers(redis_server):
    a = _scheduler(redis_server, "t-once", "a")
    b = _scheduler(redis_server, "t-once", "b")
    try:
        seeds = [f"http://x/s?q={n}" for n in range(3)]
        assert all(a.enqueue_request(scrapy.Request(u, callback=a.spider.parse)) for u in seeds)
        # the second worker yields the same seeds: the shared filter drops them
        assert not any(b.enqueue_request(scrapy.Request(u, callback=b.spider.parse)) for u in seeds)
        # a record met by both workers: its detail page is queued once
        assert a.enqueue_request(_detail(a.spider, "http://x/video/1"))
        assert not b.enqueue_request(_detail(b.spider, "http://x/video/1"))
        # ...but its retry (same meta, now marked) is let through
        popped = b.next_request()
        while popped is not None and not popped.meta.get(SIGHTED_META):
            popped = b.next_request()
        assert popped is not None and popped.url == "http://x/video/1"
        assert b.enqueue_request(popped.replace(dont_filter=True))
        assert len(a.queue) >= 1
    finally:
        a.close("finished")
        b.close("finished")


def test_requests_stay_in_flight_until_done_and_come_back_when_their_worker_dies(redis_server):
    a = _scheduler(redis_server, "t-dead", "a")
    b = _scheduler(redis_server, "t-dead", "b")
    client = redis_server.client()
    try:
        for n in range(4):
            a.enqueue_request(scrapy.Request(f"http://x/p{n}", callback=a.spider.parse))
        p3 = a.next_request()  # last in, first out, as Scrapy's own scheduler
        assert p3 is not None and p3.url == "http://x/p3"
        a.enqueue_request(p3.replace(dont_filter=True))
        working = a.crawler.engine._slot.inprogress  # type: ignore[union-attr]
        first, second = a.next_request(), a.next_request()
        assert first is not None and second is not None
        working.update({first, second})
        a._ack_finished()
        assert client.hlen("t-dead:unit:inflight:a") == 2
        a.crawler.engine._slot.remove_request(first)  # type: ignore[union-attr]
        assert client.hlen("t-dead:unit:inflight:a") == 1  # done: acknowledged at once
        assert len(b.queue) == 2
        # worker a dies: no more heartbeats, its liveness key runs out
        a._closed = True
        a._stop.set()
        a._heart.join()
        assert b._recover_dead() == 0  # still alive for up to its TTL
        client.delete("t-dead:unit:alive:a")
        assert b._recover_dead() == 1
        assert b._recover_dead() == 0  # once
        assert client.hlen("t-dead:unit:inflight:a") == 0
        [back] = [pickle.loads(d)["url"] for d in client.lrange("t-dead:unit:recovered", 0, -1)]
        assert back == second.url
        everything = {f"http://x/p{n}" for n in range(4)}
        assert {r.url for r in iter(b.next_request, None)} == everything - {first.url}
    finally:
        client.close()
        b.close("finished")


def test_an_idle_worker_waits_for_the_shared_frontier_then_closes(redis_server):
    a = _scheduler(redis_server, "t-idle", "a")
    b = _scheduler(redis_server, "t-idle", "b")
    try:
        b.enqueue_request(scrapy.Request("http://x/1", callback=b.spider.parse))
        with pytest.raises(DontCloseSpider):
            a._on_idle()  # something is queued
        request = b.next_request()
        b.crawler.engine._slot.inprogress.add(request)  # type: ignore[union-attr]
        b._ack_finished()
        with pytest.raises(DontCloseSpider):
            a._on_idle()  # b still works on it: it may queue more
        b.crawler.engine._slot.inprogress.clear()  # type: ignore[union-attr]
        b._ack_finished()
        with pytest.raises(DontCloseSpider):
            a._on_idle()  # empty, but not for ADWATCH_FRONTIER_IDLE yet
        time.sleep(0.25)
        a._on_idle()  # empty for long enough: the spider may close
    finally:
        a.close("finished")
        b.close("finished")


def test_a_finished_run_leaves_keys_that_expire(redis_server):
    a = _scheduler(redis_server, "t-keep", "a", ADWATCH_FRONTIER_KEEP=60)
    a.enqueue_request(scrapy.Request("http://x/1", callback=a.spider.parse))
    request = a.next_request()
    assert request is not None
    a.close("finished")
    client = redis_server.client()
    try:
        assert 0 < client.ttl("t-keep:unit:dupefilter") <= 60
        assert not client.exists("t-keep:unit:alive:a")
        assert not client.sismember("t-keep:unit:workers", "a")
    finally:
        client.close()


def _yield_record(scheduler: RedisScheduler, request: scrapy.Request) -> None:
    """What Scrapy says once a record out of ``request``'s response has been
    through the item pipelines (into the catalogue's buffer)."""
    response = scrapy.http.HtmlResponse(request.url, body=b"<html></html>", request=request)
    record = AdRecord(channel="search", platform="unit", url=request.url)
    scheduler.crawler.signals.send_catch_log(
        scrapy.signals.item_scraped, item=record, response=response, spider=scheduler.spider
    )


def test_a_request_is_acknowledged_only_once_its_records_are_written(redis_server):
    a = _scheduler(redis_server, "t-stored", "a")
    client = redis_server.client()
    try:
        signals = a.crawler.signals
        signals.send_catch_log(adwatch_signals.catalogue_opened)  # a buffering catalogue
        a.enqueue_request(scrapy.Request("http://x/list", callback=a.spider.parse))
        request = a.next_request()
        slot = a.crawler.engine._slot  # type: ignore[union-attr]
        slot.inprogress.add(request)
        _yield_record(a, request)
        slot.remove_request(request)  # done; its record may sit in the buffer
        a._ack_finished()
        assert client.hlen("t-stored:unit:inflight:a") == 1
        assert not a._frontier_busy()  # an idle spider may close (and write them)
        signals.send_catch_log(adwatch_signals.records_stored)
        assert client.hlen("t-stored:unit:inflight:a") == 0
        slot.nextcall.schedule.assert_called()  # the engine looks at once
        # one that yielded no record (a redirect hop, a result page whose
        # records ride on their detail requests): nothing to wait for
        a.enqueue_request(scrapy.Request("http://x/hop", callback=a.spider.parse))
        hop = a.next_request()
        slot.inprogress.add(hop)
        slot.remove_request(hop)
        assert client.hlen("t-stored:unit:inflight:a") == 0
        # one finished but never written (a failed write): back on the frontier at close
        a.enqueue_request(scrapy.Request("http://x/list2", callback=a.spider.parse))
        lost = a.next_request()
        slot.inprogress.add(lost)
        _yield_record(a, lost)
        slot.remove_request(lost)
    finally:
        client.close()
        a.close("shutdown")
    b = _scheduler(redis_server, "t-stored", "b")
    try:
        again = b.next_request()
        assert again is not None and again.url == "http://x/list2"
    finally:
        b.close("finished")


def test_a_request_its_callback_left_unfinished_goes_back_on_the_frontier(redis_server):
    a = _scheduler(redis_server, "t-unfinished", "a")
    client = redis_server.client()
    try:
        for url in ("http://x/list", "http://x/whole"):
            a.enqueue_request(scrapy.Request(url, callback=a.spider.parse))
        slot = a.crawler.engine._slot  # type: ignore[union-attr]
        cut, whole = a.next_request(), a.next_request()
        assert cut is not None and whole is not None
        cut.meta[UNFINISHED_META] = True  # e.g. a list whose scrolling the stop cut short
        for request in (cut, whole):
            slot.inprogress.add(request)
            slot.remove_request(request)
        a._ack_finished()
        a.crawler.signals.send_catch_log(adwatch_signals.records_stored)
        assert client.hlen("t-unfinished:unit:inflight:a") == 1  # the whole one is forgotten
    finally:
        client.close()
        a.close("shutdown")
    b = _scheduler(redis_server, "t-unfinished", "b")
    try:
        assert [r.url for r in iter(b.next_request, None)] == [cut.url]
    finally:
        b.close("finished")


def test_a_reclaiming_worker_takes_back_what_its_killed_run_had_in_flight(redis_server):
    first = _scheduler(redis_server, "t-reclaim", "job", ADWATCH_FRONTIER_RECLAIM=True)
    for n in range(3):
        first.enqueue_request(scrapy.Request(f"http://x/r{n}", callback=first.spider.parse))
    taken = [first.next_request(), first.next_request()]
    # killed: no close, no acknowledgement, its heartbeat key still fresh
    first._closed = True
    first._stop.set()
    first._heart.join()
    again = _scheduler(redis_server, "t-reclaim", "job", ADWATCH_FRONTIER_RECLAIM=True)
    try:
        assert again.stats.get_value("adwatch/frontier/recovered") == 2
        urls = {r.url for r in iter(again.next_request, None)}
        assert urls == {f"http://x/r{n}" for n in range(3)}
        assert {r.url for r in taken if r is not None} < urls
    finally:
        again.close("finished")


def test_a_persistent_redis_server_keeps_its_data_through_kill_9(tmp_path):
    folder = tmp_path / "frontier"
    first = RedisServer(folder=folder).start()
    client = first.client()
    client.zadd("q", {"a": 1, "b": 2})
    client.close()
    assert first.proc is not None
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait()
    second = RedisServer(folder=folder).start()
    try:
        client = second.client()
        assert client.zrange("q", 0, -1) == [b"a", b"b"]
        client.sadd("s", "x")
        client.close()
        # a server left running in the folder is stopped before a new one starts.
        # It is this process's child: reaped as it ends, or it would stay a zombie
        # (its /proc entry there) and the stop would wait out its 30 s for nothing.
        assert second.proc is not None
        reaper = threading.Thread(target=second.proc.wait, daemon=True)
        reaper.start()
        third = RedisServer(folder=folder).start()
        try:
            reaper.join(timeout=30)
            assert second.proc.wait(timeout=30) is not None
            client = third.client()
            assert client.smembers("s") == {b"x"}
            client.close()
        finally:
            third.stop()
    finally:
        second.stop()
    assert (folder / "appendonly").is_dir()  # the data stays in the folder


def test_a_redis_server_dies_with_the_process_that_started_it(tmp_path):
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from crawler.finding.frontier import RedisServer\n"
        "s = RedisServer(folder=Path(sys.argv[1])).start()\n"
        "print(s.proc.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "f")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    pid = int(proc.stdout.readline())
    proc.kill()  # kill -9: no clean-up of its own
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists()


def test_a_job_folder_takes_one_crawl_at_a_time(tmp_path):
    with job_frontier(tmp_path / "job") as settings:
        assert settings["ADWATCH_FRONTIER_RECLAIM"] is True
        assert settings["ADWATCH_FRONTIER_WORKER"] == "job"
        with pytest.raises(Busy, match="job folder"), job_frontier(tmp_path / "job"):
            pass
        # the command says so, and does not crawl
        cmd = [
            sys.executable,
            "-m",
            "crawler.interfaces.cli",
            "crawl",
            "--job-dir",
            str(tmp_path / "job"),
        ]
        cmd += ["--data-dir", str(tmp_path / "data"), "--base-url", "http://127.0.0.1:9"]
        refused = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1
        assert "job folder" in refused.stderr and "already running" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert not job_finished(tmp_path / "job")
    mark_job_finished(tmp_path / "job", "2026-11-26T20:00:00Z")
    assert job_finished(tmp_path / "job") == "2026-11-26T20:00:00Z"


# --- two crawler processes, one killed ----------------------------------------


class AccessLog:
    """Every request the demo web answers, in order (the server's own view)."""

    def __init__(self, server: DemoServer) -> None:
        self.hits: list[tuple[float, str]] = []
        # paths asked for by POST: one URL for many data requests (GraphQL), told
        # apart only by their bodies, so a repeat of the path is no repeat of a page
        self.posted: set[str] = set()
        self._lock = threading.Lock()
        handle = server.router.handle

        def logged(path: str, host: str, *more: Any) -> Any:
            with self._lock:
                self.hits.append((time.monotonic(), path))
                if more and getattr(more[0], "method", "GET") == "POST":
                    self.posted.add(_norm(path))
            return handle(path, host, *more)

        server.router.handle = logged  # type: ignore[method-assign]

    def counts(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(_norm(p) for _, p in self.hits)

    def last_hit(self, path: str) -> float:
        with self._lock:
            return max(t for t, p in self.hits if _norm(p) == _norm(path))


def _norm(path_or_url: str) -> str:
    parts = urlsplit(path_or_url)
    return unquote_plus(parts.path + (f"?{parts.query}" if parts.query else ""))


def _records(db: Path) -> list[dict[str, Any]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT doc, times_seen FROM records").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()
    return [{**json.loads(doc), "times_seen": seen} for doc, seen in rows]


def _worker(base_url: str, data_dir: Path, db: Path, frontier: dict[str, Any]) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "crawler.interfaces.cli",
        "crawl",
        "--base-url",
        base_url,
        # the three original platforms: their pictures belong to one record each, so
        # a picture fetched twice is a page fetched twice (the twins share pictures
        # across posts, and a remade record's pictures come again: see docs/issue note)
        "--site",
        "demo-baidu",
        "--site",
        "demo-douyin",
        "--site",
        "demo-xianyu",
        "--data-dir",
        str(data_dir),
        "--catalogue",
        f"sqlite://{db}",
        "--ocr-engine",
        "none",  # the frontier is under test, not OCR; it keeps the test short
    ]
    for setting in CRAWL_SETTINGS:
        cmd += ["-s", setting]
    # three browsers on two cores: a rendered list page may take longer than the
    # 5 s the other crawl tests give it (a lost page would be a lost query here)
    cmd += ["-s", "ADWATCH_XHR_WAIT=10"]
    cmd += cli_args(frontier)
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "out.txt", "wb") as out, open(data_dir / "err.txt", "wb") as err:
        # a session of its own: the kill takes its browser with it, as a dead host would
        return subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=err, start_new_session=True, env=dict(os.environ)
        )


@pytest.mark.browser
@pytest.mark.slow
def test_two_workers_one_killed_crawl_every_url_once_and_lose_none(tmp_path):
    prefix = "adwatch:e2e"
    db = tmp_path / "catalogue.db"
    with (
        RedisServer() as server,
        DemoServer(generate(7, 1), port=0, slow_seconds=SLOW_SECONDS) as web,
    ):
        access = AccessLog(web)
        client = server.client()

        def settings(worker: str) -> dict[str, Any]:
            return {  # what a user sets; the add-on does the rest
                "ADDONS": {"crawler.finding.frontier.SharedFrontier": 0},
                "ADWATCH_REDIS_URL": server.url,
                "ADWATCH_FRONTIER_RUN": "e2e",
                "ADWATCH_FRONTIER_IDLE": 3,
                "ADWATCH_FRONTIER_TTL": 3,
                "ADWATCH_FRONTIER_WORKER": worker,
            }

        def in_flight(worker: str) -> int:
            return sum(int(client.hlen(f"{prefix}:{s}:inflight:{worker}")) for s in SPIDERS)

        a = _worker(web.base_url, tmp_path / "a", db, settings("a"))
        b = _worker(web.base_url, tmp_path / "b", db, settings("b"))
        workers = [a, b]
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and a.poll() is None and len(_records(db)) < 60:
                time.sleep(0.05)
            # not right after a write: the kill should land at any moment of the
            # crawl, not in the instant between storing a record and acknowledging
            # its request, which a store-triggered kill would pick again and again
            time.sleep(0.3)
            while time.monotonic() < deadline and a.poll() is None and in_flight("a") < 3:
                time.sleep(0.01)
            assert a.poll() is None, "worker a ended before it could be killed"
            killed_at = time.monotonic()
            os.killpg(a.pid, signal.SIGKILL)  # the whole host dies: crawler and browser
            a.wait(timeout=10)
            had = in_flight("a")  # what it had in flight when it died (TTL: 3 s to recover)
            assert had > 0, "worker a had nothing in flight when killed"
            # the host comes back as a new worker, while b goes on
            c = _worker(web.base_url, tmp_path / "c", db, settings("c"))
            workers.append(c)
            for name, proc in (("b", b), ("c", c)):
                proc.wait(timeout=150)
                err = (tmp_path / name / "err.txt").read_text(errors="replace")
                assert proc.returncode == 0, f"worker {name}: {err[-3000:]}"
        finally:
            for proc in workers:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        counts = access.counts()
        ground_truth = ground_truth_lines(web.web)

        # the frontier drained: nothing queued, nothing left in flight
        for spider in SPIDERS:
            assert client.zcard(f"{prefix}:{spider}:requests") == 0
        assert not [k for k in client.keys(f"{prefix}:*:inflight:*") if client.hlen(k)]
        back = [
            _norm(pickle.loads(data)["url"])
            for spider in SPIDERS
            for data in client.lrange(f"{prefix}:{spider}:recovered", 0, -1)
        ]
        recovered = set(back)
        client.close()
    # for a look after a failure: what the server saw, what came back
    with open(tmp_path / "access.txt", "w") as out:
        out.writelines(f"{t - killed_at:+.3f} {p}\n" for t, p in access.hits)
    (tmp_path / "recovered.txt").write_text("\n".join(sorted(recovered)))
    # exactly what the killed worker had in flight was put back, once
    assert len(back) == had, (len(back), had)

    # every page a recovered request asked for was fetched again after the kill
    for path in recovered:
        assert access.last_hit(path) > killed_at, path

    # No page fetched twice: each URL once, but for the demo's hostile pages
    # (captcha, slow, redirect loop: retried by design, as with one worker) and
    # the pages the killed worker had in flight (fetched again by design).  The
    # data requests a rendered page makes and the images of a record are
    # fetched with their page.
    hostile = {_norm(g["url"]) for g in ground_truth if g["kind"] in ("reject", "transient")}
    hostile |= {_norm(g["api_url"]) for g in ground_truth if g.get("api_url")}
    # a market page pages by its button now: the crawler asks for the list without
    # the &page= the ground truth names, and a block of its data retries that list
    hostile |= {
        _norm(g["url"]).split("&page=")[0] for g in ground_truth if g["kind"] == "transient"
    }
    hostile.add("/loop/b")  # where /loop/a redirects, and back (demo/README.md)
    records = _records(db)
    by_url = {_norm(r["url"]): r for r in records}
    again_ok = set(recovered)
    for path in recovered:
        record = by_url.get(path)
        if record:
            again_ok |= {_norm(i["url"]) for i in record.get("images", [])}
        query = dict(p.split("=", 1) for p in urlsplit(path).query.split("&") if "=" in p)
        keyword = query.get("keyword") or query.get("q")
        if keyword:  # a rendered list page: its data requests name the query
            again_ok |= {p for p in counts if p.startswith(("/aweme/", "/h5/")) and keyword in p}
    again_ok |= access.posted
    # pictures are fetched with their record (the media pipeline, not the frontier):
    # a record remade from a recovered list page has its pictures fetched again, and
    # a picture several records show (a gang's QR code) is fetched with each
    shown = collections.Counter(_norm(i["url"]) for r in records for i in r.get("images", []))
    again_ok |= {url for url, n in shown.items() if n > 1}
    for r in records:
        if _norm(r.get("referrer", "")) in recovered:
            again_ok |= {_norm(i["url"]) for i in r.get("images", [])}
    # a rendered list whose data came late is rendered again by design
    # (crawler.finding.spiders._rendered: RETRY_TIMES), as with one worker
    for log in tmp_path.glob("[ab]/logs/crawl-*.log"):
        again_ok |= {_norm(u) for u in re.findall(r"rendering (\S+) again", log.read_text())}
    twice = {p: n for p, n in counts.items() if n > 1 and p not in hostile and p not in again_ok}
    assert not twice, twice
    loop_and_captcha = [p for p in hostile if counts.get(p, 0) > 1]
    assert loop_and_captcha  # the check above did see the retried pages

    # Nothing lost: the reachable records of the ground truth are in the catalogue
    want = [g for g in expected(ground_truth) if g["platform"] in ORIGINAL_PLATFORMS]
    found = [g for g in want if _norm(g["url"]) in by_url]
    missing = [g["url"] for g in want if _norm(g["url"]) not in by_url]
    assert len(found) / len(want) >= 0.95, f"{len(found)} of {len(want)}: {missing[:20]}"
    # the records behind the recovered pages are there, each stored once more at most
    for path in recovered:
        if path in {_norm(g["url"]) for g in want}:
            assert path in by_url, path
    # a record stored twice is one the killed worker stored but had not acknowledged
    seen_twice = [r["url"] for r in records if r["times_seen"] > 1]
    assert all(_norm(u) in recovered for u in seen_twice), seen_twice
    print(
        f"killed with {had} in flight; {len(recovered)} pages recovered and fetched again, "
        f"{len(seen_twice)} records stored twice; {len(found)} of {len(want)} stored"
    )
    logs = "\n".join(p.read_text() for p in tmp_path.glob("[bc]/logs/crawl-*.log"))
    assert "stopped answering" in logs
    assert "Warning:" not in logs
