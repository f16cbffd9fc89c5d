"""Field-level precision / recall / F1 against ground truth.

    python bench/accuracy.py fixtures/digital [--misses]

Every PDF (or image) in DIR with a NAME.json beside it is extracted and scored with
invoice_extract.evaluate. Prints one row per header field, the tax lines, the line items
(whole-row matches) and the line-item cells.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from invoice_extract import Invoice, Pipeline, PipelineConfig
from invoice_extract.evaluate import Counts, score_all

SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"}


def _row(name: str, c: Counts) -> str:
    return (
        f"{name:<24} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.tp:5d} {c.fp:4d} {c.fn:4d}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--misses", action="store_true", help="list every wrong value")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a PipelineConfig option, e.g. --set deskew=false --set dpi=150",
    )
    args = parser.parse_args(argv)
    docs = sorted(
        p
        for p in args.directory.iterdir()
        if p.suffix.lower() in SUFFIXES and p.with_suffix(".json").exists()
    )
    if not docs:
        print(f"no documents with ground truth in {args.directory}", file=sys.stderr)
        return 2
    overrides = dict(item.split("=", 1) for item in args.set)
    pipeline = Pipeline(PipelineConfig.model_validate(overrides))
    pairs = []
    failed = 0
    for doc in docs:
        truth = Invoice.model_validate_json(doc.with_suffix(".json").read_text())
        result = pipeline.try_extract(doc)
        if not isinstance(result, Invoice):
            failed += 1
            print(f"FAILED {doc.name}: {result}", file=sys.stderr)
        pairs.append((doc.name, result if isinstance(result, Invoice) else None, truth))
    total = score_all(pairs)
    print(
        f"{len(docs)} documents, {failed} failed to extract"
        + (f" ({', '.join(args.set)})" if args.set else "")
        + "\n"
    )
    print(f"{'field':<24} {'prec':>6} {'recall':>6} {'F1':>6} {'tp':>5} {'fp':>4} {'fn':>4}")
    for name, counts in total.fields.items():
        if counts.tp + counts.fp + counts.fn:  # skip fields no document has or got
            print(_row(name, counts))
    print(_row("HEADER (micro)", total.header))
    print(_row("LINE ITEMS (rows)", total.line_items))
    for name, counts in total.item_cells.items():
        print(_row(f"  item.{name}", counts))
    if args.misses:
        print()
        for name, path, pred, truth in total.misses:
            print(f"{name:<14} {path:<22} got {pred!r:<40} want {truth!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
