"""The twins' web as plain data: what each platform shows and what a crawler
should find there (the ground truth is written from the same objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from demo.model import Truth


@dataclass(eq=False)
class Post:
    """One post of a feed (a Kuaishou photo, a Xiaohongshu note, a Weibo mblog)."""

    post_id: str
    title: str  # what the list shows as its title (a note's display_title)
    text: str  # the caption or body, whole
    author_name: str
    author_id: str
    created: int  # Unix seconds
    images: list[str]  # image names; the first is the cover
    comments: list[tuple[str, str]]  # (nickname, text)
    truth: Truth
    token: str = ""  # a per-item token the platform puts in the item's URL (xsec_token)
    sponsored: bool = False


@dataclass(eq=False)
class Hit:
    """One search result and the page behind it (a landing page, an article)."""

    hit_id: str
    title: str
    snippet: str
    site: str  # the displayed site, or the WeChat account
    heading: str
    paragraphs: list[str]
    images: list[str]
    truth: Truth
    token: str  # the redirect token of the result's link
    created: int
    sponsored: bool = False


@dataclass
class TwinQuery:
    query: str
    pages: list[list[Any]]  # Posts or Hits; page or batch N (1-based) is pages[N - 1]


@dataclass
class Twin:
    """One platform's twin: its profile name, channel, queries, and its items by id."""

    platform: str  # the demo profile's name, e.g. demo-kuaishou
    channel: str  # search | video
    queries: list[TwinQuery]
    posts: dict[str, Post] = field(default_factory=dict)
    hits: dict[str, Hit] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # redirect token -> hit id

    def query(self, text: str) -> TwinQuery | None:
        return next((q for q in self.queries if q.query == text), None)
