"""Indicators for sharing with banks: the operators' contacts as rows, CSV
and a STIX 2.1 bundle, and the lookup of one contact, over a real SQLite
catalogue of records scored by the real detector."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import stix2
from stix2patterns.v21.pattern import Pattern
from stix2patterns.validator import run_validator

from crawler.items import AdRecord
from crawler.reading.detect import detect
from crawler.reading.detect.cluster import relink
from crawler.running.indicators import (
    COLUMNS,
    indicator_rows,
    indicators_csv,
    indicators_stix,
    lookup,
)
from evidence.index import open_catalogue
from evidence.store import EvidenceStore
from tests.conftest import adwatch_here, sealed

# One gang: a phone in two writings on two platforms, a WeChat ID, a QQ number.
GANG = [
    (
        "demo-douyin",
        "2026-11-02T09:00:00Z",
        "停催协商，逾期不用怕，电话 138-0013-8000，微信 tingcui_01",
    ),
    (
        "demo-xianyu",
        "2026-11-05T12:00:00Z",
        "征信修复包过，联系 一三八 零零一三 八零零零，QQ 24681357",
    ),
]
# Another, labelled suspect below: a WeChat ID and a short link.
LONER = ("demo-douyin", "2026-11-07T00:00:00Z", "代理投诉退保，加 V：Shangan_88，详见 t.cn/A8xk2p")
# A restaurant's number: a clean record's contact is nobody's indicator.
CLEAN = ("demo-xianyu", "2026-11-03T00:00:00Z", "周末家常红烧肉，订座电话 13900139000")


def record(n: int, platform: str, seen: str, text: str, title: str = "") -> AdRecord:
    r = AdRecord(
        channel="video",
        platform=platform,
        url=f"http://127.0.0.1/v/{n}",
        title=title or f"视频 {n}",
        text=text,
        fetched_at=seen,
    )
    detect(r)
    return r


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[str, list[AdRecord], str]:
    """The catalogue at tmp_path/catalogue.db (where --data-dir looks), its
    records (gang, gang, loner, clean) and the bundle id of the first ad."""
    records = [record(n, *fields) for n, fields in enumerate([*GANG, LONER, CLEAN], 1)]
    records[0].title = "停催\u202e秘籍\x1b[2J"  # hostile: a bidi override, a screen wipe
    records[2].label = "suspect"
    assert [r.label for r in records] == ["ad", "ad", "suspect", "clean"]
    bundle_id = sealed(EvidenceStore(tmp_path / "evidence"), 1)
    uri = f"sqlite://{tmp_path / 'catalogue.db'}"
    with open_catalogue(uri) as cat:
        cat.upsert(r.to_dict() for r in records)
        cat.add_capture(
            {
                "record_id": records[0].id,
                "url": records[0].url,
                "kind": "capture",
                "outcome": "sealed",
                "status": "live",
                "bundle_id": bundle_id,
                "at": "2026-11-02T10:00:00Z",
            }
        )
    return uri, records, bundle_id


def by_key(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["kind"], r["value"]): r for r in rows}


def test_rows_group_each_contact_of_ads_and_suspects(seeded):
    uri, (first, second, loner, _), _ = seeded
    with open_catalogue(uri) as cat:
        rows = indicator_rows(cat)
        assert cat.operators() == []  # an export links in memory and writes nothing
        operators = {op.id: op for op in relink(cat)}
    got = by_key(rows)
    assert set(got) == {
        ("phone", "13800138000"),
        ("wechat", "tingcui_01"),
        ("qq", "24681357"),
        ("wechat", "shangan_88"),
        ("url", "t.cn/A8xk2p"),
    }  # the clean record's 13900139000 is not among them
    phone = got[("phone", "13800138000")]
    assert phone == {
        "kind": "phone",
        "value": "13800138000",
        "operator_id": phone["operator_id"],
        "first_seen": "2026-11-02T09:00:00Z",
        "last_seen": "2026-11-05T12:00:00Z",
        "ad_count": 2,
        "platforms": ["demo-douyin", "demo-xianyu"],
        "record_ids": [first.id, second.id],  # oldest first
    }
    gang = {got[k]["operator_id"] for k in [("phone", "13800138000"), ("qq", "24681357")]}
    assert gang == {got[("wechat", "tingcui_01")]["operator_id"]}
    assert operators[phone["operator_id"]].ads == [first.id, second.id]  # relink's ids
    assert got[("url", "t.cn/A8xk2p")]["operator_id"] != phone["operator_id"]
    assert got[("url", "t.cn/A8xk2p")]["record_ids"] == [loner.id]
    assert rows[0] is phone  # most-used first


def test_csv_has_a_header_the_values_and_a_byte_order_mark(seeded):
    uri, (first, second, _, _), _ = seeded
    with open_catalogue(uri) as cat:
        rows = indicator_rows(cat)
    text = indicators_csv(rows)
    assert text.startswith("\ufeffkind,value,operator_id,")  # Excel reads UTF-8 then
    assert text.endswith("\r\n") and text.count("\r\n") == len(rows) + 1
    table = list(csv.DictReader(io.StringIO(text.encode("utf-8").decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS
    phone = next(r for r in table if r["value"] == "13800138000")
    assert phone["kind"] == "phone" and phone["ad_count"] == "2"
    assert phone["platforms"] == "demo-douyin;demo-xianyu"
    assert phone["record_ids"] == f"{first.id};{second.id}"
    assert phone["first_seen"] == "2026-11-02T09:00:00Z"
    assert not indicators_csv(rows, bom=False).startswith("\ufeff")


def test_csv_defuses_what_a_spreadsheet_would_run():
    row = dict.fromkeys(COLUMNS, "")
    row |= {"kind": "url", "value": '=HYPERLINK("http://x")', "platforms": ["@sum", "ok"]}
    [_, cells] = list(csv.reader(io.StringIO(indicators_csv([row], bom=False))))
    assert cells[1] == '\'=HYPERLINK("http://x")'
    assert cells[6] == "'@sum;ok"


def test_stix_bundle_parses_and_says_what_the_rows_say(seeded):
    uri, _, _ = seeded
    with open_catalogue(uri) as cat:
        rows = indicator_rows(cat)
    text = indicators_stix(rows, producer="某银行反欺诈中心")
    assert text == indicators_stix(rows, producer="某银行反欺诈中心")  # the same rows, same bundle
    bundle = stix2.parse(text)  # strict: no custom objects or properties
    objects: dict[str, list[Any]] = {}
    for obj in bundle.objects:
        objects.setdefault(obj.type, []).append(obj)
    [identity] = objects["identity"]
    [marking] = objects["marking-definition"]
    assert identity.name == "某银行反欺诈中心" and marking.name == "TLP:AMBER"
    sets = {s.id: s for s in objects["intrusion-set"]}
    assert len(sets) == len({r["operator_id"] for r in rows}) == 2
    indicators = {i.id: i for i in objects["indicator"]}
    assert len(indicators) == len(rows) == len(objects["sighting"]) == len(objects["relationship"])
    for obj in bundle.objects:
        if obj.type != "marking-definition":
            assert obj.object_marking_refs == [marking.id]
        if obj.type not in ("marking-definition", "identity"):
            assert obj.created_by_ref == identity.id
    for pattern in (i.pattern for i in indicators.values()):
        assert run_validator(pattern, "2.1") == [], pattern
    sightings = {s.sighting_of_ref: s for s in objects["sighting"]}
    targets = {r.source_ref: r.target_ref for r in objects["relationship"]}
    assert {r.relationship_type for r in objects["relationship"]} == {"indicates"}
    for row in rows:
        [indicator] = [i for i in indicators.values() if i.name.endswith(" " + row["value"])]
        assert _seen(indicator.valid_from) == row["first_seen"]
        sighting = sightings[indicator.id]
        assert sighting.count == row["ad_count"]
        assert (_seen(sighting.first_seen), _seen(sighting.last_seen)) == (
            row["first_seen"],
            row["last_seen"],
        )
        operator = sets[targets[indicator.id]]
        assert operator.aliases == [row["operator_id"]]
        assert _seen(operator.first_seen) <= row["first_seen"] <= _seen(operator.last_seen)
    phone = _comparisons(indicators, "phone 13800138000")
    assert phone == {
        "phone-number": [(["value"], "=", "'+8613800138000'"), (["value"], "=", "'13800138000'")]
    }
    wechat = _comparisons(indicators, "WeChat tingcui_01")
    assert wechat == {
        "user-account": [
            (["account_type"], "=", "'wechat'"),
            (["account_login"], "=", "'tingcui_01'"),
        ]
    }
    qq = _comparisons(indicators, "QQ 24681357")["user-account"]
    assert (["account_type"], "=", "'qq'") in qq
    link = _comparisons(indicators, "link t.cn/A8xk2p")["url"]
    assert (["value"], "=", "'https://t.cn/A8xk2p'") in link


def _seen(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _comparisons(indicators: dict[str, Any], name: str) -> dict[str, Any]:
    [indicator] = [i for i in indicators.values() if i.name == name]
    return dict(Pattern(indicator.pattern).inspect().comparisons)


def test_stix_quotes_what_it_puts_in_a_pattern_and_refuses_an_unknown_marking():
    row = {
        "kind": "url",
        "value": "evil.example/a'b\\c",
        "operator_id": "op-x",
        "first_seen": "2026-11-01T00:00:00Z",
        "last_seen": "2026-11-01T00:00:00Z",
        "ad_count": 1,
        "platforms": ["demo-douyin"],
        "record_ids": ["r1"],
    }
    [indicator] = [o for o in stix2.parse(indicators_stix([row])).objects if o.type == "indicator"]
    assert run_validator(indicator.pattern, "2.1") == []
    values = [c[2] for c in Pattern(indicator.pattern).inspect().comparisons["url"]]
    assert values == ["'http://evil.example/a\\'b\\\\c'", "'https://evil.example/a\\'b\\\\c'"]
    with pytest.raises(ValueError, match="tlp"):
        indicators_stix([row], tlp="purple")


@pytest.mark.parametrize(
    "typed",
    [
        "138 0013 8000",
        "+86-138-0013-8000",
        "0086 13800138000",
        "一三八零零一三八零零零",
        "１３８００１３８０００",
    ],
)
def test_lookup_finds_a_phone_however_it_is_written(seeded, typed):
    uri, (first, second, _, _), bundle_id = seeded
    with open_catalogue(uri) as cat:
        before = lookup(cat, typed)  # never linked: operators linked in memory
        op_id = next(op.id for op in relink(cat) if first.id in op.ads)
        after = lookup(cat, typed)  # as stored
    for result in (before, after):
        assert (result.kind, result.normalised, result.found) == ("phone", "13800138000", True)
        assert [op["id"] for op in result.operators] == [op_id]
        assert result.operators[0]["ads"] == [first.id, second.id]
        assert "templates" not in result.operators[0]
        assert [r["id"] for r in result.records] == [first.id, second.id]
        assert [r["bundle_id"] for r in result.records] == [bundle_id, ""]
        assert {r["operator_id"] for r in result.records} == {op_id}
        assert result.records[0]["matched"] == ["phone"]
        assert result.records[1]["platform"] == "demo-xianyu"


def test_lookup_of_each_kind_and_of_what_nobody_gives(seeded):
    uri, (first, second, loner, _), _ = seeded
    with open_catalogue(uri) as cat:
        wechat = lookup(cat, "微信：TingCui_01")
        bare_id = lookup(cat, "Shangan_88")
        qq = lookup(cat, "QQ 24681357")
        bare_number = lookup(cat, "24681357")  # no label: matched as any kind
        link = lookup(cat, "t.cn/A8xk2p")
        clean_only = lookup(cat, "139 0013 9000")  # a clean record's number
        part = lookup(cat, "0013800")  # inside a known number, not one
        nothing = lookup(cat, "hello")
    assert (wechat.kind, wechat.normalised, wechat.found) == ("wechat", "tingcui_01", True)
    assert [r["id"] for r in wechat.records] == [first.id]
    assert (bare_id.kind, bare_id.found, [r["id"] for r in bare_id.records]) == (
        "wechat",
        True,
        [loner.id],
    )
    assert bare_id.records[0]["label"] == "suspect"
    assert (qq.kind, [r["id"] for r in qq.records]) == ("qq", [second.id])
    assert (bare_number.kind, bare_number.found) == ("number", True)
    assert bare_number.records[0]["matched"] == ["qq"]
    assert (link.kind, [r["id"] for r in link.records]) == ("url", [loner.id])
    assert (clean_only.kind, clean_only.found, clean_only.records) == ("phone", False, [])
    assert (part.found, part.records) == (False, [])
    assert (nothing.kind, nothing.normalised, nothing.found) == ("", "", False)
    assert json.loads(json.dumps(wechat.to_dict()))["records"][0]["id"] == first.id


def test_a_contact_only_in_rejected_ads_is_no_finding(seeded):
    uri, (first, second, _, _), _ = seeded
    with open_catalogue(uri) as cat:
        before = by_key(indicator_rows(cat))
        cat.add_review(
            {
                "id": "rv-1",
                "record_id": second.id,
                "decision": "rejected",
                "reason": "not an ad",
                "reviewer": "analyst1",
                "at": "2026-11-06T00:00:00Z",
                "bundle_id": "",
            }
        )
        result = lookup(cat, "QQ 24681357")
        after = by_key(indicator_rows(cat))
    assert result.found is False
    assert [(r["id"], r["review"]) for r in result.records] == [(second.id, "rejected")]
    assert set(before) - set(after) == {("qq", "24681357")}  # given by the rejected ad only
    phone = after[("phone", "13800138000")]
    assert (phone["ad_count"], phone["record_ids"]) == (1, [first.id])
    assert phone["operator_id"] == before[("phone", "13800138000")]["operator_id"]


def test_indicators_command_writes_csv_and_stix(seeded, tmp_path):
    uri, _, _ = seeded
    with open_catalogue(uri) as cat:
        rows = indicator_rows(cat)
    shown = adwatch_here("indicators", data_dir=tmp_path)
    assert shown.returncode == 0, shown.stderr
    # click's runner, like text mode, reads CRLF as "\n": the file below keeps the bytes
    assert shown.stdout == indicators_csv(rows).replace("\r\n", "\n")
    assert "5 contact(s) of 2 operator(s)" in shown.stderr
    table = tmp_path / "indicators.csv"
    written = adwatch_here("indicators", "--out", str(table), data_dir=tmp_path)
    assert written.returncode == 0, written.stderr
    assert table.read_bytes() == indicators_csv(rows).encode("utf-8")
    out = tmp_path / "shared" / "indicators.json"
    out.parent.mkdir()
    done = adwatch_here(
        "indicators", "--format", "stix", "--tlp", "green", "--out", str(out), data_dir=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and f"written to {out}" in done.stderr
    bundle = stix2.parse(out.read_text(encoding="utf-8"))
    assert {o.name for o in bundle.objects if o.type == "marking-definition"} == {"TLP:GREEN"}
    assert sum(o.type == "indicator" for o in bundle.objects) == len(rows)


def test_lookup_command_answers_by_exit_status_and_keeps_the_terminal_safe(seeded, tmp_path):
    _, (first, _, _, _), bundle_id = seeded
    found = adwatch_here("lookup", "+86 138 0013 8000", data_dir=tmp_path)
    assert found.returncode == 0, found.stderr
    assert "phone 13800138000): a known operator's contact, in 2 ad(s)" in found.stdout
    assert f"bundle {bundle_id}" in found.stdout and first.id in found.stdout
    assert "\x1b" not in found.stdout and "\u202e" not in found.stdout
    assert "停催\\u202e秘籍\\x1b[2J" in found.stdout  # the hostile title, visible and inert
    missing = adwatch_here("lookup", "13900139000", data_dir=tmp_path)
    assert missing.returncode == 1 and "no ad or suspect in the catalogue" in missing.stdout
    wrong = adwatch_here("lookup", "hello\x1b[31m", data_dir=tmp_path)
    assert wrong.returncode == 2 and "\x1b" not in wrong.stderr
    as_json = adwatch_here("lookup", "QQ 24681357", "--json", data_dir=tmp_path)
    assert as_json.returncode == 0
    answer = json.loads(as_json.stdout)
    assert (answer["kind"], answer["found"], len(answer["records"])) == ("qq", True, 1)
