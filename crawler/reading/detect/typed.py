"""A contact as a person types it into a lookup: read the way the detector
reads an ad, so that what they type meets what the catalogue keeps.

An analyst types "170 1234 5678", "+86-170-1234-5678", "一七零…", "QQ
12345678", "wx: Abc_1234" or a bare "abc_1234".  ``read_typed`` runs the
detector's own normalisation and contact patterns (crawler.reading.detect.
normalize and contacts) over it, so full-width digits, Chinese numerals,
look-alike letters and upper case come out as the normalised values stored
in records' ``contacts``; a bare value the patterns need a label for (a QQ
number, a WeChat ID) is read as the detector would read it after one.

A number is looked up under every kind it can be, because one gang's number
is the same account whichever app it is used on (cluster.py links a WeChat
ID that is a phone number with that phone): a number read as a phone also
matches WeChat IDs; a bare number that is no phone, also QQ numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.reading.detect.contacts import Found, extract
from crawler.reading.detect.normalize import normalize

# What a person puts between digits, and the country code they may write first.
_SEPARATORS = re.compile(r"[\s\-.()（）/_]+")
_COUNTRY = re.compile(r"^(?:\+|00)?86(?=[0-9]{9,})")
_NUMBER = re.compile(r"^\+?[0-9]{5,15}$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


@dataclass(frozen=True)
class Typed:
    """What a typed value was read as.

    ``kind``: phone, wechat, qq or url as the detector reads it; "number"
    for digits that could be a QQ number, a WeChat ID or a phone; "" when
    it is no contact.  ``value``: its normalised value.  ``keys``: the
    (kind, normalised value) pairs of records' contacts it matches."""

    kind: str
    value: str
    keys: tuple[tuple[str, str], ...]


NOTHING = Typed("", "", ())


def read_typed(text: str) -> Typed:
    """The contact in ``text`` (the longest, if it holds several)."""
    raw = text.strip()
    if not raw:
        return NOTHING
    found = extract(normalize(raw))
    if found:
        return _reading(found)
    compact = _SEPARATORS.sub("", normalize(raw).text)
    if _NUMBER.match(compact):
        return _bare_number(compact)
    label = "微信 "  # a bare ID, read as the detector reads it after its label
    as_id = [f for f in extract(normalize(label + raw)) if f.kind == "wechat"]
    if as_id and as_id[0].span == (len(label), len(label) + len(raw)):
        return _reading(as_id)
    return NOTHING


def _reading(found: list[Found]) -> Typed:
    best = max(found, key=lambda f: f.span[1] - f.span[0])
    value = best.normalized
    same = {f.kind for f in found if f.normalized == value}
    if best.kind == "url":
        return Typed("url", value, (("url", value),))
    if value.isdigit() and best.kind in ("phone", "wechat"):
        kind = "wechat" if "wechat" in same else "phone"
        return Typed(kind, value, (("phone", value), ("wechat", value)))
    return Typed(best.kind, value, ((best.kind, value),))


def _bare_number(compact: str) -> Typed:
    """Digits with no label: a phone when the detector reads them as one
    (after a country code, a landline's 0 put back), else any kind."""
    digits = compact.removeprefix("+")
    local = _COUNTRY.sub("", digits)
    if local != digits and not _MOBILE.match(local):
        local = "0" + local  # +86 10 6234 5678 is 010 6234 5678 at home
    phones = [f for f in extract(normalize(local)) if f.kind == "phone"]
    if phones and phones[0].span == (0, len(local)):
        return _reading(phones)
    keys = (("phone", digits), ("wechat", digits), ("qq", digits))
    return Typed("number", digits, keys)
