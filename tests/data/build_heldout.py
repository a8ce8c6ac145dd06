#!/usr/bin/env python3
"""Build the held-out evaluation set ``tests/data/heldout.jsonl``.

The set is written from first principles (how anti-collection ads and their
look-alikes read on short-video sites, marketplaces, search results, chat groups
and in the news); it was never tuned against the detector.  Run it with::

    python tests/data/build_heldout.py

It is deterministic (fixed seed, stdlib only, no network).

Source format (the ``ADS`` and ``NEGATIVES`` blocks below)
-----------------------------------------------------------
``== CATEGORY KIND [g=N] [t=trick,trick]`` starts an entry (``-`` as the category
marks a negative).  Following lines are joined with nothing; a line starting with
``| `` is joined with a newline and one starting with ``: `` with a space.

``{name}`` is a contact placeholder: ``p`` mobile, ``pw`` mobile that is also the
WeChat, ``wp`` WeChat given as a mobile number, ``p86`` mobile written with +86,
``w`` WeChat ID, ``q`` QQ, ``u`` URL, ``h`` 400 number, ``l`` landline, or a key of
``OFFICIAL``.  Ads take these from a gang (``g=N`` or one picked for the
category, so contacts recur across ads as they do in the wild); negatives
without ``g`` get fresh ones.

``[[code|text]]`` applies a disguise to ``text`` (``code`` may chain with ``+``):
sep, zw, bidi, conv, html, cn, split, sty, fw, trad.  ``t=`` lists the tricks
written by hand (homophone, variant_wechat, pinyin, initials, split_character);
``traditional``/``fullwidth`` there without a marker apply to the whole text,
``chinese_numeral_phone``/``split_phone``/``styled_digits`` to every mobile.
"""

from __future__ import annotations

import html
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED = 20240617
OUT = Path(__file__).with_name("heldout.jsonl")

CATEGORIES = ("停催", "债务协商", "代理投诉", "退保退息", "征信修复", "AI接听")
AD_KINDS = ("slogan", "caption", "listing", "serp", "comment", "landing")
# The kinds and trick names below repeat build_adversarial.py's on purpose: the held-out
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
HAND_TRICKS = {"homophone", "variant_wechat", "pinyin", "initials", "split_character"}
MARKER_TRICKS = {
    "sep": "separator",
    "zw": "zero_width",
    "bidi": "bidi",
    "conv": "converter_pinyin",
    "html": "html_entities",
    "cn": "chinese_numeral_phone",
    "split": "split_phone",
    "sty": "styled_digits",
    "fw": "fullwidth",
    "trad": "traditional",
}
WHOLE_TEXT_TRICKS = {"traditional", "fullwidth"}
PHONE_TRICKS = {"chinese_numeral_phone": "cn", "split_phone": "split", "styled_digits": "sty"}

Row = dict[str, Any]

# --------------------------------------------------------------------------- contacts

# Gangs: WeChat ID and site as they display them; phones, QQ, 400 and landline
# numbers are drawn from the seeded generator.
GANGS: list[dict[str, str]] = [
    {"w": "TingCui_668", "u": "https://www.axfawu.com/tingcui/"},
    {"w": "shangan2024", "u": "http://m.shangan-fw.cn/Plan"},
    {"w": "Xieshang-Li88", "u": "www.xykxieshang.com"},
    {"w": "zw_youhua01", "u": "https://zhaiwuyouhua.net/Service/Index.html"},
    {"w": "LvShi_Wang6", "u": "http://WWW.HuiMinFaWu.com/"},
    {"w": "anxin_kefu9", "u": "axhuanxin.cn/a/7731"},
    {"w": "tuibao_zhuanjia", "u": "https://tuibao365.top/Apply"},
    {"w": "TuiXi_Help", "u": "www.gaoxituihuan.com/jisuan"},
    {"w": "zxxf_laoshi", "u": "zhengxinxiufu.net.cn/Case"},
    {"w": "ZhengXin_007", "u": "https://www.xinyongyun.cc/"},
    {"w": "tousu_daiban", "u": "tousudaiban.com/Form"},
    {"w": "weiquan-ZX", "u": "http://www.jrweiquan.vip/"},
    {"w": "ai_jieting", "u": "https://ai-jieting.app/Download"},
    {"w": "Robot_Mishu", "u": "www.znmishu.com/apk"},
    {"w": "fuzai_lao_zhou", "u": "http://fuzhai-shangan.com/Zhou"},
    {"w": "chen_jingli_520", "u": "https://www.yuqi-chuli.cn/"},
    {"w": "Qingzhai_Team", "u": "qingzhai.top"},
    {"w": "haoge_tc", "u": "http://tc-fuwu.cc/Order/"},
    {"w": "Ling_fawu", "u": "www.lingfawu.cn/zx"},
    {"w": "xiaoyu_shangan", "u": "https://shangan.yuqi365.com/"},
]
CATEGORY_GANGS: dict[str, list[int]] = {
    "停催": [0, 5, 15, 17, 14],
    "债务协商": [1, 2, 3, 14, 16, 5],
    "代理投诉": [10, 11, 4, 16],
    "退保退息": [6, 7, 10],
    "征信修复": [8, 9, 18, 11],
    "AI接听": [12, 13, 0, 19],
}
# Fresh (non-gang) contacts for negatives, by kind.
FRESH_WECHAT = {
    "unrelated_loan_ad": ["daikuan_zhou", "chedidai_Li", "jinrong-xiaowang", "zhouzhuan_A"],
    "benign": ["kaogong_xuejie", "Shuati_Laoshi", "xiaoyu_ziliao"],
}
FRESH_URL = {
    "unrelated_loan_ad": ["https://www.kuaidai-zhijia.com/Loan/", "www.xindaitong.net/apply"],
    "benign": ["http://campus.jinyuanbank.com.cn/Job", "https://www.hengfeng-zhaopin.com/"],
}
# Real public service numbers and sites, plus invented police/court landlines.
OFFICIAL: dict[str, tuple[str, str]] = {
    "cmb": ("phone", "400-820-5555"),
    "bocom": ("phone", "400-800-9888"),
    "citic": ("phone", "400-889-5558"),
    "spdb": ("phone", "400-820-8788"),
    "cgb": ("phone", "400-830-8003"),
    "ceb": ("phone", "400-788-8888"),
    "pbccrc": ("phone", "400-810-8866"),
    "pbccrc_url": ("url", "www.pbccrc.org.cn"),
    "nfra": ("url", "www.nfra.gov.cn"),
    "cac": ("url", "https://www.12377.cn/"),
    "samr": ("url", "https://www.samr.gov.cn/"),
    "people": ("url", "http://finance.people.com.cn/n1/2023/0315/c1004-32644817.html"),
    "wenshu": ("url", "https://wenshu.court.gov.cn/website/wenshu/181107ANFZ0BXSK4/index.html"),
    "pol1": ("phone", "0311-87883371"),
    "pol2": ("phone", "0536-87861102"),
    "pol3": ("phone", "0755-8446 2110"),
    "pol4": ("phone", "023-63758021"),
    "legal1": ("phone", "020-83180348"),
    "legal2": ("phone", "027-68752231"),
    "legal3": ("phone", "0571-87096348"),
    "court1": ("phone", "0851-85862417"),
}
AREA_CODES = ("010", "021", "020", "0755", "0571", "0371", "0311", "028", "027", "023")
MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "183",
    "186",
    "187",
    "189",
    "191",
    "198",
    "199",
)


def norm_phone(display: str) -> str:
    digits = re.sub(r"\D", "", display)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def norm_url(display: str) -> str:
    s = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", display.strip())
    host, _, path = s.partition("/")
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    path = path.rstrip("/.,;:!?)。，；：！？、")
    return f"{host}/{path}" if path else host


def norm(kind: str, display: str) -> str:
    if kind == "phone":
        return norm_phone(display)
    if kind == "url":
        return norm_url(display)
    if kind == "qq":
        return re.sub(r"\D", "", display)
    return display.lower()


def make_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))


def make_contacts(rng: random.Random, wechat: str, url: str) -> dict[str, str]:
    area = rng.choice(AREA_CODES)
    return {
        "p": make_mobile(rng),
        "w": wechat,
        "u": url,
        "q": str(rng.randint(1, 9))
        + "".join(rng.choice("0123456789") for _ in range(rng.randint(7, 9))),
        "h": f"400-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        "l": f"{area}-{rng.randint(2, 8)}{rng.randint(1000000, 9999999)}",
    }


# --------------------------------------------------------------------------- disguises

TRAD_PAIRS = (
    "这這个個们們来來时時为為说說会會对對过過还還后後发發现現开開关關头頭实實问問题題"
    "业業务務债債协協买買卖賣专專团團队隊联聯电電话話骚騷扰擾贷貸网網当當帮幫户戶号號"
    "码碼险險费費额額缴繳银銀减減罚罰负負际際级級条條记記录錄删刪复復征徵诉訴讼訟处處"
    "办辦资資谈談让讓设設计計划劃样樣么麼万萬亿億块塊钱錢价價应應该該种種经經验驗历歷"
    "觉覺两兩从從给給进進选選择擇优優势勢与與构構沟溝节節约約审審请請咨諮询詢预預线線"
    "国國统統导導风風违違规規则則护護权權维維单單证證据據准準备備难難烦煩压壓乐樂亲親"
    "爱愛长長车車报報认認识識见見观觀点點击擊图圖视視频頻货貨讲講语語气氣温溫机機动動"
    "听聽没沒软軟载載结結执執领領测測试試类類间間门門总總体體态態质質员員层層产產东東"
    "财財写寫顾顧项項须須页頁飞飛红紅纪紀终終组組绍紹络絡绝絕继繼续續综綜编編职職脑腦"
    "补補装裝览覽订訂讨討议議许許论論访訪评評词詞诚誠详詳误誤读讀课課谁誰调調谢謝责責"
    "账賬购購贵貴赔賠赚賺转轉轻輕较較边邊达達运運远遠连連适適递遞邮郵钟鐘铁鐵链鏈销銷"
    "错錯闭閉闲閒闻聞阳陽阶階陆陸随隨隐隱静靜顶頂顺順预預颜顏饭飯马馬鱼魚龙龍岁歲严嚴"
    "临臨举舉习習书書乱亂争爭亏虧众眾伤傷余餘偿償儿兒兴興养養内內况況冲衝决決净淨凭憑"
    "几幾刚剛创創别別劳勞区區医醫华華卫衛却卻历歷县縣参參双雙变變吗嗎启啟响響园園围圍"
    "场場坏壞坚堅备備妈媽学學宁寧宝寶将將属屬师師带帶广廣庆慶应應废廢异異张張归歸录錄"
    "态態怀懷恶惡惊驚惯慣户戶扩擴扫掃护護担擔拥擁挂掛换換损損摆擺数數断斷无無旧舊显顯"
    "暂暫术術杀殺杂雜极極标標检檢欢歡残殘毕畢汇匯汉漢泪淚洁潔浅淺济濟涨漲渐漸满滿灭滅"
    "灵靈灾災热熱状狀独獨环環画畫畅暢疗療盖蓋盘盤监監确確离離积積称稱稳穩穷窮竞競笔筆"
    "签簽简簡紧緊纠糾纳納纷紛练練织織缓緩聪聰胜勝脱脫获獲范範虑慮虚虛触觸训訓讯訊诈詐"
    "诊診赶趕输輸辞辭迹跡释釋铺鋪锦錦闪閃阅閱陈陳韩韓顿頓饮飲驾駕骗騙鲜鮮齐齊于於网網"
    "湾灣台臺绑綁册冊"
)
assert len(TRAD_PAIRS) % 2 == 0
TRAD = {TRAD_PAIRS[i]: TRAD_PAIRS[i + 1] for i in range(0, len(TRAD_PAIRS), 2)}
TRAD_WORDS = {"联系": "聯繫", "台湾": "臺灣", "注册": "註冊"}

