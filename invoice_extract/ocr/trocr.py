"""TrOCR: transformers' VisionEncoderDecoderModel reading text-line crops.

This backend's default model is the project's own, shipped in the package
(``models/trocr-invoice``: a ViT encoder over line-shaped input and a small TrOCR decoder,
trained by ``invoice_extract.ocr.train``; its README is the model card). Any other TrOCR loads with
``from_pretrained`` from a hub id (``microsoft/trocr-base-printed``) or a local directory;
transformers honours ``HF_HUB_OFFLINE``. Weights that cannot be found raise
:class:`ModelUnavailable` naming the model and how to supply it. Batched generation, greedy
(through :class:`GreedyDecoder`'s lean loop where the decoder is TrOCR's) or beam search;
bf16 on a GPU where present, fp32 on the CPU.
"""

from __future__ import annotations

import math
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
    """A line crop fitted to a line-shaped model's input (``fit_grey``) as an RGB image."""
    return Image.fromarray(fit_grey(crop, height, width)).convert("RGB")


def fit_grey(crop: np.ndarray, height: int, width: int) -> np.ndarray:
    """A line crop in grey, scaled to ``height`` keeping its aspect (squeezed only where it
    would be wider than ``width``) and padded on the right with its own background to
    ``width``: a ``(height, width)`` uint8 array. Light text on a dark ground (a shaded
    table header) is inverted to dark on light, the way the model was trained."""
    grey = Image.fromarray(crop).convert("L")
    if _quantile(np.asarray(grey), 0.5) < 128:
        grey = ImageOps.invert(grey)
    w = max(1, min(width, round(grey.width * height / max(1, grey.height))))
    line = np.asarray(grey.resize((w, height), Image.Resampling.BILINEAR))
    fitted = np.full((height, width), int(_quantile(line, 0.9)), np.uint8)
    fitted[:, :w] = line
    return fitted


