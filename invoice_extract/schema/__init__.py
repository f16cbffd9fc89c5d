"""The typed invoice record: pydantic v2 models, the product's public data contract.

Every extracted value is a field object: ``value`` plus ``confidence`` in [0, 1] plus
``evidence`` (page, normalised box, source text), so a reviewer can see where it came from.
Money is ``Decimal`` with the precision printed on the document; dates are ``datetime.date``.
On a credit note every money value is negative.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

T = TypeVar("T")

DocumentType = Literal["invoice", "credit_note"]
TextSource = Literal["text_layer", "ocr", "none"]
CheckStatus = Literal["passed", "failed", "not_checkable"]
BBox = tuple[float, float, float, float]


class Evidence(BaseModel):
    """Where a value was read: 1-based page, box as fractions of the page (x0, y0, x1, y1;
    origin top-left), and the text it came from."""

    model_config = ConfigDict(frozen=True)

    page: int = Field(ge=1)
    bbox: BBox
    text: str

    @field_validator("bbox")
    @classmethod
    def _normalised(cls, v: BBox) -> BBox:
        x0, y0, x1, y1 = v
        if not (0.0 <= x0 <= x1 <= 1.0 and 0.0 <= y0 <= y1 <= 1.0):
            raise ValueError(f"bbox must be normalised with x0<=x1, y0<=y1 in [0, 1]: {v}")
        return v


class ExtractedField(BaseModel, Generic[T]):
    """A value with its confidence and evidence."""

    value: T
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)


class TextField(ExtractedField[str]):
    pass


class DateField(ExtractedField[dt.date]):
    pass


class AmountField(ExtractedField[Decimal]):
    """Money, as printed (precision kept), in the invoice's currency."""


class NumberField(ExtractedField[Decimal]):
    """A quantity or a percentage rate."""


class DocumentTypeField(ExtractedField[DocumentType]):
    pass


class Party(BaseModel):
    name: TextField | None = None
    address: TextField | None = None
    country_code: TextField | None = None
    vat_id: TextField | None = None
    registration_number: TextField | None = None
    email: TextField | None = None
    phone: TextField | None = None


class TaxLine(BaseModel):
    rate: NumberField | None = None
    base: AmountField | None = None
    amount: AmountField


class Charge(BaseModel):
    """An amount in the totals block that is neither subtotal, tax nor total: a discount
    (negative), shipping, a handling fee. Needed to check that the totals add up."""

    description: TextField
    amount: AmountField


class LineItem(BaseModel):
    description: TextField | None = None
    quantity: NumberField | None = None
    unit: TextField | None = None
    unit_price: AmountField | None = None
    amount: AmountField | None = None
    tax_rate: NumberField | None = None
    product_code: TextField | None = None


class Source(BaseModel):
    file_name: str
    sha256: str
    page_count: int
    media_type: str = "application/pdf"


class PageInfo(BaseModel):
    page: int
    text_source: TextSource
    words: int = 0
    warnings: list[str] = Field(default_factory=list)


class Check(BaseModel):
    """One validation rule's outcome. Failed checks lower the confidence of ``fields``."""

    name: str
    status: CheckStatus
    message: str = ""
    fields: list[str] = Field(default_factory=list)


class RunInfo(BaseModel):
    version: str
    language: str | None = None
    pages: list[PageInfo] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    # Seconds per stage: ingest, rasterise, ocr (of it: preprocess, detect, recognise,
    # orient), layout, fields, validate, total. Stages that did not run are absent.
    timings: dict[str, float] = Field(default_factory=dict)


class Invoice(BaseModel):
    """One invoice or credit note."""

    document_type: DocumentTypeField | None = None
    invoice_number: TextField | None = None
    invoice_date: DateField | None = None
    due_date: DateField | None = None
    purchase_order: TextField | None = None
    currency: TextField | None = None
    vendor: Party = Field(default_factory=Party)
    customer: Party = Field(default_factory=Party)
    payment_terms: TextField | None = None
    iban: TextField | None = None
    bic: TextField | None = None
    subtotal: AmountField | None = None
    tax_lines: list[TaxLine] = Field(default_factory=list)
    charges: list[Charge] = Field(default_factory=list)
    total_tax: AmountField | None = None
    total: AmountField | None = None
    amount_due: AmountField | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    source: Source | None = None
    run: RunInfo | None = None

    @property
    def confidence(self) -> float:
        """The document's confidence: the weakest of the key header fields found."""
        key = [self.invoice_number, self.invoice_date, self.total]
        found = [f.confidence for f in key if f is not None]
        return min(found) if len(found) == len(key) else min([*found, 0.0])

    @property
    def checks_failed(self) -> list[str]:
        return [c.name for c in (self.run.checks if self.run else []) if c.status == "failed"]


# The single-valued fields of an Invoice in display order, and those of its parts: one list
# that the CLI, the CSV writers and the evaluation all read.
HEADER_FIELDS: tuple[str, ...] = (
    "document_type",
    "invoice_number",
    "invoice_date",
    "due_date",
    "purchase_order",
    "currency",
    "payment_terms",
    "iban",
    "bic",
    "subtotal",
    "total_tax",
    "total",
    "amount_due",
)
PARTY_FIELDS: tuple[str, ...] = tuple(Party.model_fields)
LINE_ITEM_FIELDS: tuple[str, ...] = tuple(LineItem.model_fields)


def invoice_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Invoice`, as written to ``schemas/invoice.schema.json``."""
    schema = Invoice.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://invoice-extract.dev/schemas/invoice.schema.json"
    return schema


def write_json_schema(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(invoice_json_schema(), indent=2, sort_keys=True) + "\n")


__all__ = [
    "HEADER_FIELDS",
    "LINE_ITEM_FIELDS",
    "PARTY_FIELDS",
    "AmountField",
    "BBox",
    "Charge",
    "Check",
    "CheckStatus",
    "DateField",
    "DocumentType",
    "DocumentTypeField",
    "Evidence",
    "ExtractedField",
    "Invoice",
    "LineItem",
    "NumberField",
    "PageInfo",
    "Party",
    "RunInfo",
    "Source",
    "TaxLine",
    "TextField",
    "TextSource",
    "invoice_json_schema",
    "write_json_schema",
]
