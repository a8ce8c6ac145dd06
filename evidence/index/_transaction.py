"""Explicit SQLite transactions.

Connections run in autocommit mode (``isolation_level=None``) so that nothing
commits behind our back (Python's legacy mode commits implicitly and
``executescript`` always does); every write goes through `transaction`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error.

    IMMEDIATE takes the write lock up front, so two writers wait for each
    other (busy_timeout) instead of failing half-way with SQLITE_BUSY.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction: several queries (a count and a page of hits) see
    one state of the database even while another connection writes (WAL)."""
    conn.execute("BEGIN DEFERRED")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")
