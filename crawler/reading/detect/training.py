"""Training and honest evaluation of the learned model (``adwatch train``).

Data: labelled texts, each with the page it came from (``source``).  The real
sentences (``../shared/data/*.jsonl``: news quoting ads, warnings, pages that
are offers) are read where they lie, never copied into the project; the
team's own written sets (``tests/data/adversarial.jsonl``) join them; later,
the analysts' decisions.  ``tests/data/heldout.jsonl`` is never trained on.

Honesty rules, all enforced here:

* folds never split a source: every figure is on pages the model never saw
  a sentence of (leave-one-source-out for the real texts);
* the regularisation and the ``ad`` / ``suspect`` thresholds are chosen
  inside the training folds (grouped cross-validation of those folds only),
  never on the fold being judged;
* the same data and settings give the same model and the same figures (a
  deterministic solver, sorted groups), and the model file records the
  SHA-256 of the data it was trained on.

scikit-learn does the fitting; judging needs only ``model.py`` and the file.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.reading.detect.model import (
    BUCKETS,
    FORMAT,
    Context,
    Model,
    hashed_features,
    named_features,
    rounded,
    rules_sha,
    text_of,
)
from crawler.reading.detect.rules import RuleSet, load_rules
from crawler.reading.detect.score import Verdict, assess

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data"
# labeled_texts.jsonl is the set the rules were grown on: trained on, but never
# the headline; real_texts.jsonl comes from sources the team never tuned on.
REAL_DATA = (SHARED / "labeled_texts.jsonl", SHARED / "real_texts.jsonl")
KIND_OF = {"labeled_texts.jsonl": "seen", "real_texts.jsonl": "real"}
WRITTEN = ROOT / "tests" / "data" / "adversarial.jsonl"
HELDOUT = ROOT / "tests" / "data" / "heldout.jsonl"
# The real data's finer categories in the rule files' terms.
CATEGORY = {
    "停催": "停催",
    "协商还款": "债务协商",
    "债务优化": "债务协商",
    "停息挂账": "债务协商",
    "征信修复": "征信修复",
    "代理投诉": "代理投诉",
    "退保": "退保退息",
    "退息": "退保退息",
}
C_GRID = (0.3, 1.0, 3.0)  # inverse regularisation tried inside training folds
INNER_FOLDS = 3
SUSPECT_PRECISION = 0.5  # on training folds: a suspect is an ad at least this often
PRECISION_FLOOR = 0.85  # on training folds: the ad threshold keeps this precision if it can


@dataclass(frozen=True)
class Example:
    text: str
    ad: bool
    category: str  # a rule category for ads, "" otherwise
    group: str  # the source page: folds never split it
    kind: str  # real | written | heldout | analyst
    context: Context = field(default_factory=Context)


def read_examples(path: Path, kind: str) -> list[Example]:
    """Labelled texts of a JSON Lines file (text, label, category, source)."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        ad = row["label"] == "ad"
        category = CATEGORY.get(str(row.get("category") or ""), str(row.get("category") or ""))
        source = str(row.get("source") or row.get("id") or f"{path.name}:{n}")
        url = source if source.startswith(("http://", "https://")) else ""
        out.append(
            Example(
                text=str(row["text"]),
                ad=ad,
                category=category if ad else "",
                group=source_key(source) if url else f"{kind}:{source}",
                kind=kind,
                context=Context(url=url),
            )
        )
    return out


