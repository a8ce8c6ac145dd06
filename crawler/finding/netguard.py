"""The address policy (evidence.netpolicy) inside Scrapy.

Three places, so that no fetch of the plain downloader escapes it:

* :class:`AddressPolicyMiddleware` refuses a request before it is sent (its
  scheme, a literal or local host), every hop of a redirect included (each
  hop is a new request through the chain), and refuses a response that came
  from a refused address all the same;
* :class:`PolicyResolver` (``TWISTED_DNS_RESOLVER``) hands Twisted only
  addresses the policy allows, so a public name that resolves to a private
  address is never connected to, and the address checked is the address used;
* the browser's traffic goes through an egress guard (``crawler.finding.pagepool``).

A refused request fails with :class:`~crawler.finding.rejects.RefusedRequest`, whose
reason (``refused_scheme`` or ``refused_address``) the spiders' errbacks and
the image stage turn into a reject.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.resolver import CachingHostnameResolver
from twisted.internet import error as neterror
from twisted.internet.interfaces import IAddress, IHostnameResolver, IResolutionReceiver
from zope.interface import implementer, provider

from crawler.config import crawler_config
from crawler.finding.rejects import RefusedRequest
from evidence.netpolicy import AddressPolicy, default_port, normal_host

logger = logging.getLogger(__name__)

# (host, port) -> (why, when), as the resolver refused them; read back by the
# middleware to name the refusal of the request that failed to resolve
_refused_names: OrderedDict[tuple[str, int], tuple[str, float]] = OrderedDict()
_names_lock = threading.Lock()
_NAME_MEMORY = 120.0  # seconds a refusal explains a failed lookup


def _note_refused_name(host: str, port: int, why: str) -> None:
    key = (normal_host(host), port)
    with _names_lock:
        _refused_names[key] = (why, time.monotonic())
        _refused_names.move_to_end(key)
        while len(_refused_names) > 5000:
            _refused_names.popitem(last=False)


def refused_name(host: str, port: int) -> str:
    """Why the resolver just refused ``host:port`` ("" if it did not)."""
    with _names_lock:
        why, when = _refused_names.get((normal_host(host), port), ("", 0.0))
    return why if why and time.monotonic() - when < _NAME_MEMORY else ""


def policy_of(crawler: Any) -> AddressPolicy:
    """The crawl's address policy (crawler: a Crawler or a CrawlerProcess)."""
    return crawler_config(crawler).address_policy()


class AddressPolicyMiddleware:
    """Downloader middleware: refuse what the policy refuses, as a reject."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressPolicyMiddleware:
        return cls(policy_of(crawler))

    def process_request(self, request: Request) -> None:
        refused = self.policy.url_refusal(request.url)
        if refused is not None:
            raise RefusedRequest(refused.reason, refused.detail)

    def process_response(self, request: Request, response: Response) -> Response:
        """A second look at where the answer came from (the resolver already
        chose the address): not for the browser's answers, which came through
        its guard, nor a proxy's, nor a host the operator allowed by name."""
        address = response.ip_address
        host, port = _host(request.url), _port(request.url)
        if (
            address is None
            or request.meta.get("playwright")
            or request.meta.get("proxy")
            or self.policy.host_allowed(host, port)
        ):
            return response
        why = self.policy.address_refusal(str(address), port, host)
        if why:
            raise RefusedRequest("refused_address", why)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, neterror.DNSLookupError):
            why = refused_name(_host(request.url), _port(request.url))
            if why:
                raise RefusedRequest("refused_address", why) from None


def proxy_hosts() -> list[str]:
    """The proxies the environment configures for http and https (the ones
    Scrapy uses), as ``host:port`` entries: that port only, never the host."""
    from urllib.request import getproxies

    entries = []
    for scheme, url in getproxies().items():
        if scheme not in ("http", "https"):
            continue
        parts = urlsplit(url if "://" in url else f"http://{url}")
        try:
            port = parts.port or default_port(parts.scheme)
        except ValueError:
            continue
        if host := parts.hostname:
            entries.append(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    return entries


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _port(url: str) -> int:
    parts = urlsplit(url)
    try:
        return parts.port or default_port(parts.scheme)
    except ValueError:
        return default_port(parts.scheme)


@implementer(IHostnameResolver)
class PolicyResolver(CachingHostnameResolver):
    """Scrapy's caching resolver, answering only addresses the policy allows:
    a name with any refused address resolves to nothing (the request then
    fails, and the middleware names the refusal)."""

    def __init__(self, reactor: Any, cache_size: int, policy: AddressPolicy) -> None:
        super().__init__(reactor, cache_size)
        # the proxies the environment names (http_proxy...) are the operator's
        # own, often internal: connecting to them is not following a link
        self.policy = policy.allowing(*proxy_hosts())

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PolicyResolver:
        size = crawler.settings.getint("DNSCACHE_SIZE")
        cache = size if crawler.settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache, policy_of(crawler))

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        guarded: Any = _Checked(resolutionReceiver, self.policy, hostName, portNumber)
        return super().resolveHostName(
            guarded, hostName, portNumber, addressTypes, transportSemantics
        )


@provider(IResolutionReceiver)
class _Checked:
    """Holds a resolution's addresses until it is complete, then passes them
    all on, or none if the policy refuses any of them."""

    def __init__(self, receiver: Any, policy: AddressPolicy, host: str, port: int) -> None:
        self.receiver = receiver
        self.policy = policy
        self.host = host
        self.port = port
        self.addresses: list[Any] = []

    def resolutionBegan(self, resolution: Any) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        if not self.policy.host_allowed(self.host, self.port):
            for address in self.addresses:
                why = self.policy.address_refusal(str(address.host), self.port, self.host)
                if why:
                    _note_refused_name(self.host, self.port, why)
                    logger.warning("refused to connect to %s: %s", self.host, why)
                    self.addresses = []
                    break
        for address in self.addresses:
            self.receiver.addressResolved(address)
        self.receiver.resolutionComplete()
