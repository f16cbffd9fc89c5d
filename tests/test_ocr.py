"""The image path: OCR of scans and photos, recognisers, preprocessing, bad images."""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from invoice_extract import (
    Invoice,
    ModelUnavailable,
    NotAnInvoice,
    Pipeline,
    PipelineConfig,
    UnreadableDocument,
    extract,
)
from invoice_extract.evaluate import score_all
from invoice_extract.ingest import rasterise
from invoice_extract.preprocess import deskew, despeckle, skew_angle

from .conftest import DIGITAL, ROOT

if TYPE_CHECKING:
    from invoice_extract.ocr.engine import OcrPage

SCANNED = ROOT / "fixtures" / "scanned"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _truth(path: Path) -> Invoice:
    return Invoice.model_validate_json(path.with_suffix(".json").read_text())


def _scans() -> list[Path]:
    return sorted(p for p in SCANNED.iterdir() if p.suffix != ".json")


def test_scanned_fixtures_carry_their_digital_ground_truth() -> None:
    scans = _scans()
    assert len(scans) >= 10
    assert {p.suffix for p in scans} >= {".pdf", ".png", ".jpg", ".tiff"}
    for scan in scans:
        digital = DIGITAL / (scan.stem.removesuffix("-scan") + ".json")
        assert scan.with_suffix(".json").read_text() == digital.read_text()


@pytest.mark.parametrize("name", ["inv-013-scan.png", "inv-029-scan.jpg", "inv-050-scan.tiff"])
def test_scans_and_photos_are_read(name: str) -> None:
    """A flatbed scan, a phone photo in perspective, and a page scanned upside down."""
    path = SCANNED / name
    inv = extract(path)
    truth = _truth(path)
    assert inv.run is not None and inv.run.pages[0].text_source == "ocr"
    for field in ("invoice_number", "invoice_date", "total", "currency"):
        got, want = getattr(inv, field), getattr(truth, field)
        assert got is not None and want is not None and got.value == want.value, field
    assert len(inv.line_items) == len(truth.line_items)
    assert all(e.page == 1 for e in inv.total.evidence)  # type: ignore[union-attr]
    # Where the time went, stage by stage, the OCR's own stages within its total.
    timings = inv.run.timings
    stages = ("preprocess", "detect", "recognise", "orient")
    assert all(timings[s] > 0 for s in stages)
    assert sum(timings[s] for s in stages) <= timings["ocr"] <= timings["total"]


def test_ocr_always_reads_a_digital_pdf_like_its_text_layer() -> None:
    path = DIGITAL / "inv-002.pdf"
    digital = extract(path)
    ocr = extract(path, PipelineConfig(ocr="always"))
    assert ocr.run is not None and ocr.run.pages[0].text_source == "ocr"
    for field in ("invoice_number", "invoice_date", "total", "subtotal"):
        assert getattr(ocr, field).value == getattr(digital, field).value, field


def test_mixed_document_uses_text_layer_and_ocr_per_page(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    source = DIGITAL / "inv-001.pdf"
    scan = Image.open(io.BytesIO(_page_png(source, 2)))
    image_pdf = io.BytesIO()
    scan.save(image_pdf, format="PDF", resolution=150)
    mixed = pdfium.PdfDocument(source.read_bytes())
    while len(mixed) > 1:
        mixed.del_page(1)
    mixed.import_pages(pdfium.PdfDocument(image_pdf.getvalue()))  # page 2, as a scan
    path = tmp_path / "mixed.pdf"
    mixed.save(str(path))
    inv = extract(path)
    assert inv.run is not None
    assert [p.text_source for p in inv.run.pages] == ["text_layer", "ocr"]
    assert inv.run.pages[1].words > 100
    truth = _truth(source)
    assert inv.invoice_number is not None and truth.invoice_number is not None
    assert inv.invoice_number.value == truth.invoice_number.value
    # The table goes on from the text page to the scanned one.
    amounts = [i.amount.value for i in inv.line_items if i.amount]
    wanted = [i.amount.value for i in truth.line_items if i.amount]
    assert len(amounts) > 30 and amounts == wanted[: len(amounts)]


def _page_png(pdf: Path, page: int) -> bytes:
    buf = io.BytesIO()
    rasterise(pdf.name, pdf.read_bytes(), page, dpi=150).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("angle", [-4.0, -1.2, 0.0, 2.5, 9.0])
def test_skew_is_measured(angle: float) -> None:
    page = np.asarray(rasterise("x", (DIGITAL / "inv-002.pdf").read_bytes(), 1, dpi=100))
    assert abs(skew_angle(deskew(page, -angle)) - angle) <= 0.2


def _page_of_rows(paper: int, rows: int, top: int, h: int = 1400, w: int = 1000) -> np.ndarray:
    """A plain page of ``rows`` item lines from ``top`` down, 60 px apart."""
    import cv2

    page = np.full((h, w, 3), paper, np.uint8)
    for k in range(rows):
        row = f"Item {k} consulting services 1 250,00"
        cv2.putText(page, row, (80, top + 60 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20,) * 3, 2)
    return page


def _laid_on(desk: np.ndarray, page: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """``page`` photographed on ``desk`` with its corners (top left first, clockwise) at
    ``corners``, which may lie beyond the desk's frame."""
    import cv2

    h, w = page.shape[:2]
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), corners)
    return cv2.warpPerspective(
        page, matrix, desk.shape[1::-1], dst=desk, borderMode=cv2.BORDER_TRANSPARENT
    )


def _light_desk(h: int, w: int, seed: int) -> np.ndarray:
    """A light grey desk with a blurred grain, as light as paper in shadow."""
    import cv2

    grain = np.random.default_rng(seed).normal(0, 25, (h, w)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), 2.0)
    return np.clip(205 + grain, 0, 255).astype(np.uint8)[..., None].repeat(3, axis=2)


def _read_outlined(
    monkeypatch: pytest.MonkeyPatch, photo: np.ndarray, outline: np.ndarray
) -> OcrPage:
    """``photo`` read where the sheet's outline found on it is ``outline``."""
    from invoice_extract.ocr import engine

    monkeypatch.setattr(engine, "page_quad", lambda image: outline)
    return engine.OcrEngine(accents=False).read(photo, 1)


@pytest.mark.parametrize("light", [(0.75, 1.05, 0.85, 1.05), (0.75, 1.05, 0.95, 0.9)])
def test_a_sheet_is_found_on_a_photo_and_not_in_a_scans_uneven_light(
    light: tuple[float, float, float, float],
) -> None:
    """A photographed sheet stands out from the desk it lies on and is straightened; on a
    scan lit unevenly, the brighter part of the page is not a sheet (straightening to it
    cut a page down to a corner and read nothing)."""
    from invoice_extract.preprocess import page_quad

    h, w = 1400, 1000
    page = _page_of_rows(250, 12, 150)
    a, b, c, d = light
    gain = np.outer(np.linspace(c, d, h), np.linspace(a, b, w))[..., None]
    assert page_quad(np.clip(page * gain, 0, 255).astype(np.uint8)) is None
    corners = np.float32([[60, 50], [w + 40, 80], [w + 70, h + 90], [40, h + 70]])
    quad = page_quad(_laid_on(np.full((h + 160, w + 120, 3), 90, np.uint8), page, corners))
    assert quad is not None and np.abs(quad - corners).max() < 6


