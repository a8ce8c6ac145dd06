"""Capture and re-check evidence of catalogued ads: the crawler's side of evidence/.

What to capture comes from the catalogue: records labelled ad or suspect with
no bundle yet (a crawl ends with this), or, for a re-check, records whose
newest bundle is older than a cutoff and that are not gone.  Each target gets
its site profile's block markers, proxy, headers and browser session; the
captures run a few at a time in one Chromium.  A capture that is evidence is
sealed into the store and time-stamped at once (or queued when the TSA is
down); one that met a captcha, a login wall or an empty render is never
sealed: it is noted as an attempt, its screenshot kept under ``review/`` for
a person, and the record is tried again next run until
``ADWATCH_CAPTURE_ATTEMPTS`` attempts are spent.

A capture the run cannot keep (the evidence store or the catalogue failing
to write: a full disk) is not the page's fault and not an attempt: it is
reported as not kept, naming the file, and the record stays queued.

A Ctrl-C (or SIGTERM) stops a run cleanly: the pages being captured are
finished, sealed and time-stamped, the others are left in the queue for the
next run and counted as stopped; a second Ctrl-C aborts at once.

A re-check compares the new capture with the newest bundle's content digest
(normalised text, perceptual image hashes): the ad is ``live`` (unchanged),
``changed`` or ``gone``, each with its own sealed bundle, so a dossier can
say the ad was still online, or taken down, on a given date.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from scrapy.settings import BaseSettings

from crawler.config import AdwatchConfig
from crawler.finding.profile_folders import load_site_profiles, with_saved_sessions
from crawler.finding.profiles import SiteProfile
from crawler.running.lifecycle import Outcome, UsageProblem, job_in_history
from crawler.running.stopping import STOP_SIGNALS
from evidence.bundle import seal_capture, stamp_bundle, stamp_head
from evidence.capture import Capture, Capturer, CaptureSettings, Target, times
from evidence.content import ContentDigest, same_content
from evidence.index import Catalogue, open_catalogue
from evidence.safe_text import printable
from evidence.store import EvidenceStore, StoreError

logger = logging.getLogger(__name__)


@dataclass
class EvidenceFigures:
    kind: str  # capture | recheck
    targets: int = 0
    sealed: int = 0
    stamped: int = 0
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    unstamped: int = 0  # bundles in the store still waiting for a token
    # several TSAs listed: how many tokens each bundle should have, and of this
    # run's bundles how many have that many (2+), one, none; bundles in the
    # store with some tokens but fewer than wanted (waiting for another TSA)
    tokens_wanted: int = 1
    by_tokens: tuple[int, int, int] = (0, 0, 0)
    short: int = 0
    bundle_ids: list[str] = field(default_factory=list)  # the bundles this run sealed
    tsa_problem: str = ""
    not_kept: int = 0  # captures the store or the catalogue could not write (a full disk)
    store_problem: str = ""  # the first such failure, naming the file or catalogue
    elapsed: float = 0.0
    review: str = "evidence/review/"
    stopped: int = 0  # pages left in the queue by a Ctrl-C / SIGTERM stop

    def summary(self) -> str:
        verb = "re-checked" if self.kind == "recheck" else "captured"
        again = "`adwatch recheck`" if self.kind == "recheck" else "`adwatch capture`"
        done = f"{self.targets - self.stopped} of {self.targets}" if self.stopped else self.targets
        lines = [f"evidence: {done} pages {verb} in {self.elapsed:.1f}s"]
        if self.by_outcome:
            lines.append("  outcomes: " + _counts(self.by_outcome))
        if self.by_status:
            lines.append("  status:   " + _counts(self.by_status))
        lines.append(f"  sealed:   {self.sealed} bundles, {self.stamped} time-stamped now")
        if self.tokens_wanted > 1 and self.sealed:
            lines.append("  tokens:   " + token_summary(self.by_tokens, self.tokens_wanted))
        refused = sum(self.by_outcome[k] for k in ("blocked", "empty", "failed"))
        if refused:
            lines.append(
                f"  not evidence: {refused} pages (captcha, login wall, empty or no page), "
                f"never sealed; retried next run, screenshots for a person in {self.review}"
            )
        if self.not_kept:
            lines.append(
                f"  NOT KEPT: {self.not_kept} pages captured but not stored: "
                f"{self.store_problem}; they stay queued (free space, then {again})"
            )
        if self.stopped:
            lines.append(
                f"  stopped:  {self.stopped} pages not {verb}: stopped by hand; "
                f"they stay queued ({again})"
            )
        if self.unstamped:
            why = f" ({self.tsa_problem})" if self.tsa_problem else ""
            lines.append(
                f"  waiting:  {self.unstamped} bundles queued for a time-stamp{why}; "
                "`adwatch timestamp` retries"
            )
        if self.short:
            why = f" ({self.tsa_problem})" if self.tsa_problem and not self.unstamped else ""
            lines.append(
                f"  waiting:  {self.short} bundles with fewer than {self.tokens_wanted} tokens "
                f"wait for another TSA{why}; `adwatch timestamp` retries"
            )
        return "\n".join(printable(line) for line in lines)


def token_summary(counts: tuple[int, int, int], wanted: int) -> str:
    """ "12 bundles with 2 tokens, 3 with 1, 0 with none" (2+ when more are wanted)."""
    full, one, none = counts
    many = "2" if wanted == 2 else f"{wanted}+" if wanted > 2 else "2+"
    return f"{full} bundles with {many} tokens, {one} with 1, {none} with none"


def _by_tokens(store: EvidenceStore, bundle_ids: list[str]) -> tuple[int, int, int]:
    """Of ``bundle_ids``: how many have two tokens or more, one, none."""
    counts = store.token_counts()
    have = [counts.get(b, 0) for b in dict.fromkeys(bundle_ids)]
    return (
        sum(1 for n in have if n >= 2),
        sum(1 for n in have if n == 1),
        sum(1 for n in have if n == 0),
    )


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.most_common())


def capture_settings(settings: BaseSettings, config: AdwatchConfig) -> CaptureSettings:
    """The evidence browser: Debian's chromium as for the crawl, its own limits."""
    launch = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    return CaptureSettings(
        executable_path=str(launch.get("executable_path") or "/usr/bin/chromium"),
        launch_args=tuple(launch.get("args") or CaptureSettings.launch_args),
        user_agent=str(settings.get("USER_AGENT") or ""),  # the crawl's identity
        navigation_timeout=config.capture_timeout,
        load_wait=config.capture_load_wait,
        allow_hosts=config.address_policy().allow,
    )


