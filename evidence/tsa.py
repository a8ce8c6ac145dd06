"""adwatch's own RFC 3161 time-stamp authority, for the demo and the tests.

A court needs to know that a capture existed no later than a given moment,
and it needs that from someone other than us: in production that someone is a
public or qualified TSA.  The demo and the tests must not depend on the
internet, so this module stands one up on 127.0.0.1 with the pieces a real
TSA is made of, and the client in :mod:`evidence.timestamp` talks to it with
exactly the code it uses against a public TSA:

* a PKI made with ``cryptography`` (:func:`make_pki`): a self-signed EC P-256
  root and a TSA certificate it signs, whose only extended key usage is a
  critical ``timeStamping`` (RFC 3161 2.3), plus the configuration
  ``openssl ts -reply`` needs;
* ``openssl ts -reply`` as the signing engine.  OpenSSL's TSA code is what
  many real TSAs run, so the tokens have the shape real ones have (ESS
  signing-certificate-v2 attribute, TSA name, accuracy, milliseconds), and
  adwatch does not carry its own token *issuing* code that could quietly
  agree with its own verifier;
* a ``ThreadingHTTPServer`` speaking the RFC 3161 HTTP transport (POST
  ``application/timestamp-query`` -> ``application/timestamp-reply``) in a
  daemon thread (:class:`TsaServer`), or in a child process
  (``python -m evidence.tsa``, :func:`tsa_process`).

``openssl ts -reply`` keeps its serial number in one file and rewrites it per
token, so the server runs it under a lock: one token at a time (a token costs
10-30 ms, plenty for a demo).

This is a demo authority: its keys sit unencrypted next to it (mode 0600), it
keeps no audit log, publishes no revocation data, and its policy OID is under
a private arc no one registered.  Its tokens prove nothing to a third party;
they exercise the same paths a real TSA's tokens take.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from evidence._pki import private_pem, self_signed_root, signer_certificate, write_file
from evidence.locking import exclusive
from loopback.child import serve_child
from loopback.server import HTTPThreadServer, until_interrupted, wait_forever

logger = logging.getLogger(__name__)

# The demo TSA's policy: an OID under the private-enterprise arc 1.3.6.1.4.1 with
# the made-up enterprise number 99999.  Nobody registered it; it only has to be a
# syntactically valid OID that says "adwatch demo policy" to whoever reads it.
DEMO_POLICY = "1.3.6.1.4.1.99999.1.1"
CA_NAME = "adwatch demo TSA root"
TSA_NAME = "adwatch demo TSA"
MAX_QUERY_BYTES = 64 * 1024  # a real query is ~60-100 bytes
OPENSSL_TIMEOUT = 30.0

KeyKind = Literal["ec", "rsa"]


@dataclass(frozen=True)
class TsaFiles:
    """Where a TSA's PKI and configuration live (all absolute paths)."""

    folder: Path
    ca_pem: Path  # the root certificate: the trust anchor verifiers are given
    ca_key: Path
    tsa_pem: Path  # the signing certificate (EKU timeStamping)
    tsa_key: Path
    chain_pem: Path  # TSA certificate + root, for `openssl ts -verify -untrusted`
    config: Path  # openssl-ts.cnf for `openssl ts -reply -config`
    serial: Path  # the next token serial number, hex, kept by openssl


def tsa_files(folder: Path) -> TsaFiles:
    folder = Path(folder).resolve()
    return TsaFiles(
        folder=folder,
        ca_pem=folder / "ca.pem",
        ca_key=folder / "ca.key",
        tsa_pem=folder / "tsa.pem",
        tsa_key=folder / "tsa.key",
        chain_pem=folder / "chain.pem",
        config=folder / "openssl-ts.cnf",
        serial=folder / "serial",
    )


# --- the PKI -----------------------------------------------------------------


