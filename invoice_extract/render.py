"""Draw what the pipeline saw and found: layout regions (green), words (grey), text lines
(orange) and the extracted fields' boxes (red; line items blue), labelled with field names,
on each page. A user who doubts a value looks at its box."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel

from invoice_extract.config import Limits
from invoice_extract.document import Document
from invoice_extract.fields.lines import Segment, build_layout
from invoice_extract.ingest import page_image
from invoice_extract.schema import Evidence, ExtractedField, Invoice

RENDER_DPI = 110
FIELD_COLOUR = (220, 40, 40)
ITEM_COLOUR = (30, 110, 220)
WORD_COLOUR = (170, 170, 170)
LINE_COLOUR = (235, 150, 20)
REGION_COLOUR = (40, 160, 60)
FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _fields(obj: Any, prefix: str = "") -> Iterator[tuple[str, ExtractedField[Any]]]:
    """Every extracted field in the invoice, with a dotted name ('vendor.name',
    'line_items.3.amount')."""
    if isinstance(obj, ExtractedField):
        yield prefix, obj
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _fields(item, f"{prefix}.{i + 1}")
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            if name not in ("source", "run"):
                yield from _fields(getattr(obj, name), f"{prefix}.{name}" if prefix else name)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(FONT_PATH, size)
    except OSError:
        return ImageFont.load_default()


def render_pages(invoice: Invoice, doc: Document) -> list[Image.Image]:
    """One annotated RGB image per page."""
    evidence: dict[int, list[tuple[str, Evidence]]] = {}
    for name, field in _fields(invoice):
        for ev in field.evidence:
            evidence.setdefault(ev.page, []).append((name, ev))
    # Text lines as the field mapper reads them (its segments: runs of words on one line).
    segments: dict[int, list[Segment]] = {}
    for line in build_layout(doc.pages).lines:
        segments.setdefault(line.page, []).extend(line.segments)
    images = []
    for page in doc.pages:
        if page.image is not None:
            base = Image.fromarray(np.asarray(page.image)).convert("RGB")
        else:
            base, _ = page_image(doc, page.number, RENDER_DPI, Limits())
        w, h = base.size
        draw = ImageDraw.Draw(base, "RGBA")
        for region in page.regions:
            x0, y0, x1, y1 = region.bbox
            draw.rectangle([x0 * w, y0 * h, x1 * w, y1 * h], outline=(*REGION_COLOUR, 200), width=3)
            draw.text((x0 * w + 3, y0 * h + 2), region.type, fill=(*REGION_COLOUR, 255))
        for word in page.words:
            x0, y0, x1, y1 = word.bbox
            draw.rectangle([x0 * w, y0 * h, x1 * w, y1 * h], outline=(*WORD_COLOUR, 160))
        sx, sy = w / page.width, h / page.height
        for seg in segments.get(page.number, []):
            box = (seg.x0 * sx - 3, seg.y0 * sy - 3, seg.x1 * sx + 3, seg.y1 * sy + 3)
            draw.rectangle(box, outline=(*LINE_COLOUR, 150))
        size = max(10, h // 110)
        font = _font(size)
        for name, ev in evidence.get(page.number, []):
            colour = (*(ITEM_COLOUR if name.startswith("line_items") else FIELD_COLOUR), 255)
            x0, y0, x1, y1 = ev.bbox
            box = (x0 * w - 2, y0 * h - 2, x1 * w + 2, y1 * h + 2)
            draw.rectangle(box, outline=colour, width=2)
            # Line items are many: label only their amounts.
            if not name.startswith("line_items") or name.endswith(".amount"):
                draw.text((box[0], max(0.0, box[1] - size - 2)), name, fill=colour, font=font)
        images.append(base)
    return images


def write_debug_pages(invoice: Invoice, doc: Document, directory: Path) -> list[Path]:
    """``directory/<file stem>-p<N>.png`` for each page."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = Path(doc.name).stem or "document"
    paths = []
    for page, image in zip(doc.pages, render_pages(invoice, doc), strict=True):
        path = directory / f"{stem}-p{page.number}.png"
        image.save(path)
        paths.append(path)
    return paths


def stack(images: list[Image.Image]) -> Image.Image:
    """Pages one below the other, for a single picture of a document."""
    width = max(i.width for i in images)
    out = Image.new("RGB", (width, sum(i.height for i in images)), "white")
    y = 0
    for image in images:
        out.paste(image, (0, y))
        y += image.height
    return out
