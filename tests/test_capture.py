"""Evidence capture in real Chromium against a real loopback server: what a
bundle holds, and what a capture does with pages that fight back (a captcha,
a login wall, an empty render, a 404, a hung sub-resource, a tall page, a
page that leaves, a download, a certificate no one issued)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import ssl
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw, ImageFont
from warcio.archiveiterator import ArchiveIterator

from evidence.bundle import seal_capture
from evidence.capture import Capture, Capturer, CaptureSettings, Target, classify
from evidence.netpolicy import origin_entry
from evidence.store import EvidenceStore
from evidence.verify import structure_problems

pytestmark = pytest.mark.browser

AD = "逾期先别还，当天停催，加V: tc8888"


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, "PNG")
    return out.getvalue()


def _banner_png(said: str) -> bytes:
    img = Image.new("RGB", (640, 80), "#fff4d6")
    font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 28)
    ImageDraw.Draw(img).text((16, 20), said, font=font, fill="#b00000")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


PAGES: dict[str, tuple[int, str, bytes]] = {
    "/ad": (
        200,
        "text/html; charset=utf-8",
        (
            f"<html><head><title>停催</title></head><body><h1>{AD}</h1>"
            "<img src='/pic.png'><p>专业团队，不成功退款</p></body></html>"
        ).encode(),
    ),
    "/pic.png": (200, "image/png", _png("#c00000")),
    "/banner-ad": (
        200,
        "text/html; charset=utf-8",
        "<html><body><p>专业团队</p><img src='/banner.png'></body></html>".encode(),
    ),
    "/banner.png": (200, "image/png", _banner_png("征信修复 加微信 zhengxin_ok")),
    "/captcha": (
        200,
        "text/html; charset=utf-8",
        "<html><body><p>请完成下列验证后继续</p><div>拖动滑块</div></body></html>".encode(),
    ),
    "/login": (
        200,
        "text/html; charset=utf-8",
        "<html><body><p>请先登录</p><button>扫码登录</button></body></html>".encode(),
    ),
    "/empty": (200, "text/html; charset=utf-8", b"<html><body></body></html>"),
    "/removed": (
        404,
        "text/html; charset=utf-8",
        "<html><body>该页面不存在或已被删除</body></html>".encode(),
    ),
    "/hangs": (
        200,
        "text/html; charset=utf-8",
        (f"<html><body><p>{AD}</p><script src='/never.js'></script></body></html>").encode(),
    ),
    "/tall": (
        200,
        "text/html; charset=utf-8",
        (
            f"<html><body style='margin:0'><p>{AD}</p>"
            "<div style='height:21000px;background:linear-gradient(#fff,#fcc)'></div>"
            "<p>页尾</p></body></html>"
        ).encode(),
    ),
    "/leaves": (
        200,
        "text/html; charset=utf-8",
        (
            f"<html><body><p>{AD}</p>"
            # 1.5 s, like the demo's page: long enough that even a loaded machine has
            # the document before the page moves on
            "<script>setTimeout(() => { location.href = '/wx' }, 1500)</script></body></html>"
        ).encode(),
    ),
    "/wx": (200, "text/html; charset=utf-8", "<html><body>添加朋友</body></html>".encode()),
    "/app.apk": (200, "application/vnd.android.package-archive", b"PK\x03\x04" + b"\0" * 4000),
    # the page redefines what its own scripts would read back
    "/liar": (
        200,
        "text/html; charset=utf-8",
        (
            f"<html><head><title>-停催免息</title></head><body><p>{AD}</p><script>"
            "Object.defineProperty(HTMLElement.prototype, 'innerText', {get() {"
            " return '该页面不存在' }});"
            "Object.defineProperty(Document.prototype, 'title', {get() { return 42 }});"
            "</script></body></html>"
        ).encode(),
    ),
    "/framed": (
        200,
        "text/html; charset=utf-8",
        b"<html><body style='margin:0'><iframe src='/ad' "
        b"style='border:0;width:100%;height:900px'></iframe></body></html>",
    ),
    "/busy": (
        200,
        "text/html; charset=utf-8",
        (
            f"<html><body><p>{AD}</p><script>addEventListener('load', () =>"
            " setTimeout(() => { for (;;) {} }, 0))</script></body></html>"
        ).encode(),
    ),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/hop":
            self.send_response(302)
            self.send_header("Location", "/ad")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/never.js":  # a sub-resource that never finishes
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            while not self.server.stopping.is_set():  # type: ignore[attr-defined]
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                self.server.stopping.wait(0.5)  # type: ignore[attr-defined]
            return
        if path == "/slow":  # the ad page, after a second and a half
            self.server.stopping.wait(1.5)  # type: ignore[attr-defined]
            path = "/ad"
        status, media, body = PAGES.get(path, (404, "text/plain", b"no such page"))
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        if path == "/app.apk":
            self.send_header("Content-Disposition", 'attachment; filename="ai-jieting.apk"')
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Site:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.stopping = threading.Event()  # type: ignore[attr-defined]
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.base = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.stopping.set()  # type: ignore[attr-defined]
        self.httpd.shutdown()
        self.httpd.server_close()


def _self_signed(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ads.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("ads.example")]), False)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return ctx


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = Site(_self_signed(tmp_path_factory.mktemp("tls")))
    yield s
    s.close()


# settle: 1 s was once too short for /ad's pictures with the machine busy (a CI run)
SETTINGS = CaptureSettings(navigation_timeout=10, load_wait=2, settle=5, tile_height=8000)


def allowing(settings: CaptureSettings, *sites: Site) -> CaptureSettings:
    """The capture settings with these loopback test sites allowed by the
    address policy, and port 9 (nothing listens there: a refused connection)."""
    return replace(settings, allow_hosts=(*(origin_entry(s.base) for s in sites), "127.0.0.1:9"))


@pytest.fixture(scope="module")
def captures(site: Site, tls_site: Site) -> dict[str, Capture]:
    """Every page captured once, three at a time, in one browser."""
    skip = ("/pic.png", "/banner.png", "/wx", "/app.apk", "/busy")
    paths = [p for p in PAGES if p not in skip]
    targets = {p: site.base + p for p in paths} | {
        "/hop": site.base + "/hop",
        "/app.apk": site.base + "/app.apk",
        "tls:/ad": tls_site.base + "/ad",
        "/refused": "http://127.0.0.1:9/ad",
    }

    async def run() -> dict[str, Capture]:
        gate = asyncio.Semaphore(3)
        settings = allowing(SETTINGS, site, tls_site)
        async with Capturer(settings, {"checked": True, "offset_ms": 1.5}) as capturer:

            async def one(url: str) -> Capture:
                async with gate:
                    return await capturer.capture(Target(url))

            done = await asyncio.gather(*(one(u) for u in targets.values()))
        return dict(zip(targets, done, strict=True))

    return asyncio.run(run())


def test_an_ad_page_is_captured_whole(captures: dict[str, Capture]) -> None:
    cap = captures["/ad"]
    assert cap.outcome == "page" and cap.evidence and cap.status == 200
    names = set(cap.artifacts)
    assert {
        "screenshot.png",
        "dom.html",
        "response.html",
        "page.mhtml",
        "visible-text.txt",
        "network.wacz",
    } <= names
    pictures = [n for n in names if n.startswith("images/")]
    assert len(pictures) == 1 and cap.artifacts[pictures[0]][0] == PAGES["/pic.png"][2]
    assert cap.artifacts["response.html"][0] == PAGES["/ad"][2]  # byte for byte
    shot = Image.open(io.BytesIO(cap.artifacts["screenshot.png"][0]))
    assert shot.width == 1280 and shot.height >= 900
    assert AD in cap.text and AD in cap.artifacts["dom.html"][0].decode()
    assert b"Content-Type: multipart/related" in cap.artifacts["page.mhtml"][0]
    assert cap.content is not None and len(cap.content.image_hashes) == 1


def test_the_facts_a_regulator_asks_for(captures: dict[str, Capture], site: Site) -> None:
    facts = captures["/ad"].facts
    request = facts["request"]
    assert request["final_url"] == site.base + "/ad" and request["status"] == 200
    assert request["server"] == {"ip": "127.0.0.1", "port": int(site.base.rsplit(":", 1)[1])}
    assert any(name.lower() == "user-agent" for name, _v in request["request_headers"])
    assert ("Content-Type", "text/html; charset=utf-8") in [
        tuple(h) for h in request["response_headers"]
    ]
    assert facts["dns"]["addresses"] == ["127.0.0.1"]
    env = facts["environment"]
    assert env["chromium"] and env["playwright"] and env["adwatch"]
    assert env["timezone"] == "Asia/Shanghai" and env["viewport"] == {"width": 1280, "height": 900}
    assert env["clock"] == {"checked": True, "offset_ms": 1.5}
    started = facts["time"]["started"]
    utc = dt.datetime.fromisoformat(started["utc"].replace("Z", "+00:00"))
    beijing = dt.datetime.fromisoformat(started["beijing"])
    assert started["beijing"].endswith("+08:00") and abs((utc - beijing).total_seconds()) < 0.001
    assert facts["problems"] == []


def test_the_wacz_holds_the_network_exchange(captures: dict[str, Capture], site: Site) -> None:
    wacz = zipfile.ZipFile(io.BytesIO(captures["/ad"].artifacts["network.wacz"][0]))
    names = wacz.namelist()
    assert "datapackage.json" in names and "pages/pages.jsonl" in names
    assert site.base + "/ad" in wacz.read("pages/pages.jsonl").decode()
    (warc_name,) = [n for n in names if n.startswith("archive/")]
    kinds, bodies, ips = set(), {}, {}
    for record in ArchiveIterator(io.BytesIO(wacz.read(warc_name))):  # a stream: read as we go
        kinds.add(record.rec_type)
        if record.rec_type == "response":
            uri = record.rec_headers.get_header("WARC-Target-URI")
            ips[uri] = record.rec_headers.get_header("WARC-IP-Address")
            bodies[uri] = record.content_stream().read()
    assert kinds >= {"warcinfo", "request", "response"}
    assert bodies[site.base + "/ad"] == PAGES["/ad"][2]
    assert bodies[site.base + "/pic.png"] == PAGES["/pic.png"][2]
    assert ips[site.base + "/ad"] == "127.0.0.1"


def test_a_redirect_chain_is_recorded(captures: dict[str, Capture], site: Site) -> None:
    cap = captures["/hop"]
    assert cap.outcome == "page" and cap.final_url == site.base + "/ad"
    assert cap.facts["request"]["redirects"] == [
        {"url": site.base + "/hop", "status": 302, "location": site.base + "/ad"}
    ]


@pytest.mark.parametrize(
    ("path", "outcome", "why"),
    [
        ("/captcha", "blocked", "captcha"),
        ("/login", "blocked", "login"),
        ("/empty", "empty", "no text and no pictures"),
        ("/removed", "gone", "HTTP 404"),
        ("/refused", "failed", "no page"),
        ("/app.apk", "failed", "starts a download (ai-jieting.apk)"),
    ],
)
def test_what_is_not_the_ad_is_recognised(
    captures: dict[str, Capture], path: str, outcome: str, why: str
) -> None:
    cap = captures[path]
    assert cap.outcome == outcome, cap.reason
    assert why in cap.reason or why in str(cap.facts.get("problems"))
    assert cap.evidence == (outcome == "gone")


def test_a_hung_sub_resource_ends_at_the_limit_with_what_loaded(
    captures: dict[str, Capture],
) -> None:
    cap = captures["/hangs"]
    assert cap.outcome == "page" and AD in cap.text
    assert any("load event did not fire within 2 s" in p for p in cap.facts["problems"])
    assert cap.facts["page"]["load_event"] is False


def test_a_tall_page_is_kept_in_tiles_up_to_the_cap(captures: dict[str, Capture]) -> None:
    cap = captures["/tall"]
    tiles = sorted(n for n in cap.artifacts if n.startswith("screenshot-"))
    assert tiles == ["screenshot-1.png", "screenshot-2.png", "screenshot-3.png"]
    heights = [Image.open(io.BytesIO(cap.artifacts[t][0])).height for t in tiles]
    assert heights[0] == 8000 and sum(heights) >= 21000
    assert cap.facts["page"]["height"] > 21000


def test_a_page_that_navigates_away_keeps_what_it_showed(captures: dict[str, Capture]) -> None:
    cap = captures["/leaves"]
    assert cap.outcome == "page", (cap.reason, cap.facts.get("problems"))
    said = cap.text + cap.artifacts["response.html"][0].decode()
    assert AD in said  # the ad's own document is kept, byte for byte
    went = [n["url"] for n in cap.facts["page"]["navigations"]]
    # when the rendered page is no longer the ad, the capture says where it went
    assert AD in cap.text or any(u.endswith("/wx") for u in went)


def test_an_invalid_certificate_is_recorded_and_the_page_still_kept(
    captures: dict[str, Capture],
) -> None:
    cap = captures["tls:/ad"]
    assert cap.outcome == "page" and AD in cap.text
    assert any("certificate invalid" in p for p in cap.facts["problems"])
    tls = cap.facts["tls"]
    assert tls["verified"] is False and tls["checked_by_browser"] is False
    assert tls["subjects"] == ["CN=ads.example"]
    assert cap.artifacts["tls-chain.pem"][0].startswith(b"-----BEGIN CERTIFICATE-----")


def test_only_evidence_is_sealed(captures: dict[str, Capture], tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    bundle = seal_capture(store, captures["/ad"], {"record": "r1"})
    manifest = store.manifest(bundle.id)
    assert manifest["about"]["record"] == "r1" and manifest["about"]["outcome"] == "page"
    assert manifest["about"]["content"]["digest"] == captures["/ad"].content.digest  # type: ignore[union-attr]
    assert set(manifest["artifacts"]) == set(captures["/ad"].artifacts)
    assert structure_problems(store) == []
    with pytest.raises(ValueError, match="blocked capture is not evidence"):
        seal_capture(store, captures["/captcha"], {"record": "r2"})
    assert len(store.bundle_ids()) == 1


def test_classify_judges_markers_only_on_short_pages() -> None:
    target = Target("http://x/", block_markers=("百度安全验证",))
    assert classify(200, "百度安全验证", False, target)[0] == "blocked"
    long_ad = "不要把验证码告诉别人。" + "停催上岸 " * 200
    assert classify(200, long_ad, False, Target("http://x/"))[0] == "page"
    assert classify(410, "", False, target)[0] == "gone"
    assert classify(429, "请稍后", False, target)[0] == "blocked"


def test_a_page_showing_the_ads_own_words_is_the_page() -> None:
    """Marker words inside a pitch, or a 404 that still shows the ad, do not
    make a live ad "gone" or "blocked"."""
    ad = Target("http://x/", expect=("tc8888", "征信修复逾期记录"))
    pitch = "征信修复：逾期记录已被删除，加V tc8888"
    assert classify(200, pitch, False, ad)[0] == "page"
    assert classify(200, pitch, False, Target("http://x/"))[0] == "gone"  # no expectations
    assert classify(200, "扫码登录 领取方案 加V tc8888", False, ad)[0] == "page"
    outcome, why = classify(404, "当天停催 tc8888", False, ad)
    assert outcome == "page" and why.startswith("HTTP 404, but the page shows")
    assert classify(404, "该页面不存在", False, ad)[0] == "gone"


def test_the_page_cannot_rewrite_what_the_capture_reads(captures: dict[str, Capture]) -> None:
    """Text and title are read in Playwright's isolated world, not through the
    page's own (redefinable) prototypes; a title starting with "-" is data."""
    cap = captures["/liar"]
    assert cap.outcome == "page", cap.reason
    assert AD in cap.text and "该页面不存在" not in cap.text
    assert cap.facts["page"]["title"] == "-停催免息"
    assert "network.wacz" in cap.artifacts


