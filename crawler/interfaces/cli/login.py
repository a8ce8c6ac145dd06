"""`adwatch login`: log in to a platform in a visible browser and keep the session."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.interfaces.cli.common import data_dir_option, invocation_settings, say


@click.command()
@click.argument("platform")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to save the session (default: the profile's session.storage_state, "
    "else <data>/sessions/PLATFORM.json, which crawls read when the profile names none).",
)
@click.option(
    "--cdp",
    default=None,
    metavar="URL",
    help="Use the Chrome you already run (started with --remote-debugging-port=9222): "
    "http://127.0.0.1:9222.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=600,
    show_default=True,
    help="Seconds to wait for the login.",
)
@data_dir_option
def login(
    platform: str, out: Path | None, cdp: str | None, timeout: float, data_dir: str | None
) -> None:
    """Log in to PLATFORM in a browser window and save its session (cookies and
    local storage, readable by you only) for crawls: the profile's
    session.storage_state then reaches its browser pages and plain requests.
    Waits until the page shows the profile's session.logged_in element.

    \b
    Example:
      adwatch login douyin
      adwatch login xianyu --cdp http://127.0.0.1:9222 --out ~/.adwatch/xianyu.json
    """
    from crawler.running.login_run import run_login

    settings = invocation_settings(data_dir, None)
    try:
        done = run_login(settings, platform, out, cdp, timeout, say)
    except ValueError as exc:  # ProfileError, ConfigError: a problem to fix, said plainly
        raise click.ClickException(str(exc)) from None
    click.echo(f"saved the {platform} session to {done.path} ({done.cookies} cookies)")
