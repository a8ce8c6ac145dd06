"""Make a dossier: the crawler's side of evidence/dossier.

The pieces live in ``evidence.dossier`` (selection and shaping, templates,
PDF, signing, redaction); this module wires them to what only the crawler
knows: which contacts are the advertiser's (the detector's contact
extraction, over the record and its operator) and how to read text in a
picture (OCR), so that third parties' data can be masked in what is shown.

Output folder::

    dossier.html + assets/        the HTML dossier (screenshots, masked copies)
    dossier.pdf                   PDF/A-3b, evidence files attached, signed if configured
    evidence/                     the bundles as `adwatch export` writes them
                                  (verify.py, README.txt, SHA256SUMS, ledger excerpt)
    SHA256SUMS                    every file of the dossier
    核验说明.txt                  how to check it, in Chinese and English
and, with ``make_zip``, ``<out>.zip`` of the whole folder.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from crawler.config import AdwatchConfig
from evidence.dossier.build import Dossier, Selection, build
from evidence.dossier.render import REGULATORS, legal, render
from evidence.index import open_catalogue
from evidence.store import EvidenceStore

logger = logging.getLogger(__name__)

ATTACHED = ("network.wacz",)  # artifacts attached inside the PDF besides manifests and tokens


@dataclass
class DossierResult:
    folder: Path
    html: Path
    pdf: Path | None
    zip: Path | None
    exhibits: int
    pages: int
    masked: int
    signed: str  # "" unsigned, else the PAdES level
    seconds: dict[str, float]


@dataclass
class Signing:
    key: Path
    cert: Path
    chain: tuple[Path, ...] = ()


class ThirdPartyRedactor:
    """What the dossier shows of a record, with third parties' data masked.

    A contact is the advertiser's when it stands in the record's own pitch
    (title, text before the comments) or in any other ad of the same
    operator; every other phone, QQ or WeChat ID (a borrower writing in the
    comments, say) is masked, as are ID-card and bank-card numbers and faces.
    """

    def __init__(self, catalogue: Any, ocr_engine: str) -> None:
        self.catalogue = catalogue
        self.ocr_engine = ocr_engine
        self._operators: dict[str, set[str]] = {}

    def text(self, record: dict[str, Any], field: str, text: str) -> tuple[str, list[str]]:
        from evidence.dossier.redact import masked_summary, redact_text

        secrets = self._secrets(record, text)
        shown, masked = redact_text(text, secrets, _where(field), keep=self._advertiser(record))
        return shown, masked_summary(masked) if masked else []

    def picture(self, data: bytes, where: str, record: dict[str, Any]) -> tuple[bytes, list[str]]:
        from evidence.dossier.redact import masked_summary, redact_image

        secrets = self._secrets(record, str(record.get("text", "")))
        reader = self._reader() if secrets else None
        shown, masked = redact_image(
            data, secrets, where, find_text=reader, keep=self._advertiser(record)
        )
        return shown, masked_summary(masked) if masked else []

    def _secrets(self, record: dict[str, Any], text: str) -> list[tuple[str, str]]:
        """Contacts in ``text`` that are not the advertiser's, as (kind, value)."""
        from crawler.detect.contacts import extract
        from crawler.detect.normalize import normalize

        ours = self._advertiser(record)
        found = extract(normalize(text))
        return [
            (c.kind, c.value) for c in found if c.kind != "url" and c.normalized not in ours
        ]

    def _advertiser(self, record: dict[str, Any]) -> set[str]:
        from crawler.detect.contacts import extract
        from crawler.detect.normalize import normalize

        comments = [str(c) for c in (record.get("extra") or {}).get("comments") or []]
        pitch = str(record.get("text", ""))
        for comment in comments:  # the pitch is the text without its comments
            pitch = pitch.replace(comment, "")
        said = f"{record.get('title', '')}\n{pitch}"
        ours = {c.normalized for c in extract(normalize(said))}
        cluster = str(record.get("cluster_id", ""))
        if cluster:
            if cluster not in self._operators:
                ops = self.catalogue.operators(limit=100_000)
                op: dict[str, Any] = next((o for o in ops if o.get("id") == cluster), {})
                self._operators[cluster] = {str(c.get("value")) for c in op.get("contacts") or []}
            ours |= self._operators[cluster]
        return ours

    def _reader(self) -> Callable[[bytes], list[tuple[str, list[list[int]]]]] | None:
        if self.ocr_engine == "none":
            return None
        from crawler.ocr import engine, read_image

        ocr = engine(self.ocr_engine)

        def read(data: bytes) -> list[tuple[str, list[list[int]]]]:
            with _ocr_lock:  # one engine, read by one exhibit thread at a time
                return [(line.text, line.box) for line in read_image(data, ocr).lines]

        return read


_ocr_lock = threading.Lock()


def _where(field: str) -> str:
    return {"title": "标题", "text": "正文及评论", "author": "账号名称"}.get(field, "图片文字")


