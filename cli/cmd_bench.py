"""`medgraph bench`: the city-scale benchmark (bench/harness.py), never run by the tests."""

from __future__ import annotations

import json
from pathlib import Path

import click

from medgraph.bench.harness import BACKENDS, SCALES, STEPS


@click.command()
@click.option("--scale", type=click.Choice(list(SCALES)), default="10k", show_default=True,
              help="persons in the synthetic city")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="folder for the city, the private store and results.json "
                   "[default: MEDGRAPH_HOME/bench-SCALE]")
@click.option("--skip", multiple=True, type=click.Choice(list(STEPS)),
              help="leave a step out (repeatable)")
@click.option("--backend", type=click.Choice(BACKENDS), default="embedded", show_default=True,
              help="the store(s) for import, trace, findings and API: neo4j is the server "
                   "MEDGRAPH_NEO4J_* names (its database must be empty); both runs them on "
                   "each, one after the other, on the same city")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="also write the results as a Markdown section to this file")
def bench(scale: str, work: Path | None, skip: tuple[str, ...], backend: str,
          markdown: Path | None) -> None:
    """Build a synthetic city and measure settlement, import, trace, findings, API, memory."""
    from medgraph.bench.harness import run
    from medgraph.bench.report import to_markdown
    from medgraph.graph.store import settings_from_env

    work = work or settings_from_env().home / f"bench-{scale}"
    results = run(scale, work, skip=skip, backend=backend,
                  progress=lambda m: click.echo(m, err=True))
    click.echo(json.dumps(results, indent=2, ensure_ascii=False))
    if markdown:
        markdown.write_text(to_markdown(results), encoding="utf-8")
        click.echo(f"wrote {markdown}", err=True)


COMMANDS = [bench]
