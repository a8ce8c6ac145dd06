"""Signals adwatch adds to Scrapy's.

reject
    sent with ``reject`` (a ``crawler.rejects.Reject``) whenever a fetch or an
    item cannot be used.  Listeners: the rejects file, the catalogue.
blocked
    sent with ``platform``, ``url`` and ``reason`` when a block or captcha page
    is met.  Listeners: the stats, the catalogue (``adwatch stats`` shows it).
"""

reject = object()
blocked = object()
