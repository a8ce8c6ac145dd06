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


# Where the profile language is read: the loader and the spiders.  A key is a
# string looked up (x.get("k"), x["k"], need("k")) in one of the profile's mappings.
PROFILE_CODE = (
    "crawler/finding/profiles.py",
    "crawler/finding/spiders",
    "crawler/finding/profile_check.py",
)
PROFILE_MAPPINGS = frozenset(
    {"raw", "rate", "block", "session", "search", "detail", "s", "d", "f", "found", "fields"}
    | {"profile.search", "profile.detail"}
)


def profile_keys() -> set[str]:
    """Every profile key the code reads (see PROFILE_CODE)."""
    import ast

    from crawler.finding import profiles

    keys = set(profiles.COVERAGE_FIELDS) | {"min_records"}
    keys |= {k for sections in profiles.REQUIRED.values() for ks in sections.values() for k in ks}
    files: list[Path] = []
    for place in PROFILE_CODE:
        path = ROOT / place
        files += sorted(path.glob("*.py")) if path.is_dir() else [path]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key: object = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
                getter = isinstance(func, ast.Attribute) and func.attr == "get"
                if (getter and owner in PROFILE_MAPPINGS) or ast.unparse(func) == "need":
                    key = getattr(node.args[0], "value", None)
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in PROFILE_MAPPINGS:
                key = getattr(node.slice, "value", None)
            if isinstance(key, str):
                keys.add(key)
    return keys


def undocumented_profile_keys(page: str) -> list[str]:
    """Keys not written in the page as `key` or `section.key` (code spans)."""
    spans = set(re.findall(r"`([^`\n]+)`", page))
    named = {part for span in spans for part in re.split(r"[\s:{},]+", span)}
    named |= {name.rsplit(".", 1)[-1] for name in named}
    return sorted(k for k in profile_keys() if k not in named)


def test_every_profile_key_is_in_the_profile_reference():
    """docs/profiles.md names every key the profile loader and spiders read."""
    keys = profile_keys()
    # the scan sees the loader's keys and the spiders' (not an empty walk)
    assert {"channel", "storage_state", "page_size", "has_next", "data_encoding"} <= keys
    assert {"comments", "sponsored", "min_records", "samples", "next_page"} <= keys
    page = (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8")
    assert undocumented_profile_keys(page) == []
    # and it notices a key the page leaves out
    without = re.sub(r"`[^`\n]*data_encoding[^`\n]*`", "", page)
    assert undocumented_profile_keys(without) == ["data_encoding"]
