"""See through the spellings ads use to dodge keyword filters.

``normalize(raw)`` returns the text the rules are matched against, and for
every normalised character the span of raw text it came from, so a match can
be highlighted in what the page really said.  The steps, in order (the order
matters: NFKC must run before the converter-pinyin pattern sees ASCII
brackets, Traditional-to-Simplified before the variant table):

1. HTML entities unescaped; a right-to-left override (U+202E) applied, so the
   characters read in the order a reader sees them.
2. Per character: zero-width, bidi, BOM, soft hyphen and variation selectors
   dropped; NFKC (full-width forms, circled and parenthesised digits, ⓿ and
   ❶ by their numeric value); Latin lower-cased.
3. Converter pinyin removed: 業(yè)務(wù) -> 業務.
4. Traditional to Simplified (OpenCC ``t2s``).
5. Chinese numerals inside digit runs turned into digits: 一三八 / 幺.
6. Separators, emoji and symbols between Han characters removed: 停❤催, 停 催.
7. Known variant and homophone spellings replaced from ``rules/variants.yaml``
   (亭催 -> 停催, 薇信 -> 微信, 绿泡泡 -> 微信), longest first.

``phonetic(normalized)`` then gives the full-pinyin and the initials forms, to
match tingcui, tc and zx修复, with a way back to normalised offsets.

A field longer than ``MAX_CHARS`` is not normalised whole (that would cost
seconds for 10 MB) but read in windows (see ``windows``): its head, its tail
and the stretches where a cheap scan of the raw text finds trigger words or
contact cues, at most ``MAX_CHARS`` characters in all.  The windows are
normalised as one text, joined by a clause break that no step, rule or
contact pattern crosses, and every normalised character still maps to its
place in the whole raw field, so spans are where the page said it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain, pairwise, repeat
from typing import Any

MAX_CHARS = 100_000  # per field: at most this many characters are read (see windows)

_INVISIBLE = frozenset(
    [
        0x00AD,  # soft hyphen
        0x034F,  # combining grapheme joiner
        0x061C,  # Arabic letter mark
        0x180E,  # Mongolian vowel separator
        0xFEFF,  # BOM / zero-width no-break space
        0x2028,
        0x2029,
        *range(0x200B, 0x2010),  # zero-width space/joiners, LRM, RLM
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2060, 0x2070),  # word joiner, invisible operators, bidi isolates
        *range(0xFE00, 0xFE10),  # variation selectors (❤️)
        *range(0xE0000, 0xE0080),  # tag characters
    ]
)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{_HAN}]")
_RLO = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069\n]*)(?:\u202c|(?=\n)|$)")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
_CONVERTER_PINYIN = re.compile(
    f"(?<=[{_HAN}])\\((?=[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ])[a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]{{1,7}}\\)"
)
_NUMERALS = "零〇一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖"
_NUMERAL_DIGIT = dict(zip(_NUMERALS, "0012345678912123456789", strict=True))
_DIGITISH = f"[0-9{_NUMERALS}]"
_DIGIT_RUN = re.compile(f"{_DIGITISH}(?:[ \\-.·]{{0,2}}{_DIGITISH}){{4,}}")
_KEEP_BETWEEN_HAN = "，。！？；：、,!?;:“”‘’「」『』《》〈〉【】()（）\"'"
_CLAUSE_BREAKS = frozenset(_KEEP_BETWEEN_HAN + "\n")
_BETWEEN_HAN = re.compile(f"(?<=[{_HAN}])(?:[^\\w{_KEEP_BETWEEN_HAN}]|_)+(?=[{_HAN}])")


class _CharTable(dict[int, str]):
    """Per-character mapping for step 2, computed on first sight; ``uneven``
    holds the characters that map to zero or several characters."""

    def __init__(self) -> None:
        super().__init__()
        self.uneven: set[int] = set()

    def __missing__(self, code: int) -> str:
        value = _char_form(chr(code))
        if len(value) != 1:
            self.uneven.add(code)
        if len(self) < 200_000:  # hostile input cannot grow it without bound
            self[code] = value
        return value


def _char_form(ch: str) -> str:
    code = ord(ch)
    if code in _INVISIBLE:
        return ""
    if code < 0x80:
        return ch.lower()
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate (badly decoded page): not text
        return "\ufffd"
    if unicodedata.category(ch) == "No":  # ⓿ ❶ ⑸ ⒋ ㈤ ㊄ ⁹ ₈ ...
        value = unicodedata.numeric(ch, -1.0)
        if value >= 0 and value == int(value) and value <= 50:
            return str(int(value))
    return unicodedata.normalize("NFKC", ch).lower()


_TABLE = _CharTable()


# Characters step 2 handles differently from whole-text NFKC (or that make a
# same-length NFKC result unsafe to map position by position): invisible and
# bidi controls, lone surrogates, combining marks, circled/parenthesised/
# dingbat numbers.  Texts without them take the C-speed path.
_NOT_PLAIN_NFKC = re.compile(
    "[\u00ad\u034f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufe00-\ufe0f"
    "\ufeff\U000e0000-\U000e007f\ud800-\udfff\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff"
    "\ufe20-\ufe2f\u2460-\u24ff\u2776-\u2793\u3220-\u3251\u3280-\u32bf"
    "\U0001f100-\U0001f10c]"
)


def _width_and_case(b: _Builder) -> None:
    """Step 2: NFKC and lower case for the whole text when that keeps every
    character in place, else the per-character table (which tracks offsets)."""
    name = "width, invisible and styled characters"
    text = b.text
    if not _NOT_PLAIN_NFKC.search(text):
        fast = unicodedata.normalize("NFKC", text).lower()
        if len(fast) == len(text):
            b.replace_same_length(name, fast)
            return
    b.per_char(name, _TABLE)


@dataclass
class Normalized:
    """A normalised text and, per character, the raw span it came from."""

    raw: str  # the whole raw field: spans index it
    text: str
    starts: list[int]
    ends: list[int]
    truncated: bool = False  # True when the field was read in windows, not whole
    steps: list[str] = field(default_factory=list)  # which disguises were undone
    windows: list[tuple[int, int]] = field(default_factory=list)  # raw spans read
    unread: int = 0  # stretches with trigger words that did not fit
    read: str = ""  # the raw text read (the windows joined): what cheap checks scan

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw span behind normalised ``text[start:end]``."""
        if start >= end or not self.text:
            return (0, 0)
        return (self.starts[start], self.ends[end - 1])

    def reading(self) -> str:
        """What was read of a long field, for the record's ``problems``."""
        covered = sum(b - a for a, b in self.windows)
        noun = "window" if len(self.windows) == 1 else "windows"
        note = (
            f"{len(self.raw):,} characters, read in {len(self.windows)} {noun} "
            f"covering {covered:,} characters"
        )
        if self.unread:
            note += (
                f"; {self.unread:,} more stretches of {SCAN_BLOCK} characters with "
                "trigger words were not read"
            )
        return note


