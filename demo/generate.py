"""Build the simulated web from a seed: queries, then each channel's pages.

Every channel draws from its own `random.Random` stream seeded by
(seed, channel), so one seed always gives the same web, byte for byte, and a
change to one channel does not reshuffle the others.
"""

from __future__ import annotations

import random
from pathlib import Path

from demo import content
from demo.build_common import Registry
from demo.build_market import build_market
from demo.build_search import build_search
from demo.build_video import build_video
from demo.ground_truth import ground_truth_lines, write_lines
from demo.model import DemoWeb
from demo.twins import build_twins

# Queries per channel at size=1; `size` multiplies them.
QUERIES_PER_SIZE = {"search": 4, "video": 3, "market": 3}


def make_queries(base: tuple[str, ...], count: int) -> list[str]:
    """`count` distinct queries: the base list first, then with suffixes."""
    out: list[str] = []
    seen: set[str] = set()
    round_ = 0
    while len(out) < count:
        for suffix in content.QUERY_SUFFIXES:
            for word in base:
                tail = suffix if round_ == 0 else f"{suffix} {round_ + 1}"
                query = f"{word}{tail}".strip()
                if query not in seen:
                    seen.add(query)
                    out.append(query)
                if len(out) == count:
                    return out
        round_ += 1
    return out


def generate(seed: int = 7, size: int = 1) -> DemoWeb:
    """The whole simulated web for `seed`; `size` multiplies the number of queries."""
    if size < 1:
        raise ValueError("size must be >= 1")
    reg = Registry(seed, size)
    n = {channel: per * size for channel, per in QUERIES_PER_SIZE.items()}
    search = build_search(
        reg, random.Random(f"{seed}/search"), make_queries(content.SEARCH_QUERIES, n["search"])
    )
    video = build_video(
        reg, random.Random(f"{seed}/video"), make_queries(content.VIDEO_QUERIES, n["video"])
    )
    market = build_market(
        reg, random.Random(f"{seed}/market"), make_queries(content.MARKET_QUERIES, n["market"])
    )
    twins = build_twins(reg, size)  # after the three channels: nothing of theirs changes
    return DemoWeb(
        seed=seed,
        size=size,
        search=search,
        video=video,
        market=market,
        landings=reg.landings,
        tokens=reg.tokens,
        videos=reg.videos,
        listings=reg.listings,
        sellers=reg.sellers,
        images=reg.images,
        rejects=reg.rejects,
        transient=reg.transient,
        capture=reg.capture,
        probes=reg.probes,
        twins=twins,
    )


def write_ground_truth(web: DemoWeb, path: str | Path) -> int:
    """Write the ground truth as JSON Lines; returns the number of lines."""
    return write_lines(ground_truth_lines(web), path)
