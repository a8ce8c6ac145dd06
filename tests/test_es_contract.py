"""Contract tests of the Elasticsearch catalogue: the real client's requests,
sent to a recording server on 127.0.0.1, checked against the mapping.

No cluster runs here (tests/test_catalogue.py runs the whole interface on a
live one when ADWATCH_ES_URL is set).  What can go wrong without a cluster
is checked here: every document fits the strict mapping (a field the mapping
lacks, or a value its type refuses, would be rejected in production), every
query names fields that exist with a type that can answer it, the bulk
lines are the actions we mean, failures are retried and kept, and the
administration calls (templates, aliases, sync, migrate) are the ones
documented.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from crawler.interfaces.cli import cli
from crawler.items import AdRecord, Author, Contact, ImageRef, Match
from evidence.index import CatalogueError, SqliteCatalogue, open_catalogue
from evidence.index import _es_schema as schema
from evidence.index import es_admin as admin
from evidence.index.elastic import (
    CAPTURE_SCRIPT,
    UPSERT_SCRIPT,
    ElasticCatalogue,
    ElasticSettings,
)
from tests.es_recorder import Recorder, RecordingServer, Request

AGGREGATABLE = {"keyword", "date", "integer", "long", "float", "boolean"}


# --- a validator of documents and queries against the mapping ------------------


def field_type(properties: dict[str, Any], path: str) -> dict[str, Any]:
    """The mapping of a dotted field path (subfields like title.kw included)."""
    parts = path.split(".")
    node: dict[str, Any] = {"properties": properties}
    for part in parts:
        if "properties" in node and part in node["properties"]:
            node = node["properties"][part]
        elif "fields" in node and part in node["fields"]:
            node = node["fields"][part]
        else:
            raise AssertionError(f"field {path!r} is not in the mapping")
    return node


def check_value(mapping: dict[str, Any], value: Any, where: str) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            check_value(mapping, item, where)
        return
    if mapping.get("enabled") is False:
        return
    kind = mapping.get("type", "object")
    if kind == "object":
        assert isinstance(value, dict), f"{where}: object expected, got {value!r}"
        check_document(mapping["properties"], value, where)
    elif kind in ("keyword", "text"):
        assert isinstance(value, str), f"{where}: string expected, got {value!r}"
        assert not re.search(r"[\ud800-\udfff]", value) or kind == "keyword"
    elif kind == "date":
        assert isinstance(value, str), f"{where}: date string expected"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), f"{where}: {value!r}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
    elif kind == "float":
        assert isinstance(value, int | float) and not isinstance(value, bool), where
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}: {value!r}"
    else:
        raise AssertionError(f"{where}: unchecked type {kind}")


def check_document(properties: dict[str, Any], document: dict[str, Any], where: str = "") -> None:
    """As a strict mapping would: every field declared, every value of its type."""
    for name, value in document.items():
        assert name in properties, f"{where}.{name} is not in the strict mapping"
        check_value(properties[name], value, f"{where}.{name}")


def fields_in_query(node: Any) -> Iterator[tuple[str, str]]:
    """(clause, field) for every field a query, sort or aggregation names."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("terms", "date_histogram", "cardinality") and "field" in value:
                yield "agg", value["field"]
            elif key in ("term", "terms", "range", "match_phrase", "match") and isinstance(
                value, dict
            ):
                for name in value:
                    yield key, name
            elif key == "exists":
                yield key, value["field"]
            elif key == "sort":
                for entry in value:
                    yield "sort", next(iter(entry)) if isinstance(entry, dict) else entry
            else:
                yield from fields_in_query(value)
    elif isinstance(node, list):
        for item in node:
            yield from fields_in_query(item)


def check_query(kind: str, body: dict[str, Any]) -> None:
    properties = schema.MAPPINGS[kind]
    for clause, name in fields_in_query(body):
        mapping = field_type(properties, name)
        if clause in ("match_phrase", "match"):
            assert mapping["type"] == "text", f"{clause} on non-text {name}"
        elif clause != "exists":
            assert mapping.get("type") in AGGREGATABLE, f"{clause} on {name} ({mapping})"
            assert mapping.get("index", True), f"{clause} on unindexed {name}"


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


def open_es(server: RecordingServer, tmp_path: Path, **query: str) -> ElasticCatalogue:
    options = {"replicas": "0", "retry_file": str(tmp_path / "retry.jsonl"), **query}
    uri = f"elasticsearch+{server.url}?" + "&".join(f"{k}={v}" for k, v in options.items())
    catalogue = open_catalogue(uri)
    assert isinstance(catalogue, ElasticCatalogue)
    # Quick back-off: the contract, not the waiting, is under test.
    catalogue.settings = ElasticSettings(**{**catalogue.settings.__dict__, "initial_backoff": 0.01})
    return catalogue


def ad(n: int = 1, **fields: Any) -> dict[str, Any]:
    """A real AdRecord with every nested part filled."""
    record = AdRecord(
        channel="market",
        platform="demo-xianyu",
        url=f"http://127.0.0.1/item/{n}",
        title=f"逾期先别还，当天停催 {n}",
        text="协商还款，立省8000元。征信修复，加V: tc_888",
        author=Author(name="法务小王", id="u1", url="http://127.0.0.1/u/1"),
        published_at="3天前",  # not a date: kept in the record, not in a date field
        price="￥99",
        region="广东 深圳",
        images=[
            ImageRef(
                url="http://127.0.0.1/a.png",
                sha256="ab" * 32,
                ocr={"text": "全额退保", "lines": [], "qr": ["https://u.wechat.com/x"]},
            ),
            ImageRef(url="http://127.0.0.1/b.png", error="corrupt"),
        ],
        score=0.95,
        label="ad",
        categories=["stop_collection", "credit_repair"],
        matches=[Match("stop", "停催", "title", (7, 9))],
        contacts=[Contact("wechat", "V: tc_888", "tc_888", "text", (20, 29))],
        reasons=["停催"],
        first_seen="2026-11-01T08:00:00+08:00",
    ).to_dict()
    record.update(fields)
    return record


