"""Where line recognisers' words land: the word boxes of ``engine.word_spans`` against
the words' true positions, and against dividing the line by character counts.

    python bench/wordboxes.py [--lines 600] [--seed 7]

Recognisers that read whole lines (trocr, tesseract) give text, not word boxes; the field
mapper needs each word's box (a quantity in the quantity column, a label left of its value).
Each line here is the training generator's text (``invoice_extract.ocr.synth``) drawn word
by word in a random installed font at 14 to 30 px, the gap after each word a normal space
(70%), a table column's gap (2 to 8 type sizes, 15%) or a tight cell's gap (0.12 to 0.25,
15%). Reported: words whose left edge is off by more than 0.3 and more than 1 type size,
and the mean error in type sizes.
"""

from __future__ import annotations

import argparse
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from invoice_extract.ocr import synth
from invoice_extract.ocr.engine import split_words, word_spans


def drawn_line(
    rng: random.Random, fonts: tuple[str, ...]
) -> tuple[np.ndarray, list[str], list[float], int] | None:
    """A line of two or more words: the image, its words, their left ink edges, type size."""
    tokens = synth.invoice_line(rng).split()
    if len(tokens) < 2:
        return None
    size = rng.randint(14, 30)
    font = ImageFont.truetype(rng.choice(fonts), size)
    img = Image.new("L", (60 * size * len(tokens), 2 * size), 255)
    draw = ImageDraw.Draw(img)
    lefts, x = [], 6.0
    for token in tokens:
        box = draw.textbbox((x, size // 3), token, font=font)
        draw.text((x, size // 3), token, fill=0, font=font)
        lefts.append(float(box[0]))
        r = rng.random()
        if r < 0.7:
            gap = draw.textlength(" ", font=font)
        elif r < 0.85:
            gap = rng.uniform(2, 8) * size
        else:
            gap = rng.uniform(0.12, 0.25) * size
        x = box[2] + gap
    return np.asarray(img.crop((0, 0, int(x) + 6, 2 * size)).convert("RGB")), tokens, lefts, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng, fonts = random.Random(args.seed), synth.font_files()
    errors: dict[str, list[float]] = {"word_spans": [], "character counts": []}
    for _ in range(args.lines):
        line = drawn_line(rng, fonts)
        if line is None:
            continue
        image, tokens, lefts, size = line
        width = image.shape[1]
        spans = word_spans(image, tokens)
        if spans is None:
            continue
        by_count = [w.bbox[0] for w in split_words(" ".join(tokens), 1.0, (0, 0, 1, 1), 1)]
        for name, starts in (("word_spans", [a for a, _ in spans]), ("character counts", by_count)):
            errors[name] += [abs(s * width - x) / size for s, x in zip(starts, lefts, strict=True)]
    print(f"{len(errors['word_spans'])} words")
    print(f"{'word boxes by':<18} {'> 0.3 size':>10} {'> 1 size':>9} {'mean (sizes)':>13}")
    for name, values in errors.items():
        e = np.array(values)
        print(f"{name:<18} {(e > 0.3).mean():10.1%} {(e > 1).mean():9.1%} {e.mean():13.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
