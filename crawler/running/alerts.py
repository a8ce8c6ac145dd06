"""Alerts: tell analysts when a finished crawl job shows something new or wrong.

A finished job is described by a *job summary*, a plain dict made from the job
history, and compared with the summaries of earlier jobs of the same profile.
Six rules look at it (pure functions, no I/O); what they find is sent through
a webhook and/or SMTP, at most once per alert and channel within a window.

Job summary (one dict per job; ``records`` is required, other keys default to
0 or empty).  ``crawler.running.jobs.Job.to_dict()`` is one as it is::

    {
      "id": "5f0c...",          # or "job_id"; any JSON value, compared with ==
      "profile": "demo",        # schedule profile the job ran
      "kind": "crawl",          # crawl | recheck (default crawl)
      "status": "finished",     # a "skipped" job is never alerted on nor compared with
      "started": "2025-01-01T03:00:00+00:00", "ended": "...",   # ISO 8601, shown only
      "pages": 640,             # responses fetched, block pages included
      "records": 297,           # records stored by this job (required)
      "ads": 122, "new_ads": 9, "gone_ads": 2, "errors": 3,
      "blocked_by_platform": {"demo-baidu": 4},   # block pages per platform (or a
                                                  # mapping under "blocked"; an int
                                                  # "blocked" is the total, unused)
      "pages_by_platform": {"demo-baidu": 210},   # responses per platform, blocks included
      "records_by_platform": {"demo-baidu": 104}, # records per platform
      "new_operators": [        # operators first seen in this job
        {"id": "op-17", "ad_count": 5, "contacts": ["wx:abc123", "+86 138..."],
         "platforms": ["demo-baidu", "demo-xianyu"]}
      ],
    }

A platform counts as crawled by a job when it is a key of ``pages_by_platform``,
the per-platform blocks or ``records_by_platform``.  ``history`` is a list of
earlier summaries of the same profile, newest first; entries with this job's id,
of another kind, or with status "running" or "skipped" are left out.

Rules (:data:`RULES`; thresholds in :class:`AlertConfig`):

``new_operator``
    each entry of ``new_operators`` with ``ad_count >= new_operator_min_ads``.
    Needs no history (on a profile's first job every operator is new).
``new_ads_spike``
    ``new_ads > max(spike_min_new_ads, spike_factor * median)``, the median of
    ``new_ads`` over the previous ``history_jobs`` jobs that stored records (an
    empty job measured nothing).  With fewer jobs the median of those there are
    is used; with none the rule stays silent: a profile's first job finds only
    new ads, which is a baseline, not a spike.
``platform_blocking``
    a platform whose block rate (blocked / pages on it) is ``>= block_rate`` on at
    least ``block_min_pages`` pages while the median of its rate over the previous
    ``history_jobs`` jobs that crawled it was below (or no previous job crawled it);
    or (critical) every page fetched on it was a block page, whatever the history.
``empty_crawl``
    (critical) a crawl job that stored no records at all; otherwise (warning)
    each crawled platform with no records whose newest previous job crawling it
    had records.  Needs ``records_by_platform`` in both summaries for the second.
    Re-check jobs and crawls stopped by hand (interrupted by Ctrl-C or a
    stop signal; not those a memory cap or an error count stopped) are not
    judged by it.
``session_expired``
    (critical) each platform whose session check failed in the job (its
    verdict's ``session_expired``: platform -> reason): the crawl stopped that
    platform instead of crawling on logged out.  Needs no history.
``field_coverage``
    each field below its threshold in the spider-close checks kept in the job's
    ``monitors`` (``{spider: {"coverage_failures": [{"platform", "field",
    "share", "threshold", "records"}]}}``, from crawler.finding.monitor): a
    selector that stopped matching.  Needs no history: the thresholds are the
    profile's.

Titles and bodies are display text, already made safe with
:func:`evidence.safe_text.printable` (ad text and contacts are written by the people
we watch); ``facts`` keep the raw values as data, which JSON escapes.

Channels: :class:`WebhookNotifier` (POST ``{"source": "adwatch", "sent": ..., "alerts":
[...]}`` as ASCII-only JSON) and :class:`SmtpNotifier` (one plain-text UTF-8 mail,
Chinese and English).  :func:`notify` sends each channel one message per batch and
keeps, in a small JSON file, when each alert (``kind:key``) last went out on each
channel (channels are told apart by ``name``: give two webhooks two names); no
channel ever raises into the caller.  Dedup keys: the operator id, the profile
(spike, empty job), the platform (blocking), ``profile/platform`` (empty platform),
``platform/field`` (coverage), the platform (session).
:func:`notifiers_from_settings` builds the channels from ``ADWATCH_ALERT_*`` settings.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import smtplib
import ssl
import statistics
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from crawler.setting_values import ConfigError, given, integer, real
from evidence.locking import exclusive
from evidence.safe_text import printable

logger = logging.getLogger(__name__)

INFO, WARNING, CRITICAL = "info", "warning", "critical"
SEVERITIES = (INFO, WARNING, CRITICAL)
SEVERITY_LABELS = {INFO: "提示 / INFO", WARNING: "警告 / WARNING", CRITICAL: "严重 / CRITICAL"}
KIND_LABELS = {
    "new_operator": "新运营者 / New operator",
    "new_ads_spike": "新广告激增 / New-ad spike",
    "platform_blocking": "平台封锁 / Platform blocking",
    "empty_crawl": "空抓取 / Empty crawl",
    "field_coverage": "字段缺失 / Field coverage",
    "session_expired": "登录失效 / Session expired",
}
SOURCE = "adwatch"
MAX_SHOWN = 20  # contacts or platforms listed in one alert's body
MAX_TEXT = 200  # characters of one outside value shown in a title or body


class AlertConfigError(ConfigError):
    """An ADWATCH_ALERT_* setting has a value alerts cannot use (names the setting)."""


# --- alerts and their configuration -------------------------------------------------


@dataclass(frozen=True)
class Alert:
    """What a rule found.  ``title`` and ``body`` are safe display text (Chinese and
    English); ``facts`` the raw figures and values; ``key`` what makes two alerts of
    one kind the same (an operator id, a profile, a platform) for dedup."""

    kind: str
    severity: str
    title: str
    body: str
    facts: dict[str, Any] = field(default_factory=dict)
    key: str = ""

    @property
    def dedup_key(self) -> str:
        return f"{self.kind}:{self.key}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "key": self.key,
            "title": self.title,
            "body": self.body,
            "facts": self.facts,
        }


class _Settings(Protocol):
    def get(self, name: str, default: Any = None, /) -> Any: ...


RULE_NAMES = (
    "new_operator",
    "new_ads_spike",
    "platform_blocking",
    "empty_crawl",
    "field_coverage",
    "session_expired",
)


@dataclass(frozen=True)
class AlertConfig:
    """Rule thresholds and the dedup window.  Settings (defaults in brackets):
    ADWATCH_ALERT_RULES [all six, comma-separated], ADWATCH_ALERT_NEW_OPERATOR_MIN_ADS
    [2], ADWATCH_ALERT_SPIKE_FACTOR [3.0], ADWATCH_ALERT_SPIKE_MIN_NEW_ADS [10],
    ADWATCH_ALERT_HISTORY_JOBS [7], ADWATCH_ALERT_BLOCK_RATE [0.3],
    ADWATCH_ALERT_BLOCK_MIN_PAGES [3], ADWATCH_ALERT_DEDUP_HOURS [24]."""

    rules: tuple[str, ...] = RULE_NAMES
    new_operator_min_ads: int = 2
    spike_factor: float = 3.0
    spike_min_new_ads: int = 10
    history_jobs: int = 7
    block_rate: float = 0.3
    block_min_pages: int = 3
    dedup_hours: float = 24.0

    def __post_init__(self) -> None:
        unknown = [r for r in self.rules if r not in RULE_NAMES]
        if unknown:
            raise AlertConfigError(
                f"ADWATCH_ALERT_RULES must name rules among {', '.join(RULE_NAMES)}, "
                f"got {', '.join(unknown)!r}"
            )

    @property
    def dedup_window(self) -> timedelta:
        return timedelta(hours=self.dedup_hours)

    @classmethod
    def from_settings(cls, settings: _Settings) -> AlertConfig:
        """Read the ADWATCH_ALERT_* thresholds from a mapping (a dict or Scrapy
        Settings; strings as ``-s NAME=VALUE`` gives them are parsed); a missing or
        empty one takes its default."""
        d = cls()
        rules_value = settings.get("ADWATCH_ALERT_RULES")
        if rules_value is None or rules_value == "":
            rules = d.rules
        elif isinstance(rules_value, str):
            rules = tuple(r.strip() for r in rules_value.split(",") if r.strip())
        else:
            rules = tuple(str(r).strip() for r in rules_value)
        cfg = cls(
            rules=rules,
            new_operator_min_ads=_int(settings, "ADWATCH_ALERT_NEW_OPERATOR_MIN_ADS", 2, 1),
            spike_factor=_float(settings, "ADWATCH_ALERT_SPIKE_FACTOR", 3.0, 0.0, strict=True),
            spike_min_new_ads=_int(settings, "ADWATCH_ALERT_SPIKE_MIN_NEW_ADS", 10, 0),
            history_jobs=_int(settings, "ADWATCH_ALERT_HISTORY_JOBS", 7, 1),
            block_rate=_float(settings, "ADWATCH_ALERT_BLOCK_RATE", 0.3, 0.0, strict=True),
            block_min_pages=_int(settings, "ADWATCH_ALERT_BLOCK_MIN_PAGES", 3, 1),
            dedup_hours=_float(settings, "ADWATCH_ALERT_DEDUP_HOURS", 24.0, 0.0),
        )
        if cfg.block_rate > 1:
            raise AlertConfigError(
                f"ADWATCH_ALERT_BLOCK_RATE must be in (0, 1], got {cfg.block_rate}"
            )
        return cfg


def _int(settings: _Settings, name: str, default: int, minimum: int) -> int:
    return integer(settings, name, minimum, default, error=AlertConfigError)


def _float(
    settings: _Settings, name: str, default: float, minimum: float, strict: bool = False
) -> float:
    return real(settings, name, minimum, strict=strict, default=default, error=AlertConfigError)


# --- reading job summaries -----------------------------------------------------------


def _count(job: Mapping[str, Any], key: str) -> int:
    value = job.get(key)
    return int(value) if value else 0


def _per_platform(job: Mapping[str, Any], key: str) -> dict[str, int]:
    value = job.get(key) or {}
    return {str(platform): int(n or 0) for platform, n in value.items()}


def _blocks(job: Mapping[str, Any]) -> dict[str, int]:
    """Block pages per platform: ``blocked_by_platform``, or ``blocked`` if a mapping."""
    if "blocked_by_platform" in job:
        return _per_platform(job, "blocked_by_platform")
    return _per_platform(job, "blocked") if isinstance(job.get("blocked"), Mapping) else {}


def _crawled(job: Mapping[str, Any]) -> set[str]:
    pages, records = (
        _per_platform(job, "pages_by_platform"),
        _per_platform(job, "records_by_platform"),
    )
    return set(pages) | set(_blocks(job)) | set(records)


def _job_id(job: Mapping[str, Any]) -> Any:
    return job.get("job_id", job.get("id"))


def _kind(job: Mapping[str, Any]) -> str:
    return str(job.get("kind") or "crawl")


IGNORED_STATUSES = ("running", "skipped")


def _previous(
    job: Mapping[str, Any], history: Sequence[Mapping[str, Any]], k: int
) -> list[Mapping[str, Any]]:
    """The ``k`` newest earlier jobs comparable with ``job``."""
    return [
        h
        for h in history
        if _job_id(h) != _job_id(job)
        and _kind(h) == _kind(job)
        and h.get("status") not in IGNORED_STATUSES
    ][:k]


def _block_rate(job: Mapping[str, Any], platform: str) -> tuple[int, int, float | None]:
    """(pages, blocked, rate) of ``platform`` in ``job``; rate None when no page."""
    blocked = _blocks(job).get(platform, 0)
    pages = max(_per_platform(job, "pages_by_platform").get(platform, 0), blocked)
    return pages, blocked, (blocked / pages if pages else None)


def _show(value: Any, limit: int = MAX_TEXT) -> str:
    """One outside value as one safe line of at most ``limit`` characters."""
    if isinstance(value, Mapping):
        text = " ".join(f"{k}:{v}" for k, v in value.items())
    else:
        text = str(value)
    text = printable(text, one_line=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show_list(values: Sequence[Any]) -> list[str]:
    lines = [f"  - {_show(v)}" for v in values[:MAX_SHOWN]]
    if len(values) > MAX_SHOWN:
        more = len(values) - MAX_SHOWN
        lines.append(f"  … 另有 {more} 项 / {more} more")
    return lines


def _job_facts(job: Mapping[str, Any]) -> dict[str, Any]:
    return {"job_id": _job_id(job), "profile": job.get("profile"), "ended": job.get("ended")}


def _check(job: Mapping[str, Any]) -> None:
    if not isinstance(job, Mapping) or "records" not in job:
        raise ValueError("a job summary is a mapping with at least a 'records' count")


# --- rules ---------------------------------------------------------------------------

Rule = Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]], AlertConfig], list[Alert]]


def new_operator(
    job: Mapping[str, Any], history: Sequence[Mapping[str, Any]], config: AlertConfig
) -> list[Alert]:
    """One alert per operator first seen in this job with enough ads."""
    alerts = []
    for op in job.get("new_operators") or ():
        count = int(op.get("ad_count") or 0)
        if count < config.new_operator_min_ads:
            continue
        op_id = str(op.get("id", ""))
        contacts = list(op.get("contacts") or ())
        platforms = list(op.get("platforms") or ())
        shown = _show(op_id, 80)
        body = [
            f"本次任务首次发现运营者 {shown}，关联 {count} 条广告。",
            f"Operator {shown} was first seen in this job, linked to {count} ads.",
            f"平台 / Platforms: {_show(', '.join(map(str, platforms))) or '-'}",
            f"联系方式 / Contacts ({len(contacts)}):",
            *_show_list(contacts),
        ]
        alerts.append(
            Alert(
                kind="new_operator",
                severity=WARNING,
                title=f"{KIND_LABELS['new_operator']}: {shown} ({count} 条广告 / ads)",
                body="\n".join(body),
                facts={
                    **_job_facts(job),
                    "operator_id": op.get("id"),
                    "ad_count": count,
                    "contacts": contacts,
                    "platforms": platforms,
                    "min_ads": config.new_operator_min_ads,
                },
                key=op_id,
            )
        )
    return alerts


def new_ads_spike(
    job: Mapping[str, Any], history: Sequence[Mapping[str, Any]], config: AlertConfig
) -> list[Alert]:
    """New ads above ``max(min, factor × median of earlier jobs)``; silent with no
    earlier job that stored records."""
    new = _count(job, "new_ads")
    baseline = [
        _count(h, "new_ads")
        for h in _previous(job, history, config.history_jobs)
        if _count(h, "records") > 0
    ]
    if not baseline:
        return []
    median = float(statistics.median(baseline))
    threshold = max(float(config.spike_min_new_ads), config.spike_factor * median)
    if new <= threshold:
        return []
    profile = _show(job.get("profile", ""), 80)
    body = [
        f"本次任务发现 {new} 条新广告，前 {len(baseline)} 次任务的中位数为 {median:g}"
        f"（阈值 {threshold:g}）。",
        f"This job found {new} new ads; the median of the previous {len(baseline)} jobs "
        f"was {median:g} (threshold {threshold:g}).",
        f"广告总数 / Ads: {_count(job, 'ads')}   消失 / Gone: {_count(job, 'gone_ads')}",
    ]
    return [
        Alert(
            kind="new_ads_spike",
            severity=WARNING,
            title=f"{KIND_LABELS['new_ads_spike']}: {profile} {new} 条新广告 / new ads",
            body="\n".join(body),
            facts={
                **_job_facts(job),
                "new_ads": new,
                "median": median,
                "threshold": threshold,
                "baseline_jobs": len(baseline),
                "factor": config.spike_factor,
                "min_new_ads": config.spike_min_new_ads,
            },
            key=str(job.get("profile", "")),
        )
    ]


def platform_blocking(
    job: Mapping[str, Any], history: Sequence[Mapping[str, Any]], config: AlertConfig
) -> list[Alert]:
    """Platforms that start blocking, or block every page."""
    previous = _previous(job, history, config.history_jobs)
    alerts = []
    for platform in sorted(_crawled(job)):
        pages, blocked, rate = _block_rate(job, platform)
        if not blocked or rate is None:
            continue
        rates = [r for h in previous if (r := _block_rate(h, platform)[2]) is not None]
        median = float(statistics.median(rates)) if rates else None
        shown = _show(platform, 80)
        if blocked >= pages:
            severity = CRITICAL
            zh = f"平台 {shown} 本次任务的 {pages} 个页面全部是封锁页，没有一个成功。"
            en = f"Every one of the {pages} pages fetched on {shown} was a block page."
        elif (
            pages >= config.block_min_pages
            and rate >= config.block_rate
            and (median is None or median < config.block_rate)
        ):
            severity = WARNING
            was = "无" if median is None else f"{median:.0%}"
            was_en = "none" if median is None else f"{median:.0%}"
            zh = (
                f"平台 {shown} 开始封锁：{pages} 个页面中 {blocked} 个被封锁（{rate:.0%}），"
                f"此前中位数 {was}。"
            )
            en = (
                f"{shown} started blocking: {blocked} of {pages} pages blocked ({rate:.0%}); "
                f"previous median {was_en}."
            )
        else:
            continue
        alerts.append(
            Alert(
                kind="platform_blocking",
                severity=severity,
                title=f"{KIND_LABELS['platform_blocking']}: {shown} {blocked}/{pages} ({rate:.0%})",
                body=f"{zh}\n{en}",
                facts={
                    **_job_facts(job),
                    "platform": platform,
                    "pages": pages,
                    "blocked": blocked,
                    "rate": rate,
                    "previous_median": median,
                    "previous_jobs": len(rates),
                    "threshold": config.block_rate,
                },
                key=platform,
            )
        )
    return alerts


# the notes of a job stopped by a person: Scrapy's reason for a stop signal,
# and what `jobs.running` records for a KeyboardInterrupt
STOPPED_BY_HAND = frozenset({"shutdown", "Ctrl-C"})


def empty_crawl(
    job: Mapping[str, Any], history: Sequence[Mapping[str, Any]], config: AlertConfig
) -> list[Alert]:
    """A job with no records at all, or platforms that stopped returning records."""
    if _kind(job) != "crawl":
        return []  # a re-check revisits known ads; finding none is not a crawl failure
    if job.get("status") == "interrupted" and job.get("note") in STOPPED_BY_HAND:
        return []  # Ctrl-C, or the scheduler was stopped: it measured nothing
    profile = str(job.get("profile", ""))
    shown = _show(profile, 80)
    records = _count(job, "records")
    if records == 0:
        pages, errors = _count(job, "pages"), _count(job, "errors")
        blocked = sum(_blocks(job).values())
        if pages == 0:
            zh, en = (
                "没有抓取到任何页面（网络、代理或站点故障？）。",
                "No page was fetched at all (network, proxy or site down?).",
            )
        else:
            zh = f"抓取了 {pages} 个页面（其中 {blocked} 个封锁页），但没有得到任何记录。"
            en = f"{pages} pages fetched ({blocked} of them block pages) but no record came out."
        return [
            Alert(
                kind="empty_crawl",
                severity=CRITICAL,
                title=f"{KIND_LABELS['empty_crawl']}: {shown} 无记录 / no records",
                body=f"任务 {shown} {zh}\nJob of profile {shown}: {en}\n错误 / Errors: {errors}",
                facts={
                    **_job_facts(job),
                    "pages": pages,
                    "records": 0,
                    "blocked": blocked,
                    "errors": errors,
                    "platforms": sorted(_crawled(job)),
                },
                key=profile,
            )
        ]
    if "records_by_platform" not in job:
        return []
    counts = _per_platform(job, "records_by_platform")
    previous = [h for h in _previous(job, history, len(history)) if "records_by_platform" in h]
    alerts = []
    for platform in sorted(_crawled(job)):
        if counts.get(platform, 0) > 0:
            continue
        before = next((h for h in previous if platform in _crawled(h)), None)
        if before is None:
            continue
        had = _per_platform(before, "records_by_platform").get(platform, 0)
        if had <= 0:
            continue
        name = _show(platform, 80)
        pages, blocked, _ = _block_rate(job, platform)
        alerts.append(
            Alert(
                kind="empty_crawl",
                severity=WARNING,
                title=f"{KIND_LABELS['empty_crawl']}: {name} 无记录 / no records",
                body=(
                    f"平台 {name} 本次没有返回记录（{pages} 个页面，{blocked} 个封锁页），"
                    f"上次任务有 {had} 条。\n"
                    f"{name} returned no records this job ({pages} pages, {blocked} blocked); "
                    f"the previous job that crawled it had {had}."
                ),
                facts={
                    **_job_facts(job),
                    "platform": platform,
                    "pages": pages,
                    "blocked": blocked,
                    "previous_records": had,
                    "previous_job_id": _job_id(before),
                },
                key=f"{profile}/{platform}",
            )
        )
    return alerts


def field_coverage(
    job: Mapping[str, Any], history: Sequence[Mapping[str, Any]], config: AlertConfig
) -> list[Alert]:
    """One alert per platform and field whose share of records fell below the
    profile's threshold at spider close."""
    alerts = []
    for verdict in (job.get("monitors") or {}).values():
        if not isinstance(verdict, Mapping):
            continue
        for failure in verdict.get("coverage_failures") or ():
            platform, name = str(failure.get("platform", "")), str(failure.get("field", ""))
            share = float(failure.get("share") or 0)
            threshold = float(failure.get("threshold") or 0)
            records = int(failure.get("records") or 0)
            where, what = _show(platform, 80), _show(name, 40)
            body = [
                f"平台 {where} 本次 {records} 条记录中只有 {share:.0%} 有 {what} 字段"
                f"（阈值 {threshold:.0%}）：站点可能改了页面结构，选择器不再匹配。",
                f"Only {share:.0%} of the {records} records from {where} have the field {what} "
                f"(threshold {threshold:.0%}): the site may have changed its markup and "
                "the profile's selector no longer matches.",
            ]
            alerts.append(
                Alert(
                    kind="field_coverage",
                    severity=WARNING,
                    title=f"{KIND_LABELS['field_coverage']}: {where} {what} {share:.0%}",
                    body="\n".join(body),
                    facts={
                        **_job_facts(job),
                        "platform": platform,
                        "field": name,
                        "share": share,
                        "threshold": threshold,
                        "records": records,
                    },
                    key=f"{platform}/{name}",
                )
            )
    return alerts


