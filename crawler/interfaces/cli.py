"""The ``adwatch`` command.  Thin: each subcommand parses its options and calls
one module.  Every command's help carries an example (tests/test_cli.py checks
that each is documented in README.md or docs/ too)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from crawler.items import CHANNELS, LABELS

# Where --backend and --es-url leave their values for _settings (per invocation).
_BACKEND_META = "adwatch.backend"


def _settings(data_dir: str | None, catalogue: str | None, **extra: Any) -> Any:
    from crawler.running.run import project_settings

    overrides: dict[str, Any] = {k: v for k, v in extra.items() if v not in (None, "")}
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        overrides |= ctx.meta.get(_BACKEND_META, {})
    if data_dir:
        overrides["ADWATCH_DATA_DIR"] = data_dir
    if catalogue:
        overrides["ADWATCH_CATALOGUE"] = catalogue
    return project_settings(overrides)


def sets_option(help_text: str) -> Any:
    """-s/--set NAME=VALUE, repeatable: any Scrapy or adwatch setting."""
    return click.option("-s", "--set", "sets", multiple=True, metavar="NAME=VALUE", help=help_text)


def _parse_sets(sets: tuple[str, ...]) -> dict[str, str]:
    """-s NAME=VALUE pairs as a dict; the values are parsed by the setting's reader."""
    parsed: dict[str, str] = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        parsed[name.strip()] = value
    return parsed


def _catalogue_uri(data_dir: str | None, catalogue: str | None) -> str:
    from crawler.config import AdwatchConfig

    return AdwatchConfig.from_settings(_settings(data_dir, catalogue)).catalogue_uri


data_dir_option = click.option(
    "--data-dir",
    envvar="ADWATCH_DATA_DIR",
    default=None,
    help="Folder for the catalogue, rejects and logs (default: ./var).",
)
_catalogue_uri_option = click.option(
    "--catalogue",
    envvar="ADWATCH_CATALOGUE",
    default=None,
    help="Catalogue URI, e.g. sqlite:///var/catalogue.db or elasticsearch+https://es:9200 "
    "(default: from --backend).",
)


def _remember(setting: str) -> Any:
    def keep(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
        if value:
            ctx.meta.setdefault(_BACKEND_META, {})[setting] = value

    return keep


_backend_option = click.option(
    "--backend",
    type=click.Choice(["sqlite", "elastic"]),
    envvar="ADWATCH_BACKEND",
    default=None,
    expose_value=False,
    callback=_remember("ADWATCH_BACKEND"),
    help="Catalogue backend: sqlite (default: <data-dir>/catalogue.db) or elastic (--es-url).",
)
es_url_option = click.option(
    "--es-url",
    envvar="ADWATCH_ES_URL",
    default=None,
    expose_value=False,
    callback=_remember("ADWATCH_ES_URL"),
    help="Elasticsearch URL (default: ADWATCH_ES_URL). Credentials: ADWATCH_ES_API_KEY, or "
    "ADWATCH_ES_USER and ADWATCH_ES_PASSWORD; CA bundle: ADWATCH_ES_CA.",
)


profile_option = click.option(
    "--profile",
    default="manual",
    show_default=True,
    help="Schedule profile this run is for: its job history line, and its lock "
    "(two runs of one profile never overlap).",
)
job_id_option = click.option("--job-id", default=None, hidden=True)


def catalogue_option(command: Any) -> Any:
    """--catalogue, --backend and --es-url: which catalogue a command uses."""
    return _catalogue_uri_option(_backend_option(es_url_option(command)))


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
    help="Keep the crawl's frontier here so a stopped or killed crawl resumes "
    "(with --demo, the demo web's port too).",
)
@sets_option("Any Scrapy or adwatch setting, e.g. -s DOWNLOAD_TIMEOUT=5.")
@click.option(
    "--ocr-engine",
    type=click.Choice(["rapidocr", "paddleocr", "none"]),
    default=None,
    help="Engine that reads text and QR codes in images (default: rapidocr).",
)
@click.option("--verbose", is_flag=True, help="Log to the terminal instead of the log file.")
@profile_option
@job_id_option
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
    profile: str,
    job_id: str | None,
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

    from crawler.config import AdwatchConfig
    from crawler.finding.frontier import job_finished, mark_job_finished
    from crawler.running.jobs import Job, complete_crawl
    from crawler.running.run import check_sites, demo_web
    from crawler.running.run import crawl as run_crawl

    extra: dict[str, Any] = dict(_parse_sets(sets))
    if job_dir:
        extra["JOBDIR"] = job_dir
    if ocr_engine:
        extra["ADWATCH_OCR_ENGINE"] = ocr_engine
    settings = _settings(data_dir, catalogue, **extra)
    check_sites(settings, sites)  # an unknown --site: a usage error before anything starts
    own_frontier = bool(job_dir) and not settings.get("ADWATCH_REDIS_URL")
    if job_dir and own_frontier and (finished := job_finished(Path(job_dir))):
        click.echo(
            f"the crawl of {job_dir} finished at {finished}: nothing to resume "
            "(a new crawl needs a new --job-dir, or this one deleted first)",
            err=True,
        )
        return
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
    demo_port = _demo_port(Path(job_dir), demo_size) if demo and job_dir else 0
    job = Job(profile=profile, kind="crawl")
    job.id = job_id or job.id
    uri = AdwatchConfig.from_settings(settings).catalogue_uri
    with (
        _job(uri, settings, job),
        _frontier(settings, job_dir),
        demo_web(size=demo_size, slow_seconds=8.0, port=demo_port)
        if demo
        else nullcontext(base_url) as url,
        _demo_tsa(settings) if demo else nullcontext(),
    ):
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
        complete_crawl(job, result.stats, uri)
        reasons = set(result.figures.finish_reasons.values())
        if settings.getbool("ADWATCH_CAPTURE") and reasons <= {"finished"}:
            from crawler.running.evidence_run import capture_pending

            click.echo("capturing evidence of the ads and suspects found…", err=True)
            captured = capture_pending(settings)
            click.echo(captured.summary())
            if captured.stopped:
                job.finish("interrupted", "Ctrl-C during the evidence capture")
        elif settings.getbool("ADWATCH_CAPTURE"):
            click.echo("evidence not captured: the crawl stopped early (`adwatch capture` does it)")
    unstored = sum(int(s.get("adwatch/catalogue/unstored", 0)) for s in result.stats.values())
    if unstored:
        errors = {str(s.get("adwatch/catalogue/error", "")) for s in result.stats.values()} - {""}
        files = [
            str(s["adwatch/catalogue/unstored_file"])
            for s in result.stats.values()
            if s.get("adwatch/catalogue/unstored_file")
        ]
        click.echo(
            f"{unstored} records NOT STORED in {uri}: {'; '.join(sorted(errors))}"
            + (f"; kept in {', '.join(files)}" if files else "; not kept either (see the log)"),
            err=True,
        )
        sys.exit(1)
    if job_dir and own_frontier and reasons <= {"finished"}:
        mark_job_finished(Path(job_dir), job.ended or datetime.now().isoformat())
    if reasons - {"finished", "shutdown", "closespider_timeout", "closespider_pagecount"}:
        sys.exit(1)


