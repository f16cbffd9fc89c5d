"""Ingest: words from the text layer, format sniffing, and every kind of bad input."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.pdfencrypt import StandardEncryption

from invoice_extract import (
    DocumentNotFound,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    Limits,
    NotAnInvoice,
    OcrRequired,
    Pipeline,
    PipelineConfig,
    UnreadableDocument,
    UnsupportedFormat,
    extract,
)
from invoice_extract.ingest import load_document, sniff_media_type
from invoice_extract.ingest.pdf import text_quality

from .conftest import DIGITAL, LETTER, make_pdf


def test_text_layer_words_have_normalised_boxes() -> None:
    doc = load_document(DIGITAL / "inv-001.pdf", Limits())
    page = doc.pages[0]
    assert page.text_source == "text_layer"
    assert len(page.words) > 100
    for w in page.words:
        x0, y0, x1, y1 = w.bbox
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    texts = [w.text for w in page.words]
    assert "RECHNUNG" in texts
    # Reading a word's box back: the title is near the top right of the page.
    title = next(w for w in page.words if w.text == "RECHNUNG")
    assert title.x0 > 0.5 and title.y1 < 0.15


def test_an_accented_capital_does_not_lift_a_word_off_its_line(tmp_path: Path) -> None:
    """'İstanbul' beside '34430' on one baseline: the dot above its capital does not make the
    word taller than its neighbours (words are grouped into lines by their extent)."""
    from invoice_extract.fields.lines import build_layout

    from .conftest import make_placed_pdf

    path = tmp_path / "tr.pdf"
    path.write_bytes(make_placed_pdf([[(60, 100, "34430 İstanbul"), (300, 100, "Ärger Straße")]]))
    page = load_document(path, Limits()).pages[0]
    boxes = {w.text: w.bbox for w in page.words}
    assert boxes["İstanbul"][1] == boxes["34430"][1] and boxes["İstanbul"][3] == boxes["34430"][3]
    assert boxes["Ärger"][1] == boxes["Straße"][1]
    [line] = build_layout([page]).lines
    assert [s.text for s in line.segments] == ["34430 İstanbul", "Ärger Straße"]


def test_a_label_set_touching_its_amount_is_two_words(tmp_path: Path) -> None:
    """'Toplam Tutar118.044,49': the label's last word and the amount, each with its box
    (the amount's left edge where its first digit starts); identifiers stay whole."""
    from .conftest import make_placed_pdf

    path = tmp_path / "glued.pdf"
    path.write_bytes(make_placed_pdf([[(60, 100, "Toplam Tutar118.044,49 SKU3612")]]))
    words = load_document(path, Limits()).pages[0].words
    assert [w.text for w in words] == ["Toplam", "Tutar", "118.044,49", "SKU3612"]
    tutar, amount = words[1], words[2]
    assert tutar.x1 == amount.x0 and tutar.x0 < amount.x0 < amount.x1 < words[3].x0


def test_rotated_page_boxes_follow_the_display(tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument(make_pdf(["TOP LEFT MARKER"]))
    pdf[0].set_rotation(90)
    path = tmp_path / "rotated.pdf"
    pdf.save(str(path))
    page = load_document(path, Limits()).pages[0]
    marker = next(w for w in page.words if w.text == "MARKER")
    # Drawn at the top left, the page turned 90° clockwise: now at the top right, vertical.
    assert marker.x0 > 0.8 and marker.y0 < 0.5
    assert (marker.y1 - marker.y0) > (marker.x1 - marker.x0)


def test_sniffing_reads_content_not_the_name(tmp_path: Path) -> None:
    renamed = tmp_path / "invoice.png"
    renamed.write_bytes((DIGITAL / "inv-002.pdf").read_bytes())
    inv = extract(renamed)
    assert inv.invoice_number is not None
    assert inv.run is not None
    assert any("does not match its content" in w for w in inv.run.warnings)
    assert sniff_media_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff_media_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"


def test_garbage_text_layer_is_not_used() -> None:
    from invoice_extract.document import Word

    good = [Word("Invoice", (0, 0, 0.1, 0.1), 1), Word("12.00", (0, 0, 0.1, 0.1), 1)]
    bad = [Word("\ue001\ue002", (0, 0, 0.1, 0.1), 1), Word("\ufffd\ufffd", (0, 0, 0.1, 0.1), 1)]
    assert text_quality(good) == 1.0
    assert text_quality(bad) == 0.0


# --- bad input: each gets its own error type and a message naming the file -------------


def test_missing_file() -> None:
    with pytest.raises(DocumentNotFound, match="nope.pdf: no such file"):
        extract("nope.pdf")


def test_directory_is_not_a_document(tmp_path: Path) -> None:
    with pytest.raises(DocumentNotFound, match="is a directory"):
        extract(tmp_path)


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocument, match="empty.pdf: the file is empty"):
        extract(path)


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes((DIGITAL / "inv-001.pdf").read_bytes()[:600])
    with pytest.raises(UnreadableDocument, match="corrupt.pdf: corrupt or truncated PDF"):
        extract(path)


def test_encrypted_pdf_needs_its_password(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(make_pdf(LETTER, encrypt=StandardEncryption("secret", "owner")))
    with pytest.raises(EncryptedDocument, match="locked.pdf: encrypted PDF: it needs a password"):
        extract(path)
    with pytest.raises(EncryptedDocument, match="password given is wrong"):
        extract(path, PipelineConfig(password="wrong"))
    # With the right password the document opens (and is then judged on its content).
    with pytest.raises(NotAnInvoice):
        extract(path, PipelineConfig(password="secret"))


def test_encrypted_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    path = tmp_path / "owner-only.pdf"
    lines = ["INVOICE", "Invoice No.: A-1001", "Date: 15.03.2024", "Total: 119,00 EUR"]
    path.write_bytes(make_pdf(lines, encrypt=StandardEncryption("", "owner")))
    inv = extract(path)
    assert inv.invoice_number is not None and inv.invoice_number.value == "A-1001"


def test_pdf_with_no_pages(tmp_path: Path) -> None:
    path = tmp_path / "nopages.pdf"
    pdfium.PdfDocument.new().save(str(path))
    with pytest.raises(EmptyDocument, match="nopages.pdf: the PDF has no pages"):
        extract(path)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.txt", b"just some notes\n", "plain text"),
        ("report.docx", None, "ZIP container"),
        ("blob.bin", bytes(range(256)) * 4, "unrecognised binary"),
    ],
)
def test_unsupported_types(tmp_path: Path, name: str, content: bytes | None, reason: str) -> None:
    path = tmp_path / name
    if content is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("word/document.xml", "<w:document/>")
        content = buf.getvalue()
    path.write_bytes(content)
    with pytest.raises(UnsupportedFormat, match=reason):
        extract(path)


