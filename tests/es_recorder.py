"""A recording HTTP server that answers like Elasticsearch 8, for contract tests.

No Elasticsearch can be installed here, so the real client is pointed at this
server on 127.0.0.1: every request is kept (method, path, query, headers,
body) for the test to check against the mapping, and each is answered with
the smallest response of the right shape, so the client goes on.  It keeps
just enough state to be consistent (which aliases exist, the documents sent
to each kind, the order of bulk items); it does not search.  Tests override
answers with ``on(method, path_regex, handler)``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

PRODUCT_HEADERS = {
    "X-Elastic-Product": "Elasticsearch",
    "Content-Type": "application/vnd.elasticsearch+json;compatible-with=8",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def lines(self) -> list[Any]:
        """An NDJSON body (bulk) as parsed lines."""
        return [json.loads(line) for line in self.raw.decode().splitlines() if line.strip()]


Handler = Callable[[Request, "re.Match[str]"], tuple[int, Any]]
BulkItem = Callable[[str, dict[str, Any], Any], tuple[int, dict[str, Any]] | None]


@dataclass
class Recorder:
    version: str = "8.19.3"
    schema_version: int = 1  # what an index's mapping says (_meta.schema_version)
    schema_versions: dict[str, int] = field(default_factory=dict)  # by index, if not that
    requests: list[Request] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> index
    indices: set[str] = field(default_factory=set)
    # Called for each bulk item: (op, header meta, body) -> (status, extra) to
    # override the default success answer, or None.
    bulk_item: BulkItem | None = None
    _routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)

    def on(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer requests matching `method` and the path regex with `handler`
        (checked before the defaults; the latest added wins)."""
        self._routes.insert(0, (method, re.compile(pattern), handler))

    def find(self, method: str, pattern: str) -> list[Request]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.fullmatch(r.path)]

    def bulk_lines(self) -> list[Any]:
        return [line for r in self.requests if r.path == "/_bulk" for line in r.lines]

    # --- answers --------------------------------------------------------------

    def answer(self, request: Request) -> tuple[int, Any]:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                return handler(request, match)
        return self._default(request)

    def _default(self, request: Request) -> tuple[int, Any]:
        method, path = request.method, request.path
        ack = {"acknowledged": True}
        if method == "GET" and path == "/":
            return 200, {
                "name": "recorder",
                "cluster_name": "contract",
                "version": {"number": self.version, "build_flavor": "default"},
                "tagline": "You Know, for Search",
            }
        if path.startswith(("/_component_template/", "/_index_template/")):
            return 200, ack
        if method == "HEAD" and path.startswith("/_alias/"):
            return (200 if path.split("/")[-1] in self.aliases else 404), None
        if method == "GET" and path.startswith("/_alias/"):
            name = path.split("/")[-1]
            if name not in self.aliases:
                return 404, {"error": f"alias [{name}] missing", "status": 404}
            return 200, {self.aliases[name]: {"aliases": {name: {}}}}
        if method == "GET" and path.endswith("/_mapping"):
            alias = path.split("/")[1]
            index = self.aliases.get(alias, alias)
            version = self.schema_versions.get(index, self.schema_version)
            return 200, {index: {"mappings": {"_meta": {"schema_version": version}}}}
        if method in ("POST", "PUT") and path == "/_bulk":
            return 200, self._bulk(request)
        if method == "POST" and path.endswith("/_refresh"):
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if method in ("GET", "POST") and path.endswith("/_search"):
            return 200, {
                "took": 1,
                "timed_out": False,
                "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []},
                "aggregations": {"by": {"buckets": []}},
            }
        if method == "POST" and path.endswith("/_count"):
            return 200, {"count": 0}
        if method == "POST" and path.endswith(("/_delete_by_query", "/_update_by_query")):
            return 200, {"total": 0, "deleted": 0, "updated": 0, "failures": []}
        if method == "GET" and "/_doc/" in path:
            return 404, {"found": False}
        if method in ("PUT", "POST") and re.fullmatch(r"/[^/]+/_(doc|update)/.+", path):
            index, _, doc_id = path[1:].split("/", 2)
            index = self.aliases.get(index, index)
            created = "/_doc/" in path
            return (201 if created else 200), {
                "_index": index,
                "_id": doc_id,
                "result": "created" if created else "updated",
                "_seq_no": 1,
                "_primary_term": 1,
            }
        if method == "PUT" and path.endswith("/_settings"):
            return 200, ack
        if method == "POST" and path == "/_aliases":
            for action in request.json["actions"]:
                ((verb, spec),) = action.items()
                if verb == "add":
                    self.aliases[spec["alias"]] = spec["index"]
            return 200, ack
        if method == "HEAD" and path.count("/") == 1:
            return (200 if path[1:] in self.indices else 404), None
        if method == "PUT" and path.count("/") == 1:
            index = path[1:]
            self.indices.add(index)
            for alias in (request.json or {}).get("aliases", {}):
                self.aliases[alias] = index
            return 200, {"acknowledged": True, "shards_acknowledged": True, "index": index}
        if method == "DELETE":
            return 200, ack
        return 400, {"error": {"type": "recorder", "reason": f"no answer for {method} {path}"}}

    def _bulk(self, request: Request) -> dict[str, Any]:
        lines = request.lines
        items = []
        errors = False
        i = 0
        while i < len(lines):
            ((op, meta),) = lines[i].items()
            body = lines[i + 1] if op != "delete" else None
            i += 1 if op == "delete" else 2
            index = self.aliases.get(meta.get("_index", ""), meta.get("_index", ""))
            status, extra = 201 if op in ("index", "create") else 200, {}
            result = "created" if status == 201 else "updated"
            if self.bulk_item is not None:
                override = self.bulk_item(op, meta, body)
                if override is not None:
                    status, extra = override
                    result = extra.pop("result", result)
            item: dict[str, Any] = {"_index": index, "_id": meta.get("_id"), "status": status}
            if status < 300:
                item["result"] = result
            else:
                errors = True
                item["error"] = extra.get("error") or {"type": "test_error", "reason": "refused"}
            items.append({op: item})
        return {"took": 1, "errors": errors, "items": items}


class _Handler(BaseHTTPRequestHandler):
    recorder: Recorder

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(parts.path),
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            raw=raw,
        )
        self.server.recorder.requests.append(request)  # type: ignore[attr-defined]
        status, body = self.server.recorder.answer(request)  # type: ignore[attr-defined]
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in PRODUCT_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    def log_message(self, *args: Any) -> None:  # quiet
        pass


class RecordingServer:
    """The recorder behind a real HTTP server on 127.0.0.1 (a context manager)."""

    def __init__(self, recorder: Recorder | None = None, port: int = 0) -> None:
        self.recorder = recorder or Recorder()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.httpd.recorder = self.recorder  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __exit__(self, *exc: object) -> None:
        self.stop()
