"""RFC 3161 time-stamps of evidence bundles: getting them, and checking them twice.

A bundle's id is the SHA-256 of its manifest, so a time-stamp token over that
id proves the whole capture (manifest, and through its hashes every artifact)
existed no later than the token's genTime, on the word of a third party.

Design choices, and why:

* **The whole TimeStampResp is kept** (``timestamp.tsr``), not only the token
  inside it.  It is exactly the bytes the TSA sent, so nobody can say we
  re-encoded or trimmed them; its status shows the TSA granted the request;
  and it is the form ``openssl ts -verify -in`` and most tools read.  Both
  verifiers also take a bare token (a CMS ContentInfo), which is what some
  tools export.
* **The client checks what it receives** before the store keeps it: HTTP
  status, PKI status, that the nonce and the message imprint are ours (a
  replayed or misdirected answer is refused), and the token's own integrity
  (its signature).  A broken token is found the minute it arrives, while the
  bundle can still be stamped again, not years later in court.
* **"Try later" is not "wrong"**.  A TSA that cannot be reached (refused,
  timeout, DNS, HTTP 5xx or 429) raises :class:`TsaUnavailable`, and
  :func:`stamp_pending` stops at once and leaves the queue as it is: the queue
  is the ledger itself (``EvidenceStore.unstamped``), so an unstamped bundle
  can never be lost, only wait.  Any other failure is about one answer and
  is recorded per bundle while the run goes on.
* **Two verifiers** that share no code: :func:`check_token` (Python:
  asn1crypto to parse, ``cryptography`` to verify) and :func:`openssl_verify`
  (the ``openssl ts -verify`` command).  A bug in either (a parsing shortcut,
  a check forgotten) shows up as a disagreement, and a court expert can
  repeat the second with a stock tool and no adwatch code at all.  The
  Python one lists *every* problem it finds rather than stopping at the
  first, so a report says all that is wrong with a token.
* **Certificates are judged at genTime**, the moment the TSA vouched for,
  not today: a token stays good after the TSA certificate expires (openssl is
  told ``-attime genTime`` for the same reason).  Revocation is not checked
  here (the demo TSA publishes none); long-term validation with revocation
  data is a separate step.
* **The clock offset is measured with a token** (:func:`clock_offset`): the
  TSA's genTime against the midpoint of our send and receive times.  Every
  manifest can then say how wrong the capture machine's clock was, measured
  against the same authority that dates the evidence.  Its error is half the
  round trip plus the TSA's own precision (a TSA that gives whole seconds
  adds up to a second).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import logging
import re
import secrets
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from evidence.safe_text import printable
from evidence.store import EvidenceStore, StoreError, same_tsa

logger = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 1024 * 1024  # a token with a chain is a few KiB
OPENSSL_TIMEOUT = 30.0
NO_TRUST = "no trust anchor given: signature checked, signer not"
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_MAX_CHAIN = 6

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha512_224": hashes.SHA512_224,
    "sha512_256": hashes.SHA512_256,
    "sha3_224": hashes.SHA3_224,
    "sha3_256": hashes.SHA3_256,
    "sha3_384": hashes.SHA3_384,
    "sha3_512": hashes.SHA3_512,
}
_SHORT_NAMES = {
    "common_name": "CN",
    "country_name": "C",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "serial_number": "serialNumber",
    "email_address": "emailAddress",
    "organization_identifier": "organizationIdentifier",
}


class _TimeStampResp(tsp.TimeStampResp):
    """RFC 3161's TimeStampResp: the token is OPTIONAL (a rejection has none),
    which asn1crypto 1.5's own class forgets."""

    _fields: ClassVar[list[Any]] = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class TimestampError(Exception):
    """A time-stamp could not be obtained, or what came back is not good.  The
    message may quote the authority's answer: it is made safe to print."""

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


class TsaUnavailable(TimestampError):
    """The TSA could not be reached or is overloaded: try again later."""


@dataclass(frozen=True)
class Stamp:
    tsr: bytes  # the whole DER TimeStampResp, as the TSA sent it
    gen_time: str  # ISO 8601 UTC with milliseconds, e.g. 2026-11-26T12:30:01.123Z
    serial: int
    tsa: str  # the URL it came from
    policy: str  # the TSA policy OID the token was issued under


@dataclass
class TokenCheck:
    status: Literal["passed", "failed", "not_checked"]
    problems: list[str] = field(default_factory=list)
    gen_time: str = ""
    serial: int = 0
    tsa_name: str = ""
    checker: str = ""  # "python" or "openssl"


