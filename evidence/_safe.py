"""Text from outside, made safe to print on a terminal.

Folder names, a time-stamp authority's error pages, certificate names and ad
text are written by others: a control character, an ANSI escape or a bidi
override in them would act on the reader's terminal (clear it, recolour it,
reverse what follows).  ``printable`` shows them as escapes instead.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control, ANSI and bidi characters written as escapes."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
