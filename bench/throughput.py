"""TrOCR lines per second by batch size, on the device the recogniser picks (a GPU where
there is one), the lean greedy loop and transformers' ``generate`` side by side.

    python bench/throughput.py [--lines 2048] [--batches 32,128,512,2048] [--repeat 3]
                               [--trocr-model DIR] [--load LINES.npz]
    python bench/throughput.py --save LINES.npz [--lines 2048] [--pages DIR]   # save only

Lines: held-out lines of the training generator (``invoice_extract.ocr.synth``, a seed
training never uses), every other one degraded, as ``bench/ocr.py`` draws them. ``--save``
stores them for a machine without the fonts they are drawn with (a lent GPU machine), and
``--load`` reads them there. For each batch size, ``recognise()`` reads every line, line
preparation included, once to warm up and then ``--repeat`` times with each decoder in
turn; the median is reported, with the character error rate of each decoder's reading.

Pages: with ``--pages DIR``, the line crops the pipeline hands the ``trocr`` recogniser for
each page of the scans in DIR (read here: straightened, deskewed, detected, faded) are saved
too, and timed one page at a time, as the pipeline reads them: seconds of recognition per
page.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from invoice_extract.ocr.train import character_error_rate
from invoice_extract.ocr.trocr import DEFAULT_TROCR_MODEL, TrocrRecognizer


def drawn_lines(count: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    """``count`` generator lines and their images, every other one degraded."""
    from invoice_extract.ocr.synth import invoice_line, render_line

    texts = [invoice_line(random.Random(f"bench-{seed}-{i}")) for i in range(count)]
    crops = [
        render_line(t, random.Random(f"bench-{seed}-t{i}"), bool(i % 2))
        for i, t in enumerate(texts)
    ]
    return crops, texts


def page_lines(directory: Path) -> list[list[np.ndarray]]:
    """The line crops the pipeline hands the ``trocr`` recogniser for the scans in
    ``directory``: one list per call (a page, or a page read again once turned upright)."""
    from invoice_extract import Pipeline, PipelineConfig

    calls: list[list[np.ndarray]] = []
    read = TrocrRecognizer.recognise

    def recording(self: TrocrRecognizer, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        calls.append(list(crops))
        return read(self, crops)

    TrocrRecognizer.recognise = recording  # type: ignore[method-assign]
    try:
        pipeline = Pipeline(PipelineConfig(recognizer="trocr"))
        for path in sorted(directory.iterdir()):
            if path.suffix.lower() != ".json":
                pipeline.extract(path)
    finally:
        TrocrRecognizer.recognise = read  # type: ignore[method-assign]
    return calls


def _packed(crops: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Crops end to end in one array, and their shapes (one channel where all three are
    equal, as on grey lines)."""
    parts = [c[..., :1] if (c == c[..., :1]).all() else c for c in crops]
    return np.concatenate([p.ravel() for p in parts]), np.array([p.shape for p in parts])


def _unpacked(pixels: np.ndarray, shapes: np.ndarray) -> list[np.ndarray]:
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes])
    parts = [p.reshape(shape) for p, shape in zip(np.split(pixels, ends[:-1]), shapes, strict=True)]
    return [np.repeat(p, 3, axis=2) if p.shape[2] == 1 else p for p in parts]


def save_lines(
    path: Path, crops: list[np.ndarray], texts: list[str], pages: list[list[np.ndarray]]
) -> None:
    """Lines and their texts, and pages' line crops, in one compressed file."""
    pixels, shapes = _packed(crops)
    page_pixels, page_shapes = _packed([c for page in pages for c in page] or crops[:1])
    np.savez_compressed(
        path,
        pixels=pixels,
        shapes=shapes,
        texts=np.array(texts),
        page_pixels=page_pixels,
        page_shapes=page_shapes,
        page_lines=np.array([len(page) for page in pages], dtype=np.int64),
    )


