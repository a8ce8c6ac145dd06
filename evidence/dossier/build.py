"""What a dossier says: records selected from the catalogue, each with its
evidence bundle, shaped for the templates.

Everything here is data for ``render``; nothing is HTML.  Ad text stays raw
text, cut into segments (matched words marked) that the templates escape.
Pictures are copied into the dossier's own ``assets/`` (masked copies when a
redactor is given); the sealed originals in the store are never touched.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from evidence.index import Catalogue
from evidence.store import EvidenceStore

BEIJING = timezone(timedelta(hours=8))
MAX_SHOWN = 600  # characters of one ad text shown on its page (all of it is in the bundle)
FIELD_NAMES = {"title": "标题", "text": "正文", "author": "账号名称"}
STATUS_NAMES = {"live": "仍在线", "changed": "仍在线（内容已变化）", "gone": "已下架"}
CHANNEL_NAMES = {"search": "搜索引擎", "video": "短视频平台", "market": "二手交易平台"}


class Redactor(Protocol):
    """Masks third parties' personal data in what the dossier shows (the
    crawler side implements it: it knows which contacts are the advertiser's)."""

    def text(self, record: dict[str, Any], field: str, text: str) -> tuple[str, list[str]]:
        """The text as shown, and lines saying what was masked and why."""
        ...

    def picture(self, data: bytes, where: str, record: dict[str, Any]) -> tuple[bytes, list[str]]:
        """The picture as shown (PNG or JPEG bytes), and what was masked."""
        ...

    def hidden(self, record: dict[str, Any]) -> set[str]:
        """Third parties' contacts in the record (as written and normalised):
        never listed among the ad's contacts or quoted in its reasons."""
        ...


@dataclass
class Selection:
    """Which records a dossier is about (the CLI's selectors)."""

    cluster: str = ""  # an operator id, or "largest"
    platform: str = ""
    since: str = ""
    ids: Sequence[str] = ()
    labels: tuple[str, ...] = ("ad",)
    limit: int = 500
    # Only ads an analyst confirmed (evidence.review): the detector alone is
    # not right often enough for what reaches an official.
    confirmed_only: bool = True


@dataclass
class Segment:
    text: str
    hit: bool = False


@dataclass
class FieldView:
    name: str  # as the reader knows it: 标题, 正文, 图片文字…
    segments: list[Segment]
    cut: int = 0  # characters not shown


@dataclass
class Exhibit:
    number: int
    record: dict[str, Any]
    platform: str
    channel: str
    url: str
    account: str
    fields: list[FieldView]
    categories: list[str]
    reasons: list[str]
    contacts: list[dict[str, str]]
    price: str
    first_seen: dict[str, str]
    last_seen: dict[str, str]
    bundle_id: str = ""
    captured: dict[str, str] = field(default_factory=lambda: {"utc": "", "beijing": ""})
    screenshot: str = ""  # path relative to the dossier folder
    screenshot_note: str = ""
    pictures: list[str] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    timestamp: dict[str, str] = field(default_factory=dict)
    status: str = ""
    recheck: dict[str, Any] = field(default_factory=dict)
    masked: list[str] = field(default_factory=list)  # what was masked in the text shown
    picture_masked: list[str] = field(default_factory=list)  # ... in the screenshot shown
    problems: list[str] = field(default_factory=list)
    missing: str = ""  # why there is no evidence bundle, when there is none


@dataclass
class Dossier:
    regulator: str
    generated: dict[str, str]
    selection: str
    exhibits: list[Exhibit]
    operator: dict[str, Any]
    summary: dict[str, Any]
    ledger: list[str]
    bundles: list[str]
    tsa: dict[str, str]
    masked: bool  # third parties' data was looked for
    masked_count: int = 0  # ...and this many times masked
    ledger_cut: int = 0  # ledger lines not shown in the excerpt
    heads: int = 0  # time-stamped ledger heads in the store
    confirmed_only: bool = True  # every exhibit confirmed by an analyst (the cover says which)