@dataclass(frozen=True)
class ClockCheck:
    offset_ms: float  # TSA time minus local time: positive when the local clock is behind
    round_trip_ms: float
    tsa_time: str
    local_time: str  # the local midpoint of the exchange
    tsa: str


@dataclass
class StampRun:
    stamped: int = 0  # bundles that got their first token
    failed: dict[str, str] = field(default_factory=dict)  # bundle id -> reason
    remaining: int = 0  # bundles still waiting for a token (or a further one) after this run
    tsa_down: bool = False  # some TSA could not be reached
    tokens: int = 0  # tokens added, first and further ones
    down: list[str] = field(default_factory=list)  # the TSAs that could not be reached


# --- getting a token ---------------------------------------------------------------


def request_token(
    digest_hex: str,
    url: str,
    *,
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    cafile: str | None = None,
) -> Stamp:
    """Ask the TSA at ``url`` for a token over a SHA-256 digest (64 hex digits).

    ``headers`` go with the request (a paid TSA's ``Authorization``, say);
    ``cafile`` is the CA bundle an ``https`` TSA is checked against (the
    system's when None).  Raises :class:`TsaUnavailable` when the TSA cannot
    be reached and :class:`TimestampError` for anything else wrong."""
    return _request(digest_hex, url, timeout=timeout, headers=headers, cafile=cafile).stamp


def clock_offset(
    url: str,
    *,
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    cafile: str | None = None,
) -> ClockCheck:
    """How far this machine's clock is from the TSA's, from a token over a
    random digest: genTime minus the midpoint of sending and receiving."""
    got = _request(secrets.token_hex(32), url, timeout=timeout, headers=headers, cafile=cafile)
    local = dt.datetime.fromtimestamp((got.sent + got.received) / 2, dt.UTC)
    return ClockCheck(
        offset_ms=round((got.gen_time - local).total_seconds() * 1000, 3),
        round_trip_ms=round(got.round_trip * 1000, 3),
        tsa_time=got.stamp.gen_time,
        local_time=_iso_ms(local),
        tsa=url,
    )


@dataclass(frozen=True)
class _Exchange:
    stamp: Stamp
    gen_time: dt.datetime  # full precision
    sent: float  # wall clock (time.time()) just before the request went out
    received: float  # wall clock just after the whole answer was in
    round_trip: float  # seconds, on the monotonic clock


def _request(
    digest_hex: str,
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None,
    cafile: str | None,
) -> _Exchange:
    if not isinstance(digest_hex, str) or not _HEX64.match(digest_hex):
        raise TimestampError(f"TSA {url}: not a SHA-256 digest to stamp: {digest_hex!r}")
    digest = bytes.fromhex(digest_hex)
    nonce = secrets.randbits(63) | 1  # positive, never 0, at most 8 bytes
    query = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()
    body, sent, received, round_trip = _post(
        url, query, timeout=timeout, headers=headers, cafile=cafile
    )

    def wrong(what: str) -> TimestampError:
        return TimestampError(f"TSA {url}: {what}")

    try:
        resp = _TimeStampResp.load(body, strict=True)
        status = resp["status"]["status"].native
    except Exception as exc:  # asn1crypto raises many types on bad input
        raise wrong(f"answer is not a time-stamp response ({_short(exc)})") from exc
    if status not in ("granted", "granted_with_mods"):
        raise wrong(f"status {status}: {_status_details(resp)}")
    try:
        token = resp["time_stamp_token"]
        tst = _tst_info(token)
        imprint = tst["message_imprint"]
        got_alg = imprint["hash_algorithm"]["algorithm"].native
        got_digest = imprint["hashed_message"].native
        got_nonce = tst["nonce"].native
        gen_time = tst["gen_time"].native
        serial = int(tst["serial_number"].native)
        policy = str(tst["policy"].native)
    except Exception as exc:
        raise wrong(f"granted, but the token is malformed ({_short(exc)})") from exc
    if got_nonce != nonce:
        raise wrong(f"nonce not echoed (sent {nonce}, got {got_nonce}): a stale or foreign answer")
    if got_alg != "sha256" or got_digest != digest:
        raise wrong(
            f"the token is over {got_alg} {_hex(got_digest)}, not the sha256 {digest_hex} asked for"
        )
    if not isinstance(gen_time, dt.datetime):
        raise wrong("the token has no genTime")
    integrity = check_token(body, digest_hex, None)
    if integrity.status == "failed":
        raise wrong("the token does not check: " + "; ".join(integrity.problems))
    stamp = Stamp(body, _iso_ms(gen_time), serial, url, policy)
    return _Exchange(stamp, gen_time, sent, received, round_trip)


