"""Rule files: analysts extend them by editing YAML; broken files say where."""

import shutil
from pathlib import Path

import pytest

from crawler.reading.detect.rules import RULES_DIR, RulesError, load_rules, normal_form


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def hit_ids(rules_dir: Path | None, text: str) -> set[str]:
    rules = load_rules(rules_dir)
    return {h.rule.id for h in rules.match(rules.normalize(text), "text")}


def test_bundled_rules_have_one_file_per_category() -> None:
    rules = load_rules()
    assert set(rules.categories) == {
        "停催",
        "债务协商",
        "代理投诉",
        "退保退息",
        "征信修复",
        "AI接听",
    }
    assert rules.ad_cues and rules.lookalike_cues and rules.variants.table


def test_an_analyst_adds_a_term_in_yaml(rules_copy: Path) -> None:
    assert "停催:熔断催收" not in hit_ids(rules_copy, "三天熔断催收")
    path = rules_copy / "stop_collection.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("terms:\n", "terms:\n  熔断催收: 0.8\n", 1),
        encoding="utf-8",
    )
    load_rules.cache_clear()
    assert "停催:熔断催收" in hit_ids(rules_copy, "三天熔断催收")
    # the new term is matched through its disguises too
    assert "停催:熔断催收" in hit_ids(rules_copy, "三天熔❤断催收")
    assert "停催:熔断催收" in hit_ids(rules_copy, "rongduancuishou")


def test_normal_form_is_the_folders_own(rules_copy: Path) -> None:
    """What Elasticsearch indexes as text_norm: the variants of the rules in use."""
    assert "停催" in normal_form()("逾期亭催")
    path = rules_copy / "variants.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("  亭催: 停催\n", "", 1), encoding="utf-8"
    )
    load_rules.cache_clear()
    assert "停催" not in normal_form(rules_copy)("逾期亭催")


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("category: 测试\nterms:\n  停催: [0.5\n", 4, "expected ',' or ']'"),
        ("category: 测试\nterms:\n  停催: lots\n", 3, "weight 'lots'"),
        ("category: 测试\nterms:\n  停催: 1.5\n", 3, "(0, 1]"),
        (
            "category: 测试\nterms: {}\npatterns:\n  - pattern: '停(催'\n    weight: 0.5\n",
            4,
            "bad pattern",
        ),
        ("category: 测试\nterms: {}\npatterns:\n  - weight: 0.5\n", 4, "missing `pattern`"),
        ("category: 停催\nterms:\n  停催: 0.5\n", 1, "defined twice"),
        ("terms:\n  停催: 0.5\n", 1, "missing `category`"),
        ("- just\n- a list\n", 1, "expected a mapping"),
    ],
)
def test_malformed_file_names_file_and_line(
    rules_copy: Path, content: str, line: int, words: str
) -> None:
    (rules_copy / "zz_broken.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(rules_copy)
    message = str(info.value)
    assert f"zz_broken.yaml:{line}" in message, message
    assert words in message


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="not a directory"):
        load_rules(tmp_path / "nope")


def test_initials_need_letters_written_by_the_author() -> None:
    assert "征信修复:征信修复" in hit_ids(None, "专业zx修复")
    assert "停催:停催" in hit_ids(None, "逾期可以tc")
    # 提出 has the initials tc, but nobody wrote tc
    assert "停催:停催" not in hit_ids(None, "提出申请")
    # tc inside a longer Latin word is not tc
    assert "停催:停催" not in hit_ids(None, "etc")


def test_two_syllable_homophones_by_chance_are_not_hits() -> None:
    assert "停催:停催" not in hit_ids(None, "这个苹果挺脆的")
    assert "停催:停催" in hit_ids(None, "可以tingcui")


def test_patterns_stay_inside_one_clause() -> None:
    def patterns(text: str) -> set[str]:
        return {i for i in hit_ids(None, text) if i.startswith("征信修复:pattern")}

    assert patterns("修复你的征信")
    assert not patterns("修复”骗了 #征信")


def test_a_backtracking_pattern_is_cut_off(rules_copy: Path, caplog) -> None:
    (rules_copy / "zz_slow.yaml").write_text(
        "category: 慢\nterms:\n  慢慢: 0.5\npatterns:\n  - pattern: '(a+)+b'\n    weight: 0.5\n",
        encoding="utf-8",
    )
    rules = load_rules(rules_copy)
    hits = rules.match(rules.normalize("a" * 5000 + "cb"), "text")
    assert not any(h.rule.category == "慢" for h in hits)
    assert "timed out" in caplog.text


def test_required_literals_prefilter_is_sound() -> None:
    from crawler.reading.detect.rules import required_literals

    assert required_literals("停止.{0,8}催收") == [("停止",), ("催收",)]
    assert required_literals("(?:帮|替)(?:你|您).{0,6}协商") == [
        ("帮", "替"),
        ("你", "您"),
        ("协商",),
    ]
    assert required_literals("(?i)tc") == []  # flags: no prefilter, the pattern always runs
    assert required_literals("a?b*") == []
    # the prefilter never hides a real match: every text a pattern matches passes it
    from crawler.reading.detect.rules import _may_match

    texts = [
        "停止一系列催收",
        "帮你协商减免利息",
        "替您处理债务",
        "减债80%",
        "最长60期",
        "已成功为客户退费",
        "ai自动接听催收电话",
        "全额退保",
        "修复你的征信",
        "千万不要盲目还款",
    ]
    rules = load_rules()
    matched = 0
    for rule, pattern in rules.patterns:
        for text in texts:
            if pattern.search(text):
                matched += 1
                assert _may_match(required_literals(rule.term), text), (rule.term, text)
    assert matched >= len(texts)
