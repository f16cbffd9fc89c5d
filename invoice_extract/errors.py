"""One exception hierarchy for everything a user can act on.

Every error names the document it concerns and the reason, so a batch report can be read
without a stack trace. ``error_type`` is the stable, machine-readable name written to
``errors.csv``.
"""

from __future__ import annotations


class InvoiceExtractError(Exception):
    """Base class: something is wrong with one document (or with how it was asked for)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")

    @property
    def error_type(self) -> str:
        return type(self).__name__


class DocumentNotFound(InvoiceExtractError):
    """The path does not exist or is not a readable file."""


class EmptyDocument(InvoiceExtractError):
    """Zero bytes, or a PDF with no pages."""


class UnsupportedFormat(InvoiceExtractError):
    """Not a PDF or an image we can read (for example .docx or .txt)."""


class UnreadableDocument(InvoiceExtractError):
    """The file claims a supported format but is corrupt or truncated."""


class EncryptedDocument(InvoiceExtractError):
    """A PDF that needs a password we were not given."""


class DocumentTooLarge(InvoiceExtractError):
    """Over a configured limit (bytes, pages or pixels)."""


class OcrRequired(InvoiceExtractError):
    """No page has a usable text layer and OCR is switched off or unavailable."""


class NotAnInvoice(InvoiceExtractError):
    """The document has text but nothing that looks like an invoice."""


class ProcessingError(InvoiceExtractError):
    """An unexpected failure inside the pipeline for this document (a bug to report)."""


class ModelUnavailable(InvoiceExtractError):
    """A configured model (or program) cannot be loaded here; ``source`` names it."""
