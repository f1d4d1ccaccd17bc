"""`medgraph load payments` and `medgraph reconcile`: what payers paid, against the rules.

\b
medgraph load payments city/payments.csv --dataset city-payments
medgraph reconcile --year 2024 --payer hangzhou.civil_affairs
"""

from __future__ import annotations

from pathlib import Path

import click

from medgraph.cmd_findings import _rows
from medgraph.cmd_load_cases import default_name
from medgraph.output import FORMATS, render

COLUMNS = ["kind", "severity", "entities", "explanation", "citations"]


@click.command("payments")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("--model", default="hangzhou", show_default=True,
              help="model whose agencies pay and whose schemes are paid under")
@click.option("--dataset", default=None,
              help="the name the records are loaded under [default: the input's file or "
                   "folder name]; a re-load of the same name replaces what it loaded before")
@click.option("--replace", is_flag=True, help="take over payments of another dataset")
@click.option("--dry-run", is_flag=True, help="validate and count the changes; write nothing")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def load_payments_command(input_path: Path, model: str, dataset: str | None, replace: bool,
                          dry_run: bool, fmt: str) -> None:
    """Load INPUT, the payments payers made (JSON, a CSV file, or a folder with payments.csv),
    as observed payments beside what the rules entitle.

    Every record is checked first (payer, scheme, case or person known in the store; amount
    and date well formed); a bad one is refused naming file, record and field, and nothing
    is written.
    """
    from medgraph.graph.store import connect
    from medgraph.loaders.payments import load_payments, read_records

    name = dataset if dataset is not None else default_name(input_path)
    records = read_records(input_path)  # InputError (file, line, field): exit 2
    with connect() as store:
        counts = load_payments(store, records, model, dataset=name, replace=replace,
                               dry_run=dry_run)
    row = {"dataset": name, "model": model, "dry_run": dry_run, **counts}
    click.echo(render([row], fmt, document=row))


@click.command()
@click.option("--model", default="hangzhou", show_default=True,
              help="the model whose rules settled the cases")
@click.option("--year", type=int, help="only this year [default: every year]")
@click.option("--payer", metavar="AGENCY",
              help="only the findings and summary that concern this agency id")
@click.option("--tolerance", type=click.FloatRange(min=0), default=1.0, show_default=True,
              metavar="YUAN", help="differences up to this are rounding, not findings")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def reconcile(model: str, year: int | None, payer: str | None, tolerance: float,
              fmt: str) -> None:
    """Reconcile the observed payments with what the rules entitle: excess, duplicate,
    missed, over- and underpaid, and ineligible payments, each naming the payer to act,
    and a summary per payer and per scheme (docs/findings.md, "Reconciliation")."""
    from medgraph.analysis.reconcile import reconcile as run
    from medgraph.graph.known import require_model
    from medgraph.graph.store import connect

    with connect() as store:
        require_model(store, model)
        if payer is not None and not store.read("MATCH (a:Agency {id: $id}) RETURN a.id AS id",
                                                {"id": payer}):
            raise click.BadParameter(f"no agency {payer!r} in the store",
                                     param_hint="'--payer'")
        result = run(store, model=model, year=year, payer=payer, tolerance=tolerance)
    if fmt == "json":
        click.echo(render([], fmt, document=result.to_dict()))
        return
    if fmt == "csv":
        click.echo(render(_rows(result.findings, fmt), fmt, columns=COLUMNS))
        return
    click.echo("By payer")
    click.echo(render(result.by_payer, fmt))
    click.echo("\nBy scheme")
    click.echo(render(result.by_scheme, fmt))
    click.echo(f"\n{len(result.findings)} findings")
    if result.findings:
        click.echo(render(_rows(result.findings, fmt), fmt, columns=COLUMNS))


COMMANDS: list[click.Command] = [reconcile]
SUBCOMMANDS = {"load": [load_payments_command]}
