"""Two recognisers, the faster one first: ``trocr+ppocr``.

The project's TrOCR reads every line (about three times as fast as PP-OCR on the CPU);
the lines where it was unsure of some character (the least sure below ``RECHECK_BELOW``)
are read again by PP-OCR, and PP-OCR's reading is kept, with the diacritics TrOCR read on
letters of the page's alphabet put back (PP-OCR drops some: 'Uslugi' for 'Usługi';
``accents``). Measured against PP-OCR alone in bench/README.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from invoice_extract.ocr import Recognizer
from invoice_extract.ocr.accents import page_alphabet, words_with_accents

# A TrOCR line whose least sure character is less probable than this is read again: on
# the scans, about a quarter of the lines (bench/README.md).
RECHECK_BELOW = 0.9


class LineReader(Protocol):
    """A recogniser that also tells how sure it was of its least sure character."""

    def read_lines(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float, float]]: ...


class CheckedRecognizer:
    """``first`` reads every crop; ``second`` reads again those ``first`` was unsure of.
    A call reads one page's lines: the page's alphabet is judged from all of them."""

    name = "trocr+ppocr"

    def __init__(self, first: LineReader, second: Recognizer, below: float = RECHECK_BELOW) -> None:
        self.first, self.second, self.below = first, second, below

    def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        first = self.first.read_lines(crops)
        out = [(text, confidence) for text, confidence, _ in first]
        unsure = [i for i, (_, _, least) in enumerate(first) if least < self.below]
        if not unsure:
            return out
        for i, read in zip(unsure, self.second.recognise([crops[i] for i in unsure]), strict=True):
            out[i] = read
        alphabet = page_alphabet(text for text, _ in out)
        if alphabet:
            for i in unsure:
                text, confidence = out[i]
                words = words_with_accents(text.split(), first[i][0], alphabet)
                if words != text.split():
                    out[i] = (" ".join(words), confidence)
        return out