def _post(
    url: str,
    query: bytes,
    *,
    timeout: float,
    headers: Mapping[str, str] | None,
    cafile: str | None,
) -> tuple[bytes, float, float, float]:
    """The answer's body, the wall-clock send and receive times, the round trip."""
    request = urllib.request.Request(
        url,
        data=query,
        method="POST",
        headers={
            "Content-Type": "application/timestamp-query",
            "Accept": "application/timestamp-reply",
            **dict(headers or {}),
        },
    )
    context = (
        ssl.create_default_context(cafile=cafile) if url.lower().startswith("https:") else None
    )
    try:
        started, sent = time.perf_counter(), time.time()
        with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:
            body: bytes = answer.read(MAX_RESPONSE_BYTES + 1)
        received, ended = time.time(), time.perf_counter()
    except urllib.error.HTTPError as exc:
        with exc:
            said = exc.read(300).decode("utf-8", errors="replace").strip()
        what = f"HTTP {exc.code} {exc.reason}" + (f": {said}" if said else "")
        if exc.code >= 500 or exc.code == 429:
            raise TsaUnavailable(f"TSA {url}: {what}") from exc
        raise TimestampError(f"TSA {url}: {what}") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLError | ssl.CertificateError):
            raise TimestampError(f"TSA {url}: TLS failed: {reason}") from exc
        if isinstance(reason, OSError):
            raise TsaUnavailable(f"TSA {url}: unreachable: {_short(reason)}") from exc
        raise TimestampError(f"TSA {url}: {reason}") from exc
    except ssl.SSLError as exc:
        raise TimestampError(f"TSA {url}: TLS failed: {exc}") from exc
    except (TimeoutError, ConnectionError) as exc:  # while reading the answer
        raise TsaUnavailable(f"TSA {url}: unreachable: {_short(exc)}") from exc
    except OSError as exc:
        raise TsaUnavailable(f"TSA {url}: unreachable: {_short(exc)}") from exc
    except http.client.HTTPException as exc:
        raise TimestampError(f"TSA {url}: not an HTTP answer ({_short(exc)})") from exc
    except ValueError as exc:  # a malformed URL
        raise TimestampError(f"TSA {url}: {exc}") from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise TimestampError(f"TSA {url}: answer larger than {MAX_RESPONSE_BYTES} bytes")
    return body, sent, received, ended - started


def _status_details(resp: Any) -> str:
    info = resp["status"]
    texts = [str(t).strip().rstrip(".") for t in (info["status_string"].native or [])]
    fails = sorted(str(f).replace("_", " ") for f in (info["fail_info"].native or ()))
    return "; ".join(texts + fails) or "no reason given"


# --- stamping the store's queue --------------------------------------------------------


def tsa_list(urls: str | Sequence[str]) -> list[str]:
    """The TSA URLs of a setting: one URL, or several separated by commas or
    spaces (or a list), each once (the same TSA listed twice counts once), in
    the order given.  ValueError for one that is not an http(s) URL."""
    items = re.split(r"[,\s]+", urls) if isinstance(urls, str) else list(urls)
    found: dict[str, str] = {}
    for url in (u.strip() for u in items):
        if not url:
            continue
        if not url.lower().startswith(("http://", "https://")) or len(url) <= len("https://"):
            raise ValueError(f"not an http(s) URL: {url!r}")
        found.setdefault(same_tsa(url), url)
    return list(found.values())


def tokens_wanted(urls: Sequence[str], copies: int) -> int:
    """How many tokens each bundle should get: ``copies``, but no more than
    the TSAs listed (at least one, as a single TSA always gave)."""
    return max(1, min(copies, len(urls)))


