"""The SQLite catalogue: embedded, zero set-up, Chinese substring search.

A table of records (queried fields as columns, the whole record as JSON in
`doc`), their searchable text in `record_text`, and a trigram FTS5 index over
that text (see migrations.py for the schema and why it is shaped so).  Terms
of three or more characters are looked up in the index; two-character ones
through the trigrams that begin with them, so 停催 finds what 当天停催
finds; single characters (and pairs of other scripts) are a LIKE scan of
the same text.  Hits are counted and ranked through covering indexes, not
the records' rows (bench/index.py measures it at a million records).

One connection per catalogue, guarded by a lock, so the crawler may hand it
between threads; other processes open their own (WAL lets them read while
the crawler writes).  An in-memory catalogue lives and dies with its object.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from . import migrations
from ._text import TRIGRAM, snippet, terms
from ._time import parse_utc, utc_key
from ._transaction import snapshot, transaction
from ._write import TEXT_END, chunks, text, upsert_chunk
from .base import DECISIONS, SearchResult, UpsertResult

MEMORY = ":memory:"
# Seconds a writer waits for another one before SQLITE_BUSY; a crawl and an
# `adwatch recheck` may write at once, and their transactions are short.
BUSY_TIMEOUT_S = 10.0
# Page cache per connection, KiB (an upper bound, filled as used).  FTS5
# merges re-read the segments they just wrote; with SQLite's 2 MiB default
# they came from disk.  Measured: inserts about 30% faster.
CACHE_KIB = 64 * 1024
# WAL pages between automatic checkpoints (about 40 MB).  Each checkpoint
# syncs; at the default 1000 a crawl's small transactions spent nearly half
# their time in checkpoints.  The WAL is truncated back to 64 MiB afterwards.
CHECKPOINT_PAGES = 10_000
WAL_LIMIT_BYTES = 64 * 1024 * 1024
# Bytes of the file read through a memory map rather than read() calls (2 GiB
# is the most this SQLite maps).  A search reads index pages all over the
# file: at a million records, the query mix of bench/index.py took a fifth
# less time.
MMAP_BYTES = 2**31 - 2**16

# Records looked up and written together: few round trips, bounded memory
# for a long iterable, far below SQLite's 32766 host parameters.
CHUNK = 500
# Most ad-like first, then most recently seen; id makes pages stable.  Not
# bm25: every hit contains every term, and relevance among them matters less
# to an analyst than the detector's score (it also costs a pass over all hits).
_ORDER = "r.score DESC, r.last_seen DESC, r.id"
# How a search runs (see _find), from costs measured at a million records:
# a page is walked in rank order when that is expected to pass at most
# WALK_MAX index entries and check at most WALK_LIKES texts with LIKE;
# filtered terms without case are checked with LIKE in the texts of the
# records passing the filters when there are at most LIKE_DRIVE of them, or
# LIKE_SHARE times fewer than the records that may contain the terms;
# above HITS_DRIVE hits, when fewer than FILTERS_DRIVE times as many records
# pass the filters, those drive.
WALK_MAX = 50_000
WALK_LIKES = 2_000
LIKE_DRIVE = 30_000
LIKE_SHARE = 8
HITS_DRIVE = 20_000
FILTERS_DRIVE = 3
# Two-character terms found through the trigram index: ASCII without space,
# CJK punctuation and ideographs (characters whose case folding is known).
_PAIR = re.compile(r"[!-~\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff]{2}")
_LETTER = re.compile(r"[A-Za-z]")
# Characters no case folding touches, nor folds anything into: a term of
# these alone is found by LIKE exactly as by the index.
_CASELESS = re.compile(r"[!-@\[-`{-~\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff]+")


def connect(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode with the catalogue's pragmas; creates
    the parent directory of a new file."""
    if path != MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")  # stays "memory" for :memory:
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
    conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")  # a search's hits (temp.search_hits)
    return conn


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(term: str) -> str:
    """An FTS5 string literal: the term is only ever a phrase to find."""
    return '"' + term.replace('"', '""') + '"'


