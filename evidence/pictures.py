"""Pictures as a viewer sees them: upright, and with nothing see-through.

Shared by the crawler's OCR (crawler.frames) and the dossier's exhibits
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


def flatten(img: Image.Image) -> Image.Image:
    """The current frame as RGB, transparency laid over the backdrop that
    contrasts with what is drawn (the mean grey of its opaque pixels)."""
    if img.mode not in ("RGBA", "LA", "PA") and not (
        img.mode == "P" and "transparency" in img.info
    ):
        return img.convert("RGB")
    rgba = img.convert("RGBA")
    alpha = rgba.getchannel("A")
    if alpha.getextrema()[0] == 255:  # an alpha channel, but nothing see-through
        return rgba.convert("RGB")
    drawn = alpha.point(lambda a: 255 if a >= 128 else 0)
    backdrop = (255, 255, 255)
    if drawn.getbbox() is not None:
        ink = ImageStat.Stat(rgba.convert("L"), mask=drawn).mean[0]
        if ink >= 128:
            backdrop = (0, 0, 0)
    canvas = Image.new("RGB", rgba.size, backdrop)
    canvas.paste(rgba, mask=alpha)
    return canvas


def shown(img: Image.Image) -> Image.Image:
    """The current frame as a viewer shows it: flattened, then upright."""
    frame = flatten(img)
    turned = turn(img)
    return frame.transpose(turned) if turned is not None else frame
