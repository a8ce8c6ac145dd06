"""Detection benchmark: the real texts first, sources held out; then the
team's written sets, speed and contacts, each beside a baseline measured in
the same run.

1. Real texts (../shared/data/real_texts.jsonl: news quoting ads, warnings,
   pages that are themselves offers, from sources the team never tuned on;
   read where they lie).  Leave one source out: for every source page, the
   learned model is trained (regularisation and thresholds chosen inside its
   training folds) on every other source, labeled_texts.jsonl and the written
   adversarial set (minus any written row quoting that page's sentences), and
   judges that page's sentences.  labeled_texts.jsonl, which the rules were
   grown on, is shown apart: its figure is optimistic.  Precision, recall
   and F1 for label ``ad``, overall and per category, with 95 % Wilson
   intervals, beside the rules alone.
2. The written sets: tests/data/adversarial.jsonl (every disguise and
   look-alike kind; the rules were grown from its misses and the model is
   trained on it: an optimistic line) and tests/data/heldout.jsonl (written
   separately, never used to tune the rules nor to train the model: the
   honest line).  adwatch (rules and model), the rules alone, and what a
   keyword filter does: a plain substring search for the rule files' terms
   and the textbook contact regexes, no normalisation.

A text counts as detected when it is labelled ``ad`` (``suspect`` is not a
hit) and, per category, when its strongest category is that one.

    .venv/bin/python bench/detect.py [--seconds 3] [--folds 0] [--no-real]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADVERSARIAL = ROOT / "tests" / "data" / "adversarial.jsonl"
HELDOUT = ROOT / "tests" / "data" / "heldout.jsonl"
TARGET_RECALL = TARGET_PRECISION = TARGET_CONTACTS = 0.95
TARGET_REAL = 0.85  # issue 23: on real texts, sources held out
TARGET_RATE = 5000.0


@dataclass
class Case:
    text: str
    ad: bool
    category: str
    disguised: bool
    contacts: set[tuple[str, str]]
    source: str


@dataclass
class Guess:
    ad: bool
    category: str
    contacts: set[tuple[str, str]] = field(default_factory=set)


def load_cases() -> list[Case]:
    """The written sets (the real texts have their own, source-held-out part)."""
    cases: list[Case] = []
    for path, source in ((ADVERSARIAL, "adversarial"), (HELDOUT, "held-out")):
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            ad = row["label"] == "ad"
            contacts = {(c["kind"], str(c["value"])) for c in row.get("contacts") or []}
            cases.append(
                Case(
                    row["text"],
                    ad,
                    row.get("category") or "" if ad else "",
                    bool(row.get("tricks")),
                    contacts,
                    source,
                )
            )
    return cases


# --- the two detectors --------------------------------------------------------


def adwatch_detector(with_model: bool = True) -> Callable[[str], Guess]:
    from crawler.reading.detect import load_rules, score_text
    from crawler.reading.detect.model import default_model

    rules = load_rules()
    model = default_model() if with_model else None

    def guess(text: str) -> Guess:
        v = score_text(text, rules, model)
        contacts = {(c.kind, c.normalized) for _, c in v.contacts}
        return Guess(v.label == "ad", v.categories[0] if v.categories else "", contacts)

    return guess


_NAIVE_CONTACTS = (
    ("phone", re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")),
    ("wechat", re.compile(r"微信[:：]?\s*([A-Za-z][-_A-Za-z0-9]{5,19})")),
    ("qq", re.compile(r"[Qq][Qq][:：]?\s*([1-9]\d{4,11})")),
    ("url", re.compile(r"https?://([^\s，。]+)")),
)


def naive_detector() -> Callable[[str], Guess]:
    from crawler.reading.detect import load_rules

    rules = load_rules()
    terms = [(r.term, r.category) for r in rules.rules]

    def guess(text: str) -> Guess:
        counts: dict[str, int] = {}
        for term, category in terms:
            if term in text:
                counts[category] = counts.get(category, 0) + 1
        contacts = set()
        for kind, pattern in _NAIVE_CONTACTS:
            for m in pattern.finditer(text):
                value = m.group(m.lastindex or 0)
                contacts.add((kind, value.lower() if kind == "wechat" else value))
        best = max(counts, key=lambda c: counts[c]) if counts else ""
        return Guess(bool(counts), best, contacts)

    return guess


# --- measuring ------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    per_category: dict[str, tuple[float, float, float, int]]
    recall_disguised: float
    recall_all: float
    precision: float
    hard_negative_fp: int
    contact_recall: float
    rate: float


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def measure(
    name: str, detect: Callable[[str], Guess], cases: list[Case], seconds: float
) -> Figures:
    guesses = [detect(c.text) for c in cases]
    categories = sorted({c.category for c in cases if c.category})
    per: dict[str, tuple[float, float, float, int]] = {}
    for cat in categories:
        tp = sum(
            1
            for c, g in zip(cases, guesses, strict=True)
            if c.category == cat and g.ad and g.category == cat
        )
        fp = sum(
            1
            for c, g in zip(cases, guesses, strict=True)
            if c.category != cat and g.ad and g.category == cat
        )
        fn = sum(
            1
            for c, g in zip(cases, guesses, strict=True)
            if c.category == cat and not (g.ad and g.category == cat)
        )
        per[cat] = (*prf(tp, fp, fn), sum(1 for c in cases if c.category == cat))
    disguised = [g for c, g in zip(cases, guesses, strict=True) if c.ad and c.disguised]
    ads = [(c, g) for c, g in zip(cases, guesses, strict=True) if c.ad]
    flagged = [c for c, g in zip(cases, guesses, strict=True) if g.ad]
    wanted = found = 0
    for c, g in zip(cases, guesses, strict=True):
        wanted += len(c.contacts)
        found += len(c.contacts & g.contacts)
    # Speed on one core: CPU time of this process, best of repeated passes
    # over every text (other work on a shared 2-core box only slows passes down).
    texts = [c.text for c in cases]
    rate = 0.0
    started = time.perf_counter()
    while seconds and time.perf_counter() - started < seconds:
        cpu = time.process_time()
        for text in texts:
            detect(text)
        rate = max(rate, len(texts) / max(time.process_time() - cpu, 1e-9))
    return Figures(
        name,
        per,
        sum(g.ad for g in disguised) / len(disguised) if disguised else 0.0,
        sum(g.ad for c, g in ads) / len(ads) if ads else 0.0,
        sum(c.ad for c in flagged) / len(flagged) if flagged else 0.0,
        sum(1 for c in flagged if not c.ad),
        found / wanted if wanted else 0.0,
        rate,
    )


def table(me: Figures, base: Figures, cases: list[Case]) -> str:
    lines = [
        f"{'category':<10}{'n':>5}   {'adwatch P / R / F1':>22}   {'baseline P / R / F1':>22}",
    ]
    for cat, (p, r, f, n) in me.per_category.items():
        bp, br, bf, _ = base.per_category[cat]
        lines.append(
            f"{cat:<10}{n:>5}   {p:6.2f} {r:6.2f} {f:6.2f}     {bp:6.2f} {br:6.2f} {bf:6.2f}"
        )
    negatives = sum(1 for c in cases if not c.ad)
    disguised = sum(1 for c in cases if c.ad and c.disguised)

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines += [
        "",
        f"recall on disguised ads ({disguised}): adwatch {me.recall_disguised:.3f}, "
        f"baseline {base.recall_disguised:.3f}   target >= {TARGET_RECALL}: "
        f"{met(me.recall_disguised >= TARGET_RECALL)}",
        f"precision ({negatives} hard negatives): adwatch {me.precision:.3f} "
        f"({me.hard_negative_fp} false), baseline {base.precision:.3f} "
        f"({base.hard_negative_fp} false)   target >= {TARGET_PRECISION}: "
        f"{met(me.precision >= TARGET_PRECISION)}",
        f"contact recall: adwatch {me.contact_recall:.3f}, baseline {base.contact_recall:.3f}"
        f"   target >= {TARGET_CONTACTS}: {met(me.contact_recall >= TARGET_CONTACTS)}",
        f"speed, one core: adwatch {me.rate:,.0f} texts/s, baseline {base.rate:,.0f} texts/s"
        f"   target >= {TARGET_RATE:,.0f}: {met(me.rate >= TARGET_RATE)}",
    ]
    return "\n".join(lines)


def real_texts(folds: int) -> None:
    """Part 1: the real texts, every source judged by a model that never saw it."""
    from crawler.reading.detect.training import (
        cross_validate,
        default_examples,
        featurize,
        report,
        rules_guesses,
    )

    examples, _heldout = default_examples()
    real = [i for i, e in enumerate(examples) if e.kind == "real"]
    seen = [i for i, e in enumerate(examples) if e.kind == "seen"]
    if not real:
        print("1. real texts: ../shared/data/real_texts.jsonl not found; skipped")
        return
    rows = featurize(examples)
    trained = list(range(len(examples)))
    sources = len({examples[i].group for i in real})
    started = time.perf_counter()
    guesses = cross_validate(rows, real, trained, k=folds)
    took = time.perf_counter() - started
    held = "one source" if not folds else f"{folds} folds of sources"
    print(
        f"1. real texts: {len(real)} sentences, {sum(examples[i].ad for i in real)} ads, "
        f"{sources} sources; {held} held out at a time ({took:.0f} s)"
    )
    for line in report(rows, guesses, rules_guesses(rows, real)):
        print(line)
    print(f"   targets: precision >= {TARGET_REAL} and recall >= {TARGET_REAL}")
    if seen:  # trained on in every fold but their own; the rules were grown on them
        on_seen = cross_validate(rows, seen, trained, k=folds)
        print(f"   the {len(seen)} real texts the rules were grown on (labeled_texts.jsonl):")
        for line in report(rows, on_seen, rules_guesses(rows, seen))[1:2]:
            print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per detector")
    parser.add_argument(
        "--folds", type=int, default=0, help="real texts: folds of sources (0: one per source)"
    )
    parser.add_argument(
        "--no-real",
        action="store_true",
        help="skip part 1 (the real texts, minutes): the written sets and speed only",
    )
    args = parser.parse_args(argv)
    if not args.no_real:
        real_texts(args.folds)
    cases = load_cases()
    if not cases:
        print("no written sets found")
        return 1
    print()
    print("2. the written sets (adversarial: trained on; held-out: never)")
    sources: dict[str, int] = {}
    for c in cases:
        sources[c.source] = sources.get(c.source, 0) + 1
    print(
        f"{len(cases)} texts ({', '.join(f'{k} {v}' for k, v in sources.items())}); "
        f"{sum(c.ad for c in cases)} ads, {sum(not c.ad for c in cases)} negatives; "
        f"mean length {sum(len(c.text) for c in cases) / len(cases):.0f} characters",
        flush=True,
    )
    mine, naive, rules_alone = adwatch_detector(), naive_detector(), adwatch_detector(False)
    base = measure("baseline", naive, cases, args.seconds)
    me = measure("adwatch", mine, cases, args.seconds)
    alone = measure("rules alone", rules_alone, cases, args.seconds)
    print(table(me, base, cases))
    print(
        f"rules alone: disguised recall {alone.recall_disguised:.3f}, precision "
        f"{alone.precision:.3f} ({alone.hard_negative_fp} false), "
        f"{alone.rate:,.0f} texts/s (the model costs the difference)"
    )
    print()
    print("per set, adwatch / baseline:")
    print(
        f"  {'set':<12}{'recall, all ads':>17}{'disguised ads':>17}"
        f"{'precision':>17}{'contacts':>17}"
    )
    for source in sources:
        subset = [c for c in cases if c.source == source]
        a, b = measure(source, mine, subset, 0), measure(source, naive, subset, 0)
        cells = [
            (a.recall_all, b.recall_all),
            (a.recall_disguised, b.recall_disguised),
            (a.precision, b.precision),
            (a.contact_recall, b.contact_recall),
        ]
        has = [True, any(c.disguised for c in subset), True, any(c.contacts for c in subset)]
        print(
            f"  {source:<12}"
            + "".join(
                f"{x:9.3f} /{y:6.3f}" if ok else f"{'-':>17}"
                for (x, y), ok in zip(cells, has, strict=True)
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
