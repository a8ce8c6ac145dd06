"""SIGINT and SIGTERM: how a person, systemd or `adwatch schedule` asks a run
to stop.  The crawl (crawler.running.run) and the scheduler (crawler.running.schedule) each
take them over for a while and must then give them back exactly."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_signals_to(handler: Callable[[int, Any], Any]) -> Iterator[None]:
    """SIGINT and SIGTERM go to ``handler`` for the block (main thread only),
    then back to what they were: a handler set outside Python cannot be put
    back, and gets the default action."""
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, before in previous.items():
            signal.signal(sig, signal.SIG_DFL if before is None else before)