def _grams(conn: sqlite3.Connection, pair: str) -> tuple[list[str], int]:
    """The index's trigrams that begin with `pair`, folded as the index folds
    (`pair` is ASCII or CJK, where that is ASCII lower case), and the sum of
    their document counts: at least the number of records containing `pair`."""
    low = pair.lower()
    high = low[:-1] + chr(ord(low[-1]) + 1)
    rows = conn.execute(
        "SELECT term, doc FROM temp.records_vocab WHERE term >= ? AND term < ?", (low, high)
    ).fetchall()
    return [term for term, _ in rows], sum(doc for _, doc in rows)


@dataclass(frozen=True)
class _Match:
    expr: str  # FTS5 expression ("" for none)
    scanned: list[str]  # LIKE patterns each candidate must match too
    literal: bool  # LIKE alone finds what `expr` finds (no term has case)
    most: int  # at most this many records match (-1: not known)


def _match(conn: sqlite3.Connection, found: list[str]) -> _Match | None:
    """How to find records containing every term of `found`; None when a term
    is in no text at all.

    Terms of three characters or more are phrases.  A two-character term in
    ASCII or CJK is the OR of the trigrams that begin with it: every text
    ends with a line break (_write.TEXT_END), so each of its occurrences
    begins one.  With ASCII letters in it the LIKE scan of those hits decides
    too, as the index folds case wider than LIKE (the Kelvin sign is a k).
    Other short terms are a LIKE scan of every text.  Every term is a literal.
    """
    phrases: list[str] = []
    scanned: list[str] = []
    most = -1
    for term in found:
        if len(term) >= TRIGRAM:
            phrases.append(_phrase(term))
        elif len(term) == TRIGRAM - 1 and _PAIR.fullmatch(term):
            grams, docs = _grams(conn, term)
            if not grams:
                return None
            phrases.append("(" + " OR ".join(map(_phrase, grams)) + ")")
            most = docs if most < 0 else min(most, docs)
            if _LETTER.search(term):
                scanned.append(_like(term))
        else:
            scanned.append(_like(term))
    literal = all(_CASELESS.fullmatch(term) for term in found)
    return _Match(" AND ".join(phrases), scanned, literal, most)


_LIKE = "t.body LIKE ? ESCAPE '\\'"
_TEXT = " JOIN record_text t ON t.rid = r.rid"
_SORTED = ", ".join(f"+{key}" for key in _ORDER.split(", "))  # "+": not from an index


# A record as returned: its document and its current review (migration 0008).
_RECORD = "r.doc, r.review, r.reviewed_at, r.reviewer"


def _record(doc: str, review: str, reviewed_at: str, reviewer: str) -> dict[str, Any]:
    """The stored document with its current review, which no upsert touches."""
    return dict(json.loads(doc), review=review, reviewed_at=reviewed_at, reviewer=reviewer)


def _review_filter(review: str) -> tuple[str, str]:
    """(condition, parameter) for a search's review filter; a decision is
    looked up in the partial index of decided records (records_decided)."""
    if review == "none":
        return "r.review = ?", ""
    if review not in DECISIONS:
        raise ValueError(f"review must be none or one of {', '.join(DECISIONS)}, got {review!r}")
    return "r.review = ? AND r.review != ''", review