def stamp_pending(
    store: EvidenceStore,
    url: str | Sequence[str],
    *,
    copies: int = 2,
    limit: int | None = None,
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    cafile: str | None = None,
) -> StampRun:
    """Time-stamp the store's bundles that lack tokens, oldest first (at most
    ``limit``).  ``url`` is one TSA or several (:func:`tsa_list`); each
    bundle is to get a token from ``copies`` different ones (at most as many
    as are listed), never two from the same TSA.

    A TSA that cannot be reached (:class:`TsaUnavailable`) is not asked again
    this run, and the run stops once none is left (``tsa_down``): the rest
    wait in the queue for the next run, a bundle stamped by one TSA keeps its
    token and waits for the next.  A token that fails for another reason is
    listed in ``failed`` and the bundle stays queued; the run goes on."""
    urls = tsa_list(url)
    wanted = tokens_wanted(urls, copies)
    queue = store.short_of(wanted)
    run = StampRun()
    down: set[str] = set()
    for bundle_id in queue if limit is None else queue[: max(limit, 0)]:
        if len(down) == len(urls):
            break
        added, problems = stamp_copies(
            store, bundle_id, urls, wanted, down,
            timeout=timeout, headers=headers, cafile=cafile,
        )  # fmt: skip
        run.stamped += added[:1].count(1)
        run.tokens += len(added)
        if problems:
            run.failed[bundle_id] = "; ".join(problems)
    run.tsa_down = bool(down)
    run.down = sorted(down)
    run.remaining = len(store.short_of(wanted))
    logger.info(
        "time-stamping at %s: %d bundles stamped, %d tokens, %d failed, %d waiting%s",
        ", ".join(urls),
        run.stamped,
        run.tokens,
        len(run.failed),
        run.remaining,
        f" (TSA unavailable: {', '.join(run.down)})" if run.down else "",
    )
    return run


def stamp_copies(
    store: EvidenceStore,
    bundle_id: str,
    urls: Sequence[str],
    wanted: int,
    down: set[str],
    **request: Any,
) -> tuple[list[int], list[str]]:
    """Ask the TSAs of ``urls`` in turn, skipping those that stamped this
    bundle already and those in ``down``, until it has ``wanted`` tokens.
    A TSA found unreachable is added to ``down`` (the caller's, so the rest
    of a run does not wait on it again).  Returns the numbers of the tokens
    added (1 for a first token, 2 for a second...) and the problems met."""
    added: list[int] = []
    problems: list[str] = []
    have = store.tokens(bundle_id)
    used = {same_tsa(str(line.get("tsa", ""))) for line in have}
    count = len(have)
    for tsa in urls:
        if count >= wanted:
            break
        if tsa in down or same_tsa(tsa) in used:
            continue
        try:
            stamp = request_token(bundle_id, tsa, **request)
        except TsaUnavailable as exc:
            down.add(tsa)
            logger.warning("TSA %s not reachable, bundles wait for it: %s", tsa, exc)
            continue
        except TimestampError as exc:
            problems.append(str(exc))
            logger.error("bundle %s: no token from %s: %s", bundle_id, tsa, exc)
            continue
        try:
            store.add_token(bundle_id, stamp.tsr, tsa, stamp.gen_time)
        except StoreError as exc:
            problems.append(f"token of {tsa} not kept: {exc}")
            logger.error("bundle %s: token of %s not kept: %s", bundle_id, tsa, exc)
            continue
        used.add(same_tsa(tsa))
        count += 1
        added.append(count)
    return added, problems


# --- the Python verifier -----------------------------------------------------------


def trust_roots(trust: Path) -> bytes:
    """The PEM of the TSA roots ``trust`` names: a PEM file (one or more
    certificates), or a folder whose every ``*.pem`` is read, in name order.
    FileNotFoundError when it cannot be read or holds no certificate."""
    trust = Path(trust)
    try:
        if not trust.is_dir():
            return trust.read_bytes()
        pem = b"".join(f.read_bytes().rstrip(b"\n") + b"\n" for f in sorted(trust.glob("*.pem")))
    except OSError as exc:
        raise FileNotFoundError(f"TSA root {trust} cannot be read: {exc.strerror}") from exc
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise FileNotFoundError(f"TSA roots folder {trust} holds no *.pem certificate")
    return pem


def check_token(tsr: bytes, digest_hex: str, trust_pem: bytes | None) -> TokenCheck:
    """Check a TimeStampResp (or a bare token) over ``digest_hex`` in Python.

    Integrity always: status, imprint, signed attributes, the signature with
    the signer certificate, its timeStamping EKU.  Trust when ``trust_pem``
    (one or more PEM certificates) is given: the signer is one of them or
    chains to one (through certificates in the token), all valid at genTime.
    Every problem found is listed; garbage gives "failed", never an exception."""
    result = TokenCheck(status="failed", checker="python")
    try:
        token = _load_token(tsr, result)
        if token is not None:
            _check_token(token, digest_hex, trust_pem, result)
    except Exception as exc:  # a shape the checks above did not foresee
        result.problems.append(f"malformed token: {_short(exc)}")
    if result.problems:
        result.status = "failed"
    elif trust_pem is None:
        result.status = "not_checked"
        result.problems.append(NO_TRUST)
    else:
        result.status = "passed"
    return result


