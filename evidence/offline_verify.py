#!/usr/bin/env python3
"""Check an adwatch evidence package, without adwatch.  核验 adwatch 证据包（无需安装 adwatch）。

English
-------
Run ``python3 verify.py [PACKAGE_DIR]`` (Python 3.8 or newer, standard library
only; the ``openssl`` command is used when present).  PACKAGE_DIR defaults to
the folder this file is in.  The program only reads: it changes, adds and
deletes nothing, and it never uses the network.  It checks, and reports every
problem it finds rather than stopping at the first:

1. SHA256SUMS: every file it lists is present with that SHA-256, and no file
   is present that it does not list;
   bundles.json (the package's list of its bundles, the same ids README.txt
   lists): every bundle it lists has its folder and a ledger line that seals
   it, and no bundle folder is there that it does not list (a bundle removed
   with its SHA256SUMS lines is named, not passed over);
2. each bundle (bundles/<id>/): the SHA-256 of manifest.json is the bundle id
   (the folder name); every artifact the manifest lists is in files/ with the
   SHA-256 and size the manifest gives, and nothing else is there;
3. ledger.jsonl (an excerpt of adwatch's hash-chained ledger): each line's own
   hash, consecutive sequence numbers, each line's "prev" equal to the hash of
   the line before; every bundle has its "bundle" line; every timestamp.tsr is
   the token its "timestamp" line noted (same SHA-256), and every further
   token from another time-stamp authority (timestamp-2.tsr...) the one its
   own "timestamp_copy" line noted;
4. each RFC 3161 time-stamp token (every one of a bundle stamped by several
   time-stamp authorities), with ``openssl ts -verify``: it is over
   this bundle id, its signature is good and its signer chains to
   tsa/ca.pem (or the root given with --ca), judged at the token's genTime.
   Without openssl or a root this check is "not checked", never "passed".

Each check prints as 通过/passed, 失败/failed or 未检查/not checked.  Exit
status: 0 nothing failed, 1 something failed, 2 the command was used wrongly.
Text from the package (URLs, file names) is printed with control characters
and bidi overrides escaped (e.g. \\x1b, \\u202e), so it cannot act on the
terminal.

中文
----
运行 ``python3 verify.py [证据包目录]``（Python 3.8 及以上，只用标准库；如有
``openssl`` 命令则用它核验时间戳）。默认目录为本文件所在的文件夹。本程序只读取
文件：不修改、不添加、不删除任何文件，也不联网。它会检查并列出发现的全部问题
（不会在第一个问题处停止）：

1. SHA256SUMS：所列每个文件都存在且 SHA-256 一致；没有未列出的多余文件；
   bundles.json（本包证据包列表，与 README.txt 所列编号相同）：所列每个证据包都有
   其文件夹和封存它的账本行；没有列表之外的证据包文件夹；
2. 每个证据包（bundles/<编号>/）：manifest.json 的 SHA-256 等于证据包编号（即文件夹
   名）；清单所列每个文件都在 files/ 中，SHA-256 和大小与清单一致，且没有多余文件；
3. ledger.jsonl（adwatch 哈希链账本的摘录）：每行自身的哈希、序号连续、每行的
   "prev" 等于上一行的哈希；每个证据包都有其 "bundle" 行；每个 timestamp.tsr 的
   SHA-256 与其 "timestamp" 行所记一致，另一家时间戳机构签发的 timestamp-2.tsr 等
   与其 "timestamp_copy" 行所记一致；
4. 每个 RFC 3161 时间戳（由多家机构签发的，逐个核验），用 ``openssl ts -verify``：
   针对的是该证据包编号，签名有效，签发者可追溯到 tsa/ca.pem（或 --ca 指定的根证书），
   以时间戳签发时刻为准。
   没有 openssl 或根证书时，此项为“未检查”，绝不显示为“通过”。

每项结果显示为 通过/passed、失败/failed 或 未检查/not checked。退出码：0 无失败，
1 有失败，2 用法错误。证据包中的文字（网址、文件名）中的控制字符和双向控制符会被
转义显示（如 \\x1b、\\u202e），不会影响终端。
"""

from __future__ import annotations

import argparse
import base64
import calendar
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata

PASSED, FAILED, NOT_CHECKED = "passed", "failed", "not_checked"
LABELS = {PASSED: "通过/passed", FAILED: "失败/failed", NOT_CHECKED: "未检查/not checked"}
GENESIS = "0" * 64  # the "prev" of the very first ledger line
SUMS = "SHA256SUMS"
LISTING = "bundles.json"  # the package's own list of its bundles (README.txt lists them too)
CA_IN_PACKAGE = "tsa/ca.pem"
BEIJING_SECONDS = 8 * 3600  # Beijing time is UTC+8 all year (no daylight saving)
OPENSSL_TIMEOUT = 60
MAX_SHOWN = 300  # characters of a URL shown; the rest is counted, not printed
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_SUM_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)\Z")
_UTC_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z\Z")
_OPENSSL_TIME = re.compile(r"([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(\.\d+)? (\d{4}) GMT")
_COPY_FILE = re.compile(r"timestamp-(\d+)\.tsr\Z")  # a bundle's second, third... token
COPY_KEY = "timestamp_copy"  # the ledger key of such a token's line
_README_ID = re.compile(r"^  \d+\. ([0-9a-f]{64})$", re.M)  # README.txt's list of bundles
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_ESCAPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, bidi, format, unassigned


