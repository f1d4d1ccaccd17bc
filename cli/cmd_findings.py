"""`medgraph gaps` and `medgraph islands`: coverage gaps and information islands, cited.

\b
medgraph gaps --model hangzhou --year 2023 --warning-line 20000
medgraph islands --model hangzhou --without hangzhou.civil_affairs --format json
"""

from __future__ import annotations

import json
import math
from typing import Any

import click

from medgraph.output import FORMATS, render
from medgraph.visualizations import citations

COLUMNS = ["kind", "severity", "entities", "explanation", "citations"]


def _format_option(command: Any) -> Any:
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
        help="table for people; json (a list of findings) or csv for programs",
    )(command)


def _rows(findings: list[Any], fmt: str) -> list[dict[str, Any]]:
    """Findings as rows: the table shows names and short citations, csv keeps JSON cells."""
    rows = []
    for finding in findings:
        row = finding.to_dict()
        if fmt == "table":
            row["entities"] = ", ".join(e.get("name_zh") or e["id"] for e in row["entities"])
            # One citation format everywhere: 杭政办函〔2022〕70号 二(二)
            row["citations"] = "; ".join(citations.short(c) for c in row["citations"])
        else:
            row["entities"] = json.dumps(row["entities"], ensure_ascii=False)
            row["citations"] = json.dumps(row["citations"], ensure_ascii=False)
        rows.append(row)
    return rows


def _show(findings: list[Any], fmt: str) -> None:
    document = [f.to_dict() for f in findings]
    click.echo(render(_rows(findings, fmt), fmt, columns=COLUMNS, document=document))


@click.command()
@click.option("--model", help="limit the institutional model (hangzhou, national, lingqiu)")
@click.option("--year", type=int, help="the year of the case data [default: every year; "
                                       "the latest for enrolment]")
@click.option("--warning-line", "line", type=float, metavar="YUAN",
              help="yearly out-of-pocket line for monitoring [default: the model's, else 20000]")
@_format_option
def gaps(model: str | None, year: int | None, line: float | None, fmt: str) -> None:
    """Coverage gaps: who or what no scheme covers, certifies, funds or supervises, and the
    gaps the case data show (not enrolled, high burden, household burden, cliff, region)."""
    from medgraph.analysis.findings import gaps as find_gaps
    from medgraph.graph.known import require_model, require_year
    from medgraph.graph.store import connect

    if line is not None and not (math.isfinite(line) and line > 0):
        raise click.BadParameter(f"{line!r}: give an amount in yuan above 0",
                                 param_hint="'--warning-line'")
    with connect() as store:
        require_model(store, model)
        require_year(store, year)
        findings = find_gaps(store, model=model, year=year, params={"warning_line": line})
    _show(findings, fmt)


@click.command()
@click.option("--model", help="limit to one model")
@click.option("--without", metavar="ID|FROM_ID->TO_ID",
              help="what-if: recompute without this agency, system or link")
@_format_option
def islands(model: str | None, without: str | None, fmt: str) -> None:
    """Information islands: isolated systems, bodies no data path joins, duplicate-payment
    risks, monitors without data, and the single points of failure of the data network."""
    from medgraph.analysis.findings import islands as find_islands
    from medgraph.graph.known import require_model
    from medgraph.graph.store import connect

    with connect() as store:
        require_model(store, model)
        findings = find_islands(store, model=model, without=without)
    _show(findings, fmt)


COMMANDS = [gaps, islands]
