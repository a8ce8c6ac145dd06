"""Checking downloaded images before anything reads them.

Image files come from adversaries: truncated files, HTML served as
``image/jpeg``, decompression bombs (a few KB that decode to gigapixels).
``inspect`` decodes every image fully under Pillow's pixel limit and returns
its hash, format and size, or raises ``ImageRejected`` with a short reason.
Stored paths are content hashes (``images/ab/cd/<sha256>.png``), so the same
picture is kept once however many ads and URLs show it.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

# Larger than any real banner or phone screenshot (8K x 6K = 48 MP) with room;
# Pillow raises DecompressionBombError beyond twice this and warns beyond it.
MAX_PIXELS = 60_000_000
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp", "BMP": ".bmp"}


class ImageRejected(ValueError):
    """The bytes are not a usable image; ``reason`` is a short stable word."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ImageFacts:
    sha256: str
    format: str
    width: int
    height: int
    size: int

    @property
    def path(self) -> str:
        ext = EXTENSIONS.get(self.format, ".img")
        return f"images/{self.sha256[:2]}/{self.sha256[2:4]}/{self.sha256}{ext}"


def inspect(data: bytes) -> ImageFacts:
    """Hash and fully decode an image, or raise ImageRejected."""
    img = decode(data)
    return ImageFacts(
        hashlib.sha256(data).hexdigest(), img.format or "", img.width, img.height, len(data)
    )


def decode(data: bytes) -> Image.Image:
    """Fully decode image bytes under the pixel limit, or raise ImageRejected
    (empty, not an image, truncated or corrupt, decompression bomb)."""
    if not data:
        raise ImageRejected("empty_image")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > MAX_PIXELS:
                raise ImageRejected("decompression_bomb", f"{img.width}x{img.height} pixels")
            img.load()
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("decompression_bomb", str(exc)[:200]) from None
        except UnidentifiedImageError:
            head = data[:64].lstrip().lower()
            kind = "html" if head.startswith((b"<!doctype", b"<html", b"<")) else "unknown bytes"
            raise ImageRejected("not_image", f"{kind}, {len(data)} bytes") from None
        # decoders raise many kinds of error on cut files (EOFError, struct.error...)
        except Exception as exc:
            raise ImageRejected("corrupt_image", str(exc)[:200] or type(exc).__name__) from None
    return img