class _Builder:
    """A text being normalised, with its offset maps kept in step."""

    def __init__(
        self, raw: str, starts: list[int] | None = None, ends: list[int] | None = None
    ) -> None:
        self.text = raw
        self.starts = list(range(len(raw))) if starts is None else starts
        self.ends = list(range(1, len(raw) + 1)) if ends is None else ends
        self.steps: list[str] = []

    def sub(
        self, name: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]
    ) -> None:
        """Replace every match (see ``replace``)."""
        self.replace(name, ((m.start(), m.end(), repl(m)) for m in pattern.finditer(self.text)))

    def replace(self, name: str, edits: Iterable[tuple[int, int, str]]) -> None:
        """Put ``new`` in place of ``text[a:b]`` for each (a, b, new), given in
        order and not overlapping; a same-length replacement keeps
        per-character offsets, any other maps all its characters to the whole
        replaced span.  One pass: the cost is linear in the text."""
        text, starts, ends = self.text, self.starts, self.ends
        pieces: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        last = 0
        for a, b, new in edits:
            if a == b or new == text[a:b]:
                continue
            pieces.append(text[last:a])
            new_starts += starts[last:a]
            new_ends += ends[last:a]
            if len(new) == b - a:
                new_starts += starts[a:b]
                new_ends += ends[a:b]
            elif new:
                new_starts += [starts[a]] * len(new)
                new_ends += [ends[b - 1]] * len(new)
            pieces.append(new)
            last = b
        if not pieces:
            return
        pieces.append(text[last:])
        self.text = "".join(pieces)
        self.starts = new_starts + starts[last:]
        self.ends = new_ends + ends[last:]
        self.steps.append(name)

    def per_char(self, name: str, table: dict[int, str]) -> None:
        """Map each character through ``table`` (a str.translate table)."""
        text = self.text
        mapped = text.translate(table)
        if mapped == text:
            return
        self.steps.append(name)
        uneven: set[int] = getattr(table, "uneven", set())
        if len(mapped) == len(text) and uneven.isdisjoint(map(ord, text)):
            self.text = mapped  # every character mapped to one: offsets unchanged
            return
        # each character's offsets repeated as many times as it maps to
        # characters (none for a dropped one), without a Python-level loop
        widths = list(map(len, map(table.__getitem__, map(ord, text))))
        starts = list(chain.from_iterable(map(repeat, self.starts, widths)))
        ends = list(chain.from_iterable(map(repeat, self.ends, widths)))
        self.text, self.starts, self.ends = mapped, starts, ends

    def replace_same_length(self, name: str, new: str) -> None:
        if new != self.text:
            self.text = new
            self.steps.append(name)


@lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    import opencc

    convert: Callable[[str], str] = opencc.OpenCC("t2s").convert
    return convert


class _T2SChar(dict[int, str]):
    def __init__(self) -> None:
        super().__init__()
        self.uneven: set[int] = set()

    def __missing__(self, code: int) -> str:
        value = _t2s()(chr(code))
        if len(value) != 1:
            self.uneven.add(code)
        if len(self) < 200_000:
            self[code] = value
        return value


_T2S_CHARS = _T2SChar()


@lru_cache(maxsize=1)
def _traditional() -> frozenset[str]:
    """Characters OpenCC's t2s changes on their own (built once, ~0.1 s): a
    text with none of them skips the converter."""
    convert = _t2s()
    chars = [chr(c) for c in range(0x3400, 0xA000)] + [chr(c) for c in range(0xF900, 0xFB00)]
    block = "".join(chars)
    out = convert(block)
    if len(out) == len(block):
        return frozenset(a for a, b in zip(block, out, strict=True) if a != b)
    return frozenset(c for c in chars if convert(c) != c)


def _simplified(b: _Builder) -> None:
    if _traditional().isdisjoint(b.text):
        return  # phrase-level conversions start from a Traditional character too
    converted = _t2s()(b.text)
    if len(converted) == len(b.text):  # OpenCC's phrase table keeps lengths in practice
        b.replace_same_length("traditional", converted)
    else:
        b.per_char("traditional", _T2S_CHARS)


def normalize(
    raw: str,
    variants: Variants | None = None,
    max_chars: int = MAX_CHARS,
    finder: Finder | None = None,
) -> Normalized:
    """The text rules match against, with offsets back into ``raw``.  A field
    longer than ``max_chars`` is read in windows chosen by ``finder`` (the
    rule set's trigger words; by default contact cues only)."""
    if len(raw) <= max_chars:
        b = _Builder(raw)
        spans, unread = [(0, len(raw))], 0
    else:
        spans, unread = windows(raw, finder or _contact_finder(), max_chars)
        b = _Builder(*_joined(raw, spans))
    read = b.text
    if "&" in b.text:
        b.sub("html entities", _ENTITY, lambda m: html.unescape(m.group()))
    if "\u202e" in b.text:  # shown right to left: 催停 inside an override reads 停催
        b.sub("right-to-left override", _RLO, lambda m: m.group(1)[::-1])
    _width_and_case(b)
    if "(" in b.text:
        b.sub("converter pinyin", _CONVERTER_PINYIN, lambda m: "")
    _simplified(b)
    b.sub(
        "chinese numerals in numbers",
        _DIGIT_RUN,
        lambda m: "".join(_NUMERAL_DIGIT.get(c, c) for c in m.group()),
    )
    b.sub("separators between han", _BETWEEN_HAN, lambda m: "")
    if variants is not None:
        variants.apply(b)
    truncated = len(raw) > max_chars
    return Normalized(raw, b.text, b.starts, b.ends, truncated, b.steps, spans, unread, read)


def has_invisible(text: str) -> bool:
    """Whether ``text`` holds characters step 2 removes as invisible."""
    return not _INVISIBLE.isdisjoint(map(ord, text))


