"""Accents from a second reading of the same line.

The PP-OCR recogniser reads the letters of a line well but now and then drops a
diacritic ('Uslugi' for 'Usługi'), which is enough to spoil a description or a name. The
project's TrOCR, trained on the twelve languages' letters, reads the same line crops; where
both readings spell the same letters and differ only in diacritics, the letter with the
diacritic is kept (``with_accents``) if it belongs to the page's alphabet
(``page_alphabet``): TrOCR now and then adds a diacritic of another language ('Śtockholm'
on a Swedish page, 'Garibaldí' on an Italian one). Everything else (digits, word boxes,
letters read differently) stays as PP-OCR read it.

A word read on one row without the diacritic that the document reads it with more often
elsewhere ('Uslugi' on one row, 'Usługi' on three) is spelled as elsewhere
(``spelled_alike``): repeated descriptions and names, where a reading dropped it once.
Two words that the document reads elsewhere as one ('Sum mit' where a footer reads
'Summit') are one word (``read_apart``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

# The accented letters of the languages written in Latin script that invoices here come in.
ALPHABETS: dict[str, str] = {
    "ca": "àçèéíïòóúü",
    "cs": "áčďéěíňóřšťúůýž",
    "da": "æøåé",
    "de": "äöü",
    "es": "áéíñóúü",
    "et": "äöõüšž",
    "fi": "äöåšž",
    "fr": "àâæçéèêëîïôœùûüÿ",
    "hr": "čćđšž",
    "hu": "áéíóöőúüű",
    "is": "áéíóúýæö",
    "it": "àèéìíîòóùú",
    "lt": "ąčęėįšųūž",
    "lv": "āčēģīķļņšūž",
    "nl": "áéíóúèëïöü",
    "no": "æøåéèêóòô",
    "pl": "ąćęłńóśźż",
    "pt": "áâãàçéêíóôõú",
    "ro": "ăâîșşțţ",
    "sk": "áäčďéíĺľňóôŕšťúýž",
    "sl": "čšž",
    "sv": "åäöé",
    "tr": "çğıöşü",
}

# Letters whose diacritic is part of the letter (no Unicode decomposition).
_BARE = str.maketrans("łŁøØđĐħĦıŀĿ", "lLoOdDhHilL")


def bare(char: str) -> str:
    """``char`` without its diacritics ('ł' -> 'l', 'é' -> 'e'); other characters as they are."""
    decomposed = unicodedata.normalize("NFD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base.translate(_BARE) if len(base) == 1 else char


def accented_letters(texts: Iterable[str]) -> Counter[str]:
    """The letters with diacritics in ``texts``, in lower case, with how often each occurs."""
    return Counter(c.lower() for text in texts for c in text if c.isalpha() and bare(c) != c)


def page_alphabet(texts: Iterable[str]) -> set[str]:
    """The accented letters a page's text may hold: those read in ``texts``, and those that
    every language best explaining them shares (the languages whose alphabets hold the
    most of the letters read). 'ó ś ą' is Polish alone, so 'ł' and 'ź' belong; 'à' may be
    Italian, French, Portuguese or Catalan, which share only 'à' and 'é'; a stray letter
    misread ('ō') changes nothing. Empty where no accented letter was read."""
    read = accented_letters(texts)
    if not read:
        return set()
    covered = {lang: sum(n for c, n in read.items() if c in abc) for lang, abc in ALPHABETS.items()}
    best = max(covered.values())
    shared = [set(abc) for lang, abc in ALPHABETS.items() if best and covered[lang] == best]
    return set(read) | (set.intersection(*shared) if shared else set())


def with_accents(read: str, other: str, alphabet: Collection[str] | None = None) -> str:
    """``read`` with the diacritics of ``other`` where both spell the same letters and the
    only difference is a diacritic one of them lacks ('Uslugi', 'Usługi' -> 'Usługi';
    'księgowa', 'ksiegowa' -> 'księgowa'), and ``alphabet`` (lower case) holds the letter.
    Where the letters differ anywhere, or both carry different diacritics on a letter,
    ``read`` as it is."""
    if len(read) != len(other) or read == other:
        return read
    out = []
    for a, b in zip(read, other, strict=True):
        if a == b:
            out.append(a)
            continue
        base_a, base_b = bare(a), bare(b)
        if base_a != base_b:
            return read
        if base_a == a:  # only the other has a diacritic here
            if alphabet is not None and b.lower() not in alphabet:
                return read
            out.append(b)
        else:
            out.append(a)  # read's own diacritic (or two different ones: read's)
    return "".join(out)


def words_with_accents(
    read: Sequence[str], other: str, alphabet: Collection[str] | None = None
) -> list[str]:
    """A line's words as ``read``, each with the diacritics of the same word in ``other``
    (another reading of the line) by ``with_accents``; where the two readings hold
    different numbers of words, ``read`` as it is."""
    tokens = other.split()
    if len(tokens) != len(read):
        return list(read)
    return [with_accents(a, b, alphabet) for a, b in zip(read, tokens, strict=True)]


# Words this long or longer are spelled alike across a document; shorter ones are too
# often two words ('a' and 'à', 'si' and 'sí').
MIN_ALIKE = 4
_WORD = re.compile(rf"[^\W\d_]{{{MIN_ALIKE},}}")


def spelled_alike(texts: Sequence[str], alphabet: Collection[str]) -> list[str]:
    """``texts`` (a document's readings) with each word of ``MIN_ALIKE`` letters or more
    spelled as the document spells it elsewhere with diacritics it lacks, where it does so
    more often and only with letters of ``alphabet`` (lower case): 'Uslugi' on one row and
    'Usługi' on two others -> 'Usługi' on all three; 'Danışmanlik' once and 'Danışmanlık'
    twice -> 'Danışmanlık'. A word with a diacritic the other spelling lacks, or a
    different one, stays as it is."""
    counts = Counter(w for text in texts for w in _WORD.findall(text))
    spellings: dict[str, list[str]] = {}  # a word's letters bare -> its spellings, most read first
    for word, _ in counts.most_common():
        spellings.setdefault("".join(map(bare, word)), []).append(word)
    accented: dict[str, str] = {}
    for first, *others in (s for s in spellings.values() if len(s) > 1):
        for word in others:
            if counts[first] > counts[word] and with_accents(word, first, alphabet) == first:
                accented[word] = first
    if not accented:
        return list(texts)
    return [_WORD.sub(lambda m: accented.get(m.group(), m.group()), text) for text in texts]


# Currency signs written with a '$': 'US$', 'A$', 'NZ$', in brackets or not.
_DOLLAR_SIGN = re.compile(r"\W*[A-Z]{0,3}\$\W*")


def s_for_dollar(word: str, alphabet: Collection[str]) -> str:
    """A word of letters with a '$' in it has an S read as the sign ('A.$.', '$ti.'), most
    often one with a cedilla: 'Ş' where ``alphabet`` (lower case) holds 'ş', else 'S'.
    Words with a digit ('$120') and currency signs ('US$', '(A$)') stay as they are."""
    if (
        "$" not in word
        or not any(c.isalpha() for c in word)
        or any(c.isdigit() for c in word)
        or _DOLLAR_SIGN.fullmatch(word)
    ):
        return word
    return word.replace("$", "Ş" if "ş" in alphabet else "S")


# A word of MIN_ALIKE letters or more starting with a small 'i' ('ile' and 'ise' are
# shorter).
_LOWER_I_WORD = re.compile(rf"\W*i[^\W\d_]{{{MIN_ALIKE - 1},}}\W*")


def _capitalised(word: str) -> bool:
    first = next((c for c in word if c.isalpha()), "")
    return first.isupper()


def dotted_capital_i(words: Sequence[str]) -> list[str]:
    """A Turkish line's words with 'i' for a capital 'İ' spelled 'İ' ('istanbul' ->
    'İstanbul'): PP-OCR reads the dotted capital as a small 'i'. Only where every other
    word of the line with letters starts with a capital ('34430 istanbul', 'istiklal
    Caddesi No: 117'), so that the line's words are names, and of ``MIN_ALIKE`` letters or
    more: 'Kargo ile Teslimat' stays."""
    out = list(words)
    lettered = [k for k, w in enumerate(words) if any(c.isalpha() for c in w)]
    for k in lettered:
        if _LOWER_I_WORD.fullmatch(words[k]) and all(
            _capitalised(words[j]) for j in lettered if j != k
        ):
            out[k] = words[k].replace("i", "İ", 1)
    return out


# read_apart: two words are joined where, together, they have at least this many letters.
MIN_JOINED = 5
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def read_apart(texts: Sequence[str], pairs: Iterable[int]) -> set[int]:
    """Of ``pairs`` (indices k into ``texts``, a document's words in reading order, whose
    word and the next stand side by side on one line), those the recogniser read apart
    from one word: 'Sum mit' for 'Summit', 'Lum en' for 'Lumen' (PP-OCR puts a space
    after a wide letter in a large bold name now and then). Both are letters only, the
    second starts with a small one, together they have ``MIN_JOINED`` letters or more and
    are a word the document reads elsewhere ('Summit' in a footer, 'lumen' in
    'billing@lumen.example'), and the first is read nowhere as a word of its own but
    before the second (a name's 'Sum' and 'mit' are not words of the document)."""
    runs = Counter(run.lower() for text in texts for run in _LETTER_RUN.findall(text))
    tokens = Counter(text.strip(".,:;()").lower() for text in texts)
    candidates = [
        k
        for k in pairs
        if texts[k].isalpha()
        and texts[k + 1].isalpha()
        and texts[k + 1][0].islower()
        and len(texts[k]) + len(texts[k + 1]) >= MIN_JOINED
    ]
    together = Counter((texts[k].lower(), texts[k + 1].lower()) for k in candidates)
    return {
        k
        for k in candidates
        if runs[(texts[k] + texts[k + 1]).lower()] > 0
        and tokens[texts[k].lower()] == together[texts[k].lower(), texts[k + 1].lower()]
    }
