"""Takedowns and edits made while the web is served, so `recheck` has
something to find: a record's page can vanish, change its text, come back.

Only the pages a record points at can change: search landing pages
(/l/ID), video pages (/video/ID) and listings (/item?id=ID), and any page a
platform twin answers (demo/routes.py keys those by path and query; they can
be taken down, not edited).  Result pages, search APIs and seller pages keep
listing them, as real indexes lag behind.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qs, urlsplit

PageKey = tuple[str, str]  # ("landing" | "video" | "item", id)


def page_key(url_or_path: str) -> PageKey | None:
    """The page a URL or path names, ignoring host and tracking parameters;
    None for anything but a landing, video or item page."""
    parts = urlsplit(url_or_path.strip())
    path = parts.path
    if path.startswith("/l/") and len(path) > 3:
        return "landing", path[3:]
    if path.startswith("/video/") and len(path) > 7:
        return "video", path[7:]
    if path == "/item":
        ident = parse_qs(parts.query).get("id", [""])[0]
        if ident:
            return "item", ident
    return None


class PageStates:
    """Which pages are gone or edited.  Every change bumps the page's
    revision, which the router puts in its cache keys, so no cached copy of
    the page as it was is ever served again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gone: set[PageKey] = set()
        self._edits: dict[PageKey, str] = {}
        self._revision: Counter[PageKey] = Counter()

    def take_down(self, key: PageKey) -> None:
        with self._lock:
            self._gone.add(key)
            self._revision[key] += 1

    def edit(self, key: PageKey, text: str) -> None:
        with self._lock:
            self._edits[key] = text
            self._revision[key] += 1

    def restore(self, key: PageKey) -> None:
        """Back as generated: neither gone nor edited."""
        with self._lock:
            self._gone.discard(key)
            self._edits.pop(key, None)
            self._revision[key] += 1

    def get(self, key: PageKey) -> tuple[str, bool, str | None]:
        """(revision for cache keys, gone?, edited text or None)."""
        with self._lock:
            return str(self._revision[key]), key in self._gone, self._edits.get(key)


class GoneFile:
    """Keeps the pages listed in a text file (one URL or path a line, `#`
    comments) taken down: read at once, re-read whenever its mtime or size
    changes.  A page no longer listed, or every page when the file is
    removed, is restored; pages taken down by other means are left alone."""

    def __init__(
        self,
        path: str | Path,
        states: PageStates,
        resolve: Callable[[str], PageKey],
        poll_seconds: float = 0.5,
        log: TextIO | None = None,
    ) -> None:
        self.path = Path(path)
        self._states, self._resolve = states, resolve
        self._poll = poll_seconds
        self._log = log if log is not None else sys.stderr
        self._listed: set[PageKey] = set()  # pages this file took down
        self._seen: tuple[int, int] | None = None
        self._stop = threading.Event()
        self.sync()
        self._thread = threading.Thread(target=self._watch, name="demo-gone-file", daemon=True)
        self._thread.start()

    def _signature(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def _lines(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
        return [line for line in lines if line]

    def sync(self) -> None:
        """Read the file now and apply the difference to what it listed before."""
        self._seen = self._signature()
        wanted: set[PageKey] = set()
        for line in self._lines():
            try:
                wanted.add(self._resolve(line))
            except ValueError as exc:
                print(f"demo: {self.path}: {exc}", file=self._log, flush=True)
        for key in wanted - self._listed:
            self._states.take_down(key)
        for key in self._listed - wanted:
            self._states.restore(key)
        self._listed = wanted

    def _watch(self) -> None:
        while not self._stop.wait(self._poll):
            if self._signature() != self._seen:
                self.sync()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
