"""Faults survived, with real processes killed (SIGKILL: no chance to clean up,
as when the OOM killer strikes) and a real full file system (a small tmpfs):

- a crawl killed with kill -9 resumes from its job folder (--job-dir: its own
  persisted Redis frontier) with nothing lost and only its unfinished pages
  fetched again;
- the SQLite catalogue, killed in the middle of big upserts, opens clean, keeps
  every batch whole or not at all, and takes writes again;
- the evidence store, killed at random and at each step of sealing and
  stamping, verifies clean once reopened and goes on sealing;
- a full disk stops sealing, stamping and capturing with an error that names
  the file, keeps everything sealed before, and the work goes on once there
  is space;
- a dead time-stamp authority: bundles are sealed unstamped, the run says why,
  `adwatch timestamp` stamps them later.

Already covered elsewhere, not repeated here: a SIGINT'd crawl resuming
(test_resume.py), the torn-line and RLIMIT_FSIZE cases of the store
(test_evidence_store.py), `adwatch recheck` with a dead TSA then `adwatch
timestamp` and `verify --all` (test_evidence_e2e.py), no TSA configured
(test_evidence_run.py).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.items import AdRecord
from crawler.running.evidence_run import capture_pending
from crawler.running.run import project_settings
from demo.generate import generate
from demo.ground_truth import ground_truth_lines
from demo.server import DemoServer
from evidence.bundle import seal_capture, stamp_bundle, stamp_head
from evidence.capture import Capture
from evidence.index import open_catalogue
from evidence.netpolicy import origin_entry
from evidence.store import INTERRUPTED, JOURNAL, EvidenceStore, StoreError
from evidence.tsa import TsaServer
from evidence.verify import verify
from tests.conftest import CRAWL_SETTINGS, ROOT, SLOW_SECONDS, adwatch
from tests.test_capture import Site
from tests.test_crawl_e2e import expected, stored_urls
from tests.test_timestamp import dead_url

SEED = int(os.environ.get("ADWATCH_FAULT_SEED", "0")) or random.randrange(1, 10**6)


def rng(name: str) -> random.Random:
    """Random kill moments, reproducible: the seed is in the failure message."""
    return random.Random(f"{SEED}:{name}")


def child(code: str, *args: object) -> subprocess.Popen[str]:
    """A Python child running `code` in the project, its output piped line by line."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill9(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGKILL, no chance to clean up; what it had said until then."""
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    return out, err


def wait_line(proc: subprocess.Popen[str]) -> str:
    """The child's next line of output (it says when it is ready)."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"the child ended early: {proc.communicate(timeout=30)[1][-3000:]}")
    return line.strip()


def integrity(db: Path) -> sqlite3.Connection:
    """SQLite's own full check and FTS5's, on a new connection (which recovers
    the WAL as any later open would); the connection is returned for queries."""
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    # raises sqlite3.DatabaseError("database disk image is malformed") if the index is broken
    conn.execute("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')")
    texts, records = conn.execute(
        "SELECT (SELECT count(*) FROM record_text), (SELECT count(*) FROM records)"
    ).fetchone()
    assert texts == records  # each record's searchable text went with it
    return conn


# --- a crawl killed with kill -9, then resumed from its job folder ---------------------------

CHANNELS = ("search", "video")  # a plain-HTTP spider and a browser-rendered one
KILL_AFTER = 60  # records in the catalogue when the crawl is killed (of ~200)
# What a resumed crawl may fetch again: the requests in flight when it died
# (each spider's download slot: demo-baidu 16, demo-douyin 4) and the pages
# whose records were still in the catalogue's buffer (ADWATCH_CATALOGUE_BATCH):
# the job folder's frontier forgets a request only once its records are written.
IN_FLIGHT = 16 + 4
BUFFERED = 2 * 10


@dataclass
class KilledCrawl:
    data_dir: Path
    killed_at: int  # records in the catalogue at the kill
    first: Counter[str]  # requests the demo web answered, per path+query, before the kill
    second: Counter[str]  # ... and for the resumed run
    resumed: subprocess.CompletedProcess[str]
    truth: list[dict[str, Any]]
    cmd: list[str]


def records(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0
    try:
        return int(conn.execute("SELECT count(*) FROM records").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        conn.close()


def answered(server: DemoServer) -> Counter[str]:
    """The demo web's own count of the requests it answered, per path+query."""
    router = server.router
    with router._lock:
        return Counter(router._hits)


