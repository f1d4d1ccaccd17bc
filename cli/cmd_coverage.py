"""`medgraph model coverage`: per document and clause, what the models hold and which
clauses nothing models (analysis/coverage.py)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from medgraph.output import FORMATS, render


def seeds_dir() -> Path:
    """The seed documents: MEDGRAPH_SEEDS, or shared/seeds beside the project."""
    here = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("MEDGRAPH_SEEDS") or here.parent / "shared" / "seeds")


@click.command("coverage")
@click.option("--seeds", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="folder of the seed documents [default: MEDGRAPH_SEEDS or ../shared/seeds]")
@click.option("--missing", is_flag=True, help="only the clauses nothing models")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def coverage(seeds: Path | None, missing: bool, fmt: str) -> None:
    """Per document and clause: statements the models hold, assumptions among them, and the
    clauses nothing models; then locators that name no clause of their document."""
    from medgraph.analysis.coverage import coverage as measure
    from medgraph.loaders.errors import InputError
    from medgraph.loaders.model import model_names, read_model

    folder = seeds or seeds_dir()
    if not any(folder.glob("0*.txt")):
        raise InputError(str(folder), "no seed documents (0*.txt) here; give --seeds or "
                         "MEDGRAPH_SEEDS", field="seeds")
    result = measure([read_model(name) for name in model_names()], folder)
    rows = [r for r in result["clauses"] if not missing or r["status"] == "not modelled"]
    columns = ["document", "clause", "status", "statements", "assumptions", "models", "heading"]
    click.echo(render(rows, fmt, columns=columns, document={**result, "clauses": rows}))
    if fmt == "table" and not missing and result["locators_outside_the_clauses"]:
        click.echo("")
        click.echo(render(result["locators_outside_the_clauses"], fmt,
                    columns=["document", "locator", "statements", "models"]))


COMMANDS: list[click.Command] = []
SUBCOMMANDS = {"model": [coverage]}
