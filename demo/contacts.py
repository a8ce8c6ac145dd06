"""Operators (gangs) and the contact handles their ads carry, written the way
ads write them: WeChat as V / vx / 薇 / 绿泡泡, phones split or in Chinese numerals.

Large groups reuse a few phones and WeChat ids across many ads, so the
generator draws ads from a handful of operators; linking ads by shared
contacts is how analysts find the gang.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from demo.model import Contact

# Letters that OCR does not confuse (no l/I/o/O/0/1 look-alikes in ids).
_ID_LETTERS = "abcdefghjkmnpqrstuvwxyz"
_ID_DIGITS = "23456789"
_ID_STEMS = (
    "tc",
    "zx",
    "shangan",
    "xieshang",
    "tuibao",
    "fawu",
    "anxin",
    "huimin",
    "kefu",
    "zhengdao",
    "txgz",
    "helper",
    "laowang",
    "xiaoli",
)

WECHAT_CUES: tuple[str, ...] = (
    "微信",
    "加V",
    "V",
    "vx",
    "wx",
    "薇",
    "威信",
    "加❤",
    "绿泡泡",
    "V信",
    "+v",
    "薇信",
)
PHONE_CUES: tuple[str, ...] = ("电话", "☎", "TEL", "热线", "手机", "call")
QQ_CUES: tuple[str, ...] = ("QQ", "扣扣", "企鹅", "qq")
_CN_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Operator:
    """A gang: its brand and the few handles all of its ads point to."""

    name: str
    brand: str
    phones: tuple[str, ...]
    wechats: tuple[str, ...]
    qq: str | None
    url: str | None
    site: str  # display domain of the operator's landing pages

    def handles(self) -> list[Contact]:
        """All handles, `where` left empty (the ad decides where it shows them)."""
        out = [Contact("phone", p, "") for p in self.phones]
        out += [Contact("wechat", w, "") for w in self.wechats]
        if self.qq:
            out.append(Contact("qq", self.qq, ""))
        if self.url:
            out.append(Contact("url", self.url, ""))
        return out


def phone_number(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice(string.digits) for _ in range(9))


def wechat_id(rng: random.Random) -> str:
    stem = rng.choice(_ID_STEMS)
    sep = rng.choice(("", "_", "", "-"))
    tail = "".join(rng.choice(_ID_DIGITS) for _ in range(rng.randint(2, 4)))
    extra = "".join(rng.choice(_ID_LETTERS) for _ in range(rng.randint(0, 3)))
    wid = f"{stem}{extra}{sep}{tail}"
    return wid if len(wid) >= 6 else wid + "".join(rng.choice(_ID_DIGITS) for _ in range(3))


def qq_number(rng: random.Random) -> str:
    tail = "".join(rng.choice(string.digits) for _ in range(rng.randint(7, 9)))
    return rng.choice("23456789") + tail


def make_operators(rng: random.Random, count: int, brands: tuple[str, ...]) -> list[Operator]:
    ops = []
    seen: set[str] = set()
    for i in range(count):
        phones = tuple(phone_number(rng) for _ in range(rng.randint(1, 2)))
        wechats: list[str] = []
        wanted = rng.randint(1, 3)
        while len(wechats) < wanted:
            wid = wechat_id(rng)
            if wid not in seen:
                seen.add(wid)
                wechats.append(wid)
        qq = qq_number(rng) if rng.random() < 0.4 else None
        host = "".join(rng.choice(_ID_LETTERS) for _ in range(rng.randint(5, 8)))
        site = f"www.{host}.{rng.choice(('cn', 'com.cn', 'com', 'net'))}"
        url = f"http://{site}/apply?c={rng.randint(10, 99)}" if rng.random() < 0.3 else None
        brand = brands[i % len(brands)]
        ops.append(Operator(f"op{i + 1:02d}", brand, phones, tuple(wechats), qq, url, site))
    return ops


def chinese_digits(digits: str, rng: random.Random) -> str:
    """13812345678 -> 幺三八幺二三四五六七八 (幺 for one, sometimes)."""
    use_yao = rng.random() < 0.6
    return "".join("幺" if d == "1" and use_yao else _CN_DIGITS[int(d)] for d in digits)


def phone_text(number: str, rng: random.Random) -> tuple[str, str]:
    """A phone as ads write it, and the disguise tag (empty when plain)."""
    style = rng.choice(("plain", "plain", "spaces", "dashes", "chinese", "mixed"))
    if style == "spaces":
        return f"{number[:3]} {number[3:7]} {number[7:]}", "phone_split"
    if style == "dashes":
        return f"{number[:3]}-{number[3:7]}-{number[7:]}", "phone_split"
    if style == "chinese":
        return chinese_digits(number, rng), "phone_chinese"
    if style == "mixed":
        return f"{chinese_digits(number[:3], rng)} {number[3:7]} {number[7:]}", "phone_chinese"
    return number, ""


def contact_text(contact: Contact, rng: random.Random, plain: bool = False) -> tuple[str, str]:
    """A contact with its cue word (加V:xxx, ☎ 138 1234 5678) and its disguise
    tag.  `plain` keeps it readable for images (big, clean text for OCR)."""
    sep = rng.choice((":", ":", " ", ""))
    if contact.kind == "wechat":
        cue = "微信" if plain and rng.random() < 0.5 else rng.choice(WECHAT_CUES)
        tag = "" if cue == "微信" else "wechat_cue"
        return f"{cue}{sep}{contact.value}", tag
    if contact.kind == "phone":
        cue = rng.choice(PHONE_CUES)
        if plain:
            return f"{cue}{sep}{contact.value}", ""
        text, tag = phone_text(contact.value, rng)
        return f"{cue}{sep}{text}", tag
    if contact.kind == "qq":
        cue = rng.choice(QQ_CUES)
        return f"{cue}{sep}{contact.value}", "" if cue in ("QQ", "qq") else "qq_cue"
    return f"填写负债信息:{contact.value}", ""


def qr_payload(contact: Contact) -> str:
    """What a QR code for this contact encodes."""
    if contact.kind == "wechat":
        return f"weixin://contacts/profile/{contact.value}"
    if contact.kind == "phone":
        return f"tel:{contact.value}"
    if contact.kind == "qq":
        return f"mqqwpa://im/chat?chat_type=wpa&uin={contact.value}"
    return contact.value
