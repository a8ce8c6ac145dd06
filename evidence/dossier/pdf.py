"""A dossier's HTML as a PDF/A-3b file that carries its own evidence.

Design choices, and why:

* **PDF/A-3b.**  An archival format a court or a regulator can still open in
  twenty years: fonts embedded, colours tied to an OutputIntent, XMP metadata
  that says what the file claims to be.  Part 3 (not 2) because only part 3
  lets the PDF carry *arbitrary* files (WARC, WACZ, JSON, PNG), each tied to
  the document by ``/AF`` with a stated relationship, so the dossier and the
  evidence it describes travel as one file that one signature covers.
* **WeasyPrint renders, pikepdf (qpdf) attaches.**  WeasyPrint can embed files
  itself, but it Flate-compresses every one at level 9 whatever it is, and
  copies it several times while writing: a 64 MiB WACZ took 3.8 s and raised
  the peak memory by 168 MiB (200 MiB: 10.9 s, +577 MiB).  So WeasyPrint
  writes the pages alone (small, in memory) and qpdf adds the attachments and
  writes the file: already-compressed data (zip, WACZ, PNG, gzip) is stored
  as it is, compressible data (WARC, JSON, HTML) is compressed once at level
  6.  The same 64 MiB WACZ then takes 0.6 s and +128 MiB (200 MiB: 1.4 s,
  +537 MiB), the caller's own ``bytes`` included: qpdf keeps one copy and
  buffers each stream once more while writing.
* **Relationship ``Source`` by default**: a capture (WARC/WACZ, screenshot,
  page text) is the original material the dossier was made from, which is
  what ISO 32000-2 14.13 calls Source.  ``Data`` fits a file the dossier's
  tables are drawn from (a manifest, a score table as JSON), ``Supplement``
  a second, more usable representation of something already there (a
  verification report); callers choose per attachment.
* **Nothing is fetched from the network.**  The renderer only reads
  ``file:`` URLs inside the HTML's own folder and ``data:`` URLs.  A dossier
  that refers to a live ad image would otherwise show whatever the site
  serves on the day it is rendered (and tell the site who is looking); such
  a dossier is refused, as is one whose picture is missing, rather than
  rendered with a hole in it.
* **The result is checked before it is kept**: pikepdf reads back the XMP
  (pdfaid part 3, conformance B), the OutputIntent and every attachment
  with its size, on a temporary file that replaces ``out`` only if all is
  there.  A half-written or wrong dossier never sits under the final name.
* **Page numbers are the HTML's business** (CSS ``@page`` counters): this
  module does not paint on pages after layout.

There is no PDF/A validator in the venv (veraPDF needs Java; pikepdf's own
allowlist validator ``pikepdf.pdfa`` needs jsonschema): the checks here are of
what the file *claims* and *carries*, not a conformance verdict.  Run by hand,
``pikepdf.pdfa`` found no violation in a rendered dossier, and reports embedded
files and signature forms as constructs it does not judge; it did flag
``/PageMode /UseAttachments``, which is why the attachments panel is not
opened by default.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import time
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pikepdf
from PIL import ImageFile

# WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported;
# adwatch's own decoders must keep refusing truncated images (a cut-off ad
# picture is a reject, not a picture), so the flag is put back at once.
_TRUNCATED = ImageFile.LOAD_TRUNCATED_IMAGES
from weasyprint import HTML  # noqa: E402
from weasyprint.css import ColorProfile  # noqa: E402
from weasyprint.urls import FatalURLFetchingError, URLFetcher  # noqa: E402

ImageFile.LOAD_TRUNCATED_IMAGES = _TRUNCATED

from evidence.safe_text import printable  # noqa: E402

logger = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3b"
_INTENT = "adwatch-srgb"  # the OutputIntent's colour profile, by its key
Relationship = Literal["Source", "Data", "Supplement", "Alternative", "Unspecified"]
_RELATIONSHIPS: frozenset[str] = frozenset(get_args(Relationship))
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_MAX_NAME_BYTES = 255  # what most file systems accept as one file name
_SAMPLE = 256 * 1024  # how much of an attachment is test-compressed
_WORTH_IT = 0.9  # compress only what shrinks to under 90 % in the sample


class DossierPdfError(Exception):
    """The PDF could not be made, or what was made is not what was asked for."""


@dataclass(frozen=True)
class Attachment:
    """A file to embed in the dossier.

    ``name`` is what a reader sees and what ``pdfdetach -saveall`` writes to
    disk, so it must be a plain file name (no folders, no control or bidi
    characters).  ``modified`` is when the file was made (its capture time);
    the dossier's own time when None."""

    name: str
    data: bytes
    media_type: str
    description: str = ""
    relationship: Relationship = "Source"
    modified: dt.datetime | None = None

    def __post_init__(self) -> None:
        problem = _name_problem(self.name)
        if problem:
            raise ValueError(f"attachment name {printable(self.name)!r}: {problem}")
        if not _MEDIA_TYPE.match(self.media_type):
            raise ValueError(
                f"attachment {self.name}: {printable(self.media_type)!r} is not a media type"
            )
        if self.relationship not in _RELATIONSHIPS:
            raise ValueError(
                f"attachment {self.name}: relationship {self.relationship!r} is not one of "
                f"{sorted(_RELATIONSHIPS)}"
            )
        if not isinstance(self.data, bytes):
            raise TypeError(f"attachment {self.name}: data must be bytes")


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    bytes: int
    seconds: float
    variant: str  # as the file's XMP states it, e.g. "PDF/A-3b"


