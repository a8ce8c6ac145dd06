"""Wording of marketplace listings: "courses", scripts and templates sold as
goods (priced as 28钱), look-alike books, and ordinary second-hand goods."""

from __future__ import annotations

import random
from dataclasses import dataclass

from demo import content
from demo.ads import AdPlan, disguise, poster_lines, text_contacts


@dataclass
class MarketText:
    title: str
    desc: str
    price: str
    nickname: str
    photos: list[tuple[str, ...]]  # lines per photo; an empty tuple is a plain photo
    caption: str = ""


def _price_word(price: str, rng: random.Random) -> str:
    return rng.choice((f"{price}钱", f"{price}钱", f"{price}元", f"¥{price}", f"{price}r"))


def ad(rng: random.Random, plan: AdPlan) -> MarketText:
    price = rng.choice(content.MARKET_AD_PRICES)
    nick = rng.choice(content.MARKET_NICKS[:5])
    pitch_photo = poster_lines(plan, rng)
    if plan.image_only:
        title = f"{rng.choice(content.BLAND_TITLES)} 自取 {_price_word(price, rng)}"
        desc = "\n".join(rng.sample(content.BLAND_LINES, 2))
        return MarketText(title, desc, price, nick, [pitch_photo, ()])
    product = rng.choice(content.MARKET_PRODUCTS[plan.category])
    extras = " ".join(rng.sample(content.MARKET_EXTRAS, 2))
    title = f"{product} {_price_word(price, rng)} {extras}"
    lines = rng.sample(content.MARKET_DESC_LINES, 3)
    lines.insert(1, plan.slogan)
    handles = text_contacts(plan, rng, "text")
    if handles:
        lines.append(f"拍之前先联系 {handles}")
    desc = "\n".join(disguise(plan, line, rng) for line in lines)
    photos = [pitch_photo]
    if rng.random() < 0.5:
        photos.append((plan.headline, rng.choice(content.SERVICES[plan.category])))
    return MarketText(disguise(plan, title, rng), desc, price, nick, photos)


def negative(rng: random.Random) -> MarketText:
    title, price, desc = rng.choice(content.MARKET_NEGATIVE)
    return MarketText(title, desc, price, rng.choice(content.MARKET_NICKS[-3:]), [(), ()], "实拍图")


def benign(rng: random.Random) -> MarketText:
    title, price, desc = rng.choice(content.MARKET_BENIGN)
    photos: list[tuple[str, ...]] = [() for _ in range(rng.randint(1, 3))]
    caption = rng.choice(content.BENIGN_PHOTO_CAPTIONS)
    return MarketText(title, desc, price, rng.choice(content.MARKET_NICKS[-3:]), photos, caption)
