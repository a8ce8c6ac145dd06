"""Signing dossier PDFs (PAdES B-T) and checking such signatures.

Design choices, and why:

* **PAdES baseline B-T** (ETSI EN 319 142-1): a CAdES signature
  (``ETSI.CAdES.detached``) whose signed attributes bind the signing
  certificate, plus an RFC 3161 *signature time-stamp* from a TSA.  The
  time-stamp is what lets a court rely on the signature after the signer's
  certificate expires: it proves the signature existed at a moment the
  certificate was good.  Without a TSA the result is B-B, and
  :class:`SignInfo` says so rather than passing it off as B-T.
* **An incremental update**, so every byte WeasyPrint and qpdf wrote stays
  as it was (the PDF/A-3b identification, the embedded evidence files); the
  signature covers them all.  The signature widget is invisible, zero-sized
  and has the print flag, as PDF/A-2/3 want.
* **pyHanko rewrites the producer**: it sets XMP ``pdf:Producer`` to itself
  and *appends* itself to the Info dictionary's ``/Producer``, which would
  leave the two disagreeing (PDF/A-3 6.6.2.3.1 wants them equal).  The Info
  ``/Producer`` is therefore removed in the same update, and pyHanko writes
  it anew, equal to the XMP one.
* **Everything is checked before pyHanko runs**: the key must open (with the
  password, if any), be the certificate's key, the certificate must be valid
  today and allow signing.  Signing with a wrong key would otherwise make a
  dossier whose signature simply fails to verify, found out only later.
* **``dst`` appears whole or not at all**: the signed file is written beside
  it under a temporary name, checked (still PDF/A-3b, same attachments),
  synced, and renamed.
* **Validation** uses pyHanko's validator with explicit trust anchors only
  (never the system's list), no network fetching and revocation in
  *soft-fail* mode: the demo PKI publishes no CRL or OCSP, so a missing
  revocation answer is not held against a signature, while a revocation
  answer embedded in the file would still be honoured.  Long-term
  validation (B-LT/B-LTA, with revocation data embedded) is a later step.
  A signature stays *intact* when what follows its revision is only what
  pyHanko's difference analysis rates as form filling or less (a further
  signature, validation data); anything else is reported as a change.

Costs and caveats, measured here: signing streams the file (peak memory stayed
at about 100 MiB for a 200 MiB PDF; 0.2 s for a small one, 0.9 s for 200 MiB).
pyHanko asks the TSA twice per signature (once to size the reservation).  Its
HTTP client (``requests``) honours ``*_PROXY`` variables, and its validator logs
path-building failures at WARNING with tracebacks: a command line may want the
``pyhanko`` logger quieter.  Both calls run ``asyncio.run`` inside, so they must
not be called from a running event loop (use a worker thread there).

Key type of the demo identity (signer and root): **RSA 2048**, PKCS#1 v1.5
with SHA-256.  pyHanko and poppler's ``pdfsig`` (NSS) verified ECDSA P-256
signatures here just as well, but RSA is the one algorithm every PDF reader a
regulator may use (Acrobat, Foxit, the readers of Chinese e-government suites,
older poppler builds) is certain to verify, for the signature and the chain.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from evidence._pki import private_pem, self_signed_root, signer_certificate, write_file
from evidence.dossier.pdf import pdf_facts
from evidence.locking import exclusive
from evidence.safe_text import printable

logger = logging.getLogger(__name__)

CA_NAME = "adwatch demo signing root"
LEVEL_BT = "PAdES-B-T"
LEVEL_BB = "PAdES-B-B"
FIELD_PREFIX = "adwatch-signature-"
TSA_TIMEOUT = 10.0
# Either usage makes a document signer (as Acrobat has it); pyHanko's default
# would insist on nonRepudiation, which many issued signing certificates lack.
_SIGNER_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


class SigningError(Exception):
    """The PDF could not be signed (bad key, certificate, password, PDF or TSA)."""

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


@dataclass(frozen=True)
class SigningIdentity:
    """A demo signer: its key, its certificate, the CA that issued it."""

    key_pem: Path  # PKCS#8, unencrypted, mode 0600
    cert_pem: Path
    chain_pem: Path  # signer certificate + CA certificate
    ca_pem: Path  # the trust anchor a verifier is given
    ca_key: Path


@dataclass(frozen=True)
class SignInfo:
    level: str  # LEVEL_BT or LEVEL_BB
    field: str  # the signature field's name
    signer: str  # the certificate's subject
    signed_at: str  # ISO 8601 UTC: the time-stamp's genTime (B-T), else the signer's clock
    timestamp_serial: int | None
    bytes: int
    seconds: float


@dataclass
class ValidationResult:
    signed: bool
    intact: bool  # every signature's digest and signature verify, nothing changed after
    trusted: bool  # every signer chains to one of the trust anchors
    timestamped: bool  # every signature has a valid, trusted signature time-stamp
    signer: str
    signed_at: str
    problems: list[str] = field(default_factory=list)
    signatures: int = 0

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.trusted and not self.problems


# --- the demo identity -----------------------------------------------------------------


def make_signing_identity(folder: Path, name: str = "adwatch demo signer") -> SigningIdentity:
    """Make (or reuse) a self-made root CA and a signing certificate it issued.

    For tests and the demo only: the keys are unencrypted (mode 0600) and the
    CA publishes no revocation data.  Idempotent: what exists is kept, so
    dossiers signed earlier stay verifiable with the same ``ca.pem``."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    ident = SigningIdentity(
        key_pem=folder / "signer.key",
        cert_pem=folder / "signer.pem",
        chain_pem=folder / "chain.pem",
        ca_pem=folder / "ca.pem",
        ca_key=folder / "ca.key",
    )
    with _folder_lock(folder):
        _make_missing(ident, name)
    return ident


