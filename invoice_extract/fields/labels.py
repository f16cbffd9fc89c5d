"""Fuzzy label matching (rapidfuzz) against the lexicon's label tables.

A label is matched at the start of a segment, so 'Invoice No.: 123' gives the label
'invoice no' and the inline remainder '123'. Short labels must match exactly (fuzzy 'tax'
would accept 'fax'); longer ones tolerate OCR slips.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from invoice_extract.document import Word
from invoice_extract.fields.lexicon import (
    CARRY_LABELS,
    COLUMN_LABELS,
    DOCUMENT_TITLES,
    ID_LABELS,
    LABELS,
    PARTY_LABELS,
    TOTAL_LABELS,
)
from invoice_extract.fields.lines import Segment
from invoice_extract.fields.normalise import fold_confusions, normalise

MAX_LABEL_TOKENS = 5
FUZZY_CUTOFF = 86.0


@dataclass(frozen=True, slots=True)
class LabelHit:
    kind: str  # "field", "total", "party", "id", "title", "carry"
    name: str  # the field the label introduces
    score: float  # in [0, 1]
    tokens: int  # how many leading tokens of the segment the label covers
    segment: Segment
    rest: str  # the segment's other text: after the label, or before it when at_end
    rest_words: tuple[Word, ...]
    at_end: bool = False  # the label ends the segment ('10-Mar-2023 Payment Due')


@dataclass(frozen=True)
class _Table:
    # By token count: the label strings and, in the same order, (kind, name).
    choices: dict[int, list[str]]
    owners: dict[int, list[tuple[str, str]]]


def _min_score(label: str) -> float:
    return 100.0 if len(label) <= 5 else FUZZY_CUTOFF


@lru_cache(maxsize=1)
def _prefix_table() -> _Table:
    choices: dict[int, list[str]] = {}
    owners: dict[int, list[tuple[str, str]]] = {}
    for kind, table in (
        ("field", LABELS),
        ("total", TOTAL_LABELS),
        ("party", PARTY_LABELS),
        ("id", ID_LABELS),
        ("title", DOCUMENT_TITLES),
        ("carry", CARRY_LABELS),
    ):
        for name, labels in table.items():
            for label in labels:
                norm = normalise(label)
                n = len(norm.split())
                if not norm or (norm in choices.get(n, []) and (kind, name) in owners[n]):
                    continue
                choices.setdefault(n, []).append(norm)
                owners.setdefault(n, []).append((kind, name))
    return _Table(choices, owners)


@lru_cache(maxsize=1)
def _column_table() -> dict[str, str]:
    return {normalise(label): name for name, labels in COLUMN_LABELS.items() for label in labels}


@lru_cache(maxsize=1)
def _confusable_columns() -> dict[str, str]:
    """Short column headers by ``fold_confusions`` (no two of them fold alike)."""
    return {fold_confusions(k): v for k, v in _column_table().items() if len(k) <= 5}


@lru_cache(maxsize=1)
def _confusable_ids() -> dict[str, tuple[str, str]]:
    """One-word id labels of up to five letters by ``fold_confusions``: OCR reads Danish and
    Norwegian 'Tlf.' as 'TIf.', which fuzzy matching of so short a word does not forgive."""
    folded: dict[str, tuple[str, str]] = {}
    for name, labels in ID_LABELS.items():
        for label in labels:
            norm = normalise(label)
            if " " not in norm and len(norm) <= 5:
                folded.setdefault(fold_confusions(norm), ("id", name))
    return folded


def _split_rest(segment: Segment, tokens: int) -> tuple[str, tuple[Word, ...]]:
    """The text and words of a segment after its first ``tokens`` normalised tokens."""
    seen = 0
    for i, word in enumerate(segment.words):
        n = len(normalise(word.text).split())
        if seen + n <= tokens:
            seen += n
            if seen == tokens:
                rest = segment.words[i + 1 :]
                return " ".join(w.text for w in rest).strip(" :#"), tuple(rest)
            continue
        # The label ends inside this word ('No.12345', '#12345'): keep the word's tail.
        need = tokens - seen
        for k in range(1, len(word.text)):
            head, tail_tokens = normalise(word.text[:k]).split(), normalise(word.text[k:]).split()
            if len(head) == need and len(head) + len(tail_tokens) == n:
                tail = word.text[k:].lstrip(" .:#")
                rest_words = (word, *segment.words[i + 1 :])
                return " ".join(
                    [tail, *(w.text for w in segment.words[i + 1 :])]
                ).strip(), rest_words
        return "", ()
    return "", ()


def _glued_rest(segment: Segment, tokens: int, last: str) -> tuple[str, tuple[Word, ...]] | None:
    """The text and words after a label whose last word OCR read glued to a value with
    digits ('NÚMERO DA FATURARE-915555': label 'numero da fatura', value 'RE-915555'), or
    None where the ``tokens``-th token holds no such value."""
    seen = 0
    for i, word in enumerate(segment.words):
        seen += len(normalise(word.text).split())
        if seen < tokens:
            continue
        for k in range(1, len(word.text)):
            head, tail = normalise(word.text[:k]).split(), word.text[k:]
            if head and head[-1] == last and tail[0].isalnum() and any(c.isdigit() for c in tail):
                following = segment.words[i + 1 :]
                return " ".join([tail, *(w.text for w in following)]), (word, *following)
        return None
    return None


def match_label(segment: Segment) -> list[LabelHit]:
    """Every label (of any kind) that the segment starts with, best first."""
    table = _prefix_table()
    tokens = segment.norm.split()
    hits: dict[tuple[str, str], LabelHit] = {}
    for n in range(min(MAX_LABEL_TOKENS, len(tokens)), 0, -1):
        prefix = " ".join(tokens[:n])
        choices = table.choices.get(n)
        if not choices:
            continue
        for label, score, idx in process.extract(
            prefix, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=6
        ):
            if score < _min_score(label):
                continue
            kind, name = table.owners[n][idx]
            key = (kind, name)
            # Longer labels are more specific: prefer them at equal score.
            value = score / 100.0
            if key in hits and hits[key].score >= value:
                continue
            rest, rest_words = _split_rest(segment, n)
            last = label.split()[-1]
            if tokens[n - 1] != last and tokens[n - 1].startswith(last):
                rest, rest_words = _glued_rest(segment, n, last) or (rest, rest_words)
            hits[key] = LabelHit(kind, name, value, n, segment, rest, rest_words)
    # Only a word with OCR's capital I or Q in it ('TIf.'), not a 'Mall' read as 'mail'.
    ocr_like = bool(segment.words) and any(ch in "IQ" for ch in segment.words[0].text[1:])
    if (
        ocr_like
        and tokens
        and len(tokens[0]) <= 5
        and not any(h.tokens == 1 for h in hits.values())
    ):
        owner = _confusable_ids().get(fold_confusions(tokens[0]))
        if owner is not None:
            rest, rest_words = _split_rest(segment, 1)
            hits[owner] = LabelHit(*owner, 0.9, 1, segment, rest, rest_words)
    if len(tokens) > 1 and not any(h.tokens == len(tokens) for h in hits.values()):
        for key, hit in _spaced_out(segment, tokens).items():
            if key not in hits or hits[key].tokens < hit.tokens:
                hits[key] = hit
    return sorted(hits.values(), key=lambda h: (-h.score, -h.tokens))


def _spaced_out(segment: Segment, tokens: list[str]) -> dict[tuple[str, str], LabelHit]:
    """A whole segment that is a label with OCR's stray spaces ('CR EDIT N OTE')."""
    compact = "".join(tokens)
    found = process.extractOne(
        compact, _compact_table(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF + 4
    )
    if found is None or len(compact) <= 5:
        return {}
    kind, name = _compact_owners()[found[2]]
    return {(kind, name): LabelHit(kind, name, found[1] / 100.0, len(tokens), segment, "", ())}


@lru_cache(maxsize=1)
def _compact_table() -> list[str]:
    table = _prefix_table()
    return [c.replace(" ", "") for n in sorted(table.choices) for c in table.choices[n]]


@lru_cache(maxsize=1)
def _compact_owners() -> list[tuple[str, str]]:
    table = _prefix_table()
    return [o for n in sorted(table.owners) for o in table.owners[n]]


def match_label_suffix(segment: Segment, kinds: tuple[str, ...] = ("field",)) -> list[LabelHit]:
    """Labels that end the segment, with the value before them ('10-Mar-2023 Payment Due'
    where a value is printed just left of its label). ``rest`` is the text before."""
    table = _prefix_table()
    tokens = segment.norm.split()
    hits: list[LabelHit] = []
    for n in range(min(MAX_LABEL_TOKENS, len(tokens) - 1), 0, -1):
        suffix = " ".join(tokens[-n:])
        found = process.extractOne(
            suffix, table.choices.get(n, []), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        if found is None or found[1] < _min_score(found[0]):
            continue
        kind, name = table.owners[n][found[2]]
        if kind not in kinds:
            continue
        before: list[Word] = []
        count = 0
        for word in reversed(segment.words):
            if count >= n:
                before.insert(0, word)
            count += len(normalise(word.text).split())
        if count - n != sum(len(normalise(w.text).split()) for w in before):
            continue  # the label starts inside a word
        rest = " ".join(w.text for w in before).strip(" :")
        hits.append(
            LabelHit(kind, name, found[1] / 100.0, n, segment, rest, tuple(before), at_end=True)
        )
        break
    return hits


def match_column(segment: Segment, by_leading_words: bool = True) -> tuple[str, float] | None:
    """The line-item column a header cell names ('Unit Price' -> 'unit_price'), if any.
    With ``by_leading_words``, 'Amount (EUR)' is named by its first words."""
    table = _column_table()
    norm = segment.norm
    if norm in table:
        return table[norm], 1.0
    if len(norm) <= 5:
        # Short headers ('Qty', 'ME', '#') only match exactly, or with letters OCR confuses
        # ('Oty'); '%' signs are often apart.
        stripped = norm.replace("%", "").strip()
        if stripped in table:
            return table[stripped], 0.95
        name = _confusable_columns().get(fold_confusions(stripped))
        return (name, 0.9) if name else None
    found = process.extractOne(norm, list(table), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    if found is not None:
        return table[found[0]], found[1] / 100.0
    if not by_leading_words:
        return None
    # 'Amount (EUR)', 'Price excl. VAT': the header's first words name the column.
    tokens = norm.split()
    for n in range(len(tokens) - 1, 0, -1):
        head = " ".join(tokens[:n])
        if head in table and len(head) > 2:
            return table[head], 0.9
    return None
