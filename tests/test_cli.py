"""The `adwatch` command as a user meets it: help, errors, search output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from crawler.interfaces.cli import cli
from crawler.items import AdRecord
from evidence.index import open_catalogue
from tests.conftest import adwatch

ROOT = Path(__file__).resolve().parents[1]
# the hand-written pages (the generated commands.md and settings.md would prove nothing)
HAND_WRITTEN = "\n".join(
    page.read_text(encoding="utf-8")
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    if page.name not in ("commands.md", "settings.md")
)


def commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            out += commands(command, path + " ")
        else:
            out.append((path, command))
    return out


@pytest.mark.parametrize(("path", "command"), commands(cli))
def test_every_command_has_an_example_and_is_in_the_docs(path, command):
    assert command.help and "Example:" in command.help, path
    assert f"adwatch {path}" in HAND_WRITTEN, (
        f"neither README.md nor a hand-written docs/*.md page shows `adwatch {path}`"
    )


def seed(tmp_path: Path, *records: AdRecord) -> str:
    uri = f"sqlite://{tmp_path / 'catalogue.db'}"
    with open_catalogue(uri) as cat:
        cat.upsert([r.to_dict() for r in records])
    return uri


def test_search_prints_hits_and_makes_hostile_text_harmless(tmp_path):
    hostile = AdRecord(
        channel="video",
        platform="demo-douyin",
        url="http://h/video/1",
        title="当天停催\x1b[2J\u202e加V",
        text="<script>alert(1)</script>",
        label="ad",
        score=0.9,
    )
    other = AdRecord(
        channel="search", platform="demo-baidu", url="http://h/l/2", title="红烧肉做法"
    )
    uri = seed(tmp_path, hostile, other)
    result = CliRunner().invoke(cli, ["search", "停催", "--catalogue", uri])
    assert result.exit_code == 0, result.output
    assert "1 record(s) match '停催'" in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "\\x1b[2J" in result.output and "\\u202e" in result.output


def test_search_filters_and_json(tmp_path):
    uri = seed(
        tmp_path,
        AdRecord(
            channel="video",
            platform="demo-douyin",
            url="http://h/video/1",
            title="当天停催",
            label="ad",
        ),
        AdRecord(
            channel="market",
            platform="demo-xianyu",
            url="http://h/item?id=1",
            title="停催话术",
            label="suspect",
        ),
    )
    result = CliRunner().invoke(
        cli, ["search", "停催", "--label", "ad", "--json", "--catalogue", uri]
    )
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and '"platform": "demo-douyin"' in lines[0]


# What a terminal acts on or reorders if it receives it raw: bidi overrides and
# isolates, marks, zero-width characters, BOM, C1 controls (\x9b is CSI), DEL,
# line and paragraph separators, a tag character (Cf above U+FFFF).
FORMAT_CHARACTERS = (
    "\u202e\u2066\u2069\u200f\u200e\u200b\u200d\ufeff\x85\x9b\x7f\u2028\u2029\U000e0041"
)


def test_search_json_escapes_bidi_and_other_format_characters(tmp_path):
    """JSON escapes only C0 controls: `search --json` wrote U+202E, U+2066 and
    U+200F raw to the terminal."""
    title = "当天停催" + FORMAT_CHARACTERS + "加V tc8888"
    uri = seed(
        tmp_path,
        AdRecord(
            channel="video", platform="demo-douyin", url="http://h/v/1", title=title, label="ad"
        ),
    )
    result = CliRunner().invoke(cli, ["search", "停催", "--json", "--catalogue", uri])
    assert result.exit_code == 0, result.output
    assert not set(FORMAT_CHARACTERS) & set(result.output)
    assert "\\u202e" in result.output and "当天停催" in result.output  # Chinese stays readable
    (line,) = result.output.splitlines()
    assert json.loads(line)["title"] == title  # a JSON reader gets the text back as it was


def test_empty_catalogue_says_so(tmp_path):
    result = CliRunner().invoke(cli, ["search", "--catalogue", f"sqlite://{tmp_path / 'c.db'}"])
    assert result.exit_code == 0 and "catalogue is empty" in result.output


def test_bad_catalogue_uri_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["stats", "--catalogue", "ftp://x/y"])
    assert result.exit_code != 0
    assert "unknown catalogue scheme 'ftp'" in str(result.exception)


def test_stats_counts(tmp_path):
    uri = seed(
        tmp_path,
        AdRecord(
            channel="video", platform="demo-douyin", url="http://h/v/1", title="停催", label="ad"
        ),
    )
    result = CliRunner().invoke(cli, ["stats", "--catalogue", uri])
    assert result.exit_code == 0
    assert re.search(r"records: 1\b", result.output) and "demo-douyin 1" in result.output
    assert "by review: none 1" in result.output  # nobody has decided on it yet


def test_sites_check_passes_on_bundled_profiles():
    result = CliRunner().invoke(cli, ["sites", "--check"])
    assert result.exit_code == 0 and "profiles OK" in result.output


@pytest.mark.parametrize("command", ["crawl", "capture", "recheck"])
def test_a_malformed_setting_is_refused(command, tmp_path):
    result = CliRunner().invoke(cli, [command, "--data-dir", str(tmp_path), "-s", "NOEQUALS"])
    assert result.exit_code == 2 and "expected NAME=VALUE" in result.output


@pytest.mark.parametrize("command", ["capture", "recheck"])
def test_the_capture_commands_take_settings(command, tmp_path):
    """-s reaches the capture's own settings (a bad value is named)."""
    done = adwatch(command, "-s", "ADWATCH_CAPTURE_TIMEOUT=soon", data_dir=tmp_path)
    assert done.returncode == 1
    assert "ADWATCH_CAPTURE_TIMEOUT must be a number, got 'soon'" in done.stderr


