"""Images (PNG, JPEG, TIFF incl. multi-page, WebP, BMP) become pages without a text layer."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from invoice_extract.config import Limits
from invoice_extract.document import Page
from invoice_extract.errors import DocumentTooLarge, UnreadableDocument

NEEDS_OCR = "page {n} has no text layer; it needs OCR"


def read_image(name: str, data: bytes, limits: Limits) -> list[Page]:
    """One page per frame. Only headers are decoded here; pixels are left to the OCR stage."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            frames = getattr(img, "n_frames", 1)
            if frames > limits.max_pages:
                raise DocumentTooLarge(
                    name,
                    f"{frames} pages exceeds the limit of {limits.max_pages} (limits.max_pages)",
                )
            pages: list[Page] = []
            for i in range(frames):
                img.seek(i)
                w, h = img.size
                if w * h > limits.max_pixels:
                    raise DocumentTooLarge(
                        name,
                        f"page {i + 1} is {w}x{h} pixels, over the limit of "
                        f"{limits.max_pixels} (limits.max_pixels)",
                    )
                pages.append(
                    Page(
                        number=i + 1,
                        width=float(w),
                        height=float(h),
                        warnings=[NEEDS_OCR.format(n=i + 1)],
                    )
                )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableDocument(name, f"corrupt or truncated image: {exc}") from exc
    return pages
