"""The egress guard and the crawl's resolver: the address checked is the address used.

A name's answers come from the test's own lookup (``AddressPolicy.lookup``),
so a public-looking name can be made to resolve to a loopback server the
policy does not allow, with no DNS involved and no packet leaving 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.async_api import Route, async_playwright
from twisted.internet.address import IPv4Address

from crawler.finding.netguard import _Checked, refused_name
from evidence.egress import EgressGuard, EgressGuards
from evidence.netpolicy import AddressPolicy
from tests.test_netpolicy import answers


class Seen(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str]] = []  # (Host header, path)
        self.page = "<html><body><p>public page</p></body></html>"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: Seen

    def do_GET(self) -> None:
        self.server.requests.append((self.headers.get("Host", ""), self.path))
        body = self.server.page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def servers() -> Iterator[tuple[Seen, Seen]]:
    public, internal = Seen(), Seen()
    yield public, internal
    for s in (public, internal):
        s.shutdown()
        s.server_close()


def _policy(public: Seen) -> AddressPolicy:
    """public.example resolves to the allowed server, rebind.example to
    loopback on any port (not allowed)."""
    lookup = answers({"public.example": ["127.0.0.1"], "rebind.example": ["127.0.0.1"]})
    return AddressPolicy((f"127.0.0.1:{public.port}",), lookup=lookup)


@pytest.mark.browser
def test_the_browser_reaches_only_what_the_guard_checked(servers: tuple[Seen, Seen]) -> None:
    public, internal = servers
    guard_set = EgressGuards(_policy(public))

    async def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--disable-background-networking"]
            )
            context = await browser.new_context(proxy=guard_set.proxy(""))  # type: ignore[arg-type]
            page = await context.new_page()
            ok = await page.goto(f"http://public.example:{public.port}/ok")
            out["ok"] = ok.status if ok else 0
            bad = await page.goto(f"http://rebind.example:{internal.port}/admin")
            out["bad"] = bad.status if bad else 0

            # Playwright's own fetch of a routed request goes through the guard too
            async def refetch(route: Route) -> None:
                try:
                    answer = await route.fetch()
                    out["fetched"] = answer.status
                    await route.fulfill(response=answer)
                except Exception as exc:
                    out["fetched"] = repr(exc)
                    await route.abort()

            await page.route("**/data", refetch)
            await page.goto(f"http://public.example:{public.port}/ok")
            await page.evaluate(
                "url => fetch(url).catch(() => 0)", f"http://rebind.example:{internal.port}/data"
            )
            await page.evaluate(
                "url => { try { new WebSocket(url) } catch (e) {} }",
                f"ws://127.0.0.1:{internal.port}/socket",
            )
            await page.wait_for_timeout(500)
            await browser.close()
        out["address"] = guard_set.address_of("public.example", public.port)
        out["answer"] = guard_set.answer_for([f"http://rebind.example:{internal.port}/"], 0)
        return out

    try:
        out = asyncio.run(run())
    finally:
        guard_set.close()
    assert out["ok"] == 200
    assert out["bad"] == 403 and out["fetched"] == 403
    assert out["answer"].refused
    assert "rebind.example resolves to 127.0.0.1, a loopback address" in out["answer"].detail
    assert internal.requests == []
    assert (f"public.example:{public.port}", "/ok") in public.requests
    assert out["address"] == ("127.0.0.1", public.port)  # the server, for the evidence


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _auth(guard: EgressGuard) -> str:
    pair = base64.b64encode(f"{guard.user}:{guard.password}".encode()).decode()
    return f"Proxy-Authorization: Basic {pair}\r\n"


def test_one_connection_cannot_smuggle_a_second_host(servers: tuple[Seen, Seen]) -> None:
    """Requests kept alive on one proxy connection may each name another host:
    the guard answers one request per connection (and says Connection: close),
    so the second never rides along to the first host's server unchecked."""
    public, internal = servers
    with EgressGuard(_policy(public)) as guard:
        port = int(guard.url.rsplit(":", 1)[1])
        auth = _auth(guard)
        first = f"GET http://127.0.0.1:{public.port}/one HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n"
        second = f"GET http://127.0.0.1:{internal.port}/two HTTP/1.1\r\nHost: x\r\n{auth}\r\n"
        answer = _raw(port, (first + second).encode())
        tunnel = _raw(port, f"CONNECT 127.0.0.1:{internal.port} HTTP/1.1\r\n{auth}\r\n".encode())
        scheme = _raw(port, f"GET ftp://127.0.0.1/x HTTP/1.1\r\n{auth}\r\n".encode())
    assert answer.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200"))
    assert answer.count(b"HTTP/1.") == 1 and b"\r\nConnection: close\r\n" in answer
    assert tunnel.startswith(b"HTTP/1.1 403") and b"loopback" in tunnel
    assert scheme.startswith(b"HTTP/1.1 400")
    assert public.requests == [("127.0.0.1", "/one")]
    assert internal.requests == []


