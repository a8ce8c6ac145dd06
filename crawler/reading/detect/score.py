"""From rule hits, cues and contacts to a score, a label and reasons.

The score is deterministic and every part of it is written into ``reasons``:

* **category strength**: per category, the noisy-OR of its distinct matched
  rules' weights (1 - Π(1 - w)), a term inside a longer matched term of the
  same category not counted twice; the strongest category is the base, and a
  second or third strong category adds 0.1;
* **ad cues** raise it: each kind once (call to action, promise, price,
  offer), a contact (phone, WeChat, QQ: 0.3; link: 0.15), a disguised
  spelling of a trigger word (0.2: news does not write 停❤催), a sponsored
  slot (0.1); together at most 0.6, and scaled down when the category
  evidence is weak, so that a loan advert saying 逾期 and 加微信 is not read
  as anti-collection;
* **look-alike cues** lower it: each kind once (police, warning, news,
  regulator, reported speech, explainer, legal aid), and trigger words in
  quotation marks (0.3: two or more quoted, or one beside another look-alike
  cue), which is how news and warnings quote the ads, and slogans of four or
  more categories with no contact (0.3: a list about the ads, not an ad);
  they also discount the ad cues by the same fraction (a warning quoting
  fees is still a warning).

Label: ``ad`` from 0.6, ``suspect`` from 0.35 (with a category match), else
``clean``.  No category term, no score.

Work per record is bounded whatever the page, and linear in what is read:
each field is read in at most ``MAX_CHARS`` (100,000) characters: whole
when shorter, else its head, its tail and the stretches where trigger words
or contacts are (normalize.py); a rule counts at most ``MAX_HITS_PER_RULE``
(50) hits per field (rules.py: a term's 51st repetition changes nothing but could still
bring a disguised or quoted writing that the first 50 did not; it is not
seen), a cue counts once, and every step is one pass or a sort.  A field of
10 MB of one repeated term scores in about a tenth of a second; the
regular-expression patterns also have a time limit each (rules.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from crawler.reading.detect.contacts import Found, extract
from crawler.reading.detect.normalize import has_invisible, plain_form
from crawler.reading.detect.rules import Cue, Hit, RuleSet, load_rules

AD_THRESHOLD = 0.6
SUSPECT_THRESHOLD = 0.35
CONTACT_WEIGHTS = {"phone": 0.3, "wechat": 0.3, "qq": 0.3, "url": 0.15}
DISGUISE_WEIGHT = 0.2
SPONSORED_WEIGHT = 0.1
QUOTED_WEIGHT = 0.3
CATALOGUE_CATEGORIES = 4  # an ad sells one or two services; a warning lists them all
CATALOGUE_WEIGHT = 0.3
MAX_AD_BONUS = 0.6
FULL_BONUS_FROM = 0.5  # category strength from which ad cues count fully
IMAGE_FIELD = "image"  # fields image:<id> and image-qr:<id> hold what images say

_ANY_QUOTE = re.compile("[“「『\"'‘《〈【]")
_HIDING_STEPS = frozenset(
    {
        "html entities",
        "right-to-left override",
        "chinese numerals in numbers",
        "separators between han",
        "variant spellings",
    }
)
_OPENED = re.compile("[“「『\"'‘《〈【][^，。！？；\n,!?;”」』’》〉】]*$")
_CLOSED = re.compile("[^，。！？；\n,!?;“「『‘《〈【]*[”」』\"'’》〉】]")


@dataclass
class FieldHit:
    """A rule hit as reported: the rule, where, and how it was written."""

    hit: Hit
    disguised: bool
    quoted: bool


@dataclass
class Verdict:
    score: float
    label: str
    categories: list[str]
    hits: list[FieldHit]
    contacts: list[tuple[str, Found]]  # (field, contact)
    reasons: list[str]
    normalized: dict[str, str] = field(default_factory=dict)  # field -> normalised text
    problems: list[str] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)  # "ad:<kind>", "lookalike:<kind>", each once
    rule_score: float = 0.0  # the rules' own score, before any model (score may be the model's)
    model: str = ""  # the learned model's version when it judged, else ""


def assess(
    fields: Mapping[str, str],
    rules: RuleSet | None = None,
    sponsored: bool = False,
) -> Verdict:
    """Score the text fields of one page (title, text, image:..., ...)."""
    rules = rules or load_rules()
    hits: list[FieldHit] = []
    contacts: list[tuple[str, Found]] = []
    cues: list[Cue] = []
    normalized: dict[str, str] = {}
    problems: list[str] = []
    seen_contacts: set[tuple[str, str]] = set()
    for name, value in fields.items():
        raw = value if isinstance(value, str) else str(value)
        if not raw:
            continue
        norm = rules.normalize(raw)
        normalized[name] = norm.text
        if norm.truncated:
            problems.append(f"{name}: {norm.reading()}")
        # Most texts have no quotation marks and no disguising step: skip the
        # per-hit checks.  Only the part read (norm.read: a long field's
        # windows) is scanned: a 10 MB field costs no more than MAX_CHARS.
        read = norm.raw  # the whole field, which hit spans index
        may_quote = bool(_ANY_QUOTE.search(norm.read))
        may_hide = bool(_HIDING_STEPS.intersection(norm.steps)) or has_invisible(norm.read)
        for hit in _outermost(rules.match(norm, name)):
            disguised = hit.form in ("pinyin", "initials") or (
                may_hide and _disguised(hit, norm.text)
            )
            hits.append(FieldHit(hit, disguised, may_quote and _quoted(read, hit.span)))
        for contact in extract(norm):
            if name == "author" and contact.kind == "url":
                continue  # a search result's "author" is its own site: not a contact it gives
            key = (contact.kind, contact.normalized)
            if key not in seen_contacts:
                seen_contacts.add(key)
                contacts.append((name, contact))
        cues += rules.cues(norm)

    strengths = _strengths(hits)
    categories = sorted(strengths, key=lambda c: -strengths[c])
    reasons: list[str] = []
    kinds = list(dict.fromkeys(f"{c.side}:{c.kind}" for c in cues))
    if not categories:
        return Verdict(
            0.0, "clean", [], hits, contacts, ["no category term"], normalized, problems, kinds
        )

    base = strengths[categories[0]]
    for category in categories:
        terms = _terms(hits, category)
        reasons.append(f"{category} ({strengths[category]:.2f}): {', '.join(terms)}")
    strong = [c for c in categories if strengths[c] >= FULL_BONUS_FROM]
    catalogue = len(strong) >= CATALOGUE_CATEGORIES and not contacts
    if 2 <= len(strong) < CATALOGUE_CATEGORIES:
        base = min(1.0, base + 0.1)
        reasons.append("several categories: +0.10")

    bonus, bonus_reasons = _ad_bonus(hits, contacts, cues, sponsored)
    penalty, penalty_reasons = _lookalike_penalty(hits, cues, catalogue)
    # Weak category evidence and look-alike context both discount ad cues: a
    # warning that lists what the gangs charge is still a warning.
    scale = min(1.0, base / FULL_BONUS_FROM) * (1.0 - penalty)
    bonus *= scale
    if bonus_reasons:
        scaled = "" if scale == 1.0 else f" (scaled by {scale:.2f})"
        reasons.append(f"ad cues +{bonus:.2f}{scaled}: " + "; ".join(bonus_reasons))
    if penalty_reasons:
        reasons.append(f"look-alike cues -{penalty:.2f}: " + "; ".join(penalty_reasons))
    image_only = all(h.hit.field.startswith(IMAGE_FIELD) for h in hits)
    if image_only:
        reasons.append("the pitch is only in the images")
    score = round(max(0.0, min(1.0, base + bonus - penalty)), 3)
    label = "ad" if score >= AD_THRESHOLD else "suspect" if score >= SUSPECT_THRESHOLD else "clean"
    return Verdict(
        score, label, categories, hits, contacts, reasons, normalized, problems, kinds, score
    )


def _outermost(hits: list[Hit]) -> list[Hit]:
    """Count one piece of text once per category: drop a hit lying inside a
    longer hit of the same category (停催 in 当天停催), and of hits on the
    very same span (a term and a pattern) keep the heavier.

    Sorting the distinct spans by (start, -end) makes this one sweep: a span
    lies inside another exactly when some span before it in that order ends
    at or after it, so the cost is n log n in the hits, not n squared (a page
    of 停催 repeated 20,000 times took half a minute the quadratic way)."""
    heaviest: dict[tuple[str, tuple[int, int]], Hit] = {}
    for hit in hits:  # of the hits of one category on one span, the heaviest
        key = (hit.rule.category, hit.norm_span)
        best = heaviest.get(key)
        if best is None or (hit.rule.weight, hit.rule.id) > (best.rule.weight, best.rule.id):
            heaviest[key] = hit
    inside: set[tuple[str, tuple[int, int]]] = set()
    reach: dict[str, int] = {}  # category -> furthest end of the spans swept so far
    for category, (start, end) in sorted(heaviest, key=lambda k: (k[0], k[1][0], -k[1][1])):
        if reach.get(category, -1) >= end:
            inside.add((category, (start, end)))
        else:
            reach[category] = end
    return [
        hit
        for hit in hits
        if (key := (hit.rule.category, hit.norm_span)) not in inside and heaviest[key] is hit
    ]


def _strengths(hits: list[FieldHit]) -> dict[str, float]:
    best: dict[str, dict[str, float]] = {}
    for h in hits:
        rules = best.setdefault(h.hit.rule.category, {})
        rules[h.hit.rule.id] = h.hit.rule.weight
    out: dict[str, float] = {}
    for category, weights in best.items():
        miss = 1.0
        for w in weights.values():
            miss *= 1 - w
        out[category] = round(1 - miss, 3)
    return out


def _terms(hits: list[FieldHit], category: str) -> list[str]:
    """The category's terms as the reasons show them, each once, in order
    (a dict, not a list: thousands of distinct writings stay linear)."""
    terms: dict[str, None] = {}
    for h in hits:
        if h.hit.rule.category != category:
            continue
        shown = h.hit.rule.term
        if h.hit.form == "pattern":
            shown = plain_form(h.hit.raw)
        if h.disguised or h.hit.form in ("pinyin", "initials"):
            shown = f"{h.hit.raw} (for {h.hit.rule.term})"
        if h.hit.field.startswith(IMAGE_FIELD):
            shown += " [image]"
        terms.setdefault(shown)
    return list(terms)


def _disguised(hit: Hit, normalized: str) -> bool:
    """Was the trigger written to dodge a filter (not merely Traditional or
    full-width)?"""
    if hit.form in ("pinyin", "initials"):
        return True
    if hit.form == "pattern":
        return False
    plain = plain_form(hit.raw)
    return plain != normalized[hit.norm_span[0] : hit.norm_span[1]]


def _quoted(raw: str, span: tuple[int, int]) -> bool:
    """Is raw[span] inside quotation marks (within 8 characters, one clause)?"""
    a, b = span
    return bool(_OPENED.search(raw, max(0, a - 8), a)) and bool(_CLOSED.match(raw, b, b + 8))


def _ad_bonus(
    hits: list[FieldHit],
    contacts: list[tuple[str, Found]],
    cues: list[Cue],
    sponsored: bool,
) -> tuple[float, list[str]]:
    total = 0.0
    reasons: list[str] = []
    for kind, weight, terms in _kinds(cues, "ad"):
        total += weight
        reasons.append(f"{kind} ({', '.join(terms)})")
    kinds = {c.kind for _, c in contacts}
    if kinds:
        weight = max(CONTACT_WEIGHTS.get(k, 0.0) for k in kinds)
        total += weight
        shown = ", ".join(f"{c.kind} {c.normalized}" for _, c in contacts[:4])
        reasons.append(f"contact ({shown})")
    disguised = [h for h in hits if h.disguised]
    if disguised:
        total += DISGUISE_WEIGHT
        shown = ", ".join(dict.fromkeys(f"{h.hit.raw} for {h.hit.rule.term}" for h in disguised))
        reasons.append(f"disguised spelling ({shown})")
    if sponsored:
        total += SPONSORED_WEIGHT
        reasons.append("sponsored result (广告/推广)")
    return min(MAX_AD_BONUS, total), reasons


def _lookalike_penalty(
    hits: list[FieldHit], cues: list[Cue], catalogue: bool
) -> tuple[float, list[str]]:
    total = 0.0
    reasons: list[str] = []
    for kind, weight, terms in _kinds(cues, "lookalike"):
        total += weight
        reasons.append(f"{kind} ({', '.join(terms)})")
    if catalogue:
        total += CATALOGUE_WEIGHT
        reasons.append(
            f"slogans of {CATALOGUE_CATEGORIES}+ categories and no contact: a list about the ads"
        )
    quoted = [h for h in hits if h.hit.form != "pattern" and h.quoted]
    # One quoted term alone is how ads stress a word too (帮你‘征信洗白’).
    if len(quoted) >= 2 or (quoted and reasons):
        total += QUOTED_WEIGHT
        reasons.append("trigger words in quotation marks, as news and warnings quote ads")
    return min(1.0, total), reasons


def _kinds(cues: list[Cue], side: str) -> list[tuple[str, float, list[str]]]:
    found: dict[str, tuple[float, list[str]]] = {}
    for cue in cues:
        if cue.side != side:
            continue
        _, terms = found.setdefault(cue.kind, (cue.weight, []))
        if cue.term not in terms and len(terms) < 3:
            terms.append(cue.term)
    return [(kind, weight, terms) for kind, (weight, terms) in found.items()]
