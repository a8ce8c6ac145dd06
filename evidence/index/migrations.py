"""Named, recorded, transactional schema migrations for the SQLite catalogue.

A migration is a name and a function of a connection.  Applied names are kept
in ``_migrations`` (name, applied_at), so a catalogue file knows its own
schema history and an old file is brought up to date when it is opened.  Each
migration runs in its own transaction together with its ``_migrations`` row:
it happens entirely or not at all, and two processes opening the same old
file cannot both apply it.  Names sort in the order they must run; add new
ones at the end and never edit an applied one (write another).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ._text import search_text
from ._transaction import transaction

TABLE = "_migrations"


@dataclass(frozen=True)
class Migration:
    name: str
    run: Callable[[sqlite3.Connection], None]


MIGRATIONS: list[Migration] = []


def migration(name: str) -> Callable[[Callable[[sqlite3.Connection], None]], Migration]:
    """Register the decorated function as the migration called `name`."""

    def register(fn: Callable[[sqlite3.Connection], None]) -> Migration:
        if MIGRATIONS and name <= MIGRATIONS[-1].name:
            raise ValueError(f"migration {name!r} must sort after {MIGRATIONS[-1].name!r}")
        step = Migration(name, fn)
        MIGRATIONS.append(step)
        return step

    return register


def _execute_all(conn: sqlite3.Connection, statements: Sequence[str]) -> None:
    # Not executescript(): it COMMITs first, which would break the transaction.
    for statement in statements:
        conn.execute(statement)


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names already applied, in the order they were applied (reads only)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    if not exists:
        return []
    return [name for (name,) in conn.execute(f"SELECT name FROM {TABLE} ORDER BY rowid")]


def pending(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
    """Names not yet applied, in the order `apply` would run them (reads only)."""
    done = set(applied(conn))
    return [m.name for m in migrations if m.name not in done]


def apply(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration] = MIGRATIONS,
    upto: str | None = None,
) -> list[str]:
    """Run pending migrations in order, each in its own transaction, stopping
    after `upto` when given.  Returns the names it applied."""
    names = [m.name for m in migrations]
    if upto is not None and upto not in names:
        raise ValueError(f"no migration named {upto!r}; known: {', '.join(names)}")
    wanted = migrations[: names.index(upto) + 1] if upto is not None else migrations
    if not pending(conn, wanted):
        return []  # the common case: no write lock taken at all
    with transaction(conn):
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
    ran: list[str] = []
    for step in wanted:
        with transaction(conn):
            # Checked again inside the write lock: another process may have won.
            if step.name not in applied(conn):
                step.run(conn)
                conn.execute(
                    f"INSERT INTO {TABLE} (name, applied_at) "
                    "VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                    (step.name,),
                )
                ran.append(step.name)
    return ran


@migration("0001_initial")
def _initial(conn: sqlite3.Connection) -> None:
    """Records: the full document in `doc`, queried fields beside it.

    `rid` is an explicit INTEGER PRIMARY KEY because the full-text index
    refers to rows by rowid and VACUUM may renumber an implicit rowid; the
    record id is UNIQUE and is what callers use.
    """
    _execute_all(
        conn,
        [
            """CREATE TABLE records (
                rid INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                channel TEXT NOT NULL DEFAULT '',
                platform TEXT NOT NULL DEFAULT '',
                label TEXT NOT NULL DEFAULT '',
                score REAL NOT NULL DEFAULT 0,
                url TEXT NOT NULL DEFAULT '',
                canonical_url TEXT NOT NULL DEFAULT '',
                title TEXT NOT NULL DEFAULT '',
                first_seen TEXT NOT NULL DEFAULT '',
                last_seen TEXT NOT NULL DEFAULT '',
                times_seen INTEGER NOT NULL DEFAULT 1,
                status TEXT NOT NULL DEFAULT '',
                doc TEXT NOT NULL
            )""",
            "CREATE INDEX records_channel ON records (channel)",
            "CREATE INDEX records_platform ON records (platform)",
            "CREATE INDEX records_label ON records (label)",
            "CREATE INDEX records_last_seen ON records (last_seen)",
            "CREATE INDEX records_canonical_url ON records (canonical_url)",
            "CREATE INDEX records_rank ON records (score DESC, last_seen DESC)",
        ],
    )


def fill_text(conn: sqlite3.Connection, end: str = "") -> None:
    """(Re)derive `record_text` from every document, each text followed by
    `end`; the index must follow.

    Changing what is searchable (_text.search_text) needs a new migration
    that calls this and rebuilds the index, or old records keep old text.
    """
    rows = conn.execute("SELECT rid, doc FROM records").fetchall()
    conn.executemany(
        "INSERT INTO record_text (rid, body) VALUES (?, ?)"
        " ON CONFLICT (rid) DO UPDATE SET body = excluded.body",
        [(rowid, search_text(json.loads(doc)) + end) for rowid, doc in rows],
    )


@migration("0002_fulltext")
def _fulltext(conn: sqlite3.Connection) -> None:
    """Searchable text per record, and a trigram FTS5 index over it.

    `record_text` holds the text (see _text.search_text) apart from the
    records: a 1-2 character query, which trigrams cannot look up, is a LIKE
    scan, and scanning short text rows is twice as fast as scanning rows that
    carry the JSON document.  The FTS5 table uses it as external content (not
    contentless: hits need their text back for snippets), so the text is
    stored once and the index holds only trigrams.  The catalogue writes
    index entries itself (see _write.py for why not triggers); deletion,
    which the catalogue never does, cascades from `records` and a trigger
    unindexes it, so a row deleted by hand leaves no ghost hits.

    Tuning (stored in the index itself): a 16 MiB pending-term buffer and
    automerge 16 made the many small transactions of a crawl about a quarter
    cheaper (measured), at the price of more segments for a query to visit.
    """
    _execute_all(
        conn,
        [
            """CREATE TABLE record_text (
                rid INTEGER PRIMARY KEY REFERENCES records (rid) ON DELETE CASCADE,
                body TEXT NOT NULL
            )""",
            """CREATE VIRTUAL TABLE records_fts USING fts5(
                body, content='record_text', content_rowid='rid', tokenize='trigram'
            )""",
            "INSERT INTO records_fts (records_fts, rank) VALUES ('hashsize', 16777216)",
            "INSERT INTO records_fts (records_fts, rank) VALUES ('automerge', 16)",
        ],
    )
    fill_text(conn)
    _execute_all(
        conn,
        [
            "INSERT INTO records_fts (records_fts) VALUES ('rebuild')",
            """CREATE TRIGGER record_text_unindex AFTER DELETE ON record_text BEGIN
                INSERT INTO records_fts (records_fts, rowid, body)
                VALUES ('delete', old.rid, old.body);
            END""",
        ],
    )


@migration("0003_events")
def _events(conn: sqlite3.Connection) -> None:
    """Blocks (captcha / block pages met) and rejects (items that failed a stage).

    `at` is kept as given; `at_utc` is its canonical UTC form for sorting
    and `since` filters.  A reject is kept whole in `doc`.
    """
    _execute_all(
        conn,
        [
            """CREATE TABLE blocks (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                at_utc TEXT NOT NULL,
                platform TEXT NOT NULL,
                url TEXT NOT NULL,
                reason TEXT NOT NULL
            )""",
            "CREATE INDEX blocks_at_utc ON blocks (at_utc)",
            """CREATE TABLE rejects (
                id INTEGER PRIMARY KEY,
                at_utc TEXT NOT NULL,
                platform TEXT NOT NULL DEFAULT '',
                stage TEXT NOT NULL DEFAULT '',
                doc TEXT NOT NULL
            )""",
            "CREATE INDEX rejects_at_utc ON rejects (at_utc)",
        ],
    )


@migration("0004_operators")
def _operators(conn: sqlite3.Connection) -> None:
    """Operators: clusters of ads linked by shared contacts or templates
    (crawler.reading.detect.cluster), recomputed whole after each crawl, and each
    record's `cluster_id` as a column for filtering."""
    _execute_all(
        conn,
        [
            "ALTER TABLE records ADD COLUMN cluster_id TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX records_cluster_id ON records (cluster_id)",
            """CREATE TABLE operators (
                id TEXT PRIMARY KEY,
                ad_count INTEGER NOT NULL,
                first_seen TEXT NOT NULL DEFAULT '',
                last_seen TEXT NOT NULL DEFAULT '',
                doc TEXT NOT NULL
            )""",
            "CREATE INDEX operators_size ON operators (ad_count DESC, first_seen)",
        ],
    )


