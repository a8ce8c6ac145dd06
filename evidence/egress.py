"""The browser's egress guard: an HTTP proxy on loopback that applies the policy.

Chromium resolves names and follows redirects itself, and Playwright's
request routing never sees a redirect's next hop: a public page answering
``302 Location: http://10.0.0.5/`` would take the browser there unasked.  So
every browser adwatch starts sends all its traffic (pages, redirects, frames,
pictures, XHR, WebSockets, loopback included: ``<-loopback>``) through this
proxy, which resolves each host itself, checks every address against the
:class:`~evidence.netpolicy.AddressPolicy` and connects to the address it
checked.  A name cannot resolve to one address for the check and another for
the connection.  (WebRTC's UDP cannot go through a proxy: every page adwatch
opens is given no WebRTC, ``NO_WEBRTC``.)

A refused ``CONNECT`` (https, wss) is answered 403, which Chromium reports as
``net::ERR_TUNNEL_CONNECTION_FAILED``; a refused plain-http request is
answered 403 with a short text.  The guard's answers are known by its book,
not by anything in them (a page could copy a header): each answer, a
refusal or a failure to resolve or connect, is kept by host and port with
its time (:meth:`EgressGuard.answer`), and each connection's real server
address (:meth:`EgressGuard.address_of`), since the browser only sees the
proxy's.

The guard runs its own event loop in a thread: a busy crawl reactor or a
capture's snapshot never holds the browser's traffic.  Only the browser that
was given its credentials may use it; it holds at most ``MAX_CONNECTIONS``
connections, each tunnel for at most ``MAX_TUNNEL`` seconds, and resolves
names on a pool of its own with a time limit.  It can forward to an upstream
http proxy (a site profile's ``proxy``), naming the checked address, never
the name, so the upstream cannot resolve it differently.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from evidence.netpolicy import AddressPolicy, Refused, default_port, normal_host

logger = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024  # bytes of a request or response head
CONNECT_TIMEOUT = 15.0
RESOLVE_TIMEOUT = 10.0
IDLE_TIMEOUT = 120.0  # seconds a relayed connection may stay silent
MAX_TUNNEL = 600.0  # seconds one connection may last in all
MAX_CONNECTIONS = 256  # open client connections (each holds two sockets)
RESOLVERS = 8  # threads resolving names
_KEPT = 2000  # answers and addresses remembered
# WebRTC sends UDP (STUN, TURN, candidate checks) straight from the browser,
# around any proxy, to addresses a page names: every frame of every page
# adwatch opens has no RTCPeerConnection.  (Chromium's
# --force-webrtc-ip-handling-policy=disable_non_proxied_udp was measured here
# and still let STUN datagrams out to a loopback port.)
NO_WEBRTC = (
    "for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel',"
    " 'RTCIceCandidate', 'RTCSessionDescription', 'RTCRtpSender', 'RTCRtpReceiver']) {"
    " try { Object.defineProperty(window, name, {value: undefined, writable: false,"
    " configurable: false}); } catch (e) {} }"
)


@dataclass(frozen=True)
class Answer:
    """What the guard answered for ``host:port`` instead of connecting:
    ``refused_address`` / ``refused_scheme`` (the policy) or ``unresolved`` /
    ``unreachable`` (the network)."""

    host: str
    port: int
    reason: str
    detail: str
    at: float

    @property
    def refused(self) -> bool:
        return self.reason.startswith("refused_")


class EgressGuard:
    """A forward proxy on 127.0.0.1 enforcing ``policy``.  Use as a context
    manager, or :meth:`start` / :meth:`close`."""

    def __init__(self, policy: AddressPolicy, upstream: str = "") -> None:
        self.policy = policy
        self.upstream = _upstream(upstream)
        self.url = ""
        self.user, self.password = "adwatch", secrets.token_hex(16)
        self._auth = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._slots: asyncio.Semaphore | None = None
        self._resolvers = ThreadPoolExecutor(RESOLVERS, thread_name_prefix="adwatch-egress-dns")
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple[str, int], Answer] = OrderedDict()
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
            self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
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
        self._resolvers.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> EgressGuard:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def browser_proxy(self) -> dict[str, str]:
        """Playwright's ``proxy`` option sending everything through the guard,
        loopback too (Chromium bypasses proxies for loopback unless told),
        with the credentials that let this browser use it."""
        return {
            "server": self.url,
            "bypass": "<-loopback>",
            "username": self.user,
            "password": self.password,
        }

    # --- what it saw ---------------------------------------------------------
    def answer(self, host: str, port: int, since: float = 0.0) -> Answer | None:
        """The guard's last answer for ``host:port`` at or after ``since``
        (a ``time.time()``), if it answered instead of connecting."""
        with self._lock:
            found = self._answers.get((normal_host(host), port))
        return found if found is not None and found.at >= since else None

    def address_of(self, host: str, port: int) -> tuple[str, int] | None:
        """The server address the guard last connected to for ``host:port``
        (none when it went through an upstream proxy: that one connected)."""
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
        assert self._slots is not None
        self.connections += 1
        try:
            async with self._slots:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
                await asyncio.wait_for(self._one(head, reader, writer), MAX_TUNNEL)
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
        method, target, version = [*lines[0].split(" "), "", ""][:3]
        headers = [line for line in lines[1:] if line]
        if not self._authorised(headers):
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="adwatch"\r\n'
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            return
        if method.upper() == "CONNECT":
            host, _, raw_port = target.rpartition(":")
            port = int(raw_port) if raw_port.isdigit() else 443
            await self._tunnel(normal_host(host), port, reader, writer)
            return
        parts = urlsplit(target)
        if parts.scheme.lower() != "http" or not parts.hostname:
            why = f"{method} {target[:200]}: only http is proxied in the clear"
            await _answer(writer, 400, "refused_scheme", why)
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
        if not any(h.split(":", 1)[0].strip().lower() == "host" for h in kept):
            kept.insert(0, f"Host: {parts.netloc.rpartition('@')[2]}")
        opened = await self._connect(host, port, writer, tunnel=False)
        if opened is None:
            return
        (up_reader, up_writer), address = opened
        # to an upstream proxy the absolute form, naming the checked address
        shown = f"[{address}]" if ":" in address else address
        line = f"http://{shown}:{port}{path}" if self.upstream else path
        request = f"{method} {line} {version or 'HTTP/1.1'}"
        out = "\r\n".join([request, *kept, "Connection: close", *self._upstream_auth(), "", ""])
        try:
            up_writer.write(out.encode("latin-1"))
            await _send_body(reader, up_writer, headers)
            # one request per client connection: the next request of a kept-alive
            # connection may name another host, which must be checked too
            await _relay_response(up_reader, writer)
        finally:
            up_writer.close()

    def _authorised(self, headers: list[str]) -> bool:
        for h in headers:
            name, _, value = h.partition(":")
            if name.strip().lower() == "proxy-authorization":
                return hmac.compare_digest(value.strip().encode(), self._auth.encode())
        return False

    async def _tunnel(
        self, host: str, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        opened = await self._connect(host, port, writer, tunnel=True)
        if opened is None:
            return
        (up_reader, up_writer), _address = opened
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()

    async def _connect(
        self, host: str, port: int, writer: asyncio.StreamWriter, *, tunnel: bool
    ) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], str] | None:
        """A connection to a checked address of ``host:port`` (or to the
        upstream proxy, tunnelled to that address) and the address; or None,
        the guard's answer written and kept in its book."""
        loop = asyncio.get_running_loop()
        try:
            addresses = await asyncio.wait_for(
                loop.run_in_executor(self._resolvers, self.policy.resolve, host, port),
                RESOLVE_TIMEOUT,
            )
        except TimeoutError:
            why = f"{host} did not resolve within {RESOLVE_TIMEOUT:g} s"
            await self._refuse(writer, host, port, "unresolved", why)
            return None
        except Refused as exc:
            await self._refuse(writer, host, port, exc.reason, exc.detail)
            return None
        errors = []
        for address in addresses:
            try:
                if self.upstream:
                    pair = await self._via_upstream(address, port, tunnel)
                else:
                    pair = await asyncio.wait_for(
                        asyncio.open_connection(address, port, limit=MAX_HEAD), CONNECT_TIMEOUT
                    )
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                errors.append(f"{address}: {exc}")
                continue
            if not self.upstream:
                self._remember(self._addresses, (host, port), (address, port))
            return pair, address
        await self._refuse(writer, host, port, "unreachable", "; ".join(errors)[:300])
        return None

    async def _refuse(
        self, writer: asyncio.StreamWriter, host: str, port: int, reason: str, why: str
    ) -> None:
        verb = "refused" if reason.startswith("refused_") else "failed"
        detail = f"connection to {host}:{port} {verb}: {why}"
        self._remember(self._answers, (host, port), Answer(host, port, reason, detail, time.time()))
        if verb == "refused":
            logger.warning("egress guard: %s", detail)
        await _answer(writer, 403 if verb == "refused" else 502, reason, detail)

    async def _via_upstream(
        self, address: str, port: int, tunnel: bool
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        assert self.upstream is not None
        up_host, up_port, _auth = self.upstream
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(up_host, up_port, limit=MAX_HEAD), CONNECT_TIMEOUT
        )
        if not tunnel:
            return reader, writer
        target = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}", *self._upstream_auth(), "", ""]
        writer.write("\r\n".join(lines).encode("latin-1"))
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CONNECT_TIMEOUT)
        if answer.split(b" ", 2)[1:2] != [b"200"]:
            writer.close()
            raise OSError(f"the upstream proxy answered {answer.splitlines()[0][:100]!r}")
        return reader, writer

    def _upstream_auth(self) -> list[str]:
        auth = self.upstream[2] if self.upstream else ""
        return [f"Proxy-Authorization: Basic {auth}"] if auth else []


