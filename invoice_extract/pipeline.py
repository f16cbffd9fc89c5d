"""Wires the stages: ingest -> (rasterise -> OCR) -> fields -> validate, one document at a
time; OCR only for pages without a usable text layer (``PipelineConfig.ocr``).

``Pipeline`` holds the configuration (and, with the image path, the models, loaded once per
Pipeline). ``extract_many`` never stops a batch: each result is an Invoice or a typed error.
"""

from __future__ import annotations

import itertools
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from invoice_extract.config import PipelineConfig
from invoice_extract.document import Document, Page, Word
from invoice_extract.errors import (
    InvoiceExtractError,
    NotAnInvoice,
    OcrRequired,
    ProcessingError,
)
from invoice_extract.fields import map_fields
from invoice_extract.ingest import Source, load_document, page_image
from invoice_extract.ingest.image import NEEDS_OCR
from invoice_extract.layout import detect_regions, load_layout_model
from invoice_extract.ocr import OcrEngine
from invoice_extract.ocr.accents import page_alphabet, read_apart, s_for_dollar, spelled_alike
from invoice_extract.preprocess import ink_fraction, to_rgb
from invoice_extract.schema import Invoice, PageInfo, RunInfo
from invoice_extract.schema import Source as SourceInfo
from invoice_extract.validate import validate

Result = Invoice | InvoiceExtractError
BLANK_INK, BLACK_INK = 0.001, 0.9  # shares of dark pixels: nothing printed / nothing legible


def _version() -> str:
    try:
        return version("invoice-extract")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


class Pipeline:
    """Extract invoices with one configuration. Safe to reuse across many documents."""

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        self._engine: OcrEngine | None = None  # loaded on the first page that needs OCR

    def extract(self, source: Source) -> Invoice:
        """One document to an Invoice; raises an ``InvoiceExtractError`` subclass."""
        invoice, doc = self.extract_document(source)
        if self.config.debug_dir is not None:
            from invoice_extract.render import write_debug_pages

            write_debug_pages(invoice, doc, self.config.debug_dir)
        return invoice

    def extract_document(self, source: Source) -> tuple[Invoice, Document]:
        """The Invoice and the Document it was read from (pages, words, OCR images when
        ``config.keep_images``), for rendering and inspection."""
        timings: defaultdict[str, float] = defaultdict(float)
        t0 = time.perf_counter()
        doc = load_document(source, self.config.limits, self.config.password)
        timings["ingest"] = time.perf_counter() - t0
        self._ocr(doc, timings)
        if not any(p.words for p in doc.pages):
            if self.config.ocr == "never" and any(p.text_source == "none" for p in doc.pages):
                raise OcrRequired(
                    doc.name,
                    "no page has a usable text layer (a scan or an image) and OCR is off",
                )
            raise NotAnInvoice(doc.name, "no text found on any page (blank or unreadable)")
        t1 = time.perf_counter()
        invoice = map_fields(doc, self.config)
        timings["fields"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        checks = validate(invoice)
        timings["validate"] = time.perf_counter() - t2
        timings["total"] = time.perf_counter() - t0
        warnings = list(doc.warnings) + [w for p in doc.pages for w in p.warnings]
        invoice.source = SourceInfo(
            file_name=doc.name,
            sha256=doc.sha256,
            page_count=len(doc.pages),
            media_type=doc.media_type,
        )
        invoice.run = RunInfo(
            version=_version(),
            pages=[
                PageInfo(
                    page=p.number,
                    text_source=p.text_source,
                    words=len(p.words),
                    warnings=p.warnings,
                )
                for p in doc.pages
            ],
            warnings=warnings,
            checks=checks,
            timings={k: round(v, 6) for k, v in timings.items()},
        )
        return invoice, doc

    def _ocr(self, doc: Document, timings: defaultdict[str, float]) -> None:
        """Read the pages that need it (``config.ocr``) with the OCR engine, page by page."""
        mode = self.config.ocr
        pages = [p for p in doc.pages if mode == "always" or (mode == "auto" and not p.words)]
        if mode == "never" or not pages:
            return
        if self._engine is None:
            c = self.config
            self._engine = OcrEngine(
                c.recognizer,
                c.trocr_model,
                c.orient,
                c.straighten,
                c.deskew,
                c.despeckle,
                c.fade_colour,
                c.accents,
                c.ppocr_runtime,
            )
        for page in pages:
            t0 = time.perf_counter()
            image, dpi = page_image(doc, page.number, self.config.dpi, self.config.limits)
            pixels = to_rgb(np.asarray(image))
            timings["rasterise"] += time.perf_counter() - t0
            page.warnings = [w for w in page.warnings if not w.endswith(NEEDS_OCR)]
            ink = ink_fraction(pixels)
            if ink < BLANK_INK or ink > BLACK_INK:
                kind = "blank" if ink < BLANK_INK else "almost entirely black"
                page.warnings.append(f"page {page.number} is {kind}; nothing to read")
                page.words, page.text_source = [], "none"
                continue
            t1 = time.perf_counter()
            result = self._engine.read(pixels, page.number)
            timings["ocr"] += time.perf_counter() - t1
            for stage, seconds in result.timings.items():
                timings[stage] += seconds
            page.words, page.text_source = result.words, "ocr"
            layout_model = load_layout_model(self.config.layout)
            if layout_model is not None:
                t2 = time.perf_counter()
                page.regions = detect_regions(layout_model, result.image)
                timings["layout"] += time.perf_counter() - t2
            if self.config.keep_images or self.config.debug_dir is not None:
                page.image = result.image
            # Geometry in points, as for text layers: pixels at the page's resolution.
            page.width, page.height = result.width * 72 / dpi, result.height * 72 / dpi
            page.warnings.extend(f"page {page.number}: {note}" for note in result.notes)
            if not result.words:
                page.warnings.append(f"page {page.number}: OCR found no text")
        _joined_apart(pages)
        if self.config.accents:
            _spelled_alike(pages)

    def try_extract(self, source: Source) -> Result:
        """Like ``extract`` but returns the error instead of raising it."""
        try:
            return self.extract(source)
        except InvoiceExtractError as exc:
            return exc
        except Exception as exc:
            name = os.fspath(source) if isinstance(source, str | os.PathLike) else "<stream>"
            return ProcessingError(name, f"{type(exc).__name__}: {exc}")

    def extract_many(self, sources: Iterable[Source], workers: int = 1) -> Iterator[Result]:
        """Results in input order, each an Invoice or a typed error; never stops early."""
        if workers <= 1:
            for source in sources:
                yield self.try_extract(source)
            return
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield from pool.map(_worker_extract, [(self.config, s) for s in sources], chunksize=4)


def _joined_apart(pages: list[Page]) -> None:
    """OCR'd words read apart from one ('Sum mit' for 'Summit') joined again where the
    document reads the whole word elsewhere (``accents.read_apart``); the two must stand
    side by side on one line, the second after the first."""
    words = [w for p in pages for w in p.words]
    side_by_side = [
        k
        for k, (a, b) in enumerate(itertools.pairwise(words))
        if a.page == b.page
        and b.x0 >= a.x1 - 0.5 * (a.x1 - a.x0)
        and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5 * min(a.height, b.height)
    ]
    apart = read_apart([w.text for w in words], side_by_side)
    if not apart:
        return
    joined: dict[int, Word] = {}
    for k in sorted(apart):
        a, b = joined.pop(k, words[k]), words[k + 1]
        box = (min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1))
        joined[k + 1] = Word(a.text + b.text, box, a.page, min(a.confidence, b.confidence))
    k = 0
    for page in pages:
        kept = []
        for w in page.words:
            if k not in apart:
                kept.append(joined.get(k, w))
            k += 1
        page.words = kept