def test_an_ad_inside_a_frame_is_read(captures: dict[str, Capture]) -> None:
    cap = captures["/framed"]
    assert cap.outcome == "page" and AD in cap.text


def test_a_page_that_hogs_the_browser_ends_within_the_budget(site: Site) -> None:
    tight = allowing(
        CaptureSettings(navigation_timeout=5, load_wait=1, settle=1, step_timeout=2), site
    )

    async def run() -> list[Capture]:
        async with Capturer(tight) as capturer:
            return list(
                await asyncio.gather(
                    capturer.capture(Target(site.base + "/busy")),
                    capturer.capture(Target(site.base + "/ad")),
                )
            )

    busy, ad = asyncio.run(run())
    assert ad.outcome == "page"  # the other capture was not held up for good
    said = busy.reason + " ".join(busy.facts.get("problems", []))
    assert busy.outcome == "failed" or "held it past" in said, said


def test_same_content_needs_the_same_contacts_and_pictures() -> None:
    from evidence.content import digest_of, same_content

    def banner(said: str, quality: int = 0) -> bytes:
        img = Image.new("RGB", (640, 120), "#fff4d6")
        font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 28)
        ImageDraw.Draw(img).text((16, 40), said, font=font, fill="#b00000")
        out = io.BytesIO()
        img.save(out, "JPEG", quality=quality) if quality else img.save(out, "PNG")
        return out.getvalue()

    text = "逾期先别还，当天停催。" * 100
    phone = ["phone:13800138000", "wechat:tc_8888"]
    a = digest_of(text, [banner("加V: tc_8888 当天停催")], phone)
    recoded = digest_of(text, [banner("加V: tc_8888 当天停催", quality=70)], phone)
    other_phone = digest_of(text, [banner("加V: tc_8888 当天停催")], ["phone:13912345678"])
    more = digest_of(text, [banner("加V: tc_8888 当天停催"), banner("征信修复 包过")], phone)
    # a changed ID inside a picture barely moves its perceptual hash; it is the
    # contacts read in the picture (crawler side, by OCR) that tell it apart
    other_id = digest_of(
        text, [banner("加V: tc_9999 当天停催")], ["phone:13800138000", "wechat:tc_9999"]
    )
    assert same_content(a, recoded, text, text)  # the same banner, re-encoded
    assert not same_content(a, other_id, text, text)
    assert not same_content(a, other_phone, text, text)
    assert not same_content(a, more, text, text)  # a picture added is a change
    assert len(a.image_hashes[0]) == 64  # 256-bit perceptual hashes
