"""The ground truth of a simulated web: what a perfect crawler stores and rejects.

One JSON line per distinct record (deduplicated by URL, first appearance
wins), one per expected reject, one per transient block, one per page that
fights evidence capture, and a meta line.  It describes the web as generated:
takedowns and edits made while serving never change it.

Records are keyed on their page: a search result on its landing path (for an
organic result the ``mu`` target; for a paid one, which has no ``mu`` and whose
``/baidu.php?url=`` link changes on every impression, the landing page that link
redirects to: a crawler keys it on the URL it ends at), a video on
``/video/ID`` (found under ``data[].aweme_info`` of the search answer), a listing
on ``/item?id=ID`` (under ``data.resultList[].data.item.main``; ``page`` is the
page the shell's next button reaches).  The reserved queries of
``demo.soft_blocks`` (soft blocks, captcha redirects, login walls) are never
generated, so they are not listed here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from demo.model import VIDEO_BATCH_SIZE, DemoWeb, Truth
from demo.twins import truth_records

# the demo profile that crawls each original channel (every record line names its platform)
CHANNEL_PLATFORMS = {"search": "demo-baidu", "video": "demo-douyin", "market": "demo-xianyu"}

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def probe(text: str, limit: int = 12) -> str:
    """A short piece of `text` a crawler will certainly extract: the longest
    run without whitespace or invisible characters, clipped."""
    runs, current = [], ""
    for ch in text:
        if ch.isspace() or not ch.isprintable() or ch in INVISIBLE:
            runs.append(current)
            current = ""
        else:
            current += ch
    runs.append(current)
    return max(runs, key=len)[:limit]


def _record(
    channel: str,
    query: str,
    page: int,
    url: str,
    truth: Truth,
    text: str,
    web: DemoWeb,
    *,
    sponsored: bool = False,
    reachable: bool = True,
    hostile: str | None = None,
) -> dict[str, Any]:
    contacts = sorted({(c.kind, c.value, c.where) for c in truth.contacts})
    return {
        "kind": "record",
        "channel": channel,
        "query": query,
        "page": page,
        "url": url,
        "label": truth.label,
        "category": truth.category,
        "sponsored": sponsored,
        "image_only": truth.image_only,
        "hostile": hostile or truth.hostile,
        "reachable": reachable,
        "text_contains": web.probes.get(url) or probe(text),
        "contacts": [{"kind": k, "value": v, "where": w} for k, v, w in contacts],
        "operator": truth.operator,
        "disguises": list(truth.disguises),
    }


def records(web: DemoWeb) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out: list[dict[str, Any]] = []

    def add(rec: dict[str, Any]) -> None:
        if rec["url"] not in seen:
            seen.add(rec["url"])
            out.append(rec)

    for sq in web.search:
        for page in sq.pages:
            for r in page.results:
                add(
                    _record(
                        "search",
                        sq.query,
                        page.number,
                        r.target,
                        r.truth,
                        r.title,
                        web,
                        sponsored=r.sponsored,
                        reachable=not page.blocked,
                        hostile="captcha" if page.blocked else None,
                    )
                )
    for vq in web.video:
        for i, v in enumerate(vq.videos):
            batch = i // VIDEO_BATCH_SIZE + 1
            url = f"/video/{v.aweme_id}"
            add(_record("video", vq.query, batch, url, v.truth, v.desc, web, sponsored=v.sponsored))
    for mq in web.market:
        for number, items in enumerate(mq.pages, start=1):
            for item in items:
                url = f"/item?id={item.item_id}"
                add(
                    _record(
                        "market",
                        mq.query,
                        number,
                        url,
                        item.truth,
                        item.title,
                        web,
                        sponsored=item.sponsored,
                    )
                )
    for rec in out:  # the three original channels are one platform each
        rec["platform"] = CHANNEL_PLATFORMS[rec["channel"]]

    def twin_record(
        channel: str, query: str, page: int, url: str, truth: Truth, text: str, **kw: Any
    ) -> dict[str, Any]:
        return _record(channel, query, page, url, truth, text, web, **kw)

    for rec in truth_records(web.twins, twin_record):
        add(rec)
    return out


def page_counts(web: DemoWeb) -> dict[str, int]:
    """How many pages (HTML or JSON) the web answers, by kind."""
    counts = {
        "index": 1,
        "search_result_pages": sum(len(q.pages) for q in web.search),
        "landing_pages": len(web.landings),
        "video_search_shells": len(web.video),
        "video_api_batches": sum(
            max(1, math.ceil(len(q.videos) / VIDEO_BATCH_SIZE)) for q in web.video
        ),
        "video_pages": len(web.videos),
        "market_search_pages": sum(len(q.pages) for q in web.market),
        "market_api_pages": sum(len(q.pages) for q in web.market),
        "item_pages": len(web.listings),
        "seller_pages": len(web.sellers),
        "wx_pages": sum(c.case == "navigates_away" for c in web.capture),
    }
    counts["total"] = sum(counts.values())
    counts["images"] = len(web.images)
    counts["downloads"] = len({c.target for c in web.capture if c.case == "download"})
    return counts


def ground_truth_lines(web: DemoWeb) -> list[dict[str, Any]]:
    recs = records(web)
    by_label: dict[str, int] = {}
    for r in recs:
        by_label[r["label"]] = by_label.get(r["label"], 0) + 1
    meta = {
        "kind": "meta",
        "seed": web.seed,
        "size": web.size,
        "queries": {
            "search": [q.query for q in web.search],
            "video": [q.query for q in web.video],
            "market": [q.query for q in web.market],
        },
        "pages": page_counts(web),
        # every demo platform: its channel and queries (the three above, and the twins)
        "platforms": {
            **{
                p: {"channel": c, "queries": [q.query for q in getattr(web, c)]}
                for c, p in CHANNEL_PLATFORMS.items()
            },
            **{
                t.platform: {"channel": t.channel, "queries": [q.query for q in t.queries]}
                for t in web.twins
            },
        },
        "records": {"total": len(recs), **dict(sorted(by_label.items()))},
    }
    lines: list[dict[str, Any]] = [meta, *recs]
    lines += [
        {"kind": "reject", "url": r.url, "case": r.case, "expect": r.expect} for r in web.rejects
    ]
    lines += [
        {"kind": "transient", "url": t.url, "api_url": t.api_url, "case": t.case, "expect": "retry"}
        for t in web.transient
    ]
    lines += [
        {"kind": "capture", "url": c.url, "case": c.case, "expect": c.expect, "target": c.target}
        for c in web.capture
    ]
    return lines


def write_lines(lines: Iterable[dict[str, Any]], path: str | Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            n += 1
    return n
