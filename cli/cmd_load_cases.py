"""`medgraph load cases`: settle an input and write persons, households, cases and payments.

The input is read and validated in full first (a bad record is refused naming file, line
and field, and nothing is written), then settled with the model's rules, then written in
batches of whole households, one transaction per batch. A second load of the same input
changes nothing; an interrupted load is completed by running it again.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from medgraph.output import FORMATS, render

# Rows sent in one UNWIND statement: at 100k cases, 20,000 wrote about 20 % faster than
# 5,000 into the embedded store.
ROWS_PER_STATEMENT = 20_000

Batch = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


def household_batches(persons: list[dict[str, Any]], cases: list[dict[str, Any]],
                      results: list[dict[str, Any]], size: int) -> Iterator[Batch]:
    """Persons, their cases and results, cut into batches of about `size` cases.

    A household is never split, so each Household node is written by one batch only.

    >>> people = [{"id": "P1", "household_id": "H1"}, {"id": "P2", "household_id": "H1"},
    ...           {"id": "P3", "household_id": "H2"}]
    >>> cases = [{"id": f"C{i}", "person_id": p} for i, p in enumerate(["P1", "P2", "P3"])]
    >>> [[p["id"] for p in b[0]] for b in household_batches(people, cases, [], 1)]
    [['P1', 'P2'], ['P3']]
    """
    cases_of: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        cases_of.setdefault(case["person_id"], []).append(case)
    result_of = {r["id"]: r for r in results}
    households: dict[str, list[dict[str, Any]]] = {}
    for person in persons:
        households.setdefault(person.get("household_id") or person["id"], []).append(person)
    batch: Batch = ([], [], [])
    for members in households.values():
        for person in members:
            batch[0].append(person)
            mine = cases_of.pop(person["id"], [])
            batch[1].extend(mine)
            batch[2].extend(result_of[c["id"]] for c in mine if c["id"] in result_of)
        if len(batch[1]) >= size:
            yield batch
            batch = ([], [], [])
    if batch[0] or batch[1]:
        yield batch


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
@click.option("--batch-size", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="cases per transaction (whole households); larger is faster, and needs "
                   "more of the store's memory")
@click.option("--dry-run", is_flag=True,
              help="validate, settle and count the changes; write nothing")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def load_cases_command(input_path: Path, model: str, batch_size: int, dry_run: bool,
                       fmt: str) -> None:
    """Settle INPUT (a folder of CSV files or a JSON file) and load it into the graph.

    \b
    medgraph synth --persons 10000 --seed 1 -o city
    medgraph load cases city --model hangzhou
    """
    from medgraph import settlement
    from medgraph.graph.store import connect
    from medgraph.loaders.cases import case_data_in_store, load_cases, require_targets

    inp = settlement.read_input(input_path)  # InputError (file, line, field): exit 2
    results = settlement.settle(inp, settlement.load_rules(model))
    persons, cases = settlement.as_records(inp)
    years = sorted({int(c["date"][:4]) for c in cases})  # enrolment spans the whole input
    totals: Counter[str] = Counter()
    with connect() as store:
        require_targets(store, persons, results, model)  # before the first batch is written
        first_load = not case_data_in_store(store)
        with _progress(len(cases)) as bar:
            for batch in household_batches(persons, cases, results, batch_size):
                plan = load_cases(store, *batch, model, dry_run=dry_run, first_load=first_load,
                                  years=years, batch_size=ROWS_PER_STATEMENT)
                totals.update(plan.summary())
                if bar is not None:
                    bar.update(len(batch[1]))
    row = {"model": model, "persons": len(persons), "cases": len(cases), "dry_run": dry_run,
           **{k: totals[k] for k in ("nodes_created", "nodes_updated", "relationships_created",
                                     "relationships_updated")}}
    click.echo(render([row], fmt, document=row))


COMMANDS: list[click.Command] = []
SUBCOMMANDS = {"load": [load_cases_command]}
