"""Search channel: result pages of a search engine, and each result's landing page.

One record per result (organic or sponsored), keyed by the landing URL.  The
result page gives title, snippet and whether the slot is paid; the landing page
adds its text and images (where an ad's WeChat ID or phone often sits).  A
landing page that cannot be fetched is a reject, and the result is still stored
from what the result page said.

Where the engine links a result through a per-impression redirect and names no
target (Baidu's paid ``baidu.php?url=...``), ``search.key: landing`` keys the
record on the URL the redirect ends at, so that one ad seen twice is one record;
a landing page that cannot be reached keys it on the displayed site and title.
A result whose page names its target keeps that target as its key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from crawler.finding.extract import absolute, all_of, page_selector, text_of
from crawler.finding.profiles import SiteProfile
from crawler.finding.spiders._base import ChannelSpider
from crawler.items import AdRecord, Author, ImageRef, canonical_url, record_id


class SearchSpider(ChannelSpider):
    name = "search"
    channel = "search"
    detail_name = "landing page"

    def search_requests(self, profile: SiteProfile, query: str) -> Iterator[scrapy.Request]:
        yield self._page_request(profile, query, 1)

    def _page_request(self, profile: SiteProfile, query: str, page: int) -> scrapy.Request:
        size = int(profile.search.get("page_size", 10))
        offset = int(profile.search.get("first_offset", 0)) + (page - 1) * size
        url = profile.url(
            profile.search["url"], query=profile.query_value(query), page=page, offset=offset
        )
        meta = self.meta(profile, "results")
        if profile.search.get("render"):  # a result list a script builds: through Chromium
            meta.update(self.render_meta(profile, profile.search, 1, profile.search["results"]))
        return scrapy.Request(
            url,
            callback=self.parse_results,
            errback=self.fetch_failed,
            meta=meta,
            cb_kwargs={"profile_name": profile.name, "query": query, "page": page},
        )

    def parse_results(
        self, response: Response, profile_name: str, query: str, page: int
    ) -> Iterator[Any]:
        profile = self.profiles[profile_name]
        s = profile.search
        sel = page_selector(response)
        results = sel.css(s["results"])
        records = self.new_records(
            response,
            profile,
            results,
            lambda result, position: self._result_record(
                profile, response, result, query, page, position
            ),
            "bad_result",
            lambda result: {"html": result.get()[:2000]},
        )
        keyed_by_landing = s.get("key") == "landing"
        for record in records:
            # only a result known by its link alone: one whose page names its
            # target (Baidu's mu) is keyed on that target, as it always was
            by_link = keyed_by_landing and record.extra.pop("via_link", False)
            if by_link:
                record.extra["link"] = record.url
                _rekey(record, _site_key(record), profile.drop_params)  # until the landing answers
            if self.config.landing_pages or by_link:
                yield self.follow(profile, record, self.parse_landing)
            else:
                yield record
        next_link = s.get("next_page") and sel.css(s["next_page"]).get()
        if next_link and page < self.max_pages(profile) and results:
            yield self._page_request(profile, query, page + 1)

    def _result_record(
        self,
        profile: SiteProfile,
        response: Response,
        result: Any,
        query: str,
        page: int,
        position: int,
    ) -> AdRecord | None:
        s = profile.search
        title = text_of(result, s["title"])
        target = text_of(result, s.get("target")) or text_of(result, s["link"])
        if not target:
            self.reject(
                response.url,
                "parse",
                "no_link",
                f"result #{position} has no link",
                platform=profile.name,
                data={"title": title},
            )
            return None
        url = urljoin(response.url, target)
        snippet = text_of(result, s.get("snippet"))
        return self.new_record(
            profile,
            url,
            referrer=response.url,
            query=query,
            http_status=response.status,
            sponsored=bool(s.get("sponsored") and result.css(s["sponsored"])),
            title=title,
            text=snippet,
            author=Author(name=_site_name(result, s)),
            extra={"page": page, "position": position}
            | ({} if text_of(result, s.get("target")) else {"via_link": True}),
        )

    def parse_landing(self, response: Response, record: AdRecord) -> Iterator[AdRecord]:
        profile = self.profiles[record.platform]
        if record.extra.get("link") and profile.search.get("key") == "landing":
            _rekey(record, response.url, profile.drop_params)
            if not self.first_sighting(profile.name, response.url, profile.drop_params):
                return  # the same ad behind another impression's link
            if not self.config.landing_pages:
                yield record
                return
        yield from self.enrich(response, record, self._read_landing)

    def follow_url(self, record: AdRecord) -> str:
        """A record keyed by its landing page is fetched through its own link."""
        return str(record.extra.get("link") or record.url)

    def _read_landing(self, response: Response, record: AdRecord) -> None:
        d = self.profiles[record.platform].detail
        sel = page_selector(response)
        parts = [record.text]
        for key in ("title", "heading", "text"):
            found = text_of(sel, d.get(key))
            if found and all(found not in p for p in parts):
                parts.append(found)
        record.text = "\n".join(p for p in parts if p)
        record.images = [
            ImageRef(url=u) for u in absolute(response.url, all_of(sel, d.get("images")))
        ]


def _rekey(record: AdRecord, url: str, drop: frozenset[str]) -> None:
    """Give a record another identity (its landing URL, or a site key)."""
    record.url = url
    record.canonical_url = canonical_url(url, drop)
    record.id = record_id(record.platform, record.canonical_url)


def _site_key(record: AdRecord) -> str:
    """The identity of a result whose landing page is out of reach: the link
    without its per-impression query, plus the displayed site and title."""
    parts = urlsplit(str(record.extra.get("link") or record.url))
    words = quote(f"{record.author.name}|{record.title}", safe="")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", f"site={words}"))


def _site_name(result: Any, s: dict[str, Any]) -> str:
    """The displayed site of a result, without the 广告/推广 badge some engines put in it."""
    site = text_of(result, s.get("site"))
    badge = text_of(result, s.get("sponsored"))
    return site.replace(badge, "").strip() if badge else site
