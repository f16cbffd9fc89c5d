"""Field mapping: words with boxes -> a typed :class:`Invoice` with evidence.

No templates: labels are found by fuzzy matching against multilingual tables (lexicon.py),
values by position (inline after the label, right of it, below it, or left of it) and by
type (a date field takes only what parses as a date). Candidates compete on label score x
position x type; totals that compete are settled by arithmetic (see validate).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rapidfuzz.distance import Levenshtein

from invoice_extract.config import PipelineConfig
from invoice_extract.document import Document, Word
from invoice_extract.errors import NotAnInvoice
from invoice_extract.fields.context import Context, build_context
from invoice_extract.fields.labels import LabelHit, match_label_suffix
from invoice_extract.fields.lines import Segment, build_layout
from invoice_extract.fields.normalise import (
    find_iban,
    find_vat_ids,
    is_bic,
    looks_like_id,
    parse_amount,
    parse_date,
    parse_rate,
    split_parts,
    vat_country,
)
from invoice_extract.fields.parties import (
    EMAIL,
    PHONE,
    Block,
    Taken,
    address_lines,
    country_of,
    customer_block,
    is_address_or_contact,
    is_phone_number,
    named_by_email,
    own_part,
    spell_legal_form,
    unlabelled_customer,
    vendor_block,
)
from invoice_extract.fields.table import (
    Table,
    cell_value,
    find_table,
    last_digit,
    makes,
    places,
)
from invoice_extract.schema import (
    LINE_ITEM_FIELDS,
    AmountField,
    Charge,
    DateField,
    DocumentTypeField,
    Invoice,
    LineItem,
    NumberField,
    Party,
    TaxLine,
    TextField,
)

HEADER_TYPES = {
    "invoice_number": "id",
    "purchase_order": "id",
    "customer_number": "id",
    "invoice_date": "date",
    "due_date": "date",
    "delivery_date": "date",
    "payment_terms": "text",
}
# How much a value's position relative to its label is worth.
INLINE, RIGHT, BELOW, TITLE, SUFFIX, LEFT = 1.0, 0.95, 0.85, 0.8, 0.7, 0.6


@dataclass
class Candidate:
    score: float
    field: str
    value: Any
    words: list[Word]
    label: Segment


def _beside(ctx: Context, seg: Segment) -> list[Segment]:
    """Segments level with ``seg``: on its line or a neighbouring one (line grouping may put
    a value beside a taller line) with the vertical centre within half its height."""
    out: list[Segment] = []
    for line in ctx.layout.lines[max(0, seg.line - 2) : seg.line + 3]:
        if line.page != seg.page:
            continue
        out.extend(
            s for s in line.segments if s is not seg and abs(s.cy - seg.cy) <= 0.5 * seg.height
        )
    return out


def _right_value(
    ctx: Context, seg: Segment, level: list[Segment]
) -> tuple[str, list[Word], float] | None:
    """The nearest segment of ``level`` right of ``seg`` that is no label, with its worth."""
    right = sorted((s for s in level if s.x0 >= seg.x1 - 1), key=lambda s: s.x0)
    if not right or ctx.is_label(right[0]):
        return None
    gap = (right[0].x0 - seg.x1) / ctx.layout.pages[seg.page].width
    return right[0].text, right[0].words, RIGHT - 0.2 * gap


def _value_segments(ctx: Context, hit: LabelHit) -> Iterator[tuple[str, list[Word], float]]:
    """Where a label's value may be, with what that position is worth: inline after the
    label, the nearest segment to its right, the first segment below it, or to its left."""
    seg = hit.segment
    if hit.rest:
        yield hit.rest, list(hit.rest_words), INLINE
    level = _beside(ctx, seg)
    if (right := _right_value(ctx, seg, level)) is not None:
        yield right
    lh = ctx.layout.line_height
    for below in ctx.layout.lines[seg.line + 1 : seg.line + 4]:
        if below.page != seg.page or below.y0 - seg.y1 > 2.5 * lh:
            break
        under = [s for s in below.segments if s.x0 < seg.x1 and s.x1 > seg.x0 and s.cy > seg.y1]
        if under:
            if not ctx.is_label(under[0]):
                yield under[0].text, under[0].words, BELOW
            break
    left = sorted((s for s in level if s.x1 <= seg.x0 + 1), key=lambda s: -s.x1)
    if left and not ctx.is_label(left[0]):
        yield left[0].text, left[0].words, LEFT


def _parse(kind: str, text: str, ctx: Context) -> Any:
    if kind == "id":
        t = text.strip().lstrip("#:").strip()
        return t if looks_like_id(t) else None
    if kind == "date":
        return parse_date(text, ctx.date_order)
    t = text.strip(" :")
    return t if len(t) >= 2 and any(c.isalpha() for c in t) else None


def _header_fields(ctx: Context, skip_lines: set[int]) -> tuple[dict[str, Candidate], set[int]]:
    """Best value per header field; also the ids of segments used as labels or values."""
    cands: list[Candidate] = []
    for line in ctx.layout.lines:
        if line.index in skip_lines:
            continue
        page_weight = 1.0 if line.page == 1 else 0.8
        for seg in line.segments:
            # A label ending a segment that is a longer label itself ('Beløb til betaling',
            # an amount's, ends in 'betaling') names no value before it.
            suffix = [] if ctx.is_label(seg) else match_label_suffix(seg)
            for hit in [*ctx.hits_of(seg), *suffix]:
                if hit.kind == "title" and hit.rest and looks_like_id(hit.rest.lstrip("#: ")):
                    # 'INVOICE 2024-118', 'Facture n° F-77': a number right after the title.
                    value = hit.rest.lstrip("#: ")
                    cands.append(
                        Candidate(
                            hit.score * TITLE * page_weight,
                            "invoice_number",
                            value,
                            list(hit.rest_words),
                            seg,
                        )
                    )
                    continue
                kind = HEADER_TYPES.get(hit.name) if hit.kind == "field" else None
                if kind is None:
                    continue
                if hit.at_end:
                    # A label ending its segment: the value is the text before it, or, where
                    # that is no value of its kind and the label set close after other text
                    # ('Atlas Analytics s.r.o. Splatnost', two columns all but touching on a
                    # scan), a date or number to its right.
                    # Only a label long enough not to be a word's end by chance ('p°' read
                    # as 'PO' after a name is no order-number label).
                    value, words = _parse(kind, hit.rest, ctx), list(hit.rest_words)
                    label = "".join(seg.norm.split()[-hit.tokens :])
                    if value is None and kind != "text" and len(label) >= 5:
                        right = _right_value(ctx, seg, _beside(ctx, seg))
                        if right is not None:
                            value, words = _parse(kind, right[0], ctx), right[1]
                    if value is not None:
                        cands.append(
                            Candidate(hit.score * SUFFIX * page_weight, hit.name, value, words, seg)
                        )
                    continue
                for text, words, weight in _value_segments(ctx, hit):
                    if kind == "text" and weight == LEFT:
                        continue
                    value = _parse(kind, text, ctx)
                    if value is not None:
                        cands.append(
                            Candidate(hit.score * weight * page_weight, hit.name, value, words, seg)
                        )
    cands.sort(key=lambda c: -c.score)
    chosen: dict[str, Candidate] = {}
    used: set[int] = set()
    for c in cands:
        ids = {id(w) for w in c.words}
        if c.field in chosen or ids & used:
            continue
        chosen[c.field] = c
        used |= ids
    # Labels and every segment holding a chosen value belong to the metadata block, and so
    # do the copies of a value a document repeats (a remittance slip, a page header): a
    # repeated invoice number is never read as a line of the address above it.
    agreeing = [c for c in cands if c.field in chosen and c.value == chosen[c.field].value]
    used_segments = {id(c.label) for c in agreeing}
    value_words = {id(w) for c in agreeing for w in c.words}
    used_segments |= {
        id(seg)
        for line in ctx.layout.lines
        for seg in line.segments
        if any(id(w) in value_words for w in seg.words)
    }
    return chosen, used_segments


def _text_field(ctx: Context, value: str, words: list[Word], confidence: float) -> TextField:
    return TextField(
        value=value, confidence=round(min(1.0, confidence), 3), evidence=ctx.layout.evidence(words)
    )


@dataclass
class TotalEntry:
    name: str
    amount: Decimal
    words: list[Word]
    label: Segment
    rate: Decimal | None
    score: float


def _totals(ctx: Context, start: int) -> list[TotalEntry]:
    entries: list[TotalEntry] = []
    for line in ctx.layout.lines[start:]:
        for i, seg in enumerate(line.segments):
            hits = [h for h in ctx.hits_of(seg) if h.kind == "total"]
            if not hits:
                continue
            hit = hits[0]
            amount, words = None, []
            for s in reversed(line.segments[i + 1 :]):
                amount = parse_amount(s.text, ctx.decimal_mark)
                if amount is not None:
                    words = s.words
                    break
            if amount is None and hit.rest_words:
                rest = list(hit.rest_words)
                for k in range(len(rest)):
                    amount = parse_amount(" ".join(w.text for w in rest[k:]), ctx.decimal_mark)
                    if amount is not None:
                        words = rest[k:]
                        break
            if amount is None:
                continue
            rate = parse_rate(seg.text) if hit.name == "tax" else None
            entries.append(TotalEntry(hit.name, amount, words, seg, rate, hit.score))
            break
    return entries


# Totals read by their arithmetic alone, without a label: how sure, and how many tax or
# other lines (discount, shipping, taxes) may stand between the base and the total.
ARITHMETIC_SCORE = 0.6
MAX_MIDDLE_LINES = 5


def _totals_by_arithmetic(
    ctx: Context, start: int, items_sum: Decimal | None = None
) -> list[TotalEntry]:
    """Where no totals label is known (a language the lexicon lacks): among the lines that
    end in an amount, the last run in which the first amount and the ones after it add up
    to the amount ending the run: the base, its taxes and charges, and the total. Those
    after the base are each smaller than it, unless the base is the line items' sum."""
    rows: list[tuple[Segment, Decimal, list[Word]]] = []
    for line in ctx.layout.lines[start:]:
        if len(line.segments) < 2:
            continue
        amount = parse_amount(line.segments[-1].text, ctx.decimal_mark)
        if amount is not None and amount != 0:
            rows.append((line.segments[0], amount, line.segments[-1].words))
    for end in range(len(rows) - 1, 1, -1):
        for first in range(end - 2, max(-1, end - 2 - MAX_MIDDLE_LINES), -1):
            base, middle, total = rows[first], rows[first + 1 : end], rows[end]
            if abs(base[1] + sum(m[1] for m in middle) - total[1]) > Decimal("0.01"):
                continue
            if base[1] != items_sum and not all(0 < abs(m[1]) < abs(base[1]) for m in middle):
                continue
            return [
                TotalEntry("subtotal", base[1], base[2], base[0], None, ARITHMETIC_SCORE),
                *(
                    TotalEntry("tax", m[1], m[2], m[0], parse_rate(m[0].text), ARITHMETIC_SCORE)
                    for m in middle
                ),
                TotalEntry("total", total[1], total[2], total[0], None, ARITHMETIC_SCORE),
            ]
    return []


