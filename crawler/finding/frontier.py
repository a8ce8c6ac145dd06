"""Scale-out: one shared frontier and duplicate filter in Redis for several crawlers.

Several ``adwatch crawl`` processes, on one host or many, crawl one web together
when they share a Redis server: ``redis_settings(url, key_prefix)`` puts each
spider's scheduler and duplicate filter on scrapy-redis (rmax/scrapy-redis
0.9.1), so a request any worker schedules may be fetched by any other, and a
URL one worker has scheduled is never scheduled again by another.  The
``SharedFrontier`` add-on does that from adwatch's own settings
(``ADWATCH_REDIS_URL``, ``ADWATCH_FRONTIER_RUN``), for ``adwatch crawl``,
``scrapy crawl`` and scrapyd alike; ``RedisServer`` starts a throw-away
redis-server.  What a plain scrapy-redis set-up lacks, and this module adds:

- **Atomic scheduling.**  "Seen before?" (SADD to the duplicate filter) and
  "queue it" (ZADD to the frontier) are one Lua script, so a worker killed
  between the two never leaves a URL marked seen but never queued.
- **Depth first, as Scrapy's own scheduler.**  scrapy-redis's priority queue
  orders requests of one priority by their pickled bytes, in effect by URL;
  here the score also carries a push counter, so the newest request of the
  highest priority comes first (LIFO, Scrapy's default).  URL order fetched
  every list page before the detail pages and cost 20 % of the pages per second.
- **Seeds pushed once.**  Every worker's spiders yield the same start requests
  (the profiles' queries); the shared filter lets the first copy of each in and
  drops the others.  No seeding step, no leader: whichever worker comes first
  seeds, and a worker restarted mid-crawl finds its seeds seen and just helps.
- **Records followed once across workers.**  A record's detail page is
  requested with ``dont_filter`` (a redirect must not drop it), which a URL
  filter lets through; two workers that meet the same ad under two queries
  would both fetch it.  The first detail request of a record (``adwatch_kind``
  ``detail`` with the record in ``cb_kwargs``) is therefore checked against a
  shared set of sightings (platform + canonical URL, what
  ``ChannelSpider.first_sighting`` keys one process by), in the same script.
- **Nothing lost when a worker dies.**  scrapy-redis pops a request off the
  frontier; a worker killed with requests in flight loses them.  Here a pop
  moves the request, in the same script, into the worker's in-flight hash, and
  the request is acknowledged (removed) only once Scrapy is done with it and
  its records are kept: its response or failure went through the callback, the
  requests it yielded are in the frontier, and, if it yielded records, the
  catalogue pipeline has since written its buffer (``records_stored``; records
  are still written in batches of ``ADWATCH_CATALOGUE_BATCH``).  A request that
  yielded none (a result page whose records ride on their detail requests, a
  redirect hop whose next hop is queued) is acknowledged at once: held until
  the next write, each hop of a redirect loop came back after a kill as a
  chain of its own, and stored the record once per hop.  Each worker keeps an
  expiring liveness key fresh from a thread; when one has expired, any live
  worker puts that worker's in-flight requests back on the frontier
  (atomically, once) and lists them under ``recovered``.  The price is
  at-least-once for exactly those requests: a page the dead worker had fetched
  but whose records were not yet written is fetched again, and a record it had
  stored but not acknowledged is stored again (``times_seen`` 2).  Every other
  URL is fetched once.
- **A job folder's own frontier.**  ``job_frontier(folder)`` runs the same
  frontier on a redis-server of the folder's own, persisted there (append-only
  file), for ``adwatch crawl --job-dir``: a crawl killed with kill -9 resumes
  where it was, repeating only its unfinished pages, where Scrapy's JOBDIR
  is written on a clean stop only.
- **Idle handling without blocking.**  scrapy-redis's ``SCHEDULER_IDLE_BEFORE_CLOSE``
  makes the scheduler block the reactor in BRPOP (scrapy-redis#43: stalls);
  it is 0 here.  Instead a worker whose own engine has nothing to do stays open
  while the shared frontier has queued requests or any worker (dead or alive)
  has requests in flight, since finishing those may queue more, and closes
  once all of that has stayed empty for ``ADWATCH_FRONTIER_IDLE`` seconds.  The
  wait is for workers started before their seeds exist (another host still
  starting); a frontier that has drained after a crawl closes every worker
  within that time.  A 4 Hz tick hands new requests from Redis to an idle
  engine (Scrapy itself looks only every 5 s).
- **Requests are serialisable, or fail loudly.**  scrapy-redis pickles
  ``request.to_dict()``.  A request that cannot be pickled (a lambda or bound
  method, a Playwright ``Page``, a callback that is not a spider method) raises
  ``UnserialisableRequest`` naming the meta / cb_kwargs key that holds it,
  where Scrapy's own disk queue would quietly keep it in memory only.

Keys, all under ``<key_prefix>:<spider>:`` (a prefix per crawl run, so that a
new run does not find the last run's URLs seen): ``requests`` (sorted set, the
frontier; ``requests:pushed`` counts pushes), ``dupefilter`` and ``sightings``
(sets), ``workers`` (set), ``alive:<worker>`` (string with a TTL),
``inflight:<worker>`` (hash), ``recovered`` (list of re-queued requests, for
audit).  Keys live on after a
run (the filter is what keeps a late worker from re-crawling); a run that
finishes with its frontier drained sets them to expire after
``ADWATCH_FRONTIER_KEEP`` seconds.  One Redis server, not Redis Cluster (the
scripts touch keys of several hash slots).

Internals used: Scrapy's engine keeps the requests it is working on in
``engine._slot.inprogress`` and lets go of one with ``engine._slot.remove_request``
once its output has been handled (the scheduler wraps it to acknowledge the
request at that moment; a 4 Hz check of ``inprogress`` catches any it missed),
and wakes up through ``engine._slot.nextcall``.  All exist since Scrapy 1.x and
are checked when the scheduler opens.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Self, cast

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.misc import load_object
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.finding import signals as adwatch_signals
from loopback.child import die_with_parent, stop_process
from loopback.server import LoopbackServer, free_port

logger = logging.getLogger(__name__)

SIGHTED_META = "adwatch_sighted"  # set on a record's detail request once it is in the frontier
# Set on a request when it is popped: which in-flight entry a record came from.
# In meta, not by identity, so a copy of the request (a response's) still tells.
TOKEN_META = "adwatch_frontier_token"
# Set by a callback on a request it could handle only in part (a list whose
# scrolling was cut short by the crawl's stop): never acknowledged, so the
# frontier puts it back at close and a resumed crawl handles it again.
UNFINISHED_META = "adwatch_unfinished"

DEFAULT_IDLE = 10.0  # seconds the shared frontier must stay empty before a worker closes
DEFAULT_TTL = 10.0  # seconds without a heartbeat before a worker is taken for dead
DEFAULT_KEEP = 7 * 24 * 3600.0  # seconds a finished run's keys are kept
TICK = 0.25  # seconds between acknowledgements / wake-ups of an idle engine
RECOVER_EVERY = 1.0  # seconds between looks for dead workers


def redis_settings(
    url: str,
    key_prefix: str,
    *,
    idle: float = DEFAULT_IDLE,
    ttl: float = DEFAULT_TTL,
    worker: str = "",
    reclaim: bool = False,
) -> dict[str, Any]:
    """Scrapy settings that put every spider's frontier and duplicate filter in
    the Redis at ``url`` under ``key_prefix`` (one prefix per crawl run, the
    same for every worker of the run: ``adwatch:<run id>``).  ``reclaim``: the
    ``worker`` id is this process's alone, so requests it finds in flight
    under it at start were left by a dead run of it (a job folder's frontier)."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"REDIS_URL must be a redis://, rediss:// or unix:// URL, got {url!r}")
    if not key_prefix or any(c.isspace() for c in key_prefix) or "%" in key_prefix:
        raise ValueError(f"key prefix must be non-empty, without spaces or %, got {key_prefix!r}")
    if idle <= 0 or ttl <= 0:
        raise ValueError("idle and ttl must be > 0 seconds")
    settings: dict[str, Any] = {
        "SCHEDULER": "crawler.finding.frontier.RedisScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.finding.frontier.ReliableQueue",
        "DUPEFILTER_CLASS": "crawler.finding.frontier.RedisDupeFilter",
        "SCHEDULER_QUEUE_KEY": f"{key_prefix}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{key_prefix}:%(spider)s:dupefilter",
        "SCHEDULER_PERSIST": True,  # other workers still use the run's keys
        "SCHEDULER_FLUSH_ON_START": False,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,  # never block the reactor in BRPOP
        "REDIS_URL": url,
        "ADWATCH_FRONTIER_KEYS": key_prefix,
        "ADWATCH_FRONTIER_IDLE": idle,
        "ADWATCH_FRONTIER_TTL": ttl,
    }
    if worker:
        settings["ADWATCH_FRONTIER_WORKER"] = worker
    if reclaim:
        if not worker:
            raise ValueError("reclaim needs a fixed worker id")
        settings["ADWATCH_FRONTIER_RECLAIM"] = True
    return settings


class SharedFrontier:
    """Scrapy add-on (``ADDONS = {"crawler.finding.frontier.SharedFrontier": 0}``): when
    ``ADWATCH_REDIS_URL`` names a Redis, the crawl uses the shared frontier there,
    under ``adwatch:<ADWATCH_FRONTIER_RUN>``, with ``ADWATCH_FRONTIER_IDLE``,
    ``_TTL`` and ``_WORKER``.  Being an add-on, it works the same for ``adwatch
    crawl``, ``scrapy crawl`` and scrapyd jobs.  Settings given on the command
    line (``-s``) win over the ones it sets."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = str(settings.get("ADWATCH_REDIS_URL") or "")
        if not url:
            return
        if url == "local":
            raise ValueError(
                "ADWATCH_REDIS_URL=local means: adwatch crawl starts a redis-server and "
                "sets its URL; a crawl started otherwise needs a redis:// URL"
            )
        run = str(settings.get("ADWATCH_FRONTIER_RUN") or "")
        if not run:
            raise ValueError(
                "ADWATCH_REDIS_URL needs ADWATCH_FRONTIER_RUN: one id shared by every worker "
                "of a crawl, a new one for the next crawl (its URLs are filtered by run)"
            )
        shared = redis_settings(
            url,
            f"adwatch:{run}",
            idle=settings.getfloat("ADWATCH_FRONTIER_IDLE", DEFAULT_IDLE),
            ttl=settings.getfloat("ADWATCH_FRONTIER_TTL", DEFAULT_TTL),
            worker=str(settings.get("ADWATCH_FRONTIER_WORKER") or ""),
            reclaim=settings.getbool("ADWATCH_FRONTIER_RECLAIM"),
        )
        project = SETTINGS_PRIORITIES["project"]
        for name, value in shared.items():
            if (settings.getpriority(name) or 0) <= project:
                settings.set(name, value, priority="project")


def cli_args(settings: Mapping[str, Any]) -> list[str]:
    """``-s NAME=VALUE`` arguments of ``adwatch crawl`` for these settings
    (dicts and lists as JSON, which Scrapy's getdict/getlist read)."""
    args: list[str] = []
    for name, value in settings.items():
        text = json.dumps(value) if isinstance(value, dict | list) else str(value)
        args += ["-s", f"{name}={text}"]
    return args


# --- serialisability ---------------------------------------------------------


class UnserialisableRequest(ValueError):
    """A request the shared frontier cannot store: names the offending key."""


def encode_request(request: Request, spider: Spider, serializer: Any = picklecompat) -> bytes:
    """The bytes scrapy-redis stores for ``request``; UnserialisableRequest,
    naming the culprit, when there are none."""
    try:
        return bytes(serializer.dumps(request.to_dict(spider=spider)))
    except Exception as exc:
        raise UnserialisableRequest(_culprit(request, spider, exc)) from exc


def check_serialisable(request: Request, spider: Spider) -> None:
    """Raise UnserialisableRequest unless ``request`` survives a pickle round trip."""
    data = encode_request(request, spider)
    try:
        picklecompat.loads(data)
    except Exception as exc:
        raise UnserialisableRequest(
            f"{request.method} {request.url}: pickled but does not unpickle: {exc!r}"
        ) from exc


def _culprit(request: Request, spider: Spider, exc: Exception) -> str:
    where = f"{request.method} {request.url}"
    for name, func in (("callback", request.callback), ("errback", request.errback)):
        if callable(func) and getattr(func, "__self__", None) is not spider:
            return (
                f"{where}: {name} {_describe(func)} is not a method of the spider "
                f"{spider.name!r}; only spider methods can be stored in the shared frontier"
            )
    for label, mapping in (("meta", request.meta), ("cb_kwargs", request.cb_kwargs)):
        for key, value in mapping.items():
            path = _unpicklable_path(value, f"{label}[{key!r}]")
            if path:
                return (
                    f"{where}: {path} cannot be stored in the shared frontier; "
                    "put a string (an import path, a spider method name) or plain data there"
                )
    return f"{where}: cannot be serialised: {exc!r}"


def _unpicklable_path(value: Any, path: str, depth: int = 0) -> str:
    """Where in ``value`` pickling fails ('' if it does not), e.g.
    meta['playwright_page_methods'][0].method holds a function (<lambda>)."""
    try:
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return ""
    except Exception:
        pass
    if depth < 4:
        children: list[tuple[str, Any]] = []
        if isinstance(value, dict):
            children = [(f"{path}[{k!r}]", v) for k, v in value.items()]
        elif isinstance(value, list | tuple | set | frozenset):
            children = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        elif hasattr(value, "__dict__") and not callable(value):
            children = [(f"{path}.{k}", v) for k, v in vars(value).items()]
        for child_path, child in children:
            found = _unpicklable_path(child, child_path, depth + 1)
            if found:
                return found
    return f"{path} holds {_describe(value)}"


def _describe(value: Any) -> str:
    kind = type(value).__name__
    if callable(value):
        name = getattr(value, "__qualname__", "") or getattr(value, "__name__", "")
        return f"a {kind} ({name})" if name else f"a {kind}"
    return f"a {type(value).__module__}.{kind}"


# --- Redis scripts -----------------------------------------------------------

# KEYS: frontier, filter set ("" = none), push counter; ARGV: -priority, data,
# member of the filter set.  Last in, first out within a priority, as Scrapy's
# own scheduler does (depth first): the score is -priority * 2^32 - push number.
_PUSH = """
if ARGV[3] ~= '' and redis.call('SADD', KEYS[2], ARGV[3]) == 0 then return 0 end
local n = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) * 4294967296 - n, ARGV[2])
return 1
"""

# KEYS: frontier, the worker's in-flight hash; ARGV: token.  Pop the best
# request and keep it in flight under the token, as "<score>\\n<data>".
_POP = """
local got = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #got == 0 then return false end
redis.call('ZREM', KEYS[1], got[1])
redis.call('HSET', KEYS[2], ARGV[1], got[2] .. '\\n' .. got[1])
return got[1]
"""

# KEYS: frontier, in-flight hash, workers set, recovered list, alive key ("" =
# do not check); ARGV: worker.  Put a worker's in-flight requests back, once.
_REQUEUE = """
if KEYS[5] ~= '' and redis.call('EXISTS', KEYS[5]) == 1 then return -1 end
local all = redis.call('HGETALL', KEYS[2])
for i = 2, #all, 2 do
  local v = all[i]
  local nl = string.find(v, '\\n', 1, true)
  local data = string.sub(v, nl + 1)
  redis.call('ZADD', KEYS[1], string.sub(v, 1, nl - 1), data)
  redis.call('RPUSH', KEYS[4], data)
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return #all / 2
"""

# KEYS: frontier, workers set; ARGV: in-flight key prefix, the asking worker,
# how many of its in-flight requests are done (their records only waiting to
# be written).  1 while anything is queued or being worked on anywhere.
_BUSY = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 1 end
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local done = 0
  if w == ARGV[2] then done = tonumber(ARGV[3]) end
  if redis.call('HLEN', ARGV[1] .. w) > done then return 1 end
end
return 0
"""


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue, with atomic check-and-push and pops that
    stay in the worker's in-flight hash until acknowledged."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any = None):
        super().__init__(server, spider, key, serializer)
        self._push = server.register_script(_PUSH)
        self._pop = server.register_script(_POP)

    def _encode_request(self, request: Request) -> bytes:
        return encode_request(request, self.spider, self.serializer)

    def push(self, request: Request) -> None:
        self.push_unless_seen(request, "", "")

    def push_unless_seen(self, request: Request, filter_key: str, member: str) -> bool:
        """Queue ``request`` unless ``member`` is already in the set ``filter_key``
        (and add it), in one step; True when queued."""
        data = self._encode_request(request)
        keys = [self.key, filter_key or self.key, f"{self.key}:pushed"]
        return bool(self._push(keys=keys, args=[-request.priority, data, member]))

    def pop(self, timeout: int = 0) -> Request | None:  # plain pop: nothing in flight
        raise NotImplementedError("ReliableQueue pops with pop_in_flight()")

    def pop_in_flight(self, inflight_key: str, token: str) -> Request | None:
        data = self._pop(keys=[self.key, inflight_key], args=[token])
        return self._decode_request(data) if data else None


class RedisDupeFilter(RFPDupeFilter):
    """scrapy-redis's filter with Scrapy's own request fingerprints
    (REQUEST_FINGERPRINTER_CLASS), and a close that keeps the shared set."""

    fingerprinter: Any = None

    @classmethod
    def from_spider(cls, spider: Spider) -> RedisDupeFilter:
        df: RedisDupeFilter = super().from_spider(spider)
        if spider.crawler is not None:
            df.fingerprinter = spider.crawler.request_fingerprinter
        return df

    def request_fingerprint(self, request: Request) -> str:
        if self.fingerprinter is None:
            return str(super().request_fingerprint(request))
        return str(self.fingerprinter.fingerprint(request).hex())

    def close(self, reason: str = "") -> None:
        """Other workers still filter with this set: never delete it here."""


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler: atomic scheduling, shared sightings of records,
    in-flight requests acknowledged when done and recovered from dead workers,
    non-blocking idle handling (see the module docstring)."""

    crawler: Crawler
    queue: ReliableQueue
    df: RedisDupeFilter
    clock: Any = None  # what schedules the tick: the reactor, unless a test sets one

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        scheduler: RedisScheduler = super().from_crawler(crawler)
        s = crawler.settings
        scheduler.crawler = crawler
        scheduler.prefix = str(s.get("ADWATCH_FRONTIER_KEYS") or "adwatch")
        scheduler.idle = s.getfloat("ADWATCH_FRONTIER_IDLE", DEFAULT_IDLE)
        scheduler.ttl = s.getfloat("ADWATCH_FRONTIER_TTL", DEFAULT_TTL)
        scheduler.keep = s.getfloat("ADWATCH_FRONTIER_KEEP", DEFAULT_KEEP)
        scheduler.worker = str(s.get("ADWATCH_FRONTIER_WORKER") or "") or (
            f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )
        scheduler.reclaim = s.getbool("ADWATCH_FRONTIER_RECLAIM")
        if s.get("JOBDIR") and not scheduler.reclaim:
            logger.warning("JOBDIR is ignored by the shared frontier: the crawl state is in Redis")
        # Connected now, before the scheduler and the item pipelines open.
        scheduler._buffered = False
        crawler.signals.connect(scheduler._on_buffering, signal=adwatch_signals.catalogue_opened)
        crawler.signals.connect(scheduler._on_stored, signal=adwatch_signals.records_stored)
        for signal_ in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(scheduler._on_record, signal=signal_)
        return scheduler

    # --- life cycle -----------------------------------------------------------
    def open(self, spider: Spider) -> None:
        # scrapy-redis's own open() logs through Spider.log(), which Scrapy 2.19
        # deprecates (a DeprecationWarning in every worker's log): the same
        # steps, with the module logger.
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer,
        )
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if not isinstance(self.queue, ReliableQueue):
            raise ValueError(
                "RedisScheduler needs SCHEDULER_QUEUE_CLASS=crawler.finding.frontier.ReliableQueue"
            )
        slot = _engine_slot(self.crawler)  # fails now, not mid-crawl, if Scrapy changed
        # Acknowledge a request the moment the engine lets go of it: its output is
        # handled, its records stored.  Every moment between that and the
        # acknowledgement is one in which a kill makes another worker redo it.
        remove_request = slot.remove_request

        def done_with(request: Request) -> None:
            remove_request(request)
            self._done(request)

        slot.remove_request = done_with
        base = f"{self.prefix}:{spider.name}"
        self.keys = {
            "workers": f"{base}:workers",
            "sightings": f"{base}:sightings",
            "recovered": f"{base}:recovered",
            "inflight": f"{base}:inflight:",
            "alive": f"{base}:alive:",
        }
        self.inflight_key = self.keys["inflight"] + self.worker
        self.alive_key = self.keys["alive"] + self.worker
        self._requeue = self.server.register_script(_REQUEUE)
        self._busy = self.server.register_script(_BUSY)
        self._popped: dict[str, Request] = {}  # token -> request, until acknowledged
        self._tokens: dict[Request, str] = {}
        self._finished: set[str] = set()  # done; their records may still be buffered
        self._ready: set[str] = set()  # done and their records kept: to acknowledge
        self._yielded: set[str] = set()  # popped requests that yielded a record
        self._untold = False  # a record from a request not known: every one waits
        if self.reclaim:
            self._reclaim()
        self._empty_since: float | None = None
        self._last_recover = 0.0
        self._beat()
        self._stop = threading.Event()
        self._heart = threading.Thread(
            target=self._heartbeat, name=f"frontier-heartbeat-{spider.name}", daemon=True
        )
        self._heart.start()
        self.crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        from twisted.internet import reactor

        # A Ctrl-C in the first seconds can stop the reactor before a crawler's
        # engine has started, and such a crawler is never closed (Scrapy 2.19
        # skips engines not yet running): its heartbeat ends with the reactor,
        # and what it had in flight comes back from the frontier.
        self._on_shutdown = cast(Any, reactor).addSystemEventTrigger(
            "before", "shutdown", self._stop.set
        )
        if self.clock is None:
            self.clock = reactor
        self._closed = False
        self._next_tick = self.clock.callLater(TICK, self._run_tick)
        logger.info(
            "shared frontier %s on %s as worker %s (%d queued)",
            self.queue.key,
            _safe_url(self.crawler.settings.get("REDIS_URL")),
            self.worker,
            len(self.queue),
        )

    def close(self, reason: str) -> None:
        from twisted.internet import reactor

        self._closed = True
        cast(Any, reactor).removeSystemEventTrigger(self._on_shutdown)
        if self._next_tick is not None and self._next_tick.active():
            self._next_tick.cancel()
        self._stop.set()
        self._ack_finished()
        # The engine closes its slot only once nothing is in progress and the
        # pipelines have written their last records, so what is still here was
        # never finished (a shutdown) or its records were not kept (a failed
        # write): back on the frontier.
        self._requeue_own()
        self._popped.clear()
        self._tokens.clear()
        self._finished.clear()
        self._ready.clear()
        self._yielded.clear()
        self.server.delete(self.alive_key)
        self._heart.join(timeout=5)
        drained = not self._frontier_busy() and not self.server.scard(self.keys["workers"])
        if reason == "finished" and drained:
            self._expire_run()
        super().close(reason)

    def _expire_run(self) -> None:
        seconds = max(1, int(self.keep))
        for key in (
            self.queue.key,
            f"{self.queue.key}:pushed",
            self.df.key,
            self.keys["sightings"],
            self.keys["recovered"],
            self.keys["workers"],
        ):
            self.server.expire(key, seconds)

    # --- scheduling -----------------------------------------------------------
    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter:
            filter_key, member = self.df.key, self.df.request_fingerprint(request)
        elif self._first_detail(request):
            record = request.cb_kwargs["record"]
            filter_key = self.keys["sightings"]
            member = f"{record.platform}\n{record.canonical_url or record.url}"
            request.meta[SIGHTED_META] = True  # its retries and redirects pass
        else:
            filter_key, member = "", ""
        if not self.queue.push_unless_seen(request, filter_key, member):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    @staticmethod
    def _first_detail(request: Request) -> bool:
        return (
            request.meta.get("adwatch_kind") == "detail"
            and "record" in request.cb_kwargs
            and not request.meta.get(SIGHTED_META)
        )

    def next_request(self) -> Request | None:
        token = uuid.uuid4().hex
        request = self.queue.pop_in_flight(self.inflight_key, token)
        if request is None:
            return None
        self._popped[token] = request
        self._tokens[request] = token
        request.meta[TOKEN_META] = token
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    # --- in flight, liveness, recovery ---------------------------------------
    def _reclaim(self) -> None:
        """This worker's id is its own (a job folder's lock says so): what it
        has in flight was left by a run of it that died.  Back on the frontier."""
        n = self._requeue_own()
        if n:
            logger.warning("%d requests in flight when the last run stopped: queued again", n)
            if self.stats:
                self.stats.inc_value("adwatch/frontier/recovered", n)

    def _requeue_own(self) -> int:
        """Put what this worker has in flight back on the frontier; how many."""
        keys = [self.queue.key, self.inflight_key, self.keys["workers"], self.keys["recovered"], ""]
        return int(self._requeue(keys=keys, args=[self.worker]))

    def _on_buffering(self) -> None:
        self._buffered = True

    def _on_stored(self) -> None:
        """Every record of the requests finished so far is in the catalogue."""
        self._ready |= self._finished
        self._finished.clear()
        self._untold = False
        self._acknowledge()
        slot = getattr(self.crawler.engine, "_slot", None)
        if not self._closed and slot is not None and getattr(slot, "closing", None) is None:
            slot.nextcall.schedule()  # the spider may be idle now: let the engine look

    def _on_record(self, item: Any, response: Any, **_: Any) -> None:
        """A record came out of a response or failure (whichever it was, kept,
        dropped or failed: conservative): its request waits for the next write."""
        source = getattr(response, "request", None)  # a Response's or a Failure's
        meta = getattr(source, "meta", None) or {}
        token = meta.get(TOKEN_META)
        if token in self._popped:
            self._yielded.add(token)
        else:  # not from a request of ours as far as we can tell: hold them all
            self._untold = True

    def _waits(self, token: str) -> bool:
        """Whether a done request must wait for the catalogue's next write:
        with a buffering catalogue, the records it yielded may not be written."""
        return self._buffered and (token in self._yielded or self._untold)

    def _done(self, request: Request) -> None:
        token = self._tokens.get(request)
        if token is None or self._closed or request.meta.get(UNFINISHED_META):
            return
        (self._finished if self._waits(token) else self._ready).add(token)
        self._acknowledge()

    def _acknowledge(self) -> None:
        if not self._ready:
            return
        tokens = list(self._ready)
        try:
            self.server.hdel(self.inflight_key, *tokens)
        except redis.RedisError as exc:  # the tick tries again
            logger.warning("frontier: %s", exc)
            return
        self._ready.clear()
        for token in tokens:
            self._yielded.discard(token)
            request = self._popped.pop(token, None)
            if request is not None:
                self._tokens.pop(request, None)

    def _ack_finished(self) -> None:
        """Acknowledge the popped requests the engine is done with (those the
        engine's remove_request did not report, e.g. after a Redis error)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        working = slot.inprogress if slot is not None else set()
        known = self._finished | self._ready
        done = [
            t
            for t, r in self._popped.items()
            if r not in working and t not in known and not r.meta.get(UNFINISHED_META)
        ]
        for token in done:
            (self._finished if self._waits(token) else self._ready).add(token)
        self._acknowledge()

    def _beat(self) -> None:
        with self.server.pipeline() as pipe:
            pipe.set(self.alive_key, "1", px=int(self.ttl * 1000))
            # back on the list if another worker took this one for dead (a long
            # stall or a partition): its in-flight requests count again
            pipe.sadd(self.keys["workers"], self.worker)
            pipe.execute()

    def _heartbeat(self) -> None:
        """A thread, so that a reactor busy for a while is not taken for dead."""
        while not self._stop.wait(self.ttl / 4):
            try:
                self._beat()
            except redis.RedisError as exc:
                logger.warning("frontier heartbeat failed: %s", exc)

    def _recover_dead(self) -> int:
        """Put the in-flight requests of workers whose heartbeat expired back."""
        moved = 0
        for raw in self.server.smembers(self.keys["workers"]):
            worker = raw.decode() if isinstance(raw, bytes) else str(raw)
            if worker == self.worker:
                continue
            n = int(
                self._requeue(
                    keys=[
                        self.queue.key,
                        self.keys["inflight"] + worker,
                        self.keys["workers"],
                        self.keys["recovered"],
                        self.keys["alive"] + worker,
                    ],
                    args=[worker],
                )
            )
            if n >= 0:
                logger.warning(
                    "worker %s stopped answering: %d of its requests back on the frontier",
                    worker,
                    n,
                )
                if self.stats:
                    self.stats.inc_value("adwatch/frontier/recovered", n)
                moved += n
        return moved

    def _frontier_busy(self) -> bool:
        """Anything queued, or in flight anywhere but in this worker's own
        finished requests (their records wait for the catalogue's next write,
        which an idle spider makes; if it fails, they go back at close)."""
        keys = [self.queue.key, self.keys["workers"]]
        done = len(self._finished) + len(self._ready)
        return bool(self._busy(keys=keys, args=[self.keys["inflight"], self.worker, done]))

    def _run_tick(self) -> None:
        self._next_tick = None
        if self._closed:
            return
        try:
            self._tick()
        finally:
            self._next_tick = self.clock.callLater(TICK, self._run_tick)

    def _tick(self) -> None:
        try:
            self._ack_finished()
            now = time.monotonic()
            if now - self._last_recover >= RECOVER_EVERY:
                self._last_recover = now
                self._recover_dead()
            slot = _engine_slot(self.crawler)
            waiting = self._empty_since is not None  # for the idle time to pass
            if (waiting or len(self.queue)) and not self.crawler.engine.needs_backout():
                slot.nextcall.schedule()  # Scrapy itself would look in 5 s
        except redis.RedisError as exc:
            logger.warning("frontier: %s", exc)

    def _on_idle(self) -> None:
        """Keep an idle worker open while the shared crawl may still need it."""
        if self._frontier_busy():
            self._empty_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self._empty_since is None:
            self._empty_since = now
        if now - self._empty_since < self.idle:
            raise DontCloseSpider
        logger.info("shared frontier empty for %.0fs: closing", now - self._empty_since)


def crawl_stopping(crawler: Crawler) -> bool:
    """The crawl is being stopped (Ctrl-C, a CLOSESPIDER limit): what a page
    was still waiting for may have been cut off."""
    try:
        engine = crawler.engine
    except RuntimeError:  # Scrapy 2.19: no engine before the crawl starts
        return False
    if engine is None:
        return False
    slot = getattr(engine, "_slot", None)
    return not crawler.crawling or getattr(slot, "closing", None) is not None


def _engine_slot(crawler: Crawler) -> Any:
    engine = crawler.engine
    slot = getattr(engine, "_slot", None) if engine is not None else None
    needs = ("inprogress", "nextcall", "remove_request")
    if slot is None or not all(hasattr(slot, name) for name in needs):
        raise RuntimeError(
            "crawler.finding.frontier needs Scrapy's engine._slot.inprogress, .nextcall and "
            ".remove_request "
            "(Scrapy 2.19 has them); this Scrapy version changed them"
        )
    return slot


def _safe_url(url: str | None) -> str:
    """The Redis URL without a password."""
    if not url or "@" not in url:
        return url or ""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


# --- a throw-away redis-server ----------------------------------------------


def redis_server_binary() -> str:
    """ADWATCH_REDIS_SERVER, else redis-server on PATH, else Debian's."""
    found = os.environ.get("ADWATCH_REDIS_SERVER") or shutil.which("redis-server")
    return found or "/usr/bin/redis-server"


class RedisServer(LoopbackServer):
    """A redis-server of its own on 127.0.0.1 and a free port.  Started on
    ``start()`` or entering ``with``; PING answers before it returns; it is sent
    SIGTERM if the process that started it dies (Linux), so a crawler killed
    with kill -9 leaves no server behind.

    Without ``folder``: in a temporary folder, persisting nothing (``--save
    ''``, no AOF), for tests, benchmarks and ``ADWATCH_REDIS_URL=local``.
    With ``folder``: everything it is told goes to an append-only file there
    before it answers (``appendfsync everysec``: a kill of either process loses
    nothing; a power cut, up to the last second, as a consistent earlier
    state), and the next server started on the folder carries on from it.  A
    server still running there from an earlier start is stopped first.

    >>> with RedisServer() as srv:  # doctest: +SKIP
    ...     srv.url  # 'redis://127.0.0.1:40123/0'
    """

    def __init__(
        self,
        binary: str | None = None,
        startup_timeout: float = 10.0,
        folder: Path | None = None,
    ) -> None:
        self.binary = binary or redis_server_binary()
        self.startup_timeout = startup_timeout
        self.folder = folder
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._dir: str | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)

    def start(self) -> Self:
        if not Path(self.binary).exists() and not shutil.which(self.binary):
            raise FileNotFoundError(
                f"{self.binary} not found: install Debian's redis-server (apt-get install "
                "redis-server) or set ADWATCH_REDIS_SERVER"
            )
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            _stop_leftover(self.folder)
            self._dir = str(self.folder.resolve())
            # fmt: off
            keep = ["--appendonly", "yes", "--appendfsync", "everysec",
                    "--appenddirname", "appendonly"]
            # fmt: on
        else:
            self._dir = tempfile.mkdtemp(prefix="adwatch-redis-")
            keep = ["--appendonly", "no"]
        log = Path(self._dir) / "redis.log"
        last = ""
        for _ in range(5):  # a free port can be taken between looking and binding
            self.port = free_port()
            # fmt: off
            args = [
                self.binary,
                "--bind", "127.0.0.1", "--port", str(self.port), "--protected-mode", "yes",
                "--dir", self._dir, "--save", "", *keep,
                "--daemonize", "no", "--logfile", str(log), "--databases", "1",
            ]
            # fmt: on
            # never the caller's stdout/stderr: a reader waiting for their end
            # would wait for this server too
            with log.open("ab") as early:  # what it says before it opens its log
                self.proc = subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=early,
                    # out of the terminal's process group: a Ctrl-C stops the
                    # crawl, which then needs its frontier to close cleanly
                    start_new_session=True,
                    preexec_fn=die_with_parent(),
                )
            if self.folder is not None:
                (self.folder / PIDFILE).write_text(str(self.proc.pid), encoding="ascii")
            if self._wait_ready():
                return self
            last = log.read_text(errors="replace")[-500:] if log.exists() else ""
            self._kill()
        self.stop()
        raise RuntimeError(f"redis-server did not start: {last}")

    def _wait_ready(self) -> bool:
        """PING answered and, with a folder, its append-only file loaded."""
        deadline = time.monotonic() + self.startup_timeout
        client = self.client()
        try:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    return False
                with contextlib.suppress(redis.RedisError):
                    if client.ping() and not int(client.info("persistence")["loading"]):
                        return True
                time.sleep(0.05)
            return False
        finally:
            client.close()

    def _kill(self) -> None:
        if self.proc is None:
            return
        stop_process(self.proc, timeout=30)  # SIGTERM: it writes out its append-only file
        self.proc = None

    def stop(self) -> None:
        self._kill()
        if self.folder is not None:
            (self.folder / PIDFILE).unlink(missing_ok=True)
        elif self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None