def reviewed_examples(records: Iterable[Mapping[str, Any]]) -> list[Example]:
    """Analysts' decisions as labelled texts: a confirmed record is an ad, a
    rejected one is not ("unsure" and undecided ones teach nothing).  The text
    is what the detector read (title, text, the text in its pictures); the
    group is the record's operator when it has one (a gang's ads share their
    wording: folds never split them), else its page."""
    out = []
    for record in records:
        decision = record.get("review")
        if decision not in ("confirmed", "rejected"):
            continue
        parts = [str(record.get("title") or ""), str(record.get("text") or "")]
        parts += [
            str((image.get("ocr") or {}).get("text") or "")
            for image in record.get("images") or []
            if isinstance(image, Mapping)
        ]
        text = "\n".join(p for p in parts if p.strip())
        if not text:
            continue
        ad = decision == "confirmed"
        first = next(iter(record.get("categories") or []), "")
        url = str(record.get("url") or "")
        out.append(
            Example(
                text=text,
                ad=ad,
                category=CATEGORY.get(str(first), str(first)) if ad else "",
                group=f"operator:{record['cluster_id']}"
                if record.get("cluster_id")
                else (source_key(url) if url else f"analyst:{record.get('id', '')}"),
                kind="analyst",
                context=Context(url=url),
            )
        )
    return out


_HOST_PREFIXES = ("www.", "m.", "wap.", "3g.", "staging.", "mobile.")


def source_key(url: str) -> str:
    """One key for one page however its URL was written: the host without
    www./m./staging. and the like, the path without a trailing slash, no
    query or fragment (tracking parameters, share codes)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix) :]
    return f"{host}{parts.path.rstrip('/')}"


def tie_copies(examples: list[Example], rules: RuleSet | None = None) -> list[Example]:
    """The team's written rows that quote a sentence from the world (half or
    more of its character 3-grams, in the rules' normal form) join that
    sentence's source: a fold that holds the source out holds them out too."""
    rules = rules or load_rules()

    def grams(text: str) -> set[str]:
        t = "".join(ch for ch in rules.normalize(text).text if ch.isalnum())
        return {t[i : i + 3] for i in range(len(t) - 2)}

    world = [(grams(e.text), e.group) for e in examples if e.kind in WORLD]
    tied = []
    for e in examples:
        if e.kind in WORLD:
            tied.append(e)
            continue
        mine = grams(e.text)
        group = next(
            (g for theirs, g in world if theirs and len(theirs & mine) >= len(theirs) / 2), ""
        )
        tied.append(replace(e, group=group) if group else e)
    return tied


def default_examples() -> tuple[list[Example], list[Example]]:
    """(training data, the held-out written set): the real texts where they
    lie and the team's adversarial set; the held-out set only for figures."""
    train: list[Example] = []
    for path in REAL_DATA:
        if path.exists():
            train += read_examples(path, KIND_OF[path.name])
    if WRITTEN.exists():
        train += read_examples(WRITTEN, "written")
    heldout = read_examples(HELDOUT, "heldout") if HELDOUT.exists() else []
    return tie_copies(train), heldout


def data_hash(examples: Iterable[Example]) -> str:
    """SHA-256 over the examples as trained on (text, label, category, group)."""
    h = hashlib.sha256()
    for e in examples:
        h.update(json.dumps([e.text, e.ad, e.category, e.group], ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


# --- features -----------------------------------------------------------------------


@dataclass
class Rows:
    """Examples as the model sees them: the rules' verdict and the features,
    as one sparse matrix (hashed n-grams, then the named features)."""

    examples: list[Example]
    verdicts: list[Verdict]
    named: list[dict[str, float]]
    hashed: list[dict[int, float]]
    names: dict[str, int]
    x: Any  # scipy CSR, one row per example

    def take(self, index: Sequence[int]) -> Any:
        return self.x[list(index)]


def featurize(examples: list[Example], rules: RuleSet | None = None) -> Rows:
    from scipy.sparse import csr_matrix

    rules = rules or load_rules()
    verdicts, named, hashed = [], [], []
    for e in examples:
        v = assess({"text": e.text}, rules, sponsored=e.context.sponsored)
        verdicts.append(v)
        named.append(named_features(v, e.context))
        hashed.append(hashed_features(text_of(v)))
    names = {n: i for i, n in enumerate(sorted({k for row in named for k in row}))}
    data: list[float] = []
    cols: list[int] = []
    ptr = [0]
    for slots, row in zip(hashed, named, strict=True):
        cols += list(slots)
        data += list(slots.values())
        cols += [BUCKETS + names[k] for k in row]
        data += list(row.values())
        ptr.append(len(cols))
    x = csr_matrix((data, cols, ptr), shape=(len(examples), BUCKETS + len(names)))
    return Rows(examples, verdicts, named, hashed, names, x)


# --- fitting ----------------------------------------------------------------------------


@dataclass
class Fit:
    c: float
    ad_from: float
    suspect_from: float
    coef: Any  # numpy array over BUCKETS + the named features
    intercept: float

    def probabilities(self, rows: Rows, index: Sequence[int]) -> list[float]:
        z = rows.take(index) @ self.coef + self.intercept
        return [1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, float(v))))) for v in z]


