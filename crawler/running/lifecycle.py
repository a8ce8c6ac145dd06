"""What every job run shares, whichever interface starts it: its line in the
job history (with the profile lock and the alerts after it), the demo's own
time-stamp authority, and the outcome handed back (lines to show and an
exit status).  Messages go through ``say``, so the CLI prints them on stderr
and another interface may show them its own way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Say = Callable[[str], None]


@dataclass
class Outcome:
    """What a job run hands back: the lines of its summary and an exit status
    (0 done, 1 failed or incomplete, 2 a usage problem)."""

    status: int = 0
    lines: list[str] = field(default_factory=list)


class JobError(Exception):
    """Something the person running the job must fix first; its message says what."""


class UsageProblem(JobError):
    """The job was asked for something that does not exist (a record id, a site)."""


class JobSkipped(Exception):
    """Another run of the same profile holds its lock: this one is recorded as
    skipped, which is not an error of this run."""


@contextmanager
def job_in_history(catalogue_uri: str, settings: Any, job: Any, say: Say) -> Iterator[None]:
    """Run the block as ``job`` (history line, profile lock), then raise its
    alerts.  A profile already running raises JobSkipped (recorded)."""
    from crawler.running.jobs import Busy, raise_alerts, running, save
    from evidence.safe_text import printable

    data_dir = Path(settings.get("ADWATCH_DATA_DIR"))
    try:
        with running(catalogue_uri, data_dir, job):
            yield
    except Busy as exc:
        raise JobSkipped(str(exc)) from None
    job.alerts = raise_alerts(job, settings, catalogue_uri, data_dir)
    if job.alerts:
        save(catalogue_uri, job)
        for title in job.alerts:
            say(f"alert: {printable(title)}")
    say(f"job {job.id} ({job.profile}): {job.status}")


@contextmanager
def demo_authority(settings: Any, say: Say) -> Iterator[None]:
    """The demo's own time-stamp authorities (``adwatch tsa serve``) for the
    block, unless one is set or nothing is captured: two of them, each with
    its own keys and root (``<data dir>/tsa/`` and ``<data dir>/tsa/second/``),
    so each bundle is stamped by two TSAs as ADWATCH_TSA_COPIES asks; their
    roots are written together to ``<data dir>/tsa/roots.pem``, the trust
    anchors the verifiers find there by default."""
    from contextlib import ExitStack

    from evidence.tsa import TSA_NAME, tsa_process

    if settings.get("ADWATCH_TSA_URL") or not settings.getbool("ADWATCH_CAPTURE"):
        yield
        return
    folder = Path(settings.get("ADWATCH_DATA_DIR")) / "tsa"
    second = folder / "second"
    with ExitStack() as running:
        urls = [running.enter_context(tsa_process(folder))]
        if settings.getint("ADWATCH_TSA_COPIES", 2) > 1:
            urls.append(running.enter_context(tsa_process(second, f"{TSA_NAME} 2")))
        roots = b"".join((f / "ca.pem").read_bytes() for f in (folder, second)[: len(urls)])
        _write_if_changed(folder / "roots.pem", roots)
        settings.set("ADWATCH_TSA_URL", ",".join(urls), priority="cmdline")
        if not settings.get("ADWATCH_TSA_CA"):
            settings.set("ADWATCH_TSA_CA", str(folder / "roots.pem"), priority="cmdline")
        say(f"time-stamp authorit{'ies' if len(urls) > 1 else 'y'} {', '.join(urls)}")
        yield


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.exists() or path.read_bytes() != data:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