def session_expired(
    job: Mapping[str, Any], history: Sequence[Mapping[str, Any]], config: AlertConfig
) -> list[Alert]:
    """One alert per platform whose login was found gone during the job."""
    alerts = []
    for verdict in (job.get("monitors") or {}).values():
        if not isinstance(verdict, Mapping):
            continue
        for platform, reason in sorted((verdict.get("session_expired") or {}).items()):
            where, why = _show(platform, 80), _show(reason, 300)
            body = [
                f"平台 {where} 的登录已失效（{why}），本次抓取已停止该平台，没有以未登录状态继续。"
                f"请重新登录：adwatch login {where}",
                f"The {where} session has expired ({why}); the crawl stopped the platform "
                f"instead of crawling on logged out. Log in again: adwatch login {where}",
            ]
            alerts.append(
                Alert(
                    kind="session_expired",
                    severity=CRITICAL,
                    title=f"{KIND_LABELS['session_expired']}: {where}",
                    body="\n".join(body),
                    facts={**_job_facts(job), "platform": str(platform), "reason": str(reason)},
                    key=str(platform),
                )
            )
    return alerts


RULES: dict[str, Rule] = {
    "new_operator": new_operator,
    "new_ads_spike": new_ads_spike,
    "platform_blocking": platform_blocking,
    "empty_crawl": empty_crawl,
    "field_coverage": field_coverage,
    "session_expired": session_expired,
}