def _logistic(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=c, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=0
    )


MIN_TEXTS = 2  # an n-gram counts once it is in this many training texts


def _columns(sub: Any) -> Any:
    """The columns a fit uses: every named feature, and the n-grams found in at
    least MIN_TEXTS of its texts (one text's quirks say nothing of the next;
    the other columns get weight 0, as they would for a text never seen)."""
    import numpy as np

    df = np.bincount(sub.indices, minlength=sub.shape[1])
    keep = df >= MIN_TEXTS
    keep[BUCKETS:] = df[BUCKETS:] > 0
    return np.flatnonzero(keep)


def _fit_c(rows: Rows, index: Sequence[int], c: float) -> tuple[Any, float]:
    """Weights over every column; fitted on the columns ``_columns`` keeps."""
    import numpy as np

    sub = rows.take(index)
    used = _columns(sub)
    model = _logistic(c).fit(
        sub[:, used], [rows.examples[i].ad for i in index], sample_weight=weights(rows, index)
    )
    coef = np.zeros(rows.x.shape[1])
    coef[used] = model.coef_[0]
    return coef, float(model.intercept_[0])


def group_folds(rows: Rows, index: Sequence[int], k: int) -> list[list[int]]:
    """``index`` split into k folds of whole groups (deterministic: groups sorted
    by name, dealt round-robin after ordering by size)."""
    groups: dict[str, list[int]] = {}
    for i in index:
        groups.setdefault(rows.examples[i].group, []).append(i)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    folds: list[list[int]] = [[] for _ in range(min(k, len(ordered)))]
    for n, (_g, members) in enumerate(ordered):
        folds[n % len(folds)].extend(members)
    return [sorted(f) for f in folds if f]


def fit(rows: Rows, index: Sequence[int]) -> Fit:
    """A model on ``index``, its regularisation and thresholds chosen by
    grouped cross-validation inside ``index`` alone."""
    best: tuple[float, float, list[float], list[int]] | None = None
    inner = group_folds(rows, index, INNER_FOLDS)
    for c in C_GRID:
        oof: dict[int, float] = {}
        for held in inner:
            held_set = set(held)
            rest = [i for i in index if i not in held_set]
            coef, b = _fit_c(rows, rest, c)
            probe = Fit(c, 0.5, 0.3, coef, b)
            oof.update(zip(held, probe.probabilities(rows, held), strict=True))
        order = _world(rows, sorted(oof))
        loss = _log_loss([rows.examples[i].ad for i in order], [oof[i] for i in order])
        if best is None or loss < best[1] - 1e-12:
            best = (c, loss, [oof[i] for i in order], order)
    assert best is not None
    c, _loss, probs, order = best
    truth = [rows.examples[i].ad for i in order]
    ad_from = best_threshold(truth, probs)
    suspect_from = suspect_threshold(truth, probs, ad_from)
    coef, b = _fit_c(rows, index, c)
    return Fit(c, ad_from, suspect_from, coef, b)


WORLD = ("real", "seen", "analyst")  # texts from the world, not written by the team
HEADLINE = ("real", "analyst")  # judged for the figures: the rules were not grown on them


