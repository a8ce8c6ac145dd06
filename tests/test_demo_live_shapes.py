"""The demo web speaks the live platforms' shapes (issue 26, point 4) and serves
their soft blocks, captcha redirects and logged-out pages, each at a reserved
query (demo/soft_blocks.py).  HTTP-level tests against a real demo server on
127.0.0.1, and a real Chromium for the Goofish shell's paging and decoy call."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from demo import DemoServer, DemoWeb, soft_blocks
from demo.generate import generate
from demo.ground_truth import ground_truth_lines
from demo.render_market import API_PATH, SHADE_PATH

VIDEO_API = "/aweme/v1/web/search/item/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_plain = urllib.request.build_opener(_NoRedirect)


def fetch(
    url: str, data: bytes | None = None, cookie: str = "", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body), redirects not followed; errors are answers.
    Header names come back lower-cased; Set-Cookie lines are joined by newlines."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    if cookie:
        req.add_header("Cookie", cookie)
    try:
        with _plain.open(req, timeout=30) as resp:
            return resp.status, _headers(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, _headers(err.headers), err.read()


def _headers(msg: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in msg.items():
        key = name.lower()
        out[key] = f"{out[key]}\n{value}" if key in out else value
    return out


def mtop(base: str, path: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST an mtop call the way the live page does (form body ``data=``)."""
    body = ("data=" + quote(json.dumps(data, ensure_ascii=False))).encode()
    status, _, raw = fetch(
        base + path + "?jsv=2.7.2&appKey=34839810&v=1.0&type=originaljson",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return status, json.loads(raw)


def login(base: str, next_url: str = "/") -> tuple[str, str]:
    """Log in through the demo's form; (cookie header, where it redirected)."""
    form = urlencode({"user": "analyst", "password": "secret", "next": next_url}).encode()
    status, headers, _ = fetch(base + soft_blocks.LOGIN_PATH, data=form)
    assert status == 302, status
    cookie = headers["set-cookie"]
    assert cookie.startswith(f"{soft_blocks.SESSION_COOKIE}=")
    return cookie.split(";")[0], headers["location"]


@pytest.fixture(scope="module")
def web() -> DemoWeb:
    return generate(7, 1)


@pytest.fixture(scope="module")
def server(web: DemoWeb) -> Iterator[DemoServer]:
    with DemoServer(web, port=0, slow_seconds=1.0) as srv:
        yield srv


@pytest.fixture(scope="module")
def base(server: DemoServer) -> str:
    return server.base_url


# --- the reserved queries ------------------------------------------------------------


def test_reserved_queries_are_never_generated() -> None:
    """A normal crawl never meets a block: no generated query of any size is reserved."""
    for size in (1, 3):
        meta = ground_truth_lines(generate(7, size))[0]
        generated = {q for channel in meta["queries"].values() for q in channel}
        assert generated and not generated & soft_blocks.RESERVED
    assert len(soft_blocks.RESERVED) == 7
    for name in soft_blocks.RESERVED:  # the docstring's table names each one
        constant = next(k for k, v in vars(soft_blocks).items() if v == name and k.isupper())
        assert f"``{constant}``" in (soft_blocks.__doc__ or "")


# --- Douyin -------------------------------------------------------------------------


def test_douyin_answer_is_data_of_entries_with_aweme_info(base: str, web: DemoWeb) -> None:
    vq = web.video[0]
    status, headers, raw = fetch(
        base + VIDEO_API + "?" + urlencode({"keyword": vq.query, "offset": 0, "count": 10})
    )
    assert status == 200 and headers["content-type"].startswith("application/json")
    answer = json.loads(raw)
    assert "aweme_list" not in answer
    assert answer["status_code"] == 0 and answer["has_more"] in (0, 1)
    assert answer["cursor"] == 10 and answer["has_more"] == 1
    entries = answer["data"]
    cards = [e for e in entries if "aweme_info" not in e]
    assert cards and cards[0]["type"] != 1 and "user_list" in cards[0]
    videos = [e["aweme_info"] for e in entries if "aweme_info" in e]
    assert [v["aweme_id"] for v in videos] == [v.aweme_id for v in vq.videos[:10]]
    for item, video in zip(videos, vq.videos, strict=False):
        assert item["desc"] == video.desc and item["create_time"] == video.create_time
        assert 1_500_000_000 < item["create_time"] < 2_000_000_000  # seconds
        assert item["author"] == {
            "nickname": video.author.nickname,
            "uid": video.author.uid,
            "sec_uid": video.author.sec_uid,
        }
        assert item["video"]["cover"]["url_list"][0].startswith(base + "/img/")
        assert item["video"]["play_addr"]["url_list"]
        assert item["is_ads"] is video.sponsored


def test_douyin_profile_path_selects_only_the_videos(base: str, web: DemoWeb) -> None:
    """The demo profile's items path, on the answer: every video, no card."""
    import jmespath
    import yaml

    profile = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "crawler/finding/sites/demo-douyin.yaml").read_text(
            encoding="utf-8"
        )
    )
    vq = web.video[0]
    answer = json.loads(fetch(base + VIDEO_API + "?" + urlencode({"keyword": vq.query}))[2])
    items = jmespath.search(profile["search"]["items"], answer)
    assert [i["aweme_id"] for i in items] == [v.aweme_id for v in vq.videos[:10]]


