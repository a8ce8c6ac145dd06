"""Long fields are read in windows: head, tail and the stretches where the
raw text holds trigger words or contacts, at most MAX_CHARS characters in all.

A field used to be read up to its first 100,000 characters, so a 2 MB page
whose pitch sits at character 688,811 was clean.  These tests hold what the
windows must give: the deep or closing pitch found with its contact, spans
in the raw field, the bound on characters read whatever the page (asserted
on what the record reports, never on time), and unchanged verdicts for texts
of ordinary size.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from pathlib import Path

import pytest

from crawler.reading.detect import load_rules, verdict_json
from crawler.reading.detect import score_text as score_text_with_model
from crawler.reading.detect.normalize import MAX_CHARS, Normalized, normalize
from crawler.reading.detect.rules import RuleSet
from crawler.reading.detect.score import assess

# These tests are of the rules and their reading of the text: the learned
# model, which judges after them, has its own (tests/test_detect_model.py).
score_text = partial(score_text_with_model, model=None)


DATA = Path(__file__).parent / "data"
# An ordinary long page: a travel diary, numbers and quotes included, no
# trigger word and no contact.
FILLER = (
    "第三天我们沿着河岸走到老城区，路边的早餐铺卖豆浆和油条，一份只要6元。"
    "导游说这座桥建于1923年，“下雨天最好看”。下午去了博物馆，门票免费，"
    "排队大约20分钟。晚上在夜市吃了烤鱼和凉粉，回酒店时已经十点多了。\n"
)
# A pitch with a strong term, a disguise and a WeChat ID.
PITCH = "网贷逾期别硬扛，专业团队当天停催，协商还款不成功不收费，加微信 shang_an2025 详聊"
READ_NOTE = re.compile(
    r"^text: ([\d,]+) characters, read in (\d+) windows? covering ([\d,]+) characters"
)


def page(length: int, inserts: dict[int, str]) -> str:
    """``length`` characters of FILLER with each text put at its offset."""
    out: list[str] = []
    at = 0
    for offset, text in sorted(inserts.items()):
        out.append((FILLER * ((offset - at) // len(FILLER) + 1))[: offset - at])
        out.append(text)
        at = offset + len(text)
    out.append((FILLER * ((length - at) // len(FILLER) + 1))[: length - at])
    text = "".join(out)
    assert len(text) == length
    return text


def characters_read(verdict: dict) -> tuple[int, int, int]:
    """(field length, windows, characters read) from the record's note."""
    [note] = verdict["problems"]
    m = READ_NOTE.match(note)
    assert m, note
    length, count, covered = (int(g.replace(",", "")) for g in m.groups())
    return length, count, covered


def assert_spans_are_raw(verdict: dict, text: str) -> None:
    for m in verdict["matches"]:
        assert text[slice(*m["span"])] == m["text"]


def test_a_2mb_page_with_the_pitch_deep_inside_is_an_ad_with_its_contact() -> None:
    assert verdict_json(score_text(page(2_000_000, {})))["label"] == "clean"
    at = 688_811
    text = page(2_000_000, {at: PITCH})
    verdict = verdict_json(score_text(text))
    assert verdict["label"] == "ad" and verdict["categories"][0] == "停催"
    assert {"kind": "wechat", "value": "shang_an2025"} in verdict["contacts"]
    assert_spans_are_raw(verdict, text)
    spans = {m["text"]: m["span"] for m in verdict["matches"]}
    start = at + PITCH.index("当天停催")
    assert spans["当天停催"] == [start, start + 4]
    length, _count, covered = characters_read(verdict)
    assert length == 2_000_000 and covered <= MAX_CHARS


def test_a_deep_contact_keeps_its_raw_span() -> None:
    from crawler.reading.detect.contacts import extract

    at = 1_234_567
    text = page(2_000_000, {at: PITCH})
    rules = load_rules()
    norm = rules.normalize(text)
    [found] = [c for c in extract(norm) if c.kind == "wechat"]
    start = at + PITCH.index("shang_an2025")
    assert found.span == (start, start + len("shang_an2025"))
    assert text[slice(*found.span)] == found.value == "shang_an2025"


def test_a_deep_pitch_in_traditional_behind_a_separator_is_found() -> None:
    """The scan folds Traditional and full-width characters and looks across
    one or two separators (❤ and its variation selector)."""
    pitch = "網貸逾期別慌，當天停❤️催，不成功全額退款，ＶＸ：ｈｋ８８６６"
    at = 1_500_000
    text = page(3_000_000, {at: pitch})
    verdict = verdict_json(score_text(text))
    assert verdict["label"] == "ad" and verdict["categories"][0] == "停催"
    assert {"kind": "wechat", "value": "hk8866"} in verdict["contacts"]
    [hit] = [m for m in verdict["matches"] if m["term"] == "当天停催"]
    start = at + pitch.index("當天")
    assert hit["span"] == [start, start + len("當天停❤️催")] and hit["disguised"]
    assert_spans_are_raw(verdict, text)