def test_an_unknown_site_is_a_usage_error_before_anything_starts(tmp_path):
    """`crawl --site UNKNOWN` ended in a ProfileError traceback, after the job
    record and the data folder were made; now a one-line usage error (exit 2)
    naming the site and the known profiles, and nothing started or written."""
    done = adwatch("crawl", "--site", "UNKNOWN", "--ocr-engine", "none", data_dir=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "--site" in errors[0] and "UNKNOWN" in errors[0]
    assert all(name in errors[0] for name in ("baidu", "demo-baidu", "demo-douyin", "xianyu"))
    assert list(tmp_path.iterdir()) == []  # no log, no catalogue, no job line


def test_the_sites_and_rules_folders_are_taken_from_the_environment(tmp_path):
    """ADWATCH_SITES_DIR and ADWATCH_RULES_DIR in the environment were ignored
    (ADWATCH_DATA_DIR and ADWATCH_TSA_URL were honoured): `adwatch sites`
    listed the bundled profiles, and a crawl scored with the bundled rules."""
    import os
    import shutil
    import subprocess
    import sys

    sites = tmp_path / "sites"
    sites.mkdir()
    bundled = (
        Path(__file__).resolve().parents[1] / "crawler" / "finding" / "sites" / "demo-baidu.yaml"
    )
    text = bundled.read_text(encoding="utf-8").replace("name: demo-baidu", "name: env-baidu")
    (sites / "env-baidu.yaml").write_text(text, encoding="utf-8")
    rules = tmp_path / "rules"
    shutil.copytree(
        Path(__file__).resolve().parents[1] / "crawler" / "reading" / "detect" / "rules", rules
    )
    env = dict(os.environ, ADWATCH_SITES_DIR=str(sites), ADWATCH_RULES_DIR=str(rules))
    root = Path(__file__).resolve().parents[1]
    listed = subprocess.run(
        [sys.executable, "-m", "crawler.interfaces.cli", "sites"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    # the user folder's profile beside the packaged ones (which it does not replace)
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert re.search(r"\buser\s+\S+env-baidu\.yaml$", lines["env-baidu"])
    assert {"demo-baidu", "baidu", "demo-douyin"} <= set(lines)
    # what a crawl reads its folders from (AdwatchConfig over the project settings)
    probe = (
        "from crawler.config import AdwatchConfig; "
        "from crawler.running.run import project_settings; "
        "c = AdwatchConfig.from_settings(project_settings()); "
        "print(c.sites_dir); print(c.rules_dir)"
    )
    read = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert read.stdout.splitlines() == [str(sites), str(rules)], read.stderr[-2000:]


def test_every_command_is_thin() -> None:
    """A command parses its options and calls the library: no command
    function holds more than 25 lines of code besides its help text (the
    web workbench must be able to do what a command does without it)."""
    import ast

    folder = Path(__file__).resolve().parents[1] / "crawler" / "interfaces" / "cli"
    long = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or not any(
                "command" in ast.unparse(d) or "group" in ast.unparse(d)
                for d in node.decorator_list
            ):
                continue
            body = node.body
            if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            lines = (node.end_lineno or 0) - body[0].lineno + 1 if body else 0
            if lines > 25:
                long.append(f"{path.name}:{node.name} ({lines} lines)")
    assert long == []
