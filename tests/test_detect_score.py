"""Scoring: real labelled texts, look-alikes, and reasons an analyst can read."""

import json
from functools import partial
from pathlib import Path

import pytest

from crawler.items import AdRecord, ImageRef
from crawler.reading.detect import detect as detect_with_model
from crawler.reading.detect import score_text as score_text_with_model
from crawler.reading.detect import verdict_json

# These tests are of the rules and their reading of the text: the learned
# model, which judges after them, has its own (tests/test_detect_model.py).
detect = partial(detect_with_model, model=None)
score_text = partial(score_text_with_model, model=None)


LABELLED = Path(__file__).resolve().parents[2] / "shared" / "data" / "labeled_texts.jsonl"
if not LABELLED.exists():  # CI's clean clone sits beside ../shared as well
    LABELLED = Path("/work/shared/data/labeled_texts.jsonl")


def labelled() -> list[dict]:
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]


@pytest.mark.skipif(not LABELLED.exists(), reason="../shared/data not present")
def test_real_labelled_texts_meet_the_targets() -> None:
    rows = labelled()
    ads = [r for r in rows if r["label"] == "ad"]
    negatives = [r for r in rows if r["label"] != "ad"]
    caught = [r for r in ads if score_text(r["text"]).label == "ad"]
    false = [r["text"] for r in negatives if score_text(r["text"]).label == "ad"]
    recall = len(caught) / len(ads)
    precision = len(caught) / (len(caught) + len(false))
    assert recall >= 0.95, [r["text"] for r in ads if r not in caught]
    assert precision >= 0.95, false


@pytest.mark.parametrize(
    "text",
    [
        "逾期先别还，当天停❤催，加薇信 tc8888",
        "亭催免息，不成功退款，V：abc_1234",
        "zx修复 包过 电话一三八 零零一三 八零零零",
        "網貸退費(fèi)教程，全額退保，加我微信 tuibao666",
        "专业代理投诉，投诉退款成功再收费，QQ 12345678",
        "AI接听助手，催收电话自动应答，199元永久使用",
    ],
)
def test_disguised_ads_are_ads(text: str) -> None:
    verdict = score_text(text)
    assert verdict.label == "ad", verdict.reasons


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("警方抓获一反催收团伙，犯罪嫌疑人以“当天停催”“征信修复”为噱头收取费用", "police"),
        ("金融监管总局提醒：警惕“代理退保”“征信洗白”等不法宣传，谨防上当", "warning"),
        ("记者调查发现，不少中介宣称可以“停息挂账”“债务优化”，收费数千元", "news"),
        ("停息挂账是指持卡人与银行协商达成的还款方式，需满足以下条件", "explainer"),
        ("法律援助热线12348可以免费咨询债务问题，受援人可减免诉讼费用", "legal aid"),
        ("这个苹果挺脆的，提出申请后三天到货", "benign"),
    ],
)
def test_look_alikes_are_not_ads(text: str, kind: str) -> None:
    verdict = score_text(text)
    assert verdict.label != "ad", (kind, verdict.reasons)


def test_weak_terms_with_cues_are_not_enough() -> None:
    """A loan broker's advert (逾期 + 加微信) is not anti-collection."""
    verdict = score_text("逾期也能下款，当天放款，加微信 dai8888")
    assert verdict.label == "clean", verdict.reasons


def test_reasons_explain_the_score() -> None:
    verdict = score_text("当天停❤催，加薇信 abc_1234，不成功退款")
    text = " / ".join(verdict.reasons)
    assert "停催" in text and "当天停❤催" in text
    assert "disguised spelling" in text
    assert "contact (wechat abc_1234)" in text
    assert "call to action" in text and "promise" in text
    news = " / ".join(score_text("记者调查：警方提醒谨防“当天停催”骗局").reasons)
    assert "look-alike cues" in news and "quotation marks" in news


def test_scoring_is_deterministic_and_json_ready() -> None:
    text = "逾期先别还，当天停催，加V abc_1234"
    first = verdict_json(score_text(text))
    assert json.dumps(first, ensure_ascii=False) == json.dumps(
        verdict_json(score_text(text)), ensure_ascii=False
    )
    assert set(first) == {
        "label",
        "score",
        "categories",
        "matches",
        "contacts",
        "reasons",
        "rule_score",
        "model",
    }
    assert first["model"] == "" and first["rule_score"] == first["score"]  # the rules alone
    match = next(m for m in first["matches"] if m["term"] == "当天停催")
    assert text[match["span"][0] : match["span"][1]] == "当天停催"


def test_a_record_is_scored_in_place_with_fields_and_image_text() -> None:
    record = AdRecord(
        channel="market",
        platform="demo-xianyu",
        url="http://127.0.0.1/item?id=1",
        title="资料一份 28钱",
        text="拍下自动发货",
        images=[
            ImageRef(url="http://x/a.jpg", sha256="ab" * 32, ocr={"text": "全额退保 加V tb8888"})
        ],
    )
    verdict = detect(record)
    assert record.label == verdict.label == "ad"
    assert record.categories == ["退保退息"]
    assert {m.field for m in record.matches} == {"image:" + "ab" * 6}
    assert record.contacts[0].normalized == "tb8888" and record.contacts[0].field.startswith(
        "image"
    )
    assert "the pitch is only in the images" in record.reasons


def test_long_text_is_read_in_windows_with_a_problem_noted() -> None:
    verdict = score_text("停催" + "好" * 200_000)
    assert verdict.problems == [
        "text: 200,002 characters, read in 2 windows covering 100,000 characters"
    ]


def test_a_search_results_own_site_is_not_a_contact() -> None:
    record = AdRecord(
        channel="search",
        platform="demo-baidu",
        url="http://127.0.0.1/l/1",
        text="当天停催，加V tc_8888",
    )
    record.author.name = "www.bcaatb.cn/8d54d6bc.html"
    detect(record)
    assert [(c.kind, c.normalized) for c in record.contacts] == [("wechat", "tc_8888")]
