"""Timestamps as sortable keys.

Records carry ISO 8601 strings written by many hands (``...Z``, ``+08:00``,
naive, date only).  SQLite compares text, so every time column the catalogue
filters or sorts on holds one canonical form: UTC, second precision, ``Z``.
The record document keeps the original string untouched.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# The form the crawler writes (items.utc_now); recognised without parsing.
_CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", re.ASCII)


def parse_utc(value: str) -> str:
    """Canonical UTC key for an ISO date or datetime; ValueError if it is not one.

    Naive times are taken as UTC (the crawler writes UTC everywhere).
    """
    dt = datetime.fromisoformat(value.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        dt = dt.astimezone(UTC)
    except OverflowError as exc:  # year 1 with a positive offset, and the like
        raise ValueError(f"{value!r} is out of range in UTC") from exc
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_key(value: object) -> str:
    """Like `parse_utc` but lenient: stored data is never refused for a bad
    timestamp, it just sorts by its raw text ("" for missing)."""
    if not isinstance(value, str) or not value:
        return ""
    if _CANONICAL.fullmatch(value):
        return value
    try:
        return parse_utc(value)
    except ValueError:
        return value