def test_not_an_invoice(tmp_path: Path, letter_pdf: bytes) -> None:
    path = tmp_path / "letter.pdf"
    path.write_bytes(letter_pdf)
    with pytest.raises(NotAnInvoice, match="letter.pdf"):
        extract(path)


def test_page_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    path.write_bytes(make_pdf(["page"], pages=500))
    with pytest.raises(DocumentTooLarge, match="500 pages exceeds the limit of 100"):
        extract(path)
    # The limit is configurable.
    doc = load_document(path, Limits(max_pages=600))
    assert len(doc.pages) == 500


def test_byte_limit(tmp_path: Path) -> None:
    with pytest.raises(DocumentTooLarge, match="limits.max_bytes"):
        extract(DIGITAL / "inv-001.pdf", PipelineConfig(limits=Limits(max_bytes=1000)))


def test_image_without_ocr_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.new("RGB", (200, 300), "white").save(path)
    with pytest.raises(OcrRequired, match="scan.png: no page has a usable text layer"):
        extract(path, PipelineConfig(ocr="never"))
    pages = load_document(path, Limits()).pages
    assert pages[0].text_source == "none" and "needs OCR" in pages[0].warnings[0]


def test_truncated_image(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (200, 300), "white").save(buf, format="PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[:30])
    with pytest.raises(UnreadableDocument, match="cut.png: corrupt or truncated image"):
        extract(path)


def test_pixel_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("1", (4000, 3000)).save(path)
    with pytest.raises(DocumentTooLarge, match="limits.max_pixels"):
        extract(path, PipelineConfig(limits=Limits(max_pixels=1_000_000)))


def test_batch_goes_on_after_failures(tmp_path: Path, letter_pdf: bytes) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(letter_pdf)
    sources = [DIGITAL / "inv-001.pdf", bad, "missing.pdf", letter, DIGITAL / "inv-002.pdf"]
    results = list(Pipeline().extract_many(sources))
    kinds = [type(r).__name__ for r in results]
    assert kinds == ["Invoice", "UnreadableDocument", "DocumentNotFound", "NotAnInvoice", "Invoice"]


INVOICE_LINES = [
    "INVOICE",
    "Invoice No: 2024-0042",
    "Invoice Date: 12.03.2024",
    "Subtotal: 100,00 EUR",
    "VAT 19%: 19,00 EUR",
    "Total: 119,00 EUR",
]


def test_invisible_ocr_layer_is_used_when_it_reads_well(tmp_path: Path) -> None:
    path = tmp_path / "ocr-layer.pdf"
    path.write_bytes(make_pdf(INVOICE_LINES, invisible=True))
    page = load_document(path, Limits()).pages[0]
    assert page.text_source == "text_layer"
    assert extract(path).invoice_number is not None


def test_invisible_ocr_layer_of_poor_quality_needs_ocr(tmp_path: Path) -> None:
    garbled = [
        "1NV0ICE",
        "1nv0ice N0: 2O24-OO42 d4t3 l2.O3.2O24",
        "5ubt0t4l: l00,O0 3UR",
        "V4T l9%: l9,0O 3UR",
        "T0t4l: ll9,O0 3UR",
        "|||| .,;: ~~~~ ^^^^",
    ]
    path = tmp_path / "bad-ocr-layer.pdf"
    path.write_bytes(make_pdf(garbled, invisible=True))
    page = load_document(path, Limits()).pages[0]
    assert page.text_source == "none"
    assert "invisible OCR text layer is unusable" in page.warnings[0]
    with pytest.raises(OcrRequired):
        extract(path, PipelineConfig(ocr="never"))


def test_sources_as_bytes_and_binary_files() -> None:
    data = (DIGITAL / "inv-002.pdf").read_bytes()
    from_path = extract(DIGITAL / "inv-002.pdf")
    from_bytes = extract(data)
    with (DIGITAL / "inv-002.pdf").open("rb") as f:
        from_file = extract(f)
    assert from_bytes.source is not None and from_bytes.source.file_name == "<bytes>"
    assert from_file.source is not None and from_file.source.file_name.endswith("inv-002.pdf")
    for inv in (from_bytes, from_file):
        assert inv.total is not None and from_path.total is not None
        assert inv.total.value == from_path.total.value
        assert inv.source is not None and from_path.source is not None
        assert inv.source.sha256 == from_path.source.sha256


def test_rasterise_renders_one_page_with_poppler() -> None:
    from invoice_extract.ingest import rasterise

    data = (DIGITAL / "inv-001.pdf").read_bytes()
    image = rasterise("inv-001.pdf", data, page=2, dpi=72)
    assert image.mode == "RGB"
    width, height = image.size
    assert 590 <= width <= 600 and 835 <= height <= 845  # A4 at 72 dpi
    assert image.getextrema() != ((255, 255), (255, 255), (255, 255))  # not blank


def test_multi_page_tiff_is_one_page_per_frame(tmp_path: Path) -> None:
    path = tmp_path / "scan.tiff"
    frames = [Image.new("1", (300, 400), color) for color in (0, 1, 0)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    doc = load_document(path, Limits())
    assert doc.media_type == "image/tiff"
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert all(p.text_source == "none" for p in doc.pages)
