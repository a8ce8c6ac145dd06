"""RFC 3161 time-stamps against a real `openssl ts` TSA on loopback: tokens come
back right, both verifiers (Python and `openssl ts -verify`) catch every kind of
bad token, a TSA that is down or talks nonsense never loses a bundle, and the
child-process TSA serves tokens too."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from evidence.store import EvidenceStore
from evidence.timestamp import (
    NO_TRUST,
    Stamp,
    TimestampError,
    TsaUnavailable,
    check_token,
    clock_offset,
    openssl_verify,
    request_token,
    stamp_pending,
)
from evidence.tsa import DEMO_POLICY, TsaServer, make_pki, tsa_process
from evidence.verify import structure_problems
from tests.conftest import sealed

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parse_iso(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def dead_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaServer]:
    with TsaServer(tmp_path_factory.mktemp("tsa")) as server:
        yield server


@pytest.fixture(scope="module")
def rogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaServer]:
    """A second, independent TSA with the very same names but its own keys."""
    with TsaServer(tmp_path_factory.mktemp("rogue")) as server:
        yield server


@pytest.fixture(scope="module")
def ca(tsa: TsaServer) -> bytes:
    return tsa.files.ca_pem.read_bytes()


@pytest.fixture(scope="module")
def stamped(tsa: TsaServer) -> tuple[str, Stamp]:
    digest = digest_of("a sealed bundle")
    return digest, request_token(digest, tsa.url)


@pytest.fixture(scope="module")
def rejection(tsa: TsaServer) -> bytes:
    """The TSA's answer to a query it must refuse (a SHA-1 imprint: not in its digests)."""
    query = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha1"},
                "hashed_message": hashlib.sha1(b"weak").digest(),
            },
            "cert_req": True,
        }
    ).dump()
    post = urllib.request.Request(
        tsa.url, data=query, headers={"Content-Type": "application/timestamp-query"}
    )
    with urllib.request.urlopen(post, timeout=5) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "application/timestamp-reply"
        body: bytes = answer.read()
    return body


def flip_signature_byte(tsr: bytes) -> bytes:
    resp = tsp.TimeStampResp.load(tsr)
    signature = resp["time_stamp_token"]["content"]["signer_infos"][0]["signature"].native
    at = tsr.index(signature) + len(signature) // 3  # inside r of an ECDSA (r, s)
    return tsr[:at] + bytes([tsr[at] ^ 0x01]) + tsr[at + 1 :]


# --- the PKI and the server ------------------------------------------------------------


def test_the_pki_is_made_once_with_a_timestamping_only_signer(tmp_path: Path) -> None:
    files = make_pki(tmp_path / "pki")
    first = {p: p.read_bytes() for p in (files.ca_pem, files.tsa_pem, files.tsa_key)}
    assert make_pki(tmp_path / "pki") == files
    assert {p: p.read_bytes() for p in first} == first  # reused, not remade
    assert files.ca_key.stat().st_mode & 0o777 == 0o600
    assert files.tsa_key.stat().st_mode & 0o777 == 0o600
    assert files.chain_pem.read_bytes() == first[files.tsa_pem] + first[files.ca_pem]
    root = x509.load_pem_x509_certificate(first[files.ca_pem])
    signer = x509.load_pem_x509_certificate(first[files.tsa_pem])
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    signer.verify_directly_issued_by(root)
    years = (signer.not_valid_after_utc - signer.not_valid_before_utc).days / 365
    assert 9.9 < years < 10.1
    config = files.config.read_text()
    assert f"default_policy = {DEMO_POLICY}" in config and "clock_precision_digits = 3" in config


