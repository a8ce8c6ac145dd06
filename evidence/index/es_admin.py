"""Operating the Elasticsearch catalogue: copy SQLite into it, migrate its indices.

`sync` reads the SQLite file through its own read-only connection (a crawl
may be writing it), in rowid order, and remembers after every chunk how far
it got, so an interrupted copy resumes where it stopped.  Documents are
written with ``index`` under deterministic ids: running it twice leaves one
copy, and SQLite's history (first_seen, times_seen) is copied as it is rather
than counted again.  Analysts' decisions come along: each record with its
current review, every review under its own id (SQLite's row number as its
tie-breaking ``seq``), and the referral cases, whole, at the end of each run
(they are few and change in place, like the operators).

`migrate` moves every kind whose index is older than this adwatch's schema to
the next index version: templates updated, writes to the old index blocked
(writers' actions fail with 403 and wait in their retry files), a
server-side ``_reindex``, then one ``_aliases`` call that moves both aliases
of every such kind at once.  Kinds new in this schema were created at the
current version when the catalogue was opened, and are left alone.  The old
indices stay, read-only, until someone deletes them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elasticsearch.exceptions import GeneralAvailabilityWarning

from . import _es_schema as schema
from ._es_retry import Action
from .elastic import ElasticCatalogue, ElasticError, _version_of

SCHEMA_VERSION = schema.SCHEMA_VERSION  # what `migrate` brings every kind to
CHUNK = 500
EVENT_TABLES = ("captures", "blocks", "rejects")
REVIEW_COLUMNS = ("review", "reviewed_at", "reviewer")  # on records (migration 0008)

Progress = Callable[[str, int], None]  # (what, how many more done)


@dataclass
class SyncReport:
    copied: dict[str, int] = field(default_factory=dict)
    deferred: int = 0
    operators: int = 0
    resumed: bool = False


def _state_path(sqlite_path: Path) -> Path:
    return sqlite_path.with_name(sqlite_path.name + ".es-sync.json")


def _load_state(path: Path, target: str) -> dict[str, int] | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if state.get("target") != target:
        return None
    return {k: int(v) for k, v in state.get("done", {}).items()}


def _save_state(path: Path, target: str, done: dict[str, int]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"target": target, "done": done}), encoding="utf-8")
    os.replace(temporary, path)


def _readonly(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise ElasticError(f"no SQLite catalogue at {path}")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _count(conn: sqlite3.Connection, table: str, key: str, after: int) -> int:
    return int(
        conn.execute(f"SELECT count(*) FROM {table} WHERE {key} > ?", (after,)).fetchone()[0]
    )


def _capture_summaries(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """What `ElasticCatalogue.add_capture` would have folded into each record."""
    marks = ", ".join("?" * len(ids))
    summaries: dict[str, dict[str, Any]] = {}
    rows = conn.execute(
        "SELECT record_id, at_utc, outcome, status, bundle_id, content_digest FROM captures"
        f" WHERE record_id IN ({marks}) ORDER BY at_utc, id",
        ids,
    )
    for record_id, at, outcome, status, bundle_id, digest in rows:
        summary = summaries.setdefault(record_id, {"attempts": 0})
        summary["attempts"] += 1
        summary["at"] = schema.date_or_none(at)
        summary["outcome"] = outcome
        if bundle_id:
            summary |= {
                "bundle_id": bundle_id,
                "bundle_at": schema.date_or_none(at),
                "bundle_status": status,
                "bundle_digest": digest,
            }
    return summaries


def _has_reviews(conn: sqlite3.Connection) -> bool:
    """Whether the file has migration 0008's reviews (a read-only copy of an
    older file is not migrated: it has none to copy)."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reviews'")
    return found.fetchone() is not None