def capture_pending(
    settings: BaseSettings,
    *,
    record_ids: list[str] | None = None,
    limit: int | None = None,
    out: TextIO | None = sys.stderr,
) -> EvidenceFigures:
    """Capture the records that have no evidence yet (or exactly ``record_ids``)."""
    config = AdwatchConfig.from_settings(settings)
    with open_catalogue(config.catalogue_uri) as catalogue:
        if record_ids:
            targets = [_one(catalogue, rid) for rid in record_ids]
        else:
            targets = catalogue.capture_queue(config.capture_labels, config.capture_attempts)
        targets = targets[:limit] if limit else targets
        return asyncio.run(_run(settings, config, catalogue, targets, "capture", out))


def timestamp_job(settings: BaseSettings, say: Callable[[str], None]) -> Outcome:
    """`adwatch timestamp`: a token for every sealed bundle still waiting for
    one (the authority was down when it was sealed), and with several TSAs
    listed the further tokens each bundle still lacks, then one for the
    ledger's head.  Fails while any is still waiting."""
    from evidence.safe_text import printable
    from evidence.store import EvidenceStore
    from evidence.timestamp import stamp_pending

    config = AdwatchConfig.from_settings(settings)
    store = EvidenceStore(config.evidence_dir)
    wanted = config.tokens_wanted
    waiting = len(store.short_of(wanted))
    several = wanted > 1
    if not waiting:
        outcome = Outcome(lines=["no bundle is waiting for a time-stamp"])
        if config.tsa_url and _stamp_head_any(store, config.tsa_urls)[0] == "stamped":
            outcome.lines.append("time-stamped the ledger's head")
        if several:
            outcome.lines.append("tokens: " + _store_tokens(store, wanted))
        return outcome
    if not config.tsa_url:
        problem = f"error: {waiting} bundles wait, but no TSA is set (--tsa or ADWATCH_TSA_URL)"
        return Outcome(2, [problem])
    run = stamp_pending(store, config.tsa_urls, copies=config.tsa_copies)
    if run.tokens:
        _stamp_head_any(store, config.tsa_urls, set(run.down))
    for bundle_id, why in run.failed.items():
        say(printable(f"  {bundle_id}: {why}"))
    for url in run.down:
        say(f"the TSA at {url} is not reachable; try again later")
    if not several:
        done = f"time-stamped {run.stamped} of {waiting} bundles; {run.remaining} still waiting"
        return Outcome(1 if run.remaining else 0, [done])
    lines = [
        f"time-stamped {run.stamped} bundles for the first time and added {run.tokens} tokens "
        f"in all; of {waiting} bundles waiting, {run.remaining} still wait",
        "tokens: " + _store_tokens(store, wanted),
    ]
    return Outcome(1 if run.remaining else 0, lines)


