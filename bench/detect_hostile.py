"""Detection on hostile input: how long one page built to be slow takes to
score, next to baselines measured in the same run.

Baselines:
- linear: the time per character of scoring ordinary texts (the adversarial
  and held-out sets, one text at a time) times the characters a hostile input
  has read; a hostile input near it costs what its length says, no more;
- quadratic: the pairwise ``_outermost`` adwatch had before issue 22, kept
  here only as the baseline, next to today's on the same hits (停催 repeated:
  one hit every two characters, as a page would give before the hit cap);
- in the loop: the longest pause of an event loop while DetectPipeline scores
  an 8 MB page, next to the same record scored in the loop thread itself.

A field longer than MAX_CHARS is read in windows (head, tail, stretches with
trigger words or contacts: crawler/reading/detect/normalize.py); ``read`` is what the
windows cover, and the label is shown next to what reading only the first
MAX_CHARS characters (adwatch before issue 23) gave, for pages whose pitch
sits deep inside.

    .venv/bin/python bench/detect_hostile.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.items import AdRecord  # noqa: E402
from crawler.reading.detect import detect, load_rules, score_text  # noqa: E402
from crawler.reading.detect.normalize import MAX_CHARS  # noqa: E402
from crawler.reading.detect.rules import Hit, Rule  # noqa: E402
from crawler.reading.detect.score import _outermost  # noqa: E402

DATA = [ROOT / "tests" / "data" / "adversarial.jsonl", ROOT / "tests" / "data" / "heldout.jsonl"]
TEN_MB = 10_000_000
TARGET_SECONDS = 1.0  # per hostile input
TARGET_STALL = 0.05  # longest pause of the crawl's event loop
# A long page with a pitch deep inside (written for this bench).
FILLER = (
    "第三天我们沿着河岸走到老城区，路边的早餐铺卖豆浆和油条，一份只要6元。"
    "导游说这座桥建于1923年，“下雨天最好看”。下午去了博物馆，门票免费，"
    "排队大约20分钟。晚上在夜市吃了烤鱼和凉粉，回酒店时已经十点多了。\n"
)
PITCH = "网贷逾期别硬扛，专业团队当天停催，协商还款不成功不收费，加微信 shang_an2025 详聊"


def repeated(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def pitched(length: int, at: int) -> str:
    """``length`` characters of FILLER with PITCH at ``at``."""
    return repeated(FILLER, at) + PITCH + repeated(FILLER, length - at - len(PITCH))


def best(fn: Callable[[], Any], repeat: int) -> float:
    """Best wall time of ``repeat`` runs (a shared box only slows runs down)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _outermost_pairwise(hits: list[Hit]) -> list[Hit]:
    """adwatch's _outermost before issue 22: every hit against every other
    hit of its category (the baseline only)."""

    def covers(other: Hit, hit: Hit) -> bool:
        (a, b), (c, d) = hit.norm_span, other.norm_span
        if other is hit or other.rule.category != hit.rule.category or not (c <= a and b <= d):
            return False
        if (d - c) != (b - a):
            return True
        return (other.rule.weight, other.rule.id) > (hit.rule.weight, hit.rule.id)

    by_category: dict[str, list[Hit]] = {}
    for hit in hits:
        by_category.setdefault(hit.rule.category, []).append(hit)
    return [
        hit
        for hit in hits
        if len(by_category[hit.rule.category]) == 1
        or not any(covers(other, hit) for other in by_category[hit.rule.category])
    ]


def repeated_hits(n: int) -> list[Hit]:
    rule = Rule("停催:停催", "停催", "停催", 0.75, "bench")
    return [
        Hit(rule, "text", "text", (2 * i, 2 * i + 2), (2 * i, 2 * i + 2), "停催") for i in range(n)
    ]