def _demo_port(folder: Path, size: int) -> int:
    """The loopback port of a job folder's demo web: a resumed `--demo` crawl
    must find the demo where the first run left it, since the frontier holds
    its URLs.  Picked free on the first run and kept in ``demo.json``."""
    import json
    import socket

    saved = folder / "demo.json"
    try:
        known = json.loads(saved.read_text(encoding="utf-8"))
        port, known_size = int(known["port"]), int(known["size"])
    except FileNotFoundError:
        from crawler.finding.frontier import free_port

        port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps({"port": port, "size": size}), encoding="utf-8")
        return port
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(
            f"{saved} is unreadable ({exc}): delete it to start over"
        ) from None
    if known_size != size:
        raise click.ClickException(
            f"{folder} holds a crawl of the demo web of size {known_size}: "
            f"resume it with --demo-size {known_size}"
        )
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise click.ClickException(
                f"the demo web of {folder} ran on 127.0.0.1:{port}, which is in use now "
                "(a crawl of this folder still running, or another program): free it to resume"
            ) from None
    return port


@contextmanager
def _frontier(settings: Any, job_dir: str | None) -> Iterator[None]:
    """ADWATCH_REDIS_URL=local: a throw-away redis-server on 127.0.0.1 for this
    crawl's shared frontier (other workers may join it at the URL printed).
    Else, with a job folder and no shared frontier: the job folder's own."""
    if job_dir and not settings.get("ADWATCH_REDIS_URL"):
        from crawler.finding.frontier import job_frontier
        from crawler.running.jobs import Busy

        with ExitStack() as stack:
            try:
                frontier = stack.enter_context(job_frontier(Path(job_dir)))
            except Busy as exc:
                raise click.ClickException(
                    f"{exc}: wait for it to end, or use another --job-dir"
                ) from None
            for name, value in frontier.items():
                settings.set(name, value, priority="cmdline")
            yield
        return
    if settings.get("ADWATCH_REDIS_URL") != "local":
        yield
        return
    from datetime import datetime

    from crawler.finding.frontier import RedisServer

    with RedisServer() as server:
        settings.set("ADWATCH_REDIS_URL", server.url, priority="cmdline")
        if not settings.get("ADWATCH_FRONTIER_RUN"):
            run = f"run-{datetime.now():%Y%m%d-%H%M%S}"
            settings.set("ADWATCH_FRONTIER_RUN", run, priority="cmdline")
        click.echo(
            f"shared frontier {server.url} (run {settings.get('ADWATCH_FRONTIER_RUN')})", err=True
        )
        yield


@contextmanager
def _job(catalogue_uri: str, settings: Any, job: Any) -> Iterator[None]:
    """Run the block as `job` (history line, profile lock); a profile already
    running makes this run a recorded skip, not an error."""
    from crawler.interfaces.terminal import printable
    from crawler.running.jobs import Busy, raise_alerts, running, save

    data_dir = Path(settings.get("ADWATCH_DATA_DIR"))
    try:
        with running(catalogue_uri, data_dir, job):
            yield
    except Busy as exc:  # recorded as skipped; not an error of this run
        click.echo(f"skipped: {exc}", err=True)
        sys.exit(0)
    job.alerts = raise_alerts(job, settings, catalogue_uri, data_dir)
    if job.alerts:
        save(catalogue_uri, job)
        for title in job.alerts:
            click.echo(f"alert: {printable(title)}", err=True)
    click.echo(f"job {job.id} ({job.profile}): {job.status}", err=True)


