"""What the layout model finds on invoices: regions per type, and how much of the text they cover.

    python bench/layout.py [DIR ...] [--layout cdla] [--dpi 150]

For each page: the detector's regions by type, the share of the page's words whose centre
lies in a region (regions are only useful to the field mapper where they hold the text),
and whether one region covers most of the page (a page-wide "figure" says nothing about
blocks). PDFs with a text layer use its words on a rasterised copy; images and scans are
read by OCR (ppocr). Field F1 with and without layout comes from bench/accuracy.py
(``--set layout=cdla`` against ``--set layout=none``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
from accuracy import SUFFIXES  # bench/accuracy.py: the document types the benches read

from invoice_extract import Pipeline, PipelineConfig
from invoice_extract.config import Limits
from invoice_extract.document import Page, Region
from invoice_extract.ingest import load_document, page_image
from invoice_extract.layout import detect_regions, load_layout_model

ROOT = Path(__file__).resolve().parent.parent
PAGE_WIDE = 0.5  # a region over this share of the page area


def _area(region: Region) -> float:
    x0, y0, x1, y1 = region.bbox
    return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def pages_with_regions(path: Path, layout: str, dpi: int, pipeline: Pipeline) -> list[Page]:
    """The document's pages with words and the layout model's regions."""
    doc = load_document(path, Limits())
    if all(p.words for p in doc.pages):
        model = load_layout_model(layout)
        assert model is not None
        for page in doc.pages:
            image, _ = page_image(doc, page.number, dpi, Limits())
            page.regions = detect_regions(model, np.asarray(image.convert("RGB")))
        return doc.pages
    _, doc = pipeline.extract_document(path)
    return doc.pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dirs",
        nargs="*",
        type=Path,
        default=[ROOT / "fixtures" / "digital", ROOT / "fixtures" / "scanned"],
    )
    parser.add_argument("--layout", default="cdla")
    parser.add_argument("--dpi", type=int, default=150)
    args = parser.parse_args(argv)
    pipeline = Pipeline(PipelineConfig(layout=args.layout, ocr="auto"))
    print(f"{'set':<12} {'pages':>5} {'regions/page':>12} {'words in a region':>18} "
          f"{'page-wide':>9}  regions by type")  # fmt: skip
    for directory in args.dirs:
        types: Counter[str] = Counter()
        pages = words = held = wide = 0
        for path in sorted(p for p in directory.iterdir() if p.suffix.lower() in SUFFIXES):
            for page in pages_with_regions(path, args.layout, args.dpi, pipeline):
                pages += 1
                types.update(r.type for r in page.regions)
                wide += any(_area(r) > PAGE_WIDE for r in page.regions)
                words += len(page.words)
                held += sum(any(r.holds(w) for r in page.regions) for w in page.words)
        by_type = ", ".join(f"{t} {n / max(1, pages):.1f}" for t, n in types.most_common())
        print(
            f"{directory.name:<12} {pages:5d} {sum(types.values()) / max(1, pages):12.1f} "
            f"{held / max(1, words):18.1%} {wide / max(1, pages):9.0%}  {by_type}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
