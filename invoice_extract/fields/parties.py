"""Vendor and customer blocks.

The customer is the block under a bill-to style label. The vendor is the block under a
from/supplier label, or else the most prominent name at the top of the first page that is
not the title, the customer or a label, or else the company named in the footer. VAT ids,
e-mails and phones go to the party whose block holds them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from invoice_extract.fields.context import Context
from invoice_extract.fields.lexicon import (
    ID_LABELS,
    LEGAL_FORMS,
    POSTCODE_FORMATS,
)
from invoice_extract.fields.lines import Line, Segment
from invoice_extract.fields.normalise import (
    find_iban,
    find_vat_ids,
    fold_confusions,
    looks_like_id,
    normalise,
    parse_date,
    split_parts,
    vat_country,
)
from invoice_extract.fields.places import city_country, country_names, names_city_by_postcode

# The top-level domain is letters: 'info@aurora.example-Btw-id' (OCR read the '·' before
# the next label as a hyphen) ends at 'example'.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
PHONE = re.compile(r"\+?\(?\d[\d ()/.-]{6,}\d")
EMAIL = _EMAIL
BLOCK_GAP = 1.9  # line heights between lines of one address block
ALIGN = 6.0  # points of tolerance for left or right alignment


@dataclass
class Block:
    segments: list[Segment] = field(default_factory=list)
    name: Segment | None = None
    inline_name: str | None = None
    # Address parts read from one line ('Name · Street 1 · 12345 City'), when there is no block.
    address: list[str] | None = None

    def contains(self, seg: Segment) -> bool:
        return any(s is seg for s in self.segments) or seg is self.name

    @property
    def name_text(self) -> str:
        """The party's name as printed ('' where the block has none)."""
        return self.inline_name or (self.name.text if self.name else "")


_LEGAL_FORM_TAILS = tuple(f" {fold_confusions(form)}" for form in LEGAL_FORMS)
_SPELLED_LEGAL_FORM_TAILS = tuple(f" {form}" for form in LEGAL_FORMS)


_CAPITALISED = re.compile(r"[^\W\d_][^\W\d_A-Z]{3,}")  # 'Trading', not 'iPhone' or 'McKinley'


def _compact(name: str) -> str:
    """A name as legal forms are compared: dots and commas removed, normalised."""
    return normalise(re.sub(r"[.,]", "", name)) if name else ""


def _unglued(name: str) -> str:
    """A name whose legal form OCR read glued to the word before ('Falcon SoftwareKft.',
    'Quantum IndustriesLtd. Şti.', 'Beacon TradingAB') or without its inner space
    ('Meridian Technik Sp.z o.o.'), with the space put back. A form in capitals only after
    a plain capitalised word: 'DataCorp' and 'McKinleyAG' may be how a company writes its
    name."""
    printed = _has_printed_form(name)
    for start in [m.start() for m in re.finditer(r"\S+", name)][::-1][:3]:
        for i in range(start + 1, len(name)):
            if name[i] == " ":
                break
            spaced = f"{name[:i]} {name[i:]}"
            after_dot = name[i - 1] == "." and name[i].isalpha()
            if after_dot and not printed and _has_printed_form(spaced):
                return spaced
            if not (name[i - 1].islower() and name[i].isupper()):
                continue
            form, word = name[i:], name[start:i]
            mixed = any(a.islower() and b.isupper() for a, b in itertools.pairwise(form))
            capitals = form.isalpha() and form.isupper() and _CAPITALISED.fullmatch(word)
            if (form.endswith(".") or mixed or capitals) and _compact(form) in LEGAL_FORMS:
                return spaced
    return name


# A word of a legal form that OCR may have read with a digit for a letter: a zero for an o
# ('0.0.', 'd.0.o.'), a one for an l ('S.r.1.').
_DIGIT_FORM_WORD = re.compile(r"(?<!\S)(?=\S*\.)(?=\S*[01])[A-Za-z01.]+(?!\S)")
_DIGITS_AS_LETTERS = str.maketrans("01", "ol")


def _digits_as_letters(name: str) -> str:
    """A name whose legal form OCR read with digits for letters ('Sp. z 0.0.', 'S.r.1.'),
    with the letters put back where that makes a legal form as printed ('Sp. z o.o.',
    'S.r.l.'); any other name as it is."""
    mended = _DIGIT_FORM_WORD.sub(lambda m: m.group().translate(_DIGITS_AS_LETTERS), name)
    return mended if mended != name and _has_printed_form(mended) else name


