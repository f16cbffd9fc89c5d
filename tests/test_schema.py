"""The schema: JSON Schema file current, evidence boxes normalised, money precision kept."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from invoice_extract.schema import AmountField, Evidence, Invoice, invoice_json_schema

from .conftest import ROOT


def test_committed_json_schema_is_current() -> None:
    committed = json.loads((ROOT / "schemas" / "invoice.schema.json").read_text())
    assert committed == invoice_json_schema(), "run `invoice-extract schema`"


def test_evidence_box_must_be_normalised() -> None:
    Evidence(page=1, bbox=(0.1, 0.2, 0.3, 0.4), text="x")
    with pytest.raises(ValidationError):
        Evidence(page=1, bbox=(10, 20, 30, 40), text="x")
    with pytest.raises(ValidationError):
        Evidence(page=0, bbox=(0.1, 0.2, 0.3, 0.4), text="x")


def test_money_keeps_printed_precision_through_json() -> None:
    inv = Invoice(total=AmountField(value=Decimal("1234.50"), confidence=0.9))
    again = Invoice.model_validate_json(inv.model_dump_json())
    assert again.total is not None and str(again.total.value) == "1234.50"
