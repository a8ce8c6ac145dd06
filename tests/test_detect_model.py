"""The learned model beside the rules: the file, its honesty, its verdicts.

The real texts are read where they lie (../shared/data); the tests that need
them skip, saying so, where that folder is missing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.items import AdRecord, Author
from crawler.reading.detect import detect, load_rules, score_text
from crawler.reading.detect.model import MODEL_PATH, Model, load_model, rules_sha, site_kind
from crawler.reading.detect.training import (
    REAL_DATA,
    Example,
    best_threshold,
    data_hash,
    default_examples,
    featurize,
    group_folds,
    suspect_threshold,
    train,
)

ROOT = Path(__file__).resolve().parents[1]
HAVE_REAL = all(p.exists() for p in REAL_DATA)
needs_real = pytest.mark.skipif(not HAVE_REAL, reason="../shared/data is not beside the project")
SHIPPED = json.loads(MODEL_PATH.read_text(encoding="utf-8"))


@needs_real
def test_the_model_file_was_trained_on_todays_data_and_rules() -> None:
    """A changed data file or rule file needs `adwatch train --write`."""
    examples, _heldout = default_examples()
    assert SHIPPED["data"]["sha256"] == data_hash(examples), "data changed: retrain"
    assert SHIPPED["rules"]["sha256"] == rules_sha(load_rules()), "rules changed: retrain"
    # the held-out written set is never trained on
    assert SHIPPED["data"]["kinds"] == ["real", "seen", "written"]


@needs_real
def test_retraining_on_the_same_data_gives_the_same_model_and_figures() -> None:
    if "analyst" in SHIPPED["data"]["kinds"]:
        pytest.skip("trained with analysts' data (--data): retrain with the same files to compare")
    examples, heldout = default_examples()
    again = train(examples, heldout, folds=SHIPPED["figures"]["folds"]).model
    assert again["version"] == SHIPPED["version"]
    assert again["thresholds"] == SHIPPED["thresholds"]
    assert again["figures"] == SHIPPED["figures"]
    assert again["hashed"] == SHIPPED["hashed"] and again["named"] == SHIPPED["named"]


def test_the_model_file_holds_weights_not_text() -> None:
    """Hashed n-grams: the real sentences it learned from are not in it."""
    assert all(k.isdigit() for k in SHIPPED["hashed"])
    strings = re.findall(r'"([^"]*)"', json.dumps(SHIPPED, ensure_ascii=False))
    han_runs = [s for s in strings if re.search(r"[\u4e00-\u9fff]{5,}", s)]
    assert han_runs == []


def test_a_verdict_names_the_model_its_score_and_what_moved_it() -> None:
    model = load_model()
    assert model is not None
    verdict = score_text("逾期先别还！当天停催，协商还款成功再收费，加微信 tingcui_help8")
    assert verdict.model == model.version and verdict.label == "ad"
    assert 0 <= verdict.score <= 1 and verdict.rule_score > 0
    said = verdict.reasons[-1]
    assert said.startswith(f"model {model.version}: p=") and "strongest:" in said
    record = AdRecord(
        channel="search",
        platform="demo-baidu",
        url="https://tingcui.example.cn/a",
        title="当天停催 专业协商",
        text="逾期先别还，协商还款，不成功不收费，电话 13912345678",
        author=Author(name="tingcui.example.cn"),
    )
    detect(record)
    assert record.model == model.version and record.rule_score > 0
    assert record.to_dict()["model"] == model.version


def test_without_a_model_the_rules_decide_alone() -> None:
    text = "逾期先别还！当天停催，加微信 tingcui_help8"
    alone = score_text(text, model=None)
    assert alone.model == "" and alone.score == alone.rule_score
    assert not any(r.startswith("model ") for r in alone.reasons)


def test_a_model_is_not_used_with_rules_of_other_categories(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("category: 测试\nterms:\n  停催: 0.9\n", encoding="utf-8")
    verdict = score_text("当天停催", load_rules(tmp_path))
    assert verdict.model == ""
    assert any("not used" in p and "测试" in p for p in verdict.problems)


def test_the_kind_of_site_is_read_from_its_domain_only() -> None:
    assert site_kind("https://www.gov.cn/zhengce/x.html") == "gov"
    assert site_kind("https://finance.sina.com.cn/a") == "news"
    assert site_kind("https://creditcard.cmbchina.com/") == "bank"
    assert site_kind("https://www.zhihu.com/question/1") == "aggregator"
    assert site_kind("https://tingcui-help.cn/") == "other"
    # a name an advertiser chose is not a kind of site
    assert site_kind("https://news.pinpaifeng.com/a") == "other"  # not ifeng.com
    assert site_kind("https://huaxia-law.cn/a") == "other"
    assert site_kind("https://sina.com.cn.evil.example/") == "other"
    assert site_kind("") == "" and site_kind("http://[::1/broken") == ""


def test_an_ad_names_what_it_sells() -> None:
    """Without a category term from the rules, the model may put a page before
    an analyst but never make it an ad (a tutoring ad with a WeChat ID)."""
    verdict = score_text("专业团队，一对一辅导，提分率100%，添加微信 edu_tutor88")
    assert verdict.label != "ad" and verdict.categories == []


@needs_real
def test_the_model_holds_on_the_written_set_it_never_saw() -> None:
    """tests/data/heldout.jsonl is never trained on: the model must not do
    worse there than the rules alone (0.91 / 0.88 when it was trained)."""
    figures = SHIPPED["figures"]
    mine, rules = figures["heldout"]["all"], figures["heldout_rules_alone"]["all"]
    assert mine["precision"] >= rules["precision"] - 0.01
    assert mine["recall"] >= rules["recall"] - 0.01


def test_the_ad_threshold_keeps_the_precision_floor_and_finds_the_most_ads() -> None:
    truth = [True, True, True, False, True, False, False, False]
    probs = [0.95, 0.9, 0.8, 0.75, 0.6, 0.5, 0.2, 0.1]
    # at 0.6: 4 ads of 5 flagged (0.80); at 0.8: 3 of 3 -> the floor (0.85) holds there
    assert best_threshold(truth, probs) == 0.8
    # a suspect is an ad at least half the time (here down to 0.1: 4 of 8), but
    # never below half the ad threshold
    assert suspect_threshold(truth, probs, 0.8) == 0.4
    assert suspect_threshold([True, False, False, True], [0.9, 0.85, 0.8, 0.3], 0.9) == 0.85


def test_folds_never_split_a_source() -> None:
    examples = [
        Example(text=f"{n}", ad=n % 2 == 0, category="", group=f"page{n % 7}", kind="real")
        for n in range(40)
    ]
    rows = featurize(examples)
    folds = group_folds(rows, list(range(40)), 5)
    seen: dict[str, int] = {}
    for n, fold in enumerate(folds):
        for i in fold:
            assert seen.setdefault(examples[i].group, n) == n
    assert sorted(i for fold in folds for i in fold) == list(range(40))


def test_a_bad_model_setting_is_refused_at_start() -> None:
    from scrapy.settings import Settings

    from crawler.config import AdwatchConfig, ConfigError

    with pytest.raises(ConfigError, match="ADWATCH_MODEL"):
        AdwatchConfig.from_settings(Settings({"ADWATCH_MODEL": "/nonexistent/model.json"}))
    assert AdwatchConfig.from_settings(Settings({"ADWATCH_MODEL": "none"})).model == "none"
    assert load_model("none") is None


@needs_real
@pytest.mark.slow  # two 3-fold trainings in processes of their own: 19 s here
def test_adwatch_train_reports_and_writes_only_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "model.json"

    def adwatch(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crawler.interfaces.cli", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    report = adwatch("train", "--folds", "3", "--out", str(out))
    assert report.returncode == 0, report.stderr[-2000:]
    assert "real texts the rules were not grown on (199" in report.stdout
    assert "rules alone" in report.stdout
    assert "not written" in report.stdout and not out.exists()
    written = adwatch("train", "--folds", "3", "--out", str(out), "--write")
    assert written.returncode == 0 and out.exists()
    model = Model.load(out)
    scored = adwatch("score", "--model", str(out), "当天停催，加微信 tingcui_help8")
    assert json.loads(scored.stdout)["model"] == model.version
    alone = adwatch("score", "--model", "none", "当天停催，加微信 tingcui_help8")
    assert json.loads(alone.stdout)["model"] == ""
