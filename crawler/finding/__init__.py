"""FINDING: the Scrapy side of a crawl: spiders and site profiles, fetching (pages,
browsers, blocks, the address policy, the shared frontier), item pipelines,
rejects and the crawl monitor.
"""