def test_only_the_browser_given_the_credentials_may_use_the_guard(
    servers: tuple[Seen, Seen],
) -> None:
    public, _internal = servers
    with EgressGuard(_policy(public)) as guard:
        port = int(guard.url.rsplit(":", 1)[1])
        request = f"GET http://127.0.0.1:{public.port}/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        bare = _raw(port, (request + "\r\n").encode())
        wrong = _raw(port, (request + "Proxy-Authorization: Basic YTpi\r\n\r\n").encode())
    assert bare.startswith(b"HTTP/1.1 407") and wrong.startswith(b"HTTP/1.1 407")
    assert public.requests == []


def test_a_name_that_does_not_resolve_is_a_failure_not_a_refusal() -> None:
    """The guard says 502 for a name it cannot resolve, and its book says
    "unresolved": a dead landing page keeps its record, as before the guard."""
    with EgressGuard(AddressPolicy(lookup=answers({}))) as guard:
        port = int(guard.url.rsplit(":", 1)[1])
        said = _raw(port, f"GET http://gone.example/ HTTP/1.1\r\n{_auth(guard)}\r\n".encode())
        answer = guard.answer("gone.example", 80)
    assert said.startswith(b"HTTP/1.1 502")
    assert answer is not None and answer.reason == "unresolved" and not answer.refused


@pytest.mark.browser
def test_a_page_gets_no_webrtc_whose_udp_would_go_around_the_guard(
    servers: tuple[Seen, Seen], tmp_path: Any
) -> None:
    """STUN to a loopback port from the page, a frame it makes and a window it
    opens: nothing reaches the UDP socket (4 to 12 datagrams without the script)."""
    from evidence.capture import Capturer, CaptureSettings, Target

    public, _internal = servers
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.5)
    stun = f"stun:127.0.0.1:{udp.getsockname()[1]}"
    script = (
        "const open = P => { const pc = new P({iceServers: [{urls: 'STUN'}]});"
        " pc.createDataChannel('x'); pc.createOffer().then(o => pc.setLocalDescription(o)); };"
        "for (const get of [() => window.RTCPeerConnection,"
        " () => document.body.appendChild(document.createElement('iframe'))"
        ".contentWindow.RTCPeerConnection, () => window.open('about:blank').RTCPeerConnection])"
        " { try { open(get()) } catch (e) { document.title += ' no'; } }"
    ).replace("STUN", stun)
    text = "逾期先别还，当天停催，协商还款。" * 3
    public.page = f"<html><body><p>{text}</p><script>{script}</script></body></html>"
    settings = CaptureSettings(
        navigation_timeout=10, load_wait=3, settle=1, allow_hosts=(f"127.0.0.1:{public.port}",)
    )

    async def run() -> Any:
        async with Capturer(settings) as capturer:
            return await capturer.capture(Target(f"http://127.0.0.1:{public.port}/rtc"))

    try:
        capture = asyncio.run(run())
        received = []
        with contextlib.suppress(TimeoutError):
            while True:
                received.append(udp.recvfrom(4096))
    finally:
        udp.close()
    assert capture.outcome == "page", capture.reason
    assert capture.facts["page"]["title"].count("no") == 3
    assert received == []


class _Collect:
    def __init__(self) -> None:
        self.addresses: list[Any] = []
        self.began = self.done = False

    def resolutionBegan(self, resolution: Any) -> None:
        self.began = True

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.done = True


