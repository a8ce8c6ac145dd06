"""Market channel: second-hand marketplace search (Xianyu-like), one record per listing.

The search page is rendered in the browser and its mtop-shaped answers are
captured page by page; each listing page adds the seller's text and photos
(where the pitch often is).  All platform details are in the site profile.
"""

from crawler.finding.spiders._rendered import RenderedListSpider


class MarketSpider(RenderedListSpider):
    name = "market"
    channel = "market"
