"""A platform's login, end to end on the demo web: a crawl logged out stops at
the first list page with a "session expired" alert and stores nothing;
``adwatch login --cdp`` waits in a running Chrome while a person (here the test,
over the same CDP endpoint) logs in, and saves the storage state; the next
crawl goes out logged in, in the browser and in plain requests: the
members-only listing pages, fetched without the browser, answer with the
listing only to the session's cookie.  Also the cookie files' forms and the
per-platform jar, without a network."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.finding.profiles import ProfileError
from crawler.finding.session_cookies import read_cookies
from demo import soft_blocks
from tests.conftest import ROOT, adwatch

SITES = ROOT / "crawler" / "finding" / "sites"


def members_profile(folder: Path, state: Path, base_url: str) -> None:
    """The demo marketplace as a members-only site: its list page must show the
    avatar, its listing pages are the cookie-gated ones, read without the browser."""
    text = (SITES / "demo-xianyu.yaml").read_text(encoding="utf-8")
    text = text.replace("name: demo-xianyu", "name: members")
    text = text.replace("base_url: http://127.0.0.1:8765", f"base_url: {base_url}")
    text = text.replace('item_url: "{base}/item?id={id}"', 'item_url: "{base}/member/item?id={id}"')
    assert "/member/item" in text and "name: members" in text and base_url in text
    text += (
        "session:\n"
        f"  storage_state: {state}\n"
        f'  login_url: "{{base}}{soft_blocks.LOGIN_PATH}?next=/goofish/search"\n'
        '  logged_in: "a.login-avatar"\n'
    )
    folder.mkdir(exist_ok=True)
    (folder / "members.yaml").write_text(text, encoding="utf-8")


def crawl(sites: Path, base_url: str, data_dir: Path) -> tuple[str, list[dict], list[dict]]:
    done = adwatch(
        "crawl", "--site", "members", "--base-url", base_url, "--max-pages", "1",
        "--sites-dir", str(sites),
        "-s", "ADWATCH_CAPTURE=False", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "ADWATCH_XHR_WAIT=5",
        data_dir=data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    db = sqlite3.connect(data_dir / "catalogue.db")
    try:
        records = [json.loads(d) for (d,) in db.execute("SELECT doc FROM records")]
    finally:
        db.close()
    rejects_file = data_dir / "rejects.jsonl"
    rejects = [
        json.loads(line)
        for line in (
            rejects_file.read_text(encoding="utf-8").splitlines() if rejects_file.exists() else []
        )
    ]
    return done.stdout + done.stderr, records, rejects


@pytest.fixture()
def chrome() -> Iterator[str]:
    """A Chrome the user runs, with its DevTools endpoint on loopback."""
    profile = Path(tempfile.mkdtemp(prefix="adwatch-chrome-"))
    process = subprocess.Popen(
        [
            os.environ.get("ADWATCH_CHROMIUM", "/usr/bin/chromium"),
            "--headless",
            "--no-sandbox",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    while not (port_file.exists() and port_file.read_text().strip()):
        assert time.monotonic() < deadline and process.poll() is None, "Chrome did not start"
        time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port_file.read_text().split()[0]}"
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def log_in_by_hand(cdp: str) -> None:
    """What the person does in the window adwatch opened: fill the form, send it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.connect_over_cdp(cdp)
        deadline = time.monotonic() + 60
        page = None
        while page is None:
            assert time.monotonic() < deadline, "adwatch login opened no login page"
            pages = [pg for c in browser.contexts for pg in c.pages]
            page = next((pg for pg in pages if soft_blocks.LOGIN_PATH in pg.url), None)
            if page is None and browser.contexts:
                # waiting inside Playwright lets it hear of the page adwatch opens
                # (a plain sleep would not: the sync API handles events in its calls)
                with contextlib.suppress(PlaywrightTimeout):
                    browser.contexts[0].wait_for_event("page", timeout=500)
        page.fill("#login-user", "analyst")
        page.fill("#login-password", "secret")
        page.press("#login-password", "Enter")
        page.wait_for_selector("a.login-avatar", timeout=20_000)
        browser.close()


