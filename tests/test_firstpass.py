from crawler.detect.firstpass import judge
from crawler.items import AdRecord


def rec(title: str, text: str = "", sponsored: bool = False) -> AdRecord:
    return AdRecord(
        channel="search", platform="p", url="http://h/", title=title, text=text, sponsored=sponsored
    )


def test_pitch_with_contact_is_an_ad():
    v = judge(rec("逾期当天停催，加V：tc8888，不成功退款"))
    assert v.label == "ad" and "停催" in v.categories
    assert any("ad cues" in r for r in v.reasons)


def test_news_quoting_the_slogan_is_not_an_ad():
    v = judge(rec("警方抓获反催收团伙", "犯罪嫌疑人以当天停催为噱头实施诈骗，警方提醒谨防上当"))
    assert v.label != "ad"


def test_benign_text_is_clean():
    v = judge(rec("红烧肉的家常做法"))
    assert v.label == "clean" and v.score == 0.0 and not v.matches
