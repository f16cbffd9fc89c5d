"""The result tree every stage after ingest reads: Document -> Page -> Word.

Words carry boxes normalised to the page (x0, y0, x1, y1, origin top-left), whether they came
from a PDF's text layer or, later, from OCR, so field mapping never cares which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from invoice_extract.schema import BBox, TextSource

# An amount with its decimals and perhaps thousands marks ('118.044,49', '1,250.00').
_AMOUNT_END = re.compile(r"(?<!\d)\d+(?:[.,']\d{3})*[.,]\d{2}$")


def glued_amount(text: str) -> int | None:
    """Where an amount starts in a word glued to the label before it ('Tutar118.044,49',
    'Total:1,250.00': OCR, or a text layer where the two touch), or None. Identifiers
    ('INV2024.11', 'SKU3612') have no lowercase letter or colon just before their digits."""
    m = _AMOUNT_END.search(text)
    if m is None or m.start() < 2:
        return None
    before = text[m.start() - 1]
    return m.start() if before.islower() or before == ":" else None


_NUMBER_START = re.compile(r"\d+(?:[.,]\d+)?(?=[^\W\d_])")
_LETTERS = re.compile(r"[^\W\d_]+")


def glued_number(text: str) -> int | None:
    """Where a word starts that OCR read glued to the number before it ('0,5Beratungsleistung':
    a quantity column left of the description), or None. Units, sizes and codes ('80g',
    '5kg', '4GB', '3M') have no capitalised word of four letters or more after their digits."""
    m = _NUMBER_START.match(text)
    if m is None:
        return None
    word = _LETTERS.match(text, m.end())
    assert word is not None  # the lookahead saw a letter
    letters = word.group()
    return m.end() if len(letters) >= 4 and letters[0].isupper() and letters[1:].islower() else None


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    bbox: BBox
    page: int
    confidence: float = 1.0

    @property
    def x0(self) -> float:
        return self.bbox[0]

    @property
    def y0(self) -> float:
        return self.bbox[1]

    @property
    def x1(self) -> float:
        return self.bbox[2]

    @property
    def y1(self) -> float:
        return self.bbox[3]

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


@dataclass(frozen=True, slots=True)
class Region:
    """A layout region: its type (text, title, table, header, footer, figure...), its box
    normalised to the page, and the detector's score."""

    type: str
    bbox: BBox
    score: float = 1.0

    def holds(self, word: Word) -> bool:
        cx, cy = (word.x0 + word.x1) / 2, (word.y0 + word.y1) / 2
        x0, y0, x1, y1 = self.bbox
        return x0 <= cx <= x1 and y0 <= cy <= y1


@dataclass(slots=True)
class Page:
    number: int
    width: float
    height: float
    words: list[Word] = field(default_factory=list)
    text_source: TextSource = "none"
    warnings: list[str] = field(default_factory=list)
    # The upright image OCR read (kept only when asked, for debug renders).
    image: Any = field(default=None, repr=False)
    regions: list[Region] = field(default_factory=list)


@dataclass(slots=True)
class Document:
    name: str
    sha256: str
    media_type: str
    pages: list[Page]
    warnings: list[str] = field(default_factory=list)
    data: bytes = field(default=b"", repr=False)  # the source, to render pages on demand

    @property
    def words(self) -> list[Word]:
        return [w for p in self.pages for w in p.words]
