"""A loopback server in a child process, for as long as a ``with`` block runs.

The demo web and the demo time-stamp authority run apart from the crawler, as
the real ones do: what the crawler measures (rates, clock offsets, round
trips) does not include their work, and they do not share its GIL.  Each
prints one line naming its URL when it listens; this waits for that line,
keeps draining the child's output (a full pipe would stall it), and stops the
child when the block ends.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serve_child(cmd: list[str], ready: re.Pattern[str], what: str) -> Iterator[str]:
    """Run ``cmd``; yield group 1 of the first output line matching ``ready``."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    drain: threading.Thread | None = None
    try:
        assert proc.stdout is not None
        said: list[str] = []
        found = None
        while found is None and len(said) < 20:
            line = proc.stdout.readline()
            if not line:
                break
            said.append(line.strip())
            found = ready.search(line.strip())
        if found is None:
            raise RuntimeError(f"{what} did not start (said {said!r}, exit {proc.poll()})")
        drain = threading.Thread(target=proc.stdout.read, daemon=True)
        drain.start()
        yield found.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if drain is not None:
            drain.join(timeout=5)
        if proc.stdout is not None:
            with contextlib.suppress(OSError):
                proc.stdout.close()
