"""What the pages show, shaped from catalogue answers: plain data for the
templates (which escape every string), no HTML here.

Kept apart from the handlers so that each shape can be tested without a
server, and so that the handlers stay a few lines each.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from evidence.cases import REGULATORS
from evidence.dossier.build import Segment, field_views, reason_zh
from evidence.index import Catalogue

PLATFORM_NAMES = {
    "baidu": "百度",
    "sogou": "搜狗",
    "so360": "360搜索",
    "douyin": "抖音",
    "kuaishou": "快手",
    "xiaohongshu": "小红书",
    "xianyu": "闲鱼",
    "goofish": "闲鱼",
    "zhuanzhuan": "转转",
}
LABEL_NAMES = {"ad": "广告", "suspect": "可疑", "clean": "无关"}
CHANNEL_NAMES = {"search": "搜索引擎", "video": "短视频", "market": "二手交易"}
STATUS_NAMES = {"live": "在线", "changed": "在线（已变化）", "gone": "已下架", "": "未知"}
REVIEW_NAMES = {"confirmed": "已确认", "rejected": "已否决", "unsure": "待再看", "": "未复核"}
CONTACT_NAMES = {"phone": "电话", "wechat": "微信", "qq": "QQ", "url": "网址"}
_SPACE = re.compile(r"\s+")


def excerpt(text: str, query: str, width: int = 140) -> list[Segment]:
    """A piece of ``text`` around the first query term found, every term
    marked (case-insensitive); the start of the text when none is found."""
    text = _SPACE.sub(" ", text or "").strip()
    terms = [t for t in query.split() if t]
    low = text.lower()
    first = min((i for t in terms if (i := low.find(t.lower())) >= 0), default=0)
    start = max(0, first - width // 3)
    piece = text[start : start + width]
    lead = "…" if start else ""
    tail = "…" if start + width < len(text) else ""
    spans = []
    low_piece = piece.lower()
    for term in terms:
        at = low_piece.find(term.lower())
        while at >= 0:
            spans.append((at, at + len(term)))
            at = low_piece.find(term.lower(), at + len(term))
    segs = _cut(piece, spans)
    return [Segment(lead), *segs, Segment(tail)] if (lead or tail) else segs


def _cut(text: str, spans: list[tuple[int, int]]) -> list[Segment]:
    out: list[Segment] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            start = pos
        if end <= start:
            continue
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], hit=True))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def short(text: str, width: int = 60) -> str:
    text = _SPACE.sub(" ", text or "").strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def ad_view(catalogue: Catalogue, record: dict[str, Any]) -> dict[str, Any]:
    """Everything the ad page shows of one record."""
    fields, _notes = field_views(record, None)
    captures = catalogue.captures(record["id"], limit=200)
    bundles = [c for c in captures if c.get("bundle_id")]
    return {
        "record": record,
        "fields": fields,
        "reasons": [reason_zh(str(r)) for r in record.get("reasons") or []],
        "contacts": [
            {
                "kind": CONTACT_NAMES.get(str(c.get("kind")), str(c.get("kind"))),
                "value": str(c.get("value", "")),
                "normalized": str(c.get("normalized", "")),
            }
            for c in record.get("contacts") or []
        ],
        "images": [
            image_view(image) for image in record.get("images") or [] if image.get("sha256")
        ],
        "captures": captures,
        "bundle_id": str(bundles[0]["bundle_id"]) if bundles else "",
        "reviews": catalogue.reviews(record["id"]),
    }


def image_view(image: dict[str, Any]) -> dict[str, Any]:
    """A picture with the boxes of the lines read in it (first frame only:
    the boxes of later frames belong to pictures the page does not show)."""
    ocr = image.get("ocr") or {}
    lines = []
    for line in ocr.get("lines") or []:
        box = line.get("box") or []
        if int(line.get("frame") or 0) or len(box) < 3:
            continue
        try:
            points = " ".join(f"{float(x):.0f},{float(y):.0f}" for x, y in box)
        except (TypeError, ValueError):
            continue
        lines.append({"text": str(line.get("text", "")), "points": points})
    return {
        "sha256": str(image["sha256"]),
        "width": int(image.get("width") or 0) or 1,
        "height": int(image.get("height") or 0) or 1,
        "lines": lines,
        "qr": [
            str(q.get("data", q)) if isinstance(q, dict) else str(q) for q in ocr.get("qr") or []
        ],
        "error": str(image.get("error") or ""),
    }


def bundle_facts(store: Any, bundle_id: str) -> dict[str, Any]:
    """A bundle's manifest as the ad page lists it (artifacts with their
    hashes) and whether it holds a WACZ to replay."""
    manifest = store.manifest(bundle_id)
    artifacts = [
        {
            "name": name,
            "sha256": a.get("sha256", ""),
            "size": a.get("size", 0),
            "media_type": a.get("media_type", ""),
        }
        for name, a in sorted((manifest.get("artifacts") or {}).items())
    ]
    shot = next((a for a in artifacts if a["name"].startswith("screenshot")), None)
    wacz = next((a for a in artifacts if a["name"].endswith("wacz")), None)
    return {
        "id": bundle_id,
        "captured_at": manifest.get("captured_at", ""),
        "about": manifest.get("about") or {},
        "artifacts": artifacts,
        "screenshot": shot["sha256"] if shot else "",
        "wacz": wacz["sha256"] if wacz else "",
        "stamp": store.stamp(bundle_id) or {},
    }


def find_picture(data_dir: Path, digest: str) -> Path | None:
    """A downloaded picture by its SHA-256 (the image stage keeps them under
    objects/images/ab/cd/<sha>.<ext>)."""
    folder = data_dir / "objects" / "images" / digest[:2] / digest[2:4]
    found = sorted(folder.glob(f"{digest}.*")) if folder.is_dir() else []
    return found[0] if found else None


def operator_view(catalogue: Catalogue, operator: dict[str, Any]) -> dict[str, Any]:
    """An operator's ads, contacts and platforms, and the graph that links its
    ads through shared contacts and templates (for ECharts' graph series)."""
    records = [r for rid in operator.get("ads") or [] if (r := catalogue.get(str(rid)))]
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, str]] = []
    seen: set[str] = set()
    contacts: Counter[tuple[str, str]] = Counter()
    for r in records:
        nodes.append(
            {
                "id": r["id"],
                "name": short(r.get("title") or r.get("text") or r["id"], 24),
                "category": 0,
                "platform": r.get("platform", ""),
            }
        )
        for c in r.get("contacts") or []:
            key = f"{c.get('kind')}:{c.get('normalized') or c.get('value')}"
            contacts[(str(c.get("kind")), str(c.get("normalized") or c.get("value")))] += 1
            if key not in seen:
                seen.add(key)
                nodes.append({"id": key, "name": str(c.get("value", "")), "category": 1})
            links.append({"source": r["id"], "target": key})
        template = str(r.get("template_hash") or "")
        if template:
            key = f"template:{template}"
            if key not in seen:
                seen.add(key)
                nodes.append({"id": key, "name": f"模板 {template[:8]}", "category": 2})
            links.append({"source": r["id"], "target": key})
    return {
        "operator": operator,
        "records": records,
        "platforms": Counter(str(r.get("platform", "")) for r in records).most_common(),
        "contacts": [
            {"kind": CONTACT_NAMES.get(k, k), "value": v, "ads": n}
            for (k, v), n in contacts.most_common()
        ],
        "graph": {
            "nodes": nodes,
            "links": links,
            "categories": [{"name": "广告"}, {"name": "联系方式"}, {"name": "文案模板"}],
        },
    }


