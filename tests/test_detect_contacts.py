"""Contacts: every writing of a number or ID gives the same normalised value."""

import pytest

from crawler.reading.detect import score_text
from crawler.reading.detect.contacts import extract, normalize_url
from crawler.reading.detect.rules import load_rules


def found(text: str) -> list[tuple[str, str]]:
    rules = load_rules()
    return [(c.kind, c.normalized) for c in extract(rules.normalize(text))]


@pytest.mark.parametrize(
    "text",
    [
        "电话13800138000",
        "电话 138 0013 8000",
        "电话138-0013-8000",
        "电话138.0013.8000",
        "电话+86 138 0013 8000",
        "电话：１３８００１３８０００",
        "电话幺三八零零幺三八零零零",
        "电话一三八 零零一三 八零零零",
        "电话①③⑧⓪⓪①③⑧⓪⓪⓪",
    ],
)
def test_mobile_phone_in_any_writing(text: str) -> None:
    assert ("phone", "13800138000") in found(text)


def test_landline_and_service_numbers() -> None:
    assert ("phone", "01087654321") in found("座机010-87654321")
    assert ("phone", "4008001234") in found("热线400-800-1234")


def test_numbers_inside_longer_digit_runs_are_not_phones() -> None:
    assert found("订单号 2138001380001234") == []
    assert found("12378 和 12348 热线") == []


@pytest.mark.parametrize(
    "text",
    [
        "加微信 ABC_1234",
        "微信号：abc_1234",
        "加V abc_1234",
        "+v abc_1234",
        "vx:abc_1234",
        "wx abc_1234",
        "V: abc_1234",
        "薇信abc_1234",
        "威信：ABC_1234",
        "加❤️ abc_1234",
        "薇:abc_1234",
        "绿泡泡 abc_1234",
    ],
)
def test_wechat_after_any_cue(text: str) -> None:
    assert ("wechat", "abc_1234") in found(text)


def test_wechat_that_is_a_phone_number() -> None:
    assert ("wechat", "13800138000") in found("微信同号13800138000")


def test_qq_after_a_cue() -> None:
    assert ("qq", "12345678") in found("QQ：12345678")
    assert ("qq", "12345678") in found("扣扣 12345678")
    assert ("qq", "123456") in found("加q 123456")


def test_urls_and_short_links() -> None:
    got = found("详情 https://www.Tuibao-Help.cn/apply?c=1。短链 t.cn/A8xk2p 官网www.abc.com/")
    assert ("url", "tuibao-help.cn/apply?c=1") in got
    assert ("url", "t.cn/A8xk2p") in got  # a short link's path keeps its case
    assert ("url", "abc.com") in got


def test_normalize_url() -> None:
    assert normalize_url("HTTP://WWW.Example.COM/Path/") == "example.com/Path"


def test_raw_value_and_span_point_at_the_writing() -> None:
    rules = load_rules()
    raw = "联系：一三八 零零一三 八零零零 谢谢"
    [contact] = extract(rules.normalize(raw))
    assert contact.value == "一三八 零零一三 八零零零"
    assert raw[contact.span[0] : contact.span[1]] == contact.value


def test_each_contact_once() -> None:
    assert found("13800138000 或 138 0013 8000") == [("phone", "13800138000")]


# --- contacts that survive OCR ---------------------------------------------------
# OCR writes a digit as the letter it resembles (17O47731568), ⓪ as O, ⑴ as
# "(1)", and tone letters into IDs.  A look-alike counts only inside a run that
# is otherwise digits and makes a valid number.


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("电话17O47731568", "17047731568"),  # O for 0: a real OCR miss
        ("热线1715O836627", "17150836627"),
        ("电话1715o836627", "17150836627"),  # lower-case o
        ("电话138D0138000", "13800138000"),  # D
        ("电话l3800138000", "13800138000"),  # l for the leading 1
        ("电话I3800138000", "13800138000"),  # I
        ("电话138|0013800", "13810013800"),  # |
        ("热线 139 8013 5Z84", "13980135284"),  # Z for 2, in groups
        ("电话1S800138000", "15800138000"),  # S for 5
        ("电话13B00138000", "13800138000"),  # B for 8
        ("电话：１７Ｏ４７７３１５６８", "17047731568"),  # full-width O
        ("电话17О47731568", "17047731568"),  # Cyrillic О
        ("电话+86 l38 OO13 8000", "13800138000"),  # groups, country code
        ("电话138-OO13-8000", "13800138000"),
    ],
)
def test_a_mobile_with_letter_look_alikes(text: str, phone: str) -> None:
    assert ("phone", phone) in found(text)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("联系①⑦O④⑦⑦③①⑤⑥⑧", "17047731568"),  # ⓪ read as O: a real OCR miss
        ("联系❶❼O❹❼❼❸❶❺❻❽", "17047731568"),  # negative circled
        ("联系❶❸❽⓿⓿❶❸❽⓿⓿O", "13800138000"),  # O at the end
        ("联系⑴⑶⑻OO⑴⑶⑻⓪⓪⓪", "13800138000"),  # parenthesised
        ("电话(1)(3)(8)00(1)(3)(8)000", "13800138000"),  # ⑴ as OCR writes it
        ("电话：(1)⑦(1)⑤0⑧③⑥⑥②⑦", "17150836627"),
    ],
)
def test_circled_and_parenthesised_digits_with_look_alikes(text: str, phone: str) -> None:
    assert ("phone", phone) in found(text)


