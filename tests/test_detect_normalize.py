"""Normalisation: each disguise undone, and every match traceable to raw text."""

import pytest

from crawler.reading.detect.normalize import Variants, normalize, phonetic, plain_form

VARIANTS = Variants(
    {"亭催": "停催", "薇信": "微信", "绿泡泡": "微信", "葆费": "保费", "氵台": "治"}
)


@pytest.mark.parametrize(
    ("raw", "expected", "step"),
    [
        ("当天停&#20652;", "当天停催", "html entities"),
        ("停\u200b催\u2060免\ufeff息\u00ad", "停催免息", "width, invisible and styled characters"),
        ("停\u202e催", "停催", "right-to-left override"),
        ("\u202e催停\u202c找我", "停催找我", "right-to-left override"),
        ("ＶＸ：ＡＢＣ１２３", "vx:abc123", "width, invisible and styled characters"),
        ("業(yè)務(wù)", "业务", "converter pinyin"),
        ("網貸逾期協商", "网贷逾期协商", "traditional"),
        ("幺三八零零一三八零零零", "13800138000", "chinese numerals in numbers"),
        ("電話：一三八 零零一三 八零零零", "电话:138 0013 8000", "chinese numerals in numbers"),
        ("停❤️催", "停催", "separators between han"),
        ("停 催", "停催", "separators between han"),
        ("停*催 停🔥催", "停催停催", "separators between han"),
        ("亭催", "停催", "variant spellings"),
        ("加綠泡泡", "加微信", "variant spellings"),
        ("氵台理逾期", "治理逾期", "variant spellings"),
    ],
)
def test_each_disguise_is_undone(raw: str, expected: str, step: str) -> None:
    norm = normalize(raw, VARIANTS)
    assert norm.text == expected
    assert step in norm.steps


def test_styled_digits_become_digits() -> None:
    assert normalize("9⓿二肆⁹₈③⑸⒋➃㈤㊄❶").text == "9024983544551"


def test_numerals_outside_number_runs_stay_words() -> None:
    assert normalize("一五一十地说，三个月").text == "一五一十地说,三个月"


def test_sentence_punctuation_and_quotes_between_han_are_kept() -> None:
    assert normalize("还款，协商").text == "还款,协商"
    assert normalize("“优化”“债务”").text == "“优化”“债务”"


def test_every_normalised_character_maps_back_to_raw_text() -> None:
    raw = "逾期&amp;先别還，當天停❤️催！加薇信：ＡＢＣ"
    norm = normalize(raw, VARIANTS)
    start = norm.text.index("停催")
    a, b = norm.raw_span(start, start + 2)
    assert raw[a:b] == "停❤️催"
    start = norm.text.index("微信")
    a, b = norm.raw_span(start, start + 2)
    assert raw[a:b] == "薇信"
    a, b = norm.raw_span(0, len(norm.text))
    assert (a, b) == (0, len(raw))


def test_long_text_is_read_in_windows_and_says_so() -> None:
    norm = normalize("停催" * 100, max_chars=50)
    assert norm.truncated and sum(b - a for a, b in norm.windows) == 50
    assert norm.windows[0][0] == 0 and norm.windows[-1][1] == 200  # head and tail
    assert not normalize("停催").truncated


def test_phonetic_forms_keep_latin_and_read_han() -> None:
    full, initials = phonetic(normalize("zx修复，停催").text)
    assert full.text == "zxxiufu|tingcui"
    assert initials.text == "zxxf|tc"
    assert full.span(0, 2) == (0, 2)  # zx
    assert full.span(2, 7) == (2, 4)  # xiufu -> 修复
    assert full.span(3, 7) is None  # iufu starts inside a syllable
    assert initials.span(5, 7) == (5, 7)  # tc -> 停催


def test_plain_form_undoes_only_innocent_differences() -> None:
    assert plain_form("網(wǎng)貸ＡＢ") == "网贷ab"
    assert plain_form("停❤催") == "停❤催"


def test_hostile_input_does_not_break_it() -> None:
    garbage = "".join(chr(c) for c in range(0, 0x3000, 7)) + "\ud800" + "&#xDEAD;&#99999999;"
    norm = normalize(garbage * 3)
    assert len(norm.starts) == len(norm.text) == len(norm.ends)
