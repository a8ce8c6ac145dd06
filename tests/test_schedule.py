"""The standing watch: schedule files, profile locks, job history, and
`adwatch schedule` running demo profiles unattended on the demo web."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.running.jobs import MANUAL, Busy, Job, close_job, profile_lock, running
from crawler.running.schedule import Profile, ScheduleError, Watch, child_env, load_schedule
from evidence.index import open_catalogue
from tests.conftest import CRAWL_SETTINGS, adwatch


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_schedule_loads() -> None:
    profiles = {p.name: p for p in load_schedule(Path("crawler/running/schedule.yaml"))}
    assert set(profiles) == {"demo-search", "demo-video", "demo-market", "recheck"}
    assert profiles["recheck"].command == "recheck"
    assert profiles["demo-market"].max_pages == 400


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("profiles: {a: {channel: search}}", "exactly one of 'every' and 'cron'"),
        ("profiles: {a: {every: 5m, cron: '* * * * *'}}", "exactly one"),
        ("profiles: {a: {every: soon}}", "duration like 30m"),
        ("profiles: {a: {every: 0s}}", "more than 0"),
        ("profiles: {a: {cron: '61 * * * *'}}", "cron '61 \\* \\* \\* \\*'"),
        ("profiles: {a: {every: 5m, command: delete}}", "command must be one of"),
        ("profiles: {a: {every: 5m, max_pages_total: -1}}", "max_pages_total"),
        ("profiles: {}", "no profiles"),
        ("jobs: []", "a 'profiles' mapping"),
        ("profiles: {a: [", "schedule.yaml"),
    ],
)
def test_bad_schedules_are_refused_with_the_profile_named(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ScheduleError, match=message):
        load_schedule(write(tmp_path, text))


def test_a_profile_becomes_its_command_line() -> None:
    profile = Profile(
        "p",
        "crawl",
        options={"channel": ["search", "video"], "older_than": 0, "verbose": True, "x": False},
        max_minutes=2,
        max_pages=50,
    )
    argv = profile.argv("j1")
    assert argv[1:] == [
        "-m",
        "crawler.interfaces.cli",
        "crawl",
        "--profile",
        "p",
        "--job-id",
        "j1",
        "--channel",
        "search",
        "--channel",
        "video",
        "--older-than",
        "0",
        "--verbose",
        "-s",
        "CLOSESPIDER_TIMEOUT=120",
        "-s",
        "CLOSESPIDER_PAGECOUNT=50",
    ]
    recheck = Profile("r", "recheck", options={"older_than": "12h"}).argv("j2")
    assert "-s" not in recheck and recheck[-2:] == ["--older-than", "12h"]


def test_settings_reach_every_run_and_the_base_url_only_crawls(tmp_path: Path) -> None:
    """`schedule -s` is passed to re-checks too (they take -s since it tunes the
    capture); --base-url is the crawl's alone (a re-check would refuse it)."""
    env = child_env({"ADWATCH_DATA_DIR": str(tmp_path / "var")})
    said: list[str] = []
    watch = Watch(
        [],
        env,
        ["--base-url", "http://127.0.0.1:9"],
        out=said.append,
        settings_args=["-s", "ADWATCH_CAPTURE_CONCURRENCY=0"],
    )
    run = watch.run_once(Profile("again", "recheck", options={"older_than": "0"}))
    assert run is not None and run.returncode == 1, said
    assert any("ADWATCH_CAPTURE_CONCURRENCY must be > 0" in line for line in said), said


def test_a_profile_lock_is_exclusive_and_dies_with_its_process(tmp_path: Path) -> None:
    with (
        profile_lock(tmp_path, "demo-search"),
        pytest.raises(Busy),
        profile_lock(tmp_path, "demo-search"),
    ):
        pass
    with profile_lock(tmp_path, "demo-search"), profile_lock(tmp_path, "other"):
        pass  # free again, and profiles do not share a lock
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path\n"
            "from crawler.running.jobs import profile_lock\n"
            f"with profile_lock(Path({str(tmp_path)!r}), 'demo-search'):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(Busy), profile_lock(tmp_path, "demo-search"):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    with profile_lock(tmp_path, "demo-search"):
        pass  # no stale lock after kill -9