def test_the_server_explains_itself_and_refuses_a_bad_body(tsa: TsaServer) -> None:
    with urllib.request.urlopen(tsa.url, timeout=5) as page:
        assert b"time-stamp authority" in page.read()
    bad = urllib.request.Request(
        tsa.url,
        data=b"not a query",
        headers={"Content-Type": "application/timestamp-query"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bad, timeout=5)
    with refused.value as answer:
        assert answer.code == 400
        assert answer.read().startswith(b"not an RFC 3161 time-stamp query")


# --- tokens and the two verifiers ----------------------------------------------------------


def test_a_token_round_trip_passes_both_verifiers(
    tsa: TsaServer, ca: bytes, stamped: tuple[str, Stamp]
) -> None:
    digest, stamp = stamped
    assert stamp.tsa == tsa.url and stamp.policy == DEMO_POLICY
    assert ISO_MS.match(stamp.gen_time), stamp.gen_time
    assert abs((parse_iso(stamp.gen_time) - dt.datetime.now(dt.UTC)).total_seconds()) < 5
    mine = check_token(stamp.tsr, digest, ca)
    assert (mine.status, mine.problems, mine.checker) == ("passed", [], "python")
    theirs = openssl_verify(stamp.tsr, digest, tsa.files.ca_pem)  # signer cert from the token
    assert (theirs.status, theirs.problems, theirs.checker) == ("passed", [], "openssl")
    assert openssl_verify(stamp.tsr, digest, tsa.files.ca_pem, tsa.files.chain_pem).status == (
        "passed"
    )
    # the two verifiers read the same facts off the token, independently
    assert mine.gen_time == theirs.gen_time == stamp.gen_time
    assert mine.serial == theirs.serial == stamp.serial
    assert mine.tsa_name == theirs.tsa_name == "CN=adwatch demo TSA"
    assert request_token(digest, tsa.url).serial != stamp.serial  # each token its own serial


def test_a_bare_token_is_accepted_by_both(
    tsa: TsaServer, ca: bytes, stamped: tuple[str, Stamp]
) -> None:
    digest, stamp = stamped
    token = tsp.TimeStampResp.load(stamp.tsr)["time_stamp_token"].dump()
    assert check_token(token, digest, ca).status == "passed"
    assert openssl_verify(token, digest, tsa.files.ca_pem).status == "passed"


def test_a_token_over_another_digest_fails_both(
    tsa: TsaServer, ca: bytes, stamped: tuple[str, Stamp]
) -> None:
    _, stamp = stamped
    other = digest_of("a different bundle")
    mine = check_token(stamp.tsr, other, ca)
    assert mine.status == "failed"
    assert mine.problems == [f"imprint {stamped[0]} is not the digest {other}"]
    theirs = openssl_verify(stamp.tsr, other, tsa.files.ca_pem)
    assert theirs.status == "failed" and "imprint mismatch" in " ".join(theirs.problems)


def test_a_flipped_signature_byte_fails_both(
    tsa: TsaServer, ca: bytes, stamped: tuple[str, Stamp]
) -> None:
    digest, stamp = stamped
    forged = flip_signature_byte(stamp.tsr)
    mine = check_token(forged, digest, ca)
    assert mine.status == "failed"
    assert any("does not verify" in p for p in mine.problems), mine.problems
    assert openssl_verify(forged, digest, tsa.files.ca_pem).status == "failed"


def test_a_backdated_gen_time_fails_both(
    tsa: TsaServer, ca: bytes, stamped: tuple[str, Stamp]
) -> None:
    digest, stamp = stamped
    tst = tsp.TimeStampResp.load(stamp.tsr)["time_stamp_token"]["content"]["encap_content_info"]
    gen_time = tst["content"].parsed["gen_time"]
    raw = gen_time.contents  # e.g. b"20261126123503.037Z"
    assert stamp.tsr.count(raw) == 1
    backdated = stamp.tsr.replace(raw, b"2019" + raw[4:])
    mine = check_token(backdated, digest, ca)
    assert mine.status == "failed" and mine.gen_time.startswith("2019-")
    assert any("message-digest attribute does not match" in p for p in mine.problems)
    assert openssl_verify(backdated, digest, tsa.files.ca_pem).status == "failed"


def test_a_token_of_an_untrusted_tsa_fails_both(
    tsa: TsaServer, rogue: TsaServer, ca: bytes
) -> None:
    digest = digest_of("backdated evidence")
    fake = request_token(digest, rogue.url)
    # a genuine token of its own TSA, with the same names as ours...
    assert check_token(fake.tsr, digest, rogue.files.ca_pem.read_bytes()).status == "passed"
    # ...but our CA never signed that TSA's certificate
    mine = check_token(fake.tsr, digest, ca)
    assert mine.status == "failed"
    assert any("signed by someone else" in p for p in mine.problems), mine.problems
    assert any("does not chain to a trust anchor" in p for p in mine.problems)
    assert openssl_verify(fake.tsr, digest, tsa.files.ca_pem).status == "failed"


def test_every_problem_is_listed_not_just_the_first(
    rogue: TsaServer, ca: bytes, stamped: tuple[str, Stamp]
) -> None:
    digest = digest_of("one token, three faults")
    fake = request_token(digest, rogue.url)
    problems = check_token(flip_signature_byte(fake.tsr), digest_of("elsewhere"), ca).problems
    assert any("imprint" in p for p in problems)
    assert any("signature over the signed attributes" in p for p in problems)
    assert any("does not chain" in p for p in problems)


def test_garbage_and_truncated_tokens_fail_without_raising(
    tsa: TsaServer, ca: bytes, stamped: tuple[str, Stamp]
) -> None:
    digest, stamp = stamped
    for junk in (stamp.tsr[: len(stamp.tsr) // 2], b"", b"\x30\x03\x02\x01\x00", b"garbage"):
        mine = check_token(junk, digest, ca)
        assert mine.status == "failed", junk
        assert mine.problems[0].startswith("not a time-stamp response"), mine.problems
        assert openssl_verify(junk, digest, tsa.files.ca_pem).status == "failed"


def test_a_rejection_is_reported_as_such(tsa: TsaServer, ca: bytes, rejection: bytes) -> None:
    digest = hashlib.sha1(b"weak").hexdigest()
    mine = check_token(rejection, digest, ca)
    assert mine.status == "failed"
    assert mine.problems[0].startswith("status rejection:") and "bad alg" in mine.problems[0]
    assert openssl_verify(rejection, digest, tsa.files.ca_pem).status == "failed"


def test_without_openssl_its_check_is_not_done(
    tsa: TsaServer, stamped: tuple[str, Stamp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no openssl on it
    result = openssl_verify(stamped[1].tsr, stamped[0], tsa.files.ca_pem)
    assert (result.status, result.problems) == ("not_checked", ["openssl not found on PATH"])


def test_without_a_trust_anchor_the_signer_is_not_checked(stamped: tuple[str, Stamp]) -> None:
    digest, stamp = stamped
    result = check_token(stamp.tsr, digest, None)
    assert (result.status, result.problems) == ("not_checked", [NO_TRUST])
    assert check_token(flip_signature_byte(stamp.tsr), digest, None).status == "failed"


def test_an_rsa_tsa_token_passes_and_its_forgery_fails(tmp_path: Path) -> None:
    files = make_pki(tmp_path / "rsa", key="rsa")
    digest = digest_of("rsa")
    with TsaServer(files.folder) as rsa_tsa:
        stamp = request_token(digest, rsa_tsa.url)
    trust = files.ca_pem.read_bytes()
    assert check_token(stamp.tsr, digest, trust).status == "passed"
    assert openssl_verify(stamp.tsr, digest, files.ca_pem).status == "passed"
    forged = flip_signature_byte(stamp.tsr)
    assert check_token(forged, digest, trust).status == "failed"
    assert openssl_verify(forged, digest, files.ca_pem).status == "failed"


# --- a TSA that is down or wrong -------------------------------------------------------------


class _BadTsa(ThreadingHTTPServer):
    """An HTTP server that answers like a broken or stale TSA."""

    daemon_threads = True
    replay = b""  # a genuine response to some other request
    rejection = b""  # a genuine refusal
    upstream = ""  # the real TSA, behind /paid for clients with the password


class _BadHandler(BaseHTTPRequestHandler):
    server: _BadTsa

    def do_POST(self) -> None:
        query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/paid":
            self._paid(query)
            return
        status, body = {
            "/garbage": (200, b"<html>hello</html>"),
            "/busy": (503, b"overloaded, try later"),
            "/forbidden": (403, b"no subscription"),
            "/replay": (200, self.server.replay),
            "/reject": (200, self.server.rejection),
        }[self.path]
        self.send_response(status)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _paid(self, query: bytes) -> None:
        if self.headers.get("Authorization") != PAID_AUTH:
            status, body = 401, b"credentials required"
        else:
            post = urllib.request.Request(self.server.upstream, data=query)
            with urllib.request.urlopen(post, timeout=5) as answer:
                status, body = answer.status, answer.read()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


PAID_AUTH = "Basic " + base64.b64encode(b"adwatch:secret").decode()


@pytest.fixture(scope="module")
def bad_tsa(tsa: TsaServer, stamped: tuple[str, Stamp], rejection: bytes) -> Iterator[str]:
    server = _BadTsa(("127.0.0.1", 0), _BadHandler)
    server.replay, server.rejection, server.upstream = stamped[1].tsr, rejection, tsa.url
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_tsa_that_is_down_is_unavailable_at_once() -> None:
    url = dead_url()
    started = time.monotonic()
    with pytest.raises(TsaUnavailable, match=re.escape(url)):
        request_token(digest_of("x"), url, timeout=5)
    assert time.monotonic() - started < 2


def test_a_tsa_that_never_answers_times_out_as_unavailable() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        started = time.monotonic()
        with pytest.raises(TsaUnavailable, match="unreachable"):
            request_token(digest_of("x"), url, timeout=0.3)
        assert time.monotonic() - started < 2


def test_extra_headers_reach_a_paid_tsa(bad_tsa: str, tsa: TsaServer, ca: bytes) -> None:
    digest = digest_of("paid")
    with pytest.raises(TimestampError, match="HTTP 401") as refused:
        request_token(digest, f"{bad_tsa}/paid")
    assert not isinstance(refused.value, TsaUnavailable)
    stamp = request_token(digest, f"{bad_tsa}/paid", headers={"Authorization": PAID_AUTH})
    assert check_token(stamp.tsr, digest, ca).status == "passed"


def test_a_wrong_answer_is_an_error_naming_the_tsa(
    bad_tsa: str, stamped: tuple[str, Stamp]
) -> None:
    digest = stamped[0]
    with pytest.raises(TimestampError, match="not a time-stamp response") as garbage:
        request_token(digest, f"{bad_tsa}/garbage")
    assert not isinstance(garbage.value, TsaUnavailable)
    assert f"TSA {bad_tsa}/garbage" in str(garbage.value)
    with pytest.raises(TimestampError, match="nonce not echoed") as replayed:
        request_token(digest, f"{bad_tsa}/replay")  # a genuine token, for someone else's request
    assert not isinstance(replayed.value, TsaUnavailable)
    with pytest.raises(TimestampError, match=r"/reject: status rejection: .*bad alg"):
        request_token(digest, f"{bad_tsa}/reject")
    with pytest.raises(TimestampError, match="HTTP 403") as forbidden:
        request_token(digest, f"{bad_tsa}/forbidden")
    assert not isinstance(forbidden.value, TsaUnavailable)
    with pytest.raises(TsaUnavailable, match="HTTP 503"):
        request_token(digest, f"{bad_tsa}/busy")
    with pytest.raises(TimestampError, match="not a SHA-256 digest"):
        request_token("abc", f"{bad_tsa}/garbage")
    tls = bad_tsa.replace("http://", "https://") + "/garbage"  # TLS to a plain HTTP server
    with pytest.raises(TimestampError, match="TLS failed") as tls_failed:
        request_token(digest, tls)
    assert not isinstance(tls_failed.value, TsaUnavailable)  # a setup error, not "try later"


# --- stamping the store's queue -----------------------------------------------------------


def test_pending_bundles_wait_for_the_tsa_and_then_are_stamped(
    tmp_path: Path, tsa: TsaServer, ca: bytes
) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    ids = [sealed(store, n) for n in range(3)]

    down = stamp_pending(store, dead_url(), timeout=5)
    assert (down.stamped, down.failed, down.remaining, down.tsa_down) == (0, {}, 3, True)
    # nothing lost, nothing half-kept
    assert store.unstamped() == ids and structure_problems(store) == []

    run = stamp_pending(store, tsa.url)
    assert (run.stamped, run.failed, run.remaining, run.tsa_down) == (3, {}, 0, False)
    assert store.unstamped() == [] and structure_problems(store) == []
    stamps = store.stamps()
    for bundle_id in ids:
        tsr = store.timestamp_path(bundle_id).read_bytes()
        mine = check_token(tsr, bundle_id, ca)
        assert mine.status == "passed", mine.problems
        assert mine.gen_time == stamps[bundle_id]["gen_time"]
        assert stamps[bundle_id]["tsa"] == tsa.url
        assert openssl_verify(tsr, bundle_id, tsa.files.ca_pem).status == "passed"
    again = stamp_pending(store, tsa.url)
    assert (again.stamped, again.remaining) == (0, 0)


def test_a_bad_answer_fails_that_bundle_and_the_run_goes_on(
    tmp_path: Path, tsa: TsaServer, bad_tsa: str
) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    ids = [sealed(store, n) for n in range(3)]
    bad = stamp_pending(store, f"{bad_tsa}/garbage")
    assert not bad.tsa_down and bad.stamped == 0
    assert set(bad.failed) == set(ids) and bad.remaining == 3  # every one tried, every one kept
    first = stamp_pending(store, tsa.url, limit=1)
    assert (first.stamped, first.remaining) == (1, 2)
    assert store.unstamped() == ids[1:]  # oldest first


# --- the clock, and the TSA as a program ------------------------------------------------------


def test_the_clock_offset_against_the_local_tsa_is_small(tsa: TsaServer) -> None:
    check = clock_offset(tsa.url)
    assert abs(check.offset_ms) < 2000, check
    assert 0 < check.round_trip_ms < 5000
    assert ISO_MS.match(check.tsa_time) and ISO_MS.match(check.local_time)
    assert check.tsa == tsa.url


def test_the_tsa_runs_as_its_own_process(tmp_path: Path) -> None:
    digest = digest_of("from a child process")
    with tsa_process(tmp_path / "child") as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
        stamp = request_token(digest, url)
    trust = tmp_path / "child" / "ca.pem"
    assert check_token(stamp.tsr, digest, trust.read_bytes()).status == "passed"
    assert openssl_verify(stamp.tsr, digest, trust).status == "passed"
    with pytest.raises(TsaUnavailable):
        request_token(digest, url, timeout=5)  # stopped with the block


def test_what_an_authority_says_is_made_safe_to_print() -> None:
    from evidence.timestamp import TimestampError

    said = str(TimestampError("TSA http://x/: HTTP 400: \x1b[2J\x1b]0;pwned\x07\u202eevil"))
    assert "\x1b" not in said and "\u202e" not in said and "\x07" not in said
    assert "\\x1b[2J" in said and "\\u202e" in said
