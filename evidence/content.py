"""A stable digest of what a page showed, beside each capture's sealed hash.

Every capture is sealed under its own hash: two captures of the same ad a day
apart never share one (the time, the headers, the screenshot's pixels all
differ).  To say "the ad was still online, unchanged" a re-check needs a second
measure that ignores such noise: the page's visible text, normalised (NFKC,
whitespace runs collapsed), and a perceptual hash of each image (a 64-bit
difference hash: nearby pixels' brightness order on a 9x8 thumbnail, which
survives re-encoding and rescaling but not a different picture).
"""

from __future__ import annotations

import difflib
import hashlib
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from PIL import Image

TEXT_SAME = 0.98  # similarity of normalised texts above which they are "the same"
HASH_NEAR = 10  # bits of 64 two perceptual hashes may differ by and be one picture
_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Visible text as compared across captures: NFKC, one space per run."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def dhash(data: bytes) -> str:
    """64-bit difference hash of an image, as 16 hex digits ("" if unreadable)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("L", (64, 64))  # JPEG: decode at a small scale, much faster
            small = img.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    except Exception:  # any undecodable picture simply has no perceptual hash
        return ""
    px = small.tobytes()  # mode L: one byte per pixel, row by row
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class ContentDigest:
    text_sha256: str
    text_chars: int
    image_hashes: list[str] = field(default_factory=list)
    screenshot_hash: str = ""

    @property
    def digest(self) -> str:
        """One value for "same content": the text's hash and the sorted image hashes."""
        key = self.text_sha256 + ":" + ",".join(sorted(self.image_hashes))
        return hashlib.sha256(key.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"digest": self.digest}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ContentDigest:
        return cls(
            text_sha256=str(d.get("text_sha256", "")),
            text_chars=int(d.get("text_chars", 0)),
            image_hashes=list(d.get("image_hashes") or []),
            screenshot_hash=str(d.get("screenshot_hash", "")),
        )


def digest_of(text: str, images: list[bytes], screenshot: bytes = b"") -> ContentDigest:
    norm = normalise_text(text)
    hashes = sorted(h for h in (dhash(data) for data in images) if h)
    return ContentDigest(
        text_sha256=hashlib.sha256(norm.encode()).hexdigest(),
        text_chars=len(norm),
        image_hashes=hashes,
        screenshot_hash=dhash(screenshot) if screenshot else "",
    )


def same_content(
    before: ContentDigest, after: ContentDigest, before_text: str = "", after_text: str = ""
) -> bool:
    """Whether a re-capture shows the same ad: equal digests, or (with the two
    texts at hand) nearly equal text and every earlier picture still there."""
    if before.digest == after.digest:
        return True
    if before.text_sha256 != after.text_sha256:
        if not (before_text and after_text):
            return False
        a, b = normalise_text(before_text), normalise_text(after_text)
        if difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() < TEXT_SAME:
            return False
    return all(
        any(hamming(h, other) <= HASH_NEAR for other in after.image_hashes)
        for h in before.image_hashes
    )