def test_landline_and_service_numbers_with_look_alikes() -> None:
    assert ("phone", "01087654321") in found("座机010-8765432l")
    assert ("phone", "4008001234") in found("热线4OO-800-1234")


def test_qq_with_look_alikes_after_its_label() -> None:
    assert found("QQ：8O5I2347") == [("qq", "80512347")]
    assert found("扣扣 l2345678") == [("qq", "12345678")]
    assert found("QQ⑧O⑤①②③④⑦") == [("qq", "80512347")]


def test_a_look_alike_number_keeps_its_writing_and_gives_digits() -> None:
    rules = load_rules()
    raw = "加我电话 ①⑦O④⑦⑦③①⑤⑥⑧ 谢谢"
    [contact] = extract(rules.normalize(raw))
    assert (contact.kind, contact.value, contact.normalized) == (
        "phone",
        "①⑦O④⑦⑦③①⑤⑥⑧",
        "17047731568",
    )
    assert raw[contact.span[0] : contact.span[1]] == contact.value
    [contact] = extract(rules.normalize("电话(1)(3)(8)00(1)(3)(8)000。"))
    assert contact.value == "(1)(3)(8)00(1)(3)(8)000"


def test_a_look_alike_phone_that_is_also_the_wechat_id() -> None:
    assert ("wechat", "17047731568") in found("17O47731568（微信同号）")
    assert ("wechat", "17047731568") in found("微信：17O47731568")


@pytest.mark.parametrize(
    ("text", "wechat"),
    [
        ("微信 lìu_8899", "liu_8899"),
        ("加V：xíaoyu_01", "xiaoyu_01"),
        ("vx: hı_zhang01", "hi_zhang01"),  # dotless ı
        ("微信号 tuibǎo_88 谢谢", "tuibao_88"),  # a pinyin tone letter
        ("薇信：аbc_1234", "abc_1234"),  # Cyrillic а
    ],
)
def test_wechat_id_with_a_non_ascii_look_alike(text: str, wechat: str) -> None:
    assert ("wechat", wechat) in found(text)


def test_a_wechat_id_is_not_cut_at_a_look_alike() -> None:
    """Before, the ID ended at the accented letter: abcdef, a contact nobody has."""
    assert found("微信 abcdefì_77") == [("wechat", "abcdefi_77")]


@pytest.mark.parametrize(
    "noise",
    [
        "BOSS直聘 IOS版 SOS",  # words made of look-alike letters
        "原价¥1OO 现价1,OOO元 2O23年",  # prices and years
        "ASIN B001234567",  # a code led by a letter is no 800 number
        "编号 S1380013800",
        "I 3800138000",  # a letter apart from the digits
        "ID abc17O47731568 SN-17O47731568",  # inside an ID or a code
        "1998-01-01|1.0",  # a date and a figure: two kinds of separator
        "l38-OO13-8OOO",  # more letters than one in three
        "138s0013800 138OO1380d0",  # lower-case s and d are letters, not digits
        "8O5I2347",  # no QQ label
        "vx yaăâbcdđ",  # Vietnamese, not an ID with a stray accent
        "(1) 3800138000",  # a list marker
    ],
)
def test_look_alikes_invent_no_contact(noise: str) -> None:
    """Beside a look-alike number that is one, ordinary writing gives nothing."""
    assert found(f"{noise}\n电话17O47731568") == [("phone", "17047731568")]


def test_a_page_of_look_alike_numbers_gives_each_contact_once() -> None:
    """10 MB of one look-alike writing: read in linear time (bench/detect_hostile.py
    and bench/README.md give the figures), each contact once, from the first writing."""
    unit = "联系①⑦O④⑦⑦③①⑤⑥⑧ 或 1715O836627（微信同号）QQ：8O5I2347\n"
    verdict = score_text((unit * (10_000_000 // len(unit) + 1))[:10_000_000])
    assert [(c.kind, c.normalized) for _, c in verdict.contacts] == [
        ("phone", "17047731568"),
        ("phone", "17150836627"),
        ("wechat", "17150836627"),
        ("qq", "80512347"),
    ]
    assert verdict.contacts[0][1].span == (2, 13)


@pytest.mark.parametrize(
    "text", ["订单号 13B45678901", "WIFI密码 l3912345678", "型号：I39O0I38000", "SN 13S00138000"]
)
def test_a_code_after_its_label_is_no_look_alike_phone(text: str) -> None:
    """An order number, password or model code reads as a phone once its
    letters are taken for digits; after its label it stays a code."""
    assert [kind for kind, _value in found(text) if kind == "phone"] == []
    # the same writing after a contact label is a phone
    assert found("联系电话 13B45678901") == [("phone", "13845678901")]
