"""Filter-dodging rewrites of ad text, as seen in the wild (see DOMAIN.md).

Each disguise changes only what a real poster would change: trigger words get
homophones, pinyin, or junk between their characters; the whole text may go
full-width or Traditional.  Contacts are disguised separately (contacts.py).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

# Words that keyword filters look for; the disguises target these.
TRIGGERS: tuple[str, ...] = (
    "停息挂账",
    "征信修复",
    "停催",
    "催收",
    "协商",
    "征信",
    "修复",
    "退保",
    "保费",
    "投诉",
    "减免",
    "上岸",
    "逾期",
    "洗白",
    "退息",
    "分期",
    "微信",
)

HOMOPHONES: dict[str, tuple[str, ...]] = {
    "停催": ("亭催", "停摧", "婷催"),
    "催收": ("摧收", "崔收"),
    "保费": ("葆费",),
    "退保": ("退葆",),
    "微信": ("薇信", "威信", "薇锌"),
    "征信": ("正信", "徵信"),
    "协商": ("协尚", "谐商"),
    "逾期": ("鱼期", "愈期"),
    "上岸": ("上按",),
    "减免": ("减勉",),
    "投诉": ("头诉",),
    "修复": ("修付",),
}

PINYIN: dict[str, tuple[str, ...]] = {
    "停催": ("tingcui", "tc", "TC"),
    "征信修复": ("zx修复", "zhengxin修复", "ZX修复"),
    "停息挂账": ("txgz", "停xi挂zhang"),
    "上岸": ("shang岸", "shangan"),
    "协商": ("xie商", "xs"),
    "征信": ("zx", "zhengxin"),
    "退保": ("tb", "退bao"),
    "逾期": ("yu期", "yq"),
    "催收": ("cui收", "cs"),
}

SEPARATORS: tuple[str, ...] = (" ", "❤", "*", ".", "、", "🔥", "✨", "💰", "/", "丨", "-", "⭐")
ZERO_WIDTH: tuple[str, ...] = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")

_TRAD_PAIRS = (
    "债債 务務 协協 还還 减減 罚罰 挂掛 账賬 征徵 复復 记記 录錄 个個 话話 术術 专專 业業 团團 "
    "队隊 帮幫 优優 处處 网網 贷貸 费費 险險 额額 进進 请請 联聯 当當 诉訴 监監 会會 门門 问問 "
    "题題 决決 违違 约約 时時 间間 们們 让讓 这這 对對 说說 给給 后後 么麼 为為 实實 现現 无無 "
    "单單 国國 号號 码碼 钱錢 万萬 经經 验驗 办辦 证證 机機 构構 与與 资資 询詢 发發 达達 关關 "
    "议議 电電 话話 软軟 动動 应應 答答 录錄 音音 语語 级級 长長 亿億 岁歲 爱愛 难難 滚滚 赶趕 "
    "规規 划劃 师師 顾顧 销銷 户戶 洗洗 删刪 数數 据據 统統 态態 车車 开開 报報 条條 讲講 "
    "买買 卖賣 发發 货貨 亲親 测測 导導 转轉 变變 试試 场場 级級 护護 权權 赔賠 齐齊 讯訊 馈饋 "
    "载載 页頁 获獲 签簽 拿拿 从從 删刪 仅僅 线線 汇匯 总總 众眾 尽盡 双雙 这這 两兩 东東 兰蘭 "
    "见見 结結 过過 运運 选選 边邊 远遠 还還 乐樂 气氣 样樣 头頭 来來 里裏 问問 间間 闻聞 "
    "贵貴 费費 赚賺 败敗 货貨 质質 购購 负負 贴貼 归歸 罪罪 骗騙 宝寶 稳穩 纳納 级級 红紅 "
    "终終 约約 级級 线線 细細 织織 绝絕 续續 维維 综綜 缴繳 网網 罗羅 义義 习習 书書 乱亂 "
    "亏虧 产產 亩畝 亲親 仅僅 从從 仓倉 价價 众眾 优優 伙夥 会會 传傳 伤傷 体體 余餘 侦偵 "
    "保保 信信 停停 催催 协協 商商 期期 岸岸 款款 息息"
)
TRADITIONAL: dict[str, str] = {
    pair[0]: pair[1] for pair in _TRAD_PAIRS.split() if len(pair) == 2 and pair[0] != pair[1]
}

_TRIGGER_RE = re.compile("|".join(sorted(map(re.escape, TRIGGERS), key=len, reverse=True)))


def _sub_some(text: str, table: dict[str, tuple[str, ...]], rng: random.Random) -> str:
    """Replace some (at least one, if any) occurrences of the table's words."""
    pattern = re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True)))
    hits = list(pattern.finditer(text))
    if not hits:
        return text
    keep = {id(rng.choice(hits))}
    out, last = [], 0
    for m in hits:
        if id(m) in keep or rng.random() < 0.6:
            out.append(text[last : m.start()])
            out.append(rng.choice(table[m.group()]))
            last = m.end()
    out.append(text[last:])
    return "".join(out)


def _interleave(text: str, junk: tuple[str, ...], rng: random.Random) -> str:
    """Put junk between the characters of some trigger words (停催 -> 停❤催)."""
    hits = list(_TRIGGER_RE.finditer(text))
    if not hits:
        return text
    forced = rng.randrange(len(hits))
    out, last = [], 0
    for i, m in enumerate(hits):
        if i == forced or rng.random() < 0.6:
            out.append(text[last : m.start()])
            sep = rng.choice(junk)
            out.append(sep.join(m.group()))
            last = m.end()
    out.append(text[last:])
    return "".join(out)


def homophone(text: str, rng: random.Random) -> str:
    return _sub_some(text, HOMOPHONES, rng)


def pinyin(text: str, rng: random.Random) -> str:
    return _sub_some(text, PINYIN, rng)


def separators(text: str, rng: random.Random) -> str:
    return _interleave(text, SEPARATORS, rng)


def zero_width(text: str, rng: random.Random) -> str:
    return _interleave(text, ZERO_WIDTH, rng)


def fullwidth(text: str, rng: random.Random | None = None) -> str:
    """ASCII letters and digits to their full-width forms (ｖｘ１３８)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def traditional(text: str, rng: random.Random | None = None) -> str:
    return "".join(TRADITIONAL.get(c, c) for c in text)


DISGUISES: dict[str, Callable[[str, random.Random], str]] = {
    "homophone": homophone,
    "pinyin": pinyin,
    "separator": separators,
    "zero_width": zero_width,
    "fullwidth": fullwidth,
    "traditional": traditional,
}

# Word-level disguises first, whole-text ones last (traditional after pinyin
# so that pinyin survives; full-width last so that it also covers pinyin).
_ORDER = ("homophone", "pinyin", "separator", "zero_width", "traditional", "fullwidth")


def pick_disguises(rng: random.Random) -> tuple[str, ...]:
    """About a third of ads are plain; the rest use one to three disguises."""
    if rng.random() < 0.35:
        return ()
    chosen = set(rng.sample(_ORDER[:4], rng.choice((1, 1, 2))))
    if rng.random() < 0.25:
        chosen.add(rng.choice(("traditional", "fullwidth")))
    return tuple(k for k in _ORDER if k in chosen)


def apply(text: str, kinds: tuple[str, ...], rng: random.Random) -> str:
    """Apply the named disguises in a fixed order."""
    for kind in _ORDER:
        if kind in kinds:
            text = DISGUISES[kind](text, rng)
    return text