PIDFILE = "redis.pid"


def _stop_leftover(folder: Path) -> None:
    """Stop a redis-server still serving ``folder`` (its process runs in it:
    redis-server changes into its --dir), so two never write one file."""
    try:
        pid = int((folder / PIDFILE).read_text(encoding="ascii").strip())
        running_in = Path(os.readlink(f"/proc/{pid}/cwd"))
    except (OSError, ValueError):
        return
    if running_in != folder.resolve():
        return  # the pid now belongs to some other process
    logger.warning("stopping redis-server %d left running in %s", pid, folder)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def shared_frontier(redis_url: str, key_prefix: str, **options: Any) -> Iterator[dict[str, Any]]:
    """The settings of a shared frontier at ``redis_url``; ``"local"`` starts a
    throw-away redis-server for the block (what ``make run`` does when
    configured).  Yields ``redis_settings(...)``."""
    if redis_url == "local":
        with RedisServer() as server:
            yield redis_settings(server.url, key_prefix, **options)
    else:
        yield redis_settings(redis_url, key_prefix, **options)


JOB_KEYS = "adwatch:job"  # one crawl per job folder: a fixed key prefix and worker id
JOB_WORKER = "job"
JOB_IDLE = 1.0  # seconds: no other worker will come to a job folder's frontier


