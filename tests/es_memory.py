"""A recording server that also keeps documents, for behaviour tests offline.

`MemoryCluster` is the `Recorder` of tests/es_recorder.py with a document
store behind it: documents indexed, fetched by id, partially updated (with
``if_seq_no`` checks), searched, counted and aggregated, for the subset of
the query language the Elasticsearch catalogue sends (bool, term, terms,
range, exists, match_all, match_phrase on an ``.ngram`` subfield read as a
substring; sort with ``missing``, ``search_after``, ``_source`` filtering,
a terms aggregation).  Searches see what was last refreshed, as on a real
cluster; a get by id sees everything.

It runs no Painless: a scripted update of a stored document is refused
(400), so what rests on the sighting and capture scripts is checked only on
a live cluster (tests/test_catalogue.py with ADWATCH_ES_URL).  A scripted
upsert of a new id stores ``params.doc``: that is what the sighting script's
first branch does, and it lets a test store records through `upsert`.
"""

from __future__ import annotations

import copy
import functools
import json
import operator
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.es_recorder import Recorder, Request

Source = dict[str, Any]


def values(source: Any, path: str) -> list[Any]:
    """Every value at a dotted path, arrays flattened (ES reads fields so)."""
    found = [source]
    for part in path.split("."):
        step: list[Any] = []
        for node in found:
            items = node if isinstance(node, list) else [node]
            step += [item[part] for item in items if isinstance(item, dict) and part in item]
        found = step
    flat: list[Any] = []
    for value in found:
        flat += value if isinstance(value, list) else [value]
    return [v for v in flat if v is not None]


def matches(query: dict[str, Any], source: Source) -> bool:
    ((kind, spec),) = query.items()
    if kind == "match_all":
        return True
    if kind == "bool":
        return (
            all(matches(q, source) for q in spec.get("filter", []) + spec.get("must", []))
            and not any(matches(q, source) for q in spec.get("must_not", []))
            and (not spec.get("should") or any(matches(q, source) for q in spec["should"]))
        )
    ((name, arg),) = spec.items() if kind != "exists" else [(spec["field"], None)]
    found = values(source, name.removesuffix(".ngram"))
    if kind == "term":
        wanted = arg["value"] if isinstance(arg, dict) else arg
        return wanted in found
    if kind == "terms":
        return any(v in arg for v in found)
    if kind == "exists":
        return bool(found)
    if kind == "range":
        checks = {"gte": operator.ge, "gt": operator.gt, "lte": operator.le, "lt": operator.lt}
        return any(all(checks[op](v, bound) for op, bound in arg.items()) for v in found)
    if kind == "match_phrase":
        text = arg["query"] if isinstance(arg, dict) else arg
        return any(str(text).casefold() in str(v).casefold() for v in found)
    raise AssertionError(f"memory cluster: no {kind} query")


def _sort_spec(entry: Any) -> tuple[str, str, str]:
    """(field, order, missing) of one sort entry."""
    if isinstance(entry, str):
        return entry, "asc", "_last"
    ((name, spec),) = entry.items()
    if isinstance(spec, str):
        return name, spec, "_last"
    return name, spec.get("order", "asc"), spec.get("missing", "_last")


def _compare(specs: list[tuple[str, str, str]], a: list[Any], b: list[Any]) -> int:
    for (_, order, missing), x, y in zip(specs, a, b, strict=True):
        if x == y:
            continue
        if x is None or y is None:  # missing: where `missing` puts it, whatever the order
            first = (x is None) == (missing == "_first")
            return -1 if first else 1
        less = x < y if order == "asc" else x > y
        return -1 if less else 1
    return 0


def _sort_values(specs: list[tuple[str, str, str]], source: Source) -> list[Any]:
    keys = []
    for name, order, _ in specs:
        found = values(source, name)
        keys.append((min(found) if order == "asc" else max(found)) if found else None)
    return keys


def _include(source: Source, paths: list[str]) -> Source:
    """`source` cut down to the dotted paths given, as ``_source`` filtering does."""
    kept: Source = {}
    for path in paths:
        head, _, rest = path.partition(".")
        if head not in source:
            continue
        if not rest:
            kept[head] = copy.deepcopy(source[head])
        elif isinstance(source[head], dict):
            part = _include(source[head], [rest])
            if part:
                kept.setdefault(head, {}).update(part)
    return kept


def _merge(target: Source, doc: Source) -> None:
    """A partial update's merge: objects merged, everything else replaced."""
    for key, value in doc.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


@dataclass
class Stored:
    source: Source
    seq_no: int


