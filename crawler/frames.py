"""The pictures in an image file as a viewer sees them, for OCR.

The pixels as stored are not always what the page shows, and ad makers lean on
the difference:

* Phone photos (marketplace listings) are often stored sideways with an EXIF
  orientation tag that browsers obey.  Read raw, their text lies on its side.
* Slogans are drawn on a transparent background, and the colour stored under
  full transparency is usually black: black text flattened naively is black
  on black.  The page behind the picture is unknown here, so the backdrop is
  the one that contrasts with the ink: white under dark ink, black under light.
* Animated banners (GIF, WebP, APNG) cycle their pitch, the contact often in a
  later frame than the slogan.  Each different frame is read, up to
  MAX_FRAMES, within a budget of frames and pixels, so an animation of
  thousands of frames costs no more than a few stills.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageStat

from crawler.images import decode

MAX_FRAMES = 8  # different frames read from one animation
MAX_SCANNED = 200  # frames looked at before the rest of an animation is left unread
FRAME_PIXELS = 120_000_000  # pixels decoded per animation, all frames together
SAME_FRAME = 2.0  # mean grey difference (0-255, 64x64 thumbnails) below which frames match
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


def frames(data: bytes) -> list[Image.Image]:
    """The different frames of image bytes as shown (upright, RGB), the first
    always; raises crawler.images.ImageRejected for what cannot be decoded.
    A frame that fails to decode ends the animation: the frames before it
    are still read."""
    img = decode(data)
    turn = _turn(img)
    count = getattr(img, "n_frames", 1)
    budget = FRAME_PIXELS - img.width * img.height
    shown: list[Image.Image] = []
    thumbs: list[Image.Image] = []
    for index in range(min(count, MAX_SCANNED)):
        if index:
            budget -= img.width * img.height
            if budget < 0:
                break
            try:
                img.seek(index)
                img.load()
            except (EOFError, OSError, ValueError, SyntaxError):
                break
        frame = flatten(img)
        if turn is not None:
            frame = frame.transpose(turn)
        if count == 1:
            return [frame]
        thumb = frame.convert("L").resize((64, 64), Image.Resampling.BILINEAR)
        if any(_difference(thumb, seen) < SAME_FRAME for seen in thumbs):
            continue
        shown.append(frame)
        thumbs.append(thumb)
        if len(shown) == MAX_FRAMES:
            break
    return shown


def flatten(img: Image.Image) -> Image.Image:
    """The picture as RGB, transparency laid over the backdrop that contrasts
    with what is drawn (the mean grey of its opaque pixels)."""
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


def _turn(img: Image.Image) -> Image.Transpose | None:
    try:
        return _TURNS.get(int(img.getexif().get(ORIENTATION, 1)))
    except (ValueError, TypeError, OSError, SyntaxError):  # a broken EXIF block: as stored
        return None


def _difference(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0])
