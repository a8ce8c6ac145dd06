"""What a capture noted about itself, said in Chinese for the official who
reads the dossier.

A capture writes its problems in English into the sealed bundle (``facts
["problems"]``) and its reason when it failed; the bundle keeps them as they
are.  The dossier shows them translated: a known message keeps its details
(URLs, seconds, what the browser said) and loses only its English frame; an
unknown one is shown as it is, marked as the original wording, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_STEPS = {
    "title": "网页标题",
    "page height": "页面高度",
    "screenshot": "截图",
    "rendered DOM": "脚本执行后的网页（DOM）",
    "MHTML snapshot": "MHTML 快照",
    "visible text": "页面文字",
}


def _step(what: str) -> str:
    if what in _STEPS:
        return _STEPS[what]
    if m := re.fullmatch(r"screenshot from (\d+) px", what):
        return f"自 {m.group(1)} 像素处起的截图"
    if what.startswith("text of frame "):
        return f"框架 {what[len('text of frame ') :]} 中的文字"
    return what


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_RULES: list[_Rule] = [
    (
        re.compile(
            r"none of the record's contacts or title is in the page's text "
            r"\(the pitch may be only in pictures\): look before relying on it"
        ),
        lambda m: (
            "页面文字中未见检测记录所列的联系方式或标题（宣传内容可能仅见于图片），请对照截图核对"
        ),
    ),
    (
        re.compile(
            r"the load event did not fire within ([\d.]+) s \(a sub-resource never finished\); "
            r"captured what had loaded"
        ),
        lambda m: (
            f"页面在 {m.group(1)} 秒内未完成加载（有资源始终未加载完），已采集当时已加载的内容"
        ),
    ),
    (
        re.compile(r"some pictures were still loading after ([\d.]+) s more"),
        lambda m: f"再等待 {m.group(1)} 秒后仍有图片未加载完",
    ),
    (
        re.compile(r"the document did not finish within the limit: (.*)", re.S),
        lambda m: f"网页未在时限内加载完成：{m.group(1)}",
    ),
    (
        re.compile(r"certificate invalid: (.*); captured without checking it", re.S),
        lambda m: f"网站证书无效（{m.group(1)}），采集时未校验证书",
    ),
    (
        re.compile(
            r"the page moved on by itself after loading \((.*)\); the screenshot, DOM and "
            r"text show (\S*), response-first\.html is (\S*) as served",
            re.S,
        ),
        lambda m: (
            f"页面加载后自行跳转（{m.group(1)}）；截图、DOM 与文字为 {m.group(2)} 的内容，"
            f"response-first.html 为 {m.group(3)} 的原始返回"
        ),
    ),
    (
        re.compile(
            r"the page navigated to (\S*) while it was being captured: "
            r"parts of this capture may show that page"
        ),
        lambda m: f"采集过程中页面跳转至 {m.group(1)}，部分采集内容可能属于该页面",
    ),
    (
        re.compile(r"page is (\d+) px tall; screenshots keep the top (\d+) px"),
        lambda m: f"页面高 {m.group(1)} 像素，截图只保留顶部 {m.group(2)} 像素",
    ),
    (
        re.compile(r"visible text cut at (\d+) characters"),
        lambda m: f"页面文字只保存前 {m.group(1)} 个字符",
    ),
    (
        re.compile(r"more than (\d+) pictures; the rest are only in the WARC"),
        lambda m: f"图片超过 {m.group(1)} 张，其余只保存在网络通信记录（WARC）中",
    ),
    (
        re.compile(r"WACZ packaging failed \((.*)\); the WARC is kept as it is", re.S),
        lambda m: f"WACZ 封装失败（{m.group(1)}），保留未封装的 WARC 文件",
    ),
    (
        re.compile(r"the browser gave no response for the document (\S*)"),
        lambda m: f"浏览器未返回网页文档 {m.group(1)}",
    ),
    (
        re.compile(
            r"DNS answers and the TLS chain were fetched directly from this machine, "
            r"not through the capture's proxy (\S*)"
        ),
        lambda m: f"DNS 解析结果与 TLS 证书链由本机直接获取，未经采集所用的代理 {m.group(1)}",
    ),
    (
        re.compile(r"(.+?) not taken: the page held it past ([\d.]+) s"),
        lambda m: f"{_step(m.group(1))}未能取得：页面超过 {m.group(2)} 秒未响应",
    ),
    (
        re.compile(r"(.+?) not taken: (.*)", re.S),
        lambda m: f"{_step(m.group(1))}未能取得：{m.group(2)}",
    ),
    (
        re.compile(r"refused by the address policy: (.*)", re.S),
        lambda m: f"按网络访问策略拒绝访问：{m.group(1)}",
    ),
    (
        re.compile(r"not fetched: (.*)", re.S),
        lambda m: f"未能获取：{m.group(1)}",
    ),
    (
        re.compile(r"(\S+): body not available: (.*)", re.S),
        lambda m: f"{m.group(1)}：未能读取响应内容（{m.group(2)}）",
    ),
    (
        re.compile(r"(\S+): body not kept: (\d+) bytes over the capture's limit"),
        lambda m: f"{m.group(1)}：响应内容 {m.group(2)} 字节，超过采集上限，未保存",
    ),
    # why a capture failed or found no ad (shown where an exhibit has no bundle)
    (re.compile(r"no page: (.*)", re.S), lambda m: f"未能打开网页：{m.group(1)}"),
    (
        re.compile(r"the page outlasted the capture's budget of ([\d.]+) s"),
        lambda m: f"网页超出采集时限（{m.group(1)} 秒）",
    ),
    (re.compile(r"the browser failed: (.*)", re.S), lambda m: f"浏览器出错：{m.group(1)}"),
    (
        re.compile(r"the URL starts a download \((.*)\), not a page", re.S),
        lambda m: f"该网址触发文件下载（{m.group(1)}），不是网页",
    ),
    (
        re.compile(r"the platform's block page \((.*)\)", re.S),
        lambda m: f"平台的拦截页面（{m.group(1)}）",
    ),
    (
        re.compile(r"a captcha or login wall \((.*)\)", re.S),
        lambda m: f"验证码或登录页面（{m.group(1)}）",
    ),
    (
        re.compile(r"the platform says the content is gone \((.*)\)", re.S),
        lambda m: f"平台提示内容已不存在（{m.group(1)}）",
    ),
    (
        re.compile(r"the page rendered no text and no pictures"),
        lambda m: "网页既无文字也无图片",
    ),
    (
        re.compile(r"(?:HTTP (\d+), but )?the page shows the ad's own words \((.*)\)", re.S),
        lambda m: (
            (f"HTTP {m.group(1)}，但" if m.group(1) else "") + f"网页仍显示广告原文（{m.group(2)}）"
        ),
    ),
]
ORIGINAL = "（原文）"  # marks a message shown in the capture's own words


def capture_note_zh(text: object) -> str:
    """One capture problem or failure reason in Chinese; several joined by
    "；" are translated one by one.  Unknown wording stays, marked ORIGINAL."""
    return "；".join(_one(part) for part in str(text).split("；"))


def _one(text: str) -> str:
    stripped = text.strip()
    for pattern, say in _RULES:
        if m := pattern.fullmatch(stripped):
            return say(m)
    if not re.match(r"[A-Za-z]", stripped) or re.fullmatch(r"HTTP \d+", stripped):
        return stripped  # already Chinese (adwatch's own notes), or a bare status
    return ORIGINAL + stripped
