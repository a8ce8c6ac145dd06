"""The OCR cascade (crawler/reading/ocr.py): the tiny models read every line, the
small recogniser reads again what the tiny one may have got wrong.  What is
read again, that a run of digits and letters is never cut inside, that a
failed re-read keeps the first reading, and real readings of drawn banners
by both settings."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont

from crawler.reading import ocr
from crawler.reading.detect import load_rules
from crawler.reading.detect.score import assess
from crawler.reading.lookalike import Glyph
from crawler.reading.ocr import RapidEngine, Recognised, read_image

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def reading(text: str, odds: dict[int, float] | None = None) -> Recognised:
    """A tiny recogniser's reading of ``text``, sure of every character but
    those given in ``odds`` (glyph index: probability)."""
    glyphs = [Glyph(c, 2 * k, 2 * k) for k, c in enumerate(text)]
    sure = [(odds or {}).get(k, 0.99) for k in range(len(text))]
    return Recognised(glyphs, sure, None, None, 0, 0)


def test_a_line_of_sure_chinese_and_sure_digits_is_not_read_again() -> None:
    assert ocr._doubts(reading("协商还款，立省8000元")) == []


def test_an_unsure_chinese_character_sends_the_whole_line_again() -> None:
    assert ocr._doubts(reading("逾期先别还", {2: ocr.SURE - 0.1})) is None
    assert ocr._doubts(reading("逾期先别还", {2: ocr.SURE + 0.01})) == []


def test_a_run_of_letters_and_digits_is_read_again_whole_with_a_neighbour_each_side() -> None:
    text = "加微信ab_12好"
    assert ocr._doubts(reading(text)) == [(text.index("信"), text.index("好"))]


def test_a_qq_number_is_never_cut_between_its_digits() -> None:
    """The letters make the run doubtful, and its sure digits go with them:
    a cut between two digits can leave half a glyph in the window."""
    text = "立省8000元QQ2215666670"
    assert ocr._doubts(reading(text)) == [(text.index("元"), len(text) - 1)]


def test_an_unsure_digit_makes_its_run_doubtful() -> None:
    text = "电话13800138000"
    assert ocr._doubts(reading(text)) == []
    assert ocr._doubts(reading(text, {5: ocr.SURE - 0.2})) == [(1, len(text) - 1)]


def test_runs_that_meet_are_read_as_one() -> None:
    text = "AI接V"  # 接 is the neighbour of both runs
    assert ocr._doubts(reading(text)) == [(0, 3)]


class Broken:
    """A recogniser whose every call fails (a model file gone bad)."""

    rec_image_shape = (3, 48, 320)

    def resize_norm_img(self, *_args: object) -> None:
        raise RuntimeError("model failed")


def test_a_failed_re_read_keeps_the_first_reading() -> None:
    import numpy as np

    first = reading("微信ab_12")
    crop = np.full((30, 200, 3), 255, dtype=np.uint8)
    text, score = ocr.cascade(Broken(), crop, first, None, True)
    assert (text, score) == ("微信ab_12", first.score)


def png(lines: list[str], size: int = 26, ground: str = "#ffffff") -> bytes:
    font = ImageFont.truetype(FONT, size, index=2)
    width = 40 + max(int(font.getlength(line)) for line in lines)
    img = Image.new("RGB", (width, 24 + len(lines) * (size + 18)), ground)
    draw = ImageDraw.Draw(img)
    for n, line in enumerate(lines):
        draw.text((20, 12 + n * (size + 18)), line, font=font, fill="#1a1a6e")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def contacts(text: str) -> set[tuple[str, str]]:
    verdict = assess({"image:test": text}, load_rules())
    return {(c.kind, c.normalized.lower()) for _field, c in verdict.contacts}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lines", "wanted"),
    [
        (["协商还款，立省8000元", "QQ 2215666670"], ("qq", "2215666670")),
        (["AI接听助手，催收自动应答", "微信 wzhlcd_46"], ("wechat", "wzhlcd_46")),
        (["逾期先别还，当天停催", "电话 17713264950"], ("phone", "17713264950")),
    ],
)
def test_the_cascade_reads_a_banner_and_its_contact_as_the_small_models_do(
    lines: list[str], wanted: tuple[str, str]
) -> None:
    image = png(lines)
    fast = read_image(image, RapidEngine(cascade=True))
    slow = read_image(image, RapidEngine(cascade=False))
    assert not fast.error and not slow.error
    assert wanted in contacts(fast.text), fast.text
    assert wanted in contacts(slow.text), slow.text
    assert lines[0].replace("，", ",") in fast.text.replace("，", ",")


@pytest.mark.slow
def test_the_small_recogniser_reads_only_what_the_tiny_one_may_have_got_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two slogans and an ID: the slogans stand as the tiny model read
    them, the ID's run is read again by the small model, alone."""
    reader = RapidEngine(cascade=True)
    small = reader._small._load_rec_model()
    widths: list[int] = []
    read_alone = ocr.read_alone

    def counted(rec: object, crop: object, pad: bool = True) -> Recognised:
        if rec is small:
            widths.append(crop.shape[1])  # type: ignore[attr-defined]
        return read_alone(rec, crop, pad)

    monkeypatch.setattr(ocr, "read_alone", counted)
    done = read_image(png(["征信修复，不成功退款", "全额退保，三天到账", "微信 mwfqg_80"]), reader)
    assert "mwfqg_80" in done.text and "全额退保" in done.text
    assert len(widths) == 1, widths  # the ID's run, not the slogans
    assert widths[0] < 0.8 * max(ln.box[1][0] - ln.box[0][0] for ln in done.lines)


def test_the_setting_before_the_cascade_stays_one_call_away() -> None:
    assert ocr.engine("rapidocr", cascade=False) is not ocr.engine("rapidocr")
    assert ocr.engine("rapidocr", cascade=False).cascade is False  # type: ignore[attr-defined]


def box(x0: int, y0: int, x1: int, y1: int, rise: int = 0) -> list[list[int]]:
    """A line box, its right end ``rise`` pixels higher (a tilted line)."""
    return [[x0, y0], [x1, y0 - rise], [x1, y1 - rise], [x0, y1]]


def test_the_pieces_of_one_row_read_left_to_right() -> None:
    """The tiny detector cut "QQ 409820398" in two; the number's box stood a
    pixel higher, and by top edges alone it came first."""
    lines = [
        ocr.Line("409820398", box(70, 51, 240, 79), 0.99),
        ocr.Line("全额退保", box(20, 12, 200, 40), 0.99),
        ocr.Line("QQ", box(20, 52, 60, 80), 0.99),
    ]
    assert [ln.text for ln in ocr.reading_order(lines)] == ["全额退保", "QQ", "409820398"]


def test_tilted_lines_stay_rows_of_their_own() -> None:
    """Tilted 5 degrees, a 600 px line's bounding box is 80 px high and holds
    the start of the next line down; each is still a row."""
    first = ocr.Line("第一行", box(20, 60, 620, 90, rise=52), 0.99)
    second = ocr.Line("第二行", box(20, 110, 620, 140, rise=52), 0.99)
    assert [ln.text for ln in ocr.reading_order([second, first])] == ["第一行", "第二行"]
