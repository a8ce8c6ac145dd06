"""Market channel: result pages per keyword, listings with photos and sellers,
and the hostile ones (markup in a title, a truncated PNG, a page that answers
the captcha only on its first request)."""

from __future__ import annotations

import json
import random
from urllib.parse import quote, urlencode

from demo import ads, hostile, texts_market
from demo.build_common import REPEAT_RATE, Registry, promoted
from demo.contacts import contact_text
from demo.model import ImageSpec, Listing, MarketQuery, Reject, TransientBlock, Truth
from demo.render_market import API_PATH

# (query index, page, slot) -> hostile case
MARKET_HOSTILE = {(0, 1, 3): "markup", (1, 1, 5): "corrupt_image"}
TRANSIENT_PAGE = (0, 2)  # (query index, page) blocked on its first request only


def build_market(reg: Registry, rng: random.Random, queries: list[str]) -> list[MarketQuery]:
    out: list[MarketQuery] = []
    pool: list[Listing] = []  # listings of earlier queries, to show again
    for qi, query in enumerate(queries):
        fresh: list[Listing] = []
        pages: list[list[Listing]] = []
        for number in range(1, rng.randint(2, 3) + 1):
            page: list[Listing] = []
            for slot in range(rng.randint(10, 14)):
                case = MARKET_HOSTILE.get((qi, number, slot))
                if pool and qi > 0 and case is None and rng.random() < REPEAT_RATE:
                    seen = rng.choice(pool)
                    if all(seen not in p for p in [*pages, page]):
                        page.append(seen)
                        continue
                item = _listing(reg, rng, query, case)
                page.append(item)
                if case is None:
                    fresh.append(item)
            pages.append(page)
        out.append(MarketQuery(query, pages))
        pool += fresh
        if qi == TRANSIENT_PAGE[0] and len(pages) >= TRANSIENT_PAGE[1]:
            reg.transient.append(transient_block(query, TRANSIENT_PAGE[1]))
    return out


def transient_block(query: str, page: int) -> TransientBlock:
    """The block on one market search page, as the shell and its API call see it."""
    data = json.dumps(
        {"keyword": query, "pageNumber": page, "rowsPerPage": 30},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return TransientBlock(
        url="/goofish/search?" + urlencode({"q": query, "page": page}),
        api_url=API_PATH + "?data=" + quote(data, safe="-_.!~*'()"),
        key=f"market:{query}:{page}",
    )


def _listing(reg: Registry, rng: random.Random, query: str, case: str | None) -> Listing:
    item_id = reg.digits(rng, "7", 12)
    label = "ad" if case else reg.label(rng, "market")
    qr = None
    if label == "ad":
        plan = ads.plan_ad(
            rng,
            reg.operators,
            query,
            "market",
            image_only=False if case else None,
            allowed_where=("text",) if case else None,
        )
        text = texts_market.ad(rng, plan)
        if case == "markup":
            handle = " ".join(contact_text(c, rng, plain=True)[0] for c in plan.contacts)
            text.title = hostile.markup_text(text.title, handle)
            reg.probes[f"/item?id={item_id}"] = hostile.MARKUP_PROBE
        truth = ads.truth(plan, case)
        qr = ads.poster_qr(plan)
    elif label == "not_ad":
        text, truth = texts_market.negative(rng), Truth("not_ad")
    else:
        text, truth = texts_market.benign(rng), Truth("benign")
    photos: list[str] = []
    if case == "corrupt_image":
        name = f"item_{item_id}.png"
        reg.image(ImageSpec(name, "corrupt_png", (text.title[:12],), seed=rng.getrandbits(32)))
        reg.rejects.append(Reject(f"/img/{name}", case, "corrupt_image"))
        photos.append(name)
    else:
        for k, lines in enumerate(text.photos):
            name = f"item_{item_id}.jpg" if k == 0 else f"item_{item_id}_{k + 1}.jpg"
            if lines:
                code = qr if k == 0 else None
                photos.append(reg.poster(rng, name, lines, qr_payload=code, width=640, height=640))
            else:
                photos.append(reg.photo(rng, name, text.caption, width=640, height=640))
    seller = reg.seller(rng, text.nickname)
    listing = Listing(
        item_id,
        text.title,
        text.desc,
        text.price,
        seller.area,
        seller.seller_id,
        photos,
        truth,
        want_count=rng.randint(0, 120),
        sponsored=promoted(item_id, label),
    )
    reg.listings[item_id] = listing
    return listing