def _count(conn: sqlite3.Connection, sql: str, params: list[Any]) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _find(
    conn: sqlite3.Connection,
    found: list[str],
    match: _Match,
    filters: list[str],
    params: list[Any],
    limit: int,
    offset: int,
) -> tuple[int, list[int]]:
    """(total, rowids of the page) inside the caller's read transaction.

    How records are found (costs per record at a million records):
    - terms without filters are counted in the index alone, as every row of
      it is a record (migration 0007);
    - terms without case (Chinese, digits) under filters few records pass:
      those records' text is checked with LIKE (about 1.5 us);
    - otherwise the index's hits go to temp.search_hits once (about 0.5 us;
      a common two-character term has 400,000) and the smaller side drives:
      each hit's filter columns are read from records_facets (0.7 us), or
      the records passing the filters from a filter index and looked up
      among the hits (0.2 us).
    A page is read by walking records_order in rank order, checking each
    record, until it is full, when that is expected to be short (it is
    where the records found are spread evenly); otherwise they are sorted.
    """
    expr, need = match.expr, offset + limit
    records = _count(conn, "SELECT coalesce(max(rid), 0) FROM records", [])
    passing = -1  # records passing the filters, counted when needed

    def count_passing() -> int:
        sql = "SELECT count(*) FROM records r WHERE " + " AND ".join(filters)
        return _count(conn, sql, params) if filters else records

    where = [*filters, *[_LIKE] * len(match.scanned)]
    args = [*params, *match.scanned]
    join = _TEXT if match.scanned else ""
    likes = [_LIKE] * len(found)
    by = ""  # the index to count and sort by; "": the planner's (a filter index, if filters)
    total = -1
    checked = records if match.scanned else 0  # records a walk checks with LIKE
    if expr and not where:
        total = _count(conn, "SELECT count(*) FROM records_fts WHERE records_fts MATCH ?", [expr])
        if match.literal and total and need * records / total <= WALK_LIKES:
            where, args, join = likes, [_like(t) for t in found], _TEXT
            checked = records
        else:
            where = ["r.rid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)"]
            args, by = [expr], " INDEXED BY records_facets"
    elif (
        expr
        and filters
        and match.literal
        and ((passing := count_passing()) <= LIKE_DRIVE or 0 <= LIKE_SHARE * passing <= match.most)
    ):
        where, args, join = [*filters, *likes], [*params, *[_like(t) for t in found]], _TEXT
        checked = passing
    elif expr:
        conn.execute("DELETE FROM temp.search_hits")
        hits = conn.execute(
            "INSERT INTO temp.search_hits SELECT rowid FROM records_fts WHERE records_fts MATCH ?",
            (expr,),
        ).rowcount
        passing = passing if passing >= 0 or hits <= HITS_DRIVE else count_passing()
        if filters and hits > HITS_DRIVE and passing < FILTERS_DRIVE * hits:
            where.insert(0, "+r.rid IN temp.search_hits")  # "+": not looked up by rowid
        else:
            where.insert(0, "r.rid IN temp.search_hits")
            by = " INDEXED BY records_facets"
        total = hits if len(where) == 1 else -1
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    if total < 0:
        total = _count(conn, f"SELECT count(*) FROM records r{by}{join}{clause}", args)
    page: list[int] = []
    if total > offset and limit:
        if need * records / total <= WALK_MAX and need * checked / total <= WALK_LIKES:
            by, order = " INDEXED BY records_order", _ORDER
        else:
            order = _ORDER if by else _SORTED
        page = [
            rowid
            for (rowid,) in conn.execute(
                f"SELECT r.rid FROM records r{by}{join}{clause} ORDER BY {order} LIMIT ? OFFSET ?",
                [*args, limit, offset],
            )
        ]
    conn.execute("DELETE FROM temp.search_hits")
    return total, page


