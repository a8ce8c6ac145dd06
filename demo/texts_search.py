"""Wording of search results and their landing pages: ads, look-alikes, filler."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from demo import content
from demo.ads import AdPlan, disguise, text_contacts

NEWS_SITES = ("news.jrxw.cn", "www.fzrbw.cn", "finance.xwzx.com.cn", "www.jjcb-news.cn")
GOV_SITES = ("www.jrjgj-demo.gov.cn", "www.12348-demo.gov.cn", "www.zxzx-demo.org.cn")
BANK_SITES = ("creditcard.bank-demo.com.cn", "www.yinhang-demo.com")
OTHER_SITES = ("baike.demo-wiki.cn", "www.jiachang-demo.com", "www.licai-demo.cn", "zhidao.demo.cn")


@dataclass
class SearchText:
    title: str
    snippet: str
    h1: str
    paragraphs: list[str]
    site: str
    poster: tuple[str, ...] = ()  # lines of a banner image, if any
    extra: dict[str, str] = field(default_factory=dict)


def _sentence(text: str) -> str:
    """End `text` with a full stop unless it already ends with punctuation."""
    return text if text[-1:] in "!?!?。…" else text + "。"


def _clip(text: str, limit: int = 72) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def ad(
    rng: random.Random, plan: AdPlan, query: str, number: int, contacts_in_snippet: bool = False
) -> SearchText:
    """An ad result; image-only ads get a bland title, snippet and body."""
    op = plan.operator
    if plan.image_only:
        title = f"{rng.choice(content.BLAND_TITLES)} 第{number}期"
        lines = rng.sample(content.BLAND_LINES, 2)
        return SearchText(title, lines[0], title, lines, op.site)
    services = "、".join(rng.sample(content.SERVICES[plan.category], 3))
    title = rng.choice(
        (
            f"{plan.slogan}-{op.brand}",
            f"【{op.brand}】{plan.headline},{plan.promise}",
            f"{query}?{plan.headline}{plan.promise}|{op.brand}",
            f"{plan.headline}_{plan.promise}_{op.brand}官网",
        )
    )
    handles = text_contacts(plan, rng, "text")
    snippet = f"{_sentence(plan.slogan)}{services},{plan.promise},{plan.fee}。"
    if handles and (contacts_in_snippet or rng.random() < 0.5):
        snippet += f"{rng.choice(content.CTAS)}{handles}"
    paragraphs = [
        rng.choice(content.STORIES),
        f"{op.brand}专注{plan.headline},提供{services}等服务。{_sentence(plan.slogan)}",
        f"{plan.promise},{plan.fee}。全国可办,一对一专属方案。",
    ]
    if handles:
        paragraphs.append(f"{rng.choice(content.CTAS)}请联系:{handles}")
    else:
        paragraphs.append("联系方式见下图。")
    return SearchText(
        title=disguise(plan, title, rng),
        snippet=disguise(plan, snippet, rng),
        h1=disguise(plan, f"{plan.headline},{plan.promise}", rng),
        paragraphs=[disguise(plan, p, rng) for p in paragraphs],
        site=op.site,
    )


def negative(rng: random.Random, query: str, bank: bool = False) -> SearchText:
    """A hard negative: news, regulator warning, bank policy or legal aid
    (`bank` for a bank promoting its own hardship policy in a sponsored slot)."""
    kind = "bank" if bank else rng.choice(("news", "news", "warning", "bank", "legal"))
    fill = {
        "city": rng.choice(content.CITIES),
        "n": str(rng.randint(3, 60)),
        "hook": rng.choice(content.NEGATIVE_HOOKS),
        "bank": rng.choice(content.BANKS),
    }
    if kind == "news":
        title = rng.choice(content.NEWS_TITLES).format(**fill)
        paras = rng.sample(content.NEWS_PARAGRAPHS, 3)
        site = rng.choice(NEWS_SITES)
    elif kind == "warning":
        title = rng.choice(content.WARNING_TITLES).format(**fill)
        paras = rng.sample(content.WARNING_PARAGRAPHS, 3)
        site = rng.choice(GOV_SITES)
    elif kind == "bank":
        title = rng.choice(content.BANK_TITLES).format(**fill)
        paras = rng.sample(content.BANK_PARAGRAPHS, 3)
        paras.append(f"{fill['bank']}官方客服热线:95{rng.randint(100, 599)}。")
        site = rng.choice(BANK_SITES)
    else:
        title = rng.choice(content.LEGAL_TITLES).format(**fill)
        paras = rng.sample(content.LEGAL_PARAGRAPHS, 3)
        site = rng.choice(GOV_SITES)
    poster = rng.choice(content.NEGATIVE_POSTER_LINES) if rng.random() < 0.3 else ()
    return SearchText(title, _clip(paras[0]), title, paras, site, poster=poster)


def benign(rng: random.Random, query: str) -> SearchText:
    title, snippet = rng.choice(content.SEARCH_BENIGN)
    paras = [snippet, "以上内容仅供参考,欢迎收藏转发。", "相关阅读:生活小常识合集"]
    return SearchText(title, snippet, title, paras, rng.choice(OTHER_SITES))
