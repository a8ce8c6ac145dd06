"""Re-check the evidence store: every blob, manifest, ledger link and token.

Each bundle gets four checks, each ``passed``, ``failed`` or ``not_checked``
(never "not checked" reported as passed):

* ``manifest``   the manifest is there and its SHA-256 is still the bundle id;
* ``artifacts``  every artifact is there with the SHA-256 and size listed;
* ``ledger``     the bundle is in the ledger, and the chain up to it holds:
                 each line's own hash, its link to the line before, its place;
* ``timestamp``  every RFC 3161 token of the bundle (``timestamp.tsr``, and
                 ``timestamp-2.tsr``... from further TSAs) is the one its own
                 ledger line noted, it is over this bundle id, its signature
                 verifies and its signer chains to a trusted root
                 (``not_checked`` while a bundle waits in the queue, or when no
                 root is configured); a token file no line notes, or a line
                 whose file is gone or changed, is named; with
                 ``openssl=True`` each token is also checked by
                 ``openssl ts -verify``.

Verification never stops at the first problem: every one is named, with the
ledger line or artifact it concerns.  A blob shared by many bundles is hashed
once per run.  The result is failed if anything failed.

The ledger alone cannot show lines removed and the chain re-hashed after them,
so verify also lists what is on disk and holds it against the ledger:

* every folder in ``bundles/`` must be listed by a ledger line (with ``--all``);
* every token in ``heads/`` must have its ``{"head": ...}`` ledger line, and
  the hash it time-stamps (read from the token itself, not from that line)
  must still be the hash of ledger line <seq>.  A line hash commits to every
  line before it, so a head token whose digest is no line of the ledger proves
  that lines up to <seq> were removed or rewritten since, even when the chain
  was re-hashed and the head line itself cut off.

A crash can leave one thing the ledger does not list yet: the file of the
step named in the store's journal (``.writing.json``: a bundle folder, a
bundle's token or a head token written, its ledger line not yet appended).
The next writer sets it aside to ``interrupted/``; until then verify reports
it under ``interrupted`` and does not count it as tampering, but only if it is
exactly what the journal says that step wrote (a head token must also stamp
the ledger's present last line).  Anything else on disk that no ledger line
vouches for is a failure.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from evidence.safe_text import printable
from evidence.store import (
    COPY_KEY,
    GENESIS,
    JOURNAL,
    EvidenceStore,
    canonical,
    sha256,
    token_name,
)

State = Literal["passed", "failed", "not_checked"]
CHECKS = ("manifest", "artifacts", "ledger", "timestamp")
_HEX64 = frozenset("0123456789abcdef")
_HEAD_FILE = re.compile(r"(\d{12,})\.tsr\Z")  # EvidenceStore.head_path's names
_TEMP_FILE = re.compile(r"\..+\.\d+\.\d+\.tmp\Z")  # what a write killed half-way leaves
_COPY_FILE = re.compile(r"timestamp-(\d+)\.tsr\Z")  # a bundle's second, third... token
_ORDINAL = {1: "first", 2: "second", 3: "third", 4: "fourth"}


@dataclass
class Check:
    state: State
    problems: list[str] = field(default_factory=list)


def _worst(states: Iterable[State]) -> State:
    found = set(states)
    if "failed" in found:
        return "failed"
    if "not_checked" in found:
        return "not_checked"
    return "passed"


@dataclass
class BundleReport:
    bundle_id: str
    checks: dict[str, Check] = field(default_factory=dict)
    gen_time: str = ""
    token_cut_short: bool = False  # its token's ledger line is the journal's step in progress
    tokens: list[str] = field(default_factory=list)  # who stamped it: each good token's TSA
    cut_short: list[str] = field(default_factory=list)  # the token write in progress, in words

    @property
    def state(self) -> State:
        return _worst(c.state for c in self.checks.values())

    @property
    def problems(self) -> list[str]:
        return [p for c in self.checks.values() for p in c.problems]

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle_id,
            "state": self.state,
            "gen_time": self.gen_time,
            "tokens": self.tokens,
            "checks": {
                name: {"state": c.state, "problems": c.problems} for name, c in self.checks.items()
            },
        }


@dataclass
class StoreReport:
    bundles: list[BundleReport]
    ledger: Check  # problems of the ledger as a whole (edited or reordered lines)
    unlisted: list[str]  # bundle folders on disk that no ledger line lists
    seconds: float = 0.0
    # the newest good time-stamped ledger head: {"seq", "gen_time", "lines", "tokens"}
    head: dict[str, Any] = field(default_factory=dict)
    # a write cut short, as the journal names it: not yet in the ledger, not tampering
    interrupted: list[str] = field(default_factory=list)

    @property
    def state(self) -> State:
        states = [b.state for b in self.bundles] + [self.ledger.state]
        if self.unlisted:
            states.append("failed")
        return _worst(states)

    def count(self, state: State) -> int:
        return sum(1 for b in self.bundles if b.state == state)

    def failures(self) -> list[str]:
        """What failed, in words: the ledger's problems, then each failed check's."""
        failed = [c for b in self.bundles for c in b.checks.values() if c.state == "failed"]
        return self.ledger.problems + [p for c in failed for p in c.problems]


@dataclass
class _Ledger:
    """What one pass over the ledger found: each bundle's line, each token's
    line, and the numbers of lines that are themselves broken."""

    bundles: dict[str, int] = field(default_factory=dict)
    stamps: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    copies: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    heads: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    hashes: dict[int, str] = field(default_factory=dict)  # seq -> the line's own hash
    broken: dict[int, list[str]] = field(default_factory=dict)
    lines: int = 0


def _read_ledger(store: EvidenceStore) -> _Ledger:
    found = _Ledger()
    prev = GENESIS
    for n, raw in enumerate(store.ledger_path.read_bytes().splitlines(), 1):
        problems: list[str] = []
        try:
            line = json.loads(raw)
            claimed = str(line.pop("hash"))
        except (ValueError, KeyError, AttributeError, TypeError):
            found.broken[n] = [f"ledger line {n} is not a ledger entry"]
            prev = ""
            continue
        if sha256(canonical(line)) != claimed:
            problems.append(f"ledger line {n} was edited (its hash does not match its content)")
        if line.get("prev") != prev:
            problems.append(
                f"ledger line {n} does not follow line {n - 1} "
                "(a line was removed, inserted or moved before it)"
            )
        if line.get("seq") != n:
            problems.append(f"ledger line {n} carries sequence number {line.get('seq')}")
        prev = claimed
        found.hashes[n] = claimed
        found.lines = n
        if problems:
            found.broken[n] = problems
        if "timestamp" in line:
            found.stamps[str(line["timestamp"])] = (n, line)
        elif COPY_KEY in line:
            found.copies.setdefault(str(line[COPY_KEY]), []).append((n, line))
        elif "head" in line:
            found.heads.append((n, line))
        elif "bundle" in line:
            found.bundles.setdefault(str(line["bundle"]), n)
    return found


def _listing(folder: Path, *, folders: bool) -> list[str]:
    """The names in ``folder``: its sub-folders (``folders``) or everything else."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() == folders)