@pytest.mark.parametrize("angle", [-1.5, 1.6])
def test_skew_is_measured_on_a_page_of_long_table_rows(angle: float) -> None:
    # A table's rows and rules are sharp within half a degree of the page's skew only.
    page = np.asarray(rasterise("x", (DIGITAL / "inv-001.pdf").read_bytes(), 2, dpi=150))
    assert abs(skew_angle(deskew(page, -angle)) - angle) <= 0.2


@pytest.mark.parametrize("angle", [-1.2, 1.9])
def test_skew_is_measured_past_a_dark_strip_at_the_frames_edge(angle: float) -> None:
    # A straightened photo keeps a few rows of the desk above and below the sheet.
    page = deskew(
        np.asarray(rasterise("x", (DIGITAL / "inv-002.pdf").read_bytes(), 1, dpi=150)), -angle
    ).copy()
    page[:3], page[-3:] = 110, 110
    assert abs(skew_angle(page) - angle) <= 0.2


def test_a_sheet_in_shadow_on_a_grained_desk_is_found_to_its_corners() -> None:
    """A shadow over the bottom of a photographed sheet darkens it below Otsu's level, and
    the desk's grain is no edge: the corners are found all the same."""
    import cv2

    from invoice_extract.preprocess import page_quad

    rng = np.random.default_rng(3)
    h, w = 1400, 1000
    page = _page_of_rows(245, 14, 200)
    page[40:130, 40:-40] = (70, 30, 110)  # a coloured band across the top, within the margins
    grain = cv2.resize(rng.normal(0, 18, (50, 200)), (w + 400, h + 400))
    desk = np.clip(125 + grain, 0, 255).astype(np.uint8)[..., None].repeat(3, axis=2)
    corners = np.float32([[230, 150], [1160, 250], [1230, 1560], [170, 1450]])
    photo = _laid_on(desk, page, corners).astype(np.float32)
    rows = np.linspace(0, 1, photo.shape[0])
    photo *= (1 - 0.4 * np.clip((rows - 0.55) * 4, 0, 1))[:, None, None]  # the phone's shadow
    quad = page_quad(photo.astype(np.uint8))
    assert quad is not None and np.abs(quad - corners).max() < 8


@pytest.mark.parametrize(
    "corners",
    [
        [[150, 150], [1260, 190], [1150, 1560], [100, 1450]],  # top right beyond the frame
        [[150, 150], [1080, 110], [1120, 1500], [-190, 1380]],  # bottom left beyond it
        [[120, 160], [1050, 90], [1110, 1900], [90, 1560]],  # bottom right beyond it
        [[150, 150], [1290, -70], [1150, 1560], [100, 1450]],  # top right beyond a corner
    ],
)
def test_a_sheet_the_photo_cut_a_corner_off_is_straightened_whole(
    corners: list[list[int]],
) -> None:
    """A phone photo that cut one corner of the sheet off (also across a corner of the
    frame): the sheet's two edges to that corner are followed beyond the frame, so the
    whole sheet in the photo is straightened (straightening to the outline inside the frame
    took a strip of the page off)."""
    from invoice_extract.preprocess import page_quad

    target = np.float32(corners)
    desk = np.full((1700, 1200, 3), 95, np.uint8)
    quad = page_quad(_laid_on(desk, _page_of_rows(245, 14, 200), target))
    assert quad is not None and np.abs(quad - target).max() < 8


def _invoice_lines() -> list[np.ndarray]:
    """Text-line boxes (top left first, clockwise) of an invoice-like page 1000 x 1400: a
    left-aligned address block, right-aligned dates, a table of rows with right-aligned
    amounts, and a footer."""
    boxes = [(80, 100 + 40 * k, 80 + 300 - 35 * k, 28) for k in range(5)]  # address
    boxes += [(600, 100 + 40 * k, 320, 28) for k in range(4)]  # labels and dates
    for k in range(14):  # rows: number, description, amount (right-aligned at 920)
        y = 420 + 45 * k
        boxes += [(80, y, 20, 28), (130, y, 260 + 17 * (k % 5), 28)]
        boxes += [(920 - 90 - 11 * (k % 3), y, 90 + 11 * (k % 3), 28)]
    boxes += [(80, 1300, 700, 24)]
    return [np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]) for x, y, w, h in boxes]


