"""SQL output through SQLAlchemy Core: tables ``invoices`` and ``line_items``, keyed by the
document's sha256, so writing the same document again replaces its rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
)

from invoice_extract.export.rows import (
    INVOICE_COLUMNS,
    LINE_ITEM_COLUMNS,
    invoice_row,
    line_item_rows,
)
from invoice_extract.schema import Invoice

metadata = MetaData()


def _invoice_table() -> Table:
    cols: list[Column[Any]] = [Column("sha256", String(64), primary_key=True)]
    cols += [Column(name, Text) for name in INVOICE_COLUMNS if name != "sha256"]
    cols.append(Column("json", Text))
    return Table("invoices", metadata, *cols)


def _line_item_table() -> Table:
    cols: list[Column[Any]] = [
        Column("sha256", String(64), primary_key=True),
        Column("index", Integer, primary_key=True),
    ]
    cols += [Column(n, Text) for n in LINE_ITEM_COLUMNS if n not in ("index",)]
    return Table("line_items", metadata, *cols)


invoices_table = _invoice_table()
line_items_table = _line_item_table()


def write_sql(results: Sequence[tuple[str, Invoice]], url: str) -> int:
    """Upsert invoices and their line items; returns how many invoices were written."""
    engine = create_engine(url)
    metadata.create_all(engine)
    written = 0
    with engine.begin() as conn:
        for source, inv in results:
            row = invoice_row(inv, source)
            sha = row["sha256"]
            conn.execute(delete(line_items_table).where(line_items_table.c.sha256 == sha))
            conn.execute(delete(invoices_table).where(invoices_table.c.sha256 == sha))
            conn.execute(insert(invoices_table).values(**row, json=inv.model_dump_json()))
            items = [dict(r, sha256=sha) for r in line_item_rows(inv, source)]
            if items:
                conn.execute(insert(line_items_table), items)
            written += 1
    engine.dispose()
    return written
