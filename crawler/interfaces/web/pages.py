"""The workbench's pages (GET): each reads the catalogue through the library
and renders a template.  What they show is shaped in ``views``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from crawler.interfaces.web import views
from crawler.interfaces.web.accounts import User
from crawler.interfaces.web.handling import bench_of, current_user, is_htmx, need, render
from crawler.interfaces.web.security import REPLAY_CSP
from evidence.dossier.build import BEIJING

PAGE = 50
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_RECORD_ID = re.compile(r"[0-9a-zA-Z_-]{1,64}\Z")
# what a blob may be shown as; anything else is a download
_PICTURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def login_page(request: Request) -> Response:
    if current_user(request):
        return RedirectResponse("/", 303)
    return render(request, "login.html", user=None, error="", name="", next=_next(request))


def _next(request: Request) -> str:
    """Where to go after login: a path of this app only (never another site)."""
    target = request.query_params.get("next", "/")
    return target if target.startswith("/") and not target.startswith("//") else "/"


@need("viewer")
def overview(request: Request, user: User) -> Response:
    data = views.overview(bench_of(request).catalogue)
    return render(request, "overview.html", user=user, o=data)


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {
        k: q.get(k, "").strip()[:200]
        for k in ("q", "label", "platform", "channel", "since", "review")
    }


@need("viewer")
def search(request: Request, user: User) -> Response:
    f = _filters(request)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    result = bench_of(request).catalogue.search(
        f["q"],
        label=f["label"] or None,
        platform=f["platform"] or None,
        channel=f["channel"] or None,
        since=f["since"] or None,
        review=f["review"] or None,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    hits = [
        {"record": r, "excerpt": views.excerpt(f"{r.get('title', '')} {r.get('text', '')}", f["q"])}
        for r in result.hits
    ]
    stats = bench_of(request).catalogue.stats()
    template = "search_results.html" if is_htmx(request) else "search.html"
    return render(
        request,
        template,
        user=user,
        f=f,
        hits=hits,
        total=result.total,
        page=page,
        pages=max(1, -(-result.total // PAGE)),
        platforms=sorted(stats.get("by_platform", {})),
        qs=urlencode({k: v for k, v in f.items() if v}),
    )


def _record(request: Request) -> dict[str, Any]:
    record_id = request.path_params["record_id"]
    record = bench_of(request).catalogue.get(record_id) if _RECORD_ID.match(record_id) else None
    if record is None:
        raise HTTPException(404, "没有这条记录")
    return record


@need("viewer")
def ad(request: Request, user: User) -> Response:
    bench = bench_of(request)
    view = views.ad_view(bench.catalogue, _record(request))
    store = bench.store()
    bundle = views.bundle_facts(store, view["bundle_id"]) if store and view["bundle_id"] else None
    verified = None
    if bundle is not None and store is not None:
        from evidence.verify import verify

        verified = verify(store, [bundle["id"]], trust=bench.config.tsa_ca).bundles[0]
    return render(request, "ad.html", user=user, v=view, bundle=bundle, verified=verified)


@need("viewer")
def operator(request: Request, user: User) -> Response:
    wanted = request.path_params["operator_id"]
    catalogue = bench_of(request).catalogue
    found = next((o for o in catalogue.operators(limit=10_000) if o.get("id") == wanted), None)
    if found is None:
        raise HTTPException(404, "没有这个团伙")
    return render(request, "operator.html", user=user, v=views.operator_view(catalogue, found))


@need("viewer")
def review_queue(request: Request, user: User) -> Response:
    queue = bench_of(request).catalogue.review_queue(limit=1)
    item = views.ad_view(bench_of(request).catalogue, queue[0]) if queue else None
    template = "review_item.html" if is_htmx(request) else "review.html"
    return render(
        request,
        template,
        user=user,
        item=item,
        left=views.queue_size(bench_of(request).catalogue),
        done=request.query_params.get("done", ""),
    )


@need("analyst")
def dossier_form(request: Request, user: User) -> Response:
    q = request.query_params
    return render(
        request,
        "dossier_form.html",
        user=user,
        operator_id=q.get("operator", "")[:64],
        ids=[i for i in q.getlist("id") if _RECORD_ID.match(i)][:500],
    )


def _task(request: Request) -> Any:
    task = bench_of(request).tasks.get(request.path_params["task_id"])
    if task is None:
        raise HTTPException(404, "没有这个材料任务")
    return task


@need("analyst")
def dossier_task(request: Request, user: User) -> Response:
    from evidence.cases import CHANNELS

    task = _task(request)
    template = "dossier_status.html" if is_htmx(request) else "dossier_task.html"
    today = datetime.now(BEIJING).date().isoformat()  # a referral's date, as the official dates it
    return render(request, template, user=user, task=task, channels=CHANNELS, today=today)


@need("analyst")
def dossier_download(request: Request, user: User) -> Response:
    task = _task(request)
    if task.state != "done" or task.file is None:
        raise HTTPException(404, "材料尚未生成")
    return FileResponse(task.file, filename=task.file.name, media_type="application/zip")


@need("viewer")
def cases(request: Request, user: User) -> Response:
    from evidence.cases import STATUSES

    status = request.query_params.get("status", "") or None
    found = bench_of(request).catalogue.cases(status=status if status in STATUSES else None)
    return render(request, "cases.html", user=user, cases=found, statuses=STATUSES)


@need("viewer")
def case(request: Request, user: User) -> Response:
    from evidence.cases import CHANNELS, STATUSES, case_view

    catalogue = bench_of(request).catalogue
    found = catalogue.case(request.path_params["case_id"])
    if found is None:
        raise HTTPException(404, "没有这个案件")
    return render(
        request,
        "case.html",
        user=user,
        c=case_view(catalogue, found),
        statuses=STATUSES,
        channels=CHANNELS,
    )


@need("viewer")
def indicators(request: Request, user: User) -> Response:
    from crawler.running.indicators import indicator_rows

    rows = indicator_rows(bench_of(request).catalogue)
    return render(request, "indicators.html", user=user, rows=rows)


@need("viewer")
def indicators_file(request: Request, user: User) -> Response:
    from crawler.running.indicators import indicator_rows, indicators_csv, indicators_stix

    fmt = request.path_params["fmt"]
    rows = indicator_rows(bench_of(request).catalogue)
    if fmt == "csv":
        body, media = indicators_csv(rows), "text/csv; charset=utf-8"
    elif fmt == "json":
        body, media = indicators_stix(rows), "application/json"
    else:
        raise HTTPException(404, "未知格式")
    name = f"adwatch-indicators.{'stix.json' if fmt == 'json' else 'csv'}"
    return Response(
        body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@need("viewer")
def lookup(request: Request, user: User) -> Response:
    from crawler.running.indicators import lookup as find

    value = request.query_params.get("q", "").strip()[:100]
    result = find(bench_of(request).catalogue, value) if value else None
    return render(request, "lookup.html", user=user, value=value, result=result)


@need("admin")
def users(request: Request, user: User) -> Response:
    return render(request, "users.html", user=user, users=bench_of(request).accounts.all())


@need("viewer")
def blob(request: Request, user: User) -> Response:
    """A picture or a stored file by its SHA-256: pictures inline (only the
    formats recognised by their first bytes), anything else as a download,
    and never as a page of this site (sandboxed, no sniffing)."""
    digest = request.path_params["digest"]
    if not _HEX64.match(digest):
        raise HTTPException(404, "无此文件")
    bench = bench_of(request)
    store = bench.store()
    path = store.blob_path(digest) if store else None
    if path is None or not path.exists():
        path = views.find_picture(bench.config.data_dir, digest)
    if path is None or not path.exists():
        raise HTTPException(404, "无此文件")
    with path.open("rb") as f:
        head = f.read(16)
    media = next((m for magic, m in _PICTURES.items() if head.startswith(magic)), "")
    if not media and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        media = "image/webp"
    headers = {
        "content-security-policy": "sandbox; default-src 'none'",
        "cache-control": "private, max-age=86400",
    }
    if media:
        return FileResponse(path, media_type=media, headers=headers)
    return FileResponse(
        path, media_type="application/octet-stream", filename=f"{digest[:16]}.bin", headers=headers
    )


@need("viewer")
def replay(request: Request, user: User) -> Response:
    """The captured page replayed from its bundle's WACZ (ReplayWeb.page)."""
    bundle_id = request.path_params["bundle_id"]
    store = bench_of(request).store()
    if not _HEX64.match(bundle_id) or store is None or not store.bundle_path(bundle_id).exists():
        raise HTTPException(404, "没有这个证据包")
    facts = views.bundle_facts(store, bundle_id)
    if not facts["wacz"]:
        raise HTTPException(404, "这个证据包里没有 WACZ 网络存档")
    page = render(request, "replay.html", user=user, bundle=facts)
    page.headers["content-security-policy"] = REPLAY_CSP
    return page


REPLAY_FRAME = (
    '<!doctype html><html><head><script src="./ui.js"></script></head>'
    "<body><replay-app-main></replay-app-main></body></html>"
)


def replay_frame(request: Request) -> Response:
    """What ReplayWeb.page's service worker serves at its base, for a frame
    that loads before the worker controls it (public, like the script)."""
    return HTMLResponse(REPLAY_FRAME, headers={"content-security-policy": REPLAY_CSP})
