"""Channels whose result lists are built by JavaScript from JSON (video, market).

The search page is rendered in Chromium; the JSON answers it fetches are
captured (crawler.finding.browser) and read with the profile's JMESPath expressions.
Each item becomes a record; its detail page (a video page, a listing page) is
then fetched with the plain downloader unless the profile says it needs the
browser, and adds text, comments and images.  Pagination is either by scrolling
(``search.scroll: true``: one rendered page, several data answers) or by a page
number in the URL (``search.has_next`` tells whether another page exists).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.finding.browser import PAGING_META, XHR_BODIES_META
from crawler.finding.extract import (
    absolute,
    all_of,
    as_text,
    embedded_json,
    json_path,
    page_selector,
    text_of,
)
from crawler.finding.frontier import UNFINISHED_META, crawl_stopping
from crawler.finding.profiles import SiteProfile
from crawler.finding.spiders._base import ChannelSpider
from crawler.items import AdRecord, Author, ImageRef

# how many times a list page has been rendered again (its own count: Scrapy's
# retry_times belongs to the downloader's retries and is never copied over)
RENDERED_AGAIN_META = "adwatch_rendered_again"


class RenderedListSpider(ChannelSpider):
    def search_requests(self, profile: SiteProfile, query: str) -> Iterator[scrapy.Request]:
        yield self._list_request(profile, query, 1)

    def _list_request(
        self, profile: SiteProfile, query: str, page: int, renderings: int = 0
    ) -> scrapy.Request:
        """A list page's request, always from fresh meta: a list rendered again
        carries only how often it was (``RENDERED_AGAIN_META``), none of the
        keys Scrapy set on the earlier rendering (its retry count, latency)."""
        s = profile.search
        batches = self.max_pages(profile) if in_page_paging(s) else 1
        url = profile.url(s["url"], query=profile.query_value(query), page=page)
        meta = self.meta(profile, "results")
        if s.get("render", True):
            meta.update(self.render_meta(profile, s, batches))
        if renderings:
            meta[RENDERED_AGAIN_META] = renderings
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.fetch_failed,
            meta=meta,
            dont_filter=bool(renderings),  # the same URL once more, on purpose
            priority=self.settings.getint("RETRY_PRIORITY_ADJUST") if renderings else 0,
            cb_kwargs={"profile_name": profile.name, "query": query, "page": page},
        )

    def parse_list(
        self, response: Response, profile_name: str, query: str, page: int
    ) -> Iterator[Any]:
        profile = self.profiles[profile_name]
        s = profile.search
        bodies: list[str] = response.meta.get(XHR_BODIES_META) or []
        if not bodies and not s.get("render", True):
            bodies = [response.text]
        stopping = bool(s.get("render", True)) and crawl_stopping(self.crawler)
        if stopping:
            # the crawl is stopping, which may have cut the page's data answers
            # short: the frontier keeps this list to be read whole by a resumed
            # crawl (the items read now are kept, and not queued twice then)
            response.meta[UNFINISHED_META] = True
            self.logger.info(
                "stopping: %s may lack its last data answers (a --job-dir or shared "
                "frontier crawl reads it again)",
                response.url,
            )
            if self.crawler.stats:
                self.crawler.stats.inc_value("adwatch/lists_unfinished")
            if not bodies:
                return
        if not bodies:
            yield from self._again_or_reject(
                response,
                profile,
                query,
                page,
                "no_data",
                f"the page fired no data request matching search.xhr within "
                f"{self.config.xhr_wait:g} s",
            )
            return
        has_next = False
        for batch, body in enumerate(bodies):
            try:
                data = json.loads(body)
                items = json_path(data, s["items"]) or []
            except ValueError as exc:
                self.reject(
                    response.url,
                    "parse",
                    "bad_json",
                    str(exc)[:300],
                    platform=profile.name,
                    data={"body": body[:2000]},
                )
                continue
            has_next = bool(json_path(data, s.get("has_next")))
            result_page = page + batch

            def build(item: Any, position: int, result_page: int = result_page) -> AdRecord | None:
                return self._item_record(profile, response, item, query, result_page, position)

            records = self.new_records(
                response, profile, items, build, "bad_item", lambda item: {"item": item}
            )
            for record in records:
                yield self.follow(profile, record, self.parse_detail)
        if not in_page_paging(s):
            if has_next and page < self.max_pages(profile):
                yield self._list_request(profile, query, page + 1)
        elif has_next and len(bodies) < self.max_pages(profile) and not stopping:
            stopped = (response.meta.get(PAGING_META) or {}).get("stopped", "")
            yield from self._again_or_reject(
                response,
                profile,
                query,
                page,
                "paging_cut_short",
                f"{stopped or 'no further data answer'} after page {len(bodies)} of up to "
                f"{self.max_pages(profile)} (page {len(bodies) + 1} missing), though "
                "search.has_next said there was more",
            )

    def _again_or_reject(
        self,
        response: Response,
        profile: SiteProfile,
        query: str,
        page: int,
        reason: str,
        detail: str,
    ) -> Iterator[scrapy.Request]:
        """A rendered list whose data did not all come in time (a slow data
        request, a busy browser): render it again, up to RETRY_TIMES.  What was
        read is kept and not followed twice (first_sighting); a list that never
        gets further is a reject, so that the results it hides are not lost
        without a word.  The new request is built afresh, never copied from the
        response's: a copy inherited Scrapy's retry count and latency."""
        done = int(response.meta.get(RENDERED_AGAIN_META, 0))
        if done < self.settings.getint("RETRY_TIMES"):
            self.logger.info(
                "rendering %s again (%d of %d): %s",
                response.url,
                done + 1,
                self.settings.getint("RETRY_TIMES"),
                reason,
            )
            if self.crawler.stats:
                self.crawler.stats.inc_value("adwatch/lists_rendered_again")
                self.crawler.stats.inc_value(f"adwatch/lists_rendered_again/{reason}")
            yield self._list_request(profile, query, page, renderings=done + 1)
            return
        self.reject(response.url, "fetch", reason, detail, platform=profile.name)

    def _item_record(
        self,
        profile: SiteProfile,
        response: Response,
        item: Any,
        query: str,
        page: int,
        position: int,
    ) -> AdRecord | None:
        s = profile.search
        f = _fields(item, s["fields"])
        if not f.get("id"):
            self.reject(
                response.url,
                "parse",
                "no_id",
                "item without an id",
                platform=profile.name,
                data={"item": item},
            )
            return None
        url = profile.url(s["item_url"], **f)
        author_url = profile.url(s["author_url"], **f) if s.get("author_url") else ""
        return self.new_record(
            profile,
            url,
            referrer=response.url,
            query=query,
            http_status=response.status,
            title=as_text(f.get("title")),
            text=as_text(f.get("text")),
            author=Author(
                name=as_text(f.get("author_name")), id=as_text(f.get("author_id")), url=author_url
            ),
            published_at=_when(f.get("published_at")),
            price=as_text(f.get("price")),
            region=as_text(f.get("region")),
            sponsored=_flag(f.get("sponsored")),
            images=[ImageRef(url=u) for u in absolute(response.url, _list(f.get("images")))],
            extra={"page": page, "position": position, "item_id": str(f["id"])},
        )

    def parse_detail(self, response: Response, record: AdRecord) -> Iterator[AdRecord]:
        yield from self.enrich(response, record, self._read_detail)

    def _read_detail(self, response: Response, record: AdRecord) -> None:
        d = self.profiles[record.platform].detail
        sel = page_selector(response)
        if d.get("xhr"):
            found = _fields(_first_answer(response, d), d.get("fields") or {})
            images = _list(found.get("images"))
        elif d.get("data"):
            found = _fields(
                embedded_json(sel, d["data"], d.get("data_encoding", "")), d.get("fields") or {}
            )
            images = _list(found.get("images"))
        else:
            found = {
                k: text_of(sel, v) for k, v in d.items() if isinstance(v, str) and k != "images"
            }
            images = all_of(sel, d.get("images"))
        _merge(record, found)
        for url in absolute(response.url, images):
            if all(i.url != url for i in record.images):
                record.images.append(ImageRef(url=url))


def _first_answer(response: Response, detail: dict[str, Any]) -> Any:
    """The first data answer a rendered detail page fired (``detail.xhr``,
    e.g. Goofish's ``mtop.taobao.idle.pc.detail``), as JSON."""
    bodies: list[str] = response.meta.get(XHR_BODIES_META) or []
    if not bodies:
        raise ValueError(f"the page fired no data request matching detail.xhr {detail['xhr']!r}")
    return json.loads(bodies[0])


def in_page_paging(search: dict[str, Any]) -> bool:
    """Whether further batches come inside one rendered page (``scroll`` or a
    ``next_click`` button) rather than by a page number in the URL."""
    return bool(search.get("scroll") or search.get("next_click"))


def _fields(data: Any, paths: dict[str, str]) -> dict[str, Any]:
    return {name: json_path(data, path) for name, path in paths.items()}


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)]


