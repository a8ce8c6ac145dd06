"""`adwatch schedule`: run crawl and re-check profiles on their schedules, unattended.

Why APScheduler and not systemd timers: one `adwatch schedule` process holds
the whole watch (every profile's trigger, the demo web when asked, the
alerts), runs wherever the crawler runs (containers and hosts without
systemd, no root needed), and can be tested end to end; on a systemd host it
is itself one service unit (docs/operations.md).  Each run is a child process
(``python -m crawler.interfaces.cli crawl|recheck --profile NAME --job-id ID ...``), so a
crash or a leak in one run cannot take the scheduler down, and Scrapy's
reactor starts fresh every time.

Every run is bounded: in pages (``max_pages`` -> CLOSESPIDER_PAGECOUNT) and
in time (``max_minutes`` -> CLOSESPIDER_TIMEOUT inside the crawl, and a hard
kill from outside a minute later).  The child takes its profile's lock
(crawler.running.jobs.profile_lock), so two runs of one profile never overlap, even
from two schedulers; APScheduler's ``max_instances=1`` and ``coalesce``
keep one scheduler from queueing a backlog.  The child records its job; one
that could not (killed for its time limit, stopped before it began, crashed)
has its history line closed by the scheduler: timeout, interrupted, failed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import yaml
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import parse_duration
from crawler.running.lifecycle import Outcome
from crawler.running.stopping import stop_signals_to

logger = logging.getLogger(__name__)

DEFAULT_FILE = Path(__file__).parent / "schedule.yaml"
COMMANDS = ("crawl", "recheck")
GRACE_S = 60.0  # beyond max_minutes before the scheduler stops a run (SIGTERM)
TERM_WAIT_S = 10.0  # from SIGTERM to SIGKILL of a run over its time
# On stop, how long a run may take to finish cleanly: a crawl stopped by hand still
# stores the pages it has fetched and reads their images (30-60 s on the demo).
STOP_WAIT_S = 300.0
RECORD_WAIT_S = 60.0  # then, for the runs' threads to record how they ended


class ScheduleError(ValueError):
    """The schedule file cannot be used; the message names the profile and key."""


@dataclass(frozen=True)
class Profile:
    """One scheduled run: what (command and its options) and when."""

    name: str
    command: str
    every: timedelta | None = None
    cron: str = ""
    max_minutes: float = 30.0
    max_pages: int | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def trigger(self) -> Any:
        if self.cron:
            return CronTrigger.from_crontab(self.cron, timezone="Asia/Shanghai")
        assert self.every is not None
        return IntervalTrigger(seconds=self.every.total_seconds())

    def argv(self, job_id: str) -> list[str]:
        """The child's command line (options as in the CLI, one flag per list item)."""
        args = [
            sys.executable,
            "-m",
            "crawler.interfaces.cli",
            self.command,
            "--profile",
            self.name,
        ]
        args += ["--job-id", job_id]
        for key, value in self.options.items():
            flag = "--" + key.replace("_", "-")
            values = value if isinstance(value, list) else [value]
            for item in values:
                if item is True:
                    args.append(flag)
                elif item is not False and item is not None:  # 0 is a value, not "off"
                    args += [flag, str(item)]
        if self.command == "crawl":
            args += ["-s", f"CLOSESPIDER_TIMEOUT={int(self.max_minutes * 60)}"]
            if self.max_pages:
                args += ["-s", f"CLOSESPIDER_PAGECOUNT={self.max_pages}"]
        return args


def _duration(text: object, where: str) -> timedelta:
    try:
        value = parse_duration(str(text), bare_unit="s")
    except ValueError:
        raise ScheduleError(
            f"{where}: expected a duration like 30m, 6h or 45s, got {text!r}"
        ) from None
    if value <= timedelta(0):
        raise ScheduleError(f"{where}: must be more than 0, got {text!r}")
    return value


