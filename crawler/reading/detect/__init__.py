"""Detection: is this page an anti-collection ad, why, and who is behind it.

``detect(record)`` scores a crawled record in place: the text fields it reads
are its title, text (captions, comments, landing-page text), author name and
the text read from each image (``image:<sha256 prefix>``) and its QR codes
(``image-qr:<sha256 prefix>``), so a match or contact says where it was
found.  ``score_text`` is the same for a bare text (``adwatch score``).
See normalize.py, rules.py, contacts.py, score.py and cluster.py for the parts.
"""

from __future__ import annotations

from typing import Any

from crawler.items import AdRecord, Contact, Match
from crawler.reading.detect.cluster import template_hash
from crawler.reading.detect.model import Context, Model, default_model, judge
from crawler.reading.detect.rules import RulesError, RuleSet, load_rules
from crawler.reading.detect.score import Verdict, assess
from crawler.reading.ocr import qr_text

__all__ = ["RulesError", "Verdict", "detect", "load_rules", "score_text", "verdict_json"]

SHIPPED = "shipped"  # a model argument's default: the model file in the repository


def record_fields(record: AdRecord) -> dict[str, str]:
    fields = {"title": record.title, "text": record.text, "author": record.author.name}
    for image in record.images:
        if not image.ocr:
            continue
        tag = (image.sha256 or image.url)[:12]
        if image.ocr.get("text"):
            fields[f"image:{tag}"] = str(image.ocr["text"])
        codes = [qr_text(str(p)) for p in image.ocr.get("qr") or []]
        if codes:  # a QR code's WeChat, phone or link is a contact with the image as source
            fields[f"image-qr:{tag}"] = "\n".join(codes)
    return fields


def _model(model: Model | str | None, rules: RuleSet, verdict: Verdict) -> Model | None:
    """The model to judge with: the shipped one by default, none if it does
    not fit these rules (said in the verdict's problems)."""
    chosen = default_model() if model == SHIPPED else model
    if not isinstance(chosen, Model):
        return None
    why = chosen.misfit(rules)
    if why:
        verdict.problems.append(why)
        return None
    note = chosen.stale(rules)
    if note:
        verdict.problems.append(note)
    return chosen


def detect(
    record: AdRecord, rules: RuleSet | None = None, model: Model | str | None = SHIPPED
) -> Verdict:
    """Score ``record`` and write the result into it: the rules, then the
    learned model's opinion with the record's context (None: rules alone)."""
    rules = rules or load_rules()
    verdict = assess(record_fields(record), rules, sponsored=record.sponsored)
    context = Context(
        url=record.url,
        site=record.author.name,
        channel=record.channel,
        sponsored=record.sponsored,
    )
    verdict = judge(verdict, context, _model(model, rules, verdict))
    record.score = verdict.score
    record.rule_score = verdict.rule_score
    record.model = verdict.model
    record.label = verdict.label
    record.categories = verdict.categories
    record.reasons = verdict.reasons
    record.matches = [
        Match(h.hit.rule.id, h.hit.rule.term, h.hit.field, h.hit.span, h.hit.form, h.hit.raw)
        for h in verdict.hits
    ]
    record.contacts = [
        Contact(c.kind, c.value, c.normalized, name, c.span) for name, c in verdict.contacts
    ]
    body = "\n".join(verdict.normalized.get(k, "") for k in ("title", "text"))
    record.template_hash = template_hash(body)
    for problem in verdict.problems:
        if problem not in record.problems:
            record.problems.append(problem)
    return verdict


def score_text(
    text: str, rules: RuleSet | None = None, model: Model | str | None = SHIPPED
) -> Verdict:
    """A bare text's verdict (no context: no site, channel or paid slot)."""
    rules = rules or load_rules()
    verdict = assess({"text": text}, rules)
    return judge(verdict, Context(), _model(model, rules, verdict))


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """The ``adwatch score`` output line for one verdict."""
    out: dict[str, Any] = {
        "label": verdict.label,
        "score": verdict.score,
        "categories": verdict.categories,
        "matches": [
            {
                "rule": h.hit.rule.id,
                "category": h.hit.rule.category,
                "term": h.hit.rule.term,
                "text": h.hit.raw,
                "form": h.hit.form,
                "field": h.hit.field,
                "span": list(h.hit.span),
                "disguised": h.disguised,
            }
            for h in verdict.hits
        ],
        "contacts": [{"kind": c.kind, "value": c.normalized} for _, c in verdict.contacts],
        "reasons": verdict.reasons,
        "rule_score": verdict.rule_score,
        "model": verdict.model,
    }
    if verdict.problems:
        out["problems"] = verdict.problems
    return out
