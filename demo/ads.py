"""The plan of one ad before it is written for a channel: who runs it, what it
sells, which contacts it shows and where, how it is disguised.

Keeping the plan apart from the wording lets the same operator and template
show up on all three channels, as real gangs do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from demo import content, disguises
from demo.contacts import Operator, contact_text, qr_payload
from demo.model import Contact, Truth

# Where an ad shows each of its contacts, per channel (weights).  Marketplaces
# ban contact details in text, so sellers put them in photos.
PLACEMENT: dict[str, dict[str, float]] = {
    "search": {"text": 0.55, "image": 0.30, "qr": 0.15},
    "video": {"text": 0.35, "comment": 0.30, "image": 0.35},
    "market": {"text": 0.25, "image": 0.55, "qr": 0.20},
}
IMAGE_ONLY_RATE: dict[str, float] = {"search": 0.12, "video": 0.2, "market": 0.3}


@dataclass
class AdPlan:
    category: str
    operator: Operator
    contacts: list[Contact]
    disguises: tuple[str, ...]
    image_only: bool
    slogan: str
    headline: str
    promise: str
    fee: str
    contact_tags: list[str] = field(default_factory=list)

    def shown(self, *where: str) -> list[Contact]:
        return [c for c in self.contacts if c.where in where]

    def truth_disguises(self) -> list[str]:
        """Text disguises plus the contact disguises actually shown in text."""
        tags = list(self.disguises) if not self.image_only else []
        return sorted(set(tags) | {t for t in self.contact_tags if t})


def category_for(query: str, rng: random.Random) -> str:
    """A category, biased to what the query asks for."""
    weights = dict.fromkeys(content.CATEGORIES, 1.0)
    for word, cat in content.QUERY_CATEGORY_HINTS:
        if word in query:
            weights[cat] += 4.0
    cats = list(weights)
    return rng.choices(cats, [weights[c] for c in cats])[0]


def pick_operator(operators: list[Operator], rng: random.Random) -> Operator:
    """A few big gangs place most ads (weights 1, 1/2, 1/3...)."""
    return rng.choices(operators, [1.0 / (i + 1) for i in range(len(operators))])[0]


def plan_ad(
    rng: random.Random,
    operators: list[Operator],
    query: str,
    channel: str,
    *,
    image_only: bool | None = None,
    allowed_where: tuple[str, ...] | None = None,
    allowed_disguises: tuple[str, ...] | None = None,
    category: str | None = None,
) -> AdPlan:
    category = category or category_for(query, rng)
    op = pick_operator(operators, rng)
    if image_only is None:
        image_only = rng.random() < IMAGE_ONLY_RATE[channel]
    handles = op.handles()
    chosen = rng.sample(handles, min(len(handles), rng.choice((1, 1, 2))))
    placement = PLACEMENT[channel]
    if image_only:
        placement = {"image": 0.7, "qr": 0.3}
    if allowed_where is not None:
        placement = {k: v for k, v in placement.items() if k in allowed_where} or {
            allowed_where[0]: 1.0
        }
    places = list(placement)
    contacts: list[Contact] = []
    for handle in chosen:
        where = rng.choices(places, [placement[p] for p in places])[0]
        if where == "qr" and any(c.where == "qr" for c in contacts):
            where = "image"
        contacts.append(Contact(handle.kind, handle.value, where))
    kinds = disguises.pick_disguises(rng)
    if allowed_disguises is not None:
        kinds = tuple(k for k in kinds if k in allowed_disguises)
    return AdPlan(
        category=category,
        operator=op,
        contacts=contacts,
        disguises=kinds,
        image_only=image_only,
        slogan=rng.choice(content.SLOGANS[category]),
        headline=rng.choice(content.HEADLINES[category]),
        promise=rng.choice(content.PROMISES),
        fee=rng.choice(content.FEES),
    )


def text_contacts(plan: AdPlan, rng: random.Random, *where: str) -> str:
    """The contacts shown in text, with cue words and contact disguises."""
    parts = []
    for c in plan.shown(*where):
        text, tag = contact_text(c, rng)
        plan.contact_tags.append(tag)
        parts.append(text)
    return " ".join(parts)


def disguise(plan: AdPlan, text: str, rng: random.Random) -> str:
    return disguises.apply(text, plan.disguises, rng)


def poster_lines(plan: AdPlan, rng: random.Random) -> tuple[str, ...]:
    """What the ad's banner / cover / photo says: the pitch and image contacts."""
    lines = [plan.headline, plan.promise if rng.random() < 0.5 else plan.slogan]
    for c in plan.shown("image"):
        lines.append(contact_text(c, rng, plain=True)[0])
    if plan.shown("qr"):
        lines.append("扫码咨询")
    return tuple(lines)


def poster_qr(plan: AdPlan) -> str | None:
    qr = plan.shown("qr")
    return qr_payload(qr[0]) if qr else None


def needs_poster(plan: AdPlan) -> bool:
    return plan.image_only or bool(plan.shown("image", "qr"))


def truth(plan: AdPlan, hostile: str | None = None) -> Truth:
    """The ground-truth annotation of an ad built from `plan`."""
    return Truth(
        "ad",
        plan.category,
        plan.operator.name,
        plan.contacts,
        plan.truth_disguises(),
        plan.image_only,
        hostile,
    )