TONE_PINYIN: dict[str, str] = {}
for _chars, _py in (
    ("停", "tíng"),
    ("催", "cuī"),
    ("收", "shōu"),
    ("协協", "xié"),
    ("商", "shāng"),
    ("息", "xī"),
    ("挂掛", "guà"),
    ("账賬", "zhàng"),
    ("投", "tóu"),
    ("诉訴", "sù"),
    ("退", "tuì"),
    ("保", "bǎo"),
    ("征徵", "zhēng"),
    ("信", "xìn"),
    ("修", "xiū"),
    ("复復", "fù"),
    ("接", "jiē"),
    ("听聽", "tīng"),
    ("债債", "zhài"),
    ("务務", "wù"),
    ("还還", "huán"),
    ("款", "kuǎn"),
    ("减減", "jiǎn"),
    ("免", "miǎn"),
    ("上", "shàng"),
    ("岸", "àn"),
):
    for _c in _chars:
        TONE_PINYIN[_c] = _py

CN_DIGITS = ("零一二三四五六七八九", "〇壹贰叁肆伍陆柒捌玖", "洞幺两三四五六拐八勾")
STYLED_SETS = (
    "⓪①②③④⑤⑥⑦⑧⑨",
    "⓿❶❷❸❹❺❻❼❽❾",
    "⓪⑴⑵⑶⑷⑸⑹⑺⑻⑼",
    "⓪⓵⓶⓷⓸⓹⓺⓻⓼⓽",
    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
)
SEPARATORS = (" ", "·", "-", "/", "❤", "丨", "*", "~", "_", ".", "|", "💰", "、")
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
RLO, PDF = "\u202e", "\u202c"


def to_traditional(text: str) -> str:
    for simp, trad in TRAD_WORDS.items():
        text = text.replace(simp, trad)
    return "".join(TRAD.get(c, c) for c in text)


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def apply_code(code: str, span: str, rng: random.Random) -> str:
    if code == "sep":
        sep = rng.choice(SEPARATORS)
        return sep.join(span)
    if code == "zw":
        out = span[0]
        for c in span[1:]:
            out += rng.choice(ZERO_WIDTH) + c
        return out
    if code == "bidi":
        return RLO + span[::-1] + PDF
    if code == "conv":
        left, right = rng.choice((("(", ")"), ("（", "）")))
        return "".join(f"{c}{left}{TONE_PINYIN[c]}{right}" for c in span)
    if code == "html":
        hexa = rng.random() < 0.5
        return "".join(
            (f"&#x{ord(c):x};" if hexa else f"&#{ord(c)};") if ord(c) > 127 else c for c in span
        )
    if code == "cn":
        digits = rng.choice(CN_DIGITS)
        return "".join(digits[int(c)] if c.isdigit() else c for c in span)
    if code == "split":
        digits = re.sub(r"\D", "", span)
        if len(digits) != 11:
            raise ValueError(f"split_phone needs a mobile: {span!r}")
        sep = rng.choice((" ", "-", " ", ".", "—", "  "))
        if rng.random() < 0.8:
            return sep.join((digits[:3], digits[3:7], digits[7:]))
        return digits[:3] + sep + digits[3:]
    if code == "sty":
        if rng.random() < 0.5:
            table = rng.choice(STYLED_SETS)
            return "".join(table[int(c)] if c.isdigit() else c for c in span)
        return "".join(rng.choice(STYLED_SETS)[int(c)] if c.isdigit() else c for c in span)
    if code == "fw":
        return to_fullwidth(span)
    if code == "trad":
        return to_traditional(span)
    raise ValueError(f"unknown marker code {code!r}")


# --------------------------------------------------------------------------- revealing

STYLED_MAP = {ch: str(i % 10) for table in STYLED_SETS for i, ch in enumerate(table)}
CN_MAP = {ch: str(i) for table in CN_DIGITS for i, ch in enumerate(table)}
CN_RUN = re.compile("[" + "".join(CN_MAP) + r"][" + "".join(CN_MAP) + r"\s\-—.]*")
INVISIBLE = dict.fromkeys(
    map(ord, "".join(ZERO_WIDTH) + "\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069")
)


def _cn_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if sum(c in CN_MAP for c in run) < 7:
        return run
    return "".join(CN_MAP.get(c, c) for c in run)


def reveal(text: str, join_digits: bool = True) -> str:
    """Undo this file's disguises (not homophones or pinyin) so contacts can be checked."""
    t = html.unescape(text)
    t = re.sub(RLO + "(.*?)(?:" + PDF + "|$)", lambda m: m.group(1)[::-1], t, flags=re.M)
    t = t.translate(INVISIBLE)
    t = "".join(STYLED_MAP.get(c, c) for c in t)
    t = unicodedata.normalize("NFKC", t)
    t = CN_RUN.sub(_cn_run, t)
    if not join_digits:
        return t
    return re.sub(r"(?<=\d)[ \t\-—.]+(?=\d)", "", t)


# --------------------------------------------------------------------------- the data

