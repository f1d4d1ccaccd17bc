"""`medgraph settle`: settle cases through the scheme chain with a model's rules."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import click


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file,
    and a failure leaves no file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes it private; the result is not
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("--model", default="hangzhou", show_default=True,
              help="the model whose benefit rules settle the cases (a name in data/ or a folder)")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="write the results here (JSON) instead of to standard output")
@click.option("--engine", type=click.Choice(["vectorised", "reference"]), default="vectorised",
              show_default=True, help="numpy over columns, or plain Python case by case")
def settle_command(input_path: Path, model: str, out: Path | None, engine: str) -> None:
    """Settle INPUT (a JSON file or a folder of persons.csv, certificates.csv, cases.csv).

    Each case goes through basic insurance, critical-illness insurance, medical assistance,
    special assistance, huiminbao and charity; every payment names its rule and clause
    (docs/settlement.md). Bad input exits 2 naming file, record and field; nothing is written.

    \b
    medgraph synth --persons 1000 --seed 1 -o city
    medgraph settle city -o settled.json
    """
    from medgraph import settlement

    started = time.perf_counter()
    rules = settlement.load_rules(model)
    inp = settlement.read_input(input_path)   # InputError: exit 2, nothing written
    results = settlement.settle(inp, rules, engine=engine)
    text = settlement.results_to_json(results, indent=None if len(results) > 100 else 1)
    if out is None:
        click.echo(text)
    else:
        write_atomically(out, text + "\n")
    took = time.perf_counter() - started
    click.echo(f"{len(results):,} cases settled ({engine}, model {model}) in {took:.2f} s"
               + (f" -> {out}" if out else ""), err=True)
    sys.stdout.flush()


COMMANDS = [settle_command]
