"""Dossiers from a real catalogue and a real evidence store: what each page
says, hostile ad text kept inert, a missing screenshot, a 200-ad dossier, the
PDF a reader gets (Chinese text, attachments, page numbers, signature)."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from crawler.items import AdRecord, Contact, Match
from evidence.index import open_catalogue
from evidence.store import EvidenceStore
from tests.conftest import adwatch, adwatch_here

HOSTILE = "<script>alert(1)</script>{{ 7*7 }}{% if true %}x{% endif %}\u202e款退功成不\x1b[31m"
CAPTION = "停催上岸 加V tc8888。" + "长文案" * 3400  # over 10,000 characters


def png(colour: str = "#c00000", size: tuple[int, int] = (640, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def ad(n: int, **fields: Any) -> AdRecord:
    base: dict[str, Any] = {
        "channel": "video",
        "platform": "demo-douyin",
        "url": f"http://127.0.0.1:9/video/{n}",
        "title": f"逾期先别还，当天停催 {n}",
        "text": "专业团队，百分百包过，加V tc8888",
        "label": "ad",
        "score": 0.9,
        "categories": ["停催"],
        "reasons": [
            "停催 (0.90): 当天停催",
            "ad cues +0.60: promise (百分百); contact (wechat tc8888)",
        ],
        "matches": [Match("停催:当天停催", "当天停催", "title", (6, 10), "text", "当天停催")],
        "contacts": [Contact("wechat", "tc8888", "tc8888", "text", (14, 20))],
        "cluster_id": "op-test",
        "first_seen": f"2026-11-{1 + n % 20:02d}T08:00:00Z",
    }
    base.update(fields)
    return AdRecord(**base)


def seed(data: Path, records: list[AdRecord], screenshot: bool = True) -> None:
    """The records in a catalogue, each with a sealed bundle (and a capture row)."""
    store = EvidenceStore(data / "evidence")
    with open_catalogue(f"sqlite://{data / 'catalogue.db'}") as cat:
        cat.upsert([r.to_dict() for r in records])
        cat.save_operators(
            [
                {
                    "id": "op-test",
                    "ads": [r.id for r in records],
                    "platforms": ["demo-douyin"],
                    "contacts": [{"kind": "wechat", "value": "tc8888"}],
                    "first_seen": records[0].first_seen,
                    "last_seen": records[-1].last_seen,
                    "links": {"contact": len(records) - 1},
                }
            ]
        )
        shot = store.put_blob(png(), "image/png") if screenshot else None
        for r in records:
            arts = {"dom.html": store.put_blob(f"<p>{r.title}</p>".encode(), "text/html")}
            if shot is not None:
                arts["screenshot.png"] = shot
            bundle = store.seal(arts, {"record": r.id, "url": r.url, "facts": {"problems": []}})
            cat.add_capture(
                {
                    "record_id": r.id,
                    "url": r.url,
                    "kind": "capture",
                    "outcome": "page",
                    "status": "live",
                    "bundle_id": bundle.id,
                    "at": "2026-11-25T08:00:00.000000Z",
                }
            )


def dossier(
    data: Path, out: Path, *args: str, unreviewed: bool = True
) -> subprocess.CompletedProcess[str]:
    """`adwatch dossier` in this process; the signed 200-ad PDF below runs the
    installed command in a process of its own.  The records seeded here are
    reviewed by no one: ``unreviewed`` (--unreviewed) lists them as detected."""
    more = ("--unreviewed",) if unreviewed else ()
    return adwatch_here("dossier", "--out", str(out), *args, *more, data_dir=data)


def test_hostile_ad_text_stays_text(tmp_path: Path) -> None:
    records = [ad(1, title=HOSTILE, text=CAPTION), ad(2)]
    seed(tmp_path, records)
    done = dossier(
        tmp_path, tmp_path / "d", "--regulator", "samr", "--cluster", "largest", "--html-only"
    )
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "d" / "dossier.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "{% if true %}" in html  # data, never a template
    assert "\u202e" not in html and "⟨U+202E⟩" in html
    assert "\x1b" not in html and "⟨U+001B⟩" in html
    assert "其余" in html and "visible-text.txt" in html  # the 10,000-character caption is cut
    assert "<mark>当天停催</mark>" in html  # the matched words are marked
    assert "本材料含未经人工复核的自动检测结果" in html  # --unreviewed, and the cover says so
    assert "仅收录经分析人员人工复核确认" not in html


def test_each_regulator_gets_its_own_legal_basis_and_channel(tmp_path: Path) -> None:
    seed(tmp_path, [ad(1), ad(2)])
    wants = {
        "cac": ("网络安全法", "12377"),
        "samr": ("广告法", "12315"),
        "nfra": ("征信业管理条例", "12378"),
    }
    for regulator, (law, channel) in wants.items():
        out = tmp_path / regulator
        done = dossier(
            tmp_path, out, "--regulator", regulator, "--cluster", "op-test", "--html-only"
        )
        assert done.returncode == 0, done.stderr
        html = (out / "dossier.html").read_text(encoding="utf-8")
        assert law in html and channel in html, regulator
        assert "民事诉讼证据" in html and "openssl ts -verify" in html  # the integrity appendix
    samr = (tmp_path / "samr" / "dossier.html").read_text(encoding="utf-8")
    # the 办法's article numbers were never checked against its text: none is cited
    assert not re.search(r"互联网广告管理办法[^<]*</td><td[^>]*>第", samr)


def test_a_missing_screenshot_and_a_record_without_evidence_are_said(tmp_path: Path) -> None:
    records = [ad(1), ad(2)]
    seed(tmp_path, records, screenshot=False)
    with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as cat:
        lone = ad(3)
        cat.upsert([lone.to_dict()])
    out = tmp_path / "d"
    ids = [r.id for r in [*records, lone]]
    args = ["--regulator", "cac", "--html-only"] + [x for i in ids for x in ("--ids", i)]
    done = dossier(tmp_path, out, *args)
    assert done.returncode == 0, done.stderr
    html = (out / "dossier.html").read_text(encoding="utf-8")
    assert html.count("该次采集未能保存截图") == 2
    assert "尚无电子证据包" in html


def test_the_dossier_folder_is_checkable(tmp_path: Path) -> None:
    seed(tmp_path, [ad(1), ad(2), ad(3)])
    out = tmp_path / "d"
    done = dossier(
        tmp_path, out, "--regulator", "samr", "--cluster", "largest", "--html-only", "--zip"
    )
    assert done.returncode == 0, done.stderr
    sums = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, check=False)
    assert sums.returncode == 0
    check = subprocess.run(
        ["python3", "verify.py"], cwd=out / "evidence", capture_output=True, text=True, check=False
    )
    assert check.returncode == 0 and "3 bundles" in check.stdout
    assert (tmp_path / "d.zip").exists() and (out / "核验说明.txt").exists()


def test_refusals_are_clear(tmp_path: Path) -> None:
    seed(tmp_path, [ad(1)])
    done = dossier(tmp_path, tmp_path / "d", "--regulator", "cac", "--cluster", "op-none")
    assert done.returncode == 2 and "no operator 'op-none'" in done.stderr
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    done = dossier(tmp_path, busy, "--regulator", "cac", "--cluster", "largest")
    assert done.returncode == 2 and "not empty" in done.stderr
    assert (busy / "notes.txt").read_text() == "mine"


def test_a_second_dossier_replaces_the_first(tmp_path: Path) -> None:
    seed(tmp_path, [ad(1), ad(2)])
    out = tmp_path / "d"
    for _ in range(2):
        done = dossier(tmp_path, out, "--regulator", "cac", "--cluster", "largest", "--html-only")
        assert done.returncode == 0, done.stderr
    assert json.dumps(sorted(p.name for p in out.iterdir()))


@pytest.mark.slow
def test_a_200_ad_dossier_as_a_signed_pdf(tmp_path: Path, tsa: Any) -> None:
    """The PDF a reader gets: Chinese text that extracts, every page numbered,
    the evidence files attached, signed PAdES B-T and the signature valid."""
    import pikepdf

    from evidence.dossier.sign import make_signing_identity, validate_pdf

    records = [ad(n, platform=("demo-douyin", "demo-xianyu")[n % 2]) for n in range(200)]
    seed(tmp_path, records)
    signer = make_signing_identity(tmp_path / "signer")
    out = tmp_path / "d"
    done = adwatch(
        "dossier",
        "--out",
        str(out),
        "--regulator",
        "samr",
        "--cluster",
        "largest",
        "--sign-key",
        str(signer.key_pem),
        "--sign-cert",
        str(signer.cert_pem),
        "--tsa",
        tsa.url,
        "--zip",
        "--unreviewed",
        data_dir=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "signed PAdES-B-T" in done.stdout
    pdf = out / "dossier.pdf"
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "关于违法互联网广告" in text and "证据 200" in text and "中华人民共和国广告法" in text
    with pikepdf.open(pdf) as doc:
        pages = len(doc.pages)
        names = set(doc.attachments.keys())
    assert pages >= 200 and f"第 {pages} 页 / 共 {pages} 页" in text
    assert len([n for n in names if n.endswith("-manifest.json")]) == 200
    assert "verify.py" in names
    check = validate_pdf(pdf, [signer.ca_pem], [tsa.files.ca_pem])
    assert check.signed and check.intact and check.trusted and check.timestamped, check.problems
    listed = subprocess.run(
        ["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "verify.py" in listed


def test_third_parties_are_masked_everywhere_and_the_advertiser_nowhere(tmp_path: Path) -> None:
    """A borrower's phone and ID in the comments never show (text, contacts,
    reasons, cover); what the advertiser published (its collecting account,
    its name) is the evidence and shows as it is."""
    pitch = "停催上岸，定金转账至农行卡 6228480402564890018（户名李明），加V tc8888"
    comments = ["我是借款人，电话13912345678", "我叫王小明，身份证110101199003074514", "1"]
    record = ad(
        1,
        text=pitch + "\n" + "\n".join(comments),
        extra={"comments": comments},
        contacts=[
            Contact("wechat", "tc8888", "tc8888", "text", (0, 0)),
            Contact("phone", "13912345678", "13912345678", "text", (0, 0)),
        ],
        reasons=["ad cues +0.60: contact (phone 13912345678, wechat tc8888)"],
    )
    seed(tmp_path, [record, ad(2)])
    out = tmp_path / "d"
    done = dossier(tmp_path, out, "--regulator", "samr", "--cluster", "largest")
    assert done.returncode == 0, done.stderr
    html = (out / "dossier.html").read_text(encoding="utf-8")
    text = subprocess.run(
        ["pdftotext", "-raw", str(out / "dossier.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for shown in (html, text):
        assert "13912345678" not in shown and "110101199003074514" not in shown
        assert "王小明" not in shown
        assert "6228480402564890018" in shown and "李明" in shown  # the advertiser's own
        assert "139****5678" in shown
    assert "评论区" in html and "共遮挡" in html


def test_selectors_are_checked(tmp_path: Path) -> None:
    records = [ad(1), ad(2)]
    seed(tmp_path, records)
    with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as cat:
        warning = ad(3, label="clean", title="警惕“全额退保”代理维权骗局")
        cat.upsert([warning.to_dict()])
    done = dossier(tmp_path, tmp_path / "a", "--regulator", "cac", "--ids", warning.id)
    assert done.returncode == 2 and "not labelled ad or suspect" in done.stderr
    done = dossier(
        tmp_path,
        tmp_path / "b",
        "--regulator",
        "cac",
        "--cluster",
        "largest",
        "--ids",
        records[0].id,
    )
    assert done.returncode == 2 and "not both" in done.stderr
    done = dossier(tmp_path, tmp_path / "c", "--regulator", "cac", "--since", "2026/11/01")
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr
    # Beijing time: 2026-11-02 08:00 UTC is 16:00 in Beijing, on or after the 2nd there
    done = dossier(
        tmp_path, tmp_path / "d", "--regulator", "cac", "--since", "2026-11-02", "--html-only"
    )
    assert done.returncode == 0, done.stderr
    assert "2026-11-02（北京时间）以来" in (tmp_path / "d" / "dossier.html").read_text("utf-8")


def test_a_folder_adwatch_did_not_make_is_never_emptied(tmp_path: Path) -> None:
    seed(tmp_path, [ad(1)])
    theirs = tmp_path / "case"
    theirs.mkdir()
    (theirs / "dossier.html").write_text("an analyst's own file")
    (theirs / "notes.docx").write_text("notes")
    done = dossier(tmp_path, theirs, "--regulator", "cac", "--cluster", "largest")
    assert done.returncode == 2 and (theirs / "notes.docx").exists()


def test_odd_records_do_not_stop_a_dossier(tmp_path: Path) -> None:
    odd = ad(1, title="", matches=[Match("停催:停催", "停催", "title", (-3, -1), "text", "停催")])
    seed(tmp_path, [odd, ad(2)])
    with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as cat:
        doc = cat.get(odd.id)
        assert doc is not None
        doc["title"] = None
        doc["matches"] = [dict(doc["matches"][0], span=[None, 4])]
        cat.upsert([doc])
    done = dossier(
        tmp_path, tmp_path / "d", "--regulator", "nfra", "--cluster", "largest", "--html-only"
    )
    assert done.returncode == 0, done.stderr


def test_a_dossier_lists_confirmed_ads_only_and_says_so(tmp_path: Path) -> None:
    from evidence.review import decide

    records = [ad(1), ad(2), ad(3), ad(4)]
    seed(tmp_path, records)
    with open_catalogue(f"sqlite://{tmp_path / 'catalogue.db'}") as cat:
        store = EvidenceStore(tmp_path / "evidence")
        decide(cat, store, records[0].id, "confirmed", "wang")
        decide(cat, store, records[1].id, "rejected", "wang", reason="news")
        decide(cat, store, records[2].id, "unsure", "wang")
        decide(cat, store, records[3].id, "confirmed", "li")
    out = tmp_path / "d"
    args = ("--regulator", "samr", "--cluster", "largest", "--html-only")
    done = dossier(tmp_path, out, *args, unreviewed=False)
    assert done.returncode == 0, done.stderr
    assert "2 exhibits" in done.stdout
    html = (out / "dossier.html").read_text(encoding="utf-8")
    assert "本材料仅收录经分析人员人工复核确认的广告。" in html
    assert "本材料含未经人工复核" not in html
    assert "经人工复核确认 2 则，其余 2 则未列入" in html
    for n, listed in ((1, True), (2, False), (3, False), (4, True)):
        assert (f"http://127.0.0.1:9/video/{n}<" in html) is listed, n
    # the same selection, unreviewed: all four, and the caution on the cover
    done = dossier(tmp_path, tmp_path / "all", *args)
    assert done.returncode == 0 and "4 exhibits" in done.stdout, done.stderr
    assert "本材料含未经人工复核的自动检测结果" in (tmp_path / "all" / "dossier.html").read_text(
        encoding="utf-8"
    )


def test_no_confirmed_ad_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    seed(tmp_path, [ad(1), ad(2), ad(3)])
    out = tmp_path / "d"
    done = dossier(tmp_path, out, "--regulator", "cac", "--cluster", "largest", unreviewed=False)
    assert done.returncode == 2
    assert "3 ads match, but no analyst has confirmed any of them" in done.stderr
    assert "adwatch web" in done.stderr and "adwatch review" in done.stderr
    assert "--unreviewed" in done.stderr and not (out / "dossier.html").exists()
    done = dossier(tmp_path, out, "--regulator", "cac", "--platform", "nowhere", unreviewed=False)
    assert done.returncode == 2 and "no records match the selection" in done.stderr
