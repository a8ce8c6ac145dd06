"""End to end: the demo crawl's evidence.  Every ad has a sealed, time-stamped
bundle that `adwatch verify --all` passes (with openssl as a second verifier);
a re-check tells live, changed and gone apart; a dead TSA queues bundles
without losing one; nothing that is not the ad is sealed."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from evidence.netpolicy import origin_entry
from evidence.store import EvidenceStore
from tests.conftest import Crawl, adwatch

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def rows(data_dir: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(data_dir / "catalogue.db")
    try:
        return list(db.execute(sql, args))
    finally:
        db.close()


def ads(data_dir: Path) -> dict[str, dict[str, Any]]:
    return {
        rid: json.loads(doc)
        for rid, doc in rows(data_dir, "SELECT id, doc FROM records WHERE label = 'ad'")
    }


def bundles_by_record(data_dir: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rid, bundle in rows(
        data_dir, "SELECT record_id, bundle_id FROM captures WHERE bundle_id != '' ORDER BY id"
    ):
        found.setdefault(rid, []).append(bundle)
    return found


def test_the_crawl_reports_its_evidence(crawl: Crawl) -> None:
    assert crawl.returncode == 0, crawl.err[-3000:]
    assert "evidence:" in crawl.out and "time-stamped now" in crawl.out
    assert "queued for a time-stamp" not in crawl.out


def test_every_ad_has_a_sealed_time_stamped_bundle(crawl: Crawl) -> None:
    found = bundles_by_record(crawl.data_dir)
    missing = sorted(set(ads(crawl.data_dir)) - set(found))
    assert missing == [], rows(
        crawl.data_dir, "SELECT url, outcome, doc FROM captures WHERE bundle_id = ''"
    )
    store = EvidenceStore(crawl.data_dir / "evidence")
    assert store.unstamped() == []
    for record_id, bundles in found.items():
        about = store.manifest(bundles[0])["about"]
        assert about["record"] == record_id and about["status"] in ("live", "gone")


def test_verify_all_passes_with_both_verifiers(crawl: Crawl, tsa) -> None:
    done = adwatch(
        "verify",
        "--all",
        "--openssl",
        "--ca",
        str(tsa.files.ca_pem),
        data_dir=crawl.data_dir,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert ", 0 failed, 0 not checked" in done.stdout and "result: PASSED" in done.stdout


def test_a_landing_page_out_of_reach_is_captured_where_the_ad_was_shown(crawl: Crawl) -> None:
    """The redirect-loop landing page cannot be captured; its search result page is."""
    store = EvidenceStore(crawl.data_dir / "evidence")
    (record_id,) = [rid for rid, doc in ads(crawl.data_dir).items() if "/loop/" in doc["url"]]
    (bundle,) = bundles_by_record(crawl.data_dir)[record_id]
    about = store.manifest(bundle)["about"]
    assert "/s?" in about["url"]  # the result page (the record's referrer)
    assert about["facts"]["instead_of"]["outcome"] == "failed"
    assert "REDIRECT" in about["facts"]["instead_of"]["reason"].upper()


def test_capture_hostile_pages_end_at_their_limits(crawl: Crawl, ground_truth) -> None:
    """The demo's capture cases (a sub-resource that never ends, infinite scroll,
    a page that navigates away, a download button) each leave a bundle of the
    ad's page, with what stopped the capture written down."""
    store = EvidenceStore(crawl.data_dir / "evidence")
    by_path = {urlsplit(doc["url"]).path: rid for rid, doc in ads(crawl.data_dir).items()}
    cases = {g["case"]: g for g in ground_truth if g.get("kind") == "capture"}
    assert set(cases) == {"never_loads", "infinite_scroll", "navigates_away", "download"}
    found = bundles_by_record(crawl.data_dir)
    facts = {}
    for name, case in cases.items():
        record_id = by_path[urlsplit(case["url"]).path]
        manifest = store.manifest(found[record_id][0])
        assert manifest["about"]["outcome"] == "page", (name, manifest["about"]["reason"])
        assert "screenshot.png" in manifest["artifacts"], name
        facts[name] = manifest["about"]["facts"]
    assert facts["never_loads"]["page"]["load_event"] is False
    assert any("load event did not fire" in p for p in facts["never_loads"]["problems"])
    # not scrolled, so the feed never grew: one screenshot of a bounded page
    assert facts["infinite_scroll"]["page"]["height"] < 5000


@pytest.fixture
def copy(crawl: Crawl, tmp_path: Path) -> Path:
    """The crawl's data on a copy, so this test's captures stay its own."""
    data = tmp_path / "data"
    shutil.copytree(crawl.data_dir, data)
    return data


def allow(demo_server) -> list[str]:
    """A re-check of the session crawl's records must be let reach the demo web
    (the crawl allowed it as its --base-url; a later command names it again)."""
    return ["-s", f"ADWATCH_ALLOW_HOSTS={origin_entry(demo_server.base_url)}"]


