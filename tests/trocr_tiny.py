"""A tiny TrOCR-architecture model (ViT encoder over line-shaped input, TrOCR decoder,
character tokenizer) built with the training code's own builder, for testing the real
loading and decoding code with no network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from invoice_extract.ocr.train import EOS, ModelSpec, build_model
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


def build_tiny_trocr(directory: Path, train_on: tuple[np.ndarray, str] | None = None) -> None:
    """Save a tiny model and processor to ``directory``; optionally fit it to one line."""
    model, processor = build_model(TINY)
    if train_on is not None:
        image, text = train_on
        line = fit_line(image, TINY.height, TINY.width)
        pixels = processor(images=[line], return_tensors="pt").pixel_values
        labels = torch.tensor([[*processor.tokenizer(text).input_ids, EOS]])
        optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
        model.train()
        for _ in range(150):
            model(pixel_values=pixels, labels=labels).loss.backward()
            optimiser.step()
            optimiser.zero_grad()
    model.eval()
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
