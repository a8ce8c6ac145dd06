"""SQLite catalogue search at scale (migration 0007_search_at_scale): two-character
terms through the trigram index, hits counted and ranked through covering
indexes, each way with the very results of a LIKE scan of every text."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from evidence.index import SqliteCatalogue, migrations, sqlite
from evidence.index._text import search_text
from evidence.index._time import parse_utc
from evidence.index.sqlite import connect

# Characters the texts and queries are drawn from: CJK, ASCII letters in both
# cases, digits and LIKE's wildcards, and characters that case folding treats
# unlike ASCII (Kelvin sign, long s, Greek, full-width Latin, accented).
ALPHABET = "停催征信协商上岸逾期" + "aAkKsSqQ" + '09%_"*' + "\u212a\u017fΩωＡａÉé" + " ，"
LABELS = ("ad", "suspect", "clean")
PLATFORMS = ("baidu", "douyin", "xianyu")


def _fold(text: str) -> str:
    """LIKE's case folding: ASCII letters only."""
    return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


def _record(rng: random.Random, n: int) -> dict[str, Any]:
    def words() -> str:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))

    return {
        "id": f"r{n}",
        "channel": "search",
        "platform": rng.choice(PLATFORMS),
        "label": rng.choice(LABELS),
        "score": round(rng.random(), 1),
        "title": words(),
        "text": words(),
        "contacts": [{"kind": "qq", "value": words(), "normalized": words()}] * rng.randint(0, 1),
        "first_seen": f"2026-0{rng.randint(1, 9)}-01T00:00:00Z",
        "last_seen": f"2026-0{rng.randint(1, 9)}-0{rng.randint(1, 9)}T00:00:00Z",
    }


def _term(rng: random.Random) -> str:
    """A query term: one or two characters of any kind, or three without
    letters (longer terms fold case as the trigram index does, not as LIKE)."""
    size = rng.choice([1, 2, 2, 3])
    chars = ALPHABET.replace(" ", "").replace("，", "")
    if size == 3:
        chars = "".join(c for c in chars if not c.isalpha() or "\u4e00" <= c <= "\u9fff")
    return "".join(rng.choice(chars) for _ in range(size))


def _expected(
    records: list[dict[str, Any]], query: str, filters: dict[str, str]
) -> tuple[int, list[str]]:
    """What a LIKE scan of every text finds, in rank order."""
    found = []
    for r in records:
        body = _fold(search_text(r))
        if all(_fold(term) in body for term in query.split()) and all(
            (r["last_seen"] >= parse_utc(v)) if k == "since" else r[k] == v
            for k, v in filters.items()
        ):
            found.append(r)
    found.sort(key=lambda r: (-r["score"], tuple(-ord(c) for c in r["last_seen"]), r["id"]))
    return len(found), [r["id"] for r in found]


# Every way of finding records (see sqlite._find): pages walked in rank order
# or sorted; hits read through records_facets or looked up from a filter
# index; filtered terms without case checked with LIKE.
NEVER, ALWAYS = -1, 10**9
PATHS = {
    "defaults": {},
    "walk, hits drive": {"WALK_MAX": ALWAYS, "WALK_LIKES": ALWAYS, "LIKE_DRIVE": NEVER,
                         "LIKE_SHARE": ALWAYS, "HITS_DRIVE": 0, "FILTERS_DRIVE": 0},
    "sorted, hits drive": {"WALK_MAX": NEVER, "LIKE_DRIVE": NEVER, "LIKE_SHARE": ALWAYS,
                           "HITS_DRIVE": 0, "FILTERS_DRIVE": 0},
    "walk, filters drive": {"WALK_MAX": ALWAYS, "WALK_LIKES": ALWAYS, "LIKE_DRIVE": NEVER,
                            "LIKE_SHARE": ALWAYS, "HITS_DRIVE": 0, "FILTERS_DRIVE": ALWAYS},
    "sorted, filters drive": {"WALK_MAX": NEVER, "LIKE_DRIVE": NEVER, "LIKE_SHARE": ALWAYS,
                              "HITS_DRIVE": 0, "FILTERS_DRIVE": ALWAYS},
    "walk, like": {"WALK_MAX": ALWAYS, "WALK_LIKES": ALWAYS, "LIKE_DRIVE": ALWAYS},
    "sorted, like": {"WALK_MAX": NEVER, "LIKE_DRIVE": ALWAYS},
}  # fmt: skip