def test_the_crawls_resolver_passes_on_no_address_when_one_is_refused() -> None:
    policy = AddressPolicy(("127.0.0.1:8765",))
    mixed, fine, allowed = _Collect(), _Collect(), _Collect()
    for receiver, host, port, found in (
        (mixed, "mixed.example", 80, ["93.184.216.34", "10.0.0.8"]),
        (fine, "fine.example", 80, ["93.184.216.34"]),
        (allowed, "demo.example", 8765, ["127.0.0.1"]),
    ):
        checked = _Checked(receiver, policy, host, port)
        checked.resolutionBegan(object())
        for a in found:
            checked.addressResolved(IPv4Address("TCP", a, port))
        checked.resolutionComplete()
    assert mixed.done and mixed.addresses == []
    assert "mixed.example resolves to 10.0.0.8" in refused_name("mixed.example", 80)
    assert refused_name("mixed.example", 8080) == ""  # another port was not refused
    assert [a.host for a in fine.addresses] == ["93.184.216.34"]
    assert [a.host for a in allowed.addresses] == ["127.0.0.1"]  # an allowed address and port


def test_the_environments_proxy_is_not_refused_by_the_crawls_resolver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An internal proxy named by http_proxy is the operator's own: the
    resolver lets Scrapy connect to it, on its port only."""
    from types import SimpleNamespace

    from crawler.finding.netguard import PolicyResolver

    monkeypatch.setenv("http_proxy", "http://10.1.1.1:3128")
    monkeypatch.setenv("all_proxy", "socks5://127.0.0.1:1080")  # Scrapy does not use it
    resolver = PolicyResolver(SimpleNamespace(nameResolver=None), 10000, AddressPolicy())
    assert resolver.policy.host_allowed("10.1.1.1", 3128)
    assert not resolver.policy.host_allowed("10.1.1.1", 6379)
    assert not resolver.policy.host_allowed("127.0.0.1", 1080)


def test_the_middleware_keeps_what_the_operator_allowed_and_proxied_answers() -> None:
    """A response's address is looked at again, except from a host allowed by
    name (it resolves inward by design), or through a proxy (the address is
    the proxy's)."""
    from ipaddress import ip_address

    from scrapy.http import HtmlResponse, Request

    from crawler.finding.netguard import AddressPolicyMiddleware
    from crawler.finding.rejects import RefusedRequest

    middleware = AddressPolicyMiddleware(AddressPolicy(("forum.corp",)))

    def answer(url: str, address: str, **meta: Any) -> Any:
        request = Request(url, meta=meta)
        response = HtmlResponse(url, body=b"x", request=request, ip_address=ip_address(address))
        return middleware.process_response(request, response)

    assert answer("http://forum.corp/page", "10.20.3.4").status == 200
    assert answer("http://ads.example/", "10.0.0.9", proxy="http://10.1.1.1:3128").status == 200
    with pytest.raises(RefusedRequest, match=r"ads\.example resolves to 10\.0\.0\.9"):
        answer("http://ads.example/", "10.0.0.9")


def test_an_upstream_proxy_is_handed_the_checked_address_never_the_name() -> None:
    """Behind a profile's proxy, the name is resolved and checked here and the
    upstream is asked for that address: it cannot resolve the name again to
    somewhere else.  The stand-in upstream only records what it is asked."""
    asked: list[bytes] = []

    class Upstream(ThreadingHTTPServer):
        daemon_threads = True

    class Record(BaseHTTPRequestHandler):
        def handle_one_request(self) -> None:
            line = self.rfile.readline()
            if line:
                asked.append(line.strip())
                while self.rfile.readline() not in (b"\r\n", b""):
                    pass
                self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            self.close_connection = True

    upstream = Upstream(("127.0.0.1", 0), Record)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    policy = AddressPolicy(lookup=answers({"ads.example": ["93.184.216.34"]}))
    try:
        with EgressGuard(policy, f"http://127.0.0.1:{upstream.server_address[1]}") as guard:
            port = int(guard.url.rsplit(":", 1)[1])
            auth = _auth(guard)
            _raw(port, f"CONNECT ads.example:443 HTTP/1.1\r\n{auth}\r\n".encode())
            plain = f"GET http://ads.example/x?y=1 HTTP/1.1\r\nHost: ads.example\r\n{auth}\r\n"
            _raw(port, plain.encode())
            assert guard.address_of("ads.example", 80) is None  # the upstream connected
    finally:
        upstream.shutdown()
        upstream.server_close()
    assert asked == [
        b"CONNECT 93.184.216.34:443 HTTP/1.1",
        b"GET http://93.184.216.34:80/x?y=1 HTTP/1.1",
    ]
