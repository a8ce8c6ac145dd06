"""An interrupted crawl resumes from its job folder (--job-dir)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CRAWL_SETTINGS, ROOT
from tests.test_crawl_e2e import DEPTH, stored_urls

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def count(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def repeated(db: Path) -> int:
    """Records stored more than once."""
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM records WHERE times_seen > 1").fetchone()[0])
    finally:
        conn.close()


def test_interrupted_crawl_resumes_without_losing_or_repeating(demo_server, ground_truth, tmp_path):
    """One channel, the market (its pages rendered by Chromium), OCR off: the
    Ctrl-C reaches the browser and the job folder's redis-server; an OCR worker
    given a Ctrl-C is tests/test_ocr.py's."""
    cmd = [
        sys.executable,
        "-m",
        "crawler.interfaces.cli",
        "crawl",
        "--channel",
        "market",
        "--ocr-engine",
        "none",
        "--base-url",
        demo_server.base_url,
        "--data-dir",
        str(tmp_path),
        "--job-dir",
        str(tmp_path / "job"),
    ]
    for setting in [*CRAWL_SETTINGS, "ADWATCH_CATALOGUE_BATCH=10"]:
        cmd += ["-s", setting]
    first = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        start_new_session=True,  # a process group of its own, as in a terminal
    )
    deadline = time.monotonic() + 120
    while count(tmp_path / "catalogue.db") < 30 and time.monotonic() < deadline:
        time.sleep(0.2)
    # one Ctrl-C, sent as a terminal sends it: to the whole process group, so
    # the job folder's redis-server and the browser get it too; Scrapy
    # stops cleanly and the frontier keeps its state
    os.killpg(first.pid, signal.SIGINT)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err[-2000:]
    assert "stopped early" in out and "): interrupted" in err, err[-2000:]
    assert "stopping: the pages in flight" in err
    interrupted = count(tmp_path / "catalogue.db")
    assert interrupted >= 30
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "stopped early" not in second.stdout
    urls = stored_urls(tmp_path)
    want = [
        g
        for g in ground_truth
        if g["kind"] == "record"
        and g["channel"] == "market"
        and g.get("reachable", True)
        and g["page"] <= DEPTH
    ]
    missing = [g["url"] for g in want if g["url"] not in urls]
    found = len(want) - len(missing)
    assert found / len(want) >= 0.95, (interrupted, missing[:10], second.stdout[-1500:])
    assert repeated(tmp_path / "catalogue.db") == 0


def _crawling(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if line.startswith("crawling "))


