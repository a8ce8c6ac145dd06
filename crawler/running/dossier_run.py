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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from crawler.config import AdwatchConfig
from crawler.running.lifecycle import JobError
from evidence.dossier.build import Dossier, Selection, build, select
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
    record_ids: list[str] = field(default_factory=list)  # the exhibits', in order

    def report(self, regulator: str) -> list[str]:
        """What was written where, for the person who asked (one line each)."""
        lines = [f"dossier for {regulator}: {self.exhibits} exhibits in {self.folder}"]
        lines.append(f"  html: {self.html}")
        if self.pdf:
            signed = f", signed {self.signed}" if self.signed else ", not signed"
            lines.append(f"  pdf:  {self.pdf} ({self.pages} pages{signed})")
        if self.masked:
            lines.append(f"  masked third-party data on {self.masked} occasions (see each exhibit)")
        if self.zip:
            lines.append(f"  zip:  {self.zip}")
        check = self.folder / "evidence" / "verify.py"
        tail = f"; check it: python3 {check}" if check.exists() else ""
        lines.append(f"  took {self.seconds['total']:.1f}s{tail}")
        return lines


@dataclass
class Signing:
    key: Path
    cert: Path
    chain: tuple[Path, ...] = ()


class ThirdPartyRedactor:
    """What the dossier shows of a record, with third parties' data masked.

    What the advertiser published (title, account name, the pitch, the text
    in its pictures) is the evidence and is shown as it is, collecting bank
    accounts and all.  The comments under it are other people's: there every
    phone, QQ or WeChat ID that is not the advertiser's (not in the pitch,
    not among its operator's contacts) is masked, and so are ID-card and
    bank-card numbers and names after a cue.  In the screenshot, faces are
    masked, and, where the comments held such numbers, OCR finds them in the
    picture too.
    """

    def __init__(self, catalogue: Any, ocr_engine: str) -> None:
        self.catalogue = catalogue
        self.ocr_engine = ocr_engine
        self._operators: dict[str, set[str]] = {}
        self._ours: dict[str, set[str]] = {}

    def text(self, record: dict[str, Any], field: str, text: str) -> tuple[str, list[str]]:
        from evidence.dossier.redact import masked_summary, redact_text

        if field != "text":
            return text, []  # the advertiser's own words
        pitch, comments = split_comments(record, text)
        if not comments:
            return text, []
        shown, masked = redact_text(
            comments, self._secrets(record), "评论区", keep=self._advertiser(record)
        )
        return pitch + shown, masked_summary(masked) if masked else []

    def picture(self, data: bytes, where: str, record: dict[str, Any]) -> tuple[bytes, list[str]]:
        from evidence.dossier.redact import masked_summary, redact_image

        secrets = self._secrets(record)
        reader = self._reader() if secrets else None
        shown, masked = redact_image(
            data, secrets, where, find_text=reader, keep=self._advertiser(record)
        )
        return shown, masked_summary(masked) if masked else []

    def hidden(self, record: dict[str, Any]) -> set[str]:
        values: set[str] = set()
        for kind, value in self._secrets(record):
            values |= {value, "".join(ch for ch in value if ch.isalnum()) if kind != "url" else ""}
        contacts = record.get("contacts") or []
        found = {str(c.get("value")): str(c.get("normalized")) for c in contacts}
        values |= {found[v] for v in list(values) if v in found}
        return {v for v in values if v}

    def _secrets(self, record: dict[str, Any]) -> list[tuple[str, str]]:
        """Contacts in the comments that are not the advertiser's, as (kind, value)."""
        from crawler.reading.detect.contacts import extract
        from crawler.reading.detect.normalize import normalize

        _pitch, comments = split_comments(record, str(record.get("text") or ""))
        if not comments:
            return []
        ours = self._advertiser(record)
        found = extract(normalize(comments))
        return [(c.kind, c.value) for c in found if c.kind != "url" and c.normalized not in ours]

    def _advertiser(self, record: dict[str, Any]) -> set[str]:
        """The advertiser's contacts: those in what it published, and its
        operator's (worked out once per record: every field and picture asks)."""
        key = str(record.get("id", ""))
        if key not in self._ours:
            self._ours[key] = self._find_advertiser(record)
        return self._ours[key]

    def _find_advertiser(self, record: dict[str, Any]) -> set[str]:
        from crawler.reading.detect.contacts import extract
        from crawler.reading.detect.normalize import normalize

        pitch, _comments = split_comments(record, str(record.get("text") or ""))
        author = str((record.get("author") or {}).get("name") or "")
        said = [str(record.get("title") or ""), pitch, author]
        for image in record.get("images") or []:
            ocr = image.get("ocr") or {}
            said.append(str(ocr.get("text") or ""))
            said += [str(q) for q in ocr.get("qr") or []]
        ours = {c.normalized for c in extract(normalize("\n".join(said)))}
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
        from crawler.reading.ocr import engine, read_image

        ocr = engine(self.ocr_engine)

        def read(data: bytes) -> list[tuple[str, list[list[int]]]]:
            with _ocr_lock:  # one engine, read by one exhibit thread at a time
                return [(line.text, line.box) for line in read_image(data, ocr).lines]

        return read


