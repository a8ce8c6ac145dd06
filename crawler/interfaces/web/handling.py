"""What every handler shares: the templates (autoescaped, hidden characters
made visible), the logged-in user, rendering, and ``need``: the login wall,
the role check and the CSRF check in front of each handler."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from crawler.interfaces.web.accounts import ROLE_NAMES, User
from crawler.interfaces.web.bench import Bench
from crawler.interfaces.web.security import CSRF_FIELD, CSRF_HEADER, csrf_ok, csrf_token
from crawler.interfaces.web.views import CONTACT_NAMES
from evidence.cases import REGULATORS
from evidence.dossier.build import when
from evidence.review import REJECT_REASONS
from evidence.safe_text import marked

HERE = Path(__file__).parent


def shown(value: Any) -> Any:
    """Jinja's finalize: text with its hidden characters (bidi overrides,
    zero-width and other format characters, controls), which escaping leaves
    alone but which reorder or hide what a reader sees, made visible
    (``⟨U+202E⟩``), in element text and attribute values alike."""
    if not isinstance(value, str) or (value.isascii() and value.isprintable()):
        return value
    return Markup(marked(value)) if isinstance(value, Markup) else marked(value)


def beijing(value: Any) -> str:
    """An instant as analysts in China read it (UTC kept in the bundles)."""
    shown = when(str(value or ""))
    return shown["beijing"].replace(" 北京时间", "")[:16] or str(value or "")


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=shown,
    )
    env.globals["ROLE_NAMES"] = ROLE_NAMES
    env.globals["REASONS"] = REJECT_REASONS
    env.globals["REGULATORS"] = REGULATORS
    env.globals["CONTACT_NAMES"] = CONTACT_NAMES
    env.filters["bj"] = beijing
    env.filters["q"] = lambda value: quote(str(value), safe="")
    return env


TEMPLATES = templates()


def bench_of(request: Request) -> Bench:
    bench: Bench = request.app.state.bench
    return bench


def current_user(request: Request) -> User | None:
    """The logged-in user, read again from the accounts on every request, so
    that a removed user or a changed role takes effect at once."""
    name = request.session.get("user")
    if not isinstance(name, str):
        return None
    return bench_of(request).accounts.get(name)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    user = context.pop("user", None) or current_user(request)
    page = TEMPLATES.get_template(template).render(
        request=request,
        user=user,
        csrf=csrf_token(request.session),
        path=request.url.path,
        **context,
    )
    return HTMLResponse(page, status_code=status)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def need(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A handler for users with ``role``'s rights; POSTs must carry the CSRF
    token (form field or header).  The user is passed as ``user``; a POST's
    form is read here and passed as ``form``."""

    def wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            user = await run_in_threadpool(current_user, request)
            if user is None:
                if request.method != "GET":
                    raise HTTPException(401, "请先登录")
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
            kwargs: dict[str, Any] = {"user": user}
            if request.method == "POST":
                form = await request.form()
                sent = request.headers.get(CSRF_HEADER) or _text(form, CSRF_FIELD)
                if not csrf_ok(request.session, sent):
                    raise HTTPException(
                        403, "表单已过期或来源不明（CSRF 校验未通过），请刷新页面后重试"
                    )
                kwargs["form"] = form
            if not user.can(role):
                raise HTTPException(403, f"此操作需要{ROLE_NAMES[role]}权限")
            return await run_in_threadpool(handler, request, **kwargs)

        return endpoint

    return wrap


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