ADS = """
== 停催 slogan
当天停催，不成功不收费！电话：{p}

== 停催 slogan t=variant_wechat
网贷逾期被爆通讯录？帮你[[zw|停催]]，24小时见效，加V：{w}

== 停催 slogan t=homophone,variant_wechat
亭催·上岸·免息，三步搞定。wx：{w}

== 停催 slogan
催收电话打爆了？一个电话帮你全部停掉 {p}

== 停催 slogan
[[bidi|当天停催]]，不接催收电话，详情私我

== 停催 caption
被催收逼到想放弃的兄弟姐妹看过来👇
| 我自己也是过来人，逾期十几个平台，每天几十个催收电话，公司同事都被打了。
| 后来找到专业团队，三天全部停催，现在安心上班。
| 需要的评论区扣1或者私信，不收前期费用。
| #网贷逾期 #停催 #负债 #上岸

== 停催 caption t=pinyin
tingcui不是梦，90后负债30w也能喘口气🙏 主页有联系方式
: #负债上岸 #信用卡逾期 #催收

== 停催 caption t=variant_wechat
【干货】怎么让催收不再打电话给家人？视频里讲了三招，第四招只能私聊，V：{w}
: #反催收 #逾期怎么办 #催收爆通讯录

== 停催 caption t=traditional,split_phone
逾期被催收骚扰？专业团队帮你当天停催，家人同事不再被打扰，联系电话{p}
: #停催 #网贷逾期 #负债

== 停催 caption t=split_character
兄弟们，亻亭亻崔真的可以做到，我上个月刚弄完，现在一个电话都没有了。需要的看主页
: #负债人 #逾期 #亻亭亻崔

== 停催 listing
【全网最全】停催话术+投诉模板 电子版
| 99元 拍下自动发货 网盘链接 永久更新
| 虚拟物品 一经发出 不退不换

== 停催 listing
反催收实战课程 前催收主管亲授 28钱
| 学完自己就能让催收闭嘴，不用再花冤枉钱找中介
| 拍前先聊 QQ：{q}

== 停催 listing t=initials,variant_wechat
tc服务 一对一 当天见效 价格面议
| 直接拍不发货，先聊。薇：{w}

== 停催 listing t=styled_digits
停催代办 全国可做 成功后付款 ¥199起
| 电话 {p}

== 停催 listing t=fullwidth,variant_wechat
催收骚扰处理 VIP套餐 399元（停催+协商+投诉）联系 vx {w}

== 停催 serp
网贷逾期催收电话太多怎么办_专业团队当天停催
| 逾期不用怕，前催收主管一对一指导，不打扰家人、不爆通讯录，成功再收费。
| {u} 广告

== 停催 serp
催收爆通讯录怎么办？【安心上岸】免费咨询热线{h}
| 一对一定制方案，不成功全额退款，已服务12万+负债人。
| {u} 2024-05 推广

== 停催 serp
[[html|停催]]服务_逾期不用怕_24小时在线
| 信用卡、网贷、消费金融均可处理&nbsp;&nbsp;{u} - 推广

== 停催 serp
信用卡逾期被催收怎么处理？律师团队教你合法停止催收骚扰，在线咨询3分钟出方案
| {u} 广告

== 停催 serp
[[sep|停催]]专家 7×24小时在线 已帮助10万+负债人摆脱催收
| {u} 推广

== 停催 comment
找的这家靠谱，昨天下午交的钱晚上就没电话了，需要的加{w}

== 停催 comment t=variant_wechat
我也是，被打到崩溃，后来一个大哥介绍的，薇❤{w}，现在清净多了

== 停催 comment
楼上说的是真的，我三个平台都停了，老师电话[[cn|{p}]]

== 停催 comment
别信那些收定金的，我找的这个老师做了半年了，电话微信同号[[split|{pw}]]

== 停催 comment t=homophone
已上岸，需要亭摧的滴我，不收定金，先办事后付款

== 停催 landing
【为什么选择我们】团队由多名前银行、持牌消金催收主管组成，熟悉各平台内部催收流程。
签约后当天介入，通过与平台沟通，让催收电话在24小时内停止。
| 服务范围：信用卡、网贷、消费金融、车贷。
| 承诺：无效全额退款。
| 立即拨打{h}或添加客服微信{w}，获取专属方案。

== 停催 landing
停止暴力催收，从今天开始。
我们不教你逃债，只帮你争取喘息的时间：[[zw|停催]]、延期、减免一条龙。
| 服务热线：[[split+fw|{p}]]（9:00-22:00）

== 停催 landing t=traditional
我们提供[[conv|停催]]、[[conv|协商]]一站式服务，专业法务对接，三天内见效。
| 服务地区：全国。咨询请加微信：{w}

== 停催 landing
停催服务流程：①提交资料 ②签订服务协议 ③专员对接平台 ④当天停催 ⑤满意后付尾款。
| 客服QQ：{q}  微信：{w}

== 停催 landing t=pinyin,initials,homophone,variant_wechat
逾期了别慌！ting催、xie商、shang岸，tc团队全国接单，十年催收经验反向操作，
你只需要配合，剩下的交给我们。鱼期三个月以上优先处理，v信：{w}

== 债务协商 slogan
停息挂账，个性化分期，最长60期，本金还能谈！电话{p}

== 债务协商 slogan t=homophone
信用卡停息卦账，只还本金，立省上万元，私信了解

== 债务协商 slogan t=initials
负债50万也能上岸！tx挂账+个性化分期，xyk、wd都能做，dd我

== 债务协商 slogan
减债80%，月供降一半，协商成功再收费。热线[[cn|{p}]]

== 债务协商 slogan
一个电话，帮你把罚息利息全谈掉 👉 {p}

== 债务协商 caption
负债人一定要知道的事：信用卡是可以协商的！
| 按规定银行可以给你停息挂账、分60期还款，但你自己打电话大概率被拒。
| 我们团队每天帮几十位卡友谈下来，需要的私信或者加微信{w}
| #停息挂账 #信用卡逾期 #负债上岸 #协商还款

== 债务协商 caption t=pinyin,variant_wechat
从负债68w到上岸，我只用了8个月💪 xieshang真的有用，不会的可以找我，威信{w}
: #上岸 #负债逆袭 #网贷

== 债务协商 caption
别再以贷养贷了！[[zw|停息挂账]]了解一下，月还款直接砍半。
: 评论区扣“上岸”送你一份协商指南 #负债 #债务优化

== 债务协商 caption t=traditional
信用卡逾期不要慌，三步教你协商还款：第一步整理账单，第二步准备困难证明，
第三步找我们代办，成功率高达95%。联系微信：{w}
: #协商还款 #信用卡

== 债务协商 caption
三个月前我还在被催收追着跑，现在每个月只还2000😭 [[bidi|债务优化]]找对人真的很重要
: #上岸日记 #负债

== 债务协商 listing
信用卡协商还款全流程（录音+话术+困难证明模板）
| 49元 自动发货 附赠停息挂账申请书
| 已帮3000+卡友上岸，不会的可以免费问

== 债务协商 listing t=variant_wechat
【一对一代协商】招行 浦发 广发 平安 中信 都能谈
| 服务费按减免金额的15%收取，不成功0元
| 联系方式：V [[sty|{wp}]]

== 债务协商 listing t=initials
负债优化方案定制 tx挂账 / 分期 / 减免 88r一次 包出方案

== 债务协商 listing
债务重组咨询 网贷信用卡一站式处理 到手价 199
| 先沟通后下单，拍下请留言手机号，我们的顾问24小时内联系你

== 债务协商 listing
【上岸计划】个性化分期申请代办 全程无需本人出面
| ¥599/家 电话[[split+fw|{p}]]

== 债务协商 serp
信用卡停息挂账怎么申请_60期分期_免费咨询
| 专业团队协助您与银行协商，停止计息、减免违约金，{h}全国服务热线。
| {u} 广告

== 债务协商 serp
[[conv|停息挂账]]申请条件_只还本金_专业团队_成功率高
| {u} 2024-06 广告

== 债务协商 serp
网贷逾期协商还款_减免利息罚息_律所团队办理
| 合法合规，先出方案后付费，已协助18万人成功上岸。
| {u} 推广

== 债务协商 serp t=homophone
信用卡逾期了怎么和银行谈？_个性化分期_挺息挂账_立即咨询
| {u} 广告

== 债务协商 serp
债务优化平台_[[html|协商还款]]_减免罚息_在线评估负债
| {u} - 广告

== 债务协商 comment
我也是找人协商的，浦发直接给我分了60期，违约金全免，需要的私我

== 债务协商 comment t=split_character,variant_wechat
刚谈下来，十办商真的有用，加她V：{w}，说是我介绍的有优惠

== 债务协商 comment
@我的负债日记 楼主我也是这情况，后来找到王律师团队，三个平台全部分期了，微信{w}

== 债务协商 comment
真的能[[sep|减免]]，我信用卡欠12万，谈完只还8万本金，留言给你联系方式

== 债务协商 comment t=homophone
上岸的姐妹来报喜🎉 找的陈姐，协尚成功，电话[[split+cn|{p}]]

== 债务协商 landing
您是否正面临以下困扰：信用卡多张逾期、网贷以贷养贷、每月还款超过收入？
我们是专注个人债务优化的服务机构，可协助您向银行申请停息挂账、个性化分期，
最长可分60期，减免利息和违约金。
| 服务承诺：方案不满意不收费，协商失败全额退款。
| 咨询热线：{h}  官网：{u}

== 债务协商 landing t=traditional,split_phone
我们的优势：十年金融从业经验，与多家银行建立沟通渠道，协商成功率98%。
平均为客户节省利息罚息3.6万元。预约电话{p}，全国可办，资料线上提交。

== 债务协商 landing t=homophone,variant_wechat
【上岸计划】第一步：免费评估负债；第二步：定制[[zw|协商]]方案；第三步：签约代办；
第四步：银行审批通过，开始新的还款计划。鱼期客户优先，加V：{w}，回复“上岸”领取资料

== 债务协商 landing
为什么银行不愿意跟你协商？因为你不懂规则。
| 我们懂。团队成员均来自银行信用卡中心，熟悉内部审批流程，
知道什么样的材料能过、什么样的话术有用。
| 立即预约：{pw}（同微信）

== 债务协商 landing
债务重组，立减80%——[[bidi|不成功不收费]]。
| 专员热线：[[sty|{p}]]
| 官方网址：[[fw|{u}]]

== 代理投诉 slogan t=variant_wechat
代理投诉，专治平台不给协商！投诉成功再收费，V：{w}

== 代理投诉 slogan g=4
银保监投诉代办，退息减免一步到位，电话{p}，官网{u}

== 代理投诉 slogan t=initials
平台态度差？ts找我，专业代ts，包出结果

== 代理投诉 slogan t=homophone
专业代理头诉，让平台主动找你谈，不成功不收费

== 代理投诉 slogan
你只管休息，投诉交给我们：人行、金融监管、消协、12315全渠道投诉

== 代理投诉 caption
为什么有人投诉一次就能退息减免，你投诉十次都没用？
| 因为投诉是有技巧的：投哪里、怎么写、什么时间投、怎么跟进，每一步都有讲究。
| 我们做这个五年了，需要代投诉的朋友看主页联系方式。
| #投诉 #退息 #网贷逾期 #维权

== 代理投诉 caption t=variant_wechat
专业[[sep|代理投诉]] 网贷 信用卡 消费金融 平台都能投 💯 加vx：{w}
: #网贷维权 #投诉退款

== 代理投诉 caption t=pinyin
daili tousu一条龙，替你写材料替你打电话，你只需要等结果😎 #维权 #退款

== 代理投诉 caption t=traditional
上个月帮一位客户投诉某消金平台，退回砍头息和会员费共计6800元，客户亲自送来锦旗🙏
需要投诉服务的私信我
: #投诉退款 #消费金融 #维权成功

== 代理投诉 caption
被平台乱收费？会员费、担保费、服务费统统可以[[zw|投诉退回]]，代写投诉信，包跟进到底
: #代理投诉 #乱收费

== 代理投诉 listing
金融投诉模板大全（人行/监管局/消协/12378）Word可编辑
| 9.9元 自动发货 附投诉成功案例截图

== 代理投诉 listing
代写投诉信 专业维权 一单一议
| 已成功投诉平台：借呗、微粒贷、360、度小满、美团等
| 拍下后联系客服QQ{q}提供资料

== 代理投诉 listing t=chinese_numeral_phone
代投诉服务 成功退款后按30%收费 无结果不收钱
| 联系：{p}

== 代理投诉 listing t=split_character,variant_wechat
代理扌殳讠斥 一对一 全程代办 到手价158
| 先联系，薇{w}

== 代理投诉 listing t=fullwidth
银保监投诉教程+话术 视频课程 共12节 原价299 现价59
| 购买后加QQ群{q}获取更新

== 代理投诉 serp
网贷平台投诉去哪里最有效_专业代理投诉_退还利息服务费
| 一对一代写投诉材料，多渠道同步投诉，平均15个工作日见效。
| {u} 广告

== 代理投诉 serp t=traditional
[[conv|投诉]]网贷平台_退息退费_咨询热线{h}
| {u} 推广

== 代理投诉 serp g=4
信用卡乱收费怎么投诉？金牌投诉顾问在线解答_成功案例5000+
| {u} 2024-04 广告

== 代理投诉 serp
[[html|代理投诉]]_消费金融维权_不成功不收费 电话[[split|{p}]]
| {u} - 广告

== 代理投诉 serp
银保监投诉电话多少？投诉了没用怎么办？_专业团队代您维权
| 免费评估您的案件，给出投诉策略。{u} 推广

== 代理投诉 comment
我就是找他们投诉的，美团退了我2300多，手续费给了三成，还是划算的，需要的问我要联系方式

== 代理投诉 comment t=variant_wechat
投诉这块我是专业的，帮好几个朋友都退了，有需要+V {w}

== 代理投诉 comment t=homophone,initials,variant_wechat
平台不理你就头诉，ts到他怕，有需要的dd，v：{w}

== 代理投诉 comment
博主说得对，我自己投诉了三次都石沉大海，后来找了代理，一周就有平台客服联系我协商了。
代理电话{p}

== 代理投诉 comment
需要[[bidi|代理投诉]]的私，不成功不收费

== 代理投诉 landing
【金融维权服务中心】我们帮助消费者对违规收费、暴力催收、高利率等问题进行合规投诉。
| 服务内容：投诉信代写、投诉渠道对接、进度跟踪、协商谈判。
| 收费标准：按实际退回金额的20%-30%收取，无结果不收费。
| 联系电话：{l}  微信：{w}

== 代理投诉 landing
金融消费者的维权管家：投诉一次不行就两次，[[zw|银保监]]、人行、消协轮番上阵，
直到平台主动跟你谈减免。
| 专属顾问：[[sty|{p}]]

== 代理投诉 landing t=pinyin
案例展示：张先生，网贷逾期8个月，经我方[[sep|投诉]]协商后退回服务费4200元；
李女士，信用卡分期手续费全额退回。
| 你也可以！tousu热线：[[split|{p}]]

== 代理投诉 landing
我们怎么帮您投诉？
| 1. 梳理借款合同，找出平台违规点（利率超标、砍头息、暴力催收）；
| 2. 代写专业投诉材料；
| 3. 向多个监管渠道同时提交；
| 4. 跟进回访，直到平台给出方案。
| 立即咨询：{h}

== 代理投诉 landing t=traditional
代理投诉团队，香港注册，面向全国客户。业务包括信用卡投诉、网贷投诉、保险投诉、退息退费。
| 联系电话：{p}  微信：{w}

== 退保退息 slogan
全额退保，不限年限，不成功不收费！电话{p}

== 退保退息 slogan t=homophone,variant_wechat
葆费全额退，买了几年都能退，加薇{w}

== 退保退息 slogan
网贷利息超24%？多收的利息帮你退回来！私信咨询

== 退保退息 slogan t=pinyin
tuibao找我，本金一分不少拿回来

== 退保退息 slogan t=split_character
退亻呆 全额退回 成功再收费

== 退保退息 caption
保险交了5年才发现是坑？😭 分红险、万能险、重疾险都能全额退！
| 别自己去找保险公司，他们只会让你按现金价值退，亏一大半。
| 我们有专业渠道，全额退回，已帮2000+家庭拿回保费。
| #退保 #全额退保 #保险避坑

== 退保退息 caption t=traditional,variant_wechat
被贷款平台捆绑销售保险、会员卡？这些钱都能退！上周刚帮一个客户退回3200。需要的加V {w}
: #退息退费 #网贷 #砍头息

== 退保退息 caption
网贷利息高到离谱？超过国家规定部分[[zw|全部退回]]，算算你能退多少👇 #高息退还 #网贷

== 退保退息 caption t=homophone
买保险被忽悠了？全额腿保了解一下，视频最后有方法 #保险 #退保

== 退保退息 caption t=variant_wechat
[[bidi|全额退保]] 不限公司不限年限 保单在手就能退 🔥 vx {w} #保险

== 退保退息 listing
全额退保攻略（话术+投诉模板+成功案例）
| 19.9元 自动发货
| 适用平安、国寿、太平洋、新华、泰康等

== 退保退息 listing
退息计算器+高息退还申请书模板 网贷专用 15元 拍下秒发

== 退保退息 listing
专业全额退保服务 成功后按退回金额收费
| 不成功不收一分钱 联系：[[sty|{p}]]

== 退保退息 listing
[[conv|退保]]咨询 一对一 先评估后办理 免费咨询 拍下请备注保险公司名称

== 退保退息 listing t=initials,chinese_numeral_phone
qetb服务（懂的来）不收定金 电话{p}

== 退保退息 serp
保险全额退保_买了几年的保单能全额退吗_专业退保团队
| 不看现金价值，全额退回已交保费，先退款后收费。
| {u} 广告

== 退保退息 serp t=fullwidth
网贷利息太高能退吗？_高息退还_一对一计算可退金额
| 电话{p} {u} 推广

== 退保退息 serp
分红险退保损失大怎么办？全额退保专业咨询，7天出结果_{u} 广告

== 退保退息 serp
[[sep|全额退保]]_不成功不收费_免费评估保单
| {u} 2024-02 广告

== 退保退息 serp
[[html|退息退费]]服务_会员费担保费一键追回&amp;咨询热线{h}
| {u} - 推广

== 退保退息 comment
我妈的分红险交了五年，找他们全退回来了，13万一分没少，太感谢了

== 退保退息 comment t=variant_wechat
保险退了，刚到账，需要的找我，我把老师威信推给你：{w}

== 退保退息 comment
我在某平台借的钱被收了1800的会员费，找这家全退了，电话[[split|{p}]]

== 退保退息 comment
回复@小鱼同学：可以退的，我上个月刚退完重疾险，加我微信{w}我教你

== 退保退息 comment t=homophone,split_character
全额退亻呆成功了，三年的葆费全部到账，需要的[[zw|私我]]

== 退保退息 landing
【全额退保服务】您是否遇到过以下情况：业务员夸大收益、隐瞒免责条款、代签名、诱导退旧买新？
如果有，您的保单就有机会全额退保。我们拥有专业的保险法务团队，协助您收集证据、
向保险公司和监管部门主张权利。
| 全国统一热线：{h}

== 退保退息 landing t=traditional,split_phone
网贷高息退还服务：凡年化利率超过24%的借款，超出部分的利息、罚息、服务费均可申请退还。
| 我们提供：利息核算、证据整理、协商退还、投诉代办。
| 咨询电话：{p}

== 退保退息 landing
为什么选择我们：1. 不收任何前期费用；2. 退款直接打到您本人账户；
3. 退回后再按比例支付服务费；4. 全程签订正式服务合同。
| 客服微信：{w}  QQ：{q}

== 退保退息 landing t=pinyin,variant_wechat
你的保单可能值很多钱！tuibao、tuixi、tuifei 专业团队为你服务，成功率高达96%。
| 添加客服vx：[[fw|{w}]]

== 退保退息 landing t=chinese_numeral_phone
退保流程：提交保单信息→专员评估→签约→准备材料→提交申请→到账→支付服务费。
| 平均周期30天。预约热线：{p}

== 征信修复 slogan
征信修复，逾期记录消除，不成功全额退款！电话{p}

== 征信修复 slogan t=initials,variant_wechat
zx修复 当天出结果 花户黑户都能做 v：{w}

== 征信修复 slogan t=homophone
征心不好？帮你洗白，贷款车贷房贷都不影响

== 征信修复 slogan
逾期记录可以删！专业征信异议，15个工作日见效

== 征信修复 slogan t=traditional
征信修复 黑名单洗白 全国办理 加微信{w}

== 征信修复 caption
征信有逾期记录，房贷被拒了怎么办？
| 很多人不知道，征信上的逾期是可以通过异议申诉处理掉的，关键是要找懂行的人。
| 我们团队已经帮800多位客户成功删除不良记录，有需要的朋友私信。
| #征信修复 #征信逾期 #房贷被拒

== 征信修复 caption t=pinyin
zhengxin花了？逾期记录太多？不要灰心，[[zw|修复]]有办法 #征信 #贷款

== 征信修复 caption t=split_character,variant_wechat
彳正亻言修复真实案例分享 客户逾期记录已删除 截图为证 需要的加V {w}
: #彳正亻言 #贷款

== 征信修复 caption
你的[[sep|征信]]还能救！逾期记录消除不是梦，评论区扣666 #征信修复 #贷款被拒

== 征信修复 caption t=traditional
[[conv|征信修复]]，专业团队，成功后付款，已帮助上千人重新贷款 #征信 #信用

== 征信修复 listing
征信异议申诉全套教程 含申诉信模板 99元
| 自己就能操作 不用花几千找中介
| 拍下自动发货 虚拟商品不退换

== 征信修复 listing
征信修复服务 一对一 先处理后付款 每条记录800元
| 联系手机{p86}

== 征信修复 listing t=chinese_numeral_phone,homophone
蒸信处理 快速消除不良记录 电话{p}

== 征信修复 listing t=fullwidth,initials
ZX异议代办 一条记录520r 不成功退款 Q{q}

== 征信修复 listing
【急速】逾期记录删除 洗白征信 价格私聊 手机[[sty|{p}]]

== 征信修复 serp
征信有逾期记录怎么消除_征信修复_专业团队3-15天出结果
| {u} 广告

== 征信修复 serp
个人征信修复_不良记录消除_全国可办_先服务后收费
| 免费查询征信报告，专业分析可修复项。
| 服务热线{h} {u} 推广

== 征信修复 serp
[[html|征信修复]]咨询_逾期记录异议申诉_当天响应
| {u} - 广告

== 征信修复 serp
征信花了还能贷款吗？先修复再贷款_专业征信优化 电话[[split|{p}]]
| {u} 广告

== 征信修复 serp
征信洗白多少钱？_信用修复中心_已成功修复2万+份征信
| {u} 2024-01 广告

== 征信修复 comment
真的能删，我两条逾期记录上周已经没了，刚批了房贷，修复老师微信{w}

== 征信修复 comment t=initials
我也做了zx修复，花了3000，一个月就干净了，需要的私

== 征信修复 comment t=variant_wechat
已修复，老师很专业，威信同手机号[[split|{pw}]]

== 征信修复 comment
回复@阿杰：可以的，我那两笔逾期都是他们帮忙处理的，电话{p}，就说是抖音看到的

== 征信修复 comment t=homophone
[[bidi|征信修复]]找我，征心花了也能做

== 征信修复 landing
【信用修复服务中心】专业处理各类征信问题：逾期记录、呆账、查询次数过多、担保记录等。
| 依据《征信业管理条例》，对错误、遗漏信息提出异议，维护您的合法信用权益。
| 修复成功再收费。客服热线：{h}  官网：{u}

== 征信修复 landing t=traditional
征信修复的原理是什么？我们通过合法的异议申诉渠道，协助客户处理非恶意逾期记录。
成功率高达90%，处理周期20个工作日。立即咨询：[[sty|{p}]]

== 征信修复 landing
为什么你的贷款总是被拒？可能是你的征信出了问题。
| 我们可以帮你：删除逾期记录、降低查询次数、消除呆账。
| 咨询微信：{w}（备注“征信”）

== 征信修复 landing t=initials,pinyin
zx修复 / zhengxin youhua 专业团队，签合同办理，[[zw|不成功退款]]。预约：[[cn|{p}]]

== 征信修复 landing t=homophone,variant_wechat
[[sep|征心修复]]中心：十年经验，银行内部资源，鱼期记录一键清除，加薇{w}免费查询

== AI接听 slogan
AI智能接听，催收电话自动应答，再也不用自己接！下载：{u}

== AI接听 slogan t=initials
ai接cs电话，真人语音，cs员根本听不出来

== AI接听 slogan t=homophone
反崔收神器：AI替你接电话，24小时在线

== AI接听 slogan
催收打来不想接？让机器人陪他聊，年费仅需68元

== AI接听 slogan t=variant_wechat,fullwidth
AI反催收助手 安卓苹果通用 加V {w}

== AI接听 caption
让AI替你接催收电话是什么体验？😂 催收员被AI绕了二十分钟还以为在跟真人说话
| 软件链接在主页，自己下载，不收费的那个版本也够用
| #AI接听 #反催收 #网贷逾期

== AI接听 caption t=pinyin
AI jieting 催收电话，自动录音，自动回复“我在开会稍后回电”，亲测有效 #黑科技 #负债

== AI接听 caption t=variant_wechat
我用这个软件三个月了，催收一打过来AI就接，聊完自动发录音给我，需要的加wx[[split|{wp}]]
: #AI助手 #催收

== AI接听 caption
[[zw|智能接听]]催收电话，自动识别催收号码，AI语音应答+全程录音取证，投诉的时候直接用
: #AI #反催收

== AI接听 caption t=traditional
AI机器人帮你接催收电话，语气温和、有理有据，催收员拿它没办法，软件找我 #AI接听 #逾期

== AI接听 listing
AI反催收接听软件 永久会员 68元 安卓苹果通用
| 自动识别催收号码 AI语音应答 通话录音
| 拍下发激活码

== AI接听 listing
智能催收应答机器人 源码+部署教程 1280元 可二次开发 可贴牌

== AI接听 listing t=variant_wechat
AI代接催收电话 月卡29 季卡69 年卡199 联系V：[[sty|{wp}]]

== AI接听 listing t=split_character
AI代接亻崔收 真人音色 拍前咨询 Q{q}

== AI接听 listing
AI[[conv|接听]]助手 专接[[conv|催收]]电话 到手价39

== AI接听 serp
催收电话AI自动接听app下载_智能应答_防骚扰
| {u} 广告

== AI接听 serp
AI反催收机器人_自动接听催收电话_语音应答+录音取证
| 一键安装，3分钟上手，已有50万负债用户使用。{u} 推广

== AI接听 serp
[[html|AI接听催收]]神器_免费试用7天 - {u} - 广告

== AI接听 serp
[[sep|反催收]]AI助手_催收来电自动接听 客服[[cn|{p}]]
| {u} 广告

== AI接听 serp
逾期了催收电话太多怎么办？试试AI智能接听，让机器人替你应付
| {u} 2024-07 推广

== AI接听 comment
这个软件我在用，确实好用，催收打过来AI自动回他，Q群{q}

== AI接听 comment t=variant_wechat
有没有人要AI接听的，我这里有内部版，v我{w}

== AI接听 comment
笑死，催收员骂了半天发现是机器人😂 这个我也买了，68一年，找{w}

== AI接听 comment t=homophone,variant_wechat
反崔收AI我用的这个，[[bidi|加我威信]]{w}

== AI接听 comment t=split_phone
谁要软件，电话{p}，不是骗子，可以先试用

== AI接听 landing
【AI智能应答助手】专为负债人打造的来电管理工具。
| 自动识别：内置10万+催收号码库，来电即识别；
| 智能应答：AI真人语音，根据对方话术自动回复；
| 录音取证：全程录音，一键生成投诉材料。
| 立即下载：{u}

== AI接听 landing t=traditional,split_phone
为什么你需要AI接听？每天几十个催收电话，影响工作、影响睡眠、影响家人。
让AI替你接，你只需要看通话摘要。购买咨询：{p}

== AI接听 landing
会员权益：不限次数AI代接、自定义应答话术、催收录音云端保存、投诉模板免费下载。
| 价格：月卡29元 / 年卡199元。
| 客服QQ：{q}

== AI接听 landing t=initials
AI代接cs电话，[[zw|自动应答]]不露馅。售后电话：[[sty|{p}]]

== AI接听 landing t=pinyin,fullwidth,variant_wechat
AI fan cuishou 助手——专业、省心、安全。官网 {u} ，客服vx {w}
"""

