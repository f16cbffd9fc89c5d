"""invoice-extract: invoices (digital PDFs, scans, photos) to typed, validated records.

from invoice_extract import extract
invoice = extract("invoice.pdf")
print(invoice.total.value, invoice.total.evidence[0].bbox)
"""

from invoice_extract.config import Limits, PipelineConfig
from invoice_extract.errors import (
    DocumentNotFound,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    InvoiceExtractError,
    ModelUnavailable,
    NotAnInvoice,
    OcrRequired,
    ProcessingError,
    UnreadableDocument,
    UnsupportedFormat,
)
from invoice_extract.pipeline import Pipeline, extract
from invoice_extract.schema import Invoice

__all__ = [
    "DocumentNotFound",
    "DocumentTooLarge",
    "EmptyDocument",
    "EncryptedDocument",
    "Invoice",
    "InvoiceExtractError",
    "Limits",
    "ModelUnavailable",
    "NotAnInvoice",
    "OcrRequired",
    "Pipeline",
    "PipelineConfig",
    "ProcessingError",
    "UnreadableDocument",
    "UnsupportedFormat",
    "extract",
]
