"""A learned second opinion beside the rules: what the data says, not the team.

The rules (``rules/*.yaml``) recognise the phrasing the team wrote down; on
real published sentences from sources the team never read they missed half
the ads and flagged news that used the words.  This model is a logistic
regression learned from labelled texts (``adwatch train``) over three kinds of
features of one record:

* the characters: 1-3 character n-grams of the rules' normal form (variants,
  Traditional script and disguises already undone), hashed into
  ``BUCKETS`` slots, so the model file holds weights, never text;
* what the rules found: their score and label, the strength of each category,
  disguised and quoted hits, every ad and look-alike cue kind, contacts;
* the context: the kind of site the page is on, by its domain (government,
  news portal, bank or insurer, Q&A and video aggregators, marketplace), the
  channel and whether the slot was paid.  Only what the training data has
  gets a weight: today's real texts carry their page's URL, so the site
  kinds; the channel and the paid slot wait for analysts' labelled records.

Its probability is the record's score; ``ad`` and ``suspect`` start at the
thresholds stored with it, chosen on training folds (``training.py``), never
on a test.  An ad names what it sells: without a category term from the
rules the model can put a page before an analyst (``suspect``), never make
it an ad.  Every verdict says the model's version and the features that
moved it most, beside the rules' reasons.

The file (``model.json``) records the hash of its training data, the figures
of its cross-validation and the settings it was trained with; ``adwatch
train`` writes a new one from labelled data.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from crawler.reading.detect.rules import RuleSet
from crawler.reading.detect.score import AD_THRESHOLD, SUSPECT_THRESHOLD, Verdict

MODEL_PATH = Path(__file__).parent / "model.json"
FORMAT = 1  # of the model file
BUCKETS = 1 << 18  # hashed n-gram slots
NGRAMS = (1, 2, 3)
MAX_CHARS = 4_000  # normalised characters whose n-grams are counted: a crawl's page costs
# about a millisecond; longer texts speak through the rules' features (every window)
EXPLAIN = 4  # features named in a verdict's reasons

# Kinds of site, by the registrable domain the page is on (never by what a
# page says of itself: a site name or author is the advertiser's to write).
# The same slogan on a news portal is a report, on a one-page site an offer.
_SITE_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gov", ("gov.cn", "gov", "court.gov.cn", "cbirc.gov.cn", "nfra.gov.cn", "pbc.gov.cn")),
    (
        "news",
        (
            "people.com.cn",
            "xinhuanet.com",
            "news.cn",
            "chinanews.com.cn",
            "chinanews.com",
            "cctv.com",
            "cnr.cn",
            "thepaper.cn",
            "caixin.com",
            "yicai.com",
            "21jingji.com",
            "eeo.com.cn",
            "jiemian.com",
            "bjnews.com.cn",
            "sina.com.cn",
            "sina.com.hk",
            "sohu.com",
            "163.com",
            "news.qq.com",
            "ifeng.com",
            "stcn.com",
            "cnstock.com",
            "cs.com.cn",
            "ce.cn",
            "gmw.cn",
            "chinadaily.com.cn",
            "southcn.com",
            "nbd.com.cn",
            "jrj.com.cn",
            "hexun.com",
            "eastmoney.com",
            "cls.cn",
            "36kr.com",
            "huxiu.com",
            "udn.com",
            "ltn.com.tw",
            "hk01.com",
            "mingpao.com",
            "scmp.com",
        ),
    ),
    (
        "bank",
        (
            "icbc.com.cn",
            "ccb.com",
            "boc.cn",
            "abchina.com",
            "bankcomm.com",
            "cmbchina.com",
            "psbc.com",
            "citicbank.com",
            "spdb.com.cn",
            "cib.com.cn",
            "cgbchina.com.cn",
            "hxb.com.cn",
            "pingan.com",
            "chinalife.com.cn",
            "cpic.com.cn",
            "picc.com",
        ),
    ),
    (
        "aggregator",
        (
            "zhihu.com",
            "zhidao.baidu.com",
            "baike.baidu.com",
            "tieba.baidu.com",
            "haokan.baidu.com",
            "baijiahao.baidu.com",
            "bilibili.com",
            "douyin.com",
            "kuaishou.com",
            "xiaohongshu.com",
            "weibo.com",
            "toutiao.com",
            "douban.com",
            "iqiyi.com",
            "youku.com",
            "ixigua.com",
            "wenku.baidu.com",
            "360doc.com",
            "jianshu.com",
            "csdn.net",
            "tiktok.com",
            "facebook.com",
            "youtube.com",
            "dcard.tw",
            "ptt.cc",
            "mobile01.com",
            "mp.weixin.qq.com",
        ),
    ),
    (
        "market",
        (
            "goofish.com",
            "xianyu.com",
            "zhuanzhuan.com",
            "taobao.com",
            "tmall.com",
            "jd.com",
            "pinduoduo.com",
        ),
    ),
)


@dataclass(frozen=True)
class Context:
    """Where the text was found: what a record says besides its text."""

    url: str = ""  # the page's URL
    site: str = ""  # the displayed site (a search result's) or author
    channel: str = ""  # search | video | market
    sponsored: bool = False


def site_kind(url: str) -> str:
    """gov, news, bank, aggregator, market or other, by the host's domain
    ("" when the page has no URL)."""
    try:
        host = (urlsplit(url).hostname or "") if url else ""
    except ValueError:
        host = ""
    host = host.lower().rstrip(".")
    if not host:
        return ""
    for kind, domains in _SITE_KINDS:
        if any(host == d or host.endswith("." + d) for d in domains):
            return kind
    return "other"


def named_features(verdict: Verdict, context: Context) -> dict[str, float]:
    """What the rules found and where, as named features in [0, 1]."""
    out: dict[str, float] = {
        "rules:score": verdict.rule_score,
        "rules:ad": float(verdict.rule_score >= AD_THRESHOLD),
        "rules:suspect": float(SUSPECT_THRESHOLD <= verdict.rule_score < AD_THRESHOLD),
        "rules:none": float(not verdict.hits),
    }
    strengths: dict[str, float] = {}
    for h in verdict.hits:
        category = h.hit.rule.category
        strengths[category] = 1 - (1 - strengths.get(category, 0.0)) * (1 - h.hit.rule.weight)
    for category, strength in strengths.items():
        out[f"category:{category}"] = strength
    if verdict.hits:
        out["hits:disguised"] = min(1.0, sum(h.disguised for h in verdict.hits) / 2)
        out["hits:quoted"] = min(1.0, sum(h.quoted for h in verdict.hits) / 2)
        out["hits:many"] = min(1.0, len(verdict.hits) / 6)
    for cue in verdict.cues:
        out[f"cue:{cue}"] = 1.0
    for _name, contact in verdict.contacts:
        out[f"contact:{contact.kind}"] = 1.0
    kind = site_kind(context.url)
    if kind:
        out[f"site:{kind}"] = 1.0
    if context.channel:
        out[f"channel:{context.channel}"] = 1.0
    if context.sponsored:
        out["sponsored"] = 1.0
    return out


def text_of(verdict: Verdict) -> str:
    """The normalised text the n-grams are counted on: every field, in order,
    each cut to its share of MAX_CHARS (a long text must not crowd out what
    the pictures say)."""
    texts = [t for t in verdict.normalized.values() if t]
    share = max(500, MAX_CHARS // max(1, len(texts)))
    return "\n".join(t[:share] for t in texts)[:MAX_CHARS]


_SPACE = re.compile(r"\s+")
_SLOT_CACHE: dict[str, int] = {}  # n-gram -> slot: most n-grams come back text after text
_SLOT_CACHE_SIZE = 50_000  # about 7 MB; the common n-grams fill it first


@dataclass
class Slots:
    """A text's n-grams in hashed slots: slot numbers, L2-normalised values,
    and for each slot one n-gram that fell in it (to name it in reasons)."""

    slots: Any  # numpy int64
    values: Any  # numpy float64
    grams: list[str]

    def gram(self, k: int) -> str:
        return self.grams[k]

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.slots.tolist(), self.values.tolist(), strict=True))


def _slot(gram: str) -> int:
    slot = zlib.crc32(gram.encode("utf-8")) % BUCKETS
    if len(_SLOT_CACHE) < _SLOT_CACHE_SIZE:
        _SLOT_CACHE[gram] = slot
    return slot


def slots_of(text: str) -> Slots:
    """The 1-3 character n-grams of ``text`` (lower case, whitespace folded to
    one space, the space alone dropped), each counted as 1 + log(count),
    hashed (CRC-32 of the UTF-8) into ``BUCKETS`` slots, L2-normalised.
    Counted with C-speed Counter and zip, slots cached: an ordinary text
    costs tens of microseconds."""
    text = _SPACE.sub(" ", text.lower())
    counts = Counter(text)
    counts.pop(" ", None)
    if len(text) > 1:
        counts.update(map("".join, itertools.pairwise(text)))
    if len(text) > 2:
        counts.update(map("".join, zip(text, text[1:], text[2:], strict=False)))
    grams = list(counts)
    found = list(map(_SLOT_CACHE.get, grams))  # C speed; the misses are hashed once
    if None in found:
        found = [_slot(g) if k is None else k for g, k in zip(grams, found, strict=True)]
    slots = np.array(found, dtype=np.int64)
    values: Any = np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(grams))) + 1.0
    if len(set(found)) < len(found):  # two n-grams in one slot: their values add
        slots, first, inverse = np.unique(slots, return_index=True, return_inverse=True)
        values = np.bincount(inverse, weights=values)
        grams = [grams[i] for i in first]
    norm = float(np.sqrt(values @ values)) or 1.0
    return Slots(slots, values / norm, grams)


def hashed_features(text: str) -> dict[int, float]:
    """The n-gram slots of a text as a dict (for training)."""
    return slots_of(text).as_dict()


@dataclass
class Opinion:
    probability: float
    drivers: list[tuple[str, float]]  # the features that moved it most, signed


class Model:
    """A trained model file, ready to judge verdicts."""

    def __init__(self, data: dict[str, Any], path: Path | None = None) -> None:
        if data.get("format") != FORMAT:
            raise ValueError(f"model file {path}: format {data.get('format')!r}, want {FORMAT}")
        self.data = data
        self.path = path
        self.version = str(data["version"])
        self.intercept = float(data["intercept"])
        self.named = {str(k): float(v) for k, v in data["named"].items()}
        buckets = int(data.get("settings", {}).get("buckets", BUCKETS))
        if buckets != BUCKETS:
            raise ValueError(f"model file {path}: {buckets} n-gram slots, adwatch has {BUCKETS}")
        self.weights = _dense(data["hashed"])
        self.ad_from = float(data["thresholds"]["ad"])
        self.suspect_from = float(data["thresholds"]["suspect"])
        self.rule_categories = set(data.get("rules", {}).get("categories") or [])
        self.rules_sha = str(data.get("rules", {}).get("sha256") or "")

    def stale(self, rules: RuleSet) -> str:
        """A note when the rule files changed since this model was trained:
        it still judges (its features are the same kinds), but should be
        retrained."""
        if self.rules_sha and rules_sha(rules) != self.rules_sha:
            return f"the rules changed since model {self.version} was trained: adwatch train"
        return ""

    def misfit(self, rules: RuleSet) -> str:
        """Why this model must not judge with ``rules`` ("" when it may): its
        features are the rules' categories, so a rule set with other
        categories (a custom one) makes them mean something else."""
        if self.rule_categories and set(rules.descriptions) != self.rule_categories:
            return (
                f"model {self.version} not used: it was trained with the rule categories "
                f"{', '.join(sorted(self.rule_categories))}; these rules have "
                f"{', '.join(sorted(rules.descriptions))} (adwatch train makes one for them)"
            )
        return ""

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        return cls(json.loads(path.read_text(encoding="utf-8")), path)

    def opinion(self, verdict: Verdict, context: Context) -> Opinion:
        """The model's probability for this verdict's page and the features
        that moved it most (the base rate among them)."""
        named = named_features(verdict, context)
        found = slots_of(text_of(verdict))
        z = self.intercept
        parts: list[tuple[str, float]] = [("base", self.intercept)]
        for name, value in named.items():
            w = self.named.get(name)
            if w:
                z += w * value
                parts.append((name, w * value))
        moved = self.weights[found.slots] * found.values
        z += float(moved.sum())
        for k in np.argsort(-np.abs(moved))[:EXPLAIN]:
            parts.append((f"「{found.gram(int(k))}」", float(moved[k])))
        probability = 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))
        shown = [p for p in parts if abs(p[1]) >= 0.01]
        return Opinion(probability, heapq.nlargest(EXPLAIN, shown, key=_size))


def _dense(sparse: dict[str, float]) -> Any:
    """Slot weights as one array over every slot (0 where the file has none)."""
    weights = np.zeros(BUCKETS)
    if sparse:
        weights[np.fromiter(map(int, sparse), dtype=np.int64)] = np.fromiter(
            sparse.values(), dtype=np.float64
        )
    return weights


def _size(part: tuple[str, float]) -> float:
    return abs(part[1])


def judge(verdict: Verdict, context: Context, model: Model | None) -> Verdict:
    """The rules' verdict with the model's opinion as its score and label.
    Without a model the rules' verdict stands."""
    if model is None:
        return verdict
    opinion = model.opinion(verdict, context)
    p = round(opinion.probability, 3)
    verdict.score = p
    verdict.model = model.version
    # A suspect needs a category term, as with the rules alone; a page the
    # rules call an ad or suspect and the model does not stays before an
    # analyst as a suspect.  The model alone makes an ad only past ad_from.
    rules_said = verdict.label
    if p >= model.ad_from and verdict.categories:
        verdict.label = "ad"
    elif rules_said in ("ad", "suspect") or p >= model.suspect_from:
        # without a category term the model alone puts a page before an
        # analyst, never makes it an ad: every ad names what it sells
        verdict.label = "suspect" if verdict.categories or p >= model.ad_from else "clean"
    else:
        verdict.label = "clean"
    drivers = ", ".join(f"{name} {w:+.2f}" for name, w in opinion.drivers)
    verdict.reasons.append(
        f"model {model.version}: p={p:.2f} (ad from {model.ad_from:.2f}, "
        f"rules said {verdict.rule_score:.2f}); strongest: {drivers}"
    )
    return verdict


@lru_cache(maxsize=4)
def _cached(path: str, stamp: float) -> Model:
    return Model.load(Path(path))


def default_model(path: Path = MODEL_PATH) -> Model | None:
    """The shipped model, read once per process (again if the file changes);
    None when there is no model file (the rules decide alone)."""
    try:
        return _cached(str(path), path.stat().st_mtime)
    except FileNotFoundError:
        return None


def load_model(spec: str = "") -> Model | None:
    """The model a setting names: "" the shipped file (None if there is none),
    "none" no model (the rules decide alone), else a model file's path."""
    if spec.strip().lower() == "none":
        return None
    if not spec:
        return default_model()
    return Model.load(Path(spec))


def rules_sha(rules: RuleSet) -> str:
    """SHA-256 over a rule set's files: what the model was trained with."""
    return rules.files_sha256()


def rounded(weights: Iterable[tuple[Any, float]], digits: int = 5) -> dict[str, float]:
    """Weights as the file keeps them: non-zero, rounded."""
    return {str(k): round(float(v), digits) for k, v in weights if round(float(v), digits)}
