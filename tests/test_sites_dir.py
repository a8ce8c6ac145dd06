"""Profiles from a user folder (--sites-dir, ADWATCH_SITES_DIR) beside the packaged ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.finding.profile_folders import PACKAGED, load_site_profiles
from crawler.finding.profiles import ProfileError
from crawler.interfaces.cli import cli
from tests.conftest import adwatch


def user_copy(folder: Path, packaged: str, name: str, **replace: str) -> Path:
    """A packaged profile copied under another name (and file), with edits."""
    folder.mkdir(exist_ok=True)
    text = (PACKAGED / f"{packaged}.yaml").read_text(encoding="utf-8")
    text = text.replace(f"name: {packaged}", f"name: {name}")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = folder / f"{name}-mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_profile_joins_the_packaged_ones_and_overrides_by_name(tmp_path):
    user_copy(tmp_path, "demo-baidu", "mine")
    user_copy(tmp_path, "baidu", "baidu", **{"max_pages: 3": "max_pages: 1"})
    profiles = load_site_profiles(tmp_path)
    assert {"mine", "baidu", "demo-douyin", "xianyu"} <= set(profiles)
    assert profiles["baidu"].max_pages == 1 and profiles["baidu"].source.parent == tmp_path
    assert profiles["demo-baidu"].source.parent == PACKAGED
    assert load_site_profiles(None)["baidu"].max_pages == 3  # the packaged one is untouched


def test_a_missing_user_folder_is_an_error_not_the_packaged_set(tmp_path):
    with pytest.raises(ProfileError, match="sites folder not found"):
        load_site_profiles(tmp_path / "typo")


def test_sites_lists_and_checks_a_user_folder_and_names_the_override(tmp_path):
    user_copy(tmp_path, "demo-baidu", "mine")
    user_copy(tmp_path, "baidu", "baidu")
    # (ADWATCH_SITES_DIR in the environment: test_cli's test of the folders' settings)
    listed = CliRunner().invoke(cli, ["sites", "--sites-dir", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line for line in listed.output.splitlines()}
    assert re.search(r"\buser\s+\S*mine-mine\.yaml$", lines["mine"])
    assert "user, overrides packaged" in lines["baidu"]
    assert "packaged" in lines["demo-douyin"] and "user" not in lines["demo-douyin"]
    checked = CliRunner().invoke(cli, ["sites", "--check", "--sites-dir", str(tmp_path)])
    packaged = len(list(PACKAGED.glob("*.yaml")))
    assert checked.exit_code == 0 and f"{packaged + 1} profiles OK" in checked.output
    assert str(tmp_path) in checked.output
    (tmp_path / "broken.yaml").write_text("name: broken\nchannel: search\n", encoding="utf-8")
    broken = CliRunner().invoke(cli, ["sites", "--check", "--sites-dir", str(tmp_path)])
    assert broken.exit_code == 1 and "broken.yaml" in broken.output


def test_every_command_that_reads_profiles_takes_sites_dir():
    for name in ("crawl", "sites", "capture", "recheck", "schedule"):
        help_text = CliRunner().invoke(cli, [name, "--help"]).output
        assert "--sites-dir" in help_text, name


@pytest.mark.slow
def test_a_user_profile_is_crawled(tmp_path):
    """A copy of the demo search profile under another name, from a user
    folder only: the crawl finds its ads and files them under that name."""
    sites = tmp_path / "sites"
    user_copy(sites, "demo-baidu", "user-search")
    data = tmp_path / "data"
    done = adwatch(
        "crawl", "--demo", "--channel", "search", "--site", "user-search",
        "--sites-dir", str(sites), "--max-pages", "1", "--query", "网贷逾期怎么办",
        "--ocr-engine", "none", "-s", "ADWATCH_CAPTURE=False",
        data_dir=data,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    stats = adwatch("stats", data_dir=data)
    assert stats.returncode == 0, stats.stderr[-2000:]
    found = re.search(r"user-search (\d+)", stats.stdout)
    assert found and int(found.group(1)) > 0, stats.stdout
    assert "demo-baidu" not in stats.stdout
