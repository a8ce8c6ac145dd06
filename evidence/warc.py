"""The network exchange of a capture, as WARC records packaged as WACZ.

``NetworkRecorder`` listens to a Playwright page and keeps every finished
request with its response: headers as sent and received, the body, the
server's address.  Playwright hands bodies over already decoded (gzip, br and
chunking undone), so the WARC headers that described the encoding are renamed
``X-Archive-Orig-...`` and Content-Length is set to the body kept: replay
tools then read the records as they are.  Bodies of redirects are not given
by the browser; their records carry the headers only.

``warc_bytes`` writes the records (warcio) and ``wacz_bytes`` packages the
WARC with py-wacz, the format ReplayWeb.page and other replay tools open.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import Request as PlaywrightRequest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

# Headers that describe a transfer encoding the browser has already undone.
_RENAMED = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass
class Exchange:
    """One request and its response, as the browser saw them."""

    url: str
    method: str
    resource_type: str
    started: datetime
    request_headers: list[tuple[str, str]]
    request_body: bytes | None
    status: int = 0
    status_text: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    note: str = ""  # why the body is missing, if it is
    server_ip: str = ""
    server_port: int = 0
    redirected_to: str = ""
    main_frame: bool = False  # a request of the page itself, not of a frame in it

    @property
    def media_type(self) -> str:
        for name, value in self.response_headers:
            if name.lower() == "content-type":
                return value.split(";")[0].strip().lower()
        return ""


class NetworkRecorder:
    """Keeps the exchanges of one page (bodies up to ``max_body`` bytes each,
    ``max_total`` bytes in all; beyond that the headers are kept and the body
    is noted as not kept)."""

    def __init__(self, page: Page, max_body: int, max_total: int) -> None:
        self.exchanges: list[Exchange] = []
        self.failed: list[dict[str, str]] = []
        self.refused: list[str] = []  # URLs the egress guard refused (not exchanges)
        self.max_body = max_body
        self.max_total = max_total
        self._kept = 0
        self._tasks: set[asyncio.Task[None]] = set()
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._failed)

    def _finished(self, request: PlaywrightRequest) -> None:
        task = asyncio.ensure_future(self._keep(request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _failed(self, request: PlaywrightRequest) -> None:
        self.failed.append({"url": request.url, "error": request.failure or "failed"})

    async def _keep(self, request: PlaywrightRequest) -> None:
        try:
            response = await request.response()
            if response is None:
                return
            started = request.timing.get("startTime", 0) or 0
            ex = Exchange(
                url=request.url,
                method=request.method,
                resource_type=request.resource_type,
                started=datetime.fromtimestamp(started / 1000, UTC)
                if started > 0
                else datetime.now(UTC),
                request_headers=[(h["name"], h["value"]) for h in await request.headers_array()],
                request_body=request.post_data_buffer,
                status=response.status,
                status_text=response.status_text,
                response_headers=[
                    (h["name"], h["value"]) for h in await response.headers_array()
                ],
            )
            if request.redirected_to is not None:
                ex.redirected_to = request.redirected_to.url
            with contextlib.suppress(PlaywrightError):  # no frame: a worker's request
                ex.main_frame = request.frame.parent_frame is None
            server = await response.server_addr()
            if server:
                ex.server_ip, ex.server_port = server["ipAddress"], server["port"]
            if not ex.redirected_to:
                await self._body(ex, response)
            self.exchanges.append(ex)
        except PlaywrightError as exc:  # the page or context went away meanwhile
            self.failed.append({"url": request.url, "error": f"not recorded: {exc.message}"})

    async def _body(self, ex: Exchange, response: Any) -> None:
        try:
            body: bytes = await response.body()
        except PlaywrightError as exc:
            ex.note = f"body not available: {exc.message}"[:300]
            return
        if len(body) > self.max_body or self._kept + len(body) > self.max_total:
            ex.note = f"body not kept: {len(body)} bytes over the capture's limit"
            return
        self._kept += len(body)
        ex.body = body

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait for the bodies still being read (a hung one is given up)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


def warc_bytes(exchanges: Iterable[Exchange], info: dict[str, Any]) -> bytes:
    """A gzipped WARC: one warcinfo record, then a response and a request record
    per exchange, linked by WARC-Concurrent-To."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")  # 1.1: sub-second WARC-Dates
    writer.write_record(writer.create_warcinfo_record("capture.warc.gz", info))
    for ex in exchanges:
        date = ex.started.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        headers = _response_headers(ex)
        body = ex.body or b""
        warc_headers = {"WARC-Date": date}
        if ex.server_ip:
            warc_headers["WARC-IP-Address"] = ex.server_ip
        if ex.body is None and not ex.redirected_to:
            # the browser did not hand the body over (or it was over the limit):
            # the record says so instead of passing for an empty response
            warc_headers["WARC-Truncated"] = "length" if "limit" in ex.note else "unspecified"
        response = writer.create_warc_record(
            ex.url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(
                f"{ex.status} {ex.status_text or _reason(ex.status)}", headers, protocol="HTTP/1.1"
            ),
            warc_headers_dict=warc_headers,
        )
        writer.write_record(response)
        parts = urlsplit(ex.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_body = ex.request_body or b""
        request = writer.create_warc_record(
            ex.url,
            "request",
            payload=io.BytesIO(req_body),
            length=len(req_body),
            http_headers=StatusAndHeaders(
                f"{ex.method} {target} HTTP/1.1", _request_headers(ex), is_http_request=True
            ),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        writer.write_record(request)
    return out.getvalue()


def _reason(status: int) -> str:
    """The standard reason phrase (HTTP/2 sends none; "OK" for a 404 would lie)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_headers(ex: Exchange) -> list[tuple[str, str]]:
    """Request headers as an HTTP/1.1 record shows them: the HTTP/2 pseudo
    headers dropped, their :authority kept as Host."""
    headers = [(n, v) for n, v in ex.request_headers if not n.startswith(":")]
    if not any(n.lower() == "host" for n, _v in headers):
        authority = next((v for n, v in ex.request_headers if n == ":authority"), "")
        headers.insert(0, ("Host", authority or urlsplit(ex.url).netloc))
    return headers


def _response_headers(ex: Exchange) -> list[tuple[str, str]]:
    kept = []
    for name, value in ex.response_headers:
        if name.startswith(":"):
            continue
        if name.lower() in _RENAMED:
            kept.append((f"X-Archive-Orig-{name}", value))
        else:
            kept.append((name, value))
    kept.append(("Content-Length", str(len(ex.body or b""))))
    return kept


def wacz_bytes(warc: bytes, page: Exchange | None, title: str = "") -> bytes:
    """The WARC packaged as WACZ (indexes, pages.jsonl naming the captured
    page, datapackage with every file's hash), built by py-wacz.  ``page`` is
    the document's exchange: replay tools open the archive at it."""
    wacz_main = _quiet_wacz()
    with tempfile.TemporaryDirectory(prefix="adwatch-wacz-") as tmp:
        source = Path(tmp) / "capture.warc.gz"
        source.write_bytes(warc)
        target = Path(tmp) / "capture.wacz"
        args = ["create", "-o", str(target), str(source)]
        if page is not None:
            # py-wacz looks the page up in its index by URL and 14-digit timestamp;
            # name=value forms, so a title starting with "-" is not read as an option
            ts = page.started.strftime("%Y%m%d%H%M%S")
            args += [f"--url={page.url}", f"--ts={ts}", f"--title={title or page.url}"]
        else:
            args += ["--detect-pages"]
        try:
            status = wacz_main(args)
        except SystemExit as exc:  # its argument parser exits on what it cannot read
            raise RuntimeError(f"py-wacz refused its arguments (exit {exc.code})") from None
        if status not in (None, 0) or not target.exists():
            raise RuntimeError(f"py-wacz could not package the WARC (status {status})")
        return target.read_bytes()


def _quiet_wacz() -> Any:
    """py-wacz's ``main``, with the progress it print()s kept off our output.
    Its modules get a module-level ``print`` that does nothing (not a swap of
    sys.stdout, which would silence every thread of the process meanwhile)."""
    import wacz.main
    import wacz.util
    import wacz.waczindexer

    for module in (wacz.main, wacz.util, wacz.waczindexer):
        module.print = _silent
    return wacz.main.main


def _silent(*_args: object, **_kwargs: object) -> None:
    return None
