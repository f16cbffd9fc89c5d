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
STAMP_HEIGHT = 1.8  # line heights: taller words on a description's next line are a stamp
END_GAP = 4.5  # line heights of empty space that end a table
ALIGNED = 0.02  # page widths between the right edges of one column's values
_POSITION = re.compile(r"\d{1,3}\.?")  # a row's number: '1', '12.'
# Lines under a header looked at for the quantity column it does not name.
ROWS_CHECKED = 8
MAX_CELL_WORDS = 6  # words of one header cell ('Denumirea produselor sau a serviciilor')


@dataclass
class Column:
    name: str
    x0: float
    x1: float
    left: float = float("-inf")
    right: float = float("inf")

    def contains(self, word: Word, width: float) -> bool:
        """Whether ``word`` lies within the column's value extent."""
        return self.x0 <= word.x0 * width and word.x1 * width <= self.x1


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
    # Columns found by the rows' arithmetic, not named by a header: a row needs its
    # quantity and unit price, and a line with only an amount is the totals block.
    by_arithmetic: bool = False

    @property
    def lines(self) -> set[int]:
        """Indices of the header and row lines."""
        return set(self.header_lines) | {i for row in self.rows for i in row.lines}


def _split_header_cell(seg: Segment, width: float) -> tuple[list[Column], float] | None:
    """Header cells set close together form one segment ('E-Preis MwSt. %'): the best
    partition of its words into consecutive groups that each name a different column, with
    their mean score, or None."""
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
        for j in range(i + 1, min(n, i + MAX_CELL_WORDS) + 1):
            part = _words_segment(words[i:j], seg, width)
            found = match_column(part, by_leading_words=False)
            # Each cell names another column: 'Nazwa' and 'towaru/usługi' both name the
            # description, so 'Nazwa towaru/usługi' is one cell.
            if found is None or any(c.name == found[0] for c in cols):
                continue
            candidate = ([*cols, Column(found[0], part.x0, part.x1)], total + found[1])
            if j not in best or quality(candidate) > quality(best[j]):
                best[j] = candidate
    if n not in best:
        return None
    return best[n][0], best[n][1] / len(best[n][0])


def _header_columns(line: Line, width: float) -> list[Column] | None:
    columns: list[Column] = []
    unmatched: list[Segment] = []
    for seg in line.segments:
        if _LONG_NUMBER.search(seg.text):
            unmatched.append(seg)  # a value ('FR28944718766', '07-10-2024'), not a header
            continue
        found = match_column(seg, by_leading_words=False)
        # Split where no column matches the whole cell, or only loosely: OCR's one segment
        # 'Qtd. Preço unitário' is near 'Preço unitário' but names two columns.
        split = (
            _split_header_cell(seg, width)
            if len(seg.words) > 1 and (found is None or found[1] < 1.0)
            else None
        )
        if split and (found is None or (len(split[0]) > 1 and split[1] > found[1])):
            columns.extend(split[0])
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
    return _bounded(columns)


def _bounded(columns: list[Column]) -> list[Column]:
    """``columns`` left to right, each with its boundaries to its neighbours."""
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
    segments = line.segments
    first = columns[0]
    if (
        len(segments) > 1
        and first.name not in NUMERIC
        and all(c.name != "position" for c in columns)
        and _POSITION.fullmatch(segments[0].text)
        and segments[0].x1 < first.x0
        and abs(segments[1].x0 - first.x0) <= ALIGNED * width
    ):
        # A row number left of the first column, whose text starts under its header: the
        # position column's header was not read ('Č.' lost on a scan), not a description
        # starting with '1'.
        cells["position"] = list(segments[0].words)
        segments = segments[1:]
    for seg in segments:
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


def _is_row_start(cells: dict[str, list[Word]], ctx: Context, strict: bool = False) -> bool:
    """Whether a line's cells start a row: an amount, or a quantity and unit price (both,
    when ``strict``: the columns of a table found by its arithmetic)."""
    amount = parse_amount(_text(cells.get("amount")), ctx.decimal_mark)
    if amount is not None and not strict:
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
    """The document's line-item table, followed across pages, or None when there is none.
    Its columns come from a header the lexicon knows, else from rows whose quantity times
    unit price makes their amount."""
    table = _follow(ctx, None, 0)
    if table is None:
        found = _columns_by_arithmetic(ctx)
        if found is not None:
            columns, header, start = found
            table = Table(columns, header, rows=[], end_line=None, by_arithmetic=True)
            _follow(ctx, table, _read_rows(ctx, table, start))
    return table


