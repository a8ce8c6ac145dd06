"""What the Elasticsearch catalogue stores: index names, templates, documents.

Eight kinds of document, each in a versioned index behind a read alias and a
write alias (``adwatch-ads-v1`` behind ``adwatch-ads`` and
``adwatch-ads-write``), so a mapping change is a new version, a reindex and
one atomic alias swap (`elastic.ElasticCatalogue.migrate`).  Every mapping
is ``dynamic: strict``: a field the code forgot to declare fails loudly
instead of being guessed as the wrong type.

Chinese text is analysed with built-in parts only, so no cluster needs a
plugin (shared/research/crawl-index.md §2): ``cjk`` width folding and
bigrams for the main field, a 1-2 gram subfield ``.ngram`` for substring
search (a ``match_phrase`` on it finds exactly the documents containing the
term, like SQLite's trigram index), and a folded keyword ``.kw``.

Each document keeps the record exactly as upserted under ``record`` (stored,
not indexed), so `get` and search hits return what SQLite returns; the other
fields are derived from it for searching, sorting and dashboards.

An analyst's current decision on a record lives beside it, in the ad
document's own fields ``review``, ``reviewed_at``, ``reviewed_key`` and
``reviewer``, which only `ElasticCatalogue.add_review` writes: a sighting's
scripted upsert carries them over, and `ad_document` never sets them.  A
record nobody has decided on has no ``review`` field at all (documents from
before schema 2 included), and every query reads "undecided" as "not one of
the decisions", never as a stored value.  Every decision is also kept whole
in the ``reviews`` kind, and referral cases in the ``cases`` kind.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from ._text import search_text
from ._time import parse_utc, utc_key
from .base import DECISIONS, REVIEW_FIELDS

# Bump when a template below changes in a way existing indices cannot take
# (a new field is such a change: mappings are strict).  `adwatch es migrate`
# then creates the next index version from the new template.
# 2: reviews (the current decision on each ad, every decision in `reviews`)
# and referral cases (`cases`).
SCHEMA_VERSION = 2

KINDS = ("ads", "operators", "captures", "blocks", "rejects", "jobs", "reviews", "cases")

_STORED = {"type": "object", "enabled": False}  # kept in _source, not indexed
_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_URL = {"type": "keyword", "ignore_above": 4096}
_DATE = {"type": "date"}
_LONG = {"type": "long"}


def _zh_text(keyword: bool = False) -> dict[str, Any]:
    """A Chinese text field: cjk bigrams, a 1-2 gram subfield, optionally a keyword."""
    fields: dict[str, Any] = {"ngram": {"type": "text", "analyzer": "zh_ngram"}}
    if keyword:
        fields["kw"] = {"type": "keyword", "ignore_above": 512, "normalizer": "kw_norm"}
    return {"type": "text", "analyzer": "zh_bigram", "fields": fields}


ANALYSIS: dict[str, Any] = {
    "char_filter": {
        # Zero-width and soft-hyphen characters ads put inside words (停\u200b催).
        "zw_strip": {
            "type": "pattern_replace",
            "pattern": "[\\u200B-\\u200D\\u2060\\uFEFF\\u00AD]",
            "replacement": "",
        }
    },
    "tokenizer": {
        "uni_bi": {
            "type": "ngram",
            "min_gram": 1,
            "max_gram": 2,
            "token_chars": ["letter", "digit"],
        }
    },
    "normalizer": {"kw_norm": {"type": "custom", "filter": ["cjk_width", "lowercase"]}},
    "analyzer": {
        "zh_bigram": {
            "type": "custom",
            "tokenizer": "standard",
            "char_filter": ["zw_strip"],
            "filter": ["cjk_width", "lowercase", "cjk_bigram"],
        },
        "zh_ngram": {
            "type": "custom",
            "tokenizer": "uni_bi",
            "char_filter": ["zw_strip"],
            "filter": ["cjk_width", "lowercase"],
        },
    },
}

MAPPINGS: dict[str, dict[str, Any]] = {
    "ads": {
        "id": {"type": "keyword"},
        "channel": {"type": "keyword"},
        "platform": {"type": "keyword"},
        "label": {"type": "keyword"},
        "score": {"type": "float"},
        "status": {"type": "keyword"},
        "sponsored": {"type": "boolean"},
        "http_status": {"type": "integer"},
        "url": _URL,
        "canonical_url": _URL,
        "referrer": _URL,
        "query": _KEYWORD,
        "title": _zh_text(keyword=True),
        "text": _zh_text(),
        "text_norm": _zh_text(),
        "ocr_text": _zh_text(),
        "body": _zh_text(),
        "reasons": _zh_text(),
        "author": {"properties": {"name": _zh_text(keyword=True), "id": _KEYWORD, "url": _URL}},
        "price": _KEYWORD,
        "region": _KEYWORD,
        "province": {"type": "keyword"},
        "categories": {"type": "keyword"},
        "matched_terms": {"type": "keyword"},
        "rules": {"type": "keyword"},
        "contacts": {
            "properties": {
                "kind": {"type": "keyword"},
                "value": _KEYWORD,
                "normalized": _KEYWORD,
            }
        },
        "contact_kinds": {"type": "keyword"},
        "images": {"type": "integer"},
        "image_sha256": {"type": "keyword"},
        "qr": _URL,
        "template_hash": {"type": "keyword"},
        "cluster_id": {"type": "keyword"},
        "problems": _KEYWORD,
        "fetched_at": _DATE,
        "published_at": _DATE,
        "first_seen": _DATE,
        "last_seen": _DATE,
        "times_seen": {"type": "integer"},
        # Kept up to date by add_capture, carried over by upserts.
        "capture": {
            "properties": {
                "attempts": {"type": "integer"},
                "at": _DATE,
                "outcome": {"type": "keyword"},
                # the newest capture that sealed a bundle
                "bundle_id": {"type": "keyword"},
                "bundle_at": _DATE,
                "bundle_status": {"type": "keyword"},
                "bundle_digest": {"type": "keyword"},
            }
        },
        # The current decision (add_review's alone; a sighting carries them
        # over): one of base.DECISIONS, absent while nobody has decided.
        "review": {"type": "keyword"},
        "reviewed_at": _DATE,
        "reviewed_key": {"type": "keyword"},  # the decision's time as SQLite keeps it
        "reviewer": _KEYWORD,
        "record": _STORED,
    },
    "operators": {
        "id": {"type": "keyword"},
        "ad_count": {"type": "integer"},
        "first_seen": _DATE,
        "last_seen": _DATE,
        "first_seen_raw": _KEYWORD,
        "platforms": {"type": "keyword"},
        "doc": _STORED,
    },
    "captures": {
        "record_id": {"type": "keyword"},
        "url": _URL,
        "platform": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "outcome": {"type": "keyword"},
        "status": {"type": "keyword"},
        "bundle_id": {"type": "keyword"},
        "content_digest": {"type": "keyword"},
        "at": _DATE,
        "at_key": {"type": "keyword"},
        "seq": _LONG,
        "doc": _STORED,
    },
    "blocks": {
        "platform": {"type": "keyword"},
        "url": _URL,
        "reason": _KEYWORD,
        "at": _DATE,
        "at_key": {"type": "keyword"},
        "at_raw": {"type": "keyword", "index": False},
        "seq": _LONG,
    },
    "rejects": {
        "platform": {"type": "keyword"},
        "stage": {"type": "keyword"},
        "reason": {"type": "keyword"},
        "url": _URL,
        "at": _DATE,
        "at_key": {"type": "keyword"},
        "seq": _LONG,
        "doc": _STORED,
    },
}

MAPPINGS["jobs"] = {
    "id": {"type": "keyword"},
    "profile": {"type": "keyword"},
    "kind": {"type": "keyword"},
    "status": {"type": "keyword"},
    "started": _DATE,
    "started_key": {"type": "keyword"},
    "ended": _DATE,
    **{
        name: {"type": "integer"}
        for name in ("pages", "records", "ads", "new_ads", "gone_ads", "blocked", "errors")
    },
    "doc": _STORED,
}

# Every decision an analyst made, whole in `doc`; the fields beside it are for
# listing (newest ``at_key``, then the later written: ``seq``) and Kibana.
MAPPINGS["reviews"] = {
    "id": {"type": "keyword"},
    "record_id": {"type": "keyword"},
    "decision": {"type": "keyword"},
    "reason": _KEYWORD,
    "reviewer": _KEYWORD,
    "at": _DATE,
    "at_key": {"type": "keyword"},
    "seq": _LONG,
    "bundle_id": {"type": "keyword"},
    "ledger_seq": _LONG,
    "label": {"type": "keyword"},  # the detector's label when decided
    "platform": {"type": "keyword"},  # the record's, for charts per platform
    "doc": _STORED,
}

# Referral cases, whole in `doc`; sorted like SQLite by the raw sent_on text,
# then the canonical created time, then id.
MAPPINGS["cases"] = {
    "id": {"type": "keyword"},
    "status": {"type": "keyword"},
    "regulator": {"type": "keyword"},
    "channel": {"type": "keyword"},
    "sent_on": _DATE,
    "sent_key": {"type": "keyword"},
    "created_at": _DATE,
    "created_key": {"type": "keyword"},
    "closed_at": _DATE,
    "created_by": _KEYWORD,
    "operator_id": {"type": "keyword"},
    "record_ids": {"type": "keyword"},
    "records": {"type": "integer"},
    "reference": _KEYWORD,
    "dossier_sha256": {"type": "keyword"},
    "doc": _STORED,
}

# The time field of each kind, for Kibana data views and for sorting.
TIME_FIELDS = {
    "ads": "first_seen",
    "operators": "first_seen",
    "captures": "at",
    "blocks": "at",
    "rejects": "at",
    "jobs": "started",
    "reviews": "at",
    "cases": "sent_on",
}


class Names:
    """Index, alias and template names of one deployment (one prefix)."""

    def __init__(self, prefix: str = "adwatch") -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,60}", prefix):
            raise ValueError(
                f"index prefix {prefix!r}: lower-case letters, digits, '-', '_' or '.', "
                "starting with a letter or digit"
            )
        self.prefix = prefix

    def read(self, kind: str) -> str:
        """The alias searches go to."""
        return f"{self.prefix}-{kind}"

    def write(self, kind: str) -> str:
        """The alias writes go to (``is_write_index`` on exactly one index)."""
        return f"{self.prefix}-{kind}-write"

    def version(self, kind: str, number: int) -> str:
        return f"{self.prefix}-{kind}-v{number}"

    def pattern(self, kind: str) -> str:
        return f"{self.prefix}-{kind}-v*"

    def template(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    @property
    def component(self) -> str:
        return f"{self.prefix}-analysis"


def component_template(replicas: int) -> dict[str, Any]:
    """Settings every adwatch index shares: analysis, one shard, replicas."""
    return {
        "template": {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": replicas,
                "analysis": ANALYSIS,
            }
        },
        "_meta": {"managed_by": "adwatch", "schema_version": SCHEMA_VERSION},
    }


def index_template(names: Names, kind: str) -> dict[str, Any]:
    """The composable template that gives every version of `kind` its mapping."""
    return {
        "index_patterns": [names.pattern(kind)],
        "priority": 200,
        "composed_of": [names.component],
        "template": {
            "mappings": {
                "dynamic": "strict",
                "_meta": {"schema_version": SCHEMA_VERSION, "kind": kind},
                "properties": MAPPINGS[kind],
            }
        },
        "_meta": {"managed_by": "adwatch", "schema_version": SCHEMA_VERSION},
    }


# --- documents ----------------------------------------------------------------

_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc"})
_PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]


def basic_normal_form(text: str) -> str:
    """NFKC, lower case, format and control characters dropped (newlines kept).

    The fallback ``text_norm`` when the caller gives no normaliser; the
    crawler passes the detector's, which also undoes variants (亭催 -> 停催).
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(
        ch for ch in folded if ch == "\n" or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
    )


