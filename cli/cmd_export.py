"""`medgraph export`: the graph, a model or a dataset as files other tools load.

\b
medgraph export --format neo4j-admin -o city-import       # then city-import/import.sh
medgraph export --format graphml --model hangzhou -o gephi
medgraph export --format gexf --dataset city -o gephi-city
medgraph export --format cypher --model hangzhou -o script  # cypher-shell -f script/graph.cypher

The files are written into a new folder beside OUTPUT and moved into place only when
every one is whole, so OUTPUT never holds half an export; an existing OUTPUT is kept
unless --overwrite is given.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from medgraph.output import render


@click.command("export")
@click.option("--format", "export_format", required=True,
              type=click.Choice(("neo4j-admin", "graphml", "gexf", "cypher")),
              help="neo4j-admin: CSV files and the import command; graphml, gexf: for Gephi; "
                   "cypher: a script of MERGE statements")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="folder to write (created)")
@click.option("--model", help="only this model (with the common codes it uses)")
@click.option("--dataset", help="only this dataset of case data (with the model nodes it "
                                "points to)")
@click.option("--overwrite", is_flag=True, help="replace OUTPUT if it exists")
def export(export_format: str, output: Path, model: str | None, dataset: str | None,
           overwrite: bool) -> None:
    """Write the graph (or one model or dataset of it) to files in OUTPUT."""
    from medgraph.graph import export as reading
    from medgraph.graph.export_formats import ExportError, writer
    from medgraph.graph.known import case_datasets, require, require_model
    from medgraph.graph.store import connect
    from medgraph.loaders.errors import InputError

    if model and dataset:
        raise InputError("--dataset", "give --model or --dataset, not both")
    output = output.absolute()
    if output.exists() and not output.is_dir():
        raise InputError(str(output), "exists and is not a folder")
    if output.exists() and any(output.iterdir()) and not overwrite:
        raise InputError(str(output), "exists and is not empty; give --overwrite to replace "
                                      "it, or another folder")
    output.parent.mkdir(parents=True, exist_ok=True)
    with connect() as store:
        require_model(store, model)
        if dataset is not None:
            require("dataset", dataset, [d["id"] for d in case_datasets(store)],
                    option="--dataset")
        selection = reading.Selection(model=model, dataset=dataset)
        staging = output.with_name(f".{output.name}.partial-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            out = writer(export_format, staging, reading.property_types())
            try:
                for element in reading.nodes_and_relationships(store, selection):
                    out.add(element)
                files = out.finish()
            except ExportError as exc:  # a value the format cannot hold: nothing is kept
                raise InputError(str(output), str(exc)) from None
            _move_into_place(staging, output)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    written = [output / f.relative_to(staging) for f in files]
    click.echo(render([{"format": export_format, "folder": str(output), "files": len(written),
                        "bytes": sum(f.stat().st_size for f in written), "nodes": out.nodes,
                        "relationships": out.relationships}], "table"))
    if export_format == "neo4j-admin":
        click.echo(f"to load into an empty Neo4j database: {output / 'import.sh'}")


def _move_into_place(staging: Path, output: Path) -> None:
    """Rename the finished folder to OUTPUT; an OUTPUT replaced is removed only after."""
    old = None
    if output.exists():
        old = output.with_name(f".{output.name}.old-{os.getpid()}")
        output.rename(old)
    staging.rename(output)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


COMMANDS: list[click.Command] = [export]
