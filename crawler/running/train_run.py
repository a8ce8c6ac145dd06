"""`adwatch train` as a library function: the labelled texts gathered (the
real sets, the team's written set, files given, and the analysts' decisions
in the catalogue when asked), the model trained and judged on sources it
never saw, and written when asked."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from crawler.running.lifecycle import JobError, Outcome

# search pages read at a time when gathering reviewed records
_PAGE = 500


def reviewed_records(catalogue: Any) -> Iterator[dict[str, Any]]:
    """Every record an analyst confirmed or rejected."""
    for decision in ("confirmed", "rejected"):
        offset = 0
        while True:
            page = catalogue.search(review=decision, limit=_PAGE, offset=offset)
            yield from page.hits
            offset += len(page.hits)
            if not page.hits or offset >= page.total:
                break


def train_job(
    extra: Sequence[Path],
    folds: int,
    say: Callable[[str], None],
    *,
    out: Path | None = None,
    write: bool = False,
    rules_dir: str | None = None,
    catalogue_uri: str = "",
) -> Outcome:
    """Retrain the learned model; ``catalogue_uri``: also learn from the
    analysts' decisions kept there (confirmed: ad, rejected: not)."""
    from crawler.reading.detect import RulesError, load_rules
    from crawler.reading.detect.model import MODEL_PATH
    from crawler.reading.detect.training import (
        default_examples,
        read_examples,
        reviewed_examples,
        train,
        write_model,
    )
    from evidence.index import open_catalogue

    try:
        rules = load_rules(rules_dir)
    except RulesError as exc:
        raise JobError(str(exc)) from None
    examples, heldout = default_examples()
    for path in extra:
        try:
            examples += read_examples(path, "analyst")
        except (ValueError, KeyError, UnicodeError) as exc:
            raise JobError(f"{path}: not labelled JSON Lines ({exc!r})") from None
    if catalogue_uri:
        with open_catalogue(catalogue_uri) as catalogue:
            decided = reviewed_examples(reviewed_records(catalogue))
        say(
            f"analysts' decisions: {sum(e.ad for e in decided)} confirmed, "
            f"{sum(not e.ad for e in decided)} rejected"
        )
        examples += decided
    if not any(e.kind != "written" for e in examples):
        say("note: no real texts found (../shared/data); training on the written set")
    result = train(examples, heldout, folds, rules, progress=say)
    lines = list(result.lines)
    target = out or MODEL_PATH
    if write:
        write_model(result.model, target)
        lines.append(f"model written: {target}")
    else:
        lines.append(f"not written (--write replaces {target})")
    return Outcome(lines=lines)