def token_imprint(tsr: bytes) -> tuple[str, str]:
    """(the SHA-256 digest a token is over, its genTime), read without judging
    the signature: what ``verify`` needs to tell which ledger line a head token
    on disk stamped, whatever its ledger line says.  ValueError if unreadable."""
    problems = TokenCheck(status="failed")
    token = _load_token(tsr, problems)
    if token is None:
        raise ValueError("; ".join(problems.problems) or "not a time-stamp token")
    try:
        tst = _tst_info(token)
        imprint = tst["message_imprint"]
        alg = imprint["hash_algorithm"]["algorithm"].native
        digest = imprint["hashed_message"].native
        gen_time = tst["gen_time"].native
    except Exception as exc:  # a shape the parser did not foresee
        raise ValueError(f"malformed token: {_short(exc)}") from exc
    if alg != "sha256" or not isinstance(digest, bytes):
        raise ValueError(f"imprint algorithm is {alg}, not sha256")
    when = _iso_ms(gen_time) if isinstance(gen_time, dt.datetime) else ""
    return digest.hex(), when


def _load_token(tsr: bytes, result: TokenCheck) -> Any:
    """The token ContentInfo of a response (noting a status other than granted)
    or of a bare token; None (and the reason in ``result``) if it is neither."""
    if not isinstance(tsr, bytes | bytearray) or not tsr:
        result.problems.append("not a time-stamp response: empty")
        return None
    tsr = bytes(tsr)
    try:
        resp = _TimeStampResp.load(tsr, strict=True)
        status = resp["status"]["status"].native
        token = resp["time_stamp_token"]
    except Exception as resp_exc:
        try:
            token = cms.ContentInfo.load(tsr, strict=True)
            if token["content_type"].native != "signed_data":
                raise ValueError(f"content type {token['content_type'].native}") from None
        except Exception:
            result.problems.append(f"not a time-stamp response: {_short(resp_exc)}")
            return None
        return token
    if status not in ("granted", "granted_with_mods"):
        result.problems.append(f"status {status}: {_status_details(resp)}")
    if isinstance(token, core.Void):
        result.problems.append("the response carries no token")
        return None
    return token


def _check_token(token: Any, digest_hex: str, trust_pem: bytes | None, out: TokenCheck) -> None:
    problems = out.problems
    if token["content_type"].native != "signed_data":
        problems.append(f"token is {token['content_type'].native}, not signed data")
        return
    signed = token["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].native != "tst_info":
        problems.append(f"token content is {encap['content_type'].native}, not TSTInfo")
        return
    tst_der = encap["content"].contents
    tst = tsp.TSTInfo.load(tst_der, strict=True)
    gen_time = tst["gen_time"].native
    out.gen_time = _iso_ms(gen_time) if isinstance(gen_time, dt.datetime) else ""
    out.serial = int(tst["serial_number"].native)
    out.tsa_name = _general_name(tst["tsa"])

    # the imprint: is this token about our digest?
    imprint = tst["message_imprint"]
    alg = imprint["hash_algorithm"]["algorithm"].native
    got = imprint["hashed_message"].native
    if alg != "sha256":
        problems.append(f"imprint algorithm is {alg}, not sha256")
    want = bytes.fromhex(digest_hex) if _HEX64.match(digest_hex or "") else None
    if want is None:
        problems.append(f"not a SHA-256 digest to check against: {digest_hex!r}")
    elif got != want:
        problems.append(f"imprint {_hex(got)} is not the digest {digest_hex.lower()}")

    signers = list(signed["signer_infos"])
    if len(signers) != 1:
        problems.append(f"{len(signers)} signatures (a token has exactly one, the TSA's)")
    if not signers:
        return
    signer_info = signers[0]
    # Every byte string that is hashed or signature-checked below is taken as it
    # was received, before its parts are looked at: asn1crypto may re-encode a
    # value once its children are touched (a default filled in, say), and a
    # re-encoded certificate or attribute set is not what was signed.
    attrs = signer_info["signed_attrs"]
    signed_attrs = b"\x31" + attrs.dump()[1:] if attrs else b""  # [0] IMPLICIT -> SET OF
    raw_certs = [c.chosen.dump() for c in (signed["certificates"] or []) if c.name == "certificate"]
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    hash_cls = _HASHES.get(digest_name)
    if hash_cls is None:
        problems.append(f"unsupported digest algorithm {digest_name}")

    anchors: list[x509.Certificate] = []
    if trust_pem is not None:
        try:
            anchors = x509.load_pem_x509_certificates(trust_pem)
        except ValueError as exc:
            problems.append(f"trust anchors are not PEM certificates: {exc}")
    # the token names its signer; the TSA may leave the certificate out: try the anchors
    signer_der = _find_signer(signer_info["sid"], raw_certs) or _find_signer(
        signer_info["sid"], [a.public_bytes(Encoding.DER) for a in anchors]
    )

    # the signed attributes bind the TSTInfo and the signer certificate
    if not attrs:
        problems.append("no signed attributes (content type and message digest are unsigned)")
    else:
        found = {a["type"].native: a["values"] for a in attrs}
        content_type = found.get("content_type")
        if content_type is None or content_type[0].native != "tst_info":
            problems.append("signed content-type attribute is missing or not id-ct-TSTInfo")
        message_digest = found.get("message_digest")
        if message_digest is None:
            problems.append("signed message-digest attribute is missing")
        elif hash_cls is not None and message_digest[0].native != _digest(hash_cls, tst_der):
            problems.append(
                "message-digest attribute does not match the TSTInfo (the token content changed)"
            )
        if signer_der is not None:
            problems += _ess_problems(found, signer_der)

    if signer_der is None:
        problems.append("signer certificate not found in the token (or the trust anchors)")
        return
    cert = x509.load_der_x509_certificate(signer_der)
    if attrs and hash_cls is not None:
        problem = _signature_problem(
            cert.public_key(),
            signer_info["signature_algorithm"],
            digest_name,
            signer_info["signature"].native,
            signed_attrs,
        )
        if problem:
            problems.append(problem)
    problems += _eku_problems(cert)
    if trust_pem is not None and anchors:
        others = [x509.load_der_x509_certificate(der) for der in raw_certs]
        when = gen_time if isinstance(gen_time, dt.datetime) else None
        problems += _trust_problems(cert, others, anchors, when)


def _find_signer(sid: Any, certs_der: list[bytes]) -> bytes | None:
    """The DER of the certificate a SignerIdentifier names (parsed from a copy)."""
    for der in certs_der:
        cert = asn1_x509.Certificate.load(der)
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                cert.issuer == wanted["issuer"]
                and cert.serial_number == wanted["serial_number"].native
            ):
                return der
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return der
    return None