@lru_cache(maxsize=4096)
def plain_form(raw: str) -> str:
    """Only the undisguised steps (width, case, Traditional, converter pinyin):
    what ``raw`` looks like when nobody tried to hide a word in it."""
    text = unicodedata.normalize("NFKC", raw).lower()
    text = _CONVERTER_PINYIN.sub("", text)
    return _t2s()(text) if _HAN_RE.search(text) else text


class Variants:
    """Known variant and homophone spellings (亭催 -> 停催), matched longest first."""

    def __init__(self, table: dict[str, str]) -> None:
        import ahocorasick

        self.table = {normalize(k).text: normalize(v).text for k, v in table.items() if k}
        self._automaton = ahocorasick.Automaton()
        for variant, canonical in self.table.items():
            self._automaton.add_word(variant, (variant, canonical))
        if self.table:
            self._automaton.make_automaton()

    def apply(self, b: _Builder) -> None:
        if not self.table:
            return
        # iter_long: the longest variant at each place, left to right, not
        # overlapping, so the edits go straight in (no regex of the found
        # variants, whose size grew with the text: 1.5 s for 100,000 characters).
        b.replace(
            "variant spellings",
            (
                (end - len(variant) + 1, end + 1, canonical)
                for end, (variant, canonical) in self._automaton.iter_long(b.text)
            ),
        )


# --- long fields: windows -----------------------------------------------------
#
# A field longer than MAX_CHARS is read as: its head (at least HEAD_SHARE of
# the budget, and whatever the other windows leave), its tail, and around
# each stretch of SCAN_BLOCK characters where the scan below finds trigger
# words or contact cues, NEAR_CHARS either side.  The scan looks at every
# character of the field but does little per character, in numpy, a chunk at
# a time (about 10 ms a megabyte, and the GIL is let go between chunks):
#
# * every character is folded the cheap way (NFKC, lower case, Traditional to
#   Simplified, one character at a time) and given a small id when rule words
#   use it; separators, spaces, emoji and symbols get the id SEP, digits DIGIT;
# * each pair of neighbouring ids, and each pair with one or two SEP between
#   (停❤催, 停 催, 停\u200b催), is looked up in a table of the pairs the words
#   are made of: a strong trigger word, a weak one, a contact cue, or two
#   digits (phone and QQ numbers);
# * the field is cut in blocks of SCAN_BLOCK characters; a block's counts say
#   how much it looks like an ad: strong words with a contact near come first,
#   then strong words, contacts, weak words, the denser first, then the
#   earlier, until the budget is spent.
#
# What it does not see: a word whose characters are split by anything but
# separators (停x催), written in pinyin or initials (tingcui, tc), as HTML
# entities, behind a right-to-left override, in converter pinyin, in Chinese
# numerals (幺三八...), or in a script NFKC does not fold (Cyrillic look-alikes);
# such a pitch is read only when it lies in the head, the tail or near another
# find.  Pairs are not whole words, so a block can be read for a pair that is
# no word at all: it only costs budget.

SCAN_BLOCK = 128  # characters a scan count covers (at most 255: counts are bytes)
NEAR_CHARS = 256  # read on either side of a block with a find
HEAD_SHARE = 0.5  # of max_chars, always read from the start
TAIL_SHARE = 0.1  # of max_chars, always read at the end
_SCAN_CHUNK = 1 << 18  # characters scanned per numpy pass (a multiple of SCAN_BLOCK)
_JOIN = "\n。\n"  # between windows: a clause break no step, rule or contact pattern crosses
_SEP, _DIGIT = 255, 254  # ids of separators and digits; 0 is any other character
_STRONG, _WEAK, _CONTACT, _DIGITS = 1, 2, 4, 8  # what a pair belongs to
# Contact cues as the normaliser leaves them; 薇信, 绿泡泡 and the like come in
# with the variant spellings of a rule set.
CONTACT_CUES = ("微信", "vx", "wx", "v信", "qq", "扣扣", "企鹅", "wechat", "weixin", "加v")