@pytest.mark.parametrize(
    "corners",
    [
        [[150, 150], [1120, 90], [1010, 1500], [260, 1560]],  # narrower at the bottom
        [[110, 210], [1050, 120], [1130, 1530], [60, 1390]],  # wider on the right
        [[200, 120], [1000, 160], [1150, 1450], [90, 1530]],  # wider at the bottom
        # Mild: the rows meet 27 frame sides away, 1.7° apart from top to bottom (a wide
        # table's rows, deskewed only, still broke in two).
        [[150, 150], [1150, 165], [1150, 1535], [150, 1550]],
    ],
)
def test_a_page_in_perspective_is_straightened_by_its_text_lines(
    corners: list[list[int]],
) -> None:
    """A photographed sheet whose edges cannot be found (paper on a light desk, a dark band
    printed to its edge) is straightened by its text lines: after ``dewarp`` to
    ``text_quad``'s outline every line runs level, and line starts that share a column on
    the page share one in the picture. (Deskewing alone left the top and bottom rows of a
    table turned against each other, and no rows were read.)"""
    import cv2

    from invoice_extract.preprocess import text_quad

    page = np.float32([[0, 0], [1000, 0], [1000, 1400], [0, 1400]])
    photo = cv2.getPerspectiveTransform(page, np.float32(corners))
    lines = [cv2.perspectiveTransform(q[None], photo)[0] for q in _invoice_lines()]
    quad = text_quad(lines, (1700, 1300))
    assert quad is not None
    w, h = 1000, 1400  # any rectangle: dewarp sizes its own by the quad's sides
    straight = cv2.getPerspectiveTransform(quad, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    seen = [cv2.perspectiveTransform(q[None], straight)[0] for q in lines]
    for q in seen:
        tilt = np.degrees(np.arctan2(*(q[1] - q[0])[::-1]))
        assert abs(tilt) < 0.3
    number_column = [q[0][0] for q in seen[9:51:3]]  # the rows' numbers, left-aligned
    amount_column = [q[1][0] for q in seen[11:51:3]]  # the rows' amounts, right-aligned
    assert np.ptp(number_column) < 3 and np.ptp(amount_column) < 3


def test_a_sheet_on_a_light_desk_is_read_in_level_rows() -> None:
    """Paper on a light desk, photographed in perspective: its edges are too faint to find,
    so the page is straightened by its text lines and read again, and each row's words lie
    level, as a table needs them (deskewed only, the top rows fell one way and the bottom
    ones the other, by up to 0.4 of a line's height across the row)."""
    from invoice_extract.ocr.engine import OcrEngine

    desk = np.full((1700, 1300, 3), 215, np.uint8)
    corners = np.float32([[160, 130], [1130, 190], [1110, 1540], [170, 1600]])
    photo = _laid_on(desk, _page_of_rows(240, 18, 200), corners)
    page = OcrEngine(accents=False).read(photo, 1)
    assert "straightened by its text lines" in page.notes
    starts = [w.bbox for w in page.words if w.text == "Item"]
    ends = [w.bbox for w in page.words if w.text == "250,00"]
    assert len(starts) == len(ends) == 18
    for (_, top, _, bottom), (_, top_end, _, _) in zip(
        sorted(starts, key=lambda b: b[1]), sorted(ends, key=lambda b: b[1]), strict=True
    ):
        assert abs(top_end - top) < 0.1 * (bottom - top)


@pytest.mark.parametrize("turned", [0.0, 2.0])
def test_an_outline_that_cuts_through_the_text_is_not_taken_for_the_sheet(
    monkeypatch: pytest.MonkeyPatch, turned: float
) -> None:
    """On a light desk the shadowed side of a sheet can be as light as the desk, and the
    outline found is then its lit part only: the text runs into that outline's edge, so
    the photo is read whole instead (straightened to the lit part, the parties on the
    left were lost). Also where the straightened part is then deskewed, which moves the
    outline's edges off the canvas's (the cut words had stood 40 pixels in, and were
    not seen as cut)."""
    from invoice_extract.preprocess import deskew

    page = deskew(_page_of_rows(240, 12, 200), turned)
    lit = np.float32([[330, 0], [1000, 0], [1000, 1400], [330, 1400]])
    read = _read_outlined(monkeypatch, page, lit)
    assert sum(w.text == "Item" for w in read.words) == 12
    assert "straightened a photographed sheet" not in read.notes
    # An outline inside the margins is the sheet's: straightened, its text all there.
    sheet = np.float32([[40, 40], [990, 40], [990, 1390], [40, 1390]])
    read = _read_outlined(monkeypatch, page, sheet)
    assert read.notes[0] == "straightened a photographed sheet"
    assert sum(w.text == "Item" for w in read.words) == 12


def test_an_outline_a_shadow_ended_across_the_text_is_not_taken_for_the_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shadow across a sheet on a light desk, as dark as the desk, ends the outline found
    where it falls: across the rows, the text running on below it. The photo is read whole
    instead (straightened to the lit part, 14 of a table's 35 rows were lost). The sheet's
    own outline, with the desk's grain beyond its edges, is kept."""
    desk = _light_desk(1700, 1300, seed=0)
    corners = np.float32([[150, 150], [1150, 150], [1150, 1550], [150, 1550]])
    photo = _laid_on(desk, _page_of_rows(240, 18, 200), corners)
    lit = np.float32([[150, 150], [1150, 150], [1150, 750], [150, 750]])  # rows 0 to 6
    read = _read_outlined(monkeypatch, photo, lit)
    assert "straightened a photographed sheet" not in read.notes
    assert sum(w.text == "Item" for w in read.words) == 18
    read = _read_outlined(monkeypatch, photo, corners)
    assert read.notes[0] == "straightened a photographed sheet"
    assert sum(w.text == "Item" for w in read.words) == 18


def test_text_beyond_an_outline_near_the_frames_edge_is_looked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the outline a shadow ended lies a few line heights from the frame's edge (the
    sheet runs off the photo), the band between is looked at: a band the frame cut off had
    been passed over, and the rows below the shadow lost."""
    desk = _light_desk(1380, 1300, seed=0)
    corners = np.float32([[150, 150], [1150, 150], [1150, 1550], [150, 1550]])
    photo = _laid_on(desk, _page_of_rows(240, 18, 200), corners)
    lit = np.float32([[150, 150], [1150, 150], [1150, 1280], [150, 1280]])  # 100 px above
    read = _read_outlined(monkeypatch, photo, lit)
    assert "straightened a photographed sheet" not in read.notes
    assert {f"{k}" for k in range(17)} <= {w.text for w in read.words}


def test_a_footer_far_below_a_shadow_that_fell_across_a_blank_part_is_not_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shadow that ended the outline across the blank middle of a page leaves the
    footer's lines many line heights below it: the photo is looked at down to its frame,
    and read whole (a light-desk photo's footer, 20 line heights below, had been lost with
    the vendor's IBAN, VAT id and e-mail)."""
    import cv2

    desk = _light_desk(1700, 1300, seed=1)
    page = _page_of_rows(240, 6, 200)
    for k, text in enumerate(["Bank Account IBAN DE89370400440532013000", "Registered Office"]):
        at = (80, 1250 + 60 * k)
        cv2.putText(page, text, at, cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20,) * 3, 2)
    corners = np.float32([[150, 150], [1150, 150], [1150, 1550], [150, 1550]])
    photo = _laid_on(desk, page, corners)
    lit = np.float32([[150, 150], [1150, 150], [1150, 900], [150, 900]])  # rows 0 to 5
    read = _read_outlined(monkeypatch, photo, lit)
    assert "straightened a photographed sheet" not in read.notes
    assert {"IBAN", "Registered", "Office"} <= {w.text for w in read.words}


def test_a_shadow_down_a_blank_column_is_not_taken_for_the_sheets_edge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shadow down the blank column between a table's descriptions and its amounts ends
    the outline there, where no line runs into its edge: the text beyond its left side is
    looked for too, and the photo read whole (straightened to the lit part, a page's
    descriptions were lost and its rows with them)."""
    import cv2

    page = np.full((1400, 1000, 3), 240, np.uint8)
    for k in range(18):
        for x, text in ((80, f"Item {k} consulting services"), (700, "1 250,00")):
            at = (x, 200 + 60 * k)
            cv2.putText(page, text, at, cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20,) * 3, 2)
    corners = np.float32([[150, 150], [1150, 150], [1150, 1550], [150, 1550]])
    photo = _laid_on(_light_desk(1700, 1300, seed=2), page, corners)
    lit = np.float32([[770, 150], [1150, 150], [1150, 1550], [770, 1550]])  # the amounts
    read = _read_outlined(monkeypatch, photo, lit)
    assert "straightened a photographed sheet" not in read.notes
    assert sum(w.text == "consulting" for w in read.words) == 18


def test_the_bands_beyond_an_outline_reach_the_frame_the_way_up_the_sheet_is() -> None:
    """Each band beyond a side of a sheet's outline runs from that side to the frame along
    the sheet's own sides, its corners in the sheet's order (read upright); a side on the
    frame's edge has none; an outline whose corner the frame cut still has its band."""
    from invoice_extract.preprocess import bands_beyond

    sheet = np.float32([[100, 100], [500, 100], [500, 700], [100, 700]])
    top, bottom, left, right = bands_beyond(sheet, (1000, 800), least=10)
    assert np.allclose(top, [[100, 0], [500, 0], [500, 100], [100, 100]])
    assert np.allclose(bottom, [[100, 700], [500, 700], [500, 999], [100, 999]])
    assert np.allclose(left, [[0, 100], [100, 100], [100, 700], [0, 700]])
    assert np.allclose(right, [[500, 100], [799, 100], [799, 700], [500, 700]])
    on_edge = np.float32([[0, 0], [500, 0], [500, 700], [0, 700]])
    assert len(bands_beyond(on_edge, (1000, 800), least=10)) == 2  # bottom and right
    cut = np.float32([[100, 100], [500, 100], [500, 1100], [100, 1100]])
    assert np.allclose(bands_beyond(cut, (1000, 800), least=10)[1][:2], [[0, 100], [100, 100]])


def test_text_lines_running_parallel_leave_the_page_as_it_is() -> None:
    """A scan, turned or not, or a sheet already straightened: no outline (straightening
    there would cost a second reading and gain nothing)."""
    import cv2

    from invoice_extract.preprocess import text_quad

    lines = _invoice_lines()
    assert text_quad(lines, (1400, 1000)) is None
    turned = cv2.getRotationMatrix2D((500, 700), 2.0, 1.0)
    assert text_quad([cv2.transform(q[None], turned)[0] for q in lines], (1400, 1000)) is None
    assert text_quad(lines[:5], (1400, 1000)) is None  # too few lines to tell


