"""`python -m crawler.interfaces.cli`: the adwatch command."""

from crawler.interfaces.cli import main

main()