class Finder:
    """The pair tables of a set of words (normalised), for ``windows``:
    ``strong`` trigger words, ``weak`` ones (common words that count a
    little) and ``contacts`` cues.  The tables are built on the first long
    field (about 0.1 s); two threads may both build them, to the same result,
    and after that they are only read."""

    def __init__(
        self, strong: Iterable[str], weak: Iterable[str] = (), contacts: Iterable[str] = ()
    ) -> None:
        self.words = [
            (kind, word)
            for kind, words in ((_STRONG, strong), (_CONTACT, contacts), (_WEAK, weak))
            for word in words
            if len(word) >= 2
        ]
        self._tables: tuple[Any, Any, Any, Any] | None = None

    def tables(self) -> tuple[Any, Any, Any, Any]:
        """(ids per code point, kinds per id pair, the same across separators,
        count weights per kind)."""
        if self._tables is None:
            self._tables = self._build()
        return self._tables

    def _build(self) -> tuple[Any, Any, Any, Any]:
        import numpy as np

        letters: dict[str, int] = {}
        for _kind, word in self.words:  # strong words' characters get ids first
            for ch in word:
                if not ch.isdigit() and ch not in letters:
                    letters[ch] = len(letters) % (_DIGIT - 1) + 1  # past 253: shared
        ids = np.zeros(0x110000, np.uint8)
        simplified = _simplified_chars()
        for code in chain(range(0x10000), range(0x1D400, 0x1D800), range(0x1F000, 0x1FB00)):
            ch = chr(code)
            if 0xD800 <= code <= 0xDFFF:
                continue
            folded = unicodedata.normalize("NFKC", ch).lower()
            folded = simplified.get(folded, folded)
            if folded in letters:
                ids[code] = letters[folded]
            elif len(folded) == 1 and folded.isdigit() and folded.isascii():
                ids[code] = _DIGIT
            elif code in _INVISIBLE or not (ch.isalnum() or ch in _KEEP_BETWEEN_HAN):
                ids[code] = _SEP
        pairs = np.zeros(1 << 16, np.uint8)
        for kind, word in self.words:
            latin_word = word.isascii()
            for a, b in pairwise(word):
                if a.isdigit() and b.isdigit():
                    continue  # two digits are a number, not this word
                if a.isascii() and b.isascii() and not latin_word:
                    continue  # ai, pp: Latin pairs of a mixed word are everywhere
                pairs[(int(ids[ord(a)]) << 8) | int(ids[ord(b)])] |= kind
        gapped = pairs.copy()  # pairs across separators: 停❤催, but not 1 2 3
        pairs[(_DIGIT << 8) | _DIGIT] |= _DIGITS
        weights = np.zeros(256, np.uint32)  # a byte per kind: a block counts up to 128
        for value in range(256):
            weights[value] = sum(
                int(bool(value & kind)) << shift
                for kind, shift in ((_STRONG, 0), (_WEAK, 8), (_CONTACT, 16), (_DIGITS, 24))
            )
        return ids, pairs, gapped, weights

    def counts(self, raw: str, start: int, end: int) -> Any:
        """Per block of ``raw[start:end]`` (``start`` a multiple of SCAN_BLOCK):
        an array of (strong, weak, contact, digit-pair) counts."""
        import numpy as np

        ids, pairs, gapped, weights = self.tables()
        parts = []
        for a in range(start, end, _SCAN_CHUNK):
            b = min(end, a + _SCAN_CHUNK)
            text = raw[a : min(len(raw), b + 3)]  # 3 more: the pairs of the last ones
            f = np.take(ids, np.frombuffer(text.encode("utf-32-le", "surrogatepass"), "<u4"))
            f = np.concatenate([f, np.zeros(3, np.uint8)])  # pairs past the end are none
            n = b - a
            high = f[: n + 2].astype(np.uint16) << 8
            kinds = np.take(pairs, high[:n] | f[1 : n + 1])
            gap = f[1 : n + 2] == _SEP
            one = np.take(gapped, high[:n] | f[2 : n + 2])  # a, SEP, b
            np.multiply(one, gap[:n], out=one)
            kinds |= one
            two = np.take(gapped, high[:n] | f[3 : n + 3])  # a, SEP, SEP, b
            np.multiply(two, gap[:n], out=two)
            np.multiply(two, gap[1 : n + 1], out=two)
            kinds |= two
            if n % SCAN_BLOCK:
                kinds = np.concatenate([kinds, np.zeros(-n % SCAN_BLOCK, np.uint8)])
            counts = np.take(weights, kinds).reshape(-1, SCAN_BLOCK)
            parts.append(counts.sum(1, dtype=np.uint32))
        sums = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
        byte = np.uint32(0xFF)
        return np.stack([(sums >> np.uint32(shift)) & byte for shift in (0, 8, 16, 24)], 1)