def _has_printed_form(name: str) -> bool:
    """The name ends in a legal form as printed (no OCR confusions, nothing glued)."""
    compact = _compact(name)
    return f" {compact}".endswith(_SPELLED_LEGAL_FORM_TAILS) and len(compact.split()) >= 2


def _mended(name: str) -> str:
    """A name with the legal form OCR glued to the word before set apart and its digits for
    letters put back (``_unglued``, ``_digits_as_letters``)."""
    return _digits_as_letters(_unglued(name))


def _ends_in_form(mended: str) -> bool:
    """A ``_mended`` name ends in a legal form, as printed or with OCR's confusions."""
    compact = fold_confusions(_compact(mended))
    return f" {compact}".endswith(_LEGAL_FORM_TAILS) and len(compact.split()) >= 2


def has_legal_form(text: str) -> bool:
    """The text ends in a company legal form ('Nordwind Logistik GmbH', 'Harbor V.O.F.'; also
    as OCR misreads it, 'S.r.I.', 'S.r.1.' or 'Sp. z 0.0.', or glues it to the word before,
    'SoftwareKft.')."""
    return _ends_in_form(_mended(text))


def spell_legal_form(name: str) -> str:
    """A company name whose legal form OCR read with I for l, spelled right ('Rossi S.r.I.'
    -> 'Rossi S.r.l.', 'Cobalt IIC' -> 'Cobalt LLC'), or with 0 for o or 1 for l ('Sp. z
    0.0.' -> 'Sp. z o.o.', 'S.r.1.' -> 'S.r.l.'), or glued to the word before, set apart
    ('SoftwareKft.' -> 'Software Kft.'); any other name as it is."""
    name = _mended(name)
    if not _ends_in_form(name) or _has_printed_form(name):
        return name
    folded = f" {fold_confusions(_compact(name))}"
    forms = [f for f in LEGAL_FORMS if folded.endswith(f" {fold_confusions(f)}")]
    letters = list(max(forms, key=len).replace(" ", "")) if forms else []
    chars = list(name)
    at = len(chars)
    while letters and at > 0:  # the form's letters, matched from the end of the name
        at -= 1
        if not chars[at].isalnum():
            continue
        if letters.pop() == "l" and name[at] in "Ii":
            # Capital where it starts the word or the word's other letters are capitals.
            start, end = name.rfind(" ", 0, at) + 1, name.find(" ", at)
            others = [c for c in name[start : end if end >= 0 else None] if c.isalpha()]
            others = [c for c in others if c not in "Ii"]
            upper = at == start or (bool(others) and all(c.isupper() for c in others))
            chars[at] = "L" if upper else "l"
    return "".join(chars)


@dataclass(frozen=True)
class Taken:
    """What other stages already own: table lines and metadata labels/values (segment ids)."""

    lines: frozenset[int] = frozenset()
    segments: frozenset[int] = frozenset()


def _block_below(ctx: Context, anchor: Segment, taken: Taken, max_lines: int = 8) -> list[Segment]:
    """Segments aligned with ``anchor`` (left or right edge) in the lines just below it."""
    lh = ctx.layout.line_height
    lines = ctx.layout.lines
    out: list[Segment] = []
    last_y = anchor.y1
    for line in lines[anchor.line + 1 :]:
        if (
            line.page != anchor.page
            or line.y0 - last_y > BLOCK_GAP * lh
            or len(out) >= max_lines
            or line.index in taken.lines
        ):
            break
        aligned = [
            s
            for s in line.segments
            if abs(s.x0 - anchor.x0) < ALIGN or abs(s.x1 - anchor.x1) < ALIGN
        ]
        if not aligned:
            if any(s.x0 <= anchor.x0 + ALIGN and s.x1 >= anchor.x0 for s in line.segments):
                break  # something else sits in the column: the block has ended
            continue
        seg = aligned[0]
        if id(seg) in taken.segments:
            break
        if ctx.is_label(seg) and any(
            h.kind in ("party", "field", "total", "title") for h in ctx.hits_of(seg)
        ):
            break
        out.append(seg)
        last_y = line.y1
    return out