class EgressGuards:
    """The guards of one browser: one per upstream proxy (none, or a site
    profile's), started when first asked for."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._guards: dict[str, EgressGuard] = {}
        self._lock = threading.Lock()

    def guard(self, upstream: str = "") -> EgressGuard:
        with self._lock:
            guard = self._guards.get(upstream)
            if guard is None:
                guard = EgressGuard(self.policy, upstream)
                guard.start()
                self._guards[upstream] = guard
            return guard

    def proxy(self, upstream: str = "") -> dict[str, str]:
        """Playwright's ``proxy`` option for a browser or context."""
        return self.guard(upstream).browser_proxy()

    def _all(self) -> list[EgressGuard]:
        with self._lock:
            return list(self._guards.values())

    def answer_for(self, urls: Iterable[str], since: float) -> Answer | None:
        """The guard's answer, since ``since``, for the host and port of any of
        ``urls`` (a page's navigation: its URL and every redirect hop), a
        refusal first."""
        found = []
        for url in urls:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port or default_port(parts.scheme)
            found += [a for g in self._all() if (a := g.answer(host, port, since))]
        return max(found, key=lambda a: (a.refused, a.at)) if found else None

    def address_of(self, host: str, port: int) -> tuple[str, int] | None:
        return next((a for g in self._all() if (a := g.address_of(host, port))), None)

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


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str, detail: str) -> None:
    body = f"adwatch did not fetch this ({reason}): {detail}\n".encode()
    words = {403: "Forbidden", 400: "Bad Request", 502: "Bad Gateway"}.get(status, "Error")
    head = (
        f"HTTP/1.1 {status} {words}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
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


async def _relay_response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The server's answer with its head saying ``Connection: close``: the
    browser must not send its next request on this connection, which would
    reach this server unchecked."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
    lines = head.decode("latin-1").split("\r\n")
    kept = [
        line
        for line in lines[1:]
        if line
        and line.split(":", 1)[0].strip().lower()
        not in ("connection", "keep-alive", "proxy-connection")
    ]
    writer.write("\r\n".join([lines[0], *kept, "Connection: close", "", ""]).encode("latin-1"))
    await _pipe(reader, writer)


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
