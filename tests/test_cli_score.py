"""`adwatch score` and `adwatch clusters` as a user runs them, hostile input included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from crawler.interfaces.cli import cli
from crawler.items import AdRecord
from crawler.reading.detect import detect
from evidence.index import open_catalogue

ROOT = Path(__file__).resolve().parents[1]


def run_score(*args: str, stdin: bytes = b"", timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.interfaces.cli", "score", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def test_score_one_text() -> None:
    result = CliRunner().invoke(cli, ["score", "逾期先别还，当天停❤催，加薇信 tc8888"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["label"] == "ad" and "停催" in answer["categories"]
    assert {"kind": "wechat", "value": "tc8888"} in answer["contacts"]
    assert any(m["text"] == "当天停❤催" and m["disguised"] for m in answer["matches"])


def test_score_needs_exactly_one_input() -> None:
    assert CliRunner().invoke(cli, ["score"]).exit_code == 2
    assert CliRunner().invoke(cli, ["score", "x", "--jsonl", "-"]).exit_code == 2


def test_score_jsonl_answers_every_line_in_order_even_hostile_ones() -> None:
    lines = [
        json.dumps({"text": "当天停催，加V abc_1234", "id": 1}, ensure_ascii=False).encode(),
        b"\xff\xfe not utf-8 \xc3\x28",
        b"{not json",
        json.dumps({"id": 3}).encode(),
        json.dumps({"text": "停催" + "好" * 10_000_000}, ensure_ascii=False).encode(),
        json.dumps({"text": "a" * 200_000 + "!" + "(" * 50_000}).encode(),
        bytes(range(256)).replace(b"\n", b""),
        json.dumps({"text": "红烧肉的家常做法"}, ensure_ascii=False).encode(),
    ]
    result = run_score("--jsonl", "-", stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert out[0]["label"] == "ad"
    assert "not UTF-8" in out[1]["error"] and "line 2" in out[1]["error"]
    assert "not JSON" in out[2]["error"]
    assert 'string "text"' in out[3]["error"]
    assert out[4]["label"] in ("ad", "suspect", "clean") and out[4]["problems"]
    assert out[5]["label"] == "clean"
    assert "error" in out[6]
    assert out[7]["label"] == "clean"
    stderr = result.stderr.decode()
    assert "line 2" in stderr and "4 input line(s) could not be scored" in stderr


def test_score_jsonl_gives_one_line_for_every_line_even_blank_or_too_deep() -> None:
    """A line nested 100,000 deep ended the run with a RecursionError traceback
    and nothing after it was scored; a blank line got no output line, so line N
    no longer answered line N; and the exit status was 0 with lines failed."""
    ad = json.dumps({"text": "当天停催，加V abc_1234"}, ensure_ascii=False).encode()
    lines = [
        ad,
        b"",
        b"[" * 100_000,
        ad,
        b"   \t",
        b"[" * 50_000 + b"]" * 50_000,  # valid JSON, but deeper than the reader goes
        b"[1, 2]",
        b'"just a string"',
        b'{"text": 5}',
        b'{"text": "x", "n": ' + b"1" * 5000 + b"}",  # more digits than Python reads
        ad + b"\r",  # a CRLF file
        ad,
    ]
    result = run_score("--jsonl", "-", stdin=b"\n".join(lines))  # no final newline
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    good = [0, 3, 10, 11]
    assert all(out[n]["label"] == "ad" for n in good)
    for n, answer in enumerate(out, 1):
        if n - 1 in good:
            continue
        assert set(answer) == {"line", "error"} and answer["line"] == n
        assert answer["error"].startswith(f"line {n}: ")
    assert "blank line" in out[1]["error"] and "blank line" in out[4]["error"]
    assert "nested too deeply" in out[2]["error"] and "nested too deeply" in out[5]["error"]
    assert all('string "text"' in out[n]["error"] for n in (6, 7, 8))
    assert "not JSON" in out[9]["error"]
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr and "8 input line(s) could not be scored" in stderr


def test_score_output_escapes_bidi_and_other_format_characters() -> None:
    """The matched text is the text as written, disguises included: U+202E,
    U+2066, zero-width and C1 characters reached the terminal raw."""
    hostile = "当天停\u200b催\u202e加V\u2066 tc8888\u200f\x9b\u2028"
    result = CliRunner().invoke(cli, ["score", hostile])
    assert result.exit_code == 0, result.output
    assert not set("\u200b\u202e\u2066\u200f\x9b\u2028") & set(result.output)
    answer = json.loads(result.output)
    assert answer["label"] == "ad"
    assert any(m["text"] == "当天停\u200b催" for m in answer["matches"])
    stdin = json.dumps({"text": hostile}).encode() + b"\n" + b"\xe2\x80\xae\n"  # a raw U+202E line
    result = run_score("--jsonl", "-", stdin=stdin)
    assert not set("\u200b\u202e\u2066\u200f\x9b\u2028") & set(result.stdout.decode())
    assert not set("\u202e") & set(result.stderr.decode())
    first, second = (json.loads(line) for line in result.stdout.decode().splitlines())
    assert first == answer and "not JSON" in second["error"]


def test_score_reads_a_file_and_uses_custom_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "only.yaml").write_text("category: 测试\nterms:\n  暗号: 0.9\n", encoding="utf-8")
    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "对暗号"}\n{"text": "当天停催"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", "--jsonl", str(data), "--rules", str(rules)])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first["categories"] == ["测试"] and second["categories"] == []


def test_score_with_broken_rules_says_where(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("category: 测试\nterms:\n  暗号: high\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", "x", "--rules", str(rules)])
    assert result.exit_code == 2
    assert "bad.yaml:3" in result.output and "weight 'high'" in result.output


def test_clusters_lists_operators_largest_first(tmp_path: Path) -> None:
    texts = ["当天停催，电话13800138000", "征信修复，电话 138 0013 8000", "全额退保，微信 solo_555"]
    records = []
    for n, text in enumerate(texts):
        r = AdRecord(channel="video", platform="demo-douyin", url=f"http://h/v/{n}", text=text)
        detect(r)
        records.append(r)
    uri = f"sqlite://{tmp_path / 'catalogue.db'}"
    with open_catalogue(uri) as cat:
        cat.upsert(r.to_dict() for r in records)
    result = CliRunner().invoke(cli, ["clusters", "--catalogue", uri])
    assert result.exit_code == 0, result.output
    assert "1 operator(s)" in result.output and "2 ads" in result.output
    assert "phone 13800138000" in result.output
    result = CliRunner().invoke(cli, ["clusters", "--catalogue", uri, "--min-ads", "1", "--json"])
    ops = [json.loads(line) for line in result.output.splitlines()]
    assert [op["ad_count"] for op in ops] == [2, 1]