def _ess_problems(attrs: Mapping[str, Any], cert_der: bytes) -> list[str]:
    """RFC 3161 2.4.1 / RFC 5816: the signing-certificate attribute names the signer."""
    if "signing_certificate_v2" in attrs:
        ids = attrs["signing_certificate_v2"][0]["certs"]
        first = ids[0] if len(ids) else None
        alg = first["hash_algorithm"]["algorithm"].native if first is not None else "sha256"
    elif "signing_certificate" in attrs:
        ids = attrs["signing_certificate"][0]["certs"]
        first = ids[0] if len(ids) else None
        alg = "sha1"
    else:
        return ["no ESS signing-certificate attribute (the signer certificate is not bound)"]
    hash_cls = _HASHES.get(alg)
    if first is None or hash_cls is None:
        return [f"unusable ESS signing-certificate attribute ({alg})"]
    if first["cert_hash"].native != _digest(hash_cls, cert_der):
        return ["ESS signing-certificate attribute names another certificate than the signer's"]
    return []


def _signature_problem(
    key: Any, sig_alg: algos.SignedDigestAlgorithm, digest_name: str, sig: bytes, data: bytes
) -> str:
    bad = "signature over the signed attributes does not verify with the signer certificate"
    try:
        kind = sig_alg.signature_algo
    except ValueError:
        return f"unsupported signature algorithm {sig_alg['algorithm'].native}"
    try:
        hash_name = sig_alg.hash_algo
    except ValueError:  # bare rsaEncryption / ecdsa: the digest algorithm says
        hash_name = digest_name
    hash_cls = _HASHES.get(hash_name)
    try:
        if kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey) and hash_cls:
            key.verify(sig, data, ec.ECDSA(hash_cls()))
        elif kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey) and hash_cls:
            key.verify(sig, data, padding.PKCS1v15(), hash_cls())
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey) and hash_cls:
            params = sig_alg["parameters"]
            mgf_hash = _HASHES[params["mask_gen_algorithm"]["parameters"]["algorithm"].native]
            pss = padding.PSS(
                mgf=padding.MGF1(mgf_hash()), salt_length=params["salt_length"].native
            )
            key.verify(sig, data, pss, hash_cls())
        elif kind in ("ed25519", "ed448") and isinstance(
            key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
        ):
            key.verify(sig, data)
        else:
            return (
                f"signature algorithm {sig_alg['algorithm'].native} ({hash_name}) does not fit "
                f"the signer's {type(key).__name__} key or is unsupported"
            )
    except InvalidSignature:
        return bad
    except (ValueError, TypeError, KeyError) as exc:
        return f"{bad} ({_short(exc)})"
    return ""


