"""What is searchable in a record, how a user query is read, how a hit is shown.

Shared by every backend so that SQLite and Elasticsearch agree on what
"found" means.  Nothing here escapes markup: ad text is data, and the
renderer (CLI, HTML dossier) escapes at the edge where it knows the medium.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MARK_OPEN, MARK_CLOSE = "【", "】"
ELLIPSIS = "…"
# Characters shown either side of the first hit; ads are short, and a
# snippet is read on one terminal line or one table cell.
SNIPPET_CONTEXT = 40
# Trigram indexes cannot look up anything shorter than three characters.
TRIGRAM = 3

# Control characters and lone surrogates (left by badly decoded pages, and
# not storable as UTF-8): blanked in what is indexed and in queries alike.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SPACE = re.compile(r"\s+")


def _strings(values: Iterable[Any]) -> list[str]:
    return [v for v in values if isinstance(v, str) and v]


def search_text(record: Mapping[str, Any]) -> str:
    """Everything an analyst may search for, one field per line.

    Title, text, author name, price, region, the query that found the ad,
    contact values (as shown and normalized) and OCR text of the images.
    Control characters are blanked: pages are hostile and NUL confuses
    C string APIs downstream.
    """
    author = record.get("author") or {}
    contacts = [c for c in record.get("contacts") or [] if isinstance(c, Mapping)]
    ocr = [
        (image.get("ocr") or {}).get("text")
        for image in record.get("images") or []
        if isinstance(image, Mapping) and isinstance(image.get("ocr"), Mapping)
    ]
    parts = _strings(
        [
            record.get("title"),
            record.get("text"),
            author.get("name") if isinstance(author, Mapping) else None,
            record.get("price"),
            record.get("region"),
            record.get("query"),
        ]
    )
    parts += _strings(c.get(key) for c in contacts for key in ("value", "normalized"))
    parts += _strings(ocr)
    return _CONTROL.sub(" ", "\n".join(parts))


def terms(query: str) -> list[str]:
    """Split a user query into literal terms (whitespace separates, all must match).

    No operators, no wildcards, no quoting syntax: a query is hostile input and
    every character in it is just a character to find.  Duplicates are dropped.
    """
    seen: dict[str, None] = {}
    for term in _CONTROL.sub(" ", query).split():
        seen.setdefault(term, None)
    return list(seen)


def _windows(flat: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Context windows around the given hits, overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        lo, hi = max(0, start - SNIPPET_CONTEXT), min(len(flat), end + SNIPPET_CONTEXT)
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def snippet(body: str, found: list[str]) -> str:
    """Short excerpts around the first hit of each term, every hit in them
    marked 【like this】, joined by an ellipsis.

    With no terms it is the start of the body.  Matching ignores case, like
    the indexes do; a hit an index found under a different case folding is
    simply shown unmarked.
    """
    flat = _SPACE.sub(" ", body).strip()
    alternatives = sorted(found, key=len, reverse=True)  # longest wins at a position
    pattern = re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)
    firsts = [
        (m.start(), m.end())
        for m in (re.search(re.escape(term), flat, re.IGNORECASE) for term in found)
        if m is not None
    ]
    if not firsts:
        width = 2 * SNIPPET_CONTEXT
        return flat[:width] + (ELLIPSIS if len(flat) > width else "")
    windows = _windows(flat, firsts)
    parts = [
        pattern.sub(lambda m: f"{MARK_OPEN}{m.group(0)}{MARK_CLOSE}", flat[lo:hi])
        for lo, hi in windows
    ]
    head = ELLIPSIS if windows[0][0] > 0 else ""
    tail = ELLIPSIS if windows[-1][1] < len(flat) else ""
    return head + f" {ELLIPSIS} ".join(parts) + tail