def province(region: object) -> str:
    """The province-level division a free-text region starts with ("" if none)."""
    if not isinstance(region, str):
        return ""
    head = region.strip()
    return next((p for p in _PROVINCES if head.startswith(p)), "")


def date_or_none(value: object) -> str | None:
    """A value Elasticsearch's date type takes (canonical UTC), or None.

    Timestamps that do not parse stay in ``record`` only: a strict date field
    would refuse the whole document for them.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def _strs(values: object) -> list[str]:
    if not isinstance(values, list | tuple):
        return []
    return [v for v in values if isinstance(v, str) and v]


def _maps(values: object) -> list[Mapping[str, Any]]:
    if not isinstance(values, list | tuple):
        return []
    return [v for v in values if isinstance(v, Mapping)]


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _number(value: object, kind: type[int] | type[float]) -> int | float:
    if not isinstance(value, int | float | str):
        return kind(0)
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        return kind(0)


def ad_document(
    record: Mapping[str, Any], normalizer: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """The indexed document of one record (``capture`` is added by the catalogue).

    Raises TypeError or ValueError, like the SQLite writer, for a record that
    cannot be stored (no string id, a value JSON has no form for).  Review
    fields in `record` (a record read back and upserted again) are dropped,
    as SQLite drops them: a record's review is add_review's alone.
    """
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise ValueError("not a dict with a non-empty string 'id'")
    if any(key in record for key in REVIEW_FIELDS):
        record = {k: v for k, v in record.items() if k not in REVIEW_FIELDS}
    json.dumps(record, allow_nan=False)  # what cannot be sent fails here, not in a bulk
    author = record.get("author") if isinstance(record.get("author"), Mapping) else {}
    assert isinstance(author, Mapping)
    contacts = _maps(record.get("contacts"))
    matches = _maps(record.get("matches"))
    images = _maps(record.get("images"))
    readings = [i["ocr"] for i in images if isinstance(i.get("ocr"), Mapping)]
    ocr_text = "\n".join(_str(r.get("text")) for r in readings if _str(r.get("text")))
    text = _str(record.get("text"))
    title = _str(record.get("title"))
    norm = normalizer or basic_normal_form
    return {
        "id": record["id"],
        "channel": _str(record.get("channel")),
        "platform": _str(record.get("platform")),
        "label": _str(record.get("label")),
        # Strict like the SQLite writer: a score that is no number is refused.
        "score": float(record.get("score") or 0.0),
        "status": _str(record.get("status")),
        "sponsored": bool(record.get("sponsored")),
        "http_status": int(_number(record.get("http_status"), int)),
        "url": _str(record.get("url")),
        "canonical_url": _str(record.get("canonical_url")),
        "referrer": _str(record.get("referrer")),
        "query": _str(record.get("query")),
        "title": title,
        "text": text,
        "text_norm": norm("\n".join(p for p in (title, text, ocr_text) if p)),
        "ocr_text": ocr_text,
        "body": search_text(record),
        "reasons": "\n".join(_strs(record.get("reasons"))),
        "author": {
            "name": _str(author.get("name")),
            "id": _str(author.get("id")),
            "url": _str(author.get("url")),
        },
        "price": _str(record.get("price")),
        "region": _str(record.get("region")),
        "province": province(record.get("region")),
        "categories": _strs(record.get("categories")),
        "matched_terms": sorted({_str(m.get("term")) for m in matches} - {""}),
        "rules": sorted({_str(m.get("rule")) for m in matches} - {""}),
        "contacts": [
            {
                "kind": _str(c.get("kind")),
                "value": _str(c.get("value")),
                "normalized": _str(c.get("normalized")),
            }
            for c in contacts
        ],
        "contact_kinds": sorted({_str(c.get("kind")) for c in contacts} - {""}),
        "images": len(images),
        "image_sha256": sorted({_str(i.get("sha256")) for i in images} - {""}),
        "qr": sorted(
            {
                _str(q) if isinstance(q, str) else json.dumps(q, ensure_ascii=False)
                for r in readings
                for q in r.get("qr") or []
            }
            - {""}
        ),
        "template_hash": _str(record.get("template_hash")),
        "cluster_id": _str(record.get("cluster_id")),
        "problems": _strs(record.get("problems")),
        "fetched_at": date_or_none(record.get("fetched_at")),
        "published_at": date_or_none(record.get("published_at")),
        "first_seen": date_or_none(record.get("first_seen")),
        "last_seen": date_or_none(record.get("last_seen")),
        "times_seen": int(record.get("times_seen") or 1),
        "record": dict(record),
    }


def operator_document(operator: Mapping[str, Any]) -> dict[str, Any]:
    platforms = operator.get("platforms")
    return {
        "id": _str(operator.get("id")),
        "ad_count": len(operator.get("ads") or []),
        "first_seen": date_or_none(operator.get("first_seen")),
        "last_seen": date_or_none(operator.get("last_seen")),
        "first_seen_raw": _str(operator.get("first_seen")),
        "platforms": _strs(platforms)
        if isinstance(platforms, list)
        else _strs(list(platforms or [])),
        "doc": dict(operator),
    }


def capture_document(capture: Mapping[str, Any], seq: int) -> dict[str, Any]:
    return {
        "record_id": _str(capture.get("record_id")),
        "url": _str(capture.get("url")),
        "platform": _str(capture.get("platform")),
        "kind": _str(capture.get("kind")) or "capture",
        "outcome": _str(capture.get("outcome")),
        "status": _str(capture.get("status")),
        "bundle_id": _str(capture.get("bundle_id")),
        "content_digest": _str(capture.get("content_digest")),
        "at": date_or_none(capture.get("at")),
        "at_key": utc_key(capture.get("at")),
        "seq": seq,
        "doc": json.loads(json.dumps(dict(capture), ensure_ascii=False, default=repr)),
    }


def block_document(platform: str, url: str, reason: str, at: str, seq: int) -> dict[str, Any]:
    return {
        "platform": _str(platform),
        "url": _str(url),
        "reason": _str(reason),
        "at": date_or_none(at),
        "at_key": utc_key(at),
        "at_raw": _str(at),
        "seq": seq,
    }


def reject_document(reject: Mapping[str, Any], seq: int) -> dict[str, Any]:
    # default=repr: a reject describes bad input and is kept even when its
    # detail is not JSON (an exception, bytes), as that value's repr.
    doc = json.loads(json.dumps(dict(reject), ensure_ascii=False, default=repr))
    return {
        "platform": _str(reject.get("platform")),
        "stage": _str(reject.get("stage")),
        "reason": _str(reject.get("reason")),
        "url": _str(reject.get("url")),
        "at": date_or_none(reject.get("at")),
        "at_key": utc_key(reject.get("at")),
        "seq": seq,
        "doc": doc,
    }


def job_document(job: Mapping[str, Any]) -> dict[str, Any]:
    counts = {
        name: int(_number(job.get(name), int))
        for name in ("pages", "records", "ads", "new_ads", "gone_ads", "blocked", "errors")
    }
    return {
        "id": _str(job.get("id")),
        "profile": _str(job.get("profile")),
        "kind": _str(job.get("kind")),
        "status": _str(job.get("status")),
        "started": date_or_none(job.get("started")),
        "started_key": utc_key(job.get("started")),
        "ended": date_or_none(job.get("ended")),
        **counts,
        "doc": json.loads(json.dumps(dict(job), ensure_ascii=False, default=repr)),
    }


def current_review(decision: str, at: object, reviewer: object) -> dict[str, Any]:
    """The ad document's fields for its current decision (see the module docstring)."""
    return {
        "review": decision,
        "reviewed_at": date_or_none(at),
        "reviewed_key": utc_key(at),
        "reviewer": _str(reviewer),
    }


