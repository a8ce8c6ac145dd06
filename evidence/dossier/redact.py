"""Masking other people's personal data in the dossier that leaves the building.

The people in the evidence are often not the advertiser: borrowers asking for
help in the comments, bystanders in a photo.  A regulator needs the ad, not
them (个人信息保护法 Art 6: the minimum necessary; Art 28: ID numbers, bank
accounts and faces are sensitive), so the *rendered* dossier masks them.  The
sealed originals and their hashes in the evidence store are never touched:
this module works on copies and reports, per mask, its kind, where it was,
what the reader sees instead and why, never the value it hid.

What is masked in text:

* the ``secrets`` the caller names (the crawler side knows which phones or
  WeChat IDs in a comment are not the advertiser's), matched however they are
  written: digits with spaces, dashes, dots or zero-width characters between
  them, full-width digits, Chinese numerals (一三九, 幺), a +86 prefix;
* always, because no ad needs them shown: mainland ID-card numbers (18
  characters, region, date and checksum valid), bank-card numbers (16-19
  digits passing Luhn) and a name right after an explicit cue (姓名：, 名字：,
  我叫, 本人).  These are conservative on purpose: a false mask of ad text
  hides evidence, so a candidate must pass every check (see ``_id_card_ok``,
  ``_bank_card_ok``, ``_NAME``), and values in ``keep`` (the advertiser's own,
  known to the caller) are never masked.

What is masked in pictures: faces (OpenCV's ``haarcascade_frontalface_alt2``,
which ships in the opencv wheel: no model download), and, when the caller
passes an OCR reader (``find_text``; evidence never imports crawler), the
text lines that hold a secret or one of the numbers above.  Masks are solid
fills, not blurs: a blur of a phone number can be undone.

A picture that cannot be decoded is not passed through unchecked: browsers
show truncated JPEGs that Pillow refuses, faces and all.  ``redact_image``
raises ``ImageNotChecked``, whose ``note`` is the sentence the dossier prints
instead of the picture.

Limits, said here so the dossier never claims more: the cascade finds
upright frontal faces of 24 px and more (not profiles, strongly tilted or
covered faces, drawings), and cannot tell the advertiser's face from anyone
else's (``faces=False`` is the caller's choice); a number OCR splits across
two lines, or reads with a digit wrong, is not found; names are found only
after a cue, as 2-3 characters (4 with a two-character surname) followed by
a non-Han character (我叫王小明今年 is left alone); 15-digit IDs of before
1999 and non-mainland IDs are not recognised; an animated picture is
checked and shown as its first frame.
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, UnidentifiedImageError

from evidence import pictures

KINDS = ("phone", "wechat", "qq", "id_card", "bank_card", "name", "face", "text_in_image")
MASK = "[已遮挡]"
FILLED = "[黑色色块]"  # what a reader sees over a face or a line of text in a picture
FILL = (0, 0, 0)
MAX_PIXELS = 60_000_000  # as crawler.reading.images: above any real banner or phone screenshot
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")  # never EPS & co. (Ghostscript on hostile bytes)
JPEG_QUALITY = 95  # masked photos stay photos; the fills leave nothing to recover either way
MIN_SECRET_DIGITS = 5  # a shorter number would be masked all over the ad (prices, years)
MIN_SECRET_CHARS = 2
FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
EYE_CASCADE = "haarcascade_eye.xml"  # a face the cascade finds must also show an eye
FACE_NEIGHBOURS = 5  # on 370 ad-like pictures: 0 false faces at 5, 12 at 3 (19 for "default")
FACE_SCALE_STEP = 1.1
FACE_MIN = 24  # pixels (or 1/30 of the short side): smaller "faces" are mostly glyphs
FACE_MARGIN = 0.2  # of the box, each side: hair, ears and chin beyond the cascade's box
DETECT_PIXELS = 8_000_000  # larger pictures are scanned for faces at a reduced scale

Secret = str | tuple[str, str]  # a value, or (kind, value) when the caller knows the kind
FindText = Callable[[bytes], list[tuple[str, list[list[int]]]]]


@dataclass(frozen=True)
class Masked:
    """One mask, as the dossier reports it.  Never holds the masked value."""

    kind: str
    where: str
    shown_as: str
    why: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown mask kind {self.kind!r}")


class ImageNotChecked(ValueError):
    """A picture that could not be checked for faces or text, so it must not
    be shown: ``reason`` is a short stable word, ``note`` the dossier's line."""

    def __init__(self, where: str, reason: str, detail: str = "") -> None:
        super().__init__(f"{where}: {reason}" + (f": {detail}" if detail else ""))
        self.where = where
        self.reason = reason
        self.detail = detail

    @property
    def note(self) -> str:
        why = _UNCHECKED.get(self.reason, self.reason)
        return (
            f"未能检查{_place(self.where)}的个人信息（{why}），该图片未在卷宗中展示；"
            "原件未改动，仍封存于证据库，可凭哈希值调取核对。"
        )


