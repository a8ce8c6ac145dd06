"""Masking third parties in the rendered dossier: phones, accounts, ID and bank
numbers, cued names in text; faces and text lines in pictures.

Real Pillow, real OpenCV, real OCR.  No face photograph ships in any
installed package here, so the face tests use a schematic face drawn below
(hair, brows, eyes, nose, mouth, blurred) that OpenCV's own cascade finds,
and the same drawing without eyes, nose and mouth as the control it must not
find.  The caller's OCR is a plain function returning boxes, or the real
engine from crawler.reading.ocr.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from evidence.dossier.redact import (
    FILL,
    KINDS,
    ImageNotChecked,
    Masked,
    masked_summary,
    redact_image,
    redact_text,
)

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
PHONE = "13912345678"
BLACK = tuple((v, v) for v in FILL)  # getextrema() of an all-FILL region


def _id_check(body: str) -> str:
    """GB 11643 check character, written out here independently of the module."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def _luhn_complete(body: str) -> str:
    for last in "0123456789":
        digits = [int(c) for c in reversed(body + last)]
        doubled = [d if i % 2 == 0 else d * 2 - 9 * (d > 4) for i, d in enumerate(digits)]
        total = sum(doubled)
        if total % 10 == 0:
            return body + last
    raise AssertionError


ID_OK = "11010519491231002" + _id_check("11010519491231002")  # GB 11643's own example
ID_BAD_CHECK = ID_OK[:17] + ("0" if ID_OK[17] != "0" else "1")
ID_BAD_DATE = "11010519491331002" + _id_check("11010519491331002")  # month 13
CARD_OK = _luhn_complete("622202123456789012")  # 19 digits, UnionPay
CARD_BAD = CARD_OK[:-1] + str((int(CARD_OK[-1]) + 1) % 10)
VIDEO_ID = _luhn_complete("730123456789012345")  # Luhn-valid, but a video id


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


def no_value_in(masked: list[Masked], *values: str) -> bool:
    said = " ".join(f"{m.kind} {m.where} {m.shown_as} {m.why}" for m in masked)
    return not any(v in said or v in digits_of(said) for v in values)


# --- text: secrets -----------------------------------------------------------

WRITTEN = [
    "13912345678",
    "139-1234-5678",
    "139 1234 5678",
    "139.1234.5678",
    "+86 139 1234 5678",
    "8613912345678",
    "１３９１２３４５６７８",
    "幺三九一二三四五六七八",
    "139\u200b1234\u200b5678",
    "139\x001234\x1b5678",
]


@pytest.mark.parametrize("written", WRITTEN)
@pytest.mark.parametrize("secret", ["13912345678", "139-1234-5678", "+86 139 1234 5678"])
def test_a_phone_secret_is_masked_however_it_is_written(written: str, secret: str) -> None:
    text = f"评论：我借了网贷，电话{written}，求助"
    shown, masked = redact_text(text, [secret], "comments")
    assert shown == "评论：我借了网贷，电话139****5678，求助"
    assert [(m.kind, m.shown_as) for m in masked] == [("phone", "139****5678")]
    assert masked[0].why.startswith("评论区第三人电话号码")
    assert "个人信息保护法第6条" in masked[0].why
    assert no_value_in(masked, PHONE, "1234")


def test_wechat_and_qq_secrets_any_case_or_width_only_as_whole_ids() -> None:
    text = "求助 vx：ZhangSan_99 或 ｚｈａｎｇｓａｎ＿９９，QQ 2468013，另一人 zhangsan_990"
    shown, masked = redact_text(text, ["zhangsan_99", "2468013"], "comments")
    assert shown == "求助 vx：[已遮挡] 或 [已遮挡]，QQ [已遮挡]，另一人 zhangsan_990"
    assert [m.kind for m in masked] == ["wechat", "wechat", "qq"]
    # the caller may say what a number is (an 8-digit landline, not a QQ)
    _, masked = redact_text("座机 8765 4321", [("phone", "87654321")], "comments")
    assert [m.kind for m in masked] == ["phone"]


def test_the_advertisers_own_contacts_stay_visible() -> None:
    ad = "当天停催，加V: tc_8888，电话13800138000（微信同号）。评论：我试了，我电话13912345678"
    shown, masked = redact_text(ad, [PHONE], "text")
    assert "tc_8888" in shown and "13800138000" in shown
    assert "13912345678" not in shown and len(masked) == 1


def test_a_secret_is_not_masked_inside_a_longer_number() -> None:
    text = "订单号 91391234567801，电话 13912345678"
    shown, masked = redact_text(text, [PHONE], "comments")
    assert shown == "订单号 91391234567801，电话 139****5678"
    assert len(masked) == 1


