"""The ``adwatch`` command.  Thin: each subcommand parses its options and calls
one module.  Every command's help carries an example (tests/test_cli.py checks
that each is documented in README.md too)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from crawler.items import CHANNELS, LABELS


def _settings(data_dir: str | None, catalogue: str | None, **extra: Any) -> Any:
    from crawler.run import project_settings

    overrides: dict[str, Any] = {k: v for k, v in extra.items() if v not in (None, "")}
    if data_dir:
        overrides["ADWATCH_DATA_DIR"] = data_dir
    if catalogue:
        overrides["ADWATCH_CATALOGUE"] = catalogue
    return project_settings(overrides)


def _catalogue_uri(data_dir: str | None, catalogue: str | None) -> str:
    from crawler.config import AdwatchConfig

    return AdwatchConfig.from_settings(_settings(data_dir, catalogue)).catalogue_uri


data_dir_option = click.option(
    "--data-dir",
    envvar="ADWATCH_DATA_DIR",
    default=None,
    help="Folder for the catalogue, rejects and logs (default: ./var).",
)
catalogue_option = click.option(
    "--catalogue",
    envvar="ADWATCH_CATALOGUE",
    default=None,
    help="Catalogue URI, e.g. sqlite:///var/catalogue.db (default: <data-dir>/catalogue.db).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """adwatch: find anti-debt-collection (反催收) ads, keep the evidence, search it."""


@cli.command()
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    multiple=True,
    help="Channel(s) to crawl; default all three.",
)
@click.option("--site", "sites", multiple=True, help="Site profile name(s); default the demo ones.")
@click.option("--query", "queries", multiple=True, help="Query to search (replaces the profiles').")
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=None,
    help="Result pages or scroll batches per query.",
)
@click.option("--demo", is_flag=True, help="Start the bundled demo web and crawl it.")
@click.option(
    "--demo-size",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Size of the demo web (with --demo).",
)
@click.option("--base-url", default=None, help="Point the chosen profiles at another host.")
@click.option(
    "--job-dir",
    default=None,
    help="Keep the crawl state here so an interrupted crawl resumes (Scrapy JOBDIR).",
)
@click.option(
    "-s",
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Any Scrapy or adwatch setting, e.g. -s DOWNLOAD_TIMEOUT=5.",
)
@click.option(
    "--ocr-engine",
    type=click.Choice(["rapidocr", "paddleocr", "none"]),
    default=None,
    help="Engine that reads text and QR codes in images (default: rapidocr).",
)
@click.option("--verbose", is_flag=True, help="Log to the terminal instead of the log file.")
@data_dir_option
@catalogue_option
def crawl(
    channel: tuple[str, ...],
    sites: tuple[str, ...],
    queries: tuple[str, ...],
    max_pages: int | None,
    demo: bool,
    demo_size: int,
    base_url: str | None,
    job_dir: str | None,
    sets: tuple[str, ...],
    ocr_engine: str | None,
    verbose: bool,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Crawl search results, short videos and marketplace listings into the catalogue.

    \b
    Example:
      adwatch crawl --demo                      # the bundled demo web, all channels
      adwatch crawl --channel video --query 停催 --max-pages 2
      adwatch crawl --site baidu --query 征信修复 --job-dir var/jobs/baidu
    """
    from contextlib import nullcontext
    from datetime import datetime

    from crawler.run import crawl as run_crawl
    from crawler.run import demo_web

    extra: dict[str, Any] = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        extra[name.strip()] = value
    if job_dir:
        extra["JOBDIR"] = job_dir
    if ocr_engine:
        extra["ADWATCH_OCR_ENGINE"] = ocr_engine
    settings = _settings(data_dir, catalogue, **extra)
    if not verbose:
        logs = Path(settings.get("ADWATCH_DATA_DIR")) / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        settings.set(
            "LOG_FILE", str(logs / f"crawl-{datetime.now():%Y%m%d-%H%M%S}.log"), priority="cmdline"
        )
        click.echo(f"log: {settings.get('LOG_FILE')}", err=True)
    if demo and "DOWNLOAD_TIMEOUT" not in extra:
        # loopback answers in milliseconds; the demo's deliberately slow page
        # (8 s) should become a timeout reject without holding the run for long
        settings.set("DOWNLOAD_TIMEOUT", 4, priority="cmdline")
    with demo_web(size=demo_size, slow_seconds=8.0) if demo else nullcontext(base_url) as url:
        if url:
            settings.set("ADWATCH_BASE_URL", url, priority="cmdline")
            click.echo(f"crawling {url}", err=True)
        result = run_crawl(
            settings,
            channels=channel or CHANNELS,
            sites=sites,
            queries=queries,
            max_pages=max_pages,
        )
    click.echo(result.summary())
    if any(v not in ("finished", "shutdown") for v in result.figures.finish_reasons.values()):
        sys.exit(1)


