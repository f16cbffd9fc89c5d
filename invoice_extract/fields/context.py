"""Document-wide evidence the mapper needs before reading any field: label hits, language,
decimal mark, day/month order and currency. Each is decided from the document itself;
configured defaults are used only where the document is silent."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from invoice_extract.config import PipelineConfig
from invoice_extract.document import Word
from invoice_extract.fields.labels import LabelHit, match_label
from invoice_extract.fields.lexicon import (
    CODES_BESIDE_NUMBERS,
    COUNTRY_CURRENCY,
    CURRENCY_MARKS,
    LANGUAGE_HINTS,
    MONTH_FIRST_COUNTRIES,
)
from invoice_extract.fields.lines import Line, Segment, TextLayout
from invoice_extract.fields.normalise import (
    DateOrder,
    DecimalMark,
    date_order_evidence,
    decimal_mark_of,
    find_iban,
    find_vat_ids,
    normalise,
    parse_amount,
    split_parts,
    vat_country,
)
from invoice_extract.fields.places import country_names

_US_STATE_ZIP = re.compile(r"\b[A-Z]{2} \d{5}(?:-\d{4})?\b")


@dataclass
class Context:
    layout: TextLayout
    hits: dict[int, list[LabelHit]]  # id(segment) -> hits, best first
    language: str | None
    decimal_mark: DecimalMark | None
    date_order: DateOrder
    currency: tuple[str, list[Word], float] | None
    vat_ids: list[tuple[str, Segment]] = field(default_factory=list)
    ibans: list[tuple[str, Segment]] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # evidence in the document, strongest first

    def hits_of(self, seg: Segment) -> list[LabelHit]:
        """The segment's best reading: the hits tied with the best (score, length).
        'Invoice no' is an invoice-number label, not also a fuzzy 'invoice to'."""
        hits = self.hits.get(id(seg), [])
        if not hits:
            return hits
        best = (hits[0].score, hits[0].tokens)
        return [h for h in hits if (h.score, h.tokens) == best]

    def all_hits_of(self, seg: Segment) -> list[LabelHit]:
        """Every label the segment starts with, best first."""
        return self.hits.get(id(seg), [])

    def is_label(self, seg: Segment) -> bool:
        """The whole segment is a label (so it is never a value)."""
        n = len(seg.norm.split())
        return any(h.tokens == n and h.score >= 0.9 for h in self.hits_of(seg))


def _language(layout: TextLayout) -> str | None:
    tokens = Counter(t for line in layout.lines for s in line.segments for t in s.norm.split())
    scores = {
        lang: sum(tokens[w] for w in words if " " not in w)
        for lang, words in LANGUAGE_HINTS.items()
    }
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] else None


def _decimal_mark(layout: TextLayout) -> DecimalMark | None:
    votes: Counter[str] = Counter()
    for line in layout.lines:
        for seg in line.segments:
            mark = decimal_mark_of(seg.text)
            if mark and parse_amount(seg.text, mark) is not None:
                votes[mark] += 1
    if not votes:
        return None
    return "." if votes["."] >= votes[","] else ","


def _identifiers(lines: list[Line]) -> tuple[list[tuple[str, Segment]], list[tuple[str, Segment]]]:
    """Every checksum-valid VAT id and IBAN on the page, with the segment showing it."""
    vats = [(v, seg) for line in lines for seg in line.segments for v in find_vat_ids(seg.text)]
    ibans = [
        (iban, seg)
        for line in lines
        for seg in line.segments
        if (iban := find_iban(seg.text)) is not None
    ]
    return vats, ibans


def _countries(
    lines: list[Line], vats: list[tuple[str, Segment]], ibans: list[tuple[str, Segment]]
) -> list[str]:
    """Countries the document shows evidence of (VAT ids, IBANs, country names, US ZIPs),
    strongest first."""
    found: Counter[str] = Counter()
    for vat, _ in vats:
        found[vat_country(vat)] += 2
    for iban, _ in ibans:
        found[iban[:2]] += 2
    names = country_names()
    for line in lines:
        for seg in line.segments:
            # A country on a line of its own, or ending an address set on one line
            # ('Bryggen 15 · 5003 Bergen · Norge', '10115 Berlin, Germany').
            parts = split_parts(seg.text)
            tail = normalise(parts[-1].rsplit(",", 1)[-1]) if parts else ""
            if seg.norm in names or tail in names:
                found[names.get(seg.norm) or names[tail]] += 1
            if _US_STATE_ZIP.search(seg.text):
                found["US"] += 1
    return [c for c, _ in found.most_common()]


_LETTER = r"[^\W\d_]"
_UPPER_WORD = re.compile(r"[A-Z]{3}")


def _shows_mark(mark: str, text: str) -> bool:
    """Whether text shows a currency mark: codes and words whole; short words that are
    also ordinary words or abbreviations ('R', 'kr', 'Rs', 'Ft') and the codes of currencies
    the lexicon does not list ('ALL', 'PEN') only beside a number;
    symbols anywhere ('$' not inside 'CA$')."""
    if mark not in text:  # the cheap test first: most of the world's codes are on no page
        return False
    if mark.isalpha() or mark.rstrip(".").isalpha():
        m = re.escape(mark)
        # Whole words: no letter of any script beside it ('PLN' is not in 'PLNĚNÍ').
        if len(mark.rstrip(".")) <= 2 or mark in CODES_BESIDE_NUMBERS:
            beside_number = rf"(?:\d\s?{m}(?!{_LETTER})|(?<!{_LETTER}){m}\s?-?\d)"
            return re.search(beside_number, text) is not None
        return re.search(rf"(?<!{_LETTER}){m}(?!{_LETTER})", text) is not None
    if mark == "$":
        return re.search(r"[A-Z]\$", text) is None
    return True


def _currency(layout: TextLayout, countries: list[str]) -> tuple[str, list[Word], float] | None:
    """The ISO 4217 code with the words that show it, and a confidence. Explicit codes beat
    symbols; symbols shared by several currencies ($, kr, ¥) go to the country's own."""
    scores: dict[str, float] = {}
    evidence: dict[str, list[Word]] = {}
    home = COUNTRY_CURRENCY.get(countries[0]) if countries else None
    # A shared symbol goes to the currency of a country the document shows, the strongest
    # first ('kr' from a Norwegian vendor billing a French customer is NOK).
    homes = [c for c in (COUNTRY_CURRENCY.get(country) for country in countries) if c]
    for line in layout.lines:
        for seg in line.segments:
            words = set(_UPPER_WORD.findall(seg.text))
            for code, marks in CURRENCY_MARKS.items():
                if code in CODES_BESIDE_NUMBERS and code not in words:
                    continue
                for rank, mark in enumerate(marks):
                    if not _shows_mark(mark, seg.text):
                        continue
                    is_code = mark.isupper() and len(mark) == 3 and mark.isalpha()
                    sharers = sum(mark in m for m in CURRENCY_MARKS.values())
                    weight = (3.0 if is_code else 2.0 / sharers) - 0.01 * rank
                    if sharers > 1 and code in homes:
                        weight += 1.0 / (1 + homes.index(code))
                    scores[code] = scores.get(code, 0.0) + weight
                    evidence.setdefault(code, []).extend(
                        [w for w in seg.words if mark in w.text] or seg.words
                    )
                    break
    if not scores:
        if home:
            return home, [], 0.5
        return None
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = 0.99 if top >= 3 and top > 2 * second else 0.8 if top > second else 0.6
    return best, evidence[best][:3], confidence


