"""Shared state while the web is built: unique ids, the registries every page
is served from, image specs, planted rejects."""

from __future__ import annotations

import random
import string
import zlib

from demo import content
from demo.contacts import Operator, make_operators
from demo.model import (
    CaptureCase,
    ImageSpec,
    Landing,
    Listing,
    Reject,
    Seller,
    TransientBlock,
    Video,
)

# Share of result slots by label (ad / not_ad / benign), per channel.
LABEL_WEIGHTS = {
    "search": (0.36, 0.36, 0.28),
    "video": (0.40, 0.35, 0.25),
    "market": (0.42, 0.30, 0.28),
}
REPEAT_RATE = 0.05  # chance a slot shows a record already shown for an earlier query
PROMOTED_ONE_IN = 4  # about one ad in this many is a paid (promoted) item on video and market


def promoted(item_id: str, label: str) -> bool:
    """Whether an item is paid for (Douyin's ``is_ads``, Goofish's ``isAliMaMaAD``):
    some of the ads, chosen by their id rather than by the generator's random
    stream, so that adding the mark changed nothing else of the generated web."""
    return label == "ad" and zlib.crc32(item_id.encode()) % PROMOTED_ONE_IN == 0


TOKEN_CHARS = string.ascii_letters + string.digits + "-_"
POSTER_THEMES = ("red", "gold", "black", "green", "white")


class Registry:
    """Everything built so far; ids are unique across the whole web."""

    def __init__(self, seed: int, size: int) -> None:
        self.seed, self.size = seed, size
        self.operators: list[Operator] = make_operators(
            random.Random(f"{seed}/operators"), 6 + 2 * size, content.BRANDS
        )
        self.used_ids: set[str] = set()
        self.landings: dict[str, Landing] = {}
        self.tokens: dict[str, str] = {}
        self.videos: dict[str, Video] = {}
        self.listings: dict[str, Listing] = {}
        self.sellers: dict[str, Seller] = {}
        self.sellers_by_nick: dict[str, list[Seller]] = {}
        self.images: dict[str, ImageSpec] = {}
        self.rejects: list[Reject] = []
        self.transient: list[TransientBlock] = []
        self.capture: list[CaptureCase] = []
        self.probes: dict[str, str] = {}  # record url -> text_contains override

    def digits(self, rng: random.Random, prefix: str, total: int) -> str:
        """A new numeric id of `total` digits starting with `prefix`."""
        while True:
            tail = "".join(rng.choice(string.digits) for _ in range(total - len(prefix)))
            if prefix + tail not in self.used_ids:
                self.used_ids.add(prefix + tail)
                return prefix + tail

    def hexid(self, rng: random.Random) -> str:
        while True:
            cand = f"{rng.getrandbits(32):08x}"
            if cand not in self.used_ids:
                self.used_ids.add(cand)
                return cand

    @staticmethod
    def token(rng: random.Random, length: int = 43) -> str:
        return "".join(rng.choice(TOKEN_CHARS) for _ in range(length))

    @staticmethod
    def label(rng: random.Random, channel: str) -> str:
        return rng.choices(("ad", "not_ad", "benign"), LABEL_WEIGHTS[channel])[0]

    def image(self, spec: ImageSpec) -> str:
        self.images[spec.name] = spec
        return spec.name

    def poster(
        self,
        rng: random.Random,
        name: str,
        lines: tuple[str, ...],
        *,
        qr_payload: str | None = None,
        theme: str | None = None,
        width: int = 720,
        height: int = 480,
    ) -> str:
        theme = theme or rng.choice(POSTER_THEMES)
        seed = rng.getrandbits(32)
        return self.image(ImageSpec(name, "poster", lines, qr_payload, seed, width, height, theme))

    def photo(
        self, rng: random.Random, name: str, caption: str = "", width: int = 720, height: int = 480
    ) -> str:
        lines = (caption,) if caption else ()
        seed = rng.getrandbits(32)
        return self.image(ImageSpec(name, "photo", lines, None, seed, width, height))

    def seller(self, rng: random.Random, nickname: str) -> Seller:
        """A seller with this nickname: often one seen before (sellers list many items)."""
        same = self.sellers_by_nick.setdefault(nickname, [])
        if same and rng.random() < 0.6:
            return rng.choice(same)
        seller = Seller(self.digits(rng, "2", 10), nickname, rng.choice(content.PROVINCES))
        self.sellers[seller.seller_id] = seller
        same.append(seller)
        return seller
