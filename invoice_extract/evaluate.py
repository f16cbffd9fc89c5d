"""Field-level precision, recall and F1 of extracted invoices against ground truth.

Used by bench/accuracy.py and the tests; users can score their own labelled invoices the
same way (ground truth is an ``Invoice`` JSON with values only).

Per field and document: a correct value is a true positive; a wrong value counts as both a
false positive and a false negative; a value where the truth has none is a false positive;
a missing value where the truth has one is a false negative. A line item is a true positive
when its description, quantity, unit price and amount all match a ground-truth item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz

from invoice_extract import schema
from invoice_extract.schema import ExtractedField, Invoice, LineItem

HEADER_FIELDS = [
    *schema.HEADER_FIELDS,
    *(f"{side}.{name}" for side in ("vendor", "customer") for name in schema.PARTY_FIELDS),
]
ITEM_FIELDS = list(schema.LINE_ITEM_FIELDS)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Score:
    fields: dict[str, Counts] = field(default_factory=dict)
    line_items: Counts = field(default_factory=Counts)
    item_cells: dict[str, Counts] = field(default_factory=dict)
    misses: list[tuple[str, str, Any, Any]] = field(default_factory=list)

    @property
    def header(self) -> Counts:
        total = Counts()
        for c in self.fields.values():
            total.add(c)
        return total

    def add(self, other: Score) -> None:
        for name, c in other.fields.items():
            self.fields.setdefault(name, Counts()).add(c)
        for name, c in other.item_cells.items():
            self.item_cells.setdefault(name, Counts()).add(c)
        self.line_items.add(other.line_items)
        self.misses.extend(other.misses)


def _get(inv: Invoice, path: str) -> ExtractedField[Any] | None:
    obj: Any = inv
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if isinstance(obj, ExtractedField) else None


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
    return bool(a == b)


def _phone_digits(value: Any) -> Any:
    """A phone number's identity is its digits: '+34 14 2163961' == '+34142163961'."""
    return "".join(c for c in value if c.isdigit()) if isinstance(value, str) else value


def _count(pred: Any, truth: Any) -> Counts:
    if truth is None:
        return Counts(fp=1) if pred is not None else Counts()
    if pred is None:
        return Counts(fn=1)
    return Counts(tp=1) if same_value(pred, truth) else Counts(fp=1, fn=1)


def _value(f: ExtractedField[Any] | None) -> Any:
    return None if f is None else f.value


def _item_matches(pred: LineItem, truth: LineItem) -> bool:
    for name in ("quantity", "unit_price", "amount"):
        if not same_value(_value(getattr(pred, name)), _value(getattr(truth, name))):
            return False
    a, b = _value(pred.description), _value(truth.description)
    return a is not None and b is not None and fuzz.ratio(a.casefold(), b.casefold()) >= 95


def score(pred: Invoice, truth: Invoice, name: str = "") -> Score:
    """Score one extracted invoice against its ground truth."""
    result = Score()
    for path in HEADER_FIELDS:
        p, t = _value(_get(pred, path)), _value(_get(truth, path))
        counts = _count(*map(_phone_digits, (p, t))) if path.endswith("phone") else _count(p, t)
        result.fields[path] = counts
        if counts.fp or counts.fn:
            result.misses.append((name, path, p, t))
    p_tax = {(_value(t.rate), t.amount.value) for t in pred.tax_lines}
    t_tax = {(_value(t.rate), t.amount.value) for t in truth.tax_lines}
    result.fields["tax_lines"] = Counts(
        tp=len(p_tax & t_tax), fp=len(p_tax - t_tax), fn=len(t_tax - p_tax)
    )
    unmatched = list(pred.line_items)
    for t_item in truth.line_items:
        match = next((p for p in unmatched if _item_matches(p, t_item)), None)
        if match is None:
            result.line_items.fn += 1
            continue
        unmatched.remove(match)
        result.line_items.tp += 1
        for cell in ITEM_FIELDS:
            result.item_cells.setdefault(cell, Counts()).add(
                _count(_value(getattr(match, cell)), _value(getattr(t_item, cell)))
            )
    result.line_items.fp += len(unmatched)
    if result.line_items.fn or result.line_items.fp:
        result.misses.append((name, "line_items", len(pred.line_items), len(truth.line_items)))
    return result


def score_all(pairs: Iterable[tuple[str, Invoice | None, Invoice]]) -> Score:
    """Score many documents; a document that failed to extract counts as all misses."""
    total = Score()
    for name, pred, truth in pairs:
        total.add(score(pred if pred is not None else Invoice(), truth, name))
    return total
