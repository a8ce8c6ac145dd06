"""Bulk actions Elasticsearch did not take, kept on disk until it does.

A crawl must not lose what it found because the cluster was busy (429 after
every retry), restarting, or unreachable.  Each action that still failed is
appended as one JSON line; the next write of any process using the same
file sends them again first.  Re-sending is idempotent for everything but a
record sighting whose answer was lost in transit (the cluster applied it but
the connection broke before it said so): that sighting is counted twice in
``times_seen``, which is the lesser harm than losing it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..locking import exclusive

Header = dict[str, Any]
Body = dict[str, Any] | None
Action = tuple[Header, Body]


@dataclass(frozen=True)
class Failure:
    action: Action
    status: int
    error: str


def _line(failure: Failure) -> str:
    header, body = failure.action
    entry = {"header": header, "body": body, "status": failure.status, "error": failure.error}
    return json.dumps(entry, ensure_ascii=False, default=repr) + "\n"


class RetryFile:
    """The JSON Lines file of failed actions, shared by processes under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = path.with_name(path.name + ".lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with exclusive(self._lock):
            yield

    def __len__(self) -> int:
        try:
            with self.path.open("rb") as f:
                return sum(1 for line in f if line.strip())
        except FileNotFoundError:
            return 0

    def add(self, failures: Sequence[Failure]) -> None:
        """Append failed actions, synced to disk before returning."""
        if not failures:
            return
        with self._locked(), self.path.open("a", encoding="utf-8") as f:
            f.writelines(_line(failure) for failure in failures)
            f.flush()
            os.fsync(f.fileno())

    def resend(self, send: Callable[[list[Action]], list[Failure]]) -> tuple[int, int]:
        """Send every kept action again; keep those that fail again.

        The file is only rewritten after `send` returns, under the lock, so a
        crash in between re-sends them next time rather than losing them.
        Returns (sent, still failing).  Lines that are not JSON (a torn last
        line after a crash) are kept aside in ``<file>.bad`` for a person.
        """
        with self._locked():
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                return 0, 0
            actions: list[Action] = []
            bad: list[str] = []
            for line in lines:
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    actions.append((entry["header"], entry.get("body")))
                except (ValueError, KeyError, TypeError):
                    bad.append(line)
            if bad:
                with self.path.with_name(self.path.name + ".bad").open("a", encoding="utf-8") as f:
                    f.writelines(b + "\n" for b in bad)
            failed = send(actions) if actions else []
            temporary = self.path.with_name(self.path.name + ".tmp")
            with temporary.open("w", encoding="utf-8") as f:
                f.writelines(_line(failure) for failure in failed)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, self.path)
            if not failed:
                self.path.unlink(missing_ok=True)
        return len(actions), len(failed)
