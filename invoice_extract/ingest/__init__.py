"""Read a source (path, bytes or binary file) into a :class:`Document`.

The format is decided from the content, not the file name, so a PDF renamed to ``.png`` is
still read as a PDF (with a warning). Limits are checked before anything expensive runs.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from invoice_extract.config import Limits
from invoice_extract.document import Document
from invoice_extract.errors import (
    DocumentNotFound,
    DocumentTooLarge,
    EmptyDocument,
    UnsupportedFormat,
)
from invoice_extract.ingest.image import load_frame, read_image
from invoice_extract.ingest.pdf import rasterise, read_pdf

Source = str | os.PathLike[str] | bytes | BinaryIO

# Magic numbers of what we read, and of what people commonly hand us by mistake.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
    (b"GIF8", "image/gif"),
]
_EXTENSIONS = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg", ".jpe"},
    "image/tiff": {".tif", ".tiff"},
    "image/bmp": {".bmp"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
}


def sniff_media_type(data: bytes) -> str | None:
    """The media type from the first bytes, or None when it is nothing we read."""
    # The PDF header may follow some junk bytes; readers accept it within the first 1 KiB.
    if b"%PDF-" in data[:1024]:
        return "application/pdf"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for magic, media_type in _SIGNATURES:
        if data.startswith(magic):
            return media_type
    return None


def _describe_unknown(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "a ZIP container (such as .docx, .xlsx or .zip), not a PDF or an image"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Microsoft Office file, not a PDF or an image"
    head = data[:2048]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "an unrecognised binary format, not a PDF or an image"
    return "plain text, not a PDF or an image"


def read_source(source: Source, limits: Limits) -> tuple[str, bytes]:
    """The source's display name and its bytes, with size limits and existence checked."""
    if isinstance(source, bytes):
        name, data = "<bytes>", source
    elif isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        path = Path(name)
        if not path.is_file():
            reason = "is a directory, not a file" if path.is_dir() else "no such file"
            raise DocumentNotFound(name, reason)
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise DocumentTooLarge(
                name, f"{size} bytes exceeds the limit of {limits.max_bytes} (limits.max_bytes)"
            )
        data = path.read_bytes()
    else:
        name = str(getattr(source, "name", "<stream>"))
        data = source.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise DocumentTooLarge(name, f"more than {limits.max_bytes} bytes (limits.max_bytes)")
    if not data:
        raise EmptyDocument(name, "the file is empty (0 bytes)")
    return name, data


def page_image(doc: Document, page: int, dpi: int, limits: Limits) -> tuple[Image.Image, float]:
    """One page as an RGB image, rendered or decoded only now (a long document never sits
    whole in memory), and its resolution in dots per inch. A PDF page that would exceed
    ``limits.max_pixels`` at ``dpi`` is rendered at the highest resolution that fits."""
    if doc.media_type == "application/pdf":
        p = doc.pages[page - 1]
        pixels = (p.width / 72 * dpi) * (p.height / 72 * dpi)
        if pixels > limits.max_pixels:
            dpi = max(36, int(dpi * (limits.max_pixels / pixels) ** 0.5))
            p.warnings.append(f"page {page} rendered at {dpi} dpi to stay within limits.max_pixels")
        return rasterise(doc.name, doc.data, page, dpi), float(dpi)
    return load_frame(doc.name, doc.data, page)


def load_document(source: Source, limits: Limits, password: str | None = None) -> Document:
    """Read any supported source into a Document of pages with words (text layer only)."""
    name, data = read_source(source, limits)
    media_type = sniff_media_type(data)
    if media_type is None:
        raise UnsupportedFormat(name, _describe_unknown(data))
    if media_type == "application/pdf":
        pages = read_pdf(name, data, limits, password)
    else:
        pages = read_image(name, data, limits)
    doc = Document(
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=media_type,
        pages=pages,
        data=data,
    )
    suffix = Path(name).suffix.lower()
    if suffix and suffix not in _EXTENSIONS.get(media_type, set()):
        doc.warnings.append(
            f"file extension {suffix!r} does not match its content ({media_type}); read by content"
        )
    return doc


__all__ = [
    "Source",
    "load_document",
    "page_image",
    "rasterise",
    "read_source",
    "sniff_media_type",
]
