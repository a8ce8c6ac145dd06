"""Plain-text views of catalogue answers for the terminal (hostile text made
harmless by crawler.interfaces.terminal)."""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from crawler.interfaces.terminal import printable, shorten


def format_hits(query: str, total: int, hits: list[dict[str, Any]]) -> str:
    if not hits:
        return (
            f"no records match {printable(query, one_line=True)!r}"
            if query
            else "catalogue is empty"
        )
    head = f"{total} record(s)" + (f" match {printable(query, one_line=True)!r}" if query else "")
    lines = [head + (f", showing {len(hits)}" if total > len(hits) else "")]
    for hit in hits:
        tag = "广告 " if hit.get("sponsored") else ""
        lines.append("")
        lines.append(
            f"[{hit.get('label', '?'):<7} {float(hit.get('score', 0)):.2f}] {hit.get('channel')}/"
            f"{hit.get('platform')}  {tag}{shorten(hit.get('title') or '(no title)', 80)}"
        )
        lines.append(f"  {shorten(hit.get('url', ''), 110)}")
        author = (hit.get("author") or {}).get("name")
        seen = (
            f"seen {hit.get('times_seen', 1)}x, {hit.get('first_seen')} .. {hit.get('last_seen')}"
        )
        lines.append(f"  {('by ' + shorten(author, 30) + '  ') if author else ''}{seen}")
        snippet = hit.get("snippet") or hit.get("text") or ""
        if snippet:
            lines.append(f"  {shorten(snippet, 110)}")
        if hit.get("categories"):
            lines.append(f"  categories: {', '.join(hit['categories'])}")
    return "\n".join(lines)


