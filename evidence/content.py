"""A stable digest of what a page showed, beside each capture's sealed hash.

Every capture is sealed under its own hash: two captures of the same ad a day
apart never share one (the time, the headers, the screenshot's pixels all
differ).  To say "the ad was still online, unchanged" a re-check needs a second
measure that ignores such noise: the page's visible text, normalised (NFKC,
whitespace runs collapsed), and a perceptual hash of each image (a 64-bit
difference hash: nearby pixels' brightness order on a 9x8 thumbnail, which
survives re-encoding and rescaling but not a different picture).  The hash
is 256 bits (a 17x16 thumbnail): at 64 bits a banner whose WeChat ID was
changed differed by one bit from the original, at 256 by 17 (a JPEG re-encode
of the same banner: 6).  The caller may add the contacts found on the page:
two captures with different phones or IDs are never "the same", however
similar the rest.  Text similarity is a Jaccard index of character 4-grams,
linear in the text's length (a diff of two 17-million-character pages is not).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from PIL import Image

TEXT_SAME = 0.95  # Jaccard of 4-gram sets above which two texts are "the same"
HASH_BITS = 16  # a HASH_BITS x HASH_BITS difference hash: 256 bits
HASH_NEAR = 10  # bits of 256 two perceptual hashes may differ by and be one picture
SHINGLE = 4
_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Visible text as compared across captures: NFKC, one space per run."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def dhash(data: bytes) -> str:
    """256-bit difference hash of an image, as 64 hex digits ("" if unreadable)."""
    n = HASH_BITS
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("L", (4 * n, 4 * n))  # JPEG: decode at a small scale, much faster
            small = img.convert("L").resize((n + 1, n), Image.Resampling.LANCZOS)
    except Exception:  # any undecodable picture simply has no perceptual hash
        return ""
    px = small.tobytes()  # mode L: one byte per pixel, row by row
    bits = 0
    for row in range(n):
        for col in range(n):
            bits = (bits << 1) | (px[row * (n + 1) + col] > px[row * (n + 1) + col + 1])
    return f"{bits:0{n * n // 4}x}"


def hamming(a: str, b: str) -> int:
    """Bits two hashes differ by (hashes of different sizes: all of them)."""
    if len(a) != len(b):
        return 4 * max(len(a), len(b))
    return (int(a, 16) ^ int(b, 16)).bit_count()


def similarity(a: str, b: str) -> float:
    """Jaccard index of the two normalised texts' character 4-gram sets."""
    sa, sb = _shingles(normalise_text(a)), _shingles(normalise_text(b))
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def _shingles(text: str) -> set[str]:
    if len(text) <= SHINGLE:
        return {text} if text else set()
    return {text[i : i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}


@dataclass(frozen=True)
class ContentDigest:
    text_sha256: str
    text_chars: int
    image_hashes: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)  # "kind:normalised value", sorted

    @property
    def digest(self) -> str:
        """One value for "same content": the text's hash, the sorted image
        hashes and the contacts."""
        key = ":".join(
            [self.text_sha256, ",".join(sorted(self.image_hashes)), ",".join(self.contacts)]
        )
        return hashlib.sha256(key.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"digest": self.digest}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ContentDigest:
        return cls(
            text_sha256=str(d.get("text_sha256", "")),
            text_chars=int(d.get("text_chars", 0)),
            image_hashes=list(d.get("image_hashes") or []),
            contacts=list(d.get("contacts") or []),
        )


def digest_of(text: str, images: list[bytes], contacts: list[str] | None = None) -> ContentDigest:
    norm = normalise_text(text)
    hashes = sorted(h for h in (dhash(data) for data in images) if h)
    return ContentDigest(
        text_sha256=hashlib.sha256(norm.encode()).hexdigest(),
        text_chars=len(norm),
        image_hashes=hashes,
        contacts=sorted(set(contacts or [])),
    )


def same_content(
    before: ContentDigest, after: ContentDigest, before_text: str = "", after_text: str = ""
) -> bool:
    """Whether a re-capture shows the same ad: equal digests, or the same
    contacts, nearly the same text (with the two texts at hand) and the same
    pictures, each of either capture near one of the other's."""
    if before.digest == after.digest:
        return True
    if before.contacts != after.contacts:
        return False
    if before.text_sha256 != after.text_sha256 and not (
        before_text and after_text and similarity(before_text, after_text) >= TEXT_SAME
    ):
        return False
    return (
        len(before.image_hashes) == len(after.image_hashes)
        and _pictures_match(before.image_hashes, after.image_hashes)
        and _pictures_match(after.image_hashes, before.image_hashes)
    )


def _pictures_match(these: list[str], those: list[str]) -> bool:
    return all(any(hamming(h, other) <= HASH_NEAR for other in those) for h in these)