def load_schedule(path: Path) -> list[Profile]:
    """The profiles of a schedule file (see crawler/running/schedule.yaml), checked."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ScheduleError(f"{path}: {exc}") from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("profiles"), Mapping):
        raise ScheduleError(f"{path}: expected a mapping with a 'profiles' mapping")
    profiles = []
    for name, spec in raw["profiles"].items():
        where = f"{path.name}: profile {name!r}"
        if not isinstance(spec, Mapping):
            raise ScheduleError(f"{where}: expected a mapping")
        spec = dict(spec)
        command = spec.pop("command", "crawl")
        if command not in COMMANDS:
            raise ScheduleError(f"{where}: command must be one of {', '.join(COMMANDS)}")
        every, cron = spec.pop("every", None), str(spec.pop("cron", "") or "")
        if bool(every) == bool(cron):
            raise ScheduleError(f"{where}: give exactly one of 'every' and 'cron'")
        if cron:
            try:
                CronTrigger.from_crontab(cron)
            except ValueError as exc:
                raise ScheduleError(f"{where}: cron {cron!r}: {exc}") from None
        max_minutes = _duration(spec.pop("max_time", "30m"), f"{where} max_time")
        max_pages = spec.pop("max_pages_total", None)
        if max_pages is not None and (not isinstance(max_pages, int) or max_pages < 1):
            raise ScheduleError(f"{where}: max_pages_total must be a whole number >= 1")
        profiles.append(
            Profile(
                name=str(name),
                command=command,
                every=_duration(every, f"{where} every") if every else None,
                cron=cron,
                max_minutes=max_minutes.total_seconds() / 60,
                max_pages=max_pages,
                options=spec,
            )
        )
    if not profiles:
        raise ScheduleError(f"{path}: no profiles")
    return profiles


@dataclass
class Run:
    profile: str
    job_id: str
    returncode: int | None
    seconds: float
    timed_out: bool
    stopped: bool = False  # ended while the watch was stopping (asked to, or killed)


class Watch:
    """The scheduler of one `adwatch schedule` process."""

    def __init__(
        self,
        profiles: Sequence[Profile],
        env: Mapping[str, str],
        extra_args: Sequence[str] = (),
        on_end: Callable[[Profile, str, str], None] | None = None,
        out: Callable[[str], None] = print,
        grace: float = GRACE_S,
        stop_wait: float = STOP_WAIT_S,
        settings_args: Sequence[str] = (),
    ) -> None:
        self.profiles = list(profiles)
        self.env = dict(env)
        self.extra_args = list(extra_args)  # crawls only (--base-url)
        self.settings_args = list(settings_args)  # every run (-s NAME=VALUE)
        self.on_end = on_end
        self.out = out
        self.grace = grace
        self.stop_wait = stop_wait
        self.runs: list[Run] = []
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        # re-entrant: the signal handler runs in the main thread, which may hold it
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)  # notified as each run_once ends
        self._active = 0  # run_once calls in progress
        self._stopping = threading.Event()
        self._killed = False  # a second signal killed the runs
        self.scheduler = BackgroundScheduler(
            timezone="Asia/Shanghai",
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 300},
        )

    def run_once(self, profile: Profile) -> Run | None:
        """Run one profile now, in a child, bounded in time (None, and nothing
        started, once the watch is stopping)."""
        job_id = uuid.uuid4().hex[:16]
        # --base-url is the crawl command's; re-checks use stored URLs.
        argv = profile.argv(job_id) + self.settings_args
        argv += self.extra_args if profile.command == "crawl" else []
        started = time.monotonic()
        # Its own process group: a run killed for its time limit takes its
        # Playwright driver with it (and so its browser).  stderr to a file, not
        # a pipe, which those grandchildren would hold open.
        with tempfile.TemporaryFile() as err_file:
            with self._lock:  # so stop() sees every child it has to wait for
                if self._stopping.is_set():
                    return None
                child = subprocess.Popen(
                    argv,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=err_file,
                    start_new_session=True,
                )
                self._children[child.pid] = child
                self._active += 1
            try:
                return self._watch(profile, job_id, child, err_file, started)
            finally:
                with self._idle:
                    self._active -= 1
                    self._idle.notify_all()

    def _watch(
        self,
        profile: Profile,
        job_id: str,
        child: subprocess.Popen[bytes],
        err_file: IO[bytes],
        started: float,
    ) -> Run:
        """Wait for a run (killing it at its time limit), record its ending."""
        self.out(f"{time.strftime('%H:%M:%S')} start {profile.name} (job {job_id})")
        timed_out = False
        try:
            child.wait(timeout=profile.max_minutes * 60 + self.grace)
        except subprocess.TimeoutExpired:
            timed_out = True
            _signal_group(child, signal.SIGTERM)
            try:
                child.wait(timeout=TERM_WAIT_S)
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()
        finally:
            with self._lock:
                self._children.pop(child.pid, None)
        _signal_group(child, signal.SIGKILL)  # whatever of the run is left
        err_file.seek(0)
        err = err_file.read()[-4000:]
        seconds = time.monotonic() - started
        stopped = self._stopping.is_set() and not timed_out
        run = Run(profile.name, job_id, child.returncode, seconds, timed_out, stopped)
        self.runs.append(run)
        if self.on_end is not None:
            # What to call the run if the child could not close its own history line.
            if timed_out:
                ending = "timeout"
            elif self._stopping.is_set() or (child.returncode or 0) < 0:
                ending = "interrupted"
            else:
                ending = "failed"
            self.on_end(profile, job_id, ending)
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        verdict = "timed out" if timed_out else f"exit {child.returncode}"
        self.out(
            f"{time.strftime('%H:%M:%S')} end   {profile.name} ({verdict}, {run.seconds:.0f} s)"
        )
        if child.returncode and not timed_out and not self._stopping.is_set():
            for line in tail:
                self.out(f"    {line}")
        return run

    def start(self) -> None:
        for profile in self.profiles:
            self.scheduler.add_job(
                self.run_once, profile.trigger(), args=[profile], id=profile.name, name=profile.name
            )
        self.scheduler.start()
        for job in self.scheduler.get_jobs():
            self.out(f"scheduled {job.name}: next run {job.next_run_time:%Y-%m-%d %H:%M:%S %Z}")

    def stop(self) -> None:
        """Stop scheduling and ask running children to finish (SIGINT: Scrapy
        closes its spiders cleanly, and one that comes while a crawl is being
        set up is kept until its crawlers run; before that, and after the
        crawl, it is a KeyboardInterrupt the job history records), then wait
        for them, up to ``stop_wait`` seconds; what is left then is killed."""
        self._stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        children = self._running()
        if children:
            self.out(
                f"{time.strftime('%H:%M:%S')} stopping: {len(children)} run(s) finishing "
                f"cleanly, up to {self.stop_wait:.0f} s (signal again to kill them now)"
            )
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + self.stop_wait
        for child in children:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.out(f"{time.strftime('%H:%M:%S')} killing a run still closing")
                _signal_group(child, signal.SIGKILL)
        if self._killed:
            self.out(f"{time.strftime('%H:%M:%S')} killed the runs at the second signal")

    def _kill_now(self) -> None:
        """Kill every running child and its process group (a signal handler:
        prints nothing, since it may interrupt a print; stop() says it)."""
        self._stopping.set()
        self._killed = True
        for child in self._running():
            _signal_group(child, signal.SIGKILL)

    def _running(self) -> list[subprocess.Popen[bytes]]:
        with self._lock:
            return [child for child in self._children.values() if child.poll() is None]

    def run_for(self, seconds: float | None) -> None:
        """Schedule until `seconds` have passed (None: until SIGINT/SIGTERM)."""
        self._until(threading.Event(), seconds, begin=self.start)

    def run_each_once(self) -> None:
        """Run every profile once, one after another; SIGINT/SIGTERM stops the run
        in progress cleanly and starts no other."""
        done = threading.Event()
        failed: list[BaseException] = []

        def each() -> None:
            try:
                for profile in self.profiles:
                    if self.run_once(profile) is None:
                        break
            except BaseException as exc:  # raised again in the main thread
                failed.append(exc)
            finally:
                done.set()

        worker = threading.Thread(target=each, name="adwatch-once")
        self._until(done, None, begin=worker.start)
        worker.join()
        if failed:
            raise failed[0]

    def _until(
        self, done: threading.Event, seconds: float | None, begin: Callable[[], None]
    ) -> None:
        """Call ``begin``, block until ``done`` is set, ``seconds`` pass or
        SIGINT/SIGTERM comes, then stop and wait for every run to be recorded.
        The runs are children in sessions of their own (a terminal's Ctrl-C
        does not reach them), so the signal is passed on by stop(); a second
        signal, while they are still closing, kills them."""

        def on_signal(_signum: int, _frame: Any) -> None:
            if self._stopping.is_set():
                self._kill_now()
            else:
                done.set()

        with stop_signals_to(on_signal):
            try:
                begin()
                done.wait(timeout=seconds)
            finally:
                self.stop()
                with self._idle:  # the runs' own threads record their endings
                    self._idle.wait_for(lambda: self._active == 0, timeout=RECORD_WAIT_S)


def _signal_group(child: subprocess.Popen[bytes], sig: int) -> None:
    """Signal the child's whole process group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)