_UNCHECKED = {
    "empty_image": "文件为空",
    "not_image": "文件不是图片",
    "corrupt_image": "图片损坏，无法解码",
    "decompression_bomb": "图片像素过多，拒绝解码",
    "ocr_failed": "文字识别失败",
}

# --- what the dossier says --------------------------------------------------

_LABEL = {
    "phone": "第三人电话号码",
    "wechat": "第三人微信号",
    "qq": "第三人QQ号",
    "id_card": "身份证号",
    "bank_card": "银行卡号",
    "name": "个人姓名",
    "face": "人脸",
    "text_in_image": "含第三人信息的整行文字",
}
_REASON = {
    "phone": "非广告主联系方式（个人信息保护法第6条：最小必要）",
    "wechat": "非广告主联系方式（个人信息保护法第6条：最小必要）",
    "qq": "非广告主联系方式（个人信息保护法第6条：最小必要）",
    "id_card": "举报无需展示（个人信息保护法第6条：最小必要；第28条：敏感个人信息）",
    "bank_card": "金融账户，举报无需展示（个人信息保护法第6条：最小必要；第28条：敏感个人信息）",
    "name": "非广告主身份信息（个人信息保护法第6条：最小必要）",
    "face": "生物识别信息，无法确认为广告主本人（个人信息保护法第28条：敏感个人信息）",
    "text_in_image": "无法精确定位，整行遮挡（个人信息保护法第6条：最小必要）",
}
_PLACES = {
    "comments": "评论区",
    "comment": "评论区",
    "text": "正文",
    "body": "正文",
    "title": "标题",
    "description": "简介",
    "author": "账号信息",
    "profile": "账号主页",
    "listing": "商品描述",
    "ocr": "图片文字",
}
_IMAGE_NAME = re.compile(r"\.(?:png|jpe?g|gif|webp|bmp)$", re.IGNORECASE)


def _place(where: str) -> str:
    """Where a mask is, as a reader says it: 评论区, 正文, 截图中, 图片 x.jpg 中."""
    if where in _PLACES:
        return _PLACES[where]
    if "screenshot" in where.lower() or where.startswith("截图"):
        return "网页截图中"
    if _IMAGE_NAME.search(where):
        return f"图片 {where} 中"
    return where


def _masked(kind: str, where: str, shown_as: str) -> Masked:
    return Masked(kind, where, shown_as, f"{_place(where)}{_LABEL[kind]}，{_REASON[kind]}")


def masked_summary(masked: Sequence[Masked]) -> list[str]:
    """The dossier's lines about masking: counts by place and kind, each
    reason once, and that the originals are untouched (a regulator must know
    the sealed evidence says more than the page shows, and where to get it)."""
    if not masked:
        return ["未遮挡任何内容。"]
    counts = Counter((_place(m.where), _LABEL.get(m.kind, m.kind)) for m in masked)
    parts = [f"{place}{label} {n} 处" for (place, label), n in counts.items()]
    lines = ["已遮挡：" + "；".join(parts)]
    reasons = dict.fromkeys(f"{_LABEL.get(m.kind, m.kind)}：{_REASON[m.kind]}" for m in masked)
    lines += [f"理由：{r}" for r in reasons]
    lines.append("遮挡仅见于本卷宗；证据库中的封存原件及其哈希值未作任何改动，可依法调取。")
    return lines


# --- recognising numbers and names ----------------------------------------------

