"""Which addresses adwatch may fetch: the one outbound-address policy.

Every link adwatch follows was written by an adversary: a search result, a
redirect, a picture, a record another writer put in the catalogue.  Left
alone, such a link points adwatch at the analyst's intranet, a cloud
metadata endpoint or a local service, and adwatch would seal what it finds
as evidence and hand it to a regulator.  So every fetch asks this policy
first, and asks it again with the addresses a name resolved to:

* only ``http`` and ``https`` URLs (not ``file:``, ``javascript:``, ``data:``...);
* never a loopback, private, link-local, shared (100.64/10), multicast,
  reserved or otherwise non-public address, IPv4 or IPv6, including IPv4
  hidden in IPv6 (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64), nor the
  legacy spellings of an IPv4 address (``2130706433``, ``0x7f.1``), nor
  ``localhost`` and ``*.localhost``;
* unless the host is allowed by name (``ADWATCH_ALLOW_HOSTS``): ``intranet``,
  ``intranet:8080``, ``10.1.2.3``, ``[fd00::1]:443`` or a network ``10.20.0.0/16``.

The policy itself never connects; :meth:`AddressPolicy.resolve` asks the
system resolver.  Where the checked addresses are used for the connection
(Scrapy's resolver, the browser's egress guard: ``evidence.egress``), a name
that resolves to a public address at the check and a private one later
(DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = frozenset({"http", "https"})
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
# special-purpose blocks some Python versions still call global
_SPECIAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # the old 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (2024)
        "fec0::/10",  # the old site-local
    )
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_LEGACY_V4 = re.compile(r"[0-9a-fA-FxX.]+")  # 2130706433, 0x7f.1, 0177.0.0.1, 127.1
_NAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class Refused(Exception):
    """A URL or address the policy does not let adwatch fetch.

    ``reason`` is a stable word for rejects and stats (``refused_scheme`` or
    ``refused_address``); the message says which rule and which address."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def kind_of(address: IPAddress) -> str:
    """What kind of non-public address this is ("" for a public one).

    IPv4 carried inside IPv6 is judged as the IPv4 address it carries: a
    mapped ::ffff:10.0.0.1 reaches 10.0.0.1."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_v4(address)
        if inner is not None and (kind := kind_of(inner)):
            return f"{kind} (inside {address})"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared (carrier-grade NAT)", address in _SHARED),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("special-purpose", any(address in net for net in _SPECIAL)),
        ("not public", not address.is_global),
    )
    return next((name for name, hit in checks if hit), "")


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address))
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address a host names without DNS: a literal (``10.0.0.1``,
    ``::1``) or a legacy IPv4 spelling that browsers and resolvers accept
    (``2130706433``, ``0x7f.1``, ``127.1``)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_V4.fullmatch(host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def normal_host(host: str) -> str:
    """A host as a browser reaches it: percent-escapes undone, a non-ASCII
    name mapped as IDNA maps it (full-width ``１２７``, circled digits and the
    ideographic full stop ``。`` become ``127.``), lower case, no trailing dot,
    no brackets.  A name that cannot be mapped is returned as given (lower
    case), which names nothing anyone can resolve."""
    host = unquote(host.strip()).strip("[]")
    if not host.isascii():
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    return host.rstrip(".").lower()


def split_url(url: str) -> SplitResult:
    """A URL split as a browser reads it (the WHATWG URL standard) rather than
    as ``urlsplit`` alone would: surrounding controls and spaces dropped, tabs
    and newlines removed, and in http(s) a backslash read as a slash, so that
    ``http://127.0.0.1\\@example.com/`` is judged as the loopback URL it is."""
    url = url.strip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "")
    url = url.replace("\r", "")
    scheme, colon, rest = url.partition(":")
    if colon and scheme.lower() in SCHEMES:
        url = f"{scheme}:{rest.replace(chr(92), '/')}"
    return urlsplit(url)


@dataclass(frozen=True)
class _Entry:
    host: str = ""  # a name or a literal address, normalised
    port: int | None = None
    network: Network | None = None

    def covers_name(self, host: str, port: int) -> bool:
        return bool(self.host) and self.host == host and self.port in (None, port)

    def covers_address(self, address: IPAddress, port: int) -> bool:
        if self.network is not None:
            return address in self.network and self.port in (None, port)
        return self.covers_name(str(address), port)