def _follow(ctx: Context, table: Table | None, start: int) -> Table | None:
    """Read the table on from line ``start``: under each header, and on a following page
    without one."""
    lines = ctx.layout.lines
    moved: dict[int, list[Column]] = {}  # the columns where they stand on a following page
    i = start
    while i < len(lines) and not (table is not None and table.closed):
        line = lines[i]
        width = ctx.layout.pages[line.page].width
        columns = (
            _header_columns(line, width)
            if len(line.segments) >= 2 and not (table and table.by_arithmetic)
            else None
        )
        if columns is not None:
            columns = _with_quantity(ctx, columns, i + 1)
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
            and _is_row_start(
                _assign(line, _moved_to(ctx, table, line.page, moved), width),
                ctx,
                table.by_arithmetic,
            )
        ):
            # A continuation page without a repeated header: the same columns as before,
            # where this page's scan put them.
            table.columns = moved[line.page]
            i = _read_rows(ctx, table, i)
        else:
            i += 1
    return table


def _with_quantity(ctx: Context, columns: list[Column], start: int) -> list[Column]:
    """A header naming the unit price and the amount but no quantity (OCR read 'Ilość' as
    'ⅡI.'), with the quantity column its rows show: where most of the first
    ``ROWS_CHECKED`` lines from ``start`` that hold a product (quantity times unit price
    makes the amount, ``_product``) have its price and amount under the header's columns and
    its quantity under none of its numeric ones, those quantities are the column. Else
    ``columns`` as they are, and the numbers under the unread header stay out of the
    quantities (and, where they fall there, in the descriptions)."""
    names = {c.name for c in columns}
    if "quantity" in names or not {"unit_price", "amount"} <= names:
        return columns
    lines = ctx.layout.lines
    if start >= len(lines):
        return columns
    page = lines[start].page
    width = ctx.layout.pages[page].width
    numeric = [c for c in columns if c.name in NUMERIC]

    def under(words: list[Word]) -> str | None:
        centre = (words[0].x0 + words[-1].x1) / 2 * width
        return next((c.name for c in numeric if c.left <= centre < c.right), None)

    quantities: list[list[Word]] = []
    checked = 0
    for line in lines[start:]:
        if line.page != page or checked == ROWS_CHECKED:
            break
        found = _product(line, ctx)
        if found is None:
            continue
        checked += 1
        q, p, a = found
        if under(p) == "unit_price" and under(a) == "amount" and under(q) is None:
            quantities.append(q)
    if len(quantities) < 2 or 2 * len(quantities) <= checked:
        return columns
    # One column's numbers align on an edge or their centres; numbers in the text do not.
    edges = [[q[0].x0 for q in quantities], [q[-1].x1 for q in quantities]]
    edges.append([(a + b) / 2 for a, b in zip(*edges, strict=True)])
    if not any(all(_aligned(xs, x) for x in xs) for xs in edges):
        return columns
    return _bounded([*columns, _column("quantity", [w for q in quantities for w in q], width)])


def _moved_to(
    ctx: Context, table: Table, page: int, moved: dict[int, list[Column]]
) -> list[Column]:
    """``_moved``, once per page."""
    if page not in moved:
        moved[page] = _moved(ctx, table, page)
    return moved[page]


