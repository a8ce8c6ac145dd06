"""capture_pending over a real catalogue and a real loopback site: evidence is
sealed and stamped, a captcha is never sealed but kept for a person and tried
again until the attempts are spent, and a missing TSA leaves bundles queued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.items import AdRecord
from crawler.running.evidence_run import capture_pending
from crawler.running.run import project_settings
from evidence.index import open_catalogue
from evidence.netpolicy import origin_entry
from evidence.store import EvidenceStore
from evidence.tsa import TsaServer
from tests.test_capture import Site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


def settings(data: Path, site: Site, **extra: object) -> object:
    """The run's settings, the test site allowed by the address policy."""
    return project_settings(
        {
            "ADWATCH_DATA_DIR": str(data),
            "ADWATCH_ALLOW_HOSTS": origin_entry(site.base),
            "ADWATCH_CAPTURE_ATTEMPTS": 2,
            "ADWATCH_CAPTURE_LOAD_WAIT": 2,
        }
        | extra
    )


def seed(data: Path, site: Site) -> tuple[str, str]:
    ad = AdRecord(channel="video", platform="nowhere", url=site.base + "/ad", label="ad")
    wall = AdRecord(channel="video", platform="nowhere", url=site.base + "/captcha", label="ad")
    clean = AdRecord(channel="video", platform="nowhere", url=site.base + "/empty", label="clean")
    with open_catalogue(f"sqlite://{data / 'catalogue.db'}") as cat:
        cat.upsert([r.to_dict() for r in (ad, wall, clean)])
    return ad.id, wall.id


def test_evidence_is_sealed_and_a_captcha_is_left_for_a_person(site: Site, tmp_path: Path) -> None:
    ad, wall = seed(tmp_path, site)
    with TsaServer(tmp_path / "tsa") as tsa:
        first = capture_pending(settings(tmp_path, site, ADWATCH_TSA_URL=tsa.url), out=None)
    assert first.targets == 2 and first.sealed == 1 and first.stamped == 1
    assert dict(first.by_outcome) == {"page": 1, "blocked": 1}
    assert "not evidence: 1 pages" in first.summary()
    store = EvidenceStore(tmp_path / "evidence")
    (bundle,) = store.bundle_ids()
    assert store.manifest(bundle)["about"]["record"] == ad and store.unstamped() == []
    review = sorted(p.suffix for p in (tmp_path / "evidence" / "review").iterdir())
    assert review == [".json", ".png"]
    # the captcha is tried again on the next run, then left to a person
    second = capture_pending(settings(tmp_path, site), out=None)
    assert second.targets == 1 and dict(second.by_outcome) == {"blocked": 1}
    third = capture_pending(settings(tmp_path, site), out=None)
    assert third.targets == 0
    with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as cat:
        assert [c["outcome"] for c in cat.captures(wall)] == ["blocked", "blocked"]
        assert cat.get(ad)["status"] == "live"  # type: ignore[index]
    assert len(store.bundle_ids()) == 1  # nothing but the ad was ever sealed


def test_without_a_tsa_bundles_wait_in_the_queue(site: Site, tmp_path: Path) -> None:
    seed(tmp_path, site)
    figures = capture_pending(settings(tmp_path, site, ADWATCH_TSA_URL=""), out=None)
    assert figures.sealed == 1 and figures.stamped == 0 and figures.unstamped == 1
    assert "no time-stamp authority configured" in figures.summary()


def test_contacts_in_pictures_are_part_of_the_content_digest(site: Site, tmp_path: Path) -> None:
    banner = AdRecord(
        channel="market", platform="nowhere", url=site.base + "/banner-ad", label="ad"
    )
    with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as cat:
        cat.upsert([banner.to_dict()])
    figures = capture_pending(settings(tmp_path, site, ADWATCH_TSA_URL=""), out=None)
    assert figures.sealed == 1
    store = EvidenceStore(tmp_path / "evidence")
    (bundle,) = store.bundle_ids()
    assert "wechat:zhengxin_ok" in store.manifest(bundle)["about"]["content"]["contacts"]


def test_a_ctrl_c_finishes_the_captures_in_progress_and_leaves_the_rest_queued(
    site: Site, tmp_path: Path
) -> None:
    """`adwatch capture` as a user stops it: Ctrl-C reaches its whole process
    group (Playwright's driver too, which must not close the browser under
    the page being captured). The pages in progress are sealed and stamped,
    none is spent as a failed attempt, the rest stay in the queue."""
    ids = []
    with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as cat:
        records = [
            # each page takes 1.5 s to come, three at a time: the stop comes while
            # the next three are in progress, and three are left
            AdRecord(channel="video", platform="nowhere", url=f"{site.base}/slow?n={n}", label="ad")
            for n in range(9)
        ]
        cat.upsert([r.to_dict() for r in records])
        ids = [r.id for r in records]
    with TsaServer(tmp_path / "tsa") as tsa:
        env = dict(
            os.environ,
            ADWATCH_DATA_DIR=str(tmp_path),
            ADWATCH_TSA_URL=tsa.url,
            ADWATCH_ALLOW_HOSTS=origin_entry(site.base),
        )
        child = subprocess.Popen(
            [sys.executable, "-m", "crawler.interfaces.cli", "capture"],
            cwd=Path(__file__).parent.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as cat:
                if any(cat.captures(i) for i in ids):
                    break
            time.sleep(0.1)
        assert child.poll() is None, child.communicate()
        os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
        out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as cat:
        done = [c for i in ids for c in cat.captures(i)]
    assert done and all(c["outcome"] == "page" for c in done)
    left = len(ids) - len(done)
    assert left >= 1 and f"stopped:  {left} pages not captured" in out
    assert "stopping: the pages being captured are finished" in err
    store = EvidenceStore(tmp_path / "evidence")
    assert len(store.bundle_ids()) == len(done) and store.unstamped() == []
    again = capture_pending(settings(tmp_path, site, ADWATCH_TSA_URL=""), out=None)
    assert again.targets == left
