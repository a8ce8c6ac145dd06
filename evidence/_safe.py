"""Text from outside, made safe to print on a terminal.

Ad text, folder names, a time-stamp authority's error pages and certificate
names are written by others: an ANSI escape sequence (which can rewrite the
screen or the window title), a bidi override (which reverses what a reader
sees) or another control or format character would act on the reader's
terminal.  ``printable`` shows each as an escape such as ``\\x1b`` or
``\\u202e`` instead.  The crawler's terminal output uses the same function.
"""

from __future__ import annotations

import unicodedata

_KEEP = {"\n", "\t"}
_ESCAPED = ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def printable(text: str, one_line: bool = False) -> str:
    """``text`` with control, format (bidi, zero-width) and private characters
    written as escapes; with ``one_line``, newlines and tabs become spaces."""
    out: list[str] = []
    for ch in text:
        if ch in _KEEP:
            out.append(" " if one_line else ch)
        elif unicodedata.category(ch) in _ESCAPED:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
