"""Export bundles as a package a regulator can check without us.

The recipient (an official at 网信办 or 市场监督管理局, or their technician)
has neither adwatch nor our store, so the package carries everything needed
to check it with ``sha256sum`` and ``openssl`` alone, or with ``verify.py``
(a copy of :mod:`evidence.offline_verify`: one file, Python standard library)::

    README.txt                    what this is and how to check it, Chinese then English
    verify.py                     the standalone checker
    SHA256SUMS                    `sha256sum -c` list of every other file
    bundles.json                  the package's own list of its bundles, machine-readable:
                                  id, the seq of the ledger line that seals it, stamped or not
    ledger.jsonl                  the ledger lines from the first bundle's "bundle"
                                  line to the last line about any exported bundle
    tsa/ca.pem                    the TSA trust root(s), when given
    bundles/<id>/manifest.json    byte-exact, so its SHA-256 is still the id
    bundles/<id>/timestamp.tsr    the token, when the bundle is stamped
    bundles/<id>/timestamp-2.tsr  a second token, from another TSA, when it has one
    bundles/<id>/files/<name>     every artifact under its manifest name

Why so: everything is copied byte for byte (a re-encoded manifest or ledger
line would no longer hash to what was sealed); the ledger excerpt is
contiguous, so its chain can be followed from line to line, and lines about
bundles not exported stay in it (dropping them would break the chain; they
reveal only ids and times).  Because of those, neither the ledger excerpt nor
SHA256SUMS can tell which bundles the package is meant to hold: a bundle folder
removed with its SHA256SUMS lines would leave a package that still checks.
bundles.json (hashed in SHA256SUMS; README.txt lists the same ids for people)
says so, and verify.py holds it against the folders present and the ledger
lines carried, naming each bundle missing or added.  The package is written
to a temporary folder and renamed into place, and every byte copied from the
store is re-hashed on the way, so a package is either whole and as sealed, or
not there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from evidence.offline_verify import (
    BEIJING_SECONDS,
    LISTING,
    artifact_name_problem,
    epoch_of_utc_iso,
    printable,
    shown,
)
from evidence.store import COPY_KEY, EvidenceStore, StoreError, sha256, token_name

VERIFY_SOURCE = Path(__file__).with_name("offline_verify.py")
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    zip: Path | None
    bundles: tuple[str, ...]
    files: int  # files in the package folder
    bytes: int  # their total size


@dataclass(frozen=True)
class _Planned:
    """One bundle as it will be exported: checked against the store beforehand."""

    id: str
    manifest: bytes
    artifacts: dict[str, dict[str, Any]]
    token: bytes | None
    captured_at: str
    url: str
    gen_epoch: int | None  # the token's genTime, whole seconds since 1970
    # the further tokens (other TSAs): (file name, bytes, genTime in seconds since 1970)
    more_tokens: tuple[tuple[str, bytes, int | None], ...] = ()


def export_bundles(
    store: EvidenceStore,
    bundle_ids: Sequence[str],
    out: Path,
    trust: Path | None,
    *,
    make_zip: bool = False,
) -> ExportResult:
    """Write the package for ``bundle_ids`` to ``out`` (new or empty) and, with
    ``make_zip``, ``<out>.zip``.  ``trust``: the TSA root(s), PEM, copied to
    tsa/ca.pem.  Raises ValueError for unknown ids, a non-empty ``out``,
    an unusable artifact name or trust file; StoreError if the store no longer
    holds a bundle as sealed (``adwatch verify`` says more)."""
    out = Path(out).absolute()
    zip_path = out.with_name(out.name + ".zip") if make_zip else None
    _check_destination(out, zip_path)
    ids = _known(store, bundle_ids)
    trust_pem = _trust(trust)
    excerpt = _ledger_excerpt(store, set(ids))
    stamps = store.stamps()
    planned = [_plan(store, bundle_id, stamps) for bundle_id in ids]
    now = datetime.now(UTC)
    work = out.with_name(f".{out.name}.export-{os.getpid()}")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    try:
        _write_package(store, work, planned, excerpt, trust_pem, now)
        files = sorted(_files(work))
        if out.exists():
            out.rmdir()  # empty, as checked
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if zip_path is not None:
        _zip(out, files, zip_path, now)
    size = sum((out / rel).stat().st_size for rel in files)
    return ExportResult(out, zip_path, tuple(ids), len(files), size)


# --- what may be exported ----------------------------------------------------------------


def _check_destination(out: Path, zip_path: Path | None) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} exists and is not an empty folder: export to a new one")
    if zip_path is not None and zip_path.exists():
        raise ValueError(f"{zip_path} exists already")


def _known(store: EvidenceStore, bundle_ids: Sequence[str]) -> list[str]:
    """The ids, once each, in ledger order; every one must be a sealed bundle."""
    wanted = list(dict.fromkeys(bundle_ids))
    if not wanted:
        raise ValueError("no bundle to export")
    order: dict[str, int] = {}
    for n, bundle_id in enumerate(store.bundle_ids()):
        order.setdefault(bundle_id, n)
    unknown = [
        b
        for b in wanted
        if b not in order or not set(b) <= _HEX or not store.bundle_path(b).exists()
    ]
    if unknown:
        names = ", ".join(repr(shown(b, 80)) for b in unknown)
        raise ValueError(f"not a sealed bundle of the store at {store.root}: {names}")
    return sorted(wanted, key=order.__getitem__)


def _trust(trust: Path | None) -> bytes | None:
    from evidence.timestamp import trust_roots

    if trust is None:
        return None
    try:
        pem = trust_roots(Path(trust))  # a PEM file, or a folder of them
        x509.load_pem_x509_certificates(pem)
    except OSError as exc:
        raise ValueError(str(exc).replace("TSA root", "trust root", 1)) from exc
    except ValueError as exc:
        raise ValueError(f"trust root {trust} is not PEM certificates: {exc}") from exc
    return pem


def _ledger_excerpt(store: EvidenceStore, ids: set[str]) -> bytes:
    """The ledger's lines, byte for byte, from the first "bundle" line of an
    exported bundle to the last line about any of them."""
    lines = store.ledger_path.read_bytes().splitlines(keepends=True)
    first = last = None
    for n, raw in enumerate(lines):
        try:
            entry = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise StoreError(f"ledger line {n + 1} is not a ledger entry") from exc
        if first is None and entry.get("bundle") in ids:
            first = n
        if (
            entry.get("bundle") in ids
            or entry.get("timestamp") in ids
            or entry.get(COPY_KEY) in ids
        ):
            last = n
    if first is None or last is None:
        raise StoreError("the exported bundles are not in the ledger")
    return b"".join(lines[first : last + 1])


def _plan(store: EvidenceStore, bundle_id: str, stamps: dict[str, dict[str, Any]]) -> _Planned:
    """A bundle's manifest and token, checked against its id and the ledger,
    and its artifact names, checked to be safe file names."""
    body = store.bundle_path(bundle_id).read_bytes()
    if sha256(body) != bundle_id:
        raise StoreError(f"bundle {bundle_id}: manifest changed (its SHA-256 is not its id)")
    manifest = json.loads(body)
    artifacts = dict(manifest.get("artifacts") or {})
    _check_names(bundle_id, list(artifacts))
    stamp = stamps.get(bundle_id)
    token, gen_epoch = None, None
    if stamp is not None:
        path = store.timestamp_path(bundle_id)
        token = path.read_bytes() if path.exists() else b""
        if sha256(token) != stamp.get("tsr_sha256"):
            raise StoreError(f"bundle {bundle_id}: time-stamp token changed or removed")
        gen_epoch = _gen_epoch(bundle_id, token, stamp)
    more: list[tuple[str, bytes, int | None]] = []
    for line in store.tokens(bundle_id)[1:]:
        copy = int(line.get("copy") or 0)
        path = store.timestamp_path(bundle_id, copy)
        data = path.read_bytes() if copy > 1 and path.exists() else b""
        if sha256(data) != line.get("tsr_sha256"):
            raise StoreError(f"bundle {bundle_id}: time-stamp token {copy} changed or removed")
        more.append((token_name(copy), data, _gen_epoch(bundle_id, data, line)))
    about = manifest.get("about")
    about = about if isinstance(about, dict) else {}
    return _Planned(
        id=bundle_id,
        manifest=body,
        artifacts=artifacts,
        token=token,
        captured_at=str(manifest.get("captured_at", "")),
        url=str(about.get("url", "")),
        gen_epoch=gen_epoch,
        more_tokens=tuple(more),
    )


def _gen_epoch(bundle_id: str, token: bytes, stamp: dict[str, Any]) -> int | None:
    """The token's genTime as read from the token itself (the ledger's copy
    of it only if the token cannot be read: README's commands must work)."""
    from evidence.timestamp import check_token

    gen_time = check_token(token, bundle_id, None).gen_time or str(stamp.get("gen_time", ""))
    return epoch_of_utc_iso(gen_time)