@dataclass(frozen=True)
class PdfFacts:
    """What a PDF says about itself, read with pikepdf (no rendering)."""

    pages: int
    pdfa: str  # XMP pdfaid part + conformance, e.g. "3B"; "" if it claims none
    output_intents: int
    attachments: dict[str, int] = field(default_factory=dict)  # name -> size in bytes
    relationships: dict[str, str] = field(default_factory=dict)  # name -> AFRelationship
    af: int = 0  # file specifications listed in the catalog's /AF

    @property
    def variant(self) -> str:
        return f"PDF/A-{self.pdfa[:-1]}{self.pdfa[-1:].lower()}" if self.pdfa else ""


def write_pdf(
    html: Path,
    out: Path,
    attachments: Sequence[Attachment] = (),
    *,
    title: str,
    author: str = "adwatch",
    subject: str = "",
    lang: str = "zh-CN",
    created: dt.datetime | None = None,
) -> PdfInfo:
    """Render ``html`` (its images and CSS resolved against its folder) as a
    PDF/A-3b file at ``out`` with ``attachments`` embedded.

    ``created`` (default: now) goes into the Info dictionary and the XMP.
    Raises :class:`DossierPdfError` when the HTML cannot be rendered from
    local files or the result lacks what PDF/A-3b and the attachments need;
    ``out`` is then left as it was."""
    started = time.perf_counter()
    html, out = Path(html).resolve(), Path(out)
    if not html.is_file():
        raise DossierPdfError(f"no HTML file at {html}")
    _check_unique(attachments)
    when = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    pages, rendered = _render(
        html, title=title, author=author, subject=subject, lang=lang, created=when
    )
    with _temporary(out) as tmp:
        _attach_and_save(rendered, attachments, tmp, when)
        del rendered
        facts = pdf_facts(tmp)
        _check_facts(facts, attachments, pages)
        os.replace(tmp, out)
    info = PdfInfo(
        pages=pages,
        bytes=out.stat().st_size,
        seconds=round(time.perf_counter() - started, 3),
        variant=facts.variant,
    )
    logger.info("dossier PDF %s: %s", out, info)
    return info


def pdf_facts(path: Path) -> PdfFacts:
    """Read a PDF's PDF/A claim, OutputIntents and attachments (names, sizes)."""
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        intents = pdf.Root.get("/OutputIntents")
        sizes: dict[str, int] = {}
        relationships: dict[str, str] = {}
        for name, spec in pdf.attachments.items():
            sizes[name] = spec.get_file().size
            rel = spec.relationship
            relationships[name] = str(rel)[1:] if rel is not None else ""
        af = pdf.Root.get("/AF")
        return PdfFacts(
            pages=len(pdf.pages),
            pdfa=meta.pdfa_status,
            output_intents=len(intents) if isinstance(intents, pikepdf.Array) else 0,
            attachments=sizes,
            relationships=relationships,
            af=len(af) if isinstance(af, pikepdf.Array) else 0,
        )


# --- rendering -------------------------------------------------------------------


