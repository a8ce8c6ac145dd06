"""Items of the twins from the demo's own content generators: ads of the demo's
gangs (contacts, disguises, posters, QR codes), look-alikes and plain posts,
so that detection has the same work on every platform."""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from demo import ads, content, texts_search, texts_video
from demo.build_common import REPEAT_RATE, Registry
from demo.model import Truth
from demo.twins.model import Hit, Post, Twin, TwinQuery

ALNUM = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
CREATED_FROM = 1_690_000_000
SPONSORED_AD_RATE = 0.85  # paid slots of the search twins are mostly gang ads
# accounts that publish the look-alike and plain articles on the WeChat twin
ACCOUNTS = ("金融消保课堂", "城市晚报财经", "理财小知识", "信用生活馆", "法律服务在线")


def ident(reg: Registry, rng: random.Random, prefix: str, length: int, chars: str) -> str:
    """A new id unique across the whole web: ``prefix`` and random ``chars``."""
    while True:
        cand = prefix + "".join(rng.choice(chars) for _ in range(length - len(prefix)))
        if cand not in reg.used_ids:
            reg.used_ids.add(cand)
            return cand


def batches(
    rng: random.Random, queries: list[str], sizes: tuple[tuple[int, ...], ...], make: Callable
) -> list[TwinQuery]:
    """Each query's pages of ``make(query, page, slot)`` items, ``sizes[i]`` per
    page for the i-th query (the last pattern for the rest); now and then a
    later query shows an item of an earlier one again, as real lists do."""
    out: list[TwinQuery] = []
    seen: list = []
    for qi, query in enumerate(queries):
        pattern = sizes[min(qi, len(sizes) - 1)]
        pages = []
        for number, count in enumerate(pattern, start=1):
            page = []
            for slot in range(count):
                again = [s for s in seen if not s.sponsored and s not in page]
                if again and rng.random() < REPEAT_RATE:
                    page.append(rng.choice(again))
                    continue
                page.append(make(query, number, slot))
            pages.append(page)
        seen += [item for page in pages for item in page]
        out.append(TwinQuery(query, pages))
    return out


def post(
    reg: Registry,
    rng: random.Random,
    query: str,
    post_id: str,
    author_id: str,
    *,
    comments: bool,
    title_limit: int = 0,
    cover_size: tuple[int, int] = (540, 720),
) -> Post:
    """A feed post: an ad (its contacts in text, in comments when ``comments``,
    on its cover, in a QR code), a look-alike, or a plain post."""
    label = reg.label(rng, "video")
    qr = None
    if label == "ad":
        where = None if comments else ("text", "image", "qr")
        plan = ads.plan_ad(rng, reg.operators, query, "video", allowed_where=where)
        text = texts_video.ad(rng, plan)
        truth = ads.truth(plan)
        qr = ads.poster_qr(plan)
    elif label == "not_ad":
        text, truth = texts_video.negative(rng), Truth("not_ad")
    else:
        text, truth = texts_video.benign(rng), Truth("benign")
    cover = f"twin_{post_id}.jpg"
    width, height = cover_size
    if text.cover:
        theme = "blue" if label == "not_ad" else None
        reg.poster(rng, cover, text.cover, qr_payload=qr, theme=theme, width=width, height=height)
    else:
        reg.photo(rng, cover, text.caption, width=width, height=height)
    title = text.desc
    if title_limit and len(title) > title_limit:
        title = title[:title_limit].rstrip()
    return Post(
        post_id=post_id,
        title=title,
        text=text.desc,
        author_name=text.nickname,
        author_id=author_id,
        created=CREATED_FROM + rng.randint(0, 25_000_000),
        images=[cover],
        comments=list(text.comments) if comments else [],
        truth=truth,
    )


def hit(
    reg: Registry,
    rng: random.Random,
    query: str,
    hit_id: str,
    *,
    sponsored: bool = False,
    account: bool = False,
) -> Hit:
    """A search result and its page: an ad of a gang (its contacts in the text,
    on a banner, in a QR code), a bank's or newspaper's look-alike, or a plain
    page.  ``account``: the site shown is a WeChat account's name."""
    label = reg.label(rng, "search")
    if sponsored:
        label = "ad" if rng.random() < SPONSORED_AD_RATE else "not_ad"
    images: list[str] = []
    if label == "ad":
        plan = ads.plan_ad(rng, reg.operators, query, "search")
        text = texts_search.ad(rng, plan, query, rng.randint(3, 99))
        if ads.needs_poster(plan) or rng.random() < 0.3:
            lines, qr = ads.poster_lines(plan, rng), ads.poster_qr(plan)
            images.append(reg.poster(rng, f"twin_{hit_id}.png", lines, qr_payload=qr))
        truth = ads.truth(plan)
        site = plan.operator.brand if account else text.site
    elif label == "not_ad":
        text = texts_search.negative(rng, query, bank=sponsored)
        if text.poster:
            images.append(reg.poster(rng, f"twin_{hit_id}.png", text.poster, theme="blue"))
        truth = Truth("not_ad")
        site = rng.choice(ACCOUNTS) if account else text.site
    else:
        text = texts_search.benign(rng, query)
        if rng.random() < 0.3:
            images.append(reg.photo(rng, f"twin_{hit_id}.jpg"))
        truth = Truth("benign")
        site = rng.choice(ACCOUNTS) if account else text.site
    return Hit(
        hit_id=hit_id,
        title=text.title,
        snippet=text.snippet,
        site=site,
        heading=text.h1,
        paragraphs=list(text.paragraphs),
        images=images,
        truth=truth,
        token=reg.token(rng, 32),
        created=CREATED_FROM + rng.randint(0, 25_000_000),
        sponsored=sponsored,
    )


def queries_of(base: tuple[str, ...], size: int) -> list[str]:
    """``2 * size`` queries: the base words, then with the demo's suffixes."""
    out: list[str] = []
    for suffix in content.QUERY_SUFFIXES:
        for word in base:
            out.append(f"{word}{suffix}")
            if len(out) == 2 * size:
                return out
    return out


def engine_twin(
    reg: Registry,
    rng: random.Random,
    size: int,
    platform: str,
    queries: tuple[str, ...],
    sizes: tuple[tuple[int, ...], ...],
) -> Twin:
    """A search engine's twin whose first page leads with paid results (the
    first slot always, the second half the time): Bing's and 360's."""
    twin = Twin(platform, "search", [])

    def make(query: str, number: int, slot: int) -> Hit:
        paid = number == 1 and slot < 2 and (slot == 0 or rng.random() < 0.5)
        item = hit(reg, rng, query, reg.hexid(rng), sponsored=paid)
        twin.hits[item.hit_id] = item
        twin.tokens[item.token] = item.hit_id
        return item

    twin.queries = batches(rng, queries_of(queries, size), sizes, make)
    return twin