def test_a_demo_crawl_resumes_on_the_same_demo_web(tmp_path):
    """`--demo --job-dir`: the frontier holds the demo's URLs, so the resumed
    run must serve the demo on the first run's port."""
    cmd = [sys.executable, "-m", "crawler.interfaces.cli", "crawl", "--demo", "--channel", "search"]
    cmd += ["--data-dir", str(tmp_path), "--job-dir", str(tmp_path / "job"), "--ocr-engine", "none"]
    for setting in CRAWL_SETTINGS:
        cmd += ["-s", setting]
    stop_early = [*cmd, "-s", "CLOSESPIDER_PAGECOUNT=4"]
    first = subprocess.run(stop_early, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    stopped = count(tmp_path / "catalogue.db")
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    assert _crawling(second.stderr) == _crawling(first.stderr)
    assert count(tmp_path / "catalogue.db") > stopped
    assert repeated(tmp_path / "catalogue.db") == 0
    third = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert third.returncode == 0 and "nothing to resume" in third.stderr


def test_a_demo_job_folder_refuses_another_size_or_a_taken_port(tmp_path):
    import socket

    from crawler.running.crawl_job import CrawlJobError
    from crawler.running.crawl_job import demo_port as _demo_port

    port = _demo_port(tmp_path, 1)
    assert _demo_port(tmp_path, 1) == port
    with pytest.raises(CrawlJobError, match="--demo-size 1"):
        _demo_port(tmp_path, 2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        with pytest.raises(CrawlJobError, match=f"127.0.0.1:{port}, which is in use"):
            _demo_port(tmp_path, 1)
    (tmp_path / "demo.json").write_text("{", encoding="utf-8")
    with pytest.raises(CrawlJobError, match="unreadable"):
        _demo_port(tmp_path, 1)


def test_a_ctrl_c_before_scrapy_listens_is_held_then_handed_over():
    """A Ctrl-C while the crawlers are being built (before Scrapy installs its
    handlers) used to raise KeyboardInterrupt inside a crawler's set-up, where
    Twisted logged it and the crawl ran to its end.  Now it is held and
    delivered to Scrapy's handler once that is in; the process's own handler
    is back after the crawl."""
    from crawler.running.run import _signals_held

    before = signal.getsignal(signal.SIGINT)
    reached: list[int] = []
    with _signals_held() as held:
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 5
        while not held.caught and time.monotonic() < deadline:
            time.sleep(0.01)
        assert held.caught == [signal.SIGINT]  # no KeyboardInterrupt
        signal.signal(signal.SIGINT, lambda signum, _frame: reached.append(signum))  # "Scrapy's"
        held.hand_over(None, lambda: True)  # the engines are up: delivered at once
        deadline = time.monotonic() + 5
        while not reached and time.monotonic() < deadline:
            time.sleep(0.01)
        assert reached == [signal.SIGINT]
    assert signal.getsignal(signal.SIGINT) is before


KILL_AT_HOP = 5  # the crawl is killed when the demo answers this request of the loop


def test_a_crawl_killed_inside_a_redirect_loop_stores_its_record_and_reject_once(tmp_path):
    """kill -9 while a landing page redirects in a loop, then resume.  Each hop
    of a redirect chain is a request of its own in the frontier, and every
    request stayed in flight until the next catalogue write, records or not:
    the resumed run put every hop back, each a chain of its own to the limit,
    and stored the loop's record and reject once per hop (5 here, 11 once
    the whole chain was in flight).  A request that yields no record (a hop,
    a result page) is now forgotten once its requests are in the frontier."""
    import json

    from demo.generate import generate
    from demo.server import DemoServer
    from tests.conftest import SLOW_SECONDS

    crawl: subprocess.Popen[str] | None = None
    hops: list[str] = []
    with DemoServer(generate(7, 1), port=0, slow_seconds=SLOW_SECONDS) as demo:
        answer = demo.router.handle

        def kill_in_the_loop(path: str, host: str, *more: object) -> object:
            """The real demo's answer; at the KILL_AT_HOP-th hop of the loop, the
            crawl (its process group) is killed first, as kill -9 would."""
            if path.startswith("/loop/"):
                hops.append(path)
                if len(hops) == KILL_AT_HOP and crawl is not None:
                    os.killpg(crawl.pid, signal.SIGKILL)
            return answer(path, host, *more)  # type: ignore[arg-type]

        demo.router.handle = kill_in_the_loop
        cmd = [sys.executable, "-m", "crawler.interfaces.cli", "crawl", "--channel", "search"]
        cmd += ["--query", "网贷逾期怎么办", "--max-pages", "2", "--ocr-engine", "none"]
        cmd += ["--base-url", demo.base_url, "--data-dir", str(tmp_path)]
        cmd += ["--job-dir", str(tmp_path / "job")]
        # one catalogue write at the end: everything done is still in flight at the kill
        for setting in [*CRAWL_SETTINGS, "ADWATCH_CATALOGUE_BATCH=1000"]:
            cmd += ["-s", setting]
        crawl = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, killed as a whole
        )
        _out, err = crawl.communicate(timeout=300)
        assert crawl.returncode == -signal.SIGKILL, err[-2000:]
        assert len(hops) == KILL_AT_HOP
        resumed = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
    conn = sqlite3.connect(tmp_path / "catalogue.db")
    try:
        seen = [
            n
            for doc, n in conn.execute("SELECT doc, times_seen FROM records")
            if "/loop/" in json.loads(doc)["url"]
        ]
        stored_rejects = [
            r
            for (d,) in conn.execute("SELECT doc FROM rejects")
            if (r := json.loads(d))["reason"] == "redirect_loop"
        ]
    finally:
        conn.close()
    lines = (tmp_path / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    logged = [r for r in map(json.loads, lines) if r["reason"] == "redirect_loop"]
    assert seen == [1], (seen, hops)
    assert len(stored_rejects) == 1 and len(logged) == 1, (stored_rejects, logged)
