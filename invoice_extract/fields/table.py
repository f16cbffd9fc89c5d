"""Line items: find the table header, derive columns from its boxes, read rows.

Rows start where the amount (or quantity and price) columns hold numbers; lines holding only
description text continue the row above (multi-line descriptions). The table ends at the
totals block or a wide vertical gap, and continues on the next page, with or without a
repeated header.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from invoice_extract.document import Word
from invoice_extract.fields.context import Context
from invoice_extract.fields.labels import match_column
from invoice_extract.fields.lines import Line, Segment
from invoice_extract.fields.normalise import normalise, parse_amount, parse_quantity, parse_rate

NUMERIC = {"quantity", "unit_price", "amount", "tax_rate"}
_LONG_NUMBER = re.compile(r"\d{4,}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
MIN_HEADER_COLUMNS = 3
ROW_GAP = 1.9  # line heights between a description line and the row it continues
END_GAP = 4.5  # line heights of empty space that end a table


@dataclass
class Column:
    name: str
    x0: float
    x1: float
    left: float = float("-inf")
    right: float = float("inf")


@dataclass
class Row:
    cells: dict[str, list[Word]] = field(default_factory=dict)
    page: int = 1
    lines: list[int] = field(default_factory=list)


@dataclass
class Table:
    columns: list[Column]
    header_lines: list[int]
    rows: list[Row]
    end_line: int | None  # the first line after the table (usually the totals block)
    closed: bool = False  # a totals block was reached: the table cannot continue

    @property
    def lines(self) -> set[int]:
        """Indices of the header and row lines."""
        return set(self.header_lines) | {i for row in self.rows for i in row.lines}


def _split_header_cell(seg: Segment, width: float) -> list[Column] | None:
    """Header cells set close together form one segment ('E-Preis MwSt. %'): the best
    partition of its words into consecutive groups that each name a column, or None."""
    words = seg.words
    n = len(words)
    # best[i]: the columns covering words[:i] completely, with their summed scores.
    best: dict[int, tuple[list[Column], float]] = {0: ([], 0.0)}

    def quality(entry: tuple[list[Column], float]) -> tuple[float, int]:
        # Mean score first; then fewer, longer cells ('Unit Price' over 'Unit' + 'Price').
        return entry[1] / len(entry[0]), -len(entry[0])

    for i in range(n):
        if i not in best:
            continue
        cols, total = best[i]
        for j in range(i + 1, min(n, i + 4) + 1):
            part = _words_segment(words[i:j], seg, width)
            found = match_column(part, by_leading_words=False)
            if found is None:
                continue
            candidate = ([*cols, Column(found[0], part.x0, part.x1)], total + found[1])
            if j not in best or quality(candidate) > quality(best[j]):
                best[j] = candidate
    return best[n][0] if n in best else None


def _header_columns(line: Line, width: float) -> list[Column] | None:
    columns: list[Column] = []
    unmatched: list[Segment] = []
    for seg in line.segments:
        if _LONG_NUMBER.search(seg.text):
            unmatched.append(seg)  # a value ('FR28944718766', '07-10-2024'), not a header
            continue
        found = match_column(seg, by_leading_words=False)
        split = _split_header_cell(seg, width) if not found and len(seg.words) > 1 else None
        if split:
            columns.extend(split)
            continue
        found = found or match_column(seg)
        if found:
            columns.append(Column(found[0], seg.x0, seg.x1))
        elif seg.norm:
            unmatched.append(seg)
    if len(unmatched) > len(columns) // 2:
        return None
    names = [c.name for c in columns]
    if (
        "amount" not in names
        and "unit_price" in names
        and unmatched
        and not any(ch.isdigit() for ch in unmatched[-1].text)
        and unmatched[-1].x0 > max(c.x1 for c in columns)
    ):
        # The rightmost column of a line-item table holds the line amounts, even when its
        # header is one we do not know (or OCR lost a word of it: 'Total HT' -> 'HT').
        columns.append(Column("amount", unmatched[-1].x0, unmatched[-1].x1))
        names.append("amount")
    if len(set(names)) < MIN_HEADER_COLUMNS or len(set(names)) != len(names):
        return None
    if "amount" not in names and "unit_price" not in names:
        return None
    if "description" not in names:
        return None
    columns.sort(key=lambda c: c.x0)
    for a, b in itertools.pairwise(columns):
        # Text is left-aligned under its header and runs right; numbers are right-aligned
        # and may reach left of a narrow header. Header text widths say little about column
        # widths, so the boundary hugs the edge the neighbouring values are aligned to.
        gap = max(0.0, b.x0 - a.x1)
        if a.name in NUMERIC:
            boundary = a.x1 + (0.25 if b.name in NUMERIC else 0.3) * gap
        else:
            # Text runs right up to the next column, which starts at its header's left edge
            # (a number may reach a little further left of a narrow header).
            boundary = b.x0 - min(8.0 if b.name in NUMERIC else 4.0, 0.2 * gap)
        a.right = b.left = boundary
    return columns


def _words_segment(words: list[Word], seg: Segment, width: float) -> Segment:
    """A sub-segment of ``seg`` made of some of its words."""
    text = " ".join(w.text for w in words)
    return Segment(
        words=list(words),
        page=seg.page,
        x0=words[0].x0 * width,
        y0=seg.y0,
        x1=max(w.x1 for w in words) * width,
        y1=seg.y1,
        line=seg.line,
        text=text,
        norm=normalise(text),
    )


def _assign(line: Line, columns: list[Column], width: float) -> dict[str, list[Word]]:
    """The line's words by column. A number aligned with either edge of a numeric header
    goes to that column whole; other words go by their centre. A numeric column takes only words
    of segments that overlap its header, so values under a header we do not know (an
    extra column) are left out rather than run into a neighbour's cell."""
    cells: dict[str, list[Word]] = {}
    numeric = [c for c in columns if c.name in NUMERIC]
    for seg in line.segments:
        aligned = [c for c in numeric if abs(seg.x1 - c.x1) <= 3.0 or abs(seg.x0 - c.x0) <= 3.0]
        is_number = parse_amount(seg.text.rstrip("% ")) is not None
        if aligned and is_number:
            cells.setdefault(aligned[0].name, []).extend(seg.words)
            continue
        if is_number and len(seg.words) > 1:
            # One number in words ('980 056,83' read as two by OCR, 'DKK 1.169,87') that a
            # column boundary would cut: whole to the numeric column it overlaps most.
            spans = [
                (min(seg.x1, c.right) - max(seg.x0, c.left), c)
                for c in columns
                if min(seg.x1, c.right) > max(seg.x0, c.left)
            ]
            in_numeric = [(overlap, c) for overlap, c in spans if c.name in NUMERIC]
            if len(spans) > 1 and in_numeric:
                best = max(in_numeric, key=lambda s: s[0])[1]
                cells.setdefault(best.name, []).extend(seg.words)
                continue
        for w in seg.words:
            cx = (w.x0 + w.x1) / 2 * width
            col = next((c for c in columns if c.left <= cx < c.right), None)
            if col is None or (
                col.name in NUMERIC and not (seg.x0 < col.x1 + 2 and seg.x1 > col.x0 - 2)
            ):
                continue
            cells.setdefault(col.name, []).append(w)
    return cells