# How sure a header value is that no label names (the first identifier or date).
UNLABELLED = 0.5
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)", re.IGNORECASE)


def _unlabelled_number_and_date(
    ctx: Context, inv: Invoice, table: Table | None, parties: list[Block]
) -> None:
    """Where no label the lexicon knows names them (a language it lacks): the invoice
    number is the first identifier on the first page above the line items, outside the
    parties' blocks and their address and contact lines; the invoice date is the first
    date there, and the due date the last one after it."""
    lines = ctx.layout.lines
    end = min(table.lines) if table and table.lines else len(lines)
    dates: list[tuple[dt.date, list[Word]]] = []
    for line in lines[:end]:
        if line.page != 1:
            break
        for seg in line.segments:
            if any(b.contains(seg) for b in parties) or is_address_or_contact(seg.text):
                continue
            last = seg.words[-1]
            number = last.text.strip(":#")
            if (
                inv.invoice_number is None
                and len(number) >= 4
                and looks_like_id(number)
                and not _ORDINAL.fullmatch(number)
            ):
                inv.invoice_number = _text_field(ctx, number, [last], UNLABELLED)
            for words in (seg.words, seg.words[-3:], [last]):
                date = parse_date(" ".join(w.text for w in words), ctx.date_order)
                if date is not None:
                    dates.append((date, words))
                    break

    def field(date: dt.date, words: list[Word]) -> DateField:
        return DateField(value=date, confidence=UNLABELLED, evidence=ctx.layout.evidence(words))

    if dates:
        inv.invoice_date = field(*dates[0])
    if inv.invoice_date is not None:
        issued = inv.invoice_date.value
        later = [(date, words) for date, words in dates if date > issued]
        if later:
            inv.due_date = field(*later[-1])