# --- text and time ------------------------------------------------------------------------


def printable(text: str) -> str:
    """Text made harmless for a terminal: every control, format (bidi
    override, zero-width...) or unassigned character becomes an escape such
    as \\x1b or \\u202e."""
    out = []
    for ch in text:
        if unicodedata.category(ch) in _ESCAPED:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """A value read from the package, escaped and cut to ``limit`` characters."""
    text = printable(str(value))
    if len(text) > limit:
        return f"{text[:limit]}…({len(text) - limit} more characters)"
    return text


def canonical(obj: object) -> bytes:
    """The bytes adwatch hashes a ledger line as: sorted keys, no spaces, UTF-8."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def artifact_name_problem(name: object) -> str:
    """Why ``name`` cannot be an artifact's file name ('' if it can): it must
    be a relative path of one or two parts, with no '..', no backslash and no
    control character, so it can never point outside its bundle."""
    if not isinstance(name, str) or not name:
        return "empty or not text"
    if "\\" in name:
        return "contains a backslash"
    if name.startswith("/"):
        return "is an absolute path"
    if any(unicodedata.category(ch) in _ESCAPED for ch in name):
        return "contains a control character"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "contains an empty, '.' or '..' part"
    if len(parts) > 2:
        return "is nested deeper than one folder"
    return ""


def epoch_of_utc_iso(value: object) -> int | None:
    """'2026-11-25T00:00:01.000000Z' as seconds since 1970 (None if not that form)."""
    found = _UTC_ISO.match(value) if isinstance(value, str) else None
    if found is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
    try:
        return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (ValueError, OverflowError):
        return None


def epoch_of_openssl_time(value: str) -> int | None:
    """'Nov 26 12:44:02.995 2026 GMT' (openssl ts -reply -text) as whole seconds
    since 1970, the fraction dropped: what ``-attime`` takes."""
    found = _OPENSSL_TIME.search(value)
    if found is None or found.group(1) not in _MONTHS:
        return None
    month = _MONTHS.index(found.group(1)) + 1
    day, hour, minute, second = (int(found.group(n)) for n in (2, 3, 4, 5))
    return calendar.timegm((int(found.group(7)), month, day, hour, minute, second, 0, 0, 0))


def pem_fingerprints(pem: bytes) -> list[str]:
    """The SHA-256 fingerprint of each certificate in a PEM file, computed over
    its DER bytes and written as ``openssl x509 -noout -fingerprint -sha256``
    writes it, to compare with the one the time-stamp authority publishes."""
    blocks = re.findall(
        rb"-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----", pem
    )
    found = []
    for block in blocks:
        try:
            der = base64.b64decode(b"".join(block.split()), validate=True)
        except ValueError:
            continue
        digest = hashlib.sha256(der).hexdigest().upper()
        found.append(":".join(digest[i : i + 2] for i in range(0, len(digest), 2)))
    return found


def utc_and_beijing(epoch: int) -> str:
    """One instant in UTC and in Beijing time (UTC+8)."""
    fmt = "%Y-%m-%d %H:%M:%S"
    utc = time.strftime(fmt, time.gmtime(epoch))
    beijing = time.strftime(fmt, time.gmtime(epoch + BEIJING_SECONDS))
    return f"{utc} UTC = {beijing} 北京时间/Beijing time (UTC+8)"


# --- the package's files ------------------------------------------------------------------


class Package:
    """The package folder; each file's SHA-256 is computed once however often asked."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._digests: dict[str, tuple[str, int] | None] = {}

    def path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def is_file(self, rel: str) -> bool:
        path = self.path(rel)
        return os.path.isfile(path) and not os.path.islink(path)

    def read(self, rel: str) -> bytes | None:
        if not self.is_file(rel):
            return None
        with open(self.path(rel), "rb") as f:
            return f.read()

    def digest(self, rel: str) -> tuple[str, int] | None:
        """(SHA-256, size) of a plain file; None if it is missing or not a file."""
        if rel not in self._digests:
            self._digests[rel] = self._hash(rel) if self.is_file(rel) else None
        return self._digests[rel]

    def _hash(self, rel: str) -> tuple[str, int]:
        h = hashlib.sha256()
        size = 0
        with open(self.path(rel), "rb") as f:
            chunk = f.read(1 << 20)
            while chunk:
                h.update(chunk)
                size += len(chunk)
                chunk = f.read(1 << 20)
        return h.hexdigest(), size

    def walk(self, top: str = "") -> tuple[list[str], list[str]]:
        """The files under ``top`` ('/'-separated paths relative to the package),
        and the symbolic links there (a package has none: links are not followed)."""
        files, links = [], []
        for folder, dirs, names in os.walk(self.path(top) if top else self.root):
            rel = os.path.relpath(folder, self.root).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            for name in dirs + names:
                if os.path.islink(os.path.join(folder, name)):
                    links.append(prefix + name)
                elif name in names:
                    files.append(prefix + name)
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        return sorted(files), sorted(links)