def _text(words: list[Word] | None) -> str:
    return " ".join(w.text for w in words or [])


def _is_row_start(cells: dict[str, list[Word]], ctx: Context) -> bool:
    amount = parse_amount(_text(cells.get("amount")), ctx.decimal_mark)
    if amount is not None:
        return True
    price = parse_amount(_text(cells.get("unit_price")), ctx.decimal_mark)
    qty = parse_quantity(_text(cells.get("quantity")), ctx.decimal_mark)
    return price is not None and qty is not None


def _ending(line: Line, cells: dict[str, list[Word]], ctx: Context) -> str | None:
    """'totals' for a totals line (a totals label in the first two segments and an amount,
    but no quantity or unit price: a row whose description starts like a label, 'Shipping
    pallets', carries those); 'carry' for a carry-over line ('Übertrag', 'Suma y sigue')."""
    hits = [h for seg in line.segments[:2] for h in ctx.hits_of(seg) if h.score >= 0.9]
    if any(h.kind == "carry" for h in hits):
        return "carry"
    if any(
        parse_amount(_text(cells.get(c)), ctx.decimal_mark) is not None
        for c in ("quantity", "unit_price")
    ):
        return None
    has_amount = any(parse_amount(s.text, ctx.decimal_mark) is not None for s in line.segments)
    has_amount = has_amount or any(
        parse_amount(" ".join(w.text for w in h.rest_words[k:]), ctx.decimal_mark) is not None
        for h in hits
        for k in range(len(h.rest_words))
    )
    return "totals" if has_amount and any(h.kind == "total" for h in hits) else None


