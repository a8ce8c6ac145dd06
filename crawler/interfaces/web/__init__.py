"""`adwatch web`: the analysts' workbench (review, referral, takedown).

A Starlette app over the same catalogue and evidence store as the CLI,
calling the same library functions; server-rendered Jinja2 pages with a
little vendored JavaScript (htmx, ECharts, ReplayWeb.page) served by the app
itself.  See docs/workbench.md.
"""
