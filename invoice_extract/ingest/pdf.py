"""PDF pages: words with boxes from the text layer (pypdfium2), and rendering (pdf2image).

pypdfium2 was measured against pdfplumber on the fixtures (bench/speed.py --ingest): it is
far faster and gives the same words, so it reads the text layer; pdf2image (poppler) renders.
A page's text layer is used only when it is present and sane; an invisible OCR layer of poor
quality, or garbage from a broken font encoding, marks the page as needing OCR instead.
"""

from __future__ import annotations

import ctypes
import itertools
import re
import unicodedata
from collections import Counter

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from invoice_extract.config import Limits
from invoice_extract.document import Page, Word, glued_amount
from invoice_extract.errors import (
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    UnreadableDocument,
)
from invoice_extract.ingest.image import NEEDS_OCR
from invoice_extract.schema import BBox

_INVISIBLE = 3  # PDF text render mode 3: neither fill nor stroke (OCR layers use it)
_PLAUSIBLE_WORD = re.compile(r"^[\w€$£¥₹%.,:;/#@&()\[\]'\"*+\-–—=!?°§|<>~_]+$")
MIN_WORDS = 3
MIN_QUALITY = 0.85
MIN_QUALITY_INVISIBLE = 0.95


_EMPTY_PAGE_TREE = re.compile(
    rb"/Type\s*/Pages\b[^>]*?/Count\s+0\b|/Count\s+0\b[^>]*?/Type\s*/Pages\b"
)


def _open(name: str, data: bytes, password: str | None) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        # pdfium's last error is process-wide and can be stale after an earlier failure, so
        # it is trusted only when the file really carries an /Encrypt dictionary.
        code = getattr(exc, "err_code", None)
        encrypted = b"/Encrypt" in data
        if _EMPTY_PAGE_TREE.search(data) and not encrypted:
            raise EmptyDocument(name, "the PDF has no pages") from exc
        if encrypted and code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SUCCESS):
            reason = (
                "encrypted PDF: the password given is wrong"
                if password
                else "encrypted PDF: it needs a password (pass one in the config)"
            )
            raise EncryptedDocument(name, reason) from exc
        if encrypted and code == pdfium_c.FPDF_ERR_SECURITY:
            raise EncryptedDocument(
                name, "encrypted PDF with an unsupported security handler"
            ) from exc
        raise UnreadableDocument(name, f"corrupt or truncated PDF ({exc})") from exc


def read_pdf(name: str, data: bytes, limits: Limits, password: str | None = None) -> list[Page]:
    """Every page with the words of its text layer, or marked as needing OCR."""
    pdf = _open(name, data, password)
    try:
        count = len(pdf)
        if count == 0:
            raise EmptyDocument(name, "the PDF has no pages")
        if count > limits.max_pages:
            raise DocumentTooLarge(
                name, f"{count} pages exceeds the limit of {limits.max_pages} (limits.max_pages)"
            )
        return [_read_page(pdf, i) for i in range(count)]
    finally:
        pdf.close()


def _read_page(pdf: pdfium.PdfDocument, index: int) -> Page:
    page = pdf[index]
    try:
        width, height = page.get_size()
        number = index + 1
        textpage = page.get_textpage()
        try:
            words, invisible = _words(textpage, page, number)
        finally:
            textpage.close()
    finally:
        page.close()
    result = Page(number=number, width=width, height=height)
    quality = text_quality(words)
    needed = MIN_QUALITY_INVISIBLE if invisible else MIN_QUALITY
    if len(words) >= MIN_WORDS and quality >= needed:
        result.words = words
        result.text_source = "text_layer"
    elif not words:
        result.warnings.append(f"page {number} has no text layer; {NEEDS_OCR}")
    else:
        kind = "invisible OCR text layer" if invisible else "text layer"
        result.warnings.append(
            f"page {number}: {kind} is unusable ({len(words)} words, quality {quality:.2f}); "
            f"{NEEDS_OCR}"
        )
    return result


def _plausible(text: str) -> bool:
    """A word as printed text has it, not as broken font encodings or bad OCR make it."""
    if not _PLAUSIBLE_WORD.match(text) or any(
        unicodedata.category(c) in ("Co", "Cn", "Cc") or c == "\ufffd" for c in text
    ):
        return False
    # Bad OCR swaps letters and digits inside words ('1nv0ice', 't0t4l'); codes switch from
    # letters to digits once or twice ('SKU79431', 'EC1A').
    kinds = [c.isdigit() for c in text if c.isalnum()]
    if sum(a != b for a, b in itertools.pairwise(kinds)) >= 3:
        return False
    # Mostly punctuation is noise ('.,;:', '|||'), a lone mark is not.
    punct = sum(not c.isalnum() for c in text)
    return len(text) < 3 or punct <= len(text) / 2


