"""Blocks, captcha redirects and logged-out pages the live platforms answer,
each reached by a reserved query so that a test can aim at it.

The reserved queries are never among the generated ones (``generate`` never
makes them, and a test checks it), so a normal crawl of the demo never meets
these cases: only a crawl or a test that asks for one does.

Reserved query (constant), where it is asked -> what the demo answers:

- ``DOUYIN_VERIFY``, ``/aweme/v1/web/search/item/?keyword=`` -> HTTP 200 JSON
  soft block: ``status_code`` 0, ``data: []``, ``has_more`` 0 and
  ``search_nil_info.search_nil_type`` ``verify_check``.
- ``DOUYIN_CAPTCHA``, ``/douyin/search?keyword=`` -> the shell with a captcha
  overlay ``div#captcha-verify-image``; it fires no data request.
- ``GOOFISH_MTOP``, the mtop search call (``.../pc.search/1.0/``) -> HTTP 200
  JSON soft block: ``ret`` ``FAIL_SYS_USER_VALIDATE``, ``RGV587_ERROR::SM::..``
  and ``data.url`` a ``/_____tmd_____/punish?x5secdata=..`` link; the shell
  shows a notice and stays where it is.
- ``GOOFISH_PUNISH``, ``/goofish/search?q=`` -> the shell sets ``location.href``
  to ``/_____tmd_____/punish?x5secdata=..`` (a captcha page, 200).
- ``GOOFISH_LOGIN``, ``/goofish/search?q=`` -> the shell sets ``location.href``
  to ``/passport/mini_login.htm?..`` (the stand-in for passport.goofish.com's
  mini_login: a login form, 200).
- ``GOOFISH_BAXIA``, ``/goofish/search?q=`` -> the shell with
  ``div.baxia-dialog`` and ``div.baxia-dialog-mask`` over the (empty) list.
- ``BAIDU_CAPTCHA``, ``/s?wd=`` -> HTTP 302 to
  ``/wappass/static/captcha/tuxing.html?..`` (the stand-in for
  wappass.baidu.com: 百度安全验证, 200).

Sessions: ``/login`` (a form; a POST with any non-empty user and password
sets ``demo_session``, HttpOnly, path /, and redirects to ``next``) and
``/logout``; only tokens this server issued are valid.  Every search page
shows ``a.login-avatar`` to a valid session and ``button.login-button``
(登录) otherwise; ``/member/item?id=ID`` is a listing page for members only
(302 to ``/login?next=..`` without a valid session).
"""

from __future__ import annotations

import secrets
import threading
import zlib
from urllib.parse import quote, urlencode

from demo.render_common import esc, page

DOUYIN_VERIFY = "demo-block-douyin-verify"
DOUYIN_CAPTCHA = "demo-block-douyin-captcha"
GOOFISH_MTOP = "demo-block-goofish-mtop"
GOOFISH_PUNISH = "demo-block-goofish-punish"
GOOFISH_LOGIN = "demo-block-goofish-login"
GOOFISH_BAXIA = "demo-block-goofish-baxia"
BAIDU_CAPTCHA = "demo-block-baidu-captcha"

RESERVED = frozenset(
    {
        DOUYIN_VERIFY,
        DOUYIN_CAPTCHA,
        GOOFISH_MTOP,
        GOOFISH_PUNISH,
        GOOFISH_LOGIN,
        GOOFISH_BAXIA,
        BAIDU_CAPTCHA,
    }
)

PUNISH_PATH = "/_____tmd_____/punish"
MINI_LOGIN_PATH = "/passport/mini_login.htm"
WAPPASS_PATH = "/wappass/static/captcha/tuxing.html"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
MEMBER_ITEM_PATH = "/member/item"

SESSION_COOKIE = "demo_session"
# Where a search page puts its login widget; filled per response (pages are cached).
LOGIN_SLOT = "<!--demo:login-slot-->"
LOGGED_IN = '<a class="login-avatar" href="/logout" title="退出登录">我</a>'
LOGGED_OUT = '<button class="login-button" type="button">登录</button>'

WAPPASS_TITLE = "百度安全验证"
PUNISH_TEXT = "亲，请拖动下方滑块完成验证"
MTOP_BLOCK_RET = ["FAIL_SYS_USER_VALIDATE", "RGV587_ERROR::SM::哎哟喂,被挤爆啦,请稍后重试"]


def x5secdata(key: str) -> str:
    """A stable stand-in for the opaque x5secdata the platform puts in its punish links."""
    return f"xd{zlib.crc32(key.encode()):010d}"


def punish_url(base: str, key: str) -> str:
    return f"{base}{PUNISH_PATH}?" + urlencode({"x5secdata": x5secdata(key), "x5step": 1})