def review_of(source: Mapping[str, Any]) -> dict[str, str]:
    """The review fields a record is read back with (base.REVIEW_FIELDS) from
    its ad document: all "" while it holds no decision."""
    decision = source.get("review")
    if decision not in DECISIONS:
        return {"review": "", "reviewed_at": "", "reviewer": ""}
    return {
        "review": str(decision),
        "reviewed_at": _str(source.get("reviewed_key")),
        "reviewer": _str(source.get("reviewer")),
    }


def review_document(review: Mapping[str, Any], seq: int, platform: str = "") -> dict[str, Any]:
    """One decision as kept in `reviews`: whole in ``doc`` (as SQLite keeps it),
    `seq` orders decisions of the same second (the later written first)."""
    return {
        "id": _str(review.get("id")),
        "record_id": _str(review.get("record_id")),
        "decision": _str(review.get("decision")),
        "reason": _str(review.get("reason")),
        "reviewer": _str(review.get("reviewer")),
        "at": date_or_none(review.get("at")),
        "at_key": utc_key(review.get("at")),
        "seq": seq,
        "bundle_id": _str(review.get("bundle_id")),
        "ledger_seq": int(_number(review.get("ledger_seq"), int)),
        "label": _str(review.get("label")),
        "platform": _str(platform),
        "doc": json.loads(json.dumps(dict(review), ensure_ascii=False, default=repr)),
    }