def _check_names(bundle_id: str, names: list[str]) -> None:
    """Refuse names that could land outside files/, and names that collide on a
    case-insensitive disk (Windows, macOS), where recipients often unpack."""
    files: set[str] = set()
    folders: set[str] = set()
    for name in names:
        problem = artifact_name_problem(name)
        if problem:
            raise ValueError(f"bundle {bundle_id}: artifact name {shown(name)!r} {problem}")
        key = name.lower()
        folder = key.rpartition("/")[0]
        if key in files or key in folders or folder in files:
            raise ValueError(
                f"bundle {bundle_id}: artifact name {shown(name)!r} collides with another "
                "(names differing only in case, or a file named like a folder)"
            )
        files.add(key)
        if folder:
            folders.add(folder)


# --- writing -------------------------------------------------------------------------------


def _write_package(
    store: EvidenceStore,
    root: Path,
    planned: list[_Planned],
    excerpt: bytes,
    trust_pem: bytes | None,
    now: datetime,
) -> None:
    for bundle in planned:
        folder = root / "bundles" / bundle.id
        _write(folder / "manifest.json", bundle.manifest)
        if bundle.token is not None:
            _write(folder / "timestamp.tsr", bundle.token)
        for name, data, _epoch in bundle.more_tokens:
            _write(folder / name, data)
        for name, art in bundle.artifacts.items():
            _copy_blob(store, bundle.id, name, art, folder / "files" / name)
    _write(root / "ledger.jsonl", excerpt)
    _write(root / LISTING, listing(planned, excerpt, now))
    if trust_pem is not None:
        _write(root / "tsa" / "ca.pem", trust_pem)
    _write(root / "verify.py", VERIFY_SOURCE.read_bytes())
    _write(root / "README.txt", readme(planned, trust_pem, now).encode("utf-8"))
    _write(root / "SHA256SUMS", _sums(root))


