"""A second look at letters the recogniser reads by context: ``l`` / ``I`` / ``1``
(and an ``i`` with no dot) and ``o`` / ``0`` / ``O`` inside IDs.

Inside lower-case letters the PP-OCR recogniser prefers the lower-case reading:
``aw1ea`` comes out ``awlea``, ``mnjsb0nz`` as ``mnjsbonz``, even at 36 px where
the picture leaves no doubt.  The glyphs differ in height, and the line itself
shows which height is which: in nearly every Latin font a lower-case ``l``
reaches the ascender line (the stems of ``b d h k``), ``I`` and ``1`` stop at the
cap and digit line (``2``-``9``, capitals), and ``o`` at the x-height (``a c e m n
r s u v w x z``).  So for each such letter in an ID-like token the ink is
measured (subpixel, from the anti-aliased edges) against the heights of its
neighbours in the same line, and a lower-case reading standing at the cap line
is replaced by the recogniser's own better-scoring capital or digit (``I`` or
``1``; ``0`` or ``O``).  An ``i`` reading is looked at only when no dot stands
over its stroke.

It only overrules, never guesses: nothing changes unless the line holds both
reference heights, they are clearly apart (fonts such as Arial draw ``l`` and
``I`` the same height, and there is nothing to measure), and the letter stands
clearly at one of them.  Upper-case and digit readings are left alone: the
recogniser's bias runs the other way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

ASCENDERS = frozenset("bdhk")  # straight stems up to the ascender line
CAP_LINE = frozenset("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")  # I, O, 0, 1: look-alikes
X_HEIGHT = frozenset("acemnrsuvwxz")
TALL_READS = {"l": "I1", "i": "I1", "ì": "I1", "ī": "I1", "í": "I1"}  # read -> cap-line choices
DOTTED = frozenset("iìīí")  # readings that are only suspect when no dot is seen
ROUND_READS = {"o": "0O"}
TOKEN = re.compile(r"[A-Za-z0-9_\-ìīí]{4,}")

# a letter at z (0 = the lower reference, 1 = the upper) is judged only when it
# is clearly nearer one end; outside [-0.5, 1.5] the measurement went astray
TALL_CAP_BELOW = 0.35  # l-like reading at most this far up from the cap line: I or 1
ROUND_CAP_ABOVE = 0.7  # o reading at least this far up from the x-height: 0 or O
MIN_GAP_PX = 0.35  # reference lines closer than this cannot be told apart
MIN_GAP_SHARE = 0.03  # ... nor closer than this share of the cap height
FRAGMENT = 0.8  # a reference glyph shorter than this share of its kind's tallest is a piece
PEAK_INK = 0.3  # columns whose darkest ink is fainter than this hold no glyph
STROKE_INK = 0.5  # pixels at least this inked are part of a stroke


@dataclass
class Ink:
    height: float  # crop pixels, subpixel
    bare: bool  # nothing inked right above the stroke: no dot (not an i or j)


@dataclass
class Glyph:
    char: str
    first: int  # CTC frames the character was read in
    last: int


def decode(probs: Any, charset: Sequence[str]) -> list[Glyph]:
    """Greedy CTC decoding (index 0 is the blank), keeping each character's frames."""
    glyphs: list[Glyph] = []
    previous = 0
    for t, k in enumerate(probs.argmax(1).tolist()):
        if k and k == previous:
            glyphs[-1].last = t
        elif k:
            glyphs.append(Glyph(charset[k], t, t))
        previous = k
    return glyphs


def ink_map(gray: Any) -> Any:
    """Ink coverage per pixel, 0 (background) to 1 (full ink), either polarity:
    the background is the median grey, the ink the extreme furthest from it."""
    import numpy as np

    bg = float(np.median(gray))
    dark, light = np.percentile(gray, (2, 98))
    if bg - dark >= light - bg:
        ink = (bg - gray) / max(1.0, bg - dark)
    else:
        ink = (gray - bg) / max(1.0, light - bg)
    return np.clip(ink, 0.0, 1.0)