def test_a_secret_too_short_to_mask_safely_is_refused() -> None:
    for secret in ["1234", "王", " ", ""]:
        with pytest.raises(ValueError):
            redact_text("价格1234元", [secret], "comments")
    with pytest.raises(ValueError):
        redact_text("x", [("email", "a@b.cn")], "comments")


# --- text: always masked ---------------------------------------------------------


def test_id_numbers_are_masked_only_with_a_valid_date_and_checksum() -> None:
    spaced = f"{ID_OK[:6]} {ID_OK[6:14]} {ID_OK[14:]}"
    text = f"身份证{ID_OK}，另{spaced}；错号{ID_BAD_CHECK} {ID_BAD_DATE}"
    shown, masked = redact_text(text, [], "comments")
    assert shown == f"身份证[已遮挡]，另[已遮挡]；错号{ID_BAD_CHECK} {ID_BAD_DATE}"
    assert [m.kind for m in masked] == ["id_card", "id_card"]
    assert "第28条" in masked[0].why
    assert no_value_in(masked, ID_OK, ID_OK[:14])


def test_bank_cards_are_masked_only_when_luhn_holds_and_they_are_not_ids() -> None:
    grouped = " ".join(CARD_OK[i : i + 4] for i in range(0, len(CARD_OK), 4))
    text = (
        f"卡号{CARD_OK}，写开了是{grouped}。错一位{CARD_BAD}；"
        f"视频 https://v.example.cn/video/{VIDEO_ID} 作品{VIDEO_ID}"
    )
    shown, masked = redact_text(text, [], "comments")
    assert shown == (
        f"卡号[已遮挡]，写开了是[已遮挡]。错一位{CARD_BAD}；"
        f"视频 https://v.example.cn/video/{VIDEO_ID} 作品{VIDEO_ID}"
    )
    assert [m.kind for m in masked] == ["bank_card", "bank_card"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("我叫张三，欠了二十万", "我叫张*，欠了二十万"),
        ("姓名：李四 电话另说", "姓名：李* 电话另说"),
        ("名字:王小明。", "名字:王*。"),
        ("本人欧阳娜娜，求助", "本人欧阳*，求助"),
    ],
)
def test_a_name_after_an_explicit_cue_keeps_only_the_surname(text: str, shown: str) -> None:
    out, masked = redact_text(text, [], "comments")
    assert out == shown
    assert [m.kind for m in masked] == ["name"]
    assert no_value_in(masked, "张三", "李四", "小明", "娜娜")


@pytest.mark.parametrize(
    "text",
    [
        "本人承诺，不成功退款",
        "本人曾逾期，现已上岸",
        "本人亲测有效",
        "本人单身，",
        "本人马上，",
        "我叫王律师，专业协商",
        "本人王某，",
        "张三说当天停催",  # no cue
        "我叫王小明今年三十",  # no boundary after the name: left alone, on purpose
        "姓名栏不用填",
    ],
)
def test_names_are_masked_conservatively(text: str) -> None:
    assert redact_text(text, [], "text") == (text, [])


def test_kept_values_are_the_advertisers_and_never_masked() -> None:
    ad = f"转账至{CARD_OK}，联系人：本人李四，"
    shown, masked = redact_text(ad, [], "text", keep=[CARD_OK, "李四"])
    assert (shown, masked) == (ad, [])
    with pytest.raises(ValueError):
        redact_text(ad, [PHONE], "text", keep=["139-1234-5678"])