def listing(planned: list[_Planned], excerpt: bytes, now: datetime) -> bytes:
    """bundles.json: every exported bundle's id, in ledger order, with the seq
    of the excerpt's line that seals it and whether its token is included, so
    the recipient's verify.py can tell a bundle removed from the package (or
    one added) from the package as it was made."""
    seqs: dict[str, object] = {}
    for raw in excerpt.splitlines():
        entry = json.loads(raw)
        if "bundle" in entry:
            seqs.setdefault(str(entry["bundle"]), entry.get("seq"))
    body = {
        "about": "the bundles of this adwatch evidence package (README.txt lists them too)",
        "version": 1,
        "exported_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "count": len(planned),
        "bundles": [
            {
                "id": b.id,
                "ledger_seq": seqs.get(b.id),
                "timestamped": b.token is not None,
                "tokens": (b.token is not None) + len(b.more_tokens),
            }
            for b in planned
        ],
    }
    text = json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True)
    return (text + "\n").encode("utf-8")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _copy_blob(
    store: EvidenceStore, bundle_id: str, name: str, art: dict[str, Any], target: Path
) -> None:
    """Copy an artifact, hashing it on the way: what is exported is what was sealed."""
    source = store.blob_path(str(art.get("sha256", "")))
    h = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with source.open("rb") as src, target.open("xb") as dst:
            while chunk := src.read(1 << 20):
                h.update(chunk)
                size += len(chunk)
                dst.write(chunk)
    except FileNotFoundError as exc:
        raise StoreError(f"bundle {bundle_id}: artifact {name!r} is missing") from exc
    if (h.hexdigest(), size) != (art.get("sha256"), art.get("size")):
        raise StoreError(f"bundle {bundle_id}: artifact {name!r} changed since it was sealed")


def _files(root: Path) -> Iterator[str]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path.relative_to(root).as_posix()