NEGATIVES = """
== - news
“当天停催”“全额退保”“征信修复”……记者调查发现，在多个短视频平台搜索“停息挂账”，
可以看到大量账号发布类似视频，并在评论区引导用户私信。记者添加其中一个账号留下的微信后，
对方称只需支付3000元“服务费”即可“当天停催”，“不成功全额退款”。
| 业内人士指出，此类账号背后多为反催收黑产，消费者付费后往往债务不减反增。

== - news
新华社北京电 近年来，一些不法分子打着“债务协商”“法务咨询”旗号，以“减免利息”“停息挂账”
为噱头招揽负债人，收取高额服务费后失联，有的还伪造病历、失业证明等材料向金融机构施压。
公安机关已在多地开展集中打击。

== - news
上海警方捣毁多个“退保工作室”。据介绍，这些工作室通过网络发布“全额退保”广告，
诱导投保人委托其“代理退保”，教唆投保人编造销售误导理由向监管部门恶意投诉，
并从退回保费中抽取30%至50%作为佣金。目前，已有42名犯罪嫌疑人被依法采取刑事强制措施。

== - news
记者以负债人身份拨打某“征信修复”广告上的电话（138****2376），对方称“只要交钱，
逾期记录三天就能删，不成功不收费”。对此，中国人民银行征信中心有关负责人表示，
任何机构和个人都无权删除征信系统中真实、准确的逾期记录，所谓“征信修复”“征信洗白”均为骗局。

== - news
“凭本事欠的钱为什么要还？”这句在网上流传的口号，是反催收黑产最常用的招揽话术。
据业内估算，目前从事这一行业的人员已超过30万，其中不少是前催收员。
他们熟悉银行的催收规则和漏洞，转而向逾期借款人兜售“停催”“协商”服务。

== - news
【央视调查】AI“反催收”软件在二手平台公开叫卖，卖家宣称“AI自动接听催收电话”
“催收员根本听不出来”，年费从29元到199元不等。律师表示，此类软件常以“维权”为名
收集用户通讯录，存在泄露个人信息的风险。

== - news
河北警方近日打掉一个冒充律师事务所的“债务调解中心”，该团伙在网上大量投放
“专业协商还款，减债80%”广告，累计骗取300余名负债人服务费逾500万元。
办案民警介绍，受害人交费后，不仅债务没有减少，反而因逾期时间拉长背上更多罚息。

== - news
市民王女士向本报反映，她看到一则“保单全额退，不限年限”的广告后，添加了对方微信，
被收取“服务费”1.2万元，最终保单却只按现金价值退回，损失近4万元。
律师提醒，投保人如对保险产品有异议，应直接向保险公司或通过12378热线反映。

== - news
金融监管总局、公安部近日联合部署开展打击“代理退保”“代理投诉”等违法犯罪专项行动，
重点打击以“全额退保”“代理维权”为名实施诈骗、敲诈勒索的团伙。详细报道见：{people}

== - news
一名曾在“反催收”公司工作的年轻人向记者透露：“公司统一培训话术，让我们在抖音、快手上发
‘停催免息’‘一个电话帮你上岸’之类的视频，客户加了微信后，先收两三千定金，
后面能不能办成，老板根本不关心。”

== - police
【警情通报】近日，石家庄市公安局经侦支队破获一起以“停息挂账”为名实施诈骗的案件，
抓获犯罪嫌疑人17名。经查，该团伙自2022年起在网络平台发布“当天停催”“协商还款”广告，
骗取被害人服务费共计200余万元。如有被骗群众，请拨打{pol1}与专案组联系。

== - police
反诈中心提醒：看到“当天停催”“征信修复”“全额退保”广告请直接划走！
这些都是诈骗分子设下的陷阱。如已转账，请立即拨打110报警或96110反诈专线咨询。

== - police
关于征集李某某等人“反催收”团伙违法犯罪线索的通告
| 为依法严厉打击违法犯罪活动，现面向社会公开征集李某某等人违法犯罪线索。
该团伙以“某某法务咨询有限公司”名义承揽“代理投诉”“债务协商”业务，涉嫌诈骗、敲诈勒索。
| 举报电话：{pol2}

== - police
民警提醒：近期有不法分子冒充律师事务所工作人员，以“帮您跟银行协商，只还本金”为由，
要求负债人先交“律师费”“保证金”。正规律所不会以此方式招揽业务，请广大群众提高警惕。

== - police t=homophone,initials
警方介绍，该团伙为逃避平台审核，在短视频中使用“亭催”“zx修复”“tx挂账”等谐音、缩写发布广告，
再将客户引流至私人微信。目前，主要犯罪嫌疑人已被刑事拘留。

== - police
#警方提醒# 小伙刷视频看到“停催免息”广告，为了不让家人知道自己欠网贷，
先后向对方转账5800元。结果催收电话一个没少，对方却将他拉黑。民警提醒，
逾期后应主动联系金融机构协商，切勿轻信网络“中介”。

== - police g=13
公安机关提示：如您曾与微信号为{w}、手机号为{p}的人员联系，
并以“AI接听催收电话”“停催”等名义支付过费用，请携带转账记录到就近派出所报案。

== - police
深圳警方捣毁一个“代理退保”团伙，抓获犯罪嫌疑人31名。该团伙通过伪造病历、
编造销售误导录音等方式向保险公司恶意投诉，涉案金额超千万元。
| 咨询电话：{pol3}

== - police
【以案说法】“征信修复”是假的，诈骗是真的。今年3月，张先生在网上看到“征信洗白，逾期记录消除”
的广告，先后支付“修复费”“加急费”8600元，征信报告却毫无变化。警方提醒：征信记录只能由
金融机构依法报送和更正，任何“修复”承诺都是骗局。

== - police
重庆市公安局渝中区分局：近日，我局依法查处一起利用网络发布“反催收”教程牟利的案件。
违法行为人在二手交易平台以每份99元价格出售“停催话术”“投诉模板”，已被依法处以行政拘留。
| 联系电话：{pol4}

== - warning
【风险提示】警惕“反催收”陷阱！近期，不法分子通过短视频、社交平台发布“当天停催”
“停息挂账”“征信修复”等虚假宣传，诱导客户支付高额费用。本行郑重提醒：本行从未委托任何第三方
机构办理协商还款业务。如您确有还款困难，请通过本行官方客服热线95588办理。

== - warning
招商银行信用卡温馨提示：所谓“停息挂账”“代理协商”机构并非我行合作方，
其收取的“服务费”与我行无关。如需办理分期或协商还款，请拨打{cmb}，或通过掌上生活App在线申请。

== - warning
中国银行业协会提示：“代理维权”“反催收联盟”利用消费者急于减轻债务的心理，
承诺“减免利息罚息”“只还本金”，实则收取高额费用、泄露个人信息。
消费者应通过正规渠道与金融机构沟通。

== - warning
保险行业协会提醒：警惕“全额退保”“代理退保”骗局！不法分子以“保险公司违规，可全额退保”为诱饵，
骗取投保人信息和高额手续费，有的还诱导投保人“退旧投新”购买其推荐的理财产品，
导致投保人失去原有保障。

== - warning
【消保提示】近期，有人冒充“花呗借呗协商中心”，在群里宣称“可以停息挂账”“减免逾期利息”，
要求用户下载所谓的“AI接听催收”软件并支付会员费。官方提醒：协商还款不收取任何费用，
请认准官方客服渠道。

== - warning
市消保委发布消费警示：“征信修复”是伪概念。根据《征信业管理条例》，不良信息自
不良行为终止之日起保存5年，期满后自动删除，任何机构都不能提前“洗白”。
消费者如发现征信记录有误，可向征信中心咨询，电话{pbccrc}。

== - warning
交通银行信用卡中心提示：请勿将个人信息、账单、验证码提供给所谓的“债务优化公司”。
如遇还款困难，可拨打我行客服{bocom}了解个性化分期政策。

== - warning
致全体同学的一封信：近期，校园周边和网络上出现“网贷逾期处理”“当天停催”等广告，
部分不法分子专门针对在校大学生。请同学们树立正确的消费观，
遇到困难及时与辅导员或家长沟通，切勿病急乱投医。

== - warning
某消费金融公司声明：近期发现有不法分子冒用我司名义，宣称可为客户“减免罚息”“延期还款”，
并收取手续费。我司郑重声明，协商还款无需任何中介，官方客服热线为{h}，请以官方渠道为准。

== - warning t=homophone,variant_wechat,pinyin
平台安全提示：不法分子常用“亭催”“葆费”“tingcui”等变体词躲避审核，并要求用户“加V”“加薇”私聊。
遇到此类内容请点击右上角举报。

== - regulator
国家金融监督管理总局消费者权益保护局发布风险提示：警惕“代理退保”“代理投诉”等非法活动。
一些不法分子以“全额退保”“维权”为名，诱导消费者委托其代理投诉，索取高额手续费，
甚至侵占退保资金。消费者可通过官网{nfra}查询正规投诉渠道。

== - regulator
中国人民银行征信中心提醒：从未授权任何机构开展“征信修复”业务。
个人可通过征信中心官网{pbccrc_url}、各商业银行网点或拨打{pbccrc}查询本人信用报告，
对信息有异议的可免费提出异议申请。

== - regulator
关于警惕“反催收联盟”非法活动的风险提示
| 近期，一些所谓的“反催收联盟”通过网络平台传播“凭本事借的钱为什么要还”等错误观念，
教唆金融消费者恶意逃废债。金融消费者应树立理性借贷观念，珍惜个人信用。

== - regulator
某省地方金融管理局提示：部分机构以“债务优化”“停息挂账”为名，冒用律师事务所、
法务公司名义开展宣传，其行为涉嫌虚假宣传和诈骗。如发现相关线索，请向当地公安机关举报。

== - regulator
国家网信办“清朗”专项行动：集中整治网络平台上“反催收”“代理维权”等违法违规信息，
累计清理相关信息12万余条，处置账号3800余个。网民可通过{cac}举报违法和不良信息。

== - regulator
市场监管总局明确，发布“征信修复”“逾期记录消除”等广告属于虚假违法广告，
广告发布者、经营者将依照《广告法》予以查处。详见{samr}。

== - regulator
原中国银保监会消费者权益保护局发布《关于防范“反催收”不法活动的风险提示》，
提醒消费者：依法履行还款义务，理性维权；如确有困难，可与金融机构协商，
不要轻信“代理投诉”“债务重组”等宣传。

== - regulator
广东监管局通报：2023年共收到涉嫌“代理投诉”的消费投诉1.2万件，其中大量投诉材料格式雷同、
联系电话集中，部分代理机构同时以数百名消费者名义提交投诉。监管局已将相关线索移送公安机关。

== - regulator
《商业银行信用卡业务监督管理办法》第七十条规定：在特殊情况下，确认信用卡欠款金额超出持卡人
还款能力、且持卡人仍有还款意愿的，发卡银行可以与持卡人平等协商，达成个性化分期还款协议，
最长期限不得超过5年。

== - regulator
中国互联网金融协会提示：网络上流传的“AI反催收”“停催神器”类软件，有的通过读取通讯录、
通话记录收集个人信息，有的以会员费名义骗取钱财。请勿下载来源不明的应用程序。

== - bank_notice
关于个性化分期还款业务的说明
| 根据相关监管规定，对于因失业、疾病等原因暂时无法按期还款且有还款意愿的持卡人，
我行可提供个性化分期还款服务，最长可分60期。申请无需支付任何费用，请本人致电{citic}办理，
切勿委托第三方中介。

== - bank_notice
【浦发银行】尊敬的客户，您尾号8821的信用卡已逾期，欠款金额5,236.18元，请于近日还款，
以免影响您的个人信用记录。如有困难请致电{spdb}。

== - bank_notice
延期还款政策公告：受突发事件影响暂时失去收入来源的个人客户，可向我行申请延期还款，
延期期间不计罚息，不影响征信记录。请携带相关证明至就近网点办理，咨询电话{cgb}。

== - bank_notice
光大银行信用卡中心：我行催收工作严格遵守监管规定，不会向与债务无关的第三人透露客户信息。
如您对催收行为有异议，可拨打{ceb}投诉，我们将在5个工作日内核实处理。

== - bank_notice
我行已开通线上“协商还款”入口：登录手机银行-信用卡-还款困难-协商申请，
填写收入状况并上传证明材料，审核通过后即可签订分期协议。全程线上办理，免费，无需任何中介。

== - bank_notice
重要提示：我行从未与任何“法务公司”“债务优化机构”合作办理停息挂账，
通过第三方提交的虚假困难证明一经查实，我行将终止协商并依法追究责任。

== - bank_notice
尊敬的客户：根据您的申请，您名下信用卡欠款已转为个性化分期还款，共分48期，
每期应还1,250.00元，首期还款日为2024年7月15日。分期期间暂停计收违约金。如有疑问请致电{cmb}。

== - bank_notice
关于委外催收机构名单的公告：为保障客户合法权益，现将我行2024年度合作的委外催收机构名单
予以公布。如接到非名单内机构以我行名义催收，请立即拨打{bocom}核实。

== - bank_notice
征信异议申请须知：如您认为我行报送的信用信息存在错误、遗漏，可携带身份证件至任一网点
提交异议申请，我行将在20日内核查并书面答复。本行不收取任何费用，也从未委托第三方代理异议申请。

== - bank_notice
微众银行提示：微粒贷借款如遇还款困难，可在App内“还款-协商还款”申请延期或分期，
请勿相信所谓可以“减免本金”的中介。我行客服电话95384。

== - legal_aid
遭遇暴力催收怎么办？法律援助中心提醒：催收人员如有辱骂、恐吓、骚扰家人朋友等行为，
借款人可保存通话录音、短信截图，向放贷机构投诉或报警。
经济困难的群众可拨打12348法律服务热线免费咨询。

== - legal_aid
律师解答：信用卡逾期后能否与银行协商分期？可以。根据监管规定，持卡人可与银行协商个性化分期，
这一权利无需通过任何中介行使。网上宣称“只有我们能办”的机构，本质是收取中间费用，
甚至可能伪造材料，给您带来法律风险。

== - legal_aid
市法律援助中心温馨提示：负债并不可怕，可怕的是病急乱投医。所谓“停息挂账”“债务重组”的
付费中介，往往收了钱不办事。如需法律帮助，请到中心窗口咨询或拨打{legal1}预约。

== - legal_aid
公益律师李律师在直播间说：“很多人私信我问‘当天停催’是不是真的。我明确告诉大家，
没有任何合法手段能让催收‘当天’停止。正确的做法是主动联系金融机构说明情况。”

== - legal_aid
“全额退保”能不能找代理？律师提醒：投保人确实遭受销售误导的，可以自行向保险公司或监管部门
投诉，无需付费委托他人。委托“代理退保”不仅要支付高额费用，还可能因提供虚假材料承担法律责任。

== - legal_aid
高校法律诊所普法：借款利率超过多少不受法律保护？根据最高人民法院规定，民间借贷利率超过
合同成立时一年期LPR四倍的部分不受保护，持牌金融机构的贷款另有监管规定。
如有疑问可来所咨询，电话{legal2}。

== - legal_aid
法律援助案例：农民工老刘因网贷逾期被催收人员多次上门骚扰，在法援律师帮助下，
他向当地金融监管部门投诉并报警，催收公司最终被责令整改。律师提示，维权应走正当途径，
不要轻信网上“代理投诉”的付费服务。

== - legal_aid
征信记录有错误怎么办？律师告诉你：根据《征信业管理条例》，个人认为信息存在错误、遗漏的，
有权向征信机构或信息提供者提出异议，这是法律赋予的权利，完全免费。
凡是收费“修复征信”的，都要警惕。

== - legal_aid
司法局公共法律服务中心：针对群众反映的“债务协商中介乱收费”问题，我中心提供免费法律咨询，
服务时间：工作日9:00-17:00，地址：市民中心3楼，电话{legal3}。

== - legal_aid
律师：下载“AI接听”软件拒接催收电话违法吗？个人拒接电话本身并不违法，但债务依然存在，
逾期利息、罚息会持续累积。建议借款人正视债务，必要时寻求免费法律援助。

== - explainer
停息挂账到底是什么？能自己办吗？
| 所谓“停息挂账”，是民间对个性化分期还款的俗称。持卡人因客观原因无法还款时，
可以与银行协商，暂停计息、将欠款分期偿还。这个流程完全可以自己办：打银行客服电话，
说明困难、提供证明即可，不需要花钱找中介。

== - explainer
犹豫期内退保能全额退吗？
| 一般来说，长期人身保险有15天左右的犹豫期，在犹豫期内申请退保，保险公司会扣除少量工本费后
退还全部保费。超过犹豫期退保，只能退还保单的现金价值。网上所谓“过了几年也能全额退保”的说法，
多数是代理退保机构的营销话术。

== - explainer
网贷利息超过多少可以不还？
| 很多人在网上看到“高息退还”“超过24%的利息都能退”之类的说法。实际上，
持牌机构的综合年化成本受监管约束，是否违规需要具体分析。借款人认为收费不合理，
可以先向平台客服反映，再向监管部门投诉。

== - explainer
什么是反催收黑产？
| 反催收黑产是指以“帮助债务人对抗催收”为名牟利的非法组织。他们通常宣传“停催”“债务协商”
“代理投诉”“征信修复”“全额退保”等服务，收取高额费用，有的伪造困难证明、恶意投诉金融机构。
买家往往被骗两次：交了服务费，债务还在增加。

== - explainer
征信逾期记录多久消除？
| 按照规定，不良信息保存期限为5年，从还清欠款之日起计算。期满后系统自动删除，
无需任何人“修复”。如果逾期是银行系统错误导致的，可以通过异议申请更正，这是免费的。

== - explainer
手机自带的“AI通话助手”怎么用？
| 目前不少手机品牌提供AI代接功能，可以在你不方便时自动接听陌生来电，并把通话内容转成文字。
它主要用于过滤推销、诈骗等骚扰电话。需要注意的是，这类功能不能也不应用来逃避正常的债务沟通。

== - explainer
银行为什么愿意跟你协商分期？
| 对银行来说，与其让不良贷款长期挂在账上，不如通过分期让客户逐步还款。
因此银行有动力跟真正有困难的客户协商。但前提是：你要有还款意愿，
提供真实的收入证明和困难说明。伪造材料会被认定为恶意逃废债。

== - explainer
“上岸”在负债圈是什么意思？
| 在网贷和信用卡负债人的圈子里，“上岸”指还清所有欠款、摆脱债务。很多反催收广告借用这个词，
宣称“帮你快速上岸”，其实他们只是收费中介。真正的上岸靠的是开源节流、和金融机构协商、
按计划还款。

== - explainer
“代理投诉”为什么危险？
| 一是你要把身份证、借款合同、银行卡等敏感信息交给陌生人；二是代理机构常编造投诉理由，
一旦被认定为虚假投诉，你本人要承担责任；三是“成功后收费”的比例通常高达30%-50%。

== - explainer
被催收电话骚扰，合法的应对方式有哪些？
| 1. 记录催收人员的工号、时间、内容；2. 对不文明催收进行录音；3. 向放贷机构投诉；
4. 向当地金融监管部门或通过{nfra}反映；5. 涉及威胁恐吓的直接报警。以上渠道都是免费的。

== - user_comment g=0
被所谓的停催团队骗了3800，加的微信{w}已经把我拉黑了，大家千万别信！

== - user_comment t=variant_wechat
我自己打招行电话协商的，根本不用找中介，客服给我分了48期，违约金也免了。
评论区那些让你加V的都是骗子。

== - user_comment
请问停息挂账靠谱吗？刷到好多广告，说交2000就能办，有点心动又怕被骗😭

== - user_comment
评论区那些说“能停催”“已上岸”的都是托，一个个头像都一样，全是一伙的

== - user_comment g=8
征信修复就是骗人的，我花了5000块，记录一条没少。那个人电话{p}，大家注意，已报警。

== - user_comment
干过两年催收的说句实话：网上那些反催收机构能做的，你自己打个电话给银行一样能做，
还不用花钱。真正让你停催的只有还钱或者分期协议。

== - user_comment
退保千万别找中介！我妈被骗了，付了一万多手续费，最后只退了现金价值。
有问题直接打12378，或者去保险公司柜台。

== - user_comment g=12
AI接听那个软件我买了，68块，根本没用，催收照样打到我老婆那里，客服QQ{q}也不回了

== - user_comment
这种黑产早该打了，天天刷到“当天停催”“征信洗白”，平台也不管管

== - user_comment
买了卖家的“停催话术”，发来的全是网上能搜到的东西，还说不退款，差评！

== - court
刑事判决书（2023）冀01刑初XX号
| 经审理查明：被告人张某某伙同他人，自2021年3月起以某某法务咨询有限公司名义，
在网络平台发布“停息挂账”“债务优化”“当天停催”等广告，诱骗被害人签订服务合同，
收取服务费共计156万元，未提供约定服务。本院认为，被告人张某某以非法占有为目的，
骗取他人财物，数额特别巨大，其行为已构成诈骗罪。

== - court
民事判决书
| 原告刘某与被告某某信息咨询公司服务合同纠纷一案。原告主张，被告承诺“征信修复，不成功全额退款”，
原告支付费用6800元后，征信记录未发生变化。本院认为，被告承诺删除真实逾期记录，
违反法律强制性规定，合同无效，判令被告返还原告6800元。

== - court
本院认为，被告人王某某等人以“代理退保”为名，组织人员编造虚假投诉理由、伪造病历，
向保险公司施压获取退保款，并截留客户资金，其行为已构成诈骗罪；
同时以向监管部门投诉相要挟，构成敲诈勒索罪，依法应数罪并罚。

== - court
被告人李某为帮助债务人向金融机构申请减免，伪造医院诊断证明书及社区失业证明共计83份，
其行为已构成伪造事业单位印章罪、伪造国家机关公文罪。公诉机关指控的罪名成立，本院予以支持。

== - court
某区人民法院发布典型案例：“全额退保”背后的陷阱。法院提示，投保人将保单交由代理机构操作，
不仅要支付高额“服务费”，还可能因提供虚假材料承担不利后果。

== - court
原告某银行与被告陈某信用卡纠纷一案。被告辩称曾委托第三方机构“协商停息挂账”，
并已向该机构支付费用。本院认为，被告与第三方机构之间的约定对原告不具有约束力，
被告仍应按合同约定偿还欠款本金及利息。

== - court
经审理查明，被告人赵某某开发并销售“AI反催收接听”软件，该软件可自动接听来电，
并在用户不知情的情况下上传通讯录数据至服务器，累计获取公民个人信息4万余条。
本院认定被告人赵某某构成侵犯公民个人信息罪。

== - court
公告：本院受理原告某消费金融有限公司诉被告孙某某借款合同纠纷一案，因被告下落不明，
依法向其公告送达起诉状副本、应诉通知书。联系电话：{court1}。

== - court t=initials
裁判文书网公开的判决显示，被告人在短视频平台使用“停催上岸”“tc”等词发布广告，
通过“负债群”引流，每单收费1000元至5000元不等。文书链接：{wenshu}

== - court
二审判决：上诉人（原审被告）某某法务公司称其提供的是“合法的债务协商服务”。本院认为，
上诉人在无律师执业资质情况下，以“律所”名义对外宣传，并收取所谓“减债服务费”，
原审认定其构成虚假宣传并无不当，驳回上诉，维持原判。

== - quoted_list
金融黑灰产识别知识卡（反催收类）
| 停催：当天停催、停催免息、不接催收电话
| 协商：协商还款、停息挂账、个性化分期、债务优化、减免利息罚息、立省xxxx元、减债80%、上岸
| 投诉：代理投诉、投诉退款、银保监投诉
| 退保：全额退保、退息、退费、高息退还
| 征信：征信修复、征信洗白、逾期记录消除、征信异议

== - quoted_list
抖音安全中心治理公告：本月共处置涉及“反催收”“停催”“征信修复”“全额退保”“代理投诉”等
违规内容视频2.3万条，封禁账号1156个。平台将持续打击金融黑灰产引流行为。

== - quoted_list t=homophone,pinyin,initials,variant_wechat
审核培训材料·常见变体词：亭催、停摧、崔收、葆费、征心、tingcui、tc、zx修复、tx挂账；
引流话术：加V、vx、wx、薇、威信、加❤。以上词汇出现在金融类内容中时需重点审核。

== - quoted_list
广告审核规范第十二条：禁止发布含有以下内容的广告——“停息挂账代办”“征信修复”
“逾期记录消除”“全额退保”“代理维权”“债务重组”“当天下款不看征信”。

== - quoted_list
闲鱼平台规则更新：以下商品禁止发布：反催收话术、停催教程、投诉模板、征信修复教程、
退保攻略、AI反催收软件激活码。违规商品将被删除，情节严重的将被限制账户功能。

== - quoted_list
研究附录表3：样本中高频词（出现次数）——停息挂账 1523；协商还款 1207；当天停催 988；
上岸 961；征信修复 744；全额退保 512；代理投诉 377；AI接听 103。

== - quoted_list g=15
银行内部风险通报：以下为近期识别的反催收机构联系方式，请各分行在客户沟通中注意甄别：
手机{p}；微信{w}；网站{u}。请勿向上述主体提供客户信息。

== - quoted_list
网络流行语“上岸”释义：原指考生通过考试（如考研上岸、考公上岸），后在负债人群体中引申为
还清债务，常见搭配有“负债上岸”“上岸日记”。

== - quoted_list
搜索引擎关键词管控示例：“网贷逾期怎么办”“信用卡逾期协商”“停息挂账”“征信修复”
等查询词不再展示商业推广结果，仅展示官方和权威来源内容。

== - quoted_list g=6
某省消保委公布第三批“代理退保”违规账号名单：微信号{w}、QQ号{q}、网址{u}等，
请消费者切勿与其联系。

== - unrelated_loan_ad
低息贷款 当天放款 额度5-50万 有社保公积金即可申请 电话{p}

== - unrelated_loan_ad
车抵贷不押车，全款按揭车均可，最快2小时放款，月息低至0.6%，联系微信{w}

== - unrelated_loan_ad
房产抵押经营贷 年化3.2%起 最长10年 先息后本 {h}

== - unrelated_loan_ad
建行快贷：最高30万元，随借随还，年化利率低至3.85%，手机银行一键申请。

== - unrelated_loan_ad
个人信用贷款_正规持牌机构_最快30分钟到账_日息万三起
| {u} 广告

== - unrelated_loan_ad
企业税票贷 纳税满2年即可申请 额度最高300万 纯信用无抵押 经理电话{p86}

== - unrelated_loan_ad
装修分期找我们！0首付，最长36期，与多家银行合作，审批快。咨询热线{h}

== - unrelated_loan_ad t=variant_wechat
急用钱？应急周转，工资卡流水良好即可，不上门不押证，加V：{w}

== - unrelated_loan_ad
公积金贷款咨询：连续缴存满6个月即可申请，利率按国家规定执行，欢迎来电{l}

== - unrelated_loan_ad
大额信用卡代办 秒批 额度5万起 学生勿扰 QQ：{q}

== - benign
考公上岸经验分享📚 去年裸考进面，今年笔试第一成功上岸！整理了一份备考资料，
需要的姐妹加我微信{w}免费领

== - benign
停车场收费通知：自2024年7月1日起，小区地面停车位月租调整为150元，临时停车首小时免费，
逾期未缴纳月租的车辆将按临时车收费。物业服务中心电话{l}

== - benign
手机屏幕碎了别急！专业修复，原装屏幕，30分钟取机，全城上门。电话{p}

== - benign
12306提示：列车停运的，旅客可在车站或网上办理全额退票，不收取退票费。

== - benign
点的外卖一个小时还没到，投诉了客服，给我退了全款还送了一张5元券，还挺满意的

== - benign
物业费催缴通知：尊敬的业主，您2023年度物业费尚未缴纳，请于本月底前到物业服务中心缴纳。
如有疑问请致电{l}。

== - benign
新手机的AI接听功能太好用了，开会的时候有人打电话，AI自动帮我接了还记录了内容，推荐大家试试

== - benign
钓了一下午，终于把一条五斤的大草鱼拉上岸了，收竿回家！

== - benign
某银行2024年校园招聘：个人征信管理岗、信贷审批岗，欢迎金融、法学等专业应届生投递简历，
招聘网址{u}。

== - benign
这套老房子的木地板修复完成了，打磨、上漆、补缝一共花了三天，效果像新的一样。
"""

