"""`adwatch web` (the workbench) and `adwatch user` (its accounts)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler.interfaces.cli.common import catalogue_option, data_dir_option, invocation_settings

if TYPE_CHECKING:
    from crawler.interfaces.web.accounts import Accounts


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--tls-cert", type=click.Path(dir_okay=False, path_type=Path), help="PEM certificate."
)
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), help="PEM key.")
@click.option(
    "--behind-proxy",
    default="",
    metavar="ADDRESS",
    help="A TLS reverse proxy at ADDRESS serves the workbench (cookies Secure).",
)
@data_dir_option
@catalogue_option
def web(
    host: str,
    port: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    behind_proxy: str,
    data_dir: str | None,
    catalogue: str | None,
) -> None:
    """Serve the analysts' workbench: review, dossiers, referrals, indicators.
    Listens on 127.0.0.1 only, unless TLS or a reverse proxy is configured.

    \b
    Example:
      adwatch user add alice --role analyst
      adwatch web --port 8765
    """
    from crawler.interfaces.web.serve import BindRefused, Listen, check, serve

    listen = Listen(host, port, tls_cert, tls_key, behind_proxy)
    try:
        check(listen)
    except BindRefused as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"adwatch workbench on {listen.url} (Ctrl-C stops it)", err=True)
    serve(invocation_settings(data_dir, catalogue), listen)


@click.group()
def user() -> None:
    """Accounts of the workbench (adwatch web): viewer, analyst or admin.

    \b
    Example:
      adwatch user add alice --role analyst
      adwatch user list
    """


def _accounts(data_dir: str | None) -> Accounts:
    from crawler.interfaces.web.accounts import Accounts

    settings = invocation_settings(data_dir, None)
    return Accounts(Path(settings.get("ADWATCH_DATA_DIR")) / "web" / "accounts.db")


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["viewer", "analyst", "admin"]),
    default="analyst",
    show_default=True,
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from stdin (default: generate one and print it once).",
)
@click.option("--if-missing", is_flag=True, help="Do nothing (exit 0) when NAME exists.")
@data_dir_option
def user_add(
    name: str, role: str, password_stdin: bool, if_missing: bool, data_dir: str | None
) -> None:
    """Add a user; a generated password is printed once.

    \b
    Example:
      adwatch user add alice --role analyst
    """
    from crawler.interfaces.web.accounts import AccountError, check_name

    accounts = _accounts(data_dir)
    if if_missing and accounts.get(check_name(name)):
        click.echo(
            f"user {check_name(name)} exists (its password was printed when it was made; "
            f"adwatch user passwd {check_name(name)} sets a new one)"
        )
        return
    given = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        made, password = accounts.add(name, role, given)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {made.name} ({made.role}) added")
    if given is None:
        click.echo(f"password (shown once): {password}")


@user.command("passwd")
@click.argument("name")
@data_dir_option
def user_passwd(name: str, data_dir: str | None) -> None:
    """Give a user a new generated password (printed once).

    \b
    Example:
      adwatch user passwd alice
    """
    from crawler.interfaces.web.accounts import AccountError

    accounts = _accounts(data_dir)
    try:
        click.echo(f"new password for {name} (shown once): {accounts.set_password(name)}")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None


@user.command("list")
@data_dir_option
def user_list(data_dir: str | None) -> None:
    """List the users and their roles.

    \b
    Example:
      adwatch user list
    """
    accounts = _accounts(data_dir)
    for made in accounts.all():
        click.echo(f"{made.name}\t{made.role}\t{made.created_at}")


@user.command("remove")
@click.argument("name")
@data_dir_option
def user_remove(name: str, data_dir: str | None) -> None:
    """Remove a user (their sessions end at their next request).

    \b
    Example:
      adwatch user remove alice
    """
    from crawler.interfaces.web.accounts import AccountError

    accounts = _accounts(data_dir)
    try:
        accounts.remove(name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {name} removed")
