"""crawler.reading.frames and evidence.pictures: pictures as a viewer sees them
(upright, flattened, every different frame), on images drawn here."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from crawler.reading import frames as frames_module
from crawler.reading.frames import frames
from crawler.reading.images import ImageRejected
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
    # not one after the other: the writers merge consecutive equal frames themselves
    first, other, again = card(0), card(5), card(0)
    options: dict[str, object] = {"save_all": True, "append_images": [other, again]}
    if fmt == "WEBP":
        options["lossless"] = True
    data = encoded(first, fmt, duration=500, **options)
    with Image.open(io.BytesIO(data)) as img:
        assert img.n_frames == 3
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


def test_a_cut_animation_keeps_the_frames_before_the_cut() -> None:
    """Cut anywhere, a file is either refused or read up to the cut: never an
    error of another kind (Pillow raises struct.error, IndexError, EOFError
    on cut frame headers)."""
    data = encoded(card(0), "GIF", save_all=True, append_images=[card(4), card(8)])
    whole = len(frames(data))
    assert whole == 3
    kept = []
    for end in range(1, len(data)):
        try:
            kept.append(len(frames(data[:end])))
        except ImageRejected:
            continue
    assert kept and min(kept) >= 1 and max(kept) <= whole
    assert 2 in kept  # cut inside the last frame: the first two are read


def _frame_sizes(data: bytes) -> list[int]:
    """Offsets of the width field of each GIF image descriptor (after the 0x2C)."""
    at = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    found = []
    while at < len(data) and data[at] != 0x3B:
        if data[at] == 0x21:  # an extension: label, then sub-blocks
            at += 2
        else:  # 0x2C, an image: descriptor, local palette, LZW code size, sub-blocks
            found.append(at + 5)
            flags = data[at + 9]
            at += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
        while data[at]:
            at += data[at] + 1
        at += 1
    return found


def test_a_later_frame_over_the_pixel_limit_ends_the_animation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = encoded(card(0), "GIF", save_all=True, append_images=[card(6)])
    assert len(frames(data)) == 2
    # the first frame was checked by crawler.reading.images.decode; the next ones here
    monkeypatch.setattr(frames_module, "MAX_PIXELS", 160 * 80 - 1)
    assert len(frames(data)) == 1


def test_a_later_frame_forged_as_a_bomb_ends_the_animation() -> None:
    data = bytearray(encoded(card(0), "GIF", save_all=True, append_images=[card(6)]))
    second = _frame_sizes(bytes(data))[1]
    data[second : second + 4] = (9_000).to_bytes(2, "little") * 2  # 9000 x 9000: 81 MP
    with Image.open(io.BytesIO(bytes(data))) as img:
        img.seek(1)
        assert img.width * img.height > 60_000_000  # Pillow would decode it
    assert len(frames(bytes(data))) == 1


def test_a_small_contact_added_in_a_later_frame_makes_it_different() -> None:
    slogan = Image.new("RGB", (1280, 720), "#c8102e")
    ImageDraw.Draw(slogan).rectangle((100, 100, 1100, 300), fill="#ffe14d")
    contact = slogan.copy()
    ImageDraw.Draw(contact).rectangle((100, 650, 420, 670), fill="white")  # one small line
    data = encoded(slogan, "PNG", save_all=True, append_images=[contact])
    assert len(frames(data)) == 2


def test_a_colour_key_is_transparency_too() -> None:
    """An RGB PNG may name one colour transparent (tRNS): black keyed out,
    near-black ink on it shows on white, as a page would show it."""
    img = Image.new("RGB", (60, 30), (0, 0, 0))
    ImageDraw.Draw(img).rectangle((10, 10, 30, 20), fill=(8, 8, 8))
    [shown] = frames(encoded(img, "PNG", transparency=(0, 0, 0)))
    assert shown.getpixel((50, 5)) == (255, 255, 255)
    assert shown.getpixel((20, 15)) == (8, 8, 8)


def test_what_cannot_be_decoded_is_still_rejected() -> None:
    with pytest.raises(ImageRejected, match="not_image"):
        frames(b"<html>no picture</html>")
    with pytest.raises(ImageRejected, match="corrupt_image"):
        frames(encoded(marked(), "PNG")[:120])