def _make_missing(ident: SigningIdentity, name: str) -> None:
    """Make what is missing; an existing root is never replaced (certificates
    it issued would stop chaining to the ``ca.pem`` verifiers were given)."""
    now = dt.datetime.now(dt.UTC)
    ca_key: Any = None
    if ident.ca_pem.exists():
        ca_cert = x509.load_pem_x509_certificate(ident.ca_pem.read_bytes())
    else:
        ca_key = _new_key()
        ca_cert = self_signed_root(ca_key, CA_NAME, now)
        write_file(ident.ca_key, private_pem(ca_key), 0o600)
        write_file(ident.ca_pem, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    if not (ident.cert_pem.exists() and ident.key_pem.exists()):
        if ca_key is None:
            if not ident.ca_key.exists():
                raise FileNotFoundError(f"{ident.ca_key} is missing: cannot issue a certificate")
            ca_key = serialization.load_pem_private_key(ident.ca_key.read_bytes(), None)
        key = _new_key()
        cert = _signer_certificate(key, name, ca_cert, ca_key, now)
        write_file(ident.key_pem, private_pem(key), 0o600)
        write_file(ident.cert_pem, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    chain = ident.cert_pem.read_bytes() + ident.ca_pem.read_bytes()
    if not ident.chain_pem.exists() or ident.chain_pem.read_bytes() != chain:
        write_file(ident.chain_pem, chain, 0o644)


def _new_key() -> rsa.RSAPrivateKey:
    """RSA 2048 for the root too: a reader checking the chain then needs no
    algorithm beyond the one the signature itself uses (module docstring)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _folder_lock(folder: Path) -> AbstractContextManager[None]:
    """One maker at a time (two would each make a root and overwrite the other's)."""
    return exclusive(folder / ".identity.lock")


def _signer_certificate(
    key: rsa.RSAPrivateKey, name: str, ca_cert: x509.Certificate, ca_key: Any, now: dt.datetime
) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "adwatch (demo, not a real identity)"),
        ]
    )
    return signer_certificate(key, subject, ca_cert, ca_key, now, days=5 * 365)


# --- signing ---------------------------------------------------------------------------


def sign_pdf(
    src: Path,
    dst: Path,
    key_pem: Path,
    cert_pem: Path,
    *,
    chain: Sequence[Path] = (),
    tsa_url: str | None,
    reason: str,
    location: str,
    name: str = "",
    password: bytes | None = None,
    tsa_timeout: float = TSA_TIMEOUT,
) -> SignInfo:
    """Sign ``src`` into ``dst``: PAdES B-T with a time-stamp from ``tsa_url``,
    B-B when ``tsa_url`` is None.

    ``chain`` holds the certificates between the signer and its root (PEM
    files, several certificates each allowed); they are embedded so a
    verifier needs only the root.  ``name`` is the signer's name as the
    signature dictionary states it (the certificate's common name if empty).
    Raises :class:`SigningError`; ``dst`` is then left as it was."""
    started = time.perf_counter()
    src, dst = Path(src), Path(dst)
    cert, key = _load_credentials(Path(key_pem), Path(cert_pem), password)
    extra = _load_chain(chain)
    before = _facts_or_fail(src)
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in extra]
        ),
    )
    common_name = _common_name(cert)
    timestamper = RequestsHTTPTimeStamper(tsa_url, timeout=tsa_timeout) if tsa_url else None
    with _temporary(dst) as tmp:
        field_name = _sign_into(
            src, tmp, signer, timestamper,
            reason=reason, location=location, name=name or common_name,
        )  # fmt: skip
        after = _facts_or_fail(tmp)
        if (after.pdfa, after.attachments) != (before.pdfa, before.attachments):
            raise SigningError(
                f"signing changed what {src} is: PDF/A {before.pdfa!r} -> {after.pdfa!r}, "
                f"attachments {sorted(before.attachments)} -> {sorted(after.attachments)}"
            )
        serial, signed_at = _signature_time(tmp, field_name)
        os.replace(tmp, dst)
    return SignInfo(
        level=LEVEL_BT if timestamper else LEVEL_BB,
        field=field_name,
        signer=cert.subject.rfc4514_string(),
        signed_at=signed_at,
        timestamp_serial=serial,
        bytes=dst.stat().st_size,
        seconds=round(time.perf_counter() - started, 3),
    )