def test_recheck_tells_live_changed_and_gone_apart(copy: Path, demo_server, tsa) -> None:
    by_channel: dict[str, list[tuple[str, str]]] = {}
    for rid, doc in live_ads(copy).items():
        by_channel.setdefault(doc["channel"], []).append((rid, doc["url"]))
    (gone_id, gone_url), (same_id, _same_url) = sorted(by_channel["search"])[:2]
    changed_id, changed_url = sorted(by_channel["video"])[0]
    demo_server.take_down(gone_url)
    demo_server.edit(changed_url, "这段视频的文字已经改了，和原来不一样。")
    try:
        args = ["recheck", "--older-than", "0", "--tsa", tsa.url, *allow(demo_server)]
        for rid in (gone_id, same_id, changed_id):
            args += ["--record", rid]
        done = adwatch(*args, data_dir=copy)
    finally:
        demo_server.restore(gone_url)
        demo_server.restore(changed_url)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "3 pages re-checked" in done.stdout
    latest = {
        rid: status
        for rid, status in rows(
            copy,
            "SELECT record_id, status FROM captures WHERE kind = 'recheck' ORDER BY id",
        )
    }
    assert latest == {gone_id: "gone", same_id: "live", changed_id: "changed"}
    statuses = dict(rows(copy, "SELECT id, status FROM records"))
    assert statuses[gone_id] == "gone" and statuses[changed_id] == "changed"
    store = EvidenceStore(copy / "evidence")
    recheck = [b for b in store.bundle_ids() if store.manifest(b)["about"]["kind"] == "recheck"]
    assert len(recheck) == 3
    for bundle in recheck:
        about = store.manifest(bundle)["about"]
        assert about["previous_bundle"] in store.bundle_ids()
    done = adwatch("verify", "--all", "--ca", str(tsa.files.ca_pem), data_dir=copy)
    assert done.returncode == 0 and "0 not checked" in done.stdout


def live_ads(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Ads whose landing answers: the demo's redirect-loop result is an ad by its
    snippet, but a re-check of it fails by design, and record ids (hashes of
    URLs with the demo's port) sort differently in every run."""
    return {rid: doc for rid, doc in ads(data_dir).items() if "/loop/" not in doc["url"]}


def test_a_dead_tsa_queues_bundles_and_loses_none(copy: Path, demo_server, tsa) -> None:
    record_id = sorted(live_ads(copy))[0]
    before = len(EvidenceStore(copy / "evidence").bundle_ids())
    done = adwatch(
        "recheck",
        "--older-than",
        "0",
        "--record",
        record_id,
        "--tsa",
        "http://127.0.0.1:9/",
        *allow(demo_server),
        data_dir=copy,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 bundles queued for a time-stamp" in done.stdout
    store = EvidenceStore(copy / "evidence")
    assert len(store.bundle_ids()) == before + 1 and len(store.unstamped()) == 1
    waiting = adwatch("verify", "--all", "--ca", str(tsa.files.ca_pem), data_dir=copy)
    assert waiting.returncode == 0 and "1 not checked" in waiting.stdout
    assert "no time-stamp token yet" in waiting.stdout
    assert adwatch("timestamp", "--tsa", "http://127.0.0.1:9/", data_dir=copy).returncode == 1
    stamped = adwatch("timestamp", "--tsa", tsa.url, data_dir=copy)
    assert stamped.returncode == 0 and "time-stamped 1 of 1" in stamped.stdout
    done = adwatch("verify", "--all", "--ca", str(tsa.files.ca_pem), data_dir=copy)
    assert done.returncode == 0 and "0 failed, 0 not checked" in done.stdout


def test_stats_show_the_evidence(crawl: Crawl) -> None:
    done = adwatch("stats", data_dir=crawl.data_dir)
    assert done.returncode == 0
    assert "evidence:" in done.stdout and "bundles" in done.stdout


def test_a_ledger_cut_after_its_last_head_is_caught_by_the_catalogue(copy: Path, tsa) -> None:
    """Cutting the newest lines off the ledger (and their bundles) leaves a
    chain that holds; the catalogue, which recorded every capture, does not."""
    store = EvidenceStore(copy / "evidence")
    victim = store.bundle_ids()[-1]
    ledger = store.ledger_path.read_bytes().splitlines(keepends=True)
    cut = next(n for n, ln in enumerate(ledger) if json.loads(ln).get("bundle") == victim)
    store.ledger_path.write_bytes(b"".join(ledger[:cut]))
    shutil.rmtree(store.bundle_path(victim).parent)
    done = adwatch("verify", "--all", "--ca", str(tsa.files.ca_pem), data_dir=copy)
    assert done.returncode == 1
    assert f"bundle {victim} (record" in done.stdout and "in no ledger line" in done.stdout
