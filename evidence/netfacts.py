"""Facts about the network path of a capture that the browser does not give.

The browser tells the server address of each response, but neither what the
resolver answered for the host nor the server's whole certificate chain.  A
regulator ruling out a staged page wants both: the DNS answers at capture
time (with the resolvers asked) and the TLS chain the server presented, which
this module fetches with its own short handshake (pyOpenSSL, SNI set,
verification off so that an invalid chain is recorded rather than refused,
then checked against the system's roots and reported).
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL


def dns_answers(host: str, port: int) -> dict[str, Any]:
    """What the system resolver answers for ``host`` now, and which resolvers it asks."""
    out: dict[str, Any] = {"host": host, "resolvers": _resolvers()}
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        out["error"] = str(exc)
        out["addresses"] = []
        return out
    out["addresses"] = sorted({str(info[4][0]) for info in infos})
    return out


def _resolvers() -> list[str]:
    try:
        lines = Path("/etc/resolv.conf").read_text().splitlines()
    except OSError:
        return []
    return [ln.split()[1] for ln in lines if ln.startswith("nameserver") and len(ln.split()) > 1]


@dataclass
class TlsChain:
    pem: str = ""  # the chain as the server sent it, leaf first
    subjects: list[str] = field(default_factory=list)
    issuers: list[str] = field(default_factory=list)
    not_after: list[str] = field(default_factory=list)
    protocol: str = ""
    cipher: str = ""
    verified: bool = False  # against the system's roots, for the host name
    verify_error: str = ""
    error: str = ""  # the handshake itself failed

    def facts(self) -> dict[str, Any]:
        """What goes into the manifest (the PEM is its own artifact)."""
        d = asdict(self)
        d.pop("pem")
        return d


def tls_chain(host: str, port: int, timeout: float = 10.0, address: str = "") -> TlsChain:
    """The certificate chain ``host:port`` presents, and whether it verifies.

    ``address``: the server address to connect to (the one the capture's
    browser reached, as its egress guard checked it), so that the handshake
    is made with that server and never with whatever the name resolves to
    now; without it nothing is connected to (the name was not reached)."""
    chain = TlsChain()
    if not address:
        chain.error = f"no connection to {host}:{port} was made through the address guard"
        return chain
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *_: True)
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            conn = SSL.Connection(ctx, sock)
            conn.set_tlsext_host_name(host.encode("idna"))
            conn.set_connect_state()
            _handshake(conn, sock, time.monotonic() + timeout)
            certs = conn.get_peer_cert_chain(as_cryptography=True) or []
            chain.protocol = conn.get_protocol_version_name()
            chain.cipher = conn.get_cipher_name() or ""
            conn.shutdown()
    except (OSError, SSL.Error) as exc:
        chain.error = f"TLS handshake with {host}:{port} failed: {exc!r}"[:500]
        return chain
    chain.pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)
    for cert in certs:
        chain.subjects.append(cert.subject.rfc4514_string())
        chain.issuers.append(cert.issuer.rfc4514_string())
        chain.not_after.append(cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
    chain.verified, chain.verify_error = _verifies(host, address, port, timeout)
    return chain


def _handshake(conn: SSL.Connection, sock: socket.socket, deadline: float) -> None:
    """pyOpenSSL on a socket with a timeout behaves as non-blocking: wait for
    the socket and retry until the handshake is done or the time is up."""
    while True:
        try:
            conn.do_handshake()
            return
        except (SSL.WantReadError, SSL.WantWriteError) as exc:
            left = deadline - time.monotonic()
            waits = ([sock], []) if isinstance(exc, SSL.WantReadError) else ([], [sock])
            ready = select.select(*waits, [], max(0.0, left))
            if left <= 0 or not any(ready):
                raise TimeoutError("TLS handshake timed out") from None


def _verifies(host: str, address: str, port: int, timeout: float) -> tuple[bool, str]:
    ctx = ssl.create_default_context()
    try:
        with (
            socket.create_connection((address, port), timeout=timeout) as sock,
            ctx.wrap_socket(sock, server_hostname=host),
        ):
            return True, ""
    except ssl.SSLCertVerificationError as exc:
        return False, exc.verify_message or str(exc)
    except (OSError, ssl.SSLError) as exc:
        return False, str(exc)[:300]
