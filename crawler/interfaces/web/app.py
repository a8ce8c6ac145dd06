"""The workbench as an ASGI app: routes, sessions, the login wall, rendering.

Every page is server-rendered from Jinja2 templates with autoescaping on (ad
text is hostile); htmx swaps parts of a page (the next review item, search
results) and falls back to whole pages without JavaScript.  Handlers are
thin: they read the request, call the same library functions as the CLI and
render what comes back.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from crawler.interfaces.web import actions, pages
from crawler.interfaces.web.bench import Bench
from crawler.interfaces.web.handling import HERE, render
from crawler.interfaces.web.security import SecurityHeaders, session_secret

logger = logging.getLogger("adwatch.web")
SESSION_HOURS = 8
MAX_BODY = 1024 * 1024  # forms only: nothing posted here is large


async def _error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # a fault of ours: its trace goes to the log
        logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "服务器内部错误"
    return await run_in_threadpool(
        lambda: render(request, "error.html", status=status, status_code=status, detail=detail)
    )


def create_app(settings: Any, *, secure_cookies: bool = False) -> Starlette:
    """The workbench over the catalogue and evidence store ``settings`` name."""
    bench = Bench.open(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        yield
        bench.close()

    routes = [
        Route("/login", pages.login_page, methods=["GET"]),
        Route("/login", actions.login, methods=["POST"]),
        Route("/logout", actions.logout, methods=["POST"]),
        Route("/", pages.overview),
        Route("/search", pages.search),
        Route("/ad/{record_id}", pages.ad),
        Route("/operator/{operator_id}", pages.operator),
        Route("/review", pages.review_queue),
        Route("/review/{record_id}", actions.review, methods=["POST"]),
        Route("/dossier", pages.dossier_form, methods=["GET"]),
        Route("/dossier", actions.dossier, methods=["POST"]),
        Route("/dossier/{task_id}", pages.dossier_task),
        Route("/dossier/{task_id}/download", pages.dossier_download),
        Route("/cases", pages.cases),
        Route("/cases", actions.open_case, methods=["POST"]),
        Route("/cases/{case_id}", pages.case),
        Route("/cases/{case_id}/status", actions.case_status, methods=["POST"]),
        Route("/indicators", pages.indicators),
        Route("/indicators.{fmt}", pages.indicators_file),
        Route("/lookup", pages.lookup),
        Route("/users", pages.users),
        Route("/blob/{digest}", pages.blob),
        Route("/replay/{bundle_id}", pages.replay),
        # ReplayWeb.page's frame may load before its service worker controls it:
        # it must find the replay app here (a 404 can stall the replay for good)
        Route("/static/vendor/replaywebpage/", pages.replay_frame),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders, hsts=secure_cookies),
            Middleware(
                SessionMiddleware,
                secret_key=session_secret(bench.folder),
                session_cookie="adwatch_session",
                max_age=SESSION_HOURS * 3600,
                same_site="strict",
                https_only=secure_cookies,
            ),
        ],
        exception_handlers={HTTPException: _error, Exception: _error},
        lifespan=lifespan,
        max_body_size=MAX_BODY,
    )
    app.state.bench = bench
    return app