def test_douyin_soft_block_is_an_empty_200_with_verify_check(base: str) -> None:
    query = {"keyword": soft_blocks.DOUYIN_VERIFY, "offset": 0, "count": 10}
    status, headers, raw = fetch(base + VIDEO_API + "?" + urlencode(query))
    assert status == 200 and headers["content-type"].startswith("application/json")
    answer = json.loads(raw)
    assert answer["status_code"] == 0 and answer["data"] == [] and answer["has_more"] == 0
    assert answer["search_nil_info"]["search_nil_type"] == "verify_check"


def test_douyin_captcha_overlay_and_no_data_request(base: str) -> None:
    url = base + "/douyin/search?" + urlencode({"keyword": soft_blocks.DOUYIN_CAPTCHA})
    status, _, body = fetch(url)
    page = body.decode()
    assert status == 200
    assert '<div id="captcha-verify-image"' in page
    assert VIDEO_API not in page  # the shell has no script to fire it
    normal = fetch(base + "/douyin/search?keyword=x")[2].decode()
    assert '<div id="captcha-verify-image"' not in normal and VIDEO_API in normal


# --- Goofish ------------------------------------------------------------------------


def test_goofish_search_answer_by_post_with_publish_time(base: str, web: DemoWeb) -> None:
    mq = web.market[0]
    status, answer = mtop(base, API_PATH, {"keyword": mq.query, "pageNumber": 1})
    assert status == 200 and answer["ret"] == ["SUCCESS::调用成功"]
    mains = [e["data"]["item"]["main"] for e in answer["data"]["resultList"]]
    assert [m["exContent"]["itemId"] for m in mains] == [i.item_id for i in mq.pages[0]]
    for main in mains:
        millis = int(main["clickParam"]["args"]["publishTime"])
        assert 1_704_067_200_000 <= millis < 1_760_000_000_000  # milliseconds
        assert main["exContent"]["title"] and "isAliMaMaAD" in main["exContent"]
    assert answer["data"]["resultInfo"]["hasNextPage"] is (len(mq.pages) > 1)
    # the query-string form still answers the same
    raw = json.dumps({"keyword": mq.query, "pageNumber": 1})
    assert json.loads(fetch(base + API_PATH + "?data=" + quote(raw))[2]) == answer


def test_goofish_decoy_call_answers_other_json(base: str, web: DemoWeb) -> None:
    """The shade call's path holds the search API's bare name, so a profile whose
    xhr is that name captures it too; its answer has no listings."""
    assert API_PATH.strip("/").split("/")[1] in SHADE_PATH
    assert API_PATH not in SHADE_PATH
    mq = web.market[0]
    status, answer = mtop(base, SHADE_PATH, {"keyword": mq.query})
    assert status == 200 and answer["ret"][0].startswith("SUCCESS")
    assert answer["data"]["shadeWords"] and "resultList" not in answer["data"]
    shell = fetch(base + "/goofish/search?" + urlencode({"q": mq.query}))[2].decode()
    assert SHADE_PATH in shell and API_PATH in shell


