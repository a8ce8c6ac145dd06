"""The egress guard and the crawl's resolver: the address checked is the address used.

A name's answers come from the test's own lookup (``AddressPolicy.lookup``),
so a public-looking name can be made to resolve to a loopback server the
policy does not allow, with no DNS involved and no packet leaving 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.async_api import Route, async_playwright
from twisted.internet.address import IPv4Address

from crawler.netguard import _Checked, refused_name
from evidence.egress import REFUSED_HEADER, EgressGuard, EgressGuards
from evidence.netpolicy import AddressPolicy
from tests.test_netpolicy import answers


class Seen(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str]] = []  # (Host header, path)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: Seen

    def do_GET(self) -> None:
        self.server.requests.append((self.headers.get("Host", ""), self.path))
        body = b"<html><body><p>public page</p></body></html>"
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
            out["bad"] = (bad.status, await bad.header_value(REFUSED_HEADER)) if bad else None

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
        return out

    try:
        out = asyncio.run(run())
    finally:
        guard_set.close()
    assert out["ok"] == 200
    status, said = out["bad"]
    assert status == 403 and guard_set.refusal_said(said) is not None
    assert "rebind.example resolves to 127.0.0.1" in guard_set.refusal_said(said)[1]
    assert out["fetched"] == 403
    assert internal.requests == []
    assert (f"public.example:{public.port}", "/ok") in public.requests
    assert out["address"] == ("127.0.0.1", public.port)  # the server, for the evidence


def test_a_site_cannot_forge_the_guards_refusal() -> None:
    guards = EgressGuards(AddressPolicy())
    assert guards.refusal_said("refused_address; 10.0.0.1 is private") is None
    assert guards.refusal_said(f"{guards.token} refused_address; x") == ("refused_address", "x")


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_one_connection_cannot_smuggle_a_second_host(servers: tuple[Seen, Seen]) -> None:
    """Requests kept alive on one proxy connection may each name another host:
    the guard answers one request per connection, so the second never rides
    along to the first host's server unchecked."""
    public, internal = servers
    with EgressGuard(_policy(public)) as guard:
        port = int(guard.url.rsplit(":", 1)[1])
        first = f"GET http://127.0.0.1:{public.port}/one HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        second = f"GET http://127.0.0.1:{internal.port}/two HTTP/1.1\r\nHost: x\r\n\r\n"
        answer = _raw(port, (first + second).encode())
        tunnel = _raw(port, f"CONNECT 127.0.0.1:{internal.port} HTTP/1.1\r\n\r\n".encode())
        scheme = _raw(port, b"GET ftp://127.0.0.1/x HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 200") or answer.startswith(b"HTTP/1.1 200")
    assert answer.count(b"HTTP/1.") == 1
    assert tunnel.startswith(b"HTTP/1.1 403") and b"loopback" in tunnel
    assert scheme.startswith(b"HTTP/1.1 400")
    assert public.requests == [("127.0.0.1", "/one")]
    assert internal.requests == []


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
    assert "mixed.example resolves to 10.0.0.8" in refused_name("mixed.example")
    assert [a.host for a in fine.addresses] == ["93.184.216.34"]
    assert [a.host for a in allowed.addresses] == ["127.0.0.1"]  # an allowed address and port


def test_the_environments_proxy_is_not_refused_by_the_crawls_resolver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An internal proxy named by http_proxy is the operator's own: the
    resolver lets Scrapy connect to it (the links it fetches are still checked)."""
    from types import SimpleNamespace

    from crawler.netguard import PolicyResolver

    monkeypatch.setenv("http_proxy", "http://proxy.corp:3128")
    resolver = PolicyResolver(SimpleNamespace(nameResolver=None), 0, AddressPolicy())
    assert resolver.policy.host_allowed("proxy.corp", 3128)
    assert not resolver.policy.host_allowed("intranet.corp", 80)
