"""``adwatch score --jsonl``: score a stream of JSON Lines, one answer per line.

Input is hostile.  Every input line gets exactly one output line, in order,
so output line N always answers input line N: a line that cannot be scored
(blank, not UTF-8, not JSON, nested too deeply for the JSON reader, not an
object with a string "text") gets ``{"line": N, "error": "line N: ..."}``
in its place and a message on stderr, and the run goes on.  Texts longer
than the normaliser's limit are cut, and the answer says so in "problems".
Output is written with ``json_line``: format and control characters in an
ad's text are escapes, never raw on a terminal.
"""

from __future__ import annotations

import json
from typing import IO, Any

from crawler.reading.detect import score_text, verdict_json
from crawler.reading.detect.model import Model
from crawler.reading.detect.rules import RuleSet
from evidence.safe_text import json_line, printable


def score_lines(
    source: IO[bytes], out: IO[str], rules: RuleSet, err: IO[str], model: Model | None = None
) -> int:
    """Score every line of ``source`` into ``out``, one answer per line;
    returns how many lines were errors."""
    bad = 0
    for number, line in enumerate(source, 1):
        answer: dict[str, Any]
        try:
            text = _text_of(line)
        except ValueError as exc:
            problem = str(exc)
        else:
            try:
                answer = verdict_json(score_text(text, rules, model))
            except Exception as exc:  # a detector bug: this line's answer, not the run's end
                problem = f"could not be scored ({type(exc).__name__}: {exc})"[:300]
            else:
                out.write(json_line(answer) + "\n")
                continue
        bad += 1
        out.write(json_line({"line": number, "error": f"line {number}: {problem}"}) + "\n")
        err.write(printable(f"adwatch score: line {number}: {problem}", one_line=True) + "\n")
    out.flush()
    return bad


def _text_of(line: bytes) -> str:
    """The "text" of one input line; ValueError saying why there is none."""
    if not line.strip():
        raise ValueError("blank line")
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None
    try:
        doc = json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:  # "[" * 100000: Python's JSON reader recurses per level
        raise ValueError("not JSON this program can read (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ValueError(f"not JSON this program can read ({exc})"[:300]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
        raise ValueError('expected an object with a string "text"')
    return str(doc["text"])
