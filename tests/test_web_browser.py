"""The workbench as an analyst uses it: real Chromium through Playwright
against a running `adwatch web` on a free loopback port, over a copy of the
session's demo crawl (real catalogue, real evidence store, real TSA).

One analyst's morning, in order: a mistyped password, the review queue by
keyboard, a dossier of the confirmed ads downloaded and opened, the referral
recorded, and a re-check that finds the ads gone and closes the case.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from crawler import settings as project
from tests.conftest import Crawl, adwatch
from tests.test_evidence_e2e import allow, live_ads
from tests.web_server import web_process

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "analyst password 1"
# Screenshots of each main view; ADWATCH_SHOTS=docs/workbench refreshes the
# ones the docs show (a run otherwise leaves the tree alone).
SHOTS = Path(os.environ.get("ADWATCH_SHOTS", "") or "/tmp/adwatch-web-shots")


@pytest.fixture(scope="module")
def data(crawl: Crawl, tsa: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("web") / "data"
    shutil.copytree(crawl.data_dir, copy)
    # the authority's root where adwatch looks when none is set, as `make run` leaves it
    (copy / "tsa").mkdir(exist_ok=True)
    shutil.copy(tsa.files.ca_pem, copy / "tsa" / "ca.pem")
    for name, role in (("ana", "analyst"), ("vera", "viewer")):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "crawler.interfaces.cli",
                "user",
                "add",
                name,
                "--role",
                role,
                "--password-stdin",
                "--data-dir",
                str(copy),
            ],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    return copy


@pytest.fixture(scope="module")
def server(data: Path) -> Iterator[str]:
    with web_process(data) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(**project.PLAYWRIGHT_LAUNCH_OPTIONS)
        context = browser.new_context(
            base_url=server,
            accept_downloads=True,
            viewport={"width": 1360, "height": 900},
            locale="zh-CN",
        )
        errors: list[str] = []
        tab = context.new_page()
        tab.on(
            "console",
            lambda m: (
                errors.append(f"{m.location.get('url')}: {m.text}") if m.type == "error" else None
            ),
        )
        tab.on("pageerror", lambda e: errors.append(str(e)))
        yield tab
        # the app's own pages break none of its policy (ReplayWeb.page's pages have their own)
        assert not [e for e in errors if "Content Security Policy" in e], errors
        browser.close()


def rows(data: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data / "catalogue.db") as conn:
        return conn.execute(sql, args).fetchall()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_1_a_failed_login_then_in(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("input[name=name]", "ana")
    page.fill("input[name=password]", "not my password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("用户名或密码不正确")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("概览")
    page.wait_for_selector(".chart canvas")
    shoot(page, "overview")


def test_2_three_ads_reviewed_by_keyboard(page: Page, data: Path) -> None:
    live = live_ads(data)
    page.goto("/review")
    decided: dict[str, str] = {}
    confirmed = 0
    while confirmed < 2 or "rejected" not in decided.values():
        item = page.locator(".review-item")
        rid = item.get_attribute("data-record") or ""
        assert rid and rid not in decided
        if len(decided) == 0:
            shoot(page, "review")
        if rid in live and confirmed < 2:
            page.keyboard.press("y")
            decided[rid], confirmed = "confirmed", confirmed + 1
        elif rid in live:
            page.keyboard.press("1")  # rejected: the first reason on the list
            decided[rid] = "rejected"
        else:
            page.keyboard.press("u")  # a page that cannot be re-checked: another look
            decided[rid] = "unsure"
        expect(page.locator(".review-item")).not_to_have_attribute("data-record", rid)
    stored = dict(rows(data, "SELECT record_id, decision FROM reviews"))
    assert stored == decided
    assert len(decided) >= 3 and list(decided.values()).count("confirmed") == 2
    ledger = (data / "evidence" / "ledger.jsonl").read_text().splitlines()
    lines = [json.loads(x) for x in ledger if '"review"' in x]
    assert {x["review"]: x["decision"] for x in lines} == decided
    assert all(x["reviewer"] == "ana" for x in lines)


def test_3_a_dossier_of_confirmed_ads_only(page: Page, data: Path, tmp_path: Path) -> None:
    confirmed = {
        r for (r,) in rows(data, "SELECT record_id FROM reviews WHERE decision = 'confirmed'")
    }
    # every ad on the page selected: the dossier must still hold only the confirmed
    page.goto("/search?label=ad")
    for box in page.locator("input[name=id]").all():
        box.check()
    page.click("text=用所选广告生成报送材料")
    page.check("input[value=cac]")
    page.click("button:has-text('生成')")
    expect(page.locator("#download")).to_be_visible(timeout=240_000)
    shoot(page, "dossier")
    with page.expect_download() as got:
        page.click("#download")
    path = tmp_path / "dossier.zip"
    got.value.save_as(path)
    shown_sha = page.locator("#dossier-sha").inner_text().strip()
    import hashlib

    assert hashlib.sha256(path.read_bytes()).hexdigest() == shown_sha
    with zipfile.ZipFile(path) as z:
        html = next(n for n in z.namelist() if n.endswith("/dossier.html"))
        text = z.read(html).decode()
        bundles = {n.split("/")[-2] for n in z.namelist() if n.endswith("/manifest.json")}
    assert "仅收录经分析人员人工复核确认的广告" in text
    of_confirmed = {
        b for (r, b) in rows(data, "SELECT record_id, bundle_id FROM captures") if r in confirmed
    }
    # the exhibits' sealed evidence travels with it: the confirmed ads', no other's
    assert bundles and bundles <= of_confirmed
    assert {
        r for (r, b) in rows(data, "SELECT record_id, bundle_id FROM captures") if b in bundles
    } == confirmed


def test_4_the_referral_recorded_and_a_recheck_closes_it(
    page: Page, data: Path, demo_server: Any, tsa: Any
) -> None:
    page.select_option("select[name=channel]", "12377")
    page.fill("input[name=sent_on]", date.today().isoformat())
    page.fill("input[name=reference]", "JB-2026-0042")
    page.click("#referral button[type=submit]")
    expect(page.locator("#case-status")).to_have_text("已报送")
    case_url = page.url
    (_case_id, records_json) = rows(data, "SELECT id, doc FROM cases")[0]
    ids = json.loads(records_json)["record_ids"]
    urls = [live_ads(data)[rid]["url"] for rid in ids]
    for url in urls:
        demo_server.take_down(url)
    try:
        args = ["recheck", "--older-than", "0", "--tsa", tsa.url, *allow(demo_server)]
        for rid in ids:
            args += ["--record", rid]
        done = adwatch(*args, data_dir=data)
    finally:
        for url in urls:
            demo_server.restore(url)
    assert done.returncode == 0, done.stderr[-2000:]
    page.goto(case_url)
    expect(page.locator("#case-status")).to_have_text("已结案")
    expect(page.locator(".figures-line")).to_contain_text(f"已下架 {len(ids)}/{len(ids)}")
    shoot(page, "case")


def test_5_the_other_views_render(page: Page, data: Path) -> None:
    operator = rows(data, "SELECT id FROM operators ORDER BY ad_count DESC LIMIT 1")[0][0]
    page.goto(f"/operator/{operator}")
    page.wait_for_selector(".chart canvas")
    shoot(page, "operator")
    rid = sorted(live_ads(data))[0]
    page.goto(f"/ad/{rid}")
    expect(page.locator(".bundle")).to_contain_text("通过")
    shoot(page, "ad")
    # the captured page replayed from its WACZ, inside the app (ReplayWeb.page)
    from evidence.store import EvidenceStore

    store = EvidenceStore(data / "evidence", readonly=True)
    bundle = rows(
        data,
        "SELECT bundle_id FROM captures WHERE record_id = ? AND bundle_id != '' ORDER BY id DESC",
        rid,
    )[0][0]
    seen = store.manifest(bundle)["artifacts"]["visible-text.txt"]["sha256"]
    words = next(w for w in store.blob_path(seen).read_text().split() if len(w) >= 4)
    page.goto(f"/replay/{bundle}")
    replayed = page.frame_locator("replay-web-page iframe").frame_locator("replay-app-main iframe")
    expect(replayed.locator("body")).to_contain_text(words, timeout=60_000)
    shoot(page, "replay")
    page.goto("/search?q=停催")
    expect(page.locator(".hits mark").first).to_be_visible()
    shoot(page, "search")


def test_6_hostile_ad_text_stays_text_in_the_browser(page: Page, data: Path) -> None:
    from evidence.index import open_catalogue
    from tests.test_catalogue import record
    from tests.test_web import HOSTILE_TEXT, HOSTILE_TITLE

    with open_catalogue(str(data / "catalogue.db")) as cat:
        cat.upsert([record("hostile0000", title=HOSTILE_TITLE, text=HOSTILE_TEXT, label="ad")])
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("/ad/hostile0000")
    expect(page.locator(".record-head h2")).to_contain_text('<script>alert("x")</script>')
    expect(page.locator(".record-head h2")).to_contain_text("{{ 7*7 }}")
    assert page.locator("main img[src=x], main b").count() == 0
    expect(page.locator("main")).to_contain_text("⟨U+202E⟩bank.com⟨U+202C⟩")
    page.goto("/search?q=bank.com")
    expect(page.locator(".hits")).to_contain_text("⟨U+202E⟩bank.com")
    assert dialogs == []


def test_7_a_viewer_reads_but_cannot_review(page: Page, server: str) -> None:
    page.click(".who button")  # log out
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("input[name=name]", "vera")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/review")
    expect(page.locator(".review-item")).to_be_visible()
    assert page.locator("#decide").count() == 0
    expect(page.locator(".review-item .hint")).to_contain_text("需要分析员权限")
