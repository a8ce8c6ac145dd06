"""The docs: the generated reference pages match the code, and every link
between the pages (and to files of the project) leads somewhere."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
assert _spec and _spec.loader
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)


@pytest.mark.parametrize("page", sorted(generate.PAGES))
def test_generated_page_is_up_to_date(page):
    """docs/commands.md from the click help, docs/settings.md from crawler/settings.py."""
    built = generate.PAGES[page]()
    on_disk = (ROOT / "docs" / page).read_text(encoding="utf-8")
    assert on_disk == built, f"docs/{page} is stale: run {generate.REGENERATE}"


def test_every_command_and_adwatch_setting_is_in_the_references():
    """What the generators walk is the whole of it, not a part."""
    from crawler import settings
    from crawler.interfaces.cli import cli

    commands = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    for path, _ in generate._walk(cli, None):
        assert f"## adwatch {path}" in commands or f"## {path}" in commands, path
    reference = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in dir(settings):
        if name.startswith("ADWATCH_"):
            assert f"`{name}`" in reference, name


def test_every_name_the_code_reads_is_described():
    missing = [n for n in generate.other_names() if n not in generate.OTHER_NAMES]
    assert not missing, f"describe {missing} in OTHER_NAMES of docs/generate.py"


def test_the_readme_stays_one_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move the detail to docs/"


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = generate._anchor(heading.replace("`", "").strip())
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def _pages() -> list[Path]:
    docs = sorted((ROOT / "docs").glob("*.md"))
    pages = [ROOT / "README.md", ROOT / "bench" / "README.md", *docs]
    return [page for page in pages if page.exists()]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_lead_somewhere(page):
    """Every relative link names an existing file, and its #anchor a heading there."""
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        missing = not dest.exists()
        if missing or (anchor and dest.suffix == ".md" and anchor not in _anchors(dest)):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"