@pytest.mark.slow
@pytest.mark.browser
def test_logged_out_stops_login_saves_the_session_and_the_crawl_goes_out_logged_in(
    demo_server, tmp_path, chrome
):
    state = tmp_path / "sessions" / "members.json"
    sites = tmp_path / "sites"
    members_profile(sites, state, demo_server.base_url)

    out, records, rejects = crawl(sites, demo_server.base_url, tmp_path / "logged-out")
    assert records == []
    assert "session expired on members" in out and "登录失效 / Session expired: members" in out
    # the first list page found it; the others were not fetched, or read as logged out
    assert rejects and {r["reason"] for r in rejects} == {"session_expired"}
    assert all("session.logged_in 'a.login-avatar'" in r["detail"] for r in rejects)

    env = dict(os.environ, ADWATCH_DATA_DIR=str(tmp_path / "login-data"))
    login = subprocess.Popen(
        [sys.executable, "-m", "crawler.interfaces.cli", "login", "members",
         "--cdp", chrome, "--sites-dir", str(sites), "--timeout", "90"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        try:
            log_in_by_hand(chrome)
        finally:
            said, errors = login.communicate(timeout=120)
    finally:
        login.kill()
    assert login.returncode == 0, errors[-2000:]
    assert f"saved the members session to {state}" in said
    assert state.stat().st_mode & 0o777 == 0o600
    cookies = {c["name"] for c in json.loads(state.read_text())["cookies"]}
    assert soft_blocks.SESSION_COOKIE in cookies

    out, records, rejects = crawl(sites, demo_server.base_url, tmp_path / "logged-in")
    assert "session expired" not in out
    assert len(records) >= 10, out[-2000:]
    # every listing page was fetched without the browser, with the session's cookie:
    # without it the member page redirects to the login form
    assert all("/member/item?id=" in r["url"] for r in records)
    texts = [r["text"] for r in records]
    assert all(t and "账号" not in t and "密码" not in t for t in texts), texts[:3]
    assert not [r for r in rejects if r["reason"] == "session_expired"]


def test_cookie_files_in_their_three_forms(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "cookies": [
                    {"name": "a", "value": "1", "domain": ".example.cn", "path": "/",
                     "expires": -1, "httpOnly": True, "secure": False},
                    {"name": "b", "value": "2", "domain": "www.example.cn", "path": "/x",
                     "expires": 4102444800, "secure": True},
                ],
                "origins": [],
            }
        )
    )  # fmt: skip
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([{"name": "c", "value": "3", "domain": "m.example.cn"}]))
    netscape = tmp_path / "cookies.txt"
    netscape.write_text(
        "# Netscape HTTP Cookie File\n"
        ".example.cn\tTRUE\t/\tFALSE\t4102444800\td\t4\n"
        "#HttpOnly_www.example.cn\tFALSE\t/\tTRUE\t0\te\t5\n"
    )
    found = {c.name: c for c in read_cookies(state)}
    assert (
        found["a"].domain_initial_dot
        and found["a"].discard
        and found["a"].has_nonstandard_attr("HttpOnly")
    )
    assert found["b"].secure and found["b"].expires == 4102444800 and found["b"].path == "/x"
    assert [c.name for c in read_cookies(listed)] == ["c"]
    assert sorted(c.name for c in read_cookies(netscape)) == ["d", "e"]
    bad = tmp_path / "bad.txt"
    bad.write_text("not a cookie file at all\n")
    with pytest.raises(ProfileError, match=r"bad\.txt"):
        read_cookies(bad)
    with pytest.raises(ProfileError, match="lacks name"):
        listed.write_text(json.dumps([{"value": "x"}]))
        read_cookies(listed)


def test_cookies_go_only_where_their_domain_allows(tmp_path):
    """The jar the middleware fills sends a platform's cookies to its own hosts only."""
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from crawler.finding.session_cookies import SessionCookiesMiddleware
    from crawler.finding.spiders.search import SearchSpider

    state = tmp_path / "state.json"
    state.write_text(json.dumps({"cookies": [
        {"name": "sid", "value": "s1", "domain": ".example.cn", "path": "/"},
        {"name": "other", "value": "o1", "domain": "elsewhere.cn", "path": "/"},
    ]}))  # fmt: skip
    crawler = get_crawler(SearchSpider, {"ADWATCH_DATA_DIR": str(tmp_path)})
    spider = SearchSpider.from_crawler(crawler)
    crawler.spider = spider
    from dataclasses import replace

    from crawler.finding.profiles import Session

    profile = spider.profiles["demo-baidu"]
    spider.profiles["demo-baidu"] = replace(profile, session=Session(storage_state=str(state)))
    middleware = SessionCookiesMiddleware.from_crawler(crawler)
    meta = {"adwatch_platform": "demo-baidu"}
    own = Request("http://www.example.cn/s?wd=x", meta=dict(meta))
    middleware.process_request(own)
    assert own.headers.get("Cookie") == b"sid=s1"
    assert own.meta["cookiejar"] == "session:demo-baidu"
    foreign = Request("http://evil.example.com/", meta=dict(meta))
    middleware.process_request(foreign)
    assert foreign.headers.get("Cookie") is None
    # another platform's request never sees them
    plain = Request("http://www.example.cn/", meta={"adwatch_platform": "demo-douyin"})
    middleware.process_request(plain)
    assert plain.headers.get("Cookie") is None


