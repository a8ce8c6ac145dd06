"""Landing pages that are easy to crawl but hostile to evidence capture.

The crawler reads them as plain HTML and labels them ads like any other; a
browser capturing them meets what real ad pages do: a sub-resource that never
finishes (so `load` never fires), a feed that grows on every scroll, a jump to
another page after a moment, and an app download instead of a page.
"""

from __future__ import annotations

import functools
import io
import json
import math
import random
import zipfile
from collections.abc import Iterator

from demo.render_common import esc, page

# case -> what a capture should end with (the ground truth's `expect`)
CAPTURE_EXPECT = {
    "never_loads": "load_timeout",  # capture the visible page without waiting for `load`
    "infinite_scroll": "scroll_limit",  # stop scrolling at the capture's own limit
    "navigates_away": "navigated",  # keep the ad as first shown, note where it went
    "download": "download",  # record the download, do not wait for a page
}

STALL_PATH = "/js/stall.js"  # the sub-resource of never_loads: one byte a second
STALL_INTERVAL = 1.0
WX_PATH = "/wx/add"
DOWNLOAD_PATH = "/dl/app.apk"
DOWNLOAD_NAME = "ai-jieting.apk"
APK_TYPE = "application/vnd.android.package-archive"
NAVIGATE_AFTER_MS = 1500
DOWNLOAD_AFTER_MS = 1000

# The hint is taller than the window, so the page can be scrolled from the
# start, and each screen added below it makes the page longer.
FEED_HTML = (
    '<div id="feed" data-screens="0">'
    '<p class="feed-hint" style="min-height:120vh">下拉查看更多成功案例</p></div>\n'
)

# Appends one screen (filler plus the ad again) each time the reader scrolls
# near the bottom; nothing else makes it grow.  Text goes in via textContent.
INFINITE_SCROLL_SCRIPT = r"""
(function () {
  var feed = document.getElementById('feed');
  var heading = document.querySelector('h1').textContent;
  var pitch = [].map.call(document.querySelectorAll('.content p'), function (p) {
    return p.textContent;
  });
  var filler = %s;
  var screens = 0;
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 300;
  }
  function para(text, cls) {
    var p = document.createElement('p');
    p.className = cls;
    p.textContent = text;
    return p;
  }
  function addScreen() {
    screens += 1;
    var section = document.createElement('section');
    section.className = 'screen';
    section.style.minHeight = Math.max(window.innerHeight, 600) + 'px';
    var h = document.createElement('h2');
    h.textContent = heading;
    section.appendChild(h);
    for (var i = 0; i < filler.length; i++) {
      section.appendChild(para(filler[(i + screens) %% filler.length], 'filler'));
    }
    pitch.forEach(function (text) { section.appendChild(para(text, 'ad-repeat')); });
    feed.appendChild(section);
    feed.setAttribute('data-screens', String(screens));
  }
  window.addEventListener('scroll', function () { if (nearBottom()) addScreen(); });
})();
"""

FILLER = (
    "更多用户的真实反馈,持续更新中。",
    "客服在线时间:早9点至晚10点,节假日不休。",
    "已为数万名用户提供咨询服务。",
    "以下案例均经用户同意后展示。",
    "服务流程:咨询、评估、签约、办理、回访。",
    "继续下拉,查看更多案例。",
)


def capture_target(case: str | None, landing_id: str) -> str | None:
    """Where a capture-hostile landing page sends the browser, if anywhere."""
    if case == "navigates_away":
        return wx_url(landing_id)
    if case == "download":
        return DOWNLOAD_PATH
    return None


def wx_url(ident: str) -> str:
    return f"{WX_PATH}?id={ident}"


def _go_later(url: str, after_ms: int) -> str:
    return (
        f"<script>setTimeout(function () {{ location.href = {json.dumps(url)}; }}, "
        f"{after_ms});</script>\n"
    )


def landing_extras(case: str | None, landing_id: str) -> tuple[str, str, str]:
    """(inside div.content, after it, before </body>) for a landing page's case."""
    if case == "never_loads":
        return "", "", f'<script async src="{STALL_PATH}?id={esc(landing_id)}"></script>\n'
    if case == "infinite_scroll":
        script = INFINITE_SCROLL_SCRIPT % json.dumps(FILLER, ensure_ascii=False)
        return "", FEED_HTML, f"<script>{script}</script>\n"
    if case == "navigates_away":
        return "", "", _go_later(wx_url(landing_id), NAVIGATE_AFTER_MS)
    if case == "download":
        button = (
            f'<p><a class="download-btn" id="download" href="{DOWNLOAD_PATH}">'
            "立即下载 安卓版</a></p>\n"
        )
        return button, "", _go_later(DOWNLOAD_PATH, DOWNLOAD_AFTER_MS)
    return "", "", ""


def wx_page(ident: str) -> str:
    """The benign 'open in WeChat' page navigates_away lands on."""
    body = (
        f'<div class="wx-card" data-id="{esc(ident)}"><h1>添加朋友</h1>'
        "<p>正在打开微信…</p><p>如未自动跳转,请在微信中打开本页面。</p></div>"
    )
    return page("微信", body)


def stall_body(seconds: float) -> tuple[int, Iterator[bytes]]:
    """A script body of one space per chunk: sent one a second (the server
    waits between chunks), it finishes only after about `seconds`."""
    total = max(1, math.ceil(seconds)) + 1
    return total, (b" " for _ in range(total))


@functools.cache
def apk_bytes() -> bytes:
    """A few KB of fixed bytes shaped like an APK (a ZIP with a manifest and
    a dex file), identical on every run."""
    rng = random.Random("demo/apk")
    entries = {
        "AndroidManifest.xml": b'<manifest package="com.demo.aijieting"/>\n',
        "classes.dex": b"dex\n035\x00" + rng.randbytes(4096),
        "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\nCreated-By: demo\r\n\r\n",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return out.getvalue()