def _amount(ctx: Context, value: Decimal, words: list[Word], conf: float) -> AmountField:
    return AmountField(
        value=value, confidence=round(min(1.0, conf), 3), evidence=ctx.layout.evidence(words)
    )


def _apply_totals(ctx: Context, inv: Invoice, entries: list[TotalEntry]) -> None:
    def first(name: str) -> TotalEntry | None:
        return next((e for e in entries if e.name == name), None)

    sub = first("subtotal")
    if sub:
        inv.subtotal = _amount(ctx, sub.amount, sub.words, 0.95 * sub.score)
    taxes = [e for e in entries if e.name == "tax"]
    rated = [e for e in taxes if e.rate is not None]
    for e in rated or taxes[:1]:
        inv.tax_lines.append(
            TaxLine(
                rate=NumberField(
                    value=e.rate, confidence=0.95, evidence=ctx.layout.evidence(e.label.words)
                )
                if e.rate is not None
                else None,
                amount=_amount(ctx, e.amount, e.words, 0.95 * e.score),
            )
        )
    for e in entries:
        if e.name in ("discount", "shipping"):
            value = -abs(e.amount) if e.name == "discount" else e.amount
            inv.charges.append(
                Charge(
                    description=_text_field(ctx, e.label.text.rstrip(" :"), e.label.words, 0.9),
                    amount=_amount(ctx, value, e.words, 0.9 * e.score),
                )
            )
    unrated = [e for e in taxes if e.rate is None]
    line_sum = sum((t.amount.value for t in inv.tax_lines), Decimal(0))
    explicit = next(
        (e for e in unrated if rated and abs(e.amount - line_sum) < Decimal("0.02")), None
    )
    if explicit:
        inv.total_tax = _amount(ctx, explicit.amount, explicit.words, 0.95)
    elif inv.tax_lines:
        words = [w for e in (rated or taxes[:1]) for w in e.words]
        conf = min(t.amount.confidence for t in inv.tax_lines)
        inv.total_tax = _amount(ctx, line_sum, words, conf)
    # Several amounts may be labelled like a total; the one the arithmetic supports wins.
    totals = [e for e in entries if e.name == "total"]
    if totals:
        expected = None
        if inv.subtotal is not None:
            expected = (
                inv.subtotal.value
                + sum((c.amount.value for c in inv.charges), Decimal(0))
                + (inv.total_tax.value if inv.total_tax else Decimal(0))
            )
        consistent = [
            e
            for e in totals
            if expected is not None and abs(e.amount - expected) <= Decimal("0.02")
        ]
        if consistent:
            best, conf = consistent[-1], 0.97
        else:
            best, conf = max(totals, key=lambda e: (abs(e.amount), e.score)), 0.8
        inv.total = _amount(ctx, best.amount, best.words, conf * best.score)
    dues = [e for e in entries if e.name == "amount_due"]
    if dues:
        inv.amount_due = _amount(ctx, dues[-1].amount, dues[-1].words, 0.95 * dues[-1].score)


