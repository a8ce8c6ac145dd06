"""The workbench over real HTTP (uvicorn on a loopback port) and a real
SQLite catalogue: the login wall, CSRF, roles, the brake on guessing, the
headers, hostile ad text, and where it refuses to listen.  The flows an
analyst clicks through are in test_web_browser.py (real Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.interfaces.web.serve import BindRefused, Listen, check
from crawler.running.run import project_settings
from evidence.index import open_catalogue
from tests.test_catalogue import record
from tests.web_server import Browser, WorkbenchServer, web_process

PASSWORD = "correct horse battery"
# An ad written to attack the page that shows it: markup, template syntax, a
# bidi override that would show "moc.knab" as "bank.com", a zero-width joiner.
HOSTILE_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)>{{ 7*7 }}{% if 1 %}'
HOSTILE_TEXT = "逾期停催 \u202ebank.com\u202c 联系 170\u200d12345678 </textarea>\"'><b>粗</b>"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with open_catalogue(str(tmp_path / "catalogue.db")) as cat:
        cat.upsert(
            [
                record(
                    "ad1", title="当天停催，协商还款", text="专业停催团队", label="ad", score=0.9
                ),
                record("ad2", title="征信修复找我们", text="包过", label="ad", score=0.8),
                record("hostile", title=HOSTILE_TITLE, text=HOSTILE_TEXT, label="ad", score=0.95),
                record("plain", title="二手自行车", text="九成新", label="clean", score=0.0),
            ]
        )
    return tmp_path


@pytest.fixture
def bench(data_dir: Path) -> Iterator[WorkbenchServer]:
    settings = project_settings({"ADWATCH_DATA_DIR": str(data_dir)})
    with WorkbenchServer(settings) as server:
        accounts = server.app.state.bench.accounts
        for name, role in (("ana", "analyst"), ("vera", "viewer"), ("root", "admin")):
            accounts.add(name, role, PASSWORD)
        yield server


def reviews(server: WorkbenchServer, rid: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.app.state.bench.catalogue.reviews(rid)
    return found


def test_pages_are_behind_the_login(bench: WorkbenchServer) -> None:
    guest = Browser(bench.url)
    answer = guest.get("/search?q=x", follow=False)
    assert answer.status == 303
    assert answer.headers["location"] == "/login?next=%2Fsearch%3Fq%3Dx"
    assert guest.post("/review/ad1", decision="confirmed").status == 401
    assert guest.get("/static/app.css").status == 200  # the app's own files are public


def test_a_failed_login_then_a_good_one(bench: WorkbenchServer) -> None:
    ana = Browser(bench.url)
    failed = ana.login("ana", "wrong password!")
    assert failed.status == 401 and "用户名或密码不正确" in failed.body
    ok = ana.login("ana", PASSWORD)
    assert ok.status == 200 and ok.url.endswith("/") and "ana（分析员）" in ok.body
    cookie = next(c for c in ana.jar if c.name == "adwatch_session")
    assert cookie.expires is not None  # the session ends
    unknown = Browser(bench.url).login("nobody", PASSWORD)
    assert unknown.status == 401 and "用户名或密码不正确" in unknown.body


def test_login_after_next_goes_only_to_this_site(bench: WorkbenchServer) -> None:
    ana = Browser(bench.url)
    ana.get("/login?next=//evil.example/x")
    answer = ana.post(
        "/login", follow=False, name="ana", password=PASSWORD, next="//evil.example/x"
    )
    assert answer.status == 303 and answer.headers["location"] == "/"


def test_guessing_is_braked(bench: WorkbenchServer) -> None:
    guesser = Browser(bench.url)
    for _ in range(5):
        assert guesser.login("ana", "not the password").status == 401
    braked = guesser.login("ana", PASSWORD)  # even the right password waits now
    assert braked.status == 429 and int(braked.headers["retry-after"]) > 0
    assert "登录失败次数过多" in braked.body


def test_a_form_without_its_csrf_token_is_refused(bench: WorkbenchServer) -> None:
    ana = Browser(bench.url)
    ana.login("ana", PASSWORD)
    refused = ana.post("/review/ad1", csrf=False, decision="confirmed")
    assert refused.status == 403 and "CSRF" in refused.body
    forged = ana.request("/review/ad1", {"decision": "confirmed", "csrf": "x" * 43})
    assert forged.status == 403
    assert reviews(bench, "ad1") == []
    done = ana.post("/review/ad1", decision="confirmed")
    assert done.status == 200
    assert [r["decision"] for r in reviews(bench, "ad1")] == ["confirmed"]
    assert reviews(bench, "ad1")[0]["reviewer"] == "ana"


def test_a_viewer_cannot_review(bench: WorkbenchServer) -> None:
    vera = Browser(bench.url)
    vera.login("vera", PASSWORD)
    assert vera.get("/ad/ad1").status == 200
    answer = vera.post("/review/ad1", decision="confirmed")
    assert answer.status == 403 and "分析员权限" in answer.body
    assert reviews(bench, "ad1") == []
    assert vera.get("/users").status == 403
    assert vera.get("/dossier?operator=x").status == 403


def test_every_page_sends_the_security_headers(bench: WorkbenchServer) -> None:
    ana = Browser(bench.url)
    ana.login("ana", PASSWORD)
    for path in ("/", "/search", "/ad/ad1", "/review", "/login", "/static/app.js"):
        headers = ana.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, path
        assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        if not path.startswith("/static/"):
            assert headers["cache-control"] == "no-store", path


def test_hostile_ad_text_renders_inert(bench: WorkbenchServer) -> None:
    ana = Browser(bench.url)
    ana.login("ana", PASSWORD)
    for path in ("/ad/hostile", "/search?q=停催", "/review"):
        body = ana.get(path).body
        assert "<script>alert" not in body and "<img src=x" not in body, path
        assert "</textarea>\"'><b>" not in body
        assert "\u202e" not in body and "\u200d" not in body
    page = ana.get("/ad/hostile").body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "{{ 7*7 }}{% if 1 %}" in page and ">49<" not in page  # never a template
    assert "⟨U+202E⟩bank.com⟨U+202C⟩" in page and "170⟨U+200D⟩12345678" in page
    assert not re.search(r"<script(?![^>]*(src=\"/static/|type=\"application/json\"))", page)


def test_a_review_needs_a_known_decision_and_a_reason_to_reject(bench: WorkbenchServer) -> None:
    ana = Browser(bench.url)
    ana.login("ana", PASSWORD)
    ana.get("/review")
    assert ana.post("/review/ad2", decision="maybe").status == 400
    assert ana.post("/review/ad2", decision="rejected").status == 400
    assert ana.post("/review/nope", decision="confirmed").status == 404
    assert reviews(bench, "ad2") == []
    assert ana.post("/review/ad2", decision="rejected", reason="news").status == 200
    assert reviews(bench, "ad2")[0]["reason"] == "news"


def test_the_workbench_listens_on_loopback_unless_traffic_is_encrypted(tmp_path: Path) -> None:
    check(Listen("127.0.0.1", 8765))
    check(Listen("::1", 8765))
    check(Listen("localhost", 8765))
    for host in ("0.0.0.0", "192.0.2.10", "::"):
        with pytest.raises(BindRefused, match="not a loopback address"):
            check(Listen(host, 8765))
    check(Listen("0.0.0.0", 8765, behind_proxy="192.0.2.1"))
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    check(Listen("0.0.0.0", 8765, tls_cert=cert, tls_key=key))
    with pytest.raises(BindRefused, match="go together"):
        check(Listen("0.0.0.0", 8765, tls_cert=cert))


def test_a_non_loopback_address_is_refused_before_anything_listens(data_dir: Path) -> None:
    from click.testing import CliRunner

    from crawler.interfaces.cli import cli

    done = CliRunner().invoke(cli, ["web", "--host", "0.0.0.0", "--data-dir", str(data_dir)])
    assert done.exit_code == 2 and "not a loopback address" in done.output
    assert not (data_dir / "web").exists()  # refused before the workbench was made


def test_with_tls_cookies_are_secure(data_dir: Path, tmp_path: Path) -> None:
    """`adwatch web --tls-cert --tls-key`: HTTPS (here on loopback), the
    session cookie marked Secure, HSTS sent."""
    import ssl
    import subprocess
    import urllib.request

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(cafile=str(cert))
    tls = ("--tls-cert", str(cert), "--tls-key", str(key))
    with web_process(data_dir, *tls, context=context) as url:
        assert url.startswith("https://")
        with urllib.request.urlopen(url + "/login", context=context, timeout=10) as answer:
            answer.read()
    assert answer.status == 200
    cookie = answer.getheader("set-cookie") or ""
    assert "adwatch_session=" in cookie and "secure" in cookie.lower()
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert answer.getheader("strict-transport-security")


def test_the_replay_pages_loosen_style_only() -> None:
    from crawler.interfaces.web.security import CSP, REPLAY_CSP

    strict = dict(d.split(" ", 1) for d in CSP.split("; "))
    loose = dict(d.split(" ", 1) for d in REPLAY_CSP.split("; "))
    changed = {k for k in strict if strict[k] != loose[k]}
    assert changed == {"style-src", "connect-src"}
    assert loose["script-src"] == "'self'" and loose["frame-ancestors"] == "'self'"
