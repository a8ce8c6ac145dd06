"""Pictures as a viewer sees them: upright, and with nothing see-through.

Shared by the crawler's OCR (crawler.reading.frames) and the dossier's exhibits
(evidence.dossier.redact), so what was read is what is shown.

* Phones store a photo taken in landscape with its pixels turned and an EXIF
  orientation tag that tells browsers to turn it back.
* Under full transparency most tools store black, so black text on a
  transparent background flattened as stored is black on black.  The page
  behind the picture is not known here, so the backdrop is the one that
  contrasts with what is drawn: white under dark ink, black under light ink.
"""

from __future__ import annotations

from PIL import Image, ImageStat

ORIENTATION = 0x0112  # the EXIF tag
_TURNS = {  # EXIF orientation -> the turn that shows the picture upright
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def turn(img: Image.Image) -> Image.Transpose | None:
    """The turn its EXIF orientation asks for, or None (upright, no tag, or
    an EXIF block too broken to read: shown as stored)."""
    try:
        return _TURNS.get(int(img.getexif().get(ORIENTATION, 1)))
    except (ValueError, TypeError, OSError, SyntaxError):
        return None


WHITE, BLACK = (255, 255, 255), (0, 0, 0)


def see_through(img: Image.Image) -> bool:
    """Whether the current frame has transparency: an alpha channel, or a
    colour key (tRNS) on a palette, grey or RGB picture."""
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info


def backdrop(img: Image.Image) -> tuple[int, int, int] | None:
    """The colour transparency is laid over: WHITE under dark ink, BLACK under
    light ink (the mean grey of the opaque pixels), None if nothing is see-through."""
    return _backdrop(img.convert("RGBA")) if see_through(img) else None


def _backdrop(rgba: Image.Image) -> tuple[int, int, int] | None:
    alpha = rgba.getchannel("A")
    if alpha.getextrema()[0] == 255:  # an alpha channel, but nothing see-through
        return None
    drawn = alpha.point(lambda a: 255 if a >= 128 else 0)
    if drawn.getbbox() is None:
        return WHITE
    ink = ImageStat.Stat(rgba.convert("L"), mask=drawn).mean[0]
    return BLACK if ink >= 128 else WHITE


def flatten(img: Image.Image) -> Image.Image:
    """The current frame as RGB, transparency laid over its backdrop()."""
    if not see_through(img):
        return img.convert("RGB")
    rgba = img.convert("RGBA")  # once: the backdrop is judged on it too
    under = _backdrop(rgba)
    if under is None:
        return rgba.convert("RGB")
    canvas = Image.new("RGB", rgba.size, under)
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def shown(img: Image.Image) -> Image.Image:
    """The current frame as a viewer shows it: flattened, then upright."""
    frame = flatten(img)
    turned = turn(img)
    return frame.transpose(turned) if turned is not None else frame