@pytest.mark.slow
@pytest.mark.browser
def test_a_crawl_drives_a_running_chrome_over_cdp(demo_server, tmp_path, chrome):
    """--cdp: no browser is launched; the pages are the running Chrome's own
    (its user agent, not the one adwatch would set), and the data comes in."""
    before = demo_server.user_agents()
    done = adwatch(
        "crawl", "--site", "demo-douyin", "--base-url", demo_server.base_url,
        "--max-pages", "1", "--query", "停催", "--cdp", chrome,
        "-s", "ADWATCH_CAPTURE=False", "-s", "ADWATCH_XHR_WAIT=5",
        data_dir=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "catalogue.db")
    try:
        (count,) = db.execute("SELECT COUNT(*) FROM records").fetchone()
    finally:
        db.close()
    assert count >= 5, done.stdout
    after = demo_server.user_agents()
    heard = {agent for agent, n in after.items() if n > before.get(agent, 0)}
    assert any("HeadlessChrome" in agent for agent in heard)  # the running Chrome's own


def test_cdp_and_headed_are_refused_where_they_cannot_work(tmp_path, monkeypatch):
    done = adwatch("crawl", "--demo", "--cdp", "http://10.1.2.3:9222", data_dir=tmp_path)
    assert done.returncode == 2 and "only on this machine" in done.stderr
    env_less = dict(os.environ)
    env_less.pop("DISPLAY", None)
    env_less.pop("WAYLAND_DISPLAY", None)
    headed = subprocess.run(
        [sys.executable, "-m", "crawler.interfaces.cli", "crawl", "--demo", "--headed"],
        cwd=ROOT, env=dict(env_less, ADWATCH_DATA_DIR=str(tmp_path)),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert headed.returncode == 2 and "needs a display" in headed.stderr
    login = subprocess.run(
        [sys.executable, "-m", "crawler.interfaces.cli", "login", "demo-douyin"],
        cwd=ROOT, env=dict(env_less, ADWATCH_DATA_DIR=str(tmp_path)),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert login.returncode == 1 and "no display here" in login.stderr


def test_a_profile_naming_no_session_reads_the_one_login_saved(tmp_path):
    from crawler.finding.profile_folders import (
        PACKAGED,
        load_site_profiles,
        saved_session,
        with_saved_sessions,
    )

    profiles = load_site_profiles(PACKAGED)
    assert not profiles["douyin"].storage_state
    assert with_saved_sessions(profiles, tmp_path)["douyin"].storage_state == ""
    saved = saved_session(tmp_path, "douyin")
    saved.parent.mkdir()
    saved.write_text('{"cookies": [], "origins": []}')
    found = with_saved_sessions(profiles, tmp_path)
    assert found["douyin"].storage_state == str(saved)
    assert found["douyin"].context_kwargs()["storage_state"] == str(saved)
    assert found["kuaishou"].storage_state == ""  # only the platform logged in to


def test_a_captcha_on_a_logged_in_platform_is_a_block_not_an_expired_session(tmp_path):
    """The order of the checks: a page that says the login is gone, then a block
    page (which has no logged-in mark either), then the missing mark."""
    import asyncio
    from dataclasses import replace

    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.finding.blocking import BlockDetectionMiddleware
    from crawler.finding.profiles import BlockRule, Session
    from crawler.finding.rejects import SessionExpiredError
    from crawler.finding.spiders.search import SearchSpider

    crawler = get_crawler(SearchSpider, {"ADWATCH_DATA_DIR": str(tmp_path)})
    spider = SearchSpider.from_crawler(crawler)
    crawler.spider = spider
    profile = spider.profiles["demo-baidu"]
    session = Session(logged_in=".avatar", expired=BlockRule(statuses=(), urls=("passport",)))
    spider.profiles["demo-baidu"] = replace(profile, session=session)
    middleware = BlockDetectionMiddleware.from_crawler(crawler)

    def page(url: str, body: str) -> tuple[Request, HtmlResponse]:
        request = Request(url, meta={"adwatch_platform": "demo-baidu", "adwatch_kind": "results"})
        return request, HtmlResponse(url, body=body.encode(), encoding="utf-8", request=request)

    request, response = page("http://127.0.0.1:1/s?wd=x", "<p>请完成下列验证后继续</p>")
    again = middleware.process_response(request, response)
    assert isinstance(again, Request)  # blocked: paused and asked again
    request, response = page("http://127.0.0.1:1/s?wd=y", '<p class="avatar">我</p><div>结果</div>')
    assert middleware.process_response(request, response) is response
    request, response = page("http://127.0.0.1:1/s?wd=z", "<div>结果</div>")
    with pytest.raises(SessionExpiredError, match=r"session\.logged_in"):
        middleware.process_response(request, response)
    later = Request("http://127.0.0.1:1/s?wd=w", meta={"adwatch_platform": "demo-baidu"})
    with pytest.raises(SessionExpiredError, match="adwatch login demo-baidu"):
        asyncio.run(middleware.process_request(later))
    other = Request("http://127.0.0.1:1/x", meta={"adwatch_platform": "demo-douyin"})
    assert asyncio.run(middleware.process_request(other)) is None  # only that platform stops
