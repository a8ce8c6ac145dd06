"""Showing hostile text on a terminal.

Ad text may carry ANSI escape sequences (which can rewrite the screen or the
window title), bidi overrides (which reverse what a reader sees) and other
control characters.  ``printable`` (shared with evidence/, which may not
import the crawler) makes each visible as an escape such as ``\\x1b`` or
``\\u202e`` instead of letting the terminal act on it.
"""

from __future__ import annotations

from evidence.safe_text import printable

__all__ = ["printable", "shorten"]


def shorten(text: str, width: int) -> str:
    text = printable(text, one_line=True)
    return text if len(text) <= width else text[: width - 1] + "…"
