"""Links written by an adversary: internal hosts, redirects to them, other schemes.

Two loopback servers stand in for the world.  The "public" one is the site
being crawled (allowed, as ``--base-url`` allows the host it names); the
"internal" one stands for the analyst's intranet or a local service, which
the address policy does not allow.  Its pages are what an attacker wants
sealed as evidence (``db_password=``).  Whatever the links say, through the
plain downloader, the crawl's browser or the capture's browser, the internal
server must receive no request at all, and each refused link must be one
reject with its reason while the rest of its page goes on.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.items import AdRecord
from evidence.index import open_catalogue
from tests.conftest import CRAWL_SETTINGS, adwatch

# the rendered crawl and the capture run Chromium
pytestmark = pytest.mark.browser

SECRET = "db_password=hunter2-internal"
# our own pitch, written for this test
PITCH = "逾期先别还！专业团队协商还款，当天停催，不成功不收费，加微信 tingcui_helper88 咨询"


class Recorder(ThreadingHTTPServer):
    """A loopback server that counts what reached it."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.paths: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Internal(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        body = f"<html><body><h1>admin</h1><p>{SECRET}</p><p>{PITCH}</p></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


def _public_handler(internal: str) -> type[BaseHTTPRequestHandler]:
    inner = urlsplit(internal).netloc

    class Public(BaseHTTPRequestHandler):
        server: Recorder

        def do_GET(self) -> None:
            self.server.paths.append(self.path)
            path = urlsplit(self.path).path
            if path in ("/s", "/r/s"):
                self._send(_results(internal, "/r" if path == "/r/s" else ""))
            elif path.endswith("/hop"):
                self.send_response(302)
                self.send_header("Location", f"{internal}/admin?via=redirect")
                self.end_headers()
            elif path.endswith("/land/ok") or path.endswith("/land/later"):
                self._send(_landing(internal, inner))
            else:
                self.send_response(404)
                self.end_headers()

        def _send(self, html: str) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Public


def _results(internal: str, prefix: str) -> str:
    links = [
        ("当天停催 正规协商", f"{prefix}/land/ok"),
        ("内部后台", f"{internal}/admin?via=result"),
        ("点我咨询", "javascript:alert(document.cookie)"),
        ("本地文件", "file:///etc/passwd"),
        ("跳转", f"{prefix}/land/hop"),
        ("停息挂账 立省", f"{prefix}/land/later"),  # after the bad ones: still read
    ]
    blocks = "".join(
        f'<div class="result c-container" mu="{target}"><h3 class="t"><a href="{target}">'
        f'{title}</a></h3><div class="c-abstract">{PITCH}</div>'
        f'<div class="c-showurl">site{n}.example</div></div>'
        for n, (title, target) in enumerate(links, 1)
    )
    return (
        '<html><head><meta charset="utf-8"><title>结果</title></head><body>'
        f'<div id="content_left">{blocks}</div></body></html>'
    )


def _landing(internal: str, inner: str) -> str:
    """An ad page whose pictures, frame, data request and socket point inward."""
    return (
        '<html><head><meta charset="utf-8"><title>协商还款 当天停催</title></head><body>'
        f'<h1>协商还款</h1><div class="content"><p>{PITCH}</p>'
        f'<img src="{internal}/pixel.png"><img src="file:///etc/passwd">'
        f'<iframe src="{internal}/frame"></iframe></div>'
        f"<script>fetch('{internal}/xhr').catch(()=>0);"
        f"try{{new WebSocket('ws://{inner}/ws')}}catch(e){{}}</script>"
        "</body></html>"
    )


PROFILE = """\
name: {name}
channel: search
base_url: http://127.0.0.1:9
queries: [停催]
max_pages: 1
rate: {{concurrency: 4, delay: 0}}
search:
  url: "{{base}}{prefix}/s?wd={{query}}&pn={{offset}}"
  page_size: 10
  render: false
  results: "div#content_left > div.result.c-container"
  title: "h3 a"
  link: "h3 a::attr(href)"
  target: "::attr(mu)"
  snippet: ".c-abstract"
  site: ".c-showurl"
detail:
  render: {render}
  title: "title"
  heading: "h1"
  text: ".content, body"
  images: "img::attr(src)"
"""


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Recorder, Recorder]]:
    internal = Recorder(_Internal)
    public = Recorder(_public_handler(internal.base))
    yield public, internal
    public.close()
    internal.close()


@pytest.fixture(scope="module")
def hostile_crawl(
    world: tuple[Recorder, Recorder], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Any]:
    """One crawl of the hostile results, plain and rendered landing pages,
    ending with the evidence capture of the ads it found."""
    public, _internal = world
    data_dir = tmp_path_factory.mktemp("hostile")
    sites = data_dir / "sites"
    sites.mkdir()
    (sites / "hostile-plain.yaml").write_text(
        PROFILE.format(name="hostile-plain", prefix="", render="false"), encoding="utf-8"
    )
    (sites / "hostile-rendered.yaml").write_text(
        PROFILE.format(name="hostile-rendered", prefix="/r", render="true"), encoding="utf-8"
    )
    args = ["crawl", "--channel", "search", "--base-url", public.base]
    args += ["--site", "hostile-plain", "--site", "hostile-rendered"]
    settings = [
        *CRAWL_SETTINGS,
        f"ADWATCH_SITES_DIR={sites}",
        "ADWATCH_OCR_ENGINE=none",
        "ADWATCH_CAPTURE=True",
        "ADWATCH_CAPTURE_LOAD_WAIT=3",
    ]
    for setting in settings:
        args += ["-s", setting]
    done = adwatch(*args, data_dir=data_dir, timeout=600)
    return data_dir, done


