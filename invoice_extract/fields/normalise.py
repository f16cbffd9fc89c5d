"""Turn printed text into typed values: amounts, dates, rates, IBANs, VAT ids.

Parsers are strict on purpose: they return None for text that is not clearly of their type,
because the field mapper uses them to decide between candidate values.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as stdnum_vat

from invoice_extract.fields.lexicon import CURRENCY_MARKS, MONTHS

DateOrder = Literal["DMY", "MDY"]
DecimalMark = Literal[".", ","]

_FOLD = str.maketrans(
    {"°": "o", "º": "o", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"}
)


_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


# Letters OCR reads for one another in normalised text (lower case; digits are split from
# letters there): Q for O, I for l.
_CONFUSIONS = str.maketrans("qi", "ol")


def fold_confusions(norm: str) -> str:
    """Normalised text with the letters OCR confuses folded together: 'oty' and 'qty', 'srl'
    and 'sri' read alike."""
    return norm.translate(_CONFUSIONS)


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Fold case, accents and punctuation: 'Rechnungs-Nr.:' -> 'rechnungs nr'."""
    text = text.casefold().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    out = []
    for ch in text:
        if unicodedata.combining(ch):
            continue
        out.append(ch if ch.isalnum() or ch == "%" else " # " if ch == "#" else " ")
    # Letters and digits run together by OCR ('BTW21%', 'Nr12345') become two tokens.
    return " ".join(_LETTER_DIGIT.sub(" ", "".join(out)).split())


# '·' and '•' with or without spaces (OCR often loses them: 'Umeda·Osaka'), but not the
# Catalan 'l·l' inside a word; '|' with a space beside it; and a '·' that OCR read as a
# hyphen between a house number and a postcode ('Straße 146 - 5020 Salzburg', '180- 3511').
_SEPARATORS = re.compile(r"\s*(?:•|(?<!l)·|·(?!l))\s*|\s+\|\s*|\s*\|\s+|(?<=\d)\s*-\s+(?=\d)")


def split_parts(text: str) -> list[str]:
    """A line's parts between separators: 'Damrak 55 · 1012 AB Amsterdam' -> two."""
    return [p.strip() for p in _SEPARATORS.split(text) if p.strip()]


# --- amounts -------------------------------------------------------------------------------
_SPACES = "\u00a0\u202f\u2009\u2007 '’"
_CURRENCY_TOKENS = sorted(
    {m for marks in CURRENCY_MARKS.values() for m in marks}, key=len, reverse=True
)
_NUMBER = re.compile(
    r"^\d{1,3}(?:[.,]\d{3})*(?:[.,]\d+)?$|^\d+(?:[.,]\d+)?$|^\d{1,2}(?:,\d{2})*,\d{3}(?:\.\d+)?$"
)


def strip_currency(text: str) -> tuple[str, str | None]:
    """Remove one currency mark (symbol or code) from either end; return it too. Marks of
    two or more letters match in any case (OCR's 'KČ' for 'Kč')."""
    t = text.strip()
    folded = t.lower() if len(t.lower()) == len(t) else t
    for mark in _CURRENCY_TOKENS:
        n = len(mark)
        key, hay = (mark.lower(), folded) if n > 1 else (mark, t)
        if key not in hay:
            continue
        if hay[:n] == key and (not mark[-1].isalpha() or not t[n:][:1].isalpha()):
            return t[n:].strip(), mark
        if hay[-n:] == key and (not mark[0].isalpha() or not t[:-n][-1:].isalpha()):
            return t[:-n].strip(), mark
    return t, None