# Every way a digit is written in ads that dodge filters (DOMAIN.md): ASCII,
# full width, Chinese numerals, and the spoken forms 幺 (1), 两 (2), 拐 (7), 洞 (0).
_DIGIT_FORMS = {
    "0": "0０〇零洞",
    "1": "1１一壹幺",
    "2": "2２二贰两",
    "3": "3３三叁",
    "4": "4４四肆",
    "5": "5５五伍",
    "6": "6６六陆",
    "7": "7７七柒拐",
    "8": "8８八捌",
    "9": "9９九玖",
}
_TO_DIGIT = str.maketrans({c: d for d, forms in _DIGIT_FORMS.items() for c in forms})
_ALL_DIGIT_FORMS = re.compile("[" + "".join(_DIGIT_FORMS.values()) + r"\W_]+")
_NUM_SEP = r"[\W_]{0,3}"  # separators between digits: anything not a letter, digit or Han
_INVISIBLE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2060-\u2064\ufeff]{0,3}"
_ASCII_WORD = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ_＿"
_OCR_DIGITS = str.maketrans("OoDlI|SsBZz", "00011155822")


def _digits(text: str) -> str:
    """The ASCII digits of a text written with any digit forms (NFKC first)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if "0" <= c <= "9")


def _luhn(digits: str) -> bool:
    total = 0
    for n, c in enumerate(reversed(digits)):
        d = int(c) * (2 if n % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


_PROVINCES = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47))]
    + [str(n) for n in (*range(50, 55), *range(61, 66), 71, 81, 82, 83)]
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _id_card_ok(value: str) -> bool:
    """An 18-character mainland ID number: a real province, a calendar date
    from 1900 on, and the ISO 7064 check character."""
    if not re.fullmatch(r"\d{17}[\dX]", value) or value[:2] not in _PROVINCES:
        return False
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    if not 1900 <= year <= 2099 or not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    if not 1 <= day <= days:
        return False
    total = sum(int(c) * w for c, w in zip(value, _ID_WEIGHTS, strict=False))
    return _ID_CHECK[total % 11] == value[17]


def _bank_card_ok(value: str) -> bool:
    """16-19 digits, an issuer prefix cards use (3 JCB, 4 Visa, 5 Mastercard,
    6 UnionPay, 9 old domestic), and Luhn.  The prefix rule keeps out the long
    ids ads are full of (video ids start with 7, order numbers with 1-2)."""
    return value.isdigit() and 16 <= len(value) <= 19 and value[0] in "34569" and _luhn(value)


# A run of 16-19 digits (spaces or dashes allowed between) that is not part of
# a longer number, a URL or an identifier; validated afterwards.
_D = "[0-9０-９]"
_RUN = re.compile(
    rf"{_D}(?<![{_ASCII_WORD}/=&?#%.\-]{_D})(?<!{_D}[ \-\u3000]{_D})"
    rf"(?:[ \-\u3000]?{_D}){{15,18}}(?:[ \-]?[XxＸｘ])?"
    rf"(?![ \-\u3000]?[{_ASCII_WORD}/=&?#%])"
)

# Common surnames only, less those that are also everyday words after 本人
# (明白, 单身, 方便, 车贷 ...): the cue plus a surname plus a word boundary is
# what makes a name, and a false mask of ad text hides evidence.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范贾夏韦付傅廖邹孟熊秦邱尹薛闫段雷侯史陶黎贺顾毛郝龚邵"
    "钱严覃武戴莫孔汤温康施牛樊葛邢齐乔伍庞颜倪庄聂章鲁岳翟殷詹耿焦俞柳祝阮柯纪梅童凌毕"
    "季裴霍涂苗谷盛翁冉骆蓝靳柴蒙鲍喻祁蒲滕屈饶牟艾尤穆卓缪娄窦戚岑景卜晏卫瞿桂佟臧闵邬"
)
_COMPOUND = "欧阳|司马|诸葛|上官|东方|皇甫|慕容|令狐|夏侯|尉迟|公孙|长孙|宇文|司徒|端木"
# characters no given name is made of, but that follow 本人 in a pitch (本人曾逾期，)
_NOT_GIVEN = "了的是在不也都已就还欠逾负债贷款钱元块万个年月日天号某"
# a surname with a title is how an operator names itself (王律师, 李经理): no one's name
_TITLES = frozenset(
    [
        *("律师", "老师", "先生", "女士", "小姐", "经理", "总监", "总", "客服", "顾问"),
        *("专员", "师傅", "主任", "老板", "姐", "哥", "大哥", "大姐", "阿姨", "工", "会计"),
        "法务",
    ]
)
# words that start with a surname and end a clause after 本人 (本人马上，)
_NOT_NAMES = frozenset(
    [
        *("马上", "高中", "周末", "何时", "曾经", "任何", "许多", "郑重", "陆续", "严重"),
        *("康复", "温馨", "童年", "齐全", "庞大", "毛病", "程序", "黄金", "武汉", "谢谢"),
    ]
)
_NAME = re.compile(
    r"(?:姓名|名字|我叫|本人)(?:是|为|叫)?[\s:：]{0,2}"
    rf"(?P<name>(?:{_COMPOUND}|[{_SURNAMES}])(?:(?![{_NOT_GIVEN}])[\u4e00-\u9fff]){{1,2}})"
    r"(?![\u3400-\u9fff])"
)
_HAN = re.compile(r"[\u3400-\u9fff]")


def _is_han_name(name: str) -> bool:
    return all(_HAN.match(c) for c in name)


def _surname(name: str) -> str:
    return name[:2] if re.match(_COMPOUND, name) else name[:1]


# --- secrets -----------------------------------------------------------------


@dataclass(frozen=True)
class _Matcher:
    """One value to mask: how to find it, its kind, what the reader sees.
    Numbers have ``digits`` (and no pattern): they are found by one scan of
    the text's number runs, whatever their count (see ``_number_hits``)."""

    kind: str
    shown_as: str
    digits: str = ""
    pattern: re.Pattern[str] | None = None


