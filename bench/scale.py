"""Scale-out benchmark: pages per second with one and with two crawler processes
on the shared Redis frontier (crawler/finding/frontier.py), side by side in one run.

Three crawls of the same demo web, each with a demo web of its own (a fresh
server: no image or page cache warmed by an earlier crawl) and, where it has
one, a throw-away redis-server of its own:

  1 process, Scrapy's scheduler   adwatch as it runs on one host (no Redis)
  1 process, Redis frontier       the same with the shared frontier: its cost
  2 processes, Redis frontier     two workers sharing the frontier

Every worker is a child process crawling all three channels (rendered list
pages in Chromium, plain detail pages, images) into one SQLite catalogue per
crawl; OCR is off (it is bench/ocr.py's subject and would be most of the CPU).
The profiles are given every query of the demo web.  Pages are the responses
Scrapy received for pages (result pages, rendered lists, detail pages; images
are counted apart), summed over the workers; the rate is pages over the span
from the first response to the last one, so process start, browser launch and
the idle wait at the end are left out (wall time with them is shown too).  CPU
is the machine's busy share over the wall time: at 100 % a second worker has
nothing left to use.  A small web (size 3) is bound by its longest chain of
pages that wait on each other (result page after result page, scroll batch
after scroll batch), which a second worker cannot shorten; size 8 has enough
queries to keep two busy.  The load average before each crawl tells whether others
were using the machine too.

Examples:
  python bench/scale.py                 # demo size 8 (about 2,800 pages and 2,650 images)
  python bench/scale.py --size 3 --ocr  # smaller, with OCR in every worker
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST, LAST = "bench/first_response", "bench/last_response"  # stats, epoch seconds


@dataclass
class Crawl:
    name: str
    workers: int
    pages: int = 0
    images: int = 0
    span: float = 0.0  # first response to last response, seconds
    wall: float = 0.0  # first worker started to last worker ended, seconds
    cpu_busy: float = 0.0  # share of the machine's CPU time busy during the wall time
    demo_cpu: float = 0.0  # the demo web's CPU seconds per wall second (1.0 = one core)
    records: int = 0

    @property
    def rate(self) -> float:
        return self.pages / self.span if self.span else 0.0


class ResponseClock:
    """Extension (in the children): when the first and the last response came."""

    def __init__(self, crawler: Any) -> None:
        from scrapy import signals

        self.stats = crawler.stats
        crawler.signals.connect(self.received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ResponseClock:
        return cls(crawler)

    def received(self, request: Any) -> None:
        now = time.time()
        self.stats.min_value(FIRST, now)
        self.stats.max_value(LAST, now)
        kind = "images" if request.meta.get("adwatch_kind") == "image" else "pages"
        self.stats.inc_value(f"bench/{kind}")


# --- a worker (child process) ------------------------------------------------


def child(args: argparse.Namespace) -> None:
    from crawler.finding.frontier import redis_settings
    from crawler.running.run import crawl, project_settings

    overrides: dict[str, Any] = {
        "ADWATCH_BASE_URL": args.base_url,
        "ADWATCH_DATA_DIR": args.data_dir,
        "ADWATCH_CATALOGUE": f"sqlite://{args.catalogue}",
        "ADWATCH_CAPTURE": False,
        "ADWATCH_OCR_ENGINE": "rapidocr" if args.ocr else "none",
        # the demo's persistent captcha would measure waiting, not crawling
        "ADWATCH_BLOCK_BACKOFF": 0.05,
        "ADWATCH_BLOCK_BACKOFF_MAX": 0.1,
        "ADWATCH_SITES_DIR": args.sites_dir,
        "LOG_LEVEL": "INFO",
        "LOG_FILE": str(Path(args.data_dir) / "crawl.log"),
    }
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    if args.redis_url:
        overrides |= redis_settings(args.redis_url, args.prefix, idle=2.0, worker=args.worker)
    settings = project_settings(overrides)
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["__main__.ResponseClock"] = 0
    settings.set("EXTENSIONS", extensions, priority="cmdline")
    result = crawl(settings, progress=False)
    stats = result.stats.values()
    print(
        json.dumps(
            {
                "pages": sum(s.get("bench/pages", 0) for s in stats),
                "images": sum(s.get("bench/images", 0) for s in stats),
                "first": min((s[FIRST] for s in stats if FIRST in s), default=0.0),
                "last": max((s[LAST] for s in stats if LAST in s), default=0.0),
            }
        )
    )


# --- the benchmark ----------------------------------------------------------


def _busy(before: Any, after: Any) -> float:
    idle = (after.idle + after.iowait) - (before.idle + before.iowait)
    total = sum(after) - sum(before)
    return 1.0 - idle / total if total else 0.0


def sites_for(size: int, folder: Path) -> Path:
    """The bundled demo profiles, each with every query the demo web of
    ``size`` has for its channel (the profiles name only a few)."""
    from demo.generate import generate
    from demo.ground_truth import ground_truth_lines

    queries = ground_truth_lines(generate(7, size))[0]["queries"]
    shutil.copytree(ROOT / "crawler" / "finding" / "sites", folder)
    for path in folder.glob("demo-*.yaml"):
        profile = yaml.safe_load(path.read_text(encoding="utf-8"))
        profile["queries"] = queries[profile["channel"]]
        path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return folder


def run_crawl(
    me: list[str], work: Path, crawl: Crawl, size: int, sites: Path, redis: bool, ocr: bool
) -> None:
    from crawler.finding.frontier import RedisServer
    from crawler.running.run import demo_web

    work.mkdir(parents=True)
    catalogue = work / "catalogue.db"
    with (
        demo_web(size=size, slow_seconds=1.0) as url,
        RedisServer() if redis else contextlib.nullcontext() as server,
    ):
        prefix = f"bench:{uuid.uuid4().hex[:8]}"
        procs = []
        [demo] = [p for p in psutil.Process().children() if "demo" in " ".join(p.cmdline()[1:3])]
        demo_before = sum(demo.cpu_times()[:2])
        cpu_before = psutil.cpu_times()
        started = time.monotonic()
        for n in range(crawl.workers):
            argv = [
                *me,
                "--child",
                "--base-url",
                url,
                "--data-dir",
                str(work / f"w{n}"),
                "--catalogue",
                str(catalogue),
                "--worker",
                f"w{n}",
                "--prefix",
                prefix,
                "--sites-dir",
                str(sites),
            ]
            if server is not None:
                argv += ["--redis-url", server.url]
            if ocr:
                argv.append("--ocr")
            procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT))
        results = []
        for proc in procs:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"{crawl.name}: a worker failed with exit {proc.returncode}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        crawl.wall = time.monotonic() - started
        crawl.cpu_busy = _busy(cpu_before, psutil.cpu_times())
        crawl.demo_cpu = (sum(demo.cpu_times()[:2]) - demo_before) / crawl.wall
    crawl.pages = sum(int(r["pages"]) for r in results)
    crawl.images = sum(int(r["images"]) for r in results)
    crawl.span = max(r["last"] for r in results) - min(r["first"] for r in results)
    conn = sqlite3.connect(catalogue)
    try:
        crawl.records = int(conn.execute("SELECT count(*) FROM records").fetchone()[0])
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=8, help="demo web size (default 8)")
    parser.add_argument("--ocr", action="store_true", help="read images with rapidocr too")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--catalogue", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="bench", help=argparse.SUPPRESS)
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    parser.add_argument("--sites-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0

    me = [sys.executable, str(Path(__file__).resolve())]
    print(
        f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
        f"demo size {args.size}, OCR {'on' if args.ocr else 'off'}",
        flush=True,
    )
    crawls = [
        (Crawl("1 process, Scrapy's scheduler", 1), False),
        (Crawl("1 process, Redis frontier", 1), True),
        (Crawl("2 processes, Redis frontier", 2), True),
    ]
    with tempfile.TemporaryDirectory(prefix="adwatch-bench-scale-") as tmpname:
        sites = sites_for(args.size, Path(tmpname) / "sites")
        for n, (crawl, redis) in enumerate(crawls):
            load = os.getloadavg()[0]
            run_crawl(me, Path(tmpname) / f"c{n}", crawl, args.size, sites, redis, args.ocr)
            print(
                f"  {crawl.name:30s} {crawl.pages:5d} pages {crawl.span:5.1f}s "
                f"{crawl.rate:5.1f} pages/s  (+{crawl.images} images; wall {crawl.wall:5.1f}s; "
                f"CPU busy {crawl.cpu_busy:4.0%}, demo web {crawl.demo_cpu:4.0%} of a core; "
                f"load before {load:.1f}; "
                f"{crawl.records} records)",
                flush=True,
            )
    one = crawls[1][0]
    two = crawls[2][0]
    alone = crawls[0][0]
    print(
        f"two workers vs one on the Redis frontier: x{two.rate / one.rate:.2f} pages/s; "
        f"the frontier vs Scrapy's own scheduler, one process: x{one.rate / alone.rate:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
