"""`medgraph draw` and `medgraph report`: network diagrams and the one-file HTML report.

\b
medgraph draw coordination --model hangzhou --format svg -o coordination.svg
medgraph draw case C1 --format html
medgraph report -o report.html
medgraph report -o report.pdf
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

VIEW_NAMES = ("coordination", "mechanism", "case", "data-sharing", "funding", "responsibility")


class Refused(click.ClickException):
    """Bad input or a missing font: one line on stderr, exit 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"medgraph: {self.message}", err=True)


@click.command()
@click.argument("view", type=click.Choice(VIEW_NAMES))
@click.argument("case_id", required=False)
@click.option("--model", help="the model to draw (hangzhou, national, lingqiu) [default: all]")
@click.option("--format", "fmt", type=click.Choice(("html", "svg", "png", "pdf")),
              help="[default: from the -o suffix, else svg]")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="file to write [default: VIEW.FORMAT in the current folder]")
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True,
              help="label language (the other one is in the tooltip)")
@click.option("--dpi", type=click.IntRange(50, 600), default=150, show_default=True,
              help="PNG resolution")
def draw(view: str, case_id: str | None, model: str | None, fmt: str | None,
         output: Path | None, lang: str, dpi: int) -> None:
    """Draw one view: coordination, mechanism, case CASE_ID, data-sharing, funding or
    responsibility, as interactive HTML (works offline), print-quality SVG / PNG, or PDF on
    the smallest of A4 and A3 that keeps its text at 7 pt or more."""
    from medgraph.graph.known import require_model
    from medgraph.graph.store import connect
    from medgraph.visualizations import render
    from medgraph.visualizations.pdf import BrowserMissing
    from medgraph.visualizations.static import FontMissing

    if view == "case" and not case_id:
        raise Refused("the case view needs a case id: medgraph draw case CASE_ID")
    if view != "case" and case_id:
        raise Refused(f"the {view} view takes no case id (got {case_id!r})")
    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output else ""
        fmt = suffix if suffix in ("html", "svg", "png", "pdf") else "svg"
    if output is None:
        output = Path(f"{view}{'-' + case_id if case_id else ''}.{fmt}")
    options: dict[str, Any] = {"lang": lang, "dpi": dpi}
    if model:
        options["model"] = model
    if case_id:
        options["case_id"] = case_id
    with connect() as store:
        require_model(store, model)
        try:
            content = render(store, view, fmt, **options)
        except (FontMissing, BrowserMissing, ValueError) as exc:
            raise Refused(str(exc)) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(content)
    click.echo(str(output))


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="file to write [default: report.FORMAT]; every finding goes to "
                   "NAME-findings.csv beside it")
@click.option("--format", "fmt", type=click.Choice(("html", "pdf")),
              help="[default: from the -o suffix, else html]")
@click.option("--model", help="one model [default: every model in the store]")
@click.option("--year", type=int, help="year of the case data [default: the latest]")
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True)
@click.option("--whatif", "reforms", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="add a what-if section: the loaded cases under the model's rules and under "
                   "this reform (repeatable; docs/whatif.md) [model: --model, else hangzhou]")
def report(output: Path | None, fmt: str | None, model: str | None, year: int | None,
           lang: str, reforms: tuple[Path, ...]) -> None:
    """The report: a summary (KPIs against their targets, findings by kind and severity, the
    most serious findings, who is accountable for each scheme), the diagrams, the findings by
    kind and the citations, as one self-contained HTML file or a PDF (headless Chromium).
    With --whatif, also what the reforms would cost and whom they would reach."""
    from medgraph.graph.known import require_model, require_year
    from medgraph.graph.store import connect
    from medgraph.visualizations import write_report
    from medgraph.visualizations.pdf import BrowserMissing
    from medgraph.visualizations.static import FontMissing

    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output else ""
        fmt = suffix if suffix in ("html", "pdf") else "html"
    if output is None:
        output = Path(f"report.{fmt}")
    elif output.suffix.lower() != f".{fmt}":
        raise Refused(f"--format {fmt} but the output {output} does not end in .{fmt}")
    read = []
    if reforms:
        from medgraph.settlement.reforms import read_reform

        read = [read_reform(path) for path in reforms]  # InputError: exit 2, nothing written
    with connect() as store:
        require_model(store, model)
        require_year(store, year)
        whatif_doc = _whatif(store, model or "hangzhou", read, year) if read else None
        try:
            path = write_report(store, output, model=model, year=year, lang=lang,
                                whatif=whatif_doc)
        except (FontMissing, BrowserMissing) as exc:
            raise Refused(str(exc)) from None
    click.echo(str(path))


def _whatif(store: Any, model: str, reforms: list[Any], year: int | None) -> dict[str, Any]:
    """The loaded cases under the baseline and each reform (what `medgraph whatif` prints)."""
    from medgraph.analysis import whatif
    from medgraph.graph.known import require_case_model
    from medgraph.loaders.stored_input import stored_input

    require_case_model(store, model, option="--model")
    doc = whatif.run(model, reforms, stored_input(store, None), year=year)
    return whatif.public(doc)


COMMANDS = [draw, report]
