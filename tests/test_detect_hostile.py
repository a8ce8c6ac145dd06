"""Hostile input to the detector: pages built to make scoring slow.

Scoring used to compare every hit with every other hit of its category
("停催" repeated over 40,000 characters took 147 s, a 10 MB mixed text 69 s)
and ran in the crawl's reactor thread.  These tests hold the verdicts and
the bounds (hits per rule, the part of a field that is read, no pattern
running into its time limit); how fast it is is measured in
bench/detect_hostile.py, never here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from functools import partial
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from crawler.finding.pipelines import DetectPipeline
from crawler.items import AdRecord
from crawler.reading.detect import detect as detect_with_model
from crawler.reading.detect import load_rules, verdict_json
from crawler.reading.detect import score_text as score_text_with_model
from crawler.reading.detect.normalize import MAX_CHARS, Variants, normalize
from crawler.reading.detect.rules import MAX_HITS_PER_RULE, Hit, Rule
from crawler.reading.detect.score import _outermost

# These tests are of the rules and their reading of the text: the learned
# model, which judges after them, has its own (tests/test_detect_model.py).
detect = partial(detect_with_model, model=None)
score_text = partial(score_text_with_model, model=None)


ADVERSARIAL = Path(__file__).parent / "data" / "adversarial.jsonl"
TEN_MB = 10_000_000


def repeated(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def most_hits_of_one_rule(hits: list[dict]) -> int:
    counts: dict[tuple[str, str], int] = {}
    for m in hits:
        key = (m["rule"], m["field"])
        counts[key] = counts.get(key, 0) + 1
    return max(counts.values(), default=0)


@pytest.fixture
def no_pattern_timeouts(caplog: pytest.LogCaptureFixture):
    """A pattern that runs into its time limit gives machine-dependent hits."""
    with caplog.at_level(logging.WARNING, logger="crawler.reading.detect.rules"):
        yield
    assert not [r for r in caplog.get_records("call") if "timed out" in r.getMessage()]


@pytest.mark.parametrize("length", [10_000, 40_000, TEN_MB])
def test_a_term_repeated_over_a_page_is_one_ad_with_its_hits_capped(
    length: int, no_pattern_timeouts: None
) -> None:
    verdict = verdict_json(score_text(repeated("停催", length)))
    assert verdict["label"] == "ad" and verdict["categories"] == ["停催"]
    assert {m["term"] for m in verdict["matches"]} == {"停催"}
    assert len(verdict["matches"]) == MAX_HITS_PER_RULE
    assert verdict["matches"][-1]["span"] == [2 * MAX_HITS_PER_RULE - 2, 2 * MAX_HITS_PER_RULE]
    assert bool(verdict.get("problems")) == (length > MAX_CHARS)


@pytest.mark.parametrize(
    ("unit", "category"),
    [
        ("当天停", "停催"),  # a pattern matching every three characters
        ("亭催", "停催"),  # a variant spelling, replaced 5,000,000 times
        ("tc ", "停催"),  # initials
        ("停❤催", "停催"),  # a disguise between Han characters
        ("“征信修复”", "征信修复"),  # quoted, so every hit is checked for quotes
        ("\u202e催停", "停催"),  # right-to-left overrides
    ],
)
def test_other_repeated_disguises_are_read_and_capped(
    unit: str, category: str, no_pattern_timeouts: None
) -> None:
    verdict = verdict_json(score_text(repeated(unit, TEN_MB)))
    assert verdict["categories"][0] == category
    assert verdict["label"] in ("ad", "suspect")
    assert most_hits_of_one_rule(verdict["matches"]) <= MAX_HITS_PER_RULE


def test_a_10mb_mixed_text_is_read_in_at_most_max_chars_characters(
    no_pattern_timeouts: None,
) -> None:
    """Every disguise, contact and look-alike of the adversarial set, over and
    over: only the windows read count (MAX_CHARS characters, head, tail and
    stretches with trigger words), each rule at most MAX_HITS_PER_RULE times."""
    rows = [json.loads(line) for line in ADVERSARIAL.read_text(encoding="utf-8").splitlines()]
    text = repeated("\n".join(r["text"] for r in rows), TEN_MB)
    whole = verdict_json(score_text(text))
    head = verdict_json(score_text(text[:MAX_CHARS]))
    [note] = whole.pop("problems")
    assert note.startswith("text: 10,000,000 characters, read in ")
    assert sum(b - a for a, b in load_rules().normalize(text).windows) <= MAX_CHARS
    assert (whole["label"], whole["categories"]) == (head["label"], head["categories"])
    assert len(whole["categories"]) == 6 and len(whole["contacts"]) > 50
    assert most_hits_of_one_rule(whole["matches"]) == MAX_HITS_PER_RULE


def test_a_10mb_page_with_the_pitch_on_top_is_an_ad_with_its_contact() -> None:
    filler = "今天的红烧肉做法：五花肉切块，冷水下锅焯水，加入冰糖炒出糖色。1 2 3 abc ❤ “好吃” "
    page = "逾期先别还，当天停❤催，加薇信 tc8888\n" + repeated(filler, TEN_MB)
    verdict = verdict_json(score_text(page))
    assert verdict["label"] == "ad" and verdict["categories"][0] == "停催"
    assert {"kind": "wechat", "value": "tc8888"} in verdict["contacts"]
    assert any(m["text"] == "当天停❤催" and m["disguised"] for m in verdict["matches"])


def test_a_hostile_record_is_scored_with_every_field_bounded() -> None:
    record = AdRecord(
        channel="video",
        platform="demo-douyin",
        url="http://127.0.0.1/v/1",
        title=repeated("当天停催", 300_000),
        text=repeated("停催", 8_000_000),
    )
    verdict = detect(record)
    assert record.label == "ad" and record.categories == ["停催"]
    per_rule: dict[tuple[str, str], int] = {}
    for m in record.matches:
        per_rule[(m.rule, m.field)] = per_rule.get((m.rule, m.field), 0) + 1
    assert per_rule == {("停催:当天停催", "title"): 50, ("停催:停催", "text"): 50}
    assert sum(b - a for a, b in load_rules().normalize(record.text).windows) <= MAX_CHARS
    assert verdict.problems[1].startswith("text: 8,000,000 characters, read in ")
    assert len(record.problems) == 2 and record.template_hash


def test_a_price_after_a_long_run_of_digits_is_still_a_cue() -> None:
    """The price pattern tried every digit of a run as a start (quadratic): on
    90,000 digits it ran into its time limit and the price was missed."""
    rules = load_rules()
    cues = rules.cues(rules.normalize("1" * 90_000 + " x 300元"))
    assert [(c.kind, c.term) for c in cues] == [("price", "300元")]


def test_variant_spellings_are_replaced_longest_first_after_a_shorter_one() -> None:
    """The variants found were once turned into one regex of alternatives in
    the order found, so a shorter variant earlier in the text hid a longer
    one later (and the regex grew with the text)."""
    variants = Variants({"甲乙": "停催", "甲乙丙": "催收"})
    assert normalize("甲乙x甲乙丙", variants).text == "停催x催收"


def _covered_pairwise(hits: list[Hit]) -> list[Hit]:
    """The definition _outermost implements, compared pair by pair."""

    def covers(other: Hit, hit: Hit) -> bool:
        (a, b), (c, d) = hit.norm_span, other.norm_span
        if other is hit or other.rule.category != hit.rule.category or not (c <= a and b <= d):
            return False
        if (d - c) != (b - a):
            return True
        return (other.rule.weight, other.rule.id) > (hit.rule.weight, hit.rule.id)

    return [h for h in hits if not any(covers(o, h) for o in hits)]


def test_outermost_in_one_sweep_keeps_what_the_pairwise_comparison_kept() -> None:
    rnd = random.Random(22)
    for _ in range(300):
        rules = [
            Rule(f"{c}:{n}", c, f"t{n}", rnd.choice([0.3, 0.5, 0.9]), "x")
            for c in ("甲", "乙")
            for n in range(4)
        ]
        hits = []
        seen = set()
        for _ in range(rnd.randint(0, 40)):
            rule = rnd.choice(rules)
            a = rnd.randint(0, 30)
            span = (a, a + rnd.randint(1, 6))
            if (rule.id, span) in seen:  # match() never gives one rule twice on a span
                continue
            seen.add((rule.id, span))
            hits.append(Hit(rule, "text", "text", span, span, ""))
        assert _outermost(hits) == _covered_pairwise(hits)


def test_a_long_record_is_scored_while_the_event_loop_goes_on(tmp_path: Path) -> None:
    """One hostile landing page must not stall the crawl: the pipeline hands
    a long record to its own thread, and the loop (the reactor's) keeps
    running other work until the verdict is back."""
    crawler = get_crawler(settings_dict={"ADWATCH_DATA_DIR": str(tmp_path)})
    pipe = DetectPipeline.from_crawler(crawler)
    hostile = AdRecord(
        channel="video",
        platform="demo-douyin",
        url="http://127.0.0.1/v/1",
        text=repeated("停催", 8_000_000),
    )
    short = AdRecord(
        channel="video",
        platform="demo-douyin",
        url="http://127.0.0.1/v/2",
        text="当天停催，加V tc8888",
    )
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async def scenario() -> tuple[int, int]:
        beat = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)
        before = ticks
        await pipe.process_item(hostile)
        during = ticks - before
        before = ticks
        await pipe.process_item(short)  # a short record is scored in place
        after_short = ticks - before
        beat.cancel()
        return during, after_short

    loop = asyncio.new_event_loop()
    try:
        during, after_short = loop.run_until_complete(scenario())
    finally:
        pipe.close()
        loop.close()
    assert during > 0 and after_short == 0
    assert hostile.label == "ad" and len(hostile.matches) == MAX_HITS_PER_RULE
    assert short.label == "ad"
    assert crawler.stats is not None and crawler.stats.get_value("adwatch/label/ad") == 2