def customer_block(ctx: Context, taken: Taken) -> tuple[Block | None, Segment | None]:
    """The block under the first bill-to label, and the label itself."""
    for line in ctx.layout.lines:
        for seg in line.segments:
            for hit in ctx.hits_of(seg):
                if hit.kind == "party" and hit.name == "customer" and hit.score >= 0.9:
                    below = _block_below(ctx, seg, taken)
                    block = Block(segments=below)
                    if hit.rest and len(hit.rest) > 2:
                        block.inline_name = hit.rest
                    elif below:
                        block.name = below[0]
                        block.segments = below[1:]
                    return block, seg
    return None, None


def unlabelled_customer(ctx: Context, vendor: Block | None, taken: Taken) -> Block | None:
    """Where no label the lexicon knows names the customer: the first block on the first
    page, other than the vendor's, of a name above one or two street lines (with a house
    number) and a line with a postcode and city, and its country if one follows."""
    vendor = own_part(ctx, vendor) if vendor is not None else None
    for line in ctx.layout.by_page.get(1, []):
        if line.index in taken.lines:
            continue
        for seg in line.segments:
            if id(seg) in taken.segments or (vendor is not None and vendor.contains(seg)):
                continue
            if is_city_line(seg.text):
                block = _address_above(ctx, seg, vendor, taken)
                if block is not None and not _same_party(block, vendor):
                    return block
    return None


def own_part(ctx: Context, block: Block) -> Block:
    """The block up to where its party's lines end: its address, then its contacts and ids.
    A block found by alignment alone can run on into the next party's (its label, name and
    street), as address_lines tells."""
    address = address_lines(ctx, block)
    if not address:
        return block
    end = 1 + max(i for i, s in enumerate(block.segments) if any(s is a for a in address))
    while end < len(block.segments) and _is_contact_or_id(ctx, block.segments[end]):
        end += 1
    return Block(
        segments=block.segments[:end],
        name=block.name,
        inline_name=block.inline_name,
        address=block.address,
    )


def _same_party(block: Block, other: Block | None) -> bool:
    """Whether two blocks name one party (the vendor's address again in the footer)."""
    if other is None:
        return False
    return _compact(block.name_text) == _compact(other.name_text)


MAX_STREET_LINES = 2
MAX_CONTACT_LINES = 4  # lines below the city: country, phone, e-mail, VAT id


def _address_above(ctx: Context, city: Segment, vendor: Block | None, taken: Taken) -> Block | None:
    """The party block ending at the line with its postcode and city: the street lines
    above it, the name above them, the country below it."""
    lines, lh = ctx.layout.lines, ctx.layout.line_height

    def aligned(line: Line, anchor: Segment) -> Segment | None:
        found = [s for s in line.segments if abs(s.x0 - anchor.x0) < ALIGN]
        return found[0] if found and id(found[0]) not in taken.segments else None

    streets: list[Segment] = []
    name: Segment | None = None
    below = city
    for line in reversed(lines[: city.line]):
        if line.page != city.page or below.y0 - line.y1 > BLOCK_GAP * lh:
            break
        seg = aligned(line, city)
        if seg is None:  # a line of another column, between two of this block's
            continue
        if vendor is not None and vendor.contains(seg):
            return None
        if any(ch.isdigit() for ch in seg.text) and len(streets) < MAX_STREET_LINES:
            streets.insert(0, seg)
            below = seg
            continue
        if not _is_noise(ctx, seg) and not seg.text.rstrip().endswith(":"):
            name = seg
        break
    if name is None or not streets:
        return None
    segments = [*streets, city]
    # Below: its country, then its own contacts and VAT id (the block's, not the sender's).
    for line in lines[city.line + 1 :]:
        if line.page != city.page or line.y0 - segments[-1].y1 > BLOCK_GAP * lh:
            break
        seg = aligned(line, city)
        if seg is None:
            continue
        if len(segments) == len(streets) + 1 + MAX_CONTACT_LINES:
            break
        country = len(segments) == len(streets) + 1 and named_country(seg.text)
        if not (country or is_address_or_contact(seg.text)):
            break
        segments.append(seg)
    return Block(segments=segments, name=name)


def named_by_email(ctx: Context, block: Block) -> bool:
    """Whether an e-mail address on the document names the block's party in its domain
    ('billing@beacon.example' for 'Beacon Software Ltd.'): the sender's own address."""
    words = set(normalise(block.name_text).split())
    for line in ctx.layout.lines:
        for match in _EMAIL.finditer(line.text):
            domain = match.group(0).split("@", 1)[1]
            if any(len(part) >= 4 and part in words for part in normalise(domain).split()):
                return True
    return False