def split_comments(record: dict[str, Any], text: str) -> tuple[str, str]:
    """The text as (what the advertiser wrote, the comments under it).  The
    crawler appends a video's comments to its text, one per line, so they
    are cut off the end by position (never by value: a comment "1" must not
    take every 1 out of a phone number)."""
    comments = [str(c) for c in (record.get("extra") or {}).get("comments") or []]
    tail = "\n".join(comments)
    if comments and tail and text.endswith(tail):
        return text[: len(text) - len(tail)], tail
    return text, ""


_ocr_lock = threading.Lock()


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
    """Select, render, attach, sign and pack one dossier into ``out``.
    JobError when ads match the selection but, asked for confirmed ads only
    (``selection.confirmed_only``), none is confirmed."""
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
        try:
            dossier = build(
                catalogue,
                store,
                selection,
                regulator,
                out / "assets",
                redactor,
                progress=lambda n, total: say(f"exhibit {n}/{total}"),
            )
        except LookupError:
            _none_confirmed(catalogue, selection)
            raise
    seconds["build"] = time.perf_counter() - started
    if store is not None and dossier.bundles:
        _leave_out_damaged(store, dossier)
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
    _instructions(out, dossier, regulator, pdf_path is not None)
    (out / "SHA256SUMS").write_text(_sums(out), encoding="utf-8")
    zip_path = _zip(out) if make_zip else None
    seconds["total"] = time.perf_counter() - started
    masked = sum(len(e.masked) for e in dossier.exhibits)
    return DossierResult(
        out, html, pdf_path, zip_path, len(dossier.exhibits), pages, masked, signed, seconds,
        [str(e.record.get("id", "")) for e in dossier.exhibits],
    )


def _none_confirmed(catalogue: Any, selection: Selection) -> None:
    """When ads match but none is confirmed, say so and how to go on (raises
    JobError); otherwise return, and the caller's error stands."""
    if not selection.confirmed_only:
        return
    matched, _operator, _note = select(catalogue, replace(selection, confirmed_only=False))
    if matched:
        raise JobError(
            f"{len(matched)} ads match, but no analyst has confirmed any of them, and a "
            "dossier lists confirmed ads only: review them in the workbench (adwatch web) "
            "or with adwatch review RECORD_ID --confirm, or pass --unreviewed to include "
            "unreviewed detections (the cover then says so)"
        )


MARKER = ".adwatch-dossier"  # written into every dossier folder adwatch makes


def _prepare(out: Path) -> None:
    """A new folder, or one adwatch made for an earlier dossier (its marker
    file says so, and it is replaced whole); any other non-empty folder is
    refused rather than emptied."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise FileExistsError(
                f"{out} is not empty and is not a dossier folder adwatch made; not touched"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by adwatch dossier; replaced whole by the next one\n")


def _leave_out_damaged(store: EvidenceStore, dossier: Dossier) -> None:
    """Only bundles whose manifest and artifacts are all there as sealed go
    with the dossier; a damaged one is said on its exhibit's page (`adwatch
    verify` names what is wrong) and the dossier goes on without it."""
    from evidence.verify import Verifier

    report = Verifier(store, tokens=False).run(dossier.bundles)
    damaged = {b.bundle_id for b in report.bundles if b.state == "failed"}
    if not damaged:
        return
    logger.error("%d bundles fail their check and are left out", len(damaged))
    dossier.bundles = [b for b in dossier.bundles if b not in damaged]
    for e in dossier.exhibits:
        if e.bundle_id in damaged:
            e.problems.insert(
                0, "该证据包未通过完整性校验（adwatch verify 可查明原因），未随本材料附送"
            )


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
    info = write_pdf(html, path, attachments, title=str(reg["subject"]), subject=dossier.selection)
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
        if art and store.blob_path(str(art["sha256"])).exists():
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


def _instructions(out: Path, dossier: Dossier, regulator: str, pdf: bool) -> None:
    zh = [f"本文件夹是 adwatch 生成的证据材料（{regulator}），{len(dossier.exhibits)} 则广告。"]
    en = [f"An evidence dossier made by adwatch ({regulator}), {len(dossier.exhibits)} ads:"]
    if pdf:
        zh.append(
            "- dossier.pdf：供阅读与打印的材料（PDF/A-3b），"
            "证据包清单、时间戳与网络通信记录作为附件嵌入其中；"
        )
        en.append("- dossier.pdf: PDF/A-3b, the bundles' manifests, tokens and WACZ attached;")
    zh.append("- dossier.html 与 assets/：同一材料的网页版本；")
    en.append("- dossier.html with assets/: the same as a web page;")
    if dossier.bundles:
        zh.append(
            f"- evidence/：{len(dossier.bundles)} 个证据包原件（含未遮挡的原图）。进入该文件夹运行 "
            "python3 verify.py，或按其中 README.txt 的步骤，仅用 sha256sum 与 openssl "
            "即可核验每个文件的哈希值、账本与可信时间戳；"
        )
        en.append(
            f"- evidence/: the {len(dossier.bundles)} sealed bundles (unmasked originals); run "
            "`python3 verify.py` there, or follow its README.txt with sha256sum and openssl;"
        )
    else:
        zh.append("- 本材料中的广告尚无电子证据包。")
        en.append("- none of these ads has an evidence bundle yet.")
    zh.append("- SHA256SUMS：本文件夹全部文件的 SHA-256（sha256sum -c SHA256SUMS）。")
    en.append("- SHA256SUMS: every file here (sha256sum -c SHA256SUMS).")
    zh.append("材料中遮挡的个人信息仅作用于展示，证据包中的原件未作改动。")
    text = "\n".join([*zh, "", *en]) + "\n"
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
