"""The searchable catalogue: one interface, backends chosen by URI scheme.

    open_catalogue("sqlite:///var/adwatch/catalogue.db")   # a file (absolute path)
    open_catalogue("sqlite://var/catalogue.db")             # a file (relative path)
    open_catalogue("var/catalogue.db")                      # a path ending .db/.sqlite
    open_catalogue("sqlite://:memory:")  # or "sqlite://"   # in memory, for tests
    open_catalogue("elasticsearch+https://es.example:9200")  # a cluster
    open_catalogue("elasticsearch://")                      # the cluster at $ADWATCH_ES_URL

Everything after ``scheme://`` is the location, as in ``file://`` URLs (not
SQLAlchemy's extra slash); ``elasticsearch+http(s)`` says how to reach the
cluster (see elastic.py for its options and credentials).  A new backend is
one entry in `BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .base import (
    DECISIONS,
    REVIEW_FIELDS,
    Catalogue,
    CatalogueError,
    SearchResult,
    UpsertResult,
)
from .sqlite import MEMORY, SqliteCatalogue


def _sqlite(scheme: str, location: str, **options: Any) -> Catalogue:
    memory = location in ("", MEMORY)
    return SqliteCatalogue(MEMORY if memory else str(Path(location).expanduser()))


def _elasticsearch(scheme: str, location: str, **options: Any) -> Catalogue:
    from .elastic import open_elastic  # the client is only imported when used

    return open_elastic(scheme, location, **options)


# Scheme (before any "+transport") -> opener of (scheme, location after "://").
BACKENDS: dict[str, Callable[..., Catalogue]] = {
    "sqlite": _sqlite,
    "elasticsearch": _elasticsearch,
    "es": _elasticsearch,
}
# A bare path (no "://") names its backend by its suffix.
PATH_SUFFIXES: dict[str, str] = {".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite"}


def _known() -> str:
    suffixes = "/".join(PATH_SUFFIXES)
    return f"{', '.join(f'{s}://' for s in sorted(BACKENDS))}, or a path ending in {suffixes}"


def open_catalogue(uri: str, *, normalizer: Callable[[str], str] | None = None) -> Catalogue:
    """Open (creating and migrating if need be) the catalogue `uri` names.

    `normalizer` turns ad text into the form detection matches (the crawler
    passes its own); backends that index a normalised copy use it.
    """
    scheme, sep, location = uri.partition("://")
    if not sep:
        scheme, location = PATH_SUFFIXES.get(Path(uri).suffix.lower(), ""), uri
        if not scheme:
            raise ValueError(f"catalogue {uri!r} has no scheme and no known suffix; use {_known()}")
    opener = BACKENDS.get(scheme.lower().partition("+")[0])
    if opener is None:
        raise ValueError(f"unknown catalogue scheme {scheme!r} in {uri!r}; known: {_known()}")
    if opener is _elasticsearch:
        return opener(scheme.lower(), location, normalizer=normalizer)
    return opener(scheme.lower(), location)


__all__ = [
    "BACKENDS",
    "DECISIONS",
    "PATH_SUFFIXES",
    "REVIEW_FIELDS",
    "Catalogue",
    "CatalogueError",
    "SearchResult",
    "SqliteCatalogue",
    "UpsertResult",
    "open_catalogue",
]