def _is_noise(ctx: Context, seg: Segment) -> bool:
    """Not a party name: a label (or a line led by one), contact details, no letters."""
    if not any(c.isalpha() for c in seg.text) or _EMAIL.search(seg.text):
        return True
    return any(
        h.score >= 0.9 and h.kind in ("field", "total", "party", "id", "title")
        for h in ctx.hits_of(seg)
    )


def vendor_block(ctx: Context, customer: Block | None, taken: Taken) -> Block | None:
    """The issuing party's block (see module doc)."""
    lines = ctx.layout.lines
    for line in lines:
        for seg in line.segments:
            for hit in ctx.hits_of(seg):
                if (
                    hit.kind == "party"
                    and hit.name == "vendor"
                    and hit.score >= 0.9
                    and (hit.rest == "" or len(hit.rest) > 2)
                ):
                    below = _block_below(ctx, seg, taken)
                    if hit.rest:
                        return Block(segments=below, inline_name=hit.rest)
                    if below:
                        return Block(name=below[0], segments=below[1:])
    first = ctx.layout.by_page.get(1, [])
    if not first:
        return None
    height = ctx.layout.pages[1].height
    addressed = _addressed(ctx, taken)
    customer_name = _compact(customer.name_text) if customer is not None else ""
    best: tuple[float, Segment] | None = None
    for line in first:
        if line.y0 > 0.4 * height:
            break
        for seg in line.segments:
            if (
                id(seg) in taken.segments
                or line.index in taken.lines
                or (customer is not None and customer.contains(seg))
                or id(seg) in addressed
                or (
                    customer_name
                    and _compact(seg.text) == customer_name
                    and not _above(seg, customer)
                )
                or _is_noise(ctx, seg)
            ):
                continue
            parts = split_parts(seg.text)
            if len(parts) >= 3 and has_legal_form(parts[0]) and is_city_line(parts[-1]):
                # A sender line, small above the recipient's address: its name, street, city.
                return Block(inline_name=parts[0], segments=[seg], address=parts[1:])
            score = seg.height / ctx.layout.line_height + (2.0 if has_legal_form(seg.text) else 0)
            score -= line.y0 / height  # higher up is likelier
            if best is None or score > best[0]:
                best = (score, seg)
    if best is not None and (best[0] > 1.6 or has_legal_form(best[1].text)):
        seg = best[1]
        parts = split_parts(seg.text)
        if len(parts) > 1:  # a sender line: 'Name · Street 1 · 12345 City'
            return Block(inline_name=parts[0], segments=[seg], address=parts[1:])
        return Block(name=seg, segments=_block_below(ctx, seg, taken))
    return _footer_vendor(ctx, first, taken)


def _above(seg: Segment, block: Block | None) -> bool:
    """Whether ``seg`` stands above all of ``block`` on its page: a sender's name at the
    top that is the customer's too (one company's branches invoicing each other), not a
    second copy of the customer's name beside or below its block (a delivery address
    whose label was not read)."""
    if block is None:
        return False
    parts = [s for s in [block.name, *block.segments] if s is not None and s.page == seg.page]
    return bool(parts) and all(seg.y1 <= s.y0 for s in parts)


def _addressed(ctx: Context, taken: Taken) -> set[int]:
    """Ids of the segments in the blocks under bill-to and ship-to labels: the parties the
    document is addressed to, never its sender."""
    out: set[int] = set()
    for line in ctx.layout.lines:
        for seg in line.segments:
            if any(
                h.kind == "party" and h.name != "vendor" and h.score >= 0.9
                for h in ctx.hits_of(seg)
            ):
                out.update(id(s) for s in _block_below(ctx, seg, taken))
    return out


def _footer_vendor(ctx: Context, first: list[Line], taken: Taken) -> Block | None:
    height = ctx.layout.pages[1].height
    for line in first:
        if line.y0 < 0.8 * height:
            continue
        for seg in line.segments:
            if has_legal_form(seg.text) and not _is_noise(ctx, seg):
                return Block(name=seg, segments=_block_below(ctx, seg, taken, max_lines=3))
    return None


