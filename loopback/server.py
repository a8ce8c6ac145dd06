"""What a server on 127.0.0.1 does between ``with`` and the block's end.

:class:`LoopbackServer` is the contract: ``start()`` returns once it answers
(a server that starts on creation has nothing left to do), ``stop()`` may be
called any number of times, and ``with`` is start ... stop.
:class:`HTTPThreadServer` is the in-process kind: a ``ThreadingHTTPServer``
already bound and listening (port 0: a free one) served from a daemon thread.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Generic, NoReturn, Self, TypeVar

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A loopback TCP port free right now (the caller binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class LoopbackServer:
    """A server on ``host`` (127.0.0.1) and ``port``, for a ``with`` block."""

    host: str = LOOPBACK
    port: int = 0

    def start(self) -> Self:
        """Start and return once it answers; here: started on creation already."""
        return self

    def stop(self) -> None:
        """Stop and free what it holds; again: nothing."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


H = TypeVar("H", bound=ThreadingHTTPServer)


class HTTPThreadServer(LoopbackServer, Generic[H]):
    """An ``http.server`` served from a daemon thread of this process.

    A subclass makes its server (bound and listening, so it answers at once)
    and hands it to :meth:`_serve`; :meth:`stop` ends the loop, closes the
    socket and waits up to 5 s for the thread.  The hooks let a subclass wake
    handlers that wait (:meth:`_stopping`) or cut idle connections once the
    loop has ended (:meth:`_shut_down`)."""

    _httpd: H
    _thread: threading.Thread
    _stopped: bool

    def _serve(self, httpd: H, host: str, name: str) -> None:
        self._httpd = httpd
        self.host, self.port = host, int(httpd.server_address[1])
        self._stopped = False
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"{name}-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._stopping()
        self._httpd.shutdown()
        self._shut_down()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _stopping(self) -> None:
        """Before the serving loop ends."""

    def _shut_down(self) -> None:
        """After the serving loop ended, before the socket closes."""


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def until_interrupted() -> Iterator[None]:
    """For a server run as a program: SIGTERM acts as Ctrl-C inside the block
    (in the main thread), and either ends the block quietly."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main else None
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def wait_forever() -> NoReturn:
    """Sleep until a signal ends it (see :func:`until_interrupted`)."""
    while True:
        time.sleep(3600)
