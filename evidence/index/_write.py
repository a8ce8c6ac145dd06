"""The SQLite catalogue's write path: records in, rows and index entries out.

The full-text index is written here, not by triggers: SQLite 3.40's FTS5
flushes its in-memory index at every statement savepoint, and a trigger
opens one per row, which made inserts three times slower and re-indexing of
changed ads five times slower (measured).  So each chunk is written with a
few set-wise statements, in rowid order where FTS5 cares.  Rows changed by
anything else are repaired by `SqliteCatalogue.rebuild_index()`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, TypeVar

from ._history import merge_history
from ._text import search_text
from ._time import utc_key
from .base import REVIEW_FIELDS

T = TypeVar("T")

_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Strict (SQLite's JSON functions read the documents), compact, reused: the
# encoder is a third of the time a record takes to write.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_JSON_ASCII = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
_COLUMNS = (
    "id, channel, platform, label, score, url, canonical_url, title,"
    " first_seen, last_seen, times_seen, status, doc"
)
_INSERT = f"INSERT INTO records (rid, {_COLUMNS}) VALUES ({', '.join('?' * 14)})"
_UPDATE = (
    "UPDATE records SET channel = ?, platform = ?, label = ?, score = ?, url = ?,"
    " canonical_url = ?, title = ?, first_seen = ?, last_seen = ?, times_seen = ?,"
    " status = ?, doc = ? WHERE id = ?"
)
_INSERT_TEXT = "INSERT INTO record_text (rid, body) VALUES (?, ?)"
_PUT_TEXT = (
    "INSERT INTO record_text (rid, body) VALUES (?, ?)"
    " ON CONFLICT (rid) DO UPDATE SET body = excluded.body"
)
_INDEX = "INSERT INTO records_fts (rowid, body) VALUES (?, ?)"
# Every stored text ends with a line break (migration 0007_search_at_scale).
# A term has no whitespace, so each occurrence of one is followed by at least
# one more character: a two-character term always begins a trigram of the
# index, and the search finds it there instead of scanning every text.
TEXT_END = "\n"
_UNINDEX = "INSERT INTO records_fts (records_fts, rowid, body) VALUES ('delete', ?, ?)"


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def text(value: object) -> str:
    """A column value: strings as they are (lone surrogates from badly decoded
    pages replaced, SQLite cannot store them), anything else empty."""
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else ""


def dumps(record: Mapping[str, Any]) -> str:
    """The document as JSON; ASCII escapes when the record holds lone
    surrogates (SQLite cannot store them raw), so it still round-trips."""
    doc = _JSON.encode(record)
    return doc if _SURROGATE.search(doc) is None else _JSON_ASCII.encode(record)


def row(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """`_COLUMNS` values of `record`, then its searchable text; TypeError or
    ValueError if it cannot be stored (a score that is not a number, a value
    JSON has no form for).  Review fields in `record` (a record read back and
    upserted again) are not stored: a record's review is add_review's alone."""
    if any(key in record for key in REVIEW_FIELDS):
        record = {k: v for k, v in record.items() if k not in REVIEW_FIELDS}
    return (
        record["id"],
        text(record.get("channel")),
        text(record.get("platform")),
        text(record.get("label")),
        float(record.get("score") or 0.0),
        text(record.get("url")),
        text(record.get("canonical_url")),
        text(record.get("title")),
        utc_key(record.get("first_seen")),
        utc_key(record.get("last_seen")),
        int(record.get("times_seen") or 1),
        text(record.get("status")),
        dumps(record),
        search_text(record) + TEXT_END,
    )


def _invalid(position: int, record: object, reason: object) -> ValueError:
    rid = record.get("id") if isinstance(record, Mapping) else None
    return ValueError(f"record #{position} (id {rid!r}) not stored: {reason}")


def _stored(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """id -> (rowid, body, first_seen, last_seen as in the document, times_seen)."""
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        "SELECT r.id, r.rid, t.body, json_extract(r.doc, '$.first_seen'),"
        " json_extract(r.doc, '$.last_seen'), r.times_seen"
        f" FROM records r LEFT JOIN record_text t ON t.rid = r.rid WHERE r.id IN ({marks})",
        ids,
    )
    return {key: stored for key, *stored in rows}


def _merged(
    chunk: list[tuple[int, Mapping[str, Any]]], stored: dict[str, tuple[Any, ...]]
) -> dict[str, tuple[int, Mapping[str, Any]]]:
    """id -> (position, record to write).  An id met twice in one chunk is a
    second sighting, exactly as if the two had come in separate batches."""
    latest: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for position, record in chunk:
        key = record["id"]
        if key in latest:
            seen = latest[key][1]
            history = (seen.get("first_seen"), seen.get("last_seen"), seen.get("times_seen"))
            record = merge_history(record, *history)
        elif key in stored:
            record = merge_history(record, *stored[key][2:])
        latest[key] = (position, record)
    return latest


def upsert_chunk(
    conn: sqlite3.Connection, chunk: list[tuple[int, Mapping[str, Any]]]
) -> tuple[int, int]:
    """Upsert (position, record) pairs inside the caller's transaction: one
    lookup, then each id written once.  Returns (inserted, updated)."""
    for position, record in chunk:
        if not isinstance(record, Mapping) or not isinstance(record.get("id"), str):
            raise _invalid(position, record, "not a dict with a string 'id'")
        if not record["id"]:
            raise _invalid(position, record, "empty 'id'")
    stored = _stored(conn, list(dict.fromkeys(r["id"] for _, r in chunk)))
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    for key, (position, record) in _merged(chunk, stored).items():
        try:
            values = row(record)
        except (TypeError, ValueError) as exc:
            raise _invalid(position, record, exc) from exc
        (updates if key in stored else inserts).append(values)
    # Explicit rowids, so text rows and index entries can name them; above
    # any text row too, in case a record was deleted by hand without its text.
    (last,) = conn.execute(
        "SELECT max((SELECT coalesce(max(rid), 0) FROM records),"
        " (SELECT coalesce(max(rid), 0) FROM record_text))"
    ).fetchone()
    conn.executemany(_INSERT, [(last + n, *v[:-1]) for n, v in enumerate(inserts, 1)])
    conn.executemany(_INSERT_TEXT, [(last + n, v[-1]) for n, v in enumerate(inserts, 1)])
    conn.execute(
        "INSERT INTO records_fts (rowid, body) SELECT rid, body FROM record_text WHERE rid > ?",
        (last,),
    )
    conn.executemany(_UPDATE, [(*v[1:-1], v[0]) for v in updates])
    # Re-index only changed text (a re-crawled ad usually has none), in rowid
    # order: FTS5 also flushes whenever rowids go backwards.
    changed = sorted(
        (stored[v[0]][0], stored[v[0]][1], v[-1]) for v in updates if stored[v[0]][1] != v[-1]
    )
    conn.executemany(_UNINDEX, [(rowid, old) for rowid, old, _ in changed if old is not None])
    conn.executemany(_PUT_TEXT, [(rowid, new) for rowid, _, new in changed])
    conn.executemany(_INDEX, [(rowid, new) for rowid, _, new in changed])
    return len(inserts), len(chunk) - len(inserts)
