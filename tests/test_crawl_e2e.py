"""End to end: `adwatch crawl` over the whole demo web, scored against the
generator's ground truth."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import pytest

from crawler.reading.ocr import threads_per_worker
from tests.conftest import Crawl, adwatch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
DEPTH = 5  # the demo profiles' max_pages


def stored(crawl: Crawl) -> dict[str, dict[str, Any]]:
    return stored_urls(crawl.data_dir)


def stored_urls(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Records in the catalogue by URL path+query (as the ground truth writes them)."""
    db = sqlite3.connect(data_dir / "catalogue.db")
    try:
        docs = [json.loads(d) for (d,) in db.execute("SELECT doc FROM records")]
    finally:
        db.close()
    out = {}
    for doc in docs:
        parts = urlsplit(doc["url"])
        out[parts.path + (f"?{parts.query}" if parts.query else "")] = doc
    return out


def same_place(url: str, path: str) -> bool:
    """An absolute URL and a ground-truth path name the same page (%20 or + alike)."""
    parts = urlsplit(url)
    here = parts.path + (f"?{parts.query}" if parts.query else "")
    return unquote_plus(here) == unquote_plus(path)


def expected(ground_truth: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        g
        for g in ground_truth
        if g["kind"] == "record" and g.get("reachable", True) and g["page"] <= DEPTH
    ]


def crawl_log(data_dir: Path) -> str:
    """The text of the one crawl log under ``data_dir``."""
    [log] = (data_dir / "logs").glob("crawl-*.log")
    return log.read_text(encoding="utf-8")


def crawl_stats(data_dir: Path) -> Callable[[str], int]:
    """A reader of the Scrapy stats in the one crawl log under ``data_dir``
    (the first stats dump: one channel's)."""
    text = crawl_log(data_dir)

    def stat(name: str) -> int:
        found = re.search(rf"'{re.escape(name)}': (\d+)", text)
        return int(found.group(1)) if found else 0

    return stat


def test_crawl_prints_the_summary(crawl: Crawl):
    assert crawl.returncode == 0, crawl.err[-3000:]
    for line in (
        "records per channel:",
        "search",
        "video",
        "market",
        "likely ads:",
        "rejects:",
        "blocked:",
    ):
        assert line in crawl.out
    # the demo's pictures are read by OCR, which the summary counts as the log does
    # (one stats dump per channel)
    read = re.search(r"^images read:\s+(\d+)", crawl.out, re.M)
    dumps = re.findall(r"'adwatch/ocr/images': (\d+)", crawl_log(crawl.data_dir))
    assert len(dumps) == 3 and read and int(read.group(1)) == sum(map(int, dumps)) > 0
    # and the status lines show it while it goes on (stderr is not a terminal here)
    assert re.search(r"records \d+ .* images read \d+", crawl.err), crawl.err[-2000:]
    # by the two workers the session crawl asks for (conftest), sharing the cores
    threads = threads_per_worker(2)
    started = f"OCR: 2 rapidocr worker processes, {threads} onnxruntime thread"
    assert started in crawl_log(crawl.data_dir)


def test_the_crawl_log_has_no_python_warnings(crawl: Crawl):
    """Deprecations in Scrapy or Playwright show up here before they break."""
    warnings = [line for line in crawl_log(crawl.data_dir).splitlines() if "Warning:" in line]
    assert not warnings, warnings[:5]


def test_one_true_browser_identity(crawl: Crawl, demo_server):
    """Every browser-like request the crawl and its capture made (plain pages,
    pictures, rendered pages and their data calls) said the installed
    Chromium's user agent; none said HeadlessChrome (other tests fetch the
    demo with Python's own agent)."""
    from crawler import settings

    agents = demo_server.user_agents()
    browserish = {agent for agent in agents if "Mozilla/" in agent}
    assert browserish == {settings.USER_AGENT}, agents
    assert agents[settings.USER_AGENT] > 100


def test_at_least_95_percent_of_ground_truth_is_stored(crawl: Crawl, ground_truth):
    records = stored(crawl)
    want = expected(ground_truth)
    missing = [g for g in want if g["url"] not in records]
    by_channel = Counter(g["channel"] for g in want)
    for channel, total in by_channel.items():
        lost = sum(1 for g in missing if g["channel"] == channel)
        assert (total - lost) / total >= 0.95, (
            f"{channel}: {lost} of {total} missing: {missing[:3]}"
        )
    assert set(by_channel) == {"search", "video", "market"}