CURRENCY_COUNTRIES = 3  # territories at most of a currency that says where its payer is


def _currency_countries(currency: tuple[str, list[Word], float] | None) -> list[str]:
    """The countries of a currency printed as its code that few territories use ('NOK':
    Norway and two uninhabited ones), the weakest evidence of where a party is: it settles
    'Bergen' in Norway, not the Netherlands, where nothing else says. 'EUR' says nothing."""
    if currency is None or currency[2] < 0.99:
        return []
    users = [c for c, code in COUNTRY_CURRENCY.items() if code == currency[0]]
    return users if len(users) <= CURRENCY_COUNTRIES else []


def _date_order(
    layout: TextLayout,
    language: str | None,
    countries: list[str],
    currency: str | None,
    default: DateOrder,
) -> DateOrder:
    votes: Counter[str] = Counter()
    for line in layout.lines:
        for seg in line.segments:
            for token in seg.text.split():
                order = date_order_evidence(token)
                if order:
                    votes[order] += 1
    if votes:
        return "DMY" if votes["DMY"] >= votes["MDY"] else "MDY"
    if language in (None, "en") and (
        (countries and countries[0] in MONTH_FIRST_COUNTRIES) or currency == "USD"
    ):
        return "MDY"
    return default


def build_context(layout: TextLayout, config: PipelineConfig) -> Context:
    hits = {id(seg): match_label(seg) for line in layout.lines for seg in line.segments}
    hits = {k: v for k, v in hits.items() if v}
    language = _language(layout)
    vats, ibans = _identifiers(layout.lines)
    countries = _countries(layout.lines, vats, ibans)
    currency = _currency(layout, countries)
    countries += [c for c in _currency_countries(currency) if c not in countries]
    return Context(
        layout=layout,
        hits=hits,
        language=language,
        decimal_mark=_decimal_mark(layout),
        date_order=_date_order(
            layout,
            language,
            countries,
            currency[0] if currency else None,
            config.default_date_order,
        ),
        currency=currency,
        vat_ids=vats,
        ibans=ibans,
        countries=countries,
    )
