"""A tiny TrOCR-architecture model (ViT encoder, TrOCR decoder, character tokenizer) built
from configs, for testing the real loading and decoding code with no network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    PreTrainedTokenizerFast,
    TrOCRConfig,
    TrOCRProcessor,
    VisionEncoderDecoderConfig,
    VisionEncoderDecoderModel,
    ViTConfig,
    ViTImageProcessor,
)

CHARS = " abcdefghijklmnopqrstuvwxyz0123456789.,-"
PAD, BOS, EOS, UNK = 0, 1, 2, 3


def build_tiny_trocr(directory: Path, train_on: tuple[np.ndarray, str] | None = None) -> None:
    """Save a tiny model and processor to ``directory``; optionally fit it to one line."""
    torch.manual_seed(0)
    vocab = {
        "<pad>": PAD,
        "<s>": BOS,
        "</s>": EOS,
        "<unk>": UNK,
        **{c: i + 4 for i, c in enumerate(CHARS)},
    }
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    encoder = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    )
    decoder = TrOCRConfig(
        vocab_size=len(vocab),
        d_model=32,
        decoder_layers=1,
        decoder_attention_heads=2,
        decoder_ffn_dim=64,
        max_position_embeddings=64,
        pad_token_id=PAD,
        bos_token_id=BOS,
        eos_token_id=EOS,
        decoder_start_token_id=BOS,
    )
    model = VisionEncoderDecoderModel(
        config=VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    )
    for cfg in (model.config, model.generation_config):
        cfg.decoder_start_token_id, cfg.pad_token_id, cfg.eos_token_id = BOS, PAD, EOS
    processor = TrOCRProcessor(
        image_processor=ViTImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer
    )
    if train_on is not None:
        image, text = train_on
        pixels = processor(images=[image], return_tensors="pt").pixel_values
        labels = torch.tensor([[*tokenizer(text).input_ids, EOS]])
        optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
        for _ in range(150):
            model(pixel_values=pixels, labels=labels).loss.backward()
            optimiser.step()
            optimiser.zero_grad()
    model.save_pretrained(directory)
    processor.save_pretrained(directory)
