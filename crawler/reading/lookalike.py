"""A second look at letters the recogniser reads by context: ``l`` / ``I`` / ``1``
(and an ``i`` with no dot) and ``o`` / ``0`` / ``O`` inside IDs, capitals
shaped like their lower case, and underscores.

Inside lower-case letters the PP-OCR recogniser prefers the lower-case reading:
``aw1ea`` comes out ``awlea``, ``mnjsb0nz`` as ``mnjsbonz``, even at 36 px where
the picture leaves no doubt.  The glyphs differ in height, and the line itself
shows which height is which: in nearly every Latin font a lower-case ``l``
reaches the ascender line (the stems of ``b d h k``), ``I`` and ``1`` stop at the
cap and digit line (``2``-``9``, most capitals), and ``o`` at the x-height (``a c e m n
r s u v w x z``).  So for each such letter in an ID-like token the ink is
measured (subpixel, from the anti-aliased edges) against the heights of its
neighbours in the same line, and a lower-case reading standing at the cap line
is replaced by the recogniser's own better-scoring capital or digit (``I`` or
``1``; ``0`` or ``O``).  An ``i`` reading is looked at only when no dot stands
over its stroke.

The same heights settle ``C S V W X Z``: drawn like their lower-case letters,
only taller, they are sometimes read as capitals inside lower-case IDs
(``xzcvwsx`` as ``xzcVWSX``); one standing at the x-height is lower case.

Underscores sit on the recogniser's decision edge too: a long thin stroke,
emitted in one frame or not at all, read as ``.``, or emitted twice, most of all
where a descender's tail (``g``, ``p``) runs into it.  Where the recogniser gave
``_`` fair odds but read ``.`` or nothing, an underscore is put in if the ink
shows one (a flat stroke on the baseline, about three quarters of the cap
height long, with nothing above it), and two read on a stroke no longer than
one become one.

It only overrules, never guesses: nothing changes unless the line holds the
reference heights, they are clearly apart (fonts such as Arial draw ``l`` and
``I`` the same height, and there is nothing to measure), and the letter stands
clearly at one of them.  Other upper-case and digit readings are left alone:
the recogniser's bias runs the other way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import median
from typing import Any

ASCENDERS = frozenset("bdhk")  # straight stems up to the ascender line
# I, O, 0, 1 are look-alikes; C S V W X Z are read for their lower case (below)
CAP_LINE = frozenset("23456789ABDEFGHJKLMNPQRTUY")
X_HEIGHT = frozenset("acemnrsuvwxz")
TALL_READS = {"l": "I1", "i": "I1", "ì": "I1", "ī": "I1", "í": "I1"}  # read -> cap-line choices
DOTTED = frozenset("iìīí")  # readings that are only suspect when no dot is seen
ROUND_READS = {"o": "0O"}
# capitals drawn as their lower-case letter, only larger: told apart by height alone
SAME_SHAPE = {"C": "c", "S": "s", "V": "v", "W": "w", "X": "x", "Z": "z"}
DESCENDERS = frozenset("gjpqy")
DASHES = frozenset("-–—")
UNDERSCORE_READS = DASHES | {".", ","}  # what an underscore is misread as
MARKS = UNDERSCORE_READS | {"_"}
ON_BASELINE = CAP_LINE | X_HEIGHT | ASCENDERS  # the glyphs whose bottoms give the baseline
TOKEN = re.compile(r"[A-Za-z0-9_\-–—.,ìīí]{4,}")

# a letter at z (0 = the lower reference, 1 = the upper) is judged only when it
# is clearly nearer one end; outside [-0.5, 1.5] the measurement went astray
TALL_CAP_BELOW = 0.35  # l-like reading at most this far up from the cap line: I or 1
ROUND_CAP_ABOVE = 0.7  # o reading at least this far up from the x-height: 0 or O
SMALL_CAP_BELOW = 0.3  # C S V W X Z reading at most this far up from the x-height: lower case
UNDERSCORE_ODDS = 0.2  # the recogniser's own odds for "_" where it read "." or nothing
MIN_GAP_PX = 0.35  # reference lines closer than this cannot be told apart
MIN_GAP_SHARE = 0.03  # ... nor closer than this share of the cap height
FRAGMENT = 0.8  # a reference glyph shorter than this share of its kind's tallest is a piece
PEAK_INK = 0.3  # columns whose darkest ink is fainter than this hold no glyph
STROKE_INK = 0.5  # pixels at least this inked are part of a stroke


@dataclass
class Ink:
    height: float  # crop pixels, subpixel
    bare: bool  # nothing inked right above the stroke: no dot (not an i or j)
    bottom: float  # crop row (subpixel) where the stroke ends below


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


def place(
    crop_bgr: Any, glyphs: list[Glyph], frames: int, input_width: int, resized_width: int
) -> tuple[Any, float, list[float]]:
    """The crop's ink map (see ``ink_map``), the crop pixels per recogniser
    frame, and each glyph's centre (crop column).  The recogniser gave
    ``frames`` outputs for an input ``input_width`` pixels wide, of which the
    crop, resized, filled the first ``resized_width``."""
    import cv2

    ink = ink_map(cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY).astype("float32"))
    per_frame = input_width / frames * crop_bgr.shape[1] / resized_width
    return ink, per_frame, [(g.first + g.last + 1) / 2 * per_frame for g in glyphs]


def heights(
    ink: Any, glyphs: list[Glyph], centres: list[float], per_frame: float
) -> list[Ink | None]:
    """Each glyph's ink: its height in crop pixels, and whether it has a dot
    (None where nothing was measured).  ``ink``, ``centres`` and
    ``per_frame``: see ``place``.

    The recogniser's frames place a glyph only to within about one narrow letter, so a window
    at that place would catch a neighbour's stem or descender: a glyph is
    measured on one stroke (connected ink), the one nearest the middle of its
    cell (for b, d, h, k the tallest: the stem), and only if that stroke is
    nearer this glyph than any other, no other glyph claims it, and no letter
    beside it that found no stroke of its own could own it.  A stroke wider
    than the cell allows is touching a neighbour and is not measured either."""
    import cv2
    import numpy as np

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
        out.append(Ink(found[1] - found[0], bare=not dots, bottom=found[1]))
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
) -> tuple[str, str]:
    """The line as read again and as seen: ``(seen, read)``, where ``read`` is
    the recogniser's greedy reading of ``probs``, its (frames, classes) output
    for the crop (see ``place`` for the widths; ``charset[k]`` is class k's
    character), and ``seen`` that reading with look-alike letters, capitals
    drawn at the x-height and underscores put right."""
    glyphs = decode(probs, charset)
    read = "".join(g.char for g in glyphs)
    ascii_at = _in_tokens(read)
    index = _index(charset)
    marks = _maybe_underscores(glyphs, probs, index, set(ascii_at))
    suspects = [k for k in ascii_at if read[k] in TALL_READS or read[k] in ROUND_READS]
    suspects += [k for k in ascii_at if read[k] in SAME_SHAPE]
    doubled = "__" in read
    if not suspects and not marks and not doubled:
        return read, read
    ink, per_frame, centres = place(crop_bgr, glyphs, probs.shape[0], input_width, resized_width)
    measured = heights(ink, glyphs, centres, per_frame)

    def in_number(k: int) -> bool:  # a 0 or 1 beside another digit is a digit
        return any(0 <= j < len(read) and read[j].isdigit() for j in (k - 1, k + 1))

    def reference(letters: frozenset[str], numbers: bool = False) -> float | None:
        found = [
            h
            for k in ascii_at
            if (read[k] in letters or (numbers and read[k] in "01" and in_number(k)))
            and (m := measured[k]) is not None
            and (h := m.height)
        ]
        # a glyph whose hairline fell under the threshold was measured on a piece
        whole = [h for h in found if h >= FRAGMENT * max(found, default=0.0)]
        return median(whole) if whole else None

    asc, x_height = reference(ASCENDERS), reference(X_HEIGHT)
    cap = reference(CAP_LINE, numbers=True)
    bottoms = [
        m.bottom for k in ascii_at if read[k] in ON_BASELINE and (m := measured[k]) is not None
    ]
    baseline = median(bottoms) if bottoms else None
    chars = list(read)
    for k in sorted(suspects):
        m = measured[k]
        was = read[k]
        if m is None or (was in DOTTED and not m.bare):
            continue  # not measured, or a real i: the dot is there
        h = m.height
        options = ""
        if was in TALL_READS and asc is not None and cap is not None and _apart(cap, asc):
            z = (h - cap) / (asc - cap)
            options = TALL_READS[was] if -0.5 <= z <= TALL_CAP_BELOW else ""
        elif cap is not None and x_height is not None and _apart(x_height, cap):
            z = (h - x_height) / (cap - x_height)
            if was in ROUND_READS:
                options = ROUND_READS[was] if ROUND_CAP_ABOVE <= z <= 1.5 else ""
            elif was in SAME_SHAPE and _on(baseline, m, cap):
                # a stroke that stops above the baseline was measured in part
                # (the faint point of a thin V) or is not the ID's (the V of a
                # label "加V" run into it): its height says nothing
                options = SAME_SHAPE[was] if -0.5 <= z <= SMALL_CAP_BELOW else ""
        choices = [c for c in options if c in index]
        if choices:
            g = glyphs[k]
            window = probs[max(0, g.first - 1) : g.last + 2].max(0)
            chars[k] = max(choices, key=lambda c: float(window[index[c]]))
    if (marks or doubled) and cap is not None and baseline is not None:
        chars = _underscores(chars, marks, ink, centres, baseline, cap)
    return "".join(chars), read


def _on(baseline: float | None, ink: Ink, cap: float) -> bool:
    """Whether a glyph stands on the baseline (to a tenth of the cap height)."""
    return baseline is not None and abs(ink.bottom - baseline) <= 0.1 * cap


_indexes: dict[int, tuple[Sequence[str], dict[str, int]]] = {}


def _index(charset: Sequence[str]) -> dict[str, int]:
    """Each character's class, worked out once per charset (6,000 and more
    characters: building it took longer than the measuring)."""
    known = _indexes.get(id(charset))
    if known is None or known[0] is not charset:
        known = _indexes[id(charset)] = (charset, {c: i for i, c in enumerate(charset)})
    return known[1]


def _maybe_underscores(
    glyphs: list[Glyph], probs: Any, index: dict[str, int], in_token: set[int]
) -> set[float]:
    """Where an underscore may have been misread: position k for a ``.`` or
    ``,`` read at k where the recogniser gave ``_`` fair odds, and for any
    dash read at k (a dash stands at mid-height, an underscore on the
    baseline: the ink tells them apart, whatever the odds); position k + 0.5
    for nothing read between the letters or digits k and k + 1 where it gave
    ``_`` fair odds in between."""
    us = index.get("_")
    if us is None:
        return set()
    places: set[float] = set()
    n = len(glyphs)
    for k, g in enumerate(glyphs):
        if k not in in_token or not 0 < k < n - 1:
            continue
        if (
            g.char in UNDERSCORE_READS
            and _id_char(glyphs[k - 1].char)
            and _id_char(glyphs[k + 1].char)
        ):
            p = float(probs[max(0, g.first - 1) : g.last + 2, us].max())
            if p >= UNDERSCORE_ODDS or g.char in DASHES:
                places.add(k)
    for k in range(n - 1):
        a, b = glyphs[k], glyphs[k + 1]
        if k in in_token and k + 1 in in_token and _alnum(a.char) and _alnum(b.char):
            between = probs[a.last + 1 : b.first, us]
            if between.size and float(between.max()) >= UNDERSCORE_ODDS:
                places.add(k + 0.5)
    return places


def _underscores(
    chars: list[str],
    marks: set[float],
    ink: Any,
    centres: list[float],
    baseline: float,
    cap: float,
) -> list[str]:
    """``chars`` with an underscore wherever one may have been misread
    (``marks``: see ``_maybe_underscores``) and the ink shows one, and with
    one underscore where the recogniser read two on a stroke no longer than
    one (an underscore is about three quarters of the cap height long, two
    are twice that).  ``ink`` and ``centres``: see ``place``."""

    def run(a: int, b: int) -> int:  # the flat run between glyphs a and b's centres
        if a < 0 or b >= len(centres):
            return 0
        return _flat_run(ink, centres[a], centres[b], baseline, cap)

    out: list[str] = []
    for k, c in enumerate(chars):
        if k in marks and run(k - 1, k + 1) >= cap / 3:
            c = "_"
        if c == "_" and out[-1:] == ["_"] and 0 < run(k - 2, k + 1) < 1.1 * cap:
            continue  # one underscore read twice
        out.append(c)
        if k + 0.5 in marks and run(k, k + 1) >= cap / 3:
            out.append("_")
    return out


def _flat_run(ink: Any, left: float, right: float, baseline: float, cap: float) -> int:
    """The longest run of columns between ``left`` and ``right`` whose ink
    lies as an underscore's does: starting no higher than just above the
    baseline, at most a third of the cap height thick.  An underscore makes
    a run about three quarters of the cap height long; a dot or a comma a
    short one; a letter's columns hold ink higher up.  The recogniser places
    glyphs only to within a frame or so, so the window reaches from one
    neighbour's centre to the other's."""
    a, b = max(0, int(left)), min(ink.shape[1], math.ceil(right))
    run = longest = 0
    for column in (ink[:, a:b] >= STROKE_INK).T:
        rows = column.nonzero()[0]
        flat = bool(rows.size) and rows[0] >= baseline - 0.15 * cap
        run = run + 1 if flat and rows[-1] - rows[0] + 1 <= cap / 3 else 0
        longest = max(longest, run)
    return longest


def _id_char(c: str) -> bool:
    return c == "_" or _alnum(c)


def _alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _in_tokens(text: str) -> list[int]:
    """Positions of the characters of the line's ID-like tokens."""
    return [k for m in TOKEN.finditer(text) for k in range(m.start(), m.end())]


def suspect(text: str) -> bool:
    """Whether a line holds an ID-like token worth a second look: a reading
    that may be a look-alike, a capital that may be lower case, or an
    underscore that may be misread or lost (after a descending letter, whose
    tail runs into it)."""
    for m in TOKEN.finditer(text):
        token = m.group()
        if any(c in TALL_READS or c in ROUND_READS or c in SAME_SHAPE for c in token):
            return True
        if any(c.isalpha() for c in token) and (
            any(c in UNDERSCORE_READS for c in token.strip(".,"))
            or "__" in token
            or any(a in DESCENDERS and _alnum(b) for a, b in pairwise(token))
        ):
            return True
    return False


def comparable(text: str) -> str:
    """``text`` as two readings of one line are compared: without spaces and
    underscores or what they are misread as, and C S V W X Z of ID-like
    tokens in lower case (the case of a label such as "wx:" is the
    recogniser's word alone, and a reading that differs there is another)."""
    in_token = set(_in_tokens(text))
    return "".join(
        c.lower() if c in SAME_SHAPE and k in in_token else c
        for k, c in enumerate(text)
        if not c.isspace() and c not in MARKS
    )