@pytest.mark.parametrize("inset, straightened", [(14, False), (60, True)])
def test_columns_that_seem_to_meet_far_off_leave_level_rows_as_they_are(
    inset: int, straightened: bool
) -> None:
    """Rows that run level on a page whose sides draw together upwards, ``inset`` pixels
    over its height. Columns are judged from where lines start and end, a coarser guide
    than the lines' own directions: flat scans' columns were judged to meet 23 to 36 frame
    sides away, and 4 of the 14 committed scan pages were straightened and read twice for
    nothing. Columns meeting 29 sides away (``inset`` 14) leave the page as it is; a
    phone's keystone (7 sides, ``inset`` 60) is straightened."""
    import cv2

    from invoice_extract.preprocess import text_quad

    page = np.float32([[0, 0], [1000, 0], [1000, 1400], [0, 1400]])
    corners = [[150 + inset, 150], [1150 - inset, 150], [1150, 1550], [150, 1550]]
    photo = cv2.getPerspectiveTransform(page, np.float32(corners))
    lines = [cv2.perspectiveTransform(q[None], photo)[0] for q in _invoice_lines()]
    assert (text_quad(lines, (1700, 1300)) is not None) == straightened


def test_a_page_scanned_upside_down_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page is turned upright by its text lines before it is read, and read once: the
    lines found to judge it are not read, and the lines of the page as read are not found
    twice (reading an upside-down page first and again upright cost a second of the
    page's 4 seconds)."""
    from invoice_extract.ocr import engine, ppocr

    reads: list[tuple[int, ...]] = []
    read_page = ppocr.read_page

    def counted(image: np.ndarray, fade: bool, runtime: ppocr.Runtime) -> tuple:  # type: ignore[type-arg]
        reads.append(image.shape)
        return read_page(image, fade, runtime)

    monkeypatch.setattr(ppocr, "read_page", counted)
    path = SCANNED / "inv-050-scan.tiff"  # 1289 x 1788: read at 1600 on the long side
    page = engine.OcrEngine(accents=False).read(np.asarray(Image.open(path).convert("RGB")), 1)
    assert "turned upright by 180°" in page.notes
    assert len(reads) == 1
    truth = _truth(path).invoice_number
    assert truth is not None and truth.value in [w.text for w in page.words]


def test_despeckle_removes_isolated_specks_and_keeps_punctuation() -> None:
    page = np.asarray(rasterise("x", (DIGITAL / "inv-002.pdf").read_bytes(), 1, dpi=200)).copy()
    rng = np.random.default_rng(0)
    ink = page.min(axis=2) < 128
    blank = np.argwhere(~ink)
    spots = blank[rng.choice(len(blank), 400, replace=False)]
    clean = page.copy()
    page[spots[:, 0], spots[:, 1]] = 0  # single-pixel specks, most of them far from text
    out = despeckle(page)
    far = [
        (y, x) for y, x in spots if not ink[max(0, y - 16) : y + 17, max(0, x - 16) : x + 17].any()
    ]
    assert len(far) > 300 and all(out[y, x].min() == 255 for y, x in far)
    # Every dark pixel of the page itself (dots of i, decimal points) is still there.
    assert (out[ink] == clean[ink]).all()


def test_line_recogniser_words_get_boxes_where_their_ink_is() -> None:
    # A detected line that runs across table columns: quantity, description, amount, far
    # apart. Recognisers that read whole lines give no word boxes; the words go where the
    # ink between the widest gaps is, not where character counts would put them.
    from invoice_extract.ocr.engine import split_words, word_spans

    font = ImageFont.truetype(FONT, 30)
    img = Image.new("RGB", (900, 44), "white")
    draw = ImageDraw.Draw(img)
    placed = {"12": 10, "Project management": 120, "1,185.05": 760}
    for text, x in placed.items():
        draw.text((x, 5), text, fill="black", font=font)
    crop = np.asarray(img)
    text = "12 Project management 1,185.05"
    spans = word_spans(crop, text.split())
    assert spans is not None
    words = split_words(text, 0.9, (0.1, 0.5, 0.55, 0.52), 1, spans)
    assert [w.text for w in words] == text.split()
    to_page = [(0.1 + 0.45 * x / 900) for x in placed.values()]
    for word, left in zip([words[0], words[1], words[3]], to_page, strict=True):
        assert abs(word.bbox[0] - left) < 0.01, (word.text, word.bbox, left)
    assert words[1].bbox[2] < words[2].bbox[0] < words[3].bbox[0]
    # By character counts the amount would start at 24/31 of the line, 0.46 of the page.
    assert words[3].bbox[0] > 0.47
    # Two words read where the page has no space between them: the gaps between columns
    # still place the words around them, the two share their ink.
    img = Image.new("RGB", (900, 44), "white")
    draw = ImageDraw.Draw(img)
    for text, x in {"12": 10, "ProjectManagement": 120, "1,185.05": 760}.items():
        draw.text((x, 5), text, fill="black", font=font)
    spans = word_spans(np.asarray(img), ["12", "Project", "Management", "1,185.05"])
    assert spans is not None
    assert abs(spans[0][0] - 10 / 900) < 0.01 and abs(spans[3][0] - 760 / 900) < 0.01
    assert abs(spans[1][0] - 120 / 900) < 0.01 and spans[1][1] < spans[2][0] < 760 / 900
    assert word_spans(np.full((40, 300, 3), 255, np.uint8), ["x"]) is None  # no ink at all


@pytest.mark.parametrize("gap", [3, 5, 8])
def test_word_boxes_in_a_tight_table_row(gap: int) -> None:
    # A quantity and its description a few pixels apart, closer than the description's
    # own words, between a table's cell borders (grey, as scanned) and with scan specks
    # in the margin: the quantity's box ends before the description's begins, and the
    # description starts at its first letter, not at the border or a speck.
    from invoice_extract.ocr.engine import word_spans

    font = ImageFont.truetype(FONT, 22)
    rows = [
        ("4", "Installation and configuration of network equipment on"),
        ("7.5", "Office chairs"),
        ("12", "Training workshop for 12 participants"),
    ]
    for qty, desc in rows:
        img = Image.new("L", (720, 36), 250)
        draw = ImageDraw.Draw(img)
        draw.line([(1, 0), (1, 35)], fill=150, width=2)  # cell borders, lighter than text
        draw.line([(716, 0), (716, 35)], fill=150, width=2)
        draw.point([(5, 30), (9, 4)], fill=0)
        draw.text((14, 5), qty, fill=20, font=font)
        left = 14 + draw.textlength(qty, font=font) + gap
        draw.text((left, 5), desc, fill=20, font=font)
        spans = word_spans(np.asarray(img), f"{qty} {desc}".split())
        assert spans is not None
        assert abs(spans[0][0] * 720 - 14) < 3, (qty, spans[0])
        assert spans[0][1] * 720 <= left and abs(spans[1][0] * 720 - left) < 3, (desc, spans[:2])


def test_blank_columns_skip_cell_borders_specks_and_neighbouring_lines() -> None:
    from invoice_extract.preprocess import blank_columns

    line = np.full((36, 60), 245, np.uint8)
    line[:, 3] = 160  # a grey vertical rule across the whole crop
    line[30, 10] = 0  # one speck
    line[8:28, 20:23] = 15  # a letter's stem: ink
    blank = blank_columns(line)
    assert blank[3] and blank[10] and not blank[20:23].any() and blank[30:].all()
    # The tops of the next line's letters cut into the crop's bottom bridge no gap.
    line[33:, 5:58:3] = 15
    blank = blank_columns(line)
    assert blank[30:].all() and not blank[20:23].any()


def test_a_coloured_stamp_across_a_line_is_faded_before_it_is_read() -> None:
    from invoice_extract.ocr import load_recognizer
    from invoice_extract.preprocess import fade_colour

    font = ImageFont.truetype(FONT, 32)
    clean = Image.new("RGB", (420, 60), "white")
    ImageDraw.Draw(clean).text((10, 10), "Total 1,250.00", fill="black", font=font)
    stamp = Image.new("RGBA", clean.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(stamp)
    blue = (30, 60, 190, 160)  # translucent, as a rubber stamp's ink
    draw.ellipse([150, -40, 520, 100], outline=blue, width=6)
    draw.text((170, -8), "PAID", fill=blue, font=ImageFont.truetype(FONT, 64))
    marked = np.asarray(Image.alpha_composite(clean.convert("RGBA"), stamp).convert("RGB"))
    text = np.asarray(clean.convert("L")) < 10
    mark = (np.asarray(stamp)[..., 3] > 0) & ~(np.asarray(clean.convert("L")) < 250)
    faded = fade_colour(marked)
    # The print stays dark, under the stamp too; the stamp on bare paper turns light.
    assert faded[text].max() < 128 and faded[mark].min() > 190
    reader = load_recognizer("trocr")
    assert reader.recognise([faded]) == [("Total 1,250.00", pytest.approx(1.0, abs=0.1))]
    # Lines printed in colour, or light on a coloured band, are read as they are.
    red = Image.new("RGB", (420, 60), "white")
    ImageDraw.Draw(red).text((10, 10), "OVERDUE", fill=(220, 20, 20), font=font)
    band = Image.new("RGB", (420, 60), (31, 78, 121))
    ImageDraw.Draw(band).text((10, 10), "Description", fill="white", font=font)
    for line in (np.asarray(red), np.asarray(band)):
        assert fade_colour(line) is line


@pytest.mark.parametrize(
    ("read", "other", "kept"),
    [
        ("Uslugi", "Usługi", "Usługi"),  # the diacritic one reading dropped
        ("księgowa", "ksiegowa", "księgowa"),  # kept where the other reading lacks it
        ("Malmo", "Malmö", "Malmö"),
        ("OBSLUGA", "OBSŁUGA", "OBSŁUGA"),
        ("Obsluga", "Obskuga", "Obsluga"),  # different letters: as read
        ("café", "cafè", "café"),  # two different diacritics: as read
        ("1.250,00", "1.250.00", "1.250,00"),  # not letters
        ("Uslugi", "Usługi doradcze", "Uslugi"),
        ("Stockholm", "Śtockholm", "Stockholm"),  # no 'ś' read on the page: not its alphabet
    ],
)
def test_accents_of_a_second_reading(read: str, other: str, kept: str) -> None:
    from invoice_extract.ocr.accents import with_accents

    assert with_accents(read, other, {"ł", "ę", "ö", "é"}) == kept


@pytest.mark.parametrize(
    ("words", "alphabet"),
    [
        # Polish alone has these: its other letters belong too
        (["Świętokrzyska", "Części", "miesiąc"], "ąćęłńóśźż"),
        (["München"], "ü"),  # German, Spanish, Turkish... share only 'ü'
        (["città"], "àé"),  # Italian, French, Portuguese, Catalan share 'à' and 'é'
        (["Malmō", "Västerås", "Göteborg"], "äåöō"),  # a stray misread letter adds nothing
        (["Invoice", "Straße"], ""),  # no accented letter read: nothing to restore
    ],
)
def test_a_pages_alphabet(words: list[str], alphabet: str) -> None:
    from invoice_extract.ocr.accents import page_alphabet

    assert page_alphabet(words) == set(alphabet)


@pytest.mark.parametrize(
    ("texts", "kept"),
    [
        # dropped on one row, read on two others: spelled as there
        (
            ["Uslugi doradcze", "Usługi doradcze", "Usługi IT", "towaru/uslugi"],
            ["Usługi doradcze", "Usługi doradcze", "Usługi IT", "towaru/uslugi"],
        ),
        (["Obsluga (roczna)", "Obsługa", "Obsługa"], ["Obsługa (roczna)", "Obsługa", "Obsługa"]),
        (["Uslugi", "Usługi", "Uslugi"], ["Uslugi", "Usługi", "Uslugi"]),  # not more often
        (["esta", "está", "está"], ["esta", "está", "está"]),  # 'á' not the page's letter
        (["Malo", "Mało", "Mało"], ["Mało", "Mało", "Mało"]),
        (["Mal", "Mał", "Mał"], ["Mal", "Mał", "Mał"]),  # too short to tell
    ],
)
def test_a_word_is_spelled_as_the_page_spells_it_elsewhere(
    texts: list[str], kept: list[str]
) -> None:
    from invoice_extract.ocr.accents import spelled_alike

    assert spelled_alike(texts, {"ł", "ę"}) == kept


@pytest.mark.parametrize(
    ("texts", "apart"),
    [
        (["Sum", "mit", "Analytics", "ApS", "Tel.", "Summit", "Analytics"], {0}),
        (["Lum", "en", "Media", "s.r.o.", "E-mail:", "billing@lumen.example"], {0}),
        (["M", "eridian", "Solutions", "PLC", "accounts@meridian.example"], {0}),
        # neither word nor domain elsewhere: as read
        (["Riverside", "M", "edia", "Co.,", "Ltd.", "riverside.example"], set()),
        # a second word with a capital: two words ('blueocean' is the domain's name)
        (["Blue", "Ocean", "Ltd", "info@blueocean.example"], set()),
        # Dutch 'en' (and): 'jansenen' is no word of the document
        (["Jansen", "en", "Zonen", "info@jansenzonen.example"], set()),
        # the first a word of its own elsewhere: 'for mat' may be two
        (["for", "mat", "a", "format", "for", "you"], set()),
        (["Sum", "mit", "Summit"], {0}),
        (["Lu", "en", "Luen"], set()),  # too short to tell
    ],
)
def test_a_word_read_apart_is_one_where_the_document_reads_it_whole(
    texts: list[str], apart: set[int]
) -> None:
    from invoice_extract.ocr.accents import read_apart

    assert read_apart(texts, range(len(texts) - 1)) == apart


def test_only_words_side_by_side_on_one_line_are_joined() -> None:
    """'Sum mit' on one line is 'Summit', its box both words' boxes; 'Sum' at the end of
    one line and 'mit' starting the next stay two words."""
    from invoice_extract.document import Page, Word
    from invoice_extract.pipeline import _joined_apart

    def page(*words: tuple[str, float, float]) -> Page:
        return Page(1, 600, 800, [Word(t, (x, y, x + 8 * len(t), y + 12), 1) for t, x, y in words])

    one = page(("Sum", 50, 60), ("mit", 78, 60), ("ApS", 110, 60), ("Summit", 50, 700))
    _joined_apart([one])
    assert [w.text for w in one.words] == ["Summit", "ApS", "Summit"]
    assert one.words[0].bbox == (50, 60, 102, 72)
    two = page(("Sum", 400, 60), ("mit", 50, 76), ("ApS", 82, 76), ("Summit", 50, 700))
    _joined_apart([two])
    assert [w.text for w in two.words] == ["Sum", "mit", "ApS", "Summit"]


@pytest.mark.parametrize(
    ("texts", "kept"),
    [
        # one diacritic of two dropped ('ı' read as 'i'), on one row of three
        (
            ["Danışmanlik hizmeti", "Danışmanlık hizmeti", "Danışmanlık"],
            ["Danışmanlık hizmeti", "Danışmanlık hizmeti", "Danışmanlık"],
        ),
        # the rarer spelling has a diacritic the more frequent one lacks: not taken away
        (["Yazılım", "Yazilım", "Yazilım"], ["Yazılım", "Yazilım", "Yazilım"]),
        # different diacritics on one letter (a cedilla, a comma below): neither is the
        # other with one dropped
        (["Cartuş", "Cartuș", "Cartuș"], ["Cartuş", "Cartuș", "Cartuș"]),
    ],
)
def test_a_word_missing_one_of_its_diacritics_is_spelled_as_elsewhere(
    texts: list[str], kept: list[str]
) -> None:
    from invoice_extract.ocr.accents import spelled_alike

    assert spelled_alike(texts, set("çğıöşüș")) == kept


@pytest.mark.parametrize(
    ("word", "alphabet", "kept"),
    [
        ("A.$.", set("çğıöşü"), "A.Ş."),  # a Turkish legal form
        ("$ti.", set("çğıöşü"), "Şti."),
        ("$ervices", set("äöü"), "Services"),  # no 'ş' in a German document's letters
        ("$120", set("çğıöşü"), "$120"),  # an amount
        ("US$", set(), "US$"),  # a currency sign
        ("(A$)", set(), "(A$)"),
        ("$", set(), "$"),
    ],
)
def test_an_s_read_as_a_dollar_sign_in_a_word_is_an_s(
    word: str, alphabet: set[str], kept: str
) -> None:
    from invoice_extract.ocr.accents import s_for_dollar

    assert s_for_dollar(word, alphabet) == kept


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("34430 istanbul", "34430 İstanbul"),
        ("istiklal Caddesi No: 117", "İstiklal Caddesi No: 117"),
        ("Cumhuriyet Caddesi No: 8, izmir,", "Cumhuriyet Caddesi No: 8, İzmir,"),
        ("Teslimat ile birlikte", "Teslimat ile birlikte"),  # a sentence's lowercase words
        ("Kargo ile Teslimat", "Kargo ile Teslimat"),
        ("IBAN TR12 0006", "IBAN TR12 0006"),
    ],
)
def test_a_dotted_capital_read_as_a_small_i_is_a_capital_again(line: str, kept: str) -> None:
    from invoice_extract.ocr.accents import dotted_capital_i

    assert " ".join(dotted_capital_i(line.split())) == kept


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Tutar118.044,49", ["Tutar", "118.044,49"]),  # a label glued to its amount
        ("Total:1234.50", ["Total:", "1234.50"]),
        ("118.044,49", ["118.044,49"]),
        ("INV2024.11", ["INV2024.11"]),  # identifiers stay whole
        ("SKU3612", ["SKU3612"]),
        ("v1.02", ["v1.02"]),
        ("0,5Beratungsleistung", ["0,5", "Beratungsleistung"]),  # a quantity glued to a word
        ("12Stück", ["12", "Stück"]),
        ("80g", ["80g"]),  # units, sizes and codes stay whole
        ("4GB", ["4GB"]),
        ("2xTest", ["2xTest"]),
    ],
)
def test_a_ppocr_word_gluing_a_label_to_an_amount_is_two_words(text: str, words: list[str]) -> None:
    from invoice_extract.document import glued_amount, glued_number
    from invoice_extract.ocr.engine import split_words

    at = glued_amount(text) or glued_number(text)
    parts = [text] if at is None else [text[:at], text[at:]]
    assert parts == words
    boxes = split_words(" ".join(parts), 0.9, (0.1, 0.2, 0.5, 0.22), 1)
    assert boxes[0].bbox[0] == 0.1 and boxes[-1].bbox[2] == pytest.approx(0.5)
    assert all(a.bbox[2] <= b.bbox[0] for a, b in itertools.pairwise(boxes))


