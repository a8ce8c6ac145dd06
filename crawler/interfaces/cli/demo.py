"""`adwatch demo serve`: the simulated web on 127.0.0.1."""

from __future__ import annotations

import sys

import click


@click.group()
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