def text_quality(words: list[Word]) -> float:
    """Share of words that look like text rather than encoding garbage or bad OCR, in [0, 1]."""
    if not words:
        return 0.0
    return sum(_plausible(w.text) for w in words) / len(words)


def _page_transform(page: pdfium.PdfPage) -> tuple[float, float, float, float, int]:
    left, bottom, right, top = page.get_cropbox()
    return left, bottom, right, top, page.get_rotation() % 360


def _normalise(
    box: tuple[float, float, float, float], frame: tuple[float, float, float, float, int]
) -> BBox:
    """PDF user-space box (l, b, r, t) -> display-space fractions (x0, y0, x1, y1)."""
    left, bottom, right, top, rotation = frame
    w, h = (right - left) or 1.0, (top - bottom) or 1.0
    bl, bb, br, bt = box
    u0, u1 = (bl - left) / w, (br - left) / w
    v0, v1 = (top - bt) / h, (top - bb) / h
    if rotation == 90:
        u0, v0, u1, v1 = 1 - v1, u0, 1 - v0, u1
    elif rotation == 180:
        u0, v0, u1, v1 = 1 - u1, 1 - v1, 1 - u0, 1 - v0
    elif rotation == 270:
        u0, v0, u1, v1 = v0, 1 - u1, v1, 1 - u0

    def clamp(x: float) -> float:
        return min(1.0, max(0.0, x))

    return clamp(u0), clamp(v0), clamp(u1), clamp(v1)


def _words(
    textpage: pdfium.PdfTextPage, page: pdfium.PdfPage, number: int
) -> tuple[list[Word], bool]:
    """Group the page's characters into words; also say whether the text is invisible."""
    frame = _page_transform(page)
    n = pdfium_c.FPDFText_CountChars(textpage)
    words: list[Word] = []
    chars: list[str] = []
    box = [0.0, 0.0, 0.0, 0.0]
    # Each character's bottom and top: a word's height is its letters' most common one, so
    # a capital with an accent above it ('İstanbul', 'Ärger') does not raise the word off
    # its line.
    spans: list[tuple[float, float]] = []
    lefts: list[float] = []  # each character's left edge
    invisible_words = 0
    first_index = -1
    rect = pdfium_c.FS_RECTF()

    def flush() -> None:
        nonlocal invisible_words
        text = "".join(chars).strip()
        if text:
            obj = pdfium_c.FPDFText_GetTextObject(textpage, first_index)
            if obj and pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == _INVISIBLE:
                invisible_words += 1
            if all(span == spans[0] for span in spans):
                bottom, top = spans[0]
            else:
                counts = Counter(spans)
                bottom, top = min(counts, key=lambda span: (-counts[span], span[1] - span[0]))
            parts = [(text, box[0], box[2])]
            at = glued_amount(text) if len(text) == len(chars) else None
            if at is not None:  # a label and its amount set touching ('Tutar118.044,49')
                parts = [(text[:at], box[0], lefts[at]), (text[at:], lefts[at], box[2])]
            for part, x0, x1 in parts:
                bbox = _normalise((x0, bottom, x1, top), frame)
                words.append(Word(text=part, bbox=bbox, page=number))
        chars.clear()
        spans.clear()
        lefts.clear()

    for i in range(n):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        ch = chr(code) if code else ""
        if not ch or ch.isspace() or pdfium_c.FPDFText_IsGenerated(textpage, i) == 1:
            flush()
            continue
        if not pdfium_c.FPDFText_GetLooseCharBox(textpage, i, ctypes.byref(rect)):
            continue
        left, b, r, t = rect.left, rect.bottom, rect.right, rect.top
        if chars:
            size = box[3] - box[1]
            same_line = abs((b + t) / 2 - (box[1] + box[3]) / 2) < 0.5 * size
            # Words placed by position with no space character: a gap wider than a third of
            # the font height, or a jump backwards, separates them.
            gap = left - box[2]
            if not same_line or gap > 0.3 * size or gap < -0.5 * size:
                flush()
        if not chars:
            box = [left, b, r, t]
            first_index = i
        else:
            box = [min(box[0], left), min(box[1], b), max(box[2], r), max(box[3], t)]
        chars.append(ch)
        spans.append((round(b, 2), round(t, 2)))
        lefts.append(left)
    flush()
    return words, invisible_words > len(words) / 2


def rasterise(name: str, data: bytes, page: int, dpi: int = 200) -> Image.Image:
    """Render one 1-based page to RGB with pdf2image (poppler); one page at a time."""
    from pdf2image import convert_from_bytes
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    try:
        images = convert_from_bytes(data, dpi=dpi, first_page=page, last_page=page)
    except (PDFPageCountError, PDFSyntaxError) as exc:
        raise UnreadableDocument(name, f"poppler could not render page {page}: {exc}") from exc
    if not images:
        raise UnreadableDocument(name, f"poppler rendered nothing for page {page}")
    return images[0].convert("RGB")