def evaluate(
    job: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] = (),
    config: AlertConfig | None = None,
) -> list[Alert]:
    """Every alert the enabled rules find in ``job`` given ``history`` (newest
    first); none for a job still running or skipped."""
    config = config or AlertConfig()
    _check(job)
    for h in history:
        _check(h)
    if job.get("status") in IGNORED_STATUSES:
        return []
    return [alert for name in config.rules for alert in RULES[name](job, history, config)]


# --- rendering -----------------------------------------------------------------------


def _worst(alerts: Sequence[Alert]) -> str:
    ranks = [SEVERITIES.index(a.severity) if a.severity in SEVERITIES else 1 for a in alerts]
    return SEVERITIES[max(ranks, default=0)]


def render_subject(alerts: Sequence[Alert]) -> str:
    """One safe line: the worst severity and what the alerts are about."""
    label = SEVERITY_LABELS[_worst(alerts)]
    if len(alerts) == 1:
        text = f"[adwatch] {label} {alerts[0].title}"
    else:
        kinds = Counter(KIND_LABELS.get(a.kind, a.kind) for a in alerts)
        what = ", ".join(f"{k} ×{n}" for k, n in kinds.items())
        text = f"[adwatch] {label} {len(alerts)} 条告警 / alerts: {what}"
    return _show(text, 240)