@pytest.fixture(scope="module")
def killed_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KilledCrawl]:
    """A real `adwatch crawl --job-dir` of the demo web (its own server, so its
    request counts are this crawl's), SIGKILLed once KILL_AFTER records are in
    the catalogue, then run again with the same job folder to its end."""
    data = tmp_path_factory.mktemp("killed-crawl")
    with DemoServer(generate(7, 1), port=0, slow_seconds=SLOW_SECONDS) as server:
        cmd = [
            sys.executable,
            "-m",
            "crawler.interfaces.cli",
            "crawl",
            "--base-url",
            server.base_url,
        ]
        cmd += ["--data-dir", str(data), "--job-dir", str(data / "job"), "--ocr-engine", "none"]
        for channel in CHANNELS:
            cmd += ["--channel", channel]
        for setting in [*CRAWL_SETTINGS, "ADWATCH_CATALOGUE_BATCH=10"]:
            cmd += ["-s", setting]
        first = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its browser too, to clear away after the kill
        )
        try:
            deadline = time.monotonic() + 240
            while (n := records(data / "catalogue.db")) < KILL_AFTER:
                assert first.poll() is None, "the crawl ended before it could be killed"
                assert time.monotonic() < deadline, f"only {n} records after 240 s"
                time.sleep(0.1)
            os.kill(first.pid, signal.SIGKILL)  # the crawler itself, as the OOM killer would
            first.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(first.pid, signal.SIGKILL)  # the orphaned browser of that run
            first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL
        before = answered(server)
        resumed = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
        after = answered(server)
        yield KilledCrawl(
            data_dir=data,
            killed_at=n,
            first=before,
            second=after - before,
            resumed=resumed,
            truth=ground_truth_lines(server.web),
            cmd=cmd,
        )


@pytest.mark.slow
@pytest.mark.browser
def test_a_crawl_killed_with_kill_9_resumes_and_loses_nothing(killed_crawl: KilledCrawl) -> None:
    """The resumed crawl ends normally; every reachable record of the ground
    truth is stored (the threshold of test_resume.py), each once (ids and
    canonical URLs unique), and the catalogue passes both integrity checks."""
    resumed = killed_crawl.resumed
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "stopped early" not in resumed.stdout
    assert records(killed_crawl.data_dir / "catalogue.db") > killed_crawl.killed_at  # mid-crawl
    urls = stored_urls(killed_crawl.data_dir)
    want = [g for g in expected(killed_crawl.truth) if g["channel"] in CHANNELS]
    missing = [g["url"] for g in want if g["url"] not in urls]
    rejects = killed_crawl.data_dir / "rejects.jsonl"
    why = rejects.read_text(encoding="utf-8")[-3000:] if rejects.exists() else "no rejects"
    assert len(missing) <= 0.05 * len(want), (missing, why)
    conn = integrity(killed_crawl.data_dir / "catalogue.db")
    try:
        rows, ids, places = conn.execute(
            "SELECT count(*), count(DISTINCT id), count(DISTINCT platform || ' ' || canonical_url)"
            " FROM records"
        ).fetchone()
    finally:
        conn.close()
    assert rows == ids == places >= len(want) - len(missing)


def page(target: str) -> bool:
    """A request the crawler's scheduler made (not a picture, not the video
    page's own data request, not a demo-internal counter)."""
    return target.startswith("/") and not target.startswith(("/img/", "/aweme/"))