@pytest.mark.parametrize("path", PATHS)
def test_short_terms_find_what_a_scan_finds(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in PATHS[path].items():
        monkeypatch.setattr(sqlite, name, value)
    rng = random.Random(7)
    records = [_record(rng, n) for n in range(400)]
    with SqliteCatalogue(str(tmp_path / "c.db")) as cat:
        cat.upsert(records[:200])
        cat.upsert(records[200:])
        for _ in range(300):
            query = " ".join(_term(rng) for _ in range(rng.choice([1, 1, 2])))
            filters = dict(
                rng.sample([("label", rng.choice(LABELS)), ("platform", rng.choice(PLATFORMS)),
                            ("since", "2026-05-01")], rng.randint(0, 2))
            )  # fmt: skip
            total, ids = _expected(records, query, filters)
            offset = rng.choice([0, 0, 3])
            result = cat.search(query, limit=5, offset=offset, **filters)
            assert (result.total, [h["id"] for h in result.hits]) == (
                total,
                ids[offset : offset + 5],
            ), (query, filters)


def test_a_term_at_the_very_end_of_a_text(tmp_path: Path) -> None:
    with SqliteCatalogue(str(tmp_path / "c.db")) as cat:
        cat.upsert([{"id": "end", "title": "当天停催"}, {"id": "only", "title": "停催"}])
        assert {h["id"] for h in cat.search("停催").hits} == {"end", "only"}
        assert cat.search("催收").total == 0  # no trigram begins with it: no query at all


def test_a_record_deleted_by_hand_leaves_no_hits(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteCatalogue(str(path)) as cat:
        cat.upsert([{"id": "a", "title": "当天停催"}, {"id": "b", "title": "当天停催"}])
    conn = sqlite3.connect(path)  # foreign keys off, as in the sqlite3 shell
    conn.execute("DELETE FROM records WHERE id = 'a'")
    conn.commit()
    conn.close()
    with SqliteCatalogue(str(path)) as cat:
        for query in ("停催", "当天停催"):
            result = cat.search(query)
            assert (result.total, [h["id"] for h in result.hits]) == (1, ["b"])
        check = "INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 1)"
        cat._conn.execute(check)


def test_catalogue_from_before_0007_is_upgraded(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    conn = connect(path)
    migrations.apply(conn, upto="0006_jobs")
    conn.execute("BEGIN IMMEDIATE")  # a record as the write path of 0006 stored it
    conn.execute(
        "INSERT INTO records (rid, id, label, score, doc) VALUES (1, 'x', 'ad', 0.5, ?)",
        ('{"id": "x", "title": "当天停催", "text": "征信"}',),
    )
    conn.execute("INSERT INTO record_text (rid, body) VALUES (1, ?)", ("当天停催\n征信",))
    conn.execute("INSERT INTO records_fts (rowid, body) VALUES (1, ?)", ("当天停催\n征信",))
    conn.execute("COMMIT")
    conn.close()
    with SqliteCatalogue(path) as cat:
        assert "0007_search_at_scale" in migrations.applied(cat._conn)
        (body,) = cat._conn.execute("SELECT body FROM record_text").fetchone()
        assert body == "当天停催\n征信\n"
        assert cat.search("征信").total == 1  # was the text's last two characters
        assert cat.search("停催", label="ad").total == 1
        cat._conn.execute(
            "INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 1)"
        )
        cat.rebuild_index()
        assert cat._conn.execute("SELECT body FROM record_text").fetchone() == (body,)