def _day(value: Any) -> str:
    return str(value or "")[:10]


def overview(catalogue: Catalogue, days: int = 60, scan: int = 20_000) -> dict[str, Any]:
    """The overview's figures and chart series.  Per-day series are counted
    from the ``scan`` records seen most recently (all of them on any
    catalogue one analyst reviews; the page says when it is a sample)."""
    from evidence.cases import takedown_rows
    from evidence.review import agreement

    stats = catalogue.stats()
    since = (datetime.now(UTC) - timedelta(days=days)).date().isoformat()
    found = catalogue.search(label="ad", since=since, limit=scan)
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    categories: Counter[str] = Counter()
    for r in found.hits:
        per_day[_day(r.get("first_seen"))][str(r.get("platform", ""))] += 1
        categories.update(str(c) for c in r.get("categories") or [])
    blocks: dict[str, Counter[str]] = defaultdict(Counter)
    for b in catalogue.blocks(since=since):
        blocks[_day(b.get("at"))][str(b.get("platform", ""))] += 1
    operators = catalogue.operators(limit=10, min_ads=2)
    takedown = takedown_rows(catalogue)
    return {
        "stats": stats,
        "sampled": found.total > len(found.hits),
        "days": days,
        "new_ads": _series(per_day),
        "blocks": _series(blocks),
        "categories": categories.most_common(12),
        "operators": [
            {
                "id": o.get("id", ""),
                "ads": o.get("ad_count", 0),
                "name": short(str(o.get("name") or o.get("id", "")), 20),
            }
            for o in operators
        ],
        "takedowns": _takedown_series(takedown),
        "agreement": agreement(catalogue),
        "queue": queue_size(catalogue),
    }


def queue_size(catalogue: Catalogue) -> int:
    """Ads and suspects no one has decided yet (what the review queue holds
    before the ones marked for another look)."""
    return sum(
        catalogue.search(label=label, review="none", limit=0).total for label in ("ad", "suspect")
    )


def _series(per_day: dict[str, Counter[str]]) -> dict[str, Any]:
    """{"days": [...], "series": {name: [count per day]}} over every day
    from the first to the last, so gaps show as zeros."""
    if not per_day:
        return {"days": [], "series": {}}
    known = sorted(d for d in per_day if d)
    if not known:
        return {"days": [], "series": {}}
    first, last = date.fromisoformat(known[0]), date.fromisoformat(known[-1])
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    names = sorted({name for counts in per_day.values() for name in counts})
    return {
        "days": days,
        "series": {
            PLATFORM_NAMES.get(n, n): [per_day.get(d, Counter())[n] for d in days] for n in names
        },
    }


def _takedown_series(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Median days from referral to takedown per regulator and per platform."""
    by: dict[str, dict[str, list[float]]] = {
        "regulator": defaultdict(list),
        "platform": defaultdict(list),
    }
    for row in rows:
        regulator = str(row.get("regulator", ""))
        by["regulator"][REGULATORS.get(regulator, regulator)].append(float(row.get("days") or 0))
        by["platform"][
            PLATFORM_NAMES.get(str(row.get("platform")), str(row.get("platform")))
        ].append(float(row.get("days") or 0))
    return {
        kind: [{"name": k, "median": _median(v), "n": len(v)} for k, v in sorted(groups.items())]
        for kind, groups in by.items()
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
