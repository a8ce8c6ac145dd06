"""A simulated web of the three channels adwatch crawls, for tests and demos.

It stands for the outside world, so it imports nothing from crawler/ or
evidence/.  `generate(seed, size)` builds the web in memory (deterministic),
`DemoServer(web)` serves it on 127.0.0.1, `write_ground_truth(web, path)` says
what a perfect crawler should store and reject.
"""

from demo.generate import generate, write_ground_truth
from demo.model import DemoWeb
from demo.server import DemoServer

__all__ = ["DemoServer", "DemoWeb", "generate", "write_ground_truth"]
