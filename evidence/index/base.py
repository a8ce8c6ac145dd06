"""The catalogue interface: one Protocol, every backend behind it.

Callers (the crawler's index stage, `adwatch search`, dossiers) depend on this
module only, never on a backend, so SQLite and Elasticsearch are swappable by
URI (see `evidence.index.open_catalogue`).  Records are plain dicts in the
shape of `AdRecord.to_dict()`; the catalogue does not import the crawler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Self, runtime_checkable


class CatalogueError(RuntimeError):
    """The catalogue cannot be used as configured (a server unreachable or
    refusing, a wrong version): said to the user as it is, without a trace."""


@dataclass(frozen=True)
class UpsertResult:
    """How many records a batch added and how many it refreshed.

    ``deferred``: records a backend could not write now and kept to re-send
    (Elasticsearch's retry file); always 0 for SQLite, whose batch is one
    transaction that either happens or raises.
    """

    inserted: int = 0
    updated: int = 0
    deferred: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated


@dataclass(frozen=True)
class SearchResult:
    """One page of hits and the number of all matching records.

    Each hit is the stored record plus ``snippet``: an excerpt with the
    matched text marked 【like this】, not escaped (rendering escapes).
    """

    total: int
    hits: list[dict[str, Any]] = field(default_factory=list)


# An analyst's decisions on a record (evidence/review.py says what each means).
DECISIONS = ("confirmed", "rejected", "unsure")
# Every record a catalogue returns (get, search hits, review_queue) carries
# its current review in these fields, whatever the stored document says:
# review ("" undecided, or one of DECISIONS), reviewed_at (the decision's
# time, canonical UTC "YYYY-MM-DDTHH:MM:SSZ", "" undecided), reviewer ("" undecided).
# A crawl's upsert never changes them; only add_review does.
REVIEW_FIELDS = ("review", "reviewed_at", "reviewer")


@runtime_checkable
class Catalogue(Protocol):
    """The searchable catalogue of ad records, blocks met and rejects."""

    def upsert(self, records: Iterable[Mapping[str, Any]]) -> UpsertResult:
        """Insert new ids; for known ids keep the oldest first_seen, the newest
        last_seen, add one to times_seen and take every other field from the
        incoming record, except the review fields (`REVIEW_FIELDS`), which
        stay as add_review left them.  One batch is one transaction (all or
        nothing)."""
        ...

    def get(self, record_id: str) -> dict[str, Any] | None:
        """The stored record exactly as upserted (after the history merge),
        plus its current review (see `REVIEW_FIELDS`)."""
        ...

    def search(
        self,
        query: str = "",
        *,
        label: str | None = None,
        platform: str | None = None,
        channel: str | None = None,
        since: str | None = None,
        limit: int = 50,
        offset: int = 0,
        review: str | None = None,
    ) -> SearchResult:
        """Records containing every whitespace-separated term of `query` as a
        literal substring (empty query: all), filtered, best score first.
        `since` is an ISO date or datetime compared with last_seen; `review`
        is a current decision ("confirmed", "rejected", "unsure") or "none"
        for records nobody has decided on (ValueError for anything else).
        Hits carry the review fields as `get` does."""
        ...

    def stats(self) -> dict[str, Any]:
        """Totals: records, by channel/platform/label, blocks and rejects;
        ``by_review``: records per current decision, "none" for undecided
        (only the values present, largest first, as the other ``by_``)."""
        ...

    def record_block(self, platform: str, url: str, reason: str, at: str) -> None:
        """Note that a platform showed a captcha or block page."""
        ...

    def blocks(self, since: str | None = None) -> list[dict[str, Any]]:
        """Block events, newest first, optionally only those at or after `since`."""
        ...

    def add_rejects(self, rejects: Iterable[Mapping[str, Any]]) -> int:
        """Keep rejected items (at, url, stage, reason, detail, platform); returns
        how many were stored."""
        ...

    def rejects(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest rejects, newest first, as they were added."""
        ...

    def linking_rows(self, labels: tuple[str, ...] = ("ad", "suspect")) -> list[dict[str, Any]]:
        """What operator linking needs of each record with one of ``labels``:
        id, platform, first_seen, last_seen, contacts, template_hash."""
        ...

    def save_operators(self, operators: Iterable[Mapping[str, Any]]) -> int:
        """Replace all operators (dicts with id, ad_count, ads, first_seen,
        last_seen, ...) and set each record's cluster_id (empty for records in
        none), in one transaction; returns how many records were assigned."""
        ...

    def operators(self, limit: int = 50, min_ads: int = 1) -> list[dict[str, Any]]:
        """Operators with at least ``min_ads`` ads, largest first."""
        ...

    def add_capture(self, capture: Mapping[str, Any]) -> None:
        """Keep one capture attempt (record_id, url, kind, outcome, status,
        bundle_id, at, content_digest, and anything else, kept whole); a row
        with a status (live, changed, gone) also becomes the record's status."""
        ...

    def captures(self, record_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Capture attempts, newest first, of one record or of all."""
        ...

    def capture_queue(
        self, labels: tuple[str, ...] = ("ad", "suspect"), max_attempts: int = 3
    ) -> list[dict[str, Any]]:
        """Records with one of ``labels`` and no evidence bundle yet, tried fewer
        than ``max_attempts`` times: id, url, platform, channel, label, referrer,
        attempts."""
        ...

    def recheck_queue(self, before: str) -> list[dict[str, Any]]:
        """Records with evidence whose newest bundle is older than ``before`` (an
        ISO time) and that are not gone: id, url, platform, channel, bundle_id,
        content_digest, at, status."""
        ...

    def save_job(self, job: Mapping[str, Any]) -> None:
        """Keep one job (crawler.running.jobs.Job as a dict with id, profile, kind,
        status, started, ...), replacing an earlier version of the same id."""
        ...

    def jobs(self, profile: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Jobs, newest first (by start), of one profile or of all."""
        ...

    def count_new(self, since: str, label: str | None = None) -> int:
        """Records first seen at or after ``since`` (an ISO time), of one label or all."""
        ...

    def takedowns(self) -> list[dict[str, Any]]:
        """Every record a re-check found gone: id, platform, first_seen, gone_at
        (the first capture that found it gone) and last_live_at (the newest
        capture before that which found it online, "" if none), oldest first."""
        ...

    def add_review(self, review: Mapping[str, Any]) -> None:
        """Keep one analyst's decision on a record: id (unique; the same id
        again replaces that review, so a replay is harmless), record_id,
        decision (one of `DECISIONS`, else ValueError), reason, note,
        reviewer, at (ISO time), bundle_id (the record's evidence bundle when
        decided, "" if none), ledger_seq (its line in the evidence ledger),
        and anything else, kept whole.  Every review is kept (the history);
        the record's current review becomes the one with the newest ``at``
        (the later written on a tie).  KeyError, nothing written, for a
        record_id the catalogue does not hold."""
        ...

    def reviews(self, record_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Reviews as added, newest ``at`` first (the later written first on
        a tie), of one record or of all."""
        ...

    def review_queue(
        self, limit: int = 50, labels: tuple[str, ...] = ("ad", "suspect")
    ) -> list[dict[str, Any]]:
        """What an analyst should look at next, as full records (with the
        review fields): first the records with one of ``labels`` and no
        decision yet, best score first, then most recently seen (then id);
        then, whatever their label, those whose current decision is
        "unsure", oldest decision first.  At most ``limit`` in all."""
        ...

    def save_case(self, case: Mapping[str, Any]) -> None:
        """Keep a referral case whole, inserting it or replacing the case of
        the same id: id, regulator, channel, sent_on (YYYY-MM-DD), reference,
        dossier_sha256, dossier_name, record_ids (list of str), operator_id,
        status, events (list of {at, status, by, note}), created_by,
        created_at (ISO time), closed_at ("" while open).  ValueError
        without a string id."""
        ...

    def cases(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Cases as saved, of one status or all, newest sent_on first (then
        newest created_at, then id descending)."""
        ...

    def case(self, case_id: str) -> dict[str, Any] | None:
        """One case as saved, None if there is none of that id."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...
