"""Network diagrams of the graph and the report.

`render(store, view, fmt, **options)` gives one view as HTML (interactive, self-contained),
SVG, PNG or PDF; `write_report(store, path, **options)` writes the one-file HTML report (or,
for a path ending in .pdf, its PDF) and the CSV of every finding beside it.

Views: coordination, mechanism, case (needs `case_id`), data-sharing, funding, responsibility.
Options: model, lang (zh|en), case_id, limit (aggregate above this many nodes), dpi (PNG),
link (SVG: a function of an entity's id and label giving the URL its box leads to).

>>> from medgraph.visualizations import FORMATS
>>> FORMATS
('html', 'svg', 'png', 'pdf')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FORMATS = ("html", "svg", "png", "pdf")


def render(store: Any, view: str, fmt: str = "svg", **options: Any) -> bytes:
    """One view as bytes. KeyError for an unknown view or case, ValueError for a bad option.

    >>> svg = render(store, "coordination", "svg", model="hangzhou")   # doctest: +SKIP
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    # the views (and networkx) are imported here: `citations`, which every table's command
    # uses, comes without them
    from medgraph.visualizations.views import build

    dpi = int(options.pop("dpi", 0) or 0)
    link = options.pop("link", None)
    built = build(store, view, **options)
    if fmt == "html":
        from medgraph.visualizations.interactive import render_html

        return render_html(built)
    from medgraph.visualizations.static import DPI, draw

    if fmt == "pdf":
        from medgraph.visualizations import pdf, static

        # The responsibility matrix prints in parts, a page each; other views on one page.
        pieces = static.matrix_parts(built) if built.matrix is not None else [built]
        pages = []
        for piece in pieces:
            svg = draw(piece, "svg")
            width, height = static.svg_inches(svg)
            pages.append((svg, width, height))
        return pdf.print_pdf(pdf.figure_pages(pages, built.title, static.SMALLEST_PT))
    return draw(built, fmt, dpi or DPI, link if fmt == "svg" else None)


def write_report(store: Any, path: str | Path, **options: Any) -> Path:
    """Write the self-contained HTML report to `path`, and every finding to the CSV beside
    it (`<name>-findings.csv`); returns the path of the report.

    >>> write_report(store, "report.html")                             # doctest: +SKIP
    PosixPath('report.html')
    """
    from medgraph.visualizations.report import build_report

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    beside = findings_csv(target)
    as_pdf = target.suffix.lower() == ".pdf"
    built = build_report(store, csv_name=beside.name, **options)
    content = None
    if as_pdf:  # printed before anything is written: a failed print leaves nothing behind
        from medgraph.visualizations.pdf import print_pdf

        content = print_pdf(built.page)
    # The CSV first: a report never links to a list that is not there.
    beside.write_text(built.csv(), encoding="utf-8")
    if content is not None:
        target.write_bytes(content)
    else:
        target.write_text(built.page, encoding="utf-8")
    return target


def findings_csv(report: Path) -> Path:
    """The CSV of every finding that goes beside a report.

    >>> findings_csv(Path("out/report.html")).as_posix()
    'out/report-findings.csv'
    """
    return report.with_name(f"{report.stem}-findings.csv")


__all__ = ["FORMATS", "findings_csv", "render", "write_report"]
