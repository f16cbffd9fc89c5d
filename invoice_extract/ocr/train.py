"""Train the project's compact TrOCR on synthetic invoice lines (``invoice_extract.ocr.synth``).

    python -m invoice_extract.ocr.train --out runs/trocr [--steps 6000] [--batch 48]
        [--spec cpu|gpu] [--eval-every 500] [--seed 0] [--export DIR] [--half]
        [--crops DIR [DIR ...] [--crop-share 0.3]] [--seconds S]

The model is a transformers ``VisionEncoderDecoderModel``: a ViT encoder over line-shaped
input (full-height patches, so its tokens run along the line) and a small TrOCR decoder over
a character vocabulary. Training is seeded (line ``i`` of the stream is the same on every
run) and resumable: a checkpoint is written every ``--eval-every`` steps and a rerun with the
same ``--out`` continues from it (at its own ``--lr``). ``--seconds`` fits the run to a
fixed lease: the cosine schedule ends at the steps the measured rate allows, and the run stops
in time, evaluated and exported. bf16 autocast on a GPU, fp32 on the CPU. ``--export`` saves
the final model with its processor and tokenizer (``from_pretrained`` loads the directory),
``--half`` its weights in float16.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from rapidfuzz.distance import Levenshtein
from torch.utils.data import DataLoader, Dataset

from invoice_extract.ocr.synth import CHARSET, invoice_line, render_line
from invoice_extract.ocr.trocr import fit_line

PAD, BOS, EOS, UNK = 0, 1, 2, 3


@dataclass(frozen=True)
class ModelSpec:
    """Sizes of the encoder and decoder; ``height`` x ``width`` is the line image."""

    height: int = 32
    width: int = 512
    patch_width: int = 8
    hidden: int = 192
    encoder_layers: int = 4
    heads: int = 4
    encoder_ffn: int = 768
    decoder_layers: int = 2
    decoder_ffn: int = 768
    max_length: int = 64
    charset: str = CHARSET


SPECS = {
    # Trained on the 2-core CPU: small enough to learn in about an hour.
    "cpu": ModelSpec(),
    # For a GPU, which gets through several times the lines in the time: a deeper encoder
    # (runs once per line), the same decoder (runs once per character), so the CPU still
    # reads well over 100 lines/s. A wider model (hidden 256) halved that; 16 MB of weights.
    "gpu": ModelSpec(encoder_layers=6),
}


def build_tokenizer(charset: str) -> Any:
    """A character tokenizer: one id per character of ``charset`` after four specials."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": PAD, "<s>": BOS, "</s>": EOS, "<unk>": UNK}
    for char in charset:
        vocab.setdefault(char, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        clean_up_tokenization_spaces=False,
    )