def test_ppocr_reads_a_scan_alike_in_openvino_and_onnxruntime() -> None:
    """The recogniser runs in OpenVINO by default (bfloat16 where the CPU computes it, about
    twice as fast); it reads a scan's lines as onnxruntime's float32 does, all but a few
    hard ones."""
    from invoice_extract.ocr import ppocr

    engine = ppocr.rapidocr_engine("openvino")
    assert type(engine._load_rec_model().session).__name__ == "OpenVINOInferSession"
    image = np.asarray(Image.open(SCANNED / "inv-013-scan.png").convert("RGB"))
    crops = [ppocr.crop_line(image, q) for q in ppocr.detect_lines(image)]
    fast = ppocr.PpocrRecognizer("openvino").recognise(crops)
    exact = ppocr.PpocrRecognizer("onnxruntime").recognise(crops)
    assert len(crops) >= 30
    assert sum(a[0] == b[0] for a, b in zip(fast, exact, strict=True)) >= 0.95 * len(crops)


def test_a_forked_worker_reads_pages_after_its_parent_did() -> None:
    """Scans read by workers (``extract_many``, ``--workers``) forked from a process that
    has read pages itself: each worker reads its own (onnxruntime's sessions and their
    threads are the parent's, and a fork copies no threads)."""
    code = (
        "import sys\n"
        "from invoice_extract import Pipeline\n"
        "p = Pipeline()\n"
        "p.extract(sys.argv[1])\n"
        "print(sum(r.__class__.__name__ == 'Invoice' for r in "
        "p.extract_many(sys.argv[1:], workers=2)))\n"
    )
    scans = [str(SCANNED / n) for n in ("inv-013-scan.png", "inv-030-scan.tiff")]
    out = subprocess.run(
        [sys.executable, "-c", code, *scans], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "2"


@pytest.mark.parametrize(("odds", "spelled"), [(0.01, "Usługi"), (0.0001, "Uslugi")])
def test_ppocr_spells_a_line_with_the_diacritics_it_weighed(odds: float, spelled: str) -> None:
    """Where the recogniser read 'l' and gave 'ł' at least ACCENT_ODDS of its probability,
    the line's second spelling has 'ł'; the reading itself is the recogniser's."""
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

    from invoice_extract.ocr.ppocr import ACCENT_ODDS, SecondChoices

    decode = CTCLabelDecode(character=list("Uslugiłé"))  # 'blank' first, ' ' last
    chars = decode.character
    path = ["U", "blank", "s", "l", "l", "u", "g", "blank", "i"]
    probs = np.full((1, len(path), len(chars)), 1e-6, dtype=np.float32)
    for t, c in enumerate(path):
        probs[0, t, chars.index(c)] = 0.9
    probs[0, 3, chars.index("ł")] = 0.9 * odds  # weighed at the first 'l' only
    probs[0, 5, chars.index("é")] = 0.9 * ACCENT_ODDS / 10  # too little: not weighed
    choices = SecondChoices(decode)
    choices.recording = True
    (read, _), *_ = choices(probs)[0]
    assert read == "Uslugi"
    assert choices.spelled == {"Uslugi": spelled}


def test_ppocr_words_get_the_diacritics_it_dropped_from_trocr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PP-OCR now and then reads 'ł' as 'l'. Where it read 'ł' elsewhere on the page, its
    lines where it weighed 'ł' for an 'l' it read are read again by the shipped TrOCR, and
    a letter that only lacks the diacritic TrOCR read gets it; numbers and other words stay
    as PP-OCR read them, and so do lines where it weighed no such letter."""
    from invoice_extract.ocr import engine, ppocr

    img = Image.new("RGB", (1240, 600), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 30)
    for k, line in enumerate(["Usługi doradcze", "Obsługa księgowa", "Razem 1 250,00"]):
        draw.text((100, 100 + 80 * k), line, fill="black", font=font)
    read_page = ppocr.read_page

    def usługi_misread(image: np.ndarray, fade: bool, runtime: ppocr.Runtime) -> tuple:  # type: ignore[type-arg]
        # 'Usługi' read without its 'ł', which the recogniser weighed (its second spelling
        # keeps it); 'księgowa' without its 'ę', which it did not weigh.
        words, lines, seconds = read_page(image, fade, runtime)
        misread = [(w[0].replace("Usługi", "Uslugi"), *w[1:]) for w in words]
        misread = [(w[0], *w[1:4], w[4].replace("ę", "e")) for w in misread]
        misread = [(w[0].replace("księgowa", "ksiegowa"), *w[1:]) for w in misread]
        return misread, lines, seconds

    monkeypatch.setattr(ppocr, "read_page", usługi_misread)
    page = np.asarray(img)
    assert engine.OcrEngine(accents=False).read(page, 1).words[0].text == "Uslugi"
    words = [w.text for w in engine.OcrEngine().read(page, 1).words]
    assert words == ["Usługi", "doradcze", "Obsługa", "ksiegowa", "Razem", "1", "250,00"]
    # A TrOCR model that cannot load here: the page is read as ppocr read it, and says so.
    missing = engine.OcrEngine(model=str(tmp_path / "no-model")).read(page, 1)
    assert missing.words[0].text == "Uslugi"
    assert any("diacritics not checked" in note for note in missing.notes)


def test_a_document_spells_a_word_alike_where_ocr_dropped_a_diacritic_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A description read with its 'ł' on two rows and without it on a third (on another
    page) is spelled with it on all three; numbers stay as read; `accents=False` keeps
    what was read."""
    from invoice_extract.ocr import engine, ppocr

    pages = []
    first = ["Faktura nr FV/12/2024", "Usługi doradcze 1 250,00", "Usługi doradcze 80,00"]
    for lines in (first, ["Usługi IT 99,00", "Razem 1 429,00"]):
        img = Image.new("RGB", (1240, 600), "white")
        draw = ImageDraw.Draw(img)
        for k, line in enumerate(lines):
            draw.text((100, 100 + 80 * k), line, fill="black", font=ImageFont.truetype(FONT, 30))
        pages.append(img)
    path = tmp_path / "scan.pdf"
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=150)
    read_page = ppocr.read_page

    def dropped_on_page_two(image: np.ndarray, fade: bool, runtime: ppocr.Runtime) -> tuple:  # type: ignore[type-arg]
        words, lines, seconds = read_page(image, fade, runtime)
        if any(w[0] == "IT" for w in words):
            words = [(w[0].replace("ł", "l"), *w[1:]) for w in words]
        return words, lines, seconds

    monkeypatch.setattr(ppocr, "read_page", dropped_on_page_two)
    # TrOCR's second reading (one page at a time) does not see it: 'Usługi' is not read
    # on page two.
    monkeypatch.setattr(engine.OcrEngine, "_with_accents", lambda self, img, words, *_: words)

    def texts(accents: bool) -> list[tuple[int, str]]:
        _, doc = Pipeline(PipelineConfig(accents=accents)).extract_document(path)
        shown = {"Usługi", "Uslugi", "IT", "99,00"}
        return [(p.number, w.text) for p in doc.pages for w in p.words if w.text in shown]

    assert texts(False) == [(1, "Usługi"), (1, "Usługi"), (2, "Uslugi"), (2, "IT"), (2, "99,00")]
    assert texts(True) == [(1, "Usługi"), (1, "Usługi"), (2, "Usługi"), (2, "IT"), (2, "99,00")]


