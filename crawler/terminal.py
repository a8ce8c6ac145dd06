"""Showing hostile text on a terminal.

Ad text may carry ANSI escape sequences (which can rewrite the screen or the
window title), bidi overrides (which reverse what a reader sees) and other
control characters.  ``printable`` makes each visible as an escape such as
``\\x1b`` or ``\\u202e`` instead of letting the terminal act on it.
"""

from __future__ import annotations

import unicodedata

_KEEP = {"\n", "\t"}


def printable(text: str, one_line: bool = False) -> str:
    out: list[str] = []
    for ch in text:
        if ch in _KEEP and not one_line:
            out.append(ch)
        elif ch in _KEEP:
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def shorten(text: str, width: int) -> str:
    text = printable(text, one_line=True)
    return text if len(text) <= width else text[: width - 1] + "…"
