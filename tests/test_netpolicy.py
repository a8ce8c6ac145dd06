"""The address policy judged on addresses, without connecting anywhere.

Names are resolved by a lookup the test gives (``AddressPolicy.lookup``):
no test needs a real name that resolves to an internal address, and no test
sends a packet to a private or link-local range.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from evidence.netpolicy import AddressPolicy, Refused, kind_of, literal_address, origin_entry

POLICY = AddressPolicy()


def answers(table: dict[str, list[str]]) -> Any:
    """A getaddrinfo that answers from ``table`` (and fails for other names)."""

    def lookup(host: str, port: int, **_: Any) -> list[Any]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [
            (family[6 if ":" in a else 4], socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    return lookup


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.9.9.9", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata: judged, never contacted
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.1", "private"),  # documentation range
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::", "unspecified"),
    ],
)
def test_internal_addresses_are_named(address: str, kind: str) -> None:
    assert kind_of(literal_address(address)) == kind  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:a9fe:a9fe",  # mapped 169.254.169.254
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "::10.0.0.1",  # the old IPv4-compatible form
    ],
)
def test_ipv4_hidden_in_ipv6_is_judged_as_the_ipv4_it_carries(address: str) -> None:
    found = literal_address(address)
    assert found is not None and kind_of(found), address


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_are_fine(address: str) -> None:
    assert kind_of(literal_address(address)) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://2130706433/",  # 127.0.0.1 as one number, as browsers read it
        "http://0x7f.1/admin",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::1]:8080/",
        "http://[::ffff:10.0.0.5]/",
        "http://localhost:9200/",
        "http://LOCALHOST./",
        "http://admin.localhost/",
        "https://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        # spellings a browser maps to those before it connects
        "http://①②⑦.0.0.1/",
        "http://127。0。0。1/",
        "http://ｌｏｃａｌｈｏｓｔ:6379/",
        "http://%31%32%37.0.0.1/",
        "http://127.0.0.1\\@ads.example.com/",
        " \thttp://10.0.0.1/",
        "http://user:pw@[::1]/",
        "http://192.0.0.8/",
        "http://[fec0::1]/",
    ],
)
def test_internal_hosts_are_refused_before_any_lookup(url: str) -> None:
    refused = POLICY.url_refusal(url)
    assert refused is not None and refused.reason == "refused_address", url


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://example.com/",
        "gopher://127.0.0.1:6379/_INFO",
        "//example.com/no-scheme",
        "http:///no-host",
        "http://[::1/broken",
    ],
)
def test_only_http_and_https_are_fetched(url: str) -> None:
    refused = POLICY.url_refusal(url)
    assert refused is not None and refused.reason == "refused_scheme", url


def test_a_public_name_is_left_to_resolution() -> None:
    assert POLICY.url_refusal("https://www.example.com/ad?id=1") is None


def test_a_name_that_resolves_inward_is_refused() -> None:
    policy = AddressPolicy(lookup=answers({"ads.example": ["10.0.0.7"]}))
    with pytest.raises(Refused) as caught:
        policy.check("http://ads.example/landing")
    assert caught.value.reason == "refused_address"
    assert "ads.example resolves to 10.0.0.7" in str(caught.value)


def test_one_inward_answer_among_public_ones_is_enough_to_refuse() -> None:
    policy = AddressPolicy(lookup=answers({"mixed.example": ["93.184.216.34", "::1"]}))
    with pytest.raises(Refused, match="loopback"):
        policy.resolve("mixed.example", 443)


def test_public_answers_are_the_addresses_to_connect_to() -> None:
    policy = AddressPolicy(lookup=answers({"ok.example": ["93.184.216.34", "2606:4700::1"]}))
    assert policy.resolve("ok.example", 80) == ["93.184.216.34", "2606:4700::1"]


def test_a_name_that_does_not_resolve_says_so() -> None:
    policy = AddressPolicy(lookup=answers({}))
    with pytest.raises(Refused) as caught:
        policy.resolve("nowhere.example", 80)
    assert caught.value.reason == "unresolved"


def test_allowed_hosts_by_name_address_port_and_network() -> None:
    table = {"intranet": ["10.9.9.9"], "wiki.corp": ["10.20.3.4"], "other": ["10.30.0.1"]}
    policy = AddressPolicy.from_text("intranet, 127.0.0.1:8765 [::1]:9000,10.20.0.0/16").allowing()
    policy = AddressPolicy(policy.allow, lookup=answers(table))
    assert policy.url_refusal("http://intranet/x") is None
    policy.check("http://intranet:8080/x")  # by name: any port
    policy.check("http://127.0.0.1:8765/s?wd=1")
    assert policy.url_refusal("http://127.0.0.1:8766/") is not None  # another port
    policy.check("http://[::1]:9000/")
    policy.check("http://wiki.corp/page")  # resolves into the allowed network
    with pytest.raises(Refused):
        policy.check("http://other/")
    with pytest.raises(Refused):
        policy.check("http://10.9.9.9/")  # the name was allowed, not its address


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "host:99999", "host:x", "[::1]:0", ":80"])
def test_a_malformed_allow_entry_is_an_error(entry: str) -> None:
    with pytest.raises(ValueError):
        AddressPolicy.from_text(entry)


def test_origin_entry_names_host_and_port() -> None:
    assert origin_entry("http://127.0.0.1:8765/s?wd=x") == "127.0.0.1:8765"
    assert origin_entry("https://example.com/") == "example.com:443"
    assert origin_entry("http://[::1]:81/") == "[::1]:81"
    assert origin_entry("") == ""


def test_the_config_reads_and_checks_the_setting() -> None:
    from scrapy.settings import Settings

    from crawler.config import AdwatchConfig, ConfigError

    cfg = AdwatchConfig.from_settings(
        Settings(
            {
                "ADWATCH_ALLOW_HOSTS": "intranet:8080, 10.0.0.0/8",
                "ADWATCH_BASE_URL": "http://127.0.0.1:4000",
            }
        )
    )
    policy = cfg.address_policy()
    assert policy.url_refusal("http://127.0.0.1:4000/s") is None  # --base-url's origin
    assert policy.url_refusal("http://127.0.0.1:4001/s") is not None
    assert policy.url_refusal("http://10.2.3.4/") is None
    with pytest.raises(ConfigError, match="ADWATCH_ALLOW_HOSTS"):
        AdwatchConfig.from_settings(Settings({"ADWATCH_ALLOW_HOSTS": "a:b:c:99999"}))
