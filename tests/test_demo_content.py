"""The demo web's text tables, disguises, contacts and image rendering, without a server."""

from __future__ import annotations

import io
import random
import re
import unicodedata
from pathlib import Path

from PIL import Image, ImageChops, ImageOps, ImageStat

from demo import content, disguises, generate
from demo.contacts import chinese_digits, contact_text, make_operators, phone_text, qr_payload
from demo.images import draw_poster, render, sideways
from demo.model import Contact, ImageSpec


def rng(seed: int = 1) -> random.Random:
    return random.Random(seed)


def test_every_category_has_slogans_headlines_products_and_tags() -> None:
    for table in (
        content.SLOGANS,
        content.HEADLINES,
        content.SERVICES,
        content.HASHTAGS,
        content.MARKET_PRODUCTS,
    ):
        assert set(table) == set(content.CATEGORIES)
        assert all(table[c] for c in content.CATEGORIES)


def test_homophone_and_pinyin_replace_trigger_words() -> None:
    assert disguises.homophone("当天停催", rng()) in {"当天亭催", "当天停摧", "当天婷催"}
    assert "葆费" in disguises.homophone("全额退回保费", rng())
    assert disguises.pinyin("征信修复", rng()) in {"zx修复", "zhengxin修复", "ZX修复"}
    assert disguises.homophone("今天天气很好", rng()) == "今天天气很好"


def test_separators_and_zero_width_go_between_trigger_characters() -> None:
    out = disguises.separators("当天停催", rng())
    assert out.startswith("当天停") and out.endswith("催") and len(out) == 5
    zw = disguises.zero_width("当天停催", rng())
    assert zw != "当天停催" and zw.replace(zw[3], "") == "当天停催"
    assert unicodedata.category(zw[3]) == "Cf"


def test_fullwidth_and_traditional() -> None:
    assert disguises.fullwidth("vx tc88") == "ｖｘ ｔｃ８８"
    assert unicodedata.normalize("NFKC", disguises.fullwidth("vx tc88")) == "vx tc88"
    assert disguises.traditional("债务协商,征信修复") == "債務協商,徵信修復"


def test_pick_disguises_is_ordered_and_sometimes_empty() -> None:
    r = rng(5)
    picks = [disguises.pick_disguises(r) for _ in range(200)]
    assert () in picks
    assert {k for p in picks for k in p} == set(disguises.DISGUISES)


def test_phone_formats_keep_the_digits() -> None:
    number = "13812345678"
    assert chinese_digits(number, rng()) in {"幺三八幺二三四五六七八", "一三八一二三四五六七八"}
    table = str.maketrans("零一二三四五六七八九幺", "01234567891")
    r = rng(3)
    for _ in range(50):
        text, tag = phone_text(number, r)
        assert re.sub(r"[\s\-]", "", text.translate(table)) == number
        assert tag in ("", "phone_split", "phone_chinese")


def test_contact_text_and_qr_payloads() -> None:
    wechat = Contact("wechat", "tc_helper88", "text")
    for seed in range(20):
        text, _ = contact_text(wechat, rng(seed))
        assert text.endswith("tc_helper88")
    assert qr_payload(wechat) == "weixin://contacts/profile/tc_helper88"
    assert qr_payload(Contact("phone", "13812345678", "qr")) == "tel:13812345678"


def test_operators_have_valid_handles() -> None:
    ops = make_operators(rng(), 12, content.BRANDS)
    for op in ops:
        assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in op.phones)
        assert all(re.fullmatch(r"[a-zA-Z][-_a-zA-Z0-9]{5,19}", w) for w in op.wechats)
        assert op.qq is None or re.fullmatch(r"[1-9]\d{7,9}", op.qq)
    all_ids = [w for op in ops for w in op.wechats]
    assert len(all_ids) == len(set(all_ids))


def test_images_render_deterministically_with_text_and_qr() -> None:
    spec = ImageSpec("banner_x.png", "poster", ("逾期停催", "加V: tc_helper88"), "tel:13812345678")
    first, ctype = render(spec)
    assert ctype == "image/png" and render(spec)[0] == first
    with Image.open(io.BytesIO(first)) as img:
        assert img.size == (720, 480) and len(img.getcolors(100000) or []) > 2
    photo, ctype = render(ImageSpec("p.jpg", "photo", ("实拍图",), seed=4))
    assert ctype == "image/jpeg" and photo[:2] == b"\xff\xd8"


def test_some_listing_posters_are_stored_sideways_like_phone_photos() -> None:
    web = generate(7, 1)
    posters = [s for s in web.images.values() if s.kind == "poster" and s.name.startswith("item_")]
    turned = [s for s in posters if sideways(s)]
    assert 0 < len(turned) < len(posters)
    assert not any(sideways(s) for s in web.images.values() if not s.name.startswith("item_"))
    data, ctype = render(turned[0])
    assert ctype == "image/jpeg" and render(turned[0])[0] == data
    drawn = draw_poster(turned[0]).convert("L")
    with Image.open(io.BytesIO(data)) as img:
        assert img.getexif()[0x0112] == 6
        stored = img.convert("L")
        shown = (ImageOps.exif_transpose(img) or img).convert("L")

    def apart(a: Image.Image) -> float:  # mean grey difference from the poster as drawn
        return float(ImageStat.Stat(ImageChops.difference(a, drawn)).mean[0])

    assert apart(shown) < 2 < 10 < apart(stored)  # JPEG noise against a quarter turn


def test_image_only_ads_say_nothing_in_text() -> None:
    web = generate(11, 1)
    triggers = ("停催", "协商", "征信", "退保", "投诉", "加V", "微信")
    for sq in web.search:
        for page in sq.pages:
            for r in page.results:
                if r.truth.image_only:
                    assert not any(t in r.title + r.snippet for t in triggers), r.title
    for item in web.listings.values():
        if item.truth.image_only:
            assert not any(t in item.title + item.desc for t in triggers), item.title


def test_demo_imports_nothing_from_the_project() -> None:
    """demo/ stands for the outside world: no crawler or evidence imports."""
    root = Path(__file__).resolve().parents[1] / "demo"
    pattern = re.compile(r"^\s*(from|import)\s+(crawler|evidence)\b", re.M)
    assert not [p.name for p in root.glob("*.py") if pattern.search(p.read_text("utf-8"))]
