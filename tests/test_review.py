"""Analysts' decisions (evidence/review.py) on a real SQLite catalogue file and
a real evidence store: what is kept where, what is refused, the ledger
still verifying with decisions in it (adwatch verify and the offline
checker a regulator runs), `adwatch review`, and the detector's agreement
with people over time."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.items import AdRecord
from evidence.export import export_bundles
from evidence.index import SqliteCatalogue
from evidence.review import (
    DECISIONS,
    NOTE_MAX,
    REJECT_REASONS,
    ReviewError,
    agreement,
    decide,
    period_of,
)
from evidence.store import EvidenceStore
from evidence.timestamp import stamp_pending
from evidence.tsa import TsaServer
from evidence.verify import verify
from tests.conftest import adwatch_here, sealed

HOSTILE_NOTE = "<script>alert(1)</script>{{ 7*7 }}\u202e款退\x1b[31m"


def ad(n: int, label: str = "ad", **fields: Any) -> AdRecord:
    base: dict[str, Any] = {
        "channel": "video",
        "platform": "demo-douyin",
        "url": f"http://127.0.0.1:9/video/{n}",
        "title": f"逾期先别还，当天停催 {n}",
        "label": label,
        "score": 0.9 if label == "ad" else 0.5,
        "first_seen": "2026-11-01T08:00:00Z",
        "last_seen": "2026-11-01T08:00:00Z",
    }
    return AdRecord(**(base | fields))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder: catalogue.db with four records, evidence/ with bundles
    for the first (an older and a newer one, and a failed attempt after)."""
    records = [ad(1), ad(2), ad(3, label="suspect"), ad(4, label="clean")]
    store = EvidenceStore(tmp_path / "evidence")
    with SqliteCatalogue(str(tmp_path / "catalogue.db")) as cat:
        cat.upsert([r.to_dict() for r in records])
        first = records[0].id
        for n, at in enumerate(("2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z")):
            bundle = sealed(store, n)
            cat.add_capture(
                {
                    "record_id": first,
                    "url": records[0].url,
                    "kind": "recheck" if n else "capture",
                    "outcome": "page",
                    "status": "live",
                    "bundle_id": bundle,
                    "at": at,
                }
            )
        cat.add_capture(
            {"record_id": first, "url": records[0].url, "outcome": "blocked", "at": "2026-11-10"}
        )
    return tmp_path


@pytest.fixture
def cat(data: Path) -> Iterator[SqliteCatalogue]:
    with SqliteCatalogue(str(data / "catalogue.db")) as catalogue:
        yield catalogue


@pytest.fixture
def store(data: Path) -> EvidenceStore:
    return EvidenceStore(data / "evidence")


def ids(cat: SqliteCatalogue) -> list[str]:
    return [hit["id"] for hit in cat.search(limit=100).hits]


def test_a_decision_is_a_ledger_line_and_the_records_review(
    cat: SqliteCatalogue, store: EvidenceStore
) -> None:
    rid = ad(1).id
    newest_bundle = store.bundle_ids()[-1]
    review = decide(cat, store, rid, "confirmed", "wang", note=HOSTILE_NOTE)
    line = list(store.ledger())[-1]
    assert {k: v for k, v in line.items() if k not in ("seq", "prev", "hash")} == {
        "review": rid,
        "decision": "confirmed",
        "reason": "",
        "note": HOSTILE_NOTE,
        "reviewer": "wang",
        "record_bundle": newest_bundle,
        "at": review["at"],
    }
    assert review["ledger_seq"] == line["seq"] == 3 and review["bundle_id"] == newest_bundle
    assert (review["label"], review["score"]) == ("ad", 0.9)  # the detector's word, then
    assert cat.reviews(rid) == [review]
    got = cat.get(rid) or {}
    assert (got["review"], got["reviewed_at"], got["reviewer"]) == (
        "confirmed",
        review["at"],
        "wang",
    )
    # a record without evidence is reviewed against no bundle
    other = decide(
        cat, store, ad(2).id, "rejected", "li", reason="news", at="2026-11-20T09:00+08:00"
    )
    assert other["bundle_id"] == "" and list(store.ledger())[-1]["record_bundle"] == ""
    assert other["at"] == "2026-11-20T01:00:00Z"  # kept in UTC


def test_refusals_write_nothing(cat: SqliteCatalogue, store: EvidenceStore) -> None:
    rid = ad(1).id
    size = store.ledger_path.stat().st_size
    refused = [
        ({"decision": "maybe"}, "decision must be one of"),
        ({"decision": "rejected"}, "needs a reason"),
        ({"decision": "rejected", "reason": "ugly"}, "reason must be one of"),
        ({"decision": "confirmed", "note": "长" * (NOTE_MAX + 1)}, "at most 2000"),
        ({"decision": "confirmed", "reviewer": " "}, "reviewer"),
        ({"decision": "confirmed", "at": "yesterday"}, "not an ISO date"),
        ({"decision": "confirmed", "record_id": "nope"}, "no record 'nope'"),
    ]
    for asked, why in refused:
        args = {"record_id": rid, "reviewer": "wang"} | asked
        with pytest.raises(ReviewError, match=why):
            decide(cat, store, **args)
    assert store.ledger_path.stat().st_size == size
    assert cat.reviews() == [] and (cat.get(rid) or {})["review"] == ""
    assert issubclass(ReviewError, ValueError)
    assert set(DECISIONS) == {"confirmed", "rejected", "unsure"}
    assert set(REJECT_REASONS) == {"legit", "news", "unrelated", "misread", "duplicate", "other"}