def _rejects(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "rejects.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _records(data_dir: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(data_dir / "catalogue.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM records")]


def test_the_internal_server_receives_nothing(
    world: tuple[Recorder, Recorder], hostile_crawl: tuple[Path, Any]
) -> None:
    public, internal = world
    _data_dir, done = hostile_crawl
    assert done.returncode == 0, done.stderr[-3000:]
    assert internal.paths == []
    assert "/land/ok" in public.paths and "/r/land/ok" in public.paths  # the crawl did run
    assert "evidence:" in done.stdout


def test_refused_links_are_rejects_with_their_reason_never_records(
    world: tuple[Recorder, Recorder], hostile_crawl: tuple[Path, Any]
) -> None:
    public, internal = world
    data_dir, _done = hostile_crawl
    rejects = _rejects(data_dir)
    for platform in ("hostile-plain", "hostile-rendered"):
        mine = [r for r in rejects if r["platform"] == platform]
        reasons = {(r["reason"], r["url"].split("?")[0]) for r in mine}
        assert ("refused_address", f"{internal.base}/admin") in reasons, mine
        assert ("refused_scheme", "javascript:alert(document.cookie)") in reasons, mine
        assert ("refused_scheme", "file:///etc/passwd") in reasons, mine
        # the hop is refused whichever fetched it: Scrapy's redirect (the hop is a
        # request of its own) or the browser (its egress guard refuses the hop)
        hop = [r for r in mine if "/land/hop" in r["url"] + r["detail"]]
        assert [r["reason"] for r in hop] == ["refused_address"], mine
        assert "loopback" in hop[0]["detail"]
        assert str(urlsplit(internal.base).port) in hop[0]["url"] + hop[0]["detail"]
        images = [r for r in mine if r["stage"] == "image"]
        assert images and {r["reason"] for r in images} == {"refused_address"}, images
    records = {r["url"]: r for r in _records(data_dir)}
    assert set(records) == {
        f"{public.base}{prefix}/land/{name}"
        for prefix in ("", "/r")
        for name in ("ok", "later", "hop")
    }
    for prefix in ("", "/r"):  # the result's own snippet kept, nothing from where it led
        hop = json.loads(records[f"{public.base}{prefix}/land/hop"]["doc"])
        assert "landing page: refused_address" in hop["problems"]
        assert SECRET not in json.dumps(hop, ensure_ascii=False)


def test_nothing_internal_is_sealed(
    world: tuple[Recorder, Recorder], hostile_crawl: tuple[Path, Any]
) -> None:
    public, internal = world
    data_dir, _done = hostile_crawl
    bundles = data_dir / "evidence" / "bundles"
    sealed = [p for p in bundles.rglob("*") if p.is_file()] if bundles.exists() else []
    blobs = [p for p in (data_dir / "evidence").rglob("*") if p.is_file()]
    assert sealed, "the ads' landing pages were captured"
    assert not any(SECRET.encode() in p.read_bytes() for p in blobs)
    manifests = [json.loads(p.read_text()) for p in bundles.rglob("manifest.json")]
    landings = [m for m in manifests if "/land/" in m["about"]["facts"]["request"]["final_url"]]
    assert landings
    for manifest in landings:  # each capture says what its page tried to reach
        problems = " ".join(manifest["about"]["facts"]["problems"])
        assert f"refused by the address policy: {internal.base}/pixel.png" in problems
        assert f"{internal.base}/frame" in problems
        server = manifest["about"]["facts"]["request"]["server"]
        assert server == {"ip": "127.0.0.1", "port": urlsplit(public.base).port}


def test_a_catalogue_record_for_a_local_file_or_internal_host_is_never_captured(
    world: tuple[Recorder, Recorder], tmp_path: Path
) -> None:
    """Another writer of the catalogue (an Elasticsearch one is shared) may put
    any URL in it; capture applies the policy to the record's URL, and to
    every hop: a public page that redirects inward is refused too."""
    public, internal = world
    targets = {
        "file": "file:///etc/passwd",
        "internal": f"{internal.base}/admin?via=catalogue",
        "hop": f"{public.base}/land/hop",
    }
    records = [
        AdRecord(
            channel="search",
            platform="demo-baidu",
            url=url,
            title=f"停催 {name}",
            text=PITCH,
            label="ad",
            score=0.9,
        )
        for name, url in targets.items()
    ]
    uri = f"sqlite://{tmp_path / 'catalogue.db'}"
    with open_catalogue(uri) as catalogue:
        catalogue.upsert([r.to_dict() for r in records])
        ids = {name: r.id for name, r in zip(targets, records, strict=True)}
    before = len(internal.paths)
    args = ["capture", "-s", f"ADWATCH_ALLOW_HOSTS=127.0.0.1:{urlsplit(public.base).port}"]
    for record_id in ids.values():
        args += ["--record", record_id]
    done = adwatch(*args, data_dir=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert internal.paths[before:] == []
    assert "sealed:   0 bundles" in done.stdout, done.stdout
    with open_catalogue(uri) as catalogue:
        rows = catalogue.captures()
    by_record = {row["record_id"]: (row["outcome"], row["reason"]) for row in rows}
    for name, record_id in ids.items():
        outcome, reason = by_record[record_id]
        assert outcome == "failed", (name, reason)
        assert reason.startswith("refused by the address policy"), (name, reason)
    assert "file: is not http or https" in by_record[ids["file"]][1]
    assert "loopback" in by_record[ids["hop"]][1]
