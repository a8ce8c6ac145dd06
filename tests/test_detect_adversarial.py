"""The adversarial set (tests/data/adversarial.jsonl, written apart from the
rules): every disguise and every look-alike kind, held to the targets."""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from crawler.reading.detect import load_rules, score_text

ROWS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "adversarial.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
]
TRICKS = sorted({t for r in ROWS for t in r["tricks"] if r["label"] == "ad"})
KINDS = sorted({r["kind"] for r in ROWS if r["label"] != "ad"})


@pytest.fixture(scope="module")
def verdicts() -> list:
    rules = load_rules()
    # the rules alone: the model is trained on this set, so with it these
    # gates would measure its fit (tests/test_detect_model.py gates the model
    # on the held-out set instead)
    return [score_text(r["text"], rules, model=None) for r in ROWS]


def test_the_set_covers_every_disguise_and_look_alike() -> None:
    assert len(TRICKS) >= 16 and {"homophone", "pinyin", "initials", "bidi"} <= set(TRICKS)
    assert {"news", "police", "warning", "regulator", "court", "unrelated_loan_ad"} <= set(KINDS)


@pytest.mark.parametrize("trick", TRICKS)
def test_each_disguise_is_seen_through(trick: str, verdicts: list) -> None:
    ads = [(r, v) for r, v in zip(ROWS, verdicts, strict=True) if r["label"] == "ad"]
    with_trick = [(r, v) for r, v in ads if trick in r["tricks"]]
    missed = [(r["text"], v.score) for r, v in with_trick if v.label != "ad"]
    assert len(with_trick) >= 10
    assert 1 - len(missed) / len(with_trick) >= 0.9, missed


def test_disguised_ads_recall_at_target(verdicts: list) -> None:
    disguised = [
        v for r, v in zip(ROWS, verdicts, strict=True) if r["label"] == "ad" and r["tricks"]
    ]
    assert sum(v.label == "ad" for v in disguised) / len(disguised) >= 0.95


@pytest.mark.parametrize("kind", KINDS)
def test_each_look_alike_kind_is_mostly_left_alone(kind: str, verdicts: list) -> None:
    lines = [
        (r, v)
        for r, v in zip(ROWS, verdicts, strict=True)
        if r["kind"] == kind and r["label"] != "ad"
    ]
    flagged = [(r["text"], v.reasons) for r, v in lines if v.label == "ad"]
    assert len(flagged) <= max(1, len(lines) // 10), flagged


def test_precision_against_hard_negatives_at_target(verdicts: list) -> None:
    flagged = [r for r, v in zip(ROWS, verdicts, strict=True) if v.label == "ad"]
    assert sum(r["label"] == "ad" for r in flagged) / len(flagged) >= 0.95


def test_contact_recall_at_target(verdicts: list) -> None:
    wanted = found = 0
    missed = defaultdict(list)
    for r, v in zip(ROWS, verdicts, strict=True):
        have = {(c.kind, c.normalized) for _, c in v.contacts}
        for c in r["contacts"]:
            wanted += 1
            if (c["kind"], str(c["value"])) in have:
                found += 1
            else:
                missed[c["kind"]].append(r["text"])
    assert found / wanted >= 0.95, dict(missed)