def test_a_crawl_keeps_the_decision(cat: SqliteCatalogue, store: EvidenceStore) -> None:
    first = ad(1)
    decide(cat, store, first.id, "confirmed", "wang")
    again = ad(1, title="逾期先别还，当天停催 新版", last_seen="2026-12-01T00:00:00Z")
    assert again.id == first.id
    cat.upsert([again.to_dict()])
    got = cat.get(first.id) or {}
    assert (got["review"], got["reviewer"], got["times_seen"]) == ("confirmed", "wang", 2)
    assert got["title"].endswith("新版")
    assert [h["id"] for h in cat.search("新版", review="confirmed").hits] == [first.id]


def test_the_queue_moves_on_as_decisions_are_made(
    cat: SqliteCatalogue, store: EvidenceStore
) -> None:
    one, two, three = ad(1).id, ad(2).id, ad(3).id
    # best score first (ties by id), then the suspect; the clean record never
    assert [r["id"] for r in cat.review_queue()] == [*sorted([one, two]), three]
    decide(cat, store, one, "unsure", "wang")
    decide(cat, store, two, "confirmed", "wang")
    assert [r["id"] for r in cat.review_queue()] == [three, one]  # unsure ones come last
    decide(cat, store, one, "confirmed", "li", note="看过截图")
    assert [r["id"] for r in cat.review_queue()] == [three]
    assert [r["decision"] for r in cat.reviews(one)] == ["confirmed", "unsure"]
    assert cat.stats()["by_review"] == {"confirmed": 2, "none": 2}


@pytest.fixture(scope="module")
def tsa_here(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaServer]:
    with TsaServer(tmp_path_factory.mktemp("tsa")) as server:
        yield server