def _line_items(ctx: Context, table: Table) -> list[LineItem]:
    items = []
    for row in table.rows:
        item = LineItem()
        for name in LINE_ITEM_FIELDS:
            found = cell_value(row, name, ctx)
            if found is None:
                continue
            value, words = found
            evidence = ctx.layout.evidence(words)
            if name in ("description", "unit", "product_code"):
                setattr(item, name, TextField(value=str(value), confidence=0.9, evidence=evidence))
            elif name in ("unit_price", "amount"):
                setattr(item, name, AmountField(value=value, confidence=0.9, evidence=evidence))
            else:
                setattr(item, name, NumberField(value=value, confidence=0.9, evidence=evidence))
        if item.unit is None and "quantity" in row.cells:
            text = " ".join(w.text for w in row.cells["quantity"])
            m = re.match(r"^\s*[\d.,' ]+\s+([^\d\s].{0,8})$", text)
            if m:
                item.unit = TextField(
                    value=m.group(1),
                    confidence=0.8,
                    evidence=ctx.layout.evidence(row.cells["quantity"]),
                )
        items.append(item)
    _mend_by_arithmetic(ctx, items)
    return items


MENDED = 0.5  # the confidence of a quantity or unit price worked out from its row's arithmetic


def _mend_by_arithmetic(ctx: Context, items: list[LineItem]) -> None:
    """On pages read by OCR, a row's quantity or unit price that was not read, or misread,
    is the one its amount and the other make (quantity x unit price = amount), where other
    rows of the table show that arithmetic holds in it (no discount column). A misread one
    is replaced only by the value nearest its digits of the two that fit ('75' by 7.5, not
    the price by 3.01; '421.36' by 421.58); a negative one on a row whose amount is
    positive and adds up without its sign ('-100' for 100) by its value. An amount with
    more decimals than the table's others lost a mark ('14.16948' for '14.169,48'): its
    digits with the table's decimals, where the row then adds up."""
    held = [i.amount.value for i in items if _makes(i) and i.amount is not None]
    if not held:
        return
    decimals = max(places(v) for v in held)
    for item in items:
        q, p, a = item.quantity, item.unit_price, item.amount
        if a is None or not a.evidence or not ctx.layout.pages[a.evidence[0].page].ocr:
            continue
        if q is not None and p is not None and _makes(item):
            continue
        amount = a.value if places(a.value) <= decimals else _with_places(a.value, decimals)
        qty = _fit_quantity(amount, p.value) if p is not None and p.value else None
        price = _fit_price(amount, q.value) if q is not None and q.value else None
        evidence = [e for f in (q, p, a) if f is not None for e in f.evidence]
        if amount != a.value:
            if q is not None and p is not None:
                qty = price = None  # both read: only the amount was wrong, if it now adds up
                if not makes(q.value, p.value, amount):
                    continue
            elif qty is None and price is None:
                continue
            item.amount = AmountField(value=amount, confidence=MENDED, evidence=a.evidence)
        elif q is not None and p is not None:  # both read, one of them wrong
            if amount > 0 and makes(abs(q.value), abs(p.value), amount):
                # a mark read as a minus on one of them: the row adds up without it
                qty, price = (abs(q.value), None) if q.value < 0 else (None, abs(p.value))
            else:
                near_q = _digit_distance(qty, q.value)
                near_p = _digit_distance(price, p.value)
                if min(near_q, near_p) > 2 or near_q == near_p:
                    continue
                qty, price = (qty, None) if near_q < near_p else (None, price)
        if qty is not None:
            item.quantity = NumberField(value=qty, confidence=MENDED, evidence=evidence)
        elif price is not None:
            item.unit_price = AmountField(value=price, confidence=MENDED, evidence=evidence)


