"""Text from outside, made safe to print on a terminal.

Ad text, folder names, a time-stamp authority's error pages and certificate
names are written by others: an ANSI escape sequence (which can rewrite the
screen or the window title), a bidi override (which reverses what a reader
sees) or another control or format character would act on the reader's
terminal.  ``printable`` shows each as an escape such as ``\\x1b`` or
``\\u202e`` instead.  The crawler's terminal output uses the same function.

``json_line`` is the same for JSON output (``--json``, ``--jsonl``): JSON
escapes only C0 controls, so a bidi override in an ad's text reached the
terminal raw; there every such character is written as a ``\\uXXXX`` escape,
which any JSON reader turns back into the same text.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

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


def marked(text: str) -> str:
    """``text`` with the same characters as ``printable`` escapes shown as
    marks a reader sees, ``⟨U+202E⟩`` (the web workbench's pages)."""
    return "".join(
        f"⟨U+{ord(ch):04X}⟩" if ch not in _KEEP and unicodedata.category(ch) in _ESCAPED else ch
        for ch in text
    )


class _JsonEscapes(dict[int, str]):
    """str.translate table for a dumped JSON text: a character of the escaped
    categories to its ``\\uXXXX`` escape (a surrogate pair above U+FFFF), any
    other to itself; worked out on the first sight of each character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        value = ch
        if unicodedata.category(ch) in _ESCAPED:
            units = [code] if code < 0x10000 else [0xD7C0 + (code >> 10), 0xDC00 + (code & 0x3FF)]
            value = "".join(f"\\u{unit:04x}" for unit in units)
        if len(self) < 200_000:  # hostile input cannot grow it without bound
            self[code] = value
        return value


_JSON_ESCAPES = _JsonEscapes()


def json_line(value: Any) -> str:
    """``value`` as one line of JSON (Chinese and other text kept readable)
    in which control, format (bidi, zero-width), private-use, surrogate and
    line or paragraph separator characters are ``\\uXXXX`` escapes: safe to
    print, and a lone surrogate from a badly decoded page cannot stop the
    output with an encoding error."""
    text = json.dumps(value, ensure_ascii=False)
    if text.isascii() and "\x7f" not in text:
        return text  # the common case: JSON has escaped every C0 control already
    return text.translate(_JSON_ESCAPES)
