"""The searchable catalogue (evidence/index) on real SQLite, in memory and on disk."""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence.index import (
    Catalogue,
    CatalogueError,
    SqliteCatalogue,
    UpsertResult,
    open_catalogue,
)

T1 = "2024-05-01T00:00:00Z"
T2 = "2024-05-02T00:00:00Z"
T3 = "2024-05-03T00:00:00Z"
# What every record read back carries besides its document: no decision yet.
UNREVIEWED = {"review": "", "reviewed_at": "", "reviewer": ""}


def record(rid: str, **fields: Any) -> dict[str, Any]:
    """A record shaped like AdRecord.to_dict(), every field present."""
    base: dict[str, Any] = {
        "channel": "search",
        "platform": "baidu",
        "url": f"https://example.cn/{rid}",
        "canonical_url": f"https://example.cn/{rid}",
        "referrer": "https://www.baidu.com/s?wd=x",
        "query": "",
        "fetched_at": T1,
        "http_status": 200,
        "sponsored": True,
        "title": "",
        "text": "",
        "author": {"name": "", "id": "", "url": ""},
        "published_at": "",
        "price": "",
        "region": "",
        "images": [],
        "score": 0.5,
        "label": "suspect",
        "categories": [],
        "matches": [],
        "contacts": [],
        "reasons": [],
        "template_hash": "",
        "cluster_id": "",
        "first_seen": T1,
        "last_seen": T1,
        "times_seen": 1,
        "status": "live",
        "problems": [],
        "id": rid,
    }
    base.update(fields)
    return base


def full_record() -> dict[str, Any]:
    """Every nested part filled, as the last pipeline stage hands it over."""
    return record(
        "full",
        title="当天停催免息",
        text="专业处理网贷逾期，协商还款。<script>alert(1)</script>",
        author={"name": "王律师团队", "id": "u123", "url": "https://example.cn/u/123"},
        price="￥99",
        region="广东 深圳",
        query="反催收",
        images=[
            {
                "url": "https://img.example.cn/a.png",
                "sha256": "ab" * 32,
                "path": "objects/ab/abab.png",
                "size": 1234,
                "width": 640,
                "height": 480,
                "error": "",
                "ocr": {
                    "text": "征信修复找我们",
                    "lines": [
                        {"text": "征信修复找我们", "box": [0, 0, 10, 10], "confidence": 0.93}
                    ],
                    "engine": "tesseract",
                    "ms": 41,
                },
            },
            {
                "url": "https://img.example.cn/b.png",
                "sha256": "",
                "path": "",
                "size": 0,
                "width": 0,
                "height": 0,
                "error": "corrupt image",
                "ocr": None,
            },
        ],
        score=0.97,
        label="ad",
        categories=["stop_collection", "debt_relief"],
        matches=[{"rule": "stop", "term": "停催", "field": "title", "span": [2, 4]}],
        contacts=[
            {"kind": "wechat", "value": "VX: tc_888", "normalized": "tc888", "field": "text"}
        ],
        reasons=["stop_collection:停催"],
        template_hash="f00d",
        cluster_id="c1",
        first_seen=T1,
        last_seen=T2,
        times_seen=3,
        status="changed",
        problems=["landing page timed out"],
    )


LIVE_ES_SKIP = (
    "live Elasticsearch suite: set ADWATCH_ES_URL to a test cluster (see docs/operations.md)"
)


def live_elastic(tmp_path: Path) -> Iterator[Any]:
    """An Elasticsearch catalogue under a fresh prefix on the cluster at
    $ADWATCH_ES_URL, removed afterwards (indices by name: clusters refuse
    wildcard deletes by default)."""
    prefix = f"adwatch-test-{uuid.uuid4().hex[:10]}"
    uri = f"elasticsearch://?prefix={prefix}&replicas=0&retry_file={tmp_path / 'retry.jsonl'}"
    catalogue: Any = open_catalogue(uri)
    try:
        yield catalogue
    finally:
        client = catalogue.client
        for index in client.indices.get(index=f"{prefix}-*").body:
            client.indices.delete(index=index)
        from evidence.index._es_schema import KINDS

        for kind in KINDS:
            client.indices.delete_index_template(name=f"{prefix}-{kind}")
        client.cluster.delete_component_template(name=f"{prefix}-analysis")
        catalogue.close()