def _store_tokens(store: EvidenceStore, wanted: int) -> str:
    """The store's bundles by number of tokens, in words."""
    return token_summary(_by_tokens(store, store.bundle_ids()), wanted)


def _stamp_head_any(
    store: EvidenceStore, urls: tuple[str, ...], down: set[str] | None = None
) -> tuple[str, str]:
    """Time-stamp the ledger's head with the first TSA listed that answers."""
    outcome, why = "failed", "no time-stamp authority configured (ADWATCH_TSA_URL)"
    for url in urls:
        if down and url in down:
            continue
        outcome, why = stamp_head(store, url)
        if outcome != "unavailable":
            break
    return outcome, why


def export_job(
    store: Any,
    wanted: list[str],
    out: Path,
    tsa_ca: Path | None,
    say: Callable[[str], None],
    *,
    make_zip: bool = False,
    about: str = "the evidence store",
) -> Outcome:
    """`adwatch export`: ``wanted`` bundles of ``store`` as a package a
    regulator checks without adwatch (``about``: whose bundles, for the
    message when there are none)."""
    import shlex

    from evidence.export import export_bundles
    from evidence.store import StoreError

    if not wanted:
        say(f"error: {about} has no evidence bundle to export")
        return Outcome(2)
    if tsa_ca is None:
        say(
            "warning: no TSA root (--ca or ADWATCH_TSA_CA): the package has no tsa/ca.pem, "
            "and the recipient must get the root from the TSA to check the time-stamps"
        )
    try:
        result = export_bundles(store, wanted, out, tsa_ca, make_zip=make_zip)
    except ValueError as exc:
        say(f"error: {exc}")
        return Outcome(2)
    except StoreError as exc:
        say(f"error: {exc} (`adwatch verify --all` says more)")
        return Outcome(1)
    n = len(result.bundles)
    lines = [
        f"exported {n} bundle{'s' if n != 1 else ''} ({result.files} files, "
        f"{result.bytes:,} bytes) to {result.folder}"
    ]
    if result.zip is not None:
        lines.append(f"zip: {result.zip}")
    lines.append(f"check it with: python3 {shlex.quote(str(result.folder / 'verify.py'))}")
    return Outcome(0, lines)


