"""Crawl benchmark: adwatch against bare baselines on the same URLs, in one run.

(a) plain pages    adwatch's search channel (result pages + landing pages, no
                   browser, full pipeline into SQLite) over the demo web, next to
                   a bare Scrapy spider fetching the very same URLs.
(b) browser pages  adwatch's video channel with every video page rendered in
                   Chromium, next to a bare Playwright loop reusing 4 pages over
                   the very same URLs (same resource blocking: images, media
                   and fonts are not loaded in either).

Every run is a child process (a fresh reactor, a fresh browser); the parent
samples the memory of the child's whole process tree (PSS, which counts shared
browser pages once; RSS where PSS is not readable) twice a second and reports
the peak and the trend (MB per 1,000 pages, a least-squares fit over the second
half of the run).  The demo web runs in its own process.

Examples:
  python bench/crawl.py                         # both, default sizes
  python bench/crawl.py --only plain --size 20
  python bench/crawl.py --only browser --pages 2000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_PLAIN_RATE = 200.0  # pages/s, issue 3
TARGET_BROWSER_RATIO = 0.7  # of the bare Playwright rate, issue 3
TARGET_PEAK_MB = 1536.0  # 1.5 GB over a 2,000-page browser crawl, issue 3


@dataclass
class Run:
    name: str
    pages: int = 0
    seconds: float = 0.0
    peak_mb: float = 0.0
    trend_mb_per_1k: float = 0.0
    samples: list[tuple[float, float]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def tree_mb(proc: psutil.Process) -> float:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            try:
                total += p.memory_full_info().pss
            except (psutil.AccessDenied, AttributeError):
                total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def measure(name: str, argv: list[str]) -> Run:
    """Run a child, sample its process tree, read its JSON result line."""
    run = Run(name)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    ps = psutil.Process(proc.pid)
    started = time.monotonic()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                run.samples.append((time.monotonic() - started, tree_mb(ps)))
            except psutil.NoSuchProcess:
                return
            done.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed with exit {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    run.pages, run.seconds = int(result["pages"]), float(result["seconds"])
    run.peak_mb = max((mb for _, mb in run.samples), default=0.0)
    run.trend_mb_per_1k = _trend(run)
    return run


def _trend(run: Run) -> float:
    """Slope of memory over the second half of the run, per 1,000 pages."""
    half = run.samples[len(run.samples) // 2 :]
    if len(half) < 4 or not run.seconds:
        return 0.0
    n = len(half)
    mean_t = sum(t for t, _ in half) / n
    mean_m = sum(m for _, m in half) / n
    var = sum((t - mean_t) ** 2 for t, _ in half)
    slope_per_s = sum((t - mean_t) * (m - mean_m) for t, m in half) / var if var else 0.0
    return slope_per_s * 1000 / run.rate if run.rate else 0.0


# --- children ---------------------------------------------------------------


def child_adwatch(args: argparse.Namespace) -> None:
    from crawler.running.run import crawl, project_settings

    overrides: dict[str, Any] = {
        "ADWATCH_BASE_URL": args.base_url,
        "ADWATCH_DATA_DIR": args.data_dir,
        "LOG_LEVEL": "WARNING",
        "ADWATCH_SITES_DIR": args.sites_dir,
    }
    settings = project_settings(overrides)
    for item in args.set or []:
        name, _, value = item.partition("=")
        settings.set(name, value, priority="cmdline")
    # The persistent captcha's backoff would measure waiting, not crawling.
    settings.set("ADWATCH_BLOCK_BACKOFF", 0.05, priority="cmdline")
    settings.set("ADWATCH_BLOCK_BACKOFF_MAX", 0.1, priority="cmdline")
    if args.no_images:  # pages are measured here; images are the OCR stage's benchmark
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        pipelines["crawler.finding.pipelines.ImagePipeline"] = None
        settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    queries: list[str] = []
    if args.ground_truth:  # crawl every query the demo web has, not just the profile's few
        meta = json.loads(Path(args.ground_truth).read_text(encoding="utf-8").splitlines()[0])
        queries = meta["queries"][args.channel]
    result = crawl(
        settings,
        channels=[args.channel],
        queries=queries,
        max_pages=args.max_pages,
        progress=False,
    )
    stats = result.stats[args.channel]
    print(
        json.dumps(
            {
                # browser runs count rendered pages only, not plain fetches beside them
                "pages": stats.get("adwatch/browser/pages", 0)
                if args.channel == "video"
                else stats.get("response_received_count", 0),
                "seconds": stats.get("elapsed_time_seconds", result.elapsed),
            }
        )
    )


def child_scrapy(args: argparse.Namespace) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = Path(args.urls).read_text(encoding="utf-8").split()

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self) -> Any:
            for url in urls:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response: Any) -> None:
            return None

    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "ROBOTSTXT_OBEY": False,
            "DOWNLOAD_TIMEOUT": 20,
            "DOWNLOAD_MAXSIZE": 8 * 2**20,
            "REDIRECT_MAX_TIMES": 10,
            "RETRY_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(
        json.dumps(
            {
                "pages": stats.get("response_received_count", 0),
                "seconds": stats.get("elapsed_time_seconds", 0.0),
            }
        )
    )


def child_playwright(args: argparse.Namespace) -> None:
    import asyncio

    from playwright.async_api import async_playwright

    from crawler import settings
    from crawler.finding.browser import should_abort

    urls = Path(args.urls).read_text(encoding="utf-8").split()

    async def main() -> tuple[int, float]:
        async with async_playwright() as p:
            options: dict[str, Any] = dict(settings.PLAYWRIGHT_LAUNCH_OPTIONS)
            browser = await p.chromium.launch(**options)
            context = await browser.new_context()

            async def route(r: Any) -> None:
                if should_abort(r.request):
                    await r.abort()
                else:
                    await r.continue_()

            await context.route("**", route)
            queue: asyncio.Queue[str] = asyncio.Queue()
            for url in urls:
                queue.put_nowait(url)
            done = 0

            async def worker() -> None:
                nonlocal done
                page = await context.new_page()
                while not queue.empty():
                    url = queue.get_nowait()
                    try:
                        await page.goto(url, timeout=20_000)
                        await page.content()
                        done += 1
                    except Exception as exc:  # count only what loaded, as Scrapy does
                        print(f"baseline: {url}: {exc}", file=sys.stderr)
                await page.close()

            started = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(4)))
            seconds = time.monotonic() - started
            await context.close()
            await browser.close()
            return done, seconds

    pages, seconds = asyncio.run(main())
    print(json.dumps({"pages": pages, "seconds": seconds}))


# --- the benchmark ----------------------------------------------------------


def catalogue_urls(data_dir: Path, channel: str) -> list[str]:
    """The URLs adwatch fetched for a channel, read back from its catalogue."""
    from evidence.index import open_catalogue

    urls: list[str] = []
    with open_catalogue(f"sqlite:///{data_dir / 'catalogue.db'}") as cat:
        result = cat.search("", channel=channel, limit=1_000_000)
        for hit in result.hits:
            for url in (hit.get("referrer"), hit.get("url")):
                if url and url not in urls:
                    urls.append(url)
    return urls


def sites_with_rendered_videos(tmp: Path) -> Path:
    """A copy of the bundled profiles whose video pages go through the browser."""
    sites = tmp / "sites"
    shutil.copytree(ROOT / "crawler" / "finding" / "sites", sites)
    path = sites / "demo-douyin.yaml"
    profile = yaml.safe_load(path.read_text(encoding="utf-8"))
    profile["detail"]["render"] = True
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return sites


def compare(
    me: list[str],
    work: Path,
    channel: str,
    size: int,
    max_pages: int,
    baseline: str,
    baseline_name: str,
    sites: Path | None = None,
) -> tuple[Run, Run]:
    """adwatch crawling one channel of a demo web of ``size``, then the
    baseline child fetching the very URLs adwatch fetched."""
    from crawler.running.run import demo_web

    work.mkdir(parents=True)
    truth = work / "truth.jsonl"
    with demo_web(size=size, slow_seconds=1.0, ground_truth=truth) as url:
        data = work / "data"
        argv = [
            *me,
            "--child",
            "adwatch",
            "--channel",
            channel,
            "--base-url",
            url,
            "--data-dir",
            str(data),
            "--max-pages",
            str(max_pages),
            "--no-images",
            "--ground-truth",
            str(truth),
        ]
        if sites is not None:
            argv += ["--sites-dir", str(sites)]
        run = measure(f"adwatch {channel}", argv)
        urls = work / "urls.txt"
        urls.write_text("\n".join(catalogue_urls(data, channel)), encoding="utf-8")
        base = measure(baseline_name, [*me, "--child", baseline, "--urls", str(urls)])
    return run, base


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(label: str, run: Run, base: Run, target: str) -> str:
    ratio = run.rate / base.rate if base.rate else 0.0
    return (
        f"{label}\n"
        f"  adwatch   {run.pages:6d} pages {run.seconds:7.1f}s {run.rate:8.1f} pages/s  "
        f"peak {run.peak_mb:7.0f} MB  trend {run.trend_mb_per_1k:+6.1f} MB/1k pages\n"
        f"  baseline  {base.pages:6d} pages {base.seconds:7.1f}s {base.rate:8.1f} pages/s  "
        f"peak {base.peak_mb:7.0f} MB  ({base.name})\n"
        f"  ratio {ratio:.2f} of baseline; {target}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["plain", "browser"], default=None)
    parser.add_argument("--size", type=int, default=20, help="demo web size for (a)")
    parser.add_argument("--pages", type=int, default=2000, help="browser pages for (b), about")
    parser.add_argument(
        "--child", choices=["adwatch", "scrapy", "playwright"], help=argparse.SUPPRESS
    )
    parser.add_argument("--channel", default="search", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--sites-dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--max-pages", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    parser.add_argument("--no-images", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ground-truth", default="", help=argparse.SUPPRESS)
    parser.add_argument("--set", action="append", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    children = {"adwatch": child_adwatch, "scrapy": child_scrapy, "playwright": child_playwright}
    if args.child:
        children[args.child](args)
        return 0

    me = [sys.executable, str(Path(__file__).resolve())]
    print(
        f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="adwatch-bench-") as tmpname:
        tmp = Path(tmpname)
        if args.only in (None, "plain"):
            run, base = compare(
                me, tmp / "plain", "search", args.size, 5, "scrapy", "bare Scrapy spider"
            )
            print(
                report(
                    f"(a) plain pages, demo size {args.size}",
                    run,
                    base,
                    f"target >= {TARGET_PLAIN_RATE:.0f} pages/s: "
                    f"{met(run.rate >= TARGET_PLAIN_RATE)}",
                ),
                flush=True,
            )
        if args.only in (None, "browser"):
            size = max(1, round(args.pages / 100))
            run, base = compare(
                me,
                tmp / "browser",
                "video",
                size,
                10,
                "playwright",
                "bare Playwright, 4 pages reused",
                sites=sites_with_rendered_videos(tmp),
            )
            ratio = run.rate / base.rate if base.rate else 0.0
            print(
                report(
                    f"(b) browser-rendered pages, demo size {size}",
                    run,
                    base,
                    f"ratio >= {TARGET_BROWSER_RATIO}: {met(ratio >= TARGET_BROWSER_RATIO)}; "
                    f"peak <= {TARGET_PEAK_MB:.0f} MB: {met(run.peak_mb <= TARGET_PEAK_MB)}",
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