@cli.command()
@click.argument("query", required=False, default="")
@click.option("--label", type=click.Choice(LABELS), default=None)
@click.option("--platform", default=None, help="Site profile name, e.g. demo-douyin.")
@click.option("--channel", type=click.Choice(CHANNELS), default=None)
@click.option("--since", default=None, help="Only records seen on or after this date (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON record per line.")
@data_dir_option
@catalogue_option
def search(
    query: str,
    label: str | None,
    platform: str | None,
    channel: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Search the catalogue (Chinese substrings work: 停催 finds 当天停催).

    \b
    Example:
      adwatch search 停催
      adwatch search 征信 --label ad --channel market --since 2026-11-01 --json
    """
    from crawler.show import format_hits
    from evidence.index import open_catalogue

    with open_catalogue(_catalogue_uri(data_dir, catalogue)) as cat:
        result = cat.search(
            query, label=label, platform=platform, channel=channel, since=since, limit=limit
        )
    if as_json:
        for hit in result.hits:
            click.echo(json.dumps(hit, ensure_ascii=False))
        return
    click.echo(format_hits(query, result.total, result.hits))


@cli.command()
@data_dir_option
@catalogue_option
def stats(data_dir: str | None, catalogue: str | None) -> None:
    """Counts in the catalogue: records by channel, platform and label; blocks; rejects.

    \b
    Example:
      adwatch stats
    """
    from crawler.show import format_stats
    from evidence.index import open_catalogue

    with open_catalogue(_catalogue_uri(data_dir, catalogue)) as cat:
        click.echo(format_stats(cat.stats(), cat.rejects(limit=10)))


@cli.command()
@click.option("--check", is_flag=True, help="Only check every profile; exit 1 on an error.")
def sites(check: bool) -> None:
    """List the site profiles (crawler/sites/*.yaml) and check that they load.

    \b
    Example:
      adwatch sites
    """
    from crawler.config import AdwatchConfig
    from crawler.profiles import ProfileError, load_profiles

    cfg = AdwatchConfig.from_settings(_settings(None, None))
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


@cli.command()
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
    from crawler.ocr import Reading, engine, read_image, reading_json

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
    help="Folder of detection rule files (default: crawler/detect/rules).",
)


@cli.command()
@click.argument("text", required=False)
@click.option(
    "--jsonl",
    "jsonl",
    type=click.File("rb"),
    default=None,
    help='JSON Lines with a "text" field ("-" for stdin); one result line per input line.',
)
@rules_option
def score(text: str | None, jsonl: Any, rules_dir: str | None) -> None:
    """Score text for anti-collection advertising: label, score, categories,
    matched words, contacts and the reasons, as JSON.

    \b
    Example:
      adwatch score "逾期先别还，当天停❤催，加薇信 tc8888"
      adwatch score --jsonl texts.jsonl > scored.jsonl
    """
    from crawler.detect import RulesError, load_rules
    from crawler.detect.batch import score_lines

    if (text is None) == (jsonl is None):
        raise click.UsageError('give either a TEXT or --jsonl FILE (or "-" for stdin)')
    try:
        rules = load_rules(rules_dir)
    except RulesError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if text is not None:
        from crawler.detect import score_text, verdict_json

        click.echo(json.dumps(verdict_json(score_text(text, rules)), ensure_ascii=False))
        return
    bad = score_lines(jsonl, sys.stdout, rules, err=sys.stderr)
    if bad:
        click.echo(f"{bad} input line(s) could not be scored (see the error lines)", err=True)


@cli.command()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--min-ads",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Only operators with at least this many ads (1 lists lone ads too).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON operator per line.")
@data_dir_option
@catalogue_option
def clusters(
    limit: int, min_ads: int, as_json: bool, data_dir: str | None, catalogue: str | None
) -> None:
    """Operators: ads and suspects linked by a shared phone, WeChat, QQ or
    link, or by a near-identical text, largest first (re-linked now).

    \b
    Example:
      adwatch clusters
      adwatch clusters --min-ads 5 --json
    """
    from crawler.detect.cluster import relink
    from crawler.show import format_operators
    from evidence.index import open_catalogue

    with open_catalogue(_catalogue_uri(data_dir, catalogue)) as cat:
        relink(cat)
        found = cat.operators(limit=limit, min_ads=min_ads)
    if as_json:
        for op in found:
            click.echo(json.dumps(op, ensure_ascii=False))
        return
    click.echo(format_operators(found))


@cli.group()
def demo() -> None:
    """The bundled demo web: a simulated search engine, video site and marketplace."""


@demo.command("serve")
@click.option("--port", type=int, default=8765, show_default=True, help="0 picks a free port.")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--size", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--slow-seconds",
    type=float,
    default=20.0,
    show_default=True,
    help="How long the deliberately slow page takes.",
)
@click.option(
    "--ground-truth",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the ground truth (JSON Lines) here.",
)
def demo_serve(
    port: int, seed: int, size: int, slow_seconds: float, ground_truth: str | None
) -> None:
    """Serve the demo web on 127.0.0.1 until Ctrl-C.

    \b
    Example:
      adwatch demo serve --port 8765
      adwatch crawl --base-url http://127.0.0.1:8765      # in another terminal
    """
    from crawler.run import demo_args
    from demo.server import main as serve

    argv = demo_args(port, seed, size, slow_seconds, ground_truth)
    sys.exit(serve(argv))


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="adwatch")


if __name__ == "__main__":
    main()
