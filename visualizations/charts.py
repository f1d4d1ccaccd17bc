"""Small charts of the report's summary, as inline SVG written by hand.

The summary's charts are bars with a few labels: SVG text set in the page's font, no script,
no matplotlib round trip, so they print sharp and the PDF's text layer holds their numbers.
Sizes are in CSS pixels (96 to the inch); no text is smaller than 9 px (6.75 pt) on screen
and the print style sheet never scales the charts down.

>>> svg = kpi_chart("个人负担率", [(2024, 0.18, 0.2, "<=", True)])
>>> svg.startswith("<svg") and "18.0%" in svg and "≤ 20%" in svg
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence

SEVERITY_COLOURS = {"high": "#a50f15", "medium": "#e6550d", "low": "#fdae6b"}
MET, UNMET, NONE = "#31a354", "#de2d26", "#969696"
SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}


def _t(x: float, y: float, text: str, size: int = 11, anchor: str = "start",
       weight: str = "normal", fill: str = "#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{html.escape(text)}</text>')


def kpi_chart(title: str, years: Sequence[tuple[int, float | None, float | None, str | None,
                                                bool | None]], width: int = 330) -> str:
    """One KPI: a bar per year (value, 0–100%), the target in force that year as a tick.

    `years` holds (year, value, target, comparator, met) tuples, oldest first.
    """
    left, right, bar_h, gap = 44, 64, 16, 8
    top = 22
    height = top + len(years) * (bar_h + gap) + 16
    span = width - left - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart kpi" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{html.escape(title)}">',
             _t(0, 14, title, 12, weight="bold")]
    for i, (year, value, target, comparator, met) in enumerate(years):
        y = top + i * (bar_h + gap)
        parts.append(_t(left - 6, y + bar_h - 4, str(year), 11, "end"))
        parts.append(f'<rect x="{left}" y="{y}" width="{span}" height="{bar_h}" fill="#f0f0f0"/>')
        colour = {True: MET, False: UNMET, None: NONE}[met]
        if value is not None:
            parts.append(f'<rect x="{left}" y="{y}" width="{span * min(value, 1.0):.1f}" '
                         f'height="{bar_h}" fill="{colour}"/>')
        shown = "—" if value is None else f"{value:.1%}"
        parts.append(_t(left + span + 4, y + bar_h - 4, shown, 11, weight="bold", fill=colour))
        if target is not None:
            tx = left + span * min(target, 1.0)
            parts.append(f'<line x1="{tx:.1f}" y1="{y - 3}" x2="{tx:.1f}" y2="{y + bar_h + 3}" '
                         'stroke="#222" stroke-width="2"/>')
            label = f"{SIGNS.get(comparator or '', comparator or '')} {target:.0%}".strip()
            # The target's label sits under the last bar, where no value is written.
            if i == len(years) - 1:
                parts.append(_t(min(tx, left + span - 2), y + bar_h + 13, label, 10,
                                "end" if tx > left + span - 40 else "middle"))
    parts.append("</svg>")
    return "".join(parts)


def findings_chart(counts: dict[str, dict[str, int]], names: dict[str, str],
                   width: int = 680) -> str:
    """Findings by kind (rows) and severity (stacked, high first), counts written beside.

    The scale is the square root of the count, so a kind with 3 findings stays visible next
    to one with 1,000; the numbers, not the lengths, are the data.
    """
    kinds = sorted(counts, key=lambda k: (-counts[k].get("high", 0), -sum(counts[k].values()),
                                          k))
    label_w, right, bar_h, gap = 290, 60, 14, 5
    top = 20
    height = top + len(kinds) * (bar_h + gap) + 8
    span = width - label_w - right
    biggest = max((sum(c.values()) for c in counts.values()), default=1) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart findings" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="findings by kind and severity">']
    x = label_w
    for severity, colour in SEVERITY_COLOURS.items():
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>')
        parts.append(_t(x + 14, 13, severity, 10))
        x += 70
    for i, kind in enumerate(kinds):
        y = top + i * (bar_h + gap)
        total = sum(counts[kind].values())
        parts.append(_t(label_w - 6, y + bar_h - 3, names.get(kind, kind), 10, "end"))
        length = span * (total / biggest) ** 0.5
        x = float(label_w)
        for severity, colour in SEVERITY_COLOURS.items():
            n = counts[kind].get(severity, 0)
            if n:
                w = length * n / total
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1.5):.1f}" '
                             f'height="{bar_h}" fill="{colour}"><title>{severity}: {n}</title>'
                             "</rect>")
                x += w
        parts.append(_t(x + 4, y + bar_h - 3, f"{total:,}", 10))
    parts.append("</svg>")
    return "".join(parts)
