"""Recognisers on text-line crops with known text: CER, WER and lines per second.

    python bench/ocr.py [--lines 150] [--recognizers ppocr,tesseract,trocr]
                        [--trocr-model DIR] [--seed 5] [--no-preprocessing]

Line sets (the same lines for every recogniser):
- ``synthetic clean`` / ``synthetic degraded``: held-out lines of the training generator
  (``invoice_extract.ocr.synth``, a seed training never uses), drawn with Debian's fonts.
- ``fixture text clean`` / ``degraded``: strings from the fixtures' ground truth (names,
  addresses, amounts, dates, descriptions, identifiers) drawn the same way.
- ``scan crops``: fixture PDFs rasterised by poppler at 150-300 dpi, given the scan
  generator's blur, uneven light, noise and JPEG (fixtures/scan.py), and cropped at the text
  layer's line segments, whose text is the truth.
- ``synthetic, new letters``: held-out lines of the generator that each have at least one
  of the letters added for Polish, Czech, Danish, Norwegian and Portuguese
  (``synth.MORE_LETTERS``); every other one degraded.
- ``scan crops marked``: the same crops with a coloured stamp outline, stamp letters or pen
  stroke across each; ``marked, faded``: those with the marks faded
  (``preprocess.fade_colour``, what the pipeline does before any recogniser reads a line).
Lines per second are for batches of 32 (each recogniser's own batching). Also measures the
optional preprocessing steps on the degraded lines with ppocr, to decide which ones the
pipeline uses. Recognisers that cannot load here are reported and skipped; ``trocr`` without
``--trocr-model`` is the model shipped in the package.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from invoice_extract.errors import ModelUnavailable
from invoice_extract.ocr import load_recognizer
from invoice_extract.ocr.synth import MORE_LETTERS, invoice_line, render_line
from invoice_extract.preprocess import (
    despeckle,
    fade_colour,
    median_denoise,
    normalise_contrast,
    remove_rules,
)

ROOT = Path(__file__).resolve().parent.parent


def invoice_texts(fixtures: Path) -> list[str]:
    """Printed strings from the ground truth: every text field and line-item value."""
    texts: set[str] = set()

    def walk(obj: object) -> None:
        if isinstance(obj, dict):
            if "value" in obj and isinstance(obj["value"], str | int | float):
                value = str(obj["value"])
                if 2 <= len(value) <= 60:
                    texts.add(value)
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)

    for path in sorted(fixtures.glob("*.json")):
        walk(json.loads(path.read_text()))
    return sorted(texts)


def scan_crops(fixtures: Path, count: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    """``count`` line crops from scan-like rasters of the fixture PDFs, with their text."""
    sys.path.insert(0, str(ROOT / "fixtures"))  # the scan generator (a script, not a package)
    import scan

    crops, truths = scan.line_crops(sorted(fixtures.glob("*.pdf")), count, seed)
    return list(crops), list(truths)


MARK_COLOURS = [(200, 30, 30), (30, 60, 190), (110, 40, 160), (20, 120, 60), (210, 90, 20)]


def marked(crops: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """The crops with a coloured mark across each, as stamps and pens leave on paper: a
    translucent arc of a stamp's outline, a stamp's big letters, or a pen stroke, in red,
    blue, violet, green or orange."""
    from PIL import Image, ImageDraw, ImageFont

    from invoice_extract.ocr.synth import font_files

    rng = random.Random(f"marks-{seed}")
    fonts = font_files()
    out = []
    for crop in crops:
        img = Image.fromarray(crop).convert("RGBA")
        w, h = img.size
        layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        colour = (*rng.choice(MARK_COLOURS), rng.randint(110, 190))
        kind = rng.choice(["arc", "letters", "pen"])
        if kind == "arc":
            r = rng.uniform(1.5, 4) * h
            cx, cy = rng.uniform(0, w), rng.choice([-1, 1]) * rng.uniform(0.6, 1.0) * r + h / 2
            width = max(2, round(rng.uniform(0.06, 0.14) * h))
            draw.ellipse([cx - 1.6 * r, cy - r, cx + 1.6 * r, cy + r], outline=colour, width=width)
        elif kind == "letters":
            font = ImageFont.truetype(str(rng.choice(fonts)), round(rng.uniform(1.0, 1.6) * h))
            word = rng.choice(["PAID", "RECEIVED", "BEZAHLT", "PAYÉ", "COPY", "PAGATO", "OK"])
            draw.text((rng.uniform(-0.2, 0.6) * w, -0.3 * h), word, fill=colour, font=font)
        else:
            x, y = rng.uniform(-0.1, 0.5) * w, rng.uniform(0.2, 0.8) * h
            points = [(x, y)]
            while x < w:
                x, y = x + rng.uniform(0.5, 1.5) * h, y + rng.uniform(-0.4, 0.4) * h
                points.append((x, y))
            colour = (*colour[:3], 255)
            draw.line(points, fill=colour, width=max(1, round(0.06 * h)), joint="curve")
        out.append(np.asarray(Image.alpha_composite(img, layer).convert("RGB")))
    return out


def error_rates(pairs: Sequence[tuple[str, str]]) -> tuple[float, float]:
    """(CER, WER) over all lines: edit distance over the length of the truth."""
    chars = sum(Levenshtein.distance(p, t) for p, t in pairs)
    words = sum(Levenshtein.distance(p.split(), t.split()) for p, t in pairs)
    return (
        chars / max(1, sum(len(t) for _, t in pairs)),
        words / max(1, sum(len(t.split()) for _, t in pairs)),
    )


def measure(
    read: Callable[[list[np.ndarray]], list[tuple[str, float]]],
    crops: list[np.ndarray],
    truths: list[str],
) -> tuple[float, float, float]:
    read(crops[:4])  # warm-up
    start = time.perf_counter()
    texts = [t for t, _ in read(crops)]
    seconds = time.perf_counter() - start
    cer, wer = error_rates(list(zip(texts, truths, strict=True)))
    return cer, wer, len(crops) / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=150)
    parser.add_argument("--recognizers", default="ppocr,tesseract,trocr")
    parser.add_argument("--trocr-model", default=None)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--fixtures", type=Path, default=ROOT / "fixtures" / "digital")
    parser.add_argument("--no-preprocessing", action="store_true", help="skip that table")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    fixture_texts = rng.sample(invoice_texts(args.fixtures), args.lines)
    synthetic = [invoice_line(random.Random(f"bench-{args.seed}-{i}")) for i in range(args.lines)]

    more = set(MORE_LETTERS)
    drawing = (invoice_line(random.Random(f"bench-{args.seed}-w{i}")) for i in range(10**6))
    new_letters = list(itertools.islice((t for t in drawing if set(t) & more), args.lines))

    def drawn(texts: list[str], tag: str, degrade: bool | None) -> list[np.ndarray]:
        """The lines drawn (``degrade`` None: every other one degraded)."""
        return [
            render_line(
                t,
                random.Random(f"bench-{args.seed}-{tag}{i}"),
                bool(i % 2) if degrade is None else degrade,
            )
            for i, t in enumerate(texts)
        ]

    sets: dict[str, tuple[list[np.ndarray], list[str]]] = {
        "synthetic clean": (drawn(synthetic, "c", False), synthetic),
        "synthetic degraded": (drawn(synthetic, "d", True), synthetic),
        "fixture text clean": (drawn(fixture_texts, "fc", False), fixture_texts),
        "fixture text degraded": (drawn(fixture_texts, "fd", True), fixture_texts),
        "synthetic, new letters": (drawn(new_letters, "w", None), new_letters),
        "scan crops": scan_crops(args.fixtures, args.lines, args.seed),
    }
    # The scan crops with stamps and pen strokes across them, as they are and with the
    # coloured marks faded as the pipeline does before reading.
    crops, truths = sets["scan crops"]
    stamped = marked(crops, args.seed)
    sets["scan crops marked"] = (stamped, truths)
    sets["marked, faded"] = ([fade_colour(c) for c in stamped], truths)
    print(f"{args.lines} invoice text lines per set\n")
    print(f"{'recognizer':<12} {'set':<22} {'CER':>7} {'WER':>7} {'lines/s':>8}")
    for name in args.recognizers.split(","):
        try:
            recognizer = load_recognizer(name, args.trocr_model)
        except ModelUnavailable as exc:
            print(f"{name:<12} skipped: {exc.reason.splitlines()[0][:70]}")
            continue
        for set_name, (crops, truths) in sets.items():
            cer, wer, speed = measure(recognizer.recognise, crops, truths)
            print(f"{name:<12} {set_name:<22} {cer:7.2%} {wer:7.2%} {speed:8.1f}", flush=True)
    if args.no_preprocessing:
        return 0
    # Which preprocessing steps help the default recogniser on degraded lines?
    ppocr = load_recognizer("ppocr")
    steps: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "none": lambda a: a,
        "contrast (CLAHE)": normalise_contrast,
        "despeckle": despeckle,
        "median 3x3": median_denoise,
        "rule removal": lambda a: remove_rules(a, min_length=max(20, a.shape[1] // 3)),
    }
    print(f"\npreprocessing, ppocr on degraded lines\n{'step':<18} {'CER':>7} {'WER':>7}")
    results = {}
    degraded, truths = sets["fixture text degraded"]
    for label, step in steps.items():
        crops = [step(c) for c in degraded]
        cer, wer, _ = measure(ppocr.recognise, crops, truths)
        results[label] = cer
        print(f"{label:<18} {cer:7.2%} {wer:7.2%}")
    best = min(results, key=lambda k: results[k])
    print(f"\nbest: {best} (median CER across steps {statistics.median(results.values()):.2%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
