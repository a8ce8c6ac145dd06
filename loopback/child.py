"""A loopback server in a child process, for as long as a ``with`` block runs.

The demo web and the demo time-stamp authority run apart from the crawler, as
the real ones do: what the crawler measures (rates, clock offsets, round
trips) does not include their work, and they do not share its GIL.  Each
prints one line naming its URL when it listens; this waits for that line,
keeps draining the child's output (a full pipe would stall it), and stops the
child when the block ends.

Children run in a session of their own: a Ctrl-C in the terminal goes to the
whole foreground process group, and a server that died with it would fail the
crawl while it is closing.  The parent stops them; `die_with_parent` makes sure
they do not outlive a parent that was killed outright, and `stop_process` stops
one (the redis-server of ``crawler.finding.frontier`` too) with a deadline.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# loaded here, not in the forked child: dlopen after fork() in a threaded
# process may wait on a lock another thread held
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` for a child of this process: in the child, before exec,
    ask for SIGTERM when the parent dies (Linux prctl PR_SET_PDEATHSIG), and
    leave at once if it died before the request was made."""
    parent = os.getpid()

    def setup() -> None:
        if _LIBC is not None:
            _LIBC.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
            if os.getppid() != parent:
                os._exit(1)

    return setup


@contextmanager
def serve_child(cmd: list[str], ready: re.Pattern[str], what: str) -> Iterator[str]:
    """Run ``cmd``; yield group 1 of the first output line matching ``ready``."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )
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
        stop_process(proc, timeout=10)
        if drain is not None:
            drain.join(timeout=5)
        if proc.stdout is not None:
            with contextlib.suppress(OSError):
                proc.stdout.close()


def stop_process(proc: subprocess.Popen[Any], timeout: float) -> None:
    """SIGTERM, then up to ``timeout`` seconds for it to end, then SIGKILL."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
