"""Serve the simulated web on 127.0.0.1 with the standard library.

A ThreadingHTTPServer in a daemon thread, HTTP/1.1 keep-alive with
Content-Length on every answer, quiet unless asked.  A slow page, or a body
trickled out a byte a second, waits in its own thread and never holds up the
others; `stop()` wakes it.  Record pages can be taken down, edited and
restored while serving (`take_down`, `edit`, `restore`, or a `--gone` file).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from demo.generate import generate, write_ground_truth
from demo.model import DemoWeb
from demo.routes import Request, Response, Router
from demo.takedown import GoneFile
from loopback.server import HTTPThreadServer, until_interrupted, wait_forever

MAX_POST_BYTES = 64 * 1024  # a login form or an mtop call; anything larger is refused
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], router: Router, verbose: bool) -> None:
        self.router = router
        self.verbose = verbose
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        # who asked: the User-Agent of every request (a crawler's identity, checked by tests)
        self.agents: Counter[str] = Counter()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[Any, Any]:
        conn, addr = super().get_request()
        with self._open_lock:
            self._open.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """Cut idle keep-alive connections so their threads end on stop."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError) or not self.verbose:
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.24.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this many seconds
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms ACK stall
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        """A form or an API call: the body (at most MAX_POST_BYTES, with a
        Content-Length) is read first and handed to the router."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_POST_BYTES:
            self._refuse(413 if length > MAX_POST_BYTES else 400)
            return
        body = self.rfile.read(length) if length else b""
        self._serve(send_body=True, method="POST", body=body)

    def _refuse(self, status: int) -> None:
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def _host(self) -> str:
        host = (self.headers.get("Host") or "").strip()
        if _HOST_RE.match(host):
            return host
        addr, port = self.server.server_address[:2]
        return f"{addr!s}:{port}"

    def _serve(self, send_body: bool, method: str = "GET", body: bytes = b"") -> None:
        with self.server._open_lock:
            self.server.agents[self.headers.get("User-Agent", "")] += 1
        try:
            request = Request.parse(method, self.headers.get("Cookie", ""), body)
            resp = self.server.router.handle(self.path, self._host(), request)
        except Exception:  # a bug in the demo must not kill the connection silently
            if self.server.verbose:
                raise
            resp = Response(500, b"internal error", "text/plain; charset=utf-8")
        if resp.delay and self.server.stopping.wait(resp.delay):
            self.close_connection = True
            return
        length = resp.length if resp.stream is not None else len(resp.body)
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in resp.headers:
            self.send_header(name, value)
        self.end_headers()
        if not send_body:
            return
        try:
            if resp.stream is not None:
                self._send_stream(resp)
            else:
                self.wfile.write(resp.body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _send_stream(self, resp: Response) -> None:
        """Write the chunks, `resp.interval` seconds apart; a stop cuts it short."""
        assert resp.stream is not None
        for n, chunk in enumerate(resp.stream):
            if n and resp.interval and self.server.stopping.wait(resp.interval):
                self.close_connection = True
                return
            self.wfile.write(chunk)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class DemoServer(HTTPThreadServer[_HTTPServer]):
    """The simulated web served in a background thread; starts on creation.

    >>> with DemoServer(generate(7), port=0) as srv:  # doctest: +SKIP
    ...     urllib.request.urlopen(srv.base_url + "/")
    """

    def __init__(
        self,
        web: DemoWeb | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 20.0,
        verbose: bool = False,
        gone_file: str | Path | None = None,
        gone_poll: float = 0.5,
    ) -> None:
        self.web = web if web is not None else generate()
        self.router = Router(self.web, slow_seconds=slow_seconds)
        httpd = _HTTPServer((host, port), self.router, verbose)
        self._gone: GoneFile | None = None
        if gone_file is not None:  # before serving: listed pages are gone from the start
            self._gone = GoneFile(gone_file, self.router.pages, self.router.resolve, gone_poll)
        self._serve(httpd, host, "demo-web")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def hits(self, target: str) -> int:
        """How often a path+query (or a transient-block key) was requested."""
        return self.router.hits(target)

    def user_agents(self) -> dict[str, int]:
        """Each User-Agent the demo was asked with, and how often."""
        httpd = self._httpd
        with httpd._open_lock:
            return dict(httpd.agents)

    def take_down(self, url_or_path: str) -> None:
        """Answer from now on like a platform that removed the page: a landing
        page 404s, a video or item page says so with HTTP 200.  Accepts a URL
        or path of a landing (/l/ID), video (/video/ID) or item (/item?id=ID)
        page, tracking parameters and host ignored; ValueError otherwise."""
        self.router.take_down(url_or_path)

    def edit(self, url_or_path: str, new_text: str) -> None:
        """Replace the ad's visible text (landing paragraphs, video caption,
        item description); the page title stays, so a re-capture sees a change."""
        self.router.edit(url_or_path, new_text)

    def restore(self, url_or_path: str) -> None:
        """Serve the page as generated again (undoes take_down and edit)."""
        self.router.restore(url_or_path)

    def expire_sessions(self) -> None:
        """Forget every session /login issued, as a platform does when a login
        expires: search pages show the login button again and member pages
        send the browser to /login."""
        self.router.expire_sessions()

    def _stopping(self) -> None:
        if self._gone is not None:
            self._gone.stop()
        self._httpd.stopping.set()  # wakes slow pages and trickled bodies

    def _shut_down(self) -> None:
        self._httpd.close_open_connections()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m demo",
        description="Serve the simulated web of search, video and market channels.",
        epilog="example: python -m demo --port 0 --size 2 --ground-truth var/truth.jsonl",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    p.add_argument("--seed", type=int, default=7, help="seed of the generated web")
    p.add_argument("--size", type=int, default=1, help="multiplies the number of queries")
    p.add_argument(
        "--slow-seconds", type=float, default=20.0, help="delay of the slow landing page"
    )
    p.add_argument("--ground-truth", metavar="PATH", help="also write the ground truth here")
    p.add_argument(
        "--gone",
        metavar="FILE",
        help="pages to serve as taken down, one URL or path a line; re-read when it changes",
    )
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.size < 1:
        print("--size must be >= 1", file=sys.stderr)
        return 2
    web = generate(args.seed, args.size)
    if args.ground_truth:
        n = write_ground_truth(web, args.ground_truth)
        print(f"ground truth: {n} lines in {args.ground_truth}", file=sys.stderr)
    with DemoServer(
        web, args.host, args.port, args.slow_seconds, args.verbose, gone_file=args.gone
    ) as srv:
        print(f"demo web on {srv.base_url}", flush=True)
        with until_interrupted():
            wait_forever()
    return 0
