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


def test_interrupted_crawl_resumes_without_losing_or_repeating(demo_server, ground_truth, tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
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
    )
    deadline = time.monotonic() + 120
    while count(tmp_path / "catalogue.db") < 30 and time.monotonic() < deadline:
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)  # one Ctrl-C: Scrapy stops cleanly and saves its state
    out, err = first.communicate(timeout=120)
    assert "stopped early" in out, err[-2000:]
    interrupted = count(tmp_path / "catalogue.db")
    assert interrupted >= 30
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "stopped early" not in second.stdout
    urls = stored_urls(tmp_path)
    want = [
        g
        for g in ground_truth
        if g["kind"] == "record" and g.get("reachable", True) and g["page"] <= DEPTH
    ]
    found = sum(1 for g in want if g["url"] in urls)
    assert found / len(want) >= 0.95
    conn = sqlite3.connect(tmp_path / "catalogue.db")
    try:
        repeated = conn.execute("SELECT count(*) FROM records WHERE times_seen > 1").fetchone()[0]
    finally:
        conn.close()
    assert repeated == 0