def test_goofish_shell_pages_by_button_and_still_honours_page(base: str, web: DemoWeb) -> None:
    mq = web.market[0]
    shell = fetch(base + "/goofish/search?" + urlencode({"q": mq.query}))[2].decode()
    assert re.search(r'<button[^>]*class="search-pagination-arrow-container[^"]*"', shell)
    assert 'class="search-pagination-arrow-right--' in shell
    assert "a.next-page" not in shell and 'class="next-page"' not in shell
    paged_url = base + "/goofish/search?" + urlencode({"q": mq.query, "page": 2})
    paged = fetch(paged_url)
    if b"decision_conf" in paged[2]:  # the demo's transient block answers once
        paged = fetch(paged_url)
    assert paged[0] == 200 and b'data-page="2"' in paged[2]


def test_goofish_mtop_soft_block_is_json_and_the_shell_stays(base: str) -> None:
    status, answer = mtop(base, API_PATH, {"keyword": soft_blocks.GOOFISH_MTOP, "pageNumber": 1})
    assert status == 200
    assert answer["ret"][0] == "FAIL_SYS_USER_VALIDATE"
    assert answer["ret"][1].startswith("RGV587_ERROR::SM::")
    url = urlsplit(answer["data"]["url"])
    assert url.path == soft_blocks.PUNISH_PATH and parse_qs(url.query)["x5secdata"]
    shell = fetch(base + "/goofish/search?" + urlencode({"q": soft_blocks.GOOFISH_MTOP}))
    assert shell[0] == 200 and b"location.href" not in shell[2]  # a pure JSON soft block


def test_goofish_punish_redirect_leads_to_a_captcha_page(base: str) -> None:
    shell = fetch(base + "/goofish/search?" + urlencode({"q": soft_blocks.GOOFISH_PUNISH}))
    found = re.search(r'location\.href = "([^"]+)"', shell[2].decode())
    assert shell[0] == 200 and found and API_PATH.encode() not in shell[2]
    target = found.group(1)
    assert target.startswith(soft_blocks.PUNISH_PATH + "?x5secdata=")
    status, _, body = fetch(base + target)
    assert status == 200 and soft_blocks.PUNISH_TEXT in body.decode()


def test_goofish_login_redirect_leads_to_a_login_form(base: str) -> None:
    shell = fetch(base + "/goofish/search?" + urlencode({"q": soft_blocks.GOOFISH_LOGIN}))
    found = re.search(r'location\.href = "([^"]+)"', shell[2].decode())
    assert found and found.group(1).startswith(soft_blocks.MINI_LOGIN_PATH + "?")
    status, _, body = fetch(base + found.group(1))
    page = body.decode()
    assert status == 200 and 'id="login-form"' in page and 'type="password"' in page
    back = parse_qs(urlsplit(found.group(1)).query)["redirectURL"][0]
    assert back.startswith("/goofish/search?") and soft_blocks.GOOFISH_LOGIN in back


def test_goofish_baxia_dialog_over_the_list(base: str) -> None:
    status, _, body = fetch(base + "/goofish/search?" + urlencode({"q": soft_blocks.GOOFISH_BAXIA}))
    page = body.decode()
    assert status == 200 and '<div class="baxia-dialog"' in page
    assert 'class="baxia-dialog-mask"' in page and 'id="feeds-list"' in page
    normal = fetch(base + "/goofish/search?q=x")[2].decode()
    assert '<div class="baxia-dialog"' not in normal


# --- Baidu --------------------------------------------------------------------------


def paid_links(page: str) -> list[str]:
    return re.findall(r'href="(/baidu\.php\?url=[^"]+)"', page)


