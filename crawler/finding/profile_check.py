"""Checking a profile against a saved page or data answer, offline.

A platform changes its markup and a selector silently matches nothing: the
crawl then finds no titles, or no items at all, and says little about why.
Run against a page saved from the live site (or a data answer saved from the
browser's network panel), this names each selector or JMESPath expression and
how many results it matched, so the one that broke is plain.  It reads a
sample the way the spiders do (``text_of``, ``all_of``, ``json_path``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from parsel import Selector

from crawler.finding.extract import all_of, embedded_json, json_path, text_of
from crawler.finding.profiles import ProfileError, SiteProfile

PARTS = ("search", "detail")
# Keys that may rightly match nothing on a given page: a page without paid
# results has no sponsored mark, a last page no next link, a result no separate target.
OPTIONAL = frozenset(
    {
        "search.sponsored",
        "search.fields.sponsored",
        "search.next_page",
        "search.has_next",
        "search.target",
    }
)
# detail keys that are settings, not selectors
_NOT_SELECTORS = frozenset({"render", "xhr", "xhr_match", "data", "data_encoding", "fields"})


@dataclass(frozen=True)
class Match:
    """How one selector or path fared on a sample: matched in how many of how many."""

    key: str  # where it sits in the profile, e.g. search.fields.title
    expression: str
    matched: int
    of: int

    @property
    def empty(self) -> bool:
        return self.matched == 0

    @property
    def optional(self) -> bool:
        return self.key in OPTIONAL


def own_samples(profile: SiteProfile) -> dict[str, Path]:
    """The samples a profile names itself (``samples: {search: FILE, detail: FILE}``,
    relative to the profile's folder)."""
    raw = yaml.safe_load(profile.source.read_text(encoding="utf-8")) or {}
    named = raw.get("samples") or {}
    if not isinstance(named, dict) or set(named) - set(PARTS):
        raise ProfileError(f"{profile.source}: 'samples' maps search and/or detail to files")
    return {part: profile.source.parent / str(path) for part, path in named.items()}


def sample_arg(item: str) -> tuple[str, Path]:
    """``search=FILE``, ``detail=FILE`` or a bare FILE (a search sample)."""
    part, sep, name = item.partition("=")
    if sep and part in PARTS:
        return part, Path(name)
    return "search", Path(item)


def check_file(profile: SiteProfile, part: str, path: Path) -> list[Match]:
    """:func:`check_sample` on a saved file; an unreadable one is a ProfileError."""
    try:
        body = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror}") from None
    return check_sample(profile, part, body)


def check_sample(profile: SiteProfile, part: str, body: str) -> list[Match]:
    """Each selector or path of one part of the profile, against a sample body."""
    if part == "detail":
        return _detail(profile, body)
    if profile.channel == "search":
        return _result_page(profile.search, body)
    return _data_answer(profile.search, body)


def _result_page(s: dict[str, Any], body: str) -> list[Match]:
    sel = Selector(text=body)
    results = sel.css(s["results"])
    found = [Match("search.results", s["results"], len(results), len(results))]
    if not results:  # nothing to read the fields in: the container is what broke
        return found
    for key in ("title", "link", "target", "snippet", "site", "sponsored"):
        css = s.get(key)
        if not css:
            continue
        if key == "sponsored":
            hits = sum(1 for r in results if r.css(css))
        else:
            hits = sum(1 for r in results if text_of(r, css))
        found.append(Match(f"search.{key}", css, hits, len(results)))
    if s.get("next_page"):
        found.append(
            Match("search.next_page", s["next_page"], int(bool(sel.css(s["next_page"]).get())), 1)
        )
    return found


def _data_answer(s: dict[str, Any], body: str) -> list[Match]:
    data = _json(body)
    found: list[Match] = []
    if s.get("xhr_match"):  # an answer of another operation is not read at all
        hit = int(bool(json_path(data, str(s["xhr_match"]))))
        found.append(Match("search.xhr_match", str(s["xhr_match"]), hit, 1))
        if not hit:
            return found
    items = json_path(data, s["items"])
    items = items if isinstance(items, list) else []
    found.append(Match("search.items", s["items"], len(items), len(items)))
    if not items:
        return found
    if s.get("has_next"):
        found.append(
            Match(
                "search.has_next", s["has_next"], int(json_path(data, s["has_next"]) is not None), 1
            )
        )
    found += _paths("search.fields", s.get("fields") or {}, items)
    return found


def _detail(profile: SiteProfile, body: str) -> list[Match]:
    d = profile.detail
    if not d:
        raise ProfileError(f"{profile.source}: no detail section to check a sample against")
    if d.get("xhr"):  # the sample is the page's data answer (from the network panel)
        data = _json(body)
        found = [Match("detail.xhr", str(d["xhr"]), 1, 1)]
        if d.get("xhr_match"):
            hit = int(bool(json_path(data, str(d["xhr_match"]))))
            found.append(Match("detail.xhr_match", str(d["xhr_match"]), hit, 1))
        return found + _paths("detail.fields", d.get("fields") or {}, [data])
    sel = Selector(text=body)
    if d.get("data"):
        try:
            data = embedded_json(sel, d["data"], str(d.get("data_encoding", "")))
        except ValueError:  # no such element, or not JSON: its fields cannot be read
            return [Match("detail.data", d["data"], 0, 1)]
        return [
            Match("detail.data", d["data"], 1, 1),
            *_paths("detail.fields", d.get("fields") or {}, [data]),
        ]
    found = []
    for key, css in d.items():
        if key in _NOT_SELECTORS or not isinstance(css, str):
            continue
        got = all_of(sel, css) if key == "images" else text_of(sel, css)
        found.append(Match(f"detail.{key}", css, int(bool(got)), 1))
    return found


def _paths(prefix: str, paths: dict[str, Any], items: list[Any]) -> list[Match]:
    """Each JMESPath of a ``fields`` mapping, counted over the items it reads."""
    found = []
    for name, path in paths.items():
        hits = sum(1 for item in items if json_path(item, str(path)) not in (None, "", [], {}))
        found.append(Match(f"{prefix}.{name}", str(path), hits, len(items)))
    return found


def _json(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ProfileError(f"the sample is not a JSON answer: {exc}") from None
