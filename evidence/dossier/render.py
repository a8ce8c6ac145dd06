"""Render a dossier to HTML with the Jinja2 templates in ``templates/``.

Ad text is hostile, so the environment autoescapes everything, always (not
only ``.html`` files), and never treats data as a template: Jinja syntax in an
ad stays text.  Control and bidirectional-override characters, which HTML
escaping leaves alone but which reorder or hide what a reader sees, are
shown as visible marks (``⟨U+202E⟩``).
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from evidence.dossier.build import Dossier
from evidence.dossier.wording import capture_note_zh

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
REGULATORS = ("cac", "samr", "nfra")
_HIDDEN = re.compile(
    r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def visible(text: object) -> Markup:
    """Escaped text whose invisible and direction-changing characters (every
    control and format character: soft hyphens, tag characters, bidi marks)
    are shown as marks instead of acting on the page."""
    out = []
    for ch in str(text):
        if _HIDDEN.match(ch) or (unicodedata.category(ch) in ("Cf", "Cc") and ch not in "\n\t"):
            out.append(f'<span class="ctl">⟨U+{ord(ch):04X}⟩</span>')
        else:
            out.append(str(escape(ch)))
    return Markup("".join(out))


_PHRASE_END = re.compile(r"(?<=[）”])(?=[^）”，、。；：])")


def phrases(text: object) -> Markup:
    """A heading cut into phrases that each stay on one line (after a closing
    bracket or quote): a long title then breaks between phrases, never inside
    a word such as 举报 (WeasyPrint has no word-break: keep-all).  <wbr> marks
    each break: between ” and “ the line-breaking rules allow none of their own."""
    parts = _PHRASE_END.split(str(text))
    return Markup("<wbr>").join(Markup('<span class="nowrap">{}</span>').format(p) for p in parts)


def articles(text: object) -> Markup:
    """Articles such as 第四十四条、第四十五条, each kept on one line."""
    parts = str(text).split("、")
    shown = (
        Markup('<span class="nowrap">{}{}</span>').format(p, "、" if n < len(parts) else "")
        for n, p in enumerate(parts, 1)
    )
    return Markup("").join(shown)


def environment(templates: Path = TEMPLATES) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["visible"] = visible
    env.filters["size"] = _size
    env.filters["capture_note"] = capture_note_zh
    env.filters["phrases"] = phrases
    env.filters["articles"] = articles
    return env


def legal(templates: Path = TEMPLATES) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((templates / "legal.yaml").read_text("utf-8"))
    return loaded


def render(dossier: Dossier, out: Path, templates: Path = TEMPLATES) -> Path:
    """Write ``out/dossier.html`` (and its stylesheet) for one regulator."""
    if dossier.regulator not in REGULATORS:
        raise ValueError(f"unknown regulator {dossier.regulator!r}; one of {', '.join(REGULATORS)}")
    rules = legal(templates)
    out.mkdir(parents=True, exist_ok=True)
    (out / "assets").mkdir(exist_ok=True)
    shutil.copyfile(templates / "dossier.css", out / "assets" / "dossier.css")
    html = (
        environment(templates)
        .get_template(f"{dossier.regulator}.html")
        .render(
            d=dossier,
            reg=rules["regulators"][dossier.regulator],
            evidence_rules=rules["evidence_rules"],
            privacy=rules["privacy"],
        )
    )
    path = out / "dossier.html"
    path.write_text(html, encoding="utf-8")
    return path


def _size(n: object) -> str:
    value = float(str(n or 0))
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
