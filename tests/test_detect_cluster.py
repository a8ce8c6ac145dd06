"""Linking ads to operators: shared contacts and near-identical templates."""

from crawler.items import AdRecord
from crawler.reading.detect import detect
from crawler.reading.detect.cluster import link, relink, similarity, template_hash, template_text
from crawler.reading.detect.normalize import normalize
from evidence.index import open_catalogue

CAPTION = (
    "网贷逾期别慌，专业团队一对一协商，停息挂账最长60期，当天停催不成功退款，"
    "已帮上千人成功上岸，名额有限先到先得"
)


def record(n: int, text: str, seen: str = "2026-11-01T00:00:00+00:00") -> AdRecord:
    r = AdRecord(
        channel="video",
        platform="demo-douyin" if n % 2 else "demo-xianyu",
        url=f"http://127.0.0.1/video/{n}",
        text=text,
        fetched_at=seen,
    )
    detect(r)
    return r


def test_template_ignores_contacts_and_numbers() -> None:
    a = template_text(normalize(CAPTION + " 加V abc_1234 电话13800138000").text)
    b = template_text(normalize(CAPTION + " 加V xyz_9876 电话13900139000").text)
    assert a == b


def test_near_identical_texts_have_similar_template_hashes() -> None:
    a = template_hash(normalize(CAPTION).text)
    b = template_hash(normalize(CAPTION.replace("上千人", "上万人")).text)
    c = template_hash(
        normalize("今天教大家做红烧肉，五花肉切块焯水，冰糖炒糖色，小火慢炖一个小时").text
    )
    assert len(a) == 256
    assert similarity(a, b) >= 0.8 > 0.3 > similarity(a, c)
    assert template_hash(normalize("停催免息").text) == ""  # slogans are too short


def test_ads_sharing_a_contact_in_any_writing_link() -> None:
    ads = [
        record(1, "当天停催，电话13800138000"),
        record(2, "征信修复包过，联系 一三八 零零一三 八零零零"),
        record(3, "全额退保，微信同号13800138000"),
        record(4, "代理投诉，加V other_777"),
    ]
    ops = link(r.to_dict() for r in ads)
    assert [len(o.ads) for o in ops] == [3, 1]
    assert ops[0].links == {"contact": 2}
    assert set(ops[0].platforms) == {"demo-douyin", "demo-xianyu"}


def test_ads_sharing_a_template_link() -> None:
    ads = [
        record(1, CAPTION + " 加V abc_1234"),
        record(2, CAPTION.replace("上千人", "上万人") + " 加V xyz_9876"),
        record(3, "专业征信修复，逾期记录消除，百分百成功，加V solo_555"),
    ]
    ops = link(r.to_dict() for r in ads)
    assert [len(o.ads) for o in ops] == [2, 1]
    assert ops[0].links == {"template": 1}


def test_cluster_id_is_stable_as_the_cluster_grows() -> None:
    first = record(1, "当天停催，电话13800138000", seen="2026-11-01T00:00:00+00:00")
    later = record(2, "征信修复，电话13800138000", seen="2026-11-05T00:00:00+00:00")
    [alone] = link([first.to_dict()])
    [grown] = link([later.to_dict(), first.to_dict()])
    assert alone.id == grown.id
    assert (grown.first_seen, grown.last_seen) == (first.first_seen, later.last_seen)


def test_relink_stores_operators_and_cluster_ids() -> None:
    with open_catalogue("sqlite://:memory:") as cat:
        ads = [record(1, "当天停催，电话13800138000"), record(2, "征信修复，电话13800138000")]
        ads.append(record(3, "红烧肉的家常做法"))
        cat.upsert(r.to_dict() for r in ads)
        ops = relink(cat)
        big = ops[0]
        assert len(big.ads) == 2
        assert cat.get(ads[0].id)["cluster_id"] == big.id == cat.get(ads[1].id)["cluster_id"]
        assert cat.get(ads[2].id)["cluster_id"] == ""  # clean records are in no cluster
        [listed] = cat.operators(min_ads=2)
        assert listed["id"] == big.id and listed["ad_count"] == 2
        # a record that stops sharing the contact leaves the cluster on the next relink
        ads[1].text = "征信修复，电话13900139000"
        detect(ads[1])
        cat.upsert([ads[1].to_dict()])
        relink(cat)
        assert cat.operators(min_ads=2) == []
