"""The what-if section: cost by payer, the indicators against their targets, the burden
before and after, and a district tile map, as inline SVG written by hand (as charts.py).

`medgraph whatif ... --html FILE` writes it as a page of its own (the file opens offline).

>>> doc = {"model": "m", "cases": 1, "target_year": 2025, "scenarios": [
...     {"name": "baseline", "by_payer": [{"fund": "f", "name": "Fund", "yuan": 10.0}],
...      "kpis": [], "burden": [{"band": "0-1,000", "person_years": 1}], "by_district": []}]}
>>> page = whatif_page(doc)
>>> page.startswith("<!DOCTYPE html>") and "Fund" in page
True
"""

from __future__ import annotations

import html
from typing import Any

from medgraph.loaders.districts import districts
from medgraph.visualizations.charts import MET, NONE, SIGNS, UNMET, _t

# One colour per scenario: the baseline grey, reforms in turn.
COLOURS = ("#969696", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#d6616b")


def _svg(width: int, height: int, label: str, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{html.escape(label)}">' + "".join(parts) + "</svg>")


def _legend(names: list[str], y: float) -> list[str]:
    parts, x = [], 0.0
    for k, name in enumerate(names):
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" '
                     f'fill="{COLOURS[k % len(COLOURS)]}"/>')
        parts.append(_t(x + 14, y, name, 10))
        x += 24 + 6.5 * len(name)
    return parts


def bars(title: str, rows: list[tuple[str, list[float | None]]], names: list[str],
         fmt: str = "{:,.0f}", width: int = 700, label_width: int = 260) -> str:
    """Grouped horizontal bars: a group per row, a bar per scenario, on one scale."""
    bar_h, gap = 11, 10
    top = 34
    groups = len(rows)
    per = len(names)
    height = top + groups * (per * bar_h + gap) + 8
    span = width - label_width - 90
    peak = max([abs(v) for _, vs in rows for v in vs if v is not None] + [1e-9])
    parts = [_t(0, 14, title, 12, weight="bold"), *_legend(names, 28)]
    for g, (label, values) in enumerate(rows):
        y0 = top + g * (per * bar_h + gap)
        short = label if len(label) <= 44 else label[:43] + "…"
        parts.append(_t(label_width - 6, y0 + per * bar_h / 2 + 4, short, 10, "end"))
        for k, value in enumerate(values):
            y = y0 + k * bar_h
            colour = COLOURS[k % len(COLOURS)]
            if value is not None:
                parts.append(f'<rect x="{label_width}" y="{y}" width="'
                             f'{span * abs(value) / peak:.1f}" height="{bar_h - 1}" '
                             f'fill="{colour}"/>')
            parts.append(_t(label_width + span * abs(value or 0) / peak + 4, y + bar_h - 2,
                            "—" if value is None else fmt.format(value), 9))
    return _svg(width, height, title, parts)


def kpis(doc: dict[str, Any], width: int = 640) -> str:
    """Each indicator: a bar per scenario (0-100 %), coloured met or not, the target a tick."""
    names = [s["name"] for s in doc["scenarios"]]
    codes = [k["code"] for k in doc["scenarios"][0]["kpis"]]
    label_width, bar_h, gap, top = 220, 12, 16, 34
    span = width - label_width - 70
    height = top + len(codes) * (len(names) * bar_h + gap) + 8
    title = f"Indicators of 002 一 against the targets in force in {doc['target_year']}"
    parts = [_t(0, 14, title, 12, weight="bold"), *_legend(names, 28)]
    for g, code in enumerate(codes):
        y0 = top + g * (len(names) * bar_h + gap)
        parts.append(_t(label_width - 6, y0 + len(names) * bar_h / 2 + 4,
                        code.replace("_", " "), 10, "end"))
        target = None
        for k, s in enumerate(doc["scenarios"]):
            row = s["kpis"][g]
            target, comparator = row["target"], row["comparator"]
            y = y0 + k * bar_h
            colour = {True: MET, False: UNMET, None: NONE}[row["met"]]
            parts.append(f'<rect x="{label_width}" y="{y}" width="{span}" '
                         f'height="{bar_h - 1}" fill="#f0f0f0"/>')
            if row["value"] is not None:
                parts.append(f'<rect x="{label_width}" y="{y}" width="'
                             f'{span * min(row["value"], 1.0):.1f}" height="{bar_h - 1}" '
                             f'fill="{colour}" stroke="{COLOURS[k % len(COLOURS)]}"/>')
            parts.append(_t(label_width + span + 4, y + bar_h - 2,
                            "—" if row["value"] is None else f"{row['value']:.1%}", 9,
                            fill=colour))
        if target is not None:
            tx = label_width + span * min(target, 1.0)
            parts.append(f'<line x1="{tx:.1f}" y1="{y0 - 2}" x2="{tx:.1f}" '
                         f'y2="{y0 + len(names) * bar_h + 1}" stroke="#222" stroke-width="2"/>')
            parts.append(_t(tx, y0 - 4, f"{SIGNS.get(comparator or '', '')} {target:.0%}", 9,
                            "middle"))
    return _svg(width, height, title, parts)


def tile_map(doc: dict[str, Any], model: str = "hangzhou", tile: int = 92) -> str:
    """The districts as tiles (no boundaries), each with the baseline's coverage of
    recipients and, for the first reform, its change of out of pocket."""
    found = {d.code: d for d in districts(model)}
    rows = {r["district"]: r for r in doc["scenarios"][0]["by_district"]}
    reform = doc["scenarios"][1] if len(doc["scenarios"]) > 1 else None
    changes = {r["district"]: r for r in reform["change"]["by_district"]} if reform else {}
    placed = [(found[c], rows[c]) for c in rows if c in found]
    if not placed:
        return ""
    height = (max(d.tile[0] for d, _ in placed) + 1) * tile + 40
    width = max((max(d.tile[1] for d, _ in placed) + 1) * tile, 700)
    title = "Districts: recipients' coverage (baseline)" + (
        f"; change of out of pocket under {reform['name']}" if reform else "")
    parts = [_t(0, 14, title, 12, weight="bold")]
    for d, row in placed:
        x, y = d.tile[1] * tile, 28 + d.tile[0] * tile
        value = row["comprehensive_coverage_rate"]
        shade = "#eeeeee" if value is None else \
            f"rgb({int(255 - 150 * value)},{int(255 - 60 * value)},{int(255 - 150 * value)})"
        parts.append(f'<rect x="{x + 2}" y="{y + 2}" width="{tile - 4}" height="{tile - 4}" '
                     f'fill="{shade}" stroke="#888"/>')
        parts.append(_t(x + tile / 2, y + 22, d.name_zh, 12, "middle", "bold"))
        parts.append(_t(x + tile / 2, y + 40, "—" if value is None else f"{value:.1%}", 11,
                        "middle"))
        if d.code in changes:
            parts.append(_t(x + tile / 2, y + 58, f"{changes[d.code]['out_of_pocket']:+,.0f}",
                            10, "middle"))
    return _svg(width, height, title, parts)


def whatif_section(doc: dict[str, Any]) -> str:
    """The section: what the reforms cost and whom they reach, in four charts."""
    names = [s["name"] for s in doc["scenarios"]]
    first = doc["scenarios"][0]
    payers = [(row["name"] or row["fund"], [
        next(r["yuan"] for r in s["by_payer"] if r["fund"] == row["fund"])
        for s in doc["scenarios"]]) for row in first["by_payer"]]
    burden = [(row["band"], [s["burden"][k]["person_years"] for s in doc["scenarios"]])
              for k, row in enumerate(first["burden"])]
    parts = [f"<h2>What-if: {html.escape(', '.join(names[1:]) or 'baseline')}</h2>",
             f"<p>{doc['cases']:,} cases of model {html.escape(doc['model'])}, settled under "
             "the baseline and each reform (docs/whatif.md).</p>",
             bars("Cost by payer (yuan)", payers, names)]
    if first["kpis"]:
        parts.append(kpis(doc))
    parts.append(bars("Burden: person-years by yearly out of pocket (yuan)", burden, names))
    parts.append(tile_map(doc, doc["model"]))
    return '<section class="part" id="whatif">' + "".join(p for p in parts if p) + "</section>"


def whatif_page(doc: dict[str, Any]) -> str:
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>What-if</title>"
            "<style>body{font-family:sans-serif;margin:24px} svg{display:block;margin:18px 0}"
            "</style></head><body>" + whatif_section(doc) + "</body></html>\n")