def loop_stall(record: AdRecord, inline: bool) -> float:
    """Longest gap between two turns of an event loop while ``record`` is
    scored: by DetectPipeline (its thread), or in the loop thread itself."""
    from scrapy.utils.test import get_crawler

    from crawler.finding.pipelines import DetectPipeline

    pipe = DetectPipeline.from_crawler(get_crawler())
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    async def scenario() -> None:
        beat = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)
        if inline:
            detect(record, pipe.rules)
        else:
            await pipe.process_item(record)
        await asyncio.sleep(0)
        beat.cancel()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(scenario())
    finally:
        pipe.close()
        loop.close()
    return max(gaps, default=0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    args = parser.parse_args(argv)
    rules = load_rules()
    texts = [
        json.loads(line)["text"]
        for path in DATA
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    mixed = "\n".join(texts)
    for text in texts[:50]:
        score_text(text, rules)  # warm the caches

    def score_all() -> None:
        for text in texts:
            score_text(text, rules)

    chars = sum(len(t) for t in texts)
    per_char = best(score_all, args.repeat) / chars
    print(
        f"linear baseline: {len(texts)} ordinary texts, {chars:,} characters, "
        f"{per_char * 1e6:.2f} µs a character"
    )

    cases: list[tuple[str, str]] = [
        ("停催 over 10,000 characters", repeated("停催", 10_000)),
        ("停催 over 40,000 characters", repeated("停催", 40_000)),
        ("停催 over 10 MB", repeated("停催", TEN_MB)),
        ("当天停 over 10 MB (a pattern)", repeated("当天停", TEN_MB)),
        ("亭催 over 10 MB (a variant)", repeated("亭催", TEN_MB)),
        ("'tc ' over 10 MB (initials)", repeated("tc ", TEN_MB)),
        ("10 MB mixed: every test text", repeated(mixed, TEN_MB)),
        ("2 MB page, pitch at 688,811", pitched(2_000_000, 688_811)),
        ("10 MB page, pitch at 9,500,000", pitched(TEN_MB, 9_500_000)),
    ]
    header = f"{'read':>9}{'adwatch':>10}{'linear':>10}{'ratio':>7}"
    print(f"\n{header}{'label':>8}{'first 100k':>12}   input")
    slowest = 0.0
    for name, text in cases:
        read = sum(b - a for a, b in rules.normalize(text).windows)
        took = best(partial(score_text, text, rules), args.repeat)
        slowest = max(slowest, took)
        expected = per_char * read
        label = score_text(text, rules).label
        before = score_text(text[:MAX_CHARS], rules).label  # what adwatch read before windows
        print(
            f"{read:>9,}{took:>9.3f}s{expected:>9.3f}s{took / expected:>7.2f}"
            f"{label:>8}{before:>12}   {name}"
        )

    def hostile_record() -> AdRecord:
        return AdRecord(
            channel="video",
            platform="bench",
            url="http://127.0.0.1/v/1",
            title=repeated("当天停催", 1_200),
            text=repeated("停催", 8_000_000),
        )

    took = best(lambda: detect(hostile_record(), rules), args.repeat)
    slowest = max(slowest, took)
    record = hostile_record()
    read = 1_200 + sum(b - a for a, b in rules.normalize(record.text).windows)
    print(f"{read:>9,}{took:>9.3f}s{'':>17}   8 MB page and its title, detect()")
    ok = "met" if slowest < TARGET_SECONDS else "NOT met"
    print(f"slowest {slowest:.3f}s   target < {TARGET_SECONDS:.0f} s per input: {ok}")

    print("\nquadratic baseline: _outermost on 停催 repeated (one hit per 2 characters)")
    print(f"{'hits':>8}{'before (pairwise)':>20}{'now (one sweep)':>18}")
    for n in (1_000, 2_000, 4_000):
        hits = repeated_hits(n)
        old = best(partial(_outermost_pairwise, hits), 1)
        new = best(partial(_outermost, hits), args.repeat)
        print(f"{n:>8,}{old:>19.3f}s{new:>17.4f}s")

    threaded = min(loop_stall(hostile_record(), inline=False) for _ in range(args.repeat))
    inline = min(loop_stall(hostile_record(), inline=True) for _ in range(args.repeat))
    ok = "met" if threaded < TARGET_STALL else "NOT met"
    print(
        f"\nlongest event-loop pause while an 8 MB page is scored: DetectPipeline "
        f"{threaded * 1000:.1f} ms, in the loop thread {inline * 1000:.1f} ms"
        f"   target < {TARGET_STALL * 1000:.0f} ms: {ok}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
