"""Video channel: short-video search (Douyin-like), one record per video.

The search page is rendered in the browser and its ``aweme_list`` answers are
captured while scrolling; each video page's embedded RENDER_DATA adds the
caption, author and comments.  All platform details are in the site profile.
"""

from crawler.finding.spiders._rendered import RenderedListSpider


class VideoSpider(RenderedListSpider):
    name = "video"
    channel = "video"