@contextlib.contextmanager
def job_frontier(job_dir: Path) -> Iterator[dict[str, Any]]:
    """The frontier of ``adwatch crawl --job-dir``: on a redis-server of the job
    folder's own, persisted in ``<job_dir>/frontier`` (see ``RedisServer``),
    with a fixed worker id that reclaims what a killed run left in flight.  The
    folder is locked for the block (`crawler.running.jobs.Busy` if another crawl has
    it).  Yields the Scrapy settings."""
    from crawler.running.jobs import exclusive

    folder = job_dir / "frontier"
    folder.mkdir(parents=True, exist_ok=True)
    with (
        exclusive(folder / "lock", f"a crawl of the job folder {job_dir}"),
        RedisServer(folder=folder) as server,
    ):
        yield redis_settings(server.url, JOB_KEYS, idle=JOB_IDLE, worker=JOB_WORKER, reclaim=True)


FINISHED = "finished.json"


def job_finished(job_dir: Path) -> str:
    """When the crawl of this job folder finished ('' if it has not): there is
    nothing left in it to resume."""
    try:
        return str(json.loads((job_dir / "frontier" / FINISHED).read_text("utf-8"))["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def mark_job_finished(job_dir: Path, at: str) -> None:
    (job_dir / "frontier" / FINISHED).write_text(json.dumps({"at": at}), encoding="utf-8")
