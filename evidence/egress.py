"""The browser's egress guard: an HTTP proxy on loopback that applies the policy.

Chromium resolves names and follows redirects itself, and Playwright's
request routing never sees a redirect's next hop: a public page answering
``302 Location: http://10.0.0.5/`` would take the browser there unasked.  So
every browser adwatch starts sends all its traffic (pages, redirects, frames,
pictures, XHR, WebSockets, loopback included: ``<-loopback>``) through this
proxy, which resolves each host itself, checks every address against the
:class:`~evidence.netpolicy.AddressPolicy` and connects to the address it
checked.  A name cannot resolve to one address for the check and another for
the connection.

A refused ``CONNECT`` (https, wss) is answered 403, which Chromium reports as
``net::ERR_TUNNEL_CONNECTION_FAILED``; a refused plain-http request is
answered 403 with the header ``X-Adwatch-Refused`` naming the rule, so the
page that gets it is never taken for the site's own answer.  Each refusal is
kept (:meth:`EgressGuard.refusal`) for the capture or the crawl to report,
and each connection's real server address (:meth:`EgressGuard.address_of`),
since the browser itself only sees the proxy's.

The guard runs its own event loop in a thread: a busy crawl reactor or a
capture's snapshot never holds the browser's traffic.  It can forward to an
upstream http proxy (a site profile's ``proxy``) after checking the target.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from evidence.netpolicy import AddressPolicy, Refused, default_port, normal_host

logger = logging.getLogger(__name__)

REFUSED_HEADER = "X-Adwatch-Refused"
MAX_HEAD = 64 * 1024  # bytes of a request head
CONNECT_TIMEOUT = 15.0
IDLE_TIMEOUT = 120.0  # seconds a relayed connection may stay silent
_KEPT = 2000  # refusals and addresses remembered


@dataclass(frozen=True)
class Refusal:
    host: str
    port: int
    reason: str
    detail: str
    at: float


class EgressGuard:
    """A forward proxy on 127.0.0.1 enforcing ``policy``.  Use as a context
    manager, or :meth:`start` / :meth:`close`."""

    def __init__(self, policy: AddressPolicy, upstream: str = "", token: str = "") -> None:
        self.policy = policy
        # proves a refusal header is the guard's own, not one a site sent
        self.token = token or secrets.token_hex(8)
        self.upstream = _upstream(upstream)
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._lock = threading.Lock()
        self._refusals: OrderedDict[tuple[str, int], Refusal] = OrderedDict()
        self._addresses: OrderedDict[tuple[str, int], tuple[str, int]] = OrderedDict()
        self.connections = 0

    # --- life -------------------------------------------------------------------
    def start(self) -> str:
        """Start serving; the proxy's URL (``http://127.0.0.1:PORT``)."""
        ready = threading.Event()
        failed: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._serve, "127.0.0.1", 0, limit=MAX_HEAD)
                )
            except BaseException as exc:
                failed.append(exc)
                ready.set()
                loop.close()
                return
            port = self._server.sockets[0].getsockname()[1]
            self.url = f"http://127.0.0.1:{port}"
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(_shutdown(loop, self._server))
                loop.close()

        self._thread = threading.Thread(target=run, name="adwatch-egress", daemon=True)
        self._thread.start()
        ready.wait()
        if failed:
            raise failed[0]
        logger.debug("egress guard at %s (upstream %s)", self.url, self.upstream or "none")
        return self.url

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> EgressGuard:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def browser_proxy(self) -> dict[str, str]:
        """Playwright's ``proxy`` option sending everything through the guard,
        loopback too (Chromium bypasses proxies for loopback unless told)."""
        return {"server": self.url, "bypass": "<-loopback>"}

    # --- what it saw ---------------------------------------------------------
    def refusal(self, host: str, port: int) -> Refusal | None:
        """The last refusal of ``host:port``, if any."""
        with self._lock:
            return self._refusals.get((normal_host(host), port))

    def refusals_since(self, since: float) -> list[Refusal]:
        with self._lock:
            return [r for r in self._refusals.values() if r.at >= since]

    def refusal_for_url(self, url: str) -> Refusal | None:
        parts = urlsplit(url)
        return self.refusal(parts.hostname or "", parts.port or default_port(parts.scheme))

    def address_of(self, host: str, port: int) -> tuple[str, int] | None:
        """The server address the guard last connected to for ``host:port``."""
        with self._lock:
            return self._addresses.get((normal_host(host), port))

    def _remember(self, book: OrderedDict, key: tuple[str, int], value: object) -> None:
        with self._lock:
            book[key] = value
            book.move_to_end(key)
            while len(book) > _KEPT:
                book.popitem(last=False)

    # --- serving ----------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
            await self._one(head, reader, writer)
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            ConnectionError,
            ValueError,
        ):
            pass
        except Exception:  # one connection's failure must not stop the guard
            logger.exception("egress guard: a connection failed")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = ([*lines[0].split(" "), "", ""])[:3]
        headers = [line for line in lines[1:] if line]
        if method.upper() == "CONNECT":
            host, _, raw_port = target.rpartition(":")
            port = int(raw_port) if raw_port.isdigit() else 443
            await self._tunnel(normal_host(host), port, reader, writer)
            return
        parts = urlsplit(target)
        if parts.scheme.lower() != "http" or not parts.hostname:
            await _answer(
                writer, 400, self.token, "refused_scheme", f"{method} {target[:200]}: not http"
            )
            return
        host, port = normal_host(parts.hostname), parts.port or 80
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        kept = [
            h
            for h in headers
            if h.split(":", 1)[0].strip().lower()
            not in ("proxy-connection", "proxy-authorization", "connection", "keep-alive")
        ]
        if self.upstream:  # the upstream proxy takes the absolute form
            request = f"{method} {target} {version or 'HTTP/1.1'}"
        else:
            request = f"{method} {path} {version or 'HTTP/1.1'}"
        out = "\r\n".join([request, *kept, "Connection: close", *self._upstream_auth(), "", ""])
        server = await self._connect(host, port, writer, tunnel=False)
        if server is None:
            return
        up_reader, up_writer = server
        try:
            up_writer.write(out.encode("latin-1"))
            await _send_body(reader, up_writer, headers)
            # one request per client connection: the next request of a kept-alive
            # connection may name another host, which must be checked too
            await _pipe(up_reader, writer)
        finally:
            up_writer.close()

    async def _tunnel(
        self, host: str, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        server = await self._connect(host, port, writer, tunnel=True)
        if server is None:
            return
        up_reader, up_writer = server
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()

    async def _connect(
        self, host: str, port: int, writer: asyncio.StreamWriter, *, tunnel: bool
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to a checked address of ``host:port`` (or to the
        upstream proxy, tunnelled there), or None with the refusal answered."""
        loop = asyncio.get_running_loop()
        try:
            addresses = await loop.run_in_executor(None, self.policy.resolve, host, port)
        except Refused as exc:
            detail = f"connection to {host}:{port} refused: {exc.detail}"
            if exc.reason != "unresolved":
                self._remember(
                    self._refusals,
                    (host, port),
                    Refusal(host, port, exc.reason, detail, time.time()),
                )
                logger.warning("egress guard: %s", detail)
            status = 403 if exc.reason != "unresolved" else 502
            await _answer(writer, status, self.token, exc.reason, detail)
            return None
        errors = []
        for address in addresses:
            try:
                if self.upstream:
                    pair = await self._via_upstream(host, port, tunnel)
                else:
                    pair = await asyncio.wait_for(
                        asyncio.open_connection(address, port, limit=MAX_HEAD), CONNECT_TIMEOUT
                    )
            except (OSError, TimeoutError) as exc:
                errors.append(f"{address}: {exc}")
                continue
            self._remember(self._addresses, (host, port), (address, port))
            return pair
        why = f"{host}:{port} unreachable: {'; '.join(errors)}"
        await _answer(writer, 502, self.token, "unreachable", why)
        return None

    async def _via_upstream(
        self, host: str, port: int, tunnel: bool
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        assert self.upstream is not None
        up_host, up_port, _auth = self.upstream
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(up_host, up_port, limit=MAX_HEAD), CONNECT_TIMEOUT
        )
        if not tunnel:
            return reader, writer
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}", *self._upstream_auth(), "", ""]
        writer.write("\r\n".join(lines).encode("latin-1"))
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CONNECT_TIMEOUT)
        status = answer.split(b" ", 2)[1:2]
        if status != [b"200"]:
            writer.close()
            raise OSError(f"the upstream proxy answered {answer.splitlines()[0][:100]!r}")
        return reader, writer

    def _upstream_auth(self) -> list[str]:
        auth = self.upstream[2] if self.upstream else ""
        return [f"Proxy-Authorization: Basic {auth}"] if auth else []


class EgressGuards:
    """The guards of one browser: one per upstream proxy (none, or a site
    profile's), started when first asked for, sharing one token."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.token = secrets.token_hex(8)
        self._guards: dict[str, EgressGuard] = {}
        self._lock = threading.Lock()

    def guard(self, upstream: str = "") -> EgressGuard:
        with self._lock:
            guard = self._guards.get(upstream)
            if guard is None:
                guard = EgressGuard(self.policy, upstream, self.token)
                guard.start()
                self._guards[upstream] = guard
            return guard

    def proxy(self, upstream: str = "") -> dict[str, str]:
        """Playwright's ``proxy`` option for a browser or context."""
        return self.guard(upstream).browser_proxy()

    def refused_since(self, since: float) -> Refusal | None:
        """The latest refusal at or after ``since`` (a time.time()), if any."""
        with self._lock:
            guards = list(self._guards.values())
        found = [r for g in guards for r in g.refusals_since(since)]
        return max(found, key=lambda r: r.at) if found else None

    def refusal_for_url(self, url: str) -> Refusal | None:
        with self._lock:
            guards = list(self._guards.values())
        return next((r for g in guards if (r := g.refusal_for_url(url))), None)

    def address_of(self, host: str, port: int) -> tuple[str, int] | None:
        with self._lock:
            guards = list(self._guards.values())
        return next((a for g in guards if (a := g.address_of(host, port))), None)

    def refusal_said(self, header: str | bytes | None) -> tuple[str, str] | None:
        """(reason, detail) of a response carrying the guard's refusal header
        with this browser's token; None for any other response."""
        if not header:
            return None
        text = header.decode("latin-1") if isinstance(header, bytes) else header
        token, _, rest = text.partition(" ")
        if token != self.token:
            return None
        reason, _, detail = rest.partition("; ")
        return reason, detail

    def close(self) -> None:
        with self._lock:
            guards, self._guards = list(self._guards.values()), {}
        for guard in guards:
            guard.close()


def _upstream(url: str) -> tuple[str, int, str] | None:
    """An upstream proxy as (host, port, basic credentials); only http proxies
    can be chained (ValueError for another kind)."""
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(
            f"proxy {url!r}: only http:// proxies can be used behind adwatch's address guard"
        )
    auth = ""
    if parts.username:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = base64.b64encode(pair.encode()).decode()
    return parts.hostname, parts.port or 8080, auth


async def _answer(
    writer: asyncio.StreamWriter, status: int, token: str, reason: str, detail: str
) -> None:
    body = f"adwatch refused this request: {detail}\n".encode()
    words = {403: "Forbidden", 400: "Bad Request", 502: "Bad Gateway"}.get(status, "Error")
    safe = detail.encode("ascii", "replace").decode().replace("\r", " ").replace("\n", " ")
    head = (
        f"HTTP/1.1 {status} {words}\r\n{REFUSED_HEADER}: {token} {reason}; {safe[:300]}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with contextlib.suppress(ConnectionError):
        writer.write(head.encode() + body)
        await writer.drain()


async def _send_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: list[str]
) -> None:
    """The request's body, by its Content-Length or its chunks, and no more."""
    fields = {
        h.split(":", 1)[0].strip().lower(): h.split(":", 1)[1].strip() for h in headers if ":" in h
    }
    if "chunked" in fields.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            writer.write(size_line)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                trailer = await reader.readuntil(b"\r\n")
                writer.write(trailer)
                while trailer != b"\r\n":
                    trailer = await reader.readuntil(b"\r\n")
                    writer.write(trailer)
                break
            writer.write(await reader.readexactly(size + 2))
    else:
        left = int(fields.get("content-length", "0") or 0)
        while left > 0:
            chunk = await reader.read(min(left, 65536))
            if not chunk:
                break
            writer.write(chunk)
            left -= len(chunk)
    await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await asyncio.wait_for(reader.read(65536), IDLE_TIMEOUT)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            if writer.can_write_eof():
                writer.write_eof()


async def _shutdown(loop: asyncio.AbstractEventLoop, server: asyncio.Server | None) -> None:
    if server is not None:
        server.close()
    tasks = [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
