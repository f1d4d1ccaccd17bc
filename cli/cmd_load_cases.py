"""`medgraph load cases`: settle an input and write persons, households, cases and payments.

The input is read and validated in full first (a bad record is refused naming file, line
and field, and nothing is written), then settled with the model's rules, then written in
batches of whole households, one transaction per batch. A second load of the same input
changes nothing; an interrupted load is completed by running it again.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from medgraph.output import FORMATS, render


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Any]:
    """A progress bar on stderr when a person watches it; silent in pipes and logs."""
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="cases", file=sys.stderr) as bar:
            yield bar
    else:
        yield None


@click.command("cases")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("--model", default="hangzhou", show_default=True,
              help="model whose rules settle the cases and whose schemes they point to")
@click.option("--batch-size", type=click.IntRange(min=1), default=25_000, show_default=True,
              help="cases per transaction (whole households); larger is faster, and needs "
                   "more of the store's memory")
@click.option("--dataset", default=None,
              help="the name the load is recorded under [default: the input's folder or "
                   "file name]; a re-load of the same name replaces what it loaded before")
@click.option("--replace", is_flag=True,
              help="take over ids that belong to another dataset, or a name used for "
                   "another input")
@click.option("--dry-run", is_flag=True,
              help="validate, settle and count the changes; write nothing")
@click.option("--path", "write_path", type=click.Choice(["bulk", "bolt"]), default="bulk",
              show_default=True,
              help="how new batches are written: bulk is the store's fastest way (on the "
                   "embedded store its batch endpoint; on Neo4j UNWIND over Bolt), bolt is "
                   "UNWIND ... CREATE over Bolt on either store")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def load_cases_command(input_path: Path, model: str, batch_size: int, dataset: str | None,
                       replace: bool, dry_run: bool, write_path: str, fmt: str) -> None:
    """Settle INPUT (a folder of CSV files or a JSON file) and make the graph hold it.

    The load is recorded as a dataset; relationships and nodes of the dataset that INPUT no
    longer has are deleted, and ids of another dataset are refused (docs/schema.md).

    \b
    medgraph synth --persons 10000 --seed 1 -o city
    medgraph load cases city --model hangzhou
    """
    from medgraph import settlement
    from medgraph.graph.store import connect
    from medgraph.loaders import datasets
    from medgraph.loaders.cases import load_settled

    name = datasets.check_name(dataset if dataset is not None else default_name(input_path))
    rules = settlement.load_rules(model)
    inp = settlement.read_input(input_path)  # InputError (file, line, field): exit 2
    with connect() as store, _progress(len(inp)) as bar:
        totals = load_settled(store, inp, rules, model, dataset=name,
                              source=str(input_path.resolve()), replace=replace,
                              cases_per_transaction=batch_size, dry_run=dry_run,
                              path=write_path, progress=bar.update if bar is not None else None)
    row = {"dataset": name, "model": model, "persons": len(inp.person_ids), "cases": len(inp),
           "dry_run": dry_run, **{k: totals[k] for k in COUNTERS}}
    click.echo(render([row], fmt, document=row))


COUNTERS = ("nodes_created", "nodes_updated", "nodes_deleted", "relationships_created",
            "relationships_updated", "relationships_deleted")


def default_name(path: Path) -> str:
    """A dataset name from an input path: `city` for city/ or city.json.

    >>> default_name(Path("/data/杭州 city.json"))
    'city'
    """
    stem = path.resolve().name if path.is_dir() else path.stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:64] or "cases"


@click.command("unload")
@click.argument("dataset")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def unload_command(dataset: str, fmt: str) -> None:
    """Remove DATASET whole: its persons, households, cases, burdens and their relationships,
    and the payments to its persons; or the payment records loaded as DATASET.

    `medgraph query "MATCH (d:Dataset) RETURN d.id, d.source, d.status"` lists them.
    """
    from medgraph.graph.store import connect
    from medgraph.loaders import datasets

    with connect() as store:
        deleted = datasets.unload(store, dataset)  # UnknownDataset (exit 2) names the known
    row = {"dataset": dataset, **deleted}
    click.echo(render([row], fmt, document=row))


COMMANDS: list[click.Command] = [unload_command]
SUBCOMMANDS = {"load": [load_cases_command]}
