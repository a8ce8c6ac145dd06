"""The evidence store: content-addressed blobs, sealed bundles, a hash-chained ledger.

Layout under the store's root (``<data dir>/evidence`` by default)::

    blobs/ab/cd/<sha256>            every artifact once, named by its SHA-256
    bundles/<id>/manifest.json      one capture: canonical JSON listing each
                                    artifact's sha256, size and media type
    bundles/<id>/timestamp.tsr      the RFC 3161 time-stamp response over the
                                    bundle id (the manifest's SHA-256)
    bundles/<id>/timestamp-2.tsr    a second token over the same id, from
                                    another TSA (``-3``... when more are asked)
    ledger.jsonl                    append-only; line N carries the hash of
                                    line N-1, so no line can be edited, removed
                                    or reordered without breaking the chain

The ledger has two kinds of line about bundles: ``{"bundle": id}`` when a
bundle is sealed and ``{"timestamp": id, "tsr_sha256": ..., "tsa": ...,
"gen_time": ...}`` when its time-stamp token arrives; a further token from
another TSA is ``{"timestamp_copy": id, "copy": 2, "tsr_sha256": ..., "tsa":
..., "gen_time": ...}`` (its own key, so a verifier that knows only
"timestamp" lines never reads it as a replacement of the first token);
``{"head": hash, ...}``
lines time-stamp the chain itself, and notes (``note``) record what people
did with the evidence (``{"review": record id, ...}``, ``{"referral": case
id, ...}``): the verifiers check their place in the chain and nothing else.
A bundle sealed while the time-stamp authority was down has the first line
and not yet the second: the queue of bundles to stamp is read off the ledger
itself (``unstamped``), so it cannot be lost or fall out of step with the
bundles, and ``check`` reports every one it finds.

A bundle's id is the SHA-256 of its canonical manifest (sorted keys, no
spaces, UTF-8), so the id itself proves the manifest.  Every file is written
to a temporary name, fsynced, renamed and its folder fsynced before success is
reported; the ledger line is appended last, so a crash in the middle of a
capture never leaves a half bundle in the ledger.  A manifest or token and its
ledger line are one step: the step is noted in a journal (``.writing.json``)
before its file is written, so if the process dies before the line is
appended, the next writer moves that file to ``interrupted/`` (logged) instead
of leaving a bundle or a token no ledger line vouches for; a step that fails
(a full disk) is taken back at once.  Until a writer comes, ``evidence.verify``
(which changes nothing) reports that one file, exactly as the journal
describes it, as interrupted, not as tampering; anything else on disk that no
ledger line lists (a bundle folder, a token in ``heads/``) is a failure there.
A ledger line torn by a crash (no final newline) is cut off when the store is
next written, moved to a side file, and the cut is logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence.locking import exclusive

logger = logging.getLogger(__name__)

GENESIS = "0" * 64  # the "previous hash" of the first ledger line
JOURNAL = ".writing.json"  # the step being written (under the ledger lock)
INTERRUPTED = "interrupted"  # where the file of a step a crash cut short is set aside
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Keys a note may not carry: the verifiers (evidence.verify, offline_verify)
# read "bundle", "timestamp" and "head" lines as such; the rest are the chain's.
NOTE_REFUSED = frozenset({"bundle", "timestamp", "timestamp_copy", "head", "seq", "prev", "hash"})
COPY_KEY = "timestamp_copy"  # the ledger key of a bundle's second (third...) token


def canonical(obj: Any) -> bytes:
    """The one byte form of a JSON value that hashes are taken over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Artifact:
    sha256: str
    size: int
    media_type: str

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type}


@dataclass(frozen=True)
class Bundle:
    id: str  # sha256 of the canonical manifest
    manifest: dict[str, Any]
    ledger_seq: int


class StoreError(RuntimeError):
    """The store could not keep something it was asked to keep."""