def address_lines(ctx: Context, block: Block) -> list[Segment]:
    """The block's address lines: not ids, contacts or labels. After the line with the
    postcode and city, the address ends at its country, or before a label (a line ending in
    ':'), an identifier or a date; where another party follows (a company name or a second
    city: no label the lexicon knows set them apart), the lines between are its label. After
    the city and a contact or id, nothing but contacts and ids is the address's."""
    out: list[Segment] = []
    city_at: int | None = None
    contacts_after_city = False
    for seg in block.segments:
        text = seg.text
        # Contacts and ids: a phone line too where the lexicon knows no label for it.
        if _is_contact_or_id(ctx, seg):
            contacts_after_city = city_at is not None
            continue
        if contacts_after_city:
            break
        city = is_city_line(text)
        if city_at is not None:
            if has_legal_form(text) or city:
                countries = [k for k in range(city_at + 1, len(out)) if named_country(out[k].text)]
                return out[: (countries[-1] if countries else city_at) + 1]
            if text.rstrip().endswith(":") or looks_like_id(text) or parse_date(text):
                break
        out.append(seg)
        if city_at is not None and named_country(text):
            break
        if city_at is None and city:
            city_at = len(out) - 1
    return out


def is_address_or_contact(text: str) -> bool:
    """Whether a line is one of a party's postcode and city, phone, e-mail, IBAN or VAT id:
    no document metadata, whatever its labels."""
    return is_city_line(text) or _is_contact(text)


def is_city_line(text: str) -> bool:
    """Whether text holds a postcode only one country's format fits, or a city beside a
    postcode: the line of an address that names its place."""
    return postcode_country(text) is not None or names_city_by_postcode(text)


def _is_contact(text: str) -> bool:
    """Whether a line holds a VAT id, an e-mail address, an IBAN or a phone number."""
    return bool(
        find_vat_ids(text) or _EMAIL.search(text) or find_iban(text) or is_phone_number(text)
    )


def _is_contact_or_id(ctx: Context, seg: Segment) -> bool:
    return _is_contact(seg.text) or any(h.kind == "id" for h in ctx.hits_of(seg))


def is_phone_number(text: str) -> bool:
    """Whether text holds a phone number: an international one ('+42 37 4798323') or ten
    digits or more; no postcode has that many (a US ZIP+4 has nine)."""
    return any(
        m.group(0).startswith("+") or sum(ch.isdigit() for ch in m.group(0)) >= 10
        for m in PHONE.finditer(text)
    )


_POSTCODES = [(code, re.compile(pattern)) for code, pattern in POSTCODE_FORMATS]
# A phone number can take a postcode's shape ('Phone 555-1234'): lines with a phone label
# (the lexicon's, and fax and mobile ones) say nothing.
_CONTACT_WORDS = frozenset(
    [*(label for label in ID_LABELS["phone"] if " " not in label), "fax", "mobile", "mobil", "gsm"]
)


def postcode_country(text: str) -> str | None:
    """The country whose postcode format, shared with no other, ``text`` holds
    ('Toronto, ON M5H 2N2' -> 'CA', '00-950 Warszawa' -> 'PL'); None where it holds none."""
    text = " ".join(text.split())
    if _CONTACT_WORDS.intersection(normalise(text).split()):
        return None
    for code, pattern in _POSTCODES:
        if pattern.search(text):
            return code
    return None


def named_country(text: str) -> str | None:
    """The country an address line names: the whole line ('Deutschland') or its last word
    of more than three letters ('8001 Zürich, Schweiz')."""
    names = country_names()
    norm = normalise(text)
    if norm in names:
        return names[norm]
    tail = norm.split()[-1] if norm else ""
    return names[tail] if tail in names and len(tail) > 3 else None


def country_of(
    block_texts: list[str],
    vat_id: str | None,
    iban: str | None,
    document_countries: Sequence[str] = (),
) -> tuple[str, str] | None:
    """A party's country and what says so ('address', 'vat_id' or 'iban'): named in its
    address, else its VAT id's prefix, else a postcode format only one country uses, else
    the city beside its postcode (a name shared by cities of like size in several countries
    counts where only one of them is among ``document_countries``), else its IBAN's
    country."""
    for text in reversed(block_texts):
        if code := named_country(text):
            return code, "address"
    if vat_id:
        return vat_country(vat_id), "vat_id"
    for text in reversed(block_texts):
        if code := postcode_country(text):
            return code, "address"
    if code := city_country(block_texts, document_countries):
        return code, "address"
    if iban:
        return iban[:2], "iban"
    return None


__all__ = [
    "Block",
    "Taken",
    "address_lines",
    "country_of",
    "customer_block",
    "has_legal_form",
    "is_address_or_contact",
    "is_phone_number",
    "named_by_email",
    "named_country",
    "postcode_country",
    "spell_legal_form",
    "unlabelled_customer",
    "vendor_block",
]
