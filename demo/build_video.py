"""Video channel: scroll batches per keyword, videos with covers and comments,
and the hostile ones (markup in the caption, an HTML page posing as the cover)."""

from __future__ import annotations

import random

from demo import ads, content, hostile, texts_video
from demo.build_common import REPEAT_RATE, TOKEN_CHARS, Registry, promoted
from demo.contacts import contact_text
from demo.model import Author, Comment, ImageSpec, Reject, Truth, Video, VideoQuery

# (query index, position in the result list) -> hostile case
VIDEO_HOSTILE = {(0, 3): "markup", (1, 1): "not_image"}


def build_video(reg: Registry, rng: random.Random, queries: list[str]) -> list[VideoQuery]:
    out: list[VideoQuery] = []
    pool: list[Video] = []  # videos of earlier queries, to show again
    for qi, query in enumerate(queries):
        fresh: list[Video] = []
        batches = rng.randint(3, 4)
        count = 10 * (batches - 1) + rng.randint(5, 10)
        items: list[Video] = []
        for slot in range(count):
            case = VIDEO_HOSTILE.get((qi, slot))
            if pool and qi > 0 and case is None and rng.random() < REPEAT_RATE:
                seen = rng.choice(pool)
                if seen not in items:
                    items.append(seen)
                    continue
            video = _video(reg, rng, query, case)
            items.append(video)
            if case is None:
                fresh.append(video)
        out.append(VideoQuery(query, items))
        pool += fresh
    return out


def _video(reg: Registry, rng: random.Random, query: str, case: str | None) -> Video:
    aweme_id = reg.digits(rng, "73", 19)
    label = "ad" if case else reg.label(rng, "video")
    qr = None
    if label == "ad":
        where = {"markup": ("text",), "not_image": ("text", "comment")}.get(case or "")
        plan = ads.plan_ad(
            rng,
            reg.operators,
            query,
            "video",
            image_only=False if case else None,
            allowed_where=where,
        )
        text = texts_video.ad(rng, plan)
        if case == "markup":  # the caption is replaced whole: no disguises left
            handle = " ".join(contact_text(c, rng, plain=True)[0] for c in plan.contacts)
            tags = " ".join(f"#{t}" for t in content.HASHTAGS[plan.category][:2])
            text.desc = f"{hostile.markup_text(plan.slogan, handle)} {tags}"
            plan.disguises, plan.contact_tags = (), []
            reg.probes[f"/video/{aweme_id}"] = hostile.MARKUP_PROBE
        truth = ads.truth(plan, case)
        qr = ads.poster_qr(plan)
    elif label == "not_ad":
        text, truth = texts_video.negative(rng), Truth("not_ad")
    else:
        text, truth = texts_video.benign(rng), Truth("benign")
    cover = f"cover_{aweme_id}.jpg"
    if case == "not_image":
        reg.image(ImageSpec(cover, "html_as_jpeg"))
        reg.rejects.append(Reject(f"/img/{cover}", case, "not_image"))
    elif text.cover:
        theme = "blue" if label == "not_ad" else None
        reg.poster(rng, cover, text.cover, qr_payload=qr, theme=theme, width=540, height=720)
    else:
        reg.photo(rng, cover, text.caption, width=540, height=720)
    comments = [
        Comment(reg.digits(rng, "74", 19), body, nick, reg.digits(rng, "", 11))
        for nick, body in text.comments
    ]
    video = Video(
        aweme_id=aweme_id,
        desc=text.desc,
        create_time=1_690_000_000 + rng.randint(0, 25_000_000),
        author=Author(
            text.nickname,
            reg.digits(rng, "", 11),
            "MS4wLjABAAAA" + "".join(rng.choice(TOKEN_CHARS) for _ in range(44)),
        ),
        digg_count=rng.randint(50, 30000) if label == "ad" else rng.randint(0, 2000),
        comment_count=len(comments) + rng.randint(0, 300),
        share_count=rng.randint(0, 500),
        cover=cover,
        comments=comments,
        truth=truth,
        sponsored=promoted(aweme_id, label),
    )
    reg.videos[aweme_id] = video
    return video
