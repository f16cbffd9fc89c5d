"""One page image in, words with normalised boxes out.

The page is first turned upright (text lines wider than tall; the line classifier says
which way up) and deskewed from the detected line boxes; boxes are on that upright page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from invoice_extract.document import Word
from invoice_extract.ocr import ppocr
from invoice_extract.preprocess import (
    MIN_SKEW,
    deskew,
    dewarp,
    page_quad,
    rotate_quarter,
    skew_angle,
)
from invoice_extract.schema import BBox

PROBE_SIDE = 1280  # detection for orientation and skew runs on a downscaled copy
MIN_LINE_CONFIDENCE = 0.5


@dataclass
class OcrLine:
    text: str
    confidence: float
    bbox: BBox  # normalised


@dataclass
class OcrPage:
    words: list[Word]
    lines: list[OcrLine]
    width: int  # pixels of the upright, deskewed page
    height: int
    image: np.ndarray = field(repr=False)
    notes: list[str] = field(default_factory=list)


def _downscale(image: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    import cv2

    h, w = image.shape[:2]
    scale = min(1.0, side / max(h, w))
    if scale == 1.0:
        return image, 1.0
    return cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA), scale


def upright(
    image: np.ndarray, orient: bool = True, straighten: bool = True, remove_skew: bool = True
) -> tuple[np.ndarray, list[str]]:
    """Turn a page so its text reads left to right, top to bottom, and remove its skew."""
    notes: list[str] = []
    quad = page_quad(image) if straighten else None
    if quad is not None:
        image = dewarp(image, quad)
        notes.append("straightened a photographed sheet")
    probe, _ = _downscale(image, PROBE_SIDE)
    quads = ppocr.detect_lines(probe) if orient else []
    if not quads:
        return _deskewed(image, probe, notes) if remove_skew else image, notes
    tall = sum(np.linalg.norm(q[3] - q[0]) > 1.5 * np.linalg.norm(q[1] - q[0]) for q in quads)
    turns = 0
    if tall > len(quads) / 2:
        # Turned by a quarter: try both ways, keep the one the line classifier reads upright.
        best = None
        for k in (1, 3):
            candidate = rotate_quarter(probe, k)
            lines = ppocr.detect_lines(candidate)[:30]
            crops = [ppocr.crop_line(candidate, q) for q in lines]
            upside = sum(a == 180 for a, _ in ppocr.line_angles(crops))
            score = len(crops) - 2 * upside
            if best is None or score > best[0]:
                best = (score, k, candidate, lines)
        assert best is not None
        _, turns, probe, quads = best
    crops = [ppocr.crop_line(probe, q) for q in quads[:30]]
    angles = ppocr.line_angles(crops)
    if angles and sum(a == 180 for a, _ in angles) > len(angles) / 2:
        turns += 2
        probe = rotate_quarter(probe, 2)
        quads = ppocr.detect_lines(probe)
    if turns % 4:
        image = rotate_quarter(image, turns)
        notes.append(f"turned upright by {90 * (turns % 4)}°")
    return _deskewed(image, probe, notes) if remove_skew else image, notes


def _deskewed(image: np.ndarray, probe: np.ndarray, notes: list[str]) -> np.ndarray:
    angle = skew_angle(probe)
    if abs(angle) < MIN_SKEW:
        return image
    notes.append(f"deskewed by {angle:.1f}°")
    return deskew(image, angle)


def _bbox(quad: np.ndarray, w: int, h: int) -> BBox:
    xs, ys = quad[:, 0], quad[:, 1]
    return (
        float(np.clip(xs.min() / w, 0, 1)),
        float(np.clip(ys.min() / h, 0, 1)),
        float(np.clip(xs.max() / w, 0, 1)),
        float(np.clip(ys.max() / h, 0, 1)),
    )


def split_words(text: str, confidence: float, bbox: BBox, page: int) -> list[Word]:
    """A recognised line's words, with boxes dividing the line by character positions
    (for recognisers that give no per-word boxes)."""
    x0, y0, x1, y1 = bbox
    n = max(1, len(text))
    words = []
    start = 0
    for token in text.split(" "):
        if token:
            a = x0 + (x1 - x0) * start / n
            b = x0 + (x1 - x0) * (start + len(token)) / n
            words.append(Word(token, (a, y0, b, y1), page, confidence))
        start += len(token) + 1
    return words


class OcrEngine:
    """Detect and read a page image with the named recogniser (see ``load_recognizer``)."""

    def __init__(
        self,
        recognizer: str = "ppocr",
        model: str | None = None,
        orient: bool = True,
        straighten: bool = True,
        deskew: bool = True,
    ) -> None:
        from invoice_extract.ocr import load_recognizer

        self.recognizer = load_recognizer(recognizer, model)
        self.steps = {"orient": orient, "straighten": straighten, "remove_skew": deskew}

    def read(self, image: np.ndarray, page: int) -> OcrPage:
        image, notes = upright(image, **self.steps)
        h, w = image.shape[:2]
        words: list[Word] = []
        lines: list[OcrLine] = []
        if self.recognizer.name == "ppocr":
            # rapidocr reads the whole page in one pass with per-word boxes.
            for text, conf, quad in ppocr.read_page(image):
                words.append(Word(text, _bbox(quad, w, h), page, conf))
        else:
            quads = ppocr.detect_lines(image)
            crops = [ppocr.crop_line(image, q) for q in quads]
            for quad, (text, conf) in zip(quads, self.recognizer.recognise(crops), strict=True):
                if not text.strip() or conf < MIN_LINE_CONFIDENCE:
                    continue
                bbox = _bbox(quad, w, h)
                lines.append(OcrLine(text, conf, bbox))
                words.extend(split_words(text, conf, bbox, page))
        return OcrPage(words=words, lines=lines, width=w, height=h, image=image, notes=notes)