class SqliteCatalogue:
    """`Catalogue` on one SQLite file (or in memory); see the module docstring."""

    def __init__(self, path: str = MEMORY) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = connect(path)
        try:
            migrations.apply(self._conn)
            # Per connection, in memory: the index's vocabulary (short terms
            # look up their trigrams in it) and a search's hits.
            self._conn.execute(
                "CREATE VIRTUAL TABLE temp.records_vocab"
                " USING fts5vocab(main, 'records_fts', 'row')"
            )
            self._conn.execute("CREATE TABLE temp.search_hits (rid INTEGER PRIMARY KEY)")
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"SqliteCatalogue({self.path!r})"

    def upsert(self, records: Iterable[Mapping[str, Any]]) -> UpsertResult:
        inserted = updated = 0
        with self._lock, transaction(self._conn) as conn:
            for chunk in chunks(enumerate(records), CHUNK):
                new, seen = upsert_chunk(conn, chunk)
                inserted += new
                updated += seen
        return UpsertResult(inserted=inserted, updated=updated)

    def get(self, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_RECORD} FROM records r WHERE r.id = ?", (record_id,)
            ).fetchone()
        return None if row is None else _record(*row)

    def search(
        self,
        query: str = "",
        *,
        label: str | None = None,
        platform: str | None = None,
        channel: str | None = None,
        since: str | None = None,
        limit: int = 50,
        offset: int = 0,
        review: str | None = None,
    ) -> SearchResult:
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must be >= 0, got {limit} and {offset}")
        found = terms(query)
        filters = {"label": label, "platform": platform, "channel": channel}
        where = [f"r.{column} = ?" for column, value in filters.items() if value is not None]
        params: list[Any] = [value for value in filters.values() if value is not None]
        if since:
            where.append("r.last_seen >= ?")
            params.append(parse_utc(since))
        if review is not None:
            condition, value = _review_filter(review)
            where.append(condition)
            params.append(value)
        with self._lock, snapshot(self._conn) as conn:
            match = _match(conn, found)
            total, page = (
                (0, [])
                if match is None
                else _find(conn, found, match, where, params, limit, offset)
            )
            # Documents fetched for the page only: sorting carries no JSON.
            rows = conn.execute(
                f"SELECT r.rid, coalesce(t.body, ''), {_RECORD} FROM records r"
                " LEFT JOIN record_text t ON t.rid = r.rid"
                " WHERE r.rid IN (SELECT value FROM json_each(?))",
                (json.dumps(page),),
            ).fetchall()
        by_rowid = {rowid: (body, stored) for rowid, body, *stored in rows}
        hits = [
            dict(_record(*stored), snippet=snippet(body, found))
            for body, stored in (by_rowid[rowid] for rowid in page)
        ]
        return SearchResult(total=total, hits=hits)

    def stats(self) -> dict[str, Any]:
        with self._lock, snapshot(self._conn):
            count = self._count
            result: dict[str, Any] = {"total": count("SELECT count(*) FROM records")}
            for column in ("channel", "platform", "label"):
                result[f"by_{column}"] = dict(
                    self._conn.execute(
                        f"SELECT {column}, count(*) AS n FROM records"
                        f" GROUP BY {column} ORDER BY n DESC, {column}"
                    ).fetchall()
                )
            decided: dict[str, int] = dict(
                self._conn.execute(
                    "SELECT review, count(*) FROM records WHERE review != '' GROUP BY review"
                ).fetchall()
            )
            if result["total"] > sum(decided.values()):
                decided["none"] = result["total"] - sum(decided.values())
            result["by_review"] = dict(sorted(decided.items(), key=lambda kv: (-kv[1], kv[0])))
            result["blocks"] = count("SELECT count(*) FROM blocks")
            result["rejects"] = count("SELECT count(*) FROM rejects")
            result["evidence"] = {
                "bundles": count("SELECT count(*) FROM captures WHERE bundle_id != ''"),
                "records": count(
                    "SELECT count(DISTINCT record_id) FROM captures WHERE bundle_id != ''"
                ),
                "by_outcome": dict(
                    self._conn.execute(
                        "SELECT outcome, count(*) AS n FROM captures GROUP BY outcome"
                        " ORDER BY n DESC, outcome"
                    ).fetchall()
                ),
                "by_status": dict(
                    self._conn.execute(
                        "SELECT status, count(*) AS n FROM records WHERE id IN"
                        " (SELECT record_id FROM captures WHERE bundle_id != '')"
                        " GROUP BY status ORDER BY n DESC, status"
                    ).fetchall()
                ),
            }
        return result

    def _count(self, sql: str) -> int:
        return int(self._conn.execute(sql).fetchone()[0])

    def record_block(self, platform: str, url: str, reason: str, at: str) -> None:
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                "INSERT INTO blocks (at, at_utc, platform, url, reason) VALUES (?, ?, ?, ?, ?)",
                (text(at), utc_key(at), text(platform), text(url), text(reason)),
            )

    def blocks(self, since: str | None = None) -> list[dict[str, Any]]:
        bound = parse_utc(since) if since else ""
        with self._lock:
            rows = self._conn.execute(
                "SELECT at, platform, url, reason FROM blocks WHERE at_utc >= ?"
                " ORDER BY at_utc DESC, id DESC",
                (bound,),
            ).fetchall()
        return [dict(zip(("at", "platform", "url", "reason"), row, strict=True)) for row in rows]

    def add_rejects(self, rejects: Iterable[Mapping[str, Any]]) -> int:
        # default=repr: a reject describes bad input; it is kept even when its
        # detail is not JSON (an exception, bytes), as that value's repr.
        rows = [
            (
                utc_key(r.get("at")),
                text(r.get("platform")),
                text(r.get("stage")),
                text(json.dumps(dict(r), ensure_ascii=False, default=repr)),
            )
            for r in rejects
        ]
        with self._lock, transaction(self._conn) as conn:
            conn.executemany(
                "INSERT INTO rejects (at_utc, platform, stage, doc) VALUES (?, ?, ?, ?)", rows
            )
        return len(rows)

    def rejects(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc FROM rejects ORDER BY at_utc DESC, id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def linking_rows(self, labels: tuple[str, ...] = ("ad", "suspect")) -> list[dict[str, Any]]:
        with self._lock, snapshot(self._conn) as conn:
            rows = conn.execute(
                "SELECT id, platform, first_seen, last_seen,"
                " coalesce(json_extract(doc, '$.contacts'), '[]'),"
                " coalesce(json_extract(doc, '$.template_hash'), '')"
                " FROM records WHERE label IN (SELECT value FROM json_each(?)) ORDER BY rid",
                (json.dumps(list(labels)),),
            ).fetchall()
        return [
            {
                "id": rid,
                "platform": platform,
                "first_seen": first,
                "last_seen": last,
                "contacts": json.loads(contacts),
                "template_hash": template,
            }
            for rid, platform, first, last, contacts, template in rows
        ]

    def save_operators(self, operators: Iterable[Mapping[str, Any]]) -> int:
        ops = list(operators)
        assignments = [(str(op["id"]), str(ad)) for op in ops for ad in op.get("ads") or []]
        with self._lock, transaction(self._conn) as conn:
            conn.execute("DELETE FROM operators")
            conn.executemany(
                "INSERT INTO operators (id, ad_count, first_seen, last_seen, doc)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        text(op.get("id")),
                        len(op.get("ads") or []),
                        text(op.get("first_seen")),
                        text(op.get("last_seen")),
                        json.dumps(dict(op), ensure_ascii=False),
                    )
                    for op in ops
                ],
            )
            conn.execute(
                "UPDATE records SET cluster_id = '', doc = json_set(doc, '$.cluster_id', '')"
                " WHERE cluster_id != ''"
            )
            conn.executemany(
                "UPDATE records SET cluster_id = ?1, doc = json_set(doc, '$.cluster_id', ?1)"
                " WHERE id = ?2",
                assignments,
            )
        return len(assignments)

    def operators(self, limit: int = 50, min_ads: int = 1) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc FROM operators WHERE ad_count >= ?"
                " ORDER BY ad_count DESC, first_seen, id LIMIT ?",
                (min_ads, limit),
            ).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def add_capture(self, capture: Mapping[str, Any]) -> None:
        row = dict(capture)
        status = text(row.get("status"))
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                "INSERT INTO captures (record_id, url, kind, outcome, status, bundle_id, at_utc,"
                " content_digest, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    text(row.get("record_id")),
                    text(row.get("url")),
                    text(row.get("kind")) or "capture",
                    text(row.get("outcome")),
                    status,
                    text(row.get("bundle_id")),
                    utc_key(row.get("at")),
                    text(row.get("content_digest")),
                    json.dumps(row, ensure_ascii=False, default=repr),
                ),
            )
            if status:
                conn.execute(
                    "UPDATE records SET status = ?1, doc = json_set(doc, '$.status', ?1)"
                    " WHERE id = ?2",
                    (status, text(row.get("record_id"))),
                )

    def captures(self, record_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        where, params = ("WHERE record_id = ?", [record_id]) if record_id else ("", [])
        with self._lock:
            rows = self._conn.execute(
                f"SELECT doc FROM captures {where} ORDER BY at_utc DESC, id DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def capture_queue(
        self, labels: tuple[str, ...] = ("ad", "suspect"), max_attempts: int = 3
    ) -> list[dict[str, Any]]:
        with self._lock, snapshot(self._conn) as conn:
            rows = conn.execute(
                "SELECT r.id, r.url, r.platform, r.channel, r.label,"
                " coalesce(json_extract(r.doc, '$.referrer'), ''),"
                " (SELECT count(*) FROM captures c WHERE c.record_id = r.id) AS tries"
                " FROM records r WHERE r.label IN (SELECT value FROM json_each(?1))"
                " AND NOT EXISTS (SELECT 1 FROM captures c"
                "   WHERE c.record_id = r.id AND c.bundle_id != '')"
                " AND tries < ?2 ORDER BY r.score DESC, r.rid",
                (json.dumps(list(labels)), max_attempts),
            ).fetchall()
        keys = ("id", "url", "platform", "channel", "label", "referrer", "attempts")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def recheck_queue(self, before: str) -> list[dict[str, Any]]:
        with self._lock, snapshot(self._conn) as conn:
            rows = conn.execute(
                "SELECT r.id, r.url, r.platform, r.channel, c.bundle_id, c.content_digest,"
                " c.at_utc, c.status FROM records r JOIN captures c ON c.id = ("
                "   SELECT id FROM captures WHERE record_id = r.id AND bundle_id != ''"
                "   ORDER BY at_utc DESC, id DESC LIMIT 1)"
                " WHERE c.at_utc < ? AND c.status != 'gone' ORDER BY c.at_utc, r.rid",
                (parse_utc(before),),
            ).fetchall()
        keys = ("id", "url", "platform", "channel", "bundle_id", "content_digest", "at", "status")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def save_job(self, job: Mapping[str, Any]) -> None:
        row = dict(job)
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                "INSERT INTO jobs (id, profile, kind, status, started_utc, doc)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET"
                " profile = ?2, kind = ?3, status = ?4, started_utc = ?5, doc = ?6",
                (
                    text(row.get("id")),
                    text(row.get("profile")),
                    text(row.get("kind")),
                    text(row.get("status")),
                    utc_key(row.get("started")),
                    json.dumps(row, ensure_ascii=False, default=repr),
                ),
            )

    def jobs(self, profile: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        where, params = ("WHERE profile = ?", [profile]) if profile else ("", [])
        with self._lock:
            rows = self._conn.execute(
                f"SELECT doc FROM jobs {where} ORDER BY started_utc DESC, rowid DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def count_new(self, since: str, label: str | None = None) -> int:
        where, params = "first_seen >= ?", [parse_utc(since)]
        if label is not None:
            where, params = where + " AND label = ?", [*params, label]
        with self._lock:
            return _count(self._conn, f"SELECT count(*) FROM records WHERE {where}", params)

    def takedowns(self) -> list[dict[str, Any]]:
        with self._lock, snapshot(self._conn) as conn:
            rows = conn.execute(
                "SELECT r.id, r.platform, r.first_seen, g.gone_at,"
                " (SELECT max(c.at_utc) FROM captures c WHERE c.record_id = r.id"
                "   AND c.status IN ('live', 'changed') AND c.at_utc <= g.gone_at)"
                " FROM (SELECT record_id, min(at_utc) AS gone_at FROM captures"
                "   WHERE status = 'gone' GROUP BY record_id) g"
                " JOIN records r ON r.id = g.record_id ORDER BY g.gone_at, r.id"
            ).fetchall()
        keys = ("id", "platform", "first_seen", "gone_at", "last_live_at")
        return [dict(zip(keys, (*row[:4], row[4] or ""), strict=True)) for row in rows]

    def add_review(self, review: Mapping[str, Any]) -> None:
        row = dict(review)
        review_id, record_id, decision = row.get("id"), row.get("record_id"), row.get("decision")
        if not isinstance(review_id, str) or not review_id:
            raise ValueError(f"a review needs a string id, got {review_id!r}")
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
        if not isinstance(record_id, str):
            raise KeyError(f"no record {record_id!r} in the catalogue")
        with self._lock, transaction(self._conn) as conn:
            if conn.execute("SELECT 1 FROM records WHERE id = ?", (record_id,)).fetchone() is None:
                raise KeyError(f"no record {record_id!r} in the catalogue")
            conn.execute(
                "INSERT INTO reviews (id, record_id, decision, reviewer, at_utc, doc)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET"
                " record_id = ?2, decision = ?3, reviewer = ?4, at_utc = ?5, doc = ?6",
                (
                    review_id,
                    record_id,
                    decision,
                    text(row.get("reviewer")),
                    utc_key(row.get("at")),
                    json.dumps(row, ensure_ascii=False, default=repr),
                ),
            )
            # The newest decision is the record's, even when an older one
            # arrives later (a replay); a replaced review may have moved.
            conn.execute(
                "UPDATE records SET (review, reviewed_at, reviewer) = ("
                "  SELECT decision, at_utc, reviewer FROM reviews WHERE record_id = ?1"
                "  ORDER BY at_utc DESC, rid DESC LIMIT 1) WHERE id = ?1",
                (record_id,),
            )

    def reviews(self, record_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        where, params = ("WHERE record_id = ?", [record_id]) if record_id else ("", [])
        with self._lock:
            rows = self._conn.execute(
                f"SELECT doc FROM reviews {where} ORDER BY at_utc DESC, rid DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def review_queue(
        self, limit: int = 50, labels: tuple[str, ...] = ("ad", "suspect")
    ) -> list[dict[str, Any]]:
        # Undecided records by walking the rank order (the best are mostly
        # undecided: the walk is short); the unsure from the decided index.
        with self._lock, snapshot(self._conn) as conn:
            rowids = [
                rowid
                for (rowid,) in conn.execute(
                    f"SELECT r.rid FROM records r INDEXED BY records_order"
                    f" WHERE r.label IN (SELECT value FROM json_each(?)) AND r.review = ''"
                    f" ORDER BY {_ORDER} LIMIT ?",
                    (json.dumps(list(labels)), limit),
                )
            ]
            rowids += [
                rowid
                for (rowid,) in conn.execute(
                    "SELECT r.rid FROM records r WHERE r.review = 'unsure' AND r.review != ''"
                    " ORDER BY r.reviewed_at, r.rid LIMIT ?",
                    (max(0, limit - len(rowids)),),
                )
            ]
            rows = conn.execute(
                f"SELECT r.rid, {_RECORD} FROM records r"
                " WHERE r.rid IN (SELECT value FROM json_each(?))",
                (json.dumps(rowids),),
            ).fetchall()
        by_rowid = {rowid: stored for rowid, *stored in rows}
        return [_record(*by_rowid[rowid]) for rowid in rowids]

    def save_case(self, case: Mapping[str, Any]) -> None:
        row = dict(case)
        case_id = row.get("id")
        if not isinstance(case_id, str) or not case_id:
            raise ValueError(f"a case needs a string id, got {case_id!r}")
        with self._lock, transaction(self._conn) as conn:
            conn.execute(
                "INSERT INTO cases (id, status, regulator, sent_on, created_utc, doc)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET"
                " status = ?2, regulator = ?3, sent_on = ?4, created_utc = ?5, doc = ?6",
                (
                    case_id,
                    text(row.get("status")),
                    text(row.get("regulator")),
                    text(row.get("sent_on")),
                    utc_key(row.get("created_at")),
                    json.dumps(row, ensure_ascii=False, default=repr),
                ),
            )

    def cases(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        with self._lock:
            rows = self._conn.execute(
                f"SELECT doc FROM cases {where}"
                " ORDER BY sent_on DESC, created_utc DESC, id DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def case(self, case_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT doc FROM cases WHERE id = ?", (case_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def rebuild_index(self) -> None:
        """Re-derive every record's text, drop text whose record is gone, and
        re-index it all: the repair for rows written by anything but this
        class (the index has no triggers)."""
        with self._lock, transaction(self._conn) as conn:
            conn.execute("DELETE FROM record_text WHERE rid NOT IN (SELECT rid FROM records)")
            migrations.fill_text(conn, TEXT_END)
            conn.execute("INSERT INTO records_fts (records_fts) VALUES ('rebuild')")

    def close(self) -> None:
        """Close the connection (after letting SQLite refresh its planner stats)."""
        with self._lock:
            # Closed already (ProgrammingError) or busy (OperationalError): skip.
            with suppress(sqlite3.ProgrammingError, sqlite3.OperationalError):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
