"""Catalogue benchmark: records per second indexed and search latency (p50,
p95) at a million records, for SQLite and (when ADWATCH_ES_URL is set) for
Elasticsearch, each next to a naive baseline measured in the same run.

Records: seeded, in the shape of AdRecord.to_dict(), with real Chinese ad
text: the labelled slogans and news of ../shared/data/labeled_texts.jsonl,
the rule files' vocabulary (crawler/reading/detect/rules/*.yaml) and the demo web's
pitches and ordinary filler (demo/content.py); a quarter ads, a tenth
suspects, the rest clean (news quoting the words, everyday listings, videos
and search results); three channels, eight platforms, contacts shared by
operators, sent in crawl order over ten months.  About one sighting in
eleven is a re-sighting of an earlier record (seen again now, now and then
with changed text), so the upserts also update and re-index.

Ingest goes through the public interface only: open_catalogue(uri) and
Catalogue.upsert(batch) with the crawler's batch (ADWATCH_CATALOGUE_BATCH);
only the upsert calls are timed, not making the records.  Baseline: the
same interface, one record per upsert call (one transaction, or one request,
per record), on a sample of new records and re-sightings added to the full
catalogue afterwards.

Searches: a seeded mix through Catalogue.search(..., limit=20), each kind
timed apart: rule terms of 2 characters (too short for a trigram: SQLite
scanned every text for them before migration 0007), 3 and 4+ characters,
two terms, a contact, filters only and the empty query; a third of the
term queries also filter by label, platform, channel or a since date.  A
few queries run first, untimed, so the figures are for an open catalogue
(a fresh `adwatch search` process starts colder).  Wall and CPU time are
both shown: on a shared machine other work lengthens the first only.

SQLite's search baseline is the search written without the full-text
index: the same count and first page in plain SQL, every term a
``body LIKE '%term%'`` scan of the same text, on a separate connection,
for the first --naive-queries of the mix.  It also checks the catalogue:
the totals and first pages must be equal, or the exit status is 1.  For
Elasticsearch only the ingest has a baseline (its search has no
index-free twin worth timing).

    .venv/bin/python bench/index.py [--records 1000000] [--batch 200] [--dir DIR]
    .venv/bin/python bench/index.py --records 50000            # a quick run
    ADWATCH_ES_URL=http://127.0.0.1:9200 .venv/bin/python bench/index.py
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler import settings as crawl_settings  # noqa: E402
from crawler.items import AdRecord, record_id  # noqa: E402
from demo import content  # noqa: E402
from evidence.index import Catalogue, open_catalogue  # noqa: E402

TARGET_RATE = 5000.0  # records/s ingested, SQLite, this machine
TARGET_P95_MS = 200.0  # search p95 over the mix at 1 million records
REAL = [
    ROOT.parent / "shared" / "data" / "labeled_texts.jsonl",
    Path("/work/shared/data/labeled_texts.jsonl"),
]
RULES = ROOT / "crawler" / "reading" / "detect" / "rules"
ES_PREFIX = "adwatch-bench"
PAGE = 20
DAY = 86_400
START = 1_767_225_600  # 2026-01-01T00:00:00Z
SPAN_DAYS = 300

PLATFORMS: dict[str, list[tuple[str, float]]] = {
    "search": [("baidu", 0.6), ("sogou", 0.25), ("so360", 0.15)],
    "video": [("douyin", 0.6), ("kuaishou", 0.3), ("bilibili", 0.1)],
    "market": [("xianyu", 0.75), ("zhuanzhuan", 0.25)],
}
CHANNELS = [("search", 0.4), ("video", 0.35), ("market", 0.25)]
LABELS = [("ad", 0.25), ("suspect", 0.1), ("clean", 0.65)]
CITIES = [
    "广东 深圳",
    "广东 广州",
    "浙江 杭州",
    "上海",
    "北京",
    "四川 成都",
    "湖北 武汉",
    "江苏 南京",
    "河南 郑州",
    "湖南 长沙",
    "福建 厦门",
    "山东 济南",
]
QUERIES = [
    "停催",
    "反催收",
    "协商还款",
    "停息挂账",
    "征信修复",
    "债务优化",
    "退保",
    "全额退保",
    "代理投诉",
    "网贷逾期",
    "上岸",
    "信用卡逾期",
    "ai接听",
]
WECHAT_SHOWN = ["微信", "加V", "vx", "薇", "V信", "绿泡泡"]
FILTER_KEYS = ("label", "platform", "channel", "since")


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    x = rng.random()
    for value, weight in weighted:
        x -= weight
        if x < 0:
            return value
    return weighted[-1][0]


# --- the text to draw from -------------------------------------------------------


@dataclass
class Phrases:
    ads: dict[str, list[str]] = field(default_factory=dict)  # category -> slogans
    terms: dict[str, list[str]] = field(default_factory=dict)  # category -> rule terms
    cues: list[str] = field(default_factory=list)
    news: list[str] = field(default_factory=list)  # hard negatives quoting the words
    benign: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # channel -> pairs

    @property
    def categories(self) -> list[str]:
        return sorted(self.terms)


def load_phrases() -> Phrases:
    p = Phrases()
    for path in sorted(RULES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if "category" in data:
            p.terms[data["category"]] = [str(t) for t in data.get("terms") or {}]
        for cue in (data.get("ad_cues") or {}).values():
            p.cues += [str(t) for t in cue.get("terms") or []]
    for category, slogans in content.SLOGANS.items():
        p.ads.setdefault(category, []).extend(slogans)
    real = next((path for path in REAL if path.exists()), None)
    real_category = {
        "协商还款": "债务协商",
        "债务优化": "债务协商",
        "停息挂账": "债务协商",
        "退保": "退保退息",
        "退息": "退保退息",
    }
    if real:
        for line in real.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["label"] == "ad":
                category = real_category.get(row.get("category"), row.get("category"))
                p.ads.setdefault(category, []).append(row["text"])
            else:
                p.news.append(row["text"])
    p.news += [
        *content.NEWS_PARAGRAPHS,
        *content.WARNING_PARAGRAPHS,
        *content.BANK_PARAGRAPHS,
        *content.LEGAL_PARAGRAPHS,
    ]
    p.benign = {
        "search": list(content.SEARCH_BENIGN),
        "video": [(v.split(" #")[0], v) for v in content.VIDEO_BENIGN],
        "market": [(title, f"{desc} {price}元") for title, price, desc in content.MARKET_BENIGN],
    }
    for category in list(p.terms):
        p.ads.setdefault(category, []).extend(t + "，专业团队一对一" for t in p.terms[category][:3])
    return p


# --- records ------------------------------------------------------------------------


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class Maker:
    """Record n is a function of (seed, n) alone, so a re-sighting can be
    made again without keeping a million records in memory."""

    def __init__(self, phrases: Phrases, seed: int, records: int) -> None:
        self.p = phrases
        self.seed = seed
        self.records = max(1, records)
        self.operators = max(10, records // 150)

    def contacts(self, rng: random.Random, operator: int) -> list[dict[str, Any]]:
        o = random.Random(self.seed * 7919 + operator)
        phone = f"1{o.choice('3456789')}{o.randrange(10**9):09d}"
        wechat = f"{o.choice(['tc', 'shangan', 'xieshang', 'tuibao', 'fawu', 'anxin'])}_{operator}"
        qq = str(o.randrange(10**7, 10**10))
        kinds = rng.sample(["phone", "wechat", "qq"], rng.randint(1, 2))
        out = []
        for kind in kinds:
            if kind == "phone":
                shown = f"{phone[:3]}-{phone[3:7]}-{phone[7:]}" if rng.random() < 0.3 else phone
                out.append(("phone", f"电话 {shown}", shown, phone))
            elif kind == "wechat":
                out.append(
                    ("wechat", f"{rng.choice(WECHAT_SHOWN)}: {wechat}", wechat, wechat.lower())
                )
            else:
                out.append(("qq", f"QQ {qq}", qq, qq))
        return [
            {
                "kind": k,
                "value": v,
                "normalized": norm,
                "field": "text",
                "span": [0, 0],
                "_line": line,
            }
            for k, line, v, norm in out
        ]

    def make(self, n: int) -> dict[str, Any]:
        rng = random.Random(self.seed * 1_000_003 + n)
        p = self.p
        channel = _pick(rng, CHANNELS)
        platform = _pick(rng, PLATFORMS[channel])
        label = _pick(rng, LABELS)
        first = last = self.when(n, rng)
        category = rng.choice(p.categories)
        contacts: list[dict[str, Any]] = []
        matches: list[dict[str, Any]] = []
        categories: list[str] = []
        reasons: list[str] = []
        template = ""
        if label == "ad":
            operator = rng.randrange(self.operators)
            contacts = self.contacts(rng, operator)
            slogans = rng.sample(p.ads[category], min(len(p.ads[category]), rng.randint(1, 3)))
            terms = rng.sample(p.terms[category], 2)
            lines = [*slogans, f"{terms[0]}{rng.choice(p.cues)}，{terms[1]}{rng.choice(p.cues)}"]
            lines += [c["_line"] for c in contacts]
            if rng.random() < 0.3:
                lines.append(rng.choice(p.benign[channel])[1])
            title = slogans[0][:24]
            score = round(0.7 + 0.3 * rng.random(), 3)
            categories = [category]
            template = f"{operator * 2654435761 % 2**32:08x}"
        elif label == "suspect":
            term = rng.choice(p.terms[category])
            title, body = rng.choice(p.benign[channel])
            lines = [body, f"{term}{rng.choice(p.cues)}"]
            if rng.random() < 0.5:
                contacts = self.contacts(rng, self.operators + rng.randrange(10_000))
                lines.append(contacts[0]["_line"])
                contacts = contacts[:1]
            score = round(0.4 + 0.3 * rng.random(), 3)
            categories = [category]
        else:
            if rng.random() < 0.4:
                lines = rng.sample(p.news, 2)
                title = lines[0][:20]
            else:
                title, body = rng.choice(p.benign[channel])
                lines = [body]
            score = round(0.4 * rng.random(), 3)
        if channel == "search" and rng.random() < 0.8:  # the landing page's text
            lines += self._landing(rng, label, category)
        text = "\n".join(lines)
        if label != "clean":
            for term in p.terms[category]:
                at = text.find(term)
                if at >= 0:
                    matches.append(
                        {
                            "rule": f"{category}:{term}",
                            "term": term,
                            "field": "text",
                            "span": [at, at + len(term)],
                            "form": "text",
                            "text": term,
                        }
                    )
                    reasons.append(f"{category} ({score:.2f}): {term}")
                if len(matches) >= 4:
                    break
        for c in contacts:
            line = c.pop("_line")
            at = text.find(c["value"]) if line in text else -1
            c["span"] = [at, at + len(c["value"])] if at >= 0 else [0, 0]
        url, author = self._where(rng, channel, platform, n)
        images = self._images(rng, channel, label, category)
        record = {
            "channel": channel,
            "platform": platform,
            "url": url,
            "canonical_url": url,
            "referrer": f"https://www.{platform}.com/search?q=" if channel != "market" else "",
            "query": rng.choice(QUERIES),
            "fetched_at": _iso(last),
            "http_status": 200,
            "sponsored": channel == "search" and label == "ad" and rng.random() < 0.5,
            "extra": {
                "page": rng.randint(1, 3),
                "position": rng.randint(1, 10),
                **({"likes": rng.randrange(5000)} if channel == "video" else {}),
            },
            "title": title,
            "text": text,
            "author": author,
            "published_at": _iso(first - rng.randrange(30 * DAY)) if channel != "search" else "",
            "price": f"¥{rng.choice(content.MARKET_AD_PRICES)}" if channel == "market" else "",
            "region": rng.choice(CITIES) if channel == "market" else "",
            "images": images,
            "score": score,
            "rule_score": score,
            "model": "",
            "label": label,
            "categories": categories,
            "matches": matches,
            "contacts": contacts,
            "reasons": reasons,
            "template_hash": template,
            "cluster_id": "",
            "first_seen": _iso(first),
            "last_seen": _iso(last),
            "times_seen": 1,
            "status": "live",
            "problems": [],
        }
        record["id"] = record_id(platform, url)
        return record

    def _landing(self, rng: random.Random, label: str, category: str) -> list[str]:
        p = self.p
        if label == "clean":
            if rng.random() < 0.5:
                return rng.sample(p.news, rng.randint(2, 4))
            pairs = rng.sample(p.benign["search"], rng.randint(2, 4))
            return [f"{title}。{body}" for title, body in pairs]
        services = content.SERVICES.get(category) or rng.choice(list(content.SERVICES.values()))
        return [
            rng.choice(content.STORIES),
            *rng.sample(p.ads[category], min(2, len(p.ads[category]))),
            "服务项目：" + "、".join(services),
            "、".join(rng.sample(content.PROMISES, 3)) + "。" + rng.choice(content.FEES),
            rng.choice(p.news) if label == "suspect" else rng.choice(content.CTAS),
        ]

    def _where(
        self, rng: random.Random, channel: str, platform: str, n: int
    ) -> tuple[str, dict[str, str]]:
        uid = f"{self.seed % 1000}{n:09d}"
        if channel == "search":
            host = rng.choice(["www", "m", "news", "service", "help"])
            return f"https://{host}.site{rng.randrange(5000)}.cn/p/{uid}.html", {
                "name": "",
                "id": "",
                "url": "",
            }
        nick = rng.choice([*content.AD_NICKNAMES, *content.BENIGN_NICKS])
        author = {
            "name": nick,
            "id": f"u{rng.randrange(10**8)}",
            "url": f"https://www.{platform}.com/user/{rng.randrange(10**8)}",
        }
        path = "video" if channel == "video" else "item"
        return f"https://www.{platform}.com/{path}/{uid}", author

    def _images(
        self, rng: random.Random, channel: str, label: str, category: str
    ) -> list[dict[str, Any]]:
        count = {"search": 0, "video": 1, "market": rng.randint(1, 3)}[channel]
        images = []
        for _ in range(count):
            digest = f"{rng.getrandbits(256):064x}"
            ocr = None
            if rng.random() < 0.4:
                said = (
                    rng.choice(self.p.ads[category])
                    if label != "clean"
                    else rng.choice(content.BENIGN_PHOTO_CAPTIONS)
                )
                ocr = {
                    "text": said,
                    "engine": "rapidocr",
                    "ms": rng.randint(40, 400),
                    "lines": [
                        {
                            "text": said,
                            "box": [12, 40, 600, 88],
                            "confidence": round(0.8 + 0.2 * rng.random(), 3),
                        }
                    ],
                }
            images.append(
                {
                    "url": f"https://img.{channel}.cn/{digest[:16]}.jpg",
                    "sha256": digest,
                    "path": f"objects/{digest[:2]}/{digest}.jpg",
                    "size": rng.randint(20_000, 400_000),
                    "width": 720,
                    "height": rng.choice([720, 960, 1280]),
                    "error": "",
                    "ocr": ocr,
                }
            )
        return images

    def when(self, n: int, rng: random.Random) -> int:
        """When record n was crawled: the crawl runs over SPAN_DAYS and the
        records arrive in crawl order, give or take an hour."""
        return START + n * SPAN_DAYS * DAY // self.records + rng.randrange(3600)

    def resight(self, n: int, now: int, rng: random.Random) -> dict[str, Any]:
        """Record n seen again at record `now`'s crawl time (its first_seen is
        kept by the catalogue), now and then with changed text."""
        record = self.make(n)
        record["first_seen"] = record["last_seen"] = record["fetched_at"] = _iso(
            self.when(now, rng)
        )
        if rng.random() < 0.2:
            record["text"] += "\n（已更新）" + rng.choice(self.p.cues)
        return record


def sightings(maker: Maker, start: int, count: int, seed: int) -> Iterator[dict[str, Any]]:
    """Records start..start+count-1, each followed one time in ten by a
    re-sighting of an earlier record."""
    rng = random.Random(seed)
    for n in range(start, start + count):
        yield maker.make(n)
        if rng.random() < 0.1:
            yield maker.resight(rng.randrange(n + 1), n, rng)


def check_shape(maker: Maker) -> None:
    """The generated dicts have exactly AdRecord.to_dict()'s keys."""
    made = maker.make(0)
    want = AdRecord(channel="search", platform="baidu", url="https://x.cn/").to_dict()
    if set(made) != set(want):
        raise SystemExit(f"record shape differs from AdRecord: {set(made) ^ set(want)}")


