"""Indicators for sharing: the operators' contacts, and a lookup of one.

Banks pool the phone numbers and accounts of anti-debt-collection gangs so
that a complaint filed by a proxy can be recognised.  What adwatch gives
them is each contact of an ad or suspect (phone, WeChat, QQ, link, as the
detector normalised it), with the operator it belongs to, when it was first
and last seen and in how many ads: as rows (the web shows them), CSV (for a
spreadsheet) and a STIX 2.1 bundle (for a threat-intelligence platform;
crawler.running.stix_bundle says how it is modelled).  ``lookup`` answers
the other way: is this number or account a known operator's, in which ads,
with which evidence.

Operators are linked afresh from the catalogue's ads and suspects
(``cluster.link``, the same ids ``adwatch clusters`` stores), in memory:
an export writes nothing.  The CLI (`adwatch indicators`, `adwatch lookup`)
and the web workbench call these functions.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawler.reading.detect.cluster import link
from crawler.reading.detect.typed import read_typed
from evidence.index import Catalogue

KINDS = ("phone", "wechat", "qq", "url")  # the contacts that link ads (cluster.py)
LABELS = ("ad", "suspect")
COLUMNS = (
    "kind",
    "value",
    "operator_id",
    "first_seen",
    "last_seen",
    "ad_count",
    "platforms",
    "record_ids",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell starting so
_PAGE = 500  # search hits read at a time by a lookup
_ALL_OPERATORS = 100_000  # as the dossier's --cluster reads them


def indicator_rows(catalogue: Catalogue) -> list[dict[str, Any]]:
    """One row per (kind, normalised value) of the contacts of the ads and
    suspects (but those an analyst rejected): kind, value, operator_id,
    first_seen, last_seen (UTC, YYYY-MM-DDTHH:MM:SSZ), ad_count (ads and
    suspects giving it), platforms, record_ids (oldest first); most-used
    first."""
    records = catalogue.linking_rows(LABELS)
    operator_of = {ad: op.id for op in link(records) for ad in op.ads}
    rejected = _rejected(catalogue)
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for record in records:
        if record["id"] in rejected:
            continue
        for key in dict.fromkeys(_keys(record.get("contacts"))):
            groups.setdefault(key, []).append(record)
    rows = [_row(kind, value, members, operator_of) for (kind, value), members in groups.items()]
    rows.sort(key=lambda r: (-r["ad_count"], r["operator_id"], r["kind"], r["value"]))
    return rows


def _rejected(catalogue: Catalogue) -> set[str]:
    """Records an analyst rejected as no ad: they give no indicator (they
    still link operators, so that operator ids stay those stored)."""
    return {str(hit["id"]) for hit in _pages(catalogue, "", review="rejected")}


def _keys(contacts: Any) -> Iterable[tuple[str, str]]:
    """(kind, normalised value) of each linking contact of a record."""
    for contact in contacts if isinstance(contacts, list) else []:
        if not isinstance(contact, Mapping) or contact.get("kind") not in KINDS:
            continue
        kind = str(contact["kind"])
        value = str(contact.get("normalized") or contact.get("value") or "").strip()
        if value:
            yield kind, value.lower() if kind == "wechat" else value


def _row(
    kind: str, value: str, members: list[Mapping[str, Any]], operator_of: Mapping[str, str]
) -> dict[str, Any]:
    firsts = [_utc(m.get("first_seen")) for m in members]
    lasts = [_utc(m.get("last_seen")) for m in members]
    ordered = sorted(zip(firsts, (str(m["id"]) for m in members), strict=True))
    return {
        "kind": kind,
        "value": value,
        "operator_id": operator_of.get(ordered[0][1], ""),
        "first_seen": min((t for t in firsts if t), default=""),
        "last_seen": max((t for t in lasts if t), default=""),
        "ad_count": len(members),
        "platforms": sorted({str(m.get("platform") or "") for m in members} - {""}),
        "record_ids": [rid for _, rid in ordered],
    }


def _utc(value: Any) -> str:
    """An ISO time as UTC YYYY-MM-DDTHH:MM:SSZ ("" if it is none)."""
    try:
        moment = datetime.fromisoformat(str(value or "").replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def indicators_csv(rows: Sequence[Mapping[str, Any]], *, bom: bool = True) -> str:
    """The rows as CSV (RFC 4180: commas, CRLF, quotes where needed), a
    header of COLUMNS first; lists joined with ";".  With ``bom`` (the
    default) it starts with a UTF-8 byte-order mark: Excel, which is what an
    analyst opens a CSV with, reads UTF-8 only then (else GBK on a Chinese
    Windows); programs read it with encoding "utf-8-sig".  A cell that a
    spreadsheet would run as a formula (=, +, -, @ first) gets a leading
    apostrophe; no detector-normalised value starts so."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(column, "")) for column in COLUMNS])
    return ("\ufeff" if bom else "") + out.getvalue()


