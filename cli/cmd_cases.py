"""Commands about cases: trace (and, beside it, settle, synth, load cases, kpi)."""

from __future__ import annotations

import math

import click

from medgraph.output import FORMATS, render, to_json

COLUMNS = {
    "payments": ["scheme_code", "scheme_zh", "amount", "rule_id", "contested_by"],
    "funds": ["scheme_id", "relation", "funder_zh", "funded_zh", "share", "amount", "citation"],
    "certifies": ["category_code", "valid_on_date", "agency_zh", "certificate_zh", "citation"],
    "pays": ["scheme_id", "relation", "agency_zh", "citation"],
    "supervises": ["agency_zh", "target_zh", "target_label", "citation"],
}


@click.command()
@click.argument("case_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def trace(case_id: str, fmt: str) -> None:
    """Who FUNDS, CERTIFIES, PAYS and SUPERVISES one case, each line with its source."""
    from medgraph.analysis.trace import trace_case
    from medgraph.graph.store import connect

    with connect() as store:
        result = trace_case(store, case_id)  # CaseNotFound: exit 2, naming the id
    if fmt == "json":
        click.echo(to_json(result))
        return
    case = result["case"]
    if fmt == "table":
        click.echo(f"case {case['id']}  person {case.get('person_id')}  "
                   f"household {case.get('household_id')}  date {case.get('date')}  "
                   f"total {case.get('total_cost')}  out of pocket {case.get('out_of_pocket')}")
    if fmt == "csv":  # one table: a row per line of every section, the section named
        columns = list(dict.fromkeys(c for cs in COLUMNS.values() for c in cs))
        rows = [{"section": section, **r} for section in COLUMNS for r in result[section]]
        click.echo(render(rows, "csv", columns=["section", *columns]), nl=False)
        return
    for section, columns in COLUMNS.items():
        click.echo(f"\n{section.upper()}")
        click.echo(render(result[section], "table", columns=columns))


@click.command()
@click.option("--year", type=int, required=True, help="calendar year of care")
@click.option("--model", default="hangzhou", show_default=True)
@click.option("--high-cost-line", type=float, default=None,
              help="yearly cost from which a recipient counts as high-cost (assumption) "
                   "[default: 50000]")
@click.option("--warning-line", type=float, default=None,
              help="out-of-pocket under which a high-cost burden counts as cleared "
                   "(assumption) [default: 20000]")
@click.option("--by", type=click.Choice(["district"]), default=None,
              help="also each district of the persons, against the city's targets")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def kpi(year: int, model: str, high_cost_line: float | None, warning_line: float | None,
        by: str | None, fmt: str) -> None:
    """The targets of 杭政办函〔2022〕70号 measured on the case data for one year.

    \b
    medgraph kpi --year 2024
    medgraph kpi --year 2024 --by district
    """
    from medgraph.analysis import kpi as k
    from medgraph.graph.known import require_case_model, require_year
    from medgraph.graph.store import connect

    for option, value in (("--high-cost-line", high_cost_line), ("--warning-line", warning_line)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise click.BadParameter(f"{value!r}: give an amount in yuan above 0",
                                     param_hint=f"'{option}'")
    with connect() as store:
        require_year(store, year)
        require_case_model(store, model)
        lines = {"high_cost_line": high_cost_line or k.HIGH_COST_LINE,
                 "warning_line": warning_line or k.WARNING_LINE}
        if by is None:
            rows = k.kpis(store, year, model, **lines)
        else:
            rows = k.district_rows(k.by_district(store, year, model, **lines))
    columns = ["code", "value", "comparator", "target", "met", "base", "definition"]
    click.echo(render(rows, fmt, columns=columns if by is None else ["district", *columns]))


COMMANDS = [trace, kpi]