def _numeric_kind(digits: str) -> str:
    if re.fullmatch(r"1[3-9]\d{9}", digits) or re.fullmatch(r"0\d{9,11}|[48]00\d{7}", digits):
        return "phone"
    if len(digits) == 18 and _id_card_ok(digits):
        return "id_card"
    if _bank_card_ok(digits):
        return "bank_card"
    if 5 <= len(digits) <= 11 and digits[0] != "0":
        return "qq"
    return "phone"


def _phone_shown(digits: str) -> str:
    """139****5678: the form Chinese services use, enough to tell numbers apart."""
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return MASK


def _shown(kind: str, value: str) -> str:
    if kind == "phone":
        return _phone_shown(value)
    if kind == "name" and _is_han_name(value):
        return _surname(value) + "*"
    return MASK


def _matcher(secret: Secret) -> _Matcher:
    """How to find one secret however it is written in the text."""
    kind, raw = secret if isinstance(secret, tuple) else ("", secret)
    if kind and kind not in KINDS:
        raise ValueError(f"unknown secret kind {kind!r}")
    value = unicodedata.normalize("NFKC", raw).strip()
    if _ALL_DIGIT_FORMS.fullmatch(value):
        value = value.translate(_TO_DIGIT)  # 一三九…, 幺: the crawler may pass it as written
    digits = _digits(value)
    if len(digits) >= MIN_SECRET_DIGITS and re.fullmatch(r"[\d\W_]+[Xx]?", value):
        if re.fullmatch(r"(?:00)?861[3-9]\d{9}", digits):
            digits = digits[-11:]  # +86 139..., 0086 139...
        digits += "X" if value[-1] in "Xx" else ""
        kind = kind or _numeric_kind(digits)
        return _Matcher(kind, _phone_shown(digits) if kind == "phone" else MASK, digits)
    if len(value) < MIN_SECRET_CHARS or re.fullmatch(r"[\d\W_]*", value):
        raise ValueError("a secret must have at least 5 digits or 2 characters")
    kind = kind or ("name" if _HAN.search(value) else "wechat")
    classes = [_char_class(c) for c in value]
    if re.match(r"[0-9A-Za-z_]", value[0]):
        # after the first character, so the scan can skip to candidates quickly
        classes[0] += rf"(?<![{_ASCII_WORD}].)"
    body = _INVISIBLE.join(classes)
    if re.match(r"[0-9A-Za-z_]", value[-1]):
        body += rf"(?![{_ASCII_WORD}])"
    return _Matcher(kind, _shown(kind, value), pattern=re.compile(body))


