"""Images (PNG, JPEG, TIFF incl. multi-page, WebP, BMP) become pages without a text layer."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from invoice_extract.config import Limits
from invoice_extract.document import Page
from invoice_extract.errors import DocumentTooLarge, UnreadableDocument

# Ends every warning about a page that has to be read by OCR; the pipeline drops these once
# OCR has read the page.
NEEDS_OCR = "it needs OCR"
MIN_SIDE = 100  # pixels: smaller images cannot hold readable invoice text
DEFAULT_DPI = 200.0  # for images that do not say


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
                if min(w, h) < MIN_SIDE:
                    raise UnreadableDocument(
                        name,
                        f"page {i + 1} is {w}x{h} pixels, too small to hold readable "
                        f"text (at least {MIN_SIDE} pixels a side)",
                    )
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
                        warnings=[f"page {i + 1} has no text layer; {NEEDS_OCR}"],
                    )
                )
    except Image.DecompressionBombError as exc:
        raise DocumentTooLarge(name, f"image too large to decode safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableDocument(name, f"corrupt or truncated image: {exc}") from exc
    return pages


def load_frame(name: str, data: bytes, page: int) -> tuple[Image.Image, float]:
    """Frame ``page`` (1-based) as RGB, turned by its EXIF orientation, with its dpi. 1-bit,
    greyscale, palette and CMYK images are converted; a truncated file is an error."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.seek(page - 1)
            dpi = img.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))[0] or DEFAULT_DPI
            frame = ImageOps.exif_transpose(img) or img
            return frame.convert("RGB"), float(dpi) if 50 <= float(dpi) <= 1200 else DEFAULT_DPI
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnreadableDocument(name, f"corrupt or truncated image (page {page}): {exc}") from exc
