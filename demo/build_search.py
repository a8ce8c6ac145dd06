"""Search channel: queries, result pages, landing pages, and the hostile
results planted among them (GBK, 20 MB, redirect loop, slow, markup, captcha,
and the capture-hostile pages of demo.capture_cases)."""

from __future__ import annotations

import random
from urllib.parse import urlencode

from demo import ads, hostile, texts_search
from demo.build_common import REPEAT_RATE, Registry
from demo.capture_cases import CAPTURE_EXPECT, capture_target
from demo.contacts import contact_text
from demo.model import (
    SEARCH_PAGE_SIZE,
    CaptureCase,
    Landing,
    Reject,
    SearchPage,
    SearchQuery,
    SearchResult,
    Truth,
)

SPONSORED_AD_RATE = 0.85  # the rest are banks promoting their own hardship policy
# Query 1 answers the slider captcha from its 3rd result page on, every time.
BLOCKED_QUERY, BLOCKED_FROM_PAGE = 1, 3
# (query index, page, slot) -> hostile case
SEARCH_HOSTILE = {
    (0, 1, 3): "gbk",
    (0, 1, 6): "markup",
    (0, 2, 2): "huge",
    (0, 2, 5): "redirect_loop",
    (0, 2, 8): "slow",
}
# Landing pages that fight evidence capture in a browser (demo.capture_cases).
# They are added on top of the generated results, from their own random
# stream, so that every other result is exactly what it was without them.
CAPTURE_CASES = ("never_loads", "infinite_scroll", "navigates_away", "download")
MAX_PAGES = 5  # result pages of a query at most (3 to 5)
GBK_SAFE_DISGUISES = ("homophone", "pinyin", "traditional", "fullwidth")
ORGANIC_TRACKING = ("", "", "?utm_source=baidu&spm=1001.2101", "?from=baidu")
SPONSORED_TRACKING = "?utm_source=baidu&utm_medium=cpc"


def gbk_safe(text: str) -> str:
    """Drop characters GBK cannot encode (emoji, ❤, zero-width)."""
    return "".join(c for c in text if c.encode("gbk", "ignore"))


def build_search(reg: Registry, rng: random.Random, queries: list[str]) -> list[SearchQuery]:
    out: list[SearchQuery] = []
    pool: list[SearchResult] = []  # organic results of earlier queries, to show again
    for qi, query in enumerate(queries):
        fresh: list[SearchResult] = []
        n_pages = 3 if qi == BLOCKED_QUERY else rng.randint(3, MAX_PAGES)
        pages = []
        for number in range(1, n_pages + 1):
            blocked = qi == BLOCKED_QUERY and number >= BLOCKED_FROM_PAGE
            count = 10 if number < n_pages else rng.randint(4, 10)
            n_sponsored = {1: rng.randint(1, 3), 2: rng.randint(0, 2)}.get(number, 0)
            results = []
            for slot in range(count):
                case = SEARCH_HOSTILE.get((qi, number, slot))
                sponsored = slot < n_sponsored and case is None
                repeat = pool and qi > 0 and not (sponsored or blocked or case)
                if repeat and rng.random() < REPEAT_RATE:
                    results.append(_again(reg, rng, rng.choice(pool)))
                    continue
                result = _result(reg, rng, query, sponsored, case)
                results.append(result)
                if not (blocked or case or sponsored):
                    fresh.append(result)
            pages.append(SearchPage(number, results, blocked))
        out.append(SearchQuery(query, pages))
        pool += fresh
        if qi == BLOCKED_QUERY:
            url = "/s?" + urlencode({"wd": query, "pn": (BLOCKED_FROM_PAGE - 1) * 10})
            reg.rejects.append(Reject(url, "captcha", "blocked"))
    _add_capture_cases(reg, random.Random(f"{reg.seed}/search/capture"), out)
    return out


def _add_capture_cases(reg: Registry, rng: random.Random, queries: list[SearchQuery]) -> None:
    """Append one result per capture case to a reachable page with room,
    spread over the queries."""
    for i, case in enumerate(CAPTURE_CASES):
        sq, page = _page_with_room(queries, i)
        page.results.append(_result(reg, rng, sq.query, False, case))