def extent(ink: Any, x0: float, x1: float) -> tuple[float, float] | None:
    """Top and bottom (subpixel: where the coverage crosses half its peak) of
    the ink in columns [x0, x1)."""
    lo = max(0, int(x0))
    hi = min(ink.shape[1], max(lo + 1, math.ceil(x1)))
    if hi <= lo:
        return None
    profile = ink[:, lo:hi].max(1)
    peak = float(profile.max())
    if peak < PEAK_INK:
        return None
    half = peak / 2
    rows = (profile >= half).nonzero()[0]
    r0, r1 = int(rows[0]), int(rows[-1])
    above = float(profile[r0 - 1]) if r0 > 0 else 0.0
    below = float(profile[r1 + 1]) if r1 + 1 < len(profile) else 0.0
    top = r0 + 0.5 - (float(profile[r0]) - half) / max(1e-6, float(profile[r0]) - above)
    bottom = r1 + 0.5 + (float(profile[r1]) - half) / max(1e-6, float(profile[r1]) - below)
    return top, bottom


def heights(
    crop_bgr: Any, glyphs: list[Glyph], frames: int, input_width: int, resized_width: int
) -> list[Ink | None]:
    """Each glyph's ink: its height in crop pixels, and whether it has a dot
    (None where nothing was measured).

    The recogniser gave ``frames`` outputs for an input ``input_width`` pixels
    wide, of which the crop, resized, filled the first ``resized_width``.  Its
    frames place a glyph only to within about one narrow letter, so a window
    at that place would catch a neighbour's stem or descender: a glyph is
    measured on one stroke (connected ink), the one nearest the middle of its
    cell (for b, d, h, k the tallest: the stem), and only if that stroke is
    nearer this glyph than any other, no other glyph claims it, and no letter
    beside it that found no stroke of its own could own it.  A stroke wider
    than the cell allows is touching a neighbour and is not measured either."""
    import cv2
    import numpy as np

    gray = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY).astype("float32")
    ink = ink_map(gray)
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(
        (ink >= STROKE_INK).astype(np.uint8), connectivity=8
    )
    tallest = max((int(stats[i, cv2.CC_STAT_HEIGHT]) for i in range(1, count)), default=0)
    # strokes at least a third of the tallest: dots, underscores and specks left out
    span = {
        i: (
            int(stats[i, cv2.CC_STAT_LEFT]),
            int(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH]),
        )
        for i in range(1, count)
        if stats[i, cv2.CC_STAT_HEIGHT] >= 0.3 * tallest
    }
    per_frame = input_width / frames * crop_bgr.shape[1] / resized_width
    centres = [(g.first + g.last + 1) / 2 * per_frame for g in glyphs]
    cells = []
    for k, cx in enumerate(centres):
        left = centres[k - 1] if k else cx - 2 * per_frame
        right = centres[k + 1] if k + 1 < len(glyphs) else cx + 2 * per_frame
        cells.append(((left + cx) / 2, (cx + right) / 2))
    claimed: list[int] = []  # per glyph: its stroke, or 0
    for k, (x0, x1) in enumerate(cells):
        near = [i for i, (a, b) in span.items() if a < x1 and b > x0 and b - a <= 1.6 * (x1 - x0)]
        if glyphs[k].char in ASCENDERS:
            # the stem: a serif face's bowl or arch may come apart from it
            tried = sorted(near, key=lambda i: -int(stats[i, cv2.CC_STAT_HEIGHT]))
        else:
            tried = sorted(near, key=lambda i: abs(sum(span[i]) / 2 - (x0 + x1) / 2))[:1]
        # a stroke nearer another glyph than this one is not this one's
        mine = (
            i
            for i in tried
            if min(range(len(centres)), key=lambda j: abs(centres[j] - sum(span[i]) / 2)) == k
        )
        claimed.append(next(mine, 0))
    out: list[Ink | None] = []
    for k, i in enumerate(claimed):
        if not i or claimed.count(i) > 1 or _maybe_neighbours(glyphs, cells, claimed, span[i], k):
            out.append(None)
            continue
        x, end = span[i]
        # the stroke's own pixels and their anti-aliased rim, nothing of its neighbours
        mask = cv2.dilate((labels == i).astype(np.uint8), np.ones((3, 3), np.uint8))
        found = extent(ink * mask, x, end)
        if found is None:
            out.append(None)
            continue
        top = int(stats[i, cv2.CC_STAT_TOP])
        dots = [
            j
            for j in range(1, count)
            if j != i
            and stats[j, cv2.CC_STAT_LEFT] < end
            and stats[j, cv2.CC_STAT_LEFT] + stats[j, cv2.CC_STAT_WIDTH] > x
            and stats[j, cv2.CC_STAT_TOP] + stats[j, cv2.CC_STAT_HEIGHT] <= top
            and stats[j, cv2.CC_STAT_TOP] + stats[j, cv2.CC_STAT_HEIGHT]
            >= top - 0.5 * (found[1] - found[0])
        ]
        out.append(Ink(found[1] - found[0], bare=not dots))
    return out


