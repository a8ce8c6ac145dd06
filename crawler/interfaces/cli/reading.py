"""Reading and scoring: `adwatch sites`, `ocr`, `score`, `train`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    catalogue_uri_for,
    data_dir_option,
    echo_json,
    finish,
    invocation_settings,
    say,
)


@click.command()
@click.option("--check", is_flag=True, help="Only check every profile; exit 1 on an error.")
def sites(check: bool) -> None:
    """List the site profiles (crawler/finding/sites/*.yaml) and check that they load.

    \b
    Example:
      adwatch sites
    """
    from crawler.config import AdwatchConfig
    from crawler.finding.profiles import ProfileError, load_profiles

    cfg = AdwatchConfig.from_settings(invocation_settings(None, None))
    try:
        profiles = load_profiles(cfg.sites_dir)
    except ProfileError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if check:
        click.echo(f"{len(profiles)} profiles OK in {cfg.sites_dir}")
        return
    for p in profiles.values():
        click.echo(f"{p.name:<16}{p.channel:<8}{p.base_url:<32}{p.source.name}")


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--engine",
    "ocr_engine",
    type=click.Choice(["rapidocr", "paddleocr"]),
    default="rapidocr",
    show_default=True,
)
def ocr(images: tuple[str, ...], ocr_engine: str) -> None:
    """Read the text and QR codes in images, one JSON line per image:
    file, text, lines (text, box, confidence), qr, engine, ms.

    \b
    Example:
      adwatch ocr banner.png listing.jpg
      adwatch ocr --engine paddleocr var/objects/images/ab/cd/*.png
    """
    from crawler.reading.ocr import Reading, engine, read_image, reading_json

    reader = engine(ocr_engine)
    failed = 0
    for name in images:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            reading = Reading(engine=ocr_engine, error=f"unreadable: {exc.strerror or exc}")
        else:
            reading = read_image(data, reader)
        if reading.error:
            failed += 1
            click.echo(f"adwatch ocr: {name}: {reading.error}", err=True)
        click.echo(reading_json(name, reading))
    if failed:
        sys.exit(1)


rules_option = click.option(
    "--rules",
    "rules_dir",
    envvar="ADWATCH_RULES_DIR",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder of detection rule files (default: crawler/reading/detect/rules).",
)


@click.command()
@click.argument("text", required=False)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("rb"),
    default=None,
    help='JSON Lines with a "text" field ("-" for stdin); one result line per input line '
    "(an error object for a line that cannot be scored; then the exit status is 1).",
)
@rules_option
@click.option(
    "--model",
    "model_spec",
    envvar="ADWATCH_MODEL",
    default="",
    help='The learned model beside the rules: a model file, or "none" for the rules '
    "alone (default: crawler/reading/detect/model.json).",
)
def score(text: str | None, jsonl: Any, rules_dir: str | None, model_spec: str) -> None:
    """Score text for anti-collection advertising: label, score, categories,
    matched words, contacts and the reasons, as JSON.

    \b
    Example:
      adwatch score "逾期先别还，当天停❤催，加薇信 tc8888"
      adwatch score --jsonl texts.jsonl > scored.jsonl
    """
    from crawler.reading.detect import RulesError, load_rules
    from crawler.reading.detect.batch import score_lines

    if (text is None) == (jsonl is None):
        raise click.UsageError('give either a TEXT or --jsonl FILE (or "-" for stdin)')
    from crawler.reading.detect.model import load_model

    try:
        rules = load_rules(rules_dir)
        model = load_model(model_spec)
    except (RulesError, OSError, ValueError, KeyError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if text is not None:
        from crawler.reading.detect import score_text, verdict_json

        echo_json(verdict_json(score_text(text, rules, model)))
        return
    bad = score_lines(jsonl, sys.stdout, rules, err=sys.stderr, model=model)
    if bad:
        click.echo(f"{bad} input line(s) could not be scored (see the error lines)", err=True)
        sys.exit(1)


@click.command()
@click.option(
    "--data",
    "extra",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help='More labelled texts (JSON Lines: "text", "label" ad|not_ad, "category", '
    '"source"), e.g. analysts\' decisions; repeatable.',
)
@click.option(
    "--folds",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Cross-validation folds of whole sources (0: one source at a time).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the model (default: crawler/reading/detect/model.json).",
)
@click.option("--write", is_flag=True, help="Replace the model file (otherwise only report).")
@click.option(
    "--reviewed",
    is_flag=True,
    help="Also learn from the analysts' decisions in the catalogue (confirmed: ad, rejected: not).",
)
@rules_option
@data_dir_option
@catalogue_option
def train(
    extra: tuple[str, ...],
    folds: int,
    out: str | None,
    write: bool,
    reviewed: bool,
    rules_dir: str | None,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Retrain the learned model from labelled texts and print its figures on
    sources it never saw, beside the rules alone; --write replaces the model.

    \b
    Example:
      adwatch train                          # report only
      adwatch train --reviewed --write       # learn from the workbench's decisions too
      adwatch train --data var/reviewed.jsonl --write
    """
    from crawler.running.train_run import train_job

    uri = catalogue_uri_for(data_dir, catalogue) if reviewed else ""
    finish(
        lambda: train_job(
            [Path(p) for p in extra],
            folds,
            say,
            out=Path(out) if out else None,
            write=write,
            rules_dir=rules_dir,
            catalogue_uri=uri,
        )
    )
