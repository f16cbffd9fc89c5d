"""Rows for the flat outputs (CSV and SQL): the column contracts and how an Invoice fills them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from invoice_extract.schema import LINE_ITEM_FIELDS, ExtractedField, Invoice

INVOICE_COLUMNS = [
    "source",
    "sha256",
    "pages",
    "document_type",
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "subtotal",
    "total_tax",
    "total",
    "amount_due",
    "vendor_name",
    "vendor_vat_id",
    "vendor_address",
    "customer_name",
    "customer_vat_id",
    "customer_address",
    "purchase_order",
    "payment_terms",
    "iban",
    "bic",
    "confidence",
    "checks_failed",
    "warnings",
]
LINE_ITEM_COLUMNS = ["source", "index", *LINE_ITEM_FIELDS]
ERROR_COLUMNS = ["source", "error_type", "message"]


def _plain(f: ExtractedField[Any] | None) -> Any:
    if f is None:
        return None
    v = f.value
    if isinstance(v, Decimal):
        return format(v, "f")
    return v.isoformat() if hasattr(v, "isoformat") else v


def invoice_row(inv: Invoice, source: str) -> dict[str, Any]:
    """One invoices.csv row: plain strings, dates YYYY-MM-DD, amounts with a dot."""
    return {
        "source": source,
        "sha256": inv.source.sha256 if inv.source else None,
        "pages": inv.source.page_count if inv.source else None,
        "document_type": _plain(inv.document_type),
        "invoice_number": _plain(inv.invoice_number),
        "invoice_date": _plain(inv.invoice_date),
        "due_date": _plain(inv.due_date),
        "currency": _plain(inv.currency),
        "subtotal": _plain(inv.subtotal),
        "total_tax": _plain(inv.total_tax),
        "total": _plain(inv.total),
        "amount_due": _plain(inv.amount_due),
        "vendor_name": _plain(inv.vendor.name),
        "vendor_vat_id": _plain(inv.vendor.vat_id),
        "vendor_address": _plain(inv.vendor.address),
        "customer_name": _plain(inv.customer.name),
        "customer_vat_id": _plain(inv.customer.vat_id),
        "customer_address": _plain(inv.customer.address),
        "purchase_order": _plain(inv.purchase_order),
        "payment_terms": _plain(inv.payment_terms),
        "iban": _plain(inv.iban),
        "bic": _plain(inv.bic),
        "confidence": f"{inv.confidence:.3f}",
        "checks_failed": ";".join(inv.checks_failed),
        "warnings": " | ".join(inv.run.warnings if inv.run else []),
    }


def line_item_rows(inv: Invoice, source: str) -> list[dict[str, Any]]:
    return [
        {
            "source": source,
            "index": i + 1,
            **{name: _plain(getattr(item, name)) for name in LINE_ITEM_FIELDS},
        }
        for i, item in enumerate(inv.line_items)
    ]
