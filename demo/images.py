"""Images of the simulated web, drawn with Pillow on first request and cached.

Ad banners, covers and listing photos carry Chinese text (some ads say their
pitch only here), QR codes carry contacts, benign photos are shapes; two
hostile cases are broken on purpose.  Rendering is seeded per image, so the
same web always serves the same bytes.
"""

from __future__ import annotations

import io
import random
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from demo.model import ImageSpec

FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont

# (path, index in the collection): Noto CJK index 2 is the Simplified Chinese face.
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
)
BOLD_CANDIDATE = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2)

# background, text, accent
THEMES: dict[str, tuple[str, str, str]] = {
    "red": ("#c8102e", "#ffffff", "#ffe14d"),
    "gold": ("#fff4d6", "#b00000", "#d4380d"),
    "blue": ("#0b3d91", "#ffffff", "#9fd3ff"),
    "green": ("#0a7e3d", "#ffffff", "#fff27a"),
    "white": ("#ffffff", "#222222", "#c8102e"),
    "black": ("#1a1a1a", "#ffe14d", "#ff4d4f"),
}

CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
ORIENTATION = 0x0112  # the EXIF tag

NOT_AN_IMAGE = (
    b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    b"<body><h1>404</h1><p>\xe5\x9b\xbe\xe7\x89\x87\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8</p>"
    b"</body></html>\n"
)


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> FontT:
    """A CJK font at `size`, or any font there is (text may then show as boxes)."""
    candidates = ((BOLD_CANDIDATE,) if bold else ()) + FONT_CANDIDATES
    for path, index in candidates:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size, index=index)
            except OSError:
                continue
    return ImageFont.load_default(size)


_TOKEN = re.compile(r"[A-Za-z0-9_\-:.@/?=&+]+|.", re.S)


def _wrap(draw: ImageDraw.ImageDraw, text: str, f: FontT, width: int) -> list[str]:
    """Wrap by characters (Chinese has no spaces), but never inside a run of
    ASCII letters and digits: a phone or WeChat id cut in two is lost to OCR."""
    lines, current = [], ""
    for token in _TOKEN.findall(text):
        if current and draw.textlength(current + token, font=f) > width:
            lines.append(current)
            current = token.lstrip()
        else:
            current += token
    if current:
        lines.append(current)
    return lines