def test_every_demo_platform_is_crawled_and_nearly_whole(crawl: Crawl, ground_truth):
    """Per platform (the nine demo profiles): the share of its ground truth stored."""
    records = stored(crawl)
    want = expected(ground_truth)
    recall = {}
    for platform in sorted({g["platform"] for g in want}):
        mine = [g for g in want if g["platform"] == platform]
        recall[platform] = sum(g["url"] in records for g in mine) / len(mine)
    print("recall per platform:", {p: round(r, 3) for p, r in recall.items()})
    assert len(recall) == 9 and min(recall.values()) >= 0.9, recall


def test_records_carry_what_the_page_said(crawl: Crawl, ground_truth):
    records = stored(crawl)
    checked = 0
    for g in expected(ground_truth):
        doc = records.get(g["url"])
        if doc is None or not g.get("text_contains"):
            continue
        haystack = "\n".join([doc["title"], doc["text"]])
        assert g["text_contains"] in haystack, (g["url"], g["text_contains"], haystack[:300])
        assert doc["channel"] == g["channel"]
        if g["channel"] == "search":
            assert doc["sponsored"] == g["sponsored"], g["url"]
        checked += 1
    assert checked >= 0.9 * len(expected(ground_truth))


def test_hostile_cases_end_as_rejects_with_reasons(crawl: Crawl, ground_truth):
    got = Counter(r["reason"] for r in crawl.rejects)
    want = [
        g
        for g in ground_truth
        if g["kind"] == "reject"
        and g["expect"] in ("too_large", "redirect_loop", "timeout", "blocked")
    ]
    assert want, "the demo declares hostile fetches"
    for g in want:
        assert any(
            same_place(r["url"], g["url"]) and r["reason"] == g["expect"] for r in crawl.rejects
        ), (g, got)


def test_records_behind_a_failed_landing_page_are_kept(crawl: Crawl, ground_truth):
    records = stored(crawl)
    hostile = [
        g for g in expected(ground_truth) if g.get("hostile") in ("huge", "redirect_loop", "slow")
    ]
    assert hostile
    for g in hostile:
        doc = records[g["url"]]
        assert doc["problems"], g


def test_images_are_stored_once_under_their_content_hash(crawl: Crawl):
    records = stored(crawl)
    images = [i for doc in records.values() for i in doc["images"]]
    good = [i for i in images if not i["error"]]
    assert len(good) >= 0.9 * len(images)
    for image in good:
        path = crawl.data_dir / image["path"]
        assert path.is_file() and image["sha256"] in path.name
        assert path.stat().st_size == image["size"] and image["width"] > 0
    files = list((crawl.data_dir / "objects" / "images").rglob("*.*"))
    assert len(files) == len({i["sha256"] for i in good})
    assert {i["error"] for i in images} - {""} == {"corrupt_image", "not_image"}


def test_gbk_page_is_read_correctly(crawl: Crawl, ground_truth):
    records = stored(crawl)
    [gbk] = [g for g in ground_truth if g.get("hostile") == "gbk"]
    assert gbk["text_contains"] in records[gbk["url"]]["text"]


def test_markup_in_ad_text_is_kept_as_text(crawl: Crawl, ground_truth):
    records = stored(crawl)
    marked = [g for g in expected(ground_truth) if g.get("hostile") == "markup"]
    assert {g["channel"] for g in marked} == {"search", "video", "market"}
    for g in marked:
        doc = records[g["url"]]
        assert "<" in doc["title"] + doc["text"], doc["title"]


def test_blocks_are_recorded_and_the_transient_one_recovers(crawl: Crawl, ground_truth):
    db = sqlite3.connect(crawl.data_dir / "catalogue.db")
    try:
        platforms = {p for (p,) in db.execute("SELECT platform FROM blocks")}
    finally:
        db.close()
    assert {"demo-baidu", "demo-xianyu"} <= platforms
    # the market page that answered a captcha once was retried and its listings stored
    records = stored(crawl)
    market = [g for g in expected(ground_truth) if g["channel"] == "market"]
    assert all(g["url"] in records for g in market)


def test_search_command_finds_chinese_substrings(crawl: Crawl):
    done = adwatch("search", "停催", data_dir=crawl.data_dir)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert "record(s) match '停催'" in first and not first.startswith("0 ")
    as_json = adwatch(
        "search", "停催", "--json", "--channel", "video", "--limit", "3", data_dir=crawl.data_dir
    )
    hits = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert 1 <= len(hits) <= 3 and all(h["channel"] == "video" for h in hits)


