"""Writes ``adwatch.ndjson``, the Kibana saved objects, from the definitions below.

    python -m evidence.index.kibana.build            # rewrite adwatch.ndjson
    python -m evidence.index.kibana.build --check    # exit 1 if the file is stale
    python -m evidence.index.kibana.build --prefix other -o other.ndjson

The committed file is this module's output for the default index prefix
(tests/test_kibana.py checks that they are equal), so the stringified JSON
inside it (``visState``, ``panelsJSON``, ``searchSourceJSON``...) is always
valid.  Output is deterministic: same definitions, same bytes.

Objects are written in the oldest shape the supported Kibana line reads
(8.0.0, see the package docstring) and carry no migration versions, so each
Kibana runs its own migrations on import.  Every panel of the dashboard says
``"version": "8.0.0"``: Kibana's 7.11 dashboard migration compares panel
versions with semver and would fail on a panel without one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._es_schema import TIME_FIELDS, Names
from ..base import DECISIONS
from . import OLDEST_KIBANA

OUTPUT = Path(__file__).with_name("adwatch.ndjson")
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
ADS = "label:ad"
# cluster_id and province are "" (not missing) when unknown: exclude both.
CLUSTERED_ADS = 'label:ad and cluster_id:* and not cluster_id:""'
ADS_WITH_PROVINCE = 'label:ad and province:* and not province:""'
# A record nobody has decided on has no review field (see _es_schema): the
# undecided are "not one of the decisions", never a stored value.
DECIDED = f"review:({' or '.join(DECISIONS)})"
# What the review queue holds: undecided ads and suspects, then the unsure.
TO_REVIEW = f"((label:ad or label:suspect) and not {DECIDED}) or review:unsure"
ADS_AND_SUSPECTS = "label:ad or label:suspect"
# The review-status filters of the review dashboard: (alias, decision), and
# the undecided one, which is every decision negated.
REVIEW_FILTERS = (
    ("已确认 confirmed", "confirmed"),
    ("已否决 rejected", "rejected"),
    ("待再看 unsure", "unsure"),
)
UNDECIDED_ALIAS = "未审核 undecided"
# Case statuses (evidence.cases.STATUSES), coloured from sent to closed.
STATUS_COLOURS = {
    "sent": "#6092C0",
    "acknowledged": "#D6BF57",
    "acted": "#E7664C",
    "closed": "#54B399",
}
# Capture outcomes (evidence.capture.Outcome): green for evidence, warm for trouble.
OUTCOME_COLOURS = {
    "page": "#54B399",
    "gone": "#6092C0",
    "empty": "#D6BF57",
    "blocked": "#E7664C",
    "failed": "#CA8EAE",
}

Object = dict[str, Any]


def _json(value: Any) -> str:
    """The compact JSON Kibana keeps in string attributes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _search_source(
    query: str, *, index: bool = True, filters: Sequence[Object] = ()
) -> dict[str, str]:
    source: dict[str, Any] = {
        "query": {"query": query, "language": "kuery"},
        "filter": list(filters),
    }
    if index:
        source["indexRefName"] = INDEX_REF
    return {"searchSourceJSON": _json(source)}


def _filter_ref(number: int) -> str:
    """The reference name Kibana gives the data view of the filter at `number`."""
    return f"kibanaSavedObjectMeta.searchSourceJSON.filter[{number}].meta.index"


def review_filters() -> list[Object]:
    """Filter pills on the review field, all off: the analyst turns one on
    (confirmed, rejected, unsure, or undecided: none of the decisions)."""
    filters: list[Object] = [
        {
            "meta": {
                "alias": alias,
                "negate": False,
                "disabled": True,
                "type": "phrase",
                "key": "review",
                "params": {"query": decision},
            },
            "query": {"match_phrase": {"review": decision}},
            "$state": {"store": "appState"},
        }
        for alias, decision in REVIEW_FILTERS
    ]
    filters.append(
        {
            "meta": {
                "alias": UNDECIDED_ALIAS,
                "negate": True,
                "disabled": True,
                "type": "phrases",
                "key": "review",
                "value": ", ".join(DECISIONS),
                "params": list(DECISIONS),
            },
            "query": {
                "bool": {
                    "should": [{"match_phrase": {"review": d}} for d in DECISIONS],
                    "minimum_should_match": 1,
                }
            },
            "$state": {"store": "appState"},
        }
    )
    for number, flt in enumerate(filters):
        flt["meta"]["indexRefName"] = _filter_ref(number)
    return filters


def _index_reference(data_view: str) -> list[dict[str, str]]:
    return [{"name": INDEX_REF, "type": "index-pattern", "id": data_view}]