def case_document(case: Mapping[str, Any]) -> dict[str, Any]:
    """A referral case as kept in `cases`: whole in ``doc``."""
    record_ids = _strs(case.get("record_ids"))
    return {
        "id": _str(case.get("id")),
        "status": _str(case.get("status")),
        "regulator": _str(case.get("regulator")),
        "channel": _str(case.get("channel")),
        "sent_on": date_or_none(case.get("sent_on")),
        "sent_key": _str(case.get("sent_on")),
        "created_at": date_or_none(case.get("created_at")),
        "created_key": utc_key(case.get("created_at")),
        "closed_at": date_or_none(case.get("closed_at")),
        "created_by": _str(case.get("created_by")),
        "operator_id": _str(case.get("operator_id")),
        "record_ids": record_ids,
        "records": len(record_ids),
        "reference": _str(case.get("reference")),
        "dossier_sha256": _str(case.get("dossier_sha256")),
        "doc": json.loads(json.dumps(dict(case), ensure_ascii=False, default=repr)),
    }


def content_id(kind: str, document: Mapping[str, Any]) -> str:
    """A deterministic _id for an event copied by `es sync`: re-running the
    copy overwrites instead of duplicating."""
    body = json.dumps(document, ensure_ascii=False, sort_keys=True, default=repr)
    return hashlib.sha256(f"{kind}\n{body}".encode()).hexdigest()[:32]