@contextmanager
def _demo_tsa(settings: Any) -> Iterator[None]:
    """The demo's own time-stamp authority (``adwatch tsa serve``), unless one is set."""
    from evidence.tsa import tsa_process

    if settings.get("ADWATCH_TSA_URL") or not settings.getbool("ADWATCH_CAPTURE"):
        yield
        return
    folder = Path(settings.get("ADWATCH_DATA_DIR")) / "tsa"
    with tsa_process(folder) as url:
        settings.set("ADWATCH_TSA_URL", url, priority="cmdline")
        if not settings.get("ADWATCH_TSA_CA"):
            settings.set("ADWATCH_TSA_CA", str(folder / "ca.pem"), priority="cmdline")
        click.echo(f"time-stamp authority {url}", err=True)
        yield


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
    from crawler.interfaces.show import format_hits
    from evidence.index import open_catalogue

    with open_catalogue(_catalogue_uri(data_dir, catalogue)) as cat:
        result = cat.search(
            query, label=label, platform=platform, channel=channel, since=since, limit=limit
        )
    if as_json:
        for hit in result.hits:
            echo_json(hit)
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
    from crawler.interfaces.show import format_stats, format_takedowns
    from evidence.index import open_catalogue

    with open_catalogue(_catalogue_uri(data_dir, catalogue)) as cat:
        click.echo(format_stats(cat.stats(), cat.rejects(limit=10)))
        for line in format_takedowns(cat.takedowns()):
            click.echo(line)


@cli.command()
@click.option("--check", is_flag=True, help="Only check every profile; exit 1 on an error.")
def sites(check: bool) -> None:
    """List the site profiles (crawler/finding/sites/*.yaml) and check that they load.

    \b
    Example:
      adwatch sites
    """
    from crawler.config import AdwatchConfig
    from crawler.finding.profiles import ProfileError, load_profiles

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


def echo_json(value: Any) -> None:
    """Print ``value`` as one JSON line, for every --json output: ad text,
    file names and problems come from others, and JSON escapes only C0
    controls, so bidi overrides (U+202E, U+2066...), zero-width and other
    format characters, C1 controls and line separators are written as
    \\uXXXX escapes here, never raw to the terminal (evidence/_safe.py)."""
    from evidence.safe_text import json_line

    click.echo(json_line(value))


rules_option = click.option(
    "--rules",
    "rules_dir",
    envvar="ADWATCH_RULES_DIR",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder of detection rule files (default: crawler/reading/detect/rules).",
)


@cli.command()
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


@cli.command()
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
@rules_option
def train(
    extra: tuple[str, ...], folds: int, out: str | None, write: bool, rules_dir: str | None
) -> None:
    """Retrain the learned model from labelled texts and print its figures on
    sources it never saw, beside the rules alone; --write replaces the model.

    \b
    Example:
      adwatch train                          # report only
      adwatch train --data var/reviewed.jsonl --write
    """
    from crawler.reading.detect import RulesError, load_rules
    from crawler.reading.detect.model import MODEL_PATH
    from crawler.reading.detect.training import default_examples, read_examples, train, write_model

    try:
        rules = load_rules(rules_dir)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from None
    examples, heldout = default_examples()
    for path in extra:
        try:
            examples += read_examples(Path(path), "analyst")
        except (ValueError, KeyError, UnicodeError) as exc:
            raise click.ClickException(f"{path}: not labelled JSON Lines ({exc!r})") from None
    if not any(e.kind != "written" for e in examples):
        click.echo("note: no real texts found (../shared/data); training on the written set")
    result = train(examples, heldout, folds, rules, progress=lambda m: click.echo(m, err=True))
    for line in result.lines:
        click.echo(line)
    target = Path(out) if out else MODEL_PATH
    if write:
        write_model(result.model, target)
        click.echo(f"model written: {target}")
    else:
        click.echo(f"not written (--write replaces {target})")


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
    from crawler.interfaces.show import format_operators
    from crawler.reading.detect.cluster import relink
    from evidence.index import open_catalogue

    with open_catalogue(_catalogue_uri(data_dir, catalogue)) as cat:
        relink(cat)
        found = cat.operators(limit=limit, min_ads=min_ads)
    if as_json:
        for op in found:
            echo_json(op)
        return
    click.echo(format_operators(found))


def _duration(text: str) -> timedelta:
    """ "24h", "30m", "2d", "90s", "0" as a timedelta."""
    from crawler.config import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _evidence_settings(
    data_dir: str | None, catalogue: str | None, tsa_url: str | None, sets: tuple[str, ...] = ()
) -> Any:
    settings = _settings(data_dir, catalogue, **_parse_sets(sets))
    if tsa_url:
        settings.set("ADWATCH_TSA_URL", tsa_url, priority="cmdline")
    return settings


tsa_option = click.option(
    "--tsa",
    "tsa_url",
    envvar="ADWATCH_TSA_URL",
    default=None,
    help="RFC 3161 time-stamp authority URL (default: ADWATCH_TSA_URL).",
)