def test_baidu_paid_results_in_both_columns_without_mu(base: str, web: DemoWeb) -> None:
    seen_right = seen_data_mark = seen_class_mark = False
    for sq in web.search:
        for number, found in enumerate(sq.pages, start=1):
            if found.blocked:
                continue
            url = base + "/s?" + urlencode({"wd": sq.query, "pn": (number - 1) * 10})
            page = fetch(url)[2].decode()
            left, _, right = page.partition('<div id="content_right">')
            paid = [r for r in found.results if r.sponsored]
            assert len(paid_links(page)) == len(paid)
            seen_right |= bool(paid_links(right))
            seen_data_mark |= "data-tuiguang=" in page
            seen_class_mark |= 'class="ec-tuiguang"' in page
            for block in re.findall(r'<div class="result c-container"[^>]*>', left + right):
                # organic results carry mu, paid ones do not
                paid_block = re.search(r'id="30\d\d"', block) is not None
                assert ("mu=" in block) != paid_block, block
            assert len(re.findall(r'href="/link\?url=', page)) == len(found.results) - len(paid)
    assert seen_right and seen_data_mark and seen_class_mark


def test_baidu_paid_token_differs_per_impression_and_redirects(
    base: str, web: DemoWeb, server: DemoServer
) -> None:
    sq = web.search[0]
    url = base + "/s?" + urlencode({"wd": sq.query, "pn": 0})
    first, second = paid_links(fetch(url)[2].decode()), paid_links(fetch(url)[2].decode())
    assert first and len(first) == len(second) and not set(first) & set(second)
    paid = [r for r in sq.pages[0].results if r.sponsored]
    landings = set()
    for link in first + second:  # both impressions lead to the landing page
        status, headers, _ = fetch(base + link)
        assert status == 302
        landings.add(headers["location"])
    assert landings == {base + r.target for r in paid}
    truth = {g["url"] for g in ground_truth_lines(web) if g["kind"] == "record"}
    assert {r.target for r in paid} <= truth  # keyed on the landing, as a crawler keys them
    assert fetch(base + "/baidu.php?url=not-issued")[0] == 404


def test_baidu_captcha_redirect_to_wappass_stand_in(base: str) -> None:
    status, headers, _ = fetch(base + "/s?" + urlencode({"wd": soft_blocks.BAIDU_CAPTCHA}))
    assert status == 302
    target = urlsplit(headers["location"])
    assert f"{target.scheme}://{target.netloc}" == base
    assert target.path == "/wappass/static/captcha/tuxing.html"
    assert parse_qs(target.query)["backurl"][0].startswith(base + "/s?")
    status, _, body = fetch(headers["location"])
    assert status == 200 and soft_blocks.WAPPASS_TITLE in body.decode()


# --- sessions -----------------------------------------------------------------------


def search_pages(web: DemoWeb) -> list[str]:
    return [
        "/s?" + urlencode({"wd": web.search[0].query}),
        "/douyin/search?" + urlencode({"keyword": web.video[0].query}),
        "/goofish/search?" + urlencode({"q": web.market[0].query}),
    ]


def test_search_pages_show_login_button_or_avatar(base: str, web: DemoWeb) -> None:
    cookie, _ = login(base)
    for path in search_pages(web):
        out = fetch(base + path)[2].decode()
        assert '<button class="login-button" type="button">登录</button>' in out
        assert 'class="login-avatar"' not in out and soft_blocks.LOGIN_SLOT not in out
        logged = fetch(base + path, cookie=cookie)[2].decode()
        assert '<a class="login-avatar"' in logged and 'class="login-button"' not in logged
        forged = fetch(base + path, cookie=f"{soft_blocks.SESSION_COOKIE}=forged")[2].decode()
        assert 'class="login-button"' in forged  # only issued tokens count


def test_login_form_sets_an_httponly_cookie_and_redirects(base: str) -> None:
    status, _, body = fetch(base + "/login?" + urlencode({"next": "/member/item?id=1"}))
    assert status == 200 and b'method="post"' in body and b'name="password"' in body
    form = urlencode({"user": "a", "password": "b", "next": "/goofish/search?q=x"}).encode()
    status, headers, _ = fetch(base + "/login", data=form)
    assert status == 302 and headers["location"] == "/goofish/search?q=x"
    parts = [p.strip() for p in headers["set-cookie"].split(";")]
    name, _, token = parts[0].partition("=")
    assert name == soft_blocks.SESSION_COOKIE and len(token) >= 24
    assert "HttpOnly" in parts and "Path=/" in parts
    other = login(base)[0].partition("=")[2]
    assert other != token  # random, per login
    for bad in ({"user": "", "password": "b"}, {"user": "a", "password": ""}):
        status, headers, body = fetch(base + "/login", data=urlencode(bad).encode())
        assert status == 200 and "set-cookie" not in headers and b"login-error" in body
    # next must stay on this server
    status, headers, _ = fetch(
        base + "/login", data=urlencode({"user": "a", "password": "b", "next": "//evil"}).encode()
    )
    assert headers["location"] == "/"


