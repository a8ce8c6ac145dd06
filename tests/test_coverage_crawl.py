"""Field coverage at spider close (crawler.finding.monitor), on real crawls of
the demo search engine: a profile whose author selector was renamed (as a
platform renaming its markup would) fails the check on its first crawl, naming
the platform and the field, and raises the alert; the packaged profile passes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import adwatch

pytestmark = pytest.mark.slow

SITES = Path(__file__).resolve().parents[1] / "crawler" / "finding" / "sites"


def crawl_search(sites_dir: Path, data_dir: Path, base_url: str) -> tuple[str, dict[str, Any]]:
    """One page per query of the demo search engine, no landing pages, no
    capture; the command's output and the job's spider-close verdict."""
    done = adwatch(
        "crawl",
        "--channel",
        "search",
        "--max-pages",
        "1",
        "--base-url",
        base_url,
        "-s",
        f"ADWATCH_SITES_DIR={sites_dir}",
        "-s",
        "ADWATCH_LANDING_PAGES=False",
        "-s",
        "ADWATCH_CAPTURE=False",
        "-s",
        "DOWNLOAD_TIMEOUT=3",
        data_dir=data_dir,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    db = sqlite3.connect(data_dir / "catalogue.db")
    try:
        [(doc,)] = db.execute("SELECT doc FROM jobs").fetchall()
    finally:
        db.close()
    verdict = json.loads(doc)["monitors"]["search"]
    return done.stdout + done.stderr, verdict


def test_a_renamed_selector_fails_coverage_and_the_packaged_profile_passes(demo_server, tmp_path):
    packaged = (SITES / "demo-baidu.yaml").read_text(encoding="utf-8")
    assert 'site: ".c-showurl"' in packaged
    good, renamed = tmp_path / "good", tmp_path / "renamed"
    for folder, text in (
        (good, packaged),
        (renamed, packaged.replace('site: ".c-showurl"', 'site: ".c-showurl-v2"')),
    ):
        folder.mkdir()
        (folder / "demo-baidu.yaml").write_text(text, encoding="utf-8")

    out, verdict = crawl_search(good, tmp_path / "good-data", demo_server.base_url)
    shares = verdict["coverage"]["demo-baidu"]
    assert shares["records"] >= 10 and verdict["coverage_failures"] == []
    assert min(shares[f] for f in ("title", "text", "author")) >= 0.9, shares
    assert "coverage" not in out.lower()

    out, verdict = crawl_search(renamed, tmp_path / "renamed-data", demo_server.base_url)
    [failure] = verdict["coverage_failures"]
    assert (failure["platform"], failure["field"], failure["share"]) == ("demo-baidu", "author", 0)
    assert verdict["failed"] == ["coverage:demo-baidu.author"]
    assert "CHECK FAILED: coverage of author on demo-baidu: 0% of" in out  # the crawl summary
    assert "alert: 字段缺失 / Field coverage: demo-baidu author 0%" in out
