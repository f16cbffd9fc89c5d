"""Validation checks: passed, failed and not checkable, and what failure does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from invoice_extract.schema import AmountField, DateField, Invoice, LineItem, NumberField, TaxLine
from invoice_extract.validate import validate


def _amount(v: str) -> AmountField:
    return AmountField(value=Decimal(v), confidence=0.9)


def _invoice(total: str) -> Invoice:
    return Invoice(
        invoice_date=DateField(value=dt.date(2024, 3, 1), confidence=0.9),
        due_date=DateField(value=dt.date(2024, 3, 31), confidence=0.9),
        subtotal=_amount("100.00"),
        tax_lines=[
            TaxLine(rate=NumberField(value=Decimal("20"), confidence=0.9), amount=_amount("20.00"))
        ],
        total_tax=_amount("20.00"),
        total=_amount(total),
        line_items=[LineItem(amount=_amount("60.00")), LineItem(amount=_amount("40.00"))],
    )


def test_consistent_invoice_passes_every_check() -> None:
    inv = _invoice("120.00")
    checks = {c.name: c.status for c in validate(inv)}
    assert checks == {
        "line_items_sum": "passed",
        "subtotal_plus_tax": "passed",
        "tax_rates": "passed",
        "due_after_issue": "passed",
        "amount_due_consistent": "not_checkable",
    }
    assert inv.total is not None and inv.total.confidence == 0.9


def test_failed_check_lowers_confidence_and_changes_nothing() -> None:
    inv = _invoice("130.00")
    checks = {c.name: c for c in validate(inv)}
    assert checks["subtotal_plus_tax"].status == "failed"
    assert "120.00" in checks["subtotal_plus_tax"].message
    assert inv.total is not None
    assert inv.total.value == Decimal("130.00")  # reported, never "fixed"
    assert inv.total.confidence < 0.9


def test_due_before_issue_fails() -> None:
    inv = _invoice("120.00")
    inv.due_date = DateField(value=dt.date(2024, 2, 1), confidence=0.9)
    checks = {c.name: c.status for c in validate(inv)}
    assert checks["due_after_issue"] == "failed"


def test_wrong_tax_rate_fails() -> None:
    inv = _invoice("121.00")
    inv.tax_lines[0].amount = _amount("21.00")
    inv.total_tax = _amount("21.00")
    checks = {c.name: c.status for c in validate(inv)}
    assert checks["tax_rates"] == "failed"
    assert checks["subtotal_plus_tax"] == "passed"


def test_several_rates_are_checked_against_the_line_items() -> None:
    def item(amount: str, rate: str) -> LineItem:
        return LineItem(
            amount=_amount(amount), tax_rate=NumberField(value=Decimal(rate), confidence=0.9)
        )

    inv = Invoice(
        subtotal=_amount("300.00"),
        tax_lines=[
            TaxLine(rate=NumberField(value=Decimal("19"), confidence=0.9), amount=_amount("38.00")),
            TaxLine(rate=NumberField(value=Decimal("7"), confidence=0.9), amount=_amount("7.00")),
        ],
        total_tax=_amount("45.00"),
        total=_amount("345.00"),
        line_items=[item("150.00", "19"), item("50.00", "19"), item("100.00", "7")],
    )
    checks = {c.name: c for c in validate(inv)}
    assert checks["tax_rates"].status == "passed"
    inv.tax_lines[1].amount = _amount("9.00")  # 7% of 100 is 7, not 9
    checks = {c.name: c for c in validate(inv)}
    assert checks["tax_rates"].status == "failed"
    assert "7% of 100.00 is 7.00, not 9.00" in checks["tax_rates"].message