class Check:
    """One verdict (passed, failed or not checked) and what was found."""

    def __init__(self, title: str, state: str, notes: list[str]) -> None:
        self.title = title
        self.state = state
        self.notes = notes


def verdict(title: str, problems: list[str], passed_note: str) -> Check:
    if problems:
        return Check(title, FAILED, problems)
    return Check(title, PASSED, [passed_note])


# --- 1. SHA256SUMS ------------------------------------------------------------------------


def check_sums(pkg: Package) -> Check:
    """Each listed file unchanged, and no file that is not listed."""
    title = "文件清单/file list (SHA256SUMS)"
    files, links = pkg.walk()
    problems = [f"{rel} is a symbolic link (a package holds only plain files)" for rel in links]
    raw = pkg.read(SUMS)
    if raw is None:
        problems.append("SHA256SUMS is missing: no file can be checked against it")
        return Check(title, FAILED, problems)
    listed: set[str] = set()
    for n, line in enumerate(raw.decode("utf-8", "surrogateescape").splitlines(), 1):
        found = _SUM_LINE.match(line)
        rel = found.group(2) if found else ""
        if found is None or _unsafe_path(rel):
            problems.append(f"SHA256SUMS line {n} is not '<sha256>  <relative path>': {line}")
            continue
        listed.add(rel)
        want, seen = found.group(1).lower(), pkg.digest(rel)
        if seen is None:
            problems.append(f"{rel} is missing (listed in SHA256SUMS line {n})")
        elif seen[0] != want:
            problems.append(
                f"{rel} was changed: its SHA-256 is {seen[0]}, SHA256SUMS line {n} says {want}"
            )
    for rel in files:
        if rel != SUMS and rel not in listed:
            problems.append(f"{rel} is not listed in SHA256SUMS (added after the export)")
    return verdict(title, problems, f"{len(listed)} files, each with the SHA-256 listed")


def _unsafe_path(rel: str) -> bool:
    """A path that could reach outside the package."""
    parts = rel.split("/")
    return rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in parts)


# --- 3. the ledger excerpt ----------------------------------------------------------------


class Ledger:
    """What ledger.jsonl says: each bundle's line, each token's line, and the
    problems of each line (numbered as in the file, from 1)."""

    def __init__(self) -> None:
        self.present = False
        self.count = 0
        self.seqs: dict[int, object] = {}
        self.bundles: dict[str, int] = {}  # bundle id -> its (first) "bundle" line
        self.stamps: dict[str, tuple[int, dict]] = {}  # bundle id -> its "timestamp" line
        self.copies: dict[str, list[tuple[int, dict]]] = {}  # its "timestamp_copy" lines
        self.about: dict[int, tuple[str, str]] = {}  # line -> ("bundle"/"timestamp", bundle id)
        self.problems: dict[int, list[str]] = {}
        self.whole: list[str] = []  # problems of the file as a whole

    def where(self, n: int) -> str:
        return f"ledger.jsonl line {n} (seq {shown(self.seqs.get(n, '?'), 20)})"

    def broken_up_to(self, last: int) -> list[str]:
        return [p for n in sorted(self.problems) if n <= last for p in self.problems[n]]


def read_ledger(pkg: Package) -> Ledger:
    ledger = Ledger()
    raw = pkg.read("ledger.jsonl")
    if raw is None:
        ledger.whole.append("ledger.jsonl is missing")
        return ledger
    ledger.present = True
    lines = raw.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    else:
        ledger.whole.append("ledger.jsonl does not end with a newline (its last line was cut?)")
    ledger.count = len(lines)
    if not lines:
        ledger.whole.append("ledger.jsonl is empty")
    before: dict | None = None  # the line before, parsed
    for n, line in enumerate(lines, 1):
        entry = _ledger_entry(line)
        if entry is None:
            ledger.problems[n] = [f"ledger.jsonl line {n} is not a ledger entry"]
            before = None
            continue
        ledger.seqs[n] = entry.get("seq")
        problems = _line_problems(ledger.where(n), n, entry, before)
        if problems:
            ledger.problems[n] = problems
        before = entry
        if "timestamp" in entry:
            ledger.stamps[str(entry["timestamp"])] = (n, entry)
            ledger.about[n] = ("timestamp", str(entry["timestamp"]))
        elif COPY_KEY in entry:
            ledger.copies.setdefault(str(entry[COPY_KEY]), []).append((n, entry))
            ledger.about[n] = (COPY_KEY, str(entry[COPY_KEY]))
        elif "bundle" in entry:
            ledger.bundles.setdefault(str(entry["bundle"]), n)
            ledger.about[n] = ("bundle", str(entry["bundle"]))
    return ledger