class EvidenceStore:
    """The store under ``root``.  ``readonly`` (verify, export) changes nothing
    on disk, not even a torn last ledger line, which is then reported."""

    def __init__(self, root: Path | str, readonly: bool = False) -> None:
        self.root = Path(root)
        self.readonly = readonly
        self.ledger_path = self.root / "ledger.jsonl"
        self._index = _LedgerIndex()
        self._index_lock = threading.Lock()  # capture runs seal from several threads
        if readonly:
            return
        try:
            for sub in ("blobs", "bundles"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
            self.ledger_path.touch(exist_ok=True)
            with self._locked():
                self._recover()
        except OSError as exc:
            raise StoreError(f"could not open the evidence store at {self.root}: {exc}") from exc

    # --- writing ------------------------------------------------------------

    def put_blob(self, data: bytes, media_type: str) -> Artifact:
        """Keep bytes under their hash (once, however often they are put)."""
        digest = sha256(data)
        path = self.blob_path(digest)
        if not path.exists():
            _write_durably(path, data)
        return Artifact(digest, len(data), media_type)

    def seal(
        self,
        artifacts: Mapping[str, Artifact],
        about: Mapping[str, Any],
        captured_at: str | None = None,
    ) -> Bundle:
        """Write a bundle's manifest and append it to the ledger.  ``about``
        says what was captured (record id, URL, platform, environment...)."""
        for name, artifact in artifacts.items():
            if not self.blob_path(artifact.sha256).exists():
                raise StoreError(f"artifact {name!r} ({artifact.sha256}) is not in the store")
        manifest = {
            "version": 1,
            "captured_at": captured_at or utc_now(),
            "about": dict(about),
            "artifacts": {name: a.to_dict() for name, a in sorted(artifacts.items())},
        }
        body = canonical(manifest)
        bundle_id = sha256(body)
        path = self.bundle_path(bundle_id)
        with self._locked():
            # the same manifest sealed before is the same bytes: listed again, not rewritten
            made = None if path.exists() else path.parent
            seq = self._commit({"bundle": bundle_id, "at": utc_now()}, path, body, made)
        return Bundle(bundle_id, manifest, seq)

    def add_timestamp(self, bundle_id: str, tsr: bytes, tsa: str, gen_time: str) -> int:
        """Keep a bundle's time-stamp response and note it in the ledger.  The
        check, the token file and the ledger line happen under one lock, so two
        processes stamping the same queued bundle cannot both write."""
        if not _SHA256.match(bundle_id) or not self.bundle_path(bundle_id).exists():
            raise StoreError(f"no bundle {bundle_id!r} to time-stamp")
        with self._locked():
            self._recover()
            if bundle_id in self._read_index().stamps:
                raise StoreError(f"bundle {bundle_id} is already time-stamped")
            path = self.timestamp_path(bundle_id)
            return self._commit(
                {
                    "timestamp": bundle_id,
                    "tsr_sha256": sha256(tsr),
                    "tsa": tsa,
                    "gen_time": gen_time,
                    "at": utc_now(),
                },
                path,
                tsr,
                path,
            )

    def add_token(self, bundle_id: str, tsr: bytes, tsa: str, gen_time: str) -> int:
        """Keep one more token of a bundle: its first as :meth:`add_timestamp`
        does (``timestamp.tsr`` and its "timestamp" line), any further one as
        ``timestamp-<n>.tsr`` with a ``{"timestamp_copy": id, "copy": n, ...}``
        line.  A TSA (its URL) that stamped the bundle already is refused:
        a second token is worth something only from someone else."""
        if not _SHA256.match(bundle_id) or not self.bundle_path(bundle_id).exists():
            raise StoreError(f"no bundle {bundle_id!r} to time-stamp")
        with self._locked():
            self._recover()
            index = self._read_index()
            first = index.stamps.get(bundle_id)
            if first is None:
                return self._commit(
                    {
                        "timestamp": bundle_id,
                        "tsr_sha256": sha256(tsr),
                        "tsa": tsa,
                        "gen_time": gen_time,
                        "at": utc_now(),
                    },
                    self.timestamp_path(bundle_id),
                    tsr,
                    self.timestamp_path(bundle_id),
                )
            lines = [first, *index.copies.get(bundle_id, [])]
            if same_tsa(tsa) in {same_tsa(str(line.get("tsa", ""))) for line in lines}:
                raise StoreError(f"bundle {bundle_id} is already time-stamped by {tsa}")
            if sha256(tsr) in {line.get("tsr_sha256") for line in lines}:
                raise StoreError(f"bundle {bundle_id} has this very token already")
            copy = len(lines) + 1
            path = self.timestamp_path(bundle_id, copy)
            if path.exists():  # a file no ledger line notes: never overwritten
                raise StoreError(f"{path} is there already, though no ledger line notes it")
            return self._commit(
                {
                    COPY_KEY: bundle_id,
                    "copy": copy,
                    "tsr_sha256": sha256(tsr),
                    "tsa": tsa,
                    "gen_time": gen_time,
                    "at": utc_now(),
                },
                path,
                tsr,
                path,
            )

    def last_entry(self) -> dict[str, Any] | None:
        """The ledger's newest line (None when it is empty)."""
        if self.readonly:
            return self._last_line()
        with self._locked():
            self._recover()
            return self._last_line()

    def add_head_stamp(self, seq: int, line_hash: str, tsr: bytes, tsa: str, gen_time: str) -> int:
        """Keep a time-stamp over the hash of ledger line ``seq`` (the chain up to
        there), so that lines removed before it, or the chain rewritten, show:
        a bundle's own token covers its id, not its place in the ledger."""
        with self._locked():
            path = self.head_path(seq)
            return self._commit(
                {
                    "head": line_hash,
                    "head_seq": seq,
                    "tsr_sha256": sha256(tsr),
                    "tsa": tsa,
                    "gen_time": gen_time,
                    "at": utc_now(),
                },
                path,
                tsr,
                path,
            )

    def note(self, entry: Mapping[str, Any]) -> int:
        """Append a line of another kind (an analyst's review, a referral to
        a regulator) to the hash chain, so that who decided what and when is
        as tamper-evident as the bundles; returns its sequence number.  Its
        keys must not be those the verifiers read as a bundle, a token or a
        head stamp, nor the chain's own (seq, prev, hash); ``at`` is added
        when missing.  Nothing but the line is written."""
        taken = sorted(NOTE_REFUSED.intersection(entry))
        if taken:
            raise StoreError(
                f"a ledger note cannot use the key(s) {', '.join(taken)}: "
                "they mean a bundle, a time-stamp or the chain itself"
            )
        line = {"at": utc_now(), **entry}
        try:
            canonical(line)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"a ledger note must be JSON: {exc}") from exc
        with self._locked():
            self._recover()
            return self._append_locked(line)

    def _append(self, entry: dict[str, Any]) -> int:
        with self._locked():
            return self._append_locked(entry)

    def _commit(self, entry: dict[str, Any], path: Path, data: bytes, made: Path | None) -> int:
        """Write ``path`` (unless ``made`` is None: it is there already), then
        append ``entry``: one step, which the caller holds the lock for.
        ``made`` (the bundle's folder, a token file) is what the step adds; it
        is named in the journal first, so that a process killed before the line
        is appended leaves it to be set aside by the next writer (``_recover``),
        and a step that fails (a full disk) removes it before reporting."""
        if self.readonly:
            raise StoreError("the store was opened read-only")
        self._recover()
        if made is None:
            return self._append_locked(entry)
        journal = self.root / JOURNAL
        note = {"entry": entry, "made": made.relative_to(self.root).as_posix()}
        try:
            _write_durably(journal, canonical(note))
            _write_durably(path, data)
            seq = self._append_locked(entry)
        except StoreError:  # nothing appended (a failed append is cut back)
            _remove(made)
            journal.unlink(missing_ok=True)
            raise
        # anything else leaves the journal, and _recover, which reads the ledger, to judge
        journal.unlink()
        return seq

    def _append_locked(self, entry: dict[str, Any]) -> int:
        """Append one line (the caller holds the lock).  A failed write (a full
        disk) is cut back, so the ledger never keeps half a line."""
        if self.readonly:
            raise StoreError("the store was opened read-only")
        last = self._last_line()
        seq = (last["seq"] + 1) if last else 1
        line = dict(entry, seq=seq, prev=last["hash"] if last else GENESIS)
        line["hash"] = sha256(canonical(line))
        size = self.ledger_path.stat().st_size
        try:
            with self.ledger_path.open("ab") as f:
                f.write(canonical(line) + b"\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            with contextlib.suppress(OSError), self.ledger_path.open("r+b") as f:
                f.truncate(size)
                os.fsync(f.fileno())
            raise StoreError(f"could not append to {self.ledger_path}: {exc}") from exc
        return seq

    # --- reading ------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest[2:4] / digest

    def bundle_path(self, bundle_id: str) -> Path:
        return self.root / "bundles" / bundle_id / "manifest.json"

    def timestamp_path(self, bundle_id: str, copy: int = 1) -> Path:
        """A bundle's first token (``timestamp.tsr``) or its ``copy``-th."""
        return self.root / "bundles" / bundle_id / token_name(copy)

    def head_path(self, seq: int) -> Path:
        return self.root / "heads" / f"{seq:012d}.tsr"

    def bundle_ids(self) -> list[str]:
        """Every sealed bundle, in ledger order."""
        return list(self._read_index().bundles)

    def stamps(self) -> dict[str, dict[str, Any]]:
        """The timestamp ledger line of each stamped bundle."""
        return dict(self._read_index().stamps)

    def stamp(self, bundle_id: str) -> dict[str, Any] | None:
        """The timestamp ledger line of one bundle (None while it waits)."""
        return self._read_index().stamps.get(bundle_id)

    def unstamped(self) -> list[str]:
        """Bundles in the ledger with no time-stamp token yet, oldest first."""
        index = self._read_index()
        return [b for b in index.bundles if b not in index.stamps]

    def tokens(self, bundle_id: str) -> list[dict[str, Any]]:
        """The ledger lines of every token of a bundle: its "timestamp" line
        first, then its "timestamp_copy" lines in order (empty while it waits)."""
        index = self._read_index()
        first = index.stamps.get(bundle_id)
        return [] if first is None else [first, *index.copies.get(bundle_id, [])]

    def token_counts(self) -> dict[str, int]:
        """How many tokens each bundle has, in ledger order."""
        index = self._read_index()
        return {
            b: 1 + len(index.copies.get(b, [])) if b in index.stamps else 0 for b in index.bundles
        }

    def short_of(self, wanted: int) -> list[str]:
        """Bundles with fewer than ``wanted`` tokens, oldest first: the queue
        when each bundle is to be stamped by ``wanted`` TSAs."""
        return [b for b, n in self.token_counts().items() if n < max(wanted, 1)]

    def _read_index(self) -> _LedgerIndex:
        """The ledger's bundles and stamps, read on from where the last call
        stopped (a queue of thousands is then drained in linear time)."""
        with self._index_lock:
            return self._read_index_unlocked()

    def _read_index_unlocked(self) -> _LedgerIndex:
        index = self._index
        try:
            with self.ledger_path.open("rb") as f:
                if f.seek(0, os.SEEK_END) < index.offset:
                    index = self._index = _LedgerIndex()  # cut back: read it again
                f.seek(index.offset)
                data = f.read()
        except FileNotFoundError:
            return index
        end = data.rfind(b"\n") + 1  # a torn last line is left for later
        for raw in data[:end].splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if "bundle" in line:
                index.bundles.setdefault(str(line["bundle"]), None)
            elif "timestamp" in line:
                index.stamps[str(line["timestamp"])] = line
            elif COPY_KEY in line:
                index.copies.setdefault(str(line[COPY_KEY]), []).append(line)
        index.offset += end
        return index

    def manifest(self, bundle_id: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.bundle_path(bundle_id).read_bytes())
        return loaded

    def ledger(self) -> Iterator[dict[str, Any]]:
        with self.ledger_path.open("rb") as f:
            for raw in f:
                if raw.strip():
                    yield json.loads(raw)

    # --- checking -----------------------------------------------------------

    # --- internals ----------------------------------------------------------

    def _locked(self) -> AbstractContextManager[None]:
        if self.readonly:
            raise StoreError("the store was opened read-only")
        return exclusive(self.root / ".ledger.lock")

    def _last_line(self) -> dict[str, Any] | None:
        """The newest ledger line, read from the end of the file (not the whole)."""
        with self.ledger_path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            step = 4096
            while True:
                start = max(0, size - step)
                f.seek(start)
                tail = f.read(size - start).rstrip(b"\n")
                if b"\n" in tail or start == 0:
                    break
                step *= 4
        last = tail.rsplit(b"\n", 1)[-1]
        if not last.strip():
            return None
        try:
            found: dict[str, Any] = json.loads(last)
        except ValueError as exc:
            raise StoreError(f"the ledger's last line is not JSON: {exc}") from exc
        return found

    def _recover(self) -> None:
        """Finish what a process killed while writing left behind (the caller
        holds the lock): a torn last ledger line, and the file of a step whose
        ledger line was never appended, which is moved to ``interrupted/``."""
        self._repair_torn_line()
        journal = self.root / JOURNAL
        try:
            note = json.loads(journal.read_bytes())
        except FileNotFoundError:
            return
        except ValueError:  # cannot happen (written whole, by rename): nothing to undo
            note = {}
        named = Path(str(note.get("made") or "."))
        made = self.root / named
        inside = named.parts and ".." not in named.parts and not named.is_absolute()
        if inside and made.exists() and not self._listed(note.get("entry") or {}):
            flat = named.as_posix().replace("/", "-")  # bundles-<id>-timestamp.tsr
            aside = self.root / INTERRUPTED / f"{utc_now().replace(':', '')}-{flat}"
            aside.parent.mkdir(exist_ok=True)
            os.replace(made, aside)
            _fsync_dir(made.parent)
            _fsync_dir(aside.parent)
            logger.warning(
                "a write to evidence store %s was cut short before its ledger line: %s moved to %s",
                self.root,
                note["made"],
                aside,
            )
        journal.unlink()
        _fsync_dir(self.root)

    def _listed(self, entry: dict[str, Any]) -> bool:
        """Whether a ledger line holds ``entry`` (the newest line, if any does)."""

        def holds(line: Any) -> bool:
            return isinstance(line, dict) and all(line.get(k) == v for k, v in entry.items())

        if holds(self._last_line()):
            return True
        marker = canonical({"at": entry.get("at")})[1:-1]
        with self.ledger_path.open("rb") as f:
            for raw in f:
                if marker in raw:
                    with contextlib.suppress(ValueError):
                        if holds(json.loads(raw)):
                            return True
        return False

    def _repair_torn_line(self) -> None:
        """A crash while appending leaves a last line without its newline.  A
        complete line (valid JSON with its own hash) only lacks the newline,
        which is added; anything else is moved to a side file, never dropped."""
        with self.ledger_path.open("rb") as f:
            if f.seek(0, os.SEEK_END) == 0:
                return
            f.seek(-1, os.SEEK_END)
            if f.read(1) == b"\n":
                return
        data = self.ledger_path.read_bytes()
        keep = data[: data.rfind(b"\n") + 1]
        torn = data[len(keep) :]
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
            line = json.loads(torn)
            claimed = line.pop("hash")
            if sha256(canonical(line)) == claimed:
                with self.ledger_path.open("ab") as f:
                    f.write(b"\n")
                    f.flush()
                    os.fsync(f.fileno())
                return
        side = self.root / f"ledger.torn-{utc_now().replace(':', '')}"
        _write_durably(side, torn)
        logger.warning(
            "ledger %s ended in a torn line (a crash while appending): %d bytes moved to %s",
            self.ledger_path,
            len(torn),
            side,
        )
        with self.ledger_path.open("r+b") as f:
            f.truncate(len(keep))
            f.flush()
            os.fsync(f.fileno())


@dataclass
class _LedgerIndex:
    offset: int = 0  # bytes of the ledger read so far
    bundles: dict[str, None] = field(default_factory=dict)  # ordered set
    stamps: dict[str, dict[str, Any]] = field(default_factory=dict)
    copies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # 2nd, 3rd... tokens


def token_name(copy: int = 1) -> str:
    """The file name of a bundle's ``copy``-th token: timestamp.tsr, timestamp-2.tsr..."""
    return "timestamp.tsr" if copy <= 1 else f"timestamp-{copy}.tsr"


def same_tsa(url: str) -> str:
    """A TSA URL reduced to what names the authority, so that the same one
    listed twice (another case, a trailing slash) is seen as one."""
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text.rstrip("/")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}".rstrip("/")


def _write_durably(path: Path, data: bytes) -> None:
    """Write, fsync, rename into place, fsync the folder: on disk or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # unique per process and thread: two captures may keep the same picture at once
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"could not write {path}: {exc}") from exc
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _remove(path: Path) -> None:
    """Take back what a failed step wrote (a folder or a file), as far as possible."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
