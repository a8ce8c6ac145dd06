"""Wording of short videos: captions with #hashtags, author names, comments."""

from __future__ import annotations

import random
from dataclasses import dataclass

from demo import content, disguises
from demo.ads import AdPlan, disguise, poster_lines, text_contacts

NEUTRAL_TAGS = ("生活", "日常", "分享", "记录", "干货")
NEUTRAL_COMMENTS = ("收藏了", "求资料", "学到了", "路过", "支持一下")


@dataclass
class VideoText:
    desc: str
    nickname: str
    comments: list[tuple[str, str]]  # (nickname, text); the author may comment too
    cover: tuple[str, ...]  # lines drawn on the cover; empty means a plain photo
    caption: str = ""  # small caption on a plain photo


def _commenters(rng: random.Random, pool: tuple[str, ...], k: int) -> list[tuple[str, str]]:
    bodies = rng.sample(pool, min(k, len(pool)))
    return [(rng.choice(content.COMMENTER_NICKS), body) for body in bodies]


def ad(rng: random.Random, plan: AdPlan) -> VideoText:
    if plan.image_only:
        desc = f"{rng.choice(content.BLAND_TITLES)} #{rng.choice(NEUTRAL_TAGS)}"
        nick = rng.choice(content.BENIGN_NICKS)
        comments = _commenters(rng, NEUTRAL_COMMENTS, rng.randint(1, 3))
        return VideoText(desc, nick, comments, poster_lines(plan, rng))
    slogan = plan.slogan if plan.slogan[-1:] in "!?!?" else plan.slogan + "!"
    body = f"{rng.choice(content.STORIES)}{slogan}{plan.promise},{rng.choice(content.CTAS)}"
    handles = text_contacts(plan, rng, "text")
    body += handles if handles else rng.choice(("私信我", "主页有联系方式", "评论区扣1"))
    tags = rng.sample(content.HASHTAGS[plan.category], rng.randint(2, 3))
    tag_text = " ".join(f"#{t}" for t in tags)
    word_kinds = tuple(k for k in plan.disguises if k in ("homophone", "pinyin"))
    tag_text = disguises.apply(tag_text, word_kinds, rng)
    desc = f"{disguise(plan, body, rng)} {tag_text}"
    comments = _commenters(rng, content.AD_COMMENTS, rng.randint(2, 5))
    in_comment = text_contacts(plan, rng, "comment")
    if in_comment:
        pos = rng.randint(0, len(comments))
        comments.insert(pos, (plan.operator.brand, f"需要的加我 {in_comment}"))
    return VideoText(desc, rng.choice(content.AD_NICKNAMES), comments, poster_lines(plan, rng))


def negative(rng: random.Random) -> VideoText:
    city, bank = rng.choice(content.CITIES), rng.choice(content.BANKS)
    desc = rng.choice(content.VIDEO_NEGATIVE_DESCS).format(city=city, n=rng.randint(3, 60))
    nick = rng.choice(content.VIDEO_NEGATIVE_NICKS).format(city=city, bank=bank)
    comments = _commenters(rng, content.NEGATIVE_COMMENTS, rng.randint(1, 4))
    cover = rng.choice(content.NEGATIVE_POSTER_LINES) if rng.random() < 0.5 else ()
    return VideoText(desc, nick, comments, cover, caption="")


def benign(rng: random.Random) -> VideoText:
    desc = rng.choice(content.VIDEO_BENIGN)
    comments = _commenters(rng, content.BENIGN_COMMENTS, rng.randint(0, 4))
    caption = rng.choice(content.BENIGN_PHOTO_CAPTIONS)
    return VideoText(desc, rng.choice(content.BENIGN_NICKS), comments, (), caption)
