"""Signals adwatch adds to Scrapy's.

reject
    sent with ``reject`` (a ``crawler.finding.rejects.Reject``) whenever a fetch or an
    item cannot be used.  Listeners: the rejects file, the catalogue.
blocked
    sent with ``platform``, ``url`` and ``reason`` when a block or captcha page
    is met.  Listeners: the stats, the catalogue (``adwatch stats`` shows it).
catalogue_opened
    sent once the catalogue pipeline is open: from then on a record may sit in
    its buffer after the request that produced it is done.  Listener: the
    Redis frontier, which then holds a request's acknowledgement until...
records_stored
    ...this, sent after each write of the buffer to the catalogue (or to its
    retry file): every record of every request done before it is kept.
"""

reject = object()
blocked = object()
catalogue_opened = object()
records_stored = object()