def _read_journal(root: Path) -> dict[str, Any]:
    """The step a writer has in progress (or was killed in), as the store's
    journal names it; empty when there is none."""
    try:
        note = json.loads((root / JOURNAL).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(note, dict) or not isinstance(note.get("entry"), dict):
        return {}
    return note


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def structure_problems(store: EvidenceStore) -> list[str]:
    """Everything wrong with a store's structure, in words (empty: none):
    blobs, manifests, the ledger chain, token files against the ledger.
    Whether each token is genuine is the full check's (``Verifier``)."""
    return Verifier(store, tokens=False).run().failures()


class Verifier:
    """Verifies bundles of one store; ``trust_pem``: the TSA root(s), PEM."""

    def __init__(
        self,
        store: EvidenceStore,
        trust_pem: bytes | None = None,
        openssl: bool = False,
        ca_file: Path | None = None,
        tokens: bool = True,
    ) -> None:
        self.store = store
        self.tokens = tokens  # False: token files against the ledger, not their signatures
        self.trust_pem = trust_pem
        self.openssl = openssl and ca_file is not None
        self.ca_file = ca_file
        self._blobs: dict[str, tuple[str, int] | None] = {}
        self._journal: dict[str, Any] = {}  # the store's step in progress, as run() read it

    def run(self, bundle_ids: list[str] | None = None) -> StoreReport:
        import time

        started = time.perf_counter()
        # what is on disk first, then the journal, then the ledger: a writer
        # writes the journal, the file, the ledger line, and then drops the
        # journal, so a file seen here whose line is not in the ledger read
        # below is still named by the journal read in between (or tampering)
        root = self.store.root
        on_disk = _listing(root / "bundles", folders=True)
        head_files = _listing(root / "heads", folders=False)
        self._journal = _read_journal(root)
        ledger = _read_ledger(self.store)
        whole = Check("failed" if ledger.broken else "passed")
        for problems in ledger.broken.values():
            whole.problems += problems
        interrupted: list[str] = []
        bad: set[int] = set()
        head = self._heads(ledger, whole, bad)
        self._head_files(head_files, ledger, whole, interrupted, bad)
        head["tokens"] = sum(1 for name in head_files if _HEAD_FILE.match(name))
        wanted = list(ledger.bundles) if bundle_ids is None else bundle_ids
        reports = [self.bundle(b, ledger) for b in wanted]
        unlisted: list[str] = []
        if bundle_ids is None:
            for b in sorted(set(on_disk) - set(ledger.bundles)):
                if self._cut_short(f"bundles/{b}", {"bundle": b}):
                    interrupted.append(
                        f"bundle {b}: sealed, its ledger line not yet written "
                        f"(a write in progress or cut short, named in {JOURNAL}; "
                        f"the next write sets it aside to interrupted/)"
                    )
                else:
                    unlisted.append(b)
            whole.problems += [f"bundle {b} is on disk but in no ledger line" for b in unlisted]
        interrupted += [p for r in reports for p in r.cut_short]
        if whole.problems:
            whole.state = "failed"
        report = StoreReport(reports, whole, unlisted, time.perf_counter() - started)
        report.head = head
        report.interrupted = interrupted
        return report

    def _cut_short(self, made: str, entry: dict[str, Any], data: bytes | None = None) -> bool:
        """Whether ``made`` is the file of the step the journal names, not yet
        in the ledger: ``entry`` holds what its ledger line would say, and
        ``data`` (a token's bytes) must be the bytes that step wrote."""
        note = self._journal
        if note.get("made") != made:
            return False
        planned = note.get("entry") or {}
        if any(planned.get(k) != v for k, v in entry.items()):
            return False
        return data is None or sha256(data) == planned.get("tsr_sha256")

    def _head_files(
        self,
        names: list[str],
        ledger: _Ledger,
        whole: Check,
        interrupted: list[str],
        bad: set[int],
    ) -> None:
        """Every file in heads/ against the ledger: a head token must have its
        ledger line, and the hash it stamps must still be line <seq>'s hash.
        The digest is read from the token, so a token whose line was cut, or
        whose line was rewritten along with the chain, still tells.  ``bad``:
        the heads whose ledger line ``_heads`` already found wrong."""
        from evidence.timestamp import token_imprint

        noted = {_int(line.get("head_seq")) for _, line in ledger.heads}
        for name in names:
            rel = f"heads/{name}"
            found = _HEAD_FILE.match(name)
            if found is None:
                if not _TEMP_FILE.match(name):  # a temporary file a killed write left
                    whole.problems.append(f"{rel} is not a ledger head token (unknown file)")
                continue
            seq = int(found.group(1))
            path = self.store.root / "heads" / name
            try:
                data = path.read_bytes()
                digest, gen_time = token_imprint(data)
            except (OSError, ValueError) as exc:
                whole.problems.append(f"{rel} is not a readable time-stamp token: {exc}")
                continue
            if seq in noted and (self.tokens or seq in bad):
                continue  # its ledger line's check (``_heads``) judged the token already
            what = f"{rel} (a ledger head time-stamp at {gen_time or '?'}, over line {seq})"
            if ledger.hashes.get(seq) != digest:
                elsewhere = [n for n, h in ledger.hashes.items() if h == digest]
                whole.problems.append(
                    f"{what}: it stamps the ledger hash {digest}, which is now the hash of "
                    + (
                        f"line {elsewhere[0]}, not line {seq} (the token was renamed)"
                        if elsewhere
                        else "no line of the ledger: lines up to line "
                        f"{seq} were removed or rewritten and the chain re-hashed"
                    )
                )
                continue
            if seq in noted:
                continue
            entry = {"head": digest, "head_seq": seq}
            if self._cut_short(rel, entry, data) and seq == ledger.lines:
                interrupted.append(
                    f"{what}: its ledger line not yet written (a write in progress or cut "
                    f"short, named in {JOURNAL}; the next write sets it aside to interrupted/)"
                )
                continue
            whole.problems.append(
                f"{what} is on disk but in no ledger line: its head line was removed"
            )

    def _heads(self, ledger: _Ledger, whole: Check, bad: set[int]) -> dict[str, Any]:
        """Check each time-stamped ledger head: the line it names is there with
        that hash (nothing before it was removed or rewritten), and the token is
        over that hash.  Returns what the newest good head covers; the line
        each wrong head stamps (its ``head_seq``) is added to ``bad``."""
        from evidence.timestamp import check_token

        covered: dict[str, Any] = {"seq": 0, "gen_time": "", "lines": ledger.lines}
        for n, line in ledger.heads:
            seq, claimed = _int(line.get("head_seq")), str(line.get("head", ""))
            where = f"ledger head time-stamp on line {n} (over line {seq})"
            problems: list[str] = []
            path = self.store.head_path(seq)
            if ledger.hashes.get(seq) != claimed:
                problems.append(
                    f"{where}: line {seq} is not the line that was time-stamped "
                    "(lines were removed or the chain was rewritten before it)"
                )
            elif not path.exists() or sha256(path.read_bytes()) != line.get("tsr_sha256"):
                problems.append(f"{where}: its token is missing or changed")
            elif self.tokens:
                result = check_token(path.read_bytes(), claimed, self.trust_pem)
                if result.status == "failed":
                    problems += [f"{where}: {p}" for p in result.problems]
            if problems:
                whole.problems += problems
                bad.add(seq)
                continue
            covered = {"seq": seq, "gen_time": str(line.get("gen_time", "")), "lines": ledger.lines}
        return covered

    def bundle(self, bundle_id: str, ledger: _Ledger) -> BundleReport:
        report = BundleReport(bundle_id)
        manifest = self._manifest(bundle_id, report)
        report.checks["artifacts"] = self._artifacts(bundle_id, manifest)
        report.checks["ledger"] = self._ledger(bundle_id, ledger)
        report.checks["timestamp"] = self._timestamp(bundle_id, ledger, report)
        return report

    def _manifest(self, bundle_id: str, report: BundleReport) -> dict[str, Any] | None:
        path = self.store.bundle_path(bundle_id)
        if len(bundle_id) != 64 or not set(bundle_id) <= _HEX64:
            report.checks["manifest"] = Check("failed", [f"{bundle_id!r} is not a bundle id"])
            return None
        if not path.exists():
            report.checks["manifest"] = Check(
                "failed", [f"bundle {bundle_id} was removed (its manifest is missing)"]
            )
            return None
        body = path.read_bytes()
        if sha256(body) != bundle_id:
            report.checks["manifest"] = Check(
                "failed", [f"bundle {bundle_id}: manifest changed (its SHA-256 is not its id)"]
            )
            return None
        try:
            manifest: dict[str, Any] = json.loads(body)
        except ValueError:
            unreadable = f"bundle {bundle_id}: manifest unreadable"
            report.checks["manifest"] = Check("failed", [unreadable])
            return None
        report.checks["manifest"] = Check("passed")
        return manifest

    def _artifacts(self, bundle_id: str, manifest: dict[str, Any] | None) -> Check:
        if manifest is None:
            return Check("not_checked", ["artifacts not checked: no trustworthy manifest"])
        problems = []
        for name, art in sorted((manifest.get("artifacts") or {}).items()):
            digest = str(art.get("sha256", ""))
            seen = self._blob(digest)
            if seen is None:
                problems.append(f"bundle {bundle_id}: artifact {name!r} is missing")
            elif seen != (digest, art.get("size")):
                problems.append(
                    f"bundle {bundle_id}: artifact {name!r} changed "
                    f"(SHA-256 now {seen[0][:16]}…, {seen[1]} bytes; "
                    f"sealed {digest[:16]}…, {art.get('size')} bytes)"
                )
        return Check("failed" if problems else "passed", problems)

    def _blob(self, digest: str) -> tuple[str, int] | None:
        if digest not in self._blobs:
            path = self.store.blob_path(digest) if len(digest) == 64 else None
            if path is None or not path.exists():
                self._blobs[digest] = None
            else:
                h = hashlib.sha256()
                size = 0
                with path.open("rb") as f:
                    while chunk := f.read(1 << 20):
                        h.update(chunk)
                        size += len(chunk)
                self._blobs[digest] = (h.hexdigest(), size)
        return self._blobs[digest]

    def _ledger(self, bundle_id: str, ledger: _Ledger) -> Check:
        line = ledger.bundles.get(bundle_id)
        if line is None:
            return Check("failed", [f"bundle {bundle_id} is in no ledger line"])
        broken = [p for n, ps in ledger.broken.items() if n <= line for p in ps]
        if broken:
            return Check("failed", [f"bundle {bundle_id} (ledger line {line}): " + broken[0]])
        return Check("passed")

    def _timestamp(self, bundle_id: str, ledger: _Ledger, report: BundleReport) -> Check:
        """Every token of the bundle, each against its own ledger line."""
        checks = [self._first_token(bundle_id, ledger, report)]
        copies = ledger.copies.get(bundle_id, [])
        noted: set[int] = set()
        for position, (n, line) in enumerate(copies, 2):
            copy = _int(line.get("copy"))
            if copy != position or copy in noted:
                checks.append(
                    Check(
                        "failed",
                        [
                            f"bundle {bundle_id}: ledger line {n} notes token {line.get('copy')!r}"
                            f", but it is the bundle's token {position} (a token line removed, "
                            "added or renumbered)"
                        ],
                    )
                )
                continue
            noted.add(copy)
            if bundle_id not in ledger.stamps:
                checks.append(
                    Check(
                        "failed",
                        [
                            f"bundle {bundle_id}: ledger line {n} notes its token {copy}, but no "
                            "line notes its first token (timestamp line removed?)"
                        ],
                    )
                )
            checks.append(self._token(bundle_id, copy, n, line, report))
        checks += self._stray_tokens(bundle_id, noted, report)
        if len(checks) == 1:
            return checks[0]  # one token, or none: exactly as a single TSA always gave
        problems = [p for c in checks for p in c.problems]
        return Check(_worst(c.state for c in checks), problems)

    def _stray_tokens(self, bundle_id: str, noted: set[int], report: BundleReport) -> list[Check]:
        """Files ``timestamp-<n>.tsr`` in the bundle's folder no ledger line notes."""
        folder = self.store.bundle_path(bundle_id).parent
        checks: list[Check] = []
        for name in _listing(folder, folders=False):
            found = _COPY_FILE.match(name)
            if found is None or int(found.group(1)) in noted:
                continue
            copy = int(found.group(1))
            rel = f"bundles/{bundle_id}/{name}"
            data = (folder / name).read_bytes()
            if self._cut_short(rel, {COPY_KEY: bundle_id, "copy": copy}, data):
                report.cut_short.append(
                    f"bundle {bundle_id}: its time-stamp token {copy} ({name}) has no ledger "
                    f"line yet (a write in progress or cut short, named in {JOURNAL}; the next "
                    "write sets the token aside and the bundle waits for another)"
                )
                continue
            checks.append(
                Check(
                    "failed",
                    [
                        f"bundle {bundle_id}: a {_ordinal(copy)} time-stamp token ({name}) is on "
                        "disk but in no ledger line"
                    ],
                )
            )
        return checks

    def _first_token(self, bundle_id: str, ledger: _Ledger, report: BundleReport) -> Check:
        noted = ledger.stamps.get(bundle_id)
        path = self.store.timestamp_path(bundle_id)
        if noted is None:
            rel = f"bundles/{bundle_id}/timestamp.tsr"
            if path.exists() and self._cut_short(rel, {"timestamp": bundle_id}, path.read_bytes()):
                report.token_cut_short = True
                report.cut_short.append(
                    f"bundle {bundle_id}: its time-stamp token's ledger line not yet written "
                    f"(a write in progress or cut short, named in {JOURNAL}; "
                    "the next write sets the token aside and the bundle waits for another)"
                )
                return Check("not_checked", list(report.cut_short))
            if path.exists():
                return Check(
                    "failed",
                    [f"bundle {bundle_id}: a time-stamp token is on disk but in no ledger line"],
                )
            return Check(
                "not_checked",
                [f"bundle {bundle_id}: no time-stamp token yet (queued; `adwatch timestamp`)"],
            )
        n, line = noted
        return self._token(bundle_id, 1, n, line, report)

    def _token(
        self, bundle_id: str, copy: int, n: int, line: dict[str, Any], report: BundleReport
    ) -> Check:
        """One token against its ledger line (line ``n``), then its signature."""
        from evidence.timestamp import check_token, openssl_verify

        path = self.store.timestamp_path(bundle_id, copy)
        which = "time-stamp token" if copy == 1 else f"{_ordinal(copy)} time-stamp token"
        named = "" if copy == 1 else f" ({token_name(copy)})"
        if not path.exists():
            return Check(
                "failed",
                [f"bundle {bundle_id}: its {which}{named} (ledger line {n}) was removed"],
            )
        tsr = path.read_bytes()
        if sha256(tsr) != line.get("tsr_sha256"):
            return Check(
                "failed",
                [f"bundle {bundle_id}: {which}{named} changed since ledger line {n} noted it"],
            )
        if not self.tokens:
            return Check("not_checked", [f"bundle {bundle_id}: token signature not checked"])
        result = check_token(tsr, bundle_id, self.trust_pem)
        if copy == 1:
            report.gen_time = result.gen_time
        checks = [result]
        if self.openssl and self.ca_file is not None:
            checks.append(openssl_verify(tsr, bundle_id, self.ca_file))
        state = _worst(c.status for c in checks)
        label = "time-stamp" if copy == 1 else f"time-stamp {copy}{named}"
        problems = [
            f"bundle {bundle_id}: {label} ({c.checker}): {p}" for c in checks for p in c.problems
        ]
        if state != "failed":
            report.tokens.append(result.tsa_name or str(line.get("tsa", "")) or "?")
        return Check(state, problems)


def _ordinal(copy: int) -> str:
    return _ORDINAL.get(copy, f"{copy}th")


def verify(
    store: EvidenceStore,
    bundle_ids: list[str] | None = None,
    trust: Path | None = None,
    openssl: bool = False,
) -> StoreReport:
    """Verify ``bundle_ids`` (all bundles in the ledger when None).  ``trust``:
    a PEM file of the TSAs' roots, or a folder whose every ``*.pem`` is one.
    A ``trust`` that cannot be read is an error, not a silent "not checked"."""
    import tempfile

    from evidence.timestamp import trust_roots

    if trust is None:
        return Verifier(store, None, openssl, None).run(bundle_ids)
    trust_pem = trust_roots(trust)
    if not Path(trust).is_dir():
        return Verifier(store, trust_pem, openssl, trust).run(bundle_ids)
    with tempfile.TemporaryDirectory(prefix="adwatch-roots-") as tmp:
        ca_file = Path(tmp) / "roots.pem"  # openssl's -CAfile: the folder's roots in one file
        ca_file.write_bytes(trust_pem)
        return Verifier(store, trust_pem, openssl, ca_file).run(bundle_ids)


def token_counts(report: StoreReport) -> tuple[int, int, int]:
    """Bundles whose good tokens number two or more, one, none."""
    counts = [len(b.tokens) for b in report.bundles]
    return (
        sum(1 for n in counts if n >= 2),
        sum(1 for n in counts if n == 1),
        sum(1 for n in counts if n == 0),
    )


def _token_lines(report: StoreReport) -> list[str]:
    """How many TSAs stamped each bundle, bundles grouped by who stamped them;
    nothing when no bundle has more than one token (a single TSA, as before)."""
    if not any(len(b.tokens) > 1 for b in report.bundles):
        return []
    two, one, none = token_counts(report)
    lines = [f"time-stamps: {two} bundles with 2+ tokens, {one} with 1, {none} with none"]
    groups: dict[tuple[str, ...], int] = {}
    for b in report.bundles:
        groups[tuple(b.tokens)] = groups.get(tuple(b.tokens), 0) + 1
    for tsas, count in sorted(groups.items(), key=lambda kv: (-len(kv[0]), -kv[1])):
        n = len(tsas)
        who = f": {', '.join(tsas)}" if tsas else ""
        lines.append(f"  {count} × {n} token{'s' if n != 1 else ''}{who}")
    return lines


def format_report(report: StoreReport, trust: Path | None) -> str:
    """The report as a person reads it: totals, then every problem by kind."""
    n = len(report.bundles)
    lines = [
        f"verified {n} bundle{'s' if n != 1 else ''} in {report.seconds:.2f}s: "
        f"{report.count('passed')} passed, {report.count('failed')} failed, "
        f"{report.count('not_checked')} not checked"
    ]
    head = report.head or {}
    if head.get("seq"):
        after = int(head.get("lines", 0)) - int(head["seq"])
        lines.append(
            f"ledger: lines 1-{head['seq']} sealed by a time-stamp at {head['gen_time']}"
            + (f"; {after} newer lines not yet" if after > 0 else "")
        )
    elif head.get("tokens"):
        lines.append(
            f"ledger: no good time-stamped head, though heads/ holds {head['tokens']} "
            "token(s) (see below)"
        )
    elif head:
        lines.append("ledger: no time-stamped head yet (`adwatch timestamp` makes one)")
    lines += _token_lines(report)
    if report.ledger.problems:
        lines.append("ledger:")
        lines += [f"  {p}" for p in report.ledger.problems]
    if report.interrupted:
        lines.append("interrupted (not yet in the ledger, not counted as evidence):")
        lines += [f"  {p}" for p in report.interrupted]
    failed = [b for b in report.bundles if b.state == "failed"]
    if failed:
        lines.append("failed:")
        for b in failed:
            lines += [
                f"  {p}"
                for name in CHECKS
                if b.checks[name].state == "failed"
                for p in b.checks[name].problems
            ]
    waiting = [b for b in report.bundles if b.state == "not_checked"]
    if waiting:
        lines.append("not checked:")
        reasons: dict[str, int] = {}
        for b in waiting:
            for c in b.checks.values():
                if c.state == "not_checked":
                    for p in c.problems:
                        reasons[p.split(": ", 1)[-1]] = reasons.get(p.split(": ", 1)[-1], 0) + 1
        lines += [f"  {count} × {why}" for why, count in sorted(reasons.items())]
        if trust is None:
            lines.append("  (no TSA root set: ADWATCH_TSA_CA names who may sign tokens)")
    lines.append(f"result: {report.state.replace('_', ' ').upper()}")
    return "\n".join(printable(line) for line in lines)
