"""Phones, WeChat IDs, QQ numbers and links: how an ad's reader reaches its
operator, and how ads of one operator are linked.

Contacts are read from *normalised* text (crawler.reading.detect.normalize), so
full-width digits, Chinese numerals in number runs (幺三八...), 薇信/威信/
绿泡泡 and the like are already plain.  Each contact keeps the raw writing and
gets a normalised value: digits only for phones and QQ numbers, lower case for
WeChat IDs, scheme-less lower-case host plus path for links.  The patterns
are linear (no nested repetition), so hostile input cannot make them
backtrack.

OCR writes digits as the letters they look like (17O47731568, ⓪ read as O,
⑴ read as "(1)") and accented letters into IDs (lìu_8899): ``extract`` also
reads a number whose digits are partly such letters, when the run is
otherwise digits and makes a valid number, and an ID with one or two such
letters in its ASCII spelling (see "contacts that survive OCR" below).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from crawler.reading.detect.normalize import Normalized

_SEP = r"[ \-.\u2013\u2014_]{0,2}"


def _fold_table() -> dict[int, str]:
    """Lower-case non-ASCII letters that OCR (or a disguise) puts in an ASCII
    ID, each to the ASCII letter it looks like: accented Latin (ì í ǐ ö ...,
    rapidocr's dictionary holds the pinyin tone letters), dotless ı, and
    Cyrillic and Greek letters drawn like Latin ones."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = unicodedata.normalize("NFD", ch)[0]
        if ch == ch.lower() and base != ch and base.isascii() and base.isalpha():
            table[code] = base.lower()
    table.update(zip(map(ord, "ıаеорсхуіјѕԁһοιναρκ"), "iaeopcxyijsdhoivapk", strict=True))
    return table


_FOLD = _fold_table()
_FOLDABLE = "".join(map(chr, sorted(_FOLD)))
_FOLDABLE_RE = re.compile(f"[{_FOLDABLE}]")

_MOBILE = re.compile(
    rf"(?<![0-9])(?:(?:\+|00)?86{_SEP})?(1{_SEP}[3-9](?:{_SEP}[0-9]){{9}})(?![0-9])"
)
_FIVE_DIGITS = re.compile(r"[0-9](?:[^0-9]{0,3}[0-9]){4}")
_LANDLINE = re.compile(r"(?<![0-9])(0[1-9][0-9]{1,2})[ \-]{0,2}([2-9][0-9]{6,7})(?![0-9])")
_SERVICE = re.compile(r"(?<![0-9])([48]00)[ \-]?([0-9]{3})[ \-]?([0-9]{4})(?![0-9])")
_WECHAT = re.compile(
    r"(?:微信号?|wechat|weixin|(?<![a-z0-9])(?:wx|vx)|(?<![a-z0-9])v(?=[:：\s我])|[加+]\s?v"
    r"|薇|加威|加❤|❤|加我?|[找加]?[我她他](?=[\s:：]))"
    r"[\s:：=]{0,3}(?:号|是|为|同号|找我|我|信)?[\s:：]{0,3}"
    # an ID ends where its characters end, not at an accented letter OCR put in it
    rf"([a-z][-_a-z0-9]{{5,19}}|1[3-9][0-9]{{9}})(?![-_a-z0-9{_FOLDABLE}])"
)
# "(微信同号)" beside a phone number: the number is the WeChat ID too.
_SAME_NUMBER = re.compile(r"微信同号|同微信|微信同步")
_QQ = re.compile(
    r"(?:qq|扣扣|企鹅号?|(?<![a-z0-9])q)(?:号码?)?[\s:：=]{0,3}(?:号|是|为)?[\s:：]{0,3}"
    r"([1-9][0-9]{4,11})(?![0-9])"
)
_URL_END = r"[a-zA-Z0-9\-._~:/?#@!$&*+;=%]"  # URL characters but brackets, quotes, comma
_URL = re.compile(
    rf"https?://{_URL_END}+"
    r"|(?<![a-z0-9@.\-])(?:www\.)?[a-z0-9][-a-z0-9]{0,62}(?:\.[a-z0-9][-a-z0-9]{0,62}){0,4}"
    r"\.(?:com|cn|net|org|cc|top|xyz|vip|me|io|im|ly|info|link|club|site|online|ltd|shop|wang"
    r"|app|tv|pro|fun|ink|work|live|store|tech|biz|co|hk)"
    rf"(?![a-z0-9])(?:/{_URL_END}*)?"
)
_TRAILING = ".,;:!?-_~"


@dataclass(frozen=True)
class Found:
    kind: str  # phone | wechat | qq | url
    value: str  # as written in the raw text
    normalized: str
    span: tuple[int, int]  # raw span


def extract(norm: Normalized) -> list[Found]:
    """Every contact in a normalised text, in order of appearance, each
    (kind, normalised value) once."""
    text = norm.text
    found: list[tuple[int, Found]] = []

    def add(kind: str, start: int, end: int, value: str) -> None:
        if value:
            span = norm.raw_span(start, end)
            found.append((start, Found(kind, norm.raw[span[0] : span[1]], value, span)))

    numbers = bool(_FIVE_DIGITS.search(text))  # phones and QQ numbers need five or more
    for m in _MOBILE.finditer(text) if numbers else ():
        add("phone", m.start(1), m.end(1), _digits(m.group(1)))
        if _SAME_NUMBER.search(text, max(0, m.start() - 10), m.end() + 10):
            add("wechat", m.start(1), m.end(1), _digits(m.group(1)))
    for m in _LANDLINE.finditer(text) if numbers else ():
        add("phone", m.start(), m.end(), m.group(1) + m.group(2))
    for m in _SERVICE.finditer(text) if numbers else ():
        add("phone", m.start(), m.end(), "".join(m.groups()))
    for m in _WECHAT.finditer(text):
        add("wechat", m.start(1), m.end(1), m.group(1).lower())
    for m in _QQ.finditer(text) if numbers else ():
        add("qq", m.start(1), m.end(1), m.group(1))
    for kind, start, end, value in _read_through_ocr(norm):
        add(kind, start, end, value)
    for m in _URL.finditer(text) if "." in text else ():
        url = m.group().rstrip(_TRAILING)
        # Paths are case-sensitive (t.cn/A8xk2p): normalise from the raw writing,
        # which the normalised text has lower-cased.
        a, b = norm.raw_span(m.start(), m.start() + len(url))
        written = "".join(
            c for c in unicodedata.normalize("NFKC", norm.raw[a:b]) if c.isprintable()
        )
        add("url", m.start(), m.start() + len(url), normalize_url(written.rstrip(_TRAILING)))
    found.sort(key=lambda pair: pair[0])
    out: list[Found] = []
    seen: set[tuple[str, str]] = set()
    for _, contact in found:
        key = (contact.kind, contact.normalized)
        if key not in seen:
            seen.add(key)
            out.append(contact)
    return out


def _digits(text: str) -> str:
    return "".join(filter(str.isdigit, text))


# --- contacts that survive OCR -------------------------------------------------
#
# A recogniser reads a digit as the letter it resembles (17O47731568; ⓪ comes
# out O), a parenthesised digit as "(1)", and puts tone letters into IDs
# (lìu_8899).  The ordinary patterns then see no number, or a cut ID.  Here
# the look-alikes are read as what they resemble, in a copy of the text of the
# same length (so spans still point at the writing), the same patterns run over
# it, and a number found only thanks to a look-alike letter is kept only if it
# is a number as written: at most one character in three a letter, each letter
# beside a digit and written as OCR writes it (D, not d: "id", "bd" are words),
# and the number not glued to a word or an ID.  So BOSS, IOS, a price or a
# list marker never become a contact, and every pattern stays linear.

# Normalised (lower-case) look-alike -> digit; the writings each may come from.
_LOOKS_LIKE = {"o": "0", "о": "0", "ο": "0", "d": "0", "l": "1", "i": "1", "|": "1"}
_LOOKS_LIKE |= {"z": "2", "s": "5", "b": "8"}
_WRITTEN_AS = frozenset("OoОоΟοDlI|ZSB")  # NFKC of the raw character: not d i z s b
_TO_DIGITS = str.maketrans(_LOOKS_LIKE)
_LETTERS = "".join(_LOOKS_LIKE)
_LOOKALIKE_NEAR_DIGIT = re.compile(  # the lookahead first lets the scan skip along at C speed
    f"(?=[0-9{_LETTERS}(])(?:[0-9][{_LETTERS}]|[{_LETTERS}][0-9]|\\([0-9]\\))"
)
_PARENTHESISED = re.compile(r"\(([0-9])\)")  # OCR reads ⑴ as "(1)"
_SEPARATORS = frozenset(" -.\u2013\u2014_")  # as in _SEP
_LOOSE_BRACKET = re.compile("[()][ \\-.\u2013\u2014_]|[ \\-.\u2013\u2014_][()]")
_GLUE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_JOINERS = frozenset("-.")  # glue when a letter or digit stands beyond them


def _read_through_ocr(norm: Normalized) -> Iterator[tuple[str, int, int, str]]:
    """(kind, start, end, normalised value) of each phone, QQ number and
    WeChat ID that only its look-alike characters hid from ``extract``."""
    text = norm.text
    if _LOOKALIKE_NEAR_DIGIT.search(text):
        yield from _lookalike_numbers(norm)
    if _FOLDABLE_RE.search(text):
        folded = text.translate(_FOLD)
        for m in _WECHAT.finditer(folded):
            a, b = m.span(1)
            foreign = sum(1 for c in text[a:b] if not c.isascii())
            after = text[b : b + 1]  # a letter of another script: a word (Vietnamese), no ID
            word = after.isalpha() and after < "\u2e80"
            if 0 < foreign <= 2 and 3 * foreign <= b - a and not word:
                yield "wechat", a, b, folded[a:b]


# An order number, password or model code after its label is a code even when
# it reads as a phone once its letters are taken for digits (订单号 13B45678901).
_CODE_LABEL = re.compile(
    r"(?:订单|单号|密码|型号|编号|序列号|条码|运单|快递|工号|学号|证号|卡号|货号|"
    r"order|sn|s/n|imei|pwd|password)[\s:：#号]*$",
    re.IGNORECASE,
)


def _lookalike_numbers(norm: Normalized) -> Iterator[tuple[str, int, int, str]]:
    """Phones, QQ numbers and phone-number WeChat IDs written partly in
    look-alikes: found by the ordinary patterns in the text read as digits,
    kept when ``_as_written`` and not ``_glued``."""
    text = norm.text
    digits = text.translate(_TO_DIGITS)
    if "(" in digits:  # "(1)(3)(8)" -> "_1__3__8_": digits with separators between
        digits = _PARENTHESISED.sub(r"_\1_", digits)
    # A page repeating one writing is judged once (what decides is the writing,
    # its raw form and two characters either side), and a contact given once.
    judged: dict[tuple[str, str, str], bool] = {}
    given: set[tuple[str, str]] = set()

    def number(m: re.Match[str], a: int, b: int, lead: str, free_start: bool) -> bool:
        start = max(0, m.start() - 2)
        raw = norm.raw[norm.starts[a] : norm.ends[b - 1]]
        key = (m.re.pattern, text[start : m.end() + 2], raw)
        if key not in judged:
            judged[key] = (
                _as_written(norm, digits, a, b, lead)
                and not _glued(text, None if free_start else m.start(), m.end())
                and not _CODE_LABEL.search(text, max(0, a - 12), a)
            )
        return judged[key]

    def give(kind: str, a: int, b: int, value: str) -> Iterator[tuple[str, int, int, str]]:
        if (kind, value) not in given:
            given.add((kind, value))
            yield kind, a, b, value

    phones: list[tuple[int, int]] = []
    for pattern in (_MOBILE, _LANDLINE, _SERVICE):
        for m in pattern.finditer(digits):
            a, b = m.span(1) if pattern is _MOBILE else m.span()
            # Codes start with letters (ASIN B001234567 is no 800 number): a letter
            # leads only a mobile's 1 (l38..., I39...).
            if number(m, a, b, "li|" if pattern is _MOBILE else "", free_start=False):
                a, b = _with_brackets(text, a, b)
                phones.append((a, b))
                yield from give("phone", a, b, _digits(digits[a:b]))
                if pattern is _MOBILE and _SAME_NUMBER.search(text, max(0, a - 10), b + 10):
                    yield from give("wechat", a, b, _digits(digits[a:b]))
    for m in _QQ.finditer(digits):  # after its label: a letter may lead, its end is free
        a, b = m.span(1)
        if number(m, a, b, _LETTERS, free_start=True):
            yield from give("qq", a, b, digits[a:b])
    if phones:  # 微信: 17O47731568, the ID that is a phone number
        repaired = list(text)
        for a, b in phones:
            repaired[a:b] = digits[a:b]
        spans = set(phones)
        for m in _WECHAT.finditer("".join(repaired)):
            if m.span(1) in spans:
                yield from give("wechat", *m.span(1), m.group(1))


def _as_written(norm: Normalized, digits: str, start: int, end: int, lead: str) -> bool:
    """Whether ``text[start:end]``, read as ``digits[start:end]``, is a number
    written with look-alikes: some, but at most one character in three a
    letter, each letter as OCR writes it and beside a digit, the first
    character a digit or one of ``lead``."""
    text = norm.text
    written = text[start:end]
    if written == digits[start:end]:
        return False  # plain digits: the ordinary patterns have it
    if written[0] in _LOOKS_LIKE and written[0] not in lead:
        return False
    if ("(" in written or ")" in written) and _LOOSE_BRACKET.search(written):
        return False  # "(1) 3800138000" is a list marker; OCR writes ⑴⑶ as (1)(3)
    if len({c for c in written if c in _SEPARATORS}) > 1:
        return False  # 1998-01-01|1.0 is a date and a figure; a phone keeps one separator
    letters = [i for i in range(start, end) if text[i] in _LOOKS_LIKE]
    if 3 * len(letters) > sum(map(str.isdigit, digits[start:end])):
        return False
    for i in letters:
        a, b = norm.starts[i], norm.ends[i]
        if unicodedata.normalize("NFKC", norm.raw[a:b]) not in _WRITTEN_AS:
            return False
        before, after = i, i + 1  # the letters around it, then what stands beside them
        while before > start and text[before - 1] in _LOOKS_LIKE:
            before -= 1
        while after < end and text[after] in _LOOKS_LIKE:
            after += 1
        if not (
            (before > 0 and text[before - 1] in "0123456789")
            or (after < len(text) and text[after] in "0123456789")
        ):
            return False
    return True


def _glued(text: str, start: int | None, end: int) -> bool:
    """Whether the number ``text[start:end]`` is part of a word, an ID or a
    longer code (abc17O47731568, SN-17O4..., 17O47731568_x) rather than a
    number of its own; ``start`` None: only its end is looked at."""
    sides = [(end, end + 1)] if start is None else [(start - 1, start - 2), (end, end + 1)]
    for at, beyond in sides:
        if 0 <= at < len(text) and (
            text[at] in _GLUE
            or (text[at] in _JOINERS and 0 <= beyond < len(text) and text[beyond] in _GLUE)
        ):
            return True
    return False


def _with_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    """The span widened to the brackets of a parenthesised first or last digit."""
    if start > 0 and text[start - 1] == "(" and text[start + 1 : start + 2] == ")":
        start -= 1
    if end < len(text) and text[end] == ")" and end >= 2 and text[end - 2] == "(":
        end += 1
    return start, end


def normalize_url(url: str) -> str:
    """Scheme-less, lower-case host (no www.), path kept, no trailing slash."""
    url = re.sub(r"^[a-z]+://", "", url.strip(), flags=re.IGNORECASE)
    host, slash, rest = url.partition("/")
    host = host.lower().removeprefix("www.")
    return (host + slash + rest).rstrip("/")