def _parse_entry(text: str) -> _Entry:
    text = text.strip()
    if "/" in text:
        try:
            return _Entry(network=ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not a network like 10.20.0.0/16") from None
    port: int | None = None
    host = text
    if text.startswith("["):  # [v6] or [v6]:port
        host, _, rest = text[1:].partition("]")
        if rest:
            port = _port(rest.removeprefix(":"), text)
    elif text.count(":") == 1:
        host, raw = text.split(":")
        port = _port(raw, text)
    host = normal_host(host)
    if not host:
        raise ValueError(f"{text!r} names no host")
    literal = literal_address(host)
    if literal is None and not _NAME.fullmatch(host):
        raise ValueError(f"{text!r} is not a host, host:port, address or network")
    return _Entry(host=str(literal) if literal is not None else host, port=port)


def _port(raw: str, text: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return int(raw)


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


Lookup = Callable[..., list[Any]]


@dataclass(frozen=True)
class AddressPolicy:
    """The outbound-address policy, with the hosts an operator allowed.
    ``lookup`` is the resolver asked (``socket.getaddrinfo``; tests give
    their own answers, so that no test needs a name that resolves inward)."""

    allow: tuple[str, ...] = ()
    lookup: Lookup = field(default=socket.getaddrinfo, compare=False, repr=False)
    _entries: tuple[_Entry, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_entries", tuple(_parse_entry(a) for a in self.allow if a))

    @classmethod
    def from_text(cls, text: str | Iterable[str]) -> AddressPolicy:
        """From a setting: entries separated by commas or spaces.  ValueError
        names a malformed entry."""
        items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
        return cls(tuple(i.strip() for i in items if i.strip()))

    def allowing(self, *entries: str) -> AddressPolicy:
        """This policy with more hosts allowed (the demo web, a test server)."""
        return AddressPolicy((*self.allow, *(e for e in entries if e)), self.lookup)

    # --- judging --------------------------------------------------------------
    def host_allowed(self, host: str, port: int) -> bool:
        """Whether the operator allowed this host (by name or address) and port."""
        host = normal_host(host)
        literal = literal_address(host)
        if literal is not None:
            return self.address_allowed(literal, port)
        return any(e.covers_name(host, port) for e in self._entries)

    def address_allowed(self, address: IPAddress, port: int) -> bool:
        return any(e.covers_address(address, port) for e in self._entries)

    def address_refusal(self, address: IPAddress | str, port: int, host: str = "") -> str:
        """Why connecting to ``address`` is refused ("" when it is not)."""
        if isinstance(address, str):
            address = ipaddress.ip_address(address.split("%", 1)[0])
        if self.address_allowed(address, port):
            return ""
        kind = kind_of(address)
        if not kind:
            return ""
        hint = "(allow it with ADWATCH_ALLOW_HOSTS)"
        if host and normal_host(host) != str(address):
            return f"{host} resolves to {address}, a {kind} address {hint}"
        return f"{address} is a {kind} address {hint}"

    def url_refusal(self, url: str) -> Refused | None:
        """What can be said of a URL without DNS: its scheme, a literal or
        local host.  None when only resolution can tell."""
        try:
            parts = split_url(url)
            port = parts.port
        except ValueError as exc:
            return Refused("refused_scheme", f"not a URL adwatch can fetch: {exc}")
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            shown = f"{scheme}:" if scheme else "no scheme"
            return Refused("refused_scheme", f"{shown} is not http or https")
        host = normal_host(parts.hostname or "")
        if not host:
            return Refused("refused_scheme", "the URL names no host")
        port = port or default_port(scheme)
        if self.host_allowed(host, port):
            return None
        literal = literal_address(host)
        if literal is not None:
            why = self.address_refusal(literal, port, host)
            return Refused("refused_address", why) if why else None
        if host in _LOCAL_NAMES or host.endswith(".localhost"):
            return Refused(
                "refused_address", f"{host} is this machine (allow it with ADWATCH_ALLOW_HOSTS)"
            )
        return None

    def check_url(self, url: str) -> None:
        """Raise :class:`Refused` for what :meth:`url_refusal` finds."""
        refused = self.url_refusal(url)
        if refused is not None:
            raise refused

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host:port``, every one of them
        checked; :class:`Refused` if any is refused (a name that answers
        with a private address among public ones is an attack, not a
        mistake) or the name does not resolve."""
        host = normal_host(host)
        literal = literal_address(host)
        if literal is not None:
            why = self.address_refusal(literal, port, host)
            if why:
                raise Refused("refused_address", why)
            return [str(literal)]
        named = self.host_allowed(host, port)
        if not named and (host in _LOCAL_NAMES or host.endswith(".localhost")):
            raise Refused("refused_address", f"{host} is this machine")
        try:
            infos = self.lookup(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Refused("unresolved", f"{host} does not resolve: {exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not named:
            for address in addresses:
                why = self.address_refusal(address, port, host)
                if why:
                    raise Refused("refused_address", why)
        return addresses

    def check(self, url: str) -> None:
        """The whole check of one URL, DNS included (blocking: call it from a
        thread in an event loop).  Raises :class:`Refused`."""
        self.check_url(url)
        parts = split_url(url)
        host = parts.hostname or ""
        if not self.host_allowed(host, parts.port or default_port(parts.scheme.lower())):
            self.resolve(host, parts.port or default_port(parts.scheme.lower()))


def origin_entry(url: str) -> str:
    """The allow-list entry for one URL's host and port (``127.0.0.1:8765``)."""
    parts = split_url(url)
    host = parts.hostname or ""
    if not host:
        return ""
    port = parts.port or default_port(parts.scheme.lower())
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
