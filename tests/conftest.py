"""Session fixtures: the demo web on a free loopback port, its ground truth, and
one real crawl of it by the `adwatch` command (real Chromium, real SQLite); a
module's own demo web; helpers several test modules share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from demo.generate import generate
from demo.ground_truth import ground_truth_lines
from demo.model import DemoWeb
from demo.server import DemoServer
from evidence.store import EvidenceStore
from evidence.tsa import TsaServer

ROOT = Path(__file__).resolve().parents[1]
SLOW_SECONDS = 6.0  # the demo's slow page; the crawl below times out at 3 s
# crawls in tests capture evidence only where a test asks for it (the session crawl)
CRAWL_SETTINGS = [
    "ADWATCH_CAPTURE=False",
    "DOWNLOAD_TIMEOUT=3",
    "ADWATCH_BLOCK_BACKOFF=0.2",
    "ADWATCH_BLOCK_BACKOFF_MAX=1",
    "ADWATCH_XHR_WAIT=5",
]


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    with DemoServer(generate(7, 1), port=0, slow_seconds=SLOW_SECONDS) as server:
        yield server


@pytest.fixture(scope="session")
def ground_truth(demo_server: DemoServer) -> list[dict[str, Any]]:
    return ground_truth_lines(demo_server.web)


# A module that serves the demo itself (its own slow page, takedowns and edits that
# must not reach other modules) gets a web of its own, generated once per module.


@pytest.fixture(scope="module")
def web() -> DemoWeb:
    return generate(7, 1)


@pytest.fixture(scope="module")
def truth(web: DemoWeb) -> list[dict[str, Any]]:
    return ground_truth_lines(web)


@pytest.fixture(scope="module")
def records(truth: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in truth if line["kind"] == "record"]


def adwatch(*args: str, data_dir: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the installed command as a user would, in its own process."""
    env = dict(os.environ, ADWATCH_DATA_DIR=str(data_dir))
    return subprocess.run(
        [sys.executable, "-m", "crawler.interfaces.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def adwatch_here(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the command in this process (click's runner), for a command whose
    start-up costs more than its work: its exit status, stdout and stderr as
    ``adwatch`` gives them; an exception's trace, if one escaped, in stderr."""
    from click.testing import CliRunner

    from crawler.interfaces.cli import cli

    result = CliRunner().invoke(cli, list(args), env={"ADWATCH_DATA_DIR": str(data_dir)})
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["adwatch", *args], result.exit_code, result.stdout, stderr)


def sealed(store: EvidenceStore, n: int) -> str:
    """Seal the ``n``-th of a run of small made-up bundles (a screenshot and a
    DOM, captured a second apart); its bundle id."""
    shot = store.put_blob(f"png bytes {n}".encode(), "image/png")
    html = store.put_blob(f"<html>ad {n}</html>".encode(), "text/html")
    bundle = store.seal(
        {"screenshot": shot, "dom": html},
        {"record": f"r{n}", "url": f"http://127.0.0.1/ad/{n}"},
        captured_at=f"2026-11-25T00:00:0{n}.000000Z",
    )
    return bundle.id


@dataclass
class Crawl:
    data_dir: Path
    out: str
    err: str
    returncode: int

    @property
    def rejects(self) -> list[dict[str, Any]]:
        path = self.data_dir / "rejects.jsonl"
        if not path.exists():  # written at the first reject
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaServer]:
    """adwatch's own RFC 3161 time-stamp authority on a free loopback port."""
    with TsaServer(tmp_path_factory.mktemp("tsa")) as server:
        yield server


@pytest.fixture(scope="session")
def crawl(
    demo_server: DemoServer, tsa: TsaServer, tmp_path_factory: pytest.TempPathFactory
) -> Crawl:
    """One crawl of the whole demo web, ending with evidence capture."""
    data_dir = tmp_path_factory.mktemp("crawl")
    args = ["crawl", "--base-url", demo_server.base_url]
    settings = [
        *CRAWL_SETTINGS,
        "ADWATCH_CAPTURE=True",
        # below SLOW_SECONDS, so the demo's never-ending sub-resource outlasts it
        "ADWATCH_CAPTURE_LOAD_WAIT=3",
        f"ADWATCH_TSA_URL={tsa.url}",
        f"ADWATCH_TSA_CA={tsa.files.ca_pem}",
        # two OCR workers sharing the cores: the one real crawl that runs more
        # than one, and 239-244 s here against 269-277 s with the default one
        "ADWATCH_OCR_WORKERS=2",
    ]
    for setting in settings:
        args += ["-s", setting]
    done = adwatch(*args, data_dir=data_dir, timeout=900)
    return Crawl(data_dir, done.stdout, done.stderr, done.returncode)
