"""What the three channel spiders share: profiles, requests, rejects.

A spider crawls every selected profile of its channel.  Spider arguments (all
optional, all strings so that ``scrapy crawl -a`` works too):

- ``sites``: comma-separated profile names (default: the demo profiles);
- ``queries``: newline- or comma-separated queries replacing the profiles' own;
- ``max_pages``: result pages (or scroll batches) per query.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawler.config import AdwatchConfig, crawler_config
from crawler.finding.browser import browser_meta
from crawler.finding.profile_folders import load_site_profiles, with_saved_sessions
from crawler.finding.profiles import SiteProfile, select_profiles
from crawler.finding.rejects import Reject, reason_of, send_reject
from crawler.items import AdRecord, canonical_url
from evidence.netpolicy import AddressPolicy

logger = logging.getLogger(__name__)
_Entry = TypeVar("_Entry")


class ChannelSpider(scrapy.Spider):
    channel: ClassVar[str]
    detail_name: ClassVar[str] = "detail page"  # how problems name the page behind a record

    def __init__(
        self,
        sites: str = "",
        queries: str = "",
        max_pages: str | int = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._sites_arg = [s.strip() for s in sites.split(",") if s.strip()]
        self._queries_arg = [q.strip() for q in queries.replace("\n", ",").split(",") if q.strip()]
        self._max_pages_arg = int(max_pages) if str(max_pages).strip() else None
        self.profiles: dict[str, SiteProfile] = {}
        self._seen_records: set[str] = set()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Per-platform concurrency and delay, from every profile (DOWNLOAD_SLOTS)."""
        super().update_settings(settings)
        cfg = AdwatchConfig.from_settings(settings)
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for profile in load_site_profiles(cfg.sites_dir).values():
            slots.setdefault(
                profile.slot,
                {
                    "concurrency": profile.concurrency,
                    "delay": profile.delay,
                    "jitter": 0.5,  # ±50 % around the delay
                },
            )
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        # Channels crawl side by side in one process: each keeps its own job state.
        if settings.get("JOBDIR"):
            jobdir = Path(settings["JOBDIR"]) / cls.name
            settings.set(
                "JOBDIR", str(jobdir), priority=settings.getpriority("JOBDIR") or "cmdline"
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ChannelSpider:
        spider: ChannelSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = crawler_config(crawler)
        profiles = with_saved_sessions(
            load_site_profiles(spider.config.sites_dir), spider.config.data_dir
        )
        chosen = select_profiles(profiles, cls.channel, spider._sites_arg or None)
        if spider.config.base_url:
            chosen = [p.with_base_url(spider.config.base_url) for p in chosen]
        spider.profiles = {p.name: p for p in chosen}
        spider.policy = spider.config.address_policy()
        if not chosen:
            logger.warning("no %s site profile selected; nothing to crawl", cls.channel)
        return spider

    config: AdwatchConfig
    policy: AddressPolicy

    # --- what each channel spider provides --------------------------------
    def search_requests(self, profile: SiteProfile, query: str) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    async def start(self) -> AsyncIterator[Any]:
        for profile in self.profiles.values():
            for query in self._queries_arg or list(profile.queries):
                for request in self.search_requests(profile, query):
                    yield request

    # --- helpers ----------------------------------------------------------
    def max_pages(self, profile: SiteProfile) -> int:
        return self._max_pages_arg or profile.max_pages or self.config.max_pages

    def meta(self, profile: SiteProfile, kind: str, **extra: Any) -> dict[str, Any]:
        """Meta every request carries: its platform (for blocks and slots)."""
        return {
            "adwatch_platform": profile.name,
            "adwatch_kind": kind,
            "download_slot": profile.slot,
            **extra,
        }

    def render_meta(
        self, profile: SiteProfile, section: dict[str, Any], batches: int, wait_for: str = ""
    ) -> dict[str, Any]:
        """Meta for a page that must be rendered in the browser; ``section``
        is the profile's ``search`` or ``detail`` (its xhr, xhr_match,
        has_next and next_click); ``wait_for`` an element to wait for."""
        return browser_meta(
            xhr=str(section.get("xhr") or ""),
            batches=batches,
            timeout=self.config.xhr_wait,
            context_kwargs=profile.context_kwargs(),
            has_next=str(section.get("has_next") or ""),
            next_click=str(section.get("next_click") or ""),
            xhr_match=str(section.get("xhr_match") or ""),
            wait_for=wait_for,
        )

    def first_sighting(self, platform: str, url: str, drop: frozenset[str]) -> bool:
        """True the first time a record is met in this run (a second query
        finding the same ad is the same observation)."""
        key = f"{platform}\n{canonical_url(url, drop)}"
        # with JOBDIR, Scrapy's SpiderState keeps `self.state` across a resume
        seen: set[str] = getattr(self, "state", {}).setdefault("seen_records", self._seen_records)
        if key in seen:
            return False
        seen.add(key)
        return True

    def new_records(
        self,
        response: Response,
        profile: SiteProfile,
        entries: Iterable[_Entry],
        build: Callable[[_Entry, int], AdRecord | None],
        reason: str,
        keep: Callable[[_Entry], dict[str, Any]],
    ) -> Iterator[AdRecord]:
        """The records of a list page's entries (results, items), each once per
        crawl.  An entry that cannot be read, or whose link the address policy
        refuses (``javascript:``, ``file:``, an internal host), is a reject
        (with ``keep(entry)`` as its data), never a record; the others go on."""
        for position, entry in enumerate(entries, start=1):
            try:
                record = build(entry, position)
            except Exception as exc:  # a malformed entry must not cost the page
                self.reject(
                    response.url,
                    "parse",
                    reason,
                    f"#{position}: {exc!r}"[:300],
                    platform=profile.name,
                    data=keep(entry),
                )
                continue
            if record is None:
                continue
            refused = self.policy.url_refusal(record.url)
            if refused is not None:
                self.reject(
                    record.url[:2000],
                    "parse",
                    refused.reason,
                    f"#{position}: {refused.detail}"[:500],
                    platform=profile.name,
                    data=keep(entry),
                )
                continue
            if self.first_sighting(profile.name, record.url, profile.drop_params):
                yield record

    def follow(
        self, profile: SiteProfile, record: AdRecord, callback: Callable[..., Any]
    ) -> scrapy.Request | AdRecord:
        """The request for a record's detail page, or the record itself when
        the profile names no detail page."""
        d = profile.detail
        if not d:
            return record
        meta = self.meta(profile, "detail")
        if d.get("render"):
            meta.update(self.render_meta(profile, d, 1))
        try:
            return scrapy.Request(
                self.follow_url(record),
                callback=callback,
                errback=self.detail_failed,
                meta=meta,
                dont_filter=True,  # records are deduplicated; a redirect must not be dropped
                cb_kwargs={"record": record},
            )
        except ValueError as exc:  # a link Scrapy cannot request: that record's problem only
            self.reject(record.url[:2000], "parse", "bad_link", str(exc)[:300], record.platform)
            record.problems.append(f"{self.detail_name}: bad_link")
            return record

    def follow_url(self, record: AdRecord) -> str:
        """Where a record's detail page is fetched from (its URL)."""
        return record.url

    def new_record(self, profile: SiteProfile, url: str, **fields: Any) -> AdRecord:
        return AdRecord(
            channel=self.channel,
            platform=profile.name,
            url=url,
            canonical_url=canonical_url(url, profile.drop_params),
            **fields,
        )

    def reject(
        self,
        url: str,
        stage: str,
        reason: str,
        detail: str = "",
        platform: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        assert self.crawler is not None
        send_reject(
            self.crawler,
            Reject(
                url=url,
                stage=stage,
                reason=reason,
                detail=detail,
                platform=platform,
                data=data or {},
            ),
        )

    def fetch_failed(self, failure: Failure) -> None:
        """Errback of list pages: the failure becomes a reject; the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        reason, detail = reason_of(failure)
        # the page asked for, not where a redirect took it (a captcha host)
        asked = (request.meta.get("redirect_urls") or [request.url])[0]
        if asked != request.url:
            detail = f"{detail} (redirected to {request.url[:300]})"[:700]
        self.reject(
            asked, "fetch", reason, detail, platform=request.meta.get("adwatch_platform", "")
        )

    def enrich(
        self,
        response: Response,
        record: AdRecord,
        read: Callable[[Response, AdRecord], None],
    ) -> Iterator[AdRecord]:
        """Add what a detail page says to its record.  A page that cannot be
        read is a reject; the record is kept with what it already had."""
        record.http_status = response.status
        try:
            read(response, record)
        except Exception as exc:  # hostile pages: any parse error, never a lost record
            self.reject(
                response.url, "parse", "unreadable_page", repr(exc)[:300], platform=record.platform
            )
            record.problems.append(f"{self.detail_name}: unreadable")
        yield record

    def detail_failed(self, failure: Failure) -> Iterator[AdRecord]:
        """Errback of detail pages: the fetch is a reject; the record is kept
        with what the list page said of it.  Where the address policy refused
        the page's redirect (to an internal host), nothing of that host is
        stored, and the record keeps the problem: the list page's snippet is
        still evidence the advertiser does not control."""
        request = failure.request  # type: ignore[attr-defined]
        record: AdRecord = request.cb_kwargs["record"]
        reason, detail = reason_of(failure)
        hops = request.meta.get("redirect_urls") or []
        if hops:
            detail = f"{detail} (redirected from {hops[0]})"[:600]
        self.reject(request.url, "fetch", reason, detail, platform=record.platform)
        record.problems.append(f"{self.detail_name}: {reason}")
        yield record