FOOTER = (
    "此邮件由 adwatch 自动发送。联系方式和广告文字来自被监测的网页，只作数据显示，"
    "控制字符已转义；请勿直接拨打、添加或点击。\n"
    "Sent by adwatch. Contacts and ad text come from the pages being watched and are "
    "shown as data, control characters escaped; do not call, add or open them directly."
)


def render_text(alerts: Sequence[Alert]) -> str:
    """The plain-text body of one message about ``alerts``, Chinese and English."""
    lines = ["adwatch 告警 / adwatch alerts", ""]
    jobs: dict[tuple[str, str], None] = {}
    for a in alerts:
        jobs[(_show(a.facts.get("profile", "")), _show(a.facts.get("job_id", "")))] = None
    for profile, job_id in jobs:
        lines.append(f"任务 / Job: {job_id}   配置 / Profile: {profile}")
    lines.append(f"共 {len(alerts)} 条告警 / {len(alerts)} alert(s)")
    for i, a in enumerate(alerts, 1):
        label = SEVERITY_LABELS.get(a.severity, _show(a.severity, 20))
        lines += ["", f"[{i}] {label} · {_show(a.kind, 40)}", _show(a.title, 300)]
        lines += ["    " + line for line in printable(a.body).splitlines()]
    lines += ["", "-- ", FOOTER, ""]
    return "\n".join(lines)