def _record_chunks(
    conn: sqlite3.Connection, target: ElasticCatalogue, after: int
) -> Iterator[tuple[int, list[Action]]]:
    review = ", ".join(REVIEW_COLUMNS) if _has_reviews(conn) else "'', '', ''"
    while True:
        rows = conn.execute(
            f"SELECT rid, id, doc, {review} FROM records WHERE rid > ? ORDER BY rid LIMIT ?",
            (after, CHUNK),
        ).fetchall()
        if not rows:
            return
        summaries = _capture_summaries(conn, [row[1] for row in rows])
        actions: list[Action] = []
        for _, record_id, doc, decision, reviewed_at, reviewer in rows:
            document = schema.ad_document(json.loads(doc), target.normalizer)
            if record_id in summaries:
                document["capture"] = summaries[record_id]
            if decision:
                document |= schema.current_review(decision, reviewed_at, reviewer)
            index = target.names.write("ads")
            actions.append(({"index": {"_index": index, "_id": record_id}}, document))
        after = rows[-1][0]
        yield after, actions


def _event_documents(
    conn: sqlite3.Connection, table: str, after: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    if table == "blocks":
        query = "SELECT id, at, platform, url, reason FROM blocks WHERE id > ? ORDER BY id"
        for rowid, at, platform, url, reason in conn.execute(query, (after,)):
            yield rowid, schema.block_document(platform, url, reason, at, rowid)
    elif table == "captures":
        for rowid, doc in conn.execute(
            "SELECT id, doc FROM captures WHERE id > ? ORDER BY id", (after,)
        ):
            yield rowid, schema.capture_document(json.loads(doc), rowid)
    else:
        for rowid, doc in conn.execute(
            "SELECT id, doc FROM rejects WHERE id > ? ORDER BY id", (after,)
        ):
            yield rowid, schema.reject_document(json.loads(doc), rowid)


def _review_chunks(
    conn: sqlite3.Connection, target: ElasticCatalogue, after: int
) -> Iterator[tuple[int, list[Action]]]:
    """Every review after row `after`, under its own id; SQLite's row number is
    its ``seq``, so reviews of the same second keep SQLite's order."""
    if not _has_reviews(conn):
        return
    while True:
        rows = conn.execute(
            "SELECT v.rid, v.doc, coalesce(r.platform, '') FROM reviews v"
            " LEFT JOIN records r ON r.id = v.record_id WHERE v.rid > ? ORDER BY v.rid LIMIT ?",
            (after, CHUNK),
        ).fetchall()
        if not rows:
            return
        actions: list[Action] = []
        for rid, doc, platform in rows:
            document = schema.review_document(json.loads(doc), rid, platform)
            index = target.names.write("reviews")
            actions.append(({"index": {"_index": index, "_id": document["id"]}}, document))
        after = rows[-1][0]
        yield after, actions


def _case_actions(conn: sqlite3.Connection, target: ElasticCatalogue) -> list[Action]:
    if not _has_reviews(conn):  # cases came with the same migration
        return []
    index = target.names.write("cases")
    return [
        ({"index": {"_index": index, "_id": document["id"]}}, document)
        for document in (
            schema.case_document(json.loads(doc))
            for (doc,) in conn.execute("SELECT doc FROM cases ORDER BY id")
        )
    ]


def _event_chunks(
    conn: sqlite3.Connection, target: ElasticCatalogue, table: str, after: int
) -> Iterator[tuple[int, list[Action]]]:
    documents = list(_event_documents(conn, table, after))  # events are small; read, then send
    for start in range(0, len(documents), CHUNK):
        part = documents[start : start + CHUNK]
        actions: list[Action] = [
            (
                {
                    "index": {
                        "_index": target.names.write(table),
                        "_id": schema.content_id(table, doc),
                    }
                },
                doc,
            )
            for _, doc in part
        ]
        yield part[-1][0], actions


def sync(
    sqlite_path: Path,
    target: ElasticCatalogue,
    *,
    restart: bool = False,
    progress: Progress | None = None,
    totals: Callable[[int], None] | None = None,
) -> SyncReport:
    """Copy the SQLite catalogue at `sqlite_path` into `target`, resumably."""
    state_file = _state_path(sqlite_path)
    name = f"{target.settings.url}#{target.settings.prefix}"
    done = None if restart else _load_state(state_file, name)
    report = SyncReport(resumed=bool(done))
    done = done or {}
    conn = _readonly(sqlite_path)
    try:
        keys = {"records": "rid", **{t: "id" for t in EVENT_TABLES}}
        if _has_reviews(conn):
            keys["reviews"] = "rid"
        if totals is not None:
            totals(sum(_count(conn, t, k, done.get(t, 0)) for t, k in keys.items()))
        sources: list[tuple[str, Iterator[tuple[int, list[Action]]]]] = [
            ("records", _record_chunks(conn, target, done.get("records", 0)))
        ]
        sources += [(t, _event_chunks(conn, target, t, done.get(t, 0))) for t in EVENT_TABLES]
        sources.append(("reviews", _review_chunks(conn, target, done.get("reviews", 0))))
        for table, chunks in sources:
            for last, actions in chunks:
                _, deferred = target._write(actions)
                report.deferred += deferred
                report.copied[table] = report.copied.get(table, 0) + len(actions)
                done[table] = last
                _save_state(state_file, name, done)
                if progress is not None:
                    progress(table, len(actions))
        operators = [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM operators")]
        cases = _case_actions(conn, target)
    finally:
        conn.close()
    if cases:  # copied whole every run: they change in place
        _, deferred = target._write(cases)
        report.deferred += deferred
        report.copied["cases"] = len(cases)
    # Operators are few and replaced whole: the copy equals SQLite's clustering.
    target.save_operators(operators)
    report.operators = len(operators)
    target.refresh()
    return report


@dataclass(frozen=True)
class Move:
    kind: str
    old: str
    new: str
    documents: int


def _wait(
    target: ElasticCatalogue, task_id: str, kind: str, progress: Progress | None
) -> dict[str, Any]:
    reported = 0
    while True:
        # The client marks the task API "technical preview"; it has tracked
        # reindexing since 5.x and is how Elastic's docs follow one.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GeneralAvailabilityWarning)
            task = target.client.tasks.get(task_id=task_id).body
        status = task.get("task", {}).get("status", {})
        done = int(status.get("created", 0)) + int(status.get("updated", 0))
        if progress is not None and done > reported:
            progress(kind, done - reported)
            reported = done
        if task.get("completed"):
            return dict(task.get("response") or {})
        time.sleep(0.5)


def migrate(target: ElasticCatalogue, progress: Progress | None = None) -> list[Move]:
    """Move every kind whose index is older than `schema.SCHEMA_VERSION` to its
    next index version (see the module docstring); none left behind, none moved."""
    client = target.client
    names = target.names
    target.put_templates()
    plan = []
    versions = target.schema_versions()
    for kind in schema.KINDS:
        if versions.get(kind, 0) >= schema.SCHEMA_VERSION:
            continue
        old = target.current_index(kind)
        new = names.version(kind, _version_of(old) + 1)
        if client.indices.exists(index=new):
            raise ElasticError(
                f"{new} exists already (an earlier migrate stopped half-way?): "
                f"delete it (DELETE /{new}) and run migrate again"
            )
        plan.append((kind, old, new))
    if not plan:
        return []
    for _, old, _ in plan:
        client.indices.put_settings(index=old, settings={"index.blocks.write": True})
    moves = []
    try:
        for kind, old, new in plan:
            client.indices.create(index=new)
            started = client.reindex(
                source={"index": old}, dest={"index": new}, wait_for_completion=False, refresh=True
            )
            response = _wait(target, str(started["task"]), kind, progress)
            if response.get("failures"):
                raise ElasticError(f"reindex {old} -> {new} failed: {response['failures'][:3]}")
            before = int(client.count(index=old)["count"])
            after = int(client.count(index=new)["count"])
            if before != after:
                raise ElasticError(f"reindex {old} -> {new} copied {after} of {before} documents")
            moves.append(Move(kind, old, new, after))
        actions: list[dict[str, Any]] = []
        for kind, old, new in plan:
            actions += [
                {"remove": {"index": old, "alias": names.read(kind)}},
                {"remove": {"index": old, "alias": names.write(kind)}},
                {"add": {"index": new, "alias": names.read(kind)}},
                {"add": {"index": new, "alias": names.write(kind), "is_write_index": True}},
            ]
        client.indices.update_aliases(actions=actions)
    except BaseException:
        # Nothing was swapped: the old indices take writes again, and the
        # half-filled new ones (never behind an alias) go.
        for _, old, new in plan:
            client.indices.put_settings(index=old, settings={"index.blocks.write": False})
            client.indices.delete(index=new, ignore_unavailable=True)
        raise
    return moves