def test_lines_trocr_was_unsure_of_are_read_by_ppocr() -> None:
    """trocr+ppocr: the first recogniser's lines whose least sure character is below the
    threshold are read by the second, whose reading is kept, with the first's diacritics
    where only they differ and the page's alphabet has them."""
    from invoice_extract.ocr.checked import RECHECK_BELOW, CheckedRecognizer

    first_reads = [
        ("Usługi doradcze", 0.95, 0.5),  # unsure: read again, keeps its 'ł'
        ("Księgowość", 0.99, 0.98),  # sure: kept, and tells the page is Polish
        ("Razem 1 250,00", 0.99, RECHECK_BELOW),
        ("Obskuga", 0.8, 0.3),  # unsure, a different letter: the second's reading
    ]
    second_reads = {0: ("Uslugi doradcze", 0.99), 3: ("Obsluga", 0.97)}
    asked: list[int] = []

    class First:
        def read_lines(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float, float]]:
            return [first_reads[int(c[0, 0, 0])] for c in crops]

    class Second:
        name = "second"

        def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
            asked.extend(int(c[0, 0, 0]) for c in crops)
            return [second_reads[int(c[0, 0, 0])] for c in crops]

    crops = [np.full((32, 200, 3), k, np.uint8) for k in range(4)]
    out = CheckedRecognizer(First(), Second()).recognise(crops)
    assert asked == [0, 3]
    assert out == [
        ("Usługi doradcze", 0.99),
        ("Księgowość", 0.99),
        ("Razem 1 250,00", 0.99),
        ("Obsluga", 0.97),
    ]