def mini_login_url(redirect: str) -> str:
    return f"{MINI_LOGIN_PATH}?" + urlencode(
        {"appName": "xianyu", "appEntrance": "web", "isMobile": "false", "redirectURL": redirect}
    )


def wappass_url(base: str, back: str) -> str:
    return f"{base}{WAPPASS_PATH}?" + urlencode(
        {"logid": f"{zlib.crc32(back.encode()):010d}", "signature": "demo", "backurl": back}
    )


def douyin_verify_answer() -> dict[str, object]:
    """The video search API's soft block: a 200 that looks like "no results"."""
    return {
        "status_code": 0,
        "data": [],
        "has_more": 0,
        "cursor": 0,
        "search_nil_info": {
            "search_nil_type": "verify_check",
            "search_nil_item": "verify_check",
            "is_load_more": "first_flush",
            "text_type": 9,
        },
        "log_pb": {"impr_id": "demo-verify-check"},
    }


def mtop_block_answer(api: str, base: str, key: str) -> dict[str, object]:
    """The mtop API's soft block (RGV587): 200 JSON pointing at a punish page."""
    return {
        "api": api,
        "v": "1.0",
        "ret": list(MTOP_BLOCK_RET),
        "data": {
            "url": punish_url(base, key),
            "dialogSize": {"width": "380px", "height": "300px"},
        },
    }


def _captcha_box(title: str, text: str, marker: str) -> str:
    return (
        f'<div id="{marker}" style="width:340px;margin:80px auto;font:14px sans-serif">'
        f'<p class="captcha-title">{esc(title)}</p><div class="captcha-img"></div>'
        '<div class="captcha-track" style="height:40px;background:#eee;border-radius:20px">'
        '<div class="captcha-handle" style="width:40px;height:40px;background:#1677ff;'
        f'border-radius:20px"></div></div><p>{esc(text)}</p></div>'
    )


def punish_page(secdata: str) -> str:
    """Taobao's x5 slider interstitial (the page a punish link leads to)."""
    body = _captcha_box("验证码拦截", PUNISH_TEXT, "nocaptcha") + (
        f'<form id="x5-form" action="{PUNISH_PATH}" method="get">'
        f'<input type="hidden" name="x5secdata" value="{esc(secdata)}"></form>'
    )
    return page("验证码拦截", body)


def wappass_page(back: str) -> str:
    """Baidu's security check (百度安全验证) that a blocked search is sent to."""
    body = _captcha_box(WAPPASS_TITLE, "请完成下方验证后继续操作", "wappass-captcha") + (
        f'<a class="passMod_back" href="{esc(back)}">返回</a>'
    )
    return page(WAPPASS_TITLE, body)


def mini_login_page(redirect: str) -> str:
    """The stand-in for passport.goofish.com's mini_login: a login form."""
    action = f"{LOGIN_PATH}?" + urlencode({"next": safe_next(redirect)})
    body = (
        '<div id="login-box" class="mini-login"><h2>闲鱼 · 登录</h2>'
        f'<form id="login-form" method="post" action="{esc(action)}">'
        '<input id="fm-login-id" name="user" placeholder="手机号/会员名/邮箱">'
        '<input id="fm-login-password" name="password" type="password" '
        'placeholder="请输入登录密码">'
        '<button class="fm-button fm-submit password-login" type="submit">登录</button>'
        "</form></div>"
    )
    return page("闲鱼 - 登录", body)


def login_page(next_url: str, failed: bool = False) -> str:
    """The demo's own login form (GET /login)."""
    note = '<p class="login-error">请输入账号和密码</p>' if failed else ""
    body = (
        f'<div id="login-box"><h2>登录</h2>{note}'
        f'<form id="login-form" method="post" action="{LOGIN_PATH}">'
        f'<input type="hidden" name="next" value="{esc(safe_next(next_url))}">'
        '<input id="login-user" name="user" placeholder="账号">'
        '<input id="login-password" name="password" type="password" placeholder="密码">'
        '<button class="login-submit" type="submit">登录</button></form></div>'
    )
    return page("登录", body)


def safe_next(target: str) -> str:
    """Where a login may send the browser: a path on this server, else /."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_redirect(target: str) -> str:
    return f"{LOGIN_PATH}?next={quote(safe_next(target), safe='')}"


class Sessions:
    """The session tokens this server issued; only those are valid."""

    def __init__(self) -> None:
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            return token in self._tokens

    def revoke(self, token: str | None) -> None:
        with self._lock:
            self._tokens.discard(token or "")

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()


def set_cookie(token: str) -> str:
    return f"{SESSION_COOKIE}={token}; HttpOnly; Path=/; SameSite=Lax"


def clear_cookie() -> str:
    return f"{SESSION_COOKIE}=; HttpOnly; Path=/; Max-Age=0"


def login_widget(logged_in: bool) -> bytes:
    return (LOGGED_IN if logged_in else LOGGED_OUT).encode("utf-8")
