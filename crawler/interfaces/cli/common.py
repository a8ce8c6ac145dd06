"""What several command groups share: the settings of one invocation, common options, helpers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from crawler.running.lifecycle import Outcome

# Where --backend, --es-url and --sites-dir leave their values for invocation_settings.
BACKEND_META = "adwatch.backend"


def invocation_settings(data_dir: str | None, catalogue: str | None, **extra: Any) -> Any:
    from crawler.running.run import project_settings

    overrides: dict[str, Any] = {k: v for k, v in extra.items() if v not in (None, "")}
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        overrides |= ctx.meta.get(BACKEND_META, {})
    if data_dir:
        overrides["ADWATCH_DATA_DIR"] = data_dir
    if catalogue:
        overrides["ADWATCH_CATALOGUE"] = catalogue
    return project_settings(overrides)


def browser_choice(cdp: str | None, headed: bool) -> dict[str, Any]:
    """The settings of --cdp and --headed (crawler.finding.driving)."""
    from crawler import settings
    from crawler.finding.driving import browser_settings
    from crawler.setting_values import ConfigError

    try:
        return browser_settings(cdp, headed, dict(settings.PLAYWRIGHT_LAUNCH_OPTIONS))
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def sets_option(help_text: str) -> Any:
    """-s/--set NAME=VALUE, repeatable: any Scrapy or adwatch setting."""
    return click.option("-s", "--set", "sets", multiple=True, metavar="NAME=VALUE", help=help_text)


def parse_sets(sets: tuple[str, ...]) -> dict[str, str]:
    """-s NAME=VALUE pairs as a dict; the values are parsed by the setting's reader."""
    parsed: dict[str, str] = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        parsed[name.strip()] = value
    return parsed


def catalogue_uri_for(data_dir: str | None, catalogue: str | None) -> str:
    from crawler.config import AdwatchConfig

    return AdwatchConfig.from_settings(invocation_settings(data_dir, catalogue)).catalogue_uri


data_dir_option = click.option(
    "--data-dir",
    envvar="ADWATCH_DATA_DIR",
    default=None,
    help="Folder for the catalogue, rejects and logs (default: ./var).",
)


catalogue_uri_option = click.option(
    "--catalogue",
    envvar="ADWATCH_CATALOGUE",
    default=None,
    help="Catalogue URI, e.g. sqlite:///var/catalogue.db or elasticsearch+https://es:9200 "
    "(default: from --backend).",
)


def remember(setting: str) -> Any:
    def keep(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
        if value:
            ctx.meta.setdefault(BACKEND_META, {})[setting] = value

    return keep


backend_option = click.option(
    "--backend",
    type=click.Choice(["sqlite", "elastic"]),
    envvar="ADWATCH_BACKEND",
    default=None,
    expose_value=False,
    callback=remember("ADWATCH_BACKEND"),
    help="Catalogue backend: sqlite (default: <data-dir>/catalogue.db) or elastic (--es-url).",
)


es_url_option = click.option(
    "--es-url",
    envvar="ADWATCH_ES_URL",
    default=None,
    expose_value=False,
    callback=remember("ADWATCH_ES_URL"),
    help="Elasticsearch URL (default: ADWATCH_ES_URL). Credentials: ADWATCH_ES_API_KEY, or "
    "ADWATCH_ES_USER and ADWATCH_ES_PASSWORD; CA bundle: ADWATCH_ES_CA.",
)


def _keep_sites_dir(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    # absolute, so that the child runs of `adwatch schedule` read the same folder
    if value:
        folder = str(Path(value).resolve())
        ctx.meta.setdefault(BACKEND_META, {})["ADWATCH_SITES_DIR"] = folder


sites_dir_option = click.option(
    "--sites-dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    expose_value=False,
    callback=_keep_sites_dir,
    help="Folder of your own site profiles, read with the packaged ones; a profile "
    "named like a packaged one replaces it (default: ADWATCH_SITES_DIR).",
)


def sites_dir_given() -> str:
    """The --sites-dir of this invocation, absolute, or ''."""
    ctx = click.get_current_context(silent=True)
    return str(ctx.meta.get(BACKEND_META, {}).get("ADWATCH_SITES_DIR", "")) if ctx else ""


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
    return catalogue_uri_option(backend_option(es_url_option(command)))


def say(message: str) -> None:
    """A job's progress and notes: on stderr, the outcome's lines on stdout."""
    click.echo(message, err=True)


def finish(run: Callable[[], Outcome]) -> None:
    """Run a job and end the command as its outcome says: its lines printed,
    its exit status; a skipped run exits 0, a problem to fix is an error."""
    from crawler.running.lifecycle import JobError, JobSkipped, UsageProblem

    try:
        outcome = run()
    except JobSkipped as exc:  # recorded as skipped; not an error of this run
        say(f"skipped: {exc}")
        sys.exit(0)
    except UsageProblem as exc:
        raise click.UsageError(str(exc)) from None
    except JobError as exc:
        raise click.ClickException(str(exc)) from None
    for line in outcome.lines:
        click.echo(line)
    if outcome.status:
        sys.exit(outcome.status)


def echo_json(value: Any) -> None:
    """Print ``value`` as one JSON line, for every --json output: ad text,
    file names and problems come from others, and JSON escapes only C0
    controls, so bidi overrides (U+202E, U+2066...), zero-width and other
    format characters, C1 controls and line separators are written as
    \\uXXXX escapes here, never raw to the terminal (evidence/safe_text.py)."""
    from evidence.safe_text import json_line

    click.echo(json_line(value))


def duration_arg(text: str) -> timedelta:
    """ "24h", "30m", "2d", "90s", "0" as a timedelta."""
    from crawler.config import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def evidence_settings(
    data_dir: str | None, catalogue: str | None, tsa_url: str | None, sets: tuple[str, ...] = ()
) -> Any:
    settings = invocation_settings(data_dir, catalogue, **parse_sets(sets))
    if tsa_url:
        settings.set("ADWATCH_TSA_URL", tsa_url, priority="cmdline")
    return settings


tsa_option = click.option(
    "--tsa",
    "tsa_url",
    envvar="ADWATCH_TSA_URL",
    default=None,
    help="RFC 3161 time-stamp authority URL, or several separated by commas: each bundle "
    "is then stamped by ADWATCH_TSA_COPIES (2) of them (default: ADWATCH_TSA_URL).",
)
