"""Words -> lines -> segments, in reading order, in page points.

A *segment* is a run of words on one line with no wide gap: a label, a value, a table cell.
Field mapping reasons about segments and their geometry; boxes are kept in points (so that
horizontal and vertical distances compare) and converted back to page fractions for evidence.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from statistics import median

from invoice_extract.document import Page, Word
from invoice_extract.fields.normalise import normalise
from invoice_extract.schema import Evidence

# A gap wider than this many line heights splits a line into segments (a word space is about
# a quarter of the height; columns and label/value pairs are further apart).
SEGMENT_GAP = 0.85
# Words whose vertical centres differ by more than this share of the smaller height are on
# different lines (address lines set 10 pt apart in 8 pt type are not one line).
LINE_TOLERANCE = 0.4
STACKED = 0.5  # words overlapping by more than this share of the narrower are stacked


@dataclass(slots=True)
class Segment:
    words: list[Word]
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    line: int = 0  # index of the line in the document
    text: str = ""
    norm: str = ""

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class Line:
    index: int
    page: int
    segments: list[Segment]
    y0: float
    y1: float

    @property
    def text(self) -> str:
        return "  ".join(s.text for s in self.segments)

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(slots=True)
class PageGeometry:
    number: int
    width: float
    height: float
    ocr: bool = False  # its words were read by OCR (they may hold misread letters)


@dataclass
class TextLayout:
    """All lines of a document in reading order, with page sizes for evidence."""

    lines: list[Line]
    pages: dict[int, PageGeometry]
    line_height: float = 10.0
    by_page: dict[int, list[Line]] = field(default_factory=dict)

    def evidence(self, words: list[Word]) -> list[Evidence]:
        """One evidence entry per page the words lie on: union box and joined text."""
        out: list[Evidence] = []
        for page in sorted({w.page for w in words}):
            ws = [w for w in words if w.page == page]
            out.append(
                Evidence(
                    page=page,
                    bbox=(
                        min(w.x0 for w in ws),
                        min(w.y0 for w in ws),
                        max(w.x1 for w in ws),
                        max(w.y1 for w in ws),
                    ),
                    text=" ".join(w.text for w in ws),
                )
            )
        return out


def _segment(words: list[Word], page: PageGeometry) -> Segment:
    seg = Segment(
        words=words,
        page=page.number,
        x0=min(w.x0 for w in words) * page.width,
        y0=min(w.y0 for w in words) * page.height,
        x1=max(w.x1 for w in words) * page.width,
        y1=max(w.y1 for w in words) * page.height,
    )
    seg.text = " ".join(w.text for w in words)
    seg.norm = normalise(seg.text)
    return seg


def _region(page: Page, word: Word) -> int:
    """The index of the layout region holding the word (-1: none, or no layout)."""
    return next((i for i, r in enumerate(page.regions) if r.holds(word)), -1)


def _stacked(a: Word, b: Word) -> bool:
    """Whether two words overlap horizontally by more than STACKED of the narrower."""
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    return overlap > STACKED * min(a.x1 - a.x0, b.x1 - b.x0)


def _side_by_side(a: list[Word], b: list[Word], gap: float, width: float) -> bool:
    """Whether a word of ``a`` and one of ``b`` stand side by side, at most ``gap`` points
    apart."""
    return any(max(v.x0 - u.x1, u.x0 - v.x1) * width <= gap for u in a for v in b)


def build_layout(pages: list[Page]) -> TextLayout:
    """Group each page's words into lines (by vertical overlap) and lines into segments."""
    lines: list[Line] = []
    geometries: dict[int, PageGeometry] = {}
    heights: list[float] = []
    for page in pages:
        geo = PageGeometry(page.number, page.width, page.height, page.text_source == "ocr")
        geometries[page.number] = geo
        # Words set on one baseline in one font share their vertical extent exactly: keep
        # them together (to half a point) so a line is never split word by word on a tie.
        bands_of: dict[tuple[int, int], list[Word]] = {}
        for w in page.words:
            key = (round(w.y0 * page.height * 2), round(w.y1 * page.height * 2))
            bands_of.setdefault(key, []).append(w)
        # Each line's first words, and the words that joined it since.
        bands: list[list[list[Word]]] = []
        for group in sorted(bands_of.values(), key=lambda g: g[0].y0 + g[0].y1):
            cy = (group[0].y0 + group[0].y1) / 2
            h = group[0].y1 - group[0].y0
            near = SEGMENT_GAP * h * page.height  # points between words of one segment
            # Join the recent line whose centre is nearest (within LINE_TOLERANCE of the
            # smaller height), unless a word would overlap one of its words horizontally by
            # more than STACKED of the narrower: stacked words (an address in small type
            # beside a tall line) are separate lines, while OCR boxes of neighbouring words
            # in one line may overlap a little at their padded edges. Besides the line's
            # first words, words that joined it count where they stand next to the new
            # ones: a tall title beside a name in smaller type ('IADE FATURASI' and
            # 'Beacon Engineering A.Ş.') is one line, though its second word sits further
            # below the name than its first.
            best: tuple[float, int] | None = None
            for k in range(len(bands) - 1, max(-1, len(bands) - 4), -1):
                for n, member in enumerate(bands[k]):
                    top, bottom = member[0].y0, member[0].y1
                    offset = abs(cy - (top + bottom) / 2)
                    if (
                        offset <= LINE_TOLERANCE * min(h, bottom - top)
                        and (best is None or offset < best[0])
                        and (n == 0 or _side_by_side(member, group, near, page.width))
                        and not any(_stacked(o, w) for m in bands[k] for o in m for w in group)
                    ):
                        best = (offset, k)
            if best is not None:
                bands[best[1]].append(group)
            else:
                bands.append([group])
        page_lines: list[Line] = []
        for row in ([w for m in members for w in m] for members in bands):
            row.sort(key=lambda w: w.x0)
            h_pts = median([(w.y1 - w.y0) for w in row]) * page.height
            heights.append(h_pts)
            segments: list[list[Word]] = [[row[0]]]
            for prev, w in itertools.pairwise(row):
                gap = (w.x0 - prev.x1) * page.width
                if gap > SEGMENT_GAP * h_pts or _region(page, prev) != _region(page, w):
                    segments.append([w])
                else:
                    segments[-1].append(w)
            segs = [_segment(s, geo) for s in segments]
            page_lines.append(
                Line(
                    index=0,
                    page=page.number,
                    segments=segs,
                    y0=min(s.y0 for s in segs),
                    y1=max(s.y1 for s in segs),
                )
            )
        page_lines.sort(key=lambda ln: (ln.y0 + ln.y1) / 2)
        lines.extend(page_lines)
    for i, line in enumerate(lines):
        line.index = i
        for seg in line.segments:
            seg.line = i
    layout = TextLayout(
        lines=lines, pages=geometries, line_height=median(heights) if heights else 10.0
    )
    for line in lines:
        layout.by_page.setdefault(line.page, []).append(line)
    return layout
