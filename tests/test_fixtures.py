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
