"""Writers: JSON Lines (the schema), CSV via pandas (invoices, line items, errors) and SQL
via SQLAlchemy. Files are written to a temporary name and renamed, so a crash never leaves a
half-written file; SQL rows are upserted by sha256, so re-running never duplicates."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from invoice_extract.errors import InvoiceExtractError
from invoice_extract.export.rows import (
    ERROR_COLUMNS,
    INVOICE_COLUMNS,
    LINE_ITEM_COLUMNS,
    invoice_row,
    line_item_rows,
)
from invoice_extract.export.sql import write_sql
from invoice_extract.schema import Invoice


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_csv(rows: list[dict[str, Any]], columns: list[str], path: Path) -> None:
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    with atomic_write(path) as tmp:
        frame.to_csv(tmp, index=False)


def write_results(
    results: Sequence[tuple[str, Invoice | InvoiceExtractError]], out_dir: Path
) -> None:
    """Write invoices.jsonl, invoices.csv, line_items.csv and errors.csv to ``out_dir``."""
    invoices = [(s, r) for s, r in results if isinstance(r, Invoice)]
    errors = [(s, r) for s, r in results if isinstance(r, InvoiceExtractError)]
    with atomic_write(out_dir / "invoices.jsonl") as tmp, tmp.open("w") as f:
        for _, inv in invoices:
            f.write(inv.model_dump_json() + "\n")
    _write_csv(
        [invoice_row(inv, s) for s, inv in invoices], INVOICE_COLUMNS, out_dir / "invoices.csv"
    )
    _write_csv(
        [row for s, inv in invoices for row in line_item_rows(inv, s)],
        LINE_ITEM_COLUMNS,
        out_dir / "line_items.csv",
    )
    _write_csv(
        [{"source": s, "error_type": e.error_type, "message": e.reason} for s, e in errors],
        ERROR_COLUMNS,
        out_dir / "errors.csv",
    )


__all__ = [
    "ERROR_COLUMNS",
    "INVOICE_COLUMNS",
    "LINE_ITEM_COLUMNS",
    "atomic_write",
    "invoice_row",
    "line_item_rows",
    "write_results",
    "write_sql",
]