def _eku_problems(cert: x509.Certificate) -> list[str]:
    """RFC 3161 2.3: one extended key usage, timeStamping only, critical."""
    name = cert.subject.rfc4514_string()
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return [f"signer certificate {name} has no extended key usage (timeStamping required)"]
    problems = []
    purposes = list(eku.value)
    if ExtendedKeyUsageOID.TIME_STAMPING not in purposes:
        problems.append(f"signer certificate {name} is not for time-stamping (no timeStamping EKU)")
    elif len(purposes) > 1:
        problems.append(f"signer certificate {name} has other purposes than timeStamping")
    if not eku.critical:
        problems.append(f"signer certificate {name}: extended key usage is not critical")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return problems
    if not (usage.digital_signature or usage.content_commitment):
        problems.append(f"signer certificate {name}: key usage allows no signing")
    return problems


def _trust_problems(
    signer: x509.Certificate,
    others: list[x509.Certificate],
    anchors: list[x509.Certificate],
    when: dt.datetime | None,
) -> list[str]:
    """Walk from the signer to a trust anchor, through the token's certificates."""
    problems: list[str] = []
    path = [signer]
    current = signer
    trusted = False
    for _ in range(_MAX_CHAIN):
        if current in anchors:
            trusted = True
            break
        issuer = _issued_by(current, anchors, problems)
        if issuer is not None:
            path.append(issuer)
            trusted = True
            break
        candidates = [
            c
            for c in others  # a self-signed certificate in the token is nobody's anchor
            if c not in path and c.subject == current.issuer and c.subject != c.issuer
        ]
        issuer = _issued_by(current, [c for c in candidates if _is_ca(c)], [])
        if issuer is None:
            break
        path.append(issuer)
        current = issuer
    if not trusted:
        problems.append(
            f"signer certificate {signer.subject.rfc4514_string()} does not chain to a trust "
            f"anchor (issuer {current.issuer.rfc4514_string()} is not trusted)"
        )
    if when is None:
        problems.append("no genTime to judge certificate validity at")
        return problems
    for cert in path:
        if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
            problems.append(
                f"certificate {cert.subject.rfc4514_string()} was not valid at genTime "
                f"{_iso_ms(when)} (valid {_iso_ms(cert.not_valid_before_utc)} to "
                f"{_iso_ms(cert.not_valid_after_utc)})"
            )
    return problems


def _issued_by(
    cert: x509.Certificate, issuers: list[x509.Certificate], problems: list[str]
) -> x509.Certificate | None:
    """The one of ``issuers`` that signed ``cert`` (noting in ``problems`` a
    name that matches but whose key did not sign it: an impostor)."""
    impostors: list[str] = []
    for issuer in issuers:
        if issuer.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError):
            # another root of the same name (two TSAs' roots may share one) is
            # tried next; only when none signed is the name an impostor's
            impostors.append(
                f"certificate {cert.subject.rfc4514_string()} names trusted "
                f"{issuer.subject.rfc4514_string()} as issuer, but its signature does not "
                "verify with that certificate's key (signed by someone else)"
            )
            continue
        if not _is_ca(issuer):
            problems.append(f"issuer {issuer.subject.rfc4514_string()} is not a CA certificate")
        return issuer
    problems += list(dict.fromkeys(impostors))
    return None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


# --- the openssl verifier ---------------------------------------------------------


_OPENSSL_ERROR = re.compile(
    r"^[0-9A-Fa-f]+:error:[0-9A-Fa-f]+:[^:]*:([^:]*):([^:]*):[^:]*:\d+:(.*)$"
)