def parse_amount(text: str, decimal_mark: DecimalMark | None = None) -> Decimal | None:
    """'1.234,56 €' -> Decimal('1234.56'); '(12.00)' and '12.00-' are negative.

    With only one separator followed by exactly three digits ('1,234'), the document's
    ``decimal_mark`` decides; without one, it is read as a thousands separator. Where one
    mark repeats and the last one is not followed by three digits ('1.094.32', a comma
    misread by OCR), the last one is the decimal mark. A mark with no digits after it
    ('1.250,-', '20.') ends a whole number.
    """
    t = text.strip().replace("−", "-").replace("–", "-")
    if not t or len(t) > 40:
        return None
    negative = False
    if t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1].strip()
    t, _ = strip_currency(t)
    t = re.sub(r"(?<=\d[.,])-{1,2}$", "", t)  # '1.250,-': whole units, a dash for the cents
    if t.startswith("-"):
        negative, t = True, t[1:].strip()
    elif t.endswith("-"):
        negative, t = True, t[:-1].strip()
    elif t.startswith("+"):
        t = t[1:].strip()
    t, _ = strip_currency(t)  # "-€12.00" and "€ -12.00" both occur
    if t.startswith("-"):
        negative, t = True, t[1:].strip()
    # Thousands groups written with spaces or apostrophes: "1 234,56", "1'234.56".
    compact = t
    for sp in _SPACES:
        compact = compact.replace(sp, "")
    if compact != t and not re.fullmatch(r"\d{1,3}(?:[" + _SPACES + r"]\d{3})+(?:[.,]\d+)?", t):
        return None
    t = compact
    if t[-1:] in (".", ","):  # '1.250,' (the dash was cut above) or '20.': no decimals
        decimal_mark, t = ("." if t[-1] == "." else ","), t[:-1]
    if not t or not _NUMBER.match(t):
        return None
    dots, commas = t.count("."), t.count(",")
    if dots and commas:
        dec = "." if t.rfind(".") > t.rfind(",") else ","
    elif dots + commas == 0:
        dec = None
    else:
        sep = "." if dots else ","
        if dots + commas > 1:
            # only thousands separators (1.234.567), unless the last group is no thousands
            # group: OCR reads a comma as a point ('1.094.32' for '1,094.32')
            dec = None if len(t) - t.rfind(sep) - 1 == 3 else sep
        elif len(t) - t.rfind(sep) - 1 == 3:
            dec = sep if decimal_mark == sep else None
        else:
            dec = sep
    if dec is None:
        number = t.replace(".", "").replace(",", "")
    else:
        thousands = "," if dec == "." else "."
        whole, frac = t.rsplit(dec, 1)
        if thousands in frac:
            return None
        if not (dots and commas):  # '1.094.32': the marks before the last one group thousands
            whole = whole.replace(dec, "")
        number = whole.replace(thousands, "") + "." + frac
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    return -value if negative else value


def decimal_mark_of(text: str) -> DecimalMark | None:
    """The decimal mark a number shows unambiguously ('1.234,56' -> ','; '12.50' -> '.')."""
    t = text.strip()
    m = re.search(r"\d([.,])(\d{1,2})(?!\d)\s*\S{0,4}$", t)
    if m:
        return "." if m.group(1) == "." else ","
    return None


def parse_rate(text: str) -> Decimal | None:
    """A percentage: '19 %', '5,5%', '20.0 %' -> Decimal('19'), Decimal('5.5')."""
    m = re.search(r"(\d{1,2}(?:[.,]\d{1,3})?)\s?%", text)
    if not m:
        return None
    value = Decimal(m.group(1).replace(",", "."))
    return value.normalize() if value == value.to_integral() else value


def parse_quantity(text: str, decimal_mark: DecimalMark | None = None) -> Decimal | None:
    """A quantity, possibly with a unit attached ('7,5 h'): the number only."""
    m = re.match(r"^\s*(-?\d[\d.,' ]*)", text)
    if not m:
        return None
    value = parse_amount(m.group(1).strip(), decimal_mark)
    if value is None and decimal_mark is None:
        return None
    return value


# --- dates ---------------------------------------------------------------------------------
_MONTH_INDEX: dict[str, int] = {}
for _lang, _months in MONTHS.items():
    for _i, _names in enumerate(_months):
        for _name in _names:
            _MONTH_INDEX.setdefault(_name, _i + 1)

# Polish 'r.' (rok, year) after the year: '15.01.2025 r.'.
_YEAR_MARK = re.compile(r"(\d{4}) ?r$")
_NUMERIC_DATE = re.compile(r"^(\d{1,4})([./\-])(\d{1,2})\2(\d{2,4})$")
_WORDS_DATE = re.compile(r"^(\d{1,2}) (?:de |of )?([a-z]+) (?:de )?(\d{4}|\d{2})$")
_WORDS_DATE_US = re.compile(r"^([a-z]+) (\d{1,2}) (\d{4})$")
# Hungarian: year, month, day ('2024. február 1.').
_WORDS_DATE_YMD = re.compile(r"^(\d{4}) ([a-z]+) (\d{1,2})$")
# '3rd', '1st', '1er', '1º': ordinal marks after the day.
_ORDINAL = re.compile(r"\b(\d{1,2}) ?(?:st|nd|rd|th|er|re|e|o)\b")
_WEEKDAYS = {
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "lunes",
    "martes",
    "miercoles",
    "jueves",
    "viernes",
    "sabado",
    "domingo",
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
    "lunedi",
    "martedi",
    "mercoledi",
    "giovedi",
    "venerdi",
}


def _year(y: int) -> int:
    return y + 2000 if y < 100 else y


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(_year(y), m, d)
    except ValueError:
        return None


