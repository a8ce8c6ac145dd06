"""A dossier's pages as an official reads them, checked from the PDF itself:
where poppler finds each word on the page, not what the HTML meant.

The exhibit index once printed its capture times ("2026-12-08 06:24:20 北京时间",
kept on one line) across the status column; that is checked here from the
words' boxes (``pdftotext -bbox``): every word of the index lies inside its
column.  The capture's own notes, written in English into the bundle, reach
the page in Chinese; the SAMR title breaks between phrases, not inside 举报.
Real catalogue (SQLite), real evidence store, real WeasyPrint and poppler."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from crawler.items import AdRecord, Contact, Match
from evidence.dossier.build import Selection, build
from evidence.dossier.pdf import write_pdf
from evidence.dossier.render import legal, render
from evidence.dossier.wording import ORIGINAL, capture_note_zh
from evidence.index import open_catalogue
from evidence.store import EvidenceStore

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")

LOAD_PROBLEM = (
    "the load event did not fire within 8 s (a sub-resource never finished); "
    "captured what had loaded"
)
PLATFORMS = ("demo-douyin", "demo-xianyu", "demo-baidu")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 500), "#c00000").save(out, "PNG")
    return out.getvalue()


def ad(n: int) -> AdRecord:
    title = f"负债38万，被催收爆通讯录的时候我真的想过放弃。当天停催，百分百包过 {n}"
    at = title.index("当天停催")
    return AdRecord(
        channel="video",
        platform=PLATFORMS[n % 3],
        url=f"http://127.0.0.1:9/video/{n}",
        title=title,
        text="专业团队，加V tc8888",
        label="ad",
        score=0.9,
        categories=["停催"],
        reasons=["停催 (0.90): 当天停催"],
        matches=[Match("停催:当天停催", "当天停催", "title", (at, at + 4), "text", "当天停催")],
        contacts=[Contact("wechat", "tc8888", "tc8888", "text", (8, 14))],
        cluster_id="op-layout",
        first_seen=f"2026-11-{1 + n:02d}T08:00:00Z",
    )


def seed(data: Path, count: int) -> None:
    """``count`` ads of one operator, each sealed and confirmed by an analyst
    (so the dossier lists them whether or not it takes confirmed ads only);
    the first with a capture problem, the second taken down at a re-check."""
    records = [ad(n) for n in range(count)]
    store = EvidenceStore(data / "evidence")
    with open_catalogue(f"sqlite://{data / 'catalogue.db'}") as cat:
        cat.upsert([r.to_dict() for r in records])
        cat.save_operators(
            [
                {
                    "id": "op-layout",
                    "ads": [r.id for r in records],
                    "platforms": list(PLATFORMS),
                    "contacts": [{"kind": "wechat", "value": "tc8888"}],
                    "first_seen": records[0].first_seen,
                    "last_seen": records[-1].last_seen,
                    "links": {"contact": count - 1},
                }
            ]
        )
        shot = store.put_blob(png(), "image/png")
        for n, r in enumerate(records):
            problems = [LOAD_PROBLEM] if n == 0 else []
            bundle = store.seal(
                {"screenshot.png": shot},
                {"record": r.id, "url": r.url, "facts": {"problems": problems}},
                captured_at=f"2026-11-25T0{n % 10}:1{n % 6}:3{n % 10}.000000Z",
            )
            for kind, status in [("capture", "live")] + [("recheck", "gone")] * (n == 1):
                cat.add_capture(
                    {
                        "record_id": r.id,
                        "url": r.url,
                        "kind": kind,
                        "outcome": "page" if status == "live" else "gone",
                        "status": status,
                        "bundle_id": bundle.id,
                        "at": f"2026-11-2{5 + (kind == 'recheck')}T08:00:00.000000Z",
                    }
                )
            cat.add_review(
                {
                    "id": f"review-{n}",
                    "record_id": r.id,
                    "decision": "confirmed",
                    "reason": "",
                    "note": "",
                    "reviewer": "tester",
                    "at": "2026-11-26T09:00:00Z",
                    "bundle_id": bundle.id,
                    "ledger_seq": 0,
                }
            )


def make_pdf(data: Path, regulator: str, out: Path) -> Path:
    """The dossier as ``adwatch dossier`` prints it: build, render, WeasyPrint."""
    with open_catalogue(f"sqlite://{data / 'catalogue.db'}") as cat:
        dossier = build(
            cat,
            EvidenceStore(data / "evidence", readonly=True),
            Selection(cluster="op-layout"),
            regulator,
            out / "assets",
        )
    page = render(dossier, out)
    subject = str(legal()["regulators"][regulator]["subject"])
    write_pdf(page, out / "dossier.pdf", title=subject, subject=dossier.selection)
    return out / "dossier.pdf"


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def pages(pdf: Path) -> list[tuple[float, list[Word]]]:
    """Each page's width and its words with their boxes (points, y down)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found = []
    for width, _height, body in _PAGE.findall(out):
        words = [
            Word(html.unescape(t), float(a), float(b), float(c), float(d))
            for a, b, c, d, t in _WORD.findall(body)
        ]
        found.append((float(width), words))
    return found


