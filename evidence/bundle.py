"""From a capture to a sealed, time-stamped bundle in the evidence store.

Sealing and stamping are two steps on purpose: the bundle is on disk and in
the ledger before the time-stamp authority is asked, so a TSA that is down or
slow costs nothing but a place in the queue (``EvidenceStore.unstamped``),
which the next run, ``adwatch verify`` and ``adwatch timestamp`` report and
drain.  Only a capture that is evidence (the page, or proof it is gone) is
sealed; a captcha or an empty render never becomes a bundle.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from evidence.capture import Capture, times
from evidence.store import Bundle, EvidenceStore, StoreError

logger = logging.getLogger(__name__)


def seal_capture(store: EvidenceStore, capture: Capture, about: Mapping[str, Any]) -> Bundle:
    """Keep every artifact by hash and seal the manifest: ``about`` says what
    was captured and why (record id, platform, kind of capture...)."""
    if not capture.evidence:
        raise ValueError(f"a {capture.outcome} capture is not evidence: {capture.reason}")
    artifacts = {
        name: store.put_blob(data, media) for name, (data, media) in capture.artifacts.items()
    }
    described = dict(about) | {
        "url": capture.url,
        "final_url": capture.final_url,
        "outcome": capture.outcome,
        "reason": capture.reason,
        "content": capture.content.to_dict() if capture.content else {},
        "facts": capture.facts,
    }
    return store.seal(artifacts, described, captured_at=times(capture.started)["utc"])


def stamp_bundle(
    store: EvidenceStore, bundle_id: str, tsa_url: str, **request: Any
) -> tuple[str, str]:
    """Ask the TSA for a token over the bundle id now: ("stamped", ""), or
    ("unavailable" | "failed", why).  A failure leaves the bundle queued: it
    is never lost or silently skipped, and a token the store could not keep
    (a full disk) is such a failure: the bundle stays sealed either way."""
    from evidence.timestamp import TimestampError, TsaUnavailable, request_token

    if not tsa_url:
        return "failed", "no time-stamp authority configured (ADWATCH_TSA_URL)"
    try:
        stamp = request_token(bundle_id, tsa_url, **request)
    except TimestampError as exc:
        logger.warning("bundle %s stays queued for a time-stamp: %s", bundle_id, exc)
        return ("unavailable" if isinstance(exc, TsaUnavailable) else "failed"), str(exc)
    try:
        store.add_timestamp(bundle_id, stamp.tsr, tsa_url, stamp.gen_time)
    except StoreError as exc:
        logger.error("bundle %s stays queued for a time-stamp: token not kept: %s", bundle_id, exc)
        return "failed", f"token not kept: {exc}"
    return "stamped", ""


def stamp_head(store: EvidenceStore, tsa_url: str, **request: Any) -> tuple[str, str]:
    """Time-stamp the ledger's newest line (the chain up to it), as the end of a
    run does: a bundle's own token proves its content and time, this one that
    no line before it was later removed or the chain rewritten.  Returns
    ("stamped" | "unchanged" | "unavailable" | "failed", why)."""
    from evidence.timestamp import TimestampError, TsaUnavailable, request_token

    try:
        last = store.last_entry()
    except StoreError as exc:  # a torn line that could not be set aside (a full disk)
        return "failed", str(exc)
    if last is None or "head" in last:
        return "unchanged", "no new ledger line since the last head time-stamp"
    if not tsa_url:
        return "failed", "no time-stamp authority configured (ADWATCH_TSA_URL)"
    seq, line_hash = int(last["seq"]), str(last["hash"])
    try:
        stamp = request_token(line_hash, tsa_url, **request)
    except TimestampError as exc:
        logger.warning("ledger head (line %d) not time-stamped: %s", seq, exc)
        return ("unavailable" if isinstance(exc, TsaUnavailable) else "failed"), str(exc)
    try:
        store.add_head_stamp(seq, line_hash, stamp.tsr, tsa_url, stamp.gen_time)
    except StoreError as exc:
        logger.error("ledger head (line %d) not time-stamped: token not kept: %s", seq, exc)
        return "failed", f"token not kept: {exc}"
    return "stamped", ""