def recheck_job(
    settings: BaseSettings,
    older_than: timedelta,
    say: Callable[[str], None],
    *,
    record_ids: list[str] | None = None,
    limit: int | None = None,
    profile: str = "manual",
    job_id: str | None = None,
) -> Outcome:
    """`adwatch recheck` as a job: its line in the history (profile lock,
    alerts), the re-check, what it found counted on the job."""
    from crawler.running.jobs import Job

    job = Job(profile=profile, kind="recheck")
    job.id = job_id or job.id
    with job_in_history(AdwatchConfig.from_settings(settings).catalogue_uri, settings, job, say):
        try:
            figures = recheck(settings, older_than, record_ids=record_ids, limit=limit)
        except KeyError as exc:
            raise UsageProblem(str(exc.args[0])) from None
        job.pages = figures.targets
        job.gone_ads = figures.by_status.get("gone", 0)
        job.blocked = figures.by_outcome.get("blocked", 0)
        if figures.stopped:
            job.finish("interrupted", "Ctrl-C")
        closed = _close_taken_down(settings)
    lines = [figures.summary()]
    if closed:
        lines.append(
            f"referrals: closed {len(closed)} case{'s' if len(closed) != 1 else ''} "
            f"whose ads are all gone: {', '.join(closed)}"
        )
    return Outcome(lines=lines)


def _close_taken_down(settings: BaseSettings) -> list[str]:
    """Close the referral cases whose ads the re-checks now find all gone
    (their ids).  A catalogue that refuses (a cluster busy or behind its
    schema) closes none this time, says so in the log, and the next re-check
    tries again: the re-checks themselves are done and kept."""
    from evidence.cases import close_taken_down
    from evidence.index import CatalogueError

    config = AdwatchConfig.from_settings(settings)
    with open_catalogue(config.catalogue_uri) as catalogue:
        try:
            return close_taken_down(catalogue, EvidenceStore(config.evidence_dir))
        except CatalogueError as exc:
            logger.warning("referral cases not checked this time: %s", exc)
            return []


def recheck(
    settings: BaseSettings,
    older_than: timedelta,
    *,
    record_ids: list[str] | None = None,
    limit: int | None = None,
    out: TextIO | None = sys.stderr,
) -> EvidenceFigures:
    """Re-capture every record whose newest bundle is older than ``older_than``
    (of ``record_ids`` only, when given)."""
    config = AdwatchConfig.from_settings(settings)
    before = (datetime.now(UTC) - older_than).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with open_catalogue(config.catalogue_uri) as catalogue:
        targets = catalogue.recheck_queue(before)
        if record_ids:
            unknown = set(record_ids) - {t["id"] for t in catalogue.recheck_queue("9999-12-31")}
            if unknown:
                raise KeyError(f"no evidence to re-check for {', '.join(sorted(unknown))}")
            targets = [t for t in targets if t["id"] in record_ids]
        targets = targets[:limit] if limit else targets
        return asyncio.run(_run(settings, config, catalogue, targets, "recheck", out))


def _one(catalogue: Catalogue, record_id: str) -> dict[str, Any]:
    record = catalogue.get(record_id)
    if record is None:
        raise KeyError(f"no record {record_id!r} in the catalogue")
    return {k: record.get(k, "") for k in ("id", "url", "platform", "channel", "label", "referrer")}


