"""PP-OCR through rapidocr: the text detector, the line orientation classifier and the
recogniser, all ONNX models shipped inside the rapidocr package (no download). The
recogniser runs in OpenVINO by default (``RUNTIMES``), the rest in onnxruntime."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from invoice_extract.ocr.accents import bare
from invoice_extract.preprocess import fade_colour

# Pages are read at this many pixels on their long side at most. rapidocr's default, 2000,
# measured slower and less accurate on the scanned fixtures (bench/README.md).
MAX_SIDE = 1600
# The text detector sees the page at most this long side (lines are still cropped from the
# MAX_SIDE image): 17% faster end to end and no less accurate than detecting at 1600.
DET_SIDE = 1280
# The recogniser reads a batch of lines padded to the widest of them and to at least this
# many pixels (at its height of 48): rapidocr's default. Less padding reads the many short
# crops faster but differently, and lost whole tables (bench/README.md).
REC_WIDTH = 320

# Where the recogniser runs. openvino: in bfloat16 on a CPU that computes it (AVX-512 BF16,
# AMX; float32 elsewhere), twice as fast as onnxruntime's float32 on this project's CPU, with
# the same field F1 on the scans and photos (bench/README.md); onnxruntime: float32, as
# rapidocr runs it. The detector stays in onnxruntime: in bfloat16 it found a few lines
# differently and lost rows on photos for a tenth of the time saved.
Runtime = Literal["openvino", "onnxruntime"]
RUNTIMES: tuple[Runtime, ...] = get_args(Runtime)


@lru_cache(maxsize=len(RUNTIMES))
def rapidocr_engine(runtime: Runtime = "openvino") -> Any:
    """One rapidocr engine per process and ``runtime`` (of its recogniser); its models load
    on first use. Its ``fade`` attribute, when true, fades coloured marks on the line crops
    it cuts from a page before they are recognised (``preprocess.fade_colour``)."""
    from rapidocr import RapidOCR

    class Engine(RapidOCR):
        fade = False

        def crop_text_regions(self, img: np.ndarray, det_boxes: np.ndarray) -> list[np.ndarray]:
            crops: list[np.ndarray] = super().crop_text_regions(img, det_boxes)
            return [fade_colour(c) for c in crops] if self.fade else crops

        def _load_det_model(self) -> Any:
            det = super()._load_det_model()  # type: ignore[no-untyped-call]
            if not isinstance(det, LastDetection):
                self.text_det = det = LastDetection(det)  # type: ignore[assignment]
            return det

        def _load_rec_model(self) -> Any:
            if runtime == "openvino" and self.text_rec is None:
                on_openvino(self.cfg.Rec)
            rec = super()._load_rec_model()  # type: ignore[no-untyped-call]
            if not isinstance(rec.postprocess_op, SecondChoices):
                rec.postprocess_op = SecondChoices(rec.postprocess_op)
            return rec

    return Engine(
        params={
            "Global.log_level": "critical",
            "Global.max_side_len": MAX_SIDE,
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_SIDE,
            "Rec.rec_img_shape": [3, 48, REC_WIDTH],
        }
    )


def on_openvino(cfg: Any) -> bool:
    """Set a model's section of rapidocr's config (``cfg``, not yet loaded) to run the ONNX
    file rapidocr ships for it in OpenVINO, which reads ONNX itself (rapidocr's OpenVINO
    models would be downloaded). Whether it was set: not where OpenVINO is not installed or
    the file is not in the package, and the model then runs in onnxruntime."""
    import importlib.util

    import rapidocr
    from rapidocr import EngineType
    from rapidocr.inference_engine.base import FileInfo, InferSession

    if importlib.util.find_spec("openvino") is None:
        return False
    url = InferSession.get_model_url(
        FileInfo(
            engine_type=EngineType.ONNXRUNTIME,
            ocr_version=cfg.ocr_version,
            task_type=cfg.task_type,
            lang_type=cfg.lang_type,
            model_type=cfg.model_type,
        )
    )["model_dir"]
    path = Path(rapidocr.__file__).parent / "models" / Path(url).name
    if not path.is_file():
        return False
    cfg.engine_type = EngineType.OPENVINO
    cfg.model_path = str(path)
    return True


class LastDetection:
    """rapidocr's text detector, which gives the page it saw last its lines again without
    running (a copy: rapidocr moves them in place to the page's coordinates). The engine
    finds a page's lines first (``detect_lines``) to tell whether it must be turned, and
    reads it (``read_page``) only once it is upright: the page read is then the page
    detected, and only its recognition runs."""

    def __init__(self, detect: Any) -> None:
        self.detect = detect
        self.last: tuple[bytes, Any] | None = None

    def __getattr__(self, name: str) -> Any:  # postprocess_op and the like
        return getattr(self.detect, name)

    def __call__(self, img: np.ndarray) -> Any:
        key = hashlib.blake2b(img.tobytes(), digest_size=16).digest() + str(img.shape).encode()
        if self.last is not None and self.last[0] == key:
            return _copied(self.last[1], elapse=0.0)
        out = self.detect(img)
        self.last = (key, _copied(out))
        return out


def _copied(found: Any, **changes: Any) -> Any:
    """A copy of a detector's output whose boxes may be moved without moving these."""
    boxes = None if found.boxes is None else found.boxes.copy()
    return dataclasses.replace(found, boxes=boxes, **changes)


# A letter read without a diacritic where the recogniser gave the same letter with one at
# least this share of its probability: the line may have lost the diacritic. On 50 scans in
# the further languages, all 19 lines on which our TrOCR's reading put a diacritic back
# were such lines, and they were 4 to 8% of the lines with a bare letter (bench/README.md).
ACCENT_ODDS = 0.001


class SecondChoices:
    """rapidocr's CTC decoder, and besides each line's reading, the line spelled with the
    accented letters the recogniser weighed (``ACCENT_ODDS``) where it read their bare
    letters ('Uslugi' -> 'Usługi'): ``spelled``, keyed by the reading without spaces, while
    ``recording`` (``read_page``; other callers only read lines)."""

    def __init__(self, decode: Any) -> None:
        self.decode = decode
        chars: list[str] = decode.character
        index = {c: i for i, c in enumerate(chars)}
        # A bare letter's index -> the indices of its letters with diacritics.
        self.accented: dict[int, list[int]] = {}
        for i, c in enumerate(chars):
            if len(c) == 1 and c.isalpha() and bare(c) != c and bare(c) in index:
                self.accented.setdefault(index[bare(c)], []).append(i)
        self.spelled: dict[str, str] = {}
        self.recording = False

    def __call__(self, preds: np.ndarray, return_word_box: bool = False, **kw: Any) -> Any:
        out = self.decode(preds, return_word_box, **kw)
        if not self.recording:
            return out
        chars = self.decode.character
        blank = self.decode.get_ignored_tokens()
        for probs in preds:
            best = probs.argmax(axis=1)
            kept = np.ones(len(best), dtype=bool)
            kept[1:] = best[1:] != best[:-1]
            kept &= ~np.isin(best, blank)
            read, spelled = [], []
            for t in np.flatnonzero(kept):
                k = int(best[t])
                char = chars[k]
                read.append(char)
                if (others := self.accented.get(k)) is not None:
                    j = int(probs[t, others].argmax())
                    if probs[t, others[j]] >= ACCENT_ODDS * probs[t, k]:
                        char = chars[others[j]]
                spelled.append(char)
            key = "".join(read).replace(" ", "")
            self.spelled[key] = "".join(spelled).replace(" ", "")
        return out


def detect_lines(image: np.ndarray, runtime: Runtime = "openvino") -> list[np.ndarray]:
    """Text-line quadrilaterals (4x2 float arrays, pixel coordinates) on an RGB page; by
    the engine that reads the page after (``runtime``), whose detector then finds them
    again for free."""
    engine = rapidocr_engine(runtime)
    engine.fade = False  # the crops are not read
    out = engine(image, use_det=True, use_cls=False, use_rec=False)
    return [] if out.boxes is None else [np.asarray(b, dtype=np.float32) for b in out.boxes]


def crop_line(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The line under ``quad``, straightened to a horizontal strip."""
    from rapidocr.utils.process_img import get_rotate_crop_image

    return np.asarray(get_rotate_crop_image(image, quad.astype(np.float32)))


def line_angles(
    crops: Sequence[np.ndarray], runtime: Runtime = "openvino"
) -> list[tuple[int, float]]:
    """For each crop, 0 or 180 (upside down) and the classifier's confidence."""
    if not crops:
        return []
    _, out = rapidocr_engine(runtime).cls_and_rotate(list(crops))
    return [(int(label), float(score)) for label, score in out.cls_res]


def read_page(
    image: np.ndarray, fade: bool = False, runtime: Runtime = "openvino"
) -> tuple[list[tuple[str, float, np.ndarray, int, str]], list[np.ndarray], dict[str, float]]:
    """Detection and recognition in one pass: per word, its text, confidence,
    quadrilateral, the index of its line and its spelling with the diacritics the
    recogniser weighed (``SecondChoices``; its text where none); the text lines'
    quadrilaterals (in the same order); and the seconds spent detecting and
    recognising. No per-line orientation classifier: the engine turns a whole page upright
    from a sample of its lines (``engine.quarter_turns``), and skipping the classifier on
    every line measured 4% faster with the same field F1 (bench/README.md). With
    ``fade``, coloured marks across the lines are faded before they are read; the recogniser
    runs in ``runtime``."""
    engine = rapidocr_engine(runtime)
    engine.fade = fade
    # rapidocr keeps the use_* flags of the last call: always pass all three.
    choices: SecondChoices = engine._load_rec_model().postprocess_op
    choices.spelled.clear()
    choices.recording = True
    try:
        out = engine(image, use_det=True, use_cls=False, use_rec=True, return_word_box=True)
    finally:
        choices.recording = False
    # det, cls (not run), rec; empty when the page had no text at all
    elapse = [float(t or 0.0) for t in out.elapse_list] + [0.0] * 3
    seconds = {"detect": elapse[0], "recognise": elapse[2]}
    words: list[tuple[str, float, np.ndarray, int, str]] = []
    for index, line in enumerate(out.word_results or ()):
        # A line is a sequence of (text, score, box), or one such triple itself; rapidocr
        # leaves empty entries for noise it dropped.
        items = [line] if len(line) == 3 and isinstance(line[0], str) else line
        found = [i for i in items if isinstance(i, tuple | list) and len(i) == 3 and i[0].strip()]
        # The line's words are its letters in order, split where spaces or gaps are.
        read = "".join(text for text, _, _ in found).replace(" ", "")
        spelled = choices.spelled.get(read, read)
        at = 0
        for text, score, box in found:
            n = len(text.replace(" ", ""))
            alt = spelled[at : at + n] if " " not in text else text
            at += n
            words.append((text, float(score), np.asarray(box, dtype=np.float32), index, alt))
    lines = [] if out.boxes is None else [np.asarray(b, dtype=np.float32) for b in out.boxes]
    return words, lines, seconds


class PpocrRecognizer:
    """The PP-OCR recogniser on line crops, run in ``runtime``."""

    name = "ppocr"

    def __init__(self, runtime: Runtime = "openvino") -> None:
        self.runtime = runtime

    def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        out = rapidocr_engine(self.runtime).recognize_txt(list(crops))
        return [(t, float(s)) for t, s in zip(out.txts, out.scores, strict=True)]