class _LocalFetcher(URLFetcher):
    """WeasyPrint's fetcher, limited to ``data:`` and files under ``root``.

    Anything else stops the rendering (:class:`FatalURLFetchingError`): a
    dossier must show what was captured, never what a site serves today."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.root = root

    def fetch(self, url: str, headers: Any = None) -> Any:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if not path.is_relative_to(self.root):
                raise FatalURLFetchingError(
                    f"{printable(url)}: outside the dossier's folder {self.root}"
                )
            if not path.is_file():
                raise FatalURLFetchingError(f"{printable(url)}: no such file")
        elif scheme != "data":
            raise FatalURLFetchingError(
                f"{printable(url[:200])}: a dossier renders from local files only"
            )
        try:
            return super().fetch(url, headers)
        except Exception as exc:
            raise FatalURLFetchingError(f"{printable(url[:200])}: {exc}") from exc


def _render(
    html: Path, *, title: str, author: str, subject: str, lang: str, created: dt.datetime
) -> tuple[int, bytes]:
    """The pages as a PDF/A-3b file in memory (no attachments yet)."""
    source = HTML(filename=html, url_fetcher=_LocalFetcher(html.parent))
    buffer = io.BytesIO()
    try:  # resources are fetched while laying out, and <link rel=attachment> while writing
        document = source.render(color_profiles={_INTENT: _srgb_profile()}, output_intent=_INTENT)
        meta = document.metadata
        meta.title = printable(title)
        meta.authors = [printable(author)] if author else []
        meta.description = printable(subject) or None
        meta.lang = lang
        meta.created = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        # No `modified`: the Info dictionary then has no /ModDate, so a signer that
        # later writes xmp:ModifyDate cannot leave the two disagreeing (PDF/A-3 6.6.2.3).
        meta.modified = None
        document.write_pdf(buffer, pdf_variant=PDF_VARIANT, output_intent=_INTENT)
    except FatalURLFetchingError as exc:
        raise DossierPdfError(f"{html}: {exc}") from None
    return len(document.pages), buffer.getvalue()


def _srgb_profile() -> ColorProfile:
    """WeasyPrint's own sRGB profile for the OutputIntent, read and closed here:
    WeasyPrint 70 opens it itself for ``output_intent="srgb"`` and never
    closes the file (a ResourceWarning at garbage collection)."""
    icc = resources.files("weasyprint.pdf").joinpath("sRGB2014.icc").read_bytes()
    return ColorProfile(io.BytesIO(icc), "sRGB2014.icc", "relative-colorimetric",
                        (["r"], ["g"], ["b"]))  # fmt: skip


# --- attaching ---------------------------------------------------------------------


def _attach_and_save(
    rendered: bytes, attachments: Sequence[Attachment], target: Path, when: dt.datetime
) -> None:
    with pikepdf.open(io.BytesIO(rendered)) as pdf:
        for item in attachments:
            _attach(pdf, item, when)
        # compress_streams=False: qpdf would otherwise deflate the zip and PNG
        # attachments stored raw on purpose; WeasyPrint's streams come compressed.
        pdf.save(target, compress_streams=False)


def _attach(pdf: pikepdf.Pdf, item: Attachment, when: dt.datetime) -> None:
    stamp = _pdf_date(item.modified or when)
    spec = pikepdf.AttachedFileSpec(
        pdf,
        item.data,
        description=printable(item.description),
        filename=item.name,
        mime_type=item.media_type,
        creation_date=stamp,
        mod_date=stamp,
        relationship=pikepdf.Name("/" + item.relationship),
    )
    if _worth_compressing(item.data):
        # the Params (Size, CheckSum) qpdf wrote describe the decoded data, as they must
        spec.get_file().obj.write(zlib.compress(item.data, 6), filter=pikepdf.Name.FlateDecode)
    pdf.attachments[item.name] = spec


def _worth_compressing(data: bytes) -> bool:
    """Whether Flate shrinks a sample of ``data`` enough to be worth the time
    (not for zip, WACZ, gzip, PNG, JPEG: already compressed)."""
    sample = data[:_SAMPLE]
    if not sample:
        return False
    return len(zlib.compress(sample, 1)) < _WORTH_IT * len(sample)


def _pdf_date(when: dt.datetime) -> str:
    utc = when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return utc.strftime("D:%Y%m%d%H%M%SZ")


# --- checks ---------------------------------------------------------------------------


def _name_problem(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        return "empty"
    if name in (".", "..") or name.startswith("."):
        return "starts with a dot"
    if "/" in name or "\\" in name:
        return "contains a folder separator"
    if printable(name) != name or any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return "contains a control or bidi formatting character"
    if len(name.encode()) > _MAX_NAME_BYTES:
        return f"longer than {_MAX_NAME_BYTES} bytes"
    return ""


def _check_unique(attachments: Sequence[Attachment]) -> None:
    seen: set[str] = set()
    for item in attachments:
        key = unicodedata.normalize("NFC", item.name)
        if key in seen:
            raise DossierPdfError(f"two attachments are named {item.name}")
        seen.add(key)


def _check_facts(facts: PdfFacts, attachments: Sequence[Attachment], pages: int) -> None:
    problems = []
    if facts.pdfa != "3B":
        problems.append(f"XMP claims PDF/A {facts.pdfa or 'nothing'}, not 3B")
    if facts.output_intents < 1:
        problems.append("no OutputIntent")
    if facts.pages != pages:
        problems.append(f"{facts.pages} pages written, {pages} rendered")
    for item in attachments:
        size = facts.attachments.get(item.name)
        if size != len(item.data):
            problems.append(f"attachment {item.name}: size {size}, expected {len(item.data)}")
        elif facts.relationships.get(item.name) != item.relationship:
            problems.append(f"attachment {item.name}: relationship is not {item.relationship}")
    if facts.af < len(attachments):
        problems.append(f"/AF lists {facts.af} files, {len(attachments)} were attached")
    if problems:
        raise DossierPdfError("the PDF written is not as asked: " + "; ".join(problems))


@contextmanager
def _temporary(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out`` (same file system, so the final
    ``os.replace`` is atomic), removed if the block fails."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)