def test_running_records_each_ending(tmp_path: Path) -> None:
    uri = f"sqlite://{tmp_path / 'c.db'}"
    with running(uri, tmp_path, Job(profile="p", kind="crawl", id="ok")) as job:
        job.pages = 3
    with pytest.raises(RuntimeError), running(uri, tmp_path, Job("p", "crawl", id="bad")):
        raise RuntimeError("site changed")
    with pytest.raises(KeyboardInterrupt), running(uri, tmp_path, Job("p", "crawl", id="int")):
        raise KeyboardInterrupt
    outer, second = Job("p", "crawl", id="outer"), Job("p", "crawl", id="second")
    with running(uri, tmp_path, outer), pytest.raises(Busy), running(uri, tmp_path, second):
        pass
    m1, m2 = Job(MANUAL, "crawl", id="m1"), Job(MANUAL, "crawl", id="m2")
    with running(uri, tmp_path, m1), running(uri, tmp_path, m2):
        pass  # manual runs take no lock
    with open_catalogue(uri) as cat:
        jobs = {j["id"]: j for j in cat.jobs(limit=10)}
    assert {k: j["status"] for k, j in jobs.items()} == {
        "ok": "finished",
        "bad": "failed",
        "int": "interrupted",
        "outer": "finished",
        "second": "skipped",
        "m1": "finished",
        "m2": "finished",
    }
    assert jobs["ok"]["pages"] == 3 and "site changed" in jobs["bad"]["note"]
    assert "already running" in jobs["second"]["note"]
    assert all(j["ended"] >= j["started"] for j in jobs.values())


@pytest.mark.browser
@pytest.mark.slow
def test_schedule_runs_the_demo_profiles_unattended(demo_server, tmp_path: Path) -> None:
    """Two profiles on short intervals for 70 s (room for a loaded machine): each
    runs, none overlaps itself, every run is in the job history with its figures
    and monitor verdict."""
    schedule = write(
        tmp_path,
        f"""
profiles:
  market:
    command: crawl
    every: 8s
    channel: market
    base_url: {demo_server.base_url}
    max_pages: 1
    max_time: 2m
    max_pages_total: 30
  search:
    command: crawl
    every: 8s
    channel: search
    base_url: {demo_server.base_url}
    query: 征信修复
    max_pages: 1
    max_time: 2m
""",
    )
    data = tmp_path / "var"
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    webhook = f"ADWATCH_ALERT_WEBHOOK_URL=http://127.0.0.1:{hook.server_address[1]}/hook"
    sets = [arg for item in [*CRAWL_SETTINGS, webhook] for arg in ("-s", item)]
    try:
        result = adwatch(
            "schedule",
            "--file",
            str(schedule),
            "--run-for",
            "70s",
            *sets,
            data_dir=data,
            timeout=400,
        )
    finally:
        hook.shutdown()
        hook.server_close()
    assert result.returncode == 0, result.stderr[-2000:]
    assert "scheduled market" in result.stdout
    listed = adwatch("jobs", "--json", "--limit", "100", data_dir=data)
    jobs = [json.loads(line) for line in listed.stdout.splitlines()]
    by_profile: dict[str, list[dict]] = {}
    for job in jobs:
        by_profile.setdefault(job["profile"], []).append(job)
    summary = [(j["profile"], j["status"], j["started"], j["ended"], j["note"]) for j in jobs]
    assert set(by_profile) == {"market", "search"}, (summary, result.stdout[-2000:])
    # a quick profile ran again on its interval
    assert len(by_profile["search"]) >= 2, (summary, result.stdout[-2000:])
    for profile, runs in by_profile.items():
        spans = sorted(
            (
                datetime.fromisoformat(j["started"].replace("Z", "+00:00")),
                datetime.fromisoformat((j["ended"] or j["started"]).replace("Z", "+00:00")),
            )
            for j in runs
        )
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"{profile} runs overlapped"
        for job in runs:
            assert job["status"] in ("finished", "interrupted"), job
            assert job["kind"] == "crawl" and job["host"] and job["pid"] != os.getpid()
    # The first market run (jobs come newest first): later runs find no new ads.
    market = [j for j in by_profile["market"] if j["status"] == "finished"][-1]
    # Bounded by max_pages_total: stopped there (with what was in flight, images
    # included), well short of the whole market (about 116 responses).
    assert market["finish_reasons"] == {"market": "closespider_pagecount"}
    assert 30 <= market["pages"] < 100 and market["ads"] > 0 and market["new_ads"] > 0
    assert market["pages_by_platform"] and market["monitors"]["market"]["failed"] == []
    table = adwatch("jobs", data_dir=data).stdout
    assert "market" in table and "finished" in table
    # The first market run found the demo's gangs: alerts went to the webhook, once.
    kinds = [a["kind"] for message in received for a in message["alerts"]]
    assert all(m["source"] == "adwatch" for m in received)
    assert "new_operator" in kinds and market["alerts"]
    keys = [(a["kind"], a.get("key")) for m in received for a in m["alerts"]]
    assert len(keys) == len(set(keys))  # deduplicated across runs


