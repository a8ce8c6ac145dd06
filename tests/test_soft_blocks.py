"""Soft blocks as the live platforms answer them, on real crawls of the demo web
(real Chromium): a 200 JSON "verify" answer, an mtop RGV587 answer, a redirect
to a captcha host, a script sending the page to a punish URL, a captcha element
over the list.  Each is a block of its platform (paused, retried, then a
``blocked`` reject naming the rule), never a record; a platform blocked on
every page raises the platform-blocking alert.  A login redirect is no block:
the session has expired, the platform stops and the critical alert says so.
The reserved queries are demo/soft_blocks.py's."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from demo import soft_blocks
from tests.conftest import adwatch

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SETTINGS = [
    "ADWATCH_CAPTURE=False",
    "ADWATCH_LANDING_PAGES=False",
    "DOWNLOAD_TIMEOUT=5",
    "ADWATCH_XHR_WAIT=4",
    "ADWATCH_BLOCK_BACKOFF=0.1",
    "ADWATCH_BLOCK_BACKOFF_MAX=0.2",
    "ADWATCH_BLOCK_RETRIES=2",
    "RETRY_TIMES=0",
]


def crawl(site: str, queries: list[str], base_url: str, data_dir: Path) -> dict[str, Any]:
    """One crawl of one platform for the reserved queries: what it printed,
    stored and rejected, and its spider-close verdict."""
    args = ["crawl", "--site", site, "--base-url", base_url, "--max-pages", "1"]
    for query in queries:
        args += ["--query", query]
    for setting in SETTINGS:
        args += ["-s", setting]
    done = adwatch(*args, data_dir=data_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    db = sqlite3.connect(data_dir / "catalogue.db")
    try:
        records = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        [(doc,)] = db.execute("SELECT doc FROM jobs").fetchall()
    finally:
        db.close()
    rejects = [
        json.loads(line)
        for line in (data_dir / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    job = json.loads(doc)
    return {
        "out": done.stdout + done.stderr,
        "records": records,
        "rejects": rejects,
        "job": job,
        "verdict": next(iter(job["monitors"].values())),
    }


def blocked_details(result: dict[str, Any]) -> list[str]:
    return sorted(r["detail"] for r in result["rejects"] if r["reason"] == "blocked")


def test_douyin_s_verify_answer_and_captcha_overlay_are_blocks(demo_server, tmp_path):
    done = crawl(
        "demo-douyin",
        [soft_blocks.DOUYIN_VERIFY, soft_blocks.DOUYIN_CAPTCHA],
        demo_server.base_url,
        tmp_path,
    )
    assert done["records"] == 0
    details = blocked_details(done)
    assert len(details) == 2, done["rejects"]
    assert any("data answer" in d and "verify_check" in d for d in details)
    assert any("element '#captcha-verify-image'" in d for d in details)
    assert done["job"]["blocked_by_platform"] == {"demo-douyin": 6}  # 2 pages x 3 tries
    assert "alert: 平台封锁 / Platform blocking" in done["out"]


def test_goofish_s_mtop_answer_punish_redirect_and_dialog_are_blocks(demo_server, tmp_path):
    done = crawl(
        "demo-xianyu",
        [soft_blocks.GOOFISH_MTOP, soft_blocks.GOOFISH_PUNISH, soft_blocks.GOOFISH_BAXIA],
        demo_server.base_url,
        tmp_path,
    )
    assert done["records"] == 0
    details = blocked_details(done)
    assert len(details) == 3, done["rejects"]
    assert any("data answer" in d for d in details)
    assert any("url" in d and soft_blocks.PUNISH_PATH in d for d in details)
    assert any("baxia-dialog" in d for d in details)
    assert "alert: 平台封锁 / Platform blocking" in done["out"]


def test_baidu_s_captcha_redirect_is_a_block_retried_from_the_search_url(demo_server, tmp_path):
    done = crawl("demo-baidu", [soft_blocks.BAIDU_CAPTCHA], demo_server.base_url, tmp_path)
    assert done["records"] == 0
    [detail] = blocked_details(done)
    assert soft_blocks.WAPPASS_PATH in detail
    # the reject names the search page asked for, not the captcha it was sent to
    [reject] = [r for r in done["rejects"] if r["reason"] == "blocked"]
    assert "/s?wd=" in reject["url"] and "wappass" not in reject["url"]
    assert done["job"]["blocked_by_platform"] == {"demo-baidu": 3}


def test_a_login_redirect_stops_the_platform_with_a_session_alert(demo_server, tmp_path):
    done = crawl("demo-xianyu", [soft_blocks.GOOFISH_LOGIN], demo_server.base_url, tmp_path)
    assert done["records"] == 0
    expired = [r for r in done["rejects"] if r["reason"] == "session_expired"]
    assert expired and all("adwatch login demo-xianyu" in r["detail"] for r in expired)
    assert "mini_login" in done["verdict"]["session_expired"]["demo-xianyu"]
    assert "session expired on demo-xianyu" in done["out"]
    assert "alert: 登录失效 / Session expired: demo-xianyu" in done["out"]
    # a session gone is not counted as blocking
    assert "blocked" not in {r["reason"] for r in done["rejects"]}