# --------------------------------------------------------------------------- building


@dataclass
class Entry:
    category: str | None
    kind: str
    gang: int | None
    hand: list[str]
    raw: str
    text: str = ""
    tricks: list[str] = field(default_factory=list)
    contacts: list[dict[str, str]] = field(default_factory=list)


def parse(block: str) -> list[Entry]:
    entries: list[Entry] = []
    for line in block.strip("\n").splitlines():
        if line.startswith("== "):
            parts = line[3:].split()
            gang: int | None = None
            hand: list[str] = []
            for opt in parts[2:]:
                key, _, value = opt.partition("=")
                if key == "g":
                    gang = int(value)
                elif key == "t":
                    hand = value.split(",")
                else:
                    raise ValueError(f"bad option {opt!r} in {line!r}")
            category = None if parts[0] == "-" else parts[0]
            entries.append(Entry(category, parts[1], gang, hand, ""))
        elif not line.strip():
            continue
        elif line.startswith("| "):
            entries[-1].raw += "\n" + line[2:]
        elif line.startswith(": "):
            entries[-1].raw += " " + line[2:]
        else:
            entries[-1].raw += line
    return entries


MARKER = re.compile(r"\[\[([a-z+]+)\|(.+?)\]\]")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(entry: Entry, ctx: dict[str, str], rng: random.Random) -> None:
    contacts: list[tuple[str, str]] = []
    mobiles: list[str] = []

    def add(kind: str, display: str) -> None:
        item = (kind, norm(kind, display))
        if item not in contacts:
            contacts.append(item)

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in OFFICIAL:
            kind, display = OFFICIAL[name]
            add(kind, display)
            return display
        if name in ("p", "pw", "wp", "p86"):
            mobile = ctx["p"]
            mobiles.append(mobile)
            if name != "wp":
                add("phone", mobile)
            if name in ("pw", "wp"):
                add("wechat", mobile)
            return "+86 " + mobile if name == "p86" else mobile
        kinds = {"w": "wechat", "q": "qq", "u": "url", "h": "phone", "l": "phone"}
        add(kinds[name], ctx[name])
        return ctx[name]

    text = PLACEHOLDER.sub(placeholder, entry.raw)
    tricks = set(entry.hand)
    marker_codes = {code for codes in MARKER.findall(text) for code in codes[0].split("+")}
    if "traditional" in tricks and "trad" not in marker_codes:
        text = to_traditional(text)

    def marker(match: re.Match[str]) -> str:
        span = match.group(2)
        for code in match.group(1).split("+"):
            tricks.add(MARKER_TRICKS[code])
            span = apply_code(code, span, rng)
        return span

    text = MARKER.sub(marker, text)
    for trick, code in PHONE_TRICKS.items():
        if trick in entry.hand and code not in marker_codes:
            for mobile in dict.fromkeys(mobiles):
                text = text.replace(mobile, apply_code(code, mobile, rng))
    if "fullwidth" in tricks and "fw" not in marker_codes:
        text = to_fullwidth(text)
    if len(tricks) >= 3:
        tricks.add("mixed")
    entry.text = text
    entry.tricks = [t for t in TRICKS if t in tricks]
    entry.contacts = [{"kind": k, "value": v} for k, v in contacts]