def when(value: str | datetime | None) -> dict[str, str]:
    """An instant as a dossier prints it: UTC and Beijing time ("" parts if unknown)."""
    if not value:
        return {"utc": "", "beijing": ""}
    try:
        at = value if isinstance(value, datetime) else _parse(str(value))
    except ValueError:
        return {"utc": str(value), "beijing": ""}
    return {
        "utc": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "beijing": at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S 北京时间"),
    }


def _parse(text: str) -> datetime:
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def since_utc(text: str) -> datetime:
    """A --since value: a date (the start of that day in Beijing time, as the
    dossier speaks it) or a date and time (Beijing time unless it says
    otherwise).  ValueError for anything else."""
    value = text.strip()
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since {text!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=BEIJING)
    return at.astimezone(UTC)


def select(
    catalogue: Catalogue, selection: Selection
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """The records (oldest first), the operator they belong to (if one), and
    a note when the selection was cut or filtered, for the cover to say.
    With ``confirmed_only``, records no analyst confirmed are left out (an
    empty list when none was)."""
    if selection.cluster and selection.ids:
        raise ValueError("give --cluster or --ids, not both")
    since = since_utc(selection.since) if selection.since else None
    operator: dict[str, Any] = {}
    if selection.cluster:
        ops = catalogue.operators(limit=100_000)
        if selection.cluster == "largest":
            operator = ops[0] if ops else {}
        else:
            operator = next((o for o in ops if o.get("id") == selection.cluster), {})
        if not operator:
            raise LookupError(f"no operator {selection.cluster!r} in the catalogue")
        records = [r for r in (catalogue.get(i) for i in operator.get("ads") or []) if r]
    elif selection.ids:
        found = {i: catalogue.get(i) for i in dict.fromkeys(selection.ids)}
        unknown = sorted(i for i, r in found.items() if r is None)
        if unknown:
            raise LookupError(f"no record {', '.join(unknown)} in the catalogue")
        records = [r for r in found.values() if r]
        wrong = [str(r["id"]) for r in records if r.get("label") not in ("ad", "suspect")]
        if wrong:
            raise LookupError(
                f"record {', '.join(wrong)} is not labelled ad or suspect; "
                "a dossier of illegal ads does not list it"
            )
    else:
        records = []
        for label in selection.labels:
            records += catalogue.search(label=label, limit=100_000).hits
    before = len(records)
    if selection.platform:
        records = [r for r in records if r.get("platform") == selection.platform]
    if since is not None:
        records = [r for r in records if _seen_since(r, since)]
    if not selection.ids:
        records = [r for r in records if r.get("label") in selection.labels]
    matched = len(records)
    if selection.confirmed_only:
        records = [r for r in records if r.get("review") == "confirmed"]
    records.sort(key=lambda r: (str(r.get("first_seen", "")), str(r.get("id"))))
    notes = []
    if matched < before and (selection.platform or since):
        notes.append(f"按条件筛选后为 {matched} 则（原 {before} 则）")
    if len(records) < matched:
        notes.append(f"经人工复核确认 {len(records)} 则，其余 {matched - len(records)} 则未列入")
    if len(records) > selection.limit:
        notes.append(f"共 {len(records)} 则，本材料列出最早发现的 {selection.limit} 则")
    return records[: selection.limit], operator, "；".join(notes)


def _seen_since(record: dict[str, Any], since: datetime) -> bool:
    try:
        return _parse(str(record.get("last_seen", ""))) >= since
    except ValueError:
        return False


def segments(text: str, spans: Iterable[tuple[int, int]]) -> list[Segment]:
    """``text`` cut at the matched spans (overlaps merged), hits marked."""
    merged: list[list[int]] = []
    clamped = ((max(0, s), min(len(text), e)) for s, e in spans)
    for start, end in sorted((s, e) for s, e in clamped if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[Segment] = []
    pos = 0
    for start, end in merged:
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], True))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def field_views(
    record: dict[str, Any], redactor: Redactor | None
) -> tuple[list[FieldView], list[str]]:
    """Title, text, account name and the text read in each picture, with the
    matched words marked; masked where a redactor says so."""
    texts: dict[str, tuple[str, str]] = {
        name: (label, str(_field_text(record, name))) for name, label in FIELD_NAMES.items()
    }
    for n, image in enumerate(record.get("images") or [], 1):
        ocr = image.get("ocr") or {}
        tag = (image.get("sha256") or image.get("url") or "")[:12]
        if ocr.get("text"):
            texts[f"image:{tag}"] = (f"图片{n}中的文字", str(ocr["text"]))
    spans: dict[str, list[tuple[int, int]]] = {}
    for m in record.get("matches") or []:
        start, end = [*(m.get("span") or (0, 0)), 0, 0][:2]
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
            spans.setdefault(str(m.get("field")), []).append((start, end))
    views: list[FieldView] = []
    masked: list[str] = []
    for name, (label, text) in texts.items():
        if not text.strip():
            continue
        shown_spans = spans.get(name, [])
        if redactor is not None:
            redacted, said = redactor.text(record, name, text)
            if said:
                masked += said
                # masking may shift text; mark the words again where they still stand
                shown_spans = _find_again(redacted, text, shown_spans)
                text = redacted
        cut = max(0, len(text) - MAX_SHOWN) if name == "text" else 0
        shown = text[:MAX_SHOWN] if name == "text" else text[: MAX_SHOWN * 4]
        views.append(FieldView(label, segments(shown, shown_spans), cut))
    return views, masked


