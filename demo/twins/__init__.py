"""Six more platforms in the shape their live sites answer in, each under its
own path prefix: Kuaishou, Xiaohongshu and Weibo (feeds of posts, crawled by the
video channel) and Bing, 360 Search and Sogou WeChat (result pages, crawled by
the search channel).  Each module says which public crawler documents the
shape it copies.

Every twin draws its items from the demo's own generators (demo.ads and the
texts_* modules) and from the one Registry, so its ads belong to the demo's
gangs, and from a random stream of its own, built after the three original
channels: nothing they generate changes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from types import ModuleType
from typing import Any

from demo.build_common import Registry
from demo.twins import bing, kuaishou, so360, sogou_wechat, weibo, xiaohongshu
from demo.twins._common import Answer
from demo.twins.model import Hit, Post, Twin

MODULES: tuple[ModuleType, ...] = (kuaishou, xiaohongshu, weibo, bing, so360, sogou_wechat)
PREFIXES = tuple(f"{m.PREFIX}/" for m in MODULES)
BY_PLATFORM: dict[str, ModuleType] = {m.PLATFORM: m for m in MODULES}
NAMES = {
    kuaishou.PLATFORM: "快手 (Kuaishou)",
    xiaohongshu.PLATFORM: "小红书 (Xiaohongshu)",
    weibo.PLATFORM: "微博 (Weibo)",
    bing.PLATFORM: "必应 (Bing)",
    so360.PLATFORM: "360搜索 (360 Search)",
    sogou_wechat.PLATFORM: "搜狗微信 (Sogou WeChat)",
}


def build_twins(reg: Registry, size: int = 1) -> list[Twin]:
    """Every twin, each from its own stream seeded by (seed, platform)."""
    return [m.build(reg, random.Random(f"{reg.seed}/twin/{m.PLATFORM}"), size) for m in MODULES]


def answer(
    twins: list[Twin], method: str, path: str, qs: dict[str, list[str]], body: bytes, base: str
) -> Answer | None:
    """The answer of the twin whose prefix ``path`` has; None when no twin
    knows the path (the router answers 404)."""
    for twin in twins:
        module = BY_PLATFORM[twin.platform]
        if path.startswith(f"{module.PREFIX}/"):
            found: Answer | None = module.answer(twin, method, path, qs, body, base)
            return found
    return None


def record_url(twin: Twin, item: Post | Hit) -> str:
    """The URL a crawler stores for an item, relative to the base URL."""
    url: str = BY_PLATFORM[twin.platform].record_url(item)
    return url


def truth_records(twins: list[Twin], make: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """One ground-truth line per item and appearance (``make`` is
    demo.ground_truth's record builder); the caller keeps the first per URL."""
    out = []
    for twin in twins:
        for tq in twin.queries:
            for number, items in enumerate(tq.pages, start=1):
                for item in items:
                    line = make(
                        twin.channel,
                        tq.query,
                        number,
                        record_url(twin, item),
                        item.truth,
                        item.title,
                        sponsored=item.sponsored,
                    )
                    out.append({**line, "platform": twin.platform})
    return out


def entry_points(twins: list[Twin]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """For the index page: (platform, its name, [(query, URL)])."""
    return [
        (
            twin.platform,
            NAMES[twin.platform],
            [(q.query, BY_PLATFORM[twin.platform].search_url(q.query)) for q in twin.queries],
        )
        for twin in twins
    ]
