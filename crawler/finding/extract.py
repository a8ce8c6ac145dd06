"""Reading text out of fetched pages: encoding, selectors, JSON paths.

Pages are written by adversaries and by old Chinese CMSs: a GBK page with no
charset anywhere is common, and Scrapy's generic guess can turn it into
mojibake.  ``page_text`` decodes with what the page declares, else UTF-8 if the
bytes are valid UTF-8, else GB18030 (a superset of GBK and GB2312).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urljoin

import jmespath
from jmespath.exceptions import JMESPathError
from parsel import Selector
from scrapy.http import Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_LINES = re.compile(r"\n\s*\n+")


def page_text(response: Response) -> str:
    """The page body as text, decoded the way a Chinese browser would."""
    body = response.body
    declared = http_content_type_encoding(
        (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    ) or html_body_declared_encoding(body)
    if declared:
        try:
            return body.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
    for encoding in ("utf-8", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    if isinstance(response, TextResponse):
        return response.text
    return body.decode("utf-8", errors="replace")


def page_selector(response: Response) -> Selector:
    return Selector(text=page_text(response))


def clean(text: str) -> str:
    """Collapse runs of blanks; keep line breaks between blocks."""
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    return _LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


def text_of(sel: Selector, css: str | None) -> str:
    """All text under the first element a selector list finds.

    ``css`` may be a comma list of alternatives, tried in order; a trailing
    ``::attr(x)`` or ``::text`` is honoured as is."""
    if not css:
        return ""
    for alternative in (c.strip() for c in css.split(",")):
        if "::" in alternative:
            value = sel.css(alternative).get()
            if value:
                return clean(value)
            continue
        found = sel.css(alternative)
        if found:
            text = clean(visible_text(found[0].root))
            if text:
                return text
    return ""


# Elements that start a new line when a browser lays the page out.
_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
# Elements whose text a reader never sees.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "head"})


def visible_text(root: Any) -> str:
    """Text of an lxml element as a reader sees it: inline elements run
    together (停<em>催</em> stays 停催), block elements break lines, scripts,
    styles and comments are left out."""
    if isinstance(root, str):
        return root
    parts: list[str] = []

    def walk(node: Any) -> None:
        if not isinstance(node.tag, str) or node.tag.lower() in _HIDDEN:
            return
        block = node.tag.lower() in _BLOCK
        if block:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(root)
    return "".join(parts)


def all_of(sel: Selector, css: str | None) -> list[str]:
    """Every value a selector finds (for images and lists)."""
    if not css:
        return []
    return [v.strip() for v in sel.css(css).getall() if v and v.strip()]


def absolute(base: str, links: Iterable[str]) -> list[str]:
    """Absolute http(s) URLs, in order, without duplicates."""
    out: list[str] = []
    for link in links:
        url = urljoin(base, link)
        if url.startswith(("http://", "https://")) and url not in out:
            out.append(url)
    return out


class _ProfileFunctions(jmespath.functions.Functions):
    """JMESPath functions a profile may call beyond the standard ones."""

    @jmespath.functions.signature({"types": ["string", "null"]})
    def _func_html_text(self, value: str | None) -> str:
        """``html_text(text)``: the visible text of an HTML fragment, as a
        reader sees it (Weibo's ``mblog.text`` holds links and <br> in HTML)."""
        if not value:
            return ""
        root = Selector(text=f"<div>{value}</div>").css("div")
        return clean(visible_text(root[0].root)) if root else ""


_OPTIONS = jmespath.Options(custom_functions=_ProfileFunctions())


def json_path(data: Any, expression: str | None) -> Any:
    """Evaluate a JMESPath expression (with ``html_text()``); a bad expression
    is a profile error."""
    if not expression:
        return None
    try:
        return jmespath.search(expression, data, options=_OPTIONS)
    except JMESPathError as exc:
        raise ValueError(f"bad JSON path {expression!r}: {exc}") from None


def as_text(value: Any) -> str:
    """A JSON value as display text (lists joined by newlines)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(as_text(v) for v in value if v is not None)
    return str(value)


DATA_ENCODINGS = ("", "json", "url", "js")
# ``undefined`` where JSON has a value: after ``:``, ``[`` or ``,`` (JS state objects)
_UNDEFINED = re.compile(r"(?<=[:\[,])(\s*)undefined(?=\s*[,\]}])")


def embedded_json(sel: Selector, css: str, encoding: str = "") -> Any:
    """Data embedded in a page: ``json`` (the default) as it stands, e.g.
    <script id="RENDER_DATA">; ``url`` URL-encoded first; ``js`` a script that
    assigns a literal (``window.__INITIAL_STATE__={...}`` on Xiaohongshu,
    ``var $render_data = [{...}][0] || {};`` on Weibo's mobile pages): the first
    ``{`` or ``[`` value after the first ``=`` is read, ``undefined`` as null."""
    raw = sel.css(css).get()
    if raw is None:
        raise ValueError(f"no embedded data at {css!r}")
    if encoding == "url":
        raw = unquote(raw)
    if encoding != "js":
        return json.loads(raw)
    _, equals, value = raw.partition("=")
    start = min((i for i in (value.find("{"), value.find("[")) if i >= 0), default=-1)
    if not equals or start < 0:
        raise ValueError(f"no assigned object or list in the script at {css!r}")
    data, _end = json.JSONDecoder().raw_decode(_UNDEFINED.sub(r"\1null", value[start:]))
    return data
