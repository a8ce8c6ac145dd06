"""`adwatch schedule`: crawl and re-check profiles on their schedules."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.interfaces.cli.common import (
    catalogue_option,
    data_dir_option,
    duration_arg,
    finish,
    invocation_settings,
    parse_sets,
    say,
    sets_option,
    sites_dir_given,
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
    from crawler.running.schedule import DEFAULT_FILE, ScheduleError, load_schedule, schedule_job

    try:
        profiles = load_schedule(schedule_file or DEFAULT_FILE)
    except ScheduleError as exc:
        raise click.UsageError(str(exc)) from None
    # parsed here, so that a malformed one is an error now, not in every run
    set_args = [arg for n, v in parse_sets(sets).items() for arg in ("-s", f"{n}={v}")]
    set_args += ["-s", f"ADWATCH_SITES_DIR={d}"] if (d := sites_dir_given()) else []
    seconds = duration_arg(run_for).total_seconds() if run_for else None
    wait = duration_arg(stop_wait).total_seconds()
    settings = invocation_settings(data_dir, catalogue)
    finish(
        lambda: schedule_job(
            settings,
            profiles,
            say,
            click.echo,
            demo=demo,
            once=once,
            seconds=seconds,
            stop_wait=wait,
            settings_args=set_args,
        )
    )
