"""Speed and memory of the digital-PDF path, on one core; optionally the image path first.

    python bench/speed.py fixtures/digital [--repeat 5] [--batch 1000]
        [--images fixtures/scanned [--recognizers ppocr,trocr,ppocr/accents=false]
         [--images-only]]

Prints, each as a median over repeats measured side by side in this one run:
- ms per page end to end (ingest + fields + validate) and pages per second;
- per-stage ms per page;
- text-layer ingest with pypdfium2 (what the product uses) against pdfplumber, and whether
  both give the same words;
- resident memory over a long batch (the fixtures cycled) to show it stays flat.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from invoice_extract import Invoice, Pipeline, PipelineConfig
from invoice_extract.config import Limits
from invoice_extract.ingest import load_document


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _pdfplumber_words(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [w["text"] for page in pdf.pages for w in page.extract_words()]


def _config(spec: str) -> PipelineConfig:
    """'ppocr' or, with settings after slashes, 'ppocr/accents=false'."""
    name, *settings = spec.split("/")
    return PipelineConfig.model_validate(
        {"recognizer": name, **dict(s.split("=", 1) for s in settings)}
    )


def image_path(directory: Path, repeat: int, recognizers: Sequence[str] = ("ppocr",)) -> None:
    """Seconds per page through rasterise, OCR and fields, per stage: medians over the
    documents of the per-document time per page, on the machine's cores (the target is per
    2-core machine), each recogniser in turn on each document, side by side. Then the first
    document's latency in a fresh process (imports and model loading)."""
    import subprocess
    import sys

    scans = sorted(p for p in directory.iterdir() if p.suffix != ".json")
    code = (
        "import time, sys; t = time.perf_counter(); "
        "from invoice_extract import PipelineConfig, extract; "
        "extract(sys.argv[1], PipelineConfig.model_validate_json(sys.argv[2])); "
        "print(time.perf_counter() - t)"
    )
    configs = {name: _config(name) for name in recognizers}
    cold = {
        name: float(
            subprocess.run(
                [sys.executable, "-c", code, str(scans[0]), config.model_dump_json()],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        for name, config in configs.items()
    }
    pipelines = {name: Pipeline(config) for name, config in configs.items()}
    for pipeline in pipelines.values():
        pipeline.extract(scans[0])  # warm: models loaded
    per_stage: dict[str, dict[str, list[float]]] = {name: {} for name in recognizers}
    pages = 0
    for _ in range(repeat):
        for scan in scans:
            for name, pipeline in pipelines.items():
                inv = pipeline.extract(scan)
                assert inv.run is not None and inv.source is not None
                pages += inv.source.page_count
                for k, v in inv.run.timings.items():
                    per_stage[name].setdefault(k, []).append(v / inv.source.page_count)
    print(
        f"image path: {len(scans)} scans, {pages // repeat // len(recognizers)} pages, "
        f"{repeat} repeats, {len(os.sched_getaffinity(0))} cores; medians of per-document "
        "seconds per page"
    )
    w = max(11, *(len(name) + 2 for name in recognizers))
    print(f"{'stage':<16}" + "".join(f"{name:>{w}}" for name in recognizers))

    def row(label: str, key: str, digits: int) -> None:
        if any(key in per_stage[name] for name in recognizers):
            cells = (
                f"{statistics.median(per_stage[name][key]):{w}.{digits}f}"
                if key in per_stage[name]
                else f"{'-':>{w}}"
                for name in recognizers
            )
            print(f"{label:<16}" + "".join(cells))

    row("end to end", "total", 2)
    for k in ("ingest", "rasterise", "ocr", "layout", "fields", "validate"):
        row(f"  {k}", k, 3)
        if k == "ocr":
            for sub in ("preprocess", "detect", "recognise", "accents", "orient"):
                row(f"    {sub}", sub, 3)
    print(
        f"{'first document':<16}"
        + "".join(f"{cold[name]:{w - 1}.1f}s" for name in recognizers)
        + "  (a fresh process: imports, model loading, 1 scan)\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, nargs="?", default=Path("fixtures/digital"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000, help="documents in the memory run")
    parser.add_argument(
        "--images",
        type=Path,
        default=None,
        help="also time the image path on these scans (e.g. fixtures/scanned)",
    )
    parser.add_argument(
        "--recognizers",
        default="ppocr",
        help="for the image path, comma-separated; settings after slashes "
        "('ppocr,ppocr/accents=false')",
    )
    parser.add_argument("--images-only", action="store_true", help="skip the digital path")
    args = parser.parse_args(argv)
    if args.images is not None:
        image_path(args.images, args.repeat, args.recognizers.split(","))
        if args.images_only:
            return 0
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    pdfs = sorted(args.directory.glob("*.pdf"))
    pipeline = Pipeline()
    pages = 0
    for pdf in pdfs:  # warm-up; also counts pages
        inv = pipeline.extract(pdf)
        pages += inv.source.page_count if inv.source else 0
    totals, stages = [], {"ingest": [], "fields": [], "validate": []}  # type: ignore[var-annotated]
    plumber, pdfium_t = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        stage_sum = dict.fromkeys(stages, 0.0)
        for pdf in pdfs:
            inv = pipeline.extract(pdf)
            assert isinstance(inv, Invoice) and inv.run is not None
            for k in stage_sum:
                stage_sum[k] += inv.run.timings[k]
        totals.append((time.perf_counter() - t0) / pages)
        for k, v in stage_sum.items():
            stages[k].append(v / pages)
        t1 = time.perf_counter()
        for pdf in pdfs:
            load_document(pdf, Limits())
        pdfium_t.append((time.perf_counter() - t1) / pages)
        t2 = time.perf_counter()
        for pdf in pdfs:
            _pdfplumber_words(pdf)
        plumber.append((time.perf_counter() - t2) / pages)
    # Both libraries tokenise slightly differently, so compare what a user depends on: the
    # same characters, and how many words agree.
    same_chars, overlap = 0, []
    for pdf in pdfs:
        ours = [w.text for p in load_document(pdf, Limits()).pages for w in p.words]
        theirs = _pdfplumber_words(pdf)
        same_chars += Counter("".join(ours)) == Counter("".join(theirs))
        common = sum((Counter(ours) & Counter(theirs)).values())
        overlap.append(common / max(len(ours), len(theirs), 1))
    med = statistics.median(totals)
    print(f"{len(pdfs)} documents, {pages} pages, {args.repeat} repeats, one core\n")
    print(f"end to end      {med * 1000:8.1f} ms/page   {1 / med:7.1f} pages/s")
    for k, v in stages.items():
        print(f"  {k:<13} {statistics.median(v) * 1000:8.1f} ms/page")
    p_med, l_med = statistics.median(pdfium_t), statistics.median(plumber)
    print(f"\ningest pypdfium2 {p_med * 1000:7.1f} ms/page")
    print(f"ingest pdfplumber{l_med * 1000:7.1f} ms/page  ({l_med / p_med:.1f}x slower)")
    print(
        f"same characters on {same_chars}/{len(pdfs)} documents; "
        f"median word agreement {statistics.median(overlap):.1%}"
    )
    if args.batch:
        start = _rss_mb()
        marks = []
        for i in range(args.batch):
            pipeline.try_extract(pdfs[i % len(pdfs)])
            if (i + 1) % max(1, args.batch // 4) == 0:
                marks.append((i + 1, _rss_mb()))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"\nmemory over {args.batch} documents: start {start:.0f} MB, "
            + ", ".join(f"after {n}: {m:.0f} MB" for n, m in marks)
            + f" (peak {peak:.0f} MB)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
