"""The Elasticsearch catalogue: the production backend analysts reach from Kibana.

Same interface as SQLite (`base.Catalogue`), on the official client, whose
major version is pinned to the server major adwatch targets: Elasticsearch
8.x (a 9.x server takes the 8.x client's requests in its REST compatibility
mode; a 9.x client is refused by an 8.x server).  See _es_schema.py for the
indices, aliases and mappings.

Where SQLite has transactions, this backend has these rules instead:

* Record sightings are bulk ``update`` actions with a scripted upsert: a new
  id is stored as sent, a known one keeps the older first_seen, the newer
  last_seen and counts times_seen up, like `_history.merge_history`.  The
  capture summary `add_capture` keeps on the document is carried over, and
  so is the current review, which only `add_review` writes.
* Reviews and referral cases are a person's acts, written one at a time and
  confirmed: a failure raises `ElasticError` instead of waiting in the retry
  file, so the analyst sees it (the evidence ledger has the decision
  already).  A review is indexed, then the record's current review is set
  from the newest review of that record, under optimistic concurrency
  (``if_seq_no``): a sighting or another decision in between makes it read
  and set again, so the newest decision wins whoever writes last.
* Bulk writes go through ``helpers.streaming_bulk`` with back-off on 429 and
  502-504.  What still fails goes to a retry file (`_es_retry`) and is sent
  again before the next write; `upsert` reports it as ``deferred``.  Nothing
  is dropped, and a cluster that is down does not stop a crawl.
* Reads that follow writes in the same process refresh the indices first,
  so a crawl's capture step sees the records it just stored.

Connection: the catalogue URI names the cluster
(``elasticsearch+https://es.example:9200``, or ``elasticsearch://`` for
``$ADWATCH_ES_URL``) and may carry ``prefix``, ``replicas``, ``retry_file``
and ``ca_certs`` as query parameters.  Secrets come from the environment
only: ``ADWATCH_ES_API_KEY``, or ``ADWATCH_ES_USER`` and
``ADWATCH_ES_PASSWORD``; ``ADWATCH_ES_CA`` names a CA bundle.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TransportError
from elasticsearch import (
    ApiError,
    BadRequestError,
    ConflictError,
    Elasticsearch,
    NotFoundError,
    helpers,
)
from elasticsearch.serializer import (
    CompatibilityModeJsonSerializer,
    CompatibilityModeNdjsonSerializer,
    JsonSerializer,
    NdjsonSerializer,
)

from . import _es_schema as schema
from ._es_retry import Action, Failure, RetryFile
from ._text import snippet, terms
from ._time import parse_utc
from .base import DECISIONS, CatalogueError, SearchResult, UpsertResult

logger = logging.getLogger(__name__)

SERVER_MAJORS = (8, 9)  # 8.x natively; 9.x through REST compatibility with the 8.x client
RETRY_STATUS = (429, 502, 503, 504)
CHUNK = 500
MAX_CHUNK_BYTES = 10 * 1024 * 1024
PAGE = 1000  # hits per request when reading everything (search_after)
MAX_WINDOW = 10_000  # index.max_result_window: from + size beyond this is refused
SETTLE_TRIES = 8  # reads and writes of a record's current review before giving up

# What a record is read back from: the document as upserted and its review.
RECORD_SOURCE = ["record", "review", "reviewed_key", "reviewer"]
# A decided record: its review is one of the decisions (undecided ones have none).
DECIDED: dict[str, Any] = {"terms": {"review": list(DECISIONS)}}
# Search and review-queue order, as SQLite's: best score, most recently seen, id.
RANK: list[Any] = [
    {"score": {"order": "desc"}},
    {"last_seen": {"order": "desc", "missing": "_last"}},
    {"id": {"order": "asc"}},
]
# Reviews newest first, the later written first on a tie (SQLite: at_utc, rid).
REVIEW_ORDER: list[Any] = [{"at_key": "desc"}, {"seq": "desc"}, {"id": "desc"}]

# Scripted upsert of one sighting (params.doc is the new document).  A new
# id has an empty source: it becomes the document.  A known one takes every
# field of the new document, the older first_seen and newer last_seen (the
# stored value wins a tie, as in merge_history), times_seen + 1, and keeps
# the capture summary and the current review (params.doc never has one).
# Dates are canonical UTC strings, so they compare as text.
UPSERT_SCRIPT = """
Map s = ctx._source;
Map d = params.doc;
if (!s.containsKey('record')) {
  s.putAll(d);
} else {
  def oldFirst = s.first_seen;
  def oldLast = s.last_seen;
  def oldRecord = s.record;
  def capture = s.capture;
  def review = s.review;
  def reviewedAt = s.reviewed_at;
  def reviewedKey = s.reviewed_key;
  def reviewer = s.reviewer;
  def n = s.times_seen;
  int seen = n instanceof Number ? ((Number) n).intValue() : 1;
  if (seen < 1) { seen = 1; }
  s.clear();
  s.putAll(d);
  if (oldFirst != null
      && (s.first_seen == null || ((String) oldFirst).compareTo((String) s.first_seen) <= 0)) {
    s.first_seen = oldFirst;
    s.record.first_seen = oldRecord.first_seen;
  }
  if (oldLast != null
      && (s.last_seen == null || ((String) oldLast).compareTo((String) s.last_seen) >= 0)) {
    s.last_seen = oldLast;
    s.record.last_seen = oldRecord.last_seen;
  }
  s.times_seen = seen + 1;
  s.record.times_seen = seen + 1;
  if (capture != null) { s.capture = capture; }
  if (review != null) {
    s.review = review;
    s.reviewed_at = reviewedAt;
    s.reviewed_key = reviewedKey;
    s.reviewer = reviewer;
  }
}
""".strip()

# One capture attempt folded into the record's summary (params: at, outcome,
# status, bundle_id, digest).  A newer bundle replaces an older one.
CAPTURE_SCRIPT = """
Map s = ctx._source;
if (s.capture == null) { s.capture = new HashMap(); }
Map c = s.capture;
int tries = c.attempts instanceof Number ? ((Number) c.attempts).intValue() : 0;
c.attempts = tries + 1;
if (c.at == null || params.at == null || ((String) params.at).compareTo((String) c.at) >= 0) {
  c.at = params.at;
  c.outcome = params.outcome;
}
if (params.bundle_id != '' && (c.bundle_at == null || params.at == null
    || ((String) params.at).compareTo((String) c.bundle_at) >= 0)) {
  c.bundle_id = params.bundle_id;
  c.bundle_at = params.at;
  c.bundle_status = params.status;
  c.bundle_digest = params.digest;
}
if (params.status != '') {
  s.status = params.status;
  s.record.status = params.status;
}
""".strip()

CLEAR_CLUSTER_SCRIPT = "ctx._source.cluster_id = ''; ctx._source.record.cluster_id = '';"


class ElasticError(CatalogueError):
    """The cluster cannot be used as asked (unreachable, refused, wrong version)."""


@dataclass(frozen=True)
class ElasticSettings:
    """Where the cluster is and how adwatch names and writes its indices."""

    url: str
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    prefix: str = "adwatch"
    replicas: int = 1
    retry_file: Path = field(default_factory=lambda: Path("var") / "es-retry.jsonl")
    request_timeout: float = 30.0
    max_retries: int = 5
    initial_backoff: float = 2.0
    max_backoff: float = 60.0

    @classmethod
    def from_uri(cls, scheme: str, location: str, env: Mapping[str, str] = os.environ) -> Self:
        """Settings from a catalogue URI (see the module docstring) and the environment."""
        _, _, transport = scheme.partition("+")
        path, _, query = location.partition("?")
        options = dict(parse_qsl(query, keep_blank_values=True))
        if transport:
            url = f"{transport}://{path}"
        elif path.strip("/"):
            raise ElasticError(
                f"write elasticsearch+https://{path} or elasticsearch+http://{path}, "
                "so the scheme says whether the connection is encrypted"
            )
        else:
            url = env.get("ADWATCH_ES_URL", "")
            if not url:
                raise ElasticError("no cluster named: set ADWATCH_ES_URL or give --es-url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ElasticError(f"Elasticsearch URL {url!r} must be http(s)://host[:port]")
        if parts.username or parts.password:
            raise ElasticError(
                "credentials do not belong in the URL (it is printed in logs): set "
                "ADWATCH_ES_API_KEY, or ADWATCH_ES_USER and ADWATCH_ES_PASSWORD"
            )
        unknown = set(options) - {"prefix", "replicas", "retry_file", "ca_certs"}
        if unknown:
            raise ElasticError(f"unknown catalogue option(s) {', '.join(sorted(unknown))}")
        data_dir = Path(env.get("ADWATCH_DATA_DIR") or "var")
        try:
            replicas = int(options.get("replicas", env.get("ADWATCH_ES_REPLICAS") or 1))
        except ValueError as exc:
            raise ElasticError(f"replicas must be a whole number: {exc}") from None
        prefix = options.get("prefix") or env.get("ADWATCH_ES_PREFIX") or "adwatch"
        return cls(
            url=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")).rstrip("/"),
            api_key=env.get("ADWATCH_ES_API_KEY") or None,
            username=env.get("ADWATCH_ES_USER") or None,
            password=env.get("ADWATCH_ES_PASSWORD") or None,
            ca_certs=options.get("ca_certs") or env.get("ADWATCH_ES_CA") or None,
            prefix=prefix,
            replicas=replicas,
            retry_file=Path(options.get("retry_file") or data_dir / f"es-retry-{prefix}.jsonl"),
        )

    def client(self) -> Elasticsearch:
        auth: dict[str, Any] = {}
        if self.api_key:
            auth["api_key"] = self.api_key
        elif self.username:
            auth["basic_auth"] = (self.username, self.password or "")
        if self.ca_certs:
            auth["ca_certs"] = self.ca_certs
        return Elasticsearch(
            self.url,
            request_timeout=self.request_timeout,
            retry_on_timeout=True,
            max_retries=3,
            serializers=SERIALIZERS,
            **auth,
        )


class _ValidUtf8:
    """JSON that is always valid UTF-8.  The client encodes lone surrogates
    (left by badly decoded pages) with "surrogatepass", bytes Elasticsearch
    refuses; a document holding one is sent with ASCII escapes instead, which
    Elasticsearch keeps and returns as sent, so the record round-trips."""

    def json_dumps(self, data: Any) -> bytes:
        text = json.dumps(data, default=self.default, ensure_ascii=False, separators=(",", ":"))  # type: ignore[attr-defined]
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(data, default=self.default, separators=(",", ":")).encode()  # type: ignore[attr-defined]


SERIALIZERS = {
    cls.mimetype: type(f"ValidUtf8{cls.__name__}", (_ValidUtf8, cls), {})()
    for cls in (
        JsonSerializer,
        NdjsonSerializer,
        CompatibilityModeJsonSerializer,
        CompatibilityModeNdjsonSerializer,
    )
}


def _describe(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        return f"{exc.status_code} {exc.error}: {exc.message}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _seq() -> int:
    """An ordering tie-breaker for events added in the same second."""
    return time.time_ns()


class ElasticCatalogue:
    """`Catalogue` on an Elasticsearch cluster; see the module docstring."""

    def __init__(
        self,
        settings: ElasticSettings,
        *,
        normalizer: Callable[[str], str] | None = None,
        client: Elasticsearch | None = None,
        setup: bool = True,
    ) -> None:
        self.settings = settings
        self.names = schema.Names(settings.prefix)
        self.normalizer = normalizer
        self.client = client or settings.client()
        self.retry = RetryFile(settings.retry_file)
        self._dirty = False
        self._lock = threading.RLock()
        if setup:
            try:
                self.ensure()
            except BaseException:
                self.client.close()
                raise

    def __repr__(self) -> str:
        return f"ElasticCatalogue({self.settings.url!r}, prefix={self.settings.prefix!r})"

    # --- set-up -------------------------------------------------------------

    def server_version(self) -> str:
        try:
            info = self.client.info()
        except (ApiError, TransportError) as exc:
            raise ElasticError(
                f"cannot reach Elasticsearch at {self.settings.url}: {_describe(exc)}"
            ) from exc
        version = str(info["version"]["number"])
        major = int(version.split(".")[0])
        if major not in SERVER_MAJORS:
            raise ElasticError(
                f"Elasticsearch {version} at {self.settings.url}: adwatch supports "
                f"{' and '.join(f'{m}.x' for m in SERVER_MAJORS)}"
            )
        return version

    def put_templates(self) -> None:
        """Install (or update) the shared settings and each kind's template."""
        names = self.names
        component = schema.component_template(self.settings.replicas)
        self.client.cluster.put_component_template(
            name=names.component, template=component["template"], meta=component["_meta"]
        )
        for kind in schema.KINDS:
            body = schema.index_template(names, kind)
            self.client.indices.put_index_template(
                name=names.template(kind),
                index_patterns=body["index_patterns"],
                priority=body["priority"],
                composed_of=body["composed_of"],
                template=body["template"],
                meta=body["_meta"],
            )

    def ensure(self) -> None:
        """Templates in place and version 1 of each kind's index created with
        its two aliases, unless the aliases exist already (then a migration
        may be due: said in the log)."""
        self.server_version()
        self.put_templates()
        for kind in schema.KINDS:
            read = self.names.read(kind)
            if self.client.indices.exists_alias(name=read):
                continue
            try:
                self.client.indices.create(
                    index=self.names.version(kind, 1),
                    aliases={read: {}, self.names.write(kind): {"is_write_index": True}},
                )
            except BadRequestError as exc:  # another process made it first
                if exc.error != "resource_already_exists_exception":
                    raise
        behind = [
            kind
            for kind, version in self.schema_versions().items()
            if version < schema.SCHEMA_VERSION
        ]
        if behind:
            logger.warning(
                "Elasticsearch indices %s have an older mapping than this adwatch "
                "(schema %d): run `adwatch es migrate`",
                ", ".join(behind),
                schema.SCHEMA_VERSION,
            )

    def schema_versions(self) -> dict[str, int]:
        """Schema version of the index behind each read alias."""
        found: dict[str, int] = {}
        for kind in schema.KINDS:
            mappings = self.client.indices.get_mapping(index=self.names.read(kind))
            for body in mappings.body.values():
                meta = body.get("mappings", {}).get("_meta", {})
                found[kind] = int(meta.get("schema_version", 0))
        return found

    def current_index(self, kind: str) -> str:
        """The concrete index behind `kind`'s write alias."""
        aliases = self.client.indices.get_alias(name=self.names.write(kind))
        return next(iter(aliases.body))

    # --- writing --------------------------------------------------------------

    def _bulk(
        self, actions: list[Action], refresh: bool = False
    ) -> tuple[dict[str, int], list[Failure]]:
        """Send actions; results by outcome ("created", "updated", ...) and what
        still failed after the back-off retries.  Never raises for the
        cluster's sake: an unreachable cluster fails every unconfirmed action."""
        outcomes: dict[str, int] = defaultdict(int)
        failures: list[Failure] = []
        # Answers name the concrete index, not the alias: match them by op and id.
        waiting: dict[tuple[str, str], deque[int]] = defaultdict(deque)
        for position, (header, _) in enumerate(actions):
            op, meta = next(iter(header.items()))
            waiting[(op, str(meta.get("_id")))].append(position)
        answered: set[int] = set()

        def settle(op: str, info: Mapping[str, Any]) -> int | None:
            queue = waiting.get((op, str(info.get("_id"))))
            if not queue:
                return None
            position = queue.popleft()
            answered.add(position)
            return position

        try:
            # Actions are (header, body) pairs already: the callback passes them on.
            pairs: Any = actions
            extra: dict[str, Any] = {"refresh": "wait_for"} if refresh else {}
            for ok, item in helpers.streaming_bulk(
                self.client,
                pairs,
                expand_action_callback=lambda action: action,  # type: ignore[arg-type,return-value]
                chunk_size=CHUNK,
                max_chunk_bytes=MAX_CHUNK_BYTES,
                max_retries=self.settings.max_retries,
                initial_backoff=self.settings.initial_backoff,
                max_backoff=self.settings.max_backoff,
                retry_on_status=RETRY_STATUS,
                raise_on_error=False,
                raise_on_exception=False,
                yield_ok=True,
                **extra,
            ):
                op, info = next(iter(item.items()))
                slot = settle(op, info)
                status = int(info.get("status", 500))
                if ok:
                    outcomes[str(info.get("result", "ok"))] += 1
                elif op == "update" and status == 404:
                    outcomes["missing"] += 1  # nothing to update: a record not (yet) stored
                elif slot is not None:
                    error = info.get("error")
                    failures.append(Failure(actions[slot], status, str(error)[:1000]))
        except (ApiError, TransportError) as exc:
            reason = _describe(exc)
            logger.error("Elasticsearch bulk write failed: %s", reason)
            status = int(exc.status_code or 0) if isinstance(exc, ApiError) else 0
            failures += [
                Failure(action, status, reason)
                for position, action in enumerate(actions)
                if position not in answered
            ]
        return outcomes, failures

    def _write(self, actions: list[Action], refresh: bool = False) -> tuple[dict[str, int], int]:
        """Re-send the retry file, then send `actions`; keep what fails.
        Returns outcomes and how many of `actions` were deferred."""
        with self._lock:
            self._dirty = True
            if self.settings.retry_file.exists():
                sent, kept = self.retry.resend(
                    lambda old: self._bulk([_current_script(a) for a in old])[1]
                )
                if sent:
                    logger.info(
                        "re-sent %d kept Elasticsearch actions, %d still failing", sent, kept
                    )
            outcomes, failures = self._bulk(actions, refresh=refresh)
            if failures:
                self.retry.add(failures)
                logger.error(
                    "%d Elasticsearch actions failed (first: %s %s); kept in %s to re-send",
                    len(failures),
                    failures[0].status,
                    failures[0].error[:200],
                    self.settings.retry_file,
                )
            return outcomes, len(failures)

    def upsert(self, records: Iterable[Mapping[str, Any]]) -> UpsertResult:
        actions: list[Action] = []
        for position, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise ValueError(f"record #{position} not stored: not a dict")
            try:
                document = schema.ad_document(record, self.normalizer)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"record #{position} (id {record.get('id')!r}) not stored: {exc}"
                ) from exc
            actions.append(self.sighting(document))
        if not actions:
            return UpsertResult()
        outcomes, deferred = self._write(actions)
        return UpsertResult(
            inserted=outcomes["created"],
            updated=outcomes["updated"] + outcomes["noop"],
            deferred=deferred,
        )

    def sighting(self, document: dict[str, Any]) -> Action:
        """The bulk update that records one sighting of `document`."""
        header = {
            "update": {
                "_index": self.names.write("ads"),
                "_id": document["id"],
                "retry_on_conflict": 5,
            }
        }
        body = {
            "scripted_upsert": True,
            "script": {"source": UPSERT_SCRIPT, "lang": "painless", "params": {"doc": document}},
            "upsert": {},
        }
        return header, body

    def _event(self, kind: str, document: dict[str, Any], doc_id: str | None = None) -> Action:
        doc_id = doc_id or f"{document['seq']:x}-{os.getpid():x}-{id(document) & 0xFFFFFF:x}"
        return {"index": {"_index": self.names.write(kind), "_id": doc_id}}, document

    def record_block(self, platform: str, url: str, reason: str, at: str) -> None:
        self._write(
            [self._event("blocks", schema.block_document(platform, url, reason, at, _seq()))]
        )

    def add_rejects(self, rejects: Iterable[Mapping[str, Any]]) -> int:
        actions = [self._event("rejects", schema.reject_document(r, _seq())) for r in rejects]
        if actions:
            self._write(actions)
        return len(actions)

    def add_capture(self, capture: Mapping[str, Any]) -> None:
        document = schema.capture_document(capture, _seq())
        self._write([self._event("captures", document), self.capture_summary(document)])

    def capture_summary(self, document: Mapping[str, Any]) -> Action:
        """The update that folds one capture document into its record."""
        params = {
            "at": document["at"],
            "outcome": document["outcome"],
            "status": document["status"],
            "bundle_id": document["bundle_id"],
            "digest": document["content_digest"],
        }
        header = {
            "update": {
                "_index": self.names.write("ads"),
                "_id": document["record_id"] or "-",
                "retry_on_conflict": 5,
            }
        }
        return header, {"script": {"source": CAPTURE_SCRIPT, "lang": "painless", "params": params}}

    def save_operators(self, operators: Iterable[Mapping[str, Any]]) -> int:
        ops = list(operators)
        assignments = [(str(op["id"]), str(ad)) for op in ops for ad in op.get("ads") or []]
        with self._lock:
            self.refresh()
            self.client.delete_by_query(
                index=self.names.write("operators"),
                query={"match_all": {}},
                conflicts="proceed",
                refresh=True,
            )
            self.client.update_by_query(
                index=self.names.write("ads"),
                query={
                    "bool": {
                        "must_not": [{"term": {"cluster_id": ""}}],
                        "filter": [{"exists": {"field": "cluster_id"}}],
                    }
                },
                script={"source": CLEAR_CLUSTER_SCRIPT, "lang": "painless"},
                conflicts="proceed",
                refresh=True,
            )
            actions = [
                self._event("operators", schema.operator_document(op), doc_id=str(op["id"]))
                for op in ops
            ]
            actions += [
                (
                    {
                        "update": {
                            "_index": self.names.write("ads"),
                            "_id": ad,
                            "retry_on_conflict": 5,
                        }
                    },
                    {"doc": {"cluster_id": cluster, "record": {"cluster_id": cluster}}},
                )
                for cluster, ad in assignments
            ]
            self._write(actions, refresh=True)
        return len(assignments)

    # --- reading --------------------------------------------------------------

    def refresh(self) -> None:
        """Make everything written so far searchable (writes are near real time)."""
        self.client.indices.refresh(index=",".join(self.names.read(k) for k in schema.KINDS))
        self._dirty = False

    def _fresh(self) -> None:
        if self._dirty:
            self.refresh()

    def _search(self, kind: str, **body: Any) -> dict[str, Any]:
        self._fresh()
        return self.client.search(index=self.names.read(kind), **body).body

    def _all(
        self, kind: str, query: dict[str, Any], sort: list[Any], source: list[str]
    ) -> Iterator[dict[str, Any]]:
        """Every hit of `query` in `sort` order (which must end on a unique field)."""
        after: list[Any] | None = None
        while True:
            extra = {"search_after": after} if after is not None else {}
            page = self._search(kind, query=query, sort=sort, size=PAGE, source=source, **extra)
            hits = page["hits"]["hits"]
            yield from hits
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def get(self, record_id: str) -> dict[str, Any] | None:
        found = self._doc("ads", record_id, RECORD_SOURCE)
        return None if found is None else _record(found["_source"])

    def _doc(self, kind: str, doc_id: str, source: list[str]) -> dict[str, Any] | None:
        """One document by id (real time: no refresh needed), None if absent."""
        if not doc_id:
            return None
        try:
            return self.client.get(
                index=self.names.read(kind), id=doc_id, source_includes=source
            ).body
        except NotFoundError:
            return None

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
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must be >= 0, got {limit} and {offset}")
        if offset + limit > MAX_WINDOW:
            raise ValueError(f"offset + limit must be <= {MAX_WINDOW}: narrow the search instead")
        found = terms(query)
        body = self.search_body(
            found, label=label, platform=platform, channel=channel, since=since, review=review
        )
        result = self._search(
            "ads",
            **body,
            size=limit,
            from_=offset,
            track_total_hits=True,
            source=[*RECORD_SOURCE, "body"],
        )
        hits = [
            dict(_record(hit["_source"]), snippet=snippet(hit["_source"].get("body", ""), found))
            for hit in result["hits"]["hits"]
        ]
        return SearchResult(total=int(result["hits"]["total"]["value"]), hits=hits)

    @staticmethod
    def search_body(
        found: list[str],
        *,
        label: str | None = None,
        platform: str | None = None,
        channel: str | None = None,
        since: str | None = None,
        review: str | None = None,
    ) -> dict[str, Any]:
        """Query and sort of a search: each term a phrase of 1-2 grams on the
        searchable text (a literal substring, ignoring case and width), each
        filter a term, best score first then most recently seen.  `review`
        "none" is every record without a decision (ValueError for anything
        but "none" and the decisions)."""
        filters: list[dict[str, Any]] = [
            {"term": {name: value}}
            for name, value in (("label", label), ("platform", platform), ("channel", channel))
            if value is not None
        ]
        if since:
            filters.append({"range": {"last_seen": {"gte": parse_utc(since)}}})
        must_not: list[dict[str, Any]] = []
        if review == "none":
            must_not.append(DECIDED)
        elif review in DECISIONS:
            filters.append({"term": {"review": review}})
        elif review is not None:
            raise ValueError(
                f"review must be none or one of {', '.join(DECISIONS)}, got {review!r}"
            )
        must = [{"match_phrase": {"body.ngram": {"query": term}}} for term in found]
        query: dict[str, Any] = {"filter": filters, "must": must}
        if must_not:
            query["must_not"] = must_not
        return {"query": {"bool": query}, "sort": list(RANK)}

    def _count(self, kind: str, query: dict[str, Any] | None = None) -> int:
        self._fresh()
        return int(
            self.client.count(index=self.names.read(kind), query=query or {"match_all": {}})[
                "count"
            ]
        )

    def _terms(self, kind: str, name: str, query: dict[str, Any] | None = None) -> dict[str, int]:
        aggs = {
            "by": {
                "terms": {
                    "field": name,
                    "size": 10_000,
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
        }
        result = self._search(kind, size=0, query=query or {"match_all": {}}, aggs=aggs)
        return {b["key"]: int(b["doc_count"]) for b in result["aggregations"]["by"]["buckets"]}

    def stats(self) -> dict[str, Any]:
        sealed = {
            "bool": {
                "filter": [{"exists": {"field": "bundle_id"}}],
                "must_not": [{"term": {"bundle_id": ""}}],
            }
        }
        evidenced = {"exists": {"field": "capture.bundle_id"}}
        result: dict[str, Any] = {"total": self._count("ads")}
        for name in ("channel", "platform", "label"):
            result[f"by_{name}"] = self._terms("ads", name)
        decided = self._terms("ads", "review", DECIDED)
        if result["total"] > sum(decided.values()):
            decided["none"] = result["total"] - sum(decided.values())
        result["by_review"] = dict(sorted(decided.items(), key=lambda kv: (-kv[1], kv[0])))
        result["blocks"] = self._count("blocks")
        result["rejects"] = self._count("rejects")
        result["evidence"] = {
            "bundles": self._count("captures", sealed),
            "records": self._count("ads", evidenced),
            "by_outcome": self._terms("captures", "outcome"),
            "by_status": self._terms("ads", "status", evidenced),
        }
        return result

    def blocks(self, since: str | None = None) -> list[dict[str, Any]]:
        bound = parse_utc(since) if since else ""
        query = {"range": {"at_key": {"gte": bound}}} if bound else {"match_all": {}}
        sort = [{"at_key": "desc"}, {"seq": "desc"}]
        return [
            {
                "at": hit["_source"].get("at_raw", ""),
                "platform": hit["_source"].get("platform", ""),
                "url": hit["_source"].get("url", ""),
                "reason": hit["_source"].get("reason", ""),
            }
            for hit in self._all("blocks", query, sort, ["at_raw", "platform", "url", "reason"])
        ]

    def rejects(self, limit: int = 100) -> list[dict[str, Any]]:
        result = self._search(
            "rejects",
            query={"match_all": {}},
            sort=[{"at_key": "desc"}, {"seq": "desc"}],
            size=min(limit, MAX_WINDOW),
            source=["doc"],
        )
        return [hit["_source"]["doc"] for hit in result["hits"]["hits"]]

    def linking_rows(self, labels: tuple[str, ...] = ("ad", "suspect")) -> list[dict[str, Any]]:
        source = ["id", "platform", "first_seen", "last_seen", "record.contacts", "template_hash"]
        hits = self._all("ads", {"terms": {"label": list(labels)}}, [{"id": "asc"}], source)
        return [
            {
                "id": s["id"],
                "platform": s.get("platform", ""),
                "first_seen": s.get("first_seen") or "",
                "last_seen": s.get("last_seen") or "",
                "contacts": (s.get("record") or {}).get("contacts") or [],
                "template_hash": s.get("template_hash", ""),
            }
            for s in (hit["_source"] for hit in hits)
        ]

    def operators(self, limit: int = 50, min_ads: int = 1) -> list[dict[str, Any]]:
        result = self._search(
            "operators",
            query={"range": {"ad_count": {"gte": min_ads}}},
            sort=[{"ad_count": "desc"}, {"first_seen_raw": "asc"}, {"id": "asc"}],
            size=min(limit, MAX_WINDOW),
            source=["doc"],
        )
        return [hit["_source"]["doc"] for hit in result["hits"]["hits"]]

    def captures(self, record_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        query = {"term": {"record_id": record_id}} if record_id else {"match_all": {}}
        result = self._search(
            "captures",
            query=query,
            sort=[{"at_key": "desc"}, {"seq": "desc"}],
            size=min(limit, MAX_WINDOW),
            source=["doc"],
        )
        return [hit["_source"]["doc"] for hit in result["hits"]["hits"]]

    def capture_queue(
        self, labels: tuple[str, ...] = ("ad", "suspect"), max_attempts: int = 3
    ) -> list[dict[str, Any]]:
        query = {
            "bool": {
                "filter": [{"terms": {"label": list(labels)}}],
                "must_not": [
                    {"exists": {"field": "capture.bundle_id"}},
                    {"range": {"capture.attempts": {"gte": max_attempts}}},
                ],
            }
        }
        sort = [
            {"score": "desc"},
            {"first_seen": {"order": "asc", "missing": "_last"}},
            {"id": "asc"},
        ]
        source = [
            "id",
            "url",
            "platform",
            "channel",
            "label",
            "record.referrer",
            "capture.attempts",
        ]
        return [
            {
                "id": s["id"],
                "url": s.get("url", ""),
                "platform": s.get("platform", ""),
                "channel": s.get("channel", ""),
                "label": s.get("label", ""),
                "referrer": (s.get("record") or {}).get("referrer") or "",
                "attempts": int((s.get("capture") or {}).get("attempts") or 0),
            }
            for s in (hit["_source"] for hit in self._all("ads", query, sort, source))
        ]

    def recheck_queue(self, before: str) -> list[dict[str, Any]]:
        query = {
            "bool": {
                "filter": [{"range": {"capture.bundle_at": {"lt": parse_utc(before)}}}],
                "must_not": [{"term": {"capture.bundle_status": "gone"}}],
            }
        }
        sort = [{"capture.bundle_at": "asc"}, {"id": "asc"}]
        source = ["id", "url", "platform", "channel", "capture"]
        rows = []
        for s in (hit["_source"] for hit in self._all("ads", query, sort, source)):
            capture = s.get("capture") or {}
            rows.append(
                {
                    "id": s["id"],
                    "url": s.get("url", ""),
                    "platform": s.get("platform", ""),
                    "channel": s.get("channel", ""),
                    "bundle_id": capture.get("bundle_id", ""),
                    "content_digest": capture.get("bundle_digest") or "",
                    "at": capture.get("bundle_at") or "",
                    "status": capture.get("bundle_status") or "",
                }
            )
        return rows

    def save_job(self, job: Mapping[str, Any]) -> None:
        document = schema.job_document(job)
        if not document["id"]:
            raise ValueError("a job needs an id")
        self._write([self._event("jobs", document, doc_id=document["id"])])

    def jobs(self, profile: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        query = {"term": {"profile": profile}} if profile else {"match_all": {}}
        result = self._search(
            "jobs",
            query=query,
            sort=[{"started_key": "desc"}, {"id": "desc"}],
            size=min(limit, MAX_WINDOW),
            source=["doc"],
        )
        return [hit["_source"]["doc"] for hit in result["hits"]["hits"]]

    def count_new(self, since: str, label: str | None = None) -> int:
        filters: list[dict[str, Any]] = [{"range": {"first_seen": {"gte": parse_utc(since)}}}]
        if label is not None:
            filters.append({"term": {"label": label}})
        return self._count("ads", {"bool": {"filter": filters}})

    def takedowns(self) -> list[dict[str, Any]]:
        sort = [{"at_key": "asc"}, {"seq": "asc"}]
        gone: dict[str, dict[str, Any]] = {}
        for hit in self._all(
            "captures", {"term": {"status": "gone"}}, sort, ["record_id", "at_key", "platform"]
        ):
            source = hit["_source"]
            gone.setdefault(source["record_id"], {"gone_at": source["at_key"]})
        ids = list(gone)
        rows = []
        for start in range(0, len(ids), PAGE):
            chunk = ids[start : start + PAGE]
            found = self.client.mget(
                index=self.names.read("ads"), ids=chunk, source=["platform", "first_seen"]
            )
            live_query = {
                "bool": {
                    "filter": [
                        {"terms": {"record_id": chunk}},
                        {"terms": {"status": ["live", "changed"]}},
                    ]
                }
            }
            live: dict[str, list[str]] = defaultdict(list)
            for hit in self._all("captures", live_query, sort, ["record_id", "at_key"]):
                live[hit["_source"]["record_id"]].append(hit["_source"]["at_key"])
            for doc in found["docs"]:
                if not doc.get("found"):
                    continue
                record_id, source = doc["_id"], doc["_source"]
                gone_at = gone[record_id]["gone_at"]
                before = [at for at in live[record_id] if at <= gone_at]
                rows.append(
                    {
                        "id": record_id,
                        "platform": source.get("platform", ""),
                        "first_seen": source.get("first_seen") or "",
                        "gone_at": gone_at,
                        "last_live_at": max(before) if before else "",
                    }
                )
        return sorted(rows, key=lambda r: (r["gone_at"], r["id"]))

    # --- reviews and referral cases ------------------------------------------------

    def add_review(self, review: Mapping[str, Any]) -> None:
        row = dict(review)
        review_id, record_id, decision = row.get("id"), row.get("record_id"), row.get("decision")
        if not isinstance(review_id, str) or not review_id:
            raise ValueError(f"a review needs a string id, got {review_id!r}")
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
        if not isinstance(record_id, str) or not record_id:
            raise KeyError(f"no record {record_id!r} in the catalogue")
        with self._lock, _refused("keep the review"):
            record = self._doc("ads", record_id, ["platform"])
            if record is None:
                raise KeyError(f"no record {record_id!r} in the catalogue")
            # A review sent again keeps its place among those of the same second.
            kept = self._doc("reviews", review_id, ["seq"])
            seq = (kept or {}).get("_source", {}).get("seq")
            document = schema.review_document(
                row,
                seq if isinstance(seq, int) else _seq(),
                str(record["_source"].get("platform") or ""),
            )
            # Searchable at once: the settling search below must find it.
            self.client.index(
                index=self.names.write("reviews"), id=review_id, document=document, refresh=True
            )
            self._settle(record_id)

    def _settle(self, record_id: str) -> None:
        """Set the record's current review from its newest review.  The record
        is read before the reviews are, and written only if unchanged since,
        so whoever settles last has seen every review written before."""
        for _ in range(SETTLE_TRIES):
            found = self._doc("ads", record_id, ["review"])
            if found is None:
                raise KeyError(f"no record {record_id!r} in the catalogue")
            newest = self.client.search(
                index=self.names.read("reviews"),
                query={"term": {"record_id": record_id}},
                sort=REVIEW_ORDER,
                size=1,
                source={"includes": ["decision", "at_key", "reviewer"]},
            ).body["hits"]["hits"]
            if not newest:
                return  # nothing to settle (its review was moved to another record)
            source = newest[0]["_source"]
            fields = schema.current_review(
                str(source.get("decision") or ""), source.get("at_key"), source.get("reviewer")
            )
            try:
                self.client.update(
                    index=self.names.write("ads"),
                    id=record_id,
                    doc=fields,
                    if_seq_no=found["_seq_no"],
                    if_primary_term=found["_primary_term"],
                )
            except ConflictError:
                continue  # written meanwhile (a sighting, another decision): again
            self._dirty = True
            return
        raise ElasticError(
            f"record {record_id!r} changed {SETTLE_TRIES} times while its review was set; "
            "the review is kept: decide again to set it"
        )

    def reviews(self, record_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        query = {"term": {"record_id": record_id}} if record_id else {"match_all": {}}
        return [
            hit["_source"]["doc"]
            for hit in self._first("reviews", query, REVIEW_ORDER, ["doc"], limit)
        ]

    def review_queue(
        self, limit: int = 50, labels: tuple[str, ...] = ("ad", "suspect")
    ) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        undecided = {
            "bool": {"filter": [{"terms": {"label": list(labels)}}], "must_not": [DECIDED]}
        }
        hits = self._first("ads", undecided, RANK, RECORD_SOURCE, limit)
        if len(hits) < limit:
            unsure = {"term": {"review": "unsure"}}
            # unmapped_type: an index of schema 1, before `es migrate`, has none.
            oldest = [{"reviewed_key": {"order": "asc", "unmapped_type": "keyword"}}, {"id": "asc"}]
            hits += self._first("ads", unsure, oldest, RECORD_SOURCE, limit - len(hits))
        return [_record(hit["_source"]) for hit in hits]

    def save_case(self, case: Mapping[str, Any]) -> None:
        row = dict(case)
        case_id = row.get("id")
        if not isinstance(case_id, str) or not case_id:
            raise ValueError(f"a case needs a string id, got {case_id!r}")
        document = schema.case_document(row)
        with self._lock, _refused("keep the case"):
            self.client.index(index=self.names.write("cases"), id=case_id, document=document)
            self._dirty = True

    def cases(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        query = {"term": {"status": status}} if status else {"match_all": {}}
        order = [{"sent_key": "desc"}, {"created_key": "desc"}, {"id": "desc"}]
        return [hit["_source"]["doc"] for hit in self._first("cases", query, order, ["doc"], limit)]

    def case(self, case_id: str) -> dict[str, Any] | None:
        found = self._doc("cases", case_id, ["doc"])
        return None if found is None else dict(found["_source"]["doc"])

    def _first(
        self, kind: str, query: dict[str, Any], sort: list[Any], source: list[str], limit: int
    ) -> list[dict[str, Any]]:
        """The first `limit` hits of `query` in `sort` order (which must end on
        a unique field), paged past the result window; a negative limit is
        no limit, as SQLite's LIMIT."""
        if limit == 0:
            return []
        if 0 < limit <= PAGE:
            result = self._search(kind, query=query, sort=sort, size=limit, source=source)
            return list(result["hits"]["hits"])
        return list(islice(self._all(kind, query, sort, source), limit if limit > 0 else None))

    # --- housekeeping -------------------------------------------------------------

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _current_script(action: Action) -> Action:
    """A kept sighting with this adwatch's script: one kept by an older
    adwatch carries that one's, which may not know a field added since (a
    schema-1 script drops a record's review)."""
    header, body = action
    if not body or not body.get("scripted_upsert") or "script" not in body:
        return action
    return header, {**body, "script": {**body["script"], "source": UPSERT_SCRIPT}}


def _record(source: Mapping[str, Any]) -> dict[str, Any]:
    """A record as read back: the document as upserted, with its current review."""
    return dict(source.get("record") or {}, **schema.review_of(source))


@contextmanager
def _refused(what: str) -> Iterator[None]:
    """The cluster's refusal of a person's write, as an ElasticError saying what."""
    try:
        yield
    except (ApiError, TransportError) as exc:
        body = json.dumps(exc.body, default=str) if isinstance(exc, ApiError) else ""
        hint = ""
        if "strict_dynamic_mapping" in body:  # a field this adwatch's schema added
            hint = " (the indices are older than this adwatch: run `adwatch es migrate`)"
        raise ElasticError(f"Elasticsearch did not {what}: {_describe(exc)}{hint}") from exc


def _version_of(index: str) -> int:
    match = re.search(r"-v(\d+)$", index)
    if match is None:
        raise ElasticError(f"index {index!r} is not a versioned adwatch index (…-vN)")
    return int(match.group(1))


def open_elastic(scheme: str, location: str, **options: Any) -> ElasticCatalogue:
    """The opener `open_catalogue` uses for elasticsearch[+http|+https] URIs."""
    settings = ElasticSettings.from_uri(scheme, location)
    try:
        return ElasticCatalogue(settings, **options)
    except TransportConnectionError as exc:
        raise ElasticError(f"cannot reach Elasticsearch at {settings.url}: {exc}") from exc
    except ApiError as exc:
        raise ElasticError(
            f"Elasticsearch at {settings.url} refused set-up: {_describe(exc)}"
        ) from exc
