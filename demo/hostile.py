"""Hostile payloads: markup in ad text, the slider captcha, the 20 MB page.

The crawler must survive each one, keep the record it belongs to, and log
the bad fetch as a reject.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

SCRIPT = "<script>alert(1)</script>"
IMG_ONERROR = "<img src=x onerror=alert(1)>"
ANSI_RED = "\x1b[31m"
ANSI_RESET = "\x1b[0m"
RTL_OVERRIDE = "\u202e"
MARKUP_PROBE = SCRIPT  # what the ground truth's text_contains holds for markup records

CAPTCHA_TEXT = "请完成下列验证后继续"
DECISION_CONF = '{"type":"verify","subtype":"slide","region":"cn"}'

HUGE_CHUNK = 64 * 1024


def markup_text(pitch: str, handle: str) -> str:
    """An ad whose text carries script, an onerror image, an ANSI colour code
    and a right-to-left override (the reversed tail displays as 不成功退款)."""
    return (
        f"{pitch}{SCRIPT} {handle} {IMG_ONERROR} {ANSI_RED}当天见效{ANSI_RESET} "
        f"{RTL_OVERRIDE}款退功成不"
    )


def captcha_page() -> str:
    """A slider-captcha interstitial shaped like Toutiao's (HTTP 200, no results)."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>验证码中间页</title>'
        "<style>#captcha_container{width:340px;margin:80px auto;font:14px sans-serif}"
        ".captcha-track{height:40px;background:#eee;border-radius:20px;position:relative}"
        ".captcha-handle{position:absolute;left:0;top:0;width:40px;height:40px;"
        "background:#1677ff;border-radius:20px}</style></head><body>"
        '<div id="captcha_container"><p class="captcha-title">'
        f"{CAPTCHA_TEXT}</p>"
        '<div class="captcha-img"></div><div class="captcha-track">'
        '<div class="captcha-handle"></div></div><p>拖动滑块完成拼图</p></div>'
        f"<script>window.decision_conf = {DECISION_CONF}</script>"
        "</body></html>\n"
    )


def mtop_block(base_url: str, key: str) -> dict[str, object]:
    """What the marketplace API answers while a search is blocked."""
    return {
        "api": "mtop.taobao.idlemtopsearch.pc.search",
        "v": "1.0",
        "ret": ["FAIL_SYS_USER_VALIDATE::哎哟喂,被挤爆啦,请稍后重试!"],
        "data": {
            "url": f"{base_url}/punish?x5secdata={zlib.crc32(key.encode()):010d}&x5step=1",
            "dialogSize": {"width": "380px", "height": "300px"},
        },
    }


def huge_body(head: str, tail: str, total: int) -> tuple[int, Iterator[bytes]]:
    """A page of exactly `total` bytes, streamed in 64 KiB chunks so that it is
    never held in memory whole.  The padding is ASCII, so any cut is valid UTF-8."""
    head_b, tail_b = head.encode("utf-8"), tail.encode("utf-8")
    unit = b'<p class="pad">' + b"x" * 100 + b"</p>\n"
    block = (unit * (HUGE_CHUNK // len(unit) + 1))[:HUGE_CHUNK]
    padding = max(0, total - len(head_b) - len(tail_b))

    def chunks() -> Iterator[bytes]:
        yield head_b
        left = padding
        while left > 0:
            n = min(left, HUGE_CHUNK)
            yield block[:n]
            left -= n
        yield tail_b

    return len(head_b) + padding + len(tail_b), chunks()
