"""Kibana saved objects for the Elasticsearch catalogue, and their import.

`SAVED_OBJECTS` (``adwatch.ndjson``, written by `build`) holds, for the
default index prefix ``adwatch``:

* data views on the read aliases ``adwatch-ads`` (time field ``first_seen``),
  ``adwatch-captures``, ``adwatch-blocks`` and ``adwatch-reviews`` (time
  field ``at``) and ``adwatch-cases`` (time field ``sent_on``);
* saved searches over the ads (``label:ad``): by category, by operator
  (cluster), newly seen, gone, each with the analysts' decision as a column;
  the review queue (undecided ads and suspects, then the unsure) and the
  confirmed ads;
* legacy aggregation-based visualizations (not Lens, whose stored shape
  changes between versions): ads over time per platform, top operators,
  categories, contact kinds, provinces where known, blocks per platform over
  time, capture outcomes per platform as a percentage-stacked bar (the
  blocked rate and the capture-failure rate), review status (undecided ads
  have no review field: the missing bucket), decisions over time and
  referral cases per regulator by status;
* two dashboards: ``adwatch-overview`` laying out every chart with the ad
  searches, and ``adwatch-review``, on the ads only, whose four filter pills
  (all off) narrow it to the confirmed, rejected, unsure or undecided ads.

Supported Kibana: the 8.x line, oldest **8.0.0**.  The objects are written
in the shape 8.0 reads and carry no ``coreMigrationVersion``,
``typeMigrationVersion`` or ``migrationVersion``: Kibana then runs every
migration it has on import, so a newer 8.x brings them up to date itself
(a version stamp newer than the running Kibana would be refused, and a
stamp we had not checked against a real export of that version could skip a
migration).  9.x is expected to import them the same way but is untested.
Nothing here has been imported into a live Kibana yet: the shapes follow
Kibana's own migrations and real 8.x exports.

`import_saved_objects` posts the file to Kibana's import API
(``POST /api/saved_objects/_import?overwrite=true``, multipart ``file``,
header ``kbn-xsrf: true``), which answers HTTP 200 even when objects fail;
any failure raises `KibanaImportError` naming the objects and why.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests

SAVED_OBJECTS = Path(__file__).with_name("adwatch.ndjson")
OLDEST_KIBANA = "8.0.0"
_SPACE = re.compile(r"[a-z0-9_-]{1,100}")
_MAX_LISTED = 20  # failed objects named in an error message; the rest are counted


class KibanaImportError(Exception):
    """The import did not happen, or not for every object.

    ``status`` is the HTTP status (None if Kibana was not reached), ``errors``
    Kibana's per-object errors and ``response`` its parsed answer, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        response: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []
        self.response = response


class KibanaConnectionError(KibanaImportError):
    """Kibana could not be reached: refused, unresolvable, timed out, TLS failure."""


class KibanaAuthError(KibanaImportError):
    """Kibana refused the credentials (401) or the permission (403)."""


def import_url(kibana_url: str, space: str | None = None) -> str:
    """The import endpoint of `kibana_url` (which may have a base path), in `space`."""
    base = kibana_url.strip().rstrip("/")
    if not re.match(r"https?://[^/]", base):
        raise ValueError(f"Kibana URL {kibana_url!r}: expected http(s)://host[:port][/base-path]")
    if space is not None and space != "default":
        if not _SPACE.fullmatch(space):
            raise ValueError(f"space {space!r}: Kibana space ids are lower-case a-z, 0-9, _ and -")
        base = f"{base}/s/{space}"
    return f"{base}/api/saved_objects/_import"


