"""PP-OCR through rapidocr: the text detector, the line orientation classifier and the
recogniser, all ONNX models shipped inside the rapidocr package (no download)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from invoice_extract.preprocess import fade_colour

# Pages are read at this many pixels on their long side at most. rapidocr's default, 2000,
# measured slower and less accurate on the scanned fixtures (bench/README.md).
MAX_SIDE = 1600
# The text detector sees the page at most this long side (lines are still cropped from the
# MAX_SIDE image): 17% faster end to end and no less accurate than detecting at 1600.
DET_SIDE = 1280


@lru_cache(maxsize=1)
def rapidocr_engine() -> Any:
    """One rapidocr engine per process; its models load on first use. Its ``fade``
    attribute, when true, fades coloured marks on the line crops it cuts from a page before
    they are recognised (``preprocess.fade_colour``)."""
    from rapidocr import RapidOCR

    class Engine(RapidOCR):
        fade = False

        def crop_text_regions(self, img: np.ndarray, det_boxes: np.ndarray) -> list[np.ndarray]:
            crops: list[np.ndarray] = super().crop_text_regions(img, det_boxes)
            return [fade_colour(c) for c in crops] if self.fade else crops

    return Engine(
        params={
            "Global.log_level": "critical",
            "Global.max_side_len": MAX_SIDE,
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_SIDE,
        }
    )


def detect_lines(image: np.ndarray) -> list[np.ndarray]:
    """Text-line quadrilaterals (4x2 float arrays, pixel coordinates) on an RGB page."""
    engine = rapidocr_engine()
    engine.fade = False  # the crops are not read
    out = engine(image, use_det=True, use_cls=False, use_rec=False)
    return [] if out.boxes is None else [np.asarray(b, dtype=np.float32) for b in out.boxes]


def crop_line(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The line under ``quad``, straightened to a horizontal strip."""
    from rapidocr.utils.process_img import get_rotate_crop_image

    return np.asarray(get_rotate_crop_image(image, quad.astype(np.float32)))


def line_angles(crops: Sequence[np.ndarray]) -> list[tuple[int, float]]:
    """For each crop, 0 or 180 (upside down) and the classifier's confidence."""
    if not crops:
        return []
    _, out = rapidocr_engine().cls_and_rotate(list(crops))
    return [(int(label), float(score)) for label, score in out.cls_res]


def read_page(
    image: np.ndarray, fade: bool = False
) -> tuple[list[tuple[str, float, np.ndarray, int]], list[np.ndarray], dict[str, float]]:
    """Detection and recognition in one pass: per word, its text, confidence,
    quadrilateral and the index of its line; the text lines' quadrilaterals (in the same
    order); and the seconds spent detecting and
    recognising. No per-line orientation classifier: the engine turns a whole page upright
    from a sample of its lines (``engine.quarter_turns``), and skipping the classifier on
    every line measured 4% faster with the same field F1 (bench/README.md). With
    ``fade``, coloured marks across the lines are faded before they are read."""
    engine = rapidocr_engine()
    engine.fade = fade
    # rapidocr keeps the use_* flags of the last call: always pass all three.
    out = engine(image, use_det=True, use_cls=False, use_rec=True, return_word_box=True)
    # det, cls (not run), rec; empty when the page had no text at all
    elapse = [float(t or 0.0) for t in out.elapse_list] + [0.0] * 3
    seconds = {"detect": elapse[0], "recognise": elapse[2]}
    words: list[tuple[str, float, np.ndarray, int]] = []
    for index, line in enumerate(out.word_results or ()):
        # A line is a sequence of (text, score, box), or one such triple itself; rapidocr
        # leaves empty entries for noise it dropped.
        items = [line] if len(line) == 3 and isinstance(line[0], str) else line
        for item in items:
            if not isinstance(item, tuple | list) or len(item) != 3:
                continue
            text, score, box = item
            if text.strip():
                words.append((text, float(score), np.asarray(box, dtype=np.float32), index))
    lines = [] if out.boxes is None else [np.asarray(b, dtype=np.float32) for b in out.boxes]
    return words, lines, seconds


class PpocrRecognizer:
    """The PP-OCR recogniser on line crops."""

    name = "ppocr"

    def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        out = rapidocr_engine().recognize_txt(list(crops))
        return [(t, float(s)) for t, s in zip(out.txts, out.scores, strict=True)]