def _readonly_store(data_dir: str | None, ca_file: str | None) -> tuple[Any, Any]:
    """The configuration (with --ca as the TSA root) and the evidence store,
    opened read-only; exit 2 when there is no store there."""
    from crawler.config import AdwatchConfig
    from evidence.store import EvidenceStore

    settings = _settings(data_dir, None)
    if ca_file:
        settings.set("ADWATCH_TSA_CA", ca_file, priority="cmdline")
    config = AdwatchConfig.from_settings(settings)
    if not (config.evidence_dir / "ledger.jsonl").exists():
        click.echo(f"error: no evidence store at {config.evidence_dir}", err=True)
        sys.exit(2)
    return config, EvidenceStore(config.evidence_dir, readonly=True)


def ca_option(help_text: str) -> Any:
    """--ca: the time-stamp authority's trusted root(s), a PEM file."""
    return click.option(
        "--ca",
        "ca_file",
        envvar="ADWATCH_TSA_CA",
        default=None,
        type=click.Path(dir_okay=False),
        help=help_text,
    )


@cli.command()
@click.option("--record", "record_ids", multiple=True, help="Capture this record (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N pages.")
@tsa_option
@sets_option("An adwatch setting, e.g. -s ADWATCH_CAPTURE_CONCURRENCY=2.")
@data_dir_option
@catalogue_option
def capture(
    record_ids: tuple[str, ...],
    limit: int | None,
    tsa_url: str | None,
    sets: tuple[str, ...],
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Capture evidence of the ads and suspects that have none yet: screenshot,
    DOM, HTML, MHTML, images, WACZ of the network exchange, TLS chain, sealed in
    the evidence store and time-stamped (`adwatch crawl` ends with this).

    \b
    Example:
      adwatch capture
      adwatch capture --record 3f1c9a0b2d4e6f8a1b2c3d4e --tsa http://127.0.0.1:8318/
      adwatch capture -s ADWATCH_CAPTURE_TIMEOUT=40   # a slow site
    """
    from crawler.running.evidence_run import capture_pending

    settings = _evidence_settings(data_dir, catalogue, tsa_url, sets)
    try:
        figures = capture_pending(settings, record_ids=list(record_ids) or None, limit=limit)
    except KeyError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    click.echo(figures.summary())


@cli.command()
@click.option(
    "--older-than",
    default="24h",
    show_default=True,
    help="Re-check ads whose newest capture is older than this (30m, 24h, 7d; 0: all).",
)
@click.option("--record", "record_ids", multiple=True, help="Re-check this record (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N pages.")
@profile_option
@job_id_option
@tsa_option
@sets_option("An adwatch setting, e.g. -s ADWATCH_CAPTURE_CONCURRENCY=2.")
@data_dir_option
@catalogue_option
def recheck(
    older_than: str,
    record_ids: tuple[str, ...],
    limit: int | None,
    profile: str,
    job_id: str | None,
    tsa_url: str | None,
    sets: tuple[str, ...],
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Revisit captured ads and record each as live (unchanged), changed or gone,
    with a new sealed bundle, so a dossier can say it was still online, or taken
    down, on a later date.

    \b
    Example:
      adwatch recheck                  # ads last captured more than a day ago
      adwatch recheck --older-than 0   # every ad with evidence, now
    """
    from crawler.config import AdwatchConfig
    from crawler.running.evidence_run import recheck as run_recheck
    from crawler.running.jobs import Job

    settings = _evidence_settings(data_dir, catalogue, tsa_url, sets)
    job = Job(profile=profile, kind="recheck")
    job.id = job_id or job.id
    with _job(AdwatchConfig.from_settings(settings).catalogue_uri, settings, job):
        try:
            figures = run_recheck(
                settings, _duration(older_than), record_ids=list(record_ids) or None, limit=limit
            )
        except KeyError as exc:
            raise click.UsageError(str(exc.args[0])) from None
        job.pages = figures.targets
        job.gone_ads = figures.by_status.get("gone", 0)
        job.blocked = figures.by_outcome.get("blocked", 0)
        click.echo(figures.summary())
        if figures.stopped:
            job.finish("interrupted", "Ctrl-C")


@cli.command()
@click.argument("bundles", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every bundle in the ledger.")
@click.option("--openssl", is_flag=True, help="Also check each token with `openssl ts -verify`.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per bundle.")
@ca_option("PEM root(s) the TSA must chain to (default: ADWATCH_TSA_CA, or the demo TSA's).")
@data_dir_option
def verify(
    bundles: tuple[str, ...],
    everything: bool,
    openssl: bool,
    as_json: bool,
    ca_file: str | None,
    data_dir: str | None,
) -> None:
    """Re-check the evidence store: every artifact's hash, every manifest, every
    ledger link and every time-stamp token. Prints passed / failed / not checked
    with every problem named; exits 1 if anything failed.

    \b
    Example:
      adwatch verify --all
      adwatch verify --all --openssl
      adwatch verify 9c2e… --json
    """
    from evidence.verify import format_report
    from evidence.verify import verify as run_verify

    if bool(bundles) == everything:
        raise click.UsageError("give BUNDLE ids or --all")
    config, store = _readonly_store(data_dir, ca_file)
    try:
        report = run_verify(store, list(bundles) or None, config.tsa_ca, openssl)
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if everything:
        _cross_check(report, _catalogue_uri(data_dir, None))
    if as_json:
        for bundle in report.bundles:
            echo_json(bundle.to_dict())
        if report.ledger.problems:
            echo_json({"ledger": report.ledger.problems})
    else:
        click.echo(format_report(report, config.tsa_ca))
    if report.state == "failed":
        sys.exit(1)


def _cross_check(report: Any, catalogue_uri: str) -> None:
    """Bundles the catalogue recorded but the ledger does not list: the ledger
    was cut after its last time-stamped head (which the chain alone cannot
    show), or bundles were removed with their lines."""
    from pathlib import Path as _Path

    from evidence.index import open_catalogue

    path = catalogue_uri.removeprefix("sqlite://")
    if catalogue_uri.startswith("sqlite://") and not _Path(path).exists():
        return
    listed = {b.bundle_id for b in report.bundles}
    with open_catalogue(catalogue_uri) as cat:
        recorded = [c for c in cat.captures(limit=10**9) if c.get("bundle_id")]
    for row in recorded:
        if row["bundle_id"] not in listed:
            report.ledger.problems.append(
                f"bundle {row['bundle_id']} (record {row.get('record_id')}, captured "
                f"{row.get('at')}) is in the catalogue but in no ledger line: "
                "the ledger was cut or the bundle removed"
            )
            report.ledger.state = "failed"


@cli.command()
@tsa_option
@data_dir_option
def timestamp(tsa_url: str | None, data_dir: str | None) -> None:
    """Time-stamp the bundles still waiting for a token (sealed while the
    time-stamp authority was down or not configured).

    \b
    Example:
      adwatch timestamp --tsa http://127.0.0.1:8318/
    """
    from crawler.config import AdwatchConfig
    from evidence.bundle import stamp_head
    from evidence.safe_text import printable
    from evidence.store import EvidenceStore
    from evidence.timestamp import stamp_pending

    config = AdwatchConfig.from_settings(_evidence_settings(data_dir, None, tsa_url))
    store = EvidenceStore(config.evidence_dir)
    waiting = len(store.unstamped())
    if not waiting:
        click.echo("no bundle is waiting for a time-stamp")
        if config.tsa_url and stamp_head(store, config.tsa_url)[0] == "stamped":
            click.echo("time-stamped the ledger's head")
        return
    if not config.tsa_url:
        click.echo(f"error: {waiting} bundles wait, but no TSA is set (--tsa or ADWATCH_TSA_URL)")
        sys.exit(2)
    run = stamp_pending(store, config.tsa_url)
    click.echo(f"time-stamped {run.stamped} of {waiting} bundles; {run.remaining} still waiting")
    if run.stamped:
        stamp_head(store, config.tsa_url)
    for bundle_id, why in run.failed.items():
        click.echo(printable(f"  {bundle_id}: {why}"), err=True)
    if run.tsa_down:
        click.echo(f"the TSA at {config.tsa_url} is not reachable; try again later", err=True)
    if run.remaining:
        sys.exit(1)


@cli.group()
def tsa() -> None:
    """adwatch's own RFC 3161 time-stamp authority (openssl ts), for the demo and tests."""


@tsa.command("serve")
@click.option("--dir", "folder", default=None, help="CA, TSA key and config (default: var/tsa).")
@click.option("--port", type=int, default=8318, show_default=True, help="0 picks a free port.")
@data_dir_option
def tsa_serve(folder: str | None, port: int, data_dir: str | None) -> None:
    """Serve a time-stamp authority on 127.0.0.1 until Ctrl-C; its CA and TSA
    certificates are made on first use. Point ADWATCH_TSA_URL at it and
    ADWATCH_TSA_CA at its ca.pem.

    \b
    Example:
      adwatch tsa serve --port 8318
      ADWATCH_TSA_URL=http://127.0.0.1:8318/ adwatch capture
    """
    from evidence.tsa import main as serve

    where = folder or str(Path(_settings(data_dir, None).get("ADWATCH_DATA_DIR")) / "tsa")
    sys.exit(serve(["--dir", where, "--port", str(port)]))


@cli.command()
@click.argument("bundles", nargs=-1)
@click.option("--record", "record_id", default=None, help="Every bundle of this catalogue record.")
@click.option("--all", "everything", is_flag=True, help="Every bundle in the ledger.")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="New (or empty) folder to write the package to.",
)
@click.option("--zip", "make_zip", is_flag=True, help="Also write OUT.zip of the package.")
@ca_option("PEM root(s) of the TSA, copied to tsa/ca.pem (default: ADWATCH_TSA_CA, or the demo's).")
@data_dir_option
@catalogue_option
def export(
    bundles: tuple[str, ...],
    record_id: str | None,
    everything: bool,
    out: str,
    make_zip: bool,
    ca_file: str | None,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Export evidence bundles as a package a regulator can check without
    adwatch: files, manifests, time-stamp tokens, the ledger lines that chain
    them, the TSA root, SHA256SUMS, a README (Chinese and English) and a
    standalone verify.py (Python standard library and openssl only).

    \b
    Example:
      adwatch export --record 3f1c9a0b2d4e6f8a1b2c3d4e --out referral-2026-11 --zip
      adwatch export 9c2e… 41ab… --out var/export/package
      adwatch export --all --out var/export/everything
    """
    import shlex

    from evidence.export import export_bundles
    from evidence.store import StoreError

    if sum([bool(bundles), record_id is not None, everything]) != 1:
        raise click.UsageError("give BUNDLE ids, --record RECORD_ID or --all (one of them)")
    config, store = _readonly_store(data_dir, ca_file)
    wanted = list(bundles)
    if everything:
        wanted = store.bundle_ids()
    elif record_id is not None:
        wanted = _record_bundles(_catalogue_uri(data_dir, catalogue), record_id)
    if not wanted:
        where = f"record {record_id} in the catalogue" if record_id else "the evidence store"
        click.echo(f"error: {where} has no evidence bundle to export", err=True)
        sys.exit(2)
    if config.tsa_ca is None:
        click.echo(
            "warning: no TSA root (--ca or ADWATCH_TSA_CA): the package has no tsa/ca.pem, "
            "and the recipient must get the root from the TSA to check the time-stamps",
            err=True,
        )
    try:
        result = export_bundles(store, wanted, Path(out), config.tsa_ca, make_zip=make_zip)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except StoreError as exc:
        click.echo(f"error: {exc} (`adwatch verify --all` says more)", err=True)
        sys.exit(1)
    n = len(result.bundles)
    click.echo(
        f"exported {n} bundle{'s' if n != 1 else ''} ({result.files} files, "
        f"{result.bytes:,} bytes) to {result.folder}"
    )
    if result.zip is not None:
        click.echo(f"zip: {result.zip}")
    click.echo(f"check it with: python3 {shlex.quote(str(result.folder / 'verify.py'))}")


def _record_bundles(catalogue_uri: str, record_id: str) -> list[str]:
    """The bundles of one record's captures, oldest first (failed attempts have none)."""
    from evidence.index import open_catalogue

    with open_catalogue(catalogue_uri) as cat:
        rows = cat.captures(record_id)
    return list(dict.fromkeys(str(r["bundle_id"]) for r in reversed(rows) if r.get("bundle_id")))


@cli.command()
@click.option(
    "--regulator",
    type=click.Choice(["cac", "samr", "nfra"]),
    required=True,
    help="cac: 网信办 (12377); samr: 市场监督管理局 (12315); nfra: 金融监管总局.",
)
@click.option("--cluster", default="", help='An operator id (adwatch clusters), or "largest".')
@click.option("--platform", default="", help="Only ads of this platform.")
@click.option("--since", default="", help="Only ads seen on or after this date (YYYY-MM-DD).")
@click.option("--ids", "ids", multiple=True, help="These record ids (repeatable).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Dossier folder.")
@click.option("--zip", "make_zip", is_flag=True, help="Also write OUT.zip of the whole dossier.")
@click.option("--no-redact", is_flag=True, help="Show third parties' data unmasked.")
@click.option("--html-only", is_flag=True, help="Write the HTML dossier, no PDF.")
@click.option(
    "--sign-key",
    envvar="ADWATCH_SIGN_KEY",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="PEM private key to sign the PDF with (PAdES; B-T with a TSA).",
)
@click.option(
    "--sign-cert",
    envvar="ADWATCH_SIGN_CERT",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="PEM certificate (and chain) of that key.",
)
@tsa_option
@data_dir_option
@catalogue_option
def dossier(
    regulator: str,
    cluster: str,
    platform: str,
    since: str,
    ids: tuple[str, ...],
    out: str,
    make_zip: bool,
    no_redact: bool,
    html_only: bool,
    sign_key: str | None,
    sign_cert: str | None,
    tsa_url: str | None,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Write an evidence dossier for a regulator: HTML and PDF/A-3b (evidence
    files attached, signed when a key is given), the sealed bundles with their
    offline checker, and SHA256SUMS; third parties' data masked.

    \b
    Example:
      adwatch dossier --regulator samr --cluster largest --out var/dossiers/samr --zip
      adwatch dossier --regulator cac --platform demo-douyin --since 2026-11-01 --out d/cac
      adwatch dossier --regulator nfra --ids 3f1c9a0b2d4e6f8a1b2c3d4e --out d/one --html-only
    """
    from crawler.running.dossier_run import Signing, make_dossier
    from evidence.dossier.build import Selection

    if bool(sign_key) != bool(sign_cert):
        raise click.UsageError("--sign-key and --sign-cert go together")
    settings = _evidence_settings(data_dir, catalogue, tsa_url)
    selection = Selection(cluster=cluster, platform=platform, since=since, ids=ids)
    signing = Signing(Path(sign_key), Path(sign_cert)) if sign_key and sign_cert else None
    try:
        result = make_dossier(
            settings,
            regulator,
            selection,
            Path(out),
            redact=not no_redact,
            pdf=not html_only,
            signing=signing,
            make_zip=make_zip,
            progress=_dossier_progress,
        )
    except (LookupError, FileExistsError, ValueError) as exc:
        click.echo(f"error: {exc.args[0]}", err=True)
        sys.exit(2)
    click.echo(f"dossier for {regulator}: {result.exhibits} exhibits in {result.folder}")
    click.echo(f"  html: {result.html}")
    if result.pdf:
        signed = f", signed {result.signed}" if result.signed else ", not signed"
        click.echo(f"  pdf:  {result.pdf} ({result.pages} pages{signed})")
    if result.masked:
        click.echo(f"  masked third-party data on {result.masked} occasions (see each exhibit)")
    if result.zip:
        click.echo(f"  zip:  {result.zip}")
    took = result.seconds["total"]
    check = result.folder / "evidence" / "verify.py"
    click.echo(f"  took {took:.1f}s" + (f"; check it: python3 {check}" if check.exists() else ""))


def _dossier_progress(message: str) -> None:
    if not message.startswith("exhibit "):  # a line per exhibit would drown the rest
        click.echo(f"  {message}", err=True)


@cli.command()
@click.option("--profile", default=None, help="Only this profile's jobs.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON job per line.")
@data_dir_option
@catalogue_option
def jobs(
    profile: str | None, limit: int, as_json: bool, data_dir: str | None, catalogue: str | None
) -> None:
    """The job history: every crawl and re-check run, newest first.

    \b
    Example:
      adwatch jobs
      adwatch jobs --profile demo-search --limit 5 --json
    """
    from crawler.interfaces.show import format_jobs
    from evidence.index import open_catalogue

    with open_catalogue(_catalogue_uri(data_dir, catalogue)) as cat:
        found = cat.jobs(profile=profile, limit=limit)
    if as_json:
        for job in found:
            echo_json(job)
        return
    click.echo(format_jobs(found))


@cli.command()
@click.option(
    "--file",
    "schedule_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Schedule file (default: crawler/running/schedule.yaml, the demo profiles).",
)
@click.option("--demo", is_flag=True, help="Start the demo web and its TSA; runs go to them.")
@click.option("--once", is_flag=True, help="Run every profile once, one after another, then stop.")
@click.option("--run-for", default=None, help="Stop after this long (e.g. 2h, 90s); default never.")
@click.option(
    "--stop-wait",
    default="5m",
    show_default=True,
    help="On stop, how long runs may take to finish cleanly before they are killed.",
)
@sets_option("A setting passed to every run, e.g. -s ADWATCH_CAPTURE=False.")
@data_dir_option
@catalogue_option
def schedule(
    schedule_file: Path | None,
    demo: bool,
    once: bool,
    run_for: str | None,
    stop_wait: str,
    sets: tuple[str, ...],
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Run the crawl and re-check profiles on their schedules, unattended, until stopped.

    Each run is a child `adwatch crawl|recheck --profile NAME`, bounded in pages and
    time; two runs of one profile never overlap; every run is in `adwatch jobs`.
    Ctrl-C or SIGTERM stops it: the runs in progress finish cleanly (up to
    --stop-wait); a second Ctrl-C kills them.

    \b
    Example:
      adwatch schedule --demo --run-for 2h     # the demo profiles on the demo web
      adwatch schedule --file /etc/adwatch/schedule.yaml
      adwatch schedule --demo --once           # each profile once, now
    """
    from contextlib import nullcontext

    from crawler.config import AdwatchConfig
    from crawler.running.jobs import close_job
    from crawler.running.run import demo_web
    from crawler.running.schedule import (
        DEFAULT_FILE,
        ScheduleError,
        Watch,
        child_env,
        load_schedule,
    )

    try:
        profiles = load_schedule(schedule_file or DEFAULT_FILE)
    except ScheduleError as exc:
        raise click.UsageError(str(exc)) from None
    settings = _settings(data_dir, catalogue)
    config = AdwatchConfig.from_settings(settings)
    env = {
        "ADWATCH_DATA_DIR": str(config.data_dir.resolve()),
        "ADWATCH_CATALOGUE": config.catalogue_uri,
    }
    # parsed here, so that a malformed one is an error now, not in every run
    set_args = [arg for n, v in _parse_sets(sets).items() for arg in ("-s", f"{n}={v}")]
    extra: list[str] = []
    seconds = _duration(run_for).total_seconds() if run_for else None
    wait = _duration(stop_wait).total_seconds()
    with (
        demo_web(slow_seconds=8.0) if demo else nullcontext(None) as url,
        _demo_tsa(settings) if demo else nullcontext(),
    ):
        if url:
            extra += ["--base-url", url]
            click.echo(f"demo web {url}", err=True)
        if settings.get("ADWATCH_TSA_URL"):  # its root is <data dir>/tsa/ca.pem, found there
            env["ADWATCH_TSA_URL"] = settings.get("ADWATCH_TSA_URL")

        def ended(profile: Any, job_id: str, ending: str) -> None:
            close_job(config.catalogue_uri, profile.name, profile.command, job_id, ending)

        watch = Watch(
            profiles,
            child_env(env),
            extra,
            on_end=ended,
            out=click.echo,
            stop_wait=wait,
            settings_args=set_args,
        )
        if once:
            watch.run_each_once()
        else:
            watch.run_for(seconds)
    runs = watch.runs
    stopped = sum(run.stopped for run in runs)
    timed_out = sum(run.timed_out for run in runs)
    failed = sum(
        run.returncode not in (0, None) and not run.stopped and not run.timed_out for run in runs
    )
    click.echo(
        f"{len(runs)} runs: {failed} failed, {timed_out} timed out, {stopped} stopped "
        "(see `adwatch jobs`)"
    )


def _elastic_settings(data_dir: str | None) -> Any:
    """Settings with the elastic backend forced (the es commands need a cluster)."""
    settings = _settings(data_dir, None)
    settings.set("ADWATCH_BACKEND", "elastic", priority="cmdline")
    settings.set("ADWATCH_CATALOGUE", "", priority="cmdline")
    return settings


def _open_elastic(data_dir: str | None) -> Any:
    from crawler.config import AdwatchConfig
    from crawler.reading.detect.rules import normal_form
    from evidence.index import open_catalogue

    config = AdwatchConfig.from_settings(_elastic_settings(data_dir))
    return open_catalogue(config.catalogue_uri, normalizer=normal_form(config.rules_dir))


@cli.group()
def es() -> None:
    """The Elasticsearch catalogue: copy SQLite into it, migrate it, look at it."""


@es.command("sync")
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite catalogue to copy (default: <data-dir>/catalogue.db).",
)
@click.option("--restart", is_flag=True, help="Copy everything again, not from where it stopped.")
@es_url_option
@data_dir_option
def es_sync(source: Path | None, restart: bool, data_dir: str | None) -> None:
    """Copy the SQLite catalogue into Elasticsearch; resumes where an interrupted copy stopped.

    \b
    Example:
      ADWATCH_ES_URL=https://es.example:9200 ADWATCH_ES_API_KEY=... adwatch es sync
    """
    from tqdm import tqdm

    from evidence.index.es_admin import sync

    data = Path(_settings(data_dir, None).get("ADWATCH_DATA_DIR") or "var")
    source = source or data / "catalogue.db"
    with _open_elastic(data_dir) as target:
        bar = tqdm(unit=" rows", desc="copying", file=sys.stderr, disable=None)
        try:
            report = sync(
                source,
                target,
                restart=restart,
                progress=lambda _, n: bar.update(n),
                totals=lambda total: setattr(bar, "total", total),
            )
        finally:
            bar.close()
    copied = ", ".join(f"{n} {table}" for table, n in report.copied.items()) or "nothing new"
    click.echo(
        f"{'resumed: ' if report.resumed else ''}copied {copied}; {report.operators} operators"
        + (f"; {report.deferred} kept to re-send (see the log)" if report.deferred else "")
    )


@es.command("migrate")
@es_url_option
@data_dir_option
def es_migrate(data_dir: str | None) -> None:
    """Move every adwatch index to its next version (after a mapping change).

    Creates <prefix>-<kind>-v(N+1) from the current templates, blocks writes to
    vN, reindexes, and swaps the read and write aliases of every kind in one
    atomic call.  Writers blocked meanwhile keep their documents in their retry
    files and send them again after.  The old indices stay, read-only.

    \b
    Example:
      adwatch es migrate --es-url https://es.example:9200
    """
    from evidence.index.es_admin import migrate

    with _open_elastic(data_dir) as target:
        moves = migrate(target, progress=lambda kind, n: None)
    for move in moves:
        click.echo(f"{move.kind}: {move.old} -> {move.new} ({move.documents} documents)")
    click.echo("old indices kept read-only; delete them when the new ones are checked")


@es.command("status")
@es_url_option
@data_dir_option
def es_status(data_dir: str | None) -> None:
    """The cluster's version, each kind's index, documents and schema, and the retry file.

    \b
    Example:
      adwatch es status
    """
    with _open_elastic(data_dir) as target:
        click.echo(f"Elasticsearch {target.server_version()} at {target.settings.url}")
        versions = target.schema_versions()
        target.refresh()
        for kind, version in versions.items():
            index = target.current_index(kind)
            count = target.client.count(index=index)["count"]
            click.echo(f"  {kind:<10} {index:<28} {count:>9} documents  schema {version}")
        click.echo(f"  waiting to be re-sent: {len(target.retry)} ({target.settings.retry_file})")


@cli.group()
def kibana() -> None:
    """Kibana: the analysts' saved searches and dashboard."""


@kibana.command("import")
@click.option(
    "--kibana-url",
    envvar="ADWATCH_KIBANA_URL",
    required=True,
    help="Kibana URL (default: ADWATCH_KIBANA_URL).",
)
@click.option("--space", default=None, help="Kibana space id (default: the default space).")
def kibana_import(kibana_url: str, space: str | None) -> None:
    """Import adwatch's data views, saved searches and dashboard into Kibana (overwrites).

    Credentials: ADWATCH_KIBANA_API_KEY, or ADWATCH_KIBANA_USER and
    ADWATCH_KIBANA_PASSWORD (falling back to the ADWATCH_ES_* ones); CA bundle:
    ADWATCH_KIBANA_CA or ADWATCH_ES_CA.

    \b
    Example:
      adwatch kibana import --kibana-url https://kibana.example:5601
    """
    import os

    from evidence.index.kibana import KibanaImportError, import_saved_objects

    env = os.environ

    def secret(name: str) -> str | None:
        return env.get(f"ADWATCH_KIBANA_{name}") or env.get(f"ADWATCH_ES_{name}") or None

    try:
        result = import_saved_objects(
            kibana_url,
            api_key=secret("API_KEY"),
            username=secret("USER"),
            password=secret("PASSWORD"),
            ca_certs=secret("CA"),
            space=space,
        )
    except (KibanaImportError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {result.get('successCount', 0)} saved objects into {kibana_url}")


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
    from crawler.running.run import demo_args
    from demo.server import main as serve

    argv = demo_args(port, seed, size, slow_seconds, ground_truth)
    sys.exit(serve(argv))


def main(argv: list[str] | None = None) -> None:
    from crawler.config import ConfigError
    from evidence.index import CatalogueError

    try:
        cli.main(args=argv, prog_name="adwatch")
    except (CatalogueError, ConfigError) as exc:
        # A setting or a server the user must fix: the message, not a trace.
        click.echo(f"adwatch: error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
