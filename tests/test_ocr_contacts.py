"""Contacts that survive OCR, end to end: an ad image drawn here, read by the
real rapidocr engine, its text scored as the pipeline scores it (field
image:<sha>), and the contact checked against what the image says.

The recogniser does not give back the digits drawn: ⓪ comes out as the
letter O, ⑴ as "(1)", a capital I or Z in a digit group stays a letter.
These are the writings detection has to read as numbers.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image, ImageDraw, ImageFont

from crawler.items import AdRecord, ImageRef
from crawler.reading.detect import detect
from crawler.reading.ocr import engine, read_image

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
pytestmark = pytest.mark.slow


def ad_image(contact_line: str) -> bytes:
    """A pitch and a contact line in red on cream, 28 px Noto Sans CJK SC."""
    font = ImageFont.truetype(FONT, 28, index=2)
    img = Image.new("RGB", (640, 116), "#fff4d6")
    draw = ImageDraw.Draw(img)
    for n, line in enumerate(["当天停催 协商还款 不成功退款", contact_line]):
        draw.text((16, 10 + n * 48), line, font=font, fill="#b00000")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def contacts_of(image: bytes) -> tuple[str, list[tuple[str, str, str]]]:
    """What OCR read, and the contacts detection finds in it as (kind,
    normalised value, field)."""
    reading = read_image(image, engine("rapidocr"))
    assert not reading.error
    sha = hashlib.sha256(image).hexdigest()
    record = AdRecord(
        channel="market",
        platform="demo-xianyu",
        url="http://127.0.0.1/item?id=7",
        title="资料",
        images=[ImageRef(url="http://127.0.0.1/a.png", sha256=sha, ocr={"text": reading.text})],
    )
    detect(record)
    return reading.text, [(c.kind, c.normalized, c.field) for c in record.contacts]


@pytest.mark.parametrize(
    ("drawn", "kind", "value"),
    [
        ("联系①⑧O⑥②⑤⑦③①⑨④", "phone", "18062573194"),  # a letter O among circled digits
        ("联系①⑦⓪④⑦⑦③①⑤⑥⑧", "phone", "17047731568"),  # ⓪, read as the letter O
        ("电话：⑴⑦⑴⑤⓪⑧③⑥⑥②⑦", "phone", "17150836627"),  # ⑴, read as (1)
        ("电话 ⑴⑦⑴⑤O⑧③⑥⑥②⑦", "phone", "17150836627"),  # ⑴ and a letter O
        ("电话 I39 8O13 5Z84", "phone", "13980135284"),  # I and Z in digit groups
        ("QQ ⑧⓪⑤①②③④⑦", "qq", "80512347"),  # ⓪ read as O after a QQ label
    ],
)
def test_a_contact_drawn_with_look_alikes_comes_out_of_the_pipeline(
    drawn: str, kind: str, value: str
) -> None:
    text, contacts = contacts_of(ad_image(drawn))
    assert (kind, value) in [(k, v) for k, v, _ in contacts], text
    assert all(field.startswith("image:") for _, _, field in contacts)