def _spelled_alike(pages: list[Page]) -> None:
    """OCR'd words read without a diacritic the document reads them with more often
    elsewhere, spelled so ('Uslugi' on one row, 'Usługi' on three: ``accents.spelled_alike``):
    a recogniser drops one now and then, and descriptions and names repeat. An S read as
    '$' in a word of letters ('A.$.') is an S again (``accents.s_for_dollar``)."""
    texts = [w.text for p in pages for w in p.words]
    alphabet = page_alphabet(texts)
    spelled = iter(spelled_alike(texts, alphabet) if alphabet else texts)
    for page in pages:
        words = []
        for w in page.words:
            text = s_for_dollar(next(spelled), alphabet)
            words.append(w if text == w.text else replace(w, text=text))
        page.words = words


def _worker_extract(args: tuple[PipelineConfig, Source]) -> Result:
    config, source = args
    return Pipeline(config).try_extract(source)


def extract(source: Source, config: PipelineConfig | None = None) -> Invoice:
    """Extract one invoice from a path, bytes or a binary file."""
    return Pipeline(config).extract(source)


def expand_paths(inputs: Iterable[str]) -> list[str]:
    """Files, folders (recursive) and globs to a sorted, de-duplicated list of file paths.
    Paths that match nothing are kept, so they are reported as not found."""
    import glob

    out: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            out.extend(
                str(p)
                for p in sorted(path.rglob("*"))
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() != ".json"
            )
        elif any(c in item for c in "*?[") and not path.exists():
            out.extend(sorted(p for p in glob.glob(item, recursive=True) if Path(p).is_file()))
        else:
            out.append(item)
    return list(dict.fromkeys(out))
