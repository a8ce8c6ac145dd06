"""Referral cases (evidence/cases.py) on a real SQLite catalogue file and a
real evidence store: recording a referral, its course, what the re-checks
say of its ads, the days to takedown, closing by re-check (also from
`adwatch recheck`'s job), and what is refused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.items import AdRecord
from crawler.running.evidence_run import recheck_job
from crawler.running.run import project_settings
from evidence.cases import (
    CHANNELS,
    CLOSED_BY_RECHECK,
    REGULATORS,
    STATUSES,
    CaseError,
    case_view,
    close_taken_down,
    open_case,
    set_status,
    takedown_rows,
)
from evidence.index import SqliteCatalogue
from evidence.store import EvidenceStore

SHA = hashlib.sha256(b"dossier.zip bytes").hexdigest()


def ad(n: int, platform: str = "demo-douyin") -> AdRecord:
    return AdRecord(
        channel="video",
        platform=platform,
        url=f"http://127.0.0.1:9/video/{n}",
        title=f"逾期先别还，当天停催 {n} " + "长" * 80,
        label="ad",
        score=0.9,
    )


A, B, C, D = ad(1), ad(2, "demo-xianyu"), ad(3), ad(4)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    with SqliteCatalogue(str(tmp_path / "catalogue.db")) as cat:
        cat.upsert([r.to_dict() for r in (A, B, C, D)])
    EvidenceStore(tmp_path / "evidence")
    return tmp_path


@pytest.fixture
def cat(data: Path) -> Iterator[SqliteCatalogue]:
    with SqliteCatalogue(str(data / "catalogue.db")) as catalogue:
        yield catalogue


@pytest.fixture
def store(data: Path) -> EvidenceStore:
    return EvidenceStore(data / "evidence")


def seen(cat: SqliteCatalogue, record: AdRecord, status: str, at: str) -> None:
    """A sealed capture or re-check of ``record`` that found it ``status``."""
    cat.add_capture(
        {
            "record_id": record.id,
            "url": record.url,
            "kind": "recheck",
            "outcome": "gone" if status == "gone" else "page",
            "status": status,
            "bundle_id": hashlib.sha256(f"{record.id}{at}".encode()).hexdigest(),
            "at": at,
        }
    )


def referral(cat: SqliteCatalogue, store: EvidenceStore, **asked: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "regulator": "cac",
        "channel": "12377",
        "sent_on": "2026-11-10",
        "reference": "JB-2026-<b>0042</b>",
        "dossier_sha256": SHA.upper(),
        "record_ids": [A.id, B.id, A.id],
        "by": "wang",
        "operator_id": "op-test",
        "dossier_name": "cac.zip",
    }
    return open_case(cat, store, **(fields | asked))


def test_a_referral_is_a_ledger_line_and_a_case(cat: SqliteCatalogue, store: EvidenceStore) -> None:
    case = referral(cat, store)
    assert case["id"].startswith("case-20261110-") and len(case["id"]) == len("case-20261110-") + 6
    line = list(store.ledger())[-1]
    assert {k: v for k, v in line.items() if k not in ("seq", "prev", "hash")} == {
        "referral": case["id"],
        "regulator": "cac",
        "channel": "12377",
        "sent_on": "2026-11-10",
        "reference": "JB-2026-<b>0042</b>",
        "dossier_sha256": SHA,
        "records": [A.id, B.id],
        "by": "wang",
        "at": case["created_at"],
    }
    assert case == {
        "id": case["id"],
        "regulator": "cac",
        "channel": "12377",
        "sent_on": "2026-11-10",
        "reference": "JB-2026-<b>0042</b>",
        "dossier_sha256": SHA,
        "dossier_name": "cac.zip",
        "record_ids": [A.id, B.id],
        "operator_id": "op-test",
        "status": "sent",
        "events": [
            {"at": case["created_at"], "status": "sent", "by": "wang", "note": "", "ledger_seq": 1}
        ],
        "created_by": "wang",
        "created_at": case["created_at"],
        "closed_at": "",
    }
    assert cat.case(case["id"]) == case and cat.cases() == [case]


def test_refusals_write_nothing(cat: SqliteCatalogue, store: EvidenceStore) -> None:
    refused = [
        ({"regulator": "police"}, "regulator must be one of"),
        ({"channel": "fax"}, "channel must be one of"),
        ({"sent_on": "2026-11-31"}, "YYYY-MM-DD"),
        ({"sent_on": "20261110"}, "YYYY-MM-DD"),
        ({"sent_on": "2999-01-01"}, "in the future"),
        ({"dossier_sha256": "ab" * 31}, "64 hexadecimal"),
        ({"dossier_sha256": "zz" * 32}, "64 hexadecimal"),
        ({"record_ids": []}, "at least one record"),
        ({"record_ids": [A.id, "nope"]}, "no record nope"),
        ({"by": ""}, "who took it"),
        ({"reference": "号" * 201}, "at most 200"),
    ]
    for asked, why in refused:
        with pytest.raises(CaseError, match=why):
            referral(cat, store, **asked)
    assert list(store.ledger()) == [] and cat.cases() == []
    assert issubclass(CaseError, ValueError)
    assert set(REGULATORS) == {"cac", "samr", "nfra"} and REGULATORS["cac"] == "网信办"
    assert {"12377", "12315", "12378", "letter"} <= set(CHANNELS)
    assert list(STATUSES) == ["sent", "acknowledged", "acted", "closed"]


def test_a_case_moves_on_event_by_event(cat: SqliteCatalogue, store: EvidenceStore) -> None:
    case = referral(cat, store)
    acked = set_status(cat, store, case["id"], "acknowledged", "li", note="受理编号 88")
    assert list(store.ledger())[-1] | {"seq": 0, "prev": "", "hash": ""} == {
        "referral_status": case["id"],
        "status": "acknowledged",
        "by": "li",
        "note": "受理编号 88",
        "at": acked["events"][-1]["at"],
        "seq": 0,
        "prev": "",
        "hash": "",
    }
    closed = set_status(cat, store, case["id"], "closed", "li")
    assert closed["closed_at"] == closed["events"][-1]["at"]
    assert [e["status"] for e in closed["events"]] == ["sent", "acknowledged", "closed"]
    assert [e["ledger_seq"] for e in closed["events"]] == [1, 2, 3]
    assert cat.case(case["id"]) == closed and cat.cases(status="closed") == [closed]
    reopened = set_status(cat, store, case["id"], "acted", "li", note="平台复核中")
    assert reopened["closed_at"] == "" and reopened["status"] == "acted"
    with pytest.raises(CaseError, match="status must be one of"):
        set_status(cat, store, case["id"], "won", "li")
    with pytest.raises(CaseError, match="no case"):
        set_status(cat, store, "case-nope", "closed", "li")
    with pytest.raises(CaseError, match="at most 2000"):
        set_status(cat, store, case["id"], "acted", "li", note="x" * 2001)
    assert len(list(store.ledger())) == 4


def test_the_view_counts_days_from_referral_to_takedown(
    cat: SqliteCatalogue, store: EvidenceStore
) -> None:
    seen(cat, A, "live", "2026-11-02T00:00:00Z")
    seen(cat, A, "gone", "2026-11-13T17:00:00Z")  # 01:00 on the 14th in Beijing: 4 days
    seen(cat, A, "gone", "2026-11-20T00:00:00Z")
    seen(cat, B, "live", "2026-11-12T00:00:00Z")
    seen(cat, C, "gone", "2026-11-01T00:00:00Z")  # gone before it was referred
    case = referral(cat, store, record_ids=[A.id, B.id, C.id, D.id])
    view = case_view(cat, case)
    rows = {r["id"]: r for r in view["records"]}
    assert rows[A.id] == {
        "id": A.id,
        "platform": "demo-douyin",
        "title": A.title[:60] + "…",
        "status": "gone",
        "gone_at": "2026-11-13T17:00:00Z",
        "days_to_takedown": 4,
    }
    assert (rows[B.id]["status"], rows[B.id]["gone_at"], rows[B.id]["days_to_takedown"]) == (
        "live",
        "",
        None,
    )
    assert rows[C.id]["status"] == "gone" and rows[C.id]["days_to_takedown"] is None
    assert rows[D.id]["status"] == "" and rows[D.id]["platform"] == "demo-douyin"
    assert view["summary"] == {
        "total": 4,
        "gone": 2,
        "live": 1,
        "median_days": 4,
        "all_gone": False,
    }
    assert view["id"] == case["id"] and view["events"] == case["events"]
    assert takedown_rows(cat) == [
        {
            "case_id": case["id"],
            "regulator": "cac",
            "platform": "demo-douyin",
            "sent_on": "2026-11-10",
            "gone_at": "2026-11-13T17:00:00Z",
            "days": 4,
        }
    ]


def test_a_recheck_closes_the_cases_whose_ads_are_all_gone(
    cat: SqliteCatalogue, store: EvidenceStore
) -> None:
    done = referral(cat, store, record_ids=[A.id, B.id])
    waiting = referral(cat, store, record_ids=[C.id], sent_on="2026-11-11")
    closed_before = referral(cat, store, record_ids=[D.id])
    set_status(cat, store, closed_before["id"], "closed", "wang")
    seen(cat, A, "gone", "2026-11-12T00:00:00Z")
    seen(cat, B, "gone", "2026-11-15T00:00:00Z")
    seen(cat, C, "live", "2026-11-15T00:00:00Z")
    seen(cat, D, "gone", "2026-11-15T00:00:00Z")
    lines = len(list(store.ledger()))
    assert close_taken_down(cat, store) == [done["id"]]
    closed = cat.case(done["id"]) or {}
    assert closed["status"] == "closed" and closed["closed_at"]
    assert closed["events"][-1] | {"at": ""} == {
        "at": "",
        "status": "closed",
        "by": "recheck",
        "note": CLOSED_BY_RECHECK,
        "ledger_seq": lines + 1,
    }
    assert (cat.case(waiting["id"]) or {})["status"] == "sent"
    assert len((cat.case(closed_before["id"]) or {})["events"]) == 2  # not closed twice
    assert close_taken_down(cat, store) == []  # nothing more to close
    assert sorted(r["days"] for r in takedown_rows(cat)) == [2, 5, 5]
    assert case_view(cat, closed)["summary"]["median_days"] == 3.5


def test_adwatch_recheck_closes_them_too(data: Path) -> None:
    """The re-check job: nothing is due (its ads are gone), and the case
    whose ads the re-checks found all gone is closed, and said so."""
    with SqliteCatalogue(str(data / "catalogue.db")) as cat:
        case = referral(cat, EvidenceStore(data / "evidence"), record_ids=[A.id])
        seen(cat, A, "gone", "2026-11-12T00:00:00Z")
    settings = project_settings({"ADWATCH_DATA_DIR": str(data), "ADWATCH_TSA_URL": ""})
    said: list[str] = []
    outcome = recheck_job(settings, timedelta(days=1), said.append)
    assert outcome.status == 0, (outcome.lines, said)
    assert outcome.lines[-1] == f"referrals: closed 1 case whose ads are all gone: {case['id']}"
    with SqliteCatalogue(str(data / "catalogue.db")) as cat:
        assert (cat.case(case["id"]) or {})["status"] == "closed"
    again = recheck_job(settings, timedelta(days=1), said.append)
    assert not any("referrals" in line for line in again.lines)
