"""Contacts: every writing of a number or ID gives the same normalised value."""

import pytest

from crawler.detect.contacts import extract, normalize_url
from crawler.detect.rules import load_rules


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
