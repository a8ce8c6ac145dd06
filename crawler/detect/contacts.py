"""Phones, WeChat IDs, QQ numbers and links: how an ad's reader reaches its
operator, and how ads of one operator are linked.

Contacts are read from *normalised* text (crawler.detect.normalize), so
full-width digits, Chinese numerals in number runs (幺三八...), 薇信/威信/
绿泡泡 and the like are already plain.  Each contact keeps the raw writing and
gets a normalised value: digits only for phones and QQ numbers, lower case for
WeChat IDs, scheme-less lower-case host plus path for links.  The patterns
are linear (no nested repetition), so hostile input cannot make them
backtrack.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crawler.detect.normalize import Normalized

_SEP = r"[ \-.\u2013\u2014_]{0,2}"
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
    r"([a-z][-_a-z0-9]{5,19}|1[3-9][0-9]{9})(?![-_a-z0-9])"
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
    return "".join(c for c in text if c.isdigit())


def normalize_url(url: str) -> str:
    """Scheme-less, lower-case host (no www.), path kept, no trailing slash."""
    url = re.sub(r"^[a-z]+://", "", url.strip(), flags=re.IGNORECASE)
    host, slash, rest = url.partition("/")
    host = host.lower().removeprefix("www.")
    return (host + slash + rest).rstrip("/")