@pytest.fixture(params=["memory", "file", "elastic"])
def cat(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Each behaviour holds in memory, in a WAL file, and on a live
    Elasticsearch cluster when ADWATCH_ES_URL names one."""
    if request.param == "elastic":
        if not os.environ.get("ADWATCH_ES_URL"):
            pytest.skip(LIVE_ES_SKIP)
        yield from live_elastic(tmp_path)
        return
    path = ":memory:" if request.param == "memory" else str(tmp_path / "catalogue.db")
    with SqliteCatalogue(path) as catalogue:
        yield catalogue


def ids(result: Any) -> list[str]:
    return [hit["id"] for hit in result.hits]


# --- storing ---------------------------------------------------------------


def test_round_trip_is_exact(cat: SqliteCatalogue) -> None:
    doc = full_record()
    assert cat.upsert([doc]) == UpsertResult(inserted=1, updated=0)
    assert cat.get("full") == doc | UNREVIEWED
    assert cat.get("nope") is None


def test_round_trip_of_a_real_adrecord(cat: SqliteCatalogue) -> None:
    items = pytest.importorskip("crawler.items")
    ad = items.AdRecord(
        channel="video",
        platform="douyin",
        url="https://www.douyin.com/video/1?utm_source=x",
        title="停催",
        author=items.Author(name="法务小王"),
        images=[items.ImageRef(url="https://x/1.png", ocr={"text": "免息", "lines": []})],
        matches=[items.Match("stop", "停催", "title", (0, 2))],
        contacts=[items.Contact("phone", "138-0013-8000", "13800138000", "text")],
    )
    doc = ad.to_dict()
    cat.upsert([doc])
    assert cat.get(ad.id) == doc | UNREVIEWED
    assert items.AdRecord.from_dict(cat.get(ad.id) or {}) == ad


def test_hostile_text_round_trips_and_is_searchable(cat: SqliteCatalogue) -> None:
    doc = record("bad", title="坏字节\udcff停催", text="nul\x00here 当天停催")
    cat.upsert([doc])
    assert cat.get("bad") == doc | UNREVIEWED
    assert ids(cat.search("当天停催")) == ["bad"]
    assert ids(cat.search("停催")) == ["bad"]


def test_upsert_merges_history(cat: SqliteCatalogue) -> None:
    cat.upsert([record("a", title="旧标题", first_seen=T2, last_seen=T2)])
    later = record("a", title="新标题", label="ad", first_seen=T3, last_seen=T3, times_seen=1)
    assert cat.upsert([later]) == UpsertResult(inserted=0, updated=1)
    got = cat.get("a") or {}
    assert (got["first_seen"], got["last_seen"], got["times_seen"]) == (T2, T3, 2)
    assert (got["title"], got["label"]) == ("新标题", "ad")

    older = record("a", title="更早", first_seen=T1, last_seen=T1)
    cat.upsert([older])
    got = cat.get("a") or {}
    assert (got["first_seen"], got["last_seen"], got["times_seen"]) == (T1, T3, 3)
    assert got["title"] == "更早"  # fields other than history are the latest write


def test_history_compares_instants_not_strings(cat: SqliteCatalogue) -> None:
    cat.upsert([record("a", first_seen=T2, last_seen=T2)])
    # 07:00 at +08:00 is 23:00 UTC the day before: older, though it sorts later as text.
    local = "2024-05-02T07:00:00+08:00"
    cat.upsert([record("a", first_seen=local, last_seen=local)])
    got = cat.get("a") or {}
    assert got["first_seen"] == local
    assert got["last_seen"] == T2


def test_upsert_counts_and_repeats_within_a_batch(cat: SqliteCatalogue) -> None:
    cat.upsert([record("a"), record("b")])
    result = cat.upsert([record("b"), record("c"), record("c", last_seen=T2), record("d")])
    assert result == UpsertResult(inserted=2, updated=2)
    assert result.total == 4
    assert (cat.get("c") or {})["times_seen"] == 2
    assert (cat.get("c") or {})["last_seen"] == T2
    assert (cat.get("b") or {})["times_seen"] == 2
    assert cat.stats()["total"] == 4


def test_repeat_across_chunks_of_a_big_batch(cat: SqliteCatalogue) -> None:
    batch = [record(f"r{i}", text=f"编号{i:04d}") for i in range(1200)]
    batch.append(record("r7", text="编号重来", last_seen=T3))  # lands in a later chunk
    assert cat.upsert(batch) == UpsertResult(inserted=1200, updated=1)
    got = cat.get("r7") or {}
    assert (got["times_seen"], got["text"], got["last_seen"]) == (2, "编号重来", T3)
    assert ids(cat.search("编号0007")) == []
    assert ids(cat.search("编号重来")) == ["r7"]
    assert cat.search("编号").total == 1200


def test_a_bad_record_rolls_back_the_whole_batch(cat: SqliteCatalogue) -> None:
    cat.upsert([record("keep")])
    bad_batches: list[list[Any]] = [
        [record("x1"), {"title": "no id"}],
        [record("x1"), record("")],
        [record("x1"), "not a dict"],
        [record("x1"), record("x2", score="high")],
        [record("x1"), record("x2", extra=object())],
        [record("x1"), record("x2", score=float("nan"))],
    ]
    for batch in bad_batches:
        with pytest.raises(ValueError, match="record #1"):
            cat.upsert(batch)
    assert cat.get("x1") is None
    assert cat.stats()["total"] == 1
    assert cat.search("").total == 1


def test_changed_text_is_reindexed(cat: SqliteCatalogue) -> None:
    cat.upsert([record("a", text="当天停催免息"), record("b", text="当天停催")])
    cat.upsert([record("a", text="征信修复")])
    assert ids(cat.search("免息")) == []
    assert ids(cat.search("停催免息")) == []
    assert ids(cat.search("征信修复")) == ["a"]
    assert ids(cat.search("当天停催")) == ["b"]
    if isinstance(cat, SqliteCatalogue):
        check = "INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 1)"
        cat._conn.execute(check)  # raises if the index disagrees with its content
        cat.rebuild_index()
        cat._conn.execute(check)
        assert ids(cat.search("征信修复")) == ["a"]


# --- searching -------------------------------------------------------------


@pytest.fixture
def corpus(cat: SqliteCatalogue) -> SqliteCatalogue:
    """Ads with the tell-tale words in different fields, plus decoys."""
    cat.upsert(
        [
            full_record(),
            record("title", title="当天停催免息", text="正规机构", score=0.9, label="ad"),
            record(
                "text",
                text="停催服务，专业团队",
                score=0.8,
                label="ad",
                platform="douyin",
                channel="video",
                last_seen=T3,
            ),
            record(
                "ocr",
                images=[{"url": "u", "ocr": {"text": "律师函停息挂账", "lines": []}}],
                score=0.4,
                platform="xianyu",
                channel="market",
                last_seen=T2,
            ),
            record(
                "contact",
                contacts=[
                    {"kind": "qq", "value": "QQ 5551234", "normalized": "5551234", "field": "text"}
                ],
                score=0.3,
                label="clean",
            ),
            record(
                "decoy", title="天气预报", text="明天停电通知，催缴水费", score=0.1, label="clean"
            ),
            record("quote", text='他说"停催"不靠谱 50% off a_b AND or NOT *', score=0.2),
        ]
    )
    return cat


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("停催", {"full", "title", "text", "quote"}),  # 2 characters: LIKE scan
        ("当天停", {"full", "title"}),  # 3 characters: trigram index
        ("当天停催免息", {"full", "title"}),  # 6 characters
        ("停催服务", {"text"}),  # in text
        ("征信修复", {"full"}),  # OCR text of an image
        ("停息挂账", {"ocr"}),  # OCR only
        ("tc_888", {"full"}),  # contact value as shown
        ("tc888", {"full"}),  # contact value normalized
        ("5551234", {"contact"}),
        ("王律师", {"full"}),  # author name
        ("￥99", {"full"}),  # price
        ("深圳", {"full"}),  # region
        ("反催收", {"full"}),  # the query that found it
        ("TC888", {"full"}),  # ASCII case is ignored, as by the index...
        ("Tc", {"full"}),  # ...and by the short-term scan
        ("催", {"full", "title", "text", "quote", "decoy"}),
        ("明天停催", set()),
    ],
)
def test_search_finds_substrings_in_every_field(
    corpus: SqliteCatalogue, query: str, expected: set[str]
) -> None:
    result = corpus.search(query)
    assert set(ids(result)) == expected
    assert result.total == len(expected)


def test_terms_must_all_match(corpus: SqliteCatalogue) -> None:
    assert set(ids(corpus.search("停催 征信修复"))) == {"full"}  # short and long
    assert set(ids(corpus.search("停催 免息"))) == {"full", "title"}  # two short
    assert set(ids(corpus.search("当天停催 tc888"))) == {"full"}  # two long
    assert ids(corpus.search("停催 天气预报")) == []


def test_order_is_score_then_last_seen(cat: SqliteCatalogue) -> None:
    cat.upsert(
        [
            record("low", text="停催", score=0.2, last_seen=T3),
            record("high_old", text="停催", score=0.9, last_seen=T1),
            record("high_new", text="停催", score=0.9, last_seen=T2),
            record("mid", text="停催", score=0.5, last_seen=T1),
        ]
    )
    expected = ["high_new", "high_old", "mid", "low"]
    assert ids(cat.search("停催")) == expected
    assert ids(cat.search("")) == expected
    assert ids(cat.search("停催", limit=2, offset=1)) == ["high_old", "mid"]


@pytest.mark.parametrize(
    ("query", "filters", "expected"),
    [
        ("停催", {"label": "ad"}, ["full", "title", "text"]),
        ("停催", {"platform": "douyin"}, ["text"]),
        ("停催", {"channel": "video"}, ["text"]),
        ("停催", {"label": "ad", "platform": "baidu"}, ["full", "title"]),
        ("停催", {"label": "ad", "platform": "baidu", "channel": "video"}, []),
        ("", {"channel": "market"}, ["ocr"]),
        ("", {"since": "2024-05-02"}, ["full", "text", "ocr"]),
        ("", {"since": "2024-05-02T00:00:01Z"}, ["text"]),
        ("", {"since": "2024-05-02T08:00:00+08:00"}, ["full", "text", "ocr"]),
        ("停催", {"since": T2, "label": "ad"}, ["full", "text"]),
        ("当天停催", {"since": T3}, []),
        ("当天停催", {"label": "ad", "platform": "baidu"}, ["full", "title"]),
        ("", {"label": "clean"}, ["contact", "decoy"]),
        ("", {"label": "nope"}, []),
    ],
)
def test_filters(
    corpus: SqliteCatalogue, query: str, filters: dict[str, str], expected: list[str]
) -> None:
    result = corpus.search(query, **filters)  # type: ignore[arg-type]
    assert ids(result) == expected
    assert result.total == len(expected)


def test_limit_and_offset_page_through_the_total(corpus: SqliteCatalogue) -> None:
    everything = ids(corpus.search("", limit=100))
    assert len(everything) == corpus.search("").total == 7
    pages = [ids(corpus.search("", limit=3, offset=o)) for o in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [hit for page in pages for hit in page] == everything
    assert corpus.search("", limit=0).hits == []
    assert corpus.search("", limit=0).total == 7
    with pytest.raises(ValueError):
        corpus.search("", limit=-1)
    with pytest.raises(ValueError):
        corpus.search("", since="last tuesday")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', {"quote"}),
        ('"停催"', {"quote"}),
        ("*", {"quote"}),
        ("%", {"quote"}),  # a literal percent sign, not a LIKE wildcard
        ("_", {"quote", "full"}),  # a literal underscore (tc_888), not "any character"
        ("50%", {"quote"}),
        ("a_b", {"quote"}),
        ("AND OR NOT", {"quote"}),  # words, not operators
        ("NEAR(停催 免息)", set()),
        ("停催*", set()),
        ("'); DROP TABLE records;--", set()),
        ("\x00", {"full", "title", "text", "ocr", "contact", "decoy", "quote"}),
        ("停\x00催", {"full", "title", "text", "quote", "decoy"}),  # NUL separates terms
        ("", {"full", "title", "text", "ocr", "contact", "decoy", "quote"}),
        ("   ", {"full", "title", "text", "ocr", "contact", "decoy", "quote"}),
        ("\\", set()),
        ("x" * 5000, set()),
    ],
)
def test_hostile_queries_are_literal(
    corpus: SqliteCatalogue, query: str, expected: set[str]
) -> None:
    assert set(ids(corpus.search(query, limit=100))) == expected
    assert corpus.stats()["total"] == 7  # and nothing was dropped


def test_snippet_marks_the_hit_and_escapes_nothing(cat: SqliteCatalogue) -> None:
    cat.upsert([record("x", title="<b>当天停催</b>", text="前文" * 40 + "征信修复" + "后文" * 40)])
    (hit,) = cat.search("当天停催").hits
    assert "<b>【当天停催】</b>" in hit["snippet"]
    (hit,) = cat.search("停催").hits
    assert "<b>当天【停催】</b>" in hit["snippet"]
    (hit,) = cat.search("停催 征信修复").hits
    assert "【停催】" in hit["snippet"] and "【征信修复】" in hit["snippet"]
    assert "…" in hit["snippet"]  # the long middle is cut
    (hit,) = cat.search("").hits
    assert "【" not in hit["snippet"] and hit["snippet"].startswith("<b>当天停催</b>")
    assert {k: v for k, v in hit.items() if k != "snippet"} == cat.get("x")


# --- stats, blocks, rejects ------------------------------------------------


NO_EVIDENCE = {"bundles": 0, "records": 0, "by_outcome": {}, "by_status": {}}


def test_stats(corpus: SqliteCatalogue) -> None:
    corpus.record_block("douyin", "https://www.douyin.com/search", "captcha", T2)
    corpus.add_rejects([{"at": T1, "url": "u", "stage": "ocr", "reason": "r", "detail": ""}])
    assert corpus.stats() == {
        "total": 7,
        "by_channel": {"search": 5, "market": 1, "video": 1},
        "by_platform": {"baidu": 5, "douyin": 1, "xianyu": 1},
        "by_label": {"ad": 3, "suspect": 2, "clean": 2},
        "by_review": {"none": 7},
        "blocks": 1,
        "rejects": 1,
        "evidence": NO_EVIDENCE,
    }


def test_empty_stats(cat: SqliteCatalogue) -> None:
    assert cat.stats() == {
        "total": 0,
        "by_channel": {},
        "by_platform": {},
        "by_label": {},
        "by_review": {},
        "blocks": 0,
        "rejects": 0,
        "evidence": NO_EVIDENCE,
    }


def test_blocks(cat: SqliteCatalogue) -> None:
    cat.record_block("baidu", "https://www.baidu.com/s?wd=1", "captcha", T1)
    cat.record_block("douyin", "https://www.douyin.com/v/2", "403 block page", T3)
    cat.record_block("xianyu", "https://2.taobao.com/i", "slider", "2024-05-02T09:00:00+08:00")
    assert [b["platform"] for b in cat.blocks()] == ["douyin", "xianyu", "baidu"]
    assert cat.blocks()[0] == {
        "at": T3,
        "platform": "douyin",
        "url": "https://www.douyin.com/v/2",
        "reason": "403 block page",
    }
    # 09:00 at +08:00 is 01:00 UTC: after midnight UTC, before 02:00 UTC.
    assert [b["platform"] for b in cat.blocks(since="2024-05-02")] == ["douyin", "xianyu"]
    assert [b["platform"] for b in cat.blocks(since="2024-05-02T02:00:00Z")] == ["douyin"]
    assert cat.blocks()[1]["at"] == "2024-05-02T09:00:00+08:00"  # kept as given
    assert cat.stats()["blocks"] == 3


def test_rejects(cat: SqliteCatalogue) -> None:
    def reject(at: str, stage: str, detail: Any, platform: str) -> dict[str, Any]:
        return {
            "at": at,
            "url": f"https://{stage}.example.cn/",
            "stage": stage,
            "reason": f"{stage} failed",
            "detail": detail,
            "platform": platform,
        }

    rejects = [
        reject(T1, "ocr", "x", "baidu"),
        reject(T3, "extract", {"encoding": "gbk", "bytes": 12}, "douyin"),
        reject(T2, "images", "", ""),
    ]
    assert cat.add_rejects(rejects) == 3
    assert cat.rejects() == [rejects[1], rejects[2], rejects[0]]
    assert cat.rejects(limit=1) == [rejects[1]]
    assert cat.add_rejects([{"at": T3, "stage": "x", "detail": ValueError("boom")}]) == 1
    assert cat.rejects(limit=1)[0]["detail"] == "ValueError('boom')"
    assert cat.add_rejects([]) == 0
    assert cat.stats()["rejects"] == 4


# --- opening ---------------------------------------------------------------


@pytest.mark.parametrize("uri", ["sqlite://", "sqlite://:memory:", "SQLITE://"])
def test_open_in_memory(uri: str) -> None:
    with open_catalogue(uri) as cat:
        assert isinstance(cat, Catalogue)
        assert isinstance(cat, SqliteCatalogue) and cat.path == ":memory:"
        cat.upsert([record("a")])
        assert cat.stats()["total"] == 1
    with open_catalogue(uri) as fresh:
        assert fresh.stats()["total"] == 0  # each in-memory catalogue is its own


def test_open_file_uris(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = tmp_path / "new" / "dir" / "catalogue.db"
    with open_catalogue(f"sqlite://{absolute}") as cat:  # sqlite:///abs/path.db
        cat.upsert([record("a")])
    assert absolute.is_file()
    with open_catalogue(str(absolute)) as again:  # a bare .db path
        assert again.get("a") is not None
    monkeypatch.chdir(tmp_path)
    with open_catalogue("sqlite://rel/c.db") as cat:
        cat.upsert([record("b")])
    with open_catalogue("rel/c.db") as cat:
        assert cat.get("b") is not None
    with open_catalogue("other.sqlite3") as cat:
        assert isinstance(cat, SqliteCatalogue)
    assert (tmp_path / "rel" / "c.db").is_file() and (tmp_path / "other.sqlite3").is_file()


def test_open_rejects_unknown_schemes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'mysql'.*sqlite://"):
        open_catalogue("mysql://localhost/db")
    with pytest.raises(ValueError, match=r"no scheme.*\.db"):
        open_catalogue(str(tmp_path / "catalogue.txt"))
    # An Elasticsearch URI must say http or https; a bare one needs ADWATCH_ES_URL.
    for uri in ("es://localhost:9200/adwatch", "elasticsearch://localhost:9200"):
        with pytest.raises(CatalogueError, match=r"elasticsearch\+https://localhost:9200"):
            open_catalogue(uri)


def test_file_catalogue_uses_wal_and_serves_other_connections(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteCatalogue(str(path)) as writer, SqliteCatalogue(str(path)) as reader:
        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        writer.upsert([record("a", text="当天停催")])
        assert ids(reader.search("当天停催")) == ["a"]
        assert ids(reader.search("停催")) == ["a"]
        raw.close()


def test_usable_from_another_thread(cat: SqliteCatalogue) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            cat.upsert([record(f"t{n}-{i}", text="停催") for i in range(50)])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cat.search("停催").total == 200


def test_close_is_idempotent(tmp_path: Path) -> None:
    cat = SqliteCatalogue(str(tmp_path / "c.db"))
    cat.close()
    cat.close()
    with pytest.raises(sqlite3.ProgrammingError):
        cat.get("a")


# --- evidence captures ---------------------------------------------------------


def capture_row(rid: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"record_id": rid, "url": f"http://x/{rid}", "kind": "capture", "at": at} | fields


def test_capture_queue_retries_failed_attempts_then_leaves_them_to_a_person(
    cat: SqliteCatalogue,
) -> None:
    cat.upsert(
        [
            record("a", label="ad", score=0.9),
            record("b", label="suspect", score=0.5),
            record("c", label="clean"),
        ]
    )
    assert [r["id"] for r in cat.capture_queue()] == ["a", "b"]
    cat.add_capture(capture_row("a", T1, outcome="blocked", reason="captcha"))
    (first, _b) = cat.capture_queue(max_attempts=2)
    assert first["id"] == "a" and first["attempts"] == 1
    cat.add_capture(capture_row("a", T2, outcome="blocked", reason="captcha"))
    assert [r["id"] for r in cat.capture_queue(max_attempts=2)] == ["b"]  # for a person now
    cat.add_capture(capture_row("b", T1, outcome="page", status="live", bundle_id="f" * 64))
    assert cat.capture_queue(max_attempts=2) == []
    assert cat.get("b")["status"] == "live"  # type: ignore[index]
    assert [c["outcome"] for c in cat.captures("a")] == ["blocked", "blocked"]
    evidence = cat.stats()["evidence"]
    assert evidence["bundles"] == 1 and evidence["by_outcome"] == {"blocked": 2, "page": 1}


def test_recheck_queue_takes_the_newest_bundle_and_skips_gone_records(
    cat: SqliteCatalogue,
) -> None:
    cat.upsert([record(r, label="ad") for r in ("a", "b", "c")])
    cat.add_capture(capture_row("a", T1, outcome="page", status="live", bundle_id="1" * 64))
    cat.add_capture(capture_row("b", T1, outcome="page", status="live", bundle_id="2" * 64))
    cat.add_capture(capture_row("b", T2, outcome="gone", status="gone", bundle_id="3" * 64))
    cat.add_capture(capture_row("c", T2, outcome="page", status="live", bundle_id="4" * 64))
    due = cat.recheck_queue(before=T2)
    assert [(r["id"], r["bundle_id"]) for r in due] == [("a", "1" * 64)]
    assert cat.get("b")["status"] == "gone"  # type: ignore[index]


# --- job history and takedowns -----------------------------------------------


def test_jobs_are_kept_replaced_by_id_and_listed_newest_first(cat: Any) -> None:
    cat.save_job(
        {"id": "j1", "profile": "demo-search", "kind": "crawl", "status": "running", "started": T1}
    )
    cat.save_job(
        {
            "id": "j2",
            "profile": "recheck",
            "kind": "recheck",
            "status": "finished",
            "started": T3,
            "gone_ads": 2,
        }
    )
    cat.save_job(
        {
            "id": "j1",
            "profile": "demo-search",
            "kind": "crawl",
            "status": "finished",
            "started": T1,
            "ended": T2,
            "pages": 40,
            "hostile": "\u202e停催",
        }
    )
    assert [j["id"] for j in cat.jobs()] == ["j2", "j1"]
    (job,) = cat.jobs(profile="demo-search")
    assert (job["status"], job["pages"], job["hostile"]) == ("finished", 40, "\u202e停催")
    assert cat.jobs(limit=1)[0]["id"] == "j2"
    assert cat.jobs(profile="nobody") == []


def test_count_new_counts_first_sightings_since(cat: Any) -> None:
    cat.upsert([record("old", first_seen=T1, last_seen=T1), record("new", first_seen=T3)])
    cat.upsert([record("ad", label="ad", first_seen=T2, last_seen=T2)])
    cat.upsert([record("old", first_seen=T3, last_seen=T3)])  # seen again, not new
    assert cat.count_new(T2) == 2
    assert cat.count_new(T2, label="ad") == 1
    assert cat.count_new("2024-05-02T08:00:00+08:00") == 2  # 00:00 UTC: T2 itself counts
    assert cat.count_new("2030-01-01") == 0


def test_takedowns_take_the_first_gone_and_the_last_live_before_it(cat: Any) -> None:
    cat.upsert([record("a", platform="p1", first_seen=T1), record("b", platform="p2")])
    rows = [
        ("a", "live", "2024-05-02T00:00:00Z"),
        ("a", "changed", "2024-05-04T00:00:00Z"),
        ("a", "gone", "2024-05-05T00:00:00Z"),
        ("a", "gone", "2024-05-09T00:00:00Z"),
        ("b", "live", "2024-05-02T00:00:00Z"),
    ]
    for rid, status, at in rows:
        cat.add_capture(
            {
                "record_id": rid,
                "outcome": "page",
                "status": status,
                "bundle_id": f"{rid}{at}",
                "at": at,
            }
        )
    assert cat.takedowns() == [
        {
            "id": "a",
            "platform": "p1",
            "first_seen": T1,
            "gone_at": "2024-05-05T00:00:00Z",
            "last_live_at": "2024-05-04T00:00:00Z",
        }
    ]


# --- reviews and referral cases ---------------------------------------------------


def review_row(n: int, rid: str, decision: str, at: str, **fields: Any) -> dict[str, Any]:
    base = {
        "id": f"rev-{n}",
        "record_id": rid,
        "decision": decision,
        "reason": "",
        "note": "",
        "reviewer": f"analyst{n}",
        "at": at,
        "bundle_id": "",
        "ledger_seq": n,
    }
    return base | fields


def test_reviews_keep_their_history_and_the_newest_is_the_records(cat: Any) -> None:
    cat.upsert([record("a", label="ad"), record("b", label="ad")])
    first = review_row(1, "a", "unsure", T1, note="<b>再看看</b>\u202e")
    cat.add_review(first)
    cat.add_review(review_row(2, "a", "confirmed", T3, bundle_id="f" * 64))
    cat.add_review(review_row(3, "a", "rejected", T2, reason="news"))  # older, written later
    got = cat.get("a")
    assert (got["review"], got["reviewed_at"], got["reviewer"]) == ("confirmed", T3, "analyst2")
    assert [r["id"] for r in cat.reviews("a")] == ["rev-2", "rev-3", "rev-1"]
    assert cat.reviews("a")[-1] == first  # kept whole, hostile note and all
    assert [r["id"] for r in cat.reviews(limit=1)] == ["rev-2"]
    assert cat.reviews("b") == []
    assert (cat.get("b") or {})["review"] == ""
    cat.add_review(review_row(4, "a", "rejected", T3, reason="legit"))  # same time: later wins
    assert (cat.get("a") or {})["review"] == "rejected"
    cat.add_review(review_row(4, "a", "rejected", T1, reason="legit"))  # replaced by id
    assert len(cat.reviews("a")) == 4 and (cat.get("a") or {})["review"] == "confirmed"


def test_a_review_is_refused_for_an_unknown_record_or_decision(cat: Any) -> None:
    cat.upsert([record("a")])
    with pytest.raises(KeyError, match="nope"):
        cat.add_review(review_row(1, "nope", "confirmed", T1))
    with pytest.raises(ValueError, match="decision"):
        cat.add_review(review_row(1, "a", "maybe", T1))
    with pytest.raises(ValueError, match="id"):
        cat.add_review(review_row(1, "a", "confirmed", T1, id=""))
    assert cat.reviews() == [] and (cat.get("a") or {})["review"] == ""


def test_a_crawl_never_overwrites_or_drops_a_review(cat: Any) -> None:
    cat.upsert([record("a", label="ad", title="当天停催")])
    cat.add_review(review_row(1, "a", "confirmed", T2))
    # the crawler sees the ad again, and a record read back is upserted too
    cat.upsert([record("a", label="suspect", title="当天停催 新版", last_seen=T3)])
    cat.upsert([dict(cat.get("a") or {}, review="rejected", reviewer="forged")])
    got = cat.get("a") or {}
    assert (got["review"], got["reviewed_at"], got["reviewer"]) == ("confirmed", T2, "analyst1")
    assert (got["title"], got["label"], got["times_seen"]) == ("当天停催 新版", "suspect", 3)
    (hit,) = cat.search("新版").hits
    assert hit["review"] == "confirmed" and hit["reviewer"] == "analyst1"


def test_search_filters_by_current_decision_and_stats_count_them(cat: Any) -> None:
    cat.upsert([record(r, label="ad", text=f"停催 {r}") for r in ("a", "b", "c", "d")])
    cat.add_review(review_row(1, "a", "confirmed", T1))
    cat.add_review(review_row(2, "b", "rejected", T1, reason="news"))
    cat.add_review(review_row(3, "c", "unsure", T1))
    cat.add_review(review_row(4, "c", "confirmed", T2))
    assert set(ids(cat.search(review="confirmed"))) == {"a", "c"}
    assert ids(cat.search("停催", review="rejected")) == ["b"]
    assert ids(cat.search("停催", label="ad", review="none")) == ["d"]
    assert cat.search(review="unsure").total == 0
    with pytest.raises(ValueError, match="review"):
        cat.search(review="yes")
    assert cat.stats()["by_review"] == {"confirmed": 2, "rejected": 1, "none": 1}


def test_the_review_queue_is_undecided_best_first_then_unsure_oldest_first(cat: Any) -> None:
    cat.upsert(
        [
            record("low", label="suspect", score=0.4),
            record("high", label="ad", score=0.9, last_seen=T1),
            record("high2", label="ad", score=0.9, last_seen=T2),
            record("clean", label="clean", score=0.1),
            record("done", label="ad", score=0.95),
            record("later", label="ad", score=0.3),
            record("sooner", label="clean", score=0.2),
        ]
    )
    cat.add_review(review_row(1, "done", "confirmed", T1))
    cat.add_review(review_row(2, "later", "unsure", T3))
    cat.add_review(review_row(3, "sooner", "unsure", T2))
    queue = cat.review_queue()
    assert [r["id"] for r in queue] == ["high2", "high", "low", "sooner", "later"]
    assert queue[0]["title"] == "" and queue[0]["review"] == ""  # full records
    assert queue[-1]["review"] == "unsure" and queue[-1]["reviewed_at"] == T3
    assert [r["id"] for r in cat.review_queue(limit=2)] == ["high2", "high"]
    assert [r["id"] for r in cat.review_queue(limit=4, labels=("suspect",))] == [
        "low",
        "sooner",
        "later",
    ]
    assert cat.review_queue(limit=0) == []


def case_row(case_id: str, sent_on: str, status: str = "sent", **fields: Any) -> dict[str, Any]:
    base = {
        "id": case_id,
        "regulator": "cac",
        "channel": "12377",
        "sent_on": sent_on,
        "reference": "JB-<script>",
        "dossier_sha256": "ab" * 32,
        "dossier_name": "dossier.zip",
        "record_ids": ["a", "b"],
        "operator_id": "",
        "status": status,
        "events": [{"at": T1, "status": "sent", "by": "wang", "note": ""}],
        "created_by": "wang",
        "created_at": T1,
        "closed_at": "",
    }
    return base | fields


def test_cases_are_kept_whole_replaced_by_id_and_listed_newest_sent_first(cat: Any) -> None:
    cat.save_case(case_row("case-1", "2024-05-01"))
    cat.save_case(case_row("case-2", "2024-05-03", status="acknowledged"))
    cat.save_case(case_row("case-3", "2024-05-02"))
    assert [c["id"] for c in cat.cases()] == ["case-2", "case-3", "case-1"]
    assert cat.case("case-1") == case_row("case-1", "2024-05-01")
    assert cat.case("case-9") is None
    closed = case_row("case-1", "2024-05-01", status="closed", closed_at=T3)
    cat.save_case(closed)
    assert cat.case("case-1") == closed
    assert [c["id"] for c in cat.cases(status="closed")] == ["case-1"]
    assert [c["id"] for c in cat.cases(status="sent")] == ["case-3"]
    assert [c["id"] for c in cat.cases(limit=1)] == ["case-2"]
    with pytest.raises(ValueError, match="id"):
        cat.save_case(case_row("", "2024-05-01"))