def _field_text(record: dict[str, Any], name: str) -> str:
    if name == "author":
        return str((record.get("author") or {}).get("name") or "")
    return str(record.get(name) or "")


_REASON_WORDS = {
    "several categories": "涉及多个类别",
    "look-alike cues": "非广告特征",
    "ad cues": "广告特征",
    "the pitch is only in the images": "宣传内容仅见于图片",
    "call to action": "引导联系",
    "disguised spelling": "变形写法",
    "sponsored result": "付费推广结果",
    "scaled by": "按类别证据强度折算",
    "promise": "效果承诺",
    "offer": "招揽",
    "price": "价格",
    "contact": "联系方式",
    "phone": "电话",
    "wechat": "微信",
    "qq": "QQ",
    "url": "网址",
    "image": "图片",
    "for": "即",
}
_REASON_WORD = re.compile(
    r"\b(" + "|".join(re.escape(w) for w in sorted(_REASON_WORDS, key=len, reverse=True)) + r")\b"
)
_STRENGTH = re.compile(r"^(\S+) \((\d\.\d\d)\): ")


def reason_zh(reason: str) -> str:
    """The detector's reason as a Chinese reader meets it: its few English
    words translated (the matched ad words are left as they are)."""
    reason = _STRENGTH.sub(lambda m: f"{m.group(1)}（强度 {m.group(2)}）：", reason)
    return _REASON_WORD.sub(lambda m: _REASON_WORDS[m.group(1)], reason)


def _scrub(text: str, hidden: set[str]) -> str:
    """``text`` without third parties' contacts (longest first, so a
    normalised number inside a written one goes too)."""
    for value in sorted((v for v in hidden if len(v) >= 5), key=len, reverse=True):
        text = text.replace(value, "[已遮挡]")
    return text