@lru_cache(maxsize=1)
def _contact_finder() -> Finder:
    """The default finder: contact cues only (no rule set at hand)."""
    return Finder((), (), CONTACT_CUES)


@lru_cache(maxsize=1)
def _simplified_chars() -> dict[str, str]:
    """Traditional character -> Simplified, for the characters OpenCC's t2s
    changes on their own."""
    convert = _t2s()
    return {c: convert(c) for c in _traditional() if len(convert(c)) == 1}


def windows(
    raw: str, finder: Finder, max_chars: int = MAX_CHARS
) -> tuple[list[tuple[int, int]], int]:
    """The raw spans to read of a long field (sorted, apart, at most
    ``max_chars`` characters in all) and how many blocks with trigger words
    did not fit.  Work: one numpy scan of the field, a sort of the blocks
    with finds, then per window read."""
    import numpy as np

    n = len(raw)
    if n <= max_chars:
        return [(0, n)], 0
    tail = int(max_chars * TAIL_SHARE)
    head = int(max_chars * HEAD_SHARE)
    budget = max_chars - head - tail  # for the windows between head and tail
    low, high = head, n - tail  # the part scanned
    first = low // SCAN_BLOCK * SCAN_BLOCK
    counts = finder.counts(raw, first, high)
    strong, weak, contact, digits = (counts[:, i].astype(np.int64) for i in range(4))
    reach = (contact > 0) | (digits >= 8)  # a cue, or a phone's worth of digits (138 0013 8000)
    reach = reach.astype(np.int64)
    near = reach + np.concatenate([[0], reach[:-1]]) + np.concatenate([reach[1:], [0]])
    value = 4 * (strong > 0) + 2 * (near > 0) + (weak > 0)
    found = np.flatnonzero(value)
    order = found[np.lexsort((found, -(strong + weak)[found], -value[found]))]
    chosen: list[tuple[int, int]] = []  # sorted, apart
    spent = 0
    for block in order.tolist():
        if budget - spent < SCAN_BLOCK + 2 * NEAR_CHARS:
            break  # a window may not fit: what is left goes to the head
        a = max(low, first + block * SCAN_BLOCK - NEAR_CHARS)
        b = min(high, first + (block + 1) * SCAN_BLOCK + NEAR_CHARS)
        grown, added = _insert(chosen, a, b)
        if added <= budget - spent:
            chosen, spent = grown, spent + added
    # The head takes what the windows left: as far as it reaches, windows
    # inside it cost nothing, which leaves it more.
    end = head
    while True:
        inside = sum(min(b, end) - max(a, low) for a, b in chosen if a < end)
        reach_to = head + budget - spent + inside
        if reach_to <= end:
            break
        end = min(reach_to, n - tail)
        if end == n - tail:
            break
    spans = [_snapped(raw, a, b) for a, b in _merged([(0, end), *chosen, (n - tail, n)])]
    spans = [(a, b) for a, b in spans if a < b]
    starts = np.array([a for a, _ in spans])
    stops = np.array([b for _, b in spans])
    block_start = np.maximum(low, first + found * SCAN_BLOCK)
    block_stop = np.minimum(high, first + (found + 1) * SCAN_BLOCK)
    at = np.searchsorted(starts, block_start, side="right") - 1  # >= 0: spans[0] starts at 0
    worded = (strong + weak)[found] > 0
    unread = int(np.count_nonzero(worded & (stops[at] < block_stop)))
    return spans, unread


_BREAK = re.compile(r"[\s，。！？；：、,.!?;:]")
_SNAP = 32  # characters a window's edge may move in to fall after a break


def _snapped(raw: str, a: int, b: int) -> tuple[int, int]:
    """[a, b) shrunk to start and end after a space or clause break within
    ``_SNAP`` characters of its edges (not at the field's own ends), so that
    a window cuts no word or number when it can help it: 不用还|款 would
    read as the term 不用还."""
    if a > 0:
        m = _BREAK.search(raw, a - 1, min(b, a + _SNAP))
        if m:
            a = m.end()
    if b < len(raw):
        breaks = list(_BREAK.finditer(raw, max(a, b - _SNAP), b))
        if breaks:
            b = breaks[-1].end()
    return a, b