@migration("0005_captures")
def _captures(conn: sqlite3.Connection) -> None:
    """Evidence captures: one row per attempt to capture or re-check a record.

    A row with a `bundle_id` is sealed evidence (outcome page or gone, status
    live, changed or gone); one without is an attempt that met a captcha, an
    empty render or an error, counted so the record is retried and, after
    enough tries, left for a person.  Kept apart from `records` because a
    crawl's upsert replaces a record's document whole."""
    _execute_all(
        conn,
        [
            """CREATE TABLE captures (
                id INTEGER PRIMARY KEY,
                record_id TEXT NOT NULL,
                url TEXT NOT NULL,
                kind TEXT NOT NULL,
                outcome TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT '',
                bundle_id TEXT NOT NULL DEFAULT '',
                at_utc TEXT NOT NULL,
                content_digest TEXT NOT NULL DEFAULT '',
                doc TEXT NOT NULL
            )""",
            "CREATE INDEX captures_record ON captures (record_id, at_utc)",
            "CREATE INDEX captures_bundle ON captures (bundle_id)",
        ],
    )


@migration("0006_jobs")
def _jobs(conn: sqlite3.Connection) -> None:
    """Job history: one row per crawl or re-check run (crawler.running.jobs.Job as JSON),
    written when it starts and again when it ends."""
    _execute_all(
        conn,
        [
            """CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                profile TEXT NOT NULL DEFAULT '',
                kind TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL DEFAULT '',
                started_utc TEXT NOT NULL,
                doc TEXT NOT NULL
            )""",
            "CREATE INDEX jobs_profile ON jobs (profile, started_utc)",
            "CREATE INDEX jobs_started ON jobs (started_utc)",
            "CREATE INDEX records_first_seen ON records (first_seen)",
            "CREATE INDEX captures_status ON captures (status, record_id)",
        ],
    )


