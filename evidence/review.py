"""An analyst's decision on what the detector found: confirmed, rejected or
to be looked at again.

The detector is not right often enough for its word to reach an official,
so a person decides, and the decision is kept twice: in the catalogue, which
answers "what is confirmed" at once (the review queue, dossiers of confirmed
ads only, the detector's agreement with people over time), and as a line in
the evidence ledger, where it joins the chain of custody (who decided what,
when, on which sealed bundle) and cannot be quietly edited afterwards.  The
ledger line is written first: a decision the catalogue failed to keep is
still on record, never the other way round.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from evidence.index import Catalogue
from evidence.store import EvidenceStore

DECISIONS = {"confirmed": "确认", "rejected": "否决", "unsure": "待再看"}
# Why an analyst rejects a finding: a short list, so that rejections can be
# counted and learned from; anything more goes in the note.
REJECT_REASONS = {
    "legit": "正规金融机构/合法业务",
    "news": "新闻、警示或科普",
    "unrelated": "与反催收无关",
    "misread": "识别有误",
    "duplicate": "重复",
    "other": "其他",
}
NOTE_MAX = 2000  # characters of free text with one decision
REVIEWER_MAX = 200
PERIODS = ("day", "week", "month")
# Periods are cut in Beijing time: an analyst's day is a day in China.
BEIJING = timezone(timedelta(hours=8))
# Reviews read for the agreement figures (every review a team will make).
AGREEMENT_LIMIT = 10_000_000


class ReviewError(ValueError):
    """A decision that cannot be kept as asked; the message says why."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(value: str) -> datetime:
    """An ISO time, naive taken as UTC; ReviewError if it is not one."""
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ReviewError(f"{value!r} is not an ISO date and time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def current_bundle(catalogue: Catalogue, record_id: str) -> str:
    """The record's newest sealed evidence bundle ("" when it has none)."""
    sealed = (c.get("bundle_id") for c in catalogue.captures(record_id))
    return str(next((b for b in sealed if b), ""))


def decide(
    catalogue: Catalogue,
    store: EvidenceStore,
    record_id: str,
    decision: str,
    reviewer: str,
    reason: str = "",
    note: str = "",
    at: str | None = None,
) -> dict[str, Any]:
    """Keep one decision on a record: a ledger line, then the catalogue's
    review (which becomes the record's current one).  Returns the review as
    stored: id, record_id, decision, reason, note, reviewer, at, bundle_id,
    ledger_seq, and the detector's label and score when it was decided."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if decision == "rejected" and not reason:
        raise ReviewError(f"a rejection needs a reason: one of {', '.join(REJECT_REASONS)}")
    if reason and reason not in REJECT_REASONS:
        raise ReviewError(f"reason must be one of {', '.join(REJECT_REASONS)}, not {reason!r}")
    if len(note) > NOTE_MAX:
        raise ReviewError(f"the note has {len(note)} characters; at most {NOTE_MAX}")
    if not reviewer.strip() or len(reviewer) > REVIEWER_MAX:
        raise ReviewError(f"a decision needs a reviewer's name (at most {REVIEWER_MAX} characters)")
    when = _instant(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if at else utc_now()
    record = catalogue.get(record_id)
    if record is None:
        raise ReviewError(f"no record {record_id!r} in the catalogue")
    bundle_id = current_bundle(catalogue, record_id)
    seq = store.note(
        {
            "review": record_id,
            "decision": decision,
            "reason": reason,
            "note": note,
            "reviewer": reviewer,
            "record_bundle": bundle_id,
            "at": when,
        }
    )
    review = {
        "id": f"review-{uuid.uuid4().hex[:16]}",
        "record_id": record_id,
        "decision": decision,
        "reason": reason,
        "note": note,
        "reviewer": reviewer,
        "at": when,
        "bundle_id": bundle_id,
        "ledger_seq": seq,
        "label": str(record.get("label") or ""),
        "score": record.get("score"),
    }
    try:
        catalogue.add_review(review)
    except KeyError:  # removed between the two reads: the ledger line stays
        raise ReviewError(f"no record {record_id!r} in the catalogue") from None
    return review


def period_of(at: str, period: str) -> str:
    """The period (Beijing time) an instant falls in: 2026-11-25, 2026-W48, 2026-11."""
    day = _instant(at).astimezone(BEIJING)
    if period == "day":
        return day.strftime("%Y-%m-%d")
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    raise ReviewError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")


# (detector said "ad", the reviewer confirmed) -> the cell of the confusion matrix
_CELLS = {(True, True): "tp", (True, False): "fp", (False, True): "fn", (False, False): "tn"}


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def agreement(catalogue: Catalogue, period: str = "week") -> list[dict[str, Any]]:
    """The detector against people, per period of the decision time, oldest
    first: each record counted once, by its current decision (confirmed is
    positive, rejected negative, unsure not counted), against the label the
    detector gave it when it was decided ("ad" positive; a record read from
    a review that did not note the label is taken at its label now).
    Precision and recall are None where nothing defines them."""
    if period not in PERIODS:
        raise ReviewError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    newest: dict[str, Mapping[str, Any]] = {}
    for kept in catalogue.reviews(limit=AGREEMENT_LIMIT):  # newest first
        newest.setdefault(str(kept.get("record_id")), kept)
    counts: dict[str, dict[str, int]] = {}
    for record_id, review in newest.items():
        decision = review.get("decision")
        if decision not in ("confirmed", "rejected"):
            continue
        label = review.get("label")
        if label is None:
            label = (catalogue.get(record_id) or {}).get("label")
        try:
            key = period_of(str(review.get("at") or ""), period)
        except ReviewError:
            continue  # a review without a readable time belongs to no period
        row = counts.setdefault(key, {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
        row[_CELLS[(label == "ad", decision == "confirmed")]] += 1
    return [
        {
            "period": key,
            "reviewed": sum(c.values()),
            **c,
            "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
            "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
        }
        for key, c in sorted(counts.items())
    ]
