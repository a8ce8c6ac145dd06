"""AdRecord: the one data model every stage reads and extends.

One record per ad occurrence (a search result, a video, a listing), keyed by a
stable id derived from the platform and the canonical URL, so that seeing the
same ad again updates the record instead of adding a twin.  Fields are grouped
by the stage that fills them (see DESIGN.md); a stage only adds its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

Channel = Literal["search", "video", "market"]
Label = Literal["ad", "suspect", "clean"]

CHANNELS: tuple[str, ...] = ("search", "video", "market")
LABELS: tuple[str, ...] = ("ad", "suspect", "clean")

# Query parameters that identify a visit, not a page.  Dropped from every URL
# before it is used as a key; a site profile can add its own.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "spm",
        "scm",
        "from",
        "source",
        "ref",
        "referer",
        "share_token",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "previous_page",
        "enter_from",
        "enter_method",
        "tt_from",
        "u_code",
        "did",
        "iid",
        "timestamp",
        "fbclid",
        "gclid",
        "_t",
        "ts",
        "sessionid",
        "track_id",
        "rsv_spt",
        "rsv_idx",
    }
)


def utc_now() -> str:
    """Current UTC time as ISO 8601 with a trailing Z (second precision)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_url(url: str, drop: frozenset[str] = TRACKING_PARAMS) -> str:
    """Lower-case scheme and host, drop fragments and tracking parameters,
    sort the remaining query so that parameter order does not split a record."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in drop and not k.lower().startswith("utm_")
    ]
    query.sort()
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def record_id(platform: str, canonical: str) -> str:
    """Stable record id: sha256 of platform and canonical URL, 24 hex digits."""
    return hashlib.sha256(f"{platform}\n{canonical}".encode()).hexdigest()[:24]


@dataclass
class Author:
    name: str = ""
    id: str = ""
    url: str = ""


@dataclass
class ImageRef:
    """An image of the record.  `url` is set by extraction; the image stage
    fills the rest (or `error` when the image was rejected)."""

    url: str
    sha256: str = ""
    path: str = ""
    size: int = 0
    width: int = 0
    height: int = 0
    error: str = ""
    ocr: dict[str, Any] | None = None


@dataclass
class Match:
    rule: str
    term: str
    field: str
    span: tuple[int, int]  # in the raw text of `field`
    form: str = "text"  # text | pinyin | initials | pattern: how it was found
    text: str = ""  # the raw text matched, as the page wrote it


@dataclass
class Contact:
    kind: str  # phone | wechat | qq | url
    value: str  # as written
    normalized: str  # digits, lower case: what links ads of one operator
    field: str
    span: tuple[int, int] = (0, 0)


@dataclass
class AdRecord:
    # found
    channel: str
    platform: str
    url: str
    canonical_url: str = ""
    referrer: str = ""
    query: str = ""
    fetched_at: str = ""
    http_status: int = 0
    sponsored: bool = False
    # where on the platform it was found and what else the platform said
    # (result page and position, likes, comments): kept, not interpreted
    extra: dict[str, Any] = field(default_factory=dict)
    # extracted
    title: str = ""
    text: str = ""
    author: Author = field(default_factory=Author)
    published_at: str = ""
    price: str = ""
    region: str = ""
    images: list[ImageRef] = field(default_factory=list)
    # detect
    score: float = 0.0
    label: str = "clean"
    categories: list[str] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    rule_score: float = 0.0  # the rules' score; `score` is the model's when one judged
    model: str = ""  # the learned model's version that judged, "" for the rules alone
    template_hash: str = ""
    cluster_id: str = ""
    # history (kept by the catalogue across crawls)
    first_seen: str = ""
    last_seen: str = ""
    times_seen: int = 1
    status: str = "live"
    # problems met while building this record that did not stop it (a landing
    # page that timed out, an image that was corrupt); each also went to rejects
    problems: list[str] = field(default_factory=list)
    id: str = ""

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}; expected one of {CHANNELS}")
        if not self.canonical_url:
            self.canonical_url = canonical_url(self.url)
        if not self.id:
            self.id = record_id(self.platform, self.canonical_url)
        if not self.fetched_at:
            self.fetched_at = utc_now()
        if not self.first_seen:
            self.first_seen = self.fetched_at
        if not self.last_seen:
            self.last_seen = self.fetched_at

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["matches"] = [dict(m, span=list(m["span"])) for m in d["matches"]]
        d["contacts"] = [dict(c, span=list(c["span"])) for c in d["contacts"]]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AdRecord:
        """Rebuild a record from `to_dict` output (unknown keys are ignored)."""
        known = {f for f in cls.__dataclass_fields__}
        data = {k: v for k, v in d.items() if k in known}
        data["author"] = Author(**(data.get("author") or {}))
        data["images"] = [ImageRef(**i) for i in data.get("images") or []]
        data["matches"] = [
            Match(**dict(m, span=(m["span"][0], m["span"][1]))) for m in data.get("matches") or []
        ]
        data["contacts"] = [
            Contact(**dict(c, span=tuple(c.get("span") or (0, 0))))
            for c in data.get("contacts") or []
        ]
        return cls(**data)

    def searchable_text(self) -> str:
        """Everything an analyst may search for, in one string."""
        parts = [self.title, self.text, self.author.name, self.price, self.region]
        parts += [i.ocr.get("text", "") for i in self.images if i.ocr]
        return "\n".join(p for p in parts if p)
