"""Commands about cases: trace (and, beside it, settle, synth, load cases, kpi)."""

from __future__ import annotations

import click

from medgraph.output import FORMATS, render, to_json

COLUMNS = {
    "payments": ["scheme_code", "scheme_zh", "amount", "rule_id"],
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
    for section, columns in COLUMNS.items():
        rows = [{"section": section, **r} for r in result[section]]
        if fmt == "table":
            click.echo(f"\n{section.upper()}")
            click.echo(render(rows, "table", columns=columns))
        else:
            click.echo(render(rows, "csv", columns=["section", *columns]), nl=False)


COMMANDS = [trace]