_DIGIT_CHARS = "".join(_DIGIT_FORMS.values())
_NUMBER = re.compile(rf"[{_DIGIT_CHARS}](?:{_NUM_SEP}[{_DIGIT_CHARS}])*(?:[ \-]?[XxＸｘ])?")
_NOT_DIGIT = re.compile(rf"[^{_DIGIT_CHARS}XxＸｘ]+")
_WRITTEN_DIGIT = frozenset(_DIGIT_CHARS + "XxＸｘ")
_ARABIC = frozenset("0123456789０１２３４５６７８９")
_PREFIXES = ("0086", "86")


def _number_hits(text: str, matchers: Sequence[_Matcher]) -> list[_Hit]:
    """Numeric secrets in the text's number runs (digits in any form with up to
    three separators between): one linear scan, then substring searches on
    each run's digits.  A secret must not touch another Arabic digit (it is
    not part of a longer number), except a phone's +86 / 0086 prefix."""
    numeric = [m for m in matchers if m.digits and m.pattern is None]
    if not numeric:
        return []
    shortest = min(len(m.digits) for m in numeric)
    out: list[_Hit] = []
    for run in _NUMBER.finditer(text):
        if run.end() - run.start() < shortest:
            continue
        written = _NOT_DIGIT.sub("", run.group())
        digits = unicodedata.normalize("NFKC", written.translate(_TO_DIGIT)).upper()
        present = [m for m in numeric if m.digits in digits]
        if not present:
            continue
        where = [i for i, c in enumerate(run.group(), run.start()) if c in _WRITTEN_DIGIT]
        for m in present:
            k = digits.find(m.digits)
            while k >= 0:
                hit = _number_hit(text, digits, where, k, m)
                if hit is not None:
                    out.append(hit)
                k = digits.find(m.digits, k + 1)
    return out


def _number_hit(text: str, digits: str, where: list[int], k: int, m: _Matcher) -> _Hit | None:
    """The occurrence of ``m`` at digit ``k`` of a run, if it stands alone."""
    first, last = where[k], where[k + len(m.digits) - 1]
    if last + 1 < len(text) and text[last + 1] in _ARABIC:
        return None
    start = first
    alone = first == 0 or text[first - 1] not in _ARABIC
    if m.kind == "phone":
        for prefix in _PREFIXES:
            p = k - len(prefix)
            if p >= 0 and digits[p:k] == prefix:
                at = where[p]
                if at == 0 or text[at - 1] not in _ARABIC:
                    start, alone = (at - 1 if at and text[at - 1] in "+＋" else at), True
                    break
    return _Hit(start, last + 1, m.kind, m.shown_as) if alone else None


def _char_class(c: str) -> str:
    """A character as written in text: either case, half or full width."""
    if "!" <= c <= "~":
        forms = {c.lower(), c.upper()}
        forms |= {chr(ord(f) + 0xFEE0) for f in set(forms)}
        return "[" + "".join(re.escape(f) for f in sorted(forms)) + "]"
    return re.escape(c)


def _matchers(secrets: Iterable[Secret], keep: Iterable[str]) -> list[_Matcher]:
    kept = _kept(keep)
    out = []
    for secret in secrets:
        m = _matcher(secret)
        value = secret[1] if isinstance(secret, tuple) else secret
        if _key(value) in kept:
            raise ValueError("a value is both a secret and kept (the advertiser's own)")
        out.append(m)
    return out


def _key(value: str) -> str:
    """What makes two writings of a value the same: its digits, or its letters."""
    norm = unicodedata.normalize("NFKC", value)
    digits = _digits(norm)
    if len(digits) >= MIN_SECRET_DIGITS and re.fullmatch(r"[\d\W_X]+", norm, re.IGNORECASE):
        return digits + ("X" if norm.rstrip()[-1:] in "Xx" else "")
    return re.sub(r"\W", "", norm).lower()


def _kept(keep: Iterable[str]) -> frozenset[str]:
    return frozenset(_key(v) for v in keep if v and v.strip())


# --- text --------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: str
    shown_as: str