# --- ingest -----------------------------------------------------------------------


def batches(records: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Ingest:
    sent: int = 0
    inserted: int = 0
    updated: int = 0
    seconds: float = 0.0  # wall time in upsert calls
    cpu: float = 0.0  # this process's CPU time in them
    tail_sent: int = 0
    tail_seconds: float = 0.0
    tail_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        return self.sent / self.cpu if self.cpu else 0.0

    @property
    def tail_rate(self) -> float:
        return self.tail_sent / self.tail_seconds if self.tail_seconds else 0.0

    @property
    def tail_cpu_rate(self) -> float:
        return self.tail_sent / self.tail_cpu if self.tail_cpu else 0.0


def ingest(
    cat: Catalogue,
    records: Iterator[dict[str, Any]],
    size: int,
    expected: int,
    progress: Callable[[Ingest], str] | None = None,
) -> Ingest:
    """Upsert in batches of `size`, timing the upsert calls only; the tail
    figures are the last tenth of the records (the catalogue nearly full)."""
    out = Ingest()
    shown = time.monotonic()
    for batch in batches(records, size):
        started, cpu = time.perf_counter(), time.process_time()
        result = cat.upsert(batch)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        out.sent += len(batch)
        out.inserted += result.inserted
        out.updated += result.updated
        out.seconds += elapsed
        out.cpu += cpu
        if out.sent > 0.9 * expected:
            out.tail_sent += len(batch)
            out.tail_seconds += elapsed
            out.tail_cpu += cpu
        if progress and time.monotonic() - shown > 15:
            shown = time.monotonic()
            print(
                f"  {out.sent:>10,} / ~{expected:,}  {out.rate:8,.0f} records/s  {progress(out)}",
                flush=True,
            )
    return out


# --- searches ---------------------------------------------------------------------


@dataclass
class Query:
    kind: str
    text: str
    filters: dict[str, str]


KINDS = [
    ("2 chars", 0.2),
    ("3 chars", 0.15),
    ("4+ chars", 0.2),
    ("two terms", 0.15),
    ("contact", 0.1),
    ("filters only", 0.12),
    ("empty", 0.08),
]


def query_mix(phrases: Phrases, maker: Maker, count: int, records: int, seed: int) -> list[Query]:
    rng = random.Random(seed)
    vocab = sorted({t for terms in phrases.terms.values() for t in terms} | set(QUERIES))
    by_len = {
        "2 chars": [t for t in vocab if len(t) == 2],
        "3 chars": [t for t in vocab if len(t) == 3],
        "4+ chars": [t for t in vocab if len(t) >= 4],
    }
    platforms = [p for ps in PLATFORMS.values() for p, _ in ps]
    out = []
    for _ in range(count):
        kind = _pick(rng, KINDS)
        filters: dict[str, str] = {}
        if kind in by_len:
            text = rng.choice(by_len[kind])
        elif kind == "two terms":
            text = " ".join(rng.sample(vocab, 2))
        elif kind == "contact":
            for _ in range(50):
                record = maker.make(rng.randrange(records))
                if record["contacts"]:
                    break
            contact = rng.choice(record["contacts"] or [{"normalized": "13800138000"}])
            text = contact["normalized"] if rng.random() < 0.5 else contact["value"]
            text = text.split()[0]
        else:
            text = ""
        if kind == "filters only" or (kind not in ("empty", "contact") and rng.random() < 1 / 3):
            keys = rng.sample(FILTER_KEYS, rng.randint(1, 2 if kind != "filters only" else 3))
            for key in sorted(keys, key=FILTER_KEYS.index, reverse=True):  # channel first
                if key == "label":
                    filters[key] = rng.choice(["ad", "ad", "suspect", "clean"])
                elif key == "platform":  # one of the channel's, when both are asked for
                    channel = filters.get("channel")
                    filters[key] = rng.choice(
                        [p for p, _ in PLATFORMS[channel]] if channel else platforms
                    )
                elif key == "channel":
                    filters[key] = rng.choice([c for c, _ in CHANNELS])
                else:
                    filters[key] = _iso(START + (SPAN_DAYS - rng.choice([7, 30, 90])) * DAY)[:10]
        out.append(Query(kind, text, filters))
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


Page = tuple[int, list[str]]
Times = dict[str, list[float]]  # kind -> milliseconds


def run_queries(cat: Catalogue, queries: list[Query]) -> tuple[Times, Times, list[Page]]:
    """Wall and CPU milliseconds per query, by kind, and each query's
    (total, page of ids)."""
    for q in queries[:5]:  # warm-up, untimed
        cat.search(q.text, limit=PAGE, **q.filters)  # type: ignore[arg-type]
    wall: Times = {}
    cpu: Times = {}
    pages: list[Page] = []
    for q in queries:
        started, used = time.perf_counter(), time.process_time()
        result = cat.search(q.text, limit=PAGE, **q.filters)  # type: ignore[arg-type]
        wall.setdefault(q.kind, []).append((time.perf_counter() - started) * 1000)
        cpu.setdefault(q.kind, []).append((time.process_time() - used) * 1000)
        pages.append((result.total, [hit["id"] for hit in result.hits]))
    return wall, cpu, pages


def like_baseline(path: Path, queries: list[Query]) -> tuple[Times, list[Page]]:
    """The same searches in plain SQL with no full-text index: LIKE scans."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.execute("PRAGMA cache_size = -65536")
    times: Times = {}
    pages: list[Page] = []
    for q in queries:
        where, params = [], []
        for column in ("label", "platform", "channel"):
            if column in q.filters:
                where.append(f"r.{column} = ?")
                params.append(q.filters[column])
        if "since" in q.filters:
            where.append("r.last_seen >= ?")
            params.append(q.filters["since"] + "T00:00:00Z")
        for term in dict.fromkeys(q.text.split()):
            where.append("t.body LIKE ? ESCAPE '\\'")
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        sql = "FROM records r JOIN record_text t ON t.rid = r.rid"
        if where:
            sql += " WHERE " + " AND ".join(where)
        started = time.perf_counter()
        (total,) = conn.execute(f"SELECT count(*) {sql}", params).fetchone()
        ids = conn.execute(
            f"SELECT r.id {sql} ORDER BY r.score DESC, r.last_seen DESC, r.id LIMIT {PAGE}",
            params,
        ).fetchall()
        times.setdefault(q.kind, []).append((time.perf_counter() - started) * 1000)
        pages.append((total, [i for (i,) in ids]))
    conn.close()
    return times, pages


# --- reporting ---------------------------------------------------------------------


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _all(times: Times, kind: str) -> list[float]:
    return [v for vs in times.values() for v in vs] if kind == "all" else times.get(kind, [])


def search_table(mine: Times, cpu: Times, base: Times | None, base_label: str) -> list[str]:
    head = f"  {'search, ms':<14}{'n':>5}{'p50':>9}{'p95':>9}{'p95 CPU':>9}"
    if base is not None:
        head += f"   {base_label:>12}{'n':>5}{'p50':>9}{'p95':>9}"
    lines = [head]
    kinds = [k for k, _ in KINDS if k in mine] + ["all"]
    for kind in kinds:
        values = _all(mine, kind)
        row = f"  {kind:<14}{len(values):>5}{percentile(values, 0.5):9.1f}"
        row += f"{percentile(values, 0.95):9.1f}{percentile(_all(cpu, kind), 0.95):9.1f}"
        if base is not None:
            bv = _all(base, kind)
            row += f"   {'':>12}{len(bv):>5}"
            row += (
                f"{percentile(bv, 0.5):9.1f}{percentile(bv, 0.95):9.1f}" if bv else f"{'-':>9}" * 2
            )
        lines.append(row)
    return lines


def ingest_lines(batch: Ingest, naive: Ingest, size: int, what: str) -> list[str]:
    return [
        f"  {'ingest, records/s':<28}{'adwatch':>9}{'per CPU s':>11}"
        f"{'baseline':>10}{'per CPU s':>11}",
        f"  {f'batch of {size}, whole run':<28}{batch.rate:9,.0f}{batch.cpu_rate:11,.0f}"
        f"{naive.rate:10,.0f}{naive.cpu_rate:11,.0f}",
        f"  {'batch, last tenth':<28}{batch.tail_rate:9,.0f}{batch.tail_cpu_rate:11,.0f}",
        f"  baseline: one {what} per record ({naive.sent:,} sent after the batches)",
    ]


def bench(
    name: str,
    uri: str,
    args: argparse.Namespace,
    phrases: Phrases,
    db: Path | None,
) -> tuple[Ingest, Times, Times, bool]:
    """Ingest, query mix and ingest baseline on one backend; (ingest, wall
    and CPU times of the searches, whether they agree with the baseline)."""
    records = args.records
    maker = Maker(phrases, args.seed, records)
    check_shape(maker)
    expected = int(records * 1.1)
    print(f"{name}: {uri}", flush=True)
    print(
        f"  ingesting {records:,} records (+ ~10% re-sightings) in batches of {args.batch}",
        flush=True,
    )
    wall = time.perf_counter()
    with open_catalogue(uri) as cat:

        def progress(_: Ingest) -> str:
            return f"db {db_bytes(db) / 2**20:,.0f} MiB" if db else ""

        batch = ingest(cat, sightings(maker, 0, records, args.seed), args.batch, expected, progress)
        wall = time.perf_counter() - wall
        print(
            f"  ingested {batch.sent:,} ({batch.inserted:,} new, {batch.updated:,} updated) in "
            f"{batch.seconds:,.1f} s of upserts ({wall:,.1f} s with making the records)",
            flush=True,
        )
    # Reopened, as a reader would: searches and the baselines on the full catalogue.
    queries = query_mix(phrases, maker, args.queries, records, args.seed + 1)
    ok = True
    with open_catalogue(uri) as cat:
        stats = cat.stats()
        print(
            f"  catalogue: {stats['total']:,} records "
            + (f"{db_bytes(db) / 2**30:.2f} GiB on disk ({db.parent})" if db else ""),
            flush=True,
        )
        times, cpu, pages = run_queries(cat, queries)
        base_times: Times | None = None
        if db is not None and args.naive_queries:
            sample = queries[: args.naive_queries]
            print(f"  LIKE-scan baseline on {len(sample)} queries...", flush=True)
            base_times, base_pages = like_baseline(db, sample)
            wrong = [q for q, a, b in zip(sample, pages, base_pages, strict=False) if a != b]
            if wrong:
                ok = False
                for q in wrong[:5]:
                    print(f"  MISMATCH with the LIKE scan: {q}")
        naive = ingest(
            cat, sightings(maker, records, args.naive_records, args.seed + 2), 1, args.naive_records
        )
    print()
    print(f"{name}, {stats['total']:,} records (seed {args.seed})")
    for line in ingest_lines(batch, naive, args.batch, "transaction" if db else "request"):
        print(line)
    print()
    for line in search_table(times, cpu, base_times, "LIKE scan" if db else ""):
        print(line)
    return batch, times, cpu, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="distinct records")
    parser.add_argument(
        "--batch",
        type=int,
        default=crawl_settings.ADWATCH_CATALOGUE_BATCH,
        help="records per upsert (default: the crawler's ADWATCH_CATALOGUE_BATCH)",
    )
    parser.add_argument("--queries", type=int, default=300, help="searches in the mix")
    parser.add_argument("--naive-records", type=int, default=5000, help="one-by-one sample")
    parser.add_argument("--naive-queries", type=int, default=40, help="LIKE-scan sample")
    parser.add_argument("--dir", default="", help="where the SQLite file goes (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    parser.add_argument("--es-records", type=int, default=None, help="default: --records")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    phrases = load_phrases()
    if not phrases.terms or not phrases.ads:
        print("no rule vocabulary found")
        return 1
    print(
        f"phrases: {sum(map(len, phrases.ads.values()))} ad texts, {len(phrases.news)} news, "
        f"{sum(map(len, phrases.terms.values()))} rule terms, {len(phrases.cues)} cues",
        flush=True,
    )

    ok = True
    load = os.getloadavg()[0]
    tmp = tempfile.mkdtemp(prefix="adwatch-bench-index-", dir=args.dir or None)
    db = Path(tmp) / "catalogue.db"
    try:
        batch, times, cpu, same = bench("SQLite", f"sqlite://{db}", args, phrases, db)
        ok = ok and same
    finally:
        if not args.keep:
            for p in db.parent.glob(db.name + "*"):
                p.unlink()
            os.rmdir(tmp)
    p95, cpu95 = percentile(_all(times, "all"), 0.95), percentile(_all(cpu, "all"), 0.95)
    print()
    print(
        f"  targets (SQLite, {args.records:,} records): ingest >= {TARGET_RATE:,.0f} records/s: "
        f"{met(batch.rate >= TARGET_RATE)} (per CPU second: {met(batch.cpu_rate >= TARGET_RATE)});"
        f" search p95 <= {TARGET_P95_MS:.0f} ms: {met(p95 <= TARGET_P95_MS)}"
        f" (CPU: {met(cpu95 <= TARGET_P95_MS)})"
    )
    print(
        f"  load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end,"
        f" {os.cpu_count()} CPUs: other work on the machine lengthens wall times, not CPU times"
    )
    if not ok:
        print("  search results differ from the LIKE scan: see MISMATCH above")

    print()
    es_url = os.environ.get("ADWATCH_ES_URL", "")
    if not es_url:
        print(
            "Elasticsearch: skipped, ADWATCH_ES_URL is not set "
            "(e.g. ADWATCH_ES_URL=http://127.0.0.1:9200)"
        )
    else:
        es_args = argparse.Namespace(**vars(args))
        es_args.records = args.es_records or args.records
        uri = f"elasticsearch+{es_url}?prefix={ES_PREFIX}"
        try:
            bench("Elasticsearch", uri, es_args, phrases, None)
        except Exception as exc:  # the backend is young: report, keep SQLite's figures
            print(f"Elasticsearch: failed: {type(exc).__name__}: {exc}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
