"""Schema migrations of the SQLite catalogue: named, recorded, transactional."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from evidence.index import SqliteCatalogue, migrations
from evidence.index.sqlite import connect

NAMES = [
    "0001_initial",
    "0002_fulltext",
    "0003_events",
    "0004_operators",
    "0005_captures",
    "0006_jobs",
    "0007_search_at_scale",
    "0008_reviews_and_cases",
]


def tables(conn: sqlite3.Connection) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_migrations_are_named_in_order() -> None:
    assert [m.name for m in migrations.MIGRATIONS] == NAMES


def test_pending_only_reads() -> None:
    conn = connect(":memory:")
    assert migrations.pending(conn) == NAMES
    assert migrations.applied(conn) == []
    assert tables(conn) == set()  # not even the _migrations table


def test_apply_runs_each_once() -> None:
    conn = connect(":memory:")
    assert migrations.apply(conn) == NAMES
    assert migrations.pending(conn) == []
    assert migrations.applied(conn) == NAMES
    assert migrations.apply(conn) == []  # idempotent
    stamps = [at for (at,) in conn.execute("SELECT applied_at FROM _migrations ORDER BY rowid")]
    assert len(stamps) == len(NAMES) and all(at.endswith("Z") for at in stamps)
    assert {"records", "record_text", "records_fts", "blocks", "rejects"} <= tables(conn)


def test_apply_upto_stops_there() -> None:
    conn = connect(":memory:")
    assert migrations.apply(conn, upto="0001_initial") == ["0001_initial"]
    assert migrations.pending(conn) == NAMES[1:]
    assert "record_text" not in tables(conn)
    with pytest.raises(ValueError, match="no migration named"):
        migrations.apply(conn, upto="9999_nope")


def test_a_failing_migration_leaves_no_trace() -> None:
    def good(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE good (x)")

    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        conn.execute("INSERT INTO half VALUES (1)")
        raise RuntimeError("disk on fire")

    steps = [migrations.Migration("a_good", good), migrations.Migration("b_bad", bad)]
    conn = connect(":memory:")
    with pytest.raises(RuntimeError, match="disk on fire"):
        migrations.apply(conn, steps)
    assert migrations.applied(conn) == ["a_good"]
    assert migrations.pending(conn, steps) == ["b_bad"]
    assert "good" in tables(conn) and "half" not in tables(conn)
    assert not conn.in_transaction


def test_old_catalogue_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    doc = {
        "id": "old1",
        "channel": "search",
        "platform": "baidu",
        "label": "ad",
        "score": 0.9,
        "title": "当天停催免息",
        "contacts": [{"kind": "wechat", "value": "VX:tc888", "normalized": "tc888", "field": ""}],
        "images": [{"url": "u", "ocr": {"text": "征信修复", "lines": []}}],
        "first_seen": "2024-05-01T00:00:00Z",
        "last_seen": "2024-05-01T00:00:00Z",
        "times_seen": 4,
    }
    conn = connect(str(path))
    migrations.apply(conn, upto="0001_initial")
    conn.execute(
        "INSERT INTO records (id, channel, platform, label, score, first_seen, last_seen,"
        " times_seen, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "old1",
            "search",
            "baidu",
            "ad",
            0.9,
            doc["first_seen"],
            doc["last_seen"],
            4,
            json.dumps(doc, ensure_ascii=False),
        ),
    )
    conn.close()

    with SqliteCatalogue(str(path)) as cat:
        assert migrations.pending(cat._conn) == []
        assert cat.get("old1") == doc | {"review": "", "reviewed_at": "", "reviewer": ""}
        assert [h["id"] for h in cat.search("停催").hits] == ["old1"]  # LIKE scan
        assert [h["id"] for h in cat.search("当天停催").hits] == ["old1"]  # trigram index
        assert [h["id"] for h in cat.search("征信修复").hits] == ["old1"]  # OCR text
        assert [h["id"] for h in cat.search("tc888", label="ad").hits] == ["old1"]
        cat.record_block("baidu", "https://www.baidu.com/s", "captcha", "2024-05-02T00:00:00Z")
        assert cat.stats()["blocks"] == 1
        cat.upsert([dict(doc, last_seen="2024-05-03T00:00:00Z")])
        assert (cat.get("old1") or {})["times_seen"] == 5

    with SqliteCatalogue(str(path)) as again:  # reopening applies nothing twice
        assert migrations.applied(again._conn) == NAMES
        assert again.search("停催").total == 1


def test_a_catalogue_from_before_reviews_gains_reviews_and_cases(tmp_path: Path) -> None:
    path = tmp_path / "before-reviews.db"
    conn = connect(str(path))
    migrations.apply(conn, upto="0007_search_at_scale")
    doc = {"id": "ad1", "label": "ad", "score": 0.9, "title": "当天停催", "last_seen": "2024-05-01"}
    conn.execute(
        "INSERT INTO records (id, label, score, last_seen, doc) VALUES (?, ?, ?, ?, ?)",
        ("ad1", "ad", 0.9, "2024-05-01T00:00:00Z", json.dumps(doc, ensure_ascii=False)),
    )
    conn.close()

    with SqliteCatalogue(str(path)) as cat:
        assert migrations.applied(cat._conn)[-1] == "0008_reviews_and_cases"
        assert {"reviews", "cases"} <= tables(cat._conn)
        assert cat.get("ad1") == doc | {"review": "", "reviewed_at": "", "reviewer": ""}
        assert [r["id"] for r in cat.review_queue()] == ["ad1"]
        review = {"id": "r1", "record_id": "ad1", "decision": "confirmed", "reviewer": "li"}
        cat.add_review(review | {"at": "2024-05-02T00:00:00Z"})
        assert [h["id"] for h in cat.search(review="confirmed").hits] == ["ad1"]
        cat.save_case({"id": "case-1", "sent_on": "2024-05-03", "record_ids": ["ad1"]})
        assert [c["id"] for c in cat.cases()] == ["case-1"]
    with SqliteCatalogue(str(path)) as again:
        assert (again.get("ad1") or {})["review"] == "confirmed"