# --- set-up -----------------------------------------------------------------------------


def test_opening_installs_templates_and_versioned_indices_behind_two_aliases(
    server: RecordingServer, tmp_path: Path
) -> None:
    with open_es(server, tmp_path):
        pass
    rec = server.recorder
    assert rec.requests[0].method == "GET" and rec.requests[0].path == "/"
    for request in rec.requests:
        assert request.headers["accept"] == "application/vnd.elasticsearch+json; compatible-with=8"
    (component,) = rec.find("PUT", "/_component_template/adwatch-analysis")
    settings = component.json["template"]["settings"]
    assert settings["number_of_replicas"] == 0
    analysis = settings["analysis"]
    for kind in schema.KINDS:
        (put,) = rec.find("PUT", f"/_index_template/adwatch-{kind}")
        body = put.json
        assert body["index_patterns"] == [f"adwatch-{kind}-v*"]
        assert body["composed_of"] == ["adwatch-analysis"]
        mappings = body["template"]["mappings"]
        assert mappings["dynamic"] == "strict"
        check_analysers(mappings["properties"], analysis)
        (create,) = rec.find("PUT", f"/adwatch-{kind}-v1")
        assert create.json["aliases"] == {
            f"adwatch-{kind}": {},
            f"adwatch-{kind}-write": {"is_write_index": True},
        }


def check_analysers(properties: dict[str, Any], analysis: dict[str, Any]) -> None:
    """Every analyser and normaliser a field names is defined, from built-in parts."""
    for name, mapping in properties.items():
        for sub in [mapping, *mapping.get("fields", {}).values()]:
            if "analyzer" in sub:
                assert sub["analyzer"] in analysis["analyzer"], name
            if "normalizer" in sub:
                assert sub["normalizer"] in analysis["normalizer"], name
        if "properties" in mapping:
            check_analysers(mapping["properties"], analysis)
    builtin_filters = {"cjk_width", "lowercase", "cjk_bigram"}
    for analyser in analysis["analyzer"].values():
        assert set(analyser["filter"]) <= builtin_filters
        assert analyser["tokenizer"] in ("standard", *analysis["tokenizer"])
    for tokenizer in analysis["tokenizer"].values():
        # More than 1 apart needs index.max_ngram_diff raised on every index.
        assert tokenizer["max_gram"] - tokenizer["min_gram"] <= 1


def test_existing_aliases_are_left_alone(server: RecordingServer, tmp_path: Path) -> None:
    for kind in schema.KINDS:
        server.recorder.aliases[f"adwatch-{kind}"] = f"adwatch-{kind}-v3"
    with open_es(server, tmp_path):
        pass
    assert not [r for r in server.recorder.requests if re.fullmatch(r"/adwatch-\w+-v\d+", r.path)]


def test_a_server_of_another_major_is_refused(tmp_path: Path) -> None:
    old = RecordingServer(Recorder(version="7.17.9"))
    with old, pytest.raises(CatalogueError, match=r"7\.17\.9.*8\.x and 9\.x"):
        open_es(old, tmp_path)


