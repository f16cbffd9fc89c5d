"""Recognisers on text-line crops with known text: CER, WER and lines per second.

    python bench/ocr.py [--lines 150] [--recognizers ppocr,tesseract,trocr]
                        [--trocr-model DIR] [--seed 5]

Lines are invoice text taken from the fixtures' ground truth (names, addresses, amounts,
dates, descriptions, identifiers) drawn with Debian's fonts at scan-like sizes, once clean and
once degraded (blur, noise, JPEG, slight rotation, low contrast, a table rule through some).
Also measures the optional preprocessing steps on the degraded lines with ppocr, to decide
which ones the pipeline uses. Recognisers that cannot load here are reported and skipped.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

from invoice_extract.errors import ModelUnavailable
from invoice_extract.ocr import load_recognizer
from invoice_extract.preprocess import normalise_contrast, remove_rules

FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
]


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


def draw_line(text: str, rng: random.Random, degraded: bool) -> np.ndarray:
    font = ImageFont.truetype(rng.choice(FONTS), rng.randint(20, 34))
    left, top, right, bottom = font.getbbox(text)
    pad = rng.randint(4, 10)
    img = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 255)
    ink = rng.randint(0, 40)
    ImageDraw.Draw(img).text((pad - left, pad - top), text, fill=ink, font=font)
    if degraded:
        if rng.random() < 0.3:  # a table rule touching the text
            y = rng.choice([1, img.height - 2])
            ImageDraw.Draw(img).line([(0, y), (img.width, y)], fill=60, width=2)
        if rng.random() < 0.5:  # low contrast
            img = img.point(lambda v: 110 + v * 145 // 255)
        img = img.rotate(rng.uniform(-2, 2), resample=Image.BICUBIC, expand=True, fillcolor=255)
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
        arr = np.asarray(img, dtype=np.float32)
        arr += np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(4, 14), arr.shape)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=rng.randint(30, 70))
        img = Image.open(buf)
    return np.asarray(img.convert("RGB"))


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
    parser.add_argument("--fixtures", type=Path, default=Path("fixtures/digital"))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    truths = rng.sample(invoice_texts(args.fixtures), args.lines)
    sets = {
        "clean": [
            draw_line(t, random.Random(f"{args.seed}-{i}"), False) for i, t in enumerate(truths)
        ],
        "degraded": [
            draw_line(t, random.Random(f"{args.seed}-d{i}"), True) for i, t in enumerate(truths)
        ],
    }
    print(f"{args.lines} invoice text lines per set\n")
    print(f"{'recognizer':<12} {'set':<9} {'CER':>7} {'WER':>7} {'lines/s':>8}")
    for name in args.recognizers.split(","):
        if name == "trocr" and not args.trocr_model:
            print(f"{name:<12} skipped: no --trocr-model (hub weights are not reachable here)")
            continue
        try:
            recognizer = load_recognizer(name, args.trocr_model)
        except ModelUnavailable as exc:
            print(f"{name:<12} skipped: {exc.reason.splitlines()[0][:70]}")
            continue
        for set_name, crops in sets.items():
            cer, wer, speed = measure(recognizer.recognise, crops, truths)
            print(f"{name:<12} {set_name:<9} {cer:7.2%} {wer:7.2%} {speed:8.1f}")
    # Which preprocessing steps help the default recogniser on degraded lines?
    ppocr = load_recognizer("ppocr")
    steps: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "none": lambda a: a,
        "contrast (CLAHE)": normalise_contrast,
        "rule removal": lambda a: remove_rules(a, min_length=max(20, a.shape[1] // 3)),
    }
    print(f"\npreprocessing, ppocr on degraded lines\n{'step':<18} {'CER':>7} {'WER':>7}")
    results = {}
    for label, step in steps.items():
        crops = [step(c) for c in sets["degraded"]]
        cer, wer, _ = measure(ppocr.recognise, crops, truths)
        results[label] = cer
        print(f"{label:<18} {cer:7.2%} {wer:7.2%}")
    best = min(results, key=lambda k: results[k])
    print(f"\nbest: {best} (median CER across steps {statistics.median(results.values()):.2%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
