"""Reviews and referral cases on the Elasticsearch catalogue, offline.

The catalogue suite's own review and case tests (tests/test_catalogue.py)
run here on `ElasticCatalogue`, through the real client, against the
in-memory cluster of tests/es_memory.py: the same assertions SQLite passes,
so the queries, sort orders, tie-breakers, paging and refreshes the
Elasticsearch side sends give SQLite's answers.  Every request is also
checked against the strict mappings.  What rests on Painless (a sighting
never drops a review) is checked on a live cluster only: the same suite
with ADWATCH_ES_URL set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence.index import CatalogueError, open_catalogue
from evidence.index import _es_schema as schema
from evidence.index.elastic import SETTLE_TRIES, UPSERT_SCRIPT, ElasticCatalogue, ElasticSettings
from tests import test_catalogue as shared
from tests.es_memory import MemoryCluster
from tests.es_recorder import RecordingServer, Request
from tests.test_catalogue import T1, T2, T3, record, review_row
from tests.test_es_contract import check_document, check_query

# The catalogue suite's tests that need no second sighting of a record (the
# memory cluster runs no Painless), collected here under their own names and
# run with the `cat` fixture below.
SHARED = [
    shared.test_round_trip_is_exact,
    shared.test_reviews_keep_their_history_and_the_newest_is_the_records,
    shared.test_a_review_is_refused_for_an_unknown_record_or_decision,
    shared.test_search_filters_by_current_decision_and_stats_count_them,
    shared.test_the_review_queue_is_undecided_best_first_then_unsure_oldest_first,
    shared.test_cases_are_kept_whole_replaced_by_id_and_listed_newest_sent_first,
]
globals().update({test.__name__: test for test in SHARED})


@pytest.fixture
def cluster() -> Iterator[RecordingServer]:
    with RecordingServer(MemoryCluster(schema_version=schema.SCHEMA_VERSION)) as running:
        yield running


def open_memory(cluster: RecordingServer, tmp_path: Path) -> ElasticCatalogue:
    retry = tmp_path / "retry.jsonl"
    catalogue = open_catalogue(f"elasticsearch+{cluster.url}?replicas=0&retry_file={retry}")
    assert isinstance(catalogue, ElasticCatalogue)
    catalogue.settings = ElasticSettings(**{**catalogue.settings.__dict__, "initial_backoff": 0.01})
    return catalogue


@pytest.fixture
def cat(cluster: RecordingServer, tmp_path: Path) -> Iterator[ElasticCatalogue]:
    """The Elasticsearch catalogue on the memory cluster; afterwards every
    request it sent is checked against the mappings, and nothing waits in
    the retry file (a refused write would make a shared test pass wrongly)."""
    with open_memory(cluster, tmp_path) as catalogue:
        yield catalogue
        assert len(catalogue.retry) == 0
    check_requests(cluster.recorder.requests)


def kind_of(path: str) -> str | None:
    match = re.fullmatch(r"/adwatch-([a-z]+)(?:-write|-v\d+)?/.*", path)
    return match.group(1) if match else None


def check_requests(requests: list[Request]) -> None:
    """Queries name mapped fields of a type that answers them; documents fit."""
    for request in requests:
        kind = kind_of(request.path)
        if kind is None:
            continue
        if request.path.endswith(("/_search", "/_count")):
            check_query(kind, request.json or {})
        elif "/_doc/" in request.path and request.method in ("PUT", "POST"):
            check_document(schema.MAPPINGS[kind], request.json, kind)
        elif "/_update/" in request.path:
            check_document(schema.MAPPINGS[kind], request.json["doc"], kind)
    for line in (line for r in requests if r.path == "/_bulk" for line in r.lines[1::2]):
        params = line.get("script", {}).get("params", {})
        if "doc" in params:
            check_document(schema.MAPPINGS["ads"], params["doc"], "ads")


def test_the_shared_tests_are_collected_here() -> None:
    here = globals()
    assert all(here[test.__name__] is test for test in SHARED)


# --- what the memory cluster adds to the shared tests -------------------------------


def test_a_review_settles_the_record_again_after_a_write_in_between(
    cluster: RecordingServer, cat: ElasticCatalogue
) -> None:
    cat.upsert([record("a", label="ad")])
    rec = cluster.recorder
    assert isinstance(rec, MemoryCluster)
    conflicts = {"left": 2}
    settle = rec._update

    def busy(index: str, doc_id: str, body: dict[str, Any], query: dict[str, str]) -> Any:
        if "if_seq_no" in query and conflicts["left"]:
            conflicts["left"] -= 1
            rec.put(index, doc_id, rec.docs[index][doc_id].source)  # a sighting meanwhile
        return settle(index, doc_id, body, query)

    rec._update = busy  # type: ignore[method-assign]
    cat.add_review(review_row(1, "a", "confirmed", T2))
    updates = rec.find("POST", r"/adwatch-ads-write/_update/a")
    assert len(updates) == 3 and conflicts["left"] == 0
    assert all({"if_seq_no", "if_primary_term"} <= set(u.query) for u in updates)
    got = cat.get("a") or {}
    assert (got["review"], got["reviewed_at"], got["reviewer"]) == ("confirmed", T2, "analyst1")


def test_a_record_that_never_settles_keeps_the_review_and_says_so(
    cluster: RecordingServer, cat: ElasticCatalogue
) -> None:
    cat.upsert([record("a", label="ad")])
    refuse = lambda request, match: (  # noqa: E731
        409,
        {"error": {"type": "version_conflict_engine_exception", "reason": "conflict"}},
    )
    cluster.recorder.on("POST", r"/adwatch-ads-write/_update/a", refuse)
    with pytest.raises(CatalogueError, match=f"changed {SETTLE_TRIES} times"):
        cat.add_review(review_row(1, "a", "confirmed", T2))
    assert [r["id"] for r in cat.reviews("a")] == ["rev-1"]
    assert (cat.get("a") or {})["review"] == ""


def test_a_refused_review_is_an_error_the_analyst_sees(
    cluster: RecordingServer, cat: ElasticCatalogue
) -> None:
    cat.upsert([record("a", label="ad")])
    blocked = {"error": {"type": "cluster_block_exception", "reason": "index write (api)"}}
    cluster.recorder.on("PUT", r"/adwatch-reviews-write/_doc/.+", lambda r, m: (403, blocked))
    with pytest.raises(CatalogueError, match=r"did not keep the review.*cluster_block"):
        cat.add_review(review_row(1, "a", "confirmed", T1))
    cluster.recorder.on("PUT", r"/adwatch-cases-write/_doc/.+", lambda r, m: (403, blocked))
    with pytest.raises(CatalogueError, match="did not keep the case"):
        cat.save_case({"id": "case-1", "sent_on": "2024-05-01"})
    assert len(cat.retry) == 0  # a person's act is not left to a retry file


def test_a_review_before_the_migration_says_to_migrate(
    cluster: RecordingServer, cat: ElasticCatalogue
) -> None:
    """An adwatch of schema 2 on indices of schema 1: the strict ads mapping
    has no review field yet, and the error says what to run."""
    cat.upsert([record("a", label="ad")])
    cause = {
        "type": "strict_dynamic_mapping_exception",
        "reason": "mapping set to strict, dynamic introduction of [review] within [_doc]",
    }
    refusal = {"error": {"root_cause": [cause], **cause}, "status": 400}
    cluster.recorder.on("POST", r"/adwatch-ads-write/_update/a", lambda r, m: (400, refusal))
    with pytest.raises(CatalogueError, match="run `adwatch es migrate`"):
        cat.add_review(review_row(1, "a", "confirmed", T1))
    assert [r["id"] for r in cat.review_queue()] == ["a"]  # still undecided, still queued


def test_reviews_and_cases_page_past_one_request(
    cluster: RecordingServer, cat: ElasticCatalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence.index import elastic

    monkeypatch.setattr(elastic, "PAGE", 3)
    cat.upsert([record("a", label="ad"), record("b", label="suspect", score=0.4)])
    for n in range(7):  # seven decisions in the same second: the later written first
        cat.add_review(review_row(n, "a" if n % 2 else "b", "unsure", T3))
    for n in range(5):
        cat.save_case({"id": f"case-{n}", "sent_on": f"2024-05-0{n + 1}", "status": "sent"})
    assert [r["id"] for r in cat.reviews(limit=5)] == [f"rev-{n}" for n in (6, 5, 4, 3, 2)]
    assert [r["id"] for r in cat.reviews(limit=-1)] == [f"rev-{n}" for n in range(6, -1, -1)]
    assert [r["id"] for r in cat.reviews("a", limit=10)] == ["rev-5", "rev-3", "rev-1"]
    assert [c["id"] for c in cat.cases(limit=4)] == [f"case-{n}" for n in (4, 3, 2, 1)]
    assert cat.reviews(limit=0) == [] and cat.cases(limit=0) == []
    searches = cluster.recorder.find("POST", "/adwatch-reviews/_search")
    assert any("search_after" in s.json for s in searches)


def test_the_memory_cluster_runs_no_painless(
    cluster: RecordingServer, cat: ElasticCatalogue
) -> None:
    """Its limit, shown: a second sighting needs the script, so it is refused
    (kept to re-send), and that case is left to the live suite."""
    assert cat.upsert([record("a")]).inserted == 1
    assert cat.upsert([record("a", last_seen=T2)]).deferred == 1
    assert len(cat.retry) == 1
    cat.retry.path.unlink()


def test_searches_see_what_was_refreshed_only(cluster: RecordingServer, tmp_path: Path) -> None:
    """The memory cluster is no kinder than a real one: a search sees what
    the last refresh saw; a get by id sees everything."""
    with open_memory(cluster, tmp_path) as cat:
        cat.upsert([record("a")])
        rec = cluster.recorder
        assert isinstance(rec, MemoryCluster)
        index = rec.index_of("adwatch-ads")
        assert rec.visible.get(index, {}) == {}
        assert cat.get("a") is not None
        assert cat.search().total == 1  # the catalogue refreshed before reading
        assert rec.visible[index].keys() == {"a"}


# --- the sighting script keeps the review: what can be seen without Painless ---------


def test_the_sighting_script_saves_and_restores_every_review_field() -> None:
    before, _, after = UPSERT_SCRIPT.partition("s.clear();")
    for name in ("review", "reviewed_at", "reviewed_key", "reviewer"):
        assert name in schema.MAPPINGS["ads"]
        saved = re.search(rf"def (\w+) = s\.{name};", before)
        assert saved, name
        assert re.search(rf"s\.{name} = {saved.group(1)};", after), name
    assert "if (review != null)" in after


def test_a_record_read_back_and_upserted_carries_no_review_into_the_document() -> None:
    read_back = record("a") | {"review": "rejected", "reviewed_at": T1, "reviewer": "forged"}
    document = schema.ad_document(read_back)
    assert not {"review", "reviewed_at", "reviewed_key", "reviewer"} & set(document)
    assert document["record"] == record("a")