def _find_again(new: str, old: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    found = []
    for start, end in spans:
        word = old[start:end]
        at = new.find(word) if word else -1
        if at >= 0:
            found.append((at, at + len(word)))
    return found


def build(
    catalogue: Catalogue,
    store: EvidenceStore | None,
    selection: Selection,
    regulator: str,
    assets: Path,
    redactor: Redactor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Dossier:
    """Everything the templates need, and the dossier's pictures in ``assets``."""
    records, operator, note = select(catalogue, selection)
    if not records:
        raise LookupError("no records match the selection")
    assets.mkdir(parents=True, exist_ok=True)
    # exhibits in two threads: most of an exhibit's time is in OpenCV and
    # Pillow, which let go of the GIL (the catalogue and store are thread-safe)
    done = 0

    def one(item: tuple[int, dict[str, Any]]) -> Exhibit:
        nonlocal done
        exhibit = _exhibit(item[0], item[1], catalogue, store, assets, redactor)
        done += 1
        if progress is not None:
            progress(done, len(records))
        return exhibit

    if redactor is not None:
        # OpenCV is imported here, in one thread, before two exhibit threads
        # could both import it (its loader swaps itself in sys.modules: the
        # second import saw "'cv2' is not a package")
        import cv2
        import cv2.data  # noqa: F401
    with ThreadPoolExecutor(max_workers=2) as pool:
        exhibits = list(pool.map(one, enumerate(records, 1)))
    bundles = [e.bundle_id for e in exhibits if e.bundle_id]
    ledger, cut = _ledger_excerpt(store, bundles)
    return Dossier(
        regulator=regulator,
        generated=when(datetime.now(UTC)),
        selection=_describe(selection, operator, note),
        exhibits=exhibits,
        operator=_operator(operator, exhibits),
        summary=_summary(exhibits),
        ledger=ledger,
        bundles=bundles,
        tsa=_tsa(store, bundles),
        masked=redactor is not None,
        masked_count=sum(len(e.masked) + len(e.picture_masked) for e in exhibits),
        ledger_cut=cut,
        heads=sum(1 for line in store.ledger() if "head" in line) if store is not None else 0,
        confirmed_only=selection.confirmed_only,
    )


def _exhibit(
    n: int,
    record: dict[str, Any],
    catalogue: Catalogue,
    store: EvidenceStore | None,
    assets: Path,
    redactor: Redactor | None,
) -> Exhibit:
    fields, masked = field_views(record, redactor)
    author = record.get("author") or {}
    hidden = redactor.hidden(record) if redactor is not None else set()
    exhibit = Exhibit(
        number=n,
        record=record,
        platform=str(record.get("platform", "")),
        channel=CHANNEL_NAMES.get(str(record.get("channel")), str(record.get("channel", ""))),
        url=str(record.get("url", "")),
        account=" / ".join(str(v) for v in (author.get("name"), author.get("id")) if v),
        fields=fields,
        categories=list(record.get("categories") or []),
        reasons=[_scrub(reason_zh(str(r)), hidden) for r in record.get("reasons") or []],
        contacts=[
            {"kind": str(c.get("kind")), "value": str(c.get("value"))}
            for c in record.get("contacts") or []
            if not {str(c.get("value")), str(c.get("normalized"))} & hidden
        ],
        price=str(record.get("price", "")),
        first_seen=when(record.get("first_seen")),
        last_seen=when(record.get("last_seen")),
        status=STATUS_NAMES.get(str(record.get("status")), str(record.get("status", ""))),
        masked=masked,
    )
    captures = catalogue.captures(str(record.get("id")))
    sealed = [c for c in captures if c.get("bundle_id")]
    first = next((c for c in reversed(sealed) if c.get("kind") == "capture"), None)
    first = first or (sealed[-1] if sealed else None)
    if first is None or store is None:
        tried = [str(c.get("reason") or c.get("outcome")) for c in captures]
        exhibit.missing = "；".join(tried[:3]) or "尚未采集证据（adwatch capture）"
        return exhibit
    _attach_bundle(exhibit, store, str(first["bundle_id"]), assets, redactor)
    recheck = next((c for c in sealed if c.get("kind") == "recheck"), None)
    if recheck is not None:
        exhibit.recheck = {
            "at": when(recheck.get("at")),
            "status": STATUS_NAMES.get(str(recheck.get("status")), str(recheck.get("status"))),
            "bundle_id": str(recheck.get("bundle_id")),
        }
    return exhibit


def _attach_bundle(
    exhibit: Exhibit,
    store: EvidenceStore,
    bundle_id: str,
    assets: Path,
    redactor: Redactor | None,
) -> None:
    exhibit.bundle_id = bundle_id
    try:
        manifest = store.manifest(bundle_id)
    except (OSError, ValueError) as exc:
        exhibit.screenshot_note = f"证据包清单无法读取：{exc}"
        return
    about = manifest.get("about") or {}
    exhibit.captured = when(manifest.get("captured_at"))
    exhibit.problems = [str(p) for p in (about.get("facts") or {}).get("problems") or []][:6]
    arts = manifest.get("artifacts") or {}
    exhibit.artifacts = [
        {"name": name, "sha256": a.get("sha256", ""), "size": a.get("size", 0)}
        for name, a in sorted(arts.items())
    ]
    stamp = store.stamp(bundle_id)
    if stamp:
        exhibit.timestamp = {
            "gen_time": str(stamp.get("gen_time", "")),
            "tsa": str(stamp.get("tsa")),
        }
        exhibit.timestamp |= {f"gen_{k}": v for k, v in when(stamp.get("gen_time")).items()}
    shot = arts.get("screenshot.png") or arts.get("screenshot-1.png")
    if not shot:
        exhibit.screenshot_note = "该次采集未能保存截图（见证据包内其他文件）"
        return
    try:
        data = store.blob_path(str(shot["sha256"])).read_bytes()
    except OSError:
        exhibit.screenshot_note = "截图文件缺失（证据包校验将报告此问题）"
        return
    if hashlib.sha256(data).hexdigest() != shot["sha256"]:
        exhibit.screenshot_note = "截图文件与封存时的哈希值不符，未予展示"
        return
    try:
        shown = display_copy(data)
    except OSError as exc:  # Pillow's "cannot identify image" is an OSError too
        exhibit.screenshot_note = f"截图无法显示：{exc}"
        return
    if redactor is not None:
        # what is shown is what is checked: faces and third parties' numbers
        # are looked for in the display copy (a third of the pixels to search)
        try:
            shown, said = redactor.picture(shown, "截图", exhibit.record)
        except ValueError as exc:  # a picture that could not be checked is not shown
            exhibit.screenshot_note = str(getattr(exc, "note", "") or f"截图未能检查：{exc}")
            return
        exhibit.picture_masked += said
    name = f"exhibit-{exhibit.number:03d}.jpg"
    (assets / name).write_bytes(shown)
    exhibit.screenshot = f"assets/{name}"


DISPLAY_WIDTH = 800  # pixels: 3.5 mm tall characters for 16-px text across an A4 page


def display_copy(data: bytes) -> bytes:
    """The screenshot as the dossier shows it: at most DISPLAY_WIDTH wide, as
    JPEG (a PDF carries a JPEG as it is; a PNG is decoded and re-compressed,
    which took a quarter of the PDF time).  The original stays in the bundle."""
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        shown = img.convert("RGB")
    if shown.width > DISPLAY_WIDTH:
        height = round(shown.height * DISPLAY_WIDTH / shown.width)
        shown = shown.resize((DISPLAY_WIDTH, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    shown.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _operator(operator: dict[str, Any], exhibits: list[Exhibit]) -> dict[str, Any]:
    if not operator:
        return {}
    days: dict[str, list[Exhibit]] = {}
    for e in exhibits:
        days.setdefault(e.first_seen.get("beijing", "")[:10] or "?", []).append(e)
    most = max((len(v) for v in days.values()), default=1)
    timeline = [
        {
            "day": day,
            "count": len(group),
            "bar": round(100 * len(group) / most),
            "platforms": Counter(e.platform for e in group).most_common(),
            "numbers": [e.number for e in group],
        }
        for day, group in sorted(days.items())
    ]
    carriers = []
    for c in operator.get("contacts") or []:
        value = str(c.get("value", ""))
        numbers = [
            e.number
            for e in exhibits
            if any(
                str(x.get("normalized") or x.get("value")) == value
                for x in e.record.get("contacts") or []
            )
        ]
        carriers.append(
            {
                "kind": KIND_NAMES.get(str(c.get("kind")), c.get("kind")),
                "value": value,
                "numbers": numbers,
            }
        )
    return {
        "id": operator.get("id", ""),
        "carriers": carriers,
        "ad_count": operator.get("ad_count", len(exhibits)),
        "platforms": operator.get("platforms") or [],
        "contacts": operator.get("contacts") or [],
        "links": operator.get("links") or {},
        "first_seen": when(operator.get("first_seen")),
        "last_seen": when(operator.get("last_seen")),
        "timeline": timeline,
    }


def _summary(exhibits: list[Exhibit]) -> dict[str, Any]:
    firsts = sorted(e.first_seen["beijing"] for e in exhibits if e.first_seen["beijing"])
    lasts = sorted(e.last_seen["beijing"] for e in exhibits if e.last_seen["beijing"])
    return {
        "ads": len(exhibits),
        "with_evidence": sum(1 for e in exhibits if e.bundle_id),
        "platforms": Counter(e.platform for e in exhibits).most_common(),
        "channels": Counter(e.channel for e in exhibits).most_common(),
        "categories": Counter(c for e in exhibits for c in e.categories[:1]).most_common(),
        "first_seen": firsts[0] if firsts else "",
        "last_seen": lasts[-1] if lasts else "",
        "gone": sum(1 for e in exhibits if e.record.get("status") == "gone"),
        "contacts": _contacts(exhibits),
    }


KIND_NAMES = {"phone": "电话", "wechat": "微信", "qq": "QQ", "url": "网址"}


def _contacts(exhibits: list[Exhibit]) -> list[str]:
    """The ads' own contacts, each once (normalised: one phone written three
    ways is one), the most used first; third parties' never."""
    seen: Counter[str] = Counter()
    for e in exhibits:
        shown = {c["value"] for c in e.contacts}
        for c in e.record.get("contacts") or []:
            if str(c.get("value")) not in shown:
                continue
            kind = str(c.get("kind"))
            seen[f"{KIND_NAMES.get(kind, kind)} {c.get('normalized') or c.get('value')}"] += 1
    return [c for c, _n in seen.most_common(12)]


def _describe(selection: Selection, operator: dict[str, Any], note: str) -> str:
    parts = []
    if operator:
        parts.append(f"运营者 {operator.get('id')} 关联的广告")
    if selection.platform:
        parts.append(f"平台 {selection.platform}")
    if selection.since:
        parts.append(f"{selection.since}（北京时间）以来仍被发现的")
    if selection.ids:
        parts.append(f"指定的 {len(dict.fromkeys(selection.ids))} 条记录")
    said = "，".join(parts) or "目录中全部违法广告"
    return f"{said}（{note}）" if note else said


LEDGER_SHOWN = 200  # ledger lines printed in the appendix (all are in evidence/ledger.jsonl)


def _ledger_excerpt(store: EvidenceStore | None, bundles: list[str]) -> tuple[list[str], int]:
    """The ledger lines that seal the dossier's bundles, and how many more
    there are than the appendix prints."""
    if store is None or not bundles:
        return [], 0
    wanted = set(bundles)
    lines = [
        f"{line.get('seq')} {line.get('hash')} ← {line.get('prev', '')[:16]}… "
        + (f"封存 {line['bundle']}" if "bundle" in line else f"时间戳 {line.get('timestamp')}")
        for line in store.ledger()
        if line.get("bundle") in wanted or line.get("timestamp") in wanted
    ]
    return lines[:LEDGER_SHOWN], max(0, len(lines) - LEDGER_SHOWN)


def _tsa(store: EvidenceStore | None, bundles: list[str]) -> dict[str, str]:
    if store is None:
        return {}
    stamps = store.stamps()
    used = {str(stamps[b].get("tsa")) for b in bundles if b in stamps}
    return {"urls": "、".join(sorted(used)), "stamped": str(sum(1 for b in bundles if b in stamps))}
