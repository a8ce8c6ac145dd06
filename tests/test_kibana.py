"""Kibana saved objects (evidence/index/kibana): (a) the NDJSON itself, checked
against the Elasticsearch mappings; (b) its import, against a real HTTP(S)
server on 127.0.0.1 that records what it is sent."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from evidence._pki import self_signed_root
from evidence.index._es_schema import KINDS, MAPPINGS, TIME_FIELDS, Names
from evidence.index.kibana import (
    SAVED_OBJECTS,
    KibanaAuthError,
    KibanaConnectionError,
    KibanaImportError,
    build,
    import_saved_objects,
    import_url,
)

# --- (a) the NDJSON -------------------------------------------------------------------

AGGREGATABLE = {
    "keyword",
    "date",
    "date_nanos",
    "boolean",
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
    "ip",
}
# Attributes Kibana keeps as stringified JSON.
JSON_STRINGS = {
    "visState",
    "uiStateJSON",
    "panelsJSON",
    "optionsJSON",
    "searchSourceJSON",
    "fields",
    "fieldFormatMap",
    "fieldAttrs",
    "runtimeFieldMap",
    "sourceFilters",
    "typeMeta",
}
MIGRATION_KEYS = {"coreMigrationVersion", "typeMigrationVersion", "migrationVersion"}
KIND_OF_TITLE = {Names("adwatch").read(kind): kind for kind in KINDS}


def load(text: str | None = None) -> list[dict[str, Any]]:
    text = SAVED_OBJECTS.read_text(encoding="utf-8") if text is None else text
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return load()


def by_type(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["type"] == kind]


def mapping(kind: str, dotted: str) -> dict[str, Any] | None:
    """The mapping of field `dotted` in `kind`, through "properties" and multi-field "fields"."""
    node: dict[str, Any] = {"properties": MAPPINGS[kind]}
    for part in dotted.split("."):
        children = node.get("properties") or node.get("fields") or {}
        if part not in children:
            return None
        node = children[part]
    return node


def searchable(kind: str, dotted: str) -> bool:
    """A leaf field Kibana can show and query (not a container, not stored-only)."""
    node = mapping(kind, dotted)
    return (
        node is not None
        and "properties" not in node
        and node.get("enabled") is not False
        and node.get("index") is not False
    )


def aggregatable(kind: str, dotted: str) -> bool:
    node = mapping(kind, dotted)
    return searchable(kind, dotted) and node is not None and node.get("type") in AGGREGATABLE


def kql_fields(query: str) -> set[str]:
    """Field names of a KQL query (`field:value`, `field < value`), quoted values skipped."""
    unquoted = re.sub(r'"(?:\\.|[^"\\])*"', '""', query)
    return set(re.findall(r"([A-Za-z_@][\w.@]*)\s*(?::|<=|>=|<|>)", unquoted))


def search_source(obj: dict[str, Any]) -> dict[str, Any]:
    return json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])


def data_view_kind(objects: list[dict[str, Any]], obj: dict[str, Any]) -> str:
    """The index kind behind the data view `obj` searches."""
    (ref,) = [r for r in obj["references"] if r["name"] == search_source(obj)["indexRefName"]]
    (view,) = [o for o in objects if o["type"] == "index-pattern" and o["id"] == ref["id"]]
    return KIND_OF_TITLE[view["attributes"]["title"]]


def test_the_checkers_themselves_reject_what_they_must() -> None:
    assert aggregatable("ads", "capture.outcome") and aggregatable("ads", "first_seen")
    assert aggregatable("ads", "title.kw")  # a keyword multi-field
    assert not aggregatable("ads", "title")  # text
    assert not aggregatable("ads", "record")  # enabled: false
    assert not aggregatable("blocks", "at_raw")  # index: false
    assert not aggregatable("ads", "capture")  # an object, not a field
    assert not searchable("ads", "record.id") and mapping("ads", "no_such") is None
    assert kql_fields('label:ad and not cluster_id:"a:b" or score >= 0.8') == {
        "label",
        "cluster_id",
        "score",
    }


def test_the_committed_file_is_the_generator_output() -> None:
    assert SAVED_OBJECTS == build.OUTPUT
    assert SAVED_OBJECTS.read_text(encoding="utf-8") == build.render(), (
        "stale: run python -m evidence.index.kibana.build"
    )
    assert build.main(["--check"]) == 0


def test_the_generator_check_notices_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "adwatch.ndjson"
    stale.write_text(build.render().replace("反催收", "x"), encoding="utf-8")
    assert build.main(["--check", "-o", str(stale)]) == 1
    assert build.main(["-o", str(stale)]) == 0
    assert build.main(["--check", "-o", str(stale)]) == 0


def test_every_line_is_an_object_with_a_unique_id(objects: list[dict[str, Any]]) -> None:
    assert len(objects) == 23
    ids = [o["id"] for o in objects]
    assert len(set(ids)) == len(ids)
    for obj in objects:
        assert set(obj) == {"type", "id", "attributes", "references"}, obj["id"]
        assert not set(obj) & MIGRATION_KEYS  # Kibana runs every migration itself
        assert re.fullmatch(r"adwatch-[a-z0-9-]+", obj["id"])
        assert obj["type"] in {"index-pattern", "search", "visualization", "dashboard"}
        assert obj["attributes"]["title"].strip()


def test_the_stringified_attributes_parse(objects: list[dict[str, Any]]) -> None:
    seen = 0
    for obj in objects:
        attrs = dict(obj["attributes"])
        attrs.update(attrs.pop("kibanaSavedObjectMeta", {}))
        for name, value in attrs.items():
            if name in JSON_STRINGS:
                assert isinstance(value, str), (obj["id"], name)
                json.loads(value)
                seen += 1
    # 6 strings per data view; a searchSourceJSON per search, chart and dashboard;
    # visState and uiStateJSON per chart; panelsJSON and optionsJSON per dashboard
    assert seen == 5 * 6 + (6 + 10 + 2) + 10 * 2 + 2 * 2


def test_every_reference_resolves_to_an_object_of_its_type(objects: list[dict[str, Any]]) -> None:
    present = {(o["type"], o["id"]) for o in objects}
    for obj in objects:
        names = [r["name"] for r in obj["references"]]
        assert len(set(names)) == len(names), obj["id"]
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in present, (obj["id"], ref)


def test_every_ref_name_used_names_a_reference_and_every_reference_is_used(
    objects: list[dict[str, Any]],
) -> None:
    for obj in objects:
        refs = {r["name"]: r for r in obj["references"]}
        used: set[str] = set()
        source = search_source(obj) if "kibanaSavedObjectMeta" in obj["attributes"] else {}
        assert "index" not in source  # ids live in references, not in the search source
        if "indexRefName" in source:
            used.add(source["indexRefName"])
            assert refs[source["indexRefName"]]["type"] == "index-pattern"
        for number, flt in enumerate(source.get("filter", [])):
            name = flt["meta"]["indexRefName"]
            assert name == f"kibanaSavedObjectMeta.searchSourceJSON.filter[{number}].meta.index"
            used.add(name)
        if obj["type"] == "dashboard":
            for panel in json.loads(obj["attributes"]["panelsJSON"]):
                ref = refs[panel["panelRefName"]]
                assert ref["type"] == panel["type"]
                used.add(panel["panelRefName"])
        if obj["type"] in ("search", "visualization"):
            assert "indexRefName" in source, obj["id"]
        assert used == set(refs), obj["id"]


def test_data_views_are_the_read_aliases_with_their_time_fields(
    objects: list[dict[str, Any]],
) -> None:
    views = by_type(objects, "index-pattern")
    titles = {v["attributes"]["title"] for v in views}
    names = Names("adwatch")
    assert titles == {names.read(k) for k in ("ads", "captures", "blocks", "reviews", "cases")}
    for view in views:
        kind = KIND_OF_TITLE[view["attributes"]["title"]]
        time_field = view["attributes"]["timeFieldName"]
        assert time_field == TIME_FIELDS[kind]
        assert (mapping(kind, time_field) or {}).get("type") == "date"
    assert {v["attributes"]["timeFieldName"] for v in views} == {"first_seen", "at", "sent_on"}


def test_saved_searches_use_existing_fields_and_sort_on_aggregatable_ones(
    objects: list[dict[str, Any]],
) -> None:
    searches = {o["id"]: o for o in by_type(objects, "search")}
    assert set(searches) == {
        "adwatch-search-by-category",
        "adwatch-search-by-operator",
        "adwatch-search-newly-seen",
        "adwatch-search-gone",
        "adwatch-search-to-review",
        "adwatch-search-confirmed",
    }
    for obj in searches.values():
        kind = data_view_kind(objects, obj)
        assert kind == "ads"
        attrs = obj["attributes"]
        for column in attrs["columns"]:
            assert searchable(kind, column), (obj["id"], column)
        for pair in attrs["sort"]:
            assert len(pair) == 2 and pair[1] in ("asc", "desc")
            assert aggregatable(kind, pair[0]), (obj["id"], pair)
        query = search_source(obj)["query"]
        assert query["language"] == "kuery"
        # Ads, or what analysts decided: a confirmed suspect is a confirmed ad.
        assert "label:ad" in query["query"] or query["query"] == "review:confirmed"
        for name in kql_fields(query["query"]):
            assert searchable(kind, name), (obj["id"], name)
        assert "review" in attrs["columns"] or "reviewer" in attrs["columns"], obj["id"]
    category = searches["adwatch-search-by-category"]["attributes"]
    assert category["columns"][:3] == ["categories", "platform", "title"]
    assert category["sort"][0] == ["categories", "asc"]
    operator = searches["adwatch-search-by-operator"]
    assert operator["attributes"]["sort"][0] == ["cluster_id", "asc"]
    assert 'not cluster_id:""' in search_source(operator)["query"]["query"]
    assert searches["adwatch-search-newly-seen"]["attributes"]["sort"] == [["first_seen", "desc"]]
    assert "status:gone" in search_source(searches["adwatch-search-gone"])["query"]["query"]


def test_visualizations_aggregate_on_aggregatable_fields_of_their_index(
    objects: list[dict[str, Any]],
) -> None:
    charts = by_type(objects, "visualization")
    fields_by_id: dict[str, tuple[str, list[str]]] = {}
    for obj in charts:
        kind = data_view_kind(objects, obj)
        state = json.loads(obj["attributes"]["visState"])
        assert state["title"] == obj["attributes"]["title"]
        assert state["type"] in ("histogram", "horizontal_bar", "pie")
        assert state["aggs"][0]["schema"] == "metric"
        used = []
        for agg in state["aggs"]:
            if "field" in agg["params"]:
                assert aggregatable(kind, agg["params"]["field"]), (obj["id"], agg)
                used.append(agg["params"]["field"])
            if agg["type"] == "date_histogram":
                assert agg["params"]["field"] == TIME_FIELDS[kind]
            if agg["type"] == "terms":
                assert agg["params"]["orderBy"] == "1"  # the count metric
        query = search_source(obj)["query"]
        for name in kql_fields(query["query"]):
            assert searchable(kind, name), (obj["id"], name)
        if kind == "ads":
            assert "label:ad" in query["query"], obj["id"]
        if state["type"] != "pie":
            # What Kibana's 7.12 migration maps over: it fails without them.
            assert state["params"]["categoryAxes"] and state["params"]["valueAxes"]
        fields_by_id[obj["id"]] = (kind, used)
    assert fields_by_id == {
        "adwatch-vis-ads-over-time": ("ads", ["first_seen", "platform"]),
        "adwatch-vis-top-operators": ("ads", ["cluster_id"]),
        "adwatch-vis-categories": ("ads", ["categories"]),
        "adwatch-vis-contact-kinds": ("ads", ["contact_kinds"]),
        "adwatch-vis-provinces": ("ads", ["province"]),
        "adwatch-vis-blocks-over-time": ("blocks", ["at", "platform"]),
        "adwatch-vis-capture-outcomes": ("captures", ["platform", "outcome"]),
        "adwatch-vis-review-status": ("ads", ["review"]),
        "adwatch-vis-decisions-over-time": ("reviews", ["at", "decision"]),
        "adwatch-vis-cases-by-regulator": ("cases", ["regulator", "status"]),
    }


def test_unknown_values_are_kept_out_of_operator_and_province_charts(
    objects: list[dict[str, Any]],
) -> None:
    queries = {
        o["id"]: search_source(o)["query"]["query"] for o in by_type(objects, "visualization")
    }
    assert 'not cluster_id:""' in queries["adwatch-vis-top-operators"]
    assert 'not province:""' in queries["adwatch-vis-provinces"]


def test_capture_outcomes_are_a_percentage_stacked_bar(objects: list[dict[str, Any]]) -> None:
    (obj,) = [o for o in objects if o["id"] == "adwatch-vis-capture-outcomes"]
    state = json.loads(obj["attributes"]["visState"])
    assert state["params"]["valueAxes"][0]["scale"]["mode"] == "percentage"
    assert state["params"]["seriesParams"][0]["mode"] == "stacked"
    schemas = {a["schema"]: a["params"].get("field") for a in state["aggs"]}
    assert schemas == {"metric": None, "segment": "platform", "group": "outcome"}
    colours = json.loads(obj["attributes"]["uiStateJSON"])["vis"]["colors"]
    assert {"page", "gone", "blocked", "failed", "empty"} <= set(colours)


@pytest.mark.parametrize("board_id", ["adwatch-overview", "adwatch-review"])
def test_the_dashboards_lay_out_their_panels_without_overlap(
    objects: list[dict[str, Any]], board_id: str
) -> None:
    (board,) = [o for o in by_type(objects, "dashboard") if o["id"] == board_id]
    panels = json.loads(board["attributes"]["panelsJSON"])
    refs = {r["name"]: r["id"] for r in board["references"]}
    shown = {refs[p["panelRefName"]] for p in panels}
    assert len(shown) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridData"]
        assert grid["i"] == panel["panelIndex"]
        assert panel["version"] == build.OLDEST_KIBANA  # Kibana's 7.11 migration needs one
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 48 and grid["w"] > 0 < grid["h"]
        mine = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & mine, panel["panelIndex"]
        cells |= mine
    assert len({p["panelIndex"] for p in panels}) == len(panels)
    assert json.loads(board["attributes"]["optionsJSON"])["useMargins"] is True


def test_the_overview_shows_every_chart_and_search(objects: list[dict[str, Any]]) -> None:
    (board,) = [o for o in by_type(objects, "dashboard") if o["id"] == "adwatch-overview"]
    panels = json.loads(board["attributes"]["panelsJSON"])
    refs = {r["name"]: r["id"] for r in board["references"]}
    shown = {refs[p["panelRefName"]] for p in panels}
    wanted = {o["id"] for o in objects if o["type"] in ("search", "visualization")}
    review_only = {"adwatch-search-to-review", "adwatch-search-confirmed"}
    assert shown == wanted - review_only
    assert not search_source(board)["filter"]  # its panels read five indices: no review filter


def test_the_review_dashboard_filters_every_panel_by_review_status(
    objects: list[dict[str, Any]],
) -> None:
    (board,) = [o for o in by_type(objects, "dashboard") if o["id"] == "adwatch-review"]
    refs = {r["name"]: r for r in board["references"]}
    panels = json.loads(board["attributes"]["panelsJSON"])
    by_id = {o["id"]: o for o in objects}
    shown = [by_id[refs[p["panelRefName"]]["id"]] for p in panels]
    assert {
        "adwatch-vis-review-status",
        "adwatch-search-to-review",
        "adwatch-search-confirmed",
    } <= {o["id"] for o in shown}
    # Every panel reads the ads, which have the review field: a filter on it
    # narrows each panel instead of emptying the ones on other indices.
    assert {data_view_kind(objects, o) for o in shown} == {"ads"}
    filters = search_source(board)["filter"]
    decisions = ["confirmed", "rejected", "unsure"]
    assert [f["meta"]["key"] for f in filters] == ["review"] * 4
    assert aggregatable("ads", "review")
    for number, flt in enumerate(filters):
        meta = flt["meta"]
        assert meta["disabled"] is True  # all off: the analyst turns one on
        assert flt["$state"] == {"store": "appState"}
        assert refs[meta["indexRefName"]]["id"] == "adwatch-ads"
        assert meta["indexRefName"].endswith(f"filter[{number}].meta.index")
    for flt, decision in zip(filters[:3], decisions, strict=True):
        assert flt["meta"]["type"] == "phrase" and flt["meta"]["negate"] is False
        assert flt["meta"]["params"] == {"query": decision}
        assert flt["query"] == {"match_phrase": {"review": decision}}
        assert decision in flt["meta"]["alias"]
    undecided = filters[3]
    # Undecided records have no review field: "none of the decisions".
    assert undecided["meta"]["type"] == "phrases" and undecided["meta"]["negate"] is True
    assert undecided["meta"]["params"] == decisions
    should = undecided["query"]["bool"]["should"]
    assert should == [{"match_phrase": {"review": d}} for d in decisions]
    assert undecided["query"]["bool"]["minimum_should_match"] == 1


def test_review_charts_and_searches_read_undecided_as_no_decision(
    objects: list[dict[str, Any]],
) -> None:
    from evidence.cases import STATUSES
    from evidence.index.base import DECISIONS

    by_id = {o["id"]: o for o in objects}
    state = json.loads(by_id["adwatch-vis-review-status"]["attributes"]["visState"])
    (terms,) = [a for a in state["aggs"] if a["type"] == "terms"]
    assert terms["params"]["field"] == "review" and terms["params"]["missingBucket"] is True
    assert "undecided" in terms["params"]["missingBucketLabel"]
    assert terms["params"]["size"] >= len(DECISIONS)
    queue = search_source(by_id["adwatch-search-to-review"])["query"]["query"]
    assert "not review:(confirmed or rejected or unsure)" in queue and "review:unsure" in queue
    assert by_id["adwatch-search-to-review"]["attributes"]["sort"][0] == ["score", "desc"]
    confirmed = by_id["adwatch-search-confirmed"]["attributes"]
    assert confirmed["sort"] == [["reviewed_at", "desc"]]
    cases = json.loads(by_id["adwatch-vis-cases-by-regulator"]["attributes"]["uiStateJSON"])
    assert set(cases["vis"]["colors"]) == set(STATUSES)


def test_another_prefix_renames_ids_titles_and_references_together() -> None:
    other = load(build.render("acme"))
    present = {(o["type"], o["id"]) for o in other}
    titles = {o["attributes"]["title"] for o in other if o["type"] == "index-pattern"}
    assert titles == {f"acme-{k}" for k in ("ads", "captures", "blocks", "reviews", "cases")}
    assert all(o["id"].startswith("acme-") for o in other)
    assert all((r["type"], r["id"]) in present for o in other for r in o["references"])


# --- (b) the import -------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeKibana:
    """An HTTP server that records each request and answers as told."""

    status: int = 200
    answer: Any = None  # JSON-encoded unless bytes
    requests: list[Seen] = field(default_factory=list)
    url: str = ""


def serve(kibana: FakeKibana, tls: ssl.SSLContext | None = None) -> Iterator[FakeKibana]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            kibana.requests.append(
                Seen(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
            )
            answer = kibana.answer
            if answer is None:
                answer = {"success": True, "successCount": 15, "successResults": []}
            data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(kibana.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client refusing our certificate is a test case, not an error

    server = Server(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kibana.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    try:
        yield kibana
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def kibana() -> Iterator[FakeKibana]:
    yield from serve(FakeKibana())


def multipart_files(seen: Seen) -> dict[str, tuple[str, bytes]]:
    """name -> (filename, bytes) of a multipart/form-data body, parsed by hand."""
    ctype = seen.headers["content-type"]
    match = re.fullmatch(r'multipart/form-data; boundary="?([^";]+)"?', ctype)
    assert match, ctype
    delimiter = b"--" + match.group(1).encode()
    chunks = seen.body.split(delimiter)
    assert chunks[0] == b"" and chunks[-1] in (b"--\r\n", b"--")
    files = {}
    for chunk in chunks[1:-1]:
        assert chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n")
        head, _, content = chunk[2:-2].partition(b"\r\n\r\n")
        disposition = re.search(rb'name="([^"]+)"; filename="([^"]+)"', head)
        assert disposition, head
        files[disposition.group(1).decode()] = (disposition.group(2).decode(), content)
    return files


def test_import_posts_the_file_with_xsrf_header_and_api_key(kibana: FakeKibana) -> None:
    result = import_saved_objects(kibana.url, api_key="c2VjcmV0OmtleQ==")
    assert result == {"success": True, "successCount": 15, "successResults": []}
    (seen,) = kibana.requests
    assert seen.method == "POST"
    assert seen.path == "/api/saved_objects/_import"
    assert seen.query == {"overwrite": ["true"]}
    assert seen.headers["kbn-xsrf"] == "true"
    assert seen.headers["authorization"] == "ApiKey c2VjcmV0OmtleQ=="
    files = multipart_files(seen)
    assert set(files) == {"file"}
    assert files["file"] == ("adwatch.ndjson", SAVED_OBJECTS.read_bytes())


def test_import_with_basic_auth_into_a_space_behind_a_base_path(kibana: FakeKibana) -> None:
    import_saved_objects(f"{kibana.url}/kibana/", username="analyst", password="pä:ss", space="ops")
    (seen,) = kibana.requests
    assert seen.path == "/kibana/s/ops/api/saved_objects/_import"
    assert seen.query == {"overwrite": ["true"]}
    token = base64.b64encode("analyst:pä:ss".encode("latin-1")).decode()
    assert seen.headers["authorization"] == f"Basic {token}"


def test_import_of_another_file_sends_that_file_unchanged(
    kibana: FakeKibana, tmp_path: Path
) -> None:
    other = tmp_path / "acme.ndjson"
    other.write_bytes(build.render("acme").encode() + b"\r\n\x00 binary-safe \xff")
    import_saved_objects(kibana.url, path=other)
    (seen,) = kibana.requests
    assert "authorization" not in seen.headers
    assert multipart_files(seen)["file"] == ("acme.ndjson", other.read_bytes())


def test_partial_failure_names_the_failed_objects(kibana: FakeKibana) -> None:
    errors = [
        {
            "id": "adwatch-vis-provinces",
            "type": "visualization",
            "title": "adwatch provinces where known (省份)",
            "meta": {"title": "adwatch provinces where known (省份)"},
            "error": {
                "type": "missing_references",
                "references": [{"type": "index-pattern", "id": "adwatch-ads"}],
            },
        },
        {
            "id": "adwatch-overview",
            "type": "dashboard",
            "meta": {"title": "overview"},
            "error": {
                "type": "unknown",
                "message": "migration function 7.11.0 threw",
                "statusCode": 500,
            },
        },
    ]
    kibana.answer = {"success": False, "successCount": 13, "errors": errors}
    with pytest.raises(KibanaImportError) as caught:
        import_saved_objects(kibana.url)
    message = str(caught.value)
    assert "13" in message and "2 failed" in message
    assert "visualization/adwatch-vis-provinces" in message
    assert "missing references index-pattern/adwatch-ads" in message
    assert "dashboard/adwatch-overview" in message and "migration function 7.11.0 threw" in message
    assert caught.value.errors == errors and caught.value.status == 200
    assert not isinstance(caught.value, (KibanaAuthError, KibanaConnectionError))


def test_401_and_403_are_auth_errors(kibana: FakeKibana) -> None:
    kibana.status = 401
    kibana.answer = {"statusCode": 401, "error": "Unauthorized", "message": "[security_exception]"}
    with pytest.raises(KibanaAuthError, match=r"HTTP 401.*API key") as caught:
        import_saved_objects(kibana.url, api_key="wrong")
    assert caught.value.status == 401
    with pytest.raises(KibanaAuthError, match="needs credentials"):
        import_saved_objects(kibana.url)
    kibana.status = 403
    kibana.answer = {"statusCode": 403, "error": "Forbidden", "message": "Unable to bulk_create"}
    with pytest.raises(KibanaAuthError, match=r"HTTP 403.*may not import.*Unable to bulk_create"):
        import_saved_objects(kibana.url, username="viewer", password="x")


def test_other_http_errors_and_odd_answers_are_reported(kibana: FakeKibana) -> None:
    kibana.status = 415
    kibana.answer = {"statusCode": 415, "message": "Unsupported Media Type"}
    with pytest.raises(KibanaImportError, match="HTTP 415: Unsupported Media Type"):
        import_saved_objects(kibana.url)
    kibana.status = 502
    kibana.answer = b"<html><body>Bad   gateway</body></html>"
    with pytest.raises(KibanaImportError, match="HTTP 502: <html><body>Bad gateway"):
        import_saved_objects(kibana.url)
    kibana.status = 200
    kibana.answer = {"hello": "not kibana"}
    with pytest.raises(KibanaImportError, match="not an import answer"):
        import_saved_objects(kibana.url)
    kibana.status = 302
    kibana.answer = {}
    with pytest.raises(KibanaImportError, match="redirects"):
        import_saved_objects(kibana.url)
    assert len(kibana.requests) == 4  # the redirect was not followed


def test_connection_refused_is_a_clear_error() -> None:
    with socket.socket() as bound:  # bound, never listening: connecting is refused
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        with pytest.raises(KibanaConnectionError, match="connection refused") as caught:
            import_saved_objects(f"http://127.0.0.1:{port}", timeout=5)
    assert f"127.0.0.1:{port}" in str(caught.value) and caught.value.status is None


def _tls_files(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = self_signed_root(ca_key, "adwatch test CA", now)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file


def test_tls_failure_is_clear_and_ca_certs_fixes_it(tmp_path: Path) -> None:
    context, ca_file = _tls_files(tmp_path)
    for kibana in serve(FakeKibana(), context):
        with pytest.raises(KibanaConnectionError, match=r"TLS failure.*certificate.*ca_certs"):
            import_saved_objects(kibana.url, timeout=10)
        assert kibana.requests == []
        result = import_saved_objects(kibana.url, ca_certs=str(ca_file), timeout=10)
        assert result["success"] is True
        (seen,) = kibana.requests
        assert seen.path == "/api/saved_objects/_import" and seen.headers["kbn-xsrf"] == "true"


def test_arguments_are_checked_before_anything_is_sent(kibana: FakeKibana, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        import_saved_objects(kibana.url, api_key="k", username="u", password="p")
    with pytest.raises(ValueError, match="both a user name and a password"):
        import_saved_objects(kibana.url, username="u")
    with pytest.raises(ValueError, match="space"):
        import_saved_objects(kibana.url, space="../etc")
    with pytest.raises(ValueError, match="Kibana URL"):
        import_saved_objects("127.0.0.1:5601")
    wrong = tmp_path / "objects.json"
    wrong.write_text("{}\n")
    with pytest.raises(ValueError, match="ndjson"):
        import_saved_objects(kibana.url, path=wrong)
    assert kibana.requests == []


def test_import_url_forms() -> None:
    assert import_url("https://k:5601") == "https://k:5601/api/saved_objects/_import"
    assert (
        import_url("https://k/base/", "sec-ops")
        == "https://k/base/s/sec-ops/api/saved_objects/_import"
    )
    assert import_url("http://k", "default") == "http://k/api/saved_objects/_import"
