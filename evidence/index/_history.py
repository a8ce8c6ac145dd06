"""Merging what the catalogue knew about an ad with a fresh sighting.

Backend independent: SQLite and Elasticsearch must count sightings the same
way, or the dossier's "first seen" would depend on where it was read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._time import utc_key


def _pick(values: tuple[object, object], newest: bool) -> str:
    present = [v for v in values if isinstance(v, str) and v]
    if not present:
        return ""
    return (max if newest else min)(present, key=utc_key)


def merge_history(
    incoming: Mapping[str, Any], first_seen: object, last_seen: object, times_seen: object
) -> dict[str, Any]:
    """The incoming record with history carried over from the stored one.

    first_seen is the older of the two, last_seen the newer (empty values
    never win), times_seen the stored count (at least 1) plus this sighting.  Every other
    field is the incoming value: the page as it is now.
    """
    merged = dict(incoming)
    merged["first_seen"] = _pick((first_seen, incoming.get("first_seen")), newest=False)
    merged["last_seen"] = _pick((last_seen, incoming.get("last_seen")), newest=True)
    seen_before = times_seen if isinstance(times_seen, int) and times_seen > 0 else 1
    merged["times_seen"] = seen_before + 1
    return merged
