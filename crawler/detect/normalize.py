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
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain, repeat

MAX_CHARS = 100_000  # per field: longer texts are cut (and the cut is reported)

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

    raw: str  # the raw text read: its first MAX_CHARS characters
    text: str
    starts: list[int]
    ends: list[int]
    truncated: bool = False
    steps: list[str] = field(default_factory=list)  # which disguises were undone

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw span behind normalised ``text[start:end]``."""
        if start >= end or not self.text:
            return (0, 0)
        return (self.starts[start], self.ends[end - 1])


class _Builder:
    """A text being normalised, with its offset maps kept in step."""

    def __init__(self, raw: str) -> None:
        self.text = raw
        self.starts = list(range(len(raw)))
        self.ends = list(range(1, len(raw) + 1))
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


def normalize(raw: str, variants: Variants | None = None, max_chars: int = MAX_CHARS) -> Normalized:
    """The text rules match against, with offsets back into ``raw``."""
    truncated = len(raw) > max_chars
    if truncated:
        raw = raw[:max_chars]  # what was read: later steps never look past it
    b = _Builder(raw)
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
    return Normalized(raw, b.text, b.starts, b.ends, truncated, b.steps)


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
