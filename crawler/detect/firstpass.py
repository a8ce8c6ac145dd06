"""A first, deliberately small rules pass: enough for the crawl summary to say
which records look like ads.  The detection issue replaces it with the real
detector (normalisation, rule files, contacts, scoring); until then this keeps
the same output fields (score, label, categories, matches, reasons).

Rule of thumb from DOMAIN.md: a category term alone is not an ad (news and
warnings quote them); a term plus an ad cue (contact, call to action, promise,
price) is, and a warning or news context word pulls the score down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.items import AdRecord, Match

CATEGORY_TERMS: dict[str, tuple[str, ...]] = {
    "停催": ("停催", "亭催", "停摧", "不接催收", "催收电话", "tingcui"),
    "债务协商": (
        "协商还款",
        "停息挂账",
        "个性化分期",
        "债务优化",
        "减免",
        "上岸",
        "减债",
        "协商分期",
    ),
    "代理投诉": ("代理投诉", "投诉退款", "银保监投诉", "代投诉"),
    "退保退息": ("退保", "葆费", "退息", "高息退还", "退费"),
    "征信修复": ("征信修复", "征信洗白", "逾期记录消除", "征信异议", "修复征信", "zx修复"),
}
_LOWER_TERMS = {c: tuple(t.lower() for t in terms) for c, terms in CATEGORY_TERMS.items()}
AD_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("call to action", re.compile(r"加\s*[vV微薇威❤]|vx|wx|私信|扫码|咨询|联系|点击头像|绿泡泡")),
    ("promise", re.compile(r"当天|百分百|100%|包过|不成功|无效退款|成功再收费|立省|保证")),
    ("price", re.compile(r"\d+\s*(?:元|块|钱)|¥\s*\d+")),
    ("phone", re.compile(r"1[3-9]\d(?:[\s-]?\d){8}")),
)
CONTEXT_CUES = re.compile(r"警方|抓获|犯罪嫌疑人|提醒|谨防|警惕|诈骗|监管|风险提示|法院|判决|公安")


@dataclass
class Verdict:
    score: float
    label: str
    categories: list[str]
    matches: list[Match]
    reasons: list[str]


def judge(record: AdRecord) -> Verdict:
    fields = {"title": record.title, "text": record.text}
    matches: list[Match] = []
    categories: list[str] = []
    lowered = {name: value.lower() for name, value in fields.items()}
    for category, terms in _LOWER_TERMS.items():
        for term in terms:
            for name, value in lowered.items():
                start = value.find(term)
                if start >= 0:
                    matches.append(
                        Match("firstpass." + category, term, name, (start, start + len(term)))
                    )
                    if category not in categories:
                        categories.append(category)
    everything = f"{record.title}\n{record.text}"
    cues = [name for name, pattern in AD_CUES if pattern.search(everything)]
    context = CONTEXT_CUES.findall(everything)
    score = 0.0
    reasons: list[str] = []
    if categories:
        score += 0.35 + 0.05 * min(len(matches), 4)
        reasons.append("terms: " + ", ".join(sorted({m.term for m in matches})))
    if categories and cues:
        score += 0.15 * len(cues)
        reasons.append("ad cues: " + ", ".join(cues))
    if record.sponsored and categories:
        score += 0.1
        reasons.append("paid placement")
    if context:
        score -= 0.2 * len(set(context))
        reasons.append("warning/news context: " + ", ".join(sorted(set(context))))
    score = round(max(0.0, min(1.0, score)), 3)
    label = "ad" if score >= 0.6 else "suspect" if score >= 0.35 else "clean"
    return Verdict(score, label, categories, matches, reasons)