async def _run(
    settings: BaseSettings,
    config: AdwatchConfig,
    catalogue: Catalogue,
    targets: list[dict[str, Any]],
    kind: str,
    out: TextIO | None,
) -> EvidenceFigures:
    figures = EvidenceFigures(
        kind=kind, targets=len(targets), review=str(config.evidence_dir / "review")
    )
    store = EvidenceStore(config.evidence_dir)
    started = time.monotonic()
    if targets:
        profiles = _profiles(config)
        clock, silent = await asyncio.to_thread(_clock_any, config.tsa_urls)
        stamping = _Stamping(config.tsa_urls, config.tokens_wanted)
        for url, why in silent.items():
            # an authority that did not answer now: bundles queue for it at once
            # rather than each waiting out its own timeout; `adwatch timestamp` later
            stamping.down(why, url)
        gate = asyncio.Semaphore(config.capture_concurrency)
        done = 0
        stopping = asyncio.Event()

        def stop() -> None:
            if stopping.is_set():
                raise KeyboardInterrupt  # the second: abort now
            stopping.set()
            if out is not None:
                out.write(
                    "\nstopping: the pages being captured are finished and sealed, the rest "
                    "stay queued (Ctrl-C again to abort)\n"
                )
                out.flush()

        async def one(row: dict[str, Any]) -> None:
            nonlocal done
            async with gate:
                if stopping.is_set():
                    figures.stopped += 1
                    return
                try:
                    capture = await _capture_row(capturer, catalogue, profiles, row, kind, config)
                    # sealing fsyncs every blob: in a thread, while the browser works on
                    entry = await asyncio.to_thread(
                        _keep, config, catalogue, store, capture, row, kind, stamping
                    )
                except _NotKept as exc:  # ours, not the page's: no attempt is spent
                    logger.error("capture of %s not kept: %s", row.get("url"), exc)
                    figures.not_kept += 1
                    figures.store_problem = figures.store_problem or str(exc)
                except Exception as exc:  # one page's failure is that page's, not the run's
                    logger.exception("capture of %s failed", row.get("url"))
                    _count(figures, _attempt_failed(catalogue, row, kind, exc))
                else:
                    _count(figures, entry)
            done += 1
            if out is not None and out.isatty():
                out.write(f"\revidence: {done}/{len(targets)} pages")
                out.flush()

        with _on_stop_signals(stop):  # up to the ledger's head stamp, which a stop waits for
            async with Capturer(capture_settings(settings, config), clock) as capturer:
                await asyncio.gather(*(one(row) for row in targets))
            if out is not None and out.isatty():
                out.write("\n")
            figures.tsa_problem = stamping.problem or figures.tsa_problem
            if figures.sealed:
                await asyncio.to_thread(stamping.stamp_head, store)
    figures.unstamped = len(store.unstamped())
    figures.tokens_wanted = config.tokens_wanted
    if figures.tokens_wanted > 1:
        figures.by_tokens = _by_tokens(store, figures.bundle_ids)
        figures.short = len(store.short_of(figures.tokens_wanted)) - figures.unstamped
    if figures.unstamped and not config.tsa_url:
        figures.tsa_problem = "no time-stamp authority configured (ADWATCH_TSA_URL)"
    figures.elapsed = time.monotonic() - started
    return figures