def test_hostile_text_stays_fast_and_control_characters_pass_through() -> None:
    chunk = (
        "当天停催\x00\x1b[31m 1 2 3 4 5 6 7 8 9 0 我叫我叫 \u202e"
        f"11111111111111111111 https://x.cn/{VIDEO_ID} 电话139-1234-5678 "
    )
    text = (chunk * (1_000_000 // len(chunk) + 1))[:1_000_000]
    secrets = [f"1381234{n:04d}" for n in range(40)] + [PHONE, "wx_abcdef", "李四同学"]
    started = time.perf_counter()
    shown, masked = redact_text(text, secrets, "comments")
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, elapsed  # 0.2-0.4 s here
    assert "\x00\x1b[31m" in shown and "\u202e" in shown
    assert "1234-5678" not in shown and len(masked) == text.count("139-1234-5678")
    for pathological in ["1" * 1_000_000, "1 " * 500_000, "我叫" * 500_000, "-" * 1_000_000]:
        started = time.perf_counter()
        redact_text(pathological, secrets, "comments")
        assert time.perf_counter() - started < 3.0


def test_masked_rejects_unknown_kinds_and_the_summary_counts_by_place() -> None:
    with pytest.raises(ValueError):
        Masked("email", "text", "[已遮挡]", "")
    two = "我电话13912345678，另一个13912340000"
    _, in_comments = redact_text(two, [PHONE, "13912340000"], "comments")
    _, in_text = redact_text(f"身份证{ID_OK}", [], "text")
    face = Masked("face", "screenshot.png", "[黑色色块]", "x")
    lines = masked_summary([*in_comments, *in_text, face])
    assert lines[0] == "已遮挡：评论区第三人电话号码 2 处；正文身份证号 1 处；网页截图中人脸 1 处"
    assert any("第28条" in line for line in lines)
    assert "封存原件" in lines[-1]
    assert masked_summary([]) == ["未遮挡任何内容。"]
    assert set(KINDS) >= {m.kind for m in [*in_comments, *in_text, face]}


# --- pictures -------------------------------------------------------------------


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size, index=2)


def encode(img: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def banner(lines: list[str], size: int = 28, width: int = 640) -> Image.Image:
    img = Image.new("RGB", (width, 20 + len(lines) * (size + 20)), "#fff4d6")
    draw = ImageDraw.Draw(img)
    for n, line in enumerate(lines):
        draw.text((16, 10 + n * (size + 20)), line, font=font(size), fill="#b00000")
    return img


def text_box(line: str, n: int, size: int = 28) -> list[list[int]]:
    """The four corners of banner line n, as an OCR engine reports them."""
    x0, y0, x1, y1 = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox(
        (16, 10 + n * (size + 20)), line, font=font(size)
    )
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def digits_region(line: str, part: str, n: int, size: int = 28) -> tuple[int, int, int, int]:
    """Where ``part`` of banner line n was drawn."""
    at = line.index(part)
    left = 16 + font(size).getlength(line[:at])
    right = 16 + font(size).getlength(line[: at + len(part)])
    top, bottom = text_box(line, n, size)[0][1], text_box(line, n, size)[2][1]
    return int(left), top, int(right) + 1, bottom


def schematic_face(side: int, features: bool = True) -> Image.Image:
    """Hair, face, brows, eyes, nose and mouth, blurred like a photo."""
    img = Image.new("L", (240, 240), 200)
    d = ImageDraw.Draw(img)
    d.ellipse([40, 10, 200, 120], fill=40)
    d.ellipse([50, 30, 190, 230], fill=170)
    if features:
        d.rectangle([70, 80, 110, 88], fill=60)
        d.rectangle([130, 80, 170, 88], fill=60)
        for x0 in (72, 130):  # eyes: white with a dark iris (the eye cascade looks for it)
            d.ellipse([x0, 96, x0 + 38, 118], fill=235)
            d.ellipse([x0 + 12, 99, x0 + 26, 115], fill=30)
        d.polygon([(120, 110), (108, 160), (132, 160)], fill=150)
        d.ellipse([112, 150, 128, 162], fill=100)
        d.ellipse([95, 180, 145, 196], fill=80)
    img = img.filter(ImageFilter.GaussianBlur(4)).resize((side, side))
    return img.convert("RGB")


def photo_with_face(features: bool = True) -> Image.Image:
    img = Image.new("RGB", (640, 420), (230, 230, 230))
    ImageDraw.Draw(img).text((300, 40), "上岸了！", font=font(40), fill="#c00000")
    img.paste(schematic_face(240, features), (40, 90))
    return img


OcrLines = list[tuple[str, list[list[int]]]]


def fixed_ocr(lines: OcrLines) -> Callable[[bytes], OcrLines]:
    """The caller's OCR, reduced to what it returns."""

    def find_text(_data: bytes) -> OcrLines:
        return lines

    return find_text


def test_the_secrets_part_of_an_ocr_line_is_filled() -> None:
    lines = ["当天停催 加V: tc_8888", "评论：我的电话13912345678"]
    data = encode(banner(lines))
    ocr = fixed_ocr([(line, text_box(line, n)) for n, line in enumerate(lines)])
    out, masked = redact_image(data, ["139-1234-5678"], "images/02-ab12.png", ocr, faces=False)
    img = Image.open(io.BytesIO(out))
    assert img.format == "PNG" and img.size == (640, 116)
    assert img.crop(digits_region(lines[1], PHONE, 1)).getextrema() == BLACK
    # the ad's line and the start of the comment are evidence: still there
    assert img.crop(text_box(lines[0], 0)[0] + text_box(lines[0], 0)[2]).getextrema() != BLACK
    assert img.crop(digits_region(lines[1], "评论", 1)).getextrema() != BLACK
    assert [(m.kind, m.where, m.shown_as) for m in masked] == [
        ("phone", "images/02-ab12.png", "[黑色色块]")
    ]
    assert masked[0].why.startswith("图片 images/02-ab12.png 中第三人电话号码")


def test_a_number_ocr_misread_is_still_caught_and_its_whole_line_filled() -> None:
    lines = ["当天停催", "评论：我的电话13912345678"]
    data = encode(banner(lines))
    box = text_box(lines[1], 1)
    ocr = fixed_ocr([("当天停催", text_box(lines[0], 0)), ("评论：我的电话l39l2345678", box)])
    out, masked = redact_image(data, [PHONE], "shot.png", ocr, faces=False)
    img = Image.open(io.BytesIO(out))
    assert img.crop(box[0] + box[2]).getextrema() == BLACK
    assert [m.kind for m in masked] == ["text_in_image"]


def test_a_picture_with_nothing_to_mask_comes_back_byte_for_byte() -> None:
    data = encode(banner(["当天停催", "电话13800138000"]))
    ocr = fixed_ocr([("电话13800138000", text_box("电话13800138000", 1))])
    assert redact_image(data, [PHONE], "images/a.png", ocr) == (data, [])
    # a box outside the picture hides nothing there is to see
    ocr = fixed_ocr([(PHONE, [[900, 900], [990, 900], [990, 930], [900, 930]])])
    assert redact_image(data, [PHONE], "images/a.png", ocr, faces=False) == (data, [])


@pytest.mark.parametrize(
    "lines",
    [[(PHONE, [[0, 0], [10, 0]])], [(PHONE, [["a", 0]] * 4)], [(PHONE,)], [None]],
)
def test_ocr_output_without_usable_boxes_leaves_the_picture_unchecked(lines: OcrLines) -> None:
    with pytest.raises(ImageNotChecked) as caught:
        redact_image(encode(banner(["停催"])), [PHONE], "images/a.png", fixed_ocr(lines))
    assert caught.value.reason == "ocr_failed"


def test_a_face_is_filled_solid_and_a_photo_stays_a_jpeg() -> None:
    data = encode(photo_with_face(), "JPEG", quality=90)
    out, masked = redact_image(data, [], "images/03-cd34.jpg")
    img = Image.open(io.BytesIO(out))
    assert img.format == "JPEG" and img.size == (640, 420)
    assert [(m.kind, m.shown_as) for m in masked] == [("face", "[黑色色块]")]
    assert "第28条" in masked[0].why
    eyes_to_mouth = (40 + 75, 90 + 98, 40 + 165, 90 + 196)
    # black but for JPEG ringing: nothing of the face is left
    assert img.convert("L").crop(eyes_to_mouth).getextrema()[1] <= 12
    assert img.crop((300, 40, 460, 90)).convert("L").getextrema()[1] > 200  # the caption stays


def test_no_face_is_found_in_the_same_drawing_without_features_or_in_ad_banners() -> None:
    for img in [
        photo_with_face(features=False),
        banner(["征信修复 包过 不成功退款", "加V zhengxin_ok 电话13800138000"] * 3, size=36),
    ]:
        data = encode(img)
        assert redact_image(data, [], "images/x.png") == (data, [])
    assert redact_image(encode(photo_with_face()), [], "x.png", faces=False)[1] == []


def test_an_exif_rotated_photo_is_checked_and_shown_upright() -> None:
    sideways = photo_with_face().rotate(90, expand=True)  # stored turned, EXIF says turn back
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(sideways, "JPEG", quality=90, exif=exif.tobytes())
    seen: list[tuple[int, int]] = []

    def ocr(payload: bytes) -> OcrLines:
        seen.append(Image.open(io.BytesIO(payload)).size)
        return []

    out, masked = redact_image(data, [], "images/r.jpg", ocr)
    assert Image.open(io.BytesIO(out)).size == (640, 420) == seen[0]
    assert [m.kind for m in masked] == ["face"]


def test_real_ocr_finds_the_phone_in_a_banner_and_cannot_read_it_afterwards() -> None:
    from crawler.reading.ocr import engine, read_image

    ocr = engine()

    def find_text(data: bytes) -> OcrLines:
        return [(line.text, line.box) for line in read_image(data, ocr).lines]

    lines = ["当天停催 不成功退款", "评论：我的电话13912345678"]
    data = encode(banner(lines))
    assert PHONE in "".join(t for t, _ in find_text(data)).replace(" ", "")
    out, masked = redact_image(data, [PHONE], "images/04.png", find_text)
    img = Image.open(io.BytesIO(out))
    assert img.crop(digits_region(lines[1], PHONE, 1)).getextrema() == BLACK
    again = "".join(t for t, _ in find_text(out)).replace(" ", "")
    assert "当天停催" in again and "评论" in again
    assert not re.search(r"\d{4}", again.replace("当天停催", "")), again
    assert [m.kind for m in masked] == ["phone"]


def test_light_text_on_transparency_is_shown_on_black_as_ocr_read_it() -> None:
    """White ink on a transparent picture (stored over white, as some tools
    write it): on a white page it shows nothing; OCR and the exhibit both lay
    it on black, and the third party's number is masked there."""
    from crawler.reading.ocr import engine, read_image

    ocr = engine()

    def find_text(data: bytes) -> OcrLines:
        return [(line.text, line.box) for line in read_image(data, ocr).lines]

    lines = ["当天停催 不成功退款", "评论：我的电话13912345678"]
    img = Image.new("RGBA", (640, 20 + len(lines) * 48), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    for n, line in enumerate(lines):
        draw.text((16, 10 + n * 48), line, font=font(28), fill=(255, 255, 255, 255))
    out, masked = redact_image(encode(img), [PHONE], "images/05.png", find_text)
    shown = Image.open(io.BytesIO(out)).convert("RGB")
    assert shown.getpixel((630, 5)) == (0, 0, 0)
    assert shown.crop((16, 10, 300, 40)).convert("L").getextrema()[1] > 200  # the slogan
    assert [m.kind for m in masked] == ["phone"]
    again = "".join(t for t, _ in find_text(out)).replace(" ", "")
    assert "当天停催" in again and PHONE not in again
    # with nothing to mask it is still shown on black, not as stored (white on a white page)
    data = encode(img)
    out, masked = redact_image(data, [], "images/06.png", find_text, faces=False)
    assert out != data and not masked
    assert Image.open(io.BytesIO(out)).convert("RGB").getpixel((630, 5)) == (0, 0, 0)
    # dark ink on transparency is shown as stored: on a white page it reads as OCR read it
    dark = Image.new("RGBA", (200, 60), (0, 0, 0, 0))
    ImageDraw.Draw(dark).text((10, 10), "停催", font=font(28), fill=(0, 0, 0, 255))
    assert redact_image(encode(dark), [], "images/07.png", find_text, faces=False) == (
        encode(dark),
        [],
    )


def _bomb() -> bytes:
    return encode(Image.new("1", (9_000, 9_000)))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty_image"),
        (b"<html><body>not a picture</body></html>", "not_image"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not_image"),
        (encode(banner(["停催"]))[:300], "corrupt_image"),
        (encode(banner(["停催"]), "JPEG")[:-400], "corrupt_image"),
        (_bomb(), "decompression_bomb"),
    ],
)
def test_a_picture_that_cannot_be_checked_is_refused_with_a_note(data: bytes, reason: str) -> None:
    with pytest.raises(ImageNotChecked) as caught:
        redact_image(data, [PHONE], "images/05.jpg")
    assert caught.value.reason == reason
    assert caught.value.note.startswith("未能检查图片 images/05.jpg 中的个人信息")
    assert "未在卷宗中展示" in caught.value.note


def test_an_ocr_failure_leaves_the_picture_unchecked() -> None:
    def broken(_data: bytes) -> OcrLines:
        raise RuntimeError("onnxruntime died")

    with pytest.raises(ImageNotChecked) as caught:
        redact_image(encode(banner(["停催"])), [PHONE], "截图", broken)
    assert caught.value.reason == "ocr_failed"
    assert caught.value.note.startswith("未能检查网页截图中的个人信息（文字识别失败）")


def test_a_glyph_the_face_cascade_takes_for_a_face_is_not_masked() -> None:
    """On an 800-px banner the face cascade alone took 话 for a face and hid
    part of the ad; a face must also show an eye."""
    img = Image.new("RGB", (800, 562), "#ffffff")
    draw = ImageDraw.Draw(img)
    draw.rectangle([162, 144, 612, 444], fill="#c8102e")
    draw.text((182, 176), "催收电话", font=font(48), fill="#ffd84d")
    draw.text((182, 240), "自动应答", font=font(48), fill="#ffd84d")
    data = encode(img)
    assert redact_image(data, [], "截图") == (data, [])