def _quantile(pixels: np.ndarray, q: float) -> float:
    """``np.quantile(pixels, q)`` of a uint8 array (linear between the two order
    statistics, as numpy computes it) from its histogram: the same number in a third of
    the time, which counts when every line of a page is fitted."""
    counts = np.cumsum(np.bincount(pixels.ravel(), minlength=256))
    n = int(counts[-1])
    index = (n - 1) * q  # numpy's virtual index for its 'linear' method
    below = math.floor(index)
    gamma = index - below
    a, b = np.searchsorted(counts, [below, min(below + 1, n - 1)], side="right")
    diff = float(b - a)
    return float(a + diff * gamma if gamma < 0.5 else b - diff * (1 - gamma))


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
        self.greedy = (
            GreedyDecoder(self.model) if num_beams == 1 and GreedyDecoder.fits(self.model) else None
        )
        self.batch_size = batch_size
        # A line never longer than the decoder has positions for (a model that has not
        # learnt to stop would run past them).
        positions = getattr(self.model.decoder.config, "max_position_embeddings", None)
        self.max_new_tokens = min(max_new_tokens, positions or max_new_tokens)

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
        """The model's input tensor for ``crops``, on its device and in its dtype. Lines
        fitted to a line-shaped model's input need no resizing, so they go to the device as
        one grey byte per pixel and are rescaled and normalised there with the processor's
        own settings: the same numbers as the processor gives, with a twelfth of the bytes
        moved and no float copies made on the CPU (normalising there had cost twice as
        much as fitting the lines)."""
        import torch

        if not self.line_shape:
            images = [Image.fromarray(c).convert("RGB") for c in crops]
            pixels = self.processor(images=images, return_tensors="pt").pixel_values
            return pixels.to(self.device, dtype=self.dtype)
        ip = self.processor.image_processor
        grey = np.stack([fit_grey(c, *self.line_shape) for c in crops])
        lines = torch.from_numpy(grey).to(self.device).float()[:, None]
        if ip.do_rescale:
            lines = lines * ip.rescale_factor
        channels = lines.expand(-1, 3, -1, -1)
        if ip.do_normalize:
            mean = torch.tensor(ip.image_mean, device=self.device).view(1, 3, 1, 1)
            std = torch.tensor(ip.image_std, device=self.device).view(1, 3, 1, 1)
            channels = (channels - mean) / std
        return channels.to(self.dtype).contiguous()

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
            with torch.inference_mode():
                tokens, logps = self._generate(self._pixels(chunk))
            texts = self.processor.batch_decode(tokens, skip_special_tokens=True)
            # The line's confidence: the geometric mean of its token probabilities; and its
            # least sure token's probability (tokens after the end of the line left out).
            pad = self.model.generation_config.pad_token_id
            kept = tokens != pad if pad is not None else torch.ones_like(tokens, dtype=torch.bool)
            counts = kept.sum(dim=1)
            mean = torch.exp(logps.masked_fill(~kept, 0.0).sum(dim=1) / counts.clamp(min=1))
            low = torch.exp(logps.masked_fill(~kept, float("inf")).min(dim=1).values)
            for text, n, m, lo in zip(
                texts, counts.tolist(), mean.tolist(), low.tolist(), strict=True
            ):
                results.append(
                    (text.strip(), min(m, 1.0), min(lo, 1.0)) if n else (text.strip(), 0.0, 0.0)
                )
        in_order: list[tuple[str, float, float]] = [("", 0.0, 0.0)] * len(crops)
        for i, result in zip(order, results, strict=True):
            in_order[i] = result
        return in_order

    def _generate(self, pixels: Any) -> tuple[Any, Any]:
        """The tokens generated for each line (without the start token; padded after the
        end) and each one's log-probability, both on the CPU: greedy reading through the
        lean loop where the model fits it, transformers' ``generate`` otherwise (beams,
        other decoders)."""
        if self.greedy is not None:
            tokens, logps = self.greedy(pixels, self.max_new_tokens)
            return tokens.cpu(), logps.cpu()
        out = self.model.generate(
            pixels,
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
        return out.sequences[:, -steps.shape[1] :].cpu(), steps.float().cpu()


class GreedyDecoder:
    """Greedy decoding for a VisionEncoderDecoderModel with a TrOCR decoder, in one lean
    loop: the encoder runs once, the cross-attention keys and values are projected once,
    the self-attention keys and values go into tensors allocated for the longest line, and
    lines that have ended leave the batch. The tokens are those transformers' ``generate``
    picks (the same modules and weights, step by step); what is saved is ``generate``'s
    fixed work per step (cache objects, masks, logits processors), which a model this
    small cannot hide: on a GPU that work, not the arithmetic, had set the pace."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.core = model.decoder.model.decoder  # TrOCRForCausalLM -> wrapper -> TrOCRDecoder
        self.start = model.config.decoder_start_token_id
        self.eos = model.generation_config.eos_token_id
        self.pad = model.generation_config.pad_token_id

    @staticmethod
    def fits(model: Any) -> bool:
        """Whether ``model`` is one this loop reads exactly as ``generate`` does: a TrOCR
        decoder with learned positions, as the shipped model's (others keep ``generate``)."""
        decoder: Any = getattr(model, "decoder", None)
        return (
            type(decoder).__name__ == "TrOCRForCausalLM"
            and bool(decoder.config.use_learned_position_embeddings)
            and isinstance(model.generation_config.eos_token_id, int)
        )

    def __call__(self, pixels: Any, max_new_tokens: int) -> tuple[Any, Any]:
        """The tokens read from each line (``pad`` after its end-of-text token) and each
        token's log-probability (0 after the end), both ``(lines, steps)``."""
        import torch

        model, core = self.model, self.core
        encoded = model.encoder(pixel_values=pixels).last_hidden_state
        if (
            model.encoder.config.hidden_size != model.decoder.config.hidden_size
            and model.decoder.config.cross_attention_hidden_size is None
        ):
            encoded = model.enc_to_dec_proj(encoded)
        lines, device = encoded.shape[0], encoded.device
        heads = core.layers[0].self_attn.num_heads
        width = core.layers[0].self_attn.head_dim
        steps = max(1, max_new_tokens)

        def split(x: Any) -> Any:  # (lines, length, heads * width) -> (lines, heads, length, width)
            return x.view(x.shape[0], -1, heads, width).transpose(1, 2)

        cross = [
            (split(layer.encoder_attn.k_proj(encoded)), split(layer.encoder_attn.v_proj(encoded)))
            for layer in core.layers
        ]
        own = [
            (
                encoded.new_empty(lines, heads, steps, width),
                encoded.new_empty(lines, heads, steps, width),
            )
            for _ in core.layers
        ]
        tokens = torch.full((lines, steps), self.pad, dtype=torch.long, device=device)
        logps = torch.zeros((lines, steps), dtype=torch.float32, device=device)
        rows = torch.arange(lines, device=device)  # the lines in the batch
        ended = torch.zeros(lines, dtype=torch.bool, device=device)
        last = torch.full((lines,), self.start, dtype=torch.long, device=device)
        positions = core.embed_positions.weight[core.embed_positions.offset :]
        for step in range(steps):
            x = core.embed_tokens(last[:, None]) + positions[step]
            if core.layernorm_embedding is not None:
                x = core.layernorm_embedding(x)
            for layer, (keys, values), (cross_keys, cross_values) in zip(
                core.layers, own, cross, strict=True
            ):
                attn = layer.self_attn
                keys[:, :, step] = split(attn.k_proj(x))[:, :, 0]
                values[:, :, step] = split(attn.v_proj(x))[:, :, 0]
                seen = _attend(
                    split(attn.q_proj(x) * attn.scaling),
                    keys[:, :, : step + 1],
                    values[:, :, : step + 1],
                )
                x = layer.self_attn_layer_norm(x + attn.out_proj(seen))
                attn = layer.encoder_attn
                seen = _attend(split(attn.q_proj(x) * attn.scaling), cross_keys, cross_values)
                x = layer.encoder_attn_layer_norm(x + attn.out_proj(seen))
                x = layer.final_layer_norm(x + layer.fc2(layer.activation_fn(layer.fc1(x))))
            logp = torch.log_softmax(model.decoder.output_projection(x[:, 0]).float(), dim=-1)
            best, last = logp.max(dim=-1)
            tokens[rows, step] = last
            logps[rows, step] = best
            ended |= last == self.eos
            left = int((~ended).sum())
            if left == 0:
                break
            # Lines that have ended leave the batch once a quarter of it has: each leaving
            # copies the caches, so not at every step (on a CPU, at every step was slower).
            if left <= 0.75 * len(rows):
                keep = ~ended
                rows, last, ended = rows[keep], last[keep], ended[keep]
                own = [(k[keep], v[keep]) for k, v in own]
                cross = [(k[keep], v[keep]) for k, v in cross]
        tokens, logps = tokens[:, : step + 1], logps[:, : step + 1]
        # What lines still in the batch read after their end-of-text token is dropped.
        after = (tokens == self.eos).cumsum(dim=1) - (tokens == self.eos).long() > 0
        return tokens.masked_fill(after, self.pad), logps.masked_fill(after, 0.0)


def _attend(queries: Any, keys: Any, values: Any) -> Any:
    """Attention of ``queries`` (lines, heads, 1, width) over ``keys`` and ``values``,
    back as (lines, 1, heads * width); queries come scaled, as TrOCR's attention does."""
    import torch

    weights = torch.softmax(queries @ keys.transpose(-1, -2), dim=-1)
    seen = weights @ values
    return seen.transpose(1, 2).reshape(seen.shape[0], 1, -1)
