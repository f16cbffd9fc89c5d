"""Tesseract (Debian's tesseract-ocr) on line crops, for comparison; optional."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from invoice_extract.errors import ModelUnavailable

WANTED_LANGUAGES = ("eng", "deu", "fra", "spa", "nld", "ita")


class TesseractRecognizer:
    name = "tesseract"

    def __init__(self) -> None:
        binary = shutil.which("tesseract")
        if binary is None:
            raise ModelUnavailable(
                "tesseract",
                "the tesseract program is not installed (apt-get install "
                "tesseract-ocr, plus tesseract-ocr-deu and friends for other languages)",
            )
        self.binary = binary
        listed = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, check=False
        ).stdout.split()
        langs = [lang for lang in WANTED_LANGUAGES if lang in listed] or ["eng"]
        self.languages = "+".join(langs)

    def recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """One tesseract process per line (single-line mode reads best; stacking lines on
        one sheet measured worse), as many at a time as there are cores."""
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            return list(pool.map(self._line, crops))

    def _line(self, crop: np.ndarray) -> tuple[str, float]:
        buf = io.BytesIO()
        Image.fromarray(crop).save(buf, format="PNG")
        proc = subprocess.run(
            [self.binary, "stdin", "stdout", "--psm", "7", "-l", self.languages, "tsv"],
            input=buf.getvalue(),
            capture_output=True,
            check=False,
            timeout=60,
            # One thread each: the processes run side by side, and tesseract's OpenMP threads
            # only add overhead on a single line.
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        words, confs = [], []
        for row in proc.stdout.decode("utf-8", "replace").splitlines()[1:]:
            cols = row.split("\t")
            if len(cols) == 12 and cols[11].strip() and float(cols[10]) >= 0:
                words.append(cols[11].strip())
                confs.append(float(cols[10]) / 100)
        return " ".join(words), (sum(confs) / len(confs) if confs else 0.0)
