"""One page image in, words with normalised boxes out.

A photographed sheet is straightened (unless the text runs into the outline found: then
the photo is read whole) and the page deskewed (projection profiles); if its text lines
show it is turned (taller than wide, or upside down by the line classifier) it is turned
upright, and then read. If the lines it was read in still show a perspective (a sheet
whose edges were not found), it is straightened by them and read again. Boxes are on the
upright, deskewed page.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from invoice_extract.document import Word, glued_amount, glued_number
from invoice_extract.errors import ModelUnavailable
from invoice_extract.ocr import ppocr
from invoice_extract.ocr.accents import dotted_capital_i, page_alphabet, words_with_accents
from invoice_extract.preprocess import (
    MIN_SKEW,
    bands_beyond,
    blank_columns,
    blank_runs,
    deskew,
    deskew_matrix,
    despeckle,
    dewarp,
    fade_colour,
    page_quad,
    rotate_quarter,
    skew_angle,
    text_quad,
)
from invoice_extract.schema import BBox

# A read line or word: text, confidence, quadrilateral on the page, for a line where its
# words lie (``word_spans``; None: by character positions), its spelling with the
# diacritics the recogniser weighed (ppocr's ``SecondChoices``; else its text), and the
# index of its text line.
Found = tuple[str, float, np.ndarray, list[tuple[float, float]] | None, str, int]

PROBE_SIDE = 1280  # detection for orientation and skew runs on a downscaled copy
MIN_LINE_CONFIDENCE = 0.5


@dataclass
class OcrPage:
    words: list[Word]
    width: int  # pixels of the upright, deskewed page
    height: int
    image: np.ndarray = field(repr=False)
    notes: list[str] = field(default_factory=list)
    # Seconds per stage: preprocess, detect, recognise, orient.
    timings: dict[str, float] = field(default_factory=dict)


def _downscale(image: np.ndarray, side: int) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    scale = min(1.0, side / max(h, w))
    if scale == 1.0:
        return image
    return cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)


def _deskewed(image: np.ndarray, notes: list[str]) -> tuple[np.ndarray, float]:
    """The page deskewed, and the angle it was turned by (0 where it was level)."""
    probe = _downscale(image, PROBE_SIDE)
    angle = skew_angle(probe)
    if abs(angle) < MIN_SKEW:
        return image, 0.0
    notes.append(f"deskewed by {angle:.1f}°")
    return deskew(image, angle), angle


CUT_EDGE = 0.005  # _cut_through: a word this near (share of the page) runs into its edge
CUT_LINES = 3  # _cut_through: this many such lines, and the page was cut through its text
BEYOND_LETTERS = 8  # _runs_on: letters and digits of a line read surely there: the sheet's text


def _sure_lines(found: list[Found]) -> dict[int, int]:
    """The lines read surely (confidence 0.8 on average), with how many letters and digits
    each holds."""
    letters: defaultdict[int, int] = defaultdict(int)
    sure: defaultdict[int, list[float]] = defaultdict(list)
    for text, conf, *_, line in found:
        letters[line] += sum(c.isalnum() for c in text)
        sure[line].append(conf)
    return {n: k for n, k in letters.items() if np.mean(sure[n]) >= 0.8}


def _cut_through(found: list[Found], sheet: tuple[int, int], angle: float) -> bool:
    """Whether ``CUT_LINES`` lines or more read surely, of three letters or digits, run into
    the left or right edge of the straightened sheet (of ``sheet``'s shape, then deskewed
    by ``angle``, as read): a sheet keeps its printed margins, so its outline was not the
    sheet's. (A strip of desk left at the edge holds text lines too, but the grain reads as
    no such line.) Judged on the sheet as it was before deskewing, whose edges are the
    outline's: turned, they stand off the canvas's edges by up to sin(angle) of its height
    (40 pixels on a sheet turned 1.4°). By lines, not words: the word cut at the edge reads
    less surely than the rest of its line ('ients' at 0.5 before 'réseau sur site' at 1.0),
    or is short ('+30' cut to '30')."""
    import cv2

    back = cv2.invertAffineTransform(deskew_matrix(sheet, angle)[0])
    width = sheet[1]
    near = CUT_EDGE * width
    touching = set()
    for _, conf, quad, *_, line in found:
        x = quad @ back[0, :2] + back[0, 2]
        if conf >= MIN_LINE_CONFIDENCE and (x.min() <= near or x.max() >= width - near):
            touching.add(line)
    sure = _sure_lines(found)
    return sum(sure.get(n, 0) >= 3 for n in touching) >= CUT_LINES


def quarter_turns(
    image: np.ndarray, quads: list[np.ndarray], runtime: ppocr.Runtime = "openvino"
) -> int:
    """How many counter-clockwise quarter turns make the page upright, judged from its own
    text-line boxes (lines, not words: a lone digit is taller than wide on any page). Mostly
    taller than wide means a quarter turn, and the line classifier tells which way; mostly
    upside down by the classifier means a half turn. (``runtime``: that of the engine
    that reads the page, whose detector and classifier these are.)"""
    if not quads:
        return 0
    tall = sum(np.linalg.norm(q[3] - q[0]) > 1.5 * np.linalg.norm(q[1] - q[0]) for q in quads)
    if tall > len(quads) / 2:
        probe = _downscale(image, PROBE_SIDE)
        best: tuple[int, int] | None = None
        for k in (1, 3):
            turned = rotate_quarter(probe, k)
            lines = ppocr.detect_lines(turned, runtime)
            crops = [ppocr.crop_line(turned, q) for q in lines[:30]]
            score = len(crops) - 2 * sum(a == 180 for a, _ in ppocr.line_angles(crops, runtime))
            if best is None or score > best[0]:
                best = (score, k)
        assert best is not None
        return best[1]
    sample = [ppocr.crop_line(image, q) for q in quads[:30]]
    upside_down = sum(a == 180 for a, _ in ppocr.line_angles(sample, runtime))
    return 2 if upside_down > len(sample) / 2 else 0


def _bbox(quad: np.ndarray, w: int, h: int) -> BBox:
    xs, ys = quad[:, 0], quad[:, 1]
    return (
        float(np.clip(xs.min() / w, 0, 1)),
        float(np.clip(ys.min() / h, 0, 1)),
        float(np.clip(xs.max() / w, 0, 1)),
        float(np.clip(ys.max() / h, 0, 1)),
    )


GAP_REWARD = 8.0  # word_spans: worth of a blank gap as wide as half the line's height


def _aligned_cuts(
    gaps: Sequence[tuple[int, int, int]], tokens: Sequence[str], first: int, last: int, h: int
) -> dict[int, tuple[int, int]] | None:
    """The blank gaps (width, first column, end) that best separate ``tokens``: in reading
    order, one after each word but the last, chosen so that each word's ink is as wide as
    its characters make it and the gaps are wide. None where there are too few gaps."""
    n = len(tokens)
    if n == 1:
        return {}
    # The widest few, in reading order: the word gaps are among them.
    cands = sorted(sorted(gaps, reverse=True)[: 3 * n + 5], key=lambda g: g[1])
    m = len(cands)
    if m < n - 1:
        return None
    # starts: where the word before a gap ends; ends: where the word after it starts
    widths, starts, ends = np.array(cands, np.float64).T
    inked = last - first - np.sort(widths)[::-1][: n - 1].sum()
    char = max(1.0, inked / sum(len(t) for t in tokens))

    def misfit(k: int, width: np.ndarray) -> np.ndarray:
        fit = np.log(np.maximum(width, 0) + char) - np.log((len(tokens[k]) + 1) * char)
        return np.asarray(np.abs(fit))

    reward = GAP_REWARD * np.minimum(widths / h, 0.5)
    # cost[j]: the best placing of the words so far with the last one ending at gap j
    cost = misfit(0, starts - first) - reward
    back = []
    span = starts[None, :] - ends[:, None]  # a word from after gap i to before gap j
    later = np.triu(np.ones((m, m), bool), 1)
    for k in range(1, n - 1):
        total = np.where(later, cost[:, None] + misfit(k, span), np.inf)
        back.append(total.argmin(axis=0))
        cost = total.min(axis=0) - reward
    j = int((cost + misfit(n - 1, last - ends)).argmin())
    chosen = [j]
    for step in reversed(back):
        j = int(step[j])
        chosen.append(j)
    chosen.reverse()  # m >= n - 1: some placing is feasible, so the best one is finite
    return {k: (cands[j][1], cands[j][2]) for k, j in enumerate(chosen)}


def word_spans(crop: np.ndarray, tokens: Sequence[str]) -> list[tuple[float, float]] | None:
    """Where a line's words (``tokens``, as read) lie along its crop, as fractions of the
    crop's width; None for a crop with no ink or an upright one.

    Each word is the ink between two of the line's blank gaps, the gaps chosen so that
    the words' widths fit their lengths in characters and the gaps are wide
    (``_aligned_cuts``). Where the line has fewer gaps than word boundaries (words read
    apart whose ink touches), only the gaps between columns (wider than 0.6 of the line's
    height) are used, each at the word boundary nearest it by character position, and the
    words between two such gaps share their ink by character counts."""
    h, w = crop.shape[:2]
    n = len(tokens)
    if n < 1 or w <= h:  # an upright crop of a vertical line: no columns to read
        return None
    blank = blank_columns(crop)
    ink = np.flatnonzero(~blank)
    if ink.size == 0:
        return None
    first, last = int(ink[0]), int(ink[-1]) + 1
    # (width, first column, end) of each gap inside the ink
    gaps = [(b - a, a, b) for a, b in blank_runs(blank) if first < a and b < last]
    cuts = _aligned_cuts(gaps, tokens, first, last, h)
    if cuts is None:
        cuts = {}
        total = len(" ".join(tokens))
        ends = np.cumsum([len(t) + 1 for t in tokens]) - 0.5  # just after each word
        following = 0
        for _, a, b in sorted((g for g in gaps if g[0] > 0.6 * h), key=lambda g: g[1]):
            if following >= n - 1:
                break
            at = (a + b) / 2
            k = min(
                range(following, n - 1),
                key=lambda i: abs(first + (last - first) * ends[i] / total - at),
            )
            cuts[k], following = (a, b), k + 1
    spans: list[tuple[float, float]] = []
    group_start, group = first, []
    for k, token in enumerate(tokens):
        group.append(token)
        if k in cuts or k == n - 1:
            group_end = cuts[k][0] if k in cuts else last
            length, at = len(" ".join(group)), 0
            for word in group:
                left = group_start + (group_end - group_start) * at / length
                right = group_start + (group_end - group_start) * (at + len(word)) / length
                spans.append((left / w, right / w))
                at += len(word) + 1
            group_start = cuts[k][1] if k in cuts else last
            group = []
    return spans


def split_words(
    text: str,
    confidence: float,
    bbox: BBox,
    page: int,
    spans: list[tuple[float, float]] | None = None,
) -> list[Word]:
    """A recognised line's words (for recognisers that give no per-word boxes), with boxes
    from ``spans`` (``word_spans``: fractions of the line's width, one per word) where they
    are given, else dividing the line by character positions."""
    x0, y0, x1, y1 = bbox
    tokens = text.split()
    if spans is not None and len(spans) == len(tokens):
        return [
            Word(token, (x0 + (x1 - x0) * a, y0, x0 + (x1 - x0) * b, y1), page, confidence)
            for token, (a, b) in zip(tokens, spans, strict=True)
        ]
    n = max(1, len(text))
    words = []
    start = 0
    for token in text.split(" "):
        if token:
            a = x0 + (x1 - x0) * start / n
            b = x0 + (x1 - x0) * (start + len(token)) / n
            words.append(Word(token, (a, y0, b, y1), page, confidence))
        start += len(token) + 1
    return words


def _weighed(text: str, spelled: str, alphabet: set[str]) -> bool:
    """Whether the recogniser weighed a letter of ``alphabet`` where it read ``text``'s
    bare letter (``spelled``, its spelling with those letters)."""
    return len(text) == len(spelled) and any(
        a != b and b.lower() in alphabet for a, b in zip(text, spelled, strict=True)
    )


def _with_dotted_capitals(found: list[Found]) -> list[Found]:
    """``found`` with each line's words spelled by ``accents.dotted_capital_i``."""
    by_line: defaultdict[int, list[int]] = defaultdict(list)
    for k, (*_, line) in enumerate(found):
        by_line[line].append(k)
    out = list(found)
    for ks in by_line.values():
        for k, text in zip(ks, dotted_capital_i([found[k][0] for k in ks]), strict=True):
            if text != found[k][0]:
                out[k] = (text, *found[k][1:])
    return out


class OcrEngine:
    """Detect and read a page image with the named recogniser (see ``load_recognizer``)."""

    def __init__(
        self,
        recognizer: str = "ppocr",
        model: str | None = None,
        orient: bool = True,
        straighten: bool = True,
        deskew: bool = True,
        despeckle: bool = False,
        fade_colour: bool = True,
        accents: bool = True,
        runtime: ppocr.Runtime = "openvino",
    ) -> None:
        from invoice_extract.ocr import load_recognizer

        self.recognizer = load_recognizer(recognizer, model, runtime)
        self.model, self.runtime = model, runtime
        self.orient, self.straighten, self.deskew = orient, straighten, deskew
        self.despeckle, self.fade_colour = despeckle, fade_colour
        self.accents = accents and recognizer == "ppocr"

    def read(self, image: np.ndarray, page: int) -> OcrPage:
        notes: list[str] = []
        timings: defaultdict[str, float] = defaultdict(float)
        t0 = time.perf_counter()
        photo = image
        sheet = page_quad(image) if self.straighten else None
        if sheet is not None:
            image = dewarp(image, sheet)
        straightened = image.shape[:2]
        image, angle = self._cleaned(image, notes)
        timings["preprocess"] += time.perf_counter() - t0
        # The page is read once it is upright; until then its text lines (found again for
        # free when it is read: ``ppocr.LastDetection``) tell how to turn it. A
        # photographed sheet's outline is judged on a reading.
        read: tuple[list[Found], list[np.ndarray]] | None = None
        if sheet is not None:
            read = self._read(image, timings)
            if _cut_through(read[0], straightened, angle) or self._runs_on(
                photo, sheet, read[1], timings
            ):
                # Not the sheet's outline (its shadowed side as light as the desk): the
                # text runs on past it. Read the photo whole; its text lines straighten it.
                t0 = time.perf_counter()
                notes[:] = ["an outline found on the photo cut through the text: not straightened"]
                image, _ = self._cleaned(photo, notes)
                timings["preprocess"] += time.perf_counter() - t0
                read = None
            else:
                notes.insert(0, "straightened a photographed sheet")
        turns = 0
        if self.orient:
            lines = read[1] if read is not None else self._detect(image, timings)
            t1 = time.perf_counter()
            turns = quarter_turns(image, lines, self.runtime)
            timings["orient"] += time.perf_counter() - t1
        if turns:
            t2 = time.perf_counter()
            image = rotate_quarter(image, turns)
            notes.append(f"turned upright by {90 * turns}°")
            if self.deskew:
                image, _ = _deskewed(image, notes)
            timings["preprocess"] += time.perf_counter() - t2
            read = None
        found, lines_found = read if read is not None else self._read(image, timings)
        # A photographed sheet whose edges were not found (paper on a light desk, a band
        # printed to its edge) is straightened by the lines it was read in (those of
        # noise are not read), and read again.
        t3 = time.perf_counter()
        by_lines = text_quad(lines_found, image.shape[:2]) if self.straighten else None
        if by_lines is not None:
            image = dewarp(image, by_lines)
            notes.append("straightened by its text lines")
        timings["preprocess"] += time.perf_counter() - t3
        if by_lines is not None:
            found, lines_found = self._read(image, timings)
        alphabet = page_alphabet(f[0] for f in found) if self.accents else set()
        if alphabet:
            t4 = time.perf_counter()
            try:
                found = self._with_accents(image, found, lines_found, alphabet)
            except ModelUnavailable as exc:  # a trocr_model that cannot load here
                self.accents = False
                notes.append(f"diacritics not checked from now on: {exc}")
            timings["accents"] += time.perf_counter() - t4
        if "ı" in alphabet:  # Turkish: PP-OCR reads 'İstanbul' as 'istanbul'
            found = _with_dotted_capitals(found)
        h, w = image.shape[:2]
        words: list[Word] = []
        for text, conf, quad, spans, _, _ in found:
            bbox = _bbox(quad, w, h)
            if self.recognizer.name == "ppocr":
                glued = glued_amount(text) or glued_number(text)
                if glued is None:
                    words.append(Word(text, bbox, page, conf))
                else:  # 'Tutar118.044,49', '0,5Beratungsleistung': two words, two boxes
                    words.extend(split_words(f"{text[:glued]} {text[glued:]}", conf, bbox, page))
            else:
                words.extend(split_words(text, conf, bbox, page, spans))
        return OcrPage(words, width=w, height=h, image=image, notes=notes, timings=dict(timings))

    def _runs_on(
        self,
        photo: np.ndarray,
        sheet: np.ndarray,
        lines: list[np.ndarray],
        timings: defaultdict[str, float],
    ) -> bool:
        """Whether the sheet's text runs on beyond a side of its outline: a line read
        surely, of ``BEYOND_LETTERS`` letters or digits, in the photo between that side and
        the frame. A shadow across the sheet as dark as a light desk ends the outline where
        it falls, across the text; the edge of the sheet has desk beyond it. To the frame,
        not a few lines: below a shadow that fell across a blank part of the page (a
        stamp's four letters), the footer's lines came 20 line heights on. Left and right
        too: a shadow down a table's blank column between descriptions and quantities
        ended the outline there, where no line ran into its edge (``_cut_through``)."""
        if not lines:
            return False
        height = float(np.median([np.linalg.norm(q[3] - q[0]) for q in lines]))
        for band in bands_beyond(sheet, photo.shape[:2], least=height):
            found, _ = self._read(dewarp(photo, band), timings)
            if any(k >= BEYOND_LETTERS for k in _sure_lines(found).values()):
                return True
        return False

    def _cleaned(self, image: np.ndarray, notes: list[str]) -> tuple[np.ndarray, float]:
        """Deskewed and despeckled, as configured, and the angle it was turned by."""
        angle = 0.0
        if self.deskew:
            image, angle = _deskewed(image, notes)
        return (despeckle(image) if self.despeckle else image), angle

    def _with_accents(
        self, image: np.ndarray, words: list[Found], lines: list[np.ndarray], alphabet: set[str]
    ) -> list[Found]:
        """PP-OCR's words with the diacritics it dropped ('Uslugi' for 'Usługi'), read
        again by the project's TrOCR on the same line crops (``accents.with_accents``):
        only letters of the page's ``alphabet`` (``accents.page_alphabet``), on the lines
        where PP-OCR weighed one of them for a bare letter it read (``SecondChoices``; under
        a tenth of the lines with a bare letter). A line whose two readings have different
        word counts stays as read (``accents.words_with_accents``)."""
        from invoice_extract.ocr import load_recognizer

        by_line: defaultdict[int, list[int]] = defaultdict(list)
        for k, (*_, line) in enumerate(words):
            by_line[line].append(k)
        wanted = [
            i
            for i, ks in by_line.items()
            if i < len(lines) and any(_weighed(words[k][0], words[k][4], alphabet) for k in ks)
        ]
        if not wanted:
            return words
        crops = [ppocr.crop_line(image, lines[i]) for i in wanted]
        if self.fade_colour:
            crops = [fade_colour(c) for c in crops]
        reads = load_recognizer("trocr", self.model).recognise(crops)
        out = list(words)
        for i, (text, _) in zip(wanted, reads, strict=True):
            tokens = words_with_accents([out[k][0] for k in by_line[i]], text, alphabet)
            for k, token in zip(by_line[i], tokens, strict=True):
                out[k] = (token, *out[k][1:])
        return out

    def _detect(self, image: np.ndarray, timings: defaultdict[str, float]) -> list[np.ndarray]:
        """The page's text lines (quadrilaterals), unread."""
        t0 = time.perf_counter()
        quads = ppocr.detect_lines(image, self.runtime)
        timings["detect"] += time.perf_counter() - t0
        return quads

    def _read(
        self, image: np.ndarray, timings: defaultdict[str, float]
    ) -> tuple[list[Found], list[np.ndarray]]:
        """Words (ppocr reads a page in one pass, with per-word boxes) or lines (other
        recognisers, on the detector's line crops, with where their words lie), each with
        its quadrilateral; and the text lines' quadrilaterals, which tell the page's
        orientation. Adds the seconds spent detecting and recognising to ``timings``."""
        if self.recognizer.name == "ppocr":
            words, lines, seconds = ppocr.read_page(image, self.fade_colour, self.runtime)
            for stage, spent in seconds.items():
                timings[stage] += spent
            return [(t, conf, quad, None, alt, line) for t, conf, quad, line, alt in words], lines
        t0 = time.perf_counter()
        quads = ppocr.detect_lines(image, self.runtime)
        t1 = time.perf_counter()
        crops = [ppocr.crop_line(image, q) for q in quads]
        if self.fade_colour:
            crops = [fade_colour(c) for c in crops]
        found: list[Found] = [
            (text, conf, quad, word_spans(crop, text.split()), text, i)
            for i, (quad, crop, (text, conf)) in enumerate(
                zip(quads, crops, self.recognizer.recognise(crops), strict=True)
            )
            if text.strip() and conf >= MIN_LINE_CONFIDENCE
        ]
        timings["detect"] += t1 - t0
        timings["recognise"] += time.perf_counter() - t1
        return found, quads