@dataclass
class MemoryCluster(Recorder):
    docs: dict[str, dict[str, Stored]] = field(default_factory=dict)  # index -> id -> doc
    visible: dict[str, dict[str, Source]] = field(default_factory=dict)  # as last refreshed
    seq_no: int = 0

    # --- the store --------------------------------------------------------------

    def index_of(self, name: str) -> str:
        return self.aliases.get(name, name)

    def put(self, index: str, doc_id: str, source: Source) -> str:
        kept = self.docs.setdefault(index, {})
        result = "updated" if doc_id in kept else "created"
        self.seq_no += 1
        kept[doc_id] = Stored(copy.deepcopy(source), self.seq_no)
        return result

    def refresh(self, index: str) -> None:
        self.visible[index] = {
            i: copy.deepcopy(d.source) for i, d in self.docs.get(index, {}).items()
        }

    def _refresh_if_asked(self, request: Request, index: str) -> None:
        if request.query.get("refresh") in ("true", "wait_for", ""):
            self.refresh(index)

    # --- answers ----------------------------------------------------------------

    def _default(self, request: Request) -> tuple[int, Any]:
        method, path = request.method, request.path
        doc = re.fullmatch(r"/([^/_][^/]*)/(_doc|_update|_create)/(.+)", path)
        if doc:
            return self._one(request, self.index_of(doc.group(1)), doc.group(2), doc.group(3))
        search = re.fullmatch(r"/([^/_][^/]*)/(_search|_count)", path)
        if search and method in ("GET", "POST"):
            indices = [self.index_of(n) for n in search.group(1).split(",")]
            return self._search(request.json or {}, indices, count=search.group(2) == "_count")
        refresh = re.fullmatch(r"/([^/_][^/]*)/_refresh", path)
        if refresh and method == "POST":
            for name in refresh.group(1).split(","):
                self.refresh(self.index_of(name))
        if method == "PUT" and path.count("/") == 1 and path[1:] not in self.indices:
            self.docs.setdefault(path[1:], {})
        return super()._default(request)

    def _one(self, request: Request, index: str, op: str, doc_id: str) -> tuple[int, Any]:
        kept = self.docs.get(index, {})
        head = {"_index": index, "_id": doc_id, "_primary_term": 1}
        if request.method == "GET" and op == "_doc":
            if doc_id not in kept:
                return 404, {**head, "found": False}
            stored = kept[doc_id]
            wanted = request.query.get("_source_includes")
            source = _include(stored.source, wanted.split(",")) if wanted else stored.source
            return 200, {**head, "found": True, "_seq_no": stored.seq_no, "_source": source}
        if request.method in ("PUT", "POST") and op == "_doc":
            result = self.put(index, doc_id, request.json)
            self._refresh_if_asked(request, index)
            return (201 if result == "created" else 200), {**head, "result": result}
        if request.method == "POST" and op == "_update":
            status, answer = self._update(index, doc_id, request.json, request.query)
            if status < 300:
                self._refresh_if_asked(request, index)
            return status, {**head, **answer}
        return super()._default(request)

    def _update(
        self, index: str, doc_id: str, body: dict[str, Any], query: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        kept = self.docs.setdefault(index, {})
        if doc_id not in kept:
            if body.get("scripted_upsert"):  # the sighting script's new-id branch
                self.put(index, doc_id, body["script"]["params"]["doc"])
                return 201, {"result": "created"}
            return 404, _error("document_missing_exception", f"[{doc_id}]: document missing")
        if "if_seq_no" in query and int(query["if_seq_no"]) != kept[doc_id].seq_no:
            return 409, _error("version_conflict_engine_exception", f"[{doc_id}]: conflict")
        if "doc" not in body:
            return 400, _error("memory_cluster", "no Painless here: use a live cluster")
        source = copy.deepcopy(kept[doc_id].source)
        _merge(source, body["doc"])
        self.put(index, doc_id, source)
        return 200, {"result": "updated"}

    def _bulk(self, request: Request) -> dict[str, Any]:
        lines = request.lines
        items, touched = [], set()
        for header, body in zip(lines[0::2], lines[1::2], strict=True):
            ((op, meta),) = header.items()
            index = self.index_of(meta["_index"])
            override = self.bulk_item(op, meta, body) if self.bulk_item is not None else None
            if override is not None:
                status, extra = override
            elif op == "index":
                result = self.put(index, meta["_id"], body)
                status, extra = (201 if result == "created" else 200), {"result": result}
            else:
                status, extra = self._update(index, meta["_id"], body, {})
            touched.add(index)
            item = {"_index": index, "_id": meta["_id"], "status": status, **extra}
            items.append({op: item})
        if request.query.get("refresh") in ("true", "wait_for", ""):
            for index in touched:
                self.refresh(index)
        errors = any(next(iter(i.values()))["status"] >= 300 for i in items)
        return {"took": 1, "errors": errors, "items": items}

    def _search(self, body: dict[str, Any], indices: list[str], count: bool) -> tuple[int, Any]:
        query = body.get("query") or {"match_all": {}}
        found = [
            (doc_id, source)
            for index in indices
            for doc_id, source in self.visible.get(index, {}).items()
            if matches(query, source)
        ]
        if count:
            return 200, {"count": len(found)}
        specs = [_sort_spec(entry) for entry in body.get("sort", [])]
        keyed = [(_sort_values(specs, source), doc_id, source) for doc_id, source in found]
        keyed.sort(key=functools.cmp_to_key(lambda a, b: _compare(specs, a[0], b[0])))
        if "search_after" in body:
            after = body["search_after"]
            keyed = [k for k in keyed if _compare(specs, k[0], after) > 0]
        start = int(body.get("from", 0))
        page = keyed[start : start + int(body.get("size", 10))]
        wanted = body.get("_source", True)
        if isinstance(wanted, dict):
            wanted = wanted.get("includes", True)
        hits = [
            {
                "_index": indices[0],
                "_id": doc_id,
                "_source": _include(source, wanted) if isinstance(wanted, list) else source,
                "sort": key,
            }
            for key, doc_id, source in page
        ]
        answer: dict[str, Any] = {
            "took": 1,
            "timed_out": False,
            "hits": {"total": {"value": len(found), "relation": "eq"}, "hits": hits},
        }
        for name, agg in (body.get("aggs") or {}).items():
            terms = agg["terms"]
            counts = Counter(v for _, s in found for v in set(values(s, terms["field"])))
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: terms["size"]]
            answer.setdefault("aggregations", {})[name] = {
                "buckets": [{"key": k, "doc_count": n} for k, n in ordered]
            }
        return 200, json.loads(json.dumps(answer))


def _error(kind: str, reason: str) -> dict[str, Any]:
    return {"error": {"type": kind, "reason": reason}}
