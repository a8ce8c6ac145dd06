"""Serving the workbench: where it may listen, and uvicorn started.

It binds 127.0.0.1 by default.  Any other address exposes the evidence and
the analysts' passwords to a network, so it is refused unless the traffic is
encrypted: by TLS here (a certificate and key), or by a reverse proxy in
front that the operator vouches for (``--behind-proxy``: cookies are then
marked Secure and the proxy's X-Forwarded-* headers are believed, from the
proxy's address only).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class BindRefused(ValueError):
    """Listening there would send passwords and evidence in clear text."""


@dataclass(frozen=True)
class Listen:
    host: str = "127.0.0.1"
    port: int = 8765
    tls_cert: Path | None = None
    tls_key: Path | None = None
    behind_proxy: str = ""  # the proxy's address, when one terminates TLS

    @property
    def secure(self) -> bool:
        return bool(self.tls_cert or self.behind_proxy)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/"


def loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check(listen: Listen) -> None:
    """Raise BindRefused for a listening address that would be unsafe."""
    if bool(listen.tls_cert) != bool(listen.tls_key):
        raise BindRefused("--tls-cert and --tls-key go together")
    for path in (listen.tls_cert, listen.tls_key):
        if path is not None and not path.is_file():
            raise BindRefused(f"{path} is not a file")
    if not loopback(listen.host) and not listen.secure:
        raise BindRefused(
            f"{listen.host} is not a loopback address: the workbench would send passwords and "
            "evidence unencrypted. Give --tls-cert and --tls-key, or put it behind a TLS reverse "
            "proxy and say so with --behind-proxy PROXY_ADDRESS"
        )


def serve(settings: Any, listen: Listen) -> None:
    """Run the workbench until interrupted."""
    import uvicorn

    from crawler.interfaces.web.app import create_app

    check(listen)
    app = create_app(settings, secure_cookies=listen.secure)
    uvicorn.run(
        app,
        host=listen.host,
        port=listen.port,
        ssl_certfile=str(listen.tls_cert) if listen.tls_cert else None,
        ssl_keyfile=str(listen.tls_key) if listen.tls_key else None,
        proxy_headers=bool(listen.behind_proxy),
        forwarded_allow_ips=listen.behind_proxy or None,
        server_header=False,
        log_level="warning",
    )