@contextlib.contextmanager
def _on_stop_signals(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` in the running loop on SIGINT and SIGTERM for the block
    (main thread only: elsewhere the signals are not ours to take)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in previous:
        loop.add_signal_handler(sig, callback)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            loop.remove_signal_handler(sig)
            if handler is not None:  # None: set outside Python, left as remove_ made it
                signal.signal(sig, handler)


async def _capture_row(
    capturer: Capturer,
    catalogue: Catalogue,
    profiles: dict[str, SiteProfile],
    row: dict[str, Any],
    kind: str,
    config: AdwatchConfig,
) -> Capture:
    """Capture one record's page (or, for a search ad whose landing page is out
    of reach, the result page that showed it), with the record's own words to
    recognise it by, and the contacts on the captured page in its digest."""
    record = catalogue.get(str(row["id"])) or {}
    profile = profiles.get(str(row.get("platform", "")))
    expect = _expected(record)
    capture = await capturer.capture(_target(str(row["url"]), profile, expect))
    if _use_referrer(capture, row, kind):
        # the page that showed the ad (a search result page) is evidence of its
        # placement; only a page showing something is taken, not a 404 there
        instead = await capturer.capture(_target(str(row["referrer"]), profile, expect))
        if instead.outcome == "page":
            instead.facts["instead_of"] = {
                "url": capture.url,
                "outcome": capture.outcome,
                "reason": capture.reason,
            }
            capture = instead
    if capture.content is not None:
        said = await asyncio.to_thread(
            _picture_text, capture, config.ocr_engine, config.data_dir / "objects" / "ocr"
        )
        capture.content = replace(capture.content, contacts=_contacts(capture.text, said))
    return capture


def _expected(record: dict[str, Any]) -> tuple[str, ...]:
    """What the page of this record says, as the crawl read it: its contacts
    (as written) and its title, if long enough to mean something."""
    said = [str(c.get("value", "")) for c in record.get("contacts") or []]
    title = str(record.get("title", "")).strip()
    if len(title) >= 6:
        said.append(title)
    return tuple(s for s in said if len(s) >= 5)


def _contacts(text: str, pictures: list[str]) -> list[str]:
    """The contacts on a captured page, in its text and in its pictures, as
    "kind:normalised value": what tells a re-check that an ad changed hands
    even when its pictures look alike (a new WeChat ID barely moves a
    perceptual hash)."""
    from crawler.reading.detect.contacts import extract
    from crawler.reading.detect.normalize import normalize

    found = set()
    for said in [text[:200_000], *pictures]:
        found |= {f"{c.kind}:{c.normalized}" for c in extract(normalize(said))}
    return sorted(found)


_ocr_lock = threading.Lock()  # one engine per process, read by one thread at a time


def _picture_text(capture: Capture, engine_name: str, cache_root: Path) -> list[str]:
    """What the captured pictures say (text and QR payloads), read once per
    picture: the crawl's OCR cache (by SHA-256) usually has it already."""
    if engine_name == "none":
        return []
    from crawler.reading.ocr import OcrCache, engine, qr_text, read_image

    cache = OcrCache(cache_root)
    said: list[str] = []
    for name, (data, _media) in capture.artifacts.items():
        if not name.startswith("images/"):
            continue
        digest = hashlib.sha256(data).hexdigest()
        reading = cache.get(digest, engine_name)
        if reading is None:
            with _ocr_lock:
                found = read_image(data, engine(engine_name))
            reading = found.to_dict()
            if not found.error:
                with contextlib.suppress(OSError):  # a full disk costs the cache only
                    cache.put(digest, engine_name, reading)
        said.append(str(reading.get("text", "")))
        said += [qr_text(q) for q in reading.get("qr") or []]
    return said


def _attempt_failed(
    catalogue: Catalogue, row: dict[str, Any], kind: str, exc: Exception
) -> dict[str, Any]:
    entry = {
        "record_id": row["id"],
        "url": row.get("url", ""),
        "platform": row.get("platform", ""),
        "kind": kind,
        "outcome": "failed",
        "reason": f"capture failed: {exc!r}"[:500],
        "at": times(datetime.now(UTC))["utc"],
    }
    try:
        catalogue.add_capture(entry)
    except Exception:  # the catalogue itself failing: logged, the run goes on
        logger.exception("capture attempt of %s not recorded", row.get("url"))
    return entry


class _NotKept(Exception):
    """The evidence store or the catalogue could not write what was captured."""


class _Stamping:
    """The run's time-stamping: each bundle gets a token from ``wanted``
    different TSAs of ``urls`` (in the order listed); once an authority is
    down, the rest of the run's bundles skip it without each waiting out a
    timeout, and wait in the queue for it (or another) instead."""

    def __init__(self, urls: str | tuple[str, ...], wanted: int = 1) -> None:
        self.urls = (urls,) if isinstance(urls, str) else tuple(urls)
        self.urls = tuple(u for u in self.urls if u)
        self.url = self.urls[0] if self.urls else ""
        self.wanted = wanted
        self.problem = ""
        self._down: set[str] = set()
        self._lock = threading.Lock()

    def down(self, why: str, url: str | None = None) -> None:
        """``url`` (every TSA when None) is not reachable: ``why``."""
        with self._lock:
            self._down |= {url} if url else set(self.urls)
            self.problem = why

    def _up(self) -> list[str]:
        with self._lock:
            return [u for u in self.urls if u not in self._down]

    def stamp_head(self, store: EvidenceStore) -> None:
        """The ledger's head, at the end of a run that sealed bundles."""
        up = self._up()
        if not up:
            return
        outcome, why = _stamp_head_any(store, tuple(up))
        if outcome in ("unavailable", "failed"):
            with self._lock:
                self.problem = self.problem or f"ledger head not time-stamped: {why}"

    def stamp(self, store: EvidenceStore, bundle_id: str) -> bool:
        """Stamp a just sealed bundle; whether it has a token now."""
        if not self.urls:
            return False
        if len(self.urls) == 1:  # one TSA: exactly as it always was
            if not self._up():
                return False
            outcome, why = stamp_bundle(store, bundle_id, self.url)
            if outcome == "unavailable":
                self.down(why)
            elif outcome == "failed":
                with self._lock:
                    self.problem = why
            return outcome == "stamped"
        from evidence.timestamp import stamp_copies

        with self._lock:
            down = set(self._down)
        known = set(down)
        added, problems = stamp_copies(store, bundle_id, self.urls, self.wanted, down)
        for url in down - known:
            self.down(f"time-stamp authority {url} not reachable", url)
        if problems:
            with self._lock:
                self.problem = problems[-1]
        return 1 in added


def _clock_any(urls: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """The clock against the first TSA listed that answers, and the TSAs that
    did not answer (URL -> why) before it did."""
    if not urls:
        return _clock(""), {}
    silent: dict[str, str] = {}
    for url in urls:
        clock = _clock(url)
        if clock.get("checked") is not False:
            return clock, silent
        silent[url] = str(clock.get("why", ""))
    return clock, silent


def _profiles(config: AdwatchConfig) -> dict[str, SiteProfile]:
    try:
        return with_saved_sessions(load_site_profiles(config.sites_dir), config.data_dir)
    except ValueError as exc:  # captures go on with the generic markers only
        logger.error("site profiles not loaded for evidence capture: %s", exc)
        return {}


def _clock(tsa_url: str) -> dict[str, Any]:
    """The capture machine's clock against the TSA, for every manifest."""
    if not tsa_url:
        return {"checked": False, "why": "no time-stamp authority configured"}
    from evidence.timestamp import TimestampError, clock_offset

    try:
        check = clock_offset(tsa_url)
    except TimestampError as exc:
        return {"checked": False, "why": f"time-stamp authority not reachable: {exc}"}
    return {
        "checked": True,
        "against": tsa_url,
        "offset_ms": round(check.offset_ms, 1),
        "round_trip_ms": round(check.round_trip_ms, 1),
        "tsa_time": check.tsa_time,
        "local_time": check.local_time,
    }


def _use_referrer(capture: Capture, row: dict[str, Any], kind: str) -> bool:
    return (
        kind == "capture"
        and capture.outcome == "failed"
        and row.get("channel") == "search"
        and str(row.get("referrer", "")).startswith(("http://", "https://"))
    )


def _target(url: str, profile: SiteProfile | None, expect: tuple[str, ...] = ()) -> Target:
    if profile is None:
        return Target(url=url, expect=expect)
    return Target(
        url=url,
        expect=expect,
        block_markers=profile.block.markers,
        proxy=profile.proxy,
        storage_state=profile.storage_state
        if profile.storage_state and Path(profile.storage_state).exists()
        else "",
        headers=profile.headers,
    )


def _count(figures: EvidenceFigures, entry: dict[str, Any]) -> None:
    figures.by_outcome[entry["outcome"]] += 1
    if entry.get("bundle_id"):
        figures.bundle_ids.append(str(entry["bundle_id"]))
        figures.sealed += 1
        figures.by_status[entry["status"]] += 1
        figures.stamped += bool(entry.get("stamped"))


def _keep(
    config: AdwatchConfig,
    catalogue: Catalogue,
    store: EvidenceStore,
    capture: Capture,
    row: dict[str, Any],
    kind: str,
    stamping: _Stamping,
) -> dict[str, Any]:
    """Seal and stamp what is evidence; note every attempt in the catalogue."""
    entry: dict[str, Any] = {
        "record_id": row["id"],
        "url": capture.url,
        "platform": row.get("platform", ""),
        "kind": kind,
        "outcome": capture.outcome,
        "reason": capture.reason,
        "at": times(capture.started)["utc"],
        "final_url": capture.final_url,
        "http_status": capture.status,
        "content_digest": capture.content.digest if capture.content else "",
    }
    if capture.evidence:
        status = _status(store, capture, row, kind)
        try:
            bundle = seal_capture(
                store,
                capture,
                {
                    "record": row["id"],
                    "platform": row.get("platform", ""),
                    "channel": row.get("channel", ""),
                    "kind": kind,
                    "status": status,
                    "previous_bundle": row.get("bundle_id", "") if kind == "recheck" else "",
                },
            )
        except StoreError as exc:  # the store says which file it could not write
            raise _NotKept(f"not sealed: {exc}") from exc
        stamped = stamping.stamp(store, bundle.id)
        entry |= {"status": status, "bundle_id": bundle.id, "stamped": stamped}
    else:
        entry["review"] = _for_review(config, capture, str(row["id"]))
        logger.warning("not evidence of %s (%s): %s", capture.url, capture.outcome, capture.reason)
    try:
        catalogue.add_capture(entry)
    except Exception as exc:  # any backend's failure to write, told as it is
        sealed = (
            f" (bundle {entry['bundle_id']} is sealed in the store)" if capture.evidence else ""
        )
        raise _NotKept(f"not recorded in catalogue {config.catalogue_uri}: {exc}{sealed}") from exc
    return entry


def _status(store: EvidenceStore, capture: Capture, row: dict[str, Any], kind: str) -> str:
    if capture.outcome == "gone":
        return "gone"
    if kind != "recheck" or not row.get("bundle_id") or capture.content is None:
        return "live"
    try:
        before = store.manifest(str(row["bundle_id"]))
        previous = ContentDigest.from_dict(before.get("about", {}).get("content", {}))
        text_art = before.get("artifacts", {}).get("visible-text.txt", {})
        previous_text = ""
        if text_art.get("sha256"):
            previous_text = store.blob_path(text_art["sha256"]).read_text(errors="replace")
    except (OSError, ValueError) as exc:  # the page is online; what it is compared to is not
        capture.facts.setdefault("problems", []).append(
            f"not compared with bundle {row['bundle_id']}: {exc}"
        )
        return "live"
    same = same_content(previous, capture.content, previous_text, capture.text)
    return "live" if same else "changed"


def _for_review(config: AdwatchConfig, capture: Capture, record_id: str) -> str:
    """Keep what a person needs to judge a page that was not evidence."""
    shot = capture.artifacts.get("screenshot.png") or capture.artifacts.get("screenshot-1.png")
    folder = config.evidence_dir / "review"
    stem = f"{record_id}-{capture.started:%Y%m%dT%H%M%S}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{stem}.json").write_text(
            json.dumps(
                {"url": capture.url, "outcome": capture.outcome, "reason": capture.reason}
                | {"facts": capture.facts},
                ensure_ascii=False,
                indent=1,
                default=str,
            ),
            encoding="utf-8",
        )
        if shot:
            (folder / f"{stem}.png").write_bytes(shot[0])
    except OSError as exc:
        logger.warning("review copy of %s not written: %s", capture.url, exc)
        return ""
    return str(folder / stem)