def _world(rows: Rows, index: list[int]) -> list[int]:
    """The part of ``index`` the regularisation and thresholds are chosen on:
    texts from the world when there are enough of them (the team's written
    sets are easy for the rules and would set the bar for the wrong texts)."""
    world = [i for i in index if rows.examples[i].kind in WORLD]
    ads = sum(rows.examples[i].ad for i in world)
    return world if len(world) >= 20 and 5 <= ads < len(world) else index


def weights(rows: Rows, index: Sequence[int]) -> list[float]:
    """Texts from the world weigh, all together, as much as the team's written
    ones (each at least 1): 257 real sentences against 483 written."""
    world = sum(1 for i in index if rows.examples[i].kind in WORLD)
    written = len(index) - world
    heavy = max(1.0, written / world) if world else 1.0
    return [heavy if rows.examples[i].kind in WORLD else 1.0 for i in index]


def _log_loss(truth: Sequence[bool], probs: Sequence[float]) -> float:
    eps = 1e-9
    return -sum(
        math.log(max(eps, p if t else 1 - p)) for t, p in zip(truth, probs, strict=True)
    ) / max(1, len(truth))


def best_threshold(truth: Sequence[bool], probs: Sequence[float]) -> float:
    """The ``ad`` threshold on out-of-fold probabilities: the one finding the
    most ads while PRECISION_FLOOR of what it flags are ads (a referral that
    turns out to be a news report discredits the next one); if no threshold
    gets there, the one with the best F1.  Ties: the higher threshold."""
    best_t, best_key = 0.5, (-1, -1.0)
    for t in sorted({round(p, 3) for p in probs} | {0.5}):
        tp = sum(1 for y, p in zip(truth, probs, strict=True) if y and p >= t)
        fp = sum(1 for y, p in zip(truth, probs, strict=True) if not y and p >= t)
        fn = sum(1 for y, p in zip(truth, probs, strict=True) if y and p < t)
        precise = tp and tp / (tp + fp) >= PRECISION_FLOOR
        key = (1, tp) if precise else (0, 2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        if key >= best_key:
            best_t, best_key = t, key
    return max(0.05, min(0.95, best_t))


def suspect_threshold(truth: Sequence[bool], probs: Sequence[float], ad_from: float) -> float:
    """The lowest threshold below ``ad_from`` at which, on out-of-fold
    probabilities, what it puts before an analyst is an ad at least
    SUSPECT_PRECISION of the time (a suspect is worth a look, not a guess)."""
    best = ad_from
    for t in sorted({round(p, 3) for p in probs if p < ad_from}, reverse=True):
        tp = sum(1 for y, p in zip(truth, probs, strict=True) if y and p >= t)
        flagged = sum(1 for p in probs if p >= t)
        if flagged and tp / flagged >= SUSPECT_PRECISION:
            best = t
        else:
            break
    # and never below half the ad threshold: the real texts are a third ads,
    # a crawl's pages far fewer, so a precision of one half there is a floor
    return round(max(ad_from / 2, min(best, ad_from)), 3)


def model_json(
    rows: Rows, index: Sequence[int], version: str, figures: dict[str, Any], rules: RuleSet
) -> dict:
    """The model file's content for a fit on ``index``."""
    f = fit(rows, index)
    inverse = {v: k for k, v in rows.names.items()}
    coef = f.coef
    return {
        "format": FORMAT,
        "version": version,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {
            "sha256": data_hash(rows.examples[i] for i in index),
            "rows": len(index),
            "ads": sum(rows.examples[i].ad for i in index),
            "groups": len({rows.examples[i].group for i in index}),
            "kinds": sorted({rows.examples[i].kind for i in index}),
        },
        "settings": {
            "c": f.c,
            "c_grid": list(C_GRID),
            "inner_folds": INNER_FOLDS,
            "min_texts": MIN_TEXTS,
            "buckets": BUCKETS,
            "world_weight": "world texts weigh as much as written ones",
            "precision_floor": PRECISION_FLOOR,
            "suspect_precision": SUSPECT_PRECISION,
        },
        "rules": {"sha256": rules_sha(rules), "categories": sorted(rules.descriptions)},
        "thresholds": {"ad": f.ad_from, "suspect": f.suspect_from},
        "intercept": round(f.intercept, 5),
        "named": rounded((inverse[j], coef[BUCKETS + j]) for j in range(len(rows.names))),
        "hashed": rounded((i, coef[i]) for i in coef[:BUCKETS].nonzero()[0]),
        "figures": figures,
    }


# --- evaluation ---------------------------------------------------------------------


@dataclass
class Guess:
    ad: bool
    category: str


def cross_validate(
    rows: Rows,
    judged: Sequence[int],
    trained: Sequence[int],
    k: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[int, Guess]:
    """Out-of-fold guesses for ``judged``: each fold (one per source, or ``k``
    folds of whole sources) judged by a model fitted on ``trained`` minus that
    fold's sources."""
    folds = group_folds(rows, judged, k) if k else None
    if folds is None:
        groups: dict[str, list[int]] = {}
        for i in judged:
            groups.setdefault(rows.examples[i].group, []).append(i)
        folds = [groups[g] for g in sorted(groups)]
    out: dict[int, Guess] = {}
    for n, held in enumerate(folds, 1):
        held_groups = {rows.examples[i].group for i in held}
        rest = [i for i in trained if rows.examples[i].group not in held_groups]
        f = fit(rows, rest)
        model = Model(_as_file(f, rows, rest))
        for i in held:
            out[i] = _guess(model, rows, i)
        if progress:
            progress(n, len(folds))
    return out


def _as_file(f: Fit, rows: Rows, index: Sequence[int]) -> dict[str, Any]:
    inverse = {v: k for k, v in rows.names.items()}
    return {
        "format": FORMAT,
        "version": "cv",
        "thresholds": {"ad": f.ad_from, "suspect": f.suspect_from},
        "intercept": f.intercept,
        "named": {inverse[j]: float(f.coef[BUCKETS + j]) for j in range(len(rows.names))},
        "hashed": {str(i): float(f.coef[i]) for i in f.coef[:BUCKETS].nonzero()[0]},
    }


def _guess(model: Model, rows: Rows, i: int) -> Guess:
    from copy import deepcopy

    from crawler.reading.detect.model import judge

    v = judge(deepcopy(rows.verdicts[i]), rows.examples[i].context, model)
    return Guess(v.label == "ad", v.categories[0] if v.categories else "")


def rules_guesses(rows: Rows, index: Sequence[int]) -> dict[int, Guess]:
    return {
        i: Guess(
            rows.verdicts[i].label == "ad",
            rows.verdicts[i].categories[0] if rows.verdicts[i].categories else "",
        )
        for i in index
    }


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson interval of a proportion k/n."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def intervals(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return wilson(self.tp, self.tp + self.fp), wilson(self.tp, self.tp + self.fn)


def score(rows: Rows, guesses: dict[int, Guess], category: str = "") -> Score:
    """Precision and recall for label ``ad`` (and, given ``category``, for
    that category: an ad of it found as an ad of it)."""
    tp = fp = fn = 0
    for i, g in guesses.items():
        e = rows.examples[i]
        if category:
            truth, said = e.ad and e.category == category, g.ad and g.category == category
        else:
            truth, said = e.ad, g.ad
        tp += truth and said
        fp += said and not truth
        fn += truth and not said
    return Score(tp, fp, fn)


def report(rows: Rows, guesses: dict[int, Guess], baseline: dict[int, Guess]) -> list[str]:
    """Lines of P / R / F1 with 95 % intervals, overall and per category."""
    lines = [
        f"  {'':<10}{'n':>5}  {'model+rules P  [95% CI]   R  [95% CI]   F1':<46}"
        f"{'rules alone P / R / F1':>24}"
    ]
    categories = sorted({rows.examples[i].category for i in guesses if rows.examples[i].ad})
    for category in ["", *categories]:
        me, base = score(rows, guesses, category), score(rows, baseline, category)
        (pl, ph), (rl, rh) = me.intervals()
        n = sum(
            1
            for i in guesses
            if rows.examples[i].ad and (not category or rows.examples[i].category == category)
        )
        lines.append(
            f"  {category or 'all ads':<10}{n:>5}  {me.precision:5.2f} [{pl:.2f}-{ph:.2f}]"
            f"  {me.recall:5.2f} [{rl:.2f}-{rh:.2f}]  {me.f1:5.2f}"
            f"      {base.precision:5.2f} / {base.recall:5.2f} / {base.f1:5.2f}"
        )
    return lines


# --- the whole run: `adwatch train` and bench/detect.py ---------------------------------


@dataclass
class Training:
    """A trained model file and the figures it was judged by."""

    model: dict[str, Any]
    lines: list[str]


def _figures(rows: Rows, guesses: dict[int, Guess]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    categories = sorted({rows.examples[i].category for i in guesses if rows.examples[i].ad})
    for category in ["", *categories]:
        s = score(rows, guesses, category)
        (pl, ph), (rl, rh) = s.intervals()
        out[category or "all"] = {
            "precision": round(s.precision, 4),
            "recall": round(s.recall, 4),
            "f1": round(s.f1, 4),
            "precision_95": [round(pl, 4), round(ph, 4)],
            "recall_95": [round(rl, 4), round(rh, 4)],
            "tp": s.tp,
            "fp": s.fp,
            "fn": s.fn,
        }
    return out


def train(
    examples: list[Example],
    heldout: list[Example],
    folds: int = 10,
    rules: RuleSet | None = None,
    progress: Callable[[str], None] | None = None,
) -> Training:
    """Cross-validate on the world texts (``folds`` folds of whole sources;
    0: one source at a time), judge the held-out written set, then fit the
    model on all of ``examples``."""
    say = progress or (lambda _m: None)
    rules = rules or load_rules()
    rows = featurize(examples + heldout, rules)
    trained = list(range(len(examples)))
    judged = [i for i in trained if rows.examples[i].kind in HEADLINE]
    lines: list[str] = []
    figures: dict[str, Any] = {"folds": folds}
    if judged:
        n_sources = len({rows.examples[i].group for i in judged})
        say(f"cross-validating on {len(judged)} real texts from {n_sources} sources…")
        guesses = cross_validate(
            rows, judged, trained, k=folds, progress=lambda n, t: say(f"  fold {n} of {t}")
        )
        baseline = rules_guesses(rows, judged)
        figures["real"] = _figures(rows, guesses)
        figures["real_rules_alone"] = _figures(rows, baseline)
        lines.append(
            f"real texts the rules were not grown on ({len(judged)}, {n_sources} sources; "
            f"{'one source' if not folds else f'{folds} folds of sources'} held out at a time):"
        )
        lines += report(rows, guesses, baseline)
    held = list(range(len(examples), len(rows.examples)))
    say("fitting the model on all the training data…")
    model = model_json(rows, trained, "", figures, rules)
    content = {k: v for k, v in model.items() if k not in ("version", "trained_at", "figures")}
    model["version"] = (
        "lr-"
        + hashlib.sha256(
            json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()[:10]
    )
    if held:
        said = {i: _guess(Model(model), rows, i) for i in held}
        figures["heldout"] = _figures(rows, said)
        figures["heldout_rules_alone"] = _figures(rows, rules_guesses(rows, held))
        lines.append(f"written held-out set ({len(held)}, never trained on):")
        lines += report(rows, said, rules_guesses(rows, held))[:2]
    data, limits = model["data"], model["thresholds"]
    lines.append(
        f"model {model['version']}: {data['rows']} texts ({data['ads']} ads, "
        f"{data['groups']} sources), C={model['settings']['c']}, "
        f"ad from p={limits['ad']:.3f}, suspect from {limits['suspect']:.3f}"
    )
    return Training(model, lines)


def write_model(model: dict[str, Any], path: Path) -> None:
    """The model file, written whole or not at all."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True, indent=0) + "\n")
    tmp.replace(path)