def import_saved_objects(
    kibana_url: str,
    *,
    api_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
    ca_certs: str | None = None,
    space: str | None = None,
    path: Path = SAVED_OBJECTS,
    timeout: float = 30,
) -> dict[str, Any]:
    """Import the NDJSON file at `path` into Kibana, overwriting objects with the same ids.

    `api_key` is the encoded key (sent as ``Authorization: ApiKey …``), or
    give `username` and `password` (basic auth); neither for an open Kibana.
    `ca_certs` is a CA bundle to verify Kibana's certificate with.  Returns
    Kibana's answer (``success``, ``successCount``, ``successResults``...).
    Raises ValueError for bad arguments, `KibanaConnectionError`,
    `KibanaAuthError` or `KibanaImportError`.
    """
    url = import_url(kibana_url, space)
    path = Path(path)
    if path.suffix != ".ndjson":
        raise ValueError(f"{path}: Kibana only imports files named *.ndjson")
    if api_key and (username or password):
        raise ValueError("give an API key or a user name and password, not both")
    if (username is None) != (password is None):
        raise ValueError("basic authentication needs both a user name and a password")
    data = path.read_bytes()
    headers = {"kbn-xsrf": "true", "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    auth = (username, password) if username is not None and password is not None else None
    try:
        response = requests.post(
            url,
            params={"overwrite": "true"},
            headers=headers,
            auth=auth,
            files={"file": (path.name, data, "application/ndjson")},
            verify=ca_certs or True,
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.exceptions.SSLError as exc:
        raise KibanaConnectionError(
            f"TLS failure talking to Kibana at {url}: {_reason(exc)}"
            + (
                ""
                if ca_certs
                else " (if Kibana's certificate comes from a private CA, pass ca_certs)"
            )
        ) from exc
    except requests.exceptions.Timeout as exc:
        raise KibanaConnectionError(f"Kibana at {url} did not answer within {timeout:g} s") from exc
    except requests.exceptions.ConnectionError as exc:
        if _refused(exc):
            raise KibanaConnectionError(
                f"cannot reach Kibana at {url}: connection refused "
                "(is Kibana running and listening on that host and port?)"
            ) from exc
        raise KibanaConnectionError(f"cannot reach Kibana at {url}: {_reason(exc)}") from exc
    except requests.exceptions.RequestException as exc:
        raise KibanaConnectionError(f"request to Kibana at {url} failed: {_reason(exc)}") from exc
    with response:
        return _answer(response, url, authenticated=bool(api_key or auth))


def _answer(response: requests.Response, url: str, *, authenticated: bool) -> dict[str, Any]:
    status = response.status_code
    body = _json_body(response)
    detail = _detail(response, body)
    if 300 <= status < 400:
        where = response.headers.get("Location", "elsewhere")
        raise KibanaImportError(
            f"Kibana at {url} redirects (HTTP {status}) to {where}: use that address", status=status
        )
    if status == 401:
        hint = (
            "check the API key, or the user name and password"
            if authenticated
            else "this Kibana needs credentials: an API key, or a user name and password"
        )
        raise KibanaAuthError(
            f"Kibana refused the credentials (HTTP 401): {hint}; {detail}", status=status
        )
    if status == 403:
        raise KibanaAuthError(
            "Kibana refused the import (HTTP 403): the user may not import saved objects "
            "(it needs Saved Objects Management, or write access to data views, saved "
            f"searches, visualizations and dashboards, in this space); {detail}",
            status=status,
        )
    if not 200 <= status < 300:
        raise KibanaImportError(f"Kibana import failed: HTTP {status}: {detail}", status=status)
    if not isinstance(body, dict) or not isinstance(body.get("success"), bool):
        raise KibanaImportError(
            f"Kibana import: HTTP {status} but not an import answer: {detail}", status=status
        )
    if not body["success"]:
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        raise KibanaImportError(_summary(body, errors), status=status, errors=errors, response=body)
    return body


def _summary(body: dict[str, Any], errors: list[dict[str, Any]]) -> str:
    count = body.get("successCount", 0)
    lines = [
        f"Kibana imported {count} saved object(s) but {len(errors)} failed "
        "(fix them and import again; overwrite makes that safe):"
    ]
    for error in errors[:_MAX_LISTED]:
        lines.append(f"  - {_describe(error)}")
    if len(errors) > _MAX_LISTED:
        lines.append(f"  ... and {len(errors) - _MAX_LISTED} more")
    if not errors:
        lines.append("  (Kibana gave no per-object errors)")
    return "\n".join(lines)


def _describe(error: dict[str, Any]) -> str:
    """One failed object: ``type/id "title": why``."""
    what = f"{error.get('type', '?')}/{error.get('id', '?')}"
    meta = error.get("meta")
    title = error.get("title") or (meta.get("title") if isinstance(meta, dict) else None)
    if title:
        what += f" {str(title)!r}"
    raw = error.get("error")
    cause: dict[str, Any] = raw if isinstance(raw, dict) else {}
    kind = str(cause.get("type", "unknown"))
    if kind == "missing_references":
        refs = ", ".join(
            f"{r.get('type', '?')}/{r.get('id', '?')}"
            for r in cause.get("references") or []
            if isinstance(r, dict)
        )
        return f"{what}: missing references {refs or '(not listed)'}"
    if kind == "conflict":
        return f"{what}: conflicts with an existing object"
    if kind == "unsupported_type":
        return f"{what}: this Kibana does not know the type"
    message = cause.get("message") or cause.get("reason") or ""
    return f"{what}: {kind}" + (f" ({message})" if message else "")


def _json_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(response: requests.Response, body: Any) -> str:
    """Kibana's error message, or the start of whatever else answered."""
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])[:500]
    text = " ".join(response.text.split())[:300]
    return text or "(empty answer)"


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps (requests -> urllib3 -> socket errors)."""
    seen: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])
    return seen


def _refused(exc: BaseException) -> bool:
    return any(isinstance(c, ConnectionRefusedError) for c in _causes(exc)) or (
        "Connection refused" in str(exc)
    )


def _reason(exc: BaseException) -> str:
    """The innermost readable cause, not urllib3's retry wrapper."""
    for cause in reversed(_causes(exc)):
        text = str(cause)
        if text and "Max retries exceeded" not in text:
            return text[:300]
    return str(exc)[:300] or type(exc).__name__


__all__ = [
    "OLDEST_KIBANA",
    "SAVED_OBJECTS",
    "KibanaAuthError",
    "KibanaConnectionError",
    "KibanaImportError",
    "import_saved_objects",
    "import_url",
]