def _flag(value: Any) -> bool:
    """A platform's ad mark as a yes or no: ``true``, ``1``, ``"true"`` (Douyin's
    ``is_ads``, Goofish's ``isAliMaMaAD``); missing, ``0``, ``"false"``, ``""``: no."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value) if isinstance(value, bool | int | float) else False


# A Unix time above this is in milliseconds (Goofish's publishTime, Kuaishou's
# timestamp): 10**11 seconds is the year 5138, 10**11 milliseconds is 1973.
_MILLISECONDS_FROM = 10**11


def _when(value: Any) -> str:
    """Unix seconds or milliseconds, or text, as an ISO time (what the platform
    said, in UTC).  A number too large for any date is kept as the text it was."""
    if value in (None, ""):
        return ""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float) or str(value).strip().isdigit():
        number = int(float(value))
        if number >= _MILLISECONDS_FROM:
            number //= 1000
        try:
            return datetime.fromtimestamp(number, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            return str(value)
    return str(value)


def _merge(record: AdRecord, found: dict[str, Any]) -> None:
    """What the detail page adds: longer title/text wins, comments are appended."""
    title = as_text(found.get("title"))
    if len(title) > len(record.title):
        record.title = title
    text = as_text(found.get("text"))
    if text and text not in record.text:
        record.text = "\n".join(p for p in (record.text, text) if p)
    comments = _list(found.get("comments"))
    if comments:
        record.extra["comments"] = comments
        record.text = "\n".join(p for p in (record.text, *comments) if p)
    for key in ("price", "region"):
        value = as_text(found.get(key))
        if value and not getattr(record, key):
            setattr(record, key, value)
    if found.get("author_name") and not record.author.name:
        record.author.name = as_text(found["author_name"])
    if found.get("author_id") and not record.author.id:
        record.author.id = as_text(found["author_id"])
    if found.get("author_url") and not record.author.url:
        record.author.url = as_text(found["author_url"])