def build_model(spec: ModelSpec, seed: int = 0) -> tuple[Any, Any]:
    """A freshly initialised model and its processor (image processor + tokenizer)."""
    from transformers import (
        TrOCRConfig,
        TrOCRProcessor,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    torch.manual_seed(seed)
    tokenizer = build_tokenizer(spec.charset)
    encoder = ViTConfig(
        image_size=(spec.height, spec.width),
        patch_size=(spec.height, spec.patch_width),
        hidden_size=spec.hidden,
        num_hidden_layers=spec.encoder_layers,
        num_attention_heads=spec.heads,
        intermediate_size=spec.encoder_ffn,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    decoder = TrOCRConfig(
        vocab_size=len(tokenizer),
        d_model=spec.hidden,
        decoder_layers=spec.decoder_layers,
        decoder_attention_heads=spec.heads,
        decoder_ffn_dim=spec.decoder_ffn,
        max_position_embeddings=spec.max_length + 2,
        dropout=0.1,
        layernorm_embedding=True,
        pad_token_id=PAD,
        bos_token_id=BOS,
        eos_token_id=EOS,
        decoder_start_token_id=BOS,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    model = VisionEncoderDecoderModel(config=config)
    for cfg in (model.config, model.generation_config):
        cfg.decoder_start_token_id, cfg.pad_token_id, cfg.eos_token_id = BOS, PAD, EOS
    model.generation_config.max_new_tokens = spec.max_length
    processor = TrOCRProcessor(  # type: ignore[no-untyped-call]
        image_processor=ViTImageProcessor(
            size={"height": spec.height, "width": spec.width},
            image_mean=[0.5, 0.5, 0.5],
            image_std=[0.5, 0.5, 0.5],
        ),
        tokenizer=tokenizer,
    )
    return model, processor


# Letters with no decomposition to a base letter ('ł' is not 'l' + a combining mark).
_BASE_LETTER = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ª": "a", "º": "o"}


def base_letter(char: str) -> str:
    """The letter ``char`` is drawn from: 'ą' -> 'a', 'Ř' -> 'R', 'ł' -> 'l'; else itself."""
    return _BASE_LETTER.get(char) or unicodedata.normalize("NFD", char)[0]


def load_grown(model: Any, tokenizer: Any, init: Path) -> list[str]:
    """Load the trained model saved at ``init`` into ``model``, whose character set may be
    larger (new characters appended, so the old ones keep their ids). Each new character's
    embedding starts as its base letter's ('ł' as 'l'), so the model first reads it as that
    letter and training only has to teach the difference. The new characters, in order."""
    from transformers import AutoTokenizer, VisionEncoderDecoderModel

    trained = VisionEncoderDecoderModel.from_pretrained(init).state_dict()
    old_vocab: dict[str, int] = AutoTokenizer.from_pretrained(init).get_vocab()
    new_vocab: dict[str, int] = tokenizer.get_vocab()
    if any(new_vocab.get(token) != index for token, index in old_vocab.items()):
        raise ValueError(f"{init}: its characters' ids differ from this character set's")
    added = sorted((i, t) for t, i in new_vocab.items() if t not in old_vocab)
    state = model.state_dict()
    for key, value in trained.items():
        if value.shape == state[key].shape:
            continue
        if value.shape[1:] != state[key].shape[1:] or value.shape[0] != len(old_vocab):
            raise ValueError(f"{init}: {key} is {tuple(value.shape)}, not a vocabulary table")
        grown = state[key].clone()
        grown[: len(old_vocab)] = value
        for index, token in added:
            grown[index] = value[old_vocab.get(base_letter(token), UNK)]
        trained[key] = grown
    model.load_state_dict(trained)
    return [token for _, token in added]


class CropLines:
    """Line crops with their text from directories written by ``fixtures/crops.py``
    (``labels.jsonl`` beside the images), one pool; lines with characters outside
    ``charset`` are skipped. Images are read when asked for."""

    def __init__(self, directories: Sequence[Path], charset: str = CHARSET) -> None:
        allowed = set(charset)
        self.items: list[tuple[Path, str]] = []
        for directory in directories:
            with (directory / "labels.jsonl").open(encoding="utf-8") as labels:
                for row in map(json.loads, labels):
                    if row["text"] and set(row["text"]) <= allowed:
                        self.items.append((directory / row["image"], row["text"]))
        if not self.items:
            raise ValueError(f"no usable line crops in {', '.join(map(str, directories))}")

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[np.ndarray, str]:
        path, text = self.items[index]
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB")), text


class SyntheticLines(Dataset[tuple[np.ndarray, str]]):
    """Line ``i`` of a seeded stream: the same text and image on every run.

    Lines run up to ``max_length - 8`` characters. With ``ramp`` > 0 the stream is a
    curriculum: line ``i`` is at most ``12 + 44 * i / ramp`` characters and degraded with
    probability ``0.2 + 0.4 * i / ramp``, each growing until line ``ramp`` (short, clean
    lines first teach where characters are).

    With ``crops`` (lines cut from scan-like pages, ``CropLines``), a ``crop_share`` of the
    stream is drawn from them instead, again the same line for the same index.
    """

    def __init__(
        self,
        seed: int,
        spec: ModelSpec,
        degraded: float = 0.6,
        ramp: int = 0,
        crops: CropLines | None = None,
        crop_share: float = 0.0,
    ) -> None:
        self.seed, self.spec, self.degraded, self.ramp = seed, spec, degraded, ramp
        self.crops, self.crop_share = crops, crop_share

    def __len__(self) -> int:
        return 10**9

    def __getitem__(self, index: int) -> tuple[np.ndarray, str]:
        rng = random.Random(f"{self.seed}:{index}")
        if self.crops and rng.random() < self.crop_share:
            crop, text = self.crops[rng.randrange(len(self.crops))]
            return np.asarray(fit_line(crop, self.spec.height, self.spec.width)), text
        longest, degraded = self.spec.max_length - 8, self.degraded
        if self.ramp:
            progress = min(1.0, index / self.ramp)
            longest = min(longest, 12 + round(44 * progress))
            degraded = min(degraded, 0.2 + 0.4 * progress)
        text = invoice_line(rng, max_chars=longest)
        image = render_line(text, rng, degrade=rng.random() < degraded)
        return np.asarray(fit_line(image, self.spec.height, self.spec.width)), text


class _From(torch.utils.data.Sampler[int]):
    """Indices ``start, start + 1, ...``: resuming at a step continues the same stream."""

    def __init__(self, start: int, count: int) -> None:
        self.start, self.count = start, count

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, self.start + self.count))

    def __len__(self) -> int:
        return self.count


def collate(
    processor: Any, batch: Sequence[tuple[np.ndarray, str]]
) -> tuple[torch.Tensor, torch.Tensor]:
    images, texts = zip(*batch, strict=True)
    pixels = processor.image_processor(images=list(images), return_tensors="pt").pixel_values
    ids = [[*processor.tokenizer(t).input_ids, EOS] for t in texts]
    labels = torch.full((len(ids), max(map(len, ids))), -100, dtype=torch.long)
    for row, seq in enumerate(ids):
        labels[row, : len(seq)] = torch.tensor(seq)
    return pixels, labels


def character_error_rate(predictions: Sequence[str], truths: Sequence[str]) -> float:
    edits = sum(Levenshtein.distance(p, t) for p, t in zip(predictions, truths, strict=True))
    return edits / max(1, sum(len(t) for t in truths))


def evaluate(model: Any, processor: Any, lines: Sequence[tuple[np.ndarray, str]]) -> float:
    """CER of greedy decoding on ``lines`` (images already fitted to the model's input)."""
    model.eval()
    device = next(model.parameters()).device
    predictions = []
    with torch.inference_mode():
        for start in range(0, len(lines), 64):
            chunk = lines[start : start + 64]
            pixels = processor.image_processor(
                images=[img for img, _ in chunk], return_tensors="pt"
            ).pixel_values
            out = model.generate(pixels.to(device), num_beams=1)
            predictions += processor.tokenizer.batch_decode(out, skip_special_tokens=True)
    model.train()
    return character_error_rate(predictions, [t for _, t in lines])


class CtcHead(torch.nn.Module):
    """Training-only: per-encoder-token character scores for an auxiliary CTC loss. It makes
    each encoder token say which character lies under it, which the decoder's attention then
    learns to follow far sooner (hybrid CTC/attention training). Not exported."""

    def __init__(self, hidden: int, vocab: int) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(hidden, vocab)

    def loss(self, encoded: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        tokens = encoded[:, 1:]  # ViT's first token is its [CLS]
        logp = self.proj(tokens).float().log_softmax(-1).transpose(0, 1)  # (T, B, V)
        targets = labels.clone()
        targets[(targets == EOS) | (targets == -100)] = PAD
        lengths = (targets != PAD).sum(1)
        steps = torch.full((labels.shape[0],), logp.shape[0], dtype=torch.long)
        return torch.nn.functional.ctc_loss(
            logp, targets, steps, lengths, blank=PAD, zero_infinity=True
        )


def _schedule(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


# With --seconds, the step rate is measured over FIT_OVER steps after the first FIT_FROM (the
# loaders' start), and the schedule is fitted to 97% of the time then left.
FIT_FROM, FIT_OVER = 50, 200


def _fitted(step: int, rate: float, seconds_left: float) -> int:
    """The last step of a run at ``step`` going on at ``rate`` steps/s for ``seconds_left``."""
    return step + max(1, int(0.97 * rate * seconds_left))


def train(args: argparse.Namespace) -> Path:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    spec = SPECS[args.spec]
    gpu = torch.cuda.is_available()
    device = torch.device("cuda" if gpu else "cpu")
    if args.threads:
        torch.set_num_threads(args.threads)
    model, processor = build_model(spec, args.seed)
    init_record = None  # how the model fine-tuned here was trained, kept in its record
    if args.init is not None:  # fine-tune a trained model (same sizes; characters may be added)
        grown = load_grown(model, processor.tokenizer, args.init)
        if grown:
            print(f"vocabulary grown by {len(grown)}: {''.join(grown)}", flush=True)
        if (args.init / "training.json").exists():
            init_record = json.loads((args.init / "training.json").read_text())
    model.to(device).train()
    ctc = CtcHead(spec.hidden, len(processor.tokenizer)).to(device)
    params = [*model.parameters(), *ctc.parameters()]
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    # The step the cosine reaches its floor: --steps, or with --seconds the steps that fit in
    # that time at the rate measured once the loaders run steadily (``_fitted``).
    planned = [args.steps]
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: _schedule(s, planned[0], args.warmup)
    )
    step, history = 0, []
    checkpoint = out / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        ctc.load_state_dict(state["ctc"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        # The schedule is this run's --lr, --warmup and --steps, not the saved ones (a loaded
        # LambdaLR keeps the learning rate it was built with, silently).
        scheduler.base_lrs = [args.lr] * len(scheduler.base_lrs)
        step, history = state["step"], state["history"]
        print(f"resumed at step {step}", flush=True)
    held_out = SyntheticLines(args.seed + 1_000_003, spec, degraded=0.5)
    eval_lines = [held_out[i] for i in range(args.eval_lines)]
    loader = DataLoader(
        SyntheticLines(
            args.seed,
            spec,
            ramp=args.ramp,
            crops=CropLines(args.crops, spec.charset) if args.crops else None,
            crop_share=args.crop_share,
        ),
        batch_size=args.batch,
        sampler=_From(step * args.batch, (args.steps - step) * args.batch),
        num_workers=args.workers,
        collate_fn=lambda b: collate(processor, b),
        persistent_workers=False,
        prefetch_factor=4 if args.workers else None,
    )
    started, losses, first = time.perf_counter(), [], step
    steady = started
    for pixels, labels in loader:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=gpu):
            labels = labels.to(device)
            result = model(pixel_values=pixels.to(device), labels=labels)
            aux = ctc.loss(result.encoder_last_hidden_state, labels)
            loss = result.loss + args.ctc_weight * aux
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        scheduler.step()
        optimiser.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        step += 1
        now = time.perf_counter()
        if args.seconds and step == first + FIT_FROM:
            steady = now
        elif args.seconds and step == first + FIT_FROM + FIT_OVER:
            planned[0] = _fitted(step, FIT_OVER / (now - steady), args.seconds - (now - started))
            planned[0] = min(args.steps, planned[0])
            print(f"{planned[0]} steps fit in --seconds {args.seconds:g}", flush=True)
        # A lease of fixed length (a lent GPU): stop in time, evaluated and saved as at the end.
        done = step >= planned[0] or (bool(args.seconds) and now - started > args.seconds)
        if step % args.log_every == 0:
            rate = len(losses) / (now - started)
            loss_now = np.mean(losses[-args.log_every :])
            lr = scheduler.get_last_lr()[0]
            print(f"step {step} loss {loss_now:.4f} lr {lr:.2e} {rate:.2f} steps/s", flush=True)
        if step % args.eval_every == 0 or done:
            cer = evaluate(model, processor, eval_lines)
            history.append({"step": step, "cer": cer, "loss": float(np.mean(losses[-50:]))})
            print(f"step {step} held-out CER {cer:.2%}", flush=True)
            torch.save(
                {
                    "model": model.state_dict(),
                    "ctc": ctc.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "step": step,
                    "history": history,
                },
                checkpoint.with_suffix(".tmp"),
            )
            checkpoint.with_suffix(".tmp").replace(checkpoint)
        if done:
            break
    (out / "history.json").write_text(json.dumps(history, indent=1))
    export = args.export or out / "model"
    model.to("cpu").eval()
    # Half precision halves the package; the backend reads it back as float32 on a CPU.
    model.to(torch.float16 if args.half else torch.float32).save_pretrained(export)
    processor.save_pretrained(export)
    record = {
        "spec": asdict(spec),
        "args": _jsonable(vars(args)),
        # Where it ran and how long this run took (a resumed run: since it resumed).
        "device": torch.cuda.get_device_name(device)
        if gpu
        else f"cpu, {torch.get_num_threads()} threads",
        "seconds": round(time.perf_counter() - started),
        "steps_run": step,
        "history": history,
        "init": init_record,
    }
    (Path(export) / "training.json").write_text(json.dumps(record, indent=1))
    print(f"saved {export}", flush=True)
    return Path(export)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, list):
            return [plain(v) for v in value]
        return str(value) if isinstance(value, Path) else value

    return {k: plain(v) for k, v in values.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="run directory (checkpoints)")
    parser.add_argument("--export", type=Path, default=None, help="where the model is saved")
    parser.add_argument("--spec", choices=sorted(SPECS), default="cpu")
    parser.add_argument(
        "--init", type=Path, default=None, help="start from this saved model (same --spec)"
    )
    parser.add_argument("--steps", type=int, default=9000)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=7e-4)
    parser.add_argument("--ctc-weight", type=float, default=0.5, help="auxiliary CTC loss")
    parser.add_argument("--ramp", type=int, default=100_000, help="curriculum length (lines)")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--eval-lines", type=int, default=256)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument(
        "--crops",
        type=Path,
        nargs="+",
        default=None,
        help="directories of line crops from fixtures/crops.py to mix in (one pool)",
    )
    parser.add_argument("--crop-share", type=float, default=0.3, help="with --crops")
    parser.add_argument("--half", action="store_true", help="save the exported weights in float16")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=0,
        help="train for about this long: the schedule is fitted to the steps that fit, and the "
        "run stops, evaluated and exported, when the time is up (0: --steps alone)",
    )
    train(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