# --------------------------------------------------------------------------- validation

FORMATS = {
    "phone": re.compile(r"1[3-9]\d{9}|0\d{2,3}\d{7,8}|[48]00\d{7}"),
    "wechat": re.compile(r"[a-z][a-z0-9_-]{5,19}|1[3-9]\d{9}"),
    "qq": re.compile(r"[1-9]\d{4,11}"),
    "url": re.compile(r"(?!www\.)[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*[^/\s.,;:!?])?"),
}
HAND_CHECKS: dict[str, Callable[[str], bool]] = {
    "homophone": lambda t: any(
        w in t
        for w in (
            "亭催",
            "亭摧",
            "停摧",
            "葆费",
            "崔收",
            "征心",
            "蒸信",
            "鱼期",
            "挺息",
            "卦账",
            "协尚",
            "腿保",
            "头诉",
        )
    ),
    "variant_wechat": lambda t: bool(
        re.search(r"(?i)(?<![a-z])(v|vx|wx|v信)(?![a-z])|薇|威信|❤", t)
    ),
    "pinyin": lambda t: bool(
        re.search(r"(?i)ting|cui|xie|shang|zhengxin|tuibao|tousu|jieting|daili|tuixi", t)
    ),
    "initials": lambda t: bool(
        re.search(r"(?i)(?<![a-z])(tc|zx|tx|xyk|wd|ts|cs|qetb)(?![a-z])", t)
    ),
    "split_character": lambda t: any(c in t for c in "亻彳扌讠") or "十办" in t,
}
DISGUISED = re.compile(
    "["
    + "".join(ZERO_WIDTH)
    + RLO
    + r"\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]|&#?\w+;|["
    + "".join(STYLED_MAP)
    + "]{5}|["
    + "".join(CN_MAP)
    + "]{7}"
)
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
DOMAIN = re.compile(
    r"(?i)(?<![\w.-])(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*"
    r"\.(?:com|cn|net|top|cc|vip|app|org)(?![a-z])"
)