def _sign_into(
    src: Path,
    target: Path,
    signer: signers.SimpleSigner,
    timestamper: RequestsHTTPTimeStamper | None,
    *,
    reason: str,
    location: str,
    name: str,
) -> str:
    """Run pyHanko: ``src`` plus one incremental update, written to ``target``."""
    try:
        with src.open("rb") as infile, target.open("w+b") as outfile:
            writer = IncrementalPdfFileWriter(infile, strict=False)
            field_name = _free_field_name(writer)
            _drop_info_producer(writer)
            meta = signers.PdfSignatureMetadata(
                field_name=field_name,
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
                reason=reason,
                location=location,
                name=name,
            )
            pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamper)
            pdf_signer.sign_pdf(writer, output=outfile)
            outfile.flush()
            os.fsync(outfile.fileno())
    except TimestampRequestError as exc:
        raise SigningError(
            f"time-stamp authority {_url(timestamper)}: {exc} ({_root_cause(exc)})"
        ) from exc
    except (PyHankoSigningError, PdfError, OSError, ValueError) as exc:
        raise SigningError(f"could not sign {src}: {_root_cause(exc)}") from exc
    return field_name


def _url(timestamper: RequestsHTTPTimeStamper | None) -> str:
    return str(timestamper.url) if timestamper is not None else "(none)"


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's type and first line: "ConnectionRefusedError:
    [Errno 111] Connection refused" says more than requests' wrappers do."""
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}".rstrip(": ")


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev, filled_status=None)}
    n = 1
    while f"{FIELD_PREFIX}{n}" in taken:
        n += 1
    return f"{FIELD_PREFIX}{n}"


def _drop_info_producer(writer: IncrementalPdfFileWriter) -> None:
    """See the module docstring: pyHanko then writes an Info /Producer equal
    to the XMP one, instead of appending to the old one."""
    info_ref = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if not isinstance(info_ref, generic.IndirectObject):
        return
    info = info_ref.get_object()
    if "/Producer" in info:
        del info["/Producer"]
        writer.update_container(info)