def load_lines(path: Path) -> tuple[list[np.ndarray], list[str], list[list[np.ndarray]]]:
    with np.load(path) as saved:
        crops = _unpacked(saved["pixels"], saved["shapes"])
        page_crops = _unpacked(saved["page_pixels"], saved["page_shapes"])
        ends = np.cumsum(saved["page_lines"])
        pages = [page_crops[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        return crops, [str(t) for t in saved["texts"]], pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--batches", default="32,128,512,2048")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--trocr-model", default=DEFAULT_TROCR_MODEL)
    parser.add_argument("--save", type=Path, default=None, help="draw the lines, save, stop")
    parser.add_argument("--load", type=Path, default=None, help="lines saved with --save")
    parser.add_argument("--pages", type=Path, default=None, help="scans whose pages to time")
    args = parser.parse_args(argv)
    pages: list[list[np.ndarray]] = []
    if args.load:
        crops, texts, pages = load_lines(args.load)
    else:
        crops, texts = drawn_lines(args.lines, args.seed)
        pages = page_lines(args.pages) if args.pages else []
    if args.save:
        save_lines(args.save, crops, texts, pages)
        print(f"saved {len(crops)} lines and {len(pages)} pages' lines to {args.save}")
        return 0
    recognizer = TrocrRecognizer(args.trocr_model)
    lean, default_batch = recognizer.greedy, recognizer.batch_size
    print(f"{len(crops)} lines on {recognizer.device} ({recognizer.dtype})")
    print(f"{'batch':>6} {'decoder':<9} {'lines/s':>8} {'CER':>7}  runs (lines/s)")
    for batch in (int(b) for b in args.batches.split(",")):
        recognizer.batch_size = batch
        recognizer.recognise(crops[:batch])  # warm-up (kernels, allocator) at this size
        runs: dict[str, list[float]] = {"lean": [], "generate": []}
        readings: dict[str, list[str]] = {}
        for _ in range(args.repeat):
            for decoder in runs:  # in turn, so both see the same machine
                recognizer.greedy = lean if decoder == "lean" else None
                start = time.perf_counter()
                readings[decoder] = [t for t, _ in recognizer.recognise(crops)]
                runs[decoder].append(len(crops) / (time.perf_counter() - start))
        recognizer.greedy = lean
        for decoder, speeds in runs.items():
            cer = character_error_rate(readings[decoder], texts)
            shown = " ".join(f"{s:.0f}" for s in speeds)
            print(f"{batch:>6} {decoder:<9} {statistics.median(speeds):8.0f} {cer:7.2%}  {shown}")
    if pages:
        time_pages(recognizer, pages, args.repeat, default_batch)
    return 0


def time_pages(
    recognizer: TrocrRecognizer, pages: list[list[np.ndarray]], repeat: int, batch: int
) -> None:
    """Seconds of recognition per page, each page's lines in one call (the pipeline's
    way, at the recogniser's own batch size), both decoders in turn; and whether they read
    the same."""
    lean = recognizer.greedy
    recognizer.batch_size = batch
    lines = sum(map(len, pages))
    print(f"\n{len(pages)} pages, {lines} lines, batch {recognizer.batch_size}")
    seconds: dict[str, list[float]] = {"lean": [], "generate": []}
    readings: dict[str, list[str]] = {}
    recognizer.recognise(pages[0])  # warm-up
    for _ in range(repeat):
        for decoder in seconds:
            recognizer.greedy = lean if decoder == "lean" else None
            start = time.perf_counter()
            readings[decoder] = [t for page in pages for t, _ in recognizer.recognise(page)]
            seconds[decoder].append((time.perf_counter() - start) / len(pages))
    recognizer.greedy = lean
    same = sum(a == b for a, b in zip(readings["lean"], readings["generate"], strict=True))
    for decoder, runs in seconds.items():
        shown = " ".join(f"{s:.3f}" for s in runs)
        print(f"{decoder:<9} {statistics.median(runs):.3f} s/page  runs {shown}")
    print(f"same reading on {same} of {lines} lines")


if __name__ == "__main__":
    raise SystemExit(main())