def validate(rows: list[Row]) -> list[str]:
    errors: list[str] = []
    ids: set[str] = set()
    texts: set[str] = set()
    for row in rows:
        rid, text = row["id"], str(row["text"])
        if rid in ids or text in texts:
            errors.append(f"{rid}: duplicate id or text")
        ids.add(rid)
        texts.add(text)
        label, category, kind = row["label"], row["category"], row["kind"]
        if label == "ad":
            ok = category in CATEGORIES and kind in AD_KINDS
        else:
            ok = label == "not_ad" and category is None and kind in NEG_KINDS
        if not ok:
            errors.append(f"{rid}: bad label/category/kind {label}/{category}/{kind}")
        tricks: list[str] = row["tricks"]
        if any(t not in TRICKS for t in tricks):
            errors.append(f"{rid}: unknown trick in {tricks}")
        if ("mixed" in tricks) != (len([t for t in tricks if t != "mixed"]) >= 3):
            errors.append(f"{rid}: mixed tag does not match {tricks}")
        plain = reveal(text)
        loose = reveal(text, join_digits=False)
        for trick, check in HAND_CHECKS.items():
            if trick in tricks and not check(plain):
                errors.append(f"{rid}: tagged {trick} but none found")
        if label == "ad" and not tricks and HAND_CHECKS["variant_wechat"](plain):
            errors.append(f"{rid}: untagged WeChat variant")
        if not tricks and DISGUISED.search(text):
            errors.append(f"{rid}: no tricks but the text is disguised")
        contacts: list[dict[str, str]] = row["contacts"]
        listed = {c["value"] for c in contacts}
        for contact in contacts:
            kind_c, value = contact["kind"], contact["value"]
            if not FORMATS[kind_c].fullmatch(value):
                errors.append(f"{rid}: badly normalised {kind_c} {value!r}")
            if value.lower() not in plain.lower() + "\n" + loose.lower():
                errors.append(f"{rid}: {kind_c} {value!r} not in the text")
        for mobile in MOBILE.findall(plain):
            if mobile not in listed:
                errors.append(f"{rid}: unlisted mobile {mobile}")
        for host in DOMAIN.findall(plain):
            if not any(norm_url(host) in v for v in listed):
                errors.append(f"{rid}: unlisted site {host}")
    return errors