def openssl_verify(
    tsr: bytes, digest_hex: str, ca_file: Path, untrusted: Path | None = None
) -> TokenCheck:
    """Check a token with ``openssl ts -verify`` (no adwatch code in the verdict).

    The TSA certificate embedded in the token is enough for openssl when it is
    issued directly by ``ca_file``; ``untrusted`` adds intermediates.  Validity
    is judged at the token's genTime (``-attime``), read with ``-text``."""
    result = TokenCheck(status="not_checked", checker="openssl")
    openssl = shutil.which("openssl")
    if openssl is None:
        result.problems.append("openssl not found on PATH")
        return result
    if not Path(ca_file).is_file():
        result.problems.append(f"trust anchor file {ca_file} not found")
        return result
    with tempfile.TemporaryDirectory(prefix="adwatch-tsverify-") as tmp:
        tsr_path = Path(tmp) / "token.tsr"
        tsr_path.write_bytes(bytes(tsr))
        token_in = ["-token_in"] if _is_bare_token(tsr) else []
        shown = _run([openssl, "ts", "-reply", "-in", str(tsr_path), "-text", *token_in])
        if shown.returncode == 0:
            _read_text(shown.stdout, result)
        cmd = [openssl, "ts", "-verify", "-digest", digest_hex, "-in", str(tsr_path), *token_in]
        cmd += ["-CAfile", str(ca_file)]
        if untrusted is not None:
            cmd += ["-untrusted", str(untrusted)]
        if result.gen_time:
            when = dt.datetime.fromisoformat(result.gen_time.replace("Z", "+00:00"))
            cmd += ["-attime", str(int(when.timestamp()))]
        done = _run(cmd)
    if done.returncode == 0 and "Verification: OK" in done.stdout:
        result.status = "passed"
        return result
    result.status = "failed"
    result.problems += _openssl_reasons(done.stderr) or [
        f"openssl ts -verify: {done.stdout.strip() or 'failed'} (exit {done.returncode})"
    ]
    return result


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, errors="replace",
            timeout=OPENSSL_TIMEOUT, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(cmd, -1, "", f"could not run openssl: {exc}")


def _is_bare_token(data: bytes) -> bool:
    try:
        _TimeStampResp.load(bytes(data), strict=True)["status"].native  # noqa: B018
        return False
    except Exception:
        try:
            return bool(cms.ContentInfo.load(bytes(data), strict=True)["content_type"].native)
        except Exception:
            return False


def _read_text(text: str, out: TokenCheck) -> None:
    """genTime, serial and TSA name from ``openssl ts -reply -text``."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "Time stamp":
            out.gen_time = _openssl_time(value)
        elif key == "Serial number":
            with contextlib.suppress(ValueError):
                out.serial = int(value, 16) if value.lower().startswith("0x") else int(value)
        elif key == "TSA" and value != "unspecified":
            kind, _, name = value.partition(":")
            if kind == "DirName":
                out.tsa_name = ", ".join(part for part in name.split("/") if part)
            else:
                out.tsa_name = value


def _openssl_time(value: str) -> str:
    """'Nov  6 12:32:32.1 2026 GMT' -> '2026-11-06T12:32:32.100Z' ('' if unreadable)."""
    parts = value.split()
    if len(parts) != 5 or parts[4] != "GMT":
        return ""
    month, day, clock, year = parts[:4]
    whole, _, fraction = clock.partition(".")
    try:
        when = dt.datetime.strptime(f"{year} {month} {day} {whole}", "%Y %b %d %H:%M:%S")
        micros = int((fraction + "000000")[:6]) if fraction else 0
    except ValueError:
        return ""
    return _iso_ms(when.replace(microsecond=micros, tzinfo=dt.UTC))


def _openssl_reasons(stderr: str) -> list[str]:
    reasons = []
    for line in stderr.splitlines():
        found = _OPENSSL_ERROR.match(line.strip())
        if found:
            function, reason, data = found.groups()
            reasons.append(f"openssl: {reason} ({function})" + (f": {data}" if data else ""))
        elif line.startswith("could not run openssl"):
            reasons.append(line)
    return list(dict.fromkeys(reasons))


# --- small helpers ------------------------------------------------------------------


def _tst_info(token: Any) -> Any:
    if token["content_type"].native != "signed_data":
        raise ValueError(f"token is {token['content_type'].native}, not signed data")
    encap = token["content"]["encap_content_info"]
    if encap["content_type"].native != "tst_info":
        raise ValueError(f"token content is {encap['content_type'].native}, not TSTInfo")
    return tsp.TSTInfo.load(encap["content"].contents, strict=True)


def _general_name(name: Any) -> str:
    if name.native is None:
        return ""
    if name.name != "directory_name":
        return f"{name.name}:{name.chosen.native}"
    parts = []
    for rdn in name.chosen.chosen:
        for attr in rdn:
            kind = attr["type"].native
            parts.append(f"{_SHORT_NAMES.get(kind, kind)}={attr['value'].native}")
    return ", ".join(parts)


def _digest(hash_cls: type[hashes.HashAlgorithm], data: bytes) -> bytes:
    h = hashes.Hash(hash_cls())
    h.update(data)
    return h.finalize()


def _iso_ms(when: dt.datetime) -> str:
    when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _hex(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else repr(value)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
