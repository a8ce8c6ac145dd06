"""`adwatch schedule`: crawl and re-check profiles on their schedules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    data_dir_option,
    demo_tsa,
    duration_arg,
    invocation_settings,
    parse_sets,
    sets_option,
)


@click.command()
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
    settings = invocation_settings(data_dir, catalogue)
    config = AdwatchConfig.from_settings(settings)
    env = {
        "ADWATCH_DATA_DIR": str(config.data_dir.resolve()),
        "ADWATCH_CATALOGUE": config.catalogue_uri,
    }
    # parsed here, so that a malformed one is an error now, not in every run
    set_args = [arg for n, v in parse_sets(sets).items() for arg in ("-s", f"{n}={v}")]
    extra: list[str] = []
    seconds = duration_arg(run_for).total_seconds() if run_for else None
    wait = duration_arg(stop_wait).total_seconds()
    with (
        demo_web(slow_seconds=8.0) if demo else nullcontext(None) as url,
        demo_tsa(settings) if demo else nullcontext(),
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
