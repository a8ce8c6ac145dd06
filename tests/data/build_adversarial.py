#!/usr/bin/env python3
"""Build tests/data/adversarial.jsonl: a hand-made adversarial evaluation set.

Every line was written by hand (see ADS and NEGATIVES below); this script only
renders the mechanical disguises, normalises contacts, checks the result and writes
it.  It is deterministic (fixed seed), offline and uses the standard library only.

Run:  .venv/bin/python tests/data/build_adversarial.py

Data format, one entry per line inside ADS / NEGATIVES (``~`` continues a line,
``//`` starts a comment line):
    ADS:        CAT KIND CODES | text        (CAT: TC XS TS TB ZX AI)
    NEGATIVES:  KIND CODES | text
CODES are the hand-applied tricks ("-" for none):
    H homophone, V variant_wechat, P pinyin, I initials, T traditional,
    C converter_pinyin, K split_character, E html_entities written literally.
Mechanical tricks come from inline markup ``[[op:arg|style]]``:
    zw:TEXT         zero-width characters between the characters   -> zero_width
    sep:TEXT|S      S (or a random symbol) between the characters   -> separator
    bidi:TEXT       bidi controls between the characters            -> bidi
    rlo:TEXT        TEXT reversed inside U+202E ... U+202C          -> bidi
    fw:TEXT         full-width ASCII                                -> fullwidth
    ent:TEXT        HTML numeric character references               -> html_entities
    sd:TEXT|G       styled digits (G: circ neg paren sup)           -> styled_digits
    tel:RAW|STYLE   phone contact; STYLE is "+"-joined tokens:
                    plain std space dash dot mixsep p86 p0086 (layout; space, dash,
                    dot, mixsep -> split_phone), cn cnx cap cnmix (Chinese numerals
                    -> chinese_numeral_phone), circ neg paren sup (-> styled_digits),
                    fw (-> fullwidth), zw (-> zero_width)
    telwx:RAW|STYLE as tel, and the same number is also the WeChat ID
    wx:ID|STYLE     WeChat contact (plain fw zw circ neg)
    qq:NUM|STYLE    QQ contact (plain fw zw circ neg paren sup)
    url:RAW|STYLE   URL contact (plain fw zw)
"mixed" is added to every line that uses three or more distinct tricks.
"""

from __future__ import annotations

import html
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED = 20240615
OUT = Path(__file__).with_name("adversarial.jsonl")
Record = dict[str, Any]

CATEGORIES = {
    "TC": "停催",
    "XS": "债务协商",
    "TS": "代理投诉",
    "TB": "退保退息",
    "ZX": "征信修复",
    "AI": "AI接听",
}
AD_KINDS = ("slogan", "caption", "listing", "serp", "comment")
# The kinds and trick names below repeat build_heldout.py's on purpose: the held-out
# set is written independently of the adversarial one, so neither builder imports
# the other (or a shared module) and a change to one cannot reshape the other's file.
NEG_KINDS = (
    "news",
    "police",
    "warning",
    "regulator",
    "bank_notice",
    "legal_aid",
    "explainer",
    "user_comment",
    "court",
    "quoted_list",
    "unrelated_loan_ad",
    "benign",
)
TRICKS = (
    "homophone",
    "variant_wechat",
    "pinyin",
    "initials",
    "separator",
    "zero_width",
    "bidi",
    "fullwidth",
    "traditional",
    "converter_pinyin",
    "chinese_numeral_phone",
    "split_phone",
    "styled_digits",
    "html_entities",
    "split_character",
    "mixed",
)
CODES = {
    "H": "homophone",
    "V": "variant_wechat",
    "P": "pinyin",
    "I": "initials",
    "T": "traditional",
    "C": "converter_pinyin",
    "K": "split_character",
    "E": "html_entities",
}
CONTACT_KINDS = ("phone", "wechat", "qq", "url")

# --- character tables -----------------------------------------------------------

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI_CHARS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BIDI_INSERTS = ("\u200e", "\u200f", "\u202d\u202c", "\u202e\u202c", "\u202a\u202c", "\u2066\u2069")
SEPARATORS = (" ", "*", ".", "❤", "-", "/", "🔥", "✨", "·")
GLYPHS: dict[str, str] = {
    "cn": "零一二三四五六七八九",
    "cap": "零壹贰叁肆伍陆柒捌玖",
    "circ": "⓪①②③④⑤⑥⑦⑧⑨",
    "neg": "⓿❶❷❸❹❺❻❼❽❾",
    "paren": "⓪⑴⑵⑶⑷⑸⑹⑺⑻⑼",
    "sup": "⁰¹²³⁴⁵⁶⁷⁸⁹",
    "fw": "０１２３４５６７８９",
}
STYLED_TO_DIGIT = {
    ch: str(i) for name in ("circ", "neg", "paren", "sup") for i, ch in enumerate(GLYPHS[name])
}
CN_TO_DIGIT = {ch: str(i) for i, ch in enumerate(GLYPHS["cn"])}
CN_TO_DIGIT.update({ch: str(i) for i, ch in enumerate(GLYPHS["cap"])})
CN_TO_DIGIT.update({"〇": "0", "幺": "1", "两": "2"})

# Cue lists used to check the hand-applied tags (matched on the plain rendering).
HOMOPHONES: tuple[str, ...] = (
    *("亭催", "停摧", "亭崔", "葆费", "葆費", "退葆", "正信", "证信", "协尚", "逾其"),
    *("褂账", "伤岸", "修服", "催手", "投素", "代里", "退夕", "网代", "接厅"),
)
PINYIN_WORDS: tuple[str, ...] = (
    *("tingcui", "zhengxin", "shangan", "xieshang", "tuibao", "tuixi", "tousu"),
    *("jieting", "daili", "cuishou"),
)
INITIALS_RE = re.compile(r"(?<![a-z])(?:tc|zx|zxxf|txgz|xs|tb|ts|dlts|fz)(?![a-z])")
VARIANT_RE = re.compile(
    r"薇|威信|徽信|绿泡泡|v信|❤信|(?<![a-z])vx(?![a-z])|(?<![a-z])wx(?![a-z])|加v|加❤"
    r"|(?<![a-z])v:|(?<![a-z])v我"
)
SPLIT_CHARS = ("亻亭", "亻崔", "彳正", "亻责", "扌殳", "讠斥", "亻呆", "氵台", "亻言")
TRAD_ONLY = set(
    "債務協議資訊與個網貸費徵還銀處專業號碼電話聯繫們這說會來時過對後產讓請關經濟傳證變實額據認條"
    "詢護營銷為萬應該當盡聽學親體覺總問題錢復權點無從頭氣樣裡誰張減記錄負擔團隊騷擾幫給開門見長東"
    "車僅紀審買賣輕運連進選邊齊續簽約辦歲歷帳單險種現顧諮違規擊嚴謹詐騙罰訴訟預轉錯誤談讀謝識調論"
    "許評講係壽內載機構結撥熱線級圍掛區並歸計數啟質遠術統屬鍵聲稱員亂維於終動參視頻廣誘導優餘戶"
    "鋪臺發達國義愛財虛佈組織謀滅頓衛誌態淨淺惡潰稅職鐘盤據話錄應評論繳糾紛執輪貨鏈規臨"
)
CONVERTER_RE = re.compile(r"[\u3400-\u9fff]\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
ENTITY_RE = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);")
STYLED_CHARS = set(STYLED_TO_DIGIT) - set("0123456789")
FULLWIDTH_RE = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")

MOBILE_RE = re.compile(r"1[3-9]\d{9}")
PHONE_VALUE_RE = re.compile(r"1[3-9]\d{9}|0\d{9,11}|[48]00\d{7}")
WECHAT_VALUE_RE = re.compile(r"[a-z][a-z0-9_-]{5,19}|1[3-9]\d{9}")
QQ_VALUE_RE = re.compile(r"[1-9]\d{4,11}")
HOST_RE = re.compile(
    r"(?<![a-z0-9.-])((?:[a-z0-9-]+\.)+(?:cn|com|net|top|vip|app|xyz|cc|org|me))(?![a-z0-9-])"
)


# --- rendering ------------------------------------------------------------------


@dataclass
class Rendered:
    text: str
    plain: str
    tricks: set[str] = field(default_factory=set)
    contacts: list[tuple[str, str]] = field(default_factory=list)