def _hits(text: str, matchers: Sequence[_Matcher], kept: frozenset[str]) -> list[_Hit]:
    """Every span to mask, overlaps merged (a part left unmasked would leak)."""
    found = [
        _Hit(m.start(), m.end(), mt.kind, mt.shown_as)
        for mt in matchers
        if mt.pattern is not None
        for m in mt.pattern.finditer(text)
    ]
    found += _number_hits(text, matchers)
    found += _auto_hits(text, kept)
    found.sort(key=lambda h: (h.start, -h.end))
    merged: list[_Hit] = []
    for hit in found:
        if merged and hit.start < merged[-1].end:
            last = merged[-1]
            if hit.end > last.end:
                merged[-1] = _Hit(last.start, hit.end, last.kind, MASK)
            continue
        merged.append(hit)
    return merged


def _auto_hits(text: str, kept: frozenset[str]) -> list[_Hit]:
    """ID and bank-card numbers and cued names: masked whoever wrote them."""
    out = []
    for m in _RUN.finditer(text):
        value = unicodedata.normalize("NFKC", re.sub(r"[ \-\u3000]", "", m.group())).upper()
        if value in kept:
            continue
        if _id_card_ok(value):
            out.append(_Hit(m.start(), m.end(), "id_card", MASK))
        elif _bank_card_ok(value):
            out.append(_Hit(m.start(), m.end(), "bank_card", MASK))
    for m in _NAME.finditer(text):
        name = m.group("name")
        given = name[len(_surname(name)) :]
        if given not in _TITLES and name not in _NOT_NAMES and _key(name) not in kept:
            out.append(_Hit(m.start("name"), m.end("name"), "name", _surname(name) + "*"))
    return out


def redact_text(
    text: str, secrets: Iterable[Secret], where: str, keep: Iterable[str] = ()
) -> tuple[str, list[Masked]]:
    """The text as the dossier's reader sees it, and what was masked.

    ``secrets``: third parties' values the caller found (a string, or
    ``(kind, value)``); ``keep``: the advertiser's own values, never masked by
    the automatic ID / bank-card / name rules (an operator's collecting
    account is evidence).  Raises ValueError for a secret too short to mask
    safely (under 5 digits or 2 characters) rather than ignoring it.
    """
    kept = _kept(keep)
    hits = _hits(text, _matchers(secrets, keep), kept)
    out: list[str] = []
    at = 0
    for hit in hits:
        out += [text[at : hit.start], hit.shown_as]
        at = hit.end
    out.append(text[at:])
    return "".join(out), [_masked(h.kind, where, h.shown_as) for h in hits]


# --- pictures ----------------------------------------------------------------


def _decode(data: bytes, where: str) -> Image.Image:
    """Fully decode under the pixel limit (bombs, truncation, non-images and
    formats outside FORMATS refused), or raise ImageNotChecked."""
    if not data:
        raise ImageNotChecked(where, "empty_image")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=FORMATS)
            if img.width * img.height > MAX_PIXELS:
                raise ImageNotChecked(where, "decompression_bomb", f"{img.width}x{img.height}")
            img.load()
        except ImageNotChecked:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageNotChecked(where, "decompression_bomb", str(exc)[:200]) from None
        except UnidentifiedImageError:
            raise ImageNotChecked(where, "not_image", f"{len(data)} bytes") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageNotChecked(where, "corrupt_image", str(exc)[:200]) from None
    return img


def _upright_rgb(img: Image.Image) -> Image.Image:
    """The picture as a browser shows it (evidence.pictures, as OCR read it):
    EXIF rotation applied, first frame, transparency flattened over the
    backdrop that contrasts with its ink (hidden colour under alpha is not kept)."""
    return pictures.shown(img)


Box = tuple[int, int, int, int]  # left, top, right, bottom (exclusive), in pixels

_local = threading.local()
_cv2_lock = threading.Lock()


def _cv2() -> Any:
    """OpenCV with its ``data`` package, imported once under a lock: cv2's
    loader swaps its own module in ``sys.modules`` while it runs, and a second
    exhibit thread importing it meanwhile got "'cv2' is not a package"."""
    with _cv2_lock:
        import cv2
        import cv2.data
    return cv2


def _cascade() -> Any:
    """The frontal-face cascade, one per thread (OpenCV's is not documented
    as thread-safe).  Missing files raise: faces=True must never pass silently."""
    cascade = getattr(_local, "cascade", None)
    if cascade is None:
        cv2 = _cv2()
        path = cv2.data.haarcascades + FACE_CASCADE
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"face detector not available: {path}")
        _local.cascade = cascade
    return cascade


