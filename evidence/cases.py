"""Referral cases: a dossier sent to a regulator, and what became of its ads.

A case records one referral (to whom, through which channel, when, under
which reference, and the SHA-256 of the dossier sent, so the very file can
be shown again) and its course (sent, acknowledged, acted on, closed).  The
standing re-checks say whether each of its ads is still online; the days
from referral to the first re-check that found an ad gone are the figure
that shows whether referring pays off.  Every step is also a line in the
evidence ledger, next to the bundles it is about.
"""

from __future__ import annotations

import re
import secrets
import statistics
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from evidence.dossier.render import REGULATORS as _REGULATOR_CODES
from evidence.dossier.render import legal
from evidence.index import Catalogue
from evidence.store import EvidenceStore

CHANNELS = {
    "12377": "12377 违法和不良信息举报中心",
    "12315": "12315 全国12315平台",
    "12378": "12378 金融消费者投诉",
    "letter": "书面函件",
    "email": "电子邮件",
    "other": "其他",
}
STATUSES = {"sent": "已报送", "acknowledged": "已受理", "acted": "已处置", "closed": "已结案"}
# The regulators a dossier is written for (evidence.dossier.render), by the
# short name their dossier's legal.yaml gives them.
REGULATORS: dict[str, str] = {
    code: str(legal()["regulators"][code]["short"]) for code in _REGULATOR_CODES
}
CLOSED_BY_RECHECK = "全部广告已下架（复查确认）"
NOTE_MAX = 2000
REFERENCE_MAX = 200
TITLE_SHOWN = 60  # characters of an ad's title (or text) in a case's list
# Dates are Beijing dates: a referral is sent on a day in China.
BEIJING = timezone(timedelta(hours=8))
ALL_CASES = 1_000_000
_SHA256 = re.compile(r"[0-9a-f]{64}")


