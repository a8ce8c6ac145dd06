"""One writer at a time, across processes: an exclusive flock on a file.

The evidence store's ledger, the demo TSA's PKI and a signing identity are
each made or appended by whoever runs first; two at once would interleave
lines or each make a root and overwrite the other's.  A job's profile lock
and a job folder's frontier (crawler.running.jobs) take the same lock
without waiting: a second run of the same profile is told it is busy.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path, busy: Callable[[], Exception] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created 0600 if missing) for the
    block, waiting for another holder; with ``busy``, never wait: raise
    ``busy()`` if another process holds it.  The lock dies with its holder,
    even after kill -9."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if busy is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise busy() from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