class Catalogue:
    """Ids and titles of one deployment's objects (one index prefix)."""

    def __init__(self, prefix: str = "adwatch") -> None:
        self.names = Names(prefix)
        self.prefix = prefix

    def id(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def data_view(self, kind: str) -> str:
        return self.names.read(kind)


# --- data views ---------------------------------------------------------------


def data_view(cat: Catalogue, kind: str, display: str) -> Object:
    return {
        "type": "index-pattern",
        "id": cat.data_view(kind),
        "attributes": {
            "title": cat.names.read(kind),
            "name": display,
            "timeFieldName": TIME_FIELDS[kind],
            "fields": "[]",
            "fieldFormatMap": "{}",
            "fieldAttrs": "{}",
            "runtimeFieldMap": "{}",
            "sourceFilters": "[]",
            "typeMeta": "{}",
        },
        "references": [],
    }


# --- saved searches -----------------------------------------------------------


def search(
    cat: Catalogue,
    name: str,
    title: str,
    description: str,
    query: str,
    columns: Sequence[str],
    sort: Sequence[tuple[str, str]],
) -> Object:
    return {
        "type": "search",
        "id": cat.id(f"search-{name}"),
        "attributes": {
            "title": title,
            "description": description,
            "columns": list(columns),
            "sort": [[field, direction] for field, direction in sort],
            "grid": {},
            "hideChart": False,
            "kibanaSavedObjectMeta": _search_source(query),
        },
        "references": _index_reference(cat.data_view("ads")),
    }


def searches(cat: Catalogue) -> list[Object]:
    return [
        search(
            cat,
            "by-category",
            "adwatch ads by category (按类别)",
            "Ads (label:ad) by category: what is offered (停催, 协商还款, 征信修复...).",
            ADS,
            ["categories", "platform", "title", "review", "contact_kinds", "province", "url"],
            [("categories", "asc"), ("first_seen", "desc")],
        ),
        search(
            cat,
            "by-operator",
            "adwatch ads by operator (按团伙)",
            "Ads attributed to an operator cluster (shared contacts or templates), "
            "one operator after another.",
            CLUSTERED_ADS,
            [
                "cluster_id",
                "platform",
                "title",
                "review",
                "contacts.normalized",
                "template_hash",
                "url",
            ],
            [("cluster_id", "asc"), ("first_seen", "desc")],
        ),
        search(
            cat,
            "newly-seen",
            "adwatch ads newly seen (新发现)",
            "Ads by the time they were first seen, newest first.",
            ADS,
            ["first_seen", "platform", "title", "review", "categories", "cluster_id", "url"],
            [("first_seen", "desc")],
        ),
        search(
            cat,
            "gone",
            "adwatch ads gone (已下架)",
            "Ads whose page is gone: the captured evidence is all that is left.",
            f"{ADS} and status:gone",
            ["last_seen", "platform", "title", "review", "categories", "capture.bundle_id", "url"],
            [("last_seen", "desc")],
        ),
        search(
            cat,
            "to-review",
            "adwatch ads to review (待审核)",
            "The review queue: ads and suspects nobody has decided on, best score first, "
            "and those marked unsure (待再看).",
            TO_REVIEW,
            ["score", "label", "review", "platform", "title", "last_seen", "url"],
            [("score", "desc"), ("last_seen", "desc")],
        ),
        search(
            cat,
            "confirmed",
            "adwatch ads confirmed by an analyst (已确认)",
            "Records an analyst confirmed as anti-collection ads, newest decision first: "
            "what a dossier for a regulator is made of.",
            "review:confirmed",
            ["reviewed_at", "reviewer", "platform", "title", "cluster_id", "url"],
            [("reviewed_at", "desc")],
        ),
    ]


# --- visualizations (legacy aggregation-based) --------------------------------


def _count() -> Object:
    return {"id": "1", "enabled": True, "type": "count", "params": {}, "schema": "metric"}


def _terms(
    agg_id: str, field: str, schema: str, size: int, label: str, *, other: bool = True
) -> Object:
    return {
        "id": agg_id,
        "enabled": True,
        "type": "terms",
        "params": {
            "field": field,
            "orderBy": "1",
            "order": "desc",
            "size": size,
            "otherBucket": other,
            "otherBucketLabel": "Other",
            "missingBucket": False,
            "missingBucketLabel": "Missing",
            "customLabel": label,
        },
        "schema": schema,
    }


def _date_histogram(agg_id: str, field: str, label: str) -> Object:
    return {
        "id": agg_id,
        "enabled": True,
        "type": "date_histogram",
        "params": {
            "field": field,
            "useNormalizedEsInterval": True,
            "scaleMetricValues": False,
            "interval": "auto",
            "drop_partials": False,
            "min_doc_count": 1,
            "extended_bounds": {},
            "customLabel": label,
        },
        "schema": "segment",
    }


def _xy_params(*, horizontal: bool, stacked: bool, percentage: bool = False) -> Object:
    """Parameters of a vertical ("histogram") or horizontal bar chart."""
    value_title = "Share of captures" if percentage else "Count"
    return {
        "type": "histogram",
        "grid": {"categoryLines": False},
        "categoryAxes": [
            {
                "id": "CategoryAxis-1",
                "type": "category",
                "position": "left" if horizontal else "bottom",
                "show": True,
                "style": {},
                "scale": {"type": "linear"},
                "labels": {"show": True, "filter": not horizontal, "truncate": 200},
                "title": {},
            }
        ],
        "valueAxes": [
            {
                "id": "ValueAxis-1",
                "name": "BottomAxis-1" if horizontal else "LeftAxis-1",
                "type": "value",
                "position": "bottom" if horizontal else "left",
                "show": True,
                "style": {},
                "scale": {"type": "linear", "mode": "percentage" if percentage else "normal"},
                "labels": {"show": True, "rotate": 0, "filter": horizontal, "truncate": 100},
                "title": {"text": value_title},
            }
        ],
        "seriesParams": [
            {
                "show": True,
                "type": "histogram",
                "mode": "stacked" if stacked else "normal",
                "data": {"label": "Count", "id": "1"},
                "valueAxis": "ValueAxis-1",
                "drawLinesBetweenPoints": True,
                "lineWidth": 2,
                "showCircles": True,
            }
        ],
        "addTooltip": True,
        "addLegend": True,
        "legendPosition": "right",
        "times": [],
        "addTimeMarker": False,
        "labels": {"show": False},
        "thresholdLine": {
            "show": False,
            "value": 10,
            "width": 1,
            "style": "full",
            "color": "#E7664C",
        },
    }


def _pie_params() -> Object:
    # The pre-8.1 shape (addLegend): Kibana 8.1+ migrates it to legendDisplay.
    return {
        "type": "pie",
        "addTooltip": True,
        "addLegend": True,
        "legendPosition": "right",
        "isDonut": True,
        "labels": {"show": True, "values": True, "last_level": True, "truncate": 100},
    }


def visualization(
    cat: Catalogue,
    name: str,
    title: str,
    description: str,
    *,
    kind: str,
    vis_type: str,
    aggs: list[Object],
    params: Object,
    query: str = "",
    ui_state: Object | None = None,
) -> Object:
    return {
        "type": "visualization",
        "id": cat.id(f"vis-{name}"),
        "attributes": {
            "title": title,
            "description": description,
            "visState": _json({"title": title, "type": vis_type, "aggs": aggs, "params": params}),
            "uiStateJSON": _json(ui_state or {}),
            "version": 1,
            "kibanaSavedObjectMeta": _search_source(query),
        },
        "references": _index_reference(cat.data_view(kind)),
    }


def visualizations(cat: Catalogue) -> list[Object]:
    platform = "Platform (平台)"
    return [
        visualization(
            cat,
            "ads-over-time",
            "adwatch ads over time per platform (各平台新增广告)",
            "Ads (label:ad) by the day they were first seen, stacked by platform.",
            kind="ads",
            vis_type="histogram",
            aggs=[
                _count(),
                _date_histogram("2", "first_seen", "First seen (首次发现)"),
                _terms("3", "platform", "group", 10, platform),
            ],
            params=_xy_params(horizontal=False, stacked=True),
            query=ADS,
        ),
        visualization(
            cat,
            "top-operators",
            "adwatch top operators by ad count (团伙广告数)",
            "Operator clusters with the most ads (label:ad, cluster_id set).",
            kind="ads",
            vis_type="horizontal_bar",
            aggs=[
                _count(),
                _terms("2", "cluster_id", "segment", 20, "Operator (团伙)", other=False),
            ],
            params=_xy_params(horizontal=True, stacked=False),
            query=CLUSTERED_ADS,
        ),
        visualization(
            cat,
            "categories",
            "adwatch ad categories (广告类别)",
            "What the ads (label:ad) offer; an ad may have several categories.",
            kind="ads",
            vis_type="horizontal_bar",
            aggs=[_count(), _terms("2", "categories", "segment", 20, "Category (类别)")],
            params=_xy_params(horizontal=True, stacked=False),
            query=ADS,
        ),
        visualization(
            cat,
            "contact-kinds",
            "adwatch contact kinds (联系方式)",
            "How the ads (label:ad) ask to be contacted: WeChat, QQ, phone, links...",
            kind="ads",
            vis_type="pie",
            aggs=[_count(), _terms("2", "contact_kinds", "segment", 10, "Contact kind (联系方式)")],
            params=_pie_params(),
            query=ADS,
        ),
        visualization(
            cat,
            "provinces",
            "adwatch provinces where known (省份)",
            "Provinces of ads (label:ad) whose region names one; the others are left out.",
            kind="ads",
            vis_type="horizontal_bar",
            aggs=[_count(), _terms("2", "province", "segment", 34, "Province (省份)")],
            params=_xy_params(horizontal=True, stacked=False),
            query=ADS_WITH_PROVINCE,
        ),
        visualization(
            cat,
            "blocks-over-time",
            "adwatch blocks per platform over time (被拦截)",
            "Pages a platform refused the crawler (captcha, login wall, rate limit), by day.",
            kind="blocks",
            vis_type="histogram",
            aggs=[
                _count(),
                _date_histogram("2", "at", "Blocked at (拦截时间)"),
                _terms("3", "platform", "group", 10, platform),
            ],
            params=_xy_params(horizontal=False, stacked=True),
        ),
        visualization(
            cat,
            "capture-outcomes",
            "adwatch capture outcomes per platform (取证结果)",
            "Share of evidence captures per platform by outcome: page and gone are evidence, "
            "blocked is the blocked rate, failed and empty are capture failures.",
            kind="captures",
            vis_type="histogram",
            aggs=[
                _count(),
                _terms("2", "platform", "segment", 20, platform),
                _terms("3", "outcome", "group", 10, "Outcome (结果)"),
            ],
            params=_xy_params(horizontal=False, stacked=True, percentage=True),
            ui_state={"vis": {"colors": OUTCOME_COLOURS}},
        ),
        visualization(
            cat,
            "review-status",
            "adwatch review status (审核状态)",
            "Ads and suspects by the analysts' current decision; undecided ones have no "
            "decision (the missing bucket). Click a slice to filter by it.",
            kind="ads",
            vis_type="pie",
            aggs=[_count(), _review_terms("2", "segment")],
            params=_pie_params(),
            query=ADS_AND_SUSPECTS,
        ),
        visualization(
            cat,
            "decisions-over-time",
            "adwatch decisions over time (审核决定)",
            "Every decision analysts made, by day, stacked by decision.",
            kind="reviews",
            vis_type="histogram",
            aggs=[
                _count(),
                _date_histogram("2", "at", "Decided at (审核时间)"),
                _terms("3", "decision", "group", 3, "Decision (决定)", other=False),
            ],
            params=_xy_params(horizontal=False, stacked=True),
        ),
        visualization(
            cat,
            "cases-by-regulator",
            "adwatch referrals per regulator (转办案件)",
            "Referral cases sent in the period, per regulator, by status (sent, "
            "acknowledged, acted on, closed).",
            kind="cases",
            vis_type="histogram",
            aggs=[
                _count(),
                _terms("2", "regulator", "segment", 10, "Regulator (监管部门)"),
                _terms("3", "status", "group", 10, "Status (状态)", other=False),
            ],
            params=_xy_params(horizontal=False, stacked=True),
            ui_state={"vis": {"colors": STATUS_COLOURS}},
        ),
    ]


def _review_terms(agg_id: str, schema: str) -> Object:
    """Terms on the current decision, the undecided (no review field) as a bucket of their own."""
    agg = _terms(agg_id, "review", schema, len(DECISIONS), "Review (审核)", other=False)
    agg["params"] |= {"missingBucket": True, "missingBucketLabel": UNDECIDED_ALIAS}
    return agg


# --- dashboard ----------------------------------------------------------------

Layout = tuple[tuple[str, int, int, int, int], ...]

# (object id suffix, x, y, w, h) on Kibana's 48-column grid.
LAYOUT: Layout = (
    ("vis-ads-over-time", 0, 0, 32, 15),
    ("vis-contact-kinds", 32, 0, 16, 15),
    ("vis-top-operators", 0, 15, 16, 15),
    ("vis-categories", 16, 15, 16, 15),
    ("vis-provinces", 32, 15, 16, 15),
    ("vis-blocks-over-time", 0, 30, 24, 15),
    ("vis-capture-outcomes", 24, 30, 24, 15),
    ("vis-review-status", 0, 45, 16, 15),
    ("vis-decisions-over-time", 16, 45, 16, 15),
    ("vis-cases-by-regulator", 32, 45, 16, 15),
    ("search-newly-seen", 0, 60, 24, 15),
    ("search-gone", 24, 60, 24, 15),
    ("search-by-category", 0, 75, 24, 15),
    ("search-by-operator", 24, 75, 24, 15),
)

# The review dashboard: only panels on the ads data view, so that its review
# filters narrow every panel (a filter on a field another index lacks would
# empty that index's panels).
REVIEW_LAYOUT: Layout = (
    ("vis-review-status", 0, 0, 16, 15),
    ("vis-ads-over-time", 16, 0, 32, 15),
    ("vis-top-operators", 0, 15, 24, 15),
    ("vis-categories", 24, 15, 24, 15),
    ("search-to-review", 0, 30, 48, 15),
    ("search-confirmed", 0, 45, 48, 15),
)


def dashboard(
    cat: Catalogue,
    objects: Sequence[Object],
    *,
    name: str = "overview",
    title: str = "adwatch: anti-debt-collection ads overview (反催收广告监测)",
    description: str = "New ads per platform, operators, categories, contact kinds and "
    "provinces; blocks and capture outcomes per platform, so evidence quality is "
    "watched too; the analysts' decisions and referrals; the saved searches below.",
    layout: Layout = LAYOUT,
    filters: Sequence[Object] = (),
    time_from: str = "now-30d",
) -> Object:
    by_id = {o["id"]: o for o in objects}
    panels: list[Object] = []
    references: list[dict[str, str]] = [
        {"name": _filter_ref(number), "type": "index-pattern", "id": cat.data_view("ads")}
        for number in range(len(filters))
    ]
    for number, (suffix, x, y, w, h) in enumerate(layout):
        target = by_id[cat.id(suffix)]
        index = suffix.split("-", 1)[1]
        ref = f"panel_{number}"
        panels.append(
            {
                "version": OLDEST_KIBANA,
                "type": target["type"],
                "gridData": {"x": x, "y": y, "w": w, "h": h, "i": index},
                "panelIndex": index,
                "embeddableConfig": {"enhancements": {}},
                "panelRefName": ref,
            }
        )
        references.append({"name": ref, "type": target["type"], "id": target["id"]})
    return {
        "type": "dashboard",
        "id": cat.id(name),
        "attributes": {
            "title": title,
            "description": description,
            "hits": 0,
            "timeRestore": True,
            "timeFrom": time_from,
            "timeTo": "now",
            "refreshInterval": {"pause": True, "value": 0},
            "optionsJSON": _json(
                {"useMargins": True, "syncColors": False, "hidePanelTitles": False}
            ),
            "panelsJSON": _json(panels),
            "version": 1,
            "kibanaSavedObjectMeta": _search_source("", index=False, filters=filters),
        },
        "references": references,
    }


def review_dashboard(cat: Catalogue, objects: Sequence[Object]) -> Object:
    return dashboard(
        cat,
        objects,
        name="review",
        title="adwatch: analysts' review (审核)",
        description="The ads by review status, with a filter per status above (all off: "
        "turn one on to see only the confirmed, rejected, unsure or undecided); the "
        "review queue and the confirmed ads below.",
        layout=REVIEW_LAYOUT,
        filters=review_filters(),
        time_from="now-1y",
    )


# --- output -------------------------------------------------------------------


def saved_objects(prefix: str = "adwatch") -> list[Object]:
    """Every saved object, dependencies first (data views, searches, charts, dashboards)."""
    cat = Catalogue(prefix)
    objects = [
        data_view(cat, "ads", "adwatch ads (反催收广告)"),
        data_view(cat, "captures", "adwatch evidence captures (取证)"),
        data_view(cat, "blocks", "adwatch blocked pages (被拦截)"),
        data_view(cat, "reviews", "adwatch analysts' decisions (审核决定)"),
        data_view(cat, "cases", "adwatch referral cases (转办案件)"),
        *searches(cat),
        *visualizations(cat),
    ]
    return [*objects, dashboard(cat, objects), review_dashboard(cat, objects)]


def render(prefix: str = "adwatch") -> str:
    """The NDJSON text: one object per line, UTF-8, a newline after each."""
    return "".join(_json(o) + "\n" for o in saved_objects(prefix))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--prefix", default="adwatch", help="index prefix (default adwatch)")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the file differs")
    args = parser.parse_args(argv)
    text = render(args.prefix).encode()
    if args.check:
        current = args.output.read_bytes() if args.output.exists() else b""
        if current != text:
            print(
                f"{args.output} is stale: run python -m evidence.index.kibana.build",
                file=sys.stderr,
            )
            return 1
        return 0
    args.output.write_bytes(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