def _insert(spans: list[tuple[int, int]], a: int, b: int) -> tuple[list[tuple[int, int]], int]:
    """``spans`` (sorted, apart) with [a, b) added, and how many characters
    that adds."""
    if a >= b:
        return spans, 0
    i = bisect_right(spans, (a, b))
    lo = i
    while lo > 0 and spans[lo - 1][1] >= a:
        lo -= 1
    hi = i
    while hi < len(spans) and spans[hi][0] <= b:
        hi += 1
    merged_a = min([a] + [s for s, _ in spans[lo:hi]])
    merged_b = max([b] + [e for _, e in spans[lo:hi]])
    before = sum(e - s for s, e in spans[lo:hi])
    return [*spans[:lo], (merged_a, merged_b), *spans[hi:]], merged_b - merged_a - before


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if a >= b:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _joined(raw: str, spans: list[tuple[int, int]]) -> tuple[str, list[int], list[int]]:
    """The windows' raw text joined by ``_JOIN``, with each character's raw
    offsets (a joint maps to the empty spans at the ends of its windows)."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for n, (a, b) in enumerate(spans):
        if n:
            prev = spans[n - 1][1]
            pieces.append(_JOIN)
            starts += [prev] * (len(_JOIN) - 1) + [a]
            ends += [prev] * (len(_JOIN) - 1) + [a]
        pieces.append(raw[a:b])
        starts += range(a, b)
        ends += range(a + 1, b + 1)
    return "".join(pieces), starts, ends


# --- phonetic forms -------------------------------------------------------------


class Phonetic:
    """A pinyin rendering of a normalised text: ``text``, and a way back from
    its positions to normalised characters (``ends``: for each normalised
    character, where its form ends in ``text``; built on first use, in C)."""

    def __init__(self, source: str, table: _FormTable) -> None:
        self.source = source
        self.table = table
        self.text = source.translate(table)
        self._ends: list[int] | None = None

    @property
    def ends(self) -> list[int]:
        if self._ends is None:
            self._ends = list(
                accumulate(map(len, map(self.table.__getitem__, map(ord, self.source))))
            )
        return self._ends

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """The normalised span behind ``text[start:end]``, or None when the
        match starts or ends inside one character's syllable."""
        ends = self.ends
        first = bisect_right(ends, start)
        last = bisect_right(ends, end - 1)
        if (ends[first - 1] if first else 0) != start or ends[last] != end:
            return None
        return (first, last + 1)


@lru_cache(maxsize=65_536)
def _reading(ch: str) -> tuple[str, str] | None:
    """(toneless syllable, initial) of a Han character, or None."""
    from pypinyin.pinyin_dict import pinyin_dict

    readings = pinyin_dict.get(ord(ch))
    if not readings:
        return None
    first = readings.split(",")[0]
    plain = "".join(
        c for c in unicodedata.normalize("NFD", first) if not unicodedata.combining(c)
    ).replace("ü", "v")
    plain = plain.replace("u\u0308", "v")
    return (plain, plain[:1]) if plain else None


class _FormTable(dict[int, str]):
    """str.translate table to a phonetic form: a Han character to its
    syllable (or initial), ASCII letters and digits as written, punctuation
    to ``|`` (which no rule key contains, so no match bridges two clauses),
    anything else to nothing."""

    def __init__(self, initials: bool) -> None:
        super().__init__()
        self.initials = initials

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch in _CLAUSE_BREAKS:
            value = "|"
        elif ch.isascii():
            value = ch if ch.isalnum() else ""
        else:
            reading = _reading(ch)
            value = "" if reading is None else reading[1] if self.initials else reading[0]
        if len(self) < 200_000:
            self[code] = value
        return value


FULL_FORM = _FormTable(initials=False)
INITIALS_FORM = _FormTable(initials=True)


def phonetic(normalized: str) -> tuple[Phonetic, Phonetic]:
    """Full-pinyin and initials forms of a normalised text."""
    return Phonetic(normalized, FULL_FORM), Phonetic(normalized, INITIALS_FORM)
