"""An analyst's decision from outside the workbench: the crawler's side of
evidence/review.py (the configured catalogue and evidence store)."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from crawler.config import AdwatchConfig
from crawler.running.lifecycle import Outcome, UsageProblem
from evidence.index import open_catalogue
from evidence.review import ReviewError, decide
from evidence.safe_text import printable
from evidence.store import EvidenceStore


def review_job(
    settings: BaseSettings,
    record_id: str,
    decision: str,
    reviewer: str,
    *,
    reason: str = "",
    note: str = "",
) -> Outcome:
    """`adwatch review`: keep one decision (evidence.review.decide) in the
    configured catalogue and evidence store; a decision that cannot be kept
    as asked (an unknown record, a rejection without a reason) is a
    UsageProblem."""
    config = AdwatchConfig.from_settings(settings)
    with open_catalogue(config.catalogue_uri) as catalogue:
        try:
            done = decide(
                catalogue,
                EvidenceStore(config.evidence_dir),
                record_id,
                decision,
                reviewer,
                reason=reason,
                note=note,
            )
        except ReviewError as exc:
            raise UsageProblem(str(exc)) from None
    bundle = f"bundle {done['bundle_id'][:16]}…" if done["bundle_id"] else "no evidence bundle yet"
    said = (
        f"{record_id}: {done['decision']} by {reviewer} at {done['at']} "
        f"(ledger line {done['ledger_seq']}; {bundle})"
    )
    return Outcome(lines=[printable(said)])
