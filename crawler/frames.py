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
  thousands of frames costs no more than a few stills.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageStat

from crawler.images import decode
from evidence.pictures import shown as shown_as

MAX_FRAMES = 8  # different frames read from one animation
MAX_SCANNED = 200  # frames looked at before the rest of an animation is left unread
FRAME_PIXELS = 120_000_000  # pixels decoded per animation, all frames together
SAME_FRAME = 2.0  # mean grey difference (0-255, 64x64 thumbnails) below which frames match


def frames(data: bytes) -> list[Image.Image]:
    """The different frames of image bytes as shown (upright, RGB), the first
    always; raises crawler.images.ImageRejected for what cannot be decoded.
    A frame that fails to decode ends the animation: the frames before it
    are still read."""
    img = decode(data)
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
        frame = shown_as(img)
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


def _difference(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0])