def _load_credentials(
    key_pem: Path, cert_pem: Path, password: bytes | None
) -> tuple[x509.Certificate, Any]:
    """The certificate and its private key, checked to belong together and to
    be fit for signing now."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
    except (OSError, ValueError) as exc:
        raise SigningError(f"cannot read the signing certificate {cert_pem}: {exc}") from exc
    try:
        key = serialization.load_pem_private_key(key_pem.read_bytes(), password=password)
    except TypeError as exc:  # a password for an unencrypted key, or none for an encrypted one
        raise SigningError(f"private key {key_pem}: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise SigningError(
            f"cannot read the private key {key_pem} (wrong password, or not a PEM key): {exc}"
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError(f"private key {key_pem}: {type(key).__name__} keys are not supported")
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise SigningError(
            f"private key {key_pem} is not the key of certificate {cert_pem} "
            f"({cert.subject.rfc4514_string()})"
        )
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningError(
            f"certificate {cert.subject.rfc4514_string()} is not valid now "
            f"({cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d})"
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return cert, key
    if not (usage.digital_signature or usage.content_commitment):
        raise SigningError(
            f"certificate {cert.subject.rfc4514_string()}: its key usage allows no signing "
            "(neither digitalSignature nor nonRepudiation)"
        )
    return cert, key


def _public_der(public: Any) -> bytes:
    der: bytes = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


def _load_chain(paths: Sequence[Path]) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for path in paths:
        try:
            certs += x509.load_pem_x509_certificates(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise SigningError(f"cannot read certificate chain {path}: {exc}") from exc
    return certs


def _facts_or_fail(path: Path) -> Any:
    try:
        return pdf_facts(path)
    except Exception as exc:  # pikepdf raises its own and OS errors
        raise SigningError(f"{path} is not a readable PDF: {exc}") from exc


def _signature_time(path: Path, field_name: str) -> tuple[int | None, str]:
    """The signature time-stamp's serial and genTime; the signer's claimed
    time if there is none."""
    with path.open("rb") as f:
        for sig in PdfFileReader(f, strict=False).embedded_signatures:
            if sig.field_name != field_name:
                continue
            tst = _signature_tst(sig.signer_info)
            if tst is not None:
                return int(tst["serial_number"].native), _iso(tst["gen_time"].native)
            claimed = sig.self_reported_timestamp
            return None, _iso(claimed) if claimed else ""
    raise SigningError(f"the signature {field_name} is not in the signed file")


def _signature_tst(signer_info: Any) -> Any:
    """The TSTInfo of a SignerInfo's signature time-stamp (unsigned
    attribute id-aa-signatureTimeStampToken), or None."""
    for attr in signer_info["unsigned_attrs"] or ():
        if attr["type"].native == "signature_time_stamp_token":
            encap = attr["values"][0]["content"]["encap_content_info"]
            return tsp.TSTInfo.load(encap["content"].contents)
    return None


def _iso(when: dt.datetime) -> str:
    when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


@contextmanager
def _temporary(dst: Path) -> Iterator[Path]:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


# --- validation ------------------------------------------------------------------------


def validate_pdf(
    path: Path, trust: Sequence[Path], tsa_trust: Sequence[Path] = ()
) -> ValidationResult:
    """Check every signature in ``path`` against the trust anchors in
    ``trust`` (PEM files); signature time-stamps against ``tsa_trust`` (the
    same anchors as the signer's when empty).

    No network: nothing is fetched, revocation is soft-fail (see the module
    docstring).  Never raises for a bad file: what is wrong goes to
    ``problems``."""
    result = ValidationResult(
        signed=False, intact=False, trusted=False, timestamped=False, signer="", signed_at=""
    )
    try:
        signer_vc = _context(trust)
        ts_vc = _context(tsa_trust) if tsa_trust else _context(trust)
    except (OSError, ValueError) as exc:
        result.problems.append(f"cannot read the trust anchors: {exc}")
        return result
    try:
        with Path(path).open("rb") as f:
            _validate_all(f, signer_vc, ts_vc, result)
    except Exception as exc:  # a damaged file makes pyHanko raise many kinds
        result.intact = False
        result.problems.append(f"cannot validate {path}: {type(exc).__name__}: {exc}")
    return result


def _context(paths: Sequence[Path]) -> ValidationContext:
    roots: list[asn1_x509.Certificate] = []
    for path in paths:
        for cert in x509.load_pem_x509_certificates(Path(path).read_bytes()):
            roots.append(asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    # trust_roots must be a list, even empty: None would mean "the system's list"
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def _validate_all(
    f: BinaryIO, signer_vc: ValidationContext, ts_vc: ValidationContext, out: ValidationResult
) -> None:
    sigs = PdfFileReader(f, strict=False).embedded_signatures
    if not sigs:
        out.problems.append("the PDF has no signature")
        return
    out.signed, out.signatures = True, len(sigs)
    out.intact = out.trusted = out.timestamped = True
    for sig in sigs:
        status = validate_pdf_signature(
            sig,
            signer_validation_context=signer_vc,
            ts_validation_context=ts_vc,
            key_usage_settings=_SIGNER_USAGE,
        )
        label = f"signature {sig.field_name}"
        if not (status.intact and status.valid):
            out.intact = False
            out.problems.append(f"{label}: the signed content or the signature was altered")
        if not _unchanged_since(status):
            out.intact = False
            out.problems.append(f"{label}: the file was changed after signing ({status.summary()})")
        if not status.trusted:
            out.trusted = False
            why = status.trust_problem_indic
            out.problems.append(
                f"{label}: the signer does not chain to a trusted root"
                + (f" ({why.standard_name})" if why is not None else "")
            )
        ts = status.timestamp_validity
        if ts is None:
            out.timestamped = False
        elif not (ts.intact and ts.valid and ts.trusted):
            out.timestamped = False
            out.problems.append(f"{label}: its time-stamp does not hold ({ts.summary()})")
        out.signer = printable(status.signing_cert.subject.human_friendly)
        when = ts.timestamp if ts is not None else status.signer_reported_dt
        out.signed_at = _iso(when) if when else ""


def _unchanged_since(status: Any) -> bool:
    """Whether nothing but signature-preserving updates (more signatures,
    validation data, document time-stamps) follows the signed revision."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    level = status.modification_level
    return bool(
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None
        and level <= ModificationLevel.FORM_FILLING
        and status.docmdp_ok
    )
