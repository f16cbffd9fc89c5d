"""Amounts, dates, rates and identifiers: the tricky printed forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from invoice_extract.fields.normalise import (
    date_order_evidence,
    find_iban,
    find_vat_ids,
    is_bic,
    looks_like_id,
    normalise,
    parse_amount,
    parse_date,
    parse_rate,
    split_parts,
)


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("1.234,56", None, "1234.56"),
        ("1,234.56", None, "1234.56"),
        ("1 234,56", None, "1234.56"),
        ("1\u00a0234,56 €", None, "1234.56"),
        ("1'234.56", None, "1234.56"),
        ("CHF 1'234.50", None, "1234.50"),
        ("€1,234.56", None, "1234.56"),
        ("EUR 1.234,56", None, "1234.56"),
        ("1.234.567,89", None, "1234567.89"),
        ("1,23,456.78", None, "123456.78"),  # Indian lakh grouping
        ("1.094.32", None, "1094.32"),  # OCR read the thousands comma as a point
        ("1.250,-", None, "1250"),  # German, Dutch, Swiss: whole units, no cents
        ("1.250,– €", None, "1250"),
        ("20,--", None, "20"),
        ("20.", None, "20"),
        ("1,234.", None, "1234"),
        ("1.234,-", ".", "1234"),
        ("243,077,00", None, "243077.00"),
        ("1.234.567", None, "1234567"),
        ("₹1,23,456.00", None, "123456.00"),
        ("12.00-", None, "-12.00"),
        ("(12.00)", None, "-12.00"),
        ("-€12.00", None, "-12.00"),
        ("€-136,15", None, "-136.15"),
        ("− 5,00", None, "-5.00"),
        ("0.5", None, "0.5"),
        ("1,5", None, "1.5"),
        ("100", None, "100"),
        ("¥12,000", None, "12000"),
        ("1,234", ",", "1.234"),  # the document writes decimals with a comma
        ("1,234", ".", "1234"),
        ("1.234", ",", "1234"),
        ("12,50 zł", None, "12.50"),
        ("1 234,56 kr", None, "1234.56"),
        ("38 186,64 KČ", ",", "38186.64"),  # OCR's capital for 'Kč': codes in any case
        ("eur 12,00", ",", "12.00"),
    ],
)
def test_parse_amount(text: str, mark: str | None, expected: str) -> None:
    value = parse_amount(text, mark)  # type: ignore[arg-type]
    assert value == Decimal(expected)
    assert str(value).lstrip("-") == expected.lstrip("-")  # printed precision is kept


@pytest.mark.parametrize(
    "text", ["2024-03-15", "INV-001", "12 345 678 9", "abc", "", "1.2.3", "15/03/2024", "12%"]
)
def test_parse_amount_rejects_non_amounts(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("15.03.2024", "DMY", dt.date(2024, 3, 15)),
        ("03/04/2025", "DMY", dt.date(2025, 4, 3)),
        ("03/04/2025", "MDY", dt.date(2025, 3, 4)),
        ("25/03/2024", "MDY", dt.date(2024, 3, 25)),  # unambiguous whatever the order
        ("2024-03-15", "MDY", dt.date(2024, 3, 15)),
        ("2024/03/15", "DMY", dt.date(2024, 3, 15)),
        ("15-03-24", "DMY", dt.date(2024, 3, 15)),
        ("15 March 2024", "DMY", dt.date(2024, 3, 15)),
        ("March 15, 2024", "DMY", dt.date(2024, 3, 15)),
        ("15. März 2024", "DMY", dt.date(2024, 3, 15)),
        ("15 mars 2024", "DMY", dt.date(2024, 3, 15)),
        ("1er février 2024", "DMY", dt.date(2024, 2, 1)),
        ("March 3rd, 2024", "DMY", dt.date(2024, 3, 3)),
        ("21st of May 2024", "DMY", dt.date(2024, 5, 21)),
        ("Monday, 4 March 2024", "MDY", dt.date(2024, 3, 4)),
        ("03-Mar-24", "DMY", dt.date(2024, 3, 3)),
        ("15 de marzo de 2024", "DMY", dt.date(2024, 3, 15)),
        ("15 maart 2024", "DMY", dt.date(2024, 3, 15)),
        ("15 marzo 2024", "DMY", dt.date(2024, 3, 15)),
        ("9 augustus 2024", "DMY", dt.date(2024, 8, 9)),
        ("15-Mar-2024", "DMY", dt.date(2024, 3, 15)),
        ("16 maja 2024 r.", "DMY", dt.date(2024, 5, 16)),  # Polish, 'r.' for the year
        ("16.05.2024 r.", "DMY", dt.date(2024, 5, 16)),
        ("8. června 2023", "DMY", dt.date(2023, 6, 8)),
        ("3 listopadu 2024", "DMY", dt.date(2024, 11, 3)),  # Czech November, not Polish
        ("19. august 2024", "DMY", dt.date(2024, 8, 19)),
        ("5. desember 2023", "DMY", dt.date(2023, 12, 5)),
        ("7 augusti 2025", "DMY", dt.date(2025, 8, 7)),
        ("12 de março de 2024", "DMY", dt.date(2024, 3, 12)),
        ("2024.03.15.", "DMY", dt.date(2024, 3, 15)),  # Hungarian: year first
        ("2024. március 15.", "DMY", dt.date(2024, 3, 15)),
        ("15. maaliskuuta 2024", "DMY", dt.date(2024, 3, 15)),  # Finnish
        ("1.3.2024", "DMY", dt.date(2024, 3, 1)),
        ("15 martie 2024", "DMY", dt.date(2024, 3, 15)),  # Romanian
        ("12 Mayıs 2024", "DMY", dt.date(2024, 5, 12)),  # Turkish, dotless i
        ("3 Şubat 2024", "DMY", dt.date(2024, 2, 3)),
        ("31.02.2024", "DMY", None),
        ("INV-2024-03", "DMY", None),
        ("1234.56", "DMY", None),
    ],
)
def test_parse_date(text: str, order: str, expected: dt.date | None) -> None:
    assert parse_date(text, order) == expected  # type: ignore[arg-type]


def test_date_order_evidence() -> None:
    assert date_order_evidence("25/03/2024") == "DMY"
    assert date_order_evidence("03/25/2024") == "MDY"
    assert date_order_evidence("03/04/2024") is None
    assert date_order_evidence("2024-03-04") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VAT 19 %", "19"),
        ("TVA 5,5 %", "5.5"),
        ("MwSt. 7%", "7"),
        ("8.875%", "8.875"),
        ("no rate", None),
    ],
)
def test_parse_rate(text: str, expected: str | None) -> None:
    assert parse_rate(text) == (Decimal(expected) if expected else None)


def test_identifiers_are_checksum_validated() -> None:
    assert find_iban("IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFF") == "DE89370400440532013000"
    assert find_iban("IBAN DE89 3704 0044 0532 0130 01") is None  # bad check digits
    assert find_iban("IBANIT75G6342162711522381444291") == "IT75G6342162711522381444291"  # glued
    assert find_vat_ids("USt-IdNr.: DE136695976") == ["DE136695976"]
    assert find_vat_ids("USt-IdNr.: DE136695977") == []
    # OCR's 1 for the prefix's I: the checksum says the letter was meant
    assert find_vat_ids("ALV-numero: F184880470") == ["FI84880470"]
    assert find_vat_ids("ALV-numero: F184880471") == []
    assert is_bic("DEUTDEFF") and is_bic("DEUTDEFF500") and not is_bic("DEUTDE")
    assert looks_like_id("INV-2024-0012") and looks_like_id("#12345")
    assert not looks_like_id("Consulting services") and not looks_like_id("15.03.2024")


def test_normalise_folds_case_accents_and_punctuation() -> None:
    assert normalise("Rechnungs-Nr.:") == "rechnungs nr"
    assert normalise("N° de facture") == "no de facture"
    assert normalise("Fällig am") == "fallig am"
    assert normalise("Qté") == "qte"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Damrak 55 · 1012 AB Amsterdam", ["Damrak 55", "1012 AB Amsterdam"]),
        # As OCR reads the dot: with a space lost on either side, or both.
        (
            "Oudegracht 165· 3511 LX Utrecht ·Nederland",
            ["Oudegracht 165", "3511 LX Utrecht", "Nederland"],
        ),
        ("8-17 Umeda·Osaka 530-0001", ["8-17 Umeda", "Osaka 530-0001"]),
        ("Acme GmbH | Hauptstr. 5", ["Acme GmbH", "Hauptstr. 5"]),
        ("Col·legi de Metges", ["Col·legi de Metges"]),  # the Catalan l·l is no separator
        ("Bengaluru - 560001", ["Bengaluru - 560001"]),
        # the dot read as a hyphen between a house number and a postcode
        ("Mariahilfer Straße 146 - 5020 Salzburg", ["Mariahilfer Straße 146", "5020 Salzburg"]),
        ("Oudegracht 180- 3511 LX Utrecht", ["Oudegracht 180", "3511 LX Utrecht"]),
        ("8-17 Umeda 530-0001", ["8-17 Umeda 530-0001"]),
    ],
)
def test_split_parts(text: str, parts: list[str]) -> None:
    assert split_parts(text) == parts
