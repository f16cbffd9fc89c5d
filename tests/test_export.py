"""Outputs: CSV column contracts, JSON Lines, atomic writes, SQLite round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from invoice_extract import Pipeline
from invoice_extract.export import (
    INVOICE_COLUMNS,
    LINE_ITEM_COLUMNS,
    atomic_write,
    write_results,
    write_sql,
)
from invoice_extract.schema import Invoice

from .conftest import DIGITAL

CONTRACT = (
    "source, sha256, pages, document_type, invoice_number, invoice_date, due_date, "
    "currency, subtotal, total_tax, total, amount_due, vendor_name, vendor_vat_id, "
    "vendor_address, customer_name, customer_vat_id, customer_address, purchase_order, "
    "payment_terms, iban, bic, confidence, checks_failed, warnings"
)


def _truth(name: str) -> Invoice:
    return Invoice.model_validate_json((DIGITAL / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def results() -> list[tuple[str, object]]:
    sources = [str(DIGITAL / "inv-001.pdf"), str(DIGITAL / "inv-005.pdf"), "missing.pdf"]
    return list(zip(sources, Pipeline().extract_many(sources), strict=True))


def test_csv_columns_are_the_contract(tmp_path: Path, results: list) -> None:  # type: ignore[type-arg]
    assert CONTRACT.split(", ") == INVOICE_COLUMNS
    write_results(results, tmp_path)
    invoices = pd.read_csv(tmp_path / "invoices.csv", dtype=str, keep_default_na=False)
    assert list(invoices.columns) == INVOICE_COLUMNS
    assert list(invoices["source"]) == [str(DIGITAL / "inv-001.pdf"), str(DIGITAL / "inv-005.pdf")]
    row = invoices.iloc[0]
    truth = _truth("inv-001")
    assert truth.invoice_date is not None and truth.total is not None
    assert row["invoice_date"] == truth.invoice_date.value.isoformat()
    assert row["total"] == str(truth.total.value)  # a dot, no grouping
    assert "," not in row["total"]
    items = pd.read_csv(tmp_path / "line_items.csv", dtype=str, keep_default_na=False)
    assert list(items.columns) == LINE_ITEM_COLUMNS
    assert items["index"].iloc[0] == "1"
    errors = pd.read_csv(tmp_path / "errors.csv", dtype=str)
    assert list(errors.columns) == ["source", "error_type", "message"]
    assert errors.iloc[0]["error_type"] == "DocumentNotFound"


def test_credit_note_amounts_are_negative_in_csv(tmp_path: Path) -> None:
    credit = next(p for p in sorted(DIGITAL.glob("*.json")) if '"credit_note"' in p.read_text())
    pdf = str(credit.with_suffix(".pdf"))
    write_results(list(zip([pdf], Pipeline().extract_many([pdf]), strict=True)), tmp_path)
    row = pd.read_csv(tmp_path / "invoices.csv", dtype=str).iloc[0]
    assert row["document_type"] == "credit_note"
    assert row["total"].startswith("-")


def test_jsonl_records_are_schema_records(tmp_path: Path, results: list) -> None:  # type: ignore[type-arg]
    write_results(results, tmp_path)
    lines = (tmp_path / "invoices.jsonl").read_text().splitlines()
    assert len(lines) == 2
    inv = Invoice.model_validate_json(lines[0])
    truth = _truth("inv-001")
    assert inv.total is not None and truth.total is not None
    assert str(inv.total.value) == str(truth.total.value)
    assert json.loads(lines[0])["total"]["value"] == str(truth.total.value)  # precision kept


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "invoices.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["invoices.csv"]


def test_sqlite_round_trip_and_no_duplicates(tmp_path: Path, results: list) -> None:  # type: ignore[type-arg]
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    invoices = [(s, r) for s, r in results if isinstance(r, Invoice)]
    assert write_sql(invoices, url) == 2
    assert write_sql(invoices, url) == 2  # again: rows are replaced, not added
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n_inv = conn.execute(sa.text("select count(*) from invoices")).scalar()
        n_items = conn.execute(sa.text("select count(*) from line_items")).scalar()
        total = conn.execute(
            sa.text("select total, json from invoices where source like '%inv-001.pdf'")
        ).one()
    engine.dispose()
    assert n_inv == 2
    assert n_items == sum(len(r.line_items) for _, r in invoices)
    truth = _truth("inv-001")
    assert truth.total is not None and total[0] == str(truth.total.value)
    assert Invoice.model_validate_json(total[1]).total is not None
