"""Alerts (crawler/running/alerts.py): the five rules on job summaries, their settings,
and delivery against real receivers on 127.0.0.1 — an http.server that records
what the webhook sends, and an aiosmtpd SMTP server (plain, STARTTLS with AUTH,
implicit TLS) that records the mail — plus the dedup window across calls."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ipaddress
import json
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from scrapy.settings import Settings

from crawler.running.alerts import (
    Alert,
    AlertConfig,
    AlertConfigError,
    SmtpNotifier,
    WebhookNotifier,
    empty_crawl,
    evaluate,
    field_coverage,
    new_ads_spike,
    new_operator,
    notifiers_from_settings,
    notify,
    platform_blocking,
)
from crawler.running.jobs import Job

CFG = AlertConfig()
# written by the people adwatch watches: an ANSI title rewrite, a bidi override,
# a zero-width joiner, a header-injection attempt and a line separator
HOSTILE = "wx:\x1b]0;pwned\x07evil\u202egnp.exe\u200d"
HOSTILE_ID = "op-9\r\nBcc: victim@example.org\u2028X"


def job(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "job_id": "j-now",
        "profile": "demo",
        "started": "2025-01-08T03:00:00+00:00",
        "ended": "2025-01-08T03:05:00+00:00",
        "pages": 100,
        "records": 50,
        "ads": 20,
        "new_ads": 3,
        "gone_ads": 1,
        "errors": 0,
        "blocked": {},
        "pages_by_platform": {"baidu": 60, "xianyu": 40},
        "records_by_platform": {"baidu": 30, "xianyu": 20},
        "new_operators": [],
    }
    base.update(kw)
    return base


def past(n: int, **kw: Any) -> list[dict[str, Any]]:
    """``n`` earlier jobs, newest first."""
    return [job(job_id=f"j-{i}", **kw) for i in range(n)]


# --- new_operator --------------------------------------------------------------------


def test_new_operator_fires_from_min_ads_without_history() -> None:
    ops = [
        {"id": "op-1", "ad_count": 2, "contacts": ["13800138000"], "platforms": ["baidu"]},
        {"id": "op-2", "ad_count": 1, "contacts": ["qq:1"], "platforms": ["baidu"]},
        {"id": "op-3", "ad_count": 7, "contacts": [], "platforms": []},
    ]
    alerts = new_operator(job(new_operators=ops), [], CFG)
    assert [a.key for a in alerts] == ["op-1", "op-3"]
    a = alerts[0]
    assert (a.kind, a.severity, a.dedup_key) == ("new_operator", "warning", "new_operator:op-1")
    assert "新运营者" in a.title and "New operator" in a.title and "op-1" in a.title
    assert "13800138000" in a.body and "首次发现" in a.body and "first seen" in a.body
    assert a.facts["ad_count"] == 2 and a.facts["contacts"] == ["13800138000"]
    assert a.facts["job_id"] == "j-now" and a.facts["profile"] == "demo"
    assert new_operator(job(new_operators=ops), [], AlertConfig(new_operator_min_ads=3))[0].key == (
        "op-3"
    )
    assert new_operator(job(), [], CFG) == []
    assert new_operator(job(new_operators=None), [], CFG) == []


def test_new_operator_text_is_safe_and_facts_keep_the_raw_values() -> None:
    contacts = [HOSTILE, *(f"c{i}" for i in range(30))]
    op = {"id": HOSTILE_ID, "ad_count": 3, "contacts": contacts, "platforms": ["baidu"]}
    (a,) = new_operator(job(new_operators=[op]), [], CFG)
    for text in (a.title, a.body):
        for bad in ("\x1b", "\x07", "\u202e", "\u200d", "\r", "\u2028"):
            assert bad not in text
    assert "\n" not in a.title
    assert "\\x1b" in a.body and "\\u202e" in a.body and "\\x0d" in a.title
    assert "11 more" in a.body  # 31 contacts, 20 shown
    assert a.facts["contacts"][0] == HOSTILE and a.facts["operator_id"] == HOSTILE_ID


# --- new_ads_spike -------------------------------------------------------------------


def test_spike_stays_silent_without_history() -> None:
    assert new_ads_spike(job(new_ads=500), [], CFG) == []
    # the job itself in its history is not a baseline
    assert new_ads_spike(job(new_ads=500), [job(new_ads=0)], CFG) == []


def test_spike_threshold_is_max_of_min_count_and_factor_times_median() -> None:
    small = past(3, new_ads=2)  # median 2: 3 × 2 = 6 < min 10
    assert new_ads_spike(job(new_ads=10), small, CFG) == []
    (a,) = new_ads_spike(job(new_ads=11), small, CFG)
    assert (a.kind, a.key, a.severity) == ("new_ads_spike", "demo", "warning")
    assert a.facts["threshold"] == 10 and a.facts["median"] == 2 and a.facts["baseline_jobs"] == 3
    assert "11" in a.title and "新广告" in a.body and "median" in a.body
    big = [job(job_id="a", new_ads=8), job(job_id="b", new_ads=10), job(job_id="c", new_ads=30)]
    assert new_ads_spike(job(new_ads=30), big, CFG) == []  # median 10 → 30
    assert new_ads_spike(job(new_ads=31), big, CFG)[0].facts["threshold"] == 30
    # one earlier job is enough: the median of what there is
    assert new_ads_spike(job(new_ads=16), past(1, new_ads=5), CFG)
    assert new_ads_spike(job(new_ads=15), past(1, new_ads=5), CFG) == []


def test_spike_baseline_is_the_k_newest_jobs_that_stored_records() -> None:
    history = past(7, new_ads=1) + past(10, new_ads=100)  # old big jobs beyond K=7
    assert new_ads_spike(job(new_ads=11), history, CFG)
    assert new_ads_spike(job(new_ads=11), history, AlertConfig(history_jobs=17)) == []
    empties = past(5, new_ads=0, records=0) + past(3, new_ads=10)
    # empty jobs measured nothing: the median is 10, not 0
    assert new_ads_spike(job(new_ads=25), empties, CFG) == []
    assert new_ads_spike(job(new_ads=31), empties, CFG)


# --- platform_blocking ---------------------------------------------------------------


def test_blocking_fires_when_a_platform_starts_blocking() -> None:
    now = job(blocked={"baidu": 30}, pages_by_platform={"baidu": 100, "xianyu": 40})
    calm = past(3, blocked={"baidu": 2}, pages_by_platform={"baidu": 100})
    (a,) = platform_blocking(now, calm, CFG)
    assert (a.kind, a.key, a.severity) == ("platform_blocking", "baidu", "warning")
    assert a.facts["rate"] == 0.3 and a.facts["previous_median"] == 0.02
    assert "30/100" in a.title and "开始封锁" in a.body and "started blocking" in a.body
    below = job(blocked={"baidu": 29}, pages_by_platform={"baidu": 100})
    assert platform_blocking(below, calm, CFG) == []
    # no earlier job crawled it: reported
    assert platform_blocking(now, [], CFG)[0].facts["previous_median"] is None


def test_blocking_already_usual_or_too_few_pages_is_not_news() -> None:
    now = job(blocked={"baidu": 50}, pages_by_platform={"baidu": 100})
    usual = past(3, blocked={"baidu": 40}, pages_by_platform={"baidu": 100})
    assert platform_blocking(now, usual, CFG) == []
    few = job(blocked={"baidu": 1}, pages_by_platform={"baidu": 2})
    assert platform_blocking(few, [], CFG) == []
    assert platform_blocking(few, [], AlertConfig(block_min_pages=2))
    # earlier jobs that fetched nothing on it are no baseline
    nothing = past(3, blocked={}, pages_by_platform={"baidu": 0})
    assert platform_blocking(now, nothing, CFG)[0].facts["previous_jobs"] == 0


def test_blocking_everything_is_critical_whatever_the_history() -> None:
    always = past(3, blocked={"xianyu": 10}, pages_by_platform={"xianyu": 10})
    now = job(blocked={"xianyu": 8}, pages_by_platform={"baidu": 50, "xianyu": 8})
    (a,) = platform_blocking(now, always, CFG)
    assert (a.key, a.severity, a.facts["rate"]) == ("xianyu", "critical", 1.0)
    assert "全部" in a.body and "Every one" in a.body
    # blocks counted but no page count for the platform: zero successful pages
    (b,) = platform_blocking(job(blocked={"xianyu": 1}, pages_by_platform={}), [], CFG)
    assert (b.severity, b.facts["pages"]) == ("critical", 1)


def test_blocking_with_zero_pages_or_no_blocks_is_silent() -> None:
    assert platform_blocking(job(pages=0, pages_by_platform={}, blocked={}), [], CFG) == []
    assert platform_blocking(job(pages_by_platform={"baidu": 0}), [], CFG) == []
    assert platform_blocking(job(), past(3), CFG) == []


def test_blocking_reads_the_job_history_row_shape() -> None:
    row = Job(profile="demo", kind="crawl", pages=40, records=9, blocked=20)
    row.pages_by_platform = {"baidu": 40}
    row.blocked_by_platform = {"baidu": 20}
    row.records_by_platform = {"baidu": 9}
    (a,) = evaluate(row.finish("finished").to_dict(), [], CFG)
    assert (a.kind, a.key, a.facts["job_id"]) == ("platform_blocking", "baidu", row.id)


# --- field_coverage ------------------------------------------------------------------


def test_field_coverage_alerts_per_platform_and_field_named() -> None:
    failure = {"platform": "baidu", "field": "author", "share": 0.0, "threshold": 0.5}
    monitors = {
        "search": {
            "failed": ["coverage:baidu.author"],
            "coverage_failures": [failure | {"records": 40}],
        },
        "video": {"failed": [], "coverage_failures": []},
    }
    (a,) = field_coverage(job(monitors=monitors), [], CFG)
    assert (a.kind, a.key, a.severity) == ("field_coverage", "baidu/author", "warning")
    assert "baidu author 0%" in a.title and "40 records from baidu have the field author" in a.body
    assert a.facts["threshold"] == 0.5 and a.facts["field"] == "author"
    assert field_coverage(job(), [], CFG) == []  # no monitors: nothing to say
    assert [x.kind for x in evaluate(job(monitors=monitors), [])] == ["field_coverage"]
    hostile = {"search": {"coverage_failures": [failure | {"platform": HOSTILE}]}}
    (h,) = field_coverage(job(monitors=hostile), [], CFG)
    assert "\x1b" not in h.title + h.body and "\u202e" not in h.title + h.body


# --- empty_crawl ---------------------------------------------------------------------


def test_empty_crawl_with_no_pages_and_with_pages_but_no_records() -> None:
    (a,) = empty_crawl(
        job(pages=0, records=0, pages_by_platform={}, records_by_platform={}), [], CFG
    )
    assert (a.kind, a.key, a.severity) == ("empty_crawl", "demo", "critical")
    assert "没有抓取到任何页面" in a.body and "No page was fetched" in a.body
    (b,) = empty_crawl(job(records=0, blocked={"baidu": 7}), [], CFG)
    assert "100" in b.body and "no record came out" in b.body and b.facts["blocked"] == 7
    assert b.facts["platforms"] == ["baidu", "xianyu"]


def test_empty_crawl_per_platform_only_when_it_returned_records_before() -> None:
    now = job(records_by_platform={"baidu": 30, "xianyu": 0})
    (a,) = empty_crawl(now, past(2), CFG)
    assert (a.key, a.severity, a.facts["previous_records"]) == ("demo/xianyu", "warning", 20)
    assert a.facts["previous_job_id"] == "j-0"
    # the newest earlier job that crawled it counts: empty then too → no alert
    was_empty = [job(job_id="p", records_by_platform={"baidu": 3, "xianyu": 0}), *past(2)]
    assert empty_crawl(now, was_empty, CFG) == []
    # an earlier job that did not crawl xianyu is skipped over
    skipped = [job(job_id="p", pages_by_platform={"baidu": 3}, records_by_platform={"baidu": 3})]
    assert empty_crawl(now, skipped + past(1), CFG)[0].facts["previous_job_id"] == "j-0"
    assert empty_crawl(now, [], CFG) == []  # nothing to compare with
    # a platform missing from records_by_platform but fetched is a platform with none
    missing = job(records_by_platform={"baidu": 30})
    assert [a.key for a in empty_crawl(missing, past(1), CFG)] == ["demo/xianyu"]
    assert empty_crawl(job(), past(1), CFG) == []


def test_empty_crawl_leaves_rechecks_and_summaries_without_platform_counts() -> None:
    assert empty_crawl(job(kind="recheck", records=0), [], CFG) == []
    # a crawl stopped with Ctrl-C in its first seconds has no records and is no failure
    stopped = job(records=0, pages=0, status="interrupted", note="shutdown")
    assert empty_crawl(stopped, [], CFG) == []
    assert empty_crawl({**stopped, "note": "Ctrl-C"}, [], CFG) == []
    # the memory cap or an error count also leave a job "interrupted": still alerted
    assert empty_crawl({**stopped, "note": "memusage_exceeded"}, [], CFG) != []
    assert empty_crawl(job(records=0, pages=0, status="failed"), [], CFG) != []
    no_counts = job()
    del no_counts["records_by_platform"]
    assert empty_crawl(no_counts, past(2), CFG) == []


# --- evaluate and settings -----------------------------------------------------------


def test_evaluate_runs_enabled_rules_and_skips_skipped_jobs() -> None:
    bad = job(records=0, pages=0, new_operators=[{"id": "op-1", "ad_count": 4}])
    kinds = [a.kind for a in evaluate(bad, past(2))]
    assert kinds == ["new_operator", "empty_crawl"]
    only = AlertConfig(rules=("empty_crawl",))
    assert [a.kind for a in evaluate(bad, past(2), only)] == ["empty_crawl"]
    assert evaluate({**bad, "status": "skipped"}, past(2)) == []
    # running or skipped rows and other kinds are no baseline
    noise = [job(job_id=f"r{i}", new_ads=0, status="running") for i in range(3)]
    noise += [job(job_id=f"c{i}", new_ads=0, kind="recheck") for i in range(3)]
    assert evaluate(job(new_ads=40), noise + past(3, new_ads=20)) == []
    with pytest.raises(ValueError, match="records"):
        evaluate({"job_id": "x"}, [])


def test_alert_config_from_settings() -> None:
    assert AlertConfig.from_settings({}) == AlertConfig()
    cfg = AlertConfig.from_settings(
        Settings(
            {
                "ADWATCH_ALERT_RULES": "new_operator, empty_crawl",
                "ADWATCH_ALERT_NEW_OPERATOR_MIN_ADS": "3",
                "ADWATCH_ALERT_SPIKE_FACTOR": "2.5",
                "ADWATCH_ALERT_SPIKE_MIN_NEW_ADS": 0,
                "ADWATCH_ALERT_HISTORY_JOBS": "14",
                "ADWATCH_ALERT_BLOCK_RATE": "0.5",
                "ADWATCH_ALERT_BLOCK_MIN_PAGES": "",
                "ADWATCH_ALERT_DEDUP_HOURS": "6",
            }
        )
    )
    assert cfg == AlertConfig(
        rules=("new_operator", "empty_crawl"),
        new_operator_min_ads=3,
        spike_factor=2.5,
        spike_min_new_ads=0,
        history_jobs=14,
        block_rate=0.5,
        block_min_pages=3,
        dedup_hours=6.0,
    )
    assert cfg.dedup_window == timedelta(hours=6)
    for name, value in [
        ("ADWATCH_ALERT_RULES", "new_operator,bogus"),
        ("ADWATCH_ALERT_NEW_OPERATOR_MIN_ADS", "0"),
        ("ADWATCH_ALERT_SPIKE_FACTOR", "0"),
        ("ADWATCH_ALERT_HISTORY_JOBS", "seven"),
        ("ADWATCH_ALERT_BLOCK_RATE", "1.5"),
        ("ADWATCH_ALERT_DEDUP_HOURS", "nan"),
    ]:
        with pytest.raises(AlertConfigError, match=name):
            AlertConfig.from_settings({name: value})


def test_notifiers_from_settings_take_secrets_from_the_environment() -> None:
    assert notifiers_from_settings({}, environ={}) == []
    settings = {
        "ADWATCH_ALERT_WEBHOOK_URL": "https://hooks.example.org/x",
        "ADWATCH_ALERT_SMTP_HOST": "mail.example.org",
        "ADWATCH_ALERT_SMTP_SECURITY": "ssl",
        "ADWATCH_ALERT_SMTP_USER": "alerts",
        "ADWATCH_ALERT_SMTP_FROM": "adwatch <alerts@example.org>",
        "ADWATCH_ALERT_SMTP_TO": "a@example.org, b@example.org",
        "ADWATCH_ALERT_TIMEOUT": "5",
        "ADWATCH_ALERT_RETRIES": "1",
    }
    env = {"ADWATCH_ALERT_WEBHOOK_TOKEN": "tok", "ADWATCH_ALERT_SMTP_PASSWORD": "pw"}
    hook, mail = notifiers_from_settings(settings, environ=env)
    assert isinstance(hook, WebhookNotifier) and isinstance(mail, SmtpNotifier)
    assert (hook.token, hook.timeout, hook.retries) == ("tok", 5.0, 1)
    assert (mail.port, mail.security, mail.user, mail.password) == (465, "ssl", "alerts", "pw")
    assert mail.recipients == ["a@example.org", "b@example.org"]
    for bad in [
        {"ADWATCH_ALERT_WEBHOOK_URL": "file:///etc/passwd"},
        {**settings, "ADWATCH_ALERT_SMTP_SECURITY": "tls"},
        {**settings, "ADWATCH_ALERT_SMTP_TO": " , "},
        {**settings, "ADWATCH_ALERT_SMTP_FROM": "nobody"},
    ]:
        with pytest.raises(AlertConfigError, match="ADWATCH_ALERT_"):
            notifiers_from_settings(bad, environ={})


# --- a recording webhook receiver ----------------------------------------------------


@dataclass
class Hook:
    url: str
    statuses: list[int] = field(default_factory=list)  # replies in order, then 200
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "body": body}
            )
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if status in (301, 302, 307, 308):
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook/SECRET-PATH?access_token=SECRET"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample_alerts() -> list[Alert]:
    op = {"id": "op-7", "ad_count": 4, "contacts": [HOSTILE, "13800138000"], "platforms": ["b"]}
    bad = job(records=0, pages=0, new_operators=[op])
    return evaluate(bad, [])


def test_webhook_posts_json_with_token_and_escaped_outside_text(hook: Hook) -> None:
    alerts = sample_alerts()
    result = WebhookNotifier(hook.url, token="t0ken", timeout=5).send(alerts)
    assert (result.ok, result.attempts, result.status) == (True, 1, 200)
    (req,) = hook.requests
    assert req["path"] == "/hook/SECRET-PATH?access_token=SECRET"
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers["authorization"] == "Bearer t0ken"
    assert headers["content-type"] == "application/json; charset=utf-8"
    raw: bytes = req["body"]
    assert raw.isascii() and b"\x1b" not in raw and b"\x07" not in raw
    payload = json.loads(raw)
    assert payload["source"] == "adwatch" and "sent" in payload
    assert [a["kind"] for a in payload["alerts"]] == ["new_operator", "empty_crawl"]
    first = payload["alerts"][0]
    assert first["facts"]["contacts"][0] == HOSTILE  # data survives, escaped on the wire
    assert "\u202e" not in first["body"] and "\\u202e" in first["body"]
    assert first["title"].startswith("新运营者")
    assert set(first) == {"kind", "severity", "key", "title", "body", "facts"}


def test_webhook_without_token_sends_no_authorization(hook: Hook) -> None:
    assert WebhookNotifier(hook.url).send(sample_alerts()).ok
    assert "authorization" not in {k.lower() for k in hook.requests[0]["headers"]}


def test_webhook_retries_5xx_with_backoff(hook: Hook) -> None:
    hook.statuses = [500, 503]
    waits: list[float] = []
    result = WebhookNotifier(hook.url, retries=3, backoff=0.5, sleep=waits.append).send(
        sample_alerts()
    )
    assert (result.ok, result.attempts) == (True, 3)
    assert waits == [0.5, 1.0] and len(hook.requests) == 3
    assert hook.requests[0]["body"] == hook.requests[2]["body"]


def test_webhook_gives_up_after_retries_and_logs(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    hook.statuses = [500] * 5
    with caplog.at_level(logging.WARNING, logger="crawler.running.alerts"):
        result = WebhookNotifier(hook.url, retries=2, backoff=0.01).send(sample_alerts())
    assert (result.ok, result.attempts, result.status) == (False, 3, 500)
    assert len(hook.requests) == 3
    assert "HTTP 500" in caplog.text and "SECRET" not in caplog.text  # origin only


@pytest.mark.parametrize("status", [400, 401, 302])
def test_webhook_does_not_retry_client_errors_or_follow_redirects(hook: Hook, status: int) -> None:
    hook.statuses = [status]
    waits: list[float] = []
    result = WebhookNotifier(hook.url, token="t", sleep=waits.append).send(sample_alerts())
    assert (result.ok, result.attempts, result.status) == (False, 1, status)
    assert waits == [] and len(hook.requests) == 1  # the token went nowhere else


def test_webhook_dead_port_is_a_logged_failure(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{dead_port()}/hook"
    waits: list[float] = []
    with caplog.at_level(logging.WARNING, logger="crawler.running.alerts"):
        result = WebhookNotifier(url, retries=2, sleep=waits.append).send(sample_alerts())
    assert not result.ok and result.attempts == 3 and result.status is None
    assert "refused" in result.detail.lower() and len(waits) == 2
    assert "alert webhook http://127.0.0.1" in caplog.text


def test_webhook_timeout_is_a_failure() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        result = WebhookNotifier(url, timeout=0.2, retries=0).send(sample_alerts())
    assert not result.ok and "timed out" in result.detail


# --- a recording SMTP receiver -------------------------------------------------------


class Inbox:
    """aiosmtpd handler: keeps each accepted envelope; ``replies`` answer DATA first."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.replies: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.replies:
            return self.replies.pop(0)
        self.envelopes.append(envelope)
        return "250 2.0.0 OK"

    def message(self, i: int = 0) -> EmailMessage:
        msg = email.message_from_bytes(self.envelopes[i].content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


class LoopbackController(Controller):
    """Controller on a free port: the kernel picks it, then it is read back."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Tls:
    cert: Path
    key: Path

    def server(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    folder = tmp_path_factory.mktemp("smtp-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    tls = Tls(folder / "cert.pem", folder / "key.pem")
    tls.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tls


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"alerts", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: the server says 535


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest, tls: Tls) -> Iterator[tuple[Inbox, int]]:
    """A receiver; ``request.param`` (indirect) is none | starttls | ssl."""
    mode = getattr(request, "param", "none")
    inbox = Inbox()
    kwargs: dict[str, Any] = {"server_hostname": "mx.test"}
    if mode == "starttls":
        kwargs.update(tls_context=tls.server(), require_starttls=True, authenticator=authenticator)
    elif mode == "ssl":
        kwargs.update(ssl_context=tls.server())
    controller = LoopbackController(inbox, hostname="127.0.0.1", port=0, **kwargs)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


SENDER = "adwatch 监测 <alerts@adwatch.test>"
TO = ["analyst@example.org", "王分析 <wang@example.org>"]


def mailer(port: int, **kw: Any) -> SmtpNotifier:
    kw.setdefault("security", "none")
    kw.setdefault("sleep", lambda s: None)
    return SmtpNotifier("127.0.0.1", port=port, sender=SENDER, recipients=TO, timeout=5, **kw)


@pytest.mark.parametrize("smtp_server", ["none", "starttls", "ssl"], indirect=True)
def test_mail_arrives_with_utf8_headers_and_neutralised_text(
    smtp_server: tuple[Inbox, int], tls: Tls, request: pytest.FixtureRequest
) -> None:
    inbox, port = smtp_server
    mode = request.node.callspec.params["smtp_server"]
    extra: dict[str, Any] = {"security": mode, "ssl_context": tls.client()}
    if mode == "starttls":
        extra.update(user="alerts", password="s3cret")
    op = {"id": HOSTILE_ID, "ad_count": 3, "contacts": [HOSTILE], "platforms": ["baidu"]}
    alerts = evaluate(job(new_operators=[op]), [])
    result = mailer(port, **extra).send(alerts)
    assert result.ok, result.detail
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "alerts@adwatch.test"
    assert envelope.rcpt_tos == ["analyst@example.org", "wang@example.org"]  # no Bcc smuggled
    raw: bytes = envelope.content
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"=?utf-8?" in head  # RFC 2047 encoded words
    msg = inbox.message()
    assert msg["From"] == SENDER and msg["To"] == ", ".join(TO)
    subject = str(msg["Subject"])
    assert subject.startswith("[adwatch] 警告 / WARNING 新运营者 / New operator: op-9")
    assert "\\x0d" in subject and "Bcc" not in msg and msg["Message-ID"].endswith("@adwatch.test>")
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    body = msg.get_content()
    assert "adwatch 告警 / adwatch alerts" in body and "任务 / Job: j-now" in body
    assert "首次发现" in body and "first seen" in body and "请勿直接拨打" in body
    for bad in ("\x1b", "\x07", "\u202e", "\u200d", "\u2028"):
        assert bad not in body and bad.encode() not in raw
    assert "wx:\\x1b]0;pwned\\x07evil\\u202egnp.exe\\u200d" in body


def test_one_mail_per_batch(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    alerts = sample_alerts()
    assert mailer(port).send(alerts).ok
    assert len(inbox.envelopes) == 1
    msg = inbox.message()
    assert str(msg["Subject"]).startswith("[adwatch] 严重 / CRITICAL 2 条告警 / alerts:")
    assert "共 2 条告警 / 2 alert(s)" in msg.get_content()
    assert "[1] 警告 / WARNING · new_operator" in msg.get_content()
    assert "[2] 严重 / CRITICAL · empty_crawl" in msg.get_content()


@pytest.mark.parametrize("smtp_server", ["starttls"], indirect=True)
def test_mail_wrong_password_fails_without_retry(
    smtp_server: tuple[Inbox, int], tls: Tls, caplog: pytest.LogCaptureFixture
) -> None:
    inbox, port = smtp_server
    waits: list[float] = []
    notifier = mailer(
        port,
        security="starttls",
        ssl_context=tls.client(),
        user="alerts",
        password="wrong",
        sleep=waits.append,
    )
    with caplog.at_level(logging.WARNING, logger="crawler.running.alerts"):
        result = notifier.send(sample_alerts())
    assert (result.ok, result.status, result.attempts) == (False, 535, 1)
    assert waits == [] and inbox.envelopes == [] and "alert mail via 127.0.0.1" in caplog.text


def test_mail_starttls_asked_but_not_offered_never_falls_back_to_plain(
    smtp_server: tuple[Inbox, int], tls: Tls
) -> None:
    inbox, port = smtp_server
    result = mailer(port, security="starttls", ssl_context=tls.client()).send(sample_alerts())
    assert not result.ok and "STARTTLS" in result.detail and result.attempts == 1
    assert inbox.envelopes == []


@pytest.mark.parametrize("smtp_server", ["ssl"], indirect=True)
def test_mail_untrusted_certificate_fails(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    result = mailer(port, security="ssl").send(sample_alerts())  # system CAs only
    assert not result.ok and "CERTIFICATE_VERIFY_FAILED" in result.detail
    assert inbox.envelopes == []


def test_mail_retries_a_4xx_reply_not_a_5xx(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    inbox.replies = ["451 4.3.0 try again later"]
    waits: list[float] = []
    result = mailer(port, retries=2, backoff=0.25, sleep=waits.append).send(sample_alerts())
    assert (result.ok, result.attempts, waits) == (True, 2, [0.25])
    assert len(inbox.envelopes) == 1
    inbox.replies = ["554 5.7.1 rejected"]
    result = mailer(port, retries=2, sleep=waits.append).send(sample_alerts())
    assert (result.ok, result.status, result.attempts) == (False, 554, 1)
    assert len(inbox.envelopes) == 1


def test_mail_dead_port_is_a_logged_failure(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="crawler.running.alerts"):
        result = mailer(dead_port(), retries=1).send(sample_alerts())
    assert not result.ok and result.attempts == 2 and "refused" in result.detail.lower()
    assert "failed after 2 attempt(s)" in caplog.text


# --- notify: one message per batch, dedup window -------------------------------------

T0 = datetime(2025, 1, 8, 3, 0, tzinfo=UTC)


def op_alert(op_id: str) -> Alert:
    (a,) = new_operator(job(new_operators=[{"id": op_id, "ad_count": 2}]), [], CFG)
    return a


def kinds_sent(hook: Hook, i: int) -> list[str]:
    return [a["key"] for a in json.loads(hook.requests[i]["body"])["alerts"]]


def test_notify_dedups_within_the_window(hook: Hook, tmp_path: Path) -> None:
    state = tmp_path / "state" / "alerts.json"
    channels = [WebhookNotifier(hook.url)]
    window = AlertConfig(dedup_hours=24).dedup_window

    def run(alerts: list[Alert], now: datetime) -> Any:
        return notify(alerts, channels, state_path=state, window=window, now=now)

    report = run([op_alert("op-1"), op_alert("op-2"), op_alert("op-1")], T0)
    assert report.ok and kinds_sent(hook, 0) == ["op-1", "op-2"]  # one message, no repeat
    report = run([op_alert("op-1"), op_alert("op-3")], T0 + timedelta(hours=23))
    assert kinds_sent(hook, 1) == ["op-3"]
    assert [a.key for a in report.suppressed["webhook"]] == ["op-1"]
    report = run([op_alert("op-1")], T0 + timedelta(hours=23, minutes=30))
    assert len(hook.requests) == 2 and report.results == [] and report.ok
    run([op_alert("op-1"), op_alert("op-2")], T0 + timedelta(hours=24))
    assert kinds_sent(hook, 2) == ["op-1", "op-2"]  # the window has passed
    saved = json.loads(state.read_text())
    assert saved["version"] == 1 and set(saved["sent"]["webhook"]) == {
        "new_operator:op-1",
        "new_operator:op-2",
        "new_operator:op-3",
    }
    run([op_alert("op-4")], T0 + timedelta(hours=48))  # old entries are pruned
    assert set(json.loads(state.read_text())["sent"]["webhook"]) == {"new_operator:op-4"}


def test_notify_records_per_channel_and_only_what_was_delivered(
    hook: Hook, smtp_server: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_server
    state = tmp_path / "alerts.json"
    down = mailer(dead_port(), retries=0)
    report = notify([op_alert("op-1")], [WebhookNotifier(hook.url), down], state_path=state, now=T0)
    assert not report.ok and [r.ok for r in report.results] == [True, False]
    assert report.sent == {"webhook": [op_alert("op-1")], "smtp": []}
    later = T0 + timedelta(hours=1)
    report = notify(
        [op_alert("op-1")], [WebhookNotifier(hook.url), mailer(port)], state_path=state, now=later
    )
    assert report.ok and len(hook.requests) == 1  # the webhook had it already
    assert len(inbox.envelopes) == 1 and "op-1" in str(inbox.message()["Subject"])


def test_notify_survives_a_corrupt_state_file_and_no_state(
    hook: Hook, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "alerts.json"
    state.write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="crawler.running.alerts"):
        assert notify([op_alert("op-1")], [WebhookNotifier(hook.url)], state_path=state).ok
    assert "unreadable" in caplog.text and len(hook.requests) == 1
    assert "new_operator:op-1" in json.loads(state.read_text())["sent"]["webhook"]
    # without a state file every call sends; nothing to send sends nothing
    for _ in range(2):
        notify([op_alert("op-1")], [WebhookNotifier(hook.url)])
    notify([], [WebhookNotifier(hook.url)])
    assert len(hook.requests) == 3