def find_table(ctx: Context) -> Table | None:
    """The document's line-item table, followed across pages, or None when there is none."""
    lines = ctx.layout.lines
    table: Table | None = None
    i = 0
    while i < len(lines) and not (table is not None and table.closed):
        line = lines[i]
        width = ctx.layout.pages[line.page].width
        columns = _header_columns(line, width) if len(line.segments) >= 2 else None
        if columns is not None:
            if table is None:
                table = Table(columns=columns, header_lines=[], rows=[], end_line=None)
            table.columns = columns
            table.header_lines.append(i)
            i = _read_rows(ctx, table, i + 1)
        elif (
            table is not None
            and table.rows
            and line.page > table.rows[-1].page
            and len(line.segments) >= 2
            and _is_row_start(_assign(line, table.columns, width), ctx)
        ):
            # A continuation page without a repeated header: same columns as before.
            i = _read_rows(ctx, table, i)
        else:
            i += 1
    return table


def _read_rows(ctx: Context, table: Table, start: int) -> int:
    """Read rows from line ``start`` on its page; return the index of the line after.

    A totals label closes the table; a wide gap (a footer, notes) only ends this page's part,
    so the table may go on under the next page's header."""
    lines = ctx.layout.lines
    lh = ctx.layout.line_height
    if start >= len(lines):
        return start
    page = lines[start].page
    last_y: float | None = None
    i = start
    while i < len(lines) and lines[i].page == page:
        line = lines[i]
        cells = _assign(line, table.columns, ctx.layout.pages[page].width)
        ending = _ending(line, cells, ctx)
        if ending == "totals":
            table.end_line = i
            table.closed = True
            return i
        if ending == "carry":
            table.end_line = i
            return _next_page(lines, i)
        if last_y is not None and line.y0 - last_y > END_GAP * lh:
            table.end_line = i
            return _next_page(lines, i)
        if _is_row_start(cells, ctx):
            table.rows.append(Row(cells=cells, page=page, lines=[i]))
            last_y = line.y1
        elif (
            table.rows
            and table.rows[-1].page == page
            and last_y is not None
            and set(cells) <= {"description", "product_code"}
            and "description" in cells
            and line.y0 - last_y < ROW_GAP * lh
        ):
            row = table.rows[-1]
            row.cells.setdefault("description", []).extend(cells["description"])
            row.lines.append(i)
            last_y = line.y1
        elif (
            table.rows
            and last_y is not None
            and line.y0 - last_y > ROW_GAP * lh
            and not (set(cells) & NUMERIC)
        ):
            # Text well below the last row that fits no row: this page's part has ended.
            table.end_line = i
            return _next_page(lines, i)
        i += 1
    return i


def _next_page(lines: list[Line], i: int) -> int:
    page = lines[i].page
    while i < len(lines) and lines[i].page == page:
        i += 1
    return i


def cell_value(row: Row, name: str, ctx: Context) -> tuple[object, list[Word]] | None:
    words = row.cells.get(name)
    if not words:
        return None
    text = _text(words)
    value: object
    if name in ("unit_price", "amount"):
        value = parse_amount(text, ctx.decimal_mark)
    elif name == "quantity":
        value = parse_quantity(text, ctx.decimal_mark)
    elif name == "tax_rate":
        value = parse_rate(text if "%" in text else f"{text}%")
        if value is None:
            value = parse_amount(text.rstrip("% "), ctx.decimal_mark)
    else:
        value = text
    if value is None:
        return None
    if isinstance(value, Decimal) and name == "tax_rate" and value == value.to_integral():
        value = value.quantize(Decimal(1))
    return value, words