def _sums(root: Path) -> bytes:
    lines = []
    for rel in sorted(_files(root)):
        if rel != "SHA256SUMS":
            lines.append(f"{_file_sha256(root / rel)}  {rel}\n")
    return "".join(lines).encode("utf-8")


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _zip(folder: Path, files: list[str], zip_path: Path, now: datetime) -> None:
    """``<out>.zip``: the package under its folder name, files in sorted order,
    all dated at the export (so the same package always zips the same way)."""
    stamp = now.timetuple()[:6]
    work = zip_path.with_name(f".{zip_path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(work, "w", zipfile.ZIP_DEFLATED) as zf:
            for rel in files:
                info = zipfile.ZipInfo(f"{folder.name}/{rel}", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with (folder / rel).open("rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        work.rename(zip_path)
    except BaseException:
        work.unlink(missing_ok=True)
        raise


# --- README.txt ----------------------------------------------------------------------------


def fingerprints(pem: bytes) -> list[tuple[str, str]]:
    """(subject, SHA-256 fingerprint over the DER) of each certificate, the
    fingerprint as ``openssl x509 -noout -fingerprint -sha256`` prints it."""
    found = []
    for cert in x509.load_pem_x509_certificates(pem):
        digest = cert.fingerprint(hashes.SHA256()).hex().upper()
        pairs = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
        found.append((cert.subject.rfc4514_string(), pairs))
    return found


def verify_command(bundle_id: str, attime: object, token: str = "timestamp.tsr") -> str:
    """The ``openssl ts -verify`` command for one token of a bundle, judged at
    its genTime (``-attime`` takes whole seconds since 1970, as README.txt explains)."""
    return (
        f"openssl ts -verify -digest {bundle_id} -in bundles/{bundle_id}/{token} "
        f"-CAfile tsa/ca.pem -attime {attime}"
    )


def readme(planned: list[_Planned], trust_pem: bytes | None, now: datetime) -> str:
    """README.txt: what the package is and how to check it by hand, Chinese then English."""
    commands = []
    for b in planned:
        if b.gen_epoch:
            commands.append(f"     {verify_command(b.id, b.gen_epoch)}")
        commands += [
            f"     {verify_command(b.id, epoch, name)}" for name, _, epoch in b.more_tokens if epoch
        ]
    return README.format(
        now=now.strftime("%Y-%m-%d %H:%M:%S UTC"),
        count=len(planned),
        example=planned[0].id,
        bundles_zh="\n".join(_bundle_lines(planned, "zh")),
        bundles_en="\n".join(_bundle_lines(planned, "en")),
        verify_commands="\n".join(commands) or "     (无/none)",
        root_zh=_root_text(trust_pem, "zh"),
        root_en=_root_text(trust_pem, "en"),
        verify_zh="     " + verify_command("<编号>", "<秒数>"),
        verify_en="     " + verify_command("<id>", "<seconds>"),
        line_hash="       " + LINE_HASH,
        ca_zh="时间戳机构的根证书（信任根）" if trust_pem else "（本包中没有，见第五部分）",
        ca_en="the TSA's root certificate (the trust root)"
        if trust_pem
        else "(not in this package: see part 5)",
    )


def _bundle_lines(planned: list[_Planned], lang: str) -> Iterator[str]:
    """Each bundle: id, capture time (UTC and Beijing), URL (escaped: ad text
    is hostile), number of files, time-stamp."""
    for n, b in enumerate(planned, 1):
        epoch = epoch_of_utc_iso(b.captured_at)
        utc = _clock(epoch) if epoch is not None else shown(b.captured_at, 40)
        beijing = _clock(epoch + BEIJING_SECONDS) if epoch is not None else "?"
        stamped = f"{_clock(b.gen_epoch)} UTC" if b.gen_epoch is not None else ""
        for name, _, epoch in b.more_tokens:  # the other TSAs' tokens
            stamped += f"; {name} {_clock(epoch) + ' UTC' if epoch is not None else '?'}"
        yield f"  {n}. {b.id}"
        if lang == "zh":
            yield f"     采集时间：{utc} UTC（北京时间 {beijing}）"
            yield f"     网址：{shown(b.url)}"
            yield f"     文件：{len(b.artifacts)} 个；时间戳：{stamped or '无（导出时尚未取得）'}"
        else:
            yield f"     captured: {utc} UTC (Beijing time {beijing})"
            yield f"     URL: {shown(b.url)}"
            yield (
                f"     files: {len(b.artifacts)}; "
                f"time-stamp: {stamped or 'none (not yet time-stamped when exported)'}"
            )


def _clock(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _root_text(trust_pem: bytes | None, lang: str) -> str:
    """The trust root paragraph: its fingerprint(s), to compare with the TSA's."""
    if trust_pem is None:
        return NO_ROOT_ZH if lang == "zh" else NO_ROOT_EN
    prints = "\n".join(
        f"    {fp}\n      ({printable(subject)})" for subject, fp in fingerprints(trust_pem)
    )
    return (ROOT_ZH if lang == "zh" else ROOT_EN).format(fingerprints=prints)


# a ledger line's own hash by hand: drop its "hash" field, hash the rest
LINE_HASH = (
    "sed -n 'Np' ledger.jsonl | sed -E 's/\"hash\":\"[0-9a-f]{64}\",?//; s/,}$/}/' "
    "| tr -d '\\n' | sha256sum"
)

NO_ROOT_ZH = """\
本包不含时间戳机构的根证书（没有 tsa/ca.pem）。请直接向时间戳机构索取其根证书，
核对其公布的指纹后，用它代替上文命令中的 tsa/ca.pem，或运行
    python3 verify.py --ca <根证书文件>"""

NO_ROOT_EN = """\
This package holds no root certificate of the time-stamp authority (no
tsa/ca.pem). Obtain the root from the TSA itself, check the fingerprint it
publishes, and use it in place of tsa/ca.pem in the commands, or run
    python3 verify.py --ca <root certificate file>"""

ROOT_ZH = """\
tsa/ca.pem 是时间戳机构的根证书。它的 SHA-256 指纹（即
openssl x509 -noout -fingerprint -sha256 -in tsa/ca.pem 显示的值）为：
{fingerprints}
请务必将它与时间戳机构公开发布的指纹比对：只有一致，本包中的时间戳才可信。
这份根证书由导出方提供，不能代替这一比对。"""

ROOT_EN = """\
tsa/ca.pem is the time-stamp authority's root certificate. Its SHA-256
fingerprint (what openssl x509 -noout -fingerprint -sha256 -in tsa/ca.pem
prints) is:
{fingerprints}
Compare it with the fingerprint the time-stamp authority publishes: only if
they match can the time-stamps in this package be trusted. This copy of the
root comes from whoever exported the package and cannot replace that check."""

README = """\
adwatch 证据包 / adwatch evidence package
导出时间 / exported: {now}
证据包数量 / bundles: {count}
(English follows the Chinese.)


一、这是什么
============
本文件夹是 adwatch 导出的网络广告证据。adwatch 是一个发现违法"反催收"广告
（宣传"停催""债务协商""征信修复"等的广告）并保全证据的监测工具。每个"证据包"
（bundle）是对一个网页的一次采集：截图、网页源代码、图片等文件，以及一份清单
manifest.json，清单记录采集时间、网址，以及每个文件的 SHA-256 值和大小。

证据包的编号就是其 manifest.json 的 SHA-256 值，所以编号本身证明清单未被改动，
清单又以哈希值证明每个文件未被改动。时间戳机构（TSA，RFC 3161）对证据包编号
签发的时间戳证明：该证据包最晚在时间戳所载时刻已经存在。ledger.jsonl 是 adwatch
账本的连续摘录：每行记录一次封存或一次时间戳，并带有上一行的哈希值，任何一行
被删改、插入或调换顺序都会被发现。

本包中的证据包：
{bundles_zh}


二、文件说明
============
  README.txt                     本说明（中文在前，英文在后）
  verify.py                      自动核验程序：只用 Python 标准库，只读取文件，
                                 不做任何修改，不联网
  SHA256SUMS                     本文件夹中其他所有文件的 SHA-256 值（sha256sum 格式）
  bundles.json                   本包所含证据包的列表（机器可读）：编号、账本中封存它的行的
                                 序号（seq）、是否附有时间戳；与第一部分所列编号相同
  ledger.jsonl                   账本摘录，原样保留：从第一个导出证据包的封存记录起，
                                 到与导出证据包有关的最后一行止。其中也可能有未导出
                                 证据包的行：保留它们，哈希链才不中断
  tsa/ca.pem                     {ca_zh}
  bundles/<编号>/manifest.json   证据包清单（原样；其 SHA-256 即编号）
  bundles/<编号>/timestamp.tsr   时间戳（RFC 3161 TimeStampResp，DER 格式）
  bundles/<编号>/timestamp-2.tsr 另一家时间戳机构对同一编号签发的第二个时间戳（如有）
  bundles/<编号>/files/<名称>    采集到的文件，名称即清单 "artifacts" 中的名称


三、自动核验
============
在本文件夹中运行：

    python3 verify.py

（Windows 上为 py verify.py。）需要 Python 3.8 或更高版本；除 openssl 命令外
不需要任何其他软件。没有 openssl 时，时间戳一项显示为"未检查"，绝不显示为
"通过"。每项检查显示为 通过/passed、失败/failed 或 未检查/not checked，并指明
出问题的文件、证据包或账本行。退出码：0 无失败，1 有失败，2 用法错误。
verify.py 可先由贵方技术人员阅读后再运行。


四、手工核验（只需 sha256sum 和 openssl）
========================================
在本文件夹中打开终端（Windows 上可用 certutil -hashfile <文件> SHA256 代替
sha256sum），依次执行：

1. 核对所有文件：
     sha256sum -c SHA256SUMS
   每一行都应显示 OK（中文环境下显示"成功"）。bundles/ 下的文件夹应恰好是
   bundles.json 和第一部分所列的 {count} 个编号，不多也不少：
     ls bundles/

2. 核对证据包编号，对每个证据包：
     sha256sum bundles/<编号>/manifest.json
   显示的值应与编号（即文件夹名）完全相同。例如：
     sha256sum bundles/{example}/manifest.json

3. 核对每个文件：manifest.json 的 "artifacts" 中每个文件都有 "sha256" 和 "size"。
     sha256sum bundles/<编号>/files/<名称>
   显示的值应等于清单中该文件的 "sha256"，文件大小（字节）应等于 "size"。

4. 核对时间戳（每个有 timestamp.tsr 的证据包）。先读出签发时刻：
     openssl ts -reply -in bundles/<编号>/timestamp.tsr -text
   "Time stamp:" 一行即签发时刻（GMT 即 UTC；北京时间 = UTC + 8 小时），
   "Message data" 应为证据包编号。把签发时刻换算为 1970 年以来的秒数，例如：
     date -u -d "Nov 26 12:44:02 2026 GMT" +%s
   再验证（-attime 让证书按签发时刻判断是否有效）：
{verify_zh}
   应显示 "Verification: OK"。本包中各证据包的完整命令：
{verify_commands}

5. 核对账本 ledger.jsonl（每行一个 JSON 对象）：
   - 每行有 seq（序号）、prev（上一行的 hash）和 hash（本行的哈希）。
   - 本行的 hash = 去掉 "hash" 字段后、键名排序、无空格、UTF-8 编码的 JSON 的
     SHA-256。第 N 行可以这样计算（还需要 sed 和 tr；把 N 换成行号）：
{line_hash}
     结果应等于该行的 "hash"。
   - 相邻两行：seq 逐行加 1，后一行的 prev 等于前一行的 hash。第一行的 seq
     若为 1，其 prev 应为 64 个 0。
   - 每个证据包都有一行 {{"bundle": "<编号>", ...}}；有时间戳的还有一行
     {{"timestamp": "<编号>", "tsr_sha256": ..., "gen_time": ...}}，其中 tsr_sha256
     应等于 sha256sum bundles/<编号>/timestamp.tsr 显示的值；有第二个时间戳的还有一行
     {{"timestamp_copy": "<编号>", "copy": 2, "tsr_sha256": ...}}，其 tsr_sha256 应等于
     sha256sum bundles/<编号>/timestamp-2.tsr 显示的值。


五、信任根与编号
================
{root_zh}

以上核验证明：各文件与编号相符，且编号在时间戳时刻已经存在。编号本身请与移送
函等另行收到的材料中所列编号核对。


========================================================================

1. What this is
===============
This folder holds evidence of online advertisements exported by adwatch, a
monitoring tool that finds illegal "anti-debt-collection" (反催收) ads (ads
offering to "stop collection", "negotiate debts", "repair credit records")
and keeps evidence of them.  Each bundle is one capture of one web page:
screenshot, page source, images and other files, plus a manifest
(manifest.json) giving the capture time, the URL, and each file's SHA-256
and size.

A bundle's id is the SHA-256 of its manifest.json, so the id itself proves
the manifest unchanged, and the manifest's hashes prove every file
unchanged.  A time-stamp token from a time-stamp authority (TSA, RFC 3161)
over the bundle id proves the bundle existed no later than the time in the
token.  ledger.jsonl is a contiguous excerpt of adwatch's ledger: each line
records a sealing or a time-stamp and carries the hash of the line before,
so no line can be edited, removed, inserted or reordered unnoticed.

The bundles in this package:
{bundles_en}


2. The files
============
  README.txt                     this text (Chinese first, then English)
  verify.py                      the automatic check: Python standard library
                                 only; it only reads, changes nothing and
                                 uses no network
  SHA256SUMS                     SHA-256 of every other file (sha256sum format)
  bundles.json                   the list of this package's bundles, machine-
                                 readable: id, the seq of the ledger line that
                                 seals it, time-stamped or not; the same ids as
                                 listed in part 1
  ledger.jsonl                   the ledger excerpt, byte for byte: from the
                                 first exported bundle's sealing line to the
                                 last line about any exported bundle.  Lines
                                 about bundles not exported may be among them:
                                 they are kept so the hash chain is unbroken
  tsa/ca.pem                     {ca_en}
  bundles/<id>/manifest.json     the bundle's manifest (as sealed; its SHA-256
                                 is the id)
  bundles/<id>/timestamp.tsr     the time-stamp (RFC 3161 TimeStampResp, DER)
  bundles/<id>/timestamp-2.tsr   a second time-stamp over the same id, from
                                 another time-stamp authority (when there is one)
  bundles/<id>/files/<name>      the captured files, named as in the
                                 manifest's "artifacts"


3. Automatic check
==================
In this folder run:

    python3 verify.py

(On Windows: py verify.py.)  It needs Python 3.8 or newer and no other
software but the openssl command; without openssl the time-stamps are shown
as "not checked", never as "passed".  Each check prints as 通过/passed,
失败/failed or 未检查/not checked, naming the file, bundle or ledger line of
each problem.  Exit status: 0 nothing failed, 1 something failed, 2 usage
error.  Your technician may read verify.py before running it.


4. Checking by hand (sha256sum and openssl only)
================================================
Open a terminal in this folder (on Windows, certutil -hashfile <file> SHA256
does what sha256sum does) and:

1. Check every file:
     sha256sum -c SHA256SUMS
   Every line must say OK.  The folders in bundles/ must be exactly the
   {count} ids listed in bundles.json and in part 1, none missing, none added:
     ls bundles/

2. Check each bundle id:
     sha256sum bundles/<id>/manifest.json
   must print the id (the folder name) itself, e.g.
     sha256sum bundles/{example}/manifest.json

3. Check each file: in manifest.json, "artifacts" gives each file's "sha256"
   and "size".
     sha256sum bundles/<id>/files/<name>
   must print that "sha256", and the file's size in bytes must be "size".

4. Check each time-stamp (each bundle with a timestamp.tsr).  Read the time:
     openssl ts -reply -in bundles/<id>/timestamp.tsr -text
   "Time stamp:" is when the TSA signed (GMT is UTC; Beijing time is UTC+8);
   "Message data" must be the bundle id.  Turn the time into seconds since
   1970, e.g.
     date -u -d "Nov 26 12:44:02 2026 GMT" +%s
   and verify (-attime judges the certificates at the time of signing):
{verify_en}
   It must print "Verification: OK".  The commands for this package are
   listed in part 四 above.

5. Check the ledger, ledger.jsonl (one JSON object per line):
   - each line has seq (its number), prev (the hash of the line before) and
     hash (its own hash);
   - a line's hash is the SHA-256 of the line without its "hash" field, as
     JSON with sorted keys, no spaces, UTF-8.  For line N (this needs sed and
     tr too; put the line number for N):
{line_hash}
     must print the line's "hash";
   - from line to line seq goes up by 1 and prev is the hash of the line
     before; if the first line's seq is 1, its prev is 64 zeros;
   - each bundle has a line {{"bundle": "<id>", ...}}, and a time-stamped one
     also {{"timestamp": "<id>", "tsr_sha256": ..., "gen_time": ...}} whose
     tsr_sha256 must be what sha256sum bundles/<id>/timestamp.tsr prints; one
     with a second token also {{"timestamp_copy": "<id>", "copy": 2,
     "tsr_sha256": ...}} whose tsr_sha256 is what sha256sum
     bundles/<id>/timestamp-2.tsr prints.


5. The trust root and the ids
=============================
{root_en}

These checks prove the files match their ids and the ids existed at the
time-stamps.  Compare the ids themselves with those listed in the referral
letter or other papers received separately.
"""