def qr_image(payload: str, side: int) -> Image.Image:
    qr = qrcode.QRCode(box_size=8, border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(payload)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    return img.resize((side, side), Image.Resampling.NEAREST)


def _layout(
    draw: ImageDraw.ImageDraw, spec: ImageSpec, scale: float, text_width: int
) -> list[tuple[str, FontT, str, int, int]]:
    """(text, font, colour, y, size) for each drawn line at a font `scale`."""
    _, fg, accent = THEMES.get(spec.theme, THEMES["red"])
    base = min(spec.height, int(spec.width * 0.75))
    margin = spec.width // 24
    out, y = [], margin
    for i, line in enumerate(spec.lines):
        size = max(12, int(base * scale / (6 if i == 0 else 12)))
        f = font(size, bold=(i == 0))
        for part in _wrap(draw, line, f, text_width):
            out.append((part, f, accent if i == 0 else fg, y, size))
            y += int(size * 1.35)
        y += size // 4
    return out


def draw_poster(spec: ImageSpec) -> Image.Image:
    """Big headline, smaller lines below, an optional QR code in the corner."""
    bg, _, accent = THEMES.get(spec.theme, THEMES["red"])
    img = Image.new("RGB", (spec.width, spec.height), bg)
    draw = ImageDraw.Draw(img)
    margin = spec.width // 24
    draw.rectangle(
        (margin // 2, margin // 2, spec.width - margin // 2, spec.height - margin // 2),
        outline=accent,
        width=max(2, margin // 6),
    )
    text_width, text_bottom = spec.width - 2 * margin, spec.height - margin
    if spec.qr_payload:
        portrait = spec.height > spec.width
        side = min(spec.height // 2, spec.width // 3) if not portrait else spec.width * 2 // 5
        qr = qr_image(spec.qr_payload, side)
        x, y = spec.width - margin - side, spec.height - margin - side
        draw.rectangle((x - 6, y - 6, x + side + 6, y + side + 6), fill="#ffffff")
        img.paste(qr, (x, y))
        if portrait:
            text_bottom = y - margin
        else:
            text_width = x - 2 * margin
    scale = 1.0
    lines = _layout(draw, spec, scale, text_width)
    while lines and scale > 0.4 and lines[-1][3] + lines[-1][4] * 1.2 > text_bottom:
        scale *= 0.85
        lines = _layout(draw, spec, scale, text_width)
    for text, f, colour, y, _ in lines:
        draw.text((margin, y), text, font=f, fill=colour)
    return img


def draw_photo(spec: ImageSpec) -> Image.Image:
    """A 'photo' of nothing in particular: a gradient, some shapes, a caption."""
    rng = random.Random(spec.seed)
    top = tuple(rng.randint(60, 230) for _ in range(3))
    bottom = tuple(rng.randint(20, 200) for _ in range(3))
    img = Image.new("RGB", (spec.width, spec.height))
    draw = ImageDraw.Draw(img)
    for row in range(spec.height):
        t = row / max(1, spec.height - 1)
        colour = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line((0, row, spec.width, row), fill=colour)
    for _ in range(rng.randint(3, 7)):
        x, y = rng.randrange(spec.width), rng.randrange(spec.height)
        r = rng.randint(spec.height // 12, spec.height // 4)
        fill = tuple(rng.randint(0, 255) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=fill)
    caption = spec.lines[0] if spec.lines else ""
    if caption:
        size = spec.height // 12
        band = int(size * 1.6)
        draw.rectangle((0, spec.height - band, spec.width, spec.height), fill="#000000")
        origin = (size // 2, spec.height - band + size // 4)
        draw.text(origin, caption, font=font(size), fill="#ffffff")
    return img


def encode(img: Image.Image, ext: str) -> bytes:
    buf = io.BytesIO()
    if ext == "png":
        img.save(buf, "PNG", optimize=False)
    else:
        img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def render(spec: ImageSpec) -> tuple[bytes, str]:
    """The bytes and Content-Type of one image."""
    ext = spec.name.rsplit(".", 1)[-1].lower()
    ctype = CONTENT_TYPES.get(ext, "application/octet-stream")
    if spec.kind == "html_as_jpeg":
        return NOT_AN_IMAGE, "image/jpeg"
    if spec.kind == "corrupt_png":
        whole = encode(draw_poster(spec), "png")
        return whole[: max(64, len(whole) * 2 // 5)], "image/png"
    img = draw_photo(spec) if spec.kind == "photo" else draw_poster(spec)
    if sideways(spec):
        return phone_photo(img), ctype
    return encode(img, ext), ctype


def sideways(spec: ImageSpec) -> bool:
    """One listing poster in three is stored the way a phone stores a photo
    taken upright in landscape: pixels turned, an EXIF tag saying to turn them
    back (browsers obey it; OCR must too).  Chosen by the image's own seed, so
    the rest of the web is the same."""
    return spec.kind == "poster" and spec.name.startswith("item_") and spec.seed % 3 == 0


def phone_photo(img: Image.Image) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # shown turned a quarter to the right
    buf = io.BytesIO()
    img.transpose(Image.Transpose.ROTATE_90).save(buf, "JPEG", quality=85, exif=exif)
    return buf.getvalue()


class ImageStore:
    """Renders on first request, keeps the most recent `max_cached` images."""

    def __init__(self, specs: dict[str, ImageSpec], max_cached: int = 4096) -> None:
        self._specs = specs
        self._max = max_cached
        self._cache: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, name: str) -> bool:
        return name in self._specs

    def get(self, name: str) -> tuple[bytes, str] | None:
        spec = self._specs.get(name)
        if spec is None:
            return None
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None:
                self._cache.move_to_end(name)
                return hit
        made = render(spec)
        with self._lock:
            self._cache[name] = made
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return made
