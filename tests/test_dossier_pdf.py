"""Dossier PDFs end to end, with nothing mocked: WeasyPrint renders a small
Chinese dossier as PDF/A-3b with evidence files attached, pyHanko signs it
(PAdES B-T) against adwatch's own TSA on loopback, and poppler's tools
(pdftotext, pdffonts, pdfdetach, pdfsig) read the results as a regulator's
software would."""

from __future__ import annotations

import datetime as dt
import html
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PIL import Image

from evidence.dossier.pdf import (
    Attachment,
    DossierPdfError,
    PdfInfo,
    pdf_facts,
    write_pdf,
)
from evidence.dossier.sign import (
    LEVEL_BB,
    LEVEL_BT,
    SignInfo,
    SigningError,
    SigningIdentity,
    make_signing_identity,
    sign_pdf,
    validate_pdf,
)
from evidence.safe_text import printable
from evidence.tsa import TsaServer

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdftotext", "pdffonts", "pdfdetach", "pdfsig")),
    reason="needs poppler-utils",
)

CHINESE = "反催收广告证据材料：某“债务优化”公司承诺停息挂账"
HOSTILE = "<script>alert('x')</script> \u202eevil.exe"
FOOTER_CSS = (
    '@page { @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页" } }'
)
CREATED = dt.datetime(2026, 11, 24, 8, 30, 0, tzinfo=dt.UTC)
MARKER = b"<<adwatch flip me>>"  # inside the WACZ, which is stored uncompressed


def run(*cmd: str | Path) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"{cmd}: {done.stderr}"
    return done.stdout


