"""The committed fixtures are what the generator makes today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from invoice_extract.schema import Invoice

from .conftest import DIGITAL, ROOT


def test_committed_fixtures_are_current(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "fixtures" / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    made = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in DIGITAL.iterdir())
    assert made == committed, "run `make fixtures`"
    for name in made:
        assert (tmp_path / name).read_bytes() == (DIGITAL / name).read_bytes(), (
            f"{name} is stale: run `make fixtures`"
        )


def test_ground_truth_is_schema_shaped() -> None:
    for path in DIGITAL.glob("*.json"):
        inv = Invoice.model_validate_json(path.read_text())
        assert inv.invoice_number is not None and inv.total is not None


def _overlapping_words(pdf: Path) -> list[tuple[int, str, str]]:
    import itertools

    import pdfplumber

    found = []
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            for a, b in itertools.combinations(page.extract_words(), 2):
                dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
                dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
                if dx > 1 and dy > 1:
                    found.append((page.page_number, a["text"], b["text"]))
    return found


def test_generated_layout_families_never_print_text_over_text(tmp_path: Path) -> None:
    """The held-out presets (``--families new``) place each block where it fits, as real
    documents do: no word is drawn over another."""
    args = ["--families", "new", "--native", "--seed", "3", "--count", "9", "--out", str(tmp_path)]
    subprocess.run(
        [sys.executable, str(ROOT / "fixtures" / "generate.py"), *args],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 9
    for pdf in pdfs:
        assert _overlapping_words(pdf) == [], pdf.name


def test_scrambled_invoices_are_the_same_invoices_in_made_up_words(tmp_path: Path) -> None:
    """``--scrambled``: the same values as without it, none of the wording."""
    script = str(ROOT / "fixtures" / "generate.py")
    for name, extra in (("plain", []), ("scrambled", ["--scrambled"])):
        args = ["--seed", "3", "--count", "3", "--out", str(tmp_path / name), *extra]
        subprocess.run([sys.executable, script, *args], check=True, capture_output=True)
    for path in sorted((tmp_path / "plain").glob("*.json")):
        plain = Invoice.model_validate_json(path.read_text())
        made_up = Invoice.model_validate_json((tmp_path / "scrambled" / path.name).read_text())
        assert made_up.total == plain.total and made_up.line_items == plain.line_items
        assert made_up.invoice_number == plain.invoice_number
    words = {
        w["text"].lower().strip(".:")
        for pdf in (tmp_path / "scrambled").glob("*.pdf")
        for w in _words(pdf)
    }
    assert not words & {"invoice", "total", "subtotal", "rechnung", "facture", "date", "qty"}


def _words(pdf: Path) -> list[dict[str, str]]:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return [w for page in doc.pages for w in page.extract_words()]