def _makes(item: LineItem) -> bool:
    q, p, a = item.quantity, item.unit_price, item.amount
    return q is not None and p is not None and a is not None and makes(q.value, p.value, a.value)


def _digits(value: Decimal) -> str:
    """The digits of ``value`` as printed, without sign or mark."""
    return "".join(c for c in format(value, "f") if c.isdigit())


def _with_places(value: Decimal, decimals: int) -> Decimal:
    """The digits of ``value`` read with ``decimals`` places (14.16948, 2 -> 14169.48)."""
    return (-1 if value < 0 else 1) * Decimal(int(_digits(value))).scaleb(-decimals)


def _fit_quantity(amount: Decimal, price: Decimal) -> Decimal | None:
    """The quantity of fewest decimals (at most three) that makes ``amount`` at ``price``."""
    for decimals in range(4):
        qty = (amount / price).quantize(Decimal(1).scaleb(-decimals))
        if qty > 0 and makes(qty, price, amount):
            return qty
    return None


def _fit_price(amount: Decimal, quantity: Decimal) -> Decimal | None:
    """The unit price, to the amount's last printed digit, that makes it at ``quantity``."""
    price = (amount / quantity).quantize(last_digit(amount))
    return price if makes(quantity, price, amount) else None


def _digit_distance(value: Decimal | None, read: Decimal) -> int:
    """Edits between the digits of a value that fits and of the one read (99: none fits)."""
    if value is None:
        return 99
    return Levenshtein.distance(_digits(value.normalize()), _digits(read.normalize()))


