"""crawler.frames and evidence.pictures: pictures as a viewer sees them
(upright, flattened, every different frame), on images drawn here."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from crawler import frames as frames_module
from crawler.frames import frames
from crawler.images import ImageRejected
from evidence.pictures import flatten


def encoded(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def marked(size: tuple[int, int] = (120, 60)) -> Image.Image:
    """A picture whose top-left corner is black and the rest white: which way
    up it is shows in one pixel."""
    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).rectangle((0, 0, 19, 9), fill="black")
    return img


def card(n: int) -> Image.Image:
    """An animation frame that differs from the others: a bar at its own place."""
    img = Image.new("RGB", (160, 80), "white")
    ImageDraw.Draw(img).rectangle((n * 12, 10, n * 12 + 10, 70), fill="black")
    return img


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_an_exif_orientation_is_turned_upright(orientation: int) -> None:
    upright = marked()
    stored = {
        3: Image.Transpose.ROTATE_180,
        6: Image.Transpose.ROTATE_90,  # stored turned left; the tag says turn right
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(upright.transpose(stored), "PNG", exif=exif)
    [shown] = frames(data)
    assert shown.size == upright.size
    assert shown.getpixel((2, 2)) == (0, 0, 0)
    assert shown.getpixel((shown.width - 3, shown.height - 3)) == (255, 255, 255)


def test_dark_ink_on_transparency_goes_on_white_and_light_ink_on_black() -> None:
    for ink, backdrop in (((0, 0, 0, 255), (255, 255, 255)), ((255, 255, 255, 255), (0, 0, 0))):
        # what is stored under full transparency is black in the first case
        # (as most tools write it) and white in the second: the naive flattening
        # would give ink on ink both times
        hidden = (0, 0, 0, 0) if ink[0] == 0 else (255, 255, 255, 0)
        img = Image.new("RGBA", (100, 40), hidden)
        ImageDraw.Draw(img).rectangle((10, 10, 40, 30), fill=ink)
        shown = flatten(img)
        assert shown.mode == "RGB"
        assert shown.getpixel((80, 5)) == backdrop
        assert shown.getpixel((20, 20)) == ink[:3]


def test_an_opaque_alpha_channel_and_a_wholly_clear_picture() -> None:
    solid = Image.new("RGBA", (10, 10), (200, 10, 10, 255))
    assert flatten(solid).getpixel((5, 5)) == (200, 10, 10)
    clear = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert flatten(clear).getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_each_different_frame_of_an_animation_is_kept_once(fmt: str) -> None:
    first, again, other = card(0), card(0), card(5)
    options: dict[str, object] = {"save_all": True, "append_images": [again, other]}
    if fmt == "WEBP":
        options["lossless"] = True
    data = encoded(first, fmt, duration=500, **options)
    shown = frames(data)
    assert len(shown) == 2  # the repeated first frame is read once
    assert shown[0].getpixel((5, 40)) == (0, 0, 0)
    assert shown[1].getpixel((65, 40)) == (0, 0, 0)
    assert shown[1].getpixel((5, 40)) == (255, 255, 255)


def test_a_long_animation_is_read_within_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encoded(card(0), "GIF", save_all=True, append_images=[card(n) for n in range(1, 12)])
    assert len(frames(data)) == frames_module.MAX_FRAMES
    # the pixel budget stops it too: room for the first frame and two more
    monkeypatch.setattr(frames_module, "FRAME_PIXELS", 3 * 160 * 80)
    assert len(frames(data)) == 3


def test_a_truncated_animation_keeps_the_frames_before_the_cut() -> None:
    data = encoded(card(0), "GIF", save_all=True, append_images=[card(4), card(8)])
    cut = data[: len(data) - 60]  # into the last frame
    shown = frames(cut)
    assert 1 <= len(shown) <= 2
    assert shown[0].getpixel((5, 40)) == (0, 0, 0)


def test_what_cannot_be_decoded_is_still_rejected() -> None:
    with pytest.raises(ImageRejected, match="not_image"):
        frames(b"<html>no picture</html>")
    with pytest.raises(ImageRejected, match="corrupt_image"):
        frames(encoded(marked(), "PNG")[:120])