@migration("0007_search_at_scale")
def _search_at_scale(conn: sqlite3.Connection) -> None:
    """Search that stays fast at a million records (measured by bench/index.py).

    Two-character terms (停催, 征信), which trigrams cannot look up, were a
    LIKE scan of every text.  Every text now ends with a line break
    (_write.TEXT_END), so each occurrence of such a term begins a trigram,
    and the search ORs the index's trigrams that begin with it (read from
    its vocabulary).  The index is rebuilt for each text's new last trigram.

    Hits were counted, filtered and ranked through the rows of `records`, a
    JSON document each: a page read per hit.  Now `records_order` holds the
    rank and every filter column, so a page in rank order is read from the
    index alone; `records_facets` holds the same by rowid, to filter a set of
    hits; the label, platform, channel and last_seen indexes each hold all
    four filter columns, so any mix of filters is counted from one index.
    They replace records_rank, records_last_seen and the one-column filter
    indexes; records_canonical_url, which no query used, goes (its key, like
    the rank's, is scattered: each insert wrote a page of it).

    Deleting a record now deletes its text, and so its index entries, by a
    trigger that works with foreign keys off too: every row of the index is
    a record, and hits without filters are counted in the index alone.  Text
    left by earlier deletions is dropped first.
    """
    _execute_all(
        conn,
        [
            "DELETE FROM record_text WHERE rid NOT IN (SELECT rid FROM records)",
            "UPDATE record_text SET body = body || char(10) WHERE substr(body, -1) != char(10)",
            "INSERT INTO records_fts (records_fts) VALUES ('rebuild')",
            """CREATE TRIGGER records_untext AFTER DELETE ON records BEGIN
                DELETE FROM record_text WHERE rid = old.rid;
            END""",
            "DROP INDEX records_rank",
            "DROP INDEX records_last_seen",
            "DROP INDEX records_canonical_url",
            "DROP INDEX records_label",
            "DROP INDEX records_platform",
            "DROP INDEX records_channel",
            "CREATE INDEX records_order"
            " ON records (score DESC, last_seen DESC, id, label, platform, channel)",
            "CREATE INDEX records_facets"
            " ON records (rid, label, platform, channel, last_seen, score, id)",
            "CREATE INDEX records_label ON records (label, channel, platform, last_seen)",
            "CREATE INDEX records_platform ON records (platform, label, channel, last_seen)",
            "CREATE INDEX records_channel ON records (channel, platform, label, last_seen)",
            "CREATE INDEX records_seen ON records (last_seen, label, platform, channel)",
        ],
    )


@migration("0008_reviews_and_cases")
def _reviews_and_cases(conn: sqlite3.Connection) -> None:
    """Analysts' decisions on records, and referrals of records to regulators.

    `reviews` keeps every decision (the history a chain of custody needs),
    each whole in `doc`; the newest one per record is copied into the
    record's `review`, `reviewed_at` and `reviewer` columns.  Those live in
    columns, not in the record's document, because a crawl's upsert replaces
    the document whole and must never drop a person's decision; they are
    added to the record when it is read.  Only decided records are indexed
    (`records_decided`, partial: queries say ``review != ''`` to use it):
    a full index would be rewritten at every sighting of every record, and
    the review queue's undecided records are found by walking records_order.

    `cases` holds each referral whole in `doc` (its events, its record ids),
    with what cases are listed and filtered by beside it."""
    _execute_all(
        conn,
        [
            "ALTER TABLE records ADD COLUMN review TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE records ADD COLUMN reviewed_at TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE records ADD COLUMN reviewer TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX records_decided ON records (review, reviewed_at) WHERE review != ''",
            """CREATE TABLE reviews (
                rid INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                record_id TEXT NOT NULL,
                decision TEXT NOT NULL,
                reviewer TEXT NOT NULL DEFAULT '',
                at_utc TEXT NOT NULL,
                doc TEXT NOT NULL
            )""",
            "CREATE INDEX reviews_record ON reviews (record_id, at_utc)",
            "CREATE INDEX reviews_at ON reviews (at_utc)",
            """CREATE TABLE cases (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL DEFAULT '',
                regulator TEXT NOT NULL DEFAULT '',
                sent_on TEXT NOT NULL DEFAULT '',
                created_utc TEXT NOT NULL DEFAULT '',
                doc TEXT NOT NULL
            )""",
            "CREATE INDEX cases_sent ON cases (sent_on, created_utc)",
            "CREATE INDEX cases_status ON cases (status, sent_on)",
        ],
    )


__all__ = ["MIGRATIONS", "Migration", "applied", "apply", "fill_text", "migration", "pending"]