def _ledger_entry(line: bytes) -> dict | None:
    try:
        entry = json.loads(line.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is one too
        return None
    return entry if isinstance(entry, dict) else None


def _line_problems(where: str, n: int, entry: dict, before: dict | None) -> list[str]:
    """A line's own hash, and its link to the line before (seq and prev)."""
    problems = []
    body = dict(entry)
    claimed = body.pop("hash", None)
    if not isinstance(claimed, str) or hashlib.sha256(canonical(body)).hexdigest() != claimed:
        problems.append(f"{where} was edited: its hash does not match its content")
    seq, prev = entry.get("seq"), entry.get("prev")
    if not isinstance(seq, int) or isinstance(seq, bool):
        problems.append(f"{where} has no sequence number")
    elif before is not None and seq != _next_seq(before):
        problems.append(
            f"{where} follows seq {shown(before.get('seq'), 20)}: "
            "a line is missing, added or out of order before it"
        )
    if before is not None and prev != before.get("hash"):
        problems.append(
            f"{where} does not link to line {n - 1} (its prev is not that line's hash: "
            "a line was removed, inserted or moved)"
        )
    if n == 1 and seq == 1 and prev != GENESIS:
        problems.append(f"{where} is the ledger's first line, but its prev is not 64 zeros")
    return problems


def _next_seq(entry: dict) -> object:
    seq = entry.get("seq")
    return seq + 1 if isinstance(seq, int) else None


def check_ledger(ledger: Ledger) -> Check:
    title = "账本/ledger (ledger.jsonl)"
    problems = ledger.whole + [p for n in sorted(ledger.problems) for p in ledger.problems[n]]
    first, last = (shown(ledger.seqs.get(n, "?"), 20) for n in (1, ledger.count))
    note = (
        f"{ledger.count} lines (seq {first} to {last}): "
        "each line's hash, sequence and link to the line before"
    )
    return verdict(title, problems, note)


# --- 1. the package's list of its bundles -------------------------------------------------


def check_listing(pkg: Package, ledger: Ledger, folders: list[str]) -> Check:
    """The bundles the package says it holds (bundles.json, and README.txt's
    list) against the folders present and the ledger lines it carries.
    SHA256SUMS and the ledger cannot show a bundle removed with its SHA256SUMS
    lines: the ledger keeps lines about bundles not exported too."""
    title = "证据包列表/bundle list (bundles.json)"
    problems: list[str] = []
    readme = pkg.read("README.txt")
    in_readme = _README_ID.findall(readme.decode("utf-8", "replace")) if readme else []
    in_readme = list(dict.fromkeys(in_readme))  # each id is listed in Chinese and in English
    listed, seqs = _listed(pkg, problems)
    if listed is None:
        listed = in_readme
        if listed:
            problems.append("the bundles README.txt lists are checked instead")
    if readme is not None:
        for b in listed:
            if b not in in_readme:
                problems.append(f"bundle {b} is in {LISTING} but not in README.txt's list")
        for b in in_readme:
            if b not in listed:
                problems.append(f"bundle {b} is in README.txt's list but not in {LISTING}")
    present = set(folders)
    for bundle_id in listed:
        n = ledger.bundles.get(bundle_id)
        if bundle_id not in present:
            sealed = "no line of ledger.jsonl seals it"
            if n is not None:
                sealed = f"{ledger.where(n)} still seals it"
            problems.append(
                f"bundle {bundle_id} is listed in {LISTING} but bundles/{bundle_id}/ is missing "
                f"(removed from the package); {sealed}"
            )
        seq = seqs.get(bundle_id)
        if n is not None and seq is not None and ledger.seqs.get(n) != seq:
            problems.append(
                f"{LISTING} says the ledger line of seq {shown(seq, 20)} seals bundle "
                f"{bundle_id}, but {ledger.where(n)} does"
            )
    for name in folders:
        if name not in listed:
            problems.append(
                f"bundles/{shown(name, 80)}/ is not in {LISTING} "
                "(a bundle added to the package, or the list edited)"
            )
    problems += _excerpt_ends(ledger, set(listed))
    digest = pkg.digest(LISTING)
    note = f"{len(listed)} bundles listed, each present and sealed in ledger.jsonl, no other"
    return verdict(
        title, problems, note + (f"; SHA-256 of {LISTING}: {digest[0]}" if digest else "")
    )


def _listed(pkg: Package, problems: list[str]) -> tuple[list[str] | None, dict[str, object]]:
    """The ids bundles.json lists, in its order, and the ledger seq it gives
    each; None (and why, in ``problems``) if it is missing or unreadable."""
    raw = pkg.read(LISTING)
    if raw is None:
        problems.append(f"{LISTING} is missing: the package's own list of its bundles is gone")
        return None, {}
    try:
        body = json.loads(raw.decode("utf-8"))
    except ValueError:
        body = None
    entries = body.get("bundles") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append(f"{LISTING} is not a list of bundles")
        return None, {}
    listed: list[str] = []
    seqs: dict[str, object] = {}
    for entry in entries:
        bundle_id = entry.get("id")
        if not isinstance(bundle_id, str) or not _HEX64.match(bundle_id):
            problems.append(f"{LISTING} lists {shown(bundle_id, 80)!r}, which is not a bundle id")
        elif bundle_id in seqs:
            problems.append(f"{LISTING} lists bundle {bundle_id} twice")
        else:
            listed.append(bundle_id)
            seqs[bundle_id] = entry.get("ledger_seq")
    count = body.get("count") if isinstance(body, dict) else None
    if count != len(entries):
        problems.append(
            f"{LISTING} says it lists {shown(count, 20)} bundles, but lists {len(entries)}"
        )
    return listed, seqs


def _excerpt_ends(ledger: Ledger, listed: set[str]) -> list[str]:
    """An export's ledger excerpt begins with the sealing of its first bundle
    and ends with the last line about any of its bundles: ends about a bundle
    the package does not list mean the list was cut along with the bundle."""
    if not ledger.count or not listed:
        return []
    problems = []
    kind, first = ledger.about.get(1, ("", ""))
    if kind != "bundle" or first not in listed:
        problems.append(
            f"{ledger.where(1)} is not the sealing of a bundle {LISTING} lists: an export's "
            "excerpt begins with its first bundle's sealing line (a bundle and its listing "
            "removed?)"
        )
    last = ledger.about.get(ledger.count, ("", ""))[1]
    if last not in listed:
        problems.append(
            f"{ledger.where(ledger.count)} is not about a bundle {LISTING} lists: an export's "
            "excerpt ends with the last line about its bundles (a bundle and its listing removed?)"
        )
    return problems


# --- 2. and 4. each bundle ----------------------------------------------------------------


class Bundle:
    """One bundles/<id>/ folder and what its checks found."""

    def __init__(self, pkg: Package, bundle_id: str) -> None:
        self.pkg = pkg
        self.id = bundle_id
        self.dir = "bundles/" + bundle_id
        self.manifest: dict = {}
        self.sealed = False  # the manifest is the one the bundle id was computed from
        self.checks: list[Check] = []


def check_bundle(pkg: Package, bundle_id: str, ledger: Ledger, tokens: TokenChecker) -> Bundle:
    bundle = Bundle(pkg, bundle_id)
    bundle.checks = [
        check_manifest(bundle, ledger),
        check_artifacts(bundle),
        check_bundle_line(bundle, ledger),
        check_token_noted(bundle, ledger),
        tokens.check(bundle),
    ]
    # a second (third...) token from another time-stamp authority: each checked on its own
    further = further_tokens(bundle, ledger)
    if further:  # the first token's check then names its TSA too
        bundle.checks[-1] = tokens.check(bundle, "timestamp.tsr", several=True)
    bundle.checks += [tokens.check(bundle, name, several=True) for name in further]
    return bundle


def further_tokens(bundle: Bundle, ledger: Ledger) -> list[str]:
    """The file names of a bundle's tokens beyond timestamp.tsr: those its
    "timestamp_copy" lines note and those present, by number."""
    numbers = set()
    for _, line in ledger.copies.get(bundle.id, []):
        copy = line.get("copy")
        if isinstance(copy, int) and not isinstance(copy, bool) and copy >= 2:
            numbers.add(copy)
    present, _ = bundle.pkg.walk(bundle.dir)
    for rel in present:
        found = _COPY_FILE.match(rel.rpartition("/")[2])
        if found is not None and rel.count("/") == 2:
            numbers.add(int(found.group(1)))
    return [f"timestamp-{n}.tsr" for n in sorted(numbers)]


def check_manifest(bundle: Bundle, ledger: Ledger) -> Check:
    """The bundle id is the SHA-256 of the manifest: that is what proves it."""
    title = "清单/manifest"
    rel = bundle.dir + "/manifest.json"
    body = bundle.pkg.read(rel)
    if body is None:
        return Check(title, FAILED, [f"{rel} is missing"])
    problems = []
    try:
        loaded = json.loads(body.decode("utf-8"))
    except ValueError:
        loaded = None
    if isinstance(loaded, dict):
        bundle.manifest = loaded
    else:
        problems.append(f"{rel} is not a JSON object")
    if not _HEX64.match(bundle.id):
        problems.append(f"{bundle.dir}: the folder name is not a bundle id (64 hex digits)")
    digest = hashlib.sha256(body).hexdigest()
    if digest != bundle.id:
        renamed = ""
        if digest in ledger.bundles:
            line = ledger.where(ledger.bundles[digest])
            renamed = f"; {line} seals a bundle {digest}: the folder was renamed from it"
        problems.append(
            f"the SHA-256 of {rel} is {digest}, not the bundle id "
            f"(the manifest was changed or the folder renamed{renamed})"
        )
    bundle.sealed = not problems
    return verdict(title, problems, "SHA-256 of manifest.json = bundle id")


def check_artifacts(bundle: Bundle) -> Check:
    """Each file the manifest lists, with its SHA-256 and size; nothing added."""
    title = "文件/artifacts"
    if not bundle.sealed:
        return Check(title, NOT_CHECKED, ["not checked: the manifest is not the sealed one"])
    artifacts = bundle.manifest.get("artifacts")
    if not isinstance(artifacts, dict):
        return Check(title, FAILED, ["the manifest lists no artifacts"])
    problems = []
    files = bundle.dir + "/files/"
    for name in sorted(artifacts):
        entry, bad = artifacts[name], artifact_name_problem(name)
        if bad or not isinstance(entry, dict):
            problems.append(f"artifact {shown(name)!r}: unusable name or entry {bad}")
            continue
        want = (entry.get("sha256"), entry.get("size"))
        seen = bundle.pkg.digest(files + name)
        if seen is None:
            problems.append(f"{files}{name} is missing")
        elif seen != want:
            problems.append(
                f"{files}{name} was changed: SHA-256 {seen[0]}, {seen[1]} bytes; "
                f"the manifest says {shown(want[0], 70)}, {shown(want[1], 20)} bytes"
            )
    expected = {bundle.dir + "/manifest.json", bundle.dir + "/timestamp.tsr"}
    expected |= {files + name for name in artifacts if isinstance(name, str)}
    present, links = bundle.pkg.walk(bundle.dir)
    added = [  # further tokens are the ledger's to vouch for (check_token_noted)
        rel
        for rel in present
        if rel not in expected
        and not (rel.count("/") == 2 and _COPY_FILE.match(rel.rpartition("/")[2]))
    ]
    problems += [f"{rel} is not in the manifest (an added file)" for rel in added]
    problems += [f"{rel} is a symbolic link" for rel in links]
    note = f"{len(artifacts)} files, each with the SHA-256 and size the manifest lists"
    return verdict(title, problems, note)


def check_bundle_line(bundle: Bundle, ledger: Ledger) -> Check:
    """The ledger sealed this bundle, and its chain holds up to the bundle's lines."""
    title = "账本记录/sealed in the ledger"
    if not ledger.present:
        return Check(title, FAILED, ["ledger.jsonl is missing"])
    n = ledger.bundles.get(bundle.id)
    if n is None:
        return Check(title, FAILED, [f"no line of ledger.jsonl seals bundle {bundle.id}"])
    noted = ledger.stamps.get(bundle.id)
    last = max(
        [n] + ([noted[0]] if noted else []) + [m for m, _ in ledger.copies.get(bundle.id, [])]
    )
    broken = ledger.broken_up_to(last)
    if broken:
        why = f"{ledger.where(n)} seals it, but the chain up to its lines is broken: {broken[0]}"
        return Check(title, FAILED, [why])
    return Check(title, PASSED, [f"sealed in {ledger.where(n)}; the chain up to it holds"])


def check_token_noted(bundle: Bundle, ledger: Ledger) -> Check:
    """timestamp.tsr is the very token the ledger noted when it arrived, and
    so is each further token (timestamp-2.tsr...) another authority gave."""
    title = "时间戳记录/token noted in the ledger"
    rel = bundle.dir + "/timestamp.tsr"
    seen, noted = bundle.pkg.digest(rel), ledger.stamps.get(bundle.id)
    copies = ledger.copies.get(bundle.id, [])
    further = further_tokens(bundle, ledger)
    if noted is None and seen is None and not copies and not further:
        why = "no time-stamp token: the bundle was not yet time-stamped when it was exported"
        return Check(title, NOT_CHECKED, [why])
    problems = []
    if noted is None and seen is None:
        problems.append(f"{rel} is missing, and no line of ledger.jsonl notes it")
    elif noted is None:
        problems.append(f"{rel} is in no line of ledger.jsonl (added later?)")
    else:
        n, line = noted
        if seen is None:
            problems.append(f"{rel}, noted in {ledger.where(n)}, is missing")
        elif seen[0] != line.get("tsr_sha256"):
            problems.append(
                f"{rel} is not the token noted in {ledger.where(n)}: its SHA-256 is {seen[0]}, "
                f"the ledger says {shown(line.get('tsr_sha256'), 70)}"
            )
    lines_of: dict[str, tuple[int, dict]] = {}
    for position, (n, line) in enumerate(copies, 2):
        copy = line.get("copy")
        if copy != position or isinstance(copy, bool):
            problems.append(
                f"{ledger.where(n)} notes token {shown(copy, 20)} of bundle {bundle.id}, but it "
                f"is its token {position} (a token line removed, added or renumbered)"
            )
            continue
        lines_of[f"timestamp-{copy}.tsr"] = (n, line)
    for name in further:
        token = f"{bundle.dir}/{name}"
        seen_copy, found = bundle.pkg.digest(token), lines_of.get(name)
        if found is None:
            problems.append(f"{token} is in no line of ledger.jsonl (added later?)")
            continue
        n, line = found
        if seen_copy is None:
            problems.append(f"{token}, noted in {ledger.where(n)}, is missing (removed?)")
        elif seen_copy[0] != line.get("tsr_sha256"):
            problems.append(
                f"{token} is not the token noted in {ledger.where(n)}: its SHA-256 is "
                f"{seen_copy[0]}, the ledger says {shown(line.get('tsr_sha256'), 70)}"
            )
    if problems:
        return Check(title, FAILED, problems)
    n, line = noted if noted else (0, {})
    if not further:
        return Check(title, PASSED, [f"timestamp.tsr is the token noted in {ledger.where(n)}"])
    each = [("timestamp.tsr", n, line)] + [(name, *lines_of[name]) for name in further]
    said = [
        f"{name} ({ledger.where(m)}, TSA {shown(e.get('tsa', '?'), 120)})" for name, m, e in each
    ]
    return Check(
        title, PASSED, [f"{len(each)} tokens, each the one its line noted: " + "; ".join(said)]
    )


class TokenChecker:
    """``openssl ts -verify`` of each token against the trust root, at its genTime;
    ``why_not`` says why tokens cannot be checked (no openssl, no root)."""

    title = "时间戳签名/token signature (openssl ts -verify)"

    def __init__(self, openssl: str | None, ca: str | None, why_not: str) -> None:
        self.openssl = openssl
        self.ca = ca
        self.why_not = why_not

    def check(self, bundle: Bundle, name: str = "timestamp.tsr", several: bool = False) -> Check:
        """One token of the bundle: timestamp.tsr, or a further one (``name``);
        ``several``: the bundle has more than one, and the note names the TSA."""
        rel = bundle.dir + "/" + name
        title = self.title
        if name != "timestamp.tsr":
            title = title.replace("token signature", f"token signature, {name}")
        if not bundle.pkg.is_file(rel):
            if name != "timestamp.tsr":  # its ledger line is there: check_token_noted names it
                return Check(title, FAILED, [f"{rel} is missing: no second token to check"])
            return Check(title, NOT_CHECKED, ["not checked: no time-stamp token"])
        if self.openssl is None or self.ca is None:
            return Check(title, NOT_CHECKED, ["not checked: " + self.why_not])
        tsr = bundle.pkg.path(rel)
        text = _run([self.openssl, "ts", "-reply", "-in", tsr, "-text"])
        when, tsa = None, ""
        for line in text.stdout.splitlines():
            if line.startswith("Time stamp:"):
                when = epoch_of_openssl_time(line)
            elif line.startswith("TSA:") and "unspecified" not in line:
                tsa = line.partition(":")[2].strip()
        if when is None:
            return Check(title, FAILED, [f"{rel}: openssl cannot read its genTime{_said(text)}"])
        cmd = [self.openssl, "ts", "-verify", "-digest", bundle.id, "-in", tsr]
        done = _run([*cmd, "-CAfile", self.ca, "-attime", str(when)])
        if done.returncode == 0 and "Verification: OK" in done.stdout:
            note = f"Verification: OK. genTime {utc_and_beijing(when)}: the bundle existed by then"
            if tsa and several:
                note += f"; 时间戳机构/TSA: {shown(tsa, 200)}"
            return Check(title, PASSED, [note])
        why = f"{rel}: openssl ts -verify failed at genTime {utc_and_beijing(when)}{_said(done)}"
        return Check(title, FAILED, [why])


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, errors="replace",
            timeout=OPENSSL_TIMEOUT, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return subprocess.CompletedProcess(cmd, -1, "", f"could not run openssl: {exc}")


def _said(done: subprocess.CompletedProcess) -> str:
    """openssl's reasons, from lines like '40..:error:17800067:time stamp
    routines:ts_check_imprints:message imprint mismatch:file.c:508:detail'."""
    reasons = []
    for line in (done.stderr or "").splitlines():
        parts = line.strip().split(":")
        if len(parts) >= 6 and parts[1] == "error":
            detail = ":".join(parts[8:]).strip()
            reasons.append(parts[5] + (f" ({detail})" if detail else ""))
        elif line.strip() and not line.startswith("Using configuration"):
            reasons.append(line.strip())
    reasons += [s.strip() for s in (done.stdout or "").splitlines() if "FAILED" in s]
    return (": " + "; ".join(dict.fromkeys(reasons))) if reasons else ""


# --- the report ---------------------------------------------------------------------------


def say(line: str = "") -> None:
    """Print one line, escaped: nothing read from the package reaches the terminal raw."""
    print(printable(line))


def show_check(check: Check) -> None:
    say(f"  [{LABELS[check.state]}] {check.title}")
    for note in check.notes:
        say("        - " + note)


def show_header(bundle: Bundle, number: int, total: int) -> None:
    """What the bundle is of: when and where it was captured, as the manifest says."""
    say()
    say(f"== 证据包/bundle {number}/{total}: {bundle.id} ==")
    unverified = "" if bundle.sealed else "  (未经核验/unverified: the manifest failed its check)"
    about = bundle.manifest.get("about")
    about = about if isinstance(about, dict) else {}
    captured = bundle.manifest.get("captured_at")
    when = epoch_of_utc_iso(captured)
    say(f"  采集时间/captured: {utc_and_beijing(when) if when is not None else shown(captured)}")
    say(f"  网址/URL: {shown(about.get('url', ''))}{unverified}")
    final = about.get("final_url")
    if final and final != about.get("url"):
        say(f"  最终网址/final URL: {shown(final)}")
    if about.get("outcome"):
        say(f"  结果/outcome: {shown(about.get('outcome'), 40)}")


def summary(checks: list[Check], bundles: int) -> list[str]:
    failed = sum(1 for c in checks if c.state == FAILED)
    unchecked = sum(1 for c in checks if c.state == NOT_CHECKED)
    passed = len(checks) - failed - unchecked
    if failed:
        return [
            f"总结：失败。{failed} 项检查失败，{unchecked} 项未检查，{passed} 项通过"
            f"（{bundles} 个证据包）。",
            f"Summary: FAILED. {failed} checks failed, {unchecked} not checked, "
            f"{passed} passed ({bundles} bundles).",
        ]
    if unchecked:
        return [
            f"总结：未发现问题，但有 {unchecked} 项未检查（原因见上），{passed} 项通过"
            f"（{bundles} 个证据包）。",
            f"Summary: nothing failed, but {unchecked} checks were not checked (see above); "
            f"{passed} passed ({bundles} bundles).",
        ]
    return [
        f"总结：通过。全部 {passed} 项检查通过（{bundles} 个证据包）。",
        f"Summary: PASSED. All {passed} checks passed ({bundles} bundles).",
    ]


# --- the program --------------------------------------------------------------------------


def bundle_folders(pkg: Package, ledger: Ledger) -> list[str]:
    """The folders in bundles/: in ledger order, then any others by name."""
    top = pkg.path("bundles")
    names = sorted(os.listdir(top)) if os.path.isdir(top) else []
    names = [n for n in names if os.path.isdir(os.path.join(top, n))]
    return sorted(names, key=lambda name: (ledger.bundles.get(name, ledger.count + 1), name))


def token_checker(pkg: Package, ca_arg: str | None) -> TokenChecker:
    """openssl, and the root to check tokens against (--ca, else tsa/ca.pem)."""
    openssl = shutil.which("openssl")
    if ca_arg:
        ca = os.path.abspath(ca_arg) if os.path.isfile(ca_arg) else None
        why = f"--ca {ca_arg} is not a file"
    else:
        ca = pkg.path(CA_IN_PACKAGE) if pkg.is_file(CA_IN_PACKAGE) else None
        why = "no tsa/ca.pem in the package (give the TSA's root certificate with --ca)"
    if openssl is None:
        why = "the openssl command was not found"
    return TokenChecker(openssl, ca, why)


def verify(root: str, ca_arg: str | None = None) -> int:
    """Check the package at ``root`` and print the report; the exit status."""
    pkg = Package(root)
    tokens = token_checker(pkg, ca_arg)
    say("adwatch 证据包核验/evidence package check")
    say(f"  目录/package: {pkg.root}")
    say(f"  openssl: {tokens.openssl or '未找到/not found: time-stamps will not be checked'}")
    say(f"  根证书/trust root: {tokens.ca or '无/none: ' + tokens.why_not}")
    if tokens.ca:
        with open(tokens.ca, "rb") as f:
            for fingerprint in pem_fingerprints(f.read()) or ["(no PEM certificate in it)"]:
                say(f"    SHA-256 指纹/fingerprint: {fingerprint}")
        say("    (请与时间戳机构公布的指纹比对/compare with the one the TSA publishes)")
    ledger = read_ledger(pkg)
    ids = bundle_folders(pkg, ledger)
    checks = [check_sums(pkg), check_listing(pkg, ledger, ids), check_ledger(ledger)]
    if not ids:
        checks.append(Check("证据包/bundles", FAILED, ["the package holds no bundle folder"]))
    say()
    say("== 整个证据包/the whole package ==")
    for check in checks:
        show_check(check)
    for number, bundle_id in enumerate(ids, 1):
        bundle = check_bundle(pkg, bundle_id, ledger, tokens)
        show_header(bundle, number, len(ids))
        for check in bundle.checks:
            show_check(check)
        checks += bundle.checks
    say()
    for line in summary(checks, len(ids)):
        say(line)
    return 1 if any(c.state == FAILED for c in checks) else 0


def main(argv: list[str] | None = None) -> int:
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # a console that cannot show Chinese gets escapes, not a crash
        reconfigure(errors="backslashreplace")
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        prog="verify.py",
        description="Check an adwatch evidence package; it only reads, and changes nothing. "
        "核验 adwatch 证据包；只读取，不做任何修改。",
    )
    parser.add_argument("package", nargs="?", default=here, help=f"the package (default: {here})")
    parser.add_argument(
        "--ca",
        default=None,
        help="root certificate(s), PEM, to check the time-stamps against instead of "
        "tsa/ca.pem (e.g. one obtained from the time-stamp authority itself)",
    )
    args = parser.parse_args(argv)
    if not os.path.isdir(args.package):
        parser.error(f"not a folder: {printable(args.package)}")
    try:
        return verify(args.package, args.ca)
    except BrokenPipeError:  # the report was piped into `head` or a closed pager
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
