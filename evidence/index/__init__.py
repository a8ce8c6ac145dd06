"""The searchable catalogue: one interface, backends chosen by URI scheme.

    open_catalogue("sqlite:///var/adwatch/catalogue.db")   # a file (absolute path)
    open_catalogue("sqlite://var/catalogue.db")             # a file (relative path)
    open_catalogue("var/catalogue.db")                      # a path ending .db/.sqlite
    open_catalogue("sqlite://:memory:")  # or "sqlite://"   # in memory, for tests

Everything after ``scheme://`` is the location, as in ``file://`` URLs (not
SQLAlchemy's extra slash).  A new backend is one entry in `BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .base import Catalogue, SearchResult, UpsertResult
from .sqlite import MEMORY, SqliteCatalogue


def _sqlite(location: str) -> Catalogue:
    memory = location in ("", MEMORY)
    return SqliteCatalogue(MEMORY if memory else str(Path(location).expanduser()))


def _elasticsearch(location: str) -> Catalogue:
    raise NotImplementedError(
        "the Elasticsearch catalogue is not built yet (it will live in "
        f"evidence/index/elastic.py); asked for {location!r}. "
        "Use sqlite:///path/to/catalogue.db meanwhile."
    )


# Scheme -> opener of the location after "scheme://".
BACKENDS: dict[str, Callable[[str], Catalogue]] = {
    "sqlite": _sqlite,
    "elasticsearch": _elasticsearch,
    "es": _elasticsearch,
}
# A bare path (no "://") names its backend by its suffix.
PATH_SUFFIXES: dict[str, str] = {".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite"}


def _known() -> str:
    suffixes = "/".join(PATH_SUFFIXES)
    return f"{', '.join(f'{s}://' for s in sorted(BACKENDS))}, or a path ending in {suffixes}"


def open_catalogue(uri: str) -> Catalogue:
    """Open (creating and migrating if need be) the catalogue `uri` names."""
    scheme, sep, location = uri.partition("://")
    if not sep:
        scheme, location = PATH_SUFFIXES.get(Path(uri).suffix.lower(), ""), uri
        if not scheme:
            raise ValueError(f"catalogue {uri!r} has no scheme and no known suffix; use {_known()}")
    opener = BACKENDS.get(scheme.lower())
    if opener is None:
        raise ValueError(f"unknown catalogue scheme {scheme!r} in {uri!r}; known: {_known()}")
    return opener(location)


__all__ = [
    "BACKENDS",
    "PATH_SUFFIXES",
    "Catalogue",
    "SearchResult",
    "SqliteCatalogue",
    "UpsertResult",
    "open_catalogue",
]