@pytest.mark.slow
@pytest.mark.browser
def test_a_crawl_killed_with_kill_9_resumes_and_repeats_nothing(
    killed_crawl: KilledCrawl,
) -> None:
    """Nothing duplicated: the resumed run fetches again at most what was in
    flight or not yet stored when the crawler died; every other page is
    fetched once in all, and a record is counted twice (times_seen 2) only if
    a page it came from was fetched twice."""
    again = sorted(t for t in killed_crawl.first if page(t) and killed_crawl.second[t] > 0)
    assert len(again) <= IN_FLIGHT + BUFFERED, f"{len(again)} pages fetched again: {again[:20]}"
    conn = sqlite3.connect(killed_crawl.data_dir / "catalogue.db")
    try:
        twice = [
            json.loads(d) for (d,) in conn.execute("SELECT doc FROM records WHERE times_seen > 1")
        ]
    finally:
        conn.close()
    refetched = set(again)
    unexplained = [
        r["url"]
        for r in twice
        if not {target(r["url"]), target(r.get("referrer") or "")} & refetched
    ]
    assert unexplained == [], f"{len(twice)} records counted twice, {len(unexplained)} unexplained"


@pytest.mark.slow
@pytest.mark.browser
def test_a_finished_job_folder_has_nothing_to_resume(killed_crawl: KilledCrawl) -> None:
    """Run once more after it finished: it says so and crawls nothing (its
    frontier would filter every seed; a new crawl takes a new folder)."""
    before = records(killed_crawl.data_dir / "catalogue.db")
    again = subprocess.run(killed_crawl.cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "nothing to resume" in again.stderr
    assert records(killed_crawl.data_dir / "catalogue.db") == before
    assert not (killed_crawl.data_dir / "job" / "frontier" / "redis.pid").exists()


def target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- the catalogue killed in the middle of a write ------------------------------------------

BATCH = 400  # records per upsert: ~40 ms of writing, so most kills land inside one
REUPSERT = 25  # each batch also sees again this many records of the batch before

CATALOGUE_WRITER = r"""
import sys
from crawler.items import AdRecord
from evidence.index import open_catalogue

path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size, again = int(sys.argv[4]), int(sys.argv[5])
TEXT = "逾期先别还，当天停催，专业团队协商还款，加V: tc8888。" * 30

def record(batch, i, by):
    return AdRecord(
        channel="search", platform="demo-baidu", url=f"http://127.0.0.1/l/{batch}-{i}",
        title=f"停催 {batch}-{i}", text=f"{TEXT} {batch}-{i}", label="ad", score=0.9,
        extra={"batch": batch, "i": i, "by": by},
    ).to_dict()

with open_catalogue(f"sqlite://{path}") as catalogue:
    print("ready", flush=True)
    for n in range(first, last + 1):
        seen_again = [record(n - 1, i, n) for i in range(again)] if n else []
        catalogue.upsert([record(n, i, n) for i in range(size)] + seen_again)
        print(n, flush=True)
"""


def batches(conn: sqlite3.Connection) -> dict[int, int]:
    return dict(
        conn.execute(
            "SELECT json_extract(doc, '$.extra.batch'), count(*) FROM records GROUP BY 1"
        ).fetchall()
    )


def test_the_catalogue_survives_kill_9_in_the_middle_of_big_upserts(tmp_path: Path) -> None:
    """Each kill lands at a random moment of a run of 400-record upserts (most
    of its time is spent inside a transaction).  After each: both integrity
    checks pass, every batch the child reported is there whole, the batch it
    was writing is all there or not at all (its inserts and its updates of the
    batch before alike), and a new writer carries on from there."""
    db = tmp_path / "catalogue.db"
    moments = rng("catalogue")
    done = -1  # the newest batch in the catalogue
    for kill in range(6):
        proc = child(CATALOGUE_WRITER, db, done + 1, 10**6, BATCH, REUPSERT)
        if kill:  # the first kill may land while the catalogue is being created
            assert wait_line(proc) == "ready"
        time.sleep(moments.uniform(0.05, 0.6))
        out, err = kill9(proc)
        assert proc.returncode == -signal.SIGKILL, err[-2000:]
        reported = [int(x) for x in out.split() if x.isdigit()]
        if not db.exists():
            continue  # killed before it made the file
        conn = integrity(db)
        try:
            found = batches(conn)
            newest = max(found, default=-1)
            why = f"kill {kill} (ADWATCH_FAULT_SEED={SEED}): batches {found}"
            assert set(found) == set(range(newest + 1)), why  # no gap, nothing half-kept
            assert all(count == BATCH for count in found.values()), why
            assert newest >= max(reported, default=-1), why  # what was reported is durable
            # the updates of batch n (records of n-1 seen again) went with its inserts
            for n in range(1, newest + 2):
                again = conn.execute(
                    "SELECT count(*) FROM records WHERE json_extract(doc, '$.extra.batch') = ?"
                    " AND times_seen = 2 AND json_extract(doc, '$.extra.by') = ?",
                    (n - 1, n),
                ).fetchone()[0]
                assert again == (REUPSERT if n <= newest else 0), why
        finally:
            conn.close()
        done = newest
    # writing goes on: a last writer runs to its end
    last = done + 3
    finish = child(CATALOGUE_WRITER, db, done + 1, last, BATCH, REUPSERT)
    out, err = finish.communicate(timeout=120)
    assert finish.returncode == 0, err[-3000:]
    conn = integrity(db)
    try:
        assert batches(conn) == dict.fromkeys(range(last + 1), BATCH)
        hits = conn.execute(
            "SELECT count(*) FROM records_fts WHERE records_fts MATCH '\"当天停催\"'"
        ).fetchone()[0]
        assert hits == (last + 1) * BATCH  # the index answers for every record
    finally:
        conn.close()


# --- the evidence store killed in the middle of a write --------------------------------------

STORE_WRITER = r"""
import os, sys
from datetime import UTC, datetime
from evidence.bundle import seal_capture, stamp_bundle, stamp_head
from evidence.capture import Capture
from evidence.store import EvidenceStore
from evidence.timestamp import stamp_pending

root, tsa, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = EvidenceStore(root)
stamp_pending(store, tsa)  # what an earlier run left queued
print("ready", flush=True)
for n in range(first, first + count):
    now = datetime.now(UTC)
    capture = Capture(
        url=f"http://127.0.0.1/ad/{n}", outcome="page", reason="", started=now, finished=now,
        text=f"当天停催 {n}",
        artifacts={
            "screenshot.png": (os.urandom(300_000), "image/png"),
            "dom.html": (f"<html><body>当天停催 {n}</body></html>".encode(), "text/html"),
            "visible-text.txt": (f"当天停催 {n}".encode(), "text/plain; charset=utf-8"),
        },
    )
    bundle = seal_capture(store, capture, {"record": f"r{n}", "kind": "capture"})
    print("sealed", bundle.id, flush=True)
    outcome, why = stamp_bundle(store, bundle.id, tsa)
    assert outcome == "stamped", why
    print("stamped", bundle.id, flush=True)
    if n % 3 == 2:
        assert stamp_head(store, tsa)[0] == "stamped"
"""


def listed_and_clean(root: Path, ca: Path) -> dict[str, str]:
    """Reopen the store as the next run would (which repairs what a crash
    left), then verify it all: every bundle in the ledger passes, or waits for
    its token; the ledger and the folders hold nothing else.  Returns each
    bundle's state."""
    EvidenceStore(root)
    report = verify(EvidenceStore(root, readonly=True), None, ca)
    assert report.ledger.problems == [], report.ledger.problems
    states = {b.bundle_id: b.state for b in report.bundles}
    failed = [p for b in report.bundles if b.state == "failed" for p in b.problems]
    assert failed == [], failed
    waiting = [b for b in report.bundles if b.state == "not_checked"]
    assert all(
        b.checks["timestamp"].state == "not_checked" and b.checks["manifest"].state == "passed"
        for b in waiting
    )
    return states


def said(out: str, what: str) -> list[str]:
    return [line.split()[1] for line in out.splitlines() if line.startswith(what + " ")]


def test_the_evidence_store_survives_kill_9_at_random_moments(
    tmp_path: Path, tsa: TsaServer
) -> None:
    """A child seals captures (300 KB of artifacts each) and stamps each one
    with a real TSA, the ledger head every third; it is killed at random
    moments.  After each kill the store verifies clean once reopened, every
    bundle the child reported sealed is in the ledger, and the next child
    stamps what was left queued and goes on."""
    root = tmp_path / "evidence"
    moments = rng("store")
    sealed: list[str] = []
    n = 0
    for kill in range(6):
        proc = child(STORE_WRITER, root, tsa.url, n, 10**6)
        assert wait_line(proc) == "ready"
        time.sleep(moments.uniform(0.02, 0.5))
        out, err = kill9(proc)
        assert proc.returncode == -signal.SIGKILL, err[-2000:]
        sealed += said(out, "sealed")
        n += len(said(out, "sealed")) + 1
        states = listed_and_clean(root, tsa.files.ca_pem)
        why = f"kill {kill} (ADWATCH_FAULT_SEED={SEED})"
        assert set(sealed) <= set(states), why
        assert sum(s == "not_checked" for s in states.values()) <= 1, why
    finish = child(STORE_WRITER, root, tsa.url, n, 3)
    out, err = finish.communicate(timeout=120)
    assert finish.returncode == 0, err[-3000:]
    assert len(said(out, "stamped")) == 3
    done = adwatch("verify", "--all", "--ca", str(tsa.files.ca_pem), data_dir=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"{len(EvidenceStore(root).bundle_ids())} passed, 0 failed, 0 not checked" in (
        done.stdout
    )


# Each kill point: the child kills itself right after that step of a write, so
# every window between two steps is hit, not only those a random kill finds.
KILL_AT = (
    r"""
import os, signal, sys
from pathlib import Path
import evidence.store as store_module

point = sys.argv.pop(5)
real_write = store_module._write_durably

def write(path, data):
    real_write(path, data)
    path = Path(path)
    if {
        "blob": "blobs" in path.parts,
        "manifest": path.name == "manifest.json",
        "token": path.name == "timestamp.tsr",
        "head": path.parent.name == "heads",
    }.get(point, False):
        os.kill(os.getpid(), signal.SIGKILL)

store_module._write_durably = write

real_open = Path.open

def torn_open(self, mode="r", *args, **kwargs):
    f = real_open(self, mode, *args, **kwargs)
    if self.name != "ledger.jsonl" or mode != "ab":
        return f
    real = f.write
    def half(data):
        kind = b'"timestamp"' if point == "torn-stamp" else b'"bundle"'
        if point.startswith("torn") and kind in data:
            real(data[: len(data) // 2])
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(data)
    f.write = half
    return f

Path.open = torn_open
"""
    + STORE_WRITER
)


@pytest.mark.parametrize("point", ["blob", "manifest", "torn-seal", "token", "torn-stamp", "head"])
def test_the_evidence_store_survives_kill_9_after_each_step_of_a_write(
    tmp_path: Path, tsa: TsaServer, point: str
) -> None:
    """Killed after a blob, after the manifest (its ledger line not yet
    written), half-way through the ledger line, after the token (its line
    not yet written), half-way through that line, and after a head token: the
    reopened store verifies clean, a torn line is cut and kept aside, and
    sealing and stamping go on."""
    root = tmp_path / "evidence"
    first = child(STORE_WRITER, root, tsa.url, 0, 2)  # two good bundles
    assert first.communicate(timeout=120) and first.returncode == 0
    before = EvidenceStore(root).bundle_ids()
    killed = child(KILL_AT, root, tsa.url, 2, 3, point)  # the head is stamped after bundle 2
    _, err = killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL, err[-3000:]
    states = listed_and_clean(root, tsa.files.ca_pem)
    assert set(before) <= set(states)
    torn = list(root.glob("ledger.torn-*"))  # the half line, kept for a person to see
    assert len(torn) == point.startswith("torn")
    assert all(t.read_bytes() and not t.read_bytes().endswith(b"\n") for t in torn)
    # the manifest or token whose ledger line was never written, set aside
    aside = list((root / INTERRUPTED).glob("*"))
    assert len(aside) == (point != "blob"), aside
    going_on = child(STORE_WRITER, root, tsa.url, 5, 2)
    _, err = going_on.communicate(timeout=120)
    assert going_on.returncode == 0, err[-3000:]
    states = listed_and_clean(root, tsa.files.ca_pem)
    assert set(states.values()) == {"passed"}  # what was queued got its token too
    assert len(states) >= len(before) + 2


# --- a full disk ---------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real file system of 8 MB (tmpfs) to fill up.  Mounting needs root;
    where it is not allowed the test is skipped (test_evidence_store.py still
    fills the ledger under RLIMIT_FSIZE)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError as exc:
        pytest.skip(f"no small file system to fill: {exc}")
    if done.returncode != 0:
        pytest.skip(f"no small file system to fill: mount said {done.stderr.strip()!r}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False, timeout=30)


def fill(disk: Path) -> Path:
    """Take every free block of the file system; returns the file that holds them."""
    filler = disk / "filler"
    with filler.open("ab", buffering=0) as f:
        for chunk in (1 << 20, 1 << 12):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def free(filler: Path, size: int) -> None:
    os.truncate(filler, max(0, filler.stat().st_size - size))


def seal_one(store: EvidenceStore, n: int, size: int = 20_000) -> str:
    now = datetime.now(UTC)
    capture = Capture(
        url=f"http://127.0.0.1/ad/{n}",
        outcome="page",
        reason="",
        started=now,
        finished=now,
        artifacts={
            # the same bytes when tried again, as the blobs already kept are
            "screenshot.png": (random.Random(n).randbytes(size), "image/png"),
            "dom.html": (f"<html><body>当天停催 {n}</body></html>".encode(), "text/html"),
        },
    )
    return seal_capture(store, capture, {"record": f"r{n}", "kind": "capture"}).id


def test_a_full_disk_stops_sealing_and_stamping_clearly_and_keeps_what_was_sealed(
    small_disk: Path, tsa: TsaServer
) -> None:
    """Three bundles sealed and stamped, then the disk is full.  Space comes
    back one 4 KB page at a time while sealing, stamping and head-stamping go
    on, so each step in turn meets the full disk (a blob, the journal, the
    manifest, the ledger line, a token).  Every failure is a StoreError that
    names the file and the cause, leaves the store as it was (verify: nothing
    failed, nothing unlisted; a sealed bundle whose token could not be kept
    waits for it), and once there is space again it all goes on."""
    root = small_disk / "evidence"
    store = EvidenceStore(root)
    first = [seal_one(store, n) for n in range(3)]
    for bundle_id in first:
        assert stamp_bundle(store, bundle_id, tsa.url)[0] == "stamped"
    filler = fill(small_disk)
    failures: list[str] = []
    sealed: list[str] = []
    while len(sealed) < 8:
        assert len(failures) < 2000, failures[-5:]
        try:
            if sealed and store.stamp(sealed[-1]) is None:
                outcome, why = stamp_bundle(store, sealed[-1], tsa.url)
                if outcome != "stamped":  # the bundle stays sealed, its token not kept
                    assert outcome == "failed" and why.startswith("token not kept: "), why
                    raise StoreError(why.removeprefix("token not kept: "))
                stamp_head(store, tsa.url)  # when this fails, the next head covers it
            else:
                sealed.append(seal_one(store, len(first) + len(sealed), size=9_000))
            continue
        except StoreError as exc:
            failures.append(str(exc))
        assert str(root) in failures[-1] and "No space left on device" in failures[-1]
        states = listed_and_clean(root, tsa.files.ca_pem)
        assert set(first + sealed) == set(states)
        assert all(states[b] == "passed" for b in first)
        free(filler, 4096)
    named = [re.match(r"could not (?:write|append to) (.+?): \[Errno", f) for f in failures]
    assert all(named), failures
    files = {"blob" if "/blobs/" in m[1] else Path(m[1]).name for m in named if m}
    assert files == {"blob", JOURNAL, "manifest.json", "ledger.jsonl", "timestamp.tsr"}, failures
    free(filler, 8 << 20)  # all of it
    stamped = adwatch("timestamp", "--tsa", tsa.url, data_dir=small_disk, timeout=120)
    assert stamped.returncode == 0, stamped.stderr[-2000:]
    done = adwatch("verify", "--all", "--ca", str(tsa.files.ca_pem), data_dir=small_disk)
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"{len(first) + len(sealed)} passed, 0 failed, 0 not checked" in done.stdout


def test_a_full_disk_stops_the_catalogue_cleanly_and_writing_resumes(small_disk: Path) -> None:
    """Upserts into a catalogue on the small disk until it is full: the write
    fails with SQLite's "database or disk is full", every batch reported is
    kept whole, the failed one not at all, both integrity checks pass, and
    once space is freed the next writer carries on."""
    db = small_disk / "catalogue.db"
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * (5 << 20))  # what is deleted to free space
    writer = child(CATALOGUE_WRITER, db, 0, 10**6, 30, 5)
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 1, err[-2000:]
    assert "database or disk is full" in err.strip().splitlines()[-1], err[-2000:]
    reported = [int(x) for x in out.split() if x.isdigit()]
    assert len(reported) >= 3  # it wrote for a while before the disk was full
    ballast.unlink()
    conn = integrity(db)
    try:
        found = batches(conn)
    finally:
        conn.close()
    assert found == dict.fromkeys(range(reported[-1] + 1), 30)
    going_on = child(CATALOGUE_WRITER, db, reported[-1] + 1, reported[-1] + 2, 30, 5)
    _, err = going_on.communicate(timeout=120)
    assert going_on.returncode == 0, err[-2000:]
    conn = integrity(db)
    try:
        assert batches(conn) == dict.fromkeys(range(reported[-1] + 3), 30)
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.browser
def test_a_crawl_on_a_full_disk_does_not_report_records_it_could_not_store(
    small_disk: Path, demo_server: DemoServer
) -> None:
    """A crawl whose data folder is on an almost full disk: either the records
    it reports are in the catalogue, or it says it could not store them,
    naming the catalogue, and exits non-zero."""
    (small_disk / "ballast").write_bytes(b"\0" * (7 << 20))  # about 1 MB left
    data = small_disk / "data"
    args = ["crawl", "--channel", "search", "--base-url", demo_server.base_url]
    for setting in [*CRAWL_SETTINGS, "ADWATCH_OCR_ENGINE=none"]:
        args += ["-s", setting]
    done = adwatch(*args, data_dir=data, timeout=300)
    summary = re.search(r"total\s+(\d+)", done.stdout)
    assert summary, done.stderr[-3000:]
    claimed = int(summary[1])
    db = data / "catalogue.db"
    (small_disk / "ballast").unlink()
    stored = records(db)
    said = done.stdout + done.stderr
    assert stored == claimed or (
        done.returncode != 0 and str(db) in said and "disk is full" in said
    ), f"reported {claimed} records, {stored} stored, exit {done.returncode}"


# --- capture runs: a full disk under the evidence store, a dead time-stamp authority ----------


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


def capture_settings(data: Path, site: Site, **extra: object) -> Any:
    """Capture settings with the test site allowed by the address policy."""
    base = {
        "ADWATCH_DATA_DIR": str(data),
        "ADWATCH_CAPTURE_LOAD_WAIT": 2,
        "ADWATCH_ALLOW_HOSTS": origin_entry(site.base),
    }
    return project_settings(base | {"ADWATCH_OCR_ENGINE": "none"} | extra)


def an_ad(data: Path, site: Site) -> str:
    ad = AdRecord(channel="video", platform="nowhere", url=site.base + "/ad", label="ad")
    with open_catalogue(f"sqlite://{data / 'catalogue.db'}") as catalogue:
        catalogue.upsert([ad.to_dict()])
    return ad.id


@pytest.mark.browser
def test_a_capture_run_on_a_full_disk_says_so_and_spends_no_attempt(
    small_disk: Path, tmp_path: Path, site: Site, tsa: TsaServer
) -> None:
    """The evidence store is on the full disk (the catalogue is not): the page
    is captured but cannot be sealed.  The run says NOT KEPT, naming the file
    and the cause, and not "not evidence"; no attempt is recorded (a full disk
    is not the page's fault, and attempts are limited); the store still
    verifies.  Once there is space the next run seals and stamps it."""
    ad = an_ad(tmp_path, site)
    store_dir = small_disk / "evidence"
    EvidenceStore(store_dir)
    filler = fill(small_disk)
    settings = capture_settings(
        tmp_path,
        site,
        ADWATCH_EVIDENCE_DIR=str(store_dir),
        ADWATCH_TSA_URL=tsa.url,
        ADWATCH_TSA_CA=str(tsa.files.ca_pem),
    )
    full = capture_pending(settings, out=None)
    report = full.summary()
    assert (full.targets, full.sealed, full.not_kept) == (1, 0, 1), report
    assert "NOT KEPT: 1 pages" in report and "not evidence" not in report, report
    assert "No space left on device" in report and str(store_dir) in report, report
    with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as catalogue:
        assert catalogue.captures(ad) == []  # still queued, no attempt spent
    assert listed_and_clean(store_dir, tsa.files.ca_pem) == {}
    filler.unlink()
    again = capture_pending(settings, out=None)
    assert (again.targets, again.sealed, again.stamped, again.not_kept) == (1, 1, 1, 0)
    assert "NOT KEPT" not in again.summary()
    assert set(listed_and_clean(store_dir, tsa.files.ca_pem).values()) == {"passed"}


@pytest.mark.browser
def test_a_dead_tsa_leaves_bundles_sealed_unstamped_and_says_why(
    tmp_path: Path, site: Site, tsa: TsaServer
) -> None:
    """ADWATCH_TSA_URL names a port nothing listens on: the capture is sealed,
    not stamped, the run names the authority and says it is unreachable, and
    no ledger head is stamped; `adwatch timestamp` with a live authority later
    stamps the bundle and the head, and `adwatch verify --all` passes."""
    dead = dead_url()
    an_ad(tmp_path, site)
    figures = capture_pending(capture_settings(tmp_path, site, ADWATCH_TSA_URL=dead), out=None)
    report = figures.summary()
    assert (figures.sealed, figures.stamped, figures.unstamped) == (1, 0, 1), report
    assert f"TSA {dead}: unreachable" in figures.tsa_problem, figures.tsa_problem
    assert "1 bundles queued for a time-stamp" in report and dead in report, report
    store = EvidenceStore(tmp_path / "evidence")
    assert not any("head" in line for line in store.ledger())
    waiting = adwatch("verify", "--all", "--ca", str(tsa.files.ca_pem), data_dir=tmp_path)
    assert waiting.returncode == 0 and "1 not checked" in waiting.stdout, waiting.stdout
    stamped = adwatch("timestamp", "--tsa", tsa.url, data_dir=tmp_path)
    assert stamped.returncode == 0, stamped.stdout + stamped.stderr
    assert "time-stamped 1 of 1 bundles" in stamped.stdout
    done = adwatch("verify", "--all", "--ca", str(tsa.files.ca_pem), data_dir=tmp_path)
    assert done.returncode == 0, done.stdout
    assert "1 passed, 0 failed, 0 not checked" in done.stdout
    assert "sealed by a time-stamp" in done.stdout  # the head, stamped with the bundle