def _party(
    ctx: Context,
    block: Block | None,
    vat: tuple[str, list[Word]] | None,
    iban: str | None,
    confidence: float,
) -> Party:
    party = Party()
    if block is None:
        if vat:
            party.vat_id = _text_field(ctx, vat[0], vat[1], 0.9)
            party.country_code = _text_field(ctx, vat_country(vat[0]), vat[1], 0.7)
        return party
    # OCR's I for l in a legal form is spelled right ('S.r.I.'); printed text stays as it is.
    ocr = any(ctx.layout.pages[s.page].ocr for s in [*block.segments, block.name] if s)
    spell = spell_legal_form if ocr else str
    if block.inline_name:
        words = block.segments[0].words if block.address else []
        party.name = _text_field(ctx, spell(block.inline_name), words, confidence)
    elif block.name is not None:
        party.name = _text_field(ctx, spell(block.name.text), block.name.words, confidence)
    texts: list[str] = []
    if block.address:
        texts = list(block.address)
        party.address = _text_field(
            ctx, ", ".join(texts), block.segments[0].words, confidence * 0.9
        )
    else:
        lines = address_lines(ctx, block)
        # An address set on one line with separators ('Damrak 55 · 1012 AB Amsterdam').
        texts = [part for s in lines for part in split_parts(s.text)]
        if lines:
            party.address = _text_field(
                ctx, ", ".join(texts), [w for s in lines for w in s.words], confidence * 0.95
            )
    if vat:
        party.vat_id = _text_field(ctx, vat[0], vat[1], 0.95)
    country = country_of(texts, vat[0] if vat else None, iban, ctx.countries)
    if country:
        # Evidence: the address or VAT id that says so (an IBAN's is not kept here).
        source = {"address": party.address, "vat_id": party.vat_id}.get(country[1])
        party.country_code = TextField(
            value=country[0], confidence=0.8, evidence=source.evidence if source else []
        )
    return party


# 'SWIFT-BIC: COBADEMM', and OCR's 'IBAN GB97...026BIC: RABOGBMM' with no space before it.
_BIC_AFTER_LABEL = re.compile(
    r"(?<![A-Za-z])(?:BIC|SWIFT)(?:[ /-]?(?:BIC|SWIFT|code))?\s*[:.]?\s*([A-Z0-9]{8,11})\b",
    re.IGNORECASE,
)


def _bic_in_text(lines: list[Any]) -> tuple[str, list[Word]] | None:
    """A BIC named mid-line ('IBAN DE.. SWIFT-BIC: COBADEMM'), validated."""
    for line in lines:
        for seg in line.segments:
            for m in _BIC_AFTER_LABEL.finditer(seg.text):
                if is_bic(m.group(1)):
                    words = [w for w in seg.words if m.group(1) in w.text] or seg.words
                    return m.group(1).upper(), words
    return None


def _document_type(ctx: Context, inv: Invoice) -> None:
    """A credit note when page 1 carries a credit-note title, or a number label that starts
    with one ('Credit Note No.'); an invoice otherwise."""
    invoice_title: Segment | None = None
    for line in ctx.layout.by_page.get(1, []):
        for seg in line.segments:
            n = len(seg.norm.split())
            for hit in ctx.all_hits_of(seg):
                if hit.kind != "title" or hit.score < 0.9:
                    continue
                numbered = any(h.name == "invoice_number" for h in ctx.hits_of(seg))
                if hit.name == "credit_note" and (hit.tokens == n or numbered):
                    inv.document_type = DocumentTypeField(
                        value="credit_note",
                        confidence=0.95,
                        evidence=ctx.layout.evidence(seg.words),
                    )
                    return
                if hit.tokens == n and invoice_title is None:
                    invoice_title = seg
    evidence = ctx.layout.evidence(invoice_title.words) if invoice_title else []
    inv.document_type = DocumentTypeField(
        value="invoice", confidence=0.95 if invoice_title else 0.6, evidence=evidence
    )


def _sign_for_credit_note(inv: Invoice) -> None:
    """On a credit note every money value is negative (a discount positive), whichever way
    the document prints them."""

    def neg(f: AmountField | None) -> None:
        if f is not None:
            f.value = -abs(f.value)

    for f in (inv.subtotal, inv.total_tax, inv.total, inv.amount_due):
        neg(f)
    for t in inv.tax_lines:
        neg(t.amount)
        neg(t.base)
    for c in inv.charges:
        if c.amount.value < 0:
            c.amount.value = abs(c.amount.value)
        else:
            neg(c.amount)
    for item in inv.line_items:
        neg(item.amount)
        neg(item.unit_price)


Found = tuple[str, list[Word]]


@dataclass
class Identifiers:
    """Identifiers taken after their labels (VAT ids and IBANs come from the context)."""

    bic: Found | None = None
    email: Found | None = None
    phone: Found | None = None
    registration_number: Found | None = None