def test_a_second_crawl_updates_history(crawl: Crawl, demo_server, tmp_path):
    # on a copy: the shared crawl's catalogue stays as that crawl left it
    data_dir = tmp_path / "data"
    shutil.copytree(crawl.data_dir, data_dir)
    db_path = data_dir / "catalogue.db"
    again = adwatch(
        "crawl",
        "--channel",
        "search",
        "--max-pages",
        "1",
        "--base-url",
        demo_server.base_url,
        "-s",
        "DOWNLOAD_TIMEOUT=3",
        "-s",
        "ADWATCH_LANDING_PAGES=False",
        "-s",
        "ADWATCH_CAPTURE=False",
        data_dir=data_dir,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    db = sqlite3.connect(db_path)
    try:
        rows = list(
            db.execute(
                "SELECT first_seen, last_seen, times_seen FROM records WHERE channel = 'search'"
            )
        )
    finally:
        db.close()
    seen_twice = [r for r in rows if r[2] == 2]
    assert seen_twice and all(first <= last for first, last, _ in seen_twice)


def test_browser_contexts_are_recycled_and_closed(demo_server, tmp_path):
    """One browser page per context: with PLAYWRIGHT_MAX_CONTEXTS=4, a crawl of
    more pages than that finishes only if spent contexts are closed.  The demo
    market pages by its next button (one rendered page a query); a profile of
    the user's paging by ``&page=N`` (which the demo honours) renders a page a
    result page."""
    sites = tmp_path / "sites"
    sites.mkdir()
    packaged = ROOT / "crawler" / "finding" / "sites" / "demo-xianyu.yaml"
    text = packaged.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  next_click: .*\n", "", text)
    text = text.replace('q={query}"', 'q={query}&page={page}"')
    assert "{page}" in text and "next_click" not in text
    (sites / "demo-xianyu.yaml").write_text(text, encoding="utf-8")
    done = adwatch(
        "crawl",
        "--channel",
        "market",
        "--sites-dir",
        str(sites),
        "--base-url",
        demo_server.base_url,
        "-s",
        "ADWATCH_CONTEXT_RECYCLE_PAGES=1",
        "-s",
        "ADWATCH_LANDING_PAGES=False",
        "-s",
        "ITEM_PIPELINES={}",
        "-s",
        "ADWATCH_CAPTURE=False",
        data_dir=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    stat = crawl_stats(tmp_path)
    created = stat("playwright/context_count")
    peak = stat("playwright/context_count/max_concurrent")
    assert created >= 6 and peak <= 4


def crawl_dumps(data_dir: Path) -> list[dict[str, int]]:
    """The whole-number stats of each Scrapy stats dump (one per channel) in
    the one crawl log under ``data_dir``."""
    dumps = crawl_log(data_dir).split("Dumping Scrapy stats:")[1:]
    # a dump ends where the next log line (its date) begins
    blocks = [re.split(r"\n\d{4}-\d{2}-\d{2} ", dump, maxsplit=1)[0] for dump in dumps]
    return [{k: int(v) for k, v in re.findall(r"'([^']+)': (\d+)[,}]", b)} for b in blocks]


def test_browser_pages_are_reused(crawl: Crawl):
    """Rendered requests borrow pooled pages (crawler.finding.pagepool): far fewer
    pages are opened than requests rendered, and never more than the pool
    allows per context. Read from the session crawl: the channel that rendered
    the most pages (video and market page inside one rendered page a query:
    by scrolling and by the next button)."""
    assert crawl.returncode == 0, crawl.err[-2000:]
    dumps = crawl_dumps(crawl.data_dir)
    assert len(dumps) == 3  # one per channel
    stats = max(dumps, key=lambda d: d.get("adwatch/browser/pages", 0))

    def stat(name: str) -> int:
        return stats.get(name, 0)

    rendered, reused = stat("adwatch/browser/pages"), stat("adwatch/browser/pages_reused")
    opened, contexts = stat("playwright/page_count"), stat("playwright/context_count")
    assert rendered >= 3, (rendered, reused, opened, contexts)
    assert reused >= 1 and opened + reused >= rendered
    assert opened <= 4 * contexts


def test_ground_truth_is_labelled_at_the_detection_targets(crawl: Crawl, ground_truth):
    """End to end through the crawl: ads whose pitch is in text are labelled
    ad (recall >= 0.95), look-alikes and benign pages are not (precision >=
    0.95), and contacts written in text are found (recall >= 0.95).  Ads whose
    pitch is only in images wait for the OCR stage and are not counted."""
    from crawler.reading.detect.contacts import normalize_url

    records = stored(crawl)
    pairs = [(g, records[g["url"]]) for g in expected(ground_truth) if g["url"] in records]
    text_ads = [(g, d) for g, d in pairs if g["label"] == "ad" and not g.get("image_only")]
    flagged = [(g, d) for g, d in pairs if d["label"] == "ad"]
    true_flags = [(g, d) for g, d in flagged if g["label"] == "ad"]
    missed = [(g["category"], d["score"], d["reasons"]) for g, d in text_ads if d["label"] != "ad"]
    assert len(text_ads) >= 50
    assert 1 - len(missed) / len(text_ads) >= 0.95, missed[:5]
    wrong = [(d["title"], d["reasons"]) for g, d in flagged if g["label"] != "ad"]
    assert len(true_flags) / len(flagged) >= 0.95, wrong[:5]

    wanted = found = 0
    for g, d in text_ads:
        have = {(c["kind"], c["normalized"]) for c in d["contacts"]}
        for c in g.get("contacts") or []:
            if c["where"] not in ("text", "comment"):
                continue
            value = str(c["value"])
            value = normalize_url(value) if c["kind"] == "url" else value.lower()
            wanted += 1
            found += (c["kind"], value) in have
    assert wanted >= 30 and found / wanted >= 0.95, (found, wanted)


def test_ads_of_one_gang_are_linked_to_one_operator(crawl: Crawl, ground_truth):
    """Ads of the demo's gangs that show a contact in text are linked: most of
    each gang's such ads share one cluster, and no cluster mixes two gangs.
    (Ads whose contacts are only in images are linked once OCR reads them.)"""
    records = stored(crawl)
    by_gang: dict[str, list[str]] = {}
    gangs_of: dict[str, set[str]] = {}
    for g in expected(ground_truth):
        doc = records.get(g["url"])
        if not doc or g["label"] != "ad" or not doc["cluster_id"]:
            continue
        gangs_of.setdefault(doc["cluster_id"], set()).add(str(g.get("operator")))
        if any(c["where"] in ("text", "comment") for c in g.get("contacts") or []):
            by_gang.setdefault(str(g.get("operator")), []).append(doc["cluster_id"])
    mixed = {cluster: gangs for cluster, gangs in gangs_of.items() if len(gangs) > 1}
    assert not mixed
    big = {gang: ids for gang, ids in by_gang.items() if len(ids) >= 5}
    assert big
    for gang, ids in big.items():
        _top, count = Counter(ids).most_common(1)[0]
        assert count / len(ids) >= 0.7, (gang, Counter(ids))
    assert "operators:" in crawl.out


def test_ads_whose_pitch_is_only_in_images_are_labelled_ads(crawl: Crawl, ground_truth):
    """The OCR stage reads the demo's image-only ads (banners, covers, listing
    photos, QR codes) and detection labels them ads, with the image as reason."""
    records = stored(crawl)
    pairs = [(g, records[g["url"]]) for g in expected(ground_truth) if g["url"] in records]
    image_ads = [(g, d) for g, d in pairs if g["label"] == "ad" and g.get("image_only")]
    assert len(image_ads) >= 10
    missed = [(g["url"], d["reasons"]) for g, d in image_ads if d["label"] != "ad"]
    assert 1 - len(missed) / len(image_ads) >= 0.95, missed[:3]
    for _g, d in image_ads:
        if d["label"] == "ad":
            assert any(m["field"].startswith("image") for m in d["matches"])
            if all(m["field"].startswith("image") for m in d["matches"]):
                assert "the pitch is only in the images" in d["reasons"]
    # contacts drawn in images or carried by QR codes are found too
    wanted = found = 0
    for g, d in pairs:
        have = {(c["kind"], c["normalized"]) for c in d["contacts"]}
        for c in g.get("contacts") or []:
            if c["where"] in ("image", "qr") and c["kind"] != "url":
                wanted += 1
                found += (c["kind"], str(c["value"]).lower()) in have
    assert wanted >= 10 and found / wanted >= 0.9, (found, wanted)