def format_stats(stats: dict[str, Any], rejects: list[dict[str, Any]]) -> str:
    lines = [f"records: {stats.get('total', 0)}"]
    for key in ("by_channel", "by_platform", "by_label", "by_review"):
        counts = stats.get(key) or {}
        if counts:
            label = key.removeprefix("by_")
            lines.append(
                f"  by {label}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            )
    lines.append(f"blocked events: {stats.get('blocks', 0)}")
    evidence = stats.get("evidence") or {}
    if evidence:
        bundles, records = evidence.get("bundles", 0), evidence.get("records", 0)
        lines.append(f"evidence: {bundles} bundles of {records} records")
        for key in ("by_outcome", "by_status"):
            counts = evidence.get(key) or {}
            if counts:
                what = "captures" if key == "by_outcome" else "status"
                lines.append(
                    f"  {what}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                )
    lines.append(f"rejects: {stats.get('rejects', len(rejects))}")
    for r in rejects:
        lines.append(
            f"  {r.get('at', '')}  {r.get('stage', ''):<8} {r.get('reason', ''):<14} "
            f"{shorten(r.get('url', ''), 80)}"
        )
    return "\n".join(lines)


def format_operators(operators: list[dict[str, Any]]) -> str:
    """Operators, largest first: size, platforms, period and main contacts."""
    if not operators:
        return "no operators with that many linked ads (adwatch clusters --min-ads 1 lists all)"
    lines = [f"{len(operators)} operator(s), largest first"]
    for op in operators:
        contacts = ", ".join(
            f"{c.get('kind')} {printable(str(c.get('value', '')), one_line=True)}"
            for c in (op.get("contacts") or [])[:4]
        )
        more = len(op.get("contacts") or []) - 4
        links = ", ".join(f"{k} {v}" for k, v in sorted((op.get("links") or {}).items()))
        lines.append("")
        lines.append(
            f"{op.get('id')}  {op.get('ad_count', len(op.get('ads') or []))} ads"
            f"  on {', '.join(op.get('platforms') or []) or '?'}"
        )
        lines.append(f"  seen {op.get('first_seen', '')} .. {op.get('last_seen', '')}")
        if contacts:
            lines.append(f"  contacts: {contacts}" + (f" (+{more} more)" if more > 0 else ""))
        if links:
            lines.append(f"  linked by: {links}")
    return "\n".join(lines)


def format_jobs(jobs: list[dict[str, Any]]) -> str:
    """The job history as a table, newest first."""
    if not jobs:
        return "no jobs yet (`adwatch crawl` and `adwatch schedule` record them)"
    head = f"{'started (UTC)':<21}{'profile':<16}{'kind':<8}{'status':<12}"
    head += f"{'pages':>6}{'ads':>6}{'new':>5}{'gone':>5}{'blocked':>8}{'errors':>7}  monitors"
    lines = [head]
    for job in jobs:
        verdicts = (job.get("monitors") or {}).values()
        failed = sorted({name for v in verdicts for name in (v.get("failed") or [])})
        started = shorten(str(job.get("started", "")), 20)
        profile = shorten(str(job.get("profile", "")), 15)
        kind, status = shorten(str(job.get("kind", "")), 7), shorten(str(job.get("status", "")), 11)
        counts = [int(job.get(k) or 0) for k in ("pages", "ads", "new_ads", "gone_ads")]
        trouble = [int(job.get(k) or 0) for k in ("blocked", "errors")]
        lines.append(
            f"{started:<21}{profile:<16}{kind:<8}{status:<12}"
            f"{counts[0]:>6}{counts[1]:>6}{counts[2]:>5}{counts[3]:>5}"
            f"{trouble[0]:>8}{trouble[1]:>7}  "
            + (", ".join(failed) + " failed" if failed else "ok")
        )
    return "\n".join(lines)


def format_takedowns(rows: list[dict[str, Any]]) -> list[str]:
    """Time from first seen to the re-check that found an ad gone, per platform
    (median and slowest, in days), the figure a follow-up letter cites."""
    by_platform: dict[str, list[float]] = {}
    for row in rows:
        try:
            seen = datetime.fromisoformat(str(row["first_seen"]).replace("Z", "+00:00"))
            gone = datetime.fromisoformat(str(row["gone_at"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            continue
        by_platform.setdefault(str(row.get("platform", "")), []).append(
            max(0.0, (gone - seen).total_seconds() / 86400)
        )
    if not by_platform:
        return []
    lines = ["time to takedown (first seen -> found gone), days:"]
    for platform, days in sorted(by_platform.items()):
        middle, slowest = median(days), max(days)
        lines.append(f"  {platform}: {len(days)} gone, median {middle:.1f}, slowest {slowest:.1f}")
    return lines


def format_lookup(result: dict[str, Any]) -> str:
    """A lookup's answer (crawler.running.indicators.LookupResult as a dict):
    the verdict, the operators, then each ad giving the contact with its
    evidence bundle and review.  Every value passes ``printable``: the
    catalogue's fields came from pages."""

    def p(value: Any) -> str:
        return printable(str(value or ""), one_line=True)

    records, operators = result.get("records") or [], result.get("operators") or []
    asked, what = p(result.get("query")), f"{p(result.get('kind'))} {p(result.get('normalised'))}"
    if not records:
        return f"{asked!r} ({what}): no ad or suspect in the catalogue gives it"
    found = result.get("found")
    verdict = "a known operator's contact" if found else "given only by ads an analyst rejected"
    lines = [f"{asked!r} ({what}): {verdict}, in {len(records)} ad(s)"]
    for op in operators:
        contacts = ", ".join(
            f"{p(c.get('kind'))} {shorten(str(c.get('value', '')), 40)}"
            for c in (op.get("contacts") or [])[:6]
        )
        lines += [
            "",
            f"operator {p(op.get('id'))}: {len(op.get('ads') or [])} ads"
            f" on {shorten(', '.join(op.get('platforms') or []) or '?', 60)}",
            f"  seen {p(op.get('first_seen'))} .. {p(op.get('last_seen'))}",
            f"  contacts: {contacts or 'none'}",
        ]
    lines.append("\nads giving it:")
    for r in records:
        bundle, review = p(r.get("bundle_id")), p(r.get("review"))
        by = f" by {shorten(str(r.get('reviewer')), 30)}" if r.get("reviewer") else ""
        lines += [
            "",
            f"[{p(r.get('label')):<7}] {p(r.get('id'))}  {shorten(str(r.get('platform', '')), 20)}"
            f"  {p(r.get('status'))}  operator {p(r.get('operator_id')) or '?'}",
            f"  seen {p(r.get('first_seen'))} .. {p(r.get('last_seen'))}",
            f"  {shorten(str(r.get('title') or '(no title)'), 100)}",
            f"  {shorten(str(r.get('url', '')), 110)}",
            f"  evidence: {'bundle ' + bundle if bundle else 'none yet'}"
            + (f"  review: {review}{by}" if review else ""),
        ]
    return "\n".join(lines)