@pytest.mark.browser
@pytest.mark.slow
def test_a_run_over_its_time_is_killed_and_recorded(demo_server, tmp_path: Path) -> None:
    data = tmp_path / "var"
    uri = f"sqlite://{data / 'catalogue.db'}"
    env = child_env({"ADWATCH_DATA_DIR": str(data), "ADWATCH_CATALOGUE": uri})
    profile = Profile(
        "slow",
        "crawl",
        every=None,
        max_minutes=2 / 60,
        options={"channel": "market", "base_url": demo_server.base_url},
    )
    marked: list[str] = []
    extra = ["-s", "CLOSESPIDER_TIMEOUT=0", "-s", "ADWATCH_CAPTURE=False"]  # no clean stop

    def ended(p: Profile, job_id: str, ending: str) -> None:
        marked.append(job_id)
        close_job(uri, p.name, p.command, job_id, ending)

    watch = Watch([profile], env, extra, on_end=ended, out=lambda _: None, grace=3)
    started = time.monotonic()
    run = watch.run_once(profile)
    assert run is not None and run.timed_out and time.monotonic() - started < 60
    with open_catalogue(uri) as cat:
        (job,) = cat.jobs(profile="slow")
    assert marked == [run.job_id] == [job["id"]]
    assert job["status"] == "timeout" and "time limit" in job["note"]


# A run that takes `closing` seconds to finish after SIGINT, as a crawl stopped by
# hand does while it stores what it has fetched; it writes `ready` once it listens.
CLOSING_RUN = """
import signal, sys, time
from pathlib import Path
closing, ready = float(sys.argv[1]), Path(sys.argv[2])
def finish(*_):
    time.sleep(closing)
    sys.exit(0)
signal.signal(signal.SIGINT, finish)
ready.write_text("ready")
time.sleep(600)
"""


@dataclass(frozen=True)
class ClosingRun(Profile):
    closing: float = 0.0
    ready: str = ""

    def argv(self, job_id: str) -> list[str]:
        return [sys.executable, "-c", CLOSING_RUN, str(self.closing), self.ready]


def _signal_us_when_ready(ready: Path, times: int) -> threading.Thread:
    """SIGINT to this process once the run listens and the watch has taken over
    SIGINT from pytest, then again 0.5 s later if `times` is 2."""
    ours = signal.getsignal(signal.SIGINT)

    def send() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if ready.exists() and signal.getsignal(signal.SIGINT) is not ours:
                for _ in range(times):
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(0.5)
                return
            time.sleep(0.05)

    sender = threading.Thread(target=send)
    sender.start()
    return sender


@pytest.mark.parametrize(
    ("closing", "stop_wait", "signals", "returncode"),
    [
        (1.0, 60.0, 1, 0),  # finishes cleanly within the wait
        (60.0, 1.0, 1, -signal.SIGKILL),  # still closing when the wait is over: killed
        (60.0, 60.0, 2, -signal.SIGKILL),  # a second signal: killed now
    ],
)
def test_a_stopped_watch_lets_its_run_finish_then_kills_what_is_left(
    tmp_path: Path, closing: float, stop_wait: float, signals: int, returncode: int
) -> None:
    """--once as a user stops it with Ctrl-C: the run in progress is asked to
    finish (the runs are in sessions of their own, so the scheduler passes the
    signal on), the next profile never starts, and nothing is left running."""
    ready = tmp_path / "ready"
    first = ClosingRun("first", "crawl", max_minutes=5, closing=closing, ready=str(ready))
    second = ClosingRun("second", "crawl", max_minutes=5, ready=str(tmp_path / "never"))
    ended: list[tuple[str, str]] = []
    lines: list[str] = []
    watch = Watch(
        [first, second],
        child_env({}),
        on_end=lambda p, _job, ending: ended.append((p.name, ending)),
        out=lines.append,
        stop_wait=stop_wait,
    )
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when run in the background
    sender = _signal_us_when_ready(ready, signals)
    started = time.monotonic()
    watch.run_each_once()
    sender.join()
    assert time.monotonic() - started < 30
    (run,) = watch.runs
    assert (run.profile, run.returncode, run.stopped) == ("first", returncode, True)
    assert ended == [("first", "interrupted")]
    assert not (tmp_path / "never").exists()
    assert any("stopping: 1 run(s) finishing cleanly" in line for line in lines)
    assert signal.getsignal(signal.SIGINT) is before
