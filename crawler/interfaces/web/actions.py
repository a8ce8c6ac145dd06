"""The workbench's actions (POST): log in and out, review, make a dossier,
record and follow a referral.  Each checks its form, calls the library
(``evidence.review``, ``evidence.cases``, ``make_dossier``) and answers with
the next page, or the next piece of one when htmx asked."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crawler.interfaces.web import pages
from crawler.interfaces.web.accounts import User
from crawler.interfaces.web.bench import Bench, DossierTask
from crawler.interfaces.web.handling import bench_of, is_htmx, need
from crawler.interfaces.web.security import CSRF_FIELD, csrf_ok

MAX_SELECTED = 500


def _field(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def login(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: FormData) -> Response:
    bench = bench_of(request)
    name = _field(form, "name", 64).lower()
    target = _field(form, "next", 500)
    target = target if target.startswith("/") and not target.startswith("//") else "/"

    def again(error: str, status: int) -> Response:
        return pages.render(
            request, "login.html", status=status, user=None, error=error, name=name, next=target
        )

    if not csrf_ok(request.session, _field(form, CSRF_FIELD)):
        return again("登录页面已过期，请重试。", 403)
    client = request.client.host if request.client else "?"
    keys = (f"ip:{client}", f"name:{name}")
    wait = bench.brake.wait(*keys)
    if wait:
        response = again(f"登录失败次数过多，请 {wait} 秒后再试。", 429)
        response.headers["retry-after"] = str(wait)
        return response
    user = bench.accounts.verify(name, _field(form, "password", 1024))
    if user is None:
        bench.brake.failed(*keys)
        return again("用户名或密码不正确。", 401)
    bench.brake.succeeded(*keys)
    request.session.clear()  # a new session: nothing of the one before the login carries over
    request.session["user"] = user.name
    return RedirectResponse(target, 303)


@need("viewer")
def logout(request: Request, user: User, form: FormData) -> Response:
    request.session.clear()
    response = RedirectResponse("/login", 303)
    # what ReplayWeb.page kept of the archives seen stays on a shared computer otherwise
    response.headers["clear-site-data"] = '"cache", "storage"'
    return response


@need("analyst")
def review(request: Request, user: User, form: FormData) -> Response:
    from evidence.review import ReviewError, decide

    bench = bench_of(request)
    record_id = request.path_params["record_id"]
    if bench.catalogue.get(record_id) is None:
        raise HTTPException(404, "没有这条记录")
    store = bench.store(create=True)
    assert store is not None
    try:
        decide(
            bench.catalogue,
            store,
            record_id,
            _field(form, "decision", 20),
            user.name,
            reason=_field(form, "reason", 40),
            note=_field(form, "note", 2000),
        )
    except KeyError:
        raise HTTPException(404, "没有这条记录") from None
    except ReviewError as exc:
        raise HTTPException(400, str(exc)) from None
    if _field(form, "back", 10) == "ad":
        return RedirectResponse(f"/ad/{record_id}", 303)
    if is_htmx(request):
        return pages.review_queue.__wrapped__(request, user=user)  # type: ignore[attr-defined]
    return RedirectResponse(f"/review?done={record_id}", 303)


@need("analyst")
def dossier(request: Request, user: User, form: FormData) -> Response:
    from evidence.dossier.render import REGULATORS

    regulator = _field(form, "regulator", 10)
    if regulator not in REGULATORS:
        raise HTTPException(400, "请选择监管部门")
    ids = [i for i in form.getlist("id") if isinstance(i, str)][:MAX_SELECTED]
    operator_id = _field(form, "operator", 64)
    if not ids and not operator_id:
        raise HTTPException(400, "请选择广告或团伙")
    bench = bench_of(request)
    task = bench.new_task(
        regulator=regulator,
        by=user.name,
        record_ids=ids,
        operator_id=operator_id,
        confirmed_only=_field(form, "unreviewed", 5) != "1",
    )
    threading.Thread(
        target=_make, args=(bench, task), daemon=True, name=f"dossier-{task.id}"
    ).start()
    return RedirectResponse(f"/dossier/{task.id}", 303)


def _make(bench: Bench, task: DossierTask) -> None:
    """Make the dossier (runs in its own thread; the page polls its state)."""
    from crawler.running.dossier_run import make_dossier
    from crawler.running.lifecycle import JobError
    from evidence.dossier.build import Selection

    selection = Selection(
        cluster=task.operator_id, ids=task.record_ids, confirmed_only=task.confirmed_only
    )

    def progress(message: str) -> None:
        task.progress = message

    try:
        result = make_dossier(
            bench.settings,
            task.regulator,
            selection,
            task.folder / task.regulator,
            make_zip=True,
            progress=progress,
        )
    except (JobError, LookupError, ValueError, FileExistsError, OSError) as exc:
        task.state, task.error = "failed", str(exc.args[0] if exc.args else exc)
        return
    except Exception as exc:
        task.state, task.error = "failed", f"{type(exc).__name__}: {exc}"
        return
    task.file = result.zip
    task.exhibits, task.pages = result.exhibits, result.pages
    task.exhibit_ids = result.record_ids
    task.sha256 = _sha256(result.zip) if result.zip else ""
    task.state = "done"


def _sha256(path: Any) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@need("analyst")
def open_case(request: Request, user: User, form: FormData) -> Response:
    from evidence.cases import CaseError
    from evidence.cases import open_case as record_referral

    bench = bench_of(request)
    task = bench.tasks.get(_field(form, "task", 20))
    ids = [i for i in form.getlist("id") if isinstance(i, str)][:MAX_SELECTED]
    store = bench.store(create=True)
    assert store is not None
    try:
        made = record_referral(
            bench.catalogue,
            store,
            regulator=task.regulator if task else _field(form, "regulator", 10),
            channel=_field(form, "channel", 20),
            sent_on=_field(form, "sent_on", 10),
            reference=_field(form, "reference", 100),
            dossier_sha256=task.sha256 if task else _field(form, "dossier_sha256", 64),
            record_ids=task.exhibit_ids if task else ids,
            by=user.name,
            operator_id=task.operator_id if task else _field(form, "operator", 64),
            dossier_name=task.file.name if task and task.file else "",
        )
    except CaseError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/cases/{made['id']}", 303)


@need("analyst")
def case_status(request: Request, user: User, form: FormData) -> Response:
    from evidence.cases import CaseError, set_status

    bench = bench_of(request)
    store = bench.store(create=True)
    assert store is not None
    case_id = request.path_params["case_id"]
    try:
        set_status(
            bench.catalogue,
            store,
            case_id,
            _field(form, "status", 20),
            user.name,
            note=_field(form, "note", 500),
        )
    except KeyError:
        raise HTTPException(404, "没有这个案件") from None
    except CaseError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/cases/{case_id}", 303)
