"""``adwatch score --jsonl``: score a stream of JSON Lines, one answer per line.

Input is hostile: a line that is not UTF-8, not JSON, or has no string
"text" gets an ``{"error": ...}`` line in its place (so output line N always
answers input line N) and a message on stderr; the run goes on.  Texts longer
than the normaliser's limit are cut, and the answer says so in "problems".
"""

from __future__ import annotations

import json
from typing import IO, Any

from crawler.detect import score_text, verdict_json
from crawler.detect.rules import RuleSet


def score_lines(source: IO[bytes], out: IO[str], rules: RuleSet, err: IO[str]) -> int:
    """Score every non-blank line of ``source`` into ``out``; returns how many
    lines were errors."""
    bad = 0
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        answer: dict[str, Any]
        try:
            text = _text_of(line)
            answer = verdict_json(score_text(text, rules))
        except ValueError as exc:
            bad += 1
            answer = {"error": f"line {number}: {exc}"}
            err.write(f"adwatch score: line {number}: {exc}\n")
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
    out.flush()
    return bad


def _text_of(line: bytes) -> str:
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None
    try:
        doc = json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
        raise ValueError('expected an object with a string "text"')
    return str(doc["text"])
