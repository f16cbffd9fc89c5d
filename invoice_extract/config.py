"""Pipeline options as pydantic models: one place for limits and choices."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class Limits(BaseModel):
    """Safe defaults: a document over a limit is refused with ``DocumentTooLarge``."""

    max_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=100, gt=0)
    max_pixels: int = Field(default=100_000_000, gt=0)


class PipelineConfig(BaseModel):
    limits: Limits = Field(default_factory=Limits)
    # auto: a page's text layer where usable, OCR otherwise; always: OCR every page;
    # never: text layers only (pages without one are reported, not read).
    ocr: Literal["auto", "always", "never"] = "auto"
    # trocr+ppocr: the trocr model reads every line, ppocr the lines it was unsure of
    # (faster than ppocr alone; measured in bench/README.md).
    recognizer: Literal["ppocr", "trocr", "tesseract", "trocr+ppocr"] = "ppocr"
    # Where ppocr's recogniser runs: openvino (bfloat16 where the CPU computes it; twice as
    # fast here, the same field F1) or onnxruntime (float32; ocr/ppocr.py, bench/README.md).
    ppocr_runtime: Literal["openvino", "onnxruntime"] = "openvino"
    # Hub id or local directory for the trocr recogniser (None: the model in the package).
    trocr_model: str | None = None
    dpi: int = Field(default=200, ge=72, le=600)  # rasterising PDF pages for OCR
    # Layout regions for OCR'd pages (words in different regions never join one segment).
    # Off by default: it measured no change in field F1 on the scans (bench/README.md).
    layout: Literal["cdla", "none"] = "none"
    # Preprocessing before OCR (measured in bench/README.md): turn pages upright, remove
    # skew, straighten photographed sheets; remove isolated specks (off: measured no gain).
    orient: bool = True
    deskew: bool = True
    straighten: bool = True
    despeckle: bool = False
    # Recognisers read text lines with coloured marks across black print (stamps, pen)
    # faded (preprocess.fade_colour; measured in bench/README.md).
    fade_colour: bool = True
    # With ppocr: on a page where it read some accented letter, its lines where it weighed
    # such a letter for a bare one it read are read again by the trocr model
    # (``trocr_model``) for the diacritics ppocr dropped ('Uslugi' for 'Usługi';
    # ocr/accents.py, measured in bench/README.md). Where that model cannot load, pages are
    # read as ppocr read them, with a warning. With any recogniser, a word read lacking a
    # diacritic the document reads it with more often elsewhere is spelled so.
    accents: bool = True
    keep_images: bool = False  # keep OCR'd page images on the Document (debug renders)
    # When set, each extracted document's pages are drawn with their fields' boxes here.
    debug_dir: Path | None = None
    # Used only when a document's own evidence (an unambiguous date, its language) is silent.
    default_date_order: Literal["DMY", "MDY"] = "DMY"
    password: str | None = None