def test_an_ad_only_in_the_tail_is_read() -> None:
    """The closing lines are always read, even a pitch the scan of the raw
    text cannot see (pinyin and a bare phone number)."""
    tail = "老哥们 wangdai yuqi 了别怕，dang tian tingcui，电话 138 0013 8000"
    text = page(3_000_000, {3_000_000 - len(tail) - 1: tail})
    assert verdict_json(score_text(text[:MAX_CHARS]))["label"] == "clean"  # what was read
    verdict = verdict_json(score_text(text))
    assert verdict["label"] in ("ad", "suspect") and verdict["categories"][0] == "停催"
    assert {"kind": "phone", "value": "13800138000"} in verdict["contacts"]
    assert_spans_are_raw(verdict, text)


def test_pitches_all_over_10mb_are_read_within_the_bound() -> None:
    """500 pitches with contacts, one every 20,000 characters: no more than
    MAX_CHARS characters are read, and the record says how many stretches
    with trigger words were left."""
    ids = [f"op_{n:04d}x" for n in range(500)]
    inserts = {n * 20_000 + 7_000: PITCH.replace("shang_an2025", w) for n, w in enumerate(ids)}
    text = page(10_000_000, inserts)
    verdict = verdict_json(score_text(text))
    length, count, covered = characters_read(verdict)
    assert length == 10_000_000 and covered <= MAX_CHARS and count > 10
    assert "were not read" in verdict["problems"][0]
    assert verdict["label"] == "ad"
    assert 10 < len(verdict["contacts"]) < 500
    norm = load_rules().normalize(text)
    assert sum(b - a for a, b in norm.windows) == covered
    assert len(norm.text) <= MAX_CHARS + 3 * len(norm.windows)


def test_windows_are_sorted_apart_and_within_the_budget() -> None:
    from crawler.reading.detect.normalize import windows

    rules = load_rules()
    rnd = random.Random(23)
    for _ in range(20):
        length = rnd.randint(MAX_CHARS + 1, 3 * MAX_CHARS)
        inserts: dict[int, str] = {}
        for _ in range(rnd.randint(0, 200)):
            at = rnd.randrange(0, length - len(PITCH))
            if all(abs(at - b) > len(PITCH) for b in inserts):
                inserts[at] = PITCH
        text = page(length, inserts)
        spans, unread = windows(text, rules._finder)
        assert spans[0][0] == 0 and spans[-1][1] == length
        assert all(a < b < c for (a, b), (c, _) in pairwise(spans))
        assert sum(b - a for a, b in spans) <= MAX_CHARS and unread >= 0


def _old_normalize(rules: RuleSet) -> Callable[[str], Normalized]:
    """adwatch before the windows: the first MAX_CHARS characters, no more."""

    def read(raw: str) -> Normalized:
        norm = normalize(raw[:MAX_CHARS], rules.variants)
        return dataclasses.replace(norm, truncated=len(raw) > MAX_CHARS)

    return read


@pytest.mark.parametrize("name", ["adversarial.jsonl", "heldout.jsonl"])
def test_texts_of_ordinary_size_get_the_verdicts_they_had(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows]
    joined = "\n".join(texts)
    texts += [joined, (joined * (MAX_CHARS // len(joined) + 1))[:MAX_CHARS]]
    rules = load_rules()
    now = [verdict_json(assess({"text": t}, rules)) for t in texts]
    monkeypatch.setattr(rules, "normalize", _old_normalize(rules))
    before = [verdict_json(assess({"text": t}, rules)) for t in texts]
    assert now == before


def test_a_long_page_gets_the_same_verdict_whatever_the_hash_seed() -> None:
    """Which stretches of a long field are read once depended on the order of
    frozensets (the process's hash seed): two runs over one 240,000-character
    page gave different matches.  Evidence must be repeatable."""
    import subprocess
    import sys

    script = (
        "import hashlib, json, random\n"
        "from crawler.reading.detect import load_rules, score_text, verdict_json\n"
        "rng = random.Random(5)\n"
        "words = ['新闻报道', '停催', '协商还款', '征信', '逾期', '微信', '客服', '银行',"
        " '说明', '退保', '律师', '投诉', '的', '了', '和', '在']\n"
        "text = ''.join(rng.choice(words) for _ in range(60000))\n"
        "v = verdict_json(score_text(text, load_rules(), model=None))\n"
        "print(hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[1]
    seen = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            env={"PYTHONHASHSEED": str(seed), "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(seen) == 1, seen