def _id_value(kind: str, text: str) -> str | None:
    """The identifier of ``kind`` at the start of ``text``, validated, or None."""
    if kind == "bic":
        token = text.split()[0] if text.split() else ""
        return token.upper() if is_bic(token) else None
    if kind == "phone":
        m = PHONE.search(text)
        return m.group(0).strip() if m else None
    if kind == "registration_number":
        t = text.strip(" :")
        return t if 0 < len(t) <= 30 and any(c.isdigit() for c in t) else None
    return None


def _identifiers(ctx: Context, customer: Block | None, unlabelled: bool = False) -> Identifiers:
    """The vendor's BIC, e-mail, phone and registration number: validated where a format or
    checksum exists, taken right after (or beside) their labels. ``unlabelled``: no header
    label is known at all, so a phone number is also read without one (elsewhere a tax or
    account number of ten digits would pass for one)."""
    found = Identifiers()
    for line in ctx.layout.lines:
        for i, seg in enumerate(line.segments):
            nxt = line.segments[i + 1] if i + 1 < len(line.segments) else None
            for hit in ctx.hits_of(seg):
                if hit.kind != "id" or hit.name not in ("bic", "phone", "registration_number"):
                    continue
                if getattr(found, hit.name) is not None:
                    continue
                # The customer's own numbers ('Vergi No: DE98...' under its address).
                if customer and customer.contains(seg):
                    continue
                for text, words in (
                    (hit.rest, list(hit.rest_words)),
                    (nxt.text if nxt else "", nxt.words if nxt else []),
                ):
                    value = _id_value(hit.name, text)
                    if value:
                        setattr(found, hit.name, (value, words))
                        break
            email = EMAIL.search(seg.text)
            if email and found.email is None and not (customer and customer.contains(seg)):
                found.email = (email.group(0), seg.words)
    if found.bic is None:
        found.bic = _bic_in_text(ctx.layout.lines) or _bic_of_iban_country(ctx)
    if found.phone is None and unlabelled:
        found.phone = _unlabelled_phone(ctx, customer)
    return found


def _unlabelled_phone(ctx: Context, customer: Block | None) -> tuple[str, list[Word]] | None:
    """A phone number with no label the lexicon knows, outside the customer's block and not
    a fax's: the first international one, else the first of ten digits or more set in
    groups ('030 1234 5678'; '4500035896' is likelier an order number)."""
    found: list[tuple[str, list[Word]]] = []
    for line in ctx.layout.lines:
        for seg in line.segments:
            if (customer and customer.contains(seg)) or "fax" in seg.norm.split():
                continue
            if is_phone_number(seg.text) and not (find_iban(seg.text) or find_vat_ids(seg.text)):
                value = _id_value("phone", seg.text)
                if value:
                    found.append((value, seg.words))
    international = [f for f in found if f[0].startswith("+")]
    grouped = [f for f in found if not f[0].isdigit()]
    return next(iter(international or grouped), None)


def _bic_of_iban_country(ctx: Context) -> tuple[str, list[Word]] | None:
    """A BIC with no label the lexicon knows: a word in capitals that is a valid BIC of the
    IBAN's country ('COBAES22500' beside 'IBAN ES72...')."""
    if not ctx.ibans:
        return None
    country = ctx.ibans[0][0][:2]
    for line in ctx.layout.lines:
        for seg in line.segments:
            for w in seg.words:
                text = w.text.strip(".,;:()")
                upper = len(text) in (8, 11) and text.isupper()
                if upper and text[4:6] == country and is_bic(text):
                    return text, [w]
    return None


def _looks_like_invoice(
    chosen: dict[str, Candidate], table: Table | None, entries: list[TotalEntry], inv: Invoice
) -> bool:
    signals = sum(
        [
            "invoice_number" in chosen,
            "invoice_date" in chosen,
            bool(table and table.rows),
            any(e.name in ("total", "amount_due") for e in entries),
            inv.document_type is not None and inv.document_type.confidence > 0.9,
            _tax_adds_up(entries),
            _items_sum(inv) in {e.amount for e in entries if e.name in ("subtotal", "total")},
        ]
    )
    return signals >= 2


def _items_sum(inv: Invoice) -> Decimal | None:
    """The sum of the line items' amounts (None without items, or with one lacking its
    amount)."""
    amounts = [item.amount.value for item in inv.line_items if item.amount is not None]
    if not amounts or len(amounts) < len(inv.line_items):
        return None
    return sum(amounts, Decimal(0))