def _moved(ctx: Context, table: Table, page: int) -> list[Column]:
    """The table's columns where they stand on ``page``: each page of a scan is drawn at
    its own size and place, so a following page's columns are the previous page's scaled
    and shifted, as its rows known by their arithmetic show (the edges of their quantities,
    unit prices and amounts against those of the rows read before). As they are where
    fewer than two such rows, or no consistent move, say otherwise."""
    last = table.rows[-1].page
    lines = ctx.layout.lines
    before = [
        p for row in table.rows if row.page == last if (p := _product(lines[row.lines[0]], ctx))
    ]
    products = [p for line in ctx.layout.by_page.get(page, []) if (p := _product(line, ctx))]
    if len(before) < 2 or len(products) < 2:
        return table.columns
    width, old_width = ctx.layout.pages[page].width, ctx.layout.pages[last].width
    pairs: list[tuple[float, float]] = []
    for k in range(len(_PRODUCT)):
        # The edge the column's values align on: the one that varies least.
        for edge in (_right_edge, _left_edge):
            was = [edge(p[k]) * old_width for p in before]
            now = [edge(p[k]) * width for p in products]
            if max(was) - min(was) <= ALIGNED * old_width:
                pairs.append((_median(was), _median(now)))
                break
    if len(pairs) < 2:
        return table.columns
    xs, ys = [a for a, _ in pairs], [b for _, b in pairs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    if spread < (0.1 * width) ** 2:
        return table.columns
    scale = sum((x - mx) * (y - my) for x, y in pairs) / spread
    shift = my - scale * mx
    if not 0.8 <= scale <= 1.25 or any(
        abs(scale * x + shift - y) > ALIGNED * width for x, y in pairs
    ):
        return table.columns

    def move(x: float) -> float:
        return scale * x + shift if abs(x) != float("inf") else x

    return [
        Column(c.name, move(c.x0), move(c.x1), move(c.left), move(c.right)) for c in table.columns
    ]


def _right_edge(words: list[Word]) -> float:
    return words[-1].x1


def _left_edge(words: list[Word]) -> float:
    return words[0].x0


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


@dataclass
class _Number:
    """A number on a line: its words ('2 066,23' is two) and its value."""

    words: list[Word]
    value: Decimal


# A number with spaces between its thousands ('2 066,23'), read by OCR or set as words;
# a currency's sign may be glued to it ('€1 306,18', '1 306,18€').
_SPACED_THOUSANDS = re.compile(r"^[^\w\s]?\d{1,3}(?: \d{3})+(?:[.,]\d+)?[^\w\s]?$")


def _numbers(line: Line, ctx: Context) -> list[_Number]:
    """The positive numbers on a line, left to right, rates left out ('20%', '20 %'); words
    that make one number with spaces between its thousands count only together."""
    found: list[_Number] = []
    for seg in line.segments:
        words, k = seg.words, 0
        while k < len(words):
            for n in (3, 2, 1):
                group = words[k : k + n]
                text = " ".join(w.text for w in group)
                if len(group) < n or (n > 1 and not _SPACED_THOUSANDS.match(text)):
                    continue
                rate = "%" in text or (k + n < len(words) and words[k + n].text.startswith("%"))
                value = None if rate else parse_amount(text, ctx.decimal_mark)
                if value is not None and value > 0:
                    found.append(_Number(group, value))
                    k += n - 1
                    break
            k += 1
    return found


def _product(line: Line, ctx: Context) -> tuple[list[Word], list[Word], list[Word]] | None:
    """The quantity, unit price and amount of a line-item row known by its arithmetic alone:
    three numbers left to right, the first times the second making the third (to the unit
    price's rounding), with text before the price. Of several such, the rightmost: a number
    in the description ('Training for 12 people') is not the quantity."""
    words = _words(line)
    numbers = _numbers(line, ctx)
    found = None
    for q, p, a in itertools.combinations(numbers, 3):
        if not makes(q.value, p.value, a.value):
            continue
        before = words[: words.index(p.words[0])]
        if any(c.isalpha() for w in before for c in w.text):
            found = q.words, p.words, a.words
    return found


def makes(quantity: Decimal, price: Decimal, amount: Decimal) -> bool:
    """Whether quantity x unit price makes the amount: the product rounded to the amount's
    last printed digit, of a unit price itself rounded there (36,941 x 1.5 = 55,412 yen;
    7.5 x 2,050.47 = 15,378.53), so within half that digit for each unit and one more."""
    return abs(quantity * price - amount) <= last_digit(amount) / 2 * (abs(quantity) + 1)


def places(amount: Decimal) -> int:
    """An amount's decimal places as printed (Decimal keeps trailing zeros: 12.50 has two)."""
    return max(0, -int(amount.as_tuple().exponent))


def last_digit(amount: Decimal) -> Decimal:
    """The value of an amount's last printed digit: 0.01 for '12.50', 1 for '55,412'."""
    return Decimal(1).scaleb(-places(amount))


def _columns_by_arithmetic(ctx: Context) -> tuple[list[Column], list[int], int] | None:
    """Where no header names the columns (a language the lexicon lacks): columns from the
    rows on the first page that has any whose quantity times unit price makes their amount,
    aligned with one another. The columns, the header line above the first row (if one),
    and the first row's line."""
    lines = ctx.layout.lines
    found = [(line, p) for line in lines if (p := _product(line, ctx))]
    if not found:
        return None
    page = found[0][0].page
    width = ctx.layout.pages[page].width
    found = [(line, p) for line, p in found if line.page == page]
    # Values of one column are aligned (on either edge): rows whose amount stands apart
    # from the others' are not rows of this table.
    found = [
        (line, p)
        for line, p in found
        if _aligned([q[2][0].x0 for _, q in found], p[2][0].x0)
        or _aligned([q[2][-1].x1 for _, q in found], p[2][-1].x1)
    ]
    rows = [(line, [_with_currency(line, w, ctx) for w in p]) for line, p in found]
    columns = [
        _column(name, [w for _, r in rows for w in r[k]], width) for k, name in enumerate(_PRODUCT)
    ]
    # A tax rate between the price and the amount in at least half the rows is a column.
    rates = [_rate_words(_between(line, r[1], r[2])) for line, r in rows]
    if 2 * sum(map(bool, rates)) >= len(rows):
        columns.append(_column("tax_rate", [w for rate in rates for w in rate], width))
    text_columns = _text_columns(rows, width)
    if text_columns is None:
        return None
    columns += text_columns
    columns = _bounded(columns)
    # The description runs as far right as the longest one does; a right-aligned number
    # after it may start further left (a wide '100' under '1'), so the boundary follows
    # the description's words.
    desc = next(c for c in columns if c.name == "description")
    after = next((c for c in columns if c.left == desc.right and c is not desc), None)
    if after is not None:
        values = [w for _, r in rows for cell in r for w in cell if after.contains(w, width)]
        last_word = desc.x1 + 0.5
        first_value = min(((w.x0 + w.x1) / 2 * width for w in values), default=after.x1) - 0.5
        desc.right = after.left = min(max(desc.right, last_word), first_value)
    above = found[0][0].index - 1
    header = (
        [above]
        if above >= 0
        and lines[above].page == page
        and len(lines[above].segments) >= MIN_HEADER_COLUMNS
        and not any(c.isdigit() for c in lines[above].text)
        else []
    )
    return columns, header, found[0][0].index


Cells = list[list[Word]]  # a row's quantity, unit price and amount words


def _text_columns(rows: list[tuple[Line, Cells]], width: float) -> list[Column] | None:
    """The text columns of rows known by their arithmetic: runs of words aligned on their
    left edges in at least half the rows. The one with the most letters is the
    description; digit columns before it (or at the start of its runs) a position and a
    product code; one without digits between the quantity and the price the unit."""
    runs = [
        (run, line, r)
        for line, r in rows
        for run in _text_runs(line, [w for cell in r for w in cell])
        if _rate_words(run) != run
    ]
    clusters: list[list[tuple[list[Word], Line, Cells]]] = []
    for entry in sorted(runs, key=lambda e: e[0][0].x0):
        if clusters and entry[0][0].x0 - clusters[-1][0][0][0].x0 <= ALIGNED:
            clusters[-1].append(entry)
        else:
            clusters.append([entry])
    clusters = [c for c in clusters if 2 * len({id(line) for _, line, _ in c}) >= len(rows)]
    if not clusters:
        return None
    described = max(
        clusters, key=lambda c: sum(ch.isalpha() for run, _, _ in c for w in run for ch in w.text)
    )
    before = [
        [run[0] for run, _, _ in c]
        for c in clusters
        if c[0][0][0].x0 < described[0][0][0].x0
        and all(len(run) == 1 and any(ch.isdigit() for ch in run[0].text) for run, _, _ in c)
    ]
    columns = [_code_column(cells, width, k == 0) for k, cells in enumerate(before)]
    if not columns:
        columns = _leading_columns([run for run, _, _ in described], width, len(rows) > 1)
    text = [
        w for run, _, _ in described for w in run if not any(c.contains(w, width) for c in columns)
    ]
    columns.append(_column("description", text, width))
    for cluster in clusters:
        if cluster is not described and all(
            _between(line, r[0], r[1]).count(run[0])
            and not any(ch.isdigit() for w in run for ch in w.text)
            for run, line, r in cluster
        ):
            columns.append(_column("unit", [w for run, _, _ in cluster for w in run], width))
            break
    return columns


_PRODUCT = ("quantity", "unit_price", "amount")


def _aligned(edges: list[float], edge: float) -> bool:
    """Whether ``edge`` lies with the median of ``edges``."""
    return abs(edge - _median(edges)) <= ALIGNED


def _words(line: Line) -> list[Word]:
    return [w for seg in line.segments for w in seg.words]


def _between(line: Line, left: list[Word] | None, right: list[Word]) -> list[Word]:
    """The line's words after those of ``left`` (from the start: None) and before
    ``right``."""
    words = _words(line)
    start = words.index(left[-1]) + 1 if left else 0
    return words[start : words.index(right[0])]


def _rate_words(words: list[Word]) -> list[Word]:
    """The words of a rate among ``words``: '20%', or '20' and '%' set apart."""
    for k, w in enumerate(words):
        if parse_rate(w.text) is not None:
            return [w]
        if w.text == "%" and k and parse_rate(words[k - 1].text + "%") is not None:
            return [words[k - 1], w]
    return []


def _text_runs(line: Line, taken: list[Word]) -> list[list[Word]]:
    """The line's words other than ``taken``, in runs within one segment."""
    runs: list[list[Word]] = []
    for seg in line.segments:
        run: list[Word] = []
        for w in seg.words:
            if any(w is t for t in taken):
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(w)
        if run:
            runs.append(run)
    return runs


def _with_currency(line: Line, number: list[Word], ctx: Context) -> list[Word]:
    """A number with the currency mark set apart before it ('EUR 654,62')."""
    words = _words(line)
    k = words.index(number[0])
    before = words[k - 1] if k else None
    text = " ".join(w.text for w in number)
    if (
        before is not None
        and not any(c.isdigit() for c in before.text)
        and parse_amount(f"{before.text} {text}", ctx.decimal_mark) is not None
    ):
        return [before, *number]
    return number


def _leading_columns(runs: list[list[Word]], width: float, several: bool) -> list[Column]:
    """Columns at the start of the description's runs, set left-aligned in every row (so
    only where there are several): a position number and a product code."""
    columns: list[Column] = []
    for k in range(2):
        cells = [run[k] for run in runs if len(run) > k + 1]
        if (
            not several
            or len(cells) < len(runs)
            or not all(any(c.isdigit() for c in w.text) for w in cells)
        ):
            break
        x0 = [w.x0 for w in cells]
        if max(x0) - min(x0) > ALIGNED:
            break
        columns.append(_code_column(cells, width, not columns))
    return columns


def _code_column(cells: list[Word], width: float, first: bool) -> Column:
    """The column of ``cells`` before a description: the position where it is first and
    holds small whole numbers ('1', '2'), else the product code ('A22089')."""
    small = all(w.text.isdigit() and len(w.text) <= 3 for w in cells)
    return _column("position" if small and first else "product_code", cells, width)


def _column(name: str, words: list[Word], width: float) -> Column:
    """The column named ``name`` spanning ``words``."""
    return Column(name, min(w.x0 for w in words) * width, max(w.x1 for w in words) * width)


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
        row_start = _is_row_start(cells, ctx, table.by_arithmetic)
        if ending == "totals" and _numbered_on(cells, table):
            # 'Transport i dostawa' with its quantity and price under a stamp: a row whose
            # number follows the last row's is no shipping charge of the totals block.
            ending = None
        if table.by_arithmetic and "amount" in cells and not row_start:
            # An amount without quantity and price: the totals block, or a sum carried to
            # the next page, which only the rows there can tell apart.
            ending = "carry"
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
        if row_start:
            table.rows.append(Row(cells=cells, page=page, lines=[i]))
            last_y = line.y1
        elif (
            table.rows
            and table.rows[-1].page == page
            and last_y is not None
            and set(cells) <= {"description", "product_code"}
            and "description" in cells
            and line.y0 - last_y < ROW_GAP * lh
            # not a stamp over the table ('PAID', twice as tall as the text)
            and max(w.y1 - w.y0 for w in cells["description"]) * ctx.layout.pages[page].height
            < STAMP_HEIGHT * lh
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


def _position(words: list[Word] | None) -> int | None:
    text = _text(words).rstrip(".")
    return int(text) if _POSITION.fullmatch(text) else None


def _numbered_on(cells: dict[str, list[Word]], table: Table) -> bool:
    """Whether the line's position cell numbers the row after the table's last one."""
    if not table.rows:
        return False
    last = _position(table.rows[-1].cells.get("position"))
    return last is not None and _position(cells.get("position")) == last + 1


def _next_page(lines: list[Line], i: int) -> int:
    page = lines[i].page
    while i < len(lines) and lines[i].page == page:
        i += 1
    return i


# Letters OCR reads for a lone digit ('I' for '1', 'O' for '0'): in a numeric cell of a
# page read by OCR that holds nothing else, taken for the digit.
_DIGIT_LOOKALIKES = str.maketrans("IlL|Oo", "111100")
_LOOKALIKES_ONLY = re.compile(r"[IlL|Oo0-9.,]+")


def cell_value(row: Row, name: str, ctx: Context) -> tuple[object, list[Word]] | None:
    words = row.cells.get(name)
    if not words:
        return None
    text = _text(words)
    if (
        name in NUMERIC
        and ctx.layout.pages[words[0].page].ocr
        and _LOOKALIKES_ONLY.fullmatch(text)
        and not text.isdigit()
    ):
        text = text.translate(_DIGIT_LOOKALIKES)
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
