"""`medgraph synth`: write a deterministic synthetic city in the settlement input format."""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.command()
@click.option("--persons", type=click.IntRange(min=1), required=True,
              help="persons in the city")
@click.option("--seed", type=int, required=True, help="the same seed writes the same files")
@click.option("--years", default="2023-2025", show_default=True,
              help="calendar years of care, YEAR-YEAR")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="folder to write persons.csv, certificates.csv, cases.csv (or city.json)")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--prefix", default=None,
              help="what every id starts with [default: the seed, s1- for --seed 1]; two "
                   "cities with different prefixes load side by side")
@click.option("--observed", is_flag=True,
              help="also write OUT/observed/payments.csv, the payers' records with known "
                   "duplicate, excess and missed aid, and truth.csv (docs/synth.md)")
@click.option("--model", default="hangzhou", show_default=True,
              help="with --observed: the model whose rules entitle the payments")
def synth(persons: int, seed: int, years: str, out: Path, fmt: str, prefix: str | None,
          observed: bool, model: str) -> None:
    """Write a synthetic city: households, certificates, enrolment and cases (docs/synth.md).

    \b
    medgraph synth --persons 10000 --seed 1 -o city
    medgraph settle city
    """
    from medgraph.loaders.synth import parse_years, write_city

    started = time.perf_counter()
    paths = write_city(out, persons=persons, seed=seed, years=parse_years(years), fmt=fmt,
                       prefix=prefix)
    if observed:
        from medgraph.loaders.synth_observed import write_observed

        paths += write_observed(out if fmt == "csv" else paths[0], out, seed, model)
    for path in paths:
        with path.open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        rows = f"{lines - 1:,} rows" if fmt == "csv" else f"{path.stat().st_size:,} bytes"
        click.echo(f"{path}  {rows}")
    click.echo(f"{persons:,} persons, seed {seed}, {years}, "
               f"{time.perf_counter() - started:.1f} s", err=True)


COMMANDS = [synth]