def _maybe_neighbours(
    glyphs: list[Glyph],
    cells: list[tuple[float, float]],
    claimed: list[int],
    stroke: tuple[int, int],
    k: int,
) -> bool:
    """Whether a letter or digit beside glyph k found no stroke of its own and
    its cell holds a quarter or more of k's stroke: then k's stroke may well
    be that neighbour's."""
    for j in (k - 1, k + 1):
        if 0 <= j < len(glyphs) and glyphs[j].char.isascii() and glyphs[j].char.isalnum():
            x0, x1 = cells[j]
            overlap = min(stroke[1], x1) - max(stroke[0], x0)
            if not claimed[j] and overlap >= 0.25 * (stroke[1] - stroke[0]):
                return True
    return False


def _apart(low: float, high: float) -> bool:
    return high - low >= max(MIN_GAP_PX, MIN_GAP_SHARE * high)


def second_look(
    crop_bgr: Any, probs: Any, charset: Sequence[str], input_width: int, resized_width: int
) -> tuple[str, list[tuple[int, str, str]]]:
    """The line's text with look-alike readings corrected, and the changes made
    as (position, read, now).  ``probs``: the recogniser's (frames, classes)
    output for the crop (see ``heights`` for the widths); ``charset[k]`` is
    class k's character."""
    glyphs = decode(probs, charset)
    text = "".join(g.char for g in glyphs)
    ascii_at = _in_tokens(text)
    suspects = [k for k in ascii_at if text[k] in TALL_READS or text[k] in ROUND_READS]
    if not suspects:
        return text, []
    measured = heights(crop_bgr, glyphs, probs.shape[0], input_width, resized_width)

    def in_number(k: int) -> bool:  # a 0 or 1 beside another digit is a digit
        return any(0 <= j < len(text) and text[j].isdigit() for j in (k - 1, k + 1))

    def reference(letters: frozenset[str], numbers: bool = False) -> float | None:
        found = [
            h
            for k in ascii_at
            if (text[k] in letters or (numbers and text[k] in "01" and in_number(k)))
            and (m := measured[k]) is not None
            and (h := m.height)
        ]
        # a glyph whose hairline fell under the threshold was measured on a piece
        whole = [h for h in found if h >= FRAGMENT * max(found, default=0.0)]
        return median(whole) if whole else None

    asc, x_height = reference(ASCENDERS), reference(X_HEIGHT)
    cap = reference(CAP_LINE, numbers=True)
    index = {c: i for i, c in enumerate(charset)}
    chars = list(text)
    changes: list[tuple[int, str, str]] = []
    for k in suspects:
        m = measured[k]
        read = text[k]
        if m is None or (read in DOTTED and not m.bare):
            continue  # not measured, or a real i: the dot is there
        h = m.height
        if read in TALL_READS and asc is not None and cap is not None and _apart(cap, asc):
            z = (h - cap) / (asc - cap)
            options = TALL_READS[read] if -0.5 <= z <= TALL_CAP_BELOW else ""
        elif read in ROUND_READS and cap is not None and x_height is not None:
            z = (h - x_height) / (cap - x_height) if _apart(x_height, cap) else -1.0
            options = ROUND_READS[read] if ROUND_CAP_ABOVE <= z <= 1.5 else ""
        else:
            options = ""
        choices = [c for c in options if c in index]
        if not choices:
            continue
        g = glyphs[k]
        window = probs[max(0, g.first - 1) : g.last + 2].max(0)
        best = max(choices, key=lambda c: float(window[index[c]]))
        chars[k] = best
        changes.append((k, read, best))
    return "".join(chars), changes


def _in_tokens(text: str) -> list[int]:
    """Positions of the characters of the line's ID-like tokens."""
    return [k for m in TOKEN.finditer(text) for k in range(m.start(), m.end())]


def suspect(text: str) -> bool:
    """Whether a line holds an ID-like token with a reading worth a second look."""
    return any(text[k] in TALL_READS or text[k] in ROUND_READS for k in _in_tokens(text))
