"""The command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from invoice_extract import Invoice

from .conftest import DIGITAL, ROOT

CLI = [sys.executable, "-m", "invoice_extract.cli"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_extract_folder_glob_and_failures(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "broken.pdf"
    bad.parent.mkdir()
    bad.write_bytes(b"%PDF-1.4\nnot really")
    out = tmp_path / "out"
    proc = run(
        "extract",
        str(bad.parent),
        str(DIGITAL / "inv-00[12].pdf"),
        "-o",
        str(out),
        "--quiet",
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert proc.returncode == 1, proc.stderr  # one document failed...
    invoices = pd.read_csv(out / "invoices.csv")
    assert len(invoices) == 2  # ...and the others were still written
    errors = pd.read_csv(out / "errors.csv")
    assert list(errors["error_type"]) == ["UnreadableDocument"]
    assert (tmp_path / "x.db").exists()


def test_extract_all_good_exits_zero(tmp_path: Path) -> None:
    proc = run("extract", str(DIGITAL / "inv-002.pdf"), "-o", str(tmp_path), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert "1 extracted, 0 failed" in proc.stderr


def test_usage_errors_exit_two(tmp_path: Path) -> None:
    assert run("extract", str(DIGITAL / "inv-002.pdf")).returncode == 2  # no -o
    assert run("frobnicate").returncode == 2
    assert run("extract", "-o", str(tmp_path)).returncode == 2  # no paths
    bad_ocr = run("extract", str(DIGITAL / "inv-002.pdf"), "-o", str(tmp_path), "--ocr", "maybe")
    assert bad_ocr.returncode == 2 and "not one of auto, always, never" in bad_ocr.stderr
    assert (
        run(
            "extract", str(DIGITAL / "inv-002.pdf"), "-o", str(tmp_path), "--recognizer", "abbyy"
        ).returncode
        == 2
    )


def test_show_prints_fields_and_checks() -> None:
    proc = run("show", str(DIGITAL / "inv-002.pdf"))
    assert proc.returncode == 0, proc.stderr
    assert "invoice_number" in proc.stdout and "F2024-486" in proc.stdout
    assert "subtotal_plus_tax" in proc.stdout
    # OCR options are accepted with any document; a text layer reads the same.
    plain = run("show", str(DIGITAL / "inv-002.pdf"), "--no-accents", "--recognizer", "ppocr")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == proc.stdout


def test_show_reads_a_scan_with_trocr_and_ppocr_checking_it() -> None:
    scan = ROOT / "fixtures" / "scanned" / "inv-013-scan.png"
    truth = Invoice.model_validate_json(scan.with_suffix(".json").read_text())
    proc = run("show", str(scan), "--recognizer", "trocr+ppocr")
    assert proc.returncode == 0, proc.stderr
    assert truth.invoice_number is not None and truth.invoice_number.value in proc.stdout
    assert truth.total is not None and str(truth.total.value) in proc.stdout


def test_show_reads_a_scan_with_ppocr_in_either_runtime(tmp_path: Path) -> None:
    scan = ROOT / "fixtures" / "scanned" / "inv-013-scan.png"
    truth = Invoice.model_validate_json(scan.with_suffix(".json").read_text())
    assert truth.invoice_number is not None and truth.total is not None
    proc = run("show", str(scan), "--ppocr-runtime", "onnxruntime")
    assert proc.returncode == 0, proc.stderr
    assert truth.invoice_number.value in proc.stdout and str(truth.total.value) in proc.stdout
    bad = run("show", str(scan), "--ppocr-runtime", "cuda")
    assert bad.returncode == 2 and "'cuda' is not one of" in bad.stderr


def test_schema_command_writes_the_schema(tmp_path: Path) -> None:
    target = tmp_path / "s.json"
    proc = run("schema", "--out", str(target))
    assert proc.returncode == 0
    assert target.read_text() == (ROOT / "schemas" / "invoice.schema.json").read_text()


def test_debug_dir_and_render_draw_the_fields(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    proc = run(
        "extract",
        str(DIGITAL / "inv-002.pdf"),
        "-o",
        str(tmp_path / "out"),
        "--debug-dir",
        str(tmp_path / "dbg"),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    page = np.asarray(Image.open(tmp_path / "dbg" / "inv-002-p1.png").convert("RGB"))
    # Field boxes are drawn in red: the page is no longer only black, white and grey.
    red = (page[..., 0] > 180) & (page[..., 1] < 80) & (page[..., 2] < 80)
    assert red.sum() > 100
    proc = run("show", str(DIGITAL / "inv-001.pdf"), "--render", str(tmp_path / "r.png"))
    assert proc.returncode == 0, proc.stderr
    rendered = Image.open(tmp_path / "r.png")
    assert rendered.height > 2 * rendered.width  # the three pages, one below the other
