"""The pictures in an image file as a viewer sees them, for OCR.

The pixels as stored are not always what the page shows, and ad makers lean on
the difference:

* Phone photos (marketplace listings) are often stored sideways with an EXIF
  orientation tag that browsers obey.  Read raw, their text lies on its side.
* Slogans are drawn on a transparent background, stored over black: read as
  stored, black text is black on black.
  (Both are put right by evidence.pictures, which the dossier uses too.)
* Animated banners (GIF, WebP, APNG) cycle their pitch, the contact often in a
  later frame than the slogan.  Each different frame is read, up to
  MAX_FRAMES, within a budget of frames and pixels, so an animation of
  thousands of frames costs no more than a few stills.  A later frame is
  held to the same pixel limit as the first, and one that fails to decode
  (a truncated file, a forged header) ends the animation: the frames before
  it are still read.
"""

from __future__ import annotations

import warnings

from PIL import Image, ImageChops

from crawler.reading.images import MAX_PIXELS, decode
from evidence.pictures import shown as shown_as

ANIMATED = frozenset({"GIF", "WEBP", "PNG"})  # formats whose extra frames are shown in turn
MAX_FRAMES = 8  # different frames read from one animation
MAX_SCANNED = 200  # frames looked at before the rest of an animation is left unread
FRAME_PIXELS = 120_000_000  # pixels decoded per animation, all frames together
CHANGED = 32  # grey levels: a pixel that differs by more has changed between frames


def frames(data: bytes) -> list[Image.Image]:
    """The different frames of image bytes as shown (upright, RGB), the first
    always; raises crawler.reading.images.ImageRejected for what cannot be decoded."""
    img = decode(data)
    first = shown_as(img)
    count = _count(img)
    if count == 1:
        return [first]
    shown = [first]
    greys = [first.convert("L")]  # what each kept frame is compared by
    budget = FRAME_PIXELS - img.width * img.height
    for index in range(1, min(count, MAX_SCANNED)):
        frame = _frame(img, index)
        if frame is None:
            break
        budget -= frame.width * frame.height
        if budget < 0:
            break
        grey = frame.convert("L")
        if any(_same(grey, seen) for seen in greys):
            continue
        shown.append(frame)
        greys.append(grey)
        if len(shown) == MAX_FRAMES:
            break
    return shown


def _count(img: Image.Image) -> int:
    """Frames to look at: 1 for a still, and for formats whose other frames
    are not shown one after another (a JPEG's preview, TIFF pages)."""
    if img.format not in ANIMATED:
        return 1
    try:
        return max(1, int(getattr(img, "n_frames", 1)))
    except Exception:  # counting walks the file: a cut or forged one fails here
        return 1


def _frame(img: Image.Image, index: int) -> Image.Image | None:
    """Frame ``index`` as shown, or None when it cannot be decoded within
    the pixel limit (Pillow raises many kinds of error on hostile frames)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img.seek(index)
            if img.width * img.height > MAX_PIXELS:
                return None
            img.load()
            return shown_as(img)
        except Exception:
            return None


def _same(a: Image.Image, b: Image.Image) -> bool:
    """No pixel of two grey frames differs by more than CHANGED levels: a small
    contact line added to a big banner still makes a different frame."""
    if a.size != b.size:
        return False
    moved = ImageChops.difference(a, b)
    return moved.point(lambda v: 255 if v > CHANGED else 0).getbbox() is None
