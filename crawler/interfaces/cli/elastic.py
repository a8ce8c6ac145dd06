"""The production catalogue: `adwatch es sync|migrate|status`, `kibana import`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from crawler.interfaces.cli.common import data_dir_option, es_url_option, invocation_settings


def _elastic_settings(data_dir: str | None) -> Any:
    """Settings with the elastic backend forced (the es commands need a cluster)."""
    settings = invocation_settings(data_dir, None)
    settings.set("ADWATCH_BACKEND", "elastic", priority="cmdline")
    settings.set("ADWATCH_CATALOGUE", "", priority="cmdline")
    return settings


def _open_elastic(data_dir: str | None) -> Any:
    from crawler.config import AdwatchConfig
    from crawler.reading.detect.rules import normal_form
    from evidence.index import open_catalogue

    config = AdwatchConfig.from_settings(_elastic_settings(data_dir))
    return open_catalogue(config.catalogue_uri, normalizer=normal_form(config.rules_dir))


@click.group()
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

    data = Path(invocation_settings(data_dir, None).get("ADWATCH_DATA_DIR") or "var")
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
    """Bring every index up to this adwatch's schema: reindex, swap aliases.

    For each kind whose index has an older mapping: creates
    <prefix>-<kind>-v(N+1) from the current templates, blocks writes to vN,
    reindexes, and swaps the read and write aliases of all of them in one
    atomic call.  Writers blocked meanwhile keep their documents in their retry
    files and send them again after.  The old indices stay, read-only.  Kinds
    already at the current schema are left alone (none behind: nothing done).

    \b
    Example:
      adwatch es migrate --es-url https://es.example:9200
    """
    from evidence.index.es_admin import SCHEMA_VERSION, migrate

    with _open_elastic(data_dir) as target:
        moves = migrate(target, progress=lambda kind, n: None)
    if not moves:
        click.echo(f"nothing to migrate: every index has schema {SCHEMA_VERSION}")
        return
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


@click.group()
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