def test_credentials_come_from_the_environment_not_the_url(
    server: RecordingServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADWATCH_ES_API_KEY", "a2V5OnNlY3JldA==")
    with open_es(server, tmp_path):
        pass
    assert server.recorder.requests[0].headers["authorization"] == "ApiKey a2V5OnNlY3JldA=="
    with pytest.raises(CatalogueError, match="credentials do not belong in the URL"):
        open_catalogue("elasticsearch+http://elastic:changeme@127.0.0.1:9200")
    with pytest.raises(CatalogueError, match="unknown catalogue option"):
        open_catalogue(f"elasticsearch+{server.url}?shards=3")
    monkeypatch.delenv("ADWATCH_ES_URL", raising=False)
    with pytest.raises(CatalogueError, match="ADWATCH_ES_URL"):
        open_catalogue("elasticsearch://")


def test_basic_auth_and_prefix(server: RecordingServer, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ADWATCH_ES_USER", "adwatch")
    monkeypatch.setenv("ADWATCH_ES_PASSWORD", "pw")
    with open_es(server, tmp_path, prefix="bank-a"):
        pass
    assert server.recorder.requests[0].headers["authorization"].startswith("Basic ")
    assert server.recorder.find("PUT", "/bank-a-ads-v1")
    with pytest.raises(ValueError, match="index prefix"):
        schema.Names("Bad Prefix")


# --- writing ----------------------------------------------------------------------------


def test_upsert_sends_scripted_upserts_whose_documents_fit_the_mapping(
    server: RecordingServer, tmp_path: Path
) -> None:
    records = [ad(1), ad(2), ad(1, last_seen="2026-11-26T10:00:00Z")]
    server.recorder.bulk_item = lambda op, meta, body: (201, {"result": "created"})
    with open_es(server, tmp_path) as cat:
        result = cat.upsert(records)
    assert (result.inserted, result.updated, result.deferred) == (3, 0, 0)
    lines = server.recorder.bulk_lines()
    headers, bodies = lines[0::2], lines[1::2]
    assert [h["update"]["_id"] for h in headers] == [r["id"] for r in records]
    for header, body, record in zip(headers, bodies, records, strict=True):
        assert header["update"]["_index"] == "adwatch-ads-write"
        assert body["scripted_upsert"] is True and body["upsert"] == {}
        assert body["script"]["source"] == UPSERT_SCRIPT
        document = body["script"]["params"]["doc"]
        check_document(schema.MAPPINGS["ads"], document)
        assert document["record"] == record  # kept whole: get returns it exactly
    document = bodies[0]["script"]["params"]["doc"]
    assert document["first_seen"] == "2026-11-01T00:00:00Z"  # UTC, sortable as text
    assert document["published_at"] is None  # "3天前" is no date
    assert document["province"] == "广东"
    assert document["contact_kinds"] == ["wechat"]
    assert document["qr"] == ["https://u.wechat.com/x"]
    assert "全额退保" in document["ocr_text"] and "全额退保" in document["body"]
    assert "停催" in document["text_norm"]


def test_hostile_values_are_refused_before_anything_is_sent(
    server: RecordingServer, tmp_path: Path
) -> None:
    with open_es(server, tmp_path) as cat:
        for bad in (
            {"title": "no id"},
            ad(2, id=""),
            ad(2, score="high"),
            ad(2, score=float("nan")),
        ):
            with pytest.raises(ValueError, match="record #1"):
                cat.upsert([ad(1), bad])
    assert server.recorder.bulk_lines() == []


def test_lone_surrogates_are_sent_as_valid_utf8(server: RecordingServer, tmp_path: Path) -> None:
    with open_es(server, tmp_path) as cat:
        cat.upsert([ad(1, title="坏字节\udcff停催")])
    (bulk,) = [r for r in server.recorder.requests if r.path == "/_bulk"]
    bulk.raw.decode("utf-8")  # strict: raises on surrogatepass bytes
    assert bulk.lines[1]["script"]["params"]["doc"]["record"]["title"] == "坏字节\udcff停催"


def test_429_items_are_retried_alone(server: RecordingServer, tmp_path: Path) -> None:
    busy = {"left": 2}

    def item(op: str, meta: dict[str, Any], body: Any) -> tuple[int, dict[str, Any]] | None:
        if meta["_id"] == ad(2)["id"] and busy["left"]:
            busy["left"] -= 1
            return 429, {"error": {"type": "es_rejected_execution_exception"}}
        return None

    server.recorder.bulk_item = item
    with open_es(server, tmp_path) as cat:
        result = cat.upsert([ad(1), ad(2), ad(3)])
    assert result.deferred == 0 and result.total == 3
    bulks = [r for r in server.recorder.requests if r.path == "/_bulk"]
    assert [len(b.lines) for b in bulks] == [6, 2, 2]
    assert bulks[1].lines[0]["update"]["_id"] == ad(2)["id"]


def test_what_still_fails_is_kept_and_sent_again_first(
    server: RecordingServer, tmp_path: Path
) -> None:
    refuse = {"on": True}

    def item(op: str, meta: dict[str, Any], body: Any) -> tuple[int, dict[str, Any]] | None:
        if refuse["on"] and meta["_id"] == ad(2)["id"]:
            return 400, {"error": {"type": "mapper_parsing_exception"}}
        return None

    server.recorder.bulk_item = item
    retry = tmp_path / "retry.jsonl"
    with open_es(server, tmp_path) as cat:
        result = cat.upsert([ad(1), ad(2)])
        assert (result.updated, result.deferred) == (1, 1)
        (kept,) = [json.loads(line) for line in retry.read_text().splitlines()]
        assert kept["header"]["update"]["_id"] == ad(2)["id"] and kept["status"] == 400
        assert "mapper_parsing_exception" in kept["error"]
        refuse["on"] = False
        server.recorder.requests.clear()
        cat.upsert([ad(3)])
    ids = [line["update"]["_id"] for line in server.recorder.bulk_lines()[0::2]]
    assert ids == [ad(2)["id"], ad(3)["id"]]  # the kept one first
    assert not retry.exists()


def test_a_kept_sighting_is_sent_again_with_this_adwatchs_script(
    server: RecordingServer, tmp_path: Path
) -> None:
    """A retry file kept by an older adwatch holds its sighting script, which
    would drop a record's review: it is re-sent with the current one."""
    retry = tmp_path / "retry.jsonl"
    with open_es(server, tmp_path) as cat:
        header, body = cat.sighting(schema.ad_document(ad(1)))
    older = dict(body, script=dict(body["script"], source="ctx._source.clear();"))
    kept = [
        {"header": header, "body": older, "status": 503, "error": "unavailable"},
        {"header": {"index": {"_index": "adwatch-jobs-write", "_id": "j"}}, "body": {"id": "j"}},
    ]
    retry.write_text("".join(json.dumps(k) + "\n" for k in kept), encoding="utf-8")
    server.recorder.requests.clear()
    with open_es(server, tmp_path) as cat:
        cat.upsert([ad(2)])
    lines = server.recorder.bulk_lines()
    assert lines[0] == header and lines[1]["script"]["source"] == UPSERT_SCRIPT
    assert lines[1]["script"]["params"] == body["script"]["params"]
    assert lines[2:4] == [kept[1]["header"], kept[1]["body"]]  # anything else as kept
    assert not retry.exists()


def test_an_unreachable_cluster_defers_everything(server: RecordingServer, tmp_path: Path) -> None:
    cat = open_es(server, tmp_path)
    port = int(server.url.rsplit(":", 1)[1])
    server.stop()
    result = cat.upsert([ad(1), ad(2)])
    cat.record_block("demo-xianyu", "http://x", "captcha", "2026-11-26T10:00:00Z")
    assert result.deferred == 2 and result.total == 0
    assert len(cat.retry) == 3
    cat.close()
    with RecordingServer(port=port) as again:  # the cluster is back on the same address
        with open_es(again, tmp_path) as cat:
            cat.add_rejects([{"at": "2026-11-26T10:00:00Z", "url": "u", "stage": "fetch"}])
        ops = [next(iter(line)) for line in again.recorder.bulk_lines()[0::2]]
    assert ops == ["update", "update", "index", "index"]
    assert not (tmp_path / "retry.jsonl").exists()


def test_events_fit_their_mappings(server: RecordingServer, tmp_path: Path) -> None:
    with open_es(server, tmp_path) as cat:
        cat.record_block("demo-xianyu", "http://x", "captcha", "2026-11-26T18:00:00+08:00")
        cat.add_rejects([{"at": "bad time", "url": "u", "stage": "fetch", "detail": b"\x00"}])
        cat.add_capture(
            {
                "record_id": ad(1)["id"],
                "url": "http://127.0.0.1/item/1",
                "platform": "demo-xianyu",
                "kind": "capture",
                "outcome": "sealed",
                "status": "live",
                "bundle_id": "b" * 64,
                "at": "2026-11-26T10:00:00Z",
                "content_digest": "d1",
                "extra": {"anything": [1, 2]},
            }
        )
    lines = server.recorder.bulk_lines()
    pairs = list(zip(lines[0::2], lines[1::2], strict=True))
    kinds = [next(iter(h.values()))["_index"] for h, _ in pairs]
    assert kinds == [
        "adwatch-blocks-write",
        "adwatch-rejects-write",
        "adwatch-captures-write",
        "adwatch-ads-write",
    ]
    for (header, body), kind in zip(pairs[:3], ("blocks", "rejects", "captures"), strict=True):
        check_document(schema.MAPPINGS[kind], body, kind)
        assert header["index"]["_id"]  # client-side ids: a re-send overwrites, never doubles
    assert pairs[0][1]["at"] == "2026-11-26T10:00:00Z"
    assert pairs[1][1]["at"] is None and pairs[1][1]["at_key"] == "bad time"
    summary = pairs[3][1]["script"]
    assert summary["source"] == CAPTURE_SCRIPT
    assert summary["params"] == {
        "at": "2026-11-26T10:00:00Z",
        "outcome": "sealed",
        "status": "live",
        "bundle_id": "b" * 64,
        "digest": "d1",
    }
    for name in re.findall(r"\bc\.(\w+)", CAPTURE_SCRIPT):
        field_type(schema.MAPPINGS["ads"], f"capture.{name}")


def test_scripts_only_touch_mapped_fields() -> None:
    for name in set(re.findall(r"\bs\.(\w+)", UPSERT_SCRIPT + CAPTURE_SCRIPT)) - {
        "clear",
        "putAll",
        "containsKey",
    }:
        field_type(schema.MAPPINGS["ads"], name)


def test_save_operators(server: RecordingServer, tmp_path: Path) -> None:
    ops = [{"id": "op1", "ads": ["a", "b"], "first_seen": "2026-11-01", "platforms": ["x"]}]
    with open_es(server, tmp_path) as cat:
        assert cat.save_operators(ops) == 2
    rec = server.recorder
    (clear,) = rec.find("POST", "/adwatch-ads-write/_update_by_query")
    check_query("ads", clear.json)
    assert rec.find("POST", "/adwatch-operators-write/_delete_by_query")
    lines = rec.bulk_lines()
    check_document(schema.MAPPINGS["operators"], lines[1], "operators")
    assert lines[0] == {"index": {"_index": "adwatch-operators-write", "_id": "op1"}}
    assert lines[3] == {"doc": {"cluster_id": "op1", "record": {"cluster_id": "op1"}}}


# --- reading ----------------------------------------------------------------------------


def hits(*records: dict[str, Any]) -> Any:
    def answer(request: Request, _: Any) -> tuple[int, Any]:
        found = [
            {
                "_index": "adwatch-ads-v1",
                "_id": r["id"],
                "_source": {"record": r, "body": f"{r['title']}\n{r['text']}"},
                "sort": [r["score"], r["id"]],
            }
            for r in records
        ]
        return 200, {"hits": {"total": {"value": 41, "relation": "eq"}, "hits": found}}

    return answer


def test_search_body_and_hits(server: RecordingServer, tmp_path: Path) -> None:
    server.recorder.on("POST", r"/adwatch-ads/_search", hits(ad(1)))
    with open_es(server, tmp_path) as cat:
        result = cat.search(
            "停催  征信 停催",
            label="ad",
            platform="demo-xianyu",
            channel="market",
            since="2026-11-01",
            limit=5,
            offset=10,
        )
    assert result.total == 41
    assert result.hits[0]["id"] == ad(1)["id"] and "【停催】" in result.hits[0]["snippet"]
    (request,) = server.recorder.find("POST", "/adwatch-ads/_search")
    body = request.json
    assert body["from"] == 10 and body["size"] == 5 and body["track_total_hits"] is True
    assert body["query"]["bool"]["must"] == [
        {"match_phrase": {"body.ngram": {"query": "停催"}}},
        {"match_phrase": {"body.ngram": {"query": "征信"}}},
    ]
    assert {"range": {"last_seen": {"gte": "2026-11-01T00:00:00Z"}}} in body["query"]["bool"][
        "filter"
    ]
    check_query("ads", body)
    with open_es(server, tmp_path) as cat, pytest.raises(ValueError, match="10000"):
        cat.search("x", offset=9990, limit=20)


def test_every_read_names_mapped_fields(server: RecordingServer, tmp_path: Path) -> None:
    with open_es(server, tmp_path) as cat:
        cat.stats()
        cat.blocks(since="2026-11-01")
        cat.rejects(5)
        cat.linking_rows()
        cat.operators(10, min_ads=2)
        cat.captures("rid")
        cat.capture_queue(max_attempts=3)
        cat.recheck_queue("2026-11-20T00:00:00Z")
        cat.jobs(profile="demo-search")
        cat.count_new("2026-11-01", label="ad")
        cat.takedowns()
        assert cat.get("missing") is None
        cat.search(review="none")
        cat.search("停催", review="confirmed")
        cat.reviews()
        cat.reviews("rid", limit=5000)  # paged with search_after
        cat.review_queue(labels=("ad",))
        cat.cases(status="sent")
        assert cat.case("case-1") is None and cat.case("") is None
    searched = [r for r in server.recorder.requests if r.path.endswith(("/_search", "/_count"))]
    assert len(searched) >= 24
    for request in searched:
        kind = request.path.split("/")[1].removeprefix("adwatch-")
        check_query(kind, request.json)


def test_review_filters_and_counts(server: RecordingServer, tmp_path: Path) -> None:
    with open_es(server, tmp_path) as cat:
        with pytest.raises(ValueError, match="review must be none or one of"):
            cat.search(review="yes")
        assert not server.recorder.find("POST", "/adwatch-ads/_search")
        cat.search(review="none")
        cat.search(review="unsure")
        stats = cat.stats()
    none, unsure, *_ = [r.json for r in server.recorder.find("POST", "/adwatch-ads/_search")]
    decided = {"terms": {"review": ["confirmed", "rejected", "unsure"]}}
    # Undecided: no decision, whether the field is missing (every record
    # written before schema 2) or anything else.
    assert none["query"]["bool"]["must_not"] == [decided]
    assert {"term": {"review": "unsure"}} in unsure["query"]["bool"]["filter"]
    assert "must_not" not in unsure["query"]["bool"]
    (by_review,) = [
        r.json
        for r in server.recorder.find("POST", "/adwatch-ads/_search")
        if "aggs" in r.json and r.json["aggs"]["by"]["terms"]["field"] == "review"
    ]
    assert by_review["query"] == decided
    assert stats["by_review"] == {}  # the recorder holds no records


def test_a_review_and_a_case_are_sent_as_the_mappings_want(
    server: RecordingServer, tmp_path: Path
) -> None:
    rec = server.recorder
    found = {"_index": "adwatch-ads-v2", "_id": "a", "_seq_no": 41, "_primary_term": 3}
    rec.on(
        "GET",
        r"/adwatch-ads/_doc/a",
        lambda r, m: (200, {**found, "found": True, "_source": {"platform": "demo-xianyu"}}),
    )
    newest = {
        "_id": "rev-1",
        "_source": {"decision": "rejected", "at_key": "2026-11-26T02:00:00Z", "reviewer": "王"},
        "sort": ["2026-11-26T02:00:00Z", 1, "rev-1"],
    }
    rec.on(
        "POST",
        r"/adwatch-reviews/_search",
        lambda r, m: (200, {"hits": {"total": {"value": 1, "relation": "eq"}, "hits": [newest]}}),
    )
    review = {
        "id": "rev-1",
        "record_id": "a",
        "decision": "rejected",
        "reason": "news",
        "note": "<script>\u202e",
        "reviewer": "王",
        "at": "2026-11-26T10:00:00+08:00",
        "bundle_id": "b" * 64,
        "ledger_seq": 7,
        "label": "ad",
        "score": 0.9,
    }
    case = {
        "id": "case-20261126-abc123",
        "regulator": "cac",
        "channel": "12377",
        "sent_on": "2026-11-26",
        "reference": "JB-<1>",
        "dossier_sha256": "d" * 64,
        "dossier_name": "dossier.zip",
        "record_ids": ["a", "b"],
        "operator_id": "op1",
        "status": "sent",
        "events": [{"at": "2026-11-26T02:00:00Z", "status": "sent", "by": "王", "note": ""}],
        "created_by": "王",
        "created_at": "2026-11-26T02:00:00Z",
        "closed_at": "",
    }
    with open_es(server, tmp_path) as cat:
        cat.add_review(review)
        cat.save_case(case)
        with pytest.raises(KeyError, match="nope"):
            cat.add_review(dict(review, record_id="nope"))
    (put,) = rec.find("PUT", "/adwatch-reviews-write/_doc/rev-1")
    assert put.query["refresh"] == "true"  # the settling search must see it
    check_document(schema.MAPPINGS["reviews"], put.json, "reviews")
    assert put.json["doc"] == review and put.json["platform"] == "demo-xianyu"
    assert (put.json["at"], put.json["at_key"]) == ("2026-11-26T02:00:00Z",) * 2
    (search,) = rec.find("POST", "/adwatch-reviews/_search")
    check_query("reviews", search.json)
    assert search.json["query"] == {"term": {"record_id": "a"}} and search.json["size"] == 1
    (update,) = rec.find("POST", "/adwatch-ads-write/_update/a")
    assert (update.query["if_seq_no"], update.query["if_primary_term"]) == ("41", "3")
    assert update.json == {
        "doc": {
            "review": "rejected",
            "reviewed_at": "2026-11-26T02:00:00Z",
            "reviewed_key": "2026-11-26T02:00:00Z",
            "reviewer": "王",
        }
    }
    check_document(schema.MAPPINGS["ads"], update.json["doc"], "ads")
    (saved,) = rec.find("PUT", "/adwatch-cases-write/_doc/case-20261126-abc123")
    check_document(schema.MAPPINGS["cases"], saved.json, "cases")
    assert saved.json["doc"] == case and saved.json["records"] == 2
    assert (saved.json["sent_on"], saved.json["closed_at"]) == ("2026-11-26T00:00:00Z", None)


def test_a_record_read_back_and_upserted_again_sends_no_review(
    server: RecordingServer, tmp_path: Path
) -> None:
    read_back = dict(ad(1), review="rejected", reviewed_at="2026-11-26T02:00:00Z", reviewer="x")
    with open_es(server, tmp_path) as cat:
        cat.upsert([read_back])
    _, body = server.recorder.bulk_lines()
    document = body["script"]["params"]["doc"]
    assert not {"review", "reviewed_at", "reviewed_key", "reviewer"} & set(document)
    assert document["record"] == ad(1)


def test_queues_page_with_search_after(server: RecordingServer, tmp_path: Path) -> None:
    pages = iter([[ad(n, score=1.0) for n in range(1000)], [ad(1000 + n) for n in range(3)]])

    def answer(request: Request, _: Any) -> tuple[int, Any]:
        found = [
            {"_id": r["id"], "_source": {**schema.ad_document(r)}, "sort": [r["score"], r["id"]]}
            for r in next(pages)
        ]
        return 200, {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": found}}

    server.recorder.on("POST", r"/adwatch-ads/_search", answer)
    with open_es(server, tmp_path) as cat:
        queue = cat.capture_queue()
    assert len(queue) == 1003 and queue[0]["attempts"] == 0 and queue[0]["label"] == "ad"
    first, second = server.recorder.find("POST", "/adwatch-ads/_search")
    assert "search_after" not in first.json
    assert second.json["search_after"] == [1.0, ad(999)["id"]]


# --- sync and migrate ---------------------------------------------------------------------


@pytest.fixture
def sqlite_catalogue(tmp_path: Path) -> Path:
    path = tmp_path / "catalogue.db"
    with SqliteCatalogue(str(path)) as cat:
        cat.upsert([ad(n) for n in range(7)])
        cat.upsert([ad(0)])  # seen twice
        cat.add_capture(
            {
                "record_id": ad(0)["id"],
                "outcome": "sealed",
                "status": "live",
                "bundle_id": "b1",
                "at": "2026-11-20T00:00:00Z",
                "content_digest": "d",
            }
        )
        cat.add_capture({"record_id": ad(1)["id"], "outcome": "blocked", "at": "2026-11-21"})
        cat.record_block("demo-xianyu", "http://x", "captcha", "2026-11-21T00:00:00Z")
        cat.add_rejects([{"at": "2026-11-21T00:00:00Z", "url": "u", "stage": "fetch"}])
        cat.save_operators([{"id": "op1", "ads": [ad(0)["id"], ad(1)["id"]], "first_seen": ""}])
    return path


def test_sync_copies_sqlite_resumably_and_idempotently(
    server: RecordingServer, tmp_path: Path, sqlite_catalogue: Path, monkeypatch
) -> None:
    monkeypatch.setattr(admin, "CHUNK", 3)
    seen: list[tuple[str, int]] = []

    def interrupt(table: str, n: int) -> None:
        seen.append((table, n))
        if len(seen) == 2:
            raise KeyboardInterrupt

    with open_es(server, tmp_path) as target, pytest.raises(KeyboardInterrupt):
        admin.sync(sqlite_catalogue, target, progress=interrupt)
    first = server.recorder.bulk_lines()
    assert [h["index"]["_id"] for h in first[0::2]] == [ad(n)["id"] for n in range(6)]
    server.recorder.requests.clear()
    with open_es(server, tmp_path) as target:
        report = admin.sync(sqlite_catalogue, target)
    assert report.resumed and report.copied == {
        "records": 1,
        "captures": 2,
        "blocks": 1,
        "rejects": 1,
    }
    assert report.operators == 1
    lines = server.recorder.bulk_lines()
    records = [
        body
        for head, body in zip(lines[0::2], lines[1::2], strict=True)
        if head.get("index", {}).get("_index") == "adwatch-ads-write"
    ]
    assert [r["id"] for r in records] == [ad(6)["id"]]
    events = [(h, b) for h, b in zip(lines[0::2], lines[1::2], strict=True) if "index" in h][1:5]
    for header, body in events:
        kind = header["index"]["_index"].removeprefix("adwatch-").removesuffix("-write")
        check_document(schema.MAPPINGS[kind], body, kind)
    # Copied with their history as SQLite has it, capture summary included.
    server.recorder.requests.clear()
    with open_es(server, tmp_path) as target:
        admin.sync(sqlite_catalogue, target, restart=True)
    lines = server.recorder.bulk_lines()
    copy = {
        b["id"]: b
        for h, b in zip(lines[0::2], lines[1::2], strict=True)
        if h.get("index", {}).get("_index") == "adwatch-ads-write"
    }
    assert len(copy) == 7
    assert copy[ad(0)["id"]]["times_seen"] == 2
    assert copy[ad(0)["id"]]["capture"] == {
        "attempts": 1,
        "at": "2026-11-20T00:00:00Z",
        "outcome": "sealed",
        "bundle_id": "b1",
        "bundle_at": "2026-11-20T00:00:00Z",
        "bundle_status": "live",
        "bundle_digest": "d",
    }
    assert copy[ad(1)["id"]]["capture"]["attempts"] == 1
    for document in copy.values():
        check_document(schema.MAPPINGS["ads"], document)
    event_ids = [h["index"]["_id"] for h in lines[0::2] if "index" in h][7:11]
    again = [h["index"]["_id"] for h in first[0::2]]  # nothing random in the ids
    assert len(set(event_ids)) == 4 and not set(event_ids) & set(again)


def test_sync_copies_reviews_and_cases(
    server: RecordingServer, tmp_path: Path, sqlite_catalogue: Path
) -> None:
    with SqliteCatalogue(str(sqlite_catalogue)) as cat:
        for n, decision in enumerate(("unsure", "confirmed", "rejected")):
            cat.add_review(
                {
                    "id": f"rev-{n}",
                    "record_id": ad(n % 2)["id"],
                    "decision": decision,
                    "reviewer": "王",
                    "at": f"2026-11-2{n}T00:00:00Z",
                    "reason": "news" if decision == "rejected" else "",
                }
            )
        cat.save_case({"id": "case-1", "sent_on": "2026-11-25", "record_ids": [ad(0)["id"]]})
    with open_es(server, tmp_path) as target:
        report = admin.sync(sqlite_catalogue, target)
    assert report.copied["reviews"] == 3 and report.copied["cases"] == 1
    lines = server.recorder.bulk_lines()
    pairs = [(h["index"], b) for h, b in zip(lines[0::2], lines[1::2], strict=True) if "index" in h]
    ads = {b["id"]: b for h, b in pairs if h["_index"] == "adwatch-ads-write"}
    for document in ads.values():
        check_document(schema.MAPPINGS["ads"], document, "ads")
    assert {k: ads[ad(0)["id"]][k] for k in ("review", "reviewed_key", "reviewer")} == {
        "review": "rejected",
        "reviewed_key": "2026-11-22T00:00:00Z",
        "reviewer": "王",
    }
    assert ads[ad(1)["id"]]["review"] == "confirmed" and "review" not in ads[ad(2)["id"]]
    reviews = [(h, b) for h, b in pairs if h["_index"] == "adwatch-reviews-write"]
    assert [(h["_id"], b["seq"]) for h, b in reviews] == [("rev-0", 1), ("rev-1", 2), ("rev-2", 3)]
    for _, document in reviews:
        check_document(schema.MAPPINGS["reviews"], document, "reviews")
        assert document["platform"] == "demo-xianyu"
    ((header, case),) = [(h, b) for h, b in pairs if h["_index"] == "adwatch-cases-write"]
    assert header["_id"] == "case-1" and case["record_ids"] == [ad(0)["id"]]
    check_document(schema.MAPPINGS["cases"], case, "cases")


def test_migrate_reindexes_and_swaps_every_alias_in_one_call(
    server: RecordingServer, tmp_path: Path
) -> None:
    rec = server.recorder
    rec.on("POST", r"/_reindex", lambda r, m: (200, {"task": f"node:{len(rec.requests)}"}))
    rec.on(
        "GET",
        r"/_tasks/(.+)",
        lambda r, m: (
            200,
            {"completed": True, "task": {"status": {"created": 5}}, "response": {"failures": []}},
        ),
    )
    rec.on("POST", r"/adwatch-\w+-v\d/_count", lambda r, m: (200, {"count": 5}))
    with open_es(server, tmp_path) as cat:
        moves = admin.migrate(cat)
    assert [(m.old, m.new) for m in moves] == [
        (f"adwatch-{k}-v1", f"adwatch-{k}-v2") for k in schema.KINDS
    ]
    blocks = rec.find("PUT", r"/adwatch-\w+-v1/_settings")
    kinds = len(schema.KINDS)
    assert [b.json for b in blocks] == [{"index.blocks.write": True}] * kinds
    reindexes = rec.find("POST", "/_reindex")
    assert [r.json["dest"]["index"] for r in reindexes] == [m.new for m in moves]
    (swap,) = rec.find("POST", "/_aliases")
    actions = swap.json["actions"]
    assert len(actions) == 4 * kinds
    assert {
        "add": {"index": "adwatch-ads-v2", "alias": "adwatch-ads-write", "is_write_index": True}
    } in actions
    assert {"remove": {"index": "adwatch-ads-v1", "alias": "adwatch-ads"}} in actions


def test_migrate_moves_only_the_kinds_behind_this_schema(
    server: RecordingServer, tmp_path: Path
) -> None:
    """An adwatch of schema 1 upgraded: opening the catalogue creates the new
    kinds at the current schema; migrate moves the old ones only, and a
    second migrate has nothing to do."""
    rec = server.recorder
    old = ("ads", "operators", "captures", "blocks", "rejects", "jobs")
    for kind in old:
        rec.aliases[f"adwatch-{kind}"] = rec.aliases[f"adwatch-{kind}-write"] = f"adwatch-{kind}-v1"
    rec.schema_versions = {f"adwatch-{k}-v1": 2 for k in ("reviews", "cases")}
    rec.on("POST", r"/_reindex", lambda r, m: (200, {"task": "node:1"}))
    rec.on(
        "GET",
        r"/_tasks/(.+)",
        lambda r, m: (200, {"completed": True, "response": {"failures": []}}),
    )
    rec.on("POST", r"/adwatch-\w+-v\d/_count", lambda r, m: (200, {"count": 5}))
    with open_es(server, tmp_path) as cat:
        assert [r.path for r in rec.find("PUT", r"/adwatch-\w+-v1")] == [
            "/adwatch-reviews-v1",
            "/adwatch-cases-v1",
        ]
        moves = admin.migrate(cat)
        assert [m.kind for m in moves] == list(old)
        (swap,) = rec.find("POST", "/_aliases")
        assert len(swap.json["actions"]) == 4 * len(old)
        (reindex,) = [r for r in rec.find("POST", "/_reindex") if "ads" in r.json["dest"]["index"]]
        assert "script" not in reindex.json  # undecided is a missing review: nothing to fill
        rec.schema_version = schema.SCHEMA_VERSION
        rec.requests.clear()
        assert admin.migrate(cat) == []
    assert not rec.find("PUT", r"/.+/_settings") and not rec.find("POST", "/_aliases")


def test_a_failed_migrate_unblocks_the_old_indices_and_drops_the_new(
    server: RecordingServer, tmp_path: Path
) -> None:
    rec = server.recorder
    rec.on("POST", r"/_reindex", lambda r, m: (200, {"task": "node:1"}))
    rec.on(
        "GET",
        r"/_tasks/(.+)",
        lambda r, m: (200, {"completed": True, "response": {"failures": [{"cause": "mapping"}]}}),
    )
    with open_es(server, tmp_path) as cat, pytest.raises(CatalogueError, match="mapping"):
        admin.migrate(cat)
    kinds = len(schema.KINDS)
    unblocked = [r.json for r in rec.find("PUT", r"/adwatch-\w+-v1/_settings")][kinds:]
    assert unblocked == [{"index.blocks.write": False}] * kinds
    assert len(rec.find("DELETE", r"/adwatch-\w+-v2")) == kinds
    assert not rec.find("POST", "/_aliases")


# --- the command line ----------------------------------------------------------------------


def test_cli_search_and_sync_on_elastic(
    server: RecordingServer, tmp_path: Path, sqlite_catalogue: Path
) -> None:
    server.recorder.on("POST", r"/adwatch-ads/_search", hits(ad(1)))
    runner = CliRunner()
    env = {"ADWATCH_DATA_DIR": str(tmp_path), "ADWATCH_ES_REPLICAS": "0"}
    args = ["search", "停催", "--backend", "elastic", "--es-url", server.url, "--json"]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[0])["id"] == ad(1)["id"]
    result = runner.invoke(cli, ["es", "sync", "--es-url", server.url], env=env)
    assert result.exit_code == 0, result.output
    assert "copied 7 records, 2 captures, 1 blocks, 1 rejects; 1 operators" in result.output
    result = runner.invoke(
        cli, ["search", "--backend", "elastic"], env={**env, "ADWATCH_ES_URL": ""}
    )
    assert result.exit_code != 0 and "ADWATCH_ES_URL" in str(result.exception)


def test_cli_migrate_says_what_moved_or_that_nothing_had_to(
    server: RecordingServer, tmp_path: Path
) -> None:
    rec = server.recorder
    rec.on("POST", r"/_reindex", lambda r, m: (200, {"task": "node:1"}))
    rec.on("GET", r"/_tasks/(.+)", lambda r, m: (200, {"completed": True, "response": {}}))
    rec.on("POST", r"/adwatch-\w+-v\d/_count", lambda r, m: (200, {"count": 3}))
    rec.schema_versions = {f"adwatch-{k}-v1": schema.SCHEMA_VERSION for k in schema.KINDS}
    rec.schema_versions["adwatch-ads-v1"] = 1
    env = {"ADWATCH_DATA_DIR": str(tmp_path), "ADWATCH_ES_REPLICAS": "0"}
    runner = CliRunner()
    result = runner.invoke(cli, ["es", "migrate", "--es-url", server.url], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ads: adwatch-ads-v1 -> adwatch-ads-v2 (3 documents)",
        "old indices kept read-only; delete them when the new ones are checked",
    ]
    rec.schema_version = schema.SCHEMA_VERSION
    rec.schema_versions.clear()
    result = runner.invoke(cli, ["es", "migrate", "--es-url", server.url], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == f"nothing to migrate: every index has schema {schema.SCHEMA_VERSION}\n"


def test_config_builds_the_elastic_uri(tmp_path: Path) -> None:
    from scrapy.settings import Settings

    from crawler.config import AdwatchConfig, ConfigError

    settings = Settings(
        {
            "ADWATCH_DATA_DIR": str(tmp_path),
            "ADWATCH_BACKEND": "elastic",
            "ADWATCH_ES_URL": "https://es.example:9200/",
            "ADWATCH_ES_PREFIX": "bank",
            "ADWATCH_ES_REPLICAS": 2,
        }
    )
    uri = AdwatchConfig.from_settings(settings).catalogue_uri
    scheme, _, location = uri.partition("://")
    parsed = ElasticSettings.from_uri(scheme, location, env={})
    assert (parsed.url, parsed.prefix, parsed.replicas) == ("https://es.example:9200", "bank", 2)
    assert parsed.retry_file == (tmp_path / "es-retry-bank.jsonl").resolve()
    settings.set("ADWATCH_BACKEND", "mongo")
    with pytest.raises(ConfigError, match="ADWATCH_BACKEND"):
        AdwatchConfig.from_settings(settings)


def test_sync_reads_sqlite_without_writing_it(
    server: RecordingServer, tmp_path: Path, sqlite_catalogue: Path
) -> None:
    before = sqlite_catalogue.stat().st_mtime_ns
    with open_es(server, tmp_path) as target:
        admin.sync(sqlite_catalogue, target)
    assert sqlite_catalogue.stat().st_mtime_ns == before
    conn = sqlite3.connect(sqlite_catalogue)
    assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 7
    conn.close()
    assert (tmp_path / "catalogue.db.es-sync.json").is_file()


def test_jobs_fit_their_mapping(server: RecordingServer, tmp_path: Path) -> None:
    from crawler.running.jobs import Job

    job = Job(profile="demo-search", kind="crawl").finish("finished")
    job.pages_by_platform = {"demo-baidu": 12}
    with open_es(server, tmp_path) as cat:
        cat.save_job(job.to_dict())
        with pytest.raises(ValueError, match="id"):
            cat.save_job({"profile": "x"})
    header, body = server.recorder.bulk_lines()
    assert header == {"index": {"_index": "adwatch-jobs-write", "_id": job.id}}
    check_document(schema.MAPPINGS["jobs"], body, "jobs")
    assert body["doc"] == job.to_dict()