def _page_with_room(queries: list[SearchQuery], i: int) -> tuple[SearchQuery, SearchPage]:
    """The i-th page (round robin) that is reachable and not full: a short
    last page; failing that a new last page for a query with fewer than the
    most pages; failing that (never seen) the last page, over-full."""
    open_ = [
        (sq, p)
        for sq in queries
        for p in sq.pages
        if not p.blocked and len(p.results) < SEARCH_PAGE_SIZE
    ]
    if open_:
        return open_[i % len(open_)]
    unblocked = [sq for sq in queries if not any(p.blocked for p in sq.pages)]
    short = [sq for sq in unblocked if len(sq.pages) < MAX_PAGES]
    if short:
        page = SearchPage(len(short[-1].pages) + 1, [])
        short[-1].pages.append(page)
        return short[-1], page
    return unblocked[-1], unblocked[-1].pages[-1]


def _again(reg: Registry, rng: random.Random, seen: SearchResult) -> SearchResult:
    """The same page shown for another query (a new redirect token, same target)."""
    token = reg.token(rng)
    reg.tokens[token] = seen.target
    return SearchResult(token, seen.title, seen.snippet, seen.showurl, seen.target, seen.truth)


def _result(
    reg: Registry, rng: random.Random, query: str, sponsored: bool, case: str | None
) -> SearchResult:
    label = "ad" if case else reg.label(rng, "search")
    if sponsored:
        label = "ad" if rng.random() < SPONSORED_AD_RATE else "not_ad"
    lid = reg.hexid(rng)
    images: list[str] = []
    if label == "ad":
        plan = ads.plan_ad(
            rng,
            reg.operators,
            query,
            "search",
            image_only=False if case else None,
            allowed_where=("text",) if case else None,
            allowed_disguises=GBK_SAFE_DISGUISES if case == "gbk" else (() if case else None),
            category="AI接听" if case == "download" else None,  # an app ad
        )
        text = texts_search.ad(rng, plan, query, rng.randint(3, 99), contacts_in_snippet=bool(case))
        if case == "markup":
            handle = " ".join(contact_text(c, rng, plain=True)[0] for c in plan.contacts)
            text.title = text.h1 = hostile.markup_text(plan.headline, handle)
        if ads.needs_poster(plan) or rng.random() < 0.5:
            lines, qr = ads.poster_lines(plan, rng), ads.poster_qr(plan)
            images.append(reg.poster(rng, f"banner_{lid}.png", lines, qr_payload=qr))
        truth = ads.truth(plan, case)
    elif label == "not_ad":
        text = texts_search.negative(rng, query, bank=sponsored)
        if text.poster:
            images.append(reg.poster(rng, f"notice_{lid}.png", text.poster, theme="blue"))
        truth = Truth("not_ad")
    else:
        text = texts_search.benign(rng, query)
        if rng.random() < 0.4:
            images.append(reg.photo(rng, f"photo_{lid}.jpg"))
        truth = Truth("benign")
    encoding = "utf-8"
    if case == "gbk":
        encoding = "gbk"
        text.title, text.snippet, text.h1 = map(gbk_safe, (text.title, text.snippet, text.h1))
        text.paragraphs = [gbk_safe(p) for p in text.paragraphs]
    if case == "redirect_loop":
        target = "/loop/a"
        reg.rejects.append(Reject(target, case, "redirect_loop"))
    else:
        landing = Landing(
            lid, text.title, text.h1, text.paragraphs, images, text.site, encoding, case
        )
        reg.landings[lid] = landing
        target = landing.path
        if case is None:
            target += SPONSORED_TRACKING if sponsored else rng.choice(ORGANIC_TRACKING)
        if case == "huge":
            reg.rejects.append(Reject(target, case, "too_large"))
        if case == "slow":
            reg.rejects.append(Reject(target, case, "timeout"))
        if case in CAPTURE_EXPECT:
            expect = CAPTURE_EXPECT[case]
            reg.capture.append(CaptureCase(target, case, expect, capture_target(case, lid)))
    if case == "markup":
        reg.probes[target] = hostile.MARKUP_PROBE
    token = reg.token(rng)
    reg.tokens[token] = target
    return SearchResult(
        token,
        text.title,
        text.snippet,
        f"{text.site}/{lid}.html",
        target,
        truth,
        sponsored=sponsored,
        sponsor_word=rng.choice(("广告", "广告", "推广")),
    )