# --- bad images: each a clear error or warning, never a crash ------------------------------


def _text_image(mode: str, size: tuple[int, int] = (1240, 1754)) -> Image.Image:
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 34)
    for i, line in enumerate(
        ["INVOICE", "Invoice No: 7781", "Date: 2024-04-02", "Total: 1,250.00 EUR"]
    ):
        draw.text((120, 150 + 70 * i), line, fill="black", font=font)
    return img.convert(mode)


def test_blank_page(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.new("RGB", (1240, 1754), "white").save(path)
    with pytest.raises(NotAnInvoice, match="no text found"):
        extract(path)
    pipeline = Pipeline()
    doc_pages = pipeline.try_extract(path)
    assert isinstance(doc_pages, NotAnInvoice)


def test_black_page_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "black.png"
    Image.new("RGB", (1240, 1754), "black").save(path)
    with pytest.raises(NotAnInvoice):
        extract(path)


def test_tiny_image(tmp_path: Path) -> None:
    path = tmp_path / "tiny.png"
    Image.new("RGB", (80, 60), "white").save(path)
    with pytest.raises(UnreadableDocument, match="too small"):
        extract(path)


@pytest.mark.parametrize(
    ("mode", "fmt", "suffix"), [("1", "TIFF", ".tiff"), ("CMYK", "JPEG", ".jpg")]
)
def test_one_bit_tiff_and_cmyk_jpeg_are_read(
    tmp_path: Path, mode: str, fmt: str, suffix: str
) -> None:
    path = tmp_path / f"page{suffix}"
    _text_image(mode).save(path, format=fmt)
    inv = extract(path)
    assert inv.invoice_number is not None and inv.invoice_number.value == "7781"
    assert inv.total is not None and str(inv.total.value) == "1250.00"


def test_photo_of_something_else(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    path = tmp_path / "holiday.jpg"
    Image.fromarray(rng.integers(0, 255, (900, 1200, 3), dtype=np.uint8)).save(path)
    with pytest.raises(NotAnInvoice):
        extract(path)


# --- recognisers ---------------------------------------------------------------------------


def test_trocr_reads_with_a_small_model_built_here(tmp_path: Path) -> None:
    """The real loading and decoding code against a tiny TrOCR-architecture model, trained
    for a moment on one line image so the decode has something to get right."""
    from invoice_extract.ocr.trocr import TrocrRecognizer

    from .trocr_tiny import build_tiny_trocr

    line = np.full((32, 128, 3), 255, np.uint8)
    line[10:20, 10:60] = 0
    build_tiny_trocr(tmp_path, train_on=[(line, "ab12")])
    recognizer = TrocrRecognizer(str(tmp_path), batch_size=2)
    out = recognizer.recognise([line, line, line])
    assert [text for text, _ in out] == ["ab12"] * 3
    assert all(0.5 < conf <= 1.0 for _, conf in out)


def _readings_both_ways(recognizer: object, crops: Sequence[np.ndarray]) -> tuple[list, list]:
    """``read_lines`` through the lean greedy loop and through transformers' generate."""
    lean = recognizer.greedy  # type: ignore[attr-defined]
    assert lean is not None, "the lean loop should take a TrOCR decoder"
    fast = recognizer.read_lines(crops)  # type: ignore[attr-defined]
    recognizer.greedy = None  # type: ignore[attr-defined]
    try:
        slow = recognizer.read_lines(crops)  # type: ignore[attr-defined]
    finally:
        recognizer.greedy = lean  # type: ignore[attr-defined]
    return fast, slow


def test_trocr_lean_decoding_reads_what_generate_reads(tmp_path: Path) -> None:
    """The lean greedy loop gives generate's texts, confidences and least sure characters,
    also in a batch whose lines end at different steps (lines leave the batch as they end)
    and for lines that never end before the length limit."""
    import random as _random

    from invoice_extract.ocr.trocr import TrocrRecognizer

    from .trocr_tiny import build_tiny_trocr

    texts = ["a", "b2", "c3d", "0.12", "ab-cd", "1,234", "xyz 789", "k", "lmn.op", "q"]
    lines = []
    for i, text in enumerate(texts):
        line = np.full((16, 64, 3), 255, np.uint8)
        line[4 + i % 3 : 12, 2 : 6 + 6 * len(text)] = 25 * i
        lines.append(line)
    build_tiny_trocr(tmp_path, train_on=list(zip(lines, texts, strict=True)), steps=300)
    rng = np.random.default_rng(4)
    noisy = [
        np.clip(line + rng.normal(0, 40, line.shape), 0, 255).astype(np.uint8) for line in lines
    ]
    crops = lines + noisy + [rng.integers(0, 255, (16, 64, 3), dtype=np.uint8)]
    recognizer = TrocrRecognizer(str(tmp_path), batch_size=8)
    fast, slow = _readings_both_ways(recognizer, crops)
    assert [t for t, _, _ in slow][: len(texts)] == texts  # it learnt to end lines
    assert len({len(t) for t, _, _ in slow}) > 4
    assert [t for t, _, _ in fast] == [t for t, _, _ in slow]
    for (_, conf, low), (_, conf_, low_) in zip(fast, slow, strict=True):
        assert conf == pytest.approx(conf_, abs=1e-5) and low == pytest.approx(low_, abs=1e-5)

    # The shipped model on invoice lines, clean and degraded.
    from invoice_extract.ocr.synth import invoice_line, render_line

    texts = [invoice_line(_random.Random(f"lean-{i}")) for i in range(16)]
    lines = [render_line(t, _random.Random(i), bool(i % 2)) for i, t in enumerate(texts)]
    fast, slow = _readings_both_ways(TrocrRecognizer(batch_size=8), lines)
    assert [t for t, _, _ in fast] == [t for t, _, _ in slow]
    assert [c for _, c, _ in fast] == pytest.approx([c for _, c, _ in slow], abs=1e-5)


def test_trocr_without_weights_offline_names_the_model() -> None:
    code = (
        "from invoice_extract.ocr.trocr import TrocrRecognizer\n"
        "from invoice_extract import ModelUnavailable\n"
        "try:\n    TrocrRecognizer('nobody/no-such-trocr')\n"
        "except ModelUnavailable as e:\n    print('MODEL', e)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert "MODEL nobody/no-such-trocr:" in proc.stdout, proc.stderr[-2000:]
    assert "--trocr-model DIR" in proc.stdout


def test_tesseract_recogniser_reads_a_line() -> None:
    pytest.importorskip("shutil")
    import shutil

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed")
    from invoice_extract.ocr import load_recognizer

    img = Image.new("RGB", (600, 60), "white")
    ImageDraw.Draw(img).text(
        (10, 10), "Total 1,250.00", fill="black", font=ImageFont.truetype(FONT, 32)
    )
    ((text, conf),) = load_recognizer("tesseract").recognise([np.asarray(img)])
    assert text == "Total 1,250.00" and conf > 0.5


def test_unknown_recognizer_is_a_usage_error() -> None:
    from invoice_extract.ocr import load_recognizer

    with pytest.raises(ValueError, match="unknown recognizer"):
        load_recognizer("abbyy")
    assert issubclass(ModelUnavailable, Exception)


@pytest.mark.slow
def test_scanned_fixture_accuracy_floor() -> None:
    pipeline = Pipeline()
    pairs = []
    for scan in _scans():
        result = pipeline.try_extract(scan)
        pairs.append((scan.name, result if isinstance(result, Invoice) else None, _truth(scan)))
    total = score_all(pairs)
    assert total.header.f1 >= 0.93
    assert total.line_items.f1 >= 0.9


def test_layout_model_is_a_layoutparser_detector() -> None:
    import layoutparser as lp

    from invoice_extract.layout import detect_regions, load_layout_model

    model = load_layout_model("cdla")
    assert model is not None and load_layout_model("none") is None
    page = np.asarray(rasterise("x", (DIGITAL / "inv-002.pdf").read_bytes(), 1, dpi=150))
    layout = model.detect(page)
    assert isinstance(layout, lp.Layout) and len(layout) > 0
    assert all(isinstance(b, lp.TextBlock) and b.type for b in layout)
    regions = detect_regions(model, page)
    assert {"title", "text"} <= {r.type for r in regions}
    assert all(0 <= r.bbox[0] < r.bbox[2] <= 1 for r in regions)


def test_layout_option_reads_the_same_invoice(tmp_path: Path) -> None:
    path = SCANNED / "inv-013-scan.png"
    plain = extract(path)
    with_layout = extract(path, PipelineConfig(layout="cdla", debug_dir=tmp_path))
    assert with_layout.total is not None and plain.total is not None
    assert with_layout.total.value == plain.total.value
    assert (tmp_path / "inv-013-scan-p1.png").exists()