def test_member_page_needs_a_session(base: str, web: DemoWeb, server: DemoServer) -> None:
    item = next(iter(web.listings.values()))
    path = f"/member/item?id={item.item_id}"
    status, headers, _ = fetch(base + path)
    assert status == 302 and headers["location"] == "/login?next=" + quote(path, safe="")
    cookie, where = login(base, path)
    assert where == path
    status, _, body = fetch(base + path, cookie=cookie)
    page = body.decode()
    assert status == 200 and 'class="item-title"' in page and item.title[:4] in page
    # logout revokes the token; an expired one sends the browser to /login again
    fetch(base + "/logout", cookie=cookie)
    assert fetch(base + path, cookie=cookie)[0] == 302
    cookie, _ = login(base, path)
    server.expire_sessions()
    assert fetch(base + path, cookie=cookie)[0] == 302


def test_post_bodies_are_bounded(base: str) -> None:
    status, _, _ = fetch(base + "/login", data=b"x" * (64 * 1024 + 1))
    assert status == 413
    assert fetch(base + "/")[0] == 200  # the server goes on


# --- in Chromium: the Goofish shell's calls and its next button -----------------------


@pytest.mark.browser
def test_goofish_next_button_fires_the_next_page_request(base: str, web: DemoWeb) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs Debian chromium")
    mq = next(q for q in web.market if len(q.pages) >= 2)
    next_button = (
        "button[class*=search-pagination-arrow-container]"
        ":has([class*=search-pagination-arrow-right]):not([disabled])"
    )
    calls: list[tuple[str, str, dict[str, Any]]] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            page = browser.new_page()

            def seen(request: Any) -> None:
                if "/h5/" in request.url:
                    form = parse_qs(request.post_data or "")
                    calls.append((request.method, request.url, json.loads(form["data"][0])))

            page.on("request", seen)
            page.goto(base + "/goofish/search?" + urlencode({"q": mq.query}))
            page.wait_for_selector("#feeds-list[data-state=done]")
            assert page.locator("div.feeds-item").count() == len(mq.pages[0])
            assert page.locator("button.login-button").count() == 1
            with page.expect_response(lambda r: API_PATH in r.url) as answered:
                page.locator(next_button).click()
            answer = answered.value.json()
            assert answer["data"]["resultInfo"]["pageNumber"] == 2
            page.wait_for_selector("#feeds-list[data-page='2'][data-state=done]")
            shown = page.locator("div.feeds-item").evaluate_all(
                "els => els.map(e => e.getAttribute('data-item-id'))"
            )
            assert shown == [i.item_id for i in mq.pages[1]]
            # on the last page the button is disabled, and the profile's selector finds none
            while page.locator(next_button).count():
                number = int(page.locator("#feeds-list").get_attribute("data-page") or 0)
                page.locator(next_button).click()
                page.wait_for_selector(f"#feeds-list[data-page='{number + 1}'][data-state=done]")
            assert page.locator("#feeds-list").get_attribute("data-page") == str(len(mq.pages))
            assert page.locator("button#next-page").is_disabled()
        finally:
            browser.close()
    searches = [c for c in calls if API_PATH in c[1]]
    decoys = [c for c in calls if SHADE_PATH in c[1]]
    assert [c[2]["pageNumber"] for c in searches] == list(range(1, len(mq.pages) + 1))
    assert all(c[0] == "POST" for c in searches + decoys)
    assert len(decoys) == 1 and decoys[0][2]["keyword"] == mq.query
    # a loose xhr (the bare API name) matches the decoy too; the exact path does not
    loose = "mtop.taobao.idlemtopsearch.pc.search"
    assert all(loose in c[1] for c in decoys) and not any(API_PATH in c[1] for c in decoys)