def make_dossier(
    settings: BaseSettings,
    regulator: str,
    selection: Selection,
    out: Path,
    *,
    redact: bool = True,
    pdf: bool = True,
    signing: Signing | None = None,
    make_zip: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DossierResult:
    """Select, render, attach, sign and pack one dossier into ``out``."""
    if regulator not in REGULATORS:
        raise ValueError(f"unknown regulator {regulator!r}; one of {', '.join(REGULATORS)}")
    config = AdwatchConfig.from_settings(settings)
    say = progress or (lambda _m: None)
    _prepare(out)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    store = (
        EvidenceStore(config.evidence_dir, readonly=True)
        if (config.evidence_dir / "ledger.jsonl").exists()
        else None
    )
    with open_catalogue(config.catalogue_uri) as catalogue:
        redactor = ThirdPartyRedactor(catalogue, config.ocr_engine) if redact else None
        dossier = build(
            catalogue,
            store,
            selection,
            regulator,
            out / "assets",
            redactor,
            progress=lambda n, total: say(f"exhibit {n}/{total}"),
        )
    seconds["build"] = time.perf_counter() - started
    html = render(dossier, out)
    seconds["html"] = time.perf_counter() - started - seconds["build"]
    if store is not None and dossier.bundles:
        from evidence.export import export_bundles

        say("copying the evidence bundles")
        export_bundles(store, dossier.bundles, out / "evidence", config.tsa_ca)
    pdf_path: Path | None = None
    pages = 0
    signed = ""
    if pdf:
        say("printing the PDF")
        t = time.perf_counter()
        pdf_path, pages = _pdf(dossier, html, store, out, config)
        seconds["pdf"] = time.perf_counter() - t
        if signing is not None:
            signed = _sign(pdf_path, signing, config, regulator)
    _instructions(out, dossier, regulator)
    (out / "SHA256SUMS").write_text(_sums(out), encoding="utf-8")
    zip_path = _zip(out) if make_zip else None
    seconds["total"] = time.perf_counter() - started
    masked = sum(len(e.masked) for e in dossier.exhibits)
    return DossierResult(
        out, html, pdf_path, zip_path, len(dossier.exhibits), pages, masked, signed, seconds
    )


def _prepare(out: Path) -> None:
    """A new folder, or one holding an earlier dossier (replaced whole); any
    other non-empty folder is refused rather than emptied."""
    if out.exists() and any(out.iterdir()):
        if not (out / "dossier.html").exists():
            raise FileExistsError(f"{out} is not empty and holds no earlier dossier; not touched")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _pdf(
    dossier: Dossier, html: Path, store: EvidenceStore | None, out: Path, config: AdwatchConfig
) -> tuple[Path, int]:
    from evidence.dossier.pdf import Attachment, write_pdf

    attachments: list[Attachment] = []
    if store is not None:
        for bundle_id in dossier.bundles:
            attachments += _bundle_attachments(store, bundle_id)
    verify_py = out / "evidence" / "verify.py"
    if verify_py.exists():
        attachments.append(
            Attachment("verify.py", verify_py.read_bytes(), "text/x-python", "离线核验程序")
        )
    reg = legal()["regulators"][dossier.regulator]
    path = out / "dossier.pdf"
    info = write_pdf(
        html, path, attachments, title=str(reg["subject"]), subject=dossier.selection
    )
    return path, info.pages


def _bundle_attachments(store: EvidenceStore, bundle_id: str) -> list[Any]:
    from evidence.dossier.pdf import Attachment

    short = bundle_id[:16]
    found = [
        Attachment(
            f"{short}-manifest.json",
            store.bundle_path(bundle_id).read_bytes(),
            "application/json",
            f"证据包 {bundle_id} 的清单",
        )
    ]
    token = store.timestamp_path(bundle_id)
    if token.exists():
        found.append(
            Attachment(
                f"{short}-timestamp.tsr",
                token.read_bytes(),
                "application/timestamp-reply",
                f"证据包 {bundle_id} 的 RFC 3161 时间戳",
            )
        )
    arts = store.manifest(bundle_id).get("artifacts") or {}
    for name in ATTACHED:
        art = arts.get(name)
        if art:
            found.append(
                Attachment(
                    f"{short}-{name}",
                    store.blob_path(str(art["sha256"])).read_bytes(),
                    str(art.get("media_type", "application/octet-stream")),
                    f"证据包 {bundle_id} 的网络通信记录（WACZ）",
                )
            )
    return found


def _sign(pdf_path: Path, signing: Signing, config: AdwatchConfig, regulator: str) -> str:
    from evidence.dossier.sign import sign_pdf

    signed = pdf_path.with_suffix(".signed.pdf")
    info = sign_pdf(
        pdf_path,
        signed,
        signing.key,
        signing.cert,
        chain=signing.chain,
        tsa_url=config.tsa_url or None,
        reason=f"adwatch 证据材料（{regulator}）",
        location="adwatch",
    )
    signed.replace(pdf_path)
    return str(info.level)


def _instructions(out: Path, dossier: Dossier, regulator: str) -> None:
    text = f"""本文件夹是 adwatch 生成的证据材料（{regulator}）。
- dossier.pdf：供阅读与打印的材料（PDF/A-3b），证据包清单、时间戳与网络通信记录作为附件嵌入其中；
- dossier.html 与 assets/：同一材料的网页版本；
- evidence/：全部证据包原件。进入该文件夹运行 python3 verify.py，或按其中 README.txt 的步骤，
  仅用 sha256sum 与 openssl 即可核验每个文件的哈希值、账本与可信时间戳；
- SHA256SUMS：本文件夹全部文件的 SHA-256（sha256sum -c SHA256SUMS）。
材料中遮挡的个人信息仅作用于展示，证据包中的原件未作改动。

This folder is an evidence dossier made by adwatch ({regulator}): dossier.pdf (PDF/A-3b, evidence
files attached), dossier.html with assets/, evidence/ (the sealed bundles; run
`python3 verify.py` there, or follow its README.txt with sha256sum and openssl), and SHA256SUMS
for every file here. {len(dossier.exhibits)} exhibits, {len(dossier.bundles)} bundles.
"""
    (out / "核验说明.txt").write_text(text, encoding="utf-8")


def _sums(out: Path) -> str:
    lines = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel == "SHA256SUMS":
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {rel}\n")
    return "".join(lines)


def _zip(out: Path) -> Path:
    target = out.with_suffix(".zip")
    tmp = target.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            z.write(path, f"{out.name}/{path.relative_to(out).as_posix()}")
    tmp.replace(target)
    return target
