"""Shared fixtures: the committed sample invoices and builders for bad inputs."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen.canvas import Canvas

from invoice_extract import Invoice, Pipeline, extract
from invoice_extract.pipeline import Result

ROOT = Path(__file__).resolve().parent.parent
DIGITAL = ROOT / "fixtures" / "digital"


def extract_generated(out: Path, *args: str) -> list[tuple[str, Result, Invoice]]:
    """Generate invoices into ``out`` with fixtures/generate.py ``args`` and extract each:
    (name, the extracted Invoice or the error, the ground truth Invoice)."""

    script = ROOT / "fixtures" / "generate.py"
    subprocess.run(
        [sys.executable, str(script), *args, "--out", str(out)], check=True, capture_output=True
    )
    pipeline = Pipeline()
    return [
        (
            pdf.name,
            pipeline.try_extract(pdf),
            Invoice.model_validate_json(pdf.with_suffix(".json").read_text()),
        )
        for pdf in sorted(out.glob("*.pdf"))
    ]


@pytest.fixture(scope="session")
def digital_pdfs() -> list[Path]:
    pdfs = sorted(DIGITAL.glob("*.pdf"))
    assert pdfs, "run `make fixtures`"
    return pdfs


def _unicode_font() -> str:
    """DejaVu Sans (fonts-dejavu-core), registered once: every European letter, where
    Helvetica has only Western European ones."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
        pdfmetrics.registerFont(TTFont("DejaVuSans", path))
    return "DejaVuSans"


def _font_for(texts: list[str]) -> str:
    latin1 = all(ch.encode("latin-1", "ignore") for text in texts for ch in text)
    return "Helvetica" if latin1 else _unicode_font()


def make_pdf(
    lines: list[str],
    pages: int = 1,
    encrypt: StandardEncryption | None = None,
    invisible: bool = False,
) -> bytes:
    """A small real PDF with the given text lines on each page; ``invisible`` draws them in
    text render mode 3, as OCR programs lay their text over a scan. Text with letters
    beyond Latin-1 ('ł', 'č') is set in DejaVu Sans, the rest in Helvetica."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, encrypt=encrypt)
    font = _font_for(lines)
    for _ in range(pages):
        text = c.beginText(60, 780)
        text.setFont(font, 11)
        text.setLeading(16)
        if invisible:
            text.setTextRenderMode(3)
        for line in lines:
            text.textLine(line)
        c.drawText(text)
        c.showPage()
    c.save()
    return buf.getvalue()


# x, y from the top, text; optionally its font size
Placed = tuple[float, float, str] | tuple[float, float, str, float]


def make_placed_pdf(pages: list[list[Placed]], size: float = 9) -> bytes:
    """A PDF with each string drawn where given (y measured from the top of an A4 page),
    for tests that need a particular layout. Right-aligned when x is negative (|x| is the
    right edge), as numbers are in tables."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    height = A4[1]
    font = _font_for([placed[2] for page in pages for placed in page])
    for page in pages:
        for x, y, text, *own_size in page:
            c.setFont(font, own_size[0] if own_size else size)
            if x < 0:
                c.drawRightString(-x, height - y, text)
            else:
                c.drawString(x, height - y, text)
        c.showPage()
    c.save()
    return buf.getvalue()


def extract_placed(tmp_path: Path, pages: list[list[Placed]], size: float = 9) -> Invoice:
    """The invoice extracted from ``make_placed_pdf(pages, size)`` written under ``tmp_path``."""
    path = tmp_path / "placed.pdf"
    path.write_bytes(make_placed_pdf(pages, size))
    return extract(path)


LETTER = [
    "Dear Anna,",
    "thank you for the lovely weekend in the mountains. The weather was",
    "wonderful and the food even better. We should do it again next year,",
    "perhaps in autumn when the leaves turn.",
    "Warm regards, Paul",
]


@pytest.fixture
def letter_pdf() -> bytes:
    return make_pdf(LETTER)