def _tax_adds_up(entries: list[TotalEntry]) -> bool:
    """A tax line whose printed rate of the base is its amount ('21%' of 48,336.00 is
    10,150.56): the mark of an invoice in any language."""
    base = next((e for e in entries if e.name == "subtotal"), None)
    return base is not None and any(
        e.name == "tax"
        and e.rate is not None
        and abs(base.amount * e.rate / 100 - e.amount) <= Decimal("0.02")
        for e in entries
    )


def map_fields(document: Document, config: PipelineConfig) -> Invoice:
    """Fill the invoice schema from a document's words. Raises NotAnInvoice when nothing
    invoice-like is found."""
    layout = build_layout(document.pages)
    ctx = build_context(layout, config)
    inv = Invoice()
    table = find_table(ctx)
    skip = set(table.header_lines) if table else set()
    chosen, meta = _header_fields(ctx, skip)
    confidence = {"invoice_number": 0.95, "purchase_order": 0.9, "payment_terms": 0.85}
    for name in ("invoice_number", "purchase_order", "payment_terms"):
        if name in chosen:
            c = chosen[name]
            setattr(inv, name, _text_field(ctx, c.value, c.words, confidence[name] * c.score))
    for name in ("invoice_date", "due_date"):
        if name in chosen:
            c = chosen[name]
            value: dt.date = c.value
            setattr(
                inv,
                name,
                DateField(
                    value=value,
                    confidence=round(min(1.0, 0.95 * c.score), 3),
                    evidence=layout.evidence(c.words),
                ),
            )
    if table is not None:
        inv.line_items = _line_items(ctx, table)
    start = table.end_line if table and table.end_line is not None else 0
    entries = _totals(ctx, start)
    if not any(e.name in ("total", "amount_due") for e in entries):
        # Only what the labels did not find: a labelled tax line is not counted twice.
        named = {e.name for e in entries}
        arithmetic = _totals_by_arithmetic(ctx, start, _items_sum(inv))
        entries += [e for e in arithmetic if e.name not in named]
    _apply_totals(ctx, inv, entries)
    _document_type(ctx, inv)
    if not _looks_like_invoice(chosen, table, entries, inv):
        raise NotAnInvoice(document.name, "no invoice number, date, line items or totals found")
    # Parties and identifiers.
    taken = Taken(frozenset(table.lines if table else ()), frozenset(meta))
    cust, _ = customer_block(ctx, taken)
    vend = vendor_block(ctx, cust, taken)
    if cust is None:
        cust = unlabelled_customer(ctx, vend, taken)
        # Neither party labelled: the one the e-mail addresses name is the sender.
        if (
            cust is not None
            and vend is not None
            and named_by_email(ctx, cust)
            and not named_by_email(ctx, vend)
        ):
            cust, vend = vend, cust
    if not chosen:
        # No header label known at all (a language the lexicon lacks, not one label that
        # OCR garbled): the number and the dates by their place.
        parties = [own_part(ctx, b) for b in (vend, cust) if b]
        _unlabelled_number_and_date(ctx, inv, table, parties)
    ids = _identifiers(ctx, cust, unlabelled=not chosen)
    in_customer = [(v, s.words) for v, s in ctx.vat_ids if cust and cust.contains(s)]
    cust_vat = in_customer[0] if in_customer else None
    vend_vat = next(
        (
            (v, s.words)
            for v, s in ctx.vat_ids
            if not (cust and cust.contains(s)) and (cust_vat is None or v != cust_vat[0])
        ),
        None,
    )
    iban = (ctx.ibans[0][0], ctx.ibans[0][1].words) if ctx.ibans else None
    inv.vendor = _party(ctx, vend, vend_vat, iban[0] if iban else None, 0.85)
    inv.customer = _party(ctx, cust, cust_vat, None, 0.9)
    for name, found, conf in (
        ("email", ids.email, 0.85),
        ("phone", ids.phone, 0.8),
        ("registration_number", ids.registration_number, 0.85),
    ):
        if found:
            setattr(inv.vendor, name, _text_field(ctx, found[0], found[1], conf))
    if iban:
        inv.iban = _text_field(ctx, iban[0], iban[1], 0.98)
    if ids.bic:
        inv.bic = _text_field(ctx, ids.bic[0], ids.bic[1], 0.95)
    if ctx.currency:
        code, words, conf = ctx.currency
        inv.currency = _text_field(ctx, code, words, conf)
    if inv.document_type is not None and inv.document_type.value == "credit_note":
        _sign_for_credit_note(inv)
    return inv


__all__ = ["map_fields"]