class CaseError(ValueError):
    """A referral that cannot be recorded as asked; the message says why."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sent_on(value: str) -> date:
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise CaseError(f"sent_on must be a date YYYY-MM-DD, not {value!r}")
    if day > datetime.now(BEIJING).date():
        raise CaseError(f"sent_on {value} is in the future")
    return day


def _check_text(name: str, value: str, most: int) -> None:
    if len(value) > most:
        raise CaseError(f"{name} has {len(value)} characters; at most {most}")


def _by(by: str) -> None:
    if not by.strip():
        raise CaseError("a case step needs the name of who took it")


def open_case(
    catalogue: Catalogue,
    store: EvidenceStore,
    *,
    regulator: str,
    channel: str,
    sent_on: str,
    reference: str,
    dossier_sha256: str,
    record_ids: Iterable[str],
    by: str,
    operator_id: str = "",
    dossier_name: str = "",
) -> dict[str, Any]:
    """Record a referral that was sent: a ledger line, then the case, status
    "sent" with its first event.  Returns the case as saved."""
    if regulator not in REGULATORS:
        raise CaseError(f"regulator must be one of {', '.join(REGULATORS)}, not {regulator!r}")
    if channel not in CHANNELS:
        raise CaseError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    day = _sent_on(sent_on)
    digest = dossier_sha256.strip().lower()
    if not _SHA256.fullmatch(digest):
        raise CaseError("dossier_sha256 must be the dossier's SHA-256: 64 hexadecimal digits")
    _check_text("the reference", reference, REFERENCE_MAX)
    _check_text("the dossier's name", dossier_name, REFERENCE_MAX)
    _by(by)
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        raise CaseError("a referral is about at least one record")
    unknown = [i for i in ids if catalogue.get(i) is None]
    if unknown:
        raise CaseError(f"no record {', '.join(unknown)} in the catalogue")
    case_id = _new_id(catalogue, day)
    at = utc_now()
    seq = store.note(
        {
            "referral": case_id,
            "regulator": regulator,
            "channel": channel,
            "sent_on": sent_on,
            "reference": reference,
            "dossier_sha256": digest,
            "records": ids,
            "by": by,
            "at": at,
        }
    )
    case = {
        "id": case_id,
        "regulator": regulator,
        "channel": channel,
        "sent_on": sent_on,
        "reference": reference,
        "dossier_sha256": digest,
        "dossier_name": dossier_name,
        "record_ids": ids,
        "operator_id": operator_id,
        "status": "sent",
        "events": [{"at": at, "status": "sent", "by": by, "note": "", "ledger_seq": seq}],
        "created_by": by,
        "created_at": at,
        "closed_at": "",
    }
    catalogue.save_case(case)
    return case


def _new_id(catalogue: Catalogue, day: date) -> str:
    while True:
        case_id = f"case-{day:%Y%m%d}-{secrets.token_hex(3)}"
        if catalogue.case(case_id) is None:
            return case_id


def set_status(
    catalogue: Catalogue,
    store: EvidenceStore,
    case_id: str,
    status: str,
    by: str,
    note: str = "",
) -> dict[str, Any]:
    """Move a case on (or back): a ledger line, an event, the new status;
    "closed" sets closed_at, any other status clears it.  Returns the case."""
    case = catalogue.case(case_id)
    if case is None:
        raise CaseError(f"no case {case_id!r}")
    if status not in STATUSES:
        raise CaseError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    _check_text("the note", note, NOTE_MAX)
    _by(by)
    at = utc_now()
    seq = store.note(
        {"referral_status": case_id, "status": status, "by": by, "note": note, "at": at}
    )
    event = {"at": at, "status": status, "by": by, "note": note, "ledger_seq": seq}
    case = dict(case, status=status, events=[*(case.get("events") or []), event])
    case["closed_at"] = at if status == "closed" else ""
    catalogue.save_case(case)
    return case


def _day(at: str) -> date | None:
    """The Beijing date of an ISO time (None if it is not one)."""
    try:
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(BEIJING).date()


def _days(sent_on: str, gone_at: str) -> int | None:
    """Whole days from the referral to the re-check that found the ad gone;
    None when either is unknown or the ad was gone before it was referred
    (its takedown owes nothing to the referral)."""
    gone = _day(gone_at) if gone_at else None
    try:
        sent = date.fromisoformat(sent_on)
    except ValueError:
        return None
    if gone is None or gone < sent:
        return None
    return (gone - sent).days


def _short(record: Mapping[str, Any]) -> str:
    text = " ".join(str(record.get("title") or record.get("text") or "").split())
    return text[:TITLE_SHOWN] + ("…" if len(text) > TITLE_SHOWN else "")


def _status(catalogue: Catalogue, record_id: str) -> str:
    """What the newest capture that said anything found: live, changed, gone
    ("" when the record was never captured)."""
    said = (str(c.get("status") or "") for c in catalogue.captures(record_id))
    return next((s for s in said if s), "")


def _gone_at(catalogue: Catalogue) -> dict[str, str]:
    return {str(t["id"]): str(t.get("gone_at") or "") for t in catalogue.takedowns()}


def _view(catalogue: Catalogue, case: Mapping[str, Any], gone_at: dict[str, str]) -> dict[str, Any]:
    rows = []
    for record_id in case.get("record_ids") or []:
        record = catalogue.get(record_id) or {}
        status = _status(catalogue, record_id)
        gone = gone_at.get(record_id, "") if status == "gone" else ""
        rows.append(
            {
                "id": record_id,
                "platform": str(record.get("platform") or ""),
                "title": _short(record),
                "status": status,
                "gone_at": gone,
                "days_to_takedown": _days(str(case.get("sent_on") or ""), gone),
            }
        )
    days = [r["days_to_takedown"] for r in rows if r["days_to_takedown"] is not None]
    gone_count = sum(1 for r in rows if r["status"] == "gone")
    summary = {
        "total": len(rows),
        "gone": gone_count,
        "live": sum(1 for r in rows if r["status"] in ("live", "changed")),
        "median_days": statistics.median(days) if days else None,
        "all_gone": bool(rows) and gone_count == len(rows),
    }
    return dict(case, records=rows, summary=summary)


def case_view(catalogue: Catalogue, case: Mapping[str, Any]) -> dict[str, Any]:
    """The case with, per record, {id, platform, title (title or text,
    short), status (live, changed, gone, "" never captured), gone_at (the
    first re-check that found it gone, "" while it is not gone),
    days_to_takedown (whole Beijing days from sent_on to gone_at; None if
    not gone, or gone before the referral)} under ``records``, and
    ``summary``: {total, gone, live, median_days (None without any), all_gone}."""
    return _view(catalogue, case, _gone_at(catalogue))


def close_taken_down(catalogue: Catalogue, store: EvidenceStore, by: str = "recheck") -> list[str]:
    """Close every open case whose ads the re-checks have all found gone;
    the ids of those closed."""
    gone_at = _gone_at(catalogue)
    closed = []
    for case in catalogue.cases(limit=ALL_CASES):
        if case.get("status") == "closed" or not case.get("record_ids"):
            continue
        if _view(catalogue, case, gone_at)["summary"]["all_gone"]:
            set_status(catalogue, store, str(case["id"]), "closed", by, CLOSED_BY_RECHECK)
            closed.append(str(case["id"]))
    return closed


def takedown_rows(catalogue: Catalogue) -> list[dict[str, Any]]:
    """One row per referred ad found gone after its referral, for charts:
    {case_id, regulator, platform, sent_on, gone_at, days}, oldest
    referral first.  An ad referred twice counts in each case."""
    takedowns = {str(t["id"]): t for t in catalogue.takedowns()}
    rows = []
    for case in reversed(catalogue.cases(limit=ALL_CASES)):
        sent_on = str(case.get("sent_on") or "")
        for record_id in case.get("record_ids") or []:
            gone = takedowns.get(record_id)
            days = _days(sent_on, str(gone.get("gone_at") or "")) if gone else None
            if gone is None or days is None:
                continue
            rows.append(
                {
                    "case_id": str(case.get("id")),
                    "regulator": str(case.get("regulator") or ""),
                    "platform": str(gone.get("platform") or ""),
                    "sent_on": sent_on,
                    "gone_at": str(gone.get("gone_at") or ""),
                    "days": days,
                }
            )
    return rows