def find_faces(img: Image.Image) -> list[Box]:
    """Frontal faces in an RGB picture, each box grown by FACE_MARGIN.

    Haar's alt2 cascade at 5 neighbours: on 370 ad-like pictures (posters,
    banners of Chinese text, QR codes, comment-page screenshots) it found no
    face, where the default cascade or 3 neighbours found 12-19 false ones.
    Profiles, tilted and small faces are missed (see the module's limits)."""
    import numpy as np

    cv2 = _cv2()

    scale = min(1.0, (DETECT_PIXELS / max(1, img.width * img.height)) ** 0.5)
    small = img
    if scale < 1.0:
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        small = img.resize(size, Image.Resampling.BILINEAR)
    raw = cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2GRAY)
    gray = cv2.equalizeHist(raw)
    side = max(FACE_MIN, min(gray.shape) // 30)
    found = _cascade().detectMultiScale(
        gray, scaleFactor=FACE_SCALE_STEP, minNeighbors=FACE_NEIGHBOURS, minSize=(side, side)
    )
    boxes = []
    for x, y, w, h in (tuple(int(v) for v in f) for f in found):
        if not _has_eyes(raw[y : y + h * 2 // 3, x : x + w], w):
            continue  # a glyph that looks like a face to the cascade (话 on a red banner did)
        mx, my = w * FACE_MARGIN, h * FACE_MARGIN
        boxes.append(
            _clamp(
                ((x - mx) / scale, (y - my) / scale, (x + w + mx) / scale, (y + h + my) / scale),
                img.size,
            )
        )
    return boxes


def _has_eyes(region: Any, face_width: int) -> bool:
    """A second opinion on a face: an eye in its upper two thirds.  Masking ad
    text by mistake hides evidence, so a face must pass both cascades."""
    cv2 = _cv2()
    cascade = getattr(_local, "eyes", None)
    if cascade is None:
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + EYE_CASCADE)
        if cascade.empty():
            raise RuntimeError(f"eye detector not available: {EYE_CASCADE}")
        _local.eyes = cascade
    side = max(4, face_width // 10)
    return len(cascade.detectMultiScale(region, 1.05, 3, minSize=(side, side))) > 0


def _clamp(box: tuple[float, float, float, float], size: tuple[int, int]) -> Box:
    left, top, right, bottom = box
    return (
        max(0, int(left)),
        max(0, int(top)),
        min(size[0], int(right + 0.999)),
        min(size[1], int(bottom + 0.999)),
    )


def _char_width(c: str) -> float:
    """Relative advance of a character in a CJK font (an em is 1)."""
    if unicodedata.east_asian_width(c) in ("W", "F"):
        return 1.0
    return 0.35 if c.isspace() else 0.6


def _span_box(text: str, corners: list[list[int]], start: int, end: int) -> Box | None:
    """The part of a horizontal line's box under text[start:end], estimated
    from character widths and grown by an em each side (an estimate that
    falls short would leave a digit showing).  None for vertical boxes."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = corners[:4]
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    height = ((x3 - x0) ** 2 + (y3 - y0) ** 2) ** 0.5
    widths = [_char_width(c) for c in text]
    total = sum(widths)
    if length < height or total <= 0:
        return None
    t0 = max(0.0, (sum(widths[:start]) - 1.0) / total)
    t1 = min(1.0, (sum(widths[:end]) + 1.0) / total)
    top = [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t) for t in (t0, t1)]
    bottom = [(x3 + (x2 - x3) * t, y3 + (y2 - y3) * t) for t in (t0, t1)]
    points = top + bottom
    pad = 0.15 * height + 2
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (int(min(xs)), int(min(ys) - pad), int(max(xs) + 1), int(max(ys) + pad + 1))


def _line_box(corners: list[list[int]], height_pad: float = 0.15) -> Box:
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    pad = height_pad * (max(ys) - min(ys)) + 2
    return (int(min(xs) - pad), int(min(ys) - pad), int(max(xs) + pad + 1), int(max(ys) + pad + 1))


def _text_masks(
    lines: Iterable[tuple[str, list[list[int]]]],
    matchers: Sequence[_Matcher],
    kept: frozenset[str],
    size: tuple[int, int],
) -> list[tuple[Box, str]]:
    """(box, kind) of the text to fill: the secret's part of its line where
    it can be placed, else the whole line (kind text_in_image)."""
    out: list[tuple[Box, str]] = []
    for text, corners in lines:
        box_corners = _corners(corners)
        hits = _hits(text, matchers, kept)
        rest = list(text)
        for hit in hits:
            rest[hit.start : hit.end] = " " * (hit.end - hit.start)
            span = _span_box(text, box_corners, hit.start, hit.end)
            if span is None:
                out.append((_clamp(_line_box(box_corners), size), "text_in_image"))
            else:
                out.append((_clamp(span, size), hit.kind))
        if _digits_hold_secret("".join(rest), matchers):
            out.append((_clamp(_line_box(box_corners), size), "text_in_image"))
    return [(box, kind) for box, kind in out if box[2] > box[0] and box[3] > box[1]]


def _corners(corners: Any) -> list[list[int]]:
    """Four [x, y] corners from the caller's OCR, or ValueError: a line whose
    place is unknown cannot be masked, so the picture is not checked."""
    try:
        points = [[round(float(p[0])), round(float(p[1]))] for p in corners]
    except (TypeError, ValueError, IndexError, OverflowError):
        raise ValueError("OCR box is not a list of [x, y] points") from None
    if len(points) != 4:
        raise ValueError(f"OCR box has {len(points)} corners, not 4")
    return points


def _digits_hold_secret(text: str, matchers: Sequence[_Matcher]) -> bool:
    """A number OCR read with a letter for a digit (l for 1, O for 0) or an
    odd character inside: compared on digits alone, position unknown."""
    digits = _digits(text.translate(_OCR_DIGITS))
    return any(m.digits and m.digits.rstrip("X") in digits for m in matchers)


def _encode(img: Image.Image, source_format: str) -> bytes:
    """JPEG stays JPEG (a photo as PNG is several times larger), else PNG.
    No metadata is carried over."""
    out = io.BytesIO()
    if source_format == "JPEG":
        img.save(out, "JPEG", quality=JPEG_QUALITY)
    else:
        img.save(out, "PNG")
    return out.getvalue()


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def redact_image(
    data: bytes,
    secrets: Iterable[Secret],
    where: str,
    find_text: FindText | None = None,
    faces: bool = True,
    keep: Iterable[str] = (),
) -> tuple[bytes, list[Masked]]:
    """The picture as the dossier shows it, and what was masked in it.

    ``find_text`` is the caller's OCR: bytes in, (line text, four corners in
    pixels) out.  It gets the original bytes when the picture is shown as
    stored (so an OCR cache keyed by hash still hits), else a PNG of the
    upright first frame.  With nothing masked the original bytes come back
    unchanged (their hash is the sealed one) unless the picture had to be
    made upright, still or legible (EXIF rotation, animation, light ink on
    transparency, laid on black: the dossier shows what was checked).
    Raises ImageNotChecked when the bytes cannot be decoded or the OCR
    fails: such a picture must not be shown.
    """
    matchers = _matchers(secrets, keep)
    kept = _kept(keep)
    img = _decode(data, where)
    rgb = _upright_rgb(img)
    changed = rgb.size != img.size or getattr(img, "n_frames", 1) > 1
    # turned, or light ink laid on black: as stored, a page would show it otherwise
    changed = changed or pictures.turn(img) is not None or pictures.backdrop(img) == pictures.BLACK
    fills: list[tuple[Box, str]] = []
    if faces:
        fills += [(box, "face") for box in find_faces(rgb)]
    if find_text is not None:
        try:
            lines = find_text(_png(rgb) if changed else data)
        except Exception as exc:  # the caller's OCR: any failure leaves the text unchecked
            raise ImageNotChecked(where, "ocr_failed", repr(exc)[:200]) from exc
        try:
            fills += _text_masks(lines, matchers, kept, rgb.size)
        except (TypeError, ValueError) as exc:  # not (text, box) pairs
            raise ImageNotChecked(where, "ocr_failed", str(exc)[:200]) from None
    if not fills and not changed:
        return data, []
    draw = ImageDraw.Draw(rgb)
    for box, _kind in fills:
        draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=FILL)
    masked = [_masked(kind, where, FILLED) for _box, kind in fills]
    return _encode(rgb, img.format or ""), masked