def index_overflows(pdf: Path) -> tuple[list[str], dict[str, int]]:
    """Words of the exhibit index that run past their column into the next
    (or past the page's text area), and how many words each column held.

    A column starts where its header word starts (the header row is the line
    holding 编号); a word belongs to the last column starting at or before it,
    and must end before the next column's header word starts, less the cell
    padding it would otherwise be printed over."""
    overflows: list[str] = []
    held: dict[str, int] = {}
    for number, (width, words) in enumerate(pages(pdf), 1):
        first = next((w for w in words if w.text == "编号"), None)
        if first is None:
            continue
        header = sorted(
            (w for w in words if abs(w.y0 - first.y0) < 1 and w.x0 >= first.x0 - 1),
            key=lambda w: w.x0,
        )
        if not any(w.text.startswith("状态") for w in header):
            continue  # 编号 elsewhere, not the index's header row
        footer = max(w.y0 for w in words)  # the page number, the lowest line
        body = [w for w in words if w.y0 > first.y1 and w.y0 < footer - 1]
        lefts = [h.x0 for h in header]
        for w in body:
            if w.x0 < lefts[0] - 1:
                continue
            col = max(i for i, left in enumerate(lefts) if left <= w.x0 + 1)
            limit = lefts[col + 1] - 3 if col + 1 < len(lefts) else width - 45
            held[header[col].text] = held.get(header[col].text, 0) + 1
            if w.x1 > limit:
                overflows.append(
                    f"page {number}: {w.text!r} in column {header[col].text!r} ends at "
                    f"{w.x1:.1f} pt, past {limit:.1f} pt"
                )
    return overflows, held


@pytest.fixture(scope="module")
def samr_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    seed(data, 8)
    return make_pdf(data, "samr", tmp_path_factory.mktemp("samr"))


@needs_poppler
def test_every_word_of_the_exhibit_index_stays_in_its_column(samr_pdf: Path) -> None:
    overflows, held = index_overflows(samr_pdf)
    assert not overflows, "\n".join(overflows)
    times = [n for name, n in held.items() if name.startswith("采集时间")]
    statuses = [n for name, n in held.items() if name.startswith("状态")]
    # each of the 8 rows put its capture time and its status where they were looked for
    assert times and times[0] >= 8 and statuses and statuses[0] >= 8, held


@needs_poppler
def test_the_overflow_check_sees_a_time_printed_over_the_status(
    samr_pdf: Path, tmp_path: Path
) -> None:
    """The check above, on the index as it was printed before: the capture
    time on one line in a column too narrow for it."""
    templates = tmp_path / "templates"
    shutil.copytree(Path(__file__).resolve().parents[1] / "templates", templates)
    index = templates / "partials" / "index.html"
    index.write_text(
        re.sub(
            r"<td>\{% if at \| length >= 2 %\}.*?\{% endif %\}</td>",
            '<td class="nowrap">{{ e.captured.beijing }}</td>',
            index.read_text("utf-8"),
        ),
        "utf-8",
    )
    assert "{{ e.captured.beijing }}" in index.read_text("utf-8")
    data = tmp_path / "data"
    seed(data, 3)
    out = tmp_path / "old"
    with open_catalogue(f"sqlite://{data / 'catalogue.db'}") as cat:
        dossier = build(
            cat,
            EvidenceStore(data / "evidence", readonly=True),
            Selection(cluster="op-layout"),
            "cac",
            out / "assets",
        )
    page = render(dossier, out, templates)
    write_pdf(page, out / "dossier.pdf", title="old index")
    overflows, _held = index_overflows(out / "dossier.pdf")
    assert any("in column '采集时间'" in line for line in overflows), overflows


@needs_poppler
def test_capture_notes_and_the_title_read_as_chinese(samr_pdf: Path) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", str(samr_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "采集记录：页面在 8 秒内未完成加载" in text
    assert "load event" not in text
    # the long SAMR title breaks after its closing bracket, never inside 举报
    assert re.search(r"的举报材料", text) and not re.search(r"举\s*\n\s*报材料", text)
    # the re-checked ad's status and date, each in the index
    assert "已下架" in text and "复查于 2026-11-26" in text


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (LOAD_PROBLEM, "页面在 8 秒内未完成加载（有资源始终未加载完），已采集当时已加载的内容"),
        (
            "none of the record's contacts or title is in the page's text (the pitch may be "
            "only in pictures): look before relying on it",
            "页面文字中未见检测记录所列的联系方式或标题（宣传内容可能仅见于图片），请对照截图核对",
        ),
        ("some pictures were still loading after 2.5 s more", "再等待 2.5 秒后仍有图片未加载完"),
        ("page is 90000 px tall; screenshots keep the top 20000 px", "页面高 90000 像素"),
        ("screenshot from 4000 px not taken: Target closed", "自 4000 像素处起的截图未能取得"),
        ("MHTML snapshot not taken: the page held it past 30 s", "MHTML 快照未能取得"),
        (
            "refused by the address policy: http://10.0.0.1/: private address",
            "按网络访问策略拒绝访问：http://10.0.0.1/: private address",
        ),
        ("HTTP 403, but the page shows the ad's own words ('停催')", "HTTP 403，但网页仍显示"),
        ("尚未采集证据（adwatch capture）", "尚未采集证据（adwatch capture）"),
        ("HTTP 404", "HTTP 404"),
        (
            "no page: net::ERR_CONNECTION_REFUSED；HTTP 404",
            "未能打开网页：net::ERR_CONNECTION_REFUSED；HTTP 404",
        ),
    ],
)
def test_capture_notes_in_chinese(english: str, chinese: str) -> None:
    said = capture_note_zh(english)
    assert said.startswith(chinese), said
    assert ORIGINAL not in said


def test_an_unknown_capture_note_is_shown_as_written_and_marked() -> None:
    said = capture_note_zh("the moon was <b>full</b>")
    assert said == ORIGINAL + "the moon was <b>full</b>"  # escaped where it is printed