def build() -> list[Row]:
    rng = random.Random(SEED)
    gang_ctx = [make_contacts(rng, g["w"], g["u"]) for g in GANGS]
    entries = [(e, "ad") for e in parse(ADS)] + [(e, "not_ad") for e in parse(NEGATIVES)]
    for entry, label in entries:
        if entry.gang is not None:
            ctx = gang_ctx[entry.gang]
        elif label == "ad":
            assert entry.category is not None
            ctx = gang_ctx[rng.choice(CATEGORY_GANGS[entry.category])]
        else:
            stem = rng.choice(FRESH_WECHAT.get(entry.kind, ["kefu_xiaozhang"]))
            site = rng.choice(FRESH_URL.get(entry.kind, ["www.example-service.cn/info"]))
            ctx = make_contacts(rng, stem + str(rng.randint(1, 99)), site)
        render(entry, ctx, rng)
    rng.shuffle(entries)
    rows: list[Row] = []
    for number, (entry, label) in enumerate(entries, 1):
        rows.append(
            {
                "id": f"ho-{number:04d}",
                "text": entry.text,
                "label": label,
                "category": entry.category,
                "tricks": entry.tricks,
                "contacts": entry.contacts,
                "kind": entry.kind,
            }
        )
    return rows


def main() -> int:
    rows = build()
    errors = validate(rows)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    ads = [r for r in rows if r["label"] == "ad"]
    negatives = [r for r in rows if r["label"] == "not_ad"]
    print(f"wrote {len(rows)} lines to {OUT.name}: {len(ads)} ads, {len(negatives)} not_ad")
    print("category:", dict(Counter(str(r["category"]) for r in ads)))
    print("ad kind:", dict(Counter(str(r["kind"]) for r in ads)))
    print("not_ad kind:", dict(Counter(str(r["kind"]) for r in negatives)))
    trick_counts: Counter[str] = Counter()
    for r in ads:
        trick_counts.update(r["tricks"])
    print("ad tricks:", {t: trick_counts[t] for t in TRICKS})
    print("ads without tricks:", sum(1 for r in ads if not r["tricks"]))
    neg_tricks: Counter[str] = Counter()
    for r in negatives:
        neg_tricks.update(r["tricks"])
    print("not_ad tricks:", dict(neg_tricks))
    contacts: Counter[str] = Counter()
    for r in rows:
        contacts.update(c["kind"] for c in r["contacts"])
    print("contacts:", dict(contacts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
