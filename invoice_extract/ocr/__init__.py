"""Text detection and recognition for pages without a usable text layer.

A page image goes through the PP-OCR text detector (shipped in rapidocr), its line crops
through a :class:`Recognizer` chosen by name, and comes back as :class:`Word` values with
boxes normalised to the page, exactly like words from a PDF's text layer.

Recognisers: ``ppocr`` (rapidocr's PP-OCR recogniser, the offline default), ``trocr``
(transformers' VisionEncoderDecoderModel, by hub id or local directory) and ``tesseract``
(Debian's tesseract-ocr, optional); and ``trocr+ppocr``: the shipped TrOCR reads every line
and PP-OCR the lines it was unsure of (``checked``). Each is loaded once per process and
reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from invoice_extract.ocr.ppocr import Runtime

RECOGNIZERS = ("ppocr", "trocr", "tesseract", "trocr+ppocr")


class Recognizer(Protocol):
    """Reads text-line crops (RGB arrays) in batches: text and a confidence for each."""

    name: str

    def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]: ...


@lru_cache(maxsize=8)
def load_recognizer(
    name: str, model: str | None = None, runtime: Runtime = "openvino"
) -> Recognizer:
    """The recogniser called ``name``, loaded once per process (``model``: a TrOCR hub id or
    local directory, for ``trocr`` and ``trocr+ppocr``; ``runtime``: where ppocr's runs,
    ``ppocr.RUNTIMES``)."""
    if name == "ppocr":
        from invoice_extract.ocr.ppocr import PpocrRecognizer

        return PpocrRecognizer(runtime)
    if name == "trocr":
        from invoice_extract.ocr.trocr import DEFAULT_TROCR_MODEL, TrocrRecognizer

        return TrocrRecognizer(model or DEFAULT_TROCR_MODEL)
    if name == "tesseract":
        from invoice_extract.ocr.tesseract import TesseractRecognizer

        return TesseractRecognizer()
    if name == "trocr+ppocr":
        from invoice_extract.ocr.checked import CheckedRecognizer
        from invoice_extract.ocr.trocr import TrocrRecognizer

        trocr = load_recognizer("trocr", model)
        assert isinstance(trocr, TrocrRecognizer)
        return CheckedRecognizer(trocr, load_recognizer("ppocr", runtime=runtime))
    raise ValueError(f"unknown recognizer {name!r}; choose one of {', '.join(RECOGNIZERS)}")


from invoice_extract.ocr.engine import OcrEngine, OcrPage  # noqa: E402

__all__ = ["RECOGNIZERS", "OcrEngine", "OcrPage", "Recognizer", "load_recognizer"]