def fullwidth(text: str) -> str:
    out = []
    for ch in text:
        if ch == " ":
            out.append("\u3000")
        elif "!" <= ch <= "~":
            out.append(chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def interleave(text: str, pick: list[str]) -> str:
    out = [text[0]]
    for i, ch in enumerate(text[1:]):
        out.append(pick[i % len(pick)])
        out.append(ch)
    return "".join(out)


def glyph_digits(text: str, glyph: str, rng: random.Random) -> str:
    out = []
    for ch in text:
        if not ch.isdigit():
            out.append(ch)
            continue
        d = int(ch)
        if glyph == "cnx":
            if d == 1:
                out.append("幺")
            elif d == 2:
                out.append(rng.choice("二两"))
            elif d == 0:
                out.append(rng.choice("零〇"))
            else:
                out.append(GLYPHS["cn"][d])
        else:
            out.append(GLYPHS[glyph][d])
    return "".join(out)


def insert_zero_width(text: str, rng: random.Random, count: int = 2) -> str:
    chars = list(text)
    slots = sorted(rng.sample(range(1, len(chars)), min(count, len(chars) - 1)), reverse=True)
    for pos in slots:
        chars.insert(pos, rng.choice(ZERO_WIDTH))
    return "".join(chars)


def normalise_url(raw: str) -> str:
    s = re.sub(r"^(?i:https?://)", "", raw.strip())
    host, slash, path = s.partition("/")
    host = host.lower().removeprefix("www.")
    value = host + (slash + path if path else "")
    return value.rstrip("/.,;:!?。，；：！？")


def render_phone(raw: str, style: str, rng: random.Random) -> tuple[str, set[str]]:
    digits = re.sub(r"\D", "", raw)
    tokens = style.split("+") if style else ["plain"]
    tricks: set[str] = set()
    if MOBILE_RE.fullmatch(digits):
        segments = [digits[:3], digits[3:7], digits[7:]]
    elif re.fullmatch(r"[48]00\d{7}", digits):
        segments = [digits[:3], digits[3:6], digits[6:]]
    else:
        segments = [raw]
    layout = next((t for t in tokens if t in {"std", "space", "dash", "dot", "mixsep"}), "")
    if layout == "std":
        text = "-".join(segments)
    elif layout in {"space", "dash", "dot"}:
        text = {"space": " ", "dash": "-", "dot": "."}[layout].join(segments)
        tricks.add("split_phone")
    elif layout == "mixsep":
        text = f"{segments[0]} {segments[1]}-{segments[2]}"
        tricks.add("split_phone")
    elif "cnmix" in tokens:
        text = "".join(segments)
    else:
        text = raw
    for token in tokens:
        if token in {"cn", "cnx", "cap"}:
            text = glyph_digits(text, token, rng)
            tricks.add("chinese_numeral_phone")
        elif token == "cnmix":
            text = digits[:3] + glyph_digits(digits[3:7], "cnx", rng) + digits[7:]
            tricks.add("chinese_numeral_phone")
        elif token in {"circ", "neg", "paren", "sup"}:
            text = glyph_digits(text, token, rng)
            tricks.add("styled_digits")
        elif token == "fw":
            text = fullwidth(text)
            tricks.add("fullwidth")
        elif token == "zw":
            text = insert_zero_width(text, rng)
            tricks.add("zero_width")
    if "p86" in tokens:
        text = "+86 " + text
    if "p0086" in tokens:
        text = "0086-" + text
    return text, tricks


def render_id(value: str, style: str, rng: random.Random) -> tuple[str, set[str]]:
    """Render a WeChat ID, QQ number or URL in one of the simple styles."""
    if style in {"", "plain"}:
        return value, set()
    if style == "fw":
        return fullwidth(value), {"fullwidth"}
    if style == "zw":
        return insert_zero_width(value, rng, 1), {"zero_width"}
    if style in {"circ", "neg", "paren", "sup"}:
        return glyph_digits(value, style, rng), {"styled_digits"}
    raise ValueError(f"unknown style {style!r}")


MARKUP_RE = re.compile(r"\[\[(\w+):(.*?)\]\]")


def render(markup: str, rng: random.Random) -> Rendered:
    out = Rendered("", "")
    pos = 0
    for m in MARKUP_RE.finditer(markup):
        out.text += markup[pos : m.start()]
        out.plain += markup[pos : m.start()]
        pos = m.end()
        op, arg = m.group(1), m.group(2)
        body, _, style = arg.partition("|")
        if op == "zw":
            text = interleave(body, [rng.choice(ZERO_WIDTH) for _ in body])
            out.tricks.add("zero_width")
        elif op == "sep":
            sep = style or rng.choice(SEPARATORS)
            text = sep.join(body)
            out.tricks.add("separator")
        elif op == "bidi":
            text = interleave(body, [rng.choice(BIDI_INSERTS) for _ in body])
            out.tricks.add("bidi")
        elif op == "rlo":
            text = "\u202e" + body[::-1] + "\u202c"
            out.tricks.add("bidi")
        elif op == "fw":
            text = fullwidth(body)
            out.tricks.add("fullwidth")
        elif op == "ent":
            text = "".join(
                f"&#{ord(ch)};" if rng.random() < 0.6 else f"&#x{ord(ch):X};" for ch in body
            )
            out.tricks.add("html_entities")
        elif op == "sd":
            text = glyph_digits(body, style or "circ", rng)
            out.tricks.add("styled_digits")
        elif op in {"tel", "telwx"}:
            text, tricks = render_phone(body, style, rng)
            out.tricks |= tricks
            value = re.sub(r"\D", "", body)
            out.contacts.append(("phone", value))
            if op == "telwx":
                out.contacts.append(("wechat", value))
        elif op == "wx":
            text, tricks = render_id(body, style, rng)
            out.tricks |= tricks
            out.contacts.append(("wechat", body.lower()))
        elif op == "qq":
            text, tricks = render_id(body, style, rng)
            out.tricks |= tricks
            out.contacts.append(("qq", body))
        elif op == "url":
            text, tricks = render_id(body, style, rng)
            out.tricks |= tricks
            out.contacts.append(("url", normalise_url(body)))
        else:
            raise ValueError(f"unknown markup op {op!r} in {markup!r}")
        out.text += text
        if op not in {"tel", "telwx", "wx", "qq", "url"}:
            out.plain += body
    out.text += markup[pos:]
    out.plain += markup[pos:]
    return out


# --- checks ---------------------------------------------------------------------


def deobfuscate(text: str) -> str:
    """Undo the mechanical disguises (used only to check the contacts)."""
    t = html.unescape(text)
    t = "".join(ch for ch in t if ch not in ZERO_WIDTH and ch not in BIDI_CHARS)
    t = "".join(STYLED_TO_DIGIT.get(ch, ch) for ch in t)
    t = unicodedata.normalize("NFKC", t)
    t = "".join(CN_TO_DIGIT.get(ch, ch) for ch in t)
    return t.lower()


def squash_digits(text: str) -> str:
    return re.sub(r"(?<=\d)[\s\-.·]+(?=\d)", "", text)


def detected_tricks(text: str) -> set[str]:
    found = set()
    if any(ch in ZERO_WIDTH for ch in text):
        found.add("zero_width")
    if any(ch in BIDI_CHARS for ch in text):
        found.add("bidi")
    if FULLWIDTH_RE.search(text):
        found.add("fullwidth")
    if ENTITY_RE.search(text):
        found.add("html_entities")
    if any(ch in STYLED_CHARS for ch in text):
        found.add("styled_digits")
    if CONVERTER_RE.search(text):
        found.add("converter_pinyin")
    return found


def cue_tricks(plain: str) -> set[str]:
    base = CONVERTER_RE.sub(lambda m: m.group(0)[0], plain)
    low = unicodedata.normalize("NFKC", base).lower()
    found = set()
    unsplit = low
    for pair in SPLIT_CHARS:
        unsplit = unsplit.replace(pair, "□")
    if any(w in unsplit for w in HOMOPHONES):
        found.add("homophone")
    if VARIANT_RE.search(low):
        found.add("variant_wechat")
    if any(w in low for w in PINYIN_WORDS):
        found.add("pinyin")
    if INITIALS_RE.search(low):
        found.add("initials")
    if any(w in base for w in SPLIT_CHARS):
        found.add("split_character")
    if sum(ch in TRAD_ONLY for ch in base) >= 2:
        found.add("traditional")
    elif any(ch in TRAD_ONLY for ch in base):
        found.add("one traditional character")
    return found


def check_line(rec: Record, plain: str, declared: set[str]) -> list[str]:
    errors: list[str] = []
    text = str(rec["text"])
    mech = {"zero_width", "bidi", "fullwidth", "html_entities", "styled_digits"}
    mech.add("converter_pinyin")
    if detected_tricks(text) != declared & mech:
        errors.append(f"mechanical tricks {sorted(detected_tricks(text))} != declared")
    lexical = {"homophone", "variant_wechat", "pinyin", "initials", "split_character"}
    lexical.add("traditional")
    cues = cue_tricks(plain)
    if cues != declared & lexical:
        errors.append(f"cue tricks {sorted(cues)} != declared {sorted(declared & lexical)}")
    deob = deobfuscate(text)
    squashed = squash_digits(deob)
    contacts = rec["contacts"]
    values = {c["value"] for c in contacts}
    for c in contacts:
        kind, value = c["kind"], c["value"]
        ok = {
            "phone": PHONE_VALUE_RE.fullmatch(value),
            "wechat": WECHAT_VALUE_RE.fullmatch(value),
            "qq": QQ_VALUE_RE.fullmatch(value),
            "url": re.fullmatch(r"[a-z0-9.-]+\.[a-z]+(/[^\s]*[^\s/.,;:!?])?", value),
        }[kind]
        if not ok:
            errors.append(f"bad {kind} value {value!r}")
        if value.lower() not in squashed and value.lower() not in deob:
            errors.append(f"{kind} {value!r} not found in text")
    for m in re.finditer(r"(?<!\d)(?:86)?(1[3-9]\d{9})(?!\d)", squashed):
        if m.group(1) not in values:
            errors.append(f"unlisted mobile {m.group(1)}")
    for m in re.finditer(r"(?<!\d)(0\d{2,3})-?(\d{7,8})(?!\d)", deob):
        if m.group(1) + m.group(2) not in values:
            errors.append(f"unlisted landline {m.group(0)}")
    for m in re.finditer(r"(?<!\d)[48]00\d{7}(?!\d)", squashed):
        if m.group(0) not in values:
            errors.append(f"unlisted 400/800 number {m.group(0)}")
    for m in HOST_RE.finditer(deob):
        host = m.group(1).removeprefix("www.")
        if not any(v.startswith(host) for v in values):
            errors.append(f"unlisted url host {host}")
    return errors


# --- assembly -------------------------------------------------------------------


def parse_block(block: str) -> list[tuple[list[str], str]]:
    entries: list[tuple[list[str], str]] = []
    for line in block.strip().splitlines():
        if not line.strip() or line.startswith("//"):
            continue
        if line.startswith("~"):
            fields, text = entries[-1]
            entries[-1] = (fields, text + line[1:])
            continue
        head, sep, text = line.partition(" | ")
        if not sep:
            raise ValueError(f"bad data line: {line!r}")
        entries.append((head.split(), text))
    return entries


def build() -> list[Record]:
    rng = random.Random(SEED)
    staged: list[tuple[Record, str, set[str]]] = []
    for head, markup in parse_block(ADS):
        cat, kind, *codes = head
        staged.append(make_record(markup, "ad", CATEGORIES[cat], kind, codes, rng))
    for head, markup in parse_block(NEGATIVES):
        kind, *codes = head
        staged.append(make_record(markup, "not_ad", None, kind, codes, rng))
    rng.shuffle(staged)
    errors: list[str] = []
    records = []
    for i, (rec, plain, declared) in enumerate(staged, 1):
        rec["id"] = f"adv-{i:04d}"
        ordered = {k: rec[k] for k in ("id", "text", "label", "category", "tricks")}
        ordered["contacts"] = rec["contacts"]
        ordered["kind"] = rec["kind"]
        errors += [f"{rec['id']} {e}: {rec['text']!r}" for e in check_line(rec, plain, declared)]
        records.append(ordered)
    errors += check_set(records)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        raise SystemExit(f"{len(errors)} validation errors")
    return records


def make_record(
    markup: str,
    label: str,
    category: str | None,
    kind: str,
    codes: list[str],
    rng: random.Random,
) -> tuple[Record, str, set[str]]:
    r = render(markup, rng)
    declared = set(r.tricks)
    declared |= {CODES[c] for c in codes if c != "-"}
    if len(declared) >= 3:
        declared.add("mixed")
    contacts: list[dict[str, str]] = []
    for k, v in r.contacts:
        if {"kind": k, "value": v} not in contacts:
            contacts.append({"kind": k, "value": v})
    rec: Record = {
        "text": r.text,
        "label": label,
        "category": category,
        "tricks": [t for t in TRICKS if t in declared],
        "contacts": contacts,
        "kind": kind,
    }
    return rec, r.plain, declared


def check_set(records: list[Record]) -> list[str]:
    errors = []
    ids = [r["id"] for r in records]
    if len(set(ids)) != len(ids):
        errors.append("duplicate ids")
    texts = Counter(str(r["text"]) for r in records)
    errors += [f"duplicate text {t!r}" for t, n in texts.items() if n > 1]
    for r in records:
        if r["label"] == "ad":
            if r["category"] not in CATEGORIES.values() or r["kind"] not in AD_KINDS:
                errors.append(f"{r['id']} bad ad category/kind")
        elif r["label"] == "not_ad":
            if r["category"] is not None or r["kind"] not in NEG_KINDS:
                errors.append(f"{r['id']} bad not_ad category/kind")
        else:
            errors.append(f"{r['id']} bad label")
        if any(t not in TRICKS for t in r["tricks"]):
            errors.append(f"{r['id']} unknown trick")
        if any(c["kind"] not in CONTACT_KINDS for c in r["contacts"]):
            errors.append(f"{r['id']} unknown contact kind")
    ads = [r for r in records if r["label"] == "ad"]
    negs = [r for r in records if r["label"] == "not_ad"]
    if len(ads) < 250 or len(negs) < 150:
        errors.append(f"too few lines: {len(ads)} ads, {len(negs)} negatives")
    trick_counts = Counter(t for r in ads for t in r["tricks"])
    errors += [f"trick {t}: {trick_counts[t]} < 15 ads" for t in TRICKS if trick_counts[t] < 15]
    kind_counts = Counter(r["kind"] for r in negs)
    errors += [f"kind {k}: {kind_counts[k]} < 10 lines" for k in NEG_KINDS if kind_counts[k] < 10]
    return errors


def report(records: list[Record]) -> None:
    ads = [r for r in records if r["label"] == "ad"]
    negs = [r for r in records if r["label"] == "not_ad"]
    print(f"{len(records)} lines: {len(ads)} ads, {len(negs)} not_ad -> {OUT}")
    print("ads per category:", dict(Counter(str(r["category"]) for r in ads)))
    print("ads per kind:", dict(Counter(str(r["kind"]) for r in ads)))
    tricks = Counter(t for r in ads for t in r["tricks"])
    print("ad tricks:", {t: tricks[t] for t in TRICKS})
    print("ads with no trick:", sum(1 for r in ads if not r["tricks"]))
    print("ads with contacts:", sum(1 for r in ads if r["contacts"]))
    print("negatives per kind:", {k: sum(r["kind"] == k for r in negs) for k in NEG_KINDS})
    print("negatives with contacts:", sum(1 for r in negs if r["contacts"]))
    print("negatives with tricks:", sum(1 for r in negs if r["tricks"]))
    kinds = Counter(c["kind"] for r in records for c in r["contacts"])
    print("contacts:", dict(kinds))


def main() -> None:
    records = build()
    with OUT.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    report(records)


# --- the hand-written lines -----------------------------------------------------

ADS = """
// 停催 (stop collection calls)
TC slogan H V | 当天亭催，不成功不收费，逾期的朋友薇我：[[wx:anxin_tc2023]]
TC slogan - | [[sep:停催|❤]]免息，一个电话就能搞定：[[tel:13826617392|space]]
TC caption P V | 被催收爆通讯录了？家人朋友轮流接到电话？其实tingcui没你想的那么难，今天把方法分
~享出来，需要一对一帮助的加vx：[[wx:ck77889a]] #网贷逾期 #信用卡逾期 #反催收 #负债上岸
TC comment I | tc的找我，团队做了三年，已经帮两千多个家庭处理好了，私我
TC listing - | 【[[zw:停催]]话术】全套反催收应对模板+通话录音教程，拍下自动发货，29.9元，包教会
TC serp H | 广告 停摧专线—网贷/信用卡逾期当天处理｜专业法务一对一服务，拒接催收电话，保护通讯录
~隐私。全国热线[[tel:4008265173|std]]
TC caption T C | 網(wǎng)貸逾期被爆通訊錄？專(zhuān)業(yè)團隊當天停催，讓催收不再騷擾你和家人，
~評論區扣1或私信了解 #網貸逾期 #停催
TC slogan V | [[rlo:停催]]找我们，二十四小时在线，威信[[wx:tcbang_666]]
TC comment V | 我之前也是天天被催到不敢开机，后来找了林老师，现在一个催收电话都没有了，需要的加❤
~：[[wx:lin_laoshi9]]
TC slogan - | 不想再接催收电话？专业停催热线[[tel:15986420731|cn]]，随时来电
TC listing - | 停催协商一对一指导，网贷、信用卡都能做，服务费[[sd:299]]元，扣扣：[[qq:283746591|
~circ]]
TC caption K | 还不上钱天天被打爆电话怎么办？我们专业帮你亻亭亻崔，让家人不再受打扰，三天内见效
~，主页有联系方式 #逾期怎么办 #负债 #催收
TC slogan I V | [[fw:TC]]专业团队 当天生效 [[fw:VX]]：[[wx:tc_pro1688|fw]]
TC serp E | 反催收服务中心 - [[ent:停催]]&amp;协商一站式办理，不成功全额退款，立即咨询[[tel:1852
~0937461]]
TC comment - | 催收一天打二十个电话的，来找我，当天就能让它[[bidi:安静]]下来，[[tel:17710293846|
~dash]]
TC slogan H | 网贷逾期不用怕，专业停摧，三天不见效全额退，电话[[tel:13301928475|dot]]
TC caption V P | 姐妹们！被催收骚扰到崩溃的一定要看完😭我之前欠了6个平台，每天一百多个电话，后来
~找到方法一周就tingcui了。具体怎么做的评论区问不完，直接绿泡泡找我：[[wx:xiaoyu_shangan]] #网贷
~ #逾期 #催收骚扰 #女生负债
TC slogan - | [[sep:停催| ]] [[sep:停诉| ]] 一步到位，不爆通讯录不上门，咨询[[tel:19937462018|sp
~ace]]
TC listing - | 反催收全套资料｜停催话术+应对上门+应对起诉三件套，虚拟资料自动发，[[sd:19.9]]元
TC comment H | 亭崔找我，不成功不收一分钱
TC serp P | tingcui服务_逾期停催协商_24小时受理 广告 网贷逾期三天就能停止催收，成功后再付费。[[u
~rl:https://www.tingcui-help.cn/apply/]]
TC slogan V | 逾期被爆通讯录？加薇[[wx:bao_an2024|zw]]，当天让催收闭嘴
TC caption - | 负债80万的我是怎么做到一个催收电话都接不到的？方法放在评论区置顶了👇 需要代接的直
~接私信，[[sep:停催|.]]、[[sep:停息|.]]一起办 #负债逆袭 #停催 #网贷逾期
TC slogan - | [[ent:停止催收]]，[[ent:当天见效]]，QQ[[qq:1902837465]]
TC listing T | 【停催話術】網貸信用卡逾期應對全套資料，附錄音模板，拍下即發，39元
TC slogan - | 催收电话太多？专人代接，帮你挡掉所有催收，包月只要[[sd:199]]元，[[tel:16612093874|
~neg]]
TC comment I V | 同样被催的私，tc和协商都能做，v：[[wx:heyu_fw01]]
TC slogan H | 逾其被催？找我们亭催，当天安排，[[tel:14736251908]]
TC caption - | 📢网贷逾期的朋友注意了！不要再被催收牵着鼻子走，我们专业团队帮你[[sep:停催|🔥]]，
~保护家人和同事不被骚扰，主页扫码进群 #网贷逾期 #信用卡 #催收
TC slogan - | [[fw:24]]小时停催专线：[[tel:13760084215|fw]]
TC serp - | 推广 信用卡逾期被催收怎么办？教你3天停止催收 - 已帮助10万+用户，免费评估，成功再收费
~。[[url:http://m.cuishou-stop.com/zx/]]
TC comment - | 我就是找他们停的，真的一个电话都没了，链接给你们[[url:t.cn/a8xk2p]]
TC slogan - | 停催[[zw:热线]]：[[tel:15013579246|zw]]，专业处理网贷催收
TC listing - | 闲置转让：反催收课程（停催实操+话术+模板），原价999，现价[[sd:88]]，需要的直接拍
TC slogan - | 网贷逾期[[bidi:停催]]，[[bidi:不上门]]不爆通讯录，电话[[tel:18677013924|mixsep]]
TC caption V H | 说真的，被催收的日子我过够了😮 后来朋友介绍了一个团队，帮我把7个平台全亭催了，
~现在每天能睡个好觉。有需要的姐妹可以找她，徽信：[[wx:Qing-yu2024]]
TC slogan - | [[telwx:13148260937]]（电话微信同号）专业停催，二十四小时接单
TC comment P I | 需要tc的看主页，tingcui不成功退款
TC serp C T | 停催協(xié)商中心_網(wǎng)貸信用卡逾期一站式處(chǔ)理 廣告 專(zhuān)業(yè)團隊處理
~逾期，當天停止催收，諮詢熱線[[tel:4006187325|std]]
TC slogan - | 停催！停催！停催！重要的事说三遍，逾期的朋友打[[tel:17328461950|cnx]]
TC listing - | 代接催收电话服务 一个月[[sd:150]]元 不满意退款 可先试用一天 Q[[qq:45612378]]
TC caption K I | 别再自己硬扛了，亻亭亻崔其实有方法，tc一条龙服务，想了解的评论区扣个1 #逾期 #负
~债上岸
TC slogan V | V信找我，当天[[sep:停催|*]]，不接催收电话：[[wx:ljt_0018]]
TC comment - | 需要停催的私我，[[sd:100]]%有效
TC slogan T | 當天停催，停止爆通訊錄，不成功不收費，諮詢[[tel:19120384756|space]]
TC caption V | 做这行五年了，见过太多因为催收家破人亡的😔 能帮一个是一个，停催、延期、协商都能做
~，有需要的wx：[[wx:Dk9527a]] 备注抖音 #负债 #催收 #网贷逾期
TC slogan H K V | 亭催专线，亻亭止暴力催收，薇：[[wx:zhaoge_2022|circ]]
TC serp - | 停止催收-网贷逾期停催专业机构 - 广告 24小时在线客服，专人对接，当天起效。[[url:https
~://Tingcui.VIP]]
TC comment V | 还在被爆通讯录的加薇信[[wx:Jiaxin_fw|zw]]，帮你停掉
TC slogan - | 不接电话不回短信，催收照样消失，[[tel:13826617392|p86]]
TC caption H V | 【亭催教程】第一步：千万别自己去跟催收吵；第二步：把所有借款截图发给老师；第三
~步：等通知。就这么简单！已帮一千多人停下来，加V：[[wx:ck77889a|circ]] #亭催 #网贷逾期
TC slogan H V | [[sep:亭催|❤]]免息，加❤：[[wx:anxin_tc2023|fw]]，[[tel:15986420731|space+circ]]
TC comment I | TC的私，三天见效，不成功退
TC slogan K | 亻言用卡逾期被催？停催协商一条龙，[[tel:18898765402|space]]
TC listing - | 【反催收】停催话术[[bidi:模板]]｜被催收时怎么说、怎么拖、怎么让对方挂电话，全套[[
~sd:45]]元
TC slogan V | 家人被爆通讯录？[[ent:当天停催]]，不成功全额退款，V信[[wx:tcbang_666|zw]]
TC comment - | 被催到崩溃的打这个电话[[tel:19859306217|cap]]，真的能停
TC listing T C | 停催話術(shù)+錄音模板，網(wǎng)盤發貨，25元
// 债务协商 (negotiate / reduce debt)
XS slogan H | 信用卡协尚分期，最长60期，免息免罚，[[tel:15521436087|space]]
XS slogan - | 个性化分期不会谈？我们替你谈，成功后付费，[[tel:18898765402]]
XS caption P | 负债30万怎么shangan？三个月前我还在被催收，现在和银行谈下了60期个性化分期，每月只
~还一千多。方法都在主页，需要的私信我 #负债上岸 #停息挂账 #信用卡逾期 #个性化分期
XS listing - | 停息挂账全套教程+协商话术+申请模板，学会自己跟银行谈，[[sd:99]]元自动发货
XS serp I | txgz办理_信用卡停息挂账_减免利息罚息 广告 专业团队协商，最高减免[[sd:80]]%，不成功不
~收费 [[url:www.xs-fw.cn/txgz]]
XS comment - | 已上岸，感谢王老师，60期批下来了，同样情况的可以找她 [[wx:wang_xs0827]]
XS slogan V | 债务[[sep:协商|❤]]，减免[[sep:罚息|❤]]，最高立省[[sd:5]]万，加❤[[wx:yy168168a]]
XS caption T C | 負債百萬也能上岸！專(zhuān)業(yè)協(xié)商停息掛帳，最長60期，減免全部違約金，
~私信免費評估 #債務協商 #停息掛帳
XS slogan - | 减债[[sd:80]]%不是梦，专业债务优化团队：[[tel:13597240816|circ]]
XS comment H | 协尚成功了，感谢老师，需要的私我
XS listing - | 【债务协商代办】信用卡/网贷/车贷均可，先评估后收费，[[sd:3]]天出方案，定金[[sd:50
~0]]，QQ[[qq:3308127749|paren]]
XS slogan V | [[zw:停息挂账]]，[[zw:减免罚息]]，一站式债务优化，vx：[[wx:Fuzai_1008]]
XS serp - | 广告 网贷逾期怎么办？专业团队教你协商还款 - 停息挂账、减免违约金、延期[[sd:3]]年还本
~金。在线咨询[[tel:4009617283|std]]
XS caption V | 🔥欠了信用卡和网贷的朋友，别再只还最低了！越还越多！我们可以帮你和银行协商停息分
~期，本金分60期慢慢还，利息罚息全免。详情加绿泡泡[[wx:ck77889a]]🔥 #信用卡 #债务优化 #上岸
XS slogan P | xieshang还款，停息分期，专业团队一对一，[[tel:17710293846]]
XS comment I | xs成功率[[sd:95]]%，不成功退费，看我主页
XS slogan V | [[rlo:债务协商]]包成功，[[bidi:减免]]本金[[sd:30]]%，薇[[wx:chen_xs01]]
XS listing - | 个性化分期申请模板（含困难证明范本）+银行协商录音[[sd:12]]段，[[sd:68]]元
XS caption - | 从负债62万到上岸，我只做对了一件事：找专业的人和银行谈。现在停息挂账60期，每月还
~款从两万降到四千。评论区扣“上岸”我发你方法 #负债逆袭 #停息挂账 #上岸
XS slogan H | 负债伤岸，协商分期，立省几万，电话[[tel:13826617392|cnmix]]
XS serp - | 债务优化中心_[[ent:停息挂账]]_减免利息 广告 最长可分[[sd:60]]期，先方案后收费 [[url:
~https://shangan365.cn/apply]]
XS slogan - | 欠钱不还有方法，[[sep:债务|/]]、[[sep:协商|/]]找专业人士，[[tel:19859306217|dot]]
XS comment V | 有需要协商的朋友加我威信：[[wx:Shangan_Lu]]，免费帮你看方案
XS slogan T | 信用卡逾期？專業協商停息掛帳，減免罰息，[[tel:15013579246|space]]
XS caption K | 别再只还最低还款了！学会和银行谈，亻责务可以分60期还，罚息全免。我们团队每天帮上
~百人协商成功，主页有联系方式 #信用卡逾期 #债务协商
XS listing P | shangan秘籍：停息挂账自己办全流程，银行不会告诉你的方法，[[sd:49.9]]元，拍下发网
~盘链接
XS slogan V | [[fw:60]]期个性化分期，停息挂账一次办好，薇信[[wx:xs_laoshi2023|fw]]
XS comment - | 已经帮我谈下来了，减免了四万多，真的靠谱，需要的打这个电话[[tel:18520937461|space
~]]
XS serp H | 停息褂账办理条件_2024最新政策 推广 逾期协商专线，专人跟进，[[sd:3]]个工作日出结果 电
~话：[[tel:4008265173|std]]
XS slogan I V | fz人注意：txgz、减免、分期一站式，vx：[[wx:anxin_daili]]
XS caption V P | 26岁负债40万，差点想不开，后来在这里xieshang成功了，60期，每个月只要还两千。不
~要放弃，给自己一个机会。V：[[wx:mm-shangan]] #负债 #上岸 #停息挂账
XS slogan - | 债务重组，减免[[sd:70]]%，成功后收费！联系：[[telwx:16612093874|space]]（微信同号
~）
XS comment H | 我也是找他们协尚的，三个月就谈下来了，私信问我要联系方式
XS slogan T C | 網(wǎng)貸協(xié)商還款，停息掛帳，最長60期，專(zhuān)業(yè)團隊一對一服務
XS listing - | 债务协商服务 先出方案满意再付款 本金一万起接 服务费按减免金额的[[sd:20]]%收 私聊
XS slogan - | 协商[[zw:还款]]，[[zw:个性化分期]]，电话[[tel:19120384756|cnx]]
XS serp - | 广告 信用卡逾期协商还款_可停息分期60期 - 银行内部通道，成功率[[sd:98]]%。[[url:dwz.c
~n/h7KpL2]]
XS comment - | 上岸了上岸了！！谢谢李律师团队，需要协商的可以加[[wx:lilvshi_team]]
XS slogan E | 停息挂账&nbsp;减免罚息&nbsp;最长60期&nbsp;咨询[[tel:13760084215]]
XS caption - | 【真实案例】客户负债89万，12个平台，我们团队用了45天帮他全部协商完成，减免利息罚
~息共计23万。你的情况是不是也一样？评论区留下负债金额，我帮你免费评估 #债务协商 #负债上岸 #停息
~挂账
XS slogan V H | 网代逾期协尚分期，加V：[[wx:xyk_fq888|zw]]
XS slogan - | [[sep:上岸|💰]]不是梦，专业[[sep:债务优化|💰]]，[[tel:15986420731|circ]]
XS listing T | 債務協商全套話術，附停息掛帳申請書模板，拍下即發，59元
XS comment I V | xs、txgz都能做，v我[[wx:Chen_xs01]]
XS serp - | 立省10万！信用卡债务协商_专业团队免费评估 广告 停息挂账、分期还款、减免违约金，当天
~出方案 [[url:https://www.Yuqi-Bang.com/apply/]]
XS slogan - | 停息[[bidi:挂账]]一次办好，电话[[tel:13301928475|sup]]
XS caption V | [[ent:债务优化]]｜最近很多粉丝问我怎么停息挂账，今天统一回复：不要自己打电话！找
~专业的人帮你谈，加薇信[[wx:youhua_888|circ]]免费咨询 #债务优化 #停息挂账
XS slogan H P | 协尚还款找我们，shangan不是梦，[[tel:17328461950|space+fw]]
XS caption K H | 亻责务太多压得喘不过气？停息褂账了解一下，本金分期、利息全免，扣1发你资料 #负债
~ #停息挂账
XS comment - | 跟平台谈了半年都没用，找了这个团队两周就谈下来了，[[url:t.cn/Xs60qi]]
XS slogan - | 网贷[[bidi:协商]]还本金，利息全免，先谈后付，[[tel:14736251908|space]]
XS listing - | 【上岸课】债务协商实操课+一对一答疑，[[ent:限时]][[sd:168]]元，拍下拉群
XS slogan - | 负债上岸热线[[tel:13148260937|cnx]]，协商分期，减免罚息
XS caption - | 信用卡逾期别硬扛，找专业团队帮你跟银行谈，停息分期、减免违约金，打[[tel:199374620
~18|cnmix]]预约免费评估 #信用卡逾期 #债务协商
XS listing T C | 債務協(xié)商話術(shù)大全，個(gè)性化分期申請模板，79元
// 代理投诉 (complaints by proxy)
TS slogan K | 代理投诉，专氵台各种不合规收费，退费成功再收钱，[[tel:18677013924|space]]
TS slogan K | 网贷高息乱收费？我们帮你扌殳讠斥，退回多收的利息，微信[[wx:tousu_bang]]
TS caption P | 银行不同意协商？那就tousu！我们帮你写材料、找渠道，投到监管部门，逼他们同意分期。
~已帮上千人成功，私信了解 #投诉 #信用卡 #协商
TS listing - | 银保监投诉模板全套（信用卡/网贷/保险）+投诉话术，[[sd:39]]元，拍下自动发
TS serp - | 广告 网贷平台投诉_暴力催收投诉_专业代理投诉维权 - 一对一代写投诉材料，投诉成功率[[sd
~:99]]%。[[tel:4006187325|std]]
TS comment H | 投素成功了，退了八千多，需要的私我
TS slogan I | dlts专业团队，网贷信用卡都能投，不成功不收费，Q[[qq:760231845]]
TS slogan - | [[sep:代理投诉|*]]，[[sep:维权|*]]退费，当天受理，[[tel:14736251908|dash]]
TS caption T | 被網貸平台亂收費？專業代理投訴團隊幫你維權，擔保費、會員費統統退回，成功再收費 #
~代理投訴 #網貸
TS slogan V | 帮你投诉到银行主动来找你协商！加V：[[wx:weiquan_2023]]
TS listing - | 代写投诉信 12378/12363/12315 全渠道 一单[[sd:200]] 不成功全退
TS comment - | 网贷的会员费担保费都能投诉退回来，我帮好几个人退了，需要的加我[[wx:tuifei_xm]]
TS serp - | [[ent:代理投诉]]_银行信用卡投诉协商 广告 专业团队代您向监管部门投诉，迫使银行减免。
~咨询[[tel:17328461950]]
TS slogan H V | 代里投诉，一投一个准，薇[[wx:ts_zhuanjia|fw]]
TS caption - | 很多人不知道，银行最怕的就是投诉！你自己投诉没用，专业的人投诉才有效。我们团队专
~门做代理投诉，信用卡、网贷、消费金融都能做，协商成功后才收费👉评论区扣1 #代理投诉 #信用卡逾期 #
~维权
TS slogan - | 一键[[zw:投诉]]，[[zw:逼退]]高息，联系[[tel:15521436087|zw]]
TS comment I | ts的找我，专业的，不成功不收钱
TS listing T C | 代理投訴服務，信用卡網(wǎng)貸均可，先投訴後付費(fèi)，諮詢請私聊
TS slogan - | 监管投诉专家：让平台主动退息减免，[[tel:19937462018|cn]]
TS serp P | tousu网贷平台怎么投最有效 广告 代理投诉服务，48小时内平台主动联系你，[[url:t.cn/R9mQ
~2z]]
TS slogan V | [[bidi:代理]][[bidi:投诉]]，包退高息，V信：[[wx:baotui_666]]
TS caption V | 我帮粉丝投诉了某呗某借，三天就把多收的两千多利息退回来了💰 你也有被多收的？别等了
~，加vx：[[wx:xiaoxu_ts99]]帮你看看能不能退 #网贷投诉 #退息
TS slogan - | 暴力催收？帮你投！[[sep:投诉|❤]]成功再收费，[[tel:13148260937|circ]]
TS comment V | 需要代理投诉的加我薇信[[wx:ts_laoshi02]]
TS listing - | 【投诉代办】网贷乱收费/暴力催收/保险误导，全国可接，定金[[sd:100]]，成功再付尾款
TS slogan K | 专业扌殳讠斥银行，帮你争取停息分期，电话[[tel:18898765402|dash]]
TS slogan - | 代理投诉 [[fw:100]]%成功 [[fw:QQ]]：[[qq:283746591|fw]]
TS serp - | 广告 被网贷平台乱扣费怎么投诉？专业代理投诉一站式服务 - 监管、消协、人行多渠道投诉，
~成功后付费。[[url:https://www.TousuBang.cn/]]
TS caption T | 投訴網貸平台的方法終於有人說出來了！不用你出面，我們全程代理，平台主動聯繫你退費
~減免。私信免費諮詢 #投訴 #網貸
TS comment H | 代里投诉真的有用，我投了三家都退了，私我推给你
TS slogan - | 让平台[[ent:主动退费]]！代理投诉热线[[tel:17710293846|space]]
TS slogan I P | dlts（daili tousu）一条龙，网贷信用卡保险都接，微信[[wx:dl_ts2024]]
TS listing - | 网贷投诉话术+模板+渠道大全 [[sd:29.8]]元 附赠退息教程
TS caption - | 👉信用卡逾期银行不给分期？投诉就行！我们帮你准备全部材料，投到监管部门，银行一定
~会打电话来跟你谈。代理投诉，按成功收费，主页加我 #信用卡 #投诉 #分期
TS slogan - | [[rlo:代理投诉]]，退费专家，[[tel:16612093874|dash]]
TS comment - | 我就是找这家代理投诉的，退了一万二，给你们链接[[url:t.cn/Ex7Pq1]]。
TS slogan V | 投诉退费找我，绿泡泡：[[wx:Tuifei_Zhang|zw]]
TS slogan H | 网代乱收费？投素退款，成功再收费，电话[[tel:19120384756]]
TS serp C T | 代理投訴_網(wǎng)貸平臺高息退還 廣告 專(zhuān)業(yè)代理投訴，成功後收費(fèi)，[[t
~el:4009617283|std]]
TS listing - | 代投诉服务：帮你投诉到金融监管局，逼银行同意个性化分期，[[sd:388]]元一家
TS slogan - | [[sep:投诉|.]][[sep:退款|.]]专业代理，加微信[[wx:weiquan_2023]]
TS caption H V K | 投素也是有技巧的，很多人扌殳讠斥了半年都没结果，我们[[sd:7]]天就能让平台主动
~来电，V：[[wx:tousu_bang]] #投诉 #网贷
TS comment I V | dlts私我，或者vx：[[wx:dl_ts2024|fw]]
TS slogan - | 银行不给减免？代理投诉帮你施压，一条龙服务，[[tel:13597240816|p0086]]
TS comment - | 有没有被多扣费的，我这边可以代理投诉，[[sd:3]]天出结果，私
TS slogan - | 信用卡[[bidi:投诉]]代办，逼银行同意[[bidi:分期]]，[[tel:19859306217|space]]
TS listing E | 代理投诉&amp;维权一条龙，按成功金额收费，[[sd:20]]%起，详聊
TS slogan - | 代理投诉一单起接，电话[[tel:15013579246|cnmix]]
TS comment - | 投诉退费的看这个[[url:t.cn/Ex7Pq1|fw]]
TS comment T C | 代理投訴找我，網(wǎng)貸信用卡都能投，費(fèi)用成功後付，私信
// 退保退息 (refund premiums / interest)
TB slogan H | 全额退葆，不管哪家保险公司都能退，[[tel:13597240816|space]]
TB slogan - | 保险买亏了？全额退保，本金[[sd:100]]%拿回，微信[[wx:tuibao_help]]
TB caption H | 你买的保险其实可以全额退！很多人不知道，业务员没讲清楚就能退，葆费一分不少拿回来
~。我已经帮三百多人退了，评论区扣“退保”我教你 #全额退保 #保险 #退保
TB listing - | 全额退保教程+投诉模板，亲测有效，[[sd:59]]元，不成功可退
TB serp - | 广告 保险全额退保_新政退保通道_代办退保 - 业务员代签名、未告知条款均可全额退，成功后
~收费。[[url:https://tuibao-help.cn/apply]]
TB comment - | 我妈的保险退回来五万多，感谢小陈老师，需要的加[[wx:chen_tuibao]]
TB slogan P V | tuibao找我，全额退，不成功不收费，vx：[[wx:tb_zhuanyuan|zw]]
TB slogan T C | 三個(gè)月內幫你拿回全部保費(fèi)，壽險重疾險都能退，私信諮詢(xún)
TB slogan - | 网贷[[sep:退息|❤]]、[[sep:退费|❤]]，高息全部退还，[[tel:18677013924|cn]]
TB caption T | 網貸退費退息教程來啦！利息超過24%的部分都可以退回來，我已經退了八千多。不會操作的
~私信我幫你做 #退息 #網貸退費
TB listing I | tb教程｜全额退保保姆级攻略，[[sd:9.9]]元
TB slogan V | [[zw:高息退还]]，网贷多收的利息全部拿回来，V：[[wx:tuixi_pro]]
TB serp H | 退葆专线_保险全额退_快速到账 广告 重疾险/年金险/万能险均可办理，[[tel:4008265173|std
~]]
TB comment - | 退息退费已成功，七个平台退了一万三，需要的私信我
TB slogan K | 亻呆险全额退，不成功一分钱不收，电话[[tel:15013579246|dot]]
TB caption V | 💰网贷多收的利息真的可以退！！我上个月退了6000多，朋友退了一万多。年化超过24%的都
~能操作，担保费、会员费也能退。需要的朋友加薇信[[wx:xiaoxu_ts99]]，先帮你查能退多少 #退息 #网贷
~ #担保费
TB slogan - | 保单[[bidi:退保]]，本息全退，[[tel:13826617392|paren]]
TB listing T | 退保退息全攻略，附投訴信模板，59元自動發貨
TB slogan P I | tuixi、tb一站式办理，专业团队，Q[[qq:1902837465|paren]]
TB slogan - | [[ent:全额退保]]，不看公司不看年限，[[tel:17328461950|space]]
TB comment H | 退葆成功了，真的拿回来了，谢谢老师，需要的朋友私我
TB caption C T | 保險買錯了怎麼辦？這個(gè)方法可以幫你全額退保，保費(fèi)一分不少。專(zhuān)業(
~yè)團隊一對一服務，私信了解 #退保 #保險
TB serp - | 广告 网贷利息太高能退吗？专业退息团队 - 超过年化24%部分全额退还，成功率[[sd:95]]%。[
~[url:url.cn/5xTtq9]]
TB slogan V | 退保找我们，加❤[[wx:baoxian_tui1]]，一对一指导
TB listing - | 代办退保 重疾/医疗/年金都可以 成功后按退回金额收[[sd:15]]%
TB slogan - | [[sep:退保|🔥]][[sep:退息|🔥]]，专业团队，[[tel:19859306217|space]]
TB slogan H | 网代利息太高？帮你退夕退费，微信[[wx:tuixi_pro]]
TB caption - | ✅车贷GPS费退回✅网贷会员费退回✅保险全额退 你被多收的钱都可以拿回来！专业团队，
~成功再收费，主页有联系方式 #退费 #退息 #全额退保
TB comment V | 想退保的加我威信[[wx:tuibao_help]]，我就是在这办的
TB slogan V | [[fw:6]]天拿回[[fw:5000]]元机构退费，加[[fw:V]]：[[wx:tuifei_xm|fw]]
TB listing P | tuibao全套资料：投诉信+录音话术+退保申请书，[[sd:79]]元
TB serp T | 全額退保_保險退保代辦 廣告 不成功不收費，諮詢熱線[[tel:4006187325|std]]
TB slogan - | [[rlo:全额退保]]，[[rlo:高息退还]]，电话[[tel:14736251908|circ]]
TB comment - | 退息退了六千多，真心推荐，链接在这[[url:dwz.cn/Tx8mK3]]
TB slogan K | 亻呆单退费，网贷退息，一对一服务，[[tel:16612093874]]
TB caption V P | 买了三年的年金险想退只能拿回一点点？找对方法可以tuibao全额退！我已经帮很多宝妈
~退回来了，加vx：[[wx:Baoma_tuibao]]聊聊 #退保 #宝妈 #年金险
TB slogan - | 信用卡分期手续费也能退，专业退费，[[tel:15521436087|cnmix]]
TB listing - | 【退息服务】网贷利息超24%可退，按退回金额[[sd:30]]%收费，无效不收费，扣扣[[qq:456
~12378|circ]]
TB slogan H T C | 全額退葆，保費(fèi)全部拿回，私信
TB comment I | tb成功，感谢，需要的私
TB slogan - | 退保[[zw:不求人]]，专业代办，[[telwx:13148260937|dash]]（微信同号）
TB caption H V | 退葆其实很简单，只要三步，资料准备好[[sd:30]]天到账。不会弄的薇我[[wx:chen_tuib
~ao]]，成功后再收费 #退保 #保险
TB slogan E | 全额退保&amp;高息退还，成功后收费，[[url:https://www.tuibao-help.cn/]]
TB comment - | 保险退了，手续费也退了，姐妹们冲，[[tel:19937462018|space]]
TB slogan - | 网贷[[bidi:退息]]，担保费[[bidi:退还]]，[[tel:18520937461|dot]]
TB comment - | 退保找这个号[[tel:18520937461|cn+space]]，我家的已经退了
TB listing - | 全额退保代办，成功后收费，[[fw:QQ]]：[[qq:3308127749|fw]]
// 征信修复 ("credit repair")
ZX slogan H | 正信修复，逾期记录消除，不成功不收费，[[tel:13301928475|space]]
ZX slogan I | zx修复，花了黑了都能做，微信[[wx:zx_xiufu88]]
ZX caption P | 征信花了贷不了款？zhengxin修复其实有内部通道，逾期记录可以申请消除，我们团队专业
~做这个，需要的私信 #征信修复 #征信 #逾期记录
ZX listing - | 征信异议申诉模板（含逾期记录删除申请书），[[sd:88]]元，附教程
ZX serp - | 广告 征信修复_逾期记录消除_征信洗白 - 专业团队，[[sd:7]]个工作日出结果，不成功全额退
~款。[[url:www.zxxf-center.com/form]]
ZX comment - | 我的征信就是他们修好的，现在房贷都批了，需要的加[[wx:zx_xiufu88]]
ZX slogan - | [[sep:征信|❤]][[sep:修复|❤]]，百分百成功，[[tel:18520937461|circ]]
ZX caption T C | 徵信有逾期記錄買不了房？專(zhuān)業(yè)團隊幫你處理，逾期記錄可以消除，成功後再
~收費(fèi) #徵信修復 #逾期
ZX slogan K | 彳正信修复，逾期铲单，电话[[tel:19937462018|dot]]
ZX slogan - | 大数据下架，征信洗白，逾期记录[[zw:一键清除]]，[[tel:17710293846|zw]]
ZX serp H | 证信修复怎么做_征信修复机构 推广 逾期记录删除，征信异议申诉，[[tel:4009617283|std]]
ZX listing P I | zhengxin修复/zxxf全套流程，[[sd:199]]元一对一教学
ZX comment V | 征信黑了找我，专业修复，V：[[wx:Hx20230815]]
ZX slogan - | [[rlo:征信修复]]，逾期记录[[bidi:消除]]，加微信[[wx:xiufu_laoli]]
ZX caption V | 征信花了、有逾期的朋友看过来👀 我们有内部渠道可以帮你把逾期记录处理掉，处理完再去
~银行打报告就是干净的。名额有限，加绿泡泡[[wx:Xiufu_Laoli]]咨询 #征信修复 #征信花了 #逾期
ZX slogan - | 逾期记录消除热线：[[tel:13760084215|cn]]
ZX slogan T | 徵信修復，逾期記錄消除，百分百成功，[[tel:15986420731|space]]
ZX listing - | 征信修复代办 [[sd:1]]-[[sd:5]]年逾期均可 按条收费 一条[[sd:800]] 先做后付
ZX comment H | 正信修服找我，已经帮几百个人做好了
ZX slogan - | [[ent:征信修复]]，[[ent:逾期消除]]，加微信[[wx:qing-yu2024]]
ZX serp - | 征信洗白_逾期记录修复_当天受理 广告 专业修复征信，不良记录消除，贷款买房不受影响。[[
~url:http://m.shangan365.cn/zx/]]
ZX caption P | 你以为zhengxin上的逾期记录要等五年？错！我们可以通过异议申诉帮你提前消除，已经帮1
~200+客户成功修复。私信我免费查询你的情况 #征信 #征信修复 #逾期
ZX slogan I V | [[fw:ZX]]修复 [[fw:100]]%成功 不成功退款 [[fw:VX]]：[[wx:zx_xiufu88|fw]]
ZX slogan V | 征信有问题？薇我[[wx:zhengxin_ok|zw]]，帮你修复
ZX listing C T | 徵(zhēng)信修復資料包，逾期記錄消除教程，網(wǎng)盤發貨，45元
ZX comment - | 真的修好了，五条逾期全没了，感谢，推荐给大家[[tel:18898765402|dash]]
ZX slogan K V | 彳正信有逾期？专业处理，贷款买房不受影响，V信[[wx:zhengxin_ok]]
ZX serp P | zhengxin修复咨询 广告 [[sd:24]]小时在线 逾期记录异议处理 [[url:t.cn/a8xk2p]]
ZX slogan - | [[sep:征信|.]][[sep:修复|.]]、[[sep:洗白|.]]，私聊
ZX caption - | 买房被拒贷才知道征信有逾期😭 找了好几家，最后是这家帮我处理好的，三周就修复了，现
~在房贷顺利批下来。有同样困扰的可以私信我，我把老师推给你 #征信修复 #房贷 #逾期
ZX slogan H | 征信修服，花户黑户都能做，[[tel:13597240816|mixsep]]
ZX listing - | 逾期记录删除服务，不成功不收费，先付定金[[sd:500]]，QQ[[qq:3308127749]]
ZX comment I | zx问题找我，专业
ZX slogan - | 征信[[bidi:洗白]]，[[bidi:快速]]修复，[[tel:19120384756|neg]]
ZX slogan - | [[ent:逾期记录]]消除，征信[[ent:修复]]热线[[tel:15013579246]]
ZX caption V | 做了8年征信修复，今天说点真话：逾期记录不是不能处理，而是你没找对人。需要的加wx：
~[[wx:Zx_Master8]]，先免费帮你分析征信报告 #征信修复 #征信 #逾期记录
ZX slogan T | 徵信洗白，逾期記錄一鍵消除，聯繫微信[[wx:zx_xiufu88]]
ZX serp C T | 徵信修復(fù)_逾期記錄消除_專(zhuān)業(yè)機構 廣告 7個(gè)工作日出結果，[[tel:4008
~265173|std]]
ZX slogan - | 征信修复，[[sd:7]]天见效，[[tel:14736251908|sup]]
ZX listing H | 证信修复一对一指导，附申诉材料模板，[[sd:268]]元
ZX comment V | 征信有逾期的加我❤信[[wx:zxxf_2024]]
ZX slogan - | 不良记录[[sep:消除| ]]，[[sep:征信| ]][[sep:修复| ]]，[[tel:16612093874|space]]
ZX caption H V | 正信花了别着急，修服其实有方法，加薇[[wx:zxxf_2024|circ]]，三天出方案 #征信修复
ZX slogan K I | 彳正信修复，zx异议一条龙，[[tel:17328461950|fw]]
ZX comment - | 修复好了，谢谢老师！链接放这了[[url:h5.tcbang.top/s/88]]
ZX serp - | 逾期记录能删除吗？征信修复专业机构 广告 当天受理 按条收费 [[url:https://www.ZXXF-Cen
~ter.com/form/]]
ZX slogan - | 征信[[bidi:修复]]找我们，[[bidi:逾期]]记录一条不留，QQ[[qq:760231845|sup]]
ZX slogan E | 征信修复&amp;逾期消除，一对一服务，[[tel:18677013924|space]]
ZX slogan - | 征信修复，逾期记录消除，[[tel:13301928475|cnx+dash]]
ZX comment V | 征信修复加[[fw:V]]：[[wx:Zx_Master8|fw]]
ZX slogan T C | 徵信修復(fù)，逾期記錄消除，聯(lián)繫[[tel:16612093874|space]]
// AI接听 (auto-answer / block collection calls)
AI slogan - | AI接听助手，催收电话自动应答，从此不怕接电话，下载：[[url:aijieting.app/dl]]
AI listing - | 智能接听APP，自动识别催收号码并代接，月卡[[sd:30]]元，年卡[[sd:198]]元
AI caption P | 被催收电话轰炸到崩溃？试试这个AI接听，它会自动帮你应答催收，还能录音留证，我用了
~一个月再也没接过催收电话。需要jieting软件的私信 #催收 #AI接听 #网贷逾期
AI serp - | 广告 AI代接催收电话_智能应答机器人 - 自动识别催收号码，AI语音应答，全程录音。[[url:h
~ttps://www.AIdaijie.com/download]]
AI slogan H | AI接厅，催收来电自动应答，微信[[wx:ai_daijie01]]
AI comment - | 我用的这个AI接听，催收打来都是它接的，链接[[url:t.cn/Ai9zXq]]
AI slogan - | AI帮你[[sep:接催收|❤]]电话，月费[[sd:29]]，[[tel:18677013924|dash]]
AI listing T | AI智能接聽催收電話軟件，自動應答，錄音存證，永久版99元
AI slogan V | 催收电话交给AI接，你安心上班，加V：[[wx:ai_jieting7]]
AI caption - | 💡黑科技来了！AI机器人自动接听催收电话，模拟真人对话，催收员根本听不出来。支持多
~号码，一键开启。想要的朋友评论区扣“AI”我发你 #AI接听 #催收 #黑科技
AI slogan - | [[zw:AI代接]]催收电话，[[zw:自动应答]]，[[tel:16612093874|cn]]
AI serp - | [[ent:智能接听]]_催收电话拦截软件 广告 自动拦截+AI应答，保护隐私。[[tel:4006187325|s
~td]]
AI listing - | 催收电话拦截+AI自动接听 安卓苹果都能用 [[sd:68]]元 Q[[qq:760231845|circ]]
AI comment V | 需要AI接听的加薇[[wx:ai_daijie01|fw]]
AI slogan C T | AI接聽助手，催收電話自動應答，專(zhuān)業(yè)版現已開放下載(zài)
AI slogan - | AI[[bidi:接听]]催收电话，[[rlo:自动应答]]，[[tel:13826617392|dot]]
AI caption V | 还在自己接催收电话？太累了！现在都用AI代接了，催收打多少都是机器人回应，你完全不
~用管。绿泡泡[[wx:ai_jieting7]]发你安装包 #AI代接 #催收
AI slogan P | AI jieting，催收来电自动回复，微信[[wx:ai_daijie01]]
AI listing H | AI接厅软件，催手电话自动应答，[[sd:39]]元永久
AI slogan - | 智能语音代接催收，[[fw:AI]]全天候在线，[[tel:15521436087|fw]]
AI caption - | 催收电话太多不敢开机？装上这个AI秘书，催收来电它帮你接，还能自动回复“正在筹钱，请
~勿骚扰”。评论区扣1发链接 #催收 #AI秘书 #负债
AI listing - | AI代接神器：模拟本人声音，催收听不出来，[[sd:49]]元永久使用，拍下发激活码
AI slogan - | 反催收智能语音助手，所有陌生来电AI应答，可自定义话术，试用[[sd:3]]天，[[tel:198593
~06217|dash]]
AI comment - | AI替你接催收电话，录音自动存证，方便投诉，下载链接[[url:dwz.cn/AiJt88]]
AI listing - | 出AI接听会员卡 催收电话自动接 剩余10个月 [[sd:60]]出 不议价
AI serp - | 催收电话不想接怎么办_AI代接软件推荐 广告 [[sd:7]]×24小时自动应答催收来电，一键设置。
~[[url:http://www.aidaijie.com/]]
AI comment - | 用了AI接听之后世界都安静了，要的私
AI slogan - | AI接听+号码拦截，催收员打十次都是机器人接，月费[[sd:19]]，扣扣[[qq:1902837465|neg]
~]
AI listing T | AI代接催收電話，模擬真人語音，永久會員88元，私聊發貨
AI slogan - | 虚拟号+AI接听，催收永远找不到你本人，[[tel:13148260937|space]]
AI caption - | AI接听话术库更新了！新增应对“上门”“起诉”“爆通讯录”三套自动回复，老用户免费升级，
~新用户私信领取试用 #AI接听 #反催收
AI slogan V | 智能代接催收，一键设置，安卓苹果通用，试用三天，薇[[wx:ai_jieting7|zw]]
AI comment - | 催收打来AI自动说“本人正在协商中，请勿骚扰”，亲测好用[[url:t.cn/Ai9zXq]]
AI slogan H | AI接厅神器，催手一打就自动应答，[[tel:17710293846|cnx]]
AI serp P | AI jieting软件下载_催收电话自动接听 推广 自动应答 智能拦截 [[url:aijieting.app]]
AI caption V H | 被催手电话搞到失眠的看这里👇AI接厅一开，所有催收电话自动应答，还能[[sep:录音|*]
~]存证。需要的加V：[[wx:ai_jieting7|circ]] #AI接听 #催收
AI slogan - | AI[[ent:代接]]催收来电，[[tel:18520937461|space+sup]]
AI comment I V | AI代接+tc一起做，vx：[[wx:ai_daijie01]]
AI slogan K | AI代接亻崔收电话，自动应答，年卡[[sd:168]]元
AI slogan - | 催收来电[[sep:自动|.]][[sep:接听|.]]，[[fw:AI]]全程代答，微信[[wx:ai_jieting7]]
AI slogan E | AI接听&amp;来电拦截，催收电话一个都不用接，[[url:aijieting.app/dl]]
AI listing - | AI代接软件代理招募，电话[[tel:14736251908|cap]]
AI slogan - | AI代接[[fw:APP]]下载：[[url:aijieting.app/dl|fw]]，催收来电自动应答
AI caption T C | AI代接催收電話，自動應答，再也不用擔(dān)心催收騷擾，評論區扣1領取試用 #AI接聽
"""

NEGATIVES = """
// news reports
news - | 记者调查发现，一些短视频账号以“当天停催”“征信修复”为噱头引流，随后将用户拉入微信群，收
~取数千元服务费后便不再回复。
news - | 近日，上海警方捣毁一个所谓的“退保工作室”，抓获犯罪嫌疑人23名。该团伙以“全额退保”为名，
~诱导消费者委托其向保险公司恶意投诉。
news H V | 为了躲避平台审核，这些账号把“停催”写成“亭催”，把“征信”写成“正信”，还用“薇”“绿泡泡”代
~替微信，记者在搜索框中输入这些变体词，仍能找到大量相关视频。
news - | 据央视财经报道，“反催收联盟”从业人员估计超过30万人，不少人此前从事过催收工作，熟悉银行
~催收规则和漏洞。
news T | 據報道，近期部分短視頻平台出現大量“代理退保”“債務優化”廣告，聲稱可以“全額退保”“減免罰息
~”，業內人士提醒消費者切勿輕信。
news - | 河北警方日前破获一起以“债务调解中心”为幌子、冒充律师事务所实施诈骗的案件，涉案金额逾千
~万元。
news - | 某短视频平台发布治理公告称，今年以来累计清理涉“反催收”“代理维权”违规内容12万余条，处置
~违规账号3000余个。
news - | 记者拨打了视频中留下的联系电话138****6621，对方自称“法务助理”，承诺“三天停催”，但要求先
~支付3980元服务费。
news - | 不少借款人反映，交了钱之后催收电话不但没停，反而越来越多，“所谓的停息挂账根本没有办下来
~，钱也要不回来”。
news - | 有专家指出，所谓“AI代接催收电话”的软件往往要求获取通讯录和短信权限，存在严重的个人信息
~泄露风险。
news I | 调查中，记者发现这些中介在社交平台上用“tc”“zx修复”“txgz”等缩写发布广告，以规避关键词过
~滤。
news - | 北京商报记者发现，不少债务代理中介在朋友圈和短视频平台晒出“成功案例”截图，宣称“已帮3000
~人上岸”，以此吸引借款人报名。
news P | 业内人士介绍，一些账号甚至直接用拼音“tingcui”“zhengxin”作为话题标签，普通用户很难分辨。
news - | 记者在某二手交易平台搜索“停息挂账”“协商分期”，弹出数百条商品，售卖所谓“话术模板”和“申请
~教程”，价格从9.9元到299元不等。
news - | 消费者王女士告诉记者，她在网上看到“征信修复，百分百成功”的广告后支付了8000元，结果逾期
~记录一条也没有删除，对方随后将她拉黑。
news - | 2020年以来，多地公安机关相继开展打击“反催收”违法犯罪专项行动，捣毁窝点数十个，一批以“律
~所”“咨询公司”名义活动的团伙落网。
news - | 报道称，这些中介承诺当天停催、不成功不收费，实际上只是教借款人拒接电话，再以“协商失败”
~为由拒绝退款。
// police notices
police - | 【警情通报】2024年3月，我局成功打掉一个以“代理投诉”“停息挂账”为名实施敲诈勒索的犯罪团
~伙，抓获犯罪嫌疑人15名，冻结涉案资金200余万元。
police - | 反诈中心提醒：凡是声称能“征信修复”“逾期记录消除”的都是诈骗！征信记录只有通过正规渠道
~才能更正，任何机构无权删除真实的逾期记录。
police - | 警方提示：遇到“当天停催、不成功不收费”之类的广告，请提高警惕。如有线索，请拨打110或向
~辖区派出所举报，联系电话[[tel:0571-87654321]]。
police - | 经查，犯罪嫌疑人李某等人在短视频平台发布“全额退保”广告，诱骗被害人签订委托协议，伪造
~病历向保险公司投诉，涉嫌诈骗罪。
police V | 警方在抓获的嫌疑人手机中发现大量话术模板，其中要求员工在广告中用“V信”“加❤”代替微信，
~用“上岸”代指债务清零。
police - | 某市公安局经侦支队提醒广大市民：网络上所谓“债务优化”“停息挂账”中介，大多伪造困难证明
~、恶意投诉金融机构，参与其中可能承担法律责任。
police - | 民警提醒，不要将身份证、银行卡、征信报告等资料交给所谓“反催收”机构，以免个人信息被倒
~卖。咨询电话：[[tel:020-83112345]]
police - | 【以案说法】市民张某轻信“AI接听能自动应付催收”的宣传，下载不明APP后，通讯录被窃取，亲
~友纷纷接到骚扰电话。警方提醒：请勿安装来路不明的软件。
police - | 经侦民警介绍，该团伙以“律师事务所”名义对外宣传“减债80%”，实际上并无任何律师资质，共骗
~取200余名借款人服务费逾300万元。
police - | 派出所民警提醒：您的信用卡出现逾期，请直接联系发卡银行协商，切勿相信网络上“停催免息”
~的广告。如遇诈骗请立即拨打96110。
police - | 警方通报：犯罪嫌疑人在某二手平台以“反催收课程”为名出售非法话术，教唆借款人伪造医院证
~明，已被依法刑事拘留。
police - | 公安机关提醒：任何以“征信洗白”“大数据下架”为名收取费用的行为都涉嫌诈骗，举报电话[[tel
~:0755-82345678]]。
police T | 警方提醒：所謂“停息掛帳”“債務重組”廣告多為騙局，切勿輕信，如發現可疑情況請及時報警。
police - | 据警方介绍，该团伙共注册短视频账号200余个，统一使用“停催、协商、上岸”等话术发布视频，
~引流至同一批微信号。
police - | 市公安局网安支队联合网信部门开展专项整治，下架涉“反催收”“代理维权”违法广告1300余条，
~关停引流微信号400余个。
// warnings (consumer bodies, platforms, media)
warning - | 消费提示：近期“代理退保”“代理投诉”类广告频繁出现，消费者委托第三方维权不仅要支付高额
~费用，还可能泄露个人信息，甚至被卷入违法活动。
warning - | 【谨防陷阱】“停息挂账”“免息分期”不是想办就能办，所谓“内部渠道”“百分百成功”均为虚假宣
~传，请通过银行官方渠道办理。
warning - | 某省消保委提醒：逾期后请主动与金融机构沟通，切勿相信“花钱就能修复征信”的说法，以免人
~财两空。
warning - | 平台安全中心公告：近期发现部分账号发布“反催收”“征信修复”等违规内容，平台已依规处置，
~请用户提高警惕，发现此类内容可一键举报。
warning - | 提醒：不法中介为逃避审核，常把关键词写成“[[sep:停催|❤]]”“[[sep:上岸|*]]”，看到这类内
~容请勿轻信，更不要添加对方联系方式。
warning - | 风险提示：所谓“债务优化”公司往往先收取服务费，再教你“不要还款、等待协商”，结果逾期越
~来越严重，征信受损，还可能被起诉。
warning - | 重要提醒：本公司从未委托任何第三方机构代为协商还款，也未推出“AI接听”之类的应答服务，
~请勿轻信冒用我司名义的宣传。
warning - | 律师提醒：与其花钱找“反催收”中介，不如直接向银行提出个性化分期申请，符合条件的借款人
~可以依法获得分期安排。
warning - | 网友注意！所谓“百分百停催”“三天上岸”都是骗局，交了钱对方就消失了。
warning - | 警惕“代理维权”陷阱！如需投诉，请直接拨打金融消费者投诉热线[[fw:12378]]，不要通过第三
~方。
warning - | 提醒：任何要求您先交“服务费”“保证金”才能“停催”“减免”的，都要提高警惕，正规金融机构不
~会收取此类费用。
warning - | 行业协会提示：从事“反催收”业务的中介普遍存在伪造材料、恶意投诉等违法行为，借款人委托
~其办理可能承担连带责任。
warning - | 防骗小课堂：看到“征信修复”“征信洗白”广告怎么办？记住三点：不信、不转、不付款。个人信
~用报告有误，可以向征信中心提出异议，免费办理。
warning - | 消费者协会提醒：“AI代接催收电话”类软件可能窃取通讯录，用户一旦安装，亲友信息面临泄露
~风险，请勿下载。
// regulators
regulator - | 金融监管总局、中央网信办、公安部、中国人民银行、中国证监会联合发布风险提示，提醒消
~费者警惕“代理维权”短视频及直播陷阱，谨防个人信息泄露和财产损失。
regulator - | 金融监管总局消费者权益保护局发布风险提示：不法分子以“全额退保”“债务减免”为诱饵，收
~取高额费用，请消费者通过正规渠道维护自身权益，投诉请拨打12378。
regulator - | 中国人民银行征信中心提示：征信修复不收费，任何机构都无权删除真实的逾期记录，对信用
~报告有异议的，可通过官方渠道免费提出。官网：[[url:www.pbccrc.org.cn]]
regulator - | 中央网信办举报中心提醒，发现涉“反催收”“征信洗白”等违法和不良信息，可登录[[url:www.
~12377.cn]]或拨打12377举报。
regulator - | 国家金融监督管理总局某监管局提示：个性化分期是银行依据相关规定为困难客户提供的服务
~，客户可直接向银行申请，无需也不应委托第三方付费办理。
regulator - | 关于防范“代理退保”风险的提示：部分不法机构宣称“内部渠道”“全额退保”，诱导消费者退保
~后购买其他理财产品，消费者可能遭受双重损失。
regulator T | 國家金融監督管理總局提示：近期一些組織和個人通過短視頻平台散佈“債務清零”“徵信洗白”
~等不實信息，誘導金融消費者委託其“代理維權”，請廣大消費者提高警惕。
regulator - | 中国人民银行提醒：金融消费者可拨打12363金融消费权益保护咨询投诉电话反映问题，切勿
~委托“征信修复”中介。
regulator - | 某省地方金融管理局发布通知，要求辖内机构加强对“反催收”黑产的识别，对恶意投诉、代理
~投诉线索及时报送。
regulator - | 市场监管部门提醒：发布“保证停催”“百分百修复征信”等广告，违反《广告法》相关规定，将
~依法查处。举报可拨打12315。
regulator - | 证监会投资者保护局提示：警惕以“投顾退费”“亏损追回”为名的代理维权骗局，投资者可通过
~官方渠道维权。
regulator - | 网信部门已会同有关部门对“代理维权”类违规账号开展集中清理，累计处置账号4000余个，并
~约谈相关平台。
regulator P I | 金融监管部门提示：部分不法中介用“tc”“zx修复”“shangan”等隐晦说法发布引流广告，请
~消费者注意识别。
regulator - | 金融监管总局某分局公告：本局未授权任何机构代理消费者与银行协商还款，冒用监管名义的
~“协商中心”均属非法。监督电话[[tel:010-65552233]]
// bank and insurer notices
bank_notice - | 尊敬的客户：如您因收入下降暂时无法按期还款，可通过本行官方客服热线95588或手机银
~行申请延期还款、个性化分期，本行不收取任何中介费用。
bank_notice - | 温馨提示：本行从未与任何第三方“债务协商”机构合作，请通过官方渠道办理分期业务。信
~用卡客服热线：[[tel:400-669-5566]]
bank_notice - | 关于受疫情影响客户延期还款的公告：受影响的个人客户可向贷款经办网点提出延期还款申
~请，本行将根据实际情况审慎评估。
bank_notice - | 信用卡中心通知：持卡人如遇特殊困难，可依据《商业银行信用卡业务监督管理办法》第七
~十条申请个性化分期还款，请拨打95555转人工服务。
bank_notice - | 本行郑重声明：网传“银行内部停息挂账通道”系虚假信息，本行所有分期业务均需持卡人本
~人通过官方渠道申请。
bank_notice - | 【某银行】尊敬的客户，您的信用卡账单已逾期，请尽快还款。如有困难，可致电95533协
~商还款方案，请勿相信第三方中介。
bank_notice T | 本行提醒：個人客戶如因失業、疾病等原因暫時還款困難，可攜帶相關證明到網點申請延期
~還款，本行不委託任何第三方辦理。
bank_notice - | 消保专栏｜警惕“代理投诉”陷阱：本行设有投诉受理渠道，您可通过营业网点、客服热线95
~566或官方网站反映诉求，我们将依法依规处理。
bank_notice - | 个人贷款延期还款服务须知：申请人需提交收入证明等材料，经审核后可调整还款计划，全
~程免费，无需缴纳任何手续费。
bank_notice - | 关于规范信用卡催收工作的公告：本行严格执行监管规定，如您遇到不当催收，可拨打本行
~投诉电话[[tel:021-38881234]]。
bank_notice - | 某保险公司公告：关于退保事宜，客户可通过官方客服热线95519或线下柜面办理，本公司
~从未授权任何机构代理退保，谨防“全额退保”骗局。
bank_notice - | 农商银行温馨提示：对暂时遇到困难的小微企业主和个体工商户，本行提供延期还本付息服
~务，请到就近网点咨询，咨询电话[[tel:0731-84561234]]。
bank_notice - | 信用卡中心公告：即日起，持卡人可通过手机银行APP“困难客户帮扶”栏目在线申请个性化
~分期，审批结果将以短信方式通知。
bank_notice - | 银行客服回复：您好，停息挂账并非银行的业务名称，如您确有还款困难，可以申请个性化
~分期，具体以审批结果为准，请勿轻信网络中介。
// legal aid
legal_aid - | 12348公共法律服务热线提供免费法律咨询，经济困难的群众可申请法律援助，债务纠纷、劳
~动争议等问题均可咨询。
legal_aid - | 区法律援助中心地址：人民路88号一楼，工作时间周一至周五，咨询电话[[tel:020-86543210
~]]，也可拨打12348热线。
legal_aid - | 法律援助小贴士：借款人面临起诉时，可向当地法律援助机构申请免费代理，不必花钱找所谓
~“债务处理公司”。
legal_aid - | 符合条件的当事人可以申请法律援助，受援人可减免诉讼费用，公证费、司法鉴定费也可依规
~减免。
legal_aid - | 公共法律服务中心提醒：遇到暴力催收，可收集录音、短信等证据，向公安机关报案或向金融
~监管部门投诉，也可拨打12348寻求法律帮助。
legal_aid - | 律师在线答疑：信用卡逾期可以和银行协商分期吗？答：可以，持卡人可自行与银行协商，无
~需委托第三方，协商时如实说明困难即可。
legal_aid - | 司法局发布：12348热线24小时在线，由执业律师轮值，为群众提供婚姻家庭、借贷纠纷等法
~律咨询。
legal_aid - | 法律援助申请须知：申请人应提交身份证明、经济困难状况说明及与案件有关的材料，可到法
~律援助中心窗口或网上办理，网址[[url:https://www.12348.gov.cn/]]
legal_aid - | 法律明白人｜被催收骚扰怎么办？第一，保留证据；第二，向放贷机构投诉；第三，向监管部
~门反映；第四，必要时报警。切勿轻信“花钱停催”。
legal_aid - | 市法律援助中心提醒：“反催收”中介冒充律师、律所的行为违法，如需法律帮助请认准司法行
~政部门设立的正规渠道。
legal_aid - | 法援热线接到不少咨询：“有人说交钱能帮我减免债务，可信吗？”值班律师答复：这类承诺没
~有法律依据，请通过合法途径协商。
legal_aid - | 公益律师讲堂：个人债务危机下的合法应对方式——与债权人协商、申请个性化分期、必要时寻
~求法律援助。
legal_aid T | 法律援助熱線12348提供免費諮詢，經濟困難群眾可申請法律援助，如遇債務糾紛可先行諮詢
~。
// explainers
explainer - | 停息挂账是指持卡人因特殊情况无法按期还款，与银行协商后暂停计息、将欠款分期偿还的一
~种方式，需要本人向银行申请并经银行同意。
explainer - | 什么是个性化分期？根据《商业银行信用卡业务监督管理办法》第七十条，在特殊情况下，银
~行可与持卡人平等协商，达成个性化分期还款协议，最长不超过5年。
explainer - | 征信异议是指信息主体认为信用报告存在错误、遗漏时，向征信机构或数据提供机构提出的核
~查申请，真实的逾期记录不能通过异议删除。
explainer - | 不良信用记录自欠款还清之日起保存5年，5年后自动删除，这是法定规则，任何人都无法“提
~前修复”。
explainer - | 退保须知：在犹豫期内退保可以退还全部保费，犹豫期后退保只能退还保单现金价值，所谓“
~全额退保”通常只在存在销售误导等特定情况下才可能实现。
explainer - | 科普：网贷利率上限是多少？根据相关司法解释，民间借贷利率受法律保护的上限为一年期LP
~R的4倍，超出部分借款人可依法主张返还。
explainer - | 一文读懂“反催收”：它指的是一些中介以帮助逾期借款人应对催收为名，收取费用并从事伪造
~材料、恶意投诉等活动的灰黑产业。
explainer - | 停息挂账和最低还款有什么区别？最低还款仍会计息，而停息挂账需银行审批同意后才能暂停
~计息，两者性质不同。
explainer - | 知识问答：银行会同意个性化分期吗？答：银行会综合评估持卡人的还款能力和困难程度，并
~非所有申请都能获批。
explainer - | 所谓“AI代接催收电话”，是指通过软件自动应答来电，这类软件往往需要获取通讯录等敏感权
~限，用户应谨慎使用。
explainer - | 信用报告里的逾期记录怎么查？个人可以登录征信中心官网或到人民银行分支机构查询，每年
~有两次免费查询机会。
explainer - | 延期还款是什么意思？是指借款人因特殊原因无法按期还款时，经贷款机构同意后延后还款期
~限，通常需要提交相关证明材料。
explainer C T | 停息掛賬指的是持卡人因特殊情況不能如期歸還信用卡欠款，與銀行協(xié)商之後，由銀
~行暫停按期計(jì)息，並將欠款留後處理。
// court documents
court - | 经审理查明：2021年至2022年间，被告人张某某伙同他人成立所谓“债务优化”工作室，以“停息挂
~账”“减免罚息”为名，骗取被害人服务费共计人民币42万余元。
court - | 本院认为，被告人王某以非法占有为目的，虚构能够“全额退保”的事实，骗取他人财物，数额巨大
~，其行为已构成诈骗罪。
court - | 判决如下：被告人刘某犯诈骗罪，判处有期徒刑三年六个月，并处罚金人民币五万元。（本案被告
~人以“征信修复”为名收取费用）
court - | 被告人供述：我们在短视频平台发布“征信修复”广告，客户添加微信后，先收取定金，再以各种理
~由拖延，最后拉黑客户。
court - | 公诉机关指控：被告人李某等人伪造医院诊断证明、失业证明等材料，以客户名义向金融机构恶意
~投诉，迫使其减免债务，从中收取高额费用。
court - | 法院审理认为，原告与被告签订的《债务协商委托协议》约定由被告代为与银行协商并收取服务费
~，该协议违反公序良俗，应属无效。
court - | （2023）沪0115刑初1234号刑事判决书：被告人以“代理维权”为名敲诈勒索保险公司，依法判处有
~期徒刑。
court - | 证人证言证实：被告人曾向其承诺“三天停催”“不成功全额退款”，收款后未提供任何服务。
court - | 一审法院判决被告人犯伪造国家机关证件罪、诈骗罪，数罪并罚，决定执行有期徒刑五年。被告人
~曾以“停息挂账”为名招揽客户。
court - | 二审法院认为，上诉人明知他人从事“反催收”违法活动，仍为其提供话术培训和技术支持，原判认
~定事实清楚，裁定驳回上诉，维持原判。
court - | 民事判决：原告起诉要求返还已支付的“停息挂账”服务费18000元，法院经审理支持了原告的诉讼
~请求。
court T | 本院認為，被告人以“徵信修復”為名虛構事實，騙取被害人錢財，其行為已構成詐騙罪。
court - | 经查，涉案“AI接听”软件由被告人开发并出售，用于规避合法催收并收集用户通讯录信息，被告人
~以侵犯公民个人信息罪被判处有期徒刑二年。
// user comments that ask or warn
user_comment - | 这种停催是真的吗？有没有人试过？别又是骗钱的吧
user_comment - | 我被骗了3800，说好的三天停催，结果电话更多了，大家别信
user_comment - | 千万别信那些说能修复征信的，我交了五千，记录一条都没少
user_comment - | 这种广告平台能不能管管？天天刷到“上岸”“停息挂账”
user_comment - | 请问个性化分期是自己跟银行申请就行吗？需要找中介吗？
user_comment H | 评论区那些“已上岸，感谢老师”的都是托吧，一看就是同一拨人，连“亭催”这种错别字都
~一样
user_comment - | 我自己打银行客服申请的分期，根本没花钱，那些收费的都是骗子
user_comment - | AI接听那种软件靠谱吗？感觉会泄露隐私
user_comment - | 举报了，这个号天天发全额退保的视频
user_comment - | 退保真的能全额退吗？我妈被人忽悠了，我有点担心
user_comment V | 他让我加什么“薇信”，我一看就不对劲，直接拉黑了
user_comment - | 有没有懂的大佬，征信上的逾期多久能消？在线等
user_comment - | 去年找了个代理投诉的，钱交了人跑了，现在还在走法律程序
user_comment - | 银行说可以延期三个月，我是直接去网点办的，大家有困难直接找银行就行
// lists of slogans quoted in warnings
quoted_list - | 以下为反催收黑产常用广告语，请注意识别：1.当天停催；2.停息挂账，最长60期；3.征信
~修复，百分百成功；4.全额退保；5.代理投诉，不成功不收费。
quoted_list - | 常见“代理维权”话术盘点：“债务清零”“债务优化”“减债80%”“立省xxxx元”“负债上岸”，看
~到这些字眼请远离。
quoted_list H V | 监管部门梳理的规避审核写法包括：“亭催”“停摧”“葆费”“正信”“协尚”“薇信”“绿泡泡”等
~，平台将据此加强识别。
quoted_list - | 风险提示中列举的典型广告：“凭本事欠的钱为什么要还”“不用还钱的方法”“逾期不可怕，
~专业团队帮你销户”。
quoted_list - | 这些话术你见过吗？——“年前就能帮你拿回全部保费”“不管哪家公司，通通都能退”“新政已
~开通道”。它们都是代理退保黑产的引流话术。
quoted_list T | 警方公佈的典型話術：“停催免息”“協商還款”“徵信洗白”“全額退保”，市民如遇此類廣告應
~提高警惕。
quoted_list - | 典型诱导话术：一是“停息挂账，免除罚息”；二是“代理投诉，退回高息”；三是“征信异议
~，消除逾期”；四是“AI接听，催收自动应答”。
quoted_list - | 网信办通报的违规内容示例：“当天停催”“债务重组”“征信洗白”“保费全退”，相关账号已被
~处置。
quoted_list I P | 黑话对照表：tc＝停催，zx＝征信，txgz＝停息挂账，shangan＝上岸，请家长和老人注
~意识别。
quoted_list - | 风险提示列举的虚假宣传包括：“百分百停催”“内部渠道”“银行关系”“成功再收费”“无效全
~额退款”。
quoted_list - | 平台审核规则更新，新增识别“[[sep:停催|❤]]”“[[sep:征信|.]]”“[[sep:退保| ]]”等插入
~符号的变体写法。
quoted_list - | 广告监测报告摘录的高频词：停催、协商、上岸、退保、退息、征信修复、代理投诉、AI代
~接。
quoted_list - | 反诈宣传海报：“停催”“洗白”“全额退”——这些承诺都是诈骗！
// ordinary loan ads (not anti-collection)
unrelated_loan_ad - | 正规贷款，当天放款，额度1-20万，无抵押，加微信[[wx:daikuan_888]]
unrelated_loan_ad V | 急用钱找我，身份证就能办，最快两小时到账，薇[[wx:xinyong_dai]]
unrelated_loan_ad - | 房产抵押贷款，年化利率低至3.6%，最长30年，咨询[[tel:13911223344|space]]
unrelated_loan_ad - | 广告 个人信用贷款_低息_快速审批 - 持牌机构，额度最高50万，线上申请，最快当
~天放款。[[url:https://www.kuaidai-fin.com/apply]]
unrelated_loan_ad - | 车辆抵押贷款，不押车，当天放款，电话[[tel:15877665544]]
unrelated_loan_ad - | 企业经营贷，税票贷，发票贷，额度高利息低，专业顾问一对一，[[tel:4001788899
~|std]]
unrelated_loan_ad V | 公积金贷款、社保贷，工薪族专享，加V：[[wx:gongxin_dai01]]
unrelated_loan_ad - | 代办大额信用卡，提额快，当天下卡，成功后收费，私聊
unrelated_loan_ad - | 装修分期，0首付，月供低至300元，详询门店[[tel:0571-85123456]]
unrelated_loan_ad - | 工薪族小额周转，当天审批，QQ[[qq:2468013579]]，诚信经营
unrelated_loan_ad - | 广告 低息贷款_银行直贷 - 额度高、放款快，最高可贷100万，立即测额度 [[url:d
~wz.cn/Dk100w]]
unrelated_loan_ad - | 手机贷、过桥资金，速度快，加微信[[wx:qiaozi_zj]]，电话[[tel:18233445566|sp
~ace]]
unrelated_loan_ad T | 私人借貸，當天放款，額度一萬到五十萬，聯繫微信[[wx:jiedai_hk88]]
unrelated_loan_ad - | 二手车按揭，零首付提车，征信要求低，当天出结果，[[tel:13766554433|dash]]
unrelated_loan_ad - | 信用贷款免费测额，芝麻分600以上可申请，[[url:t.cn/Jd600k]]
// benign texts, some with trigger words by accident
benign - | 九成新儿童自行车，200元，同城自提，电话[[tel:13655443322|space]]
benign - | 红烧肉的做法：五花肉切块焯水，冰糖炒出糖色，加入生抽老抽，小火炖一个小时，出锅前大火
~收汁。
benign - | 全新未拆封蓝牙耳机，买多了转让，原价299现价199，包邮，微信[[wx:erji_zhuanrang]]
benign - | 今天教大家做番茄炒蛋，鸡蛋先炒至半熟盛出，番茄炒出汁后再把鸡蛋倒回去，加一点糖提鲜 #
~家常菜 #美食教程
benign - | 周末带娃去湿地公园，油菜花开得正好，推荐大家去看看 #周末去哪儿
benign - | 出租：市中心两室一厅，精装修，拎包入住，月租3500，联系[[tel:18911223344]]
benign - | 苹果挺脆的，甜度也够，一箱十斤，产地直发，88元包邮 #水果 #苹果
benign - | 游了两千米，终于上岸了，今天的训练任务完成✅ #游泳 #打卡
benign - | 考公三年，终于上岸了！分享一下我的备考经验：行测刷题要限时，申论多看评论文章。#考公上
~岸 #经验分享
benign - | 公园里的凉亭翻修好了，傍晚很多老人在里面下棋聊天。
benign - | 如需办理居住证，请本人携带身份证到社区服务中心提出申请，工作人员将在五个工作日内答复
~。
benign - | 业主群通知：关于停车位分配问题，物业将于本周六召开业主大会，与大家协商解决方案。
benign - | 运营商推出“骚扰电话拦截”功能，开通后可自动识别并拦截广告推销、诈骗来电，用户发送短信
~即可免费开通。
benign - | 本店支持七天无理由退货，退货时请保持商品完好，运费由买家承担。
benign - | 宝宝辅食：南瓜小米粥，南瓜蒸熟压泥，小米煮开花后加入南瓜泥，搅拌均匀即可。
benign - | 二手iPad出售，成色很新，无磕碰，电池健康度92%，1800元，可小刀，QQ[[qq:1357924680]]
benign - | 这家的炸鸡外皮挺脆的，催单之后十分钟就送到了，好评！
benign - | 车险到期想换一家保险公司，在犹豫期内可以退保吗？先去问问客服。
benign - | 公司年会抽奖，一等奖是扫地机器人，二等奖是空气炸锅，大家踊跃报名。
benign - | 团队协作课程：如何在项目中与同事有效协商，化解分歧。
benign - | 老师布置的作业：用“停”“催”两个字各组三个词，明天交。
benign - | 家里的旧空调要换新，以旧换新补贴500元，联系安装师傅[[tel:0755-26667788]]
benign - | 小区游泳池暑期开放，上岸后请及时擦干身体，注意防滑。
"""


if __name__ == "__main__":
    main()
