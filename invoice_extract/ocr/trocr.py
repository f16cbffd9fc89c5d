"""TrOCR: transformers' VisionEncoderDecoderModel reading text-line crops.

This backend's default model is the project's own, shipped in the package
(``models/trocr-invoice``: a ViT encoder over line-shaped input and a small TrOCR decoder,
trained by ``invoice_extract.ocr.train``; its README is the model card). Any other TrOCR loads with
``from_pretrained`` from a hub id (``microsoft/trocr-base-printed``) or a local directory;
transformers honours ``HF_HUB_OFFLINE``. Weights that cannot be found raise
:class:`ModelUnavailable` naming the model and how to supply it. Batched generation, greedy
or beam search; bf16 on a GPU where present, fp32 on the CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from invoice_extract.errors import ModelUnavailable
from invoice_extract.preprocess import blank_columns, blank_runs

# The model shipped with the package: loads offline, with no download.
DEFAULT_TROCR_MODEL = str(Path(__file__).resolve().parent.parent / "models" / "trocr-invoice")


def fit_line(crop: np.ndarray, height: int, width: int) -> Image.Image:
    """A line crop scaled to ``height`` keeping its aspect (squeezed only where it would be
    wider than ``width``) and padded on the right with its own background to ``width``.
    Light text on a dark ground (a shaded table header) is inverted to dark on light, the
    way the model was trained."""
    gray = Image.fromarray(crop).convert("L")
    if np.median(np.asarray(gray)) < 128:
        gray = ImageOps.invert(gray)
    w = max(1, min(width, round(gray.width * height / max(1, gray.height))))
    line = gray.resize((w, height), Image.Resampling.BILINEAR)
    background = int(np.percentile(np.asarray(line), 90))
    canvas = Image.new("L", (width, height), background)
    canvas.paste(line, (0, 0))
    return canvas.convert("RGB")


# Lines wider than this share of the model's input aspect are read in pieces (1.0: every
# line that fitting would squeeze).
LONG_LINE_FILL = 1.0


def split_wide(crop: np.ndarray, max_aspect: float) -> list[tuple[np.ndarray, bool]]:
    """A line crop wider than ``max_aspect`` times its height cut into pieces that are not,
    each cut in the widest ink-free gap in the last three quarters of the piece (between
    words where there is one), or straight at the limit where there is none. With each
    piece: whether a word gap (wider than a fifth of the line's height) comes before it.
    Pieces without ink are left out.
    Fitting a long line whole would squeeze its letters together (an IBAN line in a
    footer, read as 'GB97NVER' for 'GB97NWBK')."""
    h, w = crop.shape[:2]
    limit = max(1, int(max_aspect * h))
    if w <= limit:
        return [(crop, False)]
    blank = blank_columns(crop)
    runs = blank_runs(blank)
    pieces: list[tuple[int, int, bool]] = []  # first and end column, word gap before it
    start, spaced = 0, False
    while w - start > limit:
        best: tuple[int, int] | None = None  # (gap width, cut column)
        window = start + limit // 4
        for a, b in runs:  # the gaps in the window's last three quarters, widest (last) wins
            a = max(a, window)
            if a < b and a < start + limit and (best is None or b - a >= best[0]):
                best = (b - a, min((a + b) // 2, start + limit))
        cut = best[1] if best else start + limit
        pieces.append((start, cut, spaced))
        start, spaced = cut, best is not None and best[0] > h / 5
    pieces.append((start, w, spaced))
    # A piece with no ink (the margin left after the last word) is not read: a model asked
    # to read nothing makes something up.
    return [(crop[:, a:b], sp) for a, b, sp in pieces if not blank[a:b].all()]


class TrocrRecognizer:
    name = "trocr"

    def __init__(
        self,
        model: str = DEFAULT_TROCR_MODEL,
        device: str | None = None,
        num_beams: int = 1,
        batch_size: int = 32,
        max_new_tokens: int = 64,
    ) -> None:
        import torch
        from transformers import TrOCRProcessor, VisionEncoderDecoderModel
        from transformers.utils import logging as hf_logging

        # No "Loading weights" progress bar on stderr for each process that loads the model
        # (a batch run's output stays readable); the caller's setting is restored after.
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            self.processor: Any = TrOCRProcessor.from_pretrained(model)
            self.model: Any = VisionEncoderDecoderModel.from_pretrained(model)
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(
                model,
                f"TrOCR weights could not be loaded ({exc}). Without network access (or with "
                "HF_HUB_OFFLINE=1) pass a local directory holding the model and its processor "
                "with --trocr-model DIR (PipelineConfig.trocr_model), or download it once "
                f"where the hub is reachable: huggingface-cli download {model}",
            ) from exc
        finally:
            if bar:
                hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        move: Any = self.model.to  # transformers' own typing of .to() confuses mypy
        self.model = move(device=self.device, dtype=self.dtype).eval()
        size = self.processor.image_processor.size
        # A model trained on line-shaped input (wider than tall) gets lines fitted to it
        # with their aspect kept; square-input models (the hub's) get the processor's resize.
        self.line_shape: tuple[int, int] | None = (
            (size["height"], size["width"])
            if size.get("width", 0) > size.get("height", 0)
            else None
        )
        self.num_beams = num_beams
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens

    def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence per crop, in input order (``read_lines``)."""
        return [(text, confidence) for text, confidence, _ in self.read_lines(crops)]

    def read_lines(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float, float]]:
        """Text, confidence and the probability of the least sure character per crop, in
        input order. A line-shaped model reads lines too long for its input in pieces
        (``split_wide``), joined again; the line's confidence is its least confident
        piece's."""
        if not self.line_shape:
            return self._read(crops)
        height, width = self.line_shape
        pieces: list[tuple[np.ndarray, bool]] = []
        owners: list[int] = []
        for i, crop in enumerate(crops):
            for piece in split_wide(crop, LONG_LINE_FILL * width / height):
                pieces.append(piece)
                owners.append(i)
        texts = [""] * len(crops)
        confidences: list[list[float]] = [[] for _ in crops]
        least = [1.0] * len(crops)
        read = self._read([piece for piece, _ in pieces])
        for i, (_, spaced), (text, confidence, low) in zip(owners, pieces, read, strict=True):
            texts[i] += (" " if spaced and texts[i] and text else "") + text
            confidences[i].append(confidence)
            least[i] = min(least[i], low)
        return [
            (t, min(c, default=0.0), low if c else 0.0)
            for t, c, low in zip(texts, confidences, least, strict=True)
        ]

    def _pixels(self, crops: Sequence[np.ndarray]) -> Any:
        """The model's input tensor for ``crops``. Lines fitted to a line-shaped model's
        input need no resizing, so they are rescaled and normalised here with the
        processor's own settings: the same numbers as the processor gives, in under half
        the time (on a GPU, preparing the lines is a large part of a batch's time)."""
        import torch

        if not self.line_shape:
            images = [Image.fromarray(c).convert("RGB") for c in crops]
            return self.processor(images=images, return_tensors="pt").pixel_values
        ip = self.processor.image_processor
        lines = [np.asarray(fit_line(c, *self.line_shape).convert("L")) for c in crops]
        grey = np.stack(lines)
        scaled = grey.astype(np.float32) * np.float32(ip.rescale_factor if ip.do_rescale else 1)
        channels = [scaled] * 3
        if ip.do_normalize:
            mean, std = ip.image_mean, ip.image_std
            channels = [
                (scaled - np.float32(m)) / np.float32(d) for m, d in zip(mean, std, strict=True)
            ]
        return torch.from_numpy(np.stack(channels, axis=1))

    def _read(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float, float]]:
        import torch

        # Batches of similar aspect ratio (so similar length): generation runs until the
        # longest line of a batch ends, so mixing short and long lines wastes steps.
        order = sorted(
            range(len(crops)), key=lambda i: crops[i].shape[1] / max(1, crops[i].shape[0])
        )
        results: list[tuple[str, float, float]] = []
        for start in range(0, len(order), self.batch_size):
            chunk = [crops[i] for i in order[start : start + self.batch_size]]
            pixels = self._pixels(chunk)
            with torch.inference_mode():
                out = self.model.generate(
                    pixels.to(self.device, dtype=self.dtype),
                    num_beams=self.num_beams,
                    max_new_tokens=self.max_new_tokens,
                    output_scores=True,
                    return_dict_in_generate=True,
                )
                steps = self.model.compute_transition_scores(
                    out.sequences,
                    out.scores,
                    getattr(out, "beam_indices", None),
                    normalize_logits=self.num_beams == 1,
                )
            texts = self.processor.batch_decode(out.sequences, skip_special_tokens=True)
            pad = self.model.generation_config.pad_token_id
            generated = out.sequences[:, -steps.shape[1] :]
            for text, logp, tokens in zip(texts, steps.float(), generated, strict=True):
                mask = (
                    tokens != pad if pad is not None else torch.ones_like(tokens, dtype=torch.bool)
                )
                # The line's confidence: the geometric mean of its token probabilities;
                # and its least sure token's probability.
                kept = logp[mask] if mask.any() else torch.tensor([float("-inf")])
                mean, low = torch.exp(kept.mean()), torch.exp(kept.min())
                results.append((text.strip(), float(mean.clamp(0, 1)), float(low.clamp(0, 1))))
        in_order: list[tuple[str, float, float]] = [("", 0.0, 0.0)] * len(crops)
        for i, result in zip(order, results, strict=True):
            in_order[i] = result
        return in_order