def pdfsig(path: Path) -> str:
    """poppler's verdict; -no-ocsp: never go to the network for revocation."""
    done = subprocess.run(
        ["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout + done.stderr


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def dossier_html(folder: Path, body_extra: str = "") -> Path:
    """Three pages of Chinese text, a relative PNG, hostile text escaped, and
    the page footer a dossier uses."""
    (folder / "img").mkdir(parents=True, exist_ok=True)
    shot = Image.new("RGB", (160, 90), (200, 30, 30))
    shot.paste((30, 30, 200), (80, 0, 160, 90))
    shot.save(folder / "img" / "shot.png")
    hostile = html.escape(printable(HOSTILE))
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>证据卷宗</title>
<style>
{FOOTER_CSS}
@page {{ size: A4; margin: 20mm }}
html {{ font-family: "Noto Sans CJK SC", sans-serif }}
.page {{ break-after: page }}
img {{ max-width: 100%; max-height: 235mm; object-fit: contain }}
</style></head>
<body>
<section class="page"><h1>案件 A-001</h1><p>{CHINESE}</p>
<img src="img/shot.png" alt="截图"></section>
<section class="page"><h2>页面原文</h2><p>广告文字：{hostile}</p></section>
<section><h2>核验</h2><p>以上材料附于本文件。</p>{body_extra}</section>
</body></html>"""
    path = folder / "dossier.html"
    path.write_text(page, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Rendered:
    pdf: Path
    info: PdfInfo
    attachments: tuple[Attachment, ...]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    folder = tmp_path_factory.mktemp("dossier")
    wacz = os.urandom(200_000) + MARKER + os.urandom(200_000)
    attachments = (
        Attachment("A-001.wacz", wacz, "application/wacz", "网页存档 (WACZ)"),
        Attachment("页面.warc", ("WARC/1.1\r\n" + CHINESE * 500).encode(), "application/warc"),
        Attachment("manifest.json", b'{"bundle": "A-001"}', "application/json", "", "Data"),
    )
    out = folder / "out" / "A-001.pdf"
    info = write_pdf(
        dossier_html(folder / "html"),
        out,
        attachments,
        title="证据卷宗 A-001",
        subject="反催收广告",
        created=CREATED,
    )
    return Rendered(out, info, attachments)


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    return make_signing_identity(tmp_path_factory.mktemp("signer"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    """Another identity with the very same names but its own keys."""
    return make_signing_identity(tmp_path_factory.mktemp("stranger"))


@pytest.fixture(scope="module")
def signed(
    rendered: Rendered,
    identity: SigningIdentity,
    tsa: TsaServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, SignInfo]:
    dst = tmp_path_factory.mktemp("signed") / "A-001.signed.pdf"
    info = sign_pdf(
        rendered.pdf,
        dst,
        identity.key_pem,
        identity.cert_pem,
        chain=[identity.ca_pem],
        tsa_url=tsa.url,
        reason="证据保全",
        location="北京",
    )
    return dst, info


# --- the PDF ---------------------------------------------------------------------------


def test_the_pdf_is_pdfa3b_with_its_metadata(rendered: Rendered) -> None:
    assert rendered.info.pages == 3
    assert rendered.info.variant == "PDF/A-3b"
    assert rendered.info.bytes == rendered.pdf.stat().st_size
    assert 0 < rendered.info.seconds < 20
    with pikepdf.open(rendered.pdf) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == "证据卷宗 A-001"
        intents = pdf.Root.OutputIntents
        assert len(intents) >= 1 and intents[0].S == pikepdf.Name.GTS_PDFA1
        assert "/DestOutputProfile" in intents[0]
        assert str(pdf.docinfo.Title) == "证据卷宗 A-001"
        assert str(pdf.docinfo.Author) == "adwatch"
        assert str(pdf.docinfo.Subject) == "反催收广告"
        assert str(pdf.docinfo.CreationDate) == "D:20261124083000Z"
        assert str(pdf.Root.Lang) == "zh-CN"
        assert pdf.trailer.ID  # PDF/A needs a file identifier
        assert pdf.pages[0].get_images(), "the screenshot is embedded"
    assert not list(rendered.pdf.parent.glob(".*.tmp"))


def test_every_attachment_is_listed_with_its_size_and_relationship(rendered: Rendered) -> None:
    with pikepdf.open(rendered.pdf) as pdf:
        assert sorted(pdf.attachments) == sorted(a.name for a in rendered.attachments)
        for item in rendered.attachments:
            spec = pdf.attachments[item.name]
            stored = spec.get_file()
            assert stored.size == len(item.data)
            assert stored.read_bytes() == item.data
            assert stored.mime_type == item.media_type
            assert spec.relationship == pikepdf.Name("/" + item.relationship)
        assert len(pdf.Root.AF) == 3  # PDF/A-3: each file associated with the document
        wacz = pdf.attachments["A-001.wacz"].get_file().obj
        warc = pdf.attachments["页面.warc"].get_file().obj
        assert "/Filter" not in wacz  # already compressed: stored as it is
        assert warc.Filter == pikepdf.Name.FlateDecode
    facts = pdf_facts(rendered.pdf)
    assert facts.attachments == {a.name: len(a.data) for a in rendered.attachments}
    assert facts.relationships["manifest.json"] == "Data"


def test_poppler_lists_and_extracts_the_attachments(rendered: Rendered, tmp_path: Path) -> None:
    listing = run("pdfdetach", "-list", rendered.pdf)
    assert "3 embedded files" in listing
    for item in rendered.attachments:
        assert item.name in listing
    run("pdfdetach", "-saveall", "-o", tmp_path, rendered.pdf)
    for item in rendered.attachments:
        assert (tmp_path / item.name).read_bytes() == item.data


def test_text_fonts_and_page_footer(rendered: Rendered) -> None:
    text = run("pdftotext", "-enc", "UTF-8", rendered.pdf, "-")
    assert CHINESE in text
    assert "<script>alert('x')</script>" in text  # escaped by the HTML: shown, not run
    assert "\\u202eevil.exe" in text and "\u202e" not in text
    # -raw (content-stream order): the default layout analysis joins CJK and digits
    # across the spaces the footer has, printing "第2页/共3页"
    page2 = run("pdftotext", "-raw", "-enc", "UTF-8", "-f", "2", "-l", "2", rendered.pdf, "-")
    assert "第 2 页 / 共 3 页" in page2
    assert "第 1 页" not in page2
    fonts = run("pdffonts", rendered.pdf).splitlines()[2:]
    assert fonts
    cjk = [line for line in fonts if "CJK" in line]
    assert cjk, fonts
    for line in fonts:
        emb = line.split()[-5]
        assert emb == "yes", line


def test_nothing_is_fetched_from_outside_the_dossier_folder(tmp_path: Path) -> None:
    remote = dossier_html(tmp_path / "remote", f'<img src="{dead_url()}live-ad.png">')
    with pytest.raises(DossierPdfError, match="local files only"):
        write_pdf(remote, tmp_path / "remote.pdf", title="t")
    (tmp_path / "secret.png").write_bytes((tmp_path / "remote" / "img" / "shot.png").read_bytes())
    outside = dossier_html(tmp_path / "outside", '<img src="../secret.png">')
    with pytest.raises(DossierPdfError, match="outside the dossier's folder"):
        write_pdf(outside, tmp_path / "outside.pdf", title="t")
    missing = dossier_html(tmp_path / "missing", '<img src="img/gone.png">')
    with pytest.raises(DossierPdfError, match="no such file"):
        write_pdf(missing, tmp_path / "missing.pdf", title="t")
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    "name",
    ["", "../etc/passwd", "a/b.warc", "a\\b.warc", ".hidden", "photo\u202egnp.exe", "a\x00b"],
)
def test_attachment_names_that_would_mislead_or_escape_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        Attachment(name, b"x", "application/octet-stream")


def test_bad_attachments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="media type"):
        Attachment("a.bin", b"x", "not a type")
    with pytest.raises(ValueError, match="relationship"):
        Attachment("a.bin", b"x", "application/octet-stream", relationship="Evidence")  # type: ignore[arg-type]
    twins = [Attachment("a.bin", b"1", "application/octet-stream")] * 2
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(DossierPdfError, match="two attachments"):
        write_pdf(page, tmp_path / "x.pdf", twins, title="t")
    with pytest.raises(DossierPdfError, match="no HTML file"):
        write_pdf(tmp_path / "none.html", tmp_path / "x.pdf", title="t")
    assert not (tmp_path / "x.pdf").exists()


# --- signing ---------------------------------------------------------------------------


def test_the_signing_identity_is_made_once_and_fit_for_signing(
    identity: SigningIdentity, tmp_path: Path
) -> None:
    again = make_signing_identity(identity.key_pem.parent)
    assert again == identity
    assert again.key_pem.read_bytes() == identity.key_pem.read_bytes()
    for key in (identity.key_pem, identity.ca_key):
        assert key.stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate(identity.cert_pem.read_bytes())
    root = x509.load_pem_x509_certificate(identity.ca_pem.read_bytes())
    cert.verify_directly_issued_by(root)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert identity.chain_pem.read_bytes() == (
        identity.cert_pem.read_bytes() + identity.ca_pem.read_bytes()
    )
    # a lost signer certificate is issued anew by the same root, never a new root
    fresh = make_signing_identity(tmp_path / "id")
    root_before = fresh.ca_pem.read_bytes()
    fresh.cert_pem.unlink()
    remade = make_signing_identity(tmp_path / "id")
    assert remade.ca_pem.read_bytes() == root_before
    x509.load_pem_x509_certificate(remade.cert_pem.read_bytes()).verify_directly_issued_by(
        x509.load_pem_x509_certificate(root_before)
    )


def test_signing_with_a_tsa_gives_a_valid_pades_b_t(
    signed: tuple[Path, SignInfo], rendered: Rendered, identity: SigningIdentity, tsa: TsaServer
) -> None:
    path, info = signed
    assert info.level == LEVEL_BT == "PAdES-B-T"
    assert info.timestamp_serial is not None and info.signed_at.endswith("Z")
    assert "adwatch demo signer" in info.signer
    original = rendered.pdf.read_bytes()
    assert path.read_bytes()[: len(original)] == original  # an incremental update
    result = validate_pdf(path, [identity.ca_pem], [tsa.files.ca_pem])
    assert result.problems == []
    assert (result.signed, result.intact, result.trusted, result.timestamped) == (True,) * 4
    assert result.ok and result.signatures == 1
    assert "adwatch demo signer" in result.signer
    assert result.signed_at == info.signed_at
    said = pdfsig(path)
    assert "Signature is Valid." in said, said
    assert "Total document signed" in said
    assert "ETSI.CAdES.detached" in said


def test_signing_keeps_pdfa_and_the_attachments(
    signed: tuple[Path, SignInfo], rendered: Rendered
) -> None:
    path, _ = signed
    assert pdf_facts(path) == pdf_facts(rendered.pdf)
    listing = run("pdfdetach", "-list", path)
    assert all(a.name in listing for a in rendered.attachments)
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
        # PDF/A: the Info dictionary and the XMP must agree after pyHanko's update
        assert str(pdf.docinfo.Producer) == meta["pdf:Producer"]
        assert "/ModDate" not in pdf.docinfo or meta.get("xmp:ModifyDate")
        widget = pdf.Root.AcroForm.Fields[0]
        assert int(widget.F) & 4 and list(widget.Rect) == [0, 0, 0, 0]  # printable, invisible
        data = pdf.attachments["A-001.wacz"].get_file().read_bytes()
        assert data == rendered.attachments[0].data


def test_one_flipped_byte_breaks_the_signature(
    signed: tuple[Path, SignInfo], identity: SigningIdentity, tsa: TsaServer, tmp_path: Path
) -> None:
    path, _ = signed
    data = bytearray(path.read_bytes())
    at = data.index(MARKER) + 3
    data[at] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    result = validate_pdf(tampered, [identity.ca_pem], [tsa.files.ca_pem])
    assert result.signed and not result.intact and not result.ok
    assert any("altered" in p for p in result.problems), result.problems
    assert "Signature is Valid." not in pdfsig(tampered)


def test_a_root_not_trusted_means_not_trusted(
    signed: tuple[Path, SignInfo], stranger: SigningIdentity, tsa: TsaServer
) -> None:
    path, _ = signed
    result = validate_pdf(path, [stranger.ca_pem], [tsa.files.ca_pem])
    assert result.signed and result.intact and not result.trusted and not result.ok
    assert any("trusted root" in p for p in result.problems)
    unsigned = validate_pdf(path.parent / "nothing.pdf", [stranger.ca_pem])
    assert not unsigned.signed and unsigned.problems


def test_an_unsigned_pdf_is_reported_as_unsigned(
    rendered: Rendered, identity: SigningIdentity
) -> None:
    result = validate_pdf(rendered.pdf, [identity.ca_pem])
    assert (
        not result.signed and not result.intact and result.problems == ["the PDF has no signature"]
    )


def test_without_a_tsa_the_signature_is_b_b(
    rendered: Rendered, identity: SigningIdentity, tmp_path: Path
) -> None:
    dst = tmp_path / "bb.pdf"
    info = sign_pdf(
        rendered.pdf, dst, identity.key_pem, identity.cert_pem,
        chain=[identity.ca_pem], tsa_url=None, reason="r", location="l", name="签名人",
    )  # fmt: skip
    assert info.level == LEVEL_BB and info.timestamp_serial is None
    result = validate_pdf(dst, [identity.ca_pem])
    assert result.intact and result.trusted and not result.timestamped
    assert "Signature is Valid." in pdfsig(dst)


def test_a_second_signature_keeps_the_first_valid(
    signed: tuple[Path, SignInfo], identity: SigningIdentity, tsa: TsaServer, tmp_path: Path
) -> None:
    path, first = signed
    dst = tmp_path / "twice.pdf"
    info = sign_pdf(
        path, dst, identity.key_pem, identity.cert_pem,
        tsa_url=tsa.url, reason="复核", location="上海",
    )  # fmt: skip
    assert info.field != first.field
    result = validate_pdf(dst, [identity.ca_pem], [tsa.files.ca_pem])
    assert result.signatures == 2 and result.ok and result.timestamped, result.problems


def test_a_wrong_key_or_password_raises_and_writes_nothing(
    rendered: Rendered, identity: SigningIdentity, stranger: SigningIdentity, tmp_path: Path
) -> None:
    dst = tmp_path / "never.pdf"
    with pytest.raises(SigningError, match="is not the key of certificate"):
        sign_pdf(
            rendered.pdf, dst, stranger.key_pem, identity.cert_pem,
            tsa_url=None, reason="r", location="l",
        )  # fmt: skip
    key = serialization.load_pem_private_key(identity.key_pem.read_bytes(), None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"right"),
        )
    )
    with pytest.raises(SigningError, match="wrong password"):
        sign_pdf(
            rendered.pdf, dst, locked, identity.cert_pem,
            tsa_url=None, reason="r", location="l", password=b"wrong",
        )  # fmt: skip
    with pytest.raises(SigningError, match="private key"):
        sign_pdf(
            rendered.pdf, dst, locked, identity.cert_pem,
            tsa_url=None, reason="r", location="l",
        )  # fmt: skip
    with pytest.raises(SigningError, match="signing certificate"):
        sign_pdf(
            rendered.pdf, dst, identity.key_pem, tmp_path / "no-such.pem",
            tsa_url=None, reason="r", location="l",
        )  # fmt: skip
    assert not dst.exists() and not list(tmp_path.glob(".*.tmp"))
    ok = sign_pdf(
        rendered.pdf, dst, locked, identity.cert_pem,
        tsa_url=None, reason="r", location="l", password=b"right",
    )  # fmt: skip
    assert ok.level == LEVEL_BB and dst.exists()


def test_an_unreachable_tsa_raises_and_keeps_the_old_dst(
    rendered: Rendered, identity: SigningIdentity, tmp_path: Path
) -> None:
    dst = tmp_path / "kept.pdf"
    dst.write_bytes(b"an older dossier")
    with pytest.raises(SigningError, match="time-stamp authority"):
        sign_pdf(
            rendered.pdf, dst, identity.key_pem, identity.cert_pem,
            tsa_url=dead_url(), reason="r", location="l", tsa_timeout=3,
        )  # fmt: skip
    assert dst.read_bytes() == b"an older dossier"
    assert not list(tmp_path.glob(".*.tmp"))


def test_importing_the_pdf_module_leaves_truncated_images_refused() -> None:
    """WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process
    when imported; the crawler's and the redactor's decoders rely on it off."""
    from PIL import ImageFile

    import evidence.dossier.pdf  # noqa: F401

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
