"""The report: one self-contained HTML file with the diagrams (inline SVG), the coverage gaps
and information islands, the KPIs against their targets, and every citation they rest on.

Nothing is linked: the file opens offline, prints, and can be mailed as it is.
"""

from __future__ import annotations

import html
import re
from typing import Any

from medgraph.visualizations import static
from medgraph.visualizations.views import build

REPORT_VIEWS = ("coordination", "mechanism", "funding", "data-sharing", "responsibility")

CSS = """
<style>
  body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; max-width: 70em;
         margin: 1em auto; padding: 0 1em; color: #222; }
  h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; }
  h3 { font-size: 1.05em; }
  figure { margin: 1em 0; page-break-inside: avoid; }
  figure svg { max-width: 100%; height: auto; }
  table { border-collapse: collapse; font-size: 0.88em; margin: 0.5em 0 1em; }
  th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
  td.met { background: #e5f5e0; } td.unmet { background: #fee0d2; }
  .high { color: #a50f15; font-weight: bold; } .medium { color: #d94801; }
  .muted { color: #666; } sup { font-size: 0.75em; }
  ol.citations li { margin-bottom: 0.3em; }
</style>
"""


class _Citations:
    """Numbers each distinct citation once, in order of first use."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._index: dict[tuple[Any, ...], int] = {}

    def ref(self, citation: dict[str, Any] | None) -> str:
        if not citation or not (citation.get("source") or citation.get("assumption")):
            return ""
        key = (citation.get("source"), citation.get("locator"), citation.get("quote"),
               citation.get("note"), citation.get("contested_by"))
        if key not in self._index:
            self.items.append(citation)
            self._index[key] = len(self.items)
        number = self._index[key]
        return f'<sup><a href="#cite-{number}">[{number}]</a></sup>'

    def html(self) -> str:
        lines = []
        for number, c in enumerate(self.items, 1):
            text = f"{c.get('source') or ''} {c.get('locator') or ''}".strip()
            if c.get("quote"):
                text += f" 「{c['quote']}」"
            if c.get("assumption"):
                text += f" — 假设 assumption: {c.get('note') or 'not stated in the source'}"
            if c.get("contested_by"):
                text += f" — 有争议 contested: {c['contested_by']}"
            lines.append(f'<li id="cite-{number}">{html.escape(text)}</li>')
        return f'<ol class="citations">{"".join(lines)}</ol>'


def _svg(content: bytes, prefix: str) -> str:
    """An SVG file as an element to inline; ids prefixed so two figures never share one."""
    text = content.decode("utf-8")
    text = text[text.index("<svg"):]
    text = re.sub(r'\bid="', f'id="{prefix}-', text)
    text = re.sub(r"url\(#", f"url(#{prefix}-", text)
    return re.sub(r'href="#', f'href="#{prefix}-', text)


def _models(store: Any) -> list[str]:
    rows = store.read("MATCH (a:Agency) WHERE a.model IS NOT NULL "
                      "RETURN DISTINCT a.model AS model ORDER BY model", {})
    return [r["model"] for r in rows]


def _views(store: Any, model: str, lang: str) -> str:
    parts = []
    for name in REPORT_VIEWS:
        view = build(store, name, model=model, lang=lang)
        if view.empty:
            parts.append(f'<p class="muted">{html.escape(view.title)}: 模型中无此类数据 '
                         "(nothing in the model for this view)</p>")
            continue
        parts.append(f'<figure id="{model}-{name}">'
                     f"{_svg(static.draw(view, 'svg'), f'{model}-{name}')}</figure>")
    return "".join(parts)


def _findings(findings: list[Any], cites: _Citations) -> str:
    if not findings:
        return '<p class="muted">无 none</p>'
    rows = []
    for f in findings:
        entities = ", ".join(e.get("name_zh") or e["id"] for e in f.entities)
        refs = "".join(cites.ref(c) for c in f.citations)
        rows.append(f"<tr><td>{html.escape(f.kind)}</td>"
                    f'<td class="{f.severity}">{html.escape(f.severity)}</td>'
                    f"<td>{html.escape(entities)}</td>"
                    f"<td>{html.escape(f.explanation)}{refs}</td></tr>")
    return ("<table><tr><th>kind</th><th>severity</th><th>entities</th><th>explanation</th></tr>"
            + "".join(rows) + "</table>")


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value:.1%}"


def _kpis(store: Any, model: str, year: int | None, cites: _Citations) -> str:
    from medgraph.analysis.findings import run
    from medgraph.analysis.kpi import kpis

    targets = run(store, "report_indicators", {"model": model})
    out = []
    if targets:
        rows = "".join(
            f"<tr><td>{html.escape(t['name_zh'] or t['code'] or t['id'])}</td>"
            f"<td>{html.escape(str(t['comparator'] or ''))} {_percent(t['target'])}</td>"
            f"<td>{html.escape(str(t['year'] or t['valid_from'] or ''))}"
            f"{' – ' + html.escape(str(t['valid_to'])) if t['valid_to'] else ''}</td>"
            f"<td>{cites.ref(t)}</td></tr>" for t in targets if t["target"] is not None)
        out.append("<h3>目标 Targets</h3><table><tr><th>indicator</th><th>target</th>"
                   f"<th>in force</th><th>source</th></tr>{rows}</table>")
    if year is None:
        out.append('<p class="muted">无病例数据,未测量指标 (no case data: nothing measured)</p>')
        return "".join(out)
    measured = [k for k in kpis(store, year, model) if k["base"]]
    if not measured:
        out.append(f'<p class="muted">{year} 年无本模型救助对象的病例 (no recipients\' cases '
                   "of this model in that year)</p>")
        return "".join(out)
    rows = []
    for k in measured:
        state = {True: ("met", "达标 met"), False: ("unmet", "未达标 not met"),
                 None: ("", "无目标 no target")}[k["met"]]
        target = (f"{k['comparator']} {_percent(k['target'])}" if k["target"] is not None
                  else "—")
        rows.append(f"<tr><td>{html.escape(k['code'])}</td><td>{_percent(k['value'])}</td>"
                    f"<td>{html.escape(target)}{cites.ref(k)}</td>"
                    f'<td class="{state[0]}">{state[1]}</td><td>{k["base"]}</td>'
                    f"<td>{html.escape(k['definition'])}</td></tr>")
    out.append(f"<h3>{year} 年实测 Measured in {year}</h3><table><tr><th>indicator</th>"
               "<th>value</th><th>target</th><th>state</th><th>base</th><th>definition</th>"
               f"</tr>{''.join(rows)}</table>")
    return "".join(out)


def report_html(store: Any, model: str | None = None, lang: str = "zh",
                year: int | None = None, **_: Any) -> str:
    """The report as one HTML string, for `model` or for every model in the store."""
    from medgraph.analysis.findings import gaps, islands, latest_case_year

    models = [model] if model else _models(store)
    if year is None:
        year = latest_case_year(store)
    cites = _Citations()
    sections = []
    for name in models:
        sections.append(
            f'<section id="model-{html.escape(name)}"><h2>模型 Model: {html.escape(name)}</h2>'
            f"<h3>网络图 Diagrams</h3>{_views(store, name, lang)}"
            f"<h3>保障缺口 Coverage gaps</h3>"
            f"{_findings(gaps(store, model=name, year=year), cites)}"
            f"<h3>信息孤岛 Information islands</h3>{_findings(islands(store, model=name), cites)}"
            f"<h2>指标 Indicators: {html.escape(name)}</h2>{_kpis(store, name, year, cites)}"
            "</section>")
    if not models:
        sections.append('<p class="muted">库中没有模型 (no model loaded): medgraph load model</p>')
    title = "因病致贫返贫保障网络报告 · medgraph report"
    return (f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title>'
            f"{CSS}</head><body><h1>{title}</h1>"
            f'<p class="muted">models: '
            f"{html.escape(', '.join(models) or '—')}</p>{''.join(sections)}"
            f"<h2>引用 Citations</h2>{cites.html()}</body></html>")
