"""Field mapping: labels, values by position, tables, parties; end to end on fixtures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from invoice_extract import Invoice, Pipeline, extract
from invoice_extract.document import Page, Word
from invoice_extract.evaluate import score_all
from invoice_extract.fields.labels import match_column, match_label
from invoice_extract.fields.lines import build_layout

from .conftest import DIGITAL, make_pdf


def _segment(text: str):  # type: ignore[no-untyped-def]
    words = [
        Word(t, (0.1 + 0.05 * i, 0.1, 0.14 + 0.05 * i, 0.11), 1) for i, t in enumerate(text.split())
    ]
    return build_layout([Page(1, 600, 800, words)]).lines[0].segments[0]


@pytest.mark.parametrize(
    ("text", "name", "rest"),
    [
        ("Invoice No.: INV-001", "invoice_number", "INV-001"),
        ("Rechnungs-Nr. 4711", "invoice_number", "4711"),
        ("N° de facture", "invoice_number", ""),
        ("Nº de factura", "invoice_number", ""),
        ("Factuurnummer", "invoice_number", ""),
        ("Fattura n. 12/2024", "invoice_number", "12/2024"),
        ("Invoise Numbr", "invoice_number", ""),  # OCR slips
        ("Fälligkeitsdatum", "due_date", ""),
        ("Date d'échéance", "due_date", ""),
        ("Rechnungsdatum:", "invoice_date", ""),
        ("Zwischensumme", "subtotal", ""),
        ("Total TTC", "total", ""),
        ("Total HT", "subtotal", ""),
        ("MwSt. 19 %", "tax", "19 %"),
        ("Net à payer", "amount_due", ""),
        ("Bill To", "customer", ""),
        ("Facturar a", "customer", ""),
    ],
)
def test_label_matching(text: str, name: str, rest: str) -> None:
    hits = match_label(_segment(text))
    assert hits, text
    assert hits[0].name == name
    assert hits[0].rest == rest


def test_short_labels_match_exactly_only() -> None:
    assert all(h.name != "tax" for h in match_label(_segment("Fax")))


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("Description", "description"),
        ("Qty", "quantity"),
        ("Einzelpreis", "unit_price"),
        ("P.U. HT", "unit_price"),
        ("Importe", "amount"),
        ("Amount (EUR)", "amount"),
        ("TVA %", "tax_rate"),
        ("Art.-Nr.", "product_code"),
        ("Q.tà", "quantity"),
    ],
)
def test_column_headers(text: str, column: str) -> None:
    found = match_column(_segment(text))
    assert found is not None and found[0] == column


def test_simple_invoice_from_text(tmp_path: Path) -> None:
    path = tmp_path / "simple.pdf"
    path.write_bytes(
        make_pdf(
            [
                "ACME Widgets Ltd",
                "Invoice No: A-77                     Invoice Date: 03/04/2025",
                "Due Date: 25/04/2025",
                "",
                "Subtotal: 100.00",
                "VAT 20%: 20.00",
                "Total: 120.00",
            ]
        )
    )
    inv = extract(path)
    assert inv.invoice_number is not None and inv.invoice_number.value == "A-77"
    # 25/04 can only be day-first, so 03/04 is the 3rd of April, not the 4th of March.
    assert inv.invoice_date is not None and inv.invoice_date.value == dt.date(2025, 4, 3)
    assert inv.total is not None and inv.total.value == Decimal("120.00")
    assert inv.subtotal is not None and inv.subtotal.value == Decimal("100.00")
    assert [(t.rate.value if t.rate else None, t.amount.value) for t in inv.tax_lines] == [
        (Decimal("20"), Decimal("20.00"))
    ]
    checks = {c.name: c.status for c in inv.run.checks} if inv.run else {}
    assert checks["subtotal_plus_tax"] == "passed"
    assert checks["tax_rates"] == "passed"


def test_every_value_has_evidence_and_confidence() -> None:
    inv = extract(DIGITAL / "inv-001.pdf")
    fields = [inv.invoice_number, inv.invoice_date, inv.total, inv.subtotal, inv.vendor.name]
    for f in fields:
        assert f is not None
        assert 0 < f.confidence <= 1
        assert f.evidence and f.evidence[0].page >= 1
        assert f.evidence[0].text
    assert inv.total is not None and inv.total.evidence[0].text.replace(".", "").replace(
        ",", ""
    ).endswith(str(inv.total.value).replace(".", ""))
    for item in inv.line_items:
        assert item.amount is not None and item.amount.evidence


def test_multi_page_table_is_followed() -> None:
    truth = Invoice.model_validate_json((DIGITAL / "inv-001.json").read_text())
    inv = extract(DIGITAL / "inv-001.pdf")
    assert inv.source is not None and inv.source.page_count >= 2
    assert len(inv.line_items) == len(truth.line_items)
    assert [i.amount.value for i in inv.line_items if i.amount] == [
        i.amount.value for i in truth.line_items if i.amount
    ]


def test_credit_notes_are_negative() -> None:
    credit = [p for p in sorted(DIGITAL.glob("*.json")) if '"credit_note"' in p.read_text()]
    assert credit
    inv = extract(credit[0].with_suffix(".pdf"))
    assert inv.document_type is not None and inv.document_type.value == "credit_note"
    assert inv.total is not None and inv.total.value < 0


def test_fixture_accuracy_floor(digital_pdfs: list[Path]) -> None:
    """A regression floor, well under the bench targets: mapping must not silently degrade."""
    pipeline = Pipeline()
    pairs = []
    for pdf in digital_pdfs:
        truth = Invoice.model_validate_json(pdf.with_suffix(".json").read_text())
        result = pipeline.try_extract(pdf)
        pairs.append((pdf.name, result if isinstance(result, Invoice) else None, truth))
    total = score_all(pairs)
    for name in ("invoice_number", "invoice_date", "total", "subtotal", "currency"):
        assert total.fields[name].f1 >= 0.95, (name, total.fields[name])
    assert total.header.f1 >= 0.90
    assert total.line_items.f1 >= 0.70
