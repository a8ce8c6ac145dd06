"""The simulated web as plain data: what exists, and what the crawler should find.

Every page the server answers is rendered from these objects, and the ground
truth is written from the same objects, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEARCH_PAGE_SIZE = 10  # results per Baidu-like page (pn steps by 10)
VIDEO_BATCH_SIZE = 10  # items per Douyin-like scroll batch


@dataclass(frozen=True)
class Contact:
    """A handle an ad carries; `value` is canonical (digits, plain id), `where`
    says where it is shown: text, comment, image or qr."""

    kind: str  # phone | wechat | qq | url
    value: str
    where: str


@dataclass
class Truth:
    """The ground-truth annotation of one record."""

    label: str  # ad | not_ad | benign
    category: str | None = None
    operator: str | None = None  # the gang behind an ad (shared contacts)
    contacts: list[Contact] = field(default_factory=list)
    disguises: list[str] = field(default_factory=list)
    image_only: bool = False
    hostile: str | None = None


@dataclass
class ImageSpec:
    """How to draw one image on request (images are rendered lazily)."""

    name: str  # file name as served under /img/, with extension
    kind: str  # poster | qr | photo | corrupt_png | html_as_jpeg
    lines: tuple[str, ...] = ()
    qr_payload: str | None = None
    seed: int = 0
    width: int = 720
    height: int = 480
    theme: str = "red"


# --- search (Baidu-like) -----------------------------------------------------


@dataclass
class Landing:
    """A landing page under /l/ID."""

    landing_id: str
    title: str
    h1: str
    paragraphs: list[str]
    images: list[str]
    site: str  # the advertiser's display domain (shown in c-showurl and footer)
    encoding: str = "utf-8"
    # gbk | huge | slow, or a capture case (never_loads, infinite_scroll, navigates_away,
    # download)
    hostile: str | None = None

    @property
    def path(self) -> str:
        return f"/l/{self.landing_id}"


@dataclass
class SearchResult:
    """One result block on a result page; `target` is the mu URL's path+query."""

    token: str
    title: str
    snippet: str
    showurl: str
    target: str
    truth: Truth
    sponsored: bool = False
    sponsor_word: str = "广告"


@dataclass
class SearchPage:
    number: int  # 1-based; pn = (number - 1) * 10
    results: list[SearchResult]
    blocked: bool = False  # answers the slider captcha every time


@dataclass
class SearchQuery:
    query: str
    pages: list[SearchPage]


# --- video (Douyin-like) -----------------------------------------------------


@dataclass
class Author:
    nickname: str
    uid: str
    sec_uid: str


@dataclass
class Comment:
    cid: str
    text: str
    nickname: str
    uid: str


@dataclass(eq=False)  # compared by identity: one object per video
class Video:
    aweme_id: str
    desc: str
    create_time: int
    author: Author
    digg_count: int
    comment_count: int
    share_count: int
    cover: str  # image name
    comments: list[Comment]
    truth: Truth
    sponsored: bool = False  # a paid item: is_ads in the search answer


@dataclass
class VideoQuery:
    query: str
    videos: list[Video]  # in result order; batch k holds videos[10k:10k+10]


# --- market (Xianyu-like) ----------------------------------------------------


@dataclass
class Seller:
    seller_id: str
    nickname: str
    area: str


@dataclass(eq=False)  # compared by identity: one object per listing
class Listing:
    item_id: str
    title: str
    desc: str
    price: str  # number as text, e.g. "28" or "9.9"
    area: str
    seller_id: str
    photos: list[str]  # image names; the first is the picUrl
    truth: Truth
    want_count: int = 0
    sponsored: bool = False  # a paid item: isAliMaMaAD in the search answer


@dataclass
class MarketQuery:
    query: str
    pages: list[list[Listing]]  # page N (1-based) is pages[N - 1]


# --- hostile cases and the whole web -----------------------------------------


@dataclass(frozen=True)
class Reject:
    """A fetch the crawler should refuse (and log) rather than store."""

    url: str
    case: str
    expect: str  # too_large | redirect_loop | timeout | corrupt_image | not_image | blocked


@dataclass(frozen=True)
class TransientBlock:
    """A page that answers a captcha once, then works: a crawler that backs off
    and retries gets it.  Keyed by `key` so the HTML shell and its JSON API
    share one counter."""

    url: str
    api_url: str
    key: str
    case: str = "captcha_transient"


@dataclass(frozen=True)
class CaptureCase:
    """A landing page the crawler stores as usual but that fights evidence
    capture in a browser: `expect` says what a capture should end with, and
    `target` is where the page navigates or what it downloads, if anywhere."""

    url: str
    case: str  # never_loads | infinite_scroll | navigates_away | download
    expect: str  # load_timeout | scroll_limit | navigated | download
    target: str | None = None


@dataclass
class DemoWeb:
    seed: int
    size: int
    search: list[SearchQuery]
    video: list[VideoQuery]
    market: list[MarketQuery]
    landings: dict[str, Landing]
    tokens: dict[str, str]  # /link?url=TOKEN -> target path+query
    videos: dict[str, Video]
    listings: dict[str, Listing]
    sellers: dict[str, Seller]
    images: dict[str, ImageSpec]
    rejects: list[Reject]
    transient: list[TransientBlock]
    capture: list[CaptureCase] = field(default_factory=list)
    probes: dict[str, str] = field(default_factory=dict)  # record url -> text_contains
    huge_bytes: int = 20 * 1024 * 1024
    # the six platform twins of demo.twins (demo.twins.model.Twin), served under their prefixes
    twins: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._search_by = {q.query: q for q in self.search}
        self._video_by = {q.query: q for q in self.video}
        self._market_by = {q.query: q for q in self.market}

    def search_query(self, query: str) -> SearchQuery | None:
        return self._search_by.get(query)

    def video_query(self, query: str) -> VideoQuery | None:
        return self._video_by.get(query)

    def market_query(self, query: str) -> MarketQuery | None:
        return self._market_by.get(query)
