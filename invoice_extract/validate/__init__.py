"""Arithmetic and consistency checks. Each is reported as passed, failed or not checkable;
a failed check lowers the confidence of the fields involved. Nothing is silently fixed."""

from __future__ import annotations

from decimal import Decimal

from invoice_extract.schema import AmountField, Check, Invoice

FAILED_CONFIDENCE_FACTOR = 0.6


def _tolerance(*values: Decimal, lines: int = 1) -> Decimal:
    """Half a unit of the printed precision per rounded term."""
    exponents = [v.as_tuple().exponent for v in values]
    places = max((-e for e in exponents if isinstance(e, int)), default=2)
    return Decimal(1).scaleb(-places) * max(1, lines) / 2 + Decimal("0.005")


def _check(name: str, fields: list[str], ok: bool | None, message: str) -> Check:
    status = "not_checkable" if ok is None else "passed" if ok else "failed"
    return Check(name=name, status=status, message=message, fields=fields)


def _bases_from_items(inv: Invoice) -> dict[Decimal, Decimal] | None:
    """Each tax rate's base from the line items, when every item shows its rate and
    amount and nothing else (shipping, discounts) is taxed."""
    if inv.charges or not inv.line_items:
        return None
    bases: dict[Decimal, Decimal] = {}
    for item in inv.line_items:
        if item.tax_rate is None or item.amount is None:
            return None
        rate = item.tax_rate.value.normalize()
        bases[rate] = bases.get(rate, Decimal(0)) + item.amount.value
    return bases


def _check_tax_rates(inv: Invoice, charges: Decimal) -> Check:
    """Each tax amount is its rate of its base: the printed base, else the whole net amount
    for a single rate, else the line items' bases per rate."""
    rated = [t for t in inv.tax_lines if t.rate is not None]
    if not rated:
        return _check("tax_rates", ["tax_lines"], None, "no tax rate")
    net = (inv.subtotal.value + charges) if inv.subtotal is not None else None
    item_bases = _bases_from_items(inv)
    pairs: list[tuple[Decimal, Decimal, Decimal]] = []  # rate, base, amount
    for t in rated:
        assert t.rate is not None
        if t.base is not None:
            base: Decimal | None = t.base.value
        elif len(rated) == 1:
            base = net
        else:
            base = item_bases.get(t.rate.value.normalize()) if item_bases else None
        if base is None:
            return _check(
                "tax_rates",
                ["tax_lines"],
                None,
                "several rates without printed bases or rated line items",
            )
        pairs.append((t.rate.value, base, t.amount.value))
    bad = [
        f"{rate}% of {base} is {base * rate / 100:.2f}, not {amount}"
        for rate, base, amount in pairs
        if abs(base * rate / 100 - amount) > _tolerance(amount) + abs(base) / 10000
    ]
    return _check(
        "tax_rates",
        ["tax_lines", "total_tax"],
        not bad,
        "; ".join(bad) or "tax amounts match their rates",
    )


def check_totals(inv: Invoice) -> list[Check]:
    checks: list[Check] = []
    amounts = [i.amount.value for i in inv.line_items if i.amount is not None]
    if inv.subtotal is None or not amounts or len(amounts) != len(inv.line_items):
        checks.append(
            _check(
                "line_items_sum",
                ["line_items", "subtotal"],
                None,
                "needs a subtotal and an amount on every line item",
            )
        )
    else:
        total = sum(amounts, Decimal(0))
        ok = abs(total - inv.subtotal.value) <= _tolerance(inv.subtotal.value)
        checks.append(
            _check(
                "line_items_sum",
                ["line_items", "subtotal"],
                ok,
                f"line items sum to {total}, subtotal is {inv.subtotal.value}",
            )
        )
    charges = sum((c.amount.value for c in inv.charges), Decimal(0))
    if inv.subtotal is None or inv.total is None:
        checks.append(
            _check(
                "subtotal_plus_tax",
                ["subtotal", "total_tax", "total"],
                None,
                "needs a subtotal and a total",
            )
        )
    else:
        tax = inv.total_tax.value if inv.total_tax else Decimal(0)
        expected = inv.subtotal.value + charges + tax
        ok = abs(expected - inv.total.value) <= _tolerance(inv.total.value, lines=3)
        checks.append(
            _check(
                "subtotal_plus_tax",
                ["subtotal", "total_tax", "total"],
                ok,
                f"subtotal {inv.subtotal.value} + charges {charges} + tax {tax} = "
                f"{expected}, total is {inv.total.value}",
            )
        )
    checks.append(_check_tax_rates(inv, charges))
    if inv.invoice_date is None or inv.due_date is None:
        checks.append(_check("due_after_issue", ["due_date"], None, "needs both dates"))
    else:
        ok = inv.due_date.value >= inv.invoice_date.value
        checks.append(
            _check(
                "due_after_issue",
                ["due_date", "invoice_date"],
                ok,
                f"due {inv.due_date.value}, issued {inv.invoice_date.value}",
            )
        )
    if inv.amount_due is None or inv.total is None:
        checks.append(
            _check("amount_due_consistent", ["amount_due"], None, "needs an amount due and a total")
        )
    else:
        ok = abs(inv.amount_due.value) <= abs(inv.total.value) + _tolerance(inv.total.value)
        checks.append(
            _check(
                "amount_due_consistent",
                ["amount_due", "total"],
                ok,
                f"amount due {inv.amount_due.value}, total {inv.total.value}",
            )
        )
    return checks


def validate(inv: Invoice) -> list[Check]:
    """Run every check and lower the confidence of fields in failed ones (in place)."""
    checks = check_totals(inv)
    for check in checks:
        if check.status != "failed":
            continue
        for name in check.fields:
            value = getattr(inv, name, None)
            if isinstance(value, AmountField):
                value.confidence = round(value.confidence * FAILED_CONFIDENCE_FACTOR, 3)
    return checks


__all__ = ["check_totals", "validate"]
