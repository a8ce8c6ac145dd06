"""What the twins' renderers share: answers as plain tuples (demo.routes wraps
them), and request helpers."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

# (status, body, content type, extra headers)
Answer = tuple[int, bytes, str, list[tuple[str, str]]]

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"


def html(text: str, status: int = 200) -> Answer:
    return status, text.encode("utf-8"), HTML, []


def as_json(data: Any) -> Answer:
    return 200, json.dumps(data, ensure_ascii=False).encode("utf-8"), JSON, []


def redirect(location: str) -> Answer:
    return 302, b"", HTML, [("Location", location)]


def script_json(data: Any) -> str:
    """JSON that can sit inside a <script>: no '<' can close it early."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def first(qs: dict[str, list[str]], name: str) -> str:
    values = qs.get(name)
    return values[0] if values else ""


def number(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def body_json(body: bytes) -> dict[str, Any]:
    """A POST body as a JSON object ({} when it is not one)."""
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def img(base: str, name: str) -> str:
    return f"{base}/img/{name}"


def query_url(path: str, **params: Any) -> str:
    return f"{path}?{urlencode(params)}"