def make_pki(folder: Path, key: KeyKind = "ec", name: str = TSA_NAME) -> TsaFiles:
    """Make (or reuse) a root CA, a TSA certificate and an ``openssl ts`` config.

    Idempotent: keys and certificates that exist are kept, so tokens issued
    earlier stay verifiable with the same ``ca.pem``; only what is missing is
    made.  ``key`` is the TSA key's type for new PKIs (the root is always EC
    P-256); ``"rsa"`` exists so verifiers can be tested against RSA tokens.
    ``name``: the TSA's common name (its root's is "<name> root"), so that two
    demo TSAs, each with its own keys and root, tell apart in a report.
    """
    files = tsa_files(folder)
    files.folder.mkdir(parents=True, exist_ok=True)
    with _folder_lock(files.folder):
        now = dt.datetime.now(dt.UTC)
        if files.ca_pem.exists():
            ca_cert = x509.load_pem_x509_certificate(files.ca_pem.read_bytes())
            ca_key: Any = None
        else:
            ca_key = ec.generate_private_key(ec.SECP256R1())
            ca_cert = self_signed_root(ca_key, CA_NAME if name == TSA_NAME else f"{name} root", now)
            write_file(files.ca_key, private_pem(ca_key), 0o600)
            write_file(files.ca_pem, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
            logger.info("made demo TSA root %s", files.ca_pem)
        if not files.tsa_pem.exists() or not files.tsa_key.exists():
            if ca_key is None:
                if not files.ca_key.exists():
                    raise FileNotFoundError(
                        f"{files.ca_key} is missing: cannot issue a TSA certificate"
                    )
                ca_key = serialization.load_pem_private_key(
                    files.ca_key.read_bytes(), password=None
                )
            tsa_key: Any = (
                rsa.generate_private_key(public_exponent=65537, key_size=2048)
                if key == "rsa"
                else ec.generate_private_key(ec.SECP256R1())
            )
            tsa_cert = _tsa_certificate(tsa_key, ca_cert, ca_key, now, name)
            write_file(files.tsa_key, private_pem(tsa_key), 0o600)
            write_file(files.tsa_pem, tsa_cert.public_bytes(serialization.Encoding.PEM), 0o644)
            logger.info("made demo TSA certificate %s", files.tsa_pem)
        chain = files.tsa_pem.read_bytes() + files.ca_pem.read_bytes()
        _write_if_changed(files.chain_pem, chain)
        _write_if_changed(files.config, _openssl_config(files).encode())
        if not files.serial.exists():
            write_file(files.serial, b"01\n", 0o644)
    return files


def _tsa_certificate(
    key: Any, ca_cert: x509.Certificate, ca_key: Any, now: dt.datetime, name: str = TSA_NAME
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    # RFC 3161 2.3: exactly timeStamping, and critical
    time_stamping = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
    return signer_certificate(
        key, subject, ca_cert, ca_key, now, days=10 * 365, extra=[time_stamping]
    )


def _conf_value(path: Path) -> str:
    """A path as an OpenSSL config value: backslash-escape what the parser
    would read as a variable, a comment, a quote or an escape."""
    return re.sub(r'([\\$#"\'])', r"\\\1", str(path))


def _openssl_config(files: TsaFiles) -> str:
    return f"""\
# openssl ts -reply configuration of the adwatch demo TSA (written by evidence.tsa;
# rewritten whenever it differs, so edit evidence/tsa.py rather than this file).
[ tsa ]
default_tsa = adwatch_tsa

[ adwatch_tsa ]
serial = {_conf_value(files.serial)}
crypto_device = builtin
signer_cert = {_conf_value(files.tsa_pem)}
certs = {_conf_value(files.ca_pem)}
signer_key = {_conf_value(files.tsa_key)}
signer_digest = sha256
# a private-arc OID (enterprise number 99999 is not registered): demo policy only
default_policy = {DEMO_POLICY}
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 3
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.exists() or path.read_bytes() != data:
        write_file(path, data, 0o644)


def _folder_lock(folder: Path) -> AbstractContextManager[None]:
    """One maker at a time (two would each make a root and overwrite the other's)."""
    return exclusive(folder / ".pki.lock")


# --- the HTTP server -----------------------------------------------------------


class TsaRefused(Exception):
    """``openssl ts -reply`` made no response (a bug or a broken PKI, not the query)."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], tsa: TsaServer) -> None:
        self.tsa = tsa
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        logger.exception("demo TSA: error while serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "adwatch-demo-tsa/1"
    sys_version = ""
    timeout = 30
    server: _HTTPServer

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/":
            self._answer(404, b"not found\n", "text/plain; charset=utf-8")
            return
        tsa = self.server.tsa
        page = (
            "adwatch demo time-stamp authority (RFC 3161), for demos and tests only.\n"
            "POST a TimeStampReq (Content-Type: application/timestamp-query) to this URL;\n"
            "the answer is a TimeStampResp (application/timestamp-reply).\n"
            f"signer: {tsa.signer}; trust anchor: {tsa.files.ca_pem}\n"
            f"policy: {DEMO_POLICY} (a private, unregistered OID)\n"
        )
        self._answer(200, page.encode(), "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header or "")
        except ValueError:
            self.close_connection = True
            self._answer(411, b"a Content-Length is required\n", "text/plain; charset=utf-8")
            return
        if length < 0 or length > MAX_QUERY_BYTES:
            self.close_connection = True
            self._answer(413, b"query too large\n", "text/plain; charset=utf-8")
            return
        body = self.rfile.read(length)
        problem = _query_problem(body)
        if problem:
            self._answer(
                400,
                f"not an RFC 3161 time-stamp query: {problem}\n".encode(),
                "text/plain; charset=utf-8",
            )
            return
        try:
            reply = self.server.tsa.reply(body)
        except TsaRefused as exc:
            logger.error("demo TSA: %s", exc)
            self._answer(500, b"the TSA could not sign\n", "text/plain; charset=utf-8")
            return
        self._answer(200, reply, "application/timestamp-reply")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("demo TSA %s: " + format, self.address_string(), *args)


def _query_problem(body: bytes) -> str:
    """Why a body is not a time-stamp query ('' if it is one)."""
    if not body:
        return "empty body"
    try:
        query = tsp.TimeStampReq.load(body, strict=True)
        query.native  # noqa: B018 - parse everything now, not lazily later
    except Exception as exc:  # asn1crypto raises many types on bad input
        return f"{type(exc).__name__}: {exc}"
    return ""


class TsaServer(HTTPThreadServer[_HTTPServer]):
    """The demo TSA on ``host:port`` (0: a free port) in a daemon thread.

    >>> with TsaServer(Path("var/tsa")) as tsa:  # doctest: +SKIP
    ...     request_token(digest, tsa.url)
    """

    def __init__(
        self, folder: Path, host: str = "127.0.0.1", port: int = 0, name: str = TSA_NAME
    ) -> None:
        self.openssl = shutil.which("openssl")
        if self.openssl is None:
            raise FileNotFoundError("the demo TSA needs the openssl command on PATH")
        self.files = make_pki(Path(folder), name=name)
        signer = x509.load_pem_x509_certificate(self.files.tsa_pem.read_bytes())
        self.signer = signer.subject.rfc4514_string()  # as the PKI folder has it
        self._lock = threading.Lock()  # openssl rewrites the shared serial file per token
        self._serve(_HTTPServer((host, port), self), host, "demo-tsa")
        logger.info("demo TSA on %s", self.url)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def reply(self, query: bytes) -> bytes:
        """Sign one query with ``openssl ts -reply`` (its DER TimeStampResp)."""
        assert self.openssl is not None
        with tempfile.TemporaryDirectory(prefix="adwatch-tsa-") as tmp:
            query_path, reply_path = Path(tmp) / "query.tsq", Path(tmp) / "reply.tsr"
            query_path.write_bytes(query)
            cmd = [
                self.openssl, "ts", "-reply",
                "-config", str(self.files.config),
                "-queryfile", str(query_path),
                "-out", str(reply_path),
            ]  # fmt: skip
            with self._lock:
                try:
                    done = subprocess.run(
                        cmd, capture_output=True, timeout=OPENSSL_TIMEOUT, check=False
                    )
                except (OSError, subprocess.TimeoutExpired) as exc:
                    raise TsaRefused(f"openssl ts -reply did not run: {exc}") from exc
            if done.returncode != 0 or not reply_path.exists():
                said = done.stderr.decode(errors="replace").strip()
                raise TsaRefused(f"openssl ts -reply exited {done.returncode}: {said}")
            return reply_path.read_bytes()


# --- as a program, and as a child process ------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m evidence.tsa",
        description="Serve adwatch's demo RFC 3161 time-stamp authority on loopback.",
        epilog="example: python -m evidence.tsa --dir var/tsa --port 0",
    )
    p.add_argument("--dir", type=Path, default=Path("var/tsa"), help="PKI folder (made if new)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8318, help="port (default 8318); 0 picks a free one")
    p.add_argument(
        "--name", default=TSA_NAME, help=f"the TSA's common name for a new PKI (default {TSA_NAME})"
    )
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # SIGTERM while the PKI is made ends it quietly too
    with until_interrupted(), TsaServer(args.dir, args.host, args.port, args.name) as tsa:
        print(f"tsa on {tsa.url} (CA: {tsa.files.ca_pem})", flush=True)
        wait_forever()
    return 0


_TSA_LINE = re.compile(r"^tsa on (http://\S+/) \(CA: .*\)$")


def tsa_process(folder: Path, name: str = TSA_NAME) -> AbstractContextManager[str]:
    """Start ``python -m evidence.tsa`` on a free loopback port; the ``with``
    block gets its URL.  A separate process, as a real TSA is: what a client
    measures (clock offset, round trips) does not include its own work."""
    cmd = [sys.executable, "-m", "evidence.tsa", "--dir", str(folder), "--port", "0"]
    cmd += ["--name", name] if name != TSA_NAME else []
    return serve_child(cmd, _TSA_LINE, "demo TSA")


if __name__ == "__main__":
    sys.exit(main())
