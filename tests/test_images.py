import io

import pytest
from PIL import Image

from crawler.reading.images import MAX_PIXELS, ImageRejected, inspect


def png(width: int = 40, height: int = 20) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, "PNG")
    return buf.getvalue()


def test_good_image_gets_hash_and_content_path():
    data = png()
    facts = inspect(data)
    assert (facts.format, facts.width, facts.height, facts.size) == ("PNG", 40, 20, len(data))
    assert facts.path == f"images/{facts.sha256[:2]}/{facts.sha256[2:4]}/{facts.sha256}.png"
    assert inspect(data) == facts  # same bytes, same place: stored once


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty_image"),
        (png()[:60], "corrupt_image"),
        (b"<!DOCTYPE html><html>captcha</html>", "not_image"),
        (b"\x00\x01garbage" * 10, "not_image"),
    ],
)
def test_bad_bytes_are_rejected_with_a_reason(data, reason):
    with pytest.raises(ImageRejected) as info:
        inspect(data)
    assert info.value.reason == reason


def test_decompression_bomb_is_refused_before_decoding():
    side = int(MAX_PIXELS**0.5) + 100
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, "PNG")  # a few KB on disk
    assert len(buf.getvalue()) < 2_000_000
    with pytest.raises(ImageRejected) as info:
        inspect(buf.getvalue())
    assert info.value.reason == "decompression_bomb"