def _cell(value: Any) -> str:
    text = ";".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def indicators_stix(
    rows: Sequence[Mapping[str, Any]], *, producer: str = "adwatch", tlp: str = "amber"
) -> str:
    """The rows as a STIX 2.1 bundle (JSON): the producer's Identity, a TLP
    marking (white, green, amber or red; amber: the receiver's organisation
    only), an Intrusion Set per operator, and per contact an Indicator, a
    Sighting with its ad count and an Indicator -indicates-> Intrusion Set
    relationship.  The same rows give the same bundle."""
    from crawler.running.stix_bundle import bundle

    # stix2's own pretty=True sorts properties in quadratic time (12 s for
    # 100 contacts): its plain output, indented by json, reads the same.
    plain = bundle(rows, producer=producer, tlp=tlp).serialize()
    return json.dumps(json.loads(plain), indent=2, ensure_ascii=False)


@dataclass
class LookupResult:
    """What a lookup found.  ``kind`` is what the query was read as (phone,
    wechat, qq, url; "number" for digits that could be any; "" for no
    contact) and ``normalised`` its value as the detector writes it.
    ``records``: the ads and suspects giving it (id, platform, title, url,
    label, status, first_seen, last_seen, operator_id, matched kinds,
    bundle_id of the newest evidence, review fields when the catalogue
    keeps reviews), oldest first; ``operators``: theirs, as the catalogue
    stores them.  ``found``: some record gives it and no analyst rejected
    it as not an ad."""

    query: str
    kind: str
    normalised: str
    found: bool = False
    operators: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lookup(catalogue: Catalogue, value: str) -> LookupResult:
    """Whether ``value`` (a phone, WeChat ID, QQ number or link, typed any
    way: "170 1234 5678", "+86-170...", "QQ 12345", "wx: Abc_123") is a
    contact of a known operator; a bare number is matched as any kind."""
    typed = read_typed(value)
    result = LookupResult(query=value, kind=typed.kind, normalised=typed.value)
    if not typed.keys:
        return result
    wanted = set(typed.keys)
    matches: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for hit in _search_all(catalogue, typed.value):
        kinds = sorted({kind for kind, v in _keys(hit.get("contacts")) if (kind, v) in wanted})
        if kinds:
            matches[str(hit["id"])] = (hit, kinds)
    if not matches:
        return result
    operators, operator_of = _operators(catalogue, [hit for hit, _ in matches.values()])
    result.operators = operators
    result.records = sorted(
        (_found_record(catalogue, hit, kinds, operator_of) for hit, kinds in matches.values()),
        key=lambda r: (r["first_seen"], r["id"]),
    )
    result.found = any(r.get("review") != "rejected" for r in result.records)
    return result


def _search_all(catalogue: Catalogue, text: str) -> Iterable[dict[str, Any]]:
    """Every ad and suspect whose searchable text holds ``text`` (contacts'
    normalised values are in it, so the catalogue's index finds them)."""
    for label in LABELS:
        yield from _pages(catalogue, text, label=label)


def _pages(catalogue: Catalogue, text: str, **filters: Any) -> Iterable[dict[str, Any]]:
    """Every hit of a search, a page at a time."""
    offset = 0
    while True:
        page = catalogue.search(text, limit=_PAGE, offset=offset, **filters)
        yield from page.hits
        offset += len(page.hits)
        if not page.hits or offset >= page.total:
            return


def _operators(
    catalogue: Catalogue, hits: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The operators of ``hits`` as stored, and each hit's operator id.  A
    hit the stored operators do not hold (linked before it came) has them
    linked again, in memory."""
    operator_of = {str(h["id"]): str(h.get("cluster_id") or "") for h in hits}
    wanted = set(operator_of.values())
    stored = {
        str(op["id"]): op
        for op in catalogue.operators(limit=_ALL_OPERATORS)
        if op.get("id") in wanted and set(operator_of) & set(op.get("ads") or [])
    }
    if not all(operator_of[rid] in stored for rid in operator_of):
        linked = [op.to_dict() for op in link(catalogue.linking_rows(LABELS))]
        stored = {op["id"]: op for op in linked if set(operator_of) & set(op["ads"])}
        operator_of = {ad: op_id for op_id, op in stored.items() for ad in op["ads"]}
    operators = [
        {k: v for k, v in op.items() if k != "templates"}  # MinHash signatures: no use here
        for op in stored.values()
    ]
    operators.sort(key=lambda op: (-int(op.get("ad_count") or 0), str(op.get("id"))))
    return operators, operator_of


def _found_record(
    catalogue: Catalogue, hit: Mapping[str, Any], kinds: list[str], operator_of: dict[str, str]
) -> dict[str, Any]:
    rid = str(hit["id"])
    bundles = (c.get("bundle_id") for c in catalogue.captures(rid, limit=_PAGE))
    found = {
        "id": rid,
        "platform": str(hit.get("platform") or ""),
        "title": str(hit.get("title") or ""),
        "url": str(hit.get("url") or ""),
        "label": str(hit.get("label") or ""),
        "status": str(hit.get("status") or ""),
        "first_seen": _utc(hit.get("first_seen")),
        "last_seen": _utc(hit.get("last_seen")),
        "operator_id": operator_of.get(rid, ""),
        "matched": kinds,
        "bundle_id": next((str(b) for b in bundles if b), ""),
    }
    for key in ("review", "reviewed_at", "reviewer"):
        if key in hit:
            found[key] = hit[key]
    return found
