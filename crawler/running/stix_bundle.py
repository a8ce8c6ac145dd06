"""Indicator rows (crawler.running.indicators) as a STIX 2.1 bundle, the
format banks' threat-intelligence platforms (OpenCTI, MISP, TAXII feeds)
import.

Choices, each for a receiver that knows STIX and nothing of adwatch:

* An operator is an **Intrusion Set**, not a Threat Actor.  STIX 2.1 keeps
  Threat Actor for who is behind an attack (a person, a group with a name
  and motives); an Intrusion Set is "a grouped set of adversarial behaviors
  and resources ... believed to be orchestrated by a single organization",
  often known before its actor is.  An adwatch operator is exactly that: ads
  grouped because they share resources (phone numbers, accounts) or wording,
  with nobody named, and it may merge with another when a new ad links them.
* STIX has no phone-number observable.  Phones are patterned on the
  ``phone-number`` object with a ``value`` that OpenCTI defines (its MISP
  connector turns MISP's phone-number attributes into it), the form a
  receiving platform most likely knows; the number is given in E.164 (+86...) and as
  dialled at home, since a receiver keeps one or the other.
* WeChat IDs and QQ numbers are ``user-account`` objects: ``account_type``
  is an open vocabulary ("wechat", "qq" added as MISP adds "telegram"), and
  ``account_login`` holds what a person types to find the account (the key
  OpenCTI builds user-account indicators on).
* Links are ``url`` (scheme-less in adwatch, so http and https both) or,
  for a bare host, ``domain-name``.
* Ad counts and first/last seen go where STIX puts them, not into custom
  properties: a **Sighting** of each indicator (count, first_seen,
  last_seen, seen by the producer), and first_seen/last_seen on the
  Intrusion Set.  So ``stix2.parse`` reads the bundle without
  ``allow_custom``, as any STIX 2.1 consumer should.
* Ids are UUIDv5 of the contact or operator (the spec says SHOULD be v4;
  OpenCTI derives v5 ids the same way): a bundle exported again updates the
  receiver's objects instead of adding twins.  ``created`` is when the
  contact was first seen and ``modified`` when last seen, so the same
  catalogue gives the same bundle, and a newer sighting a newer version.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import stix2

# Fixed for adwatch: the same contact has the same id in every export.
NAMESPACE = uuid.UUID("2b0400ec-a69a-4c99-b24c-b381b11c6a3b")
# The producer's Identity exists since then in every export (its id is fixed too).
IDENTITY_CREATED = "2026-01-01T00:00:00Z"
TLP = {
    "white": stix2.TLP_WHITE,
    "green": stix2.TLP_GREEN,
    "amber": stix2.TLP_AMBER,
    "red": stix2.TLP_RED,
}
_NAMES = {"phone": "phone", "wechat": "WeChat", "qq": "QQ", "url": "link"}
_MAX_COUNT = 999_999_999  # STIX's bound on a sighting's count


def pattern(kind: str, value: str) -> str:
    """The STIX pattern that matches one contact (see the module's choices)."""
    if kind == "phone":
        e164 = "+86" + value.removeprefix("0")
        return f"[phone-number:value = {_quoted(e164)} OR phone-number:value = {_quoted(value)}]"
    if kind in ("wechat", "qq"):
        return (
            f"[user-account:account_type = '{kind}'"
            f" AND user-account:account_login = {_quoted(value)}]"
        )
    if kind == "url":
        if "/" not in value:
            return f"[domain-name:value = {_quoted(value)}]"
        http, https = _quoted("http://" + value), _quoted("https://" + value)
        return f"[url:value = {http} OR url:value = {https}]"
    raise ValueError(f"no STIX pattern for a contact of kind {kind!r}")


def _quoted(text: str) -> str:
    """A STIX pattern string literal: backslash and quote escaped."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _id(kind: str, name: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}:{name}')}"


def bundle(rows: Sequence[Mapping[str, Any]], *, producer: str, tlp: str) -> stix2.Bundle:
    """Identity, marking, an Intrusion Set per operator, and per contact an
    Indicator, its Sighting and its ``indicates`` Relationship."""
    if tlp not in TLP:
        raise ValueError(f"tlp must be one of {', '.join(TLP)}, got {tlp!r}")
    marking = TLP[tlp]
    identity = stix2.Identity(
        id=_id("identity", producer),
        name=producer,
        identity_class="organization",
        created=IDENTITY_CREATED,
        modified=IDENTITY_CREATED,
        object_marking_refs=[marking.id],
    )
    common = {"created_by_ref": identity.id, "object_marking_refs": [marking.id]}
    objects: list[Any] = [marking, identity]
    sets = {op: _intrusion_set(op, members, common) for op, members in _by_operator(rows).items()}
    objects += sets.values()
    for row in rows:
        objects += _indicator(row, sets.get(str(row.get("operator_id") or "")), identity, common)
    name = "|".join(f"{o.id}@{o.get('modified', '')}" for o in objects)
    return stix2.Bundle(objects=objects, id=_id("bundle", name))


def _by_operator(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row.get("operator_id"):
            groups.setdefault(str(row["operator_id"]), []).append(row)
    return groups


def _period(rows: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    first = min(str(r["first_seen"]) for r in rows)
    return first, max(first, *(str(r["last_seen"]) for r in rows))


def _intrusion_set(
    operator_id: str, rows: Sequence[Mapping[str, Any]], common: dict[str, Any]
) -> stix2.IntrusionSet:
    first, last = _period(rows)
    ads = {ad for r in rows for ad in r.get("record_ids") or []}
    platforms = sorted({p for r in rows for p in r.get("platforms") or []})
    return stix2.IntrusionSet(
        id=_id("intrusion-set", operator_id),
        name=f"adwatch operator {operator_id}",
        description=(
            f"An operator of anti-debt-collection (反催收) ads: {len(ads)} ad(s) with contacts"
            f" on {', '.join(platforms) or 'unknown platforms'}, linked by shared contacts"
            " or near-identical wording."
        ),
        aliases=[operator_id],
        first_seen=first,
        last_seen=last,
        primary_motivation="personal-gain",
        created=first,
        modified=last,
        **common,
    )


def _indicator(
    row: Mapping[str, Any],
    operator: stix2.IntrusionSet | None,
    identity: stix2.Identity,
    common: dict[str, Any],
) -> list[Any]:
    kind, value = str(row["kind"]), str(row["value"])
    first, last = _period([row])
    count, platforms = int(row["ad_count"]), ", ".join(row.get("platforms") or [])
    seen = f"in {count} ad(s) on {platforms or 'unknown platforms'}"
    indicator = stix2.Indicator(
        id=_id("indicator", f"{kind}:{value}"),
        name=f"{_NAMES.get(kind, kind)} {value}",
        description=f"A contact that anti-debt-collection (反催收) ads give, {seen}.",
        indicator_types=["malicious-activity", "attribution"],
        pattern=pattern(kind, value),
        pattern_type="stix",
        pattern_version="2.1",
        valid_from=first,
        created=first,
        modified=last,
        **common,
    )
    sighting = stix2.Sighting(
        id=_id("sighting", indicator.id),
        sighting_of_ref=indicator.id,
        count=min(count, _MAX_COUNT),
        first_seen=first,
        last_seen=last,
        where_sighted_refs=[identity.id],
        description=f"Seen {seen}.",
        created=first,
        modified=last,
        **common,
    )
    if operator is None:
        return [indicator, sighting]
    indicates = stix2.Relationship(
        id=_id("relationship", f"{indicator.id}>{operator.id}"),
        relationship_type="indicates",
        source_ref=indicator.id,
        target_ref=operator.id,
        created=first,
        modified=last,
        **common,
    )
    return [indicator, sighting, indicates]