def child_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment of a run: ours, the overrides, and unbuffered output."""
    return {**os.environ, **overrides, "PYTHONUNBUFFERED": "1"}


def schedule_job(
    settings: Any,
    profiles: list[Profile],
    say: Callable[[str], None],
    out: Callable[[str], None],
    *,
    demo: bool = False,
    once: bool = False,
    seconds: float | None = None,
    stop_wait: float = 60.0,
    settings_args: Sequence[str] = (),
) -> Outcome:
    """`adwatch schedule`: run ``profiles`` on their schedules (each once with
    ``once``; for ``seconds``, or until stopped), with the demo web and its
    time-stamp authority if ``demo``; ``out`` takes each run's report line."""
    from contextlib import nullcontext

    from crawler.config import AdwatchConfig
    from crawler.running.jobs import close_job
    from crawler.running.lifecycle import demo_authority
    from crawler.running.run import demo_web

    config = AdwatchConfig.from_settings(settings)
    env = {
        "ADWATCH_DATA_DIR": str(config.data_dir.resolve()),
        "ADWATCH_CATALOGUE": config.catalogue_uri,
    }
    extra: list[str] = []
    with (
        demo_web(slow_seconds=8.0) if demo else nullcontext(None) as url,
        demo_authority(settings, say) if demo else nullcontext(),
    ):
        if url:
            extra += ["--base-url", url]
            say(f"demo web {url}")
        if settings.get("ADWATCH_TSA_URL"):  # the roots: <data dir>/tsa/roots.pem, found there
            env["ADWATCH_TSA_URL"] = settings.get("ADWATCH_TSA_URL")

        def ended(profile: Profile, job_id: str, ending: str) -> None:
            close_job(config.catalogue_uri, profile.name, profile.command, job_id, ending)

        watch = Watch(
            profiles,
            child_env(env),
            extra,
            on_end=ended,
            out=out,
            stop_wait=stop_wait,
            settings_args=list(settings_args),
        )
        if once:
            watch.run_each_once()
        else:
            watch.run_for(seconds)
    return Outcome(lines=[_tally(watch.runs)])


def _tally(runs: Sequence[Run]) -> str:
    stopped = sum(run.stopped for run in runs)
    timed_out = sum(run.timed_out for run in runs)
    failed = sum(
        run.returncode not in (0, None) and not run.stopped and not run.timed_out for run in runs
    )
    return (
        f"{len(runs)} runs: {failed} failed, {timed_out} timed out, {stopped} stopped "
        "(see `adwatch jobs`)"
    )