def render_json(alerts: Sequence[Alert], now: datetime | None = None) -> bytes:
    """The webhook body: ASCII-only JSON (every outside character escaped)."""
    payload = {
        "source": SOURCE,
        "sent": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "alerts": [a.to_dict() for a in alerts],
    }
    return json.dumps(payload, ensure_ascii=True, default=str).encode("ascii")


# --- channels ------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifyResult:
    """How one message on one channel went; ``detail`` is safe to print."""

    notifier: str
    ok: bool
    attempts: int
    detail: str
    status: int | None = None


class Notifier(Protocol):
    name: str

    def send(self, alerts: Sequence[Alert]) -> NotifyResult: ...


def _backoff(backoff: float, attempt: int) -> float:
    return float(min(backoff * 2 ** (attempt - 1), 60.0))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would re-send the bearer token to wherever it points: refuse."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookNotifier:
    """POST the alerts as JSON to ``url``; retries 5xx, 429, timeouts and connection
    errors ``retries`` times with exponential backoff; never raises."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 1.0,
        name: str = "webhook",
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AlertConfigError(f"ADWATCH_ALERT_WEBHOOK_URL must be an http(s) URL, got {url!r}")
        self.url = url
        self.token = token or None
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.name = name
        self._sleep = sleep
        handlers: list[Any] = [_NoRedirect()]
        if ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
        self._opener = urllib.request.build_opener(*handlers)
        # webhook URLs often carry a secret in the path or query: log the origin only
        self.origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"

    def request(self, alerts: Sequence[Alert]) -> urllib.request.Request:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "adwatch-alerts/1",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return urllib.request.Request(
            self.url, data=render_json(alerts), headers=headers, method="POST"
        )

    def send(self, alerts: Sequence[Alert]) -> NotifyResult:
        attempt, status, detail = 0, None, ""
        try:
            req = self.request(alerts)
            for attempt in range(1, self.retries + 2):
                retry = True
                try:
                    with self._opener.open(req, timeout=self.timeout) as resp:
                        status = int(resp.status)
                        resp.read(4096)
                    if 200 <= status < 300:
                        return NotifyResult(self.name, True, attempt, f"HTTP {status}", status)
                    detail, retry = f"HTTP {status}", False
                except urllib.error.HTTPError as e:
                    status = e.code
                    detail = f"HTTP {e.code} {_show(e.reason, 80)}"
                    retry = e.code >= 500 or e.code == 429
                    e.close()
                except urllib.error.URLError as e:
                    detail = _show(e.reason, 200)
                except (OSError, http.client.HTTPException) as e:
                    detail = _show(f"{type(e).__name__}: {e}", 200)
                if not retry or attempt > self.retries:
                    break
                self._sleep(_backoff(self.backoff, attempt))
        except Exception as e:  # a channel must never break the job that alerts
            detail = _show(f"{type(e).__name__}: {e}", 200)
        logger.warning(
            "alert webhook %s failed after %d attempt(s): %s", self.origin, attempt, detail
        )
        return NotifyResult(self.name, False, attempt, detail, status)


SECURITY_MODES = {"starttls": 587, "ssl": 465, "none": 25}


class SmtpNotifier:
    """One plain-text mail per batch through an SMTP server (STARTTLS, implicit TLS
    or plain); retries connection errors and 4xx replies; never raises.  STARTTLS
    is required when asked for: no fall-back to plain text."""

    def __init__(
        self,
        host: str,
        *,
        sender: str,
        recipients: Sequence[str],
        port: int = 0,
        security: str = "starttls",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 1.0,
        name: str = "smtp",
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if security not in SECURITY_MODES:
            raise AlertConfigError(
                f"ADWATCH_ALERT_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, "
                f"got {security!r}"
            )
        if not host:
            raise AlertConfigError("ADWATCH_ALERT_SMTP_HOST is empty")
        if not parseaddr(sender)[1] or "@" not in parseaddr(sender)[1]:
            raise AlertConfigError(f"ADWATCH_ALERT_SMTP_FROM must be an address, got {sender!r}")
        recipients = [r.strip() for r in recipients if r.strip()]
        if not recipients:
            raise AlertConfigError("ADWATCH_ALERT_SMTP_TO names no recipient")
        bad = [r for r in recipients if "@" not in parseaddr(r)[1]]
        if bad:
            raise AlertConfigError(f"ADWATCH_ALERT_SMTP_TO has no address in {bad!r}")
        self.host = host
        self.port = port or SECURITY_MODES[security]
        self.security = security
        self.user = user or None
        self.password = password or ""
        self.sender = sender
        self.recipients = recipients
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.name = name
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname
        self._sleep = sleep

    def message(self, alerts: Sequence[Alert]) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = render_subject(alerts)
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "adwatch.invalid"
        msg["Message-ID"] = make_msgid("adwatch", domain=domain)
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(render_text(alerts), subtype="plain", charset="utf-8")
        return msg

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        if self.security == "ssl":
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=context,
            )
        smtp = smtplib.SMTP(
            self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
        )
        try:
            if self.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _deliver(self, msg: EmailMessage) -> str:
        with self._connect() as smtp:
            if self.user:
                smtp.login(self.user, self.password)
            # bare envelope addresses: a display name ("adwatch 监测 <a@b>") must not
            # make smtplib think the mail needs SMTPUTF8 and send raw UTF-8 headers
            refused = smtp.send_message(
                msg,
                from_addr=parseaddr(self.sender)[1],
                to_addrs=[parseaddr(r)[1] for r in self.recipients],
            )
        if refused:
            return "refused: " + _show(", ".join(refused), 200)
        return "accepted"

    def send(self, alerts: Sequence[Alert]) -> NotifyResult:
        attempt, status, detail = 0, None, ""
        try:
            msg = self.message(alerts)
            for attempt in range(1, self.retries + 2):
                retry = True
                try:
                    return NotifyResult(self.name, True, attempt, self._deliver(msg), 250)
                except smtplib.SMTPRecipientsRefused as e:
                    codes = [code for code, _ in e.recipients.values()]
                    status = codes[0] if codes else None
                    detail = "all recipients refused: " + _show(e.recipients, 200)
                    retry = all(400 <= c < 500 for c in codes)
                except smtplib.SMTPResponseException as e:
                    status = e.smtp_code
                    error = e.smtp_error
                    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
                    detail = f"SMTP {e.smtp_code} {_show(text, 160)}"
                    retry = 400 <= e.smtp_code < 500
                except smtplib.SMTPServerDisconnected as e:
                    detail = _show(f"disconnected: {e}", 200)
                except (smtplib.SMTPException, ssl.SSLError, ValueError) as e:
                    detail, retry = _show(f"{type(e).__name__}: {e}", 200), False
                except OSError as e:
                    detail = _show(f"{type(e).__name__}: {e}", 200)
                if not retry or attempt > self.retries:
                    break
                self._sleep(_backoff(self.backoff, attempt))
        except Exception as e:  # a channel must never break the job that alerts
            detail = _show(f"{type(e).__name__}: {e}", 200)
        logger.warning(
            "alert mail via %s:%d failed after %d attempt(s): %s",
            _show(self.host, 80),
            self.port,
            attempt,
            detail,
        )
        return NotifyResult(self.name, False, attempt, detail, status)


def notifiers_from_settings(
    settings: _Settings, environ: Mapping[str, str] | None = None
) -> list[Notifier]:
    """The channels ADWATCH_ALERT_* settings configure (none when neither
    ADWATCH_ALERT_WEBHOOK_URL nor ADWATCH_ALERT_SMTP_HOST is set).  Secrets come
    from the environment only: ADWATCH_ALERT_WEBHOOK_TOKEN, ADWATCH_ALERT_SMTP_PASSWORD."""
    env = os.environ if environ is None else environ
    timeout = _float(settings, "ADWATCH_ALERT_TIMEOUT", 10.0, 0.0, strict=True)
    retries = _int(settings, "ADWATCH_ALERT_RETRIES", 3, 0)
    backoff = _float(settings, "ADWATCH_ALERT_BACKOFF", 1.0, 0.0)
    notifiers: list[Notifier] = []
    url = str(given(settings, "ADWATCH_ALERT_WEBHOOK_URL") or "")
    if url:
        notifiers.append(
            WebhookNotifier(
                url,
                token=env.get("ADWATCH_ALERT_WEBHOOK_TOKEN") or None,
                timeout=timeout,
                retries=retries,
                backoff=backoff,
            )
        )
    host = str(given(settings, "ADWATCH_ALERT_SMTP_HOST") or "")
    if host:
        to = given(settings, "ADWATCH_ALERT_SMTP_TO") or ""
        recipients = to.split(",") if isinstance(to, str) else [str(r) for r in to]
        notifiers.append(
            SmtpNotifier(
                host,
                port=_int(settings, "ADWATCH_ALERT_SMTP_PORT", 0, 0),
                security=str(given(settings, "ADWATCH_ALERT_SMTP_SECURITY") or "starttls"),
                user=str(given(settings, "ADWATCH_ALERT_SMTP_USER") or "") or None,
                password=env.get("ADWATCH_ALERT_SMTP_PASSWORD") or None,
                sender=str(given(settings, "ADWATCH_ALERT_SMTP_FROM") or ""),
                recipients=recipients,
                timeout=timeout,
                retries=retries,
                backoff=backoff,
            )
        )
    return notifiers


# --- sending with dedup --------------------------------------------------------------


@dataclass
class NotifyReport:
    """What :func:`notify` did: per channel, what went out and what was held back
    as already sent within the window."""

    results: list[NotifyResult] = field(default_factory=list)
    sent: dict[str, list[Alert]] = field(default_factory=dict)
    suppressed: dict[str, list[Alert]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


STATE_VERSION = 1


def _load_state(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        logger.warning("alert state %s unreadable, starting afresh: %s", path, _show(e))
        return {}
    sent = data.get("sent") if isinstance(data, dict) else None
    if not isinstance(sent, dict):
        logger.warning("alert state %s has no 'sent' table, starting afresh", path)
        return {}
    return {
        str(channel): {str(k): str(v) for k, v in entries.items()}
        for channel, entries in sent.items()
        if isinstance(entries, dict)
    }


def _save_state(path: Path, state: Mapping[str, Mapping[str, str]]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps({"version": STATE_VERSION, "sent": state}, ensure_ascii=True, indent=1)
    try:
        tmp.write_text(text + "\n", encoding="ascii")
        os.replace(tmp, path)
    except OSError as e:
        logger.error("alert state %s not saved (alerts may repeat): %s", path, _show(e))
        tmp.unlink(missing_ok=True)


def _within(stamp: str | None, now: datetime, window: timedelta) -> bool:
    if not stamp:
        return False
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return now - when < window


def notify(
    alerts: Iterable[Alert],
    notifiers: Sequence[Notifier],
    *,
    state_path: Path | str | None = None,
    window: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> NotifyReport:
    """Send ``alerts`` as one message per channel, leaving out, per channel, any
    alert (``kind:key``) that channel delivered within ``window`` according to the
    JSON file ``state_path`` (no dedup across calls when None).  A channel that
    fails records nothing, so its alerts go out next time.  Never raises for a
    channel or state-file failure: they are logged and in the report."""
    now = now or datetime.now(UTC)
    batch: dict[str, Alert] = {}
    for alert in alerts:
        batch.setdefault(alert.dedup_key, alert)
    report = NotifyReport()
    if not batch or not notifiers:
        return report
    path = Path(state_path) if state_path is not None else None
    with ExitStack() as stack:
        state: dict[str, dict[str, str]] = {}
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                stack.enter_context(exclusive(path.with_name(path.name + ".lock")))
            except OSError as e:
                logger.error("alert state lock %s: %s", path, _show(e))
            state = _load_state(path)
        for notifier in notifiers:
            seen = state.setdefault(notifier.name, {})
            fresh = [a for k, a in batch.items() if not _within(seen.get(k), now, window)]
            fresh_keys = {a.dedup_key for a in fresh}
            report.suppressed[notifier.name] = [a for k, a in batch.items() if k not in fresh_keys]
            report.sent[notifier.name] = []
            if not fresh:
                continue
            result = notifier.send(fresh)
            report.results.append(result)
            if result.ok:
                report.sent[notifier.name] = fresh
                stamp = now.isoformat(timespec="seconds")
                seen.update((a.dedup_key, stamp) for a in fresh)
        if path is not None:
            kept = {
                channel: {k: v for k, v in entries.items() if _within(v, now, window)}
                for channel, entries in state.items()
            }
            _save_state(path, {c: e for c, e in kept.items() if e})
    return report
