"""A workbench served on a free loopback port, and an HTTP client that keeps
its session: what the web tests talk to (real uvicorn, real HTTP)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import uvicorn

from loopback.server import LOOPBACK, free_port

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class WorkbenchServer:
    """``create_app(settings)`` served by uvicorn in a thread for a ``with`` block."""

    def __init__(self, settings: Any) -> None:
        from crawler.interfaces.web.app import create_app

        self.port = free_port()
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host=LOOPBACK, port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the workbench did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Answer:
    status: int
    url: str
    headers: Any
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """One person's HTTP session (cookies kept), redirects followed or not."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.follow = urllib.request.build_opener(cookies)
        self.stay = urllib.request.build_opener(cookies, _NoRedirect())
        self.csrf = ""

    def request(
        self,
        path: str,
        form: dict[str, Any] | None = None,
        follow: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        url = self.base + urllib.parse.quote(path, safe="/?=&%:")
        req = urllib.request.Request(url, data=data, headers=headers or {})
        opener = self.follow if follow else self.stay
        try:
            with opener.open(req, timeout=30) as resp:
                answer = Answer(resp.status, resp.url, resp.headers, resp.read().decode())
        except urllib.error.HTTPError as err:
            answer = Answer(err.code, err.url, err.headers, err.read().decode())
        found = _CSRF.search(answer.body)
        if found:
            self.csrf = found.group(1)
        return answer

    def get(self, path: str, follow: bool = True) -> Answer:
        return self.request(path, follow=follow)

    def post(self, path: str, follow: bool = True, csrf: bool = True, **form: Any) -> Answer:
        return self.request(path, {**form, **({"csrf": self.csrf} if csrf else {})}, follow)

    def login(self, name: str, password: str) -> Answer:
        self.get("/login")
        return self.post("/login", name=name, password=password)


@contextmanager
def web_process(
    data_dir: Path, *options: str, context: ssl.SSLContext | None = None
) -> Iterator[str]:
    """`adwatch web` itself, in its own process on a free loopback port, for
    a ``with`` block: its URL once /login answers (over TLS with ``context``).
    Its output goes to web.log beside ``data_dir``; a trace there fails."""
    port = free_port()
    log = data_dir.parent / "web.log"
    scheme = "https" if context else "http"
    url = f"{scheme}://{LOOPBACK}:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crawler.interfaces.cli",
                "web",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                *options,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url + "/login", timeout=2, context=context) as a:
                        a.read()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"adwatch web did not start: {log.read_text()}"
                        ) from None
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