def test_the_ledger_with_decisions_verifies_here_and_offline(
    data: Path, cat: SqliteCatalogue, store: EvidenceStore, tsa_here: TsaServer
) -> None:
    """Decisions between and after the bundles' lines: `adwatch verify` passes,
    and so does the checker inside an exported package, run as a regulator
    runs it (no adwatch, no site-packages) on a ledger excerpt holding them."""
    rid = ad(1).id
    decide(cat, store, rid, "unsure", "wang", note=HOSTILE_NOTE)
    third = sealed(store, 2)
    decide(cat, store, rid, "confirmed", "li")
    assert stamp_pending(store, tsa_here.url).stamped == 3
    decide(cat, store, ad(2).id, "rejected", "li", reason="legit")
    kinds = [
        next(k for k in ("review", "bundle", "timestamp") if k in line) for line in store.ledger()
    ]
    assert kinds == ["bundle", "bundle", "review", "bundle", "review"] + ["timestamp"] * 3 + [
        "review"
    ]
    report = verify(store, trust=tsa_here.files.ca_pem)
    assert report.failures() == [] and report.count("passed") == 3
    (data / "tsa").mkdir()
    (data / "tsa" / "ca.pem").write_bytes(tsa_here.files.ca_pem.read_bytes())
    done = adwatch_here("verify", "--all", data_dir=data)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed, 0 failed, 0 not checked" in done.stdout
    package = export_bundles(store, store.bundle_ids(), data / "package", tsa_here.files.ca_pem)
    excerpt = (package.folder / "ledger.jsonl").read_bytes()
    assert b'"review"' in excerpt and third.encode() in excerpt
    offline = subprocess.run(
        [sys.executable, "-I", "-S", str(package.folder / "verify.py")],
        cwd=data,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "PASSED" in offline.stdout and "3 bundles" in offline.stdout
    # and a decision edited afterwards is caught, like any other line
    lines = store.ledger_path.read_bytes().splitlines()
    n = next(i for i, raw in enumerate(lines) if json.loads(raw).get("decision") == "rejected")
    lines[n] = lines[n].replace(b'"rejected"', b'"confirmed"')
    store.ledger_path.write_bytes(b"\n".join(lines) + b"\n")
    assert any("was edited" in p for p in verify(store, trust=tsa_here.files.ca_pem).failures())


def test_adwatch_review(data: Path) -> None:
    rid = ad(1).id
    done = adwatch_here("review", rid, "--confirm", "--reviewer", "wang", data_dir=data)
    assert done.returncode == 0, done.stderr
    assert f"{rid}: confirmed by wang" in done.stdout and "ledger line 3" in done.stdout
    done = adwatch_here(
        "review", ad(2).id, "--reject", "news", "--note", "银行的提醒", data_dir=data
    )
    assert done.returncode == 0, done.stderr
    assert "no evidence bundle yet" in done.stdout
    with SqliteCatalogue(str(data / "catalogue.db")) as cat:
        (rejected,) = cat.reviews(ad(2).id)
        assert (rejected["reason"], rejected["note"]) == ("news", "银行的提醒")
        assert rejected["reviewer"]  # $USER, or "cli" without one
    for args, why in [
        ([rid], "exactly one of"),
        ([rid, "--confirm", "--unsure"], "exactly one of"),
        (["nope", "--confirm"], "no record 'nope'"),
        ([rid, "--reject", "ugly"], "Invalid value for '--reject'"),
        ([rid, "--unsure", "--note", "x" * 2001], "at most 2000"),
    ]:
        done = adwatch_here("review", *args, data_dir=data)
        assert done.returncode == 2 and why in done.stderr, (args, done.stderr)
    assert len(list(EvidenceStore(data / "evidence").ledger())) == 4


def test_agreement_per_period(cat: SqliteCatalogue, store: EvidenceStore) -> None:
    more = [ad(n, label=("ad", "suspect", "clean")[n % 3]) for n in range(5, 14)]
    cat.upsert([r.to_dict() for r in more])
    by_label = {label: [r.id for r in more if r.label == label] for label in ("ad", "suspect")}
    week1, week2 = "2026-11-02T03:00:00Z", "2026-11-10T03:00:00Z"
    a1, a2, a3 = by_label["ad"]
    s1, s2, s3 = by_label["suspect"]
    decide(cat, store, a1, "confirmed", "wang", at=week1)  # tp
    decide(cat, store, a2, "rejected", "wang", reason="legit", at=week1)  # fp
    decide(cat, store, s1, "confirmed", "wang", at=week1)  # fn
    decide(cat, store, a3, "unsure", "wang", at=week1)  # not counted
    decide(cat, store, s2, "rejected", "wang", reason="news", at=week2)  # tn
    decide(cat, store, s3, "confirmed", "wang", at=week1)  # fn at first...
    decide(cat, store, s3, "rejected", "wang", reason="other", at=week2)  # ...tn now, once
    assert agreement(cat) == [
        {
            "period": "2026-W45",
            "reviewed": 3,
            "tp": 1,
            "fp": 1,
            "fn": 1,
            "tn": 0,
            "precision": 0.5,
            "recall": 0.5,
        },
        {
            "period": "2026-W46",
            "reviewed": 2,
            "tp": 0,
            "fp": 0,
            "fn": 0,
            "tn": 2,
            "precision": None,
            "recall": None,
        },
    ]
    assert [r["period"] for r in agreement(cat, "month")] == ["2026-11"]
    assert agreement(cat, "day")[0]["period"] == "2026-11-02"
    with pytest.raises(ReviewError, match="period"):
        agreement(cat, "year")


def test_agreement_takes_the_label_when_decided(cat: SqliteCatalogue, store: EvidenceStore) -> None:
    """The detector is measured as it was when a person looked, not as a
    retrained one labels the ad now."""
    rid = ad(1).id
    decide(cat, store, rid, "rejected", "wang", reason="misread", at="2026-11-02T00:00:00Z")
    cat.upsert([ad(1, label="clean").to_dict()])  # relabelled by a later crawl
    (row,) = agreement(cat)
    assert (row["fp"], row["tn"]) == (1, 0)
    assert agreement(SqliteCatalogue()) == []


@pytest.mark.parametrize(
    ("at", "period", "key"),
    [
        ("2026-11-01T15:59:59Z", "day", "2026-11-01"),
        ("2026-11-01T16:00:00Z", "day", "2026-11-02"),  # midnight in Beijing
        ("2026-12-31T17:00:00Z", "week", "2026-W53"),
        ("2027-01-03T15:00:00Z", "week", "2026-W53"),  # ISO weeks cross the year
        ("2026-11-30T16:30:00Z", "month", "2026-12"),
    ],
)
def test_periods_are_cut_in_beijing_time(at: str, period: str, key: str) -> None:
    assert period_of(at, period) == key


def test_decisions_become_training_examples(cat: SqliteCatalogue, store: EvidenceStore) -> None:
    """What `adwatch train --reviewed` learns: confirmed is an ad, rejected is
    not, "unsure" and undecided teach nothing; one operator's ads are one
    group (never split across folds), a record of none is its page."""
    from crawler.reading.detect.training import reviewed_examples
    from crawler.running.train_run import reviewed_records

    by_url = {r["url"]: r["id"] for r in cat.search(limit=10).hits}
    first, second, third = (by_url[f"http://127.0.0.1:9/video/{n}"] for n in (1, 2, 3))
    cat.save_operators([{"id": "op-1", "ad_count": 2, "ads": [first, second]}])
    decide(cat, store, first, "confirmed", "ana")
    decide(cat, store, second, "rejected", "ana", reason="news")
    decide(cat, store, third, "unsure", "ana")
    examples = reviewed_examples(reviewed_records(cat))
    assert sorted((e.text.split("\n")[0], e.ad) for e in examples) == [
        ("逾期先别还，当天停催 1", True),
        ("逾期先别还，当天停催 2", False),
    ]
    assert {e.kind for e in examples} == {"analyst"}
    assert {e.group for e in examples} == {"operator:op-1"}