def parse_date(text: str, order: DateOrder = "DMY") -> dt.date | None:
    """Numeric (15.03.2024, 03/15/2024, 2024-03-15, 2024.03.15., 15-03-24) and written forms
    in the lexicon's languages (15 March 2024, March 15, 2024, 15. März 2024, 15 de marzo de
    2024, 15 stycznia 2025 r., 2024. március 15., 15-Mar-2024). ``order`` settles numeric
    dates whose day and month are both <= 12."""
    t = _YEAR_MARK.sub(r"\1", text.strip().rstrip(".,;"))
    m = _NUMERIC_DATE.match(t)
    if m:
        a, _, b, c = m.groups()
        if len(a) == 4:
            return _date(int(a), int(b), int(c))
        if len(c) == 3:
            return None
        first, second, year = int(a), int(b), int(c)
        if order == "MDY" and first <= 12:
            return _date(year, first, second)
        if first > 12 or order == "DMY":
            return _date(year, second, first)
        return _date(year, first, second)
    n = _ORDINAL.sub(r"\1", normalise(t.replace("-", " ")))
    if n.split(" ", 1)[0] in _WEEKDAYS:  # 'Monday, 4 March 2024'
        n = n.split(" ", 1)[1] if " " in n else ""
    m = _WORDS_DATE.match(n)
    if m and m.group(2) in _MONTH_INDEX:
        return _date(int(m.group(3)), _MONTH_INDEX[m.group(2)], int(m.group(1)))
    m = _WORDS_DATE_US.match(n)
    if m and m.group(1) in _MONTH_INDEX:
        return _date(int(m.group(3)), _MONTH_INDEX[m.group(1)], int(m.group(2)))
    m = _WORDS_DATE_YMD.match(n)
    if m and m.group(2) in _MONTH_INDEX:
        return _date(int(m.group(1)), _MONTH_INDEX[m.group(2)], int(m.group(3)))
    return None


def date_order_evidence(text: str) -> DateOrder | None:
    """What a numeric date shows about day/month order: '25/03/2024' -> DMY; None when the
    date is ambiguous or not numeric."""
    m = _NUMERIC_DATE.match(text.strip().rstrip(".,;"))
    if not m or len(m.group(1)) == 4:
        return None
    first, second = int(m.group(1)), int(m.group(3))
    if first > 12 >= second:
        return "DMY"
    if second > 12 >= first:
        return "MDY"
    return None


# --- identifiers ---------------------------------------------------------------------------
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30})")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")


def find_iban(text: str) -> str | None:
    """The first valid IBAN in the text, without spaces (also glued to its label, as OCR
    reads 'IBAN IT75...' set close: 'IBANIT75...')."""
    text = re.sub(r"IBAN(?=[A-Z]{2}\d{2})", "IBAN ", text.upper())
    for m in _IBAN.finditer(text):
        raw = m.group(1).replace(" ", "")
        # The match may run into a following word; try shorter candidates down to 15 chars.
        for end in range(len(raw), 14, -1):
            if stdnum_iban.is_valid(raw[:end]):
                return raw[:end]
    return None


def vat_country(vat_id: str) -> str:
    """The ISO country of a VAT id: its prefix, but 'EL' (Greece's VAT prefix) is 'GR'."""
    return "GR" if vat_id[:2] == "EL" else vat_id[:2]


# Digits and letters OCR reads for the second letter of a VAT id's country prefix.
_PREFIX_LETTER = {"1": "I", "0": "O"}


def find_vat_ids(text: str) -> list[str]:
    """Valid EU/GB VAT ids in the text (checksums verified), compact form.

    Tries every run of up to four tokens, so ids split by spaces ('DE 136 695 976') and ids
    right after a label without punctuation ('P.IVA IT01234567890') are both found."""
    tokens = [t for t in re.split(r"[\s:;,()/]+", text.upper()) if t]
    found: list[str] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + 4), i, -1):
            candidate = "".join(tokens[i:j]).replace(".", "").replace("-", "")
            # OCR reads the prefix's I as 1, its O as 0 ('F184880470'); the checksum says
            # whether the letter was meant.
            if len(candidate) > 2 and candidate[0].isalpha() and candidate[1] in _PREFIX_LETTER:
                candidate = candidate[0] + _PREFIX_LETTER[candidate[1]] + candidate[2:]
            if (
                8 <= len(candidate) <= 16
                and candidate[:2].isalpha()
                and sum(c.isdigit() for c in candidate) >= 6
                and stdnum_vat.is_valid(candidate)
            ):
                found.append(stdnum_vat.compact(candidate))
                i = j - 1
                break
        i += 1
    return found


def is_bic(text: str) -> bool:
    t = text.strip().upper()
    return bool(_BIC.match(t)) and bool(stdnum_bic.is_valid(t))


_ID_TOKEN = re.compile(r"^[A-Z0-9][A-Z0-9\-/._#]*[A-Z0-9]$|^[0-9]$", re.IGNORECASE)


def looks_like_id(text: str) -> bool:
    """An identifier such as an invoice or order number: one token with at least one digit."""
    t = text.strip().lstrip("#:").strip()
    return (
        0 < len(t) <= 30
        and " " not in t
        and any(c.isdigit() for c in t)
        and bool(_ID_TOKEN.match(t))
        and parse_date(t) is None
    )
