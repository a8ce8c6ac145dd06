"""The evidence store: content-addressed blobs, sealed bundles, a hash-chained ledger.

Layout under the store's root (``<data dir>/evidence`` by default)::

    blobs/ab/cd/<sha256>            every artifact once, named by its SHA-256
    bundles/<id>/manifest.json      one capture: canonical JSON listing each
                                    artifact's sha256, size and media type
    bundles/<id>/timestamp.tsr      the RFC 3161 time-stamp response over the
                                    bundle id (the manifest's SHA-256)
    ledger.jsonl                    append-only; line N carries the hash of
                                    line N-1, so no line can be edited, removed
                                    or reordered without breaking the chain

The ledger has two kinds of line: ``{"bundle": id}`` when a bundle is sealed
and ``{"timestamp": id, "tsr_sha256": ..., "tsa": ..., "gen_time": ...}`` when
its time-stamp token arrives.  A bundle sealed while the time-stamp authority
was down has the first line and not yet the second: the queue of bundles to
stamp is read off the ledger itself (``unstamped``), so it cannot be lost or
fall out of step with the bundles, and ``check`` reports every one it finds.

A bundle's id is the SHA-256 of its canonical manifest (sorted keys, no
spaces, UTF-8), so the id itself proves the manifest.  Every file is written
to a temporary name, fsynced, renamed and its folder fsynced before success is
reported; the ledger line is appended last, so a crash in the middle of a
capture leaves at most an unlisted bundle folder (reported by ``check``),
never a half bundle in the ledger.  A ledger line torn by a crash (no final
newline) is cut off when the store is next opened, and the cut is logged.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

GENESIS = "0" * 64  # the "previous hash" of the first ledger line
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        for sub in ("blobs", "bundles"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.ledger_path = self.root / "ledger.jsonl"
        self.ledger_path.touch(exist_ok=True)
        with self._locked():
            self._repair_torn_line()

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
        if not path.exists():
            _write_durably(path, body)
        seq = self._append({"bundle": bundle_id, "at": utc_now()})
        return Bundle(bundle_id, manifest, seq)

    def add_timestamp(self, bundle_id: str, tsr: bytes, tsa: str, gen_time: str) -> int:
        """Keep a bundle's time-stamp response and note it in the ledger (a token
        written but not yet in the ledger is simply replaced by the next one)."""
        if not _SHA256.match(bundle_id) or not self.bundle_path(bundle_id).exists():
            raise StoreError(f"no bundle {bundle_id!r} to time-stamp")
        if bundle_id in self.stamps():
            raise StoreError(f"bundle {bundle_id} is already time-stamped")
        _write_durably(self.timestamp_path(bundle_id), tsr)
        return self._append(
            {
                "timestamp": bundle_id,
                "tsr_sha256": sha256(tsr),
                "tsa": tsa,
                "gen_time": gen_time,
                "at": utc_now(),
            }
        )

    def _append(self, entry: dict[str, Any]) -> int:
        with self._locked():
            last = self._last_line()
            seq = (last["seq"] + 1) if last else 1
            line = dict(entry, seq=seq, prev=last["hash"] if last else GENESIS)
            line["hash"] = sha256(canonical(line))
            with self.ledger_path.open("ab") as f:
                f.write(canonical(line) + b"\n")
                f.flush()
                os.fsync(f.fileno())
        return seq

    # --- reading ------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest[2:4] / digest

    def bundle_path(self, bundle_id: str) -> Path:
        return self.root / "bundles" / bundle_id / "manifest.json"

    def timestamp_path(self, bundle_id: str) -> Path:
        return self.root / "bundles" / bundle_id / "timestamp.tsr"

    def bundle_ids(self) -> list[str]:
        """Every sealed bundle, in ledger order."""
        return [str(line["bundle"]) for line in self.ledger() if "bundle" in line]

    def stamps(self) -> dict[str, dict[str, Any]]:
        """The latest timestamp ledger line of each stamped bundle."""
        return {str(line["timestamp"]): line for line in self.ledger() if "timestamp" in line}

    def unstamped(self) -> list[str]:
        """Bundles in the ledger with no time-stamp token yet, oldest first."""
        stamped = self.stamps()
        return [b for b in dict.fromkeys(self.bundle_ids()) if b not in stamped]

    def manifest(self, bundle_id: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.bundle_path(bundle_id).read_bytes())
        return loaded

    def ledger(self) -> Iterator[dict[str, Any]]:
        with self.ledger_path.open("rb") as f:
            for raw in f:
                if raw.strip():
                    yield json.loads(raw)

    # --- checking -----------------------------------------------------------

    def check(self) -> list[str]:
        """Everything wrong with the store's structure, in words (empty: none):
        blobs, manifests, the ledger chain, token files against the ledger.
        Whether each token is genuine is ``evidence.verify``'s full check."""
        from evidence.verify import Verifier

        return Verifier(self, tokens=False).run().failures()

    # --- internals ----------------------------------------------------------

    def _locked(self) -> _Lock:
        return _Lock(self.root / ".ledger.lock")

    def _last_line(self) -> dict[str, Any] | None:
        data = self.ledger_path.read_bytes()
        lines = data.rstrip(b"\n").rsplit(b"\n", 1)
        last = lines[-1] if lines else b""
        if not last.strip():
            return None
        found: dict[str, Any] = json.loads(last)
        return found

    def _repair_torn_line(self) -> None:
        data = self.ledger_path.read_bytes()
        if not data or data.endswith(b"\n"):
            return
        keep = data[: data.rfind(b"\n") + 1]
        logger.warning(
            "ledger %s ended in a torn line (a crash while appending); cut %d bytes",
            self.ledger_path,
            len(data) - len(keep),
        )
        with self.ledger_path.open("r+b") as f:
            f.truncate(len(keep))
            f.flush()
            os.fsync(f.fileno())


class _Lock:
    """An exclusive lock on a file: one writer at a time across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    def __enter__(self) -> _Lock:
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


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
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
