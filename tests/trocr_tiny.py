"""A tiny TrOCR-architecture model (ViT encoder over line-shaped input, TrOCR decoder,
character tokenizer) built with the training code's own builder, for testing the real
loading and decoding code with no network."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from invoice_extract.ocr.train import ModelSpec, build_model, collate
from invoice_extract.ocr.trocr import fit_line

TINY = ModelSpec(
    height=16,
    width=64,
    patch_width=8,
    hidden=32,
    encoder_layers=1,
    heads=2,
    encoder_ffn=64,
    decoder_layers=1,
    decoder_ffn=64,
    max_length=16,
    charset=" abcdefghijklmnopqrstuvwxyz0123456789.,-",
)


def build_tiny_trocr(
    directory: Path, train_on: Sequence[tuple[np.ndarray, str]] = (), steps: int = 150
) -> None:
    """Save a tiny model and processor to ``directory``, fitted for ``steps`` to the line
    images and texts of ``train_on`` (none: untrained)."""
    model, processor = build_model(TINY)
    if train_on:
        pixels, labels = collate(
            processor,
            [(np.asarray(fit_line(image, TINY.height, TINY.width)), t) for image, t in train_on],
        )
        optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
        model.train()
        for _ in range(steps):
            model(pixel_values=pixels, labels=labels).loss.backward()
            optimiser.step()
            optimiser.zero_grad()
    model.eval()
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
