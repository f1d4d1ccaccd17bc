"""The report: one self-contained HTML file a report writer can hand in, and its findings CSV.

It reads in the order a reader needs: a summary first (the KPIs of 杭政办函〔2022〕70号 against
their targets, a chart each; the findings by kind and severity; the five most serious findings
in plain words; who funds, certifies, pays and supervises each scheme), then the diagrams of
each model, then the findings grouped by kind (what the kind means, once, and a table of its
cases; a long group shows its most serious rows and the full list is in the CSV beside the
report), then the indicators in detail and the numbered citations.

Nothing is linked but the CSV: the file opens offline, prints (print CSS: a section per page,
page numbers, the citations as endnotes) and can be mailed as it is.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from medgraph.visualizations import charts, citations, pdf, static, style
from medgraph.visualizations.views import build

REPORT_VIEWS = ("coordination", "mechanism", "funding", "data-sharing", "responsibility")
# A group of findings longer than this shows its most serious rows; the CSV holds them all.
GROUP_ROWS = 15
TOP = 5
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}

# Each kind of finding in plain words: (Chinese name, English name, what it means). The order
# is that of seriousness among findings of the same severity: a group nobody pays for or a
# payment nobody can check comes before one household's burden.
KINDS: dict[str, tuple[str, str, str]] = {
    "category_without_scheme": (
        "无制度覆盖的人群", "group no scheme covers",
        "No scheme or benefit rule applies to the group: its members fall between the schemes."),
    "category_without_certifier": (
        "无认定部门的人群", "group nobody certifies",
        "No body certifies the group, so nobody can prove membership and no benefit that "
        "depends on it can be claimed."),
    "scheme_without_funder": (
        "无资金来源的制度", "scheme nobody funds",
        "No body, jurisdiction or fund finances the scheme."),
    "certifier_payer_no_data_path": (
        "认定与支付之间无数据通路", "no data path from certifier to payer",
        "The body that certifies a group and the body that pays for it share no information "
        "system: each payment rests on paper or on trust."),
    "monitoring_without_data": (
        "监测无数据", "monitoring without data",
        "A body is charged with monitoring an indicator but reaches no system holding the data."),
    "duplicate_payment": (
        "重复支付风险", "risk of duplicate payment",
        "Two payers of the same cost see no common record of what the other paid."),
    "recipient_not_enrolled": (
        "救助对象未参保", "recipient not enrolled",
        "A person holding an assistance category is not enrolled in basic medical insurance; "
        "002 一 requires 100% subsidised enrolment."),
    "cliff_effect": (
        "悬崖效应", "cliff effect",
        "A household just outside every category carries a burden over the warning line that a "
        "category would have relieved."),
    "high_residual_burden": (
        "个人负担超预警线", "burden over the warning line",
        "What a person paid in the year after all schemes exceeds the early-warning line."),
    "household_catastrophic": (
        "家庭灾难性支出", "catastrophic household spending",
        "A household's members together exceed the line though none does alone: thresholds per "
        "person miss it."),
    "uncovered_expense": (
        "无制度支付的费用", "costs no scheme pays",
        "Costs that fall outside every scheme: care without referral, before certification, or "
        "out of the catalogue."),
    "duplicate_assistance_risk": (
        "重复救助风险", "risk of duplicate assistance",
        "Bodies that assist the same people share no data, so one person may be helped twice "
        "and another not at all."),
    "single_point_of_failure": (
        "单点故障", "single point of failure",
        "One body or system joins parts of the data network that have no other link."),
    "scheme_without_administrator": (
        "无经办部门的制度", "scheme nobody administers",
        "No body administers or pays the scheme: nobody answers for its payments."),
    "scheme_without_supervisor": (
        "无监管部门的制度", "scheme nobody supervises",
        "No body supervises the scheme or its fund: its payments are checked by nobody."),
    "measure_without_responsible": (
        "无责任部门的措施", "measure nobody owns",
        "No agency is responsible for the measure, so nobody is bound to carry it out."),
    "data_island": (
        "信息孤岛", "information island",
        "Systems and bodies cut off from the model's main data network."),
    "isolated_system": (
        "孤立的信息系统", "isolated information system",
        "An information system that shares data with nothing."),
    "regional_disparity": (
        "地区差异", "regional disparity",
        "The same bill leaves very different amounts to pay from one city to another."),
    "what_if": (
        "假设情景", "what if",
        "What the data network loses if a body or link is taken away."),
}
_ORDER = {kind: i for i, kind in enumerate(KINDS)}

CSS = """
<style>
  body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; max-width: 70em;
         margin: 1em auto; padding: 0 1em; color: #222; line-height: 1.45; }
  h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; }
  h3 { font-size: 1.05em; margin-top: 1.2em; }
  figure { margin: 1em 0; } figcaption { display: none; }
  figure svg { max-width: 100%; height: auto; }
  table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
  th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
  td.met { background: #e5f5e0; } td.unmet { background: #fee0d2; }
  .high { color: #a50f15; font-weight: bold; } .medium { color: #d94801; }
  .muted { color: #666; } sup { font-size: 0.75em; }
  a.cite { color: #08519c; text-decoration: none; white-space: nowrap; }
  .kpis { display: flex; flex-wrap: wrap; gap: 0.6em 2em; }
  .kpi p { margin: 0.1em 0 0; font-size: 0.8em; max-width: 26em; }
  ol.top li { margin-bottom: 0.5em; }
  table.roles td { max-width: 16em; }
  ol.citations { font-size: 0.85em; } ol.citations li { margin-bottom: 0.3em; }
  @page { size: A4; margin: 16mm 14mm 18mm;
          @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt;
                           color: #555; } }
  @page a4-portrait { size: A4 portrait; } @page a4-landscape { size: A4 landscape; }
  @page a3-portrait { size: A3 portrait; } @page a3-landscape { size: A3 landscape; }
  @media print {
    body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
    section.part { break-before: page; }
    section.part:first-of-type { break-before: auto; }
    figure { break-inside: avoid; break-before: page; margin: 0; }
    /* The figures carry the heading in their caption: no page holds a heading alone. */
    #diagrams > h2, #diagrams section > h3 { display: none; }
    figcaption { display: block; font-size: 9pt; color: #555; margin-bottom: 2mm; }
    tr, .kpi, li { break-inside: avoid; }
    h2, h3 { break-after: avoid; }
    a { color: inherit; }
  }
</style>
"""


@dataclass
class Text:
    """Headings in the report's language: both for a Chinese report, English alone for en."""

    lang: str = "zh"

    def __call__(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else f"{zh} {en}"


class _Citations:
    """Numbers each distinct citation once, in order of first use (the endnotes)."""

    def __init__(self, lang: str = "zh") -> None:
        self.lang = lang
        self.items: list[dict[str, Any]] = []
        self._index: dict[tuple[Any, ...], int] = {}

    def number(self, citation: dict[str, Any]) -> int:
        key = (citation.get("source"), citation.get("locator"), citation.get("quote"),
               citation.get("note"), citation.get("contested_by"))
        if key not in self._index:
            self.items.append(citation)
            self._index[key] = len(self.items)
        return self._index[key]

    def ref(self, citation: dict[str, Any] | None) -> str:
        """The short citation, linked to its note, the full quote on hover."""
        if not citation or not (citation.get("source") or citation.get("assumption")):
            return ""
        number = self.number(citation)
        return (f'<a class="cite" href="#cite-{number}" '
                f'title="{html.escape(citations.full(citation, self.lang), quote=True)}">'
                f"{html.escape(citations.short(citation, self.lang))}<sup>[{number}]</sup></a>")

    def refs(self, cited: list[dict[str, Any]]) -> str:
        return " ".join(r for r in (self.ref(c) for c in cited) if r)

    def html(self) -> str:
        lines = [f'<li id="cite-{n}">{html.escape(citations.full(c, self.lang))}</li>'
                 for n, c in enumerate(self.items, 1)]
        return f'<ol class="citations">{"".join(lines)}</ol>'


@dataclass
class Report:
    """The report's page and the rows of its findings CSV."""

    page: str
    findings: list[dict[str, Any]] = field(default_factory=list)

    def csv(self) -> str:
        buffer = io.StringIO()
        columns = ["model", "kind", "severity", "entities", "explanation", "citations",
                   "quotes"]
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.findings)
        return buffer.getvalue()


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


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value:.1%}"


def _entities(finding: Any) -> str:
    return "、".join(e.get("name_zh") or e["id"] for e in finding.entities)


def _plain(finding: Any) -> str:
    """Who or what, then the explanation; the names once when the explanation starts with
    them."""
    who = _entities(finding)
    if not who or finding.explanation.startswith(who.split("、")[0]):
        return finding.explanation
    return f"{who} — {finding.explanation}"


def _serious(finding: Any) -> tuple[Any, ...]:
    """Sort key: severity, then the kind's place in KINDS, then the larger amount first."""
    amount = max((v for k, v in finding.facts.items()
                  if isinstance(v, int | float) and not isinstance(v, bool)
                  and k in ("burden", "expense", "amount", "residual_marginal", "total")),
                 default=0)
    return (SEVERITY_RANK[finding.severity], _ORDER.get(finding.kind, len(_ORDER)), -amount)


# -- the summary --------------------------------------------------------------------------------
def _kpi_years(store: Any, model: str, latest: int | None) -> dict[int, list[dict[str, Any]]]:
    """The KPIs measured in the earliest and in the latest year of the case data."""
    from medgraph.analysis.findings import run
    from medgraph.analysis.kpi import kpis

    if latest is None:
        return {}
    rows = run(store, "earliest_case_year", {"oldest": 1949, "newest": latest})
    years = sorted({rows[0]["year"] if rows else latest, latest})
    out = {y: [k for k in kpis(store, y, model)] for y in years}
    return {y: ks for y, ks in out.items() if any(k["base"] for k in ks)}


def _kpi_summary(store: Any, model: str, names: dict[str, str], measured: dict[int, list[
        dict[str, Any]]], cites: _Citations, t: Text) -> str:
    if not measured:
        return ""
    latest = max(measured)
    blocks = []
    for k in measured[latest]:
        series = [(year, next(m for m in ks if m["code"] == k["code"]))
                  for year, ks in sorted(measured.items())]
        chart = charts.kpi_chart(names.get(k["code"], k["code"]), [
            (year, m["value"], m["target"], m["comparator"], m["met"]) for year, m in series])
        target = (f"{charts.SIGNS.get(k['comparator'] or '', '')} {_percent(k['target'])}"
                  if k["target"] is not None else "—")
        blocks.append(
            f'<div class="kpi" data-code="{html.escape(k["code"])}">{chart}'
            f'<p>{html.escape(k["code"])} · {t("目标", "target")} {html.escape(target)} '
            f"{cites.ref(k)} · {t('基数', 'base')} {k['base']:,}</p></div>")
    legend = t("绿色:达到目标;红色:未达到;竖线:当年有效的目标",
               "green: target reached; red: not reached; tick: the target in force that year")
    return (f"<h3>{t('指标与目标', 'Indicators against their targets')} · "
            f"{html.escape(model)}</h3><div class=\"kpis\">{''.join(blocks)}</div>"
            f'<p class="muted">{html.escape(legend)}</p>')


def _top(findings: list[tuple[str, Any]], cites: _Citations, t: Text) -> str:
    """The most serious findings, at most one per kind, in plain words."""
    ranked = sorted(findings, key=lambda mf: _serious(mf[1]))
    seen: set[str] = set()
    chosen = []
    for model, f in ranked:
        if f.kind not in seen:
            seen.add(f.kind)
            chosen.append((model, f))
        if len(chosen) == TOP:
            break
    count = Counter(f.kind for _, f in findings)
    items = []
    for model, f in chosen:
        zh, en, _ = KINDS.get(f.kind, (f.kind, f.kind, ""))
        more = count[f.kind] - 1
        also = (f" {t(f'另有 {more} 项同类', f'and {more:,} more of this kind')}."
                if more else "")
        items.append(
            f'<li><b class="{f.severity}">{html.escape(t(zh, en))}</b> ({html.escape(model)}, '
            f"{html.escape(f.severity)}): {html.escape(_plain(f))}{html.escape(also)} "
            f"{cites.refs(f.citations)}</li>")
    return f'<ol class="top">{"".join(items)}</ol>' if items else ""


def _cell(names: list[str], limit: int = 3) -> str:
    unique = list(dict.fromkeys(n for n in names if n))
    if not unique:
        return '<span class="unmet">—</span>'
    shown = ("; " if unique[0].isascii() else "、").join(unique[:limit])
    return html.escape(shown + (f" +{len(unique) - limit}" if len(unique) > limit else ""))


NO_ROLE = "Schemes with no role in the model"


def _roles(store: Any, model: str, t: Text) -> str:
    """Scheme by scheme, who funds, certifies its groups, pays and supervises it."""
    from medgraph.analysis.findings import run
    from medgraph.analysis.trace import scheme_accountability

    schemes = run(store, "report_scheme_categories", {"model": model})
    if not schemes:
        return ""
    rows = []
    bare = []
    answers = {s["id"]: scheme_accountability(store, [s["id"]], [model], s["categories"])
               for s in schemes}
    # The query names bodies in Chinese; an English report shows their English names.
    ids = sorted({x[k] for a in answers.values() for part in a.values() for x in part
                  for k in ("funder_id", "agency_id") if x.get(k)})
    names = {r["n"]["id"]: style.label(r["n"], t.lang)
             for r in (run(store, "case_nodes", {"ids": ids}) if ids else [])}
    for s in schemes:
        around = answers[s["id"]]
        funds = [names.get(f["funder_id"], f["funder_zh"]) for f in around["funds"]
                 if f["scheme_id"] == s["id"]]
        targets = {s["id"]} | {f["funder_id"] for f in around["funds"]
                               if f["funded_id"] == s["id"] and f["funder_label"] == "Fund"}
        supervises = [names.get(x["agency_id"], x["agency_zh"]) for x in around["supervises"]
                      if x["target_id"] in targets]
        name = style.label(s, t.lang)
        if not (funds or around["certifiers"] or around["pays"] or supervises):
            bare.append(name)  # e.g. a city of 001 Table 3: parameters, no bodies
            continue
        certifies = [names.get(c["agency_id"], c["agency_zh"]) for c in around["certifiers"]]
        pays = [names.get(p["agency_id"], p["agency_zh"]) for p in around["pays"]]
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{_cell(funds)}</td>"
                    f"<td>{_cell(certifies)}</td><td>{_cell(pays)}</td>"
                    f"<td>{_cell(supervises)}</td></tr>")
    head = "".join(f"<th>{t(zh, en)}</th>" for zh, en in (
        ("制度", "scheme"), ("出资", "funds"), ("认定", "certifies"), ("支付", "pays"),
        ("监管", "supervises")))
    return (f"<h3>{t('谁负责什么', 'Who is accountable for what')} · {html.escape(model)}</h3>"
            f'<table class="roles"><tr>{head}</tr>{"".join(rows)}</table>'
            + (f'<p class="muted">{t("以下制度在模型中无任何角色", NO_ROLE)}: '
               f'{html.escape("、".join(bare))}</p>' if bare else ""))


# -- the parts after the summary ------------------------------------------------------------------
def _figure(view: Any, fid: str, model: str, t: Text) -> str:
    """A view as an inline SVG figure; in print, a page of its own paper (A4 or A3, either
    way round) at a scale that keeps its smallest text at 7 pt or more."""
    svg = static.draw(view, "svg")
    width, height = static.svg_inches(svg)
    sheet = pdf.paper(width, height, static.SMALLEST_PT)
    return (f"<style>@media print {{ #{fid} {{ page: {sheet.name}; }} "
            f"#{fid} svg {{ width: {width * pdf.MM * sheet.scale:.1f}mm; "
            f"height: {height * pdf.MM * sheet.scale:.1f}mm; max-width: none; "
            "max-height: none; }} }}</style>"
            f'<figure id="{fid}"><figcaption>{t("网络图", "Diagrams")} · '
            f"{t('模型', 'model')} {html.escape(model)}</figcaption>"
            f"{_svg(svg, fid)}</figure>")


def _views(store: Any, model: str, lang: str, t: Text) -> str:
    """Each view of the model as a figure with a caption; in print, a page each. The views
    with nothing to draw are named once, before the figures (never a page of their own)."""
    figures, empty = [], []
    for name in REPORT_VIEWS:
        view = build(store, name, model=model, lang=lang)
        if view.empty:
            empty.append(view.title)
            continue
        # The responsibility matrix in parts that fit a page each; other views whole.
        pieces = static.matrix_parts(view) if view.matrix is not None else [view]
        for i, piece in enumerate(pieces):
            fid = f"{model}-{name}" + (f"-{i + 1}" if i else "")
            figures.append(_figure(piece, fid, model, t))
    note = (f'<p class="muted empty">{t("模型中无此类数据", "Nothing in the model for")}: '
            f"{html.escape('; '.join(empty))}</p>" if empty else "")
    if note and figures:  # in print the note goes with the first figure, on its page
        head, _, rest = figures[0].partition("</figcaption>")
        figures[0] = f"{head}</figcaption>{note}{rest}"
        return "".join(figures)
    return note + "".join(figures)


def _groups(findings: list[tuple[str, Any]], cites: _Citations, t: Text, csv_name: str,
            group_rows: int) -> str:
    by_kind: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for model, f in findings:
        by_kind[f.kind].append((model, f))
    several = len({m for m, _ in findings}) > 1
    out = []
    for kind in sorted(by_kind, key=lambda k: (min(SEVERITY_RANK[f.severity]
                                                   for _, f in by_kind[k]),
                                               _ORDER.get(k, len(_ORDER)), k)):
        group = sorted(by_kind[kind], key=lambda mf: _serious(mf[1]))
        zh, en, meaning = KINDS.get(kind, (kind, kind, ""))
        severities = Counter(f.severity for _, f in group)
        counted = ", ".join(f"{severities[s]:,} {s}" for s in SEVERITY_RANK if severities[s])
        shown = group[:group_rows]
        head = "".join(f"<th>{h}</th>" for h in (
            ([t("模型", "model")] if several else [])
            + [t("严重程度", "severity"), t("对象", "who / what"), t("说明", "details"),
               t("依据", "source")]))
        rows = []
        for model, f in shown:
            rows.append("<tr>" + (f"<td>{html.escape(model)}</td>" if several else "")
                        + f'<td class="{f.severity}">{html.escape(f.severity)}</td>'
                        f"<td>{html.escape(_entities(f))}</td>"
                        f"<td>{html.escape(f.explanation)}</td>"
                        f"<td>{cites.refs(f.citations)}</td></tr>")
        rest = ""
        if len(group) > len(shown):
            cut = t(f"仅列出最严重的 {len(shown)} 项(共 {len(group):,} 项),全部见",
                    f"The {len(shown)} most serious of {len(group):,} are shown; all are in")
            rest = (f'<p class="muted">{html.escape(cut)} <a href="{html.escape(csv_name)}">'
                    f"{html.escape(csv_name)}</a>.</p>")
        out.append(f'<section class="group" id="kind-{html.escape(kind)}">'
                   f"<h3>{html.escape(t(zh, en))} <span class=\"muted\">({len(group):,}: "
                   f"{counted})</span></h3><p>{html.escape(meaning)}</p>"
                   f"<table>{'<tr>' + head + '</tr>'}{''.join(rows)}</table>{rest}</section>")
    return "".join(out) or f'<p class="muted">{t("无", "none")}</p>'


def _kpi_detail(store: Any, model: str, year: int | None, cites: _Citations, t: Text) -> str:
    from medgraph.analysis.findings import run
    from medgraph.analysis.kpi import kpis

    targets = run(store, "report_indicators", {"model": model})
    out = []
    if targets:
        rows = "".join(
            f"<tr><td>{html.escape(style.label(i, t.lang) or i['code'] or i['id'])}</td>"
            f"<td>{html.escape(str(i['comparator'] or ''))} {_percent(i['target'])}</td>"
            f"<td>{html.escape(str(i['year'] or i['valid_from'] or ''))}"
            f"{' – ' + html.escape(str(i['valid_to'])) if i['valid_to'] else ''}</td>"
            f"<td>{cites.ref(i)}</td></tr>" for i in targets if i["target"] is not None)
        out.append(f"<h3>{t('目标', 'Targets')} · {html.escape(model)}</h3><table><tr>"
                   f"<th>{t('指标', 'indicator')}</th><th>{t('目标', 'target')}</th>"
                   f"<th>{t('有效期', 'in force')}</th><th>{t('依据', 'source')}</th></tr>"
                   f"{rows}</table>")
    if year is None:
        return "".join(out)
    measured = [k for k in kpis(store, year, model) if k["base"]]
    if not measured:
        return "".join(out)
    rows_m = []
    for k in measured:
        state = {True: ("met", "达标 met"), False: ("unmet", "未达标 not met"),
                 None: ("", "无目标 no target")}[k["met"]]
        target = (f"{k['comparator']} {_percent(k['target'])}" if k["target"] is not None
                  else "—")
        rows_m.append(f"<tr><td>{html.escape(k['code'])}</td><td>{_percent(k['value'])}</td>"
                      f"<td>{html.escape(target)} {cites.ref(k)}</td>"
                      f'<td class="{state[0]}">{state[1]}</td><td>{k["base"]:,}</td>'
                      f"<td>{html.escape(k['definition'])}</td></tr>")
    out.append(f"<h3>{year} {t('年实测', 'measured')} · {html.escape(model)}</h3><table><tr>"
               f"<th>{t('指标', 'indicator')}</th><th>{t('实测', 'value')}</th>"
               f"<th>{t('目标', 'target')}</th><th>{t('状态', 'state')}</th>"
               f"<th>{t('基数', 'base')}</th><th>{t('定义', 'definition')}</th></tr>"
               f"{''.join(rows_m)}</table>")
    return "".join(out)


def build_report(store: Any, model: str | None = None, lang: str = "zh",
                 year: int | None = None, csv_name: str = "report-findings.csv",
                 group_rows: int = GROUP_ROWS, whatif: dict[str, Any] | None = None,
                 **_: Any) -> Report:
    """The report for `model` or for every model in the store; `whatif` (the JSON of
    `medgraph whatif`) adds its section after the indicators."""
    from medgraph.analysis.findings import gaps, islands, latest_case_year, run

    t = Text(lang)
    models = [model] if model else _models(store)
    if year is None:
        year = latest_case_year(store)
    cites = _Citations(lang)
    found: list[tuple[str, Any]] = []
    for name in models:
        found += [(name, f) for f in gaps(store, model=name, year=year)]
        found += [(name, f) for f in islands(store, model=name)]

    summary = [f"<h2>{t('摘要', 'Summary')}</h2>"]
    for name in models:
        indicators = run(store, "report_indicators", {"model": name})
        if not any(i["target"] is not None for i in indicators):
            continue  # KPIs are measured against targets: a model without any has none
        names = {i["code"]: style.label(i, lang) for i in indicators if i["code"]}
        names = {c: re.sub(r"\s*\((to|from) \d{4}\)$", "", n) for c, n in names.items()}
        summary.append(_kpi_summary(store, name, names, _kpi_years(store, name, year), cites,
                                    t))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, f in found:
        counts[f.kind][f.severity] += 1
    kind_names = {k: t(*KINDS[k][:2]) if k in KINDS else k for k in counts}
    summary.append(f"<h3>{t('发现:按类型与严重程度', 'Findings by kind and severity')} "
                   f"<span class=\"muted\">({len(found):,})</span></h3>")
    summary.append(charts.findings_chart(counts, kind_names) if found
                   else f'<p class="muted">{t("无", "none")}</p>')
    summary.append(f"<h3>{t('最严重的五项发现', 'The five most serious findings')}</h3>")
    summary.append(_top(found, cites, t))
    for name in models:
        summary.append(_roles(store, name, t))

    diagrams = [f"<h2>{t('网络图', 'Diagrams')}</h2>"]
    for name in models:
        diagrams.append(f'<section id="model-{html.escape(name)}"><h3>{t("模型", "Model")}: '
                        f"{html.escape(name)}</h3>{_views(store, name, lang, t)}</section>")
    if not models:
        diagrams.append(f'<p class="muted">{t("库中没有模型", "no model loaded")}: '
                        "medgraph load model</p>")
    details = [f"<h2>{t('发现:按类型', 'Findings by kind')}</h2>",
               _groups(found, cites, t, csv_name, group_rows)]
    indicators_part = [f"<h2>{t('指标', 'Indicators')}</h2>"] + [
        _kpi_detail(store, name, year, cites, t) for name in models]
    title = t("因病致贫返贫保障网络报告", "Report on the safety net against poverty caused "
              "by illness") + " · medgraph report"
    from medgraph.visualizations.report_reconcile import reconciliation_part

    reconciled = reconciliation_part(store, models, year, t, cites)
    parts = [("summary", summary), ("diagrams", diagrams), ("findings", details),
             *([("reconciliation", reconciled)] if reconciled else []),
             ("indicators", indicators_part),
             ("citations", [f"<h2>{t('引用', 'Citations')}</h2>", cites.html()])]
    body = "".join(f'<section class="part" id="{pid}">{"".join(content)}</section>'
                   for pid, content in parts[:-1])
    if whatif is not None:
        from medgraph.visualizations.whatif_section import whatif_section

        body += whatif_section(whatif)
    body += f'<section class="part" id="citations">{"".join(parts[-1][1])}</section>'
    page = (f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "zh"}"><head>'
            f'<meta charset="utf-8"><title>{html.escape(title)}</title>{CSS}</head><body>'
            f"<h1>{html.escape(title)}</h1><p class=\"muted\">{t('模型', 'models')}: "
            f"{html.escape(', '.join(models) or '—')}"
            f"{f' · {year}' if year else ''}</p>{body}</body></html>")
    rows = [{"model": m, "kind": f.kind, "severity": f.severity, "entities": _entities(f),
             "explanation": f.explanation,
             "citations": "; ".join(citations.short(c, lang) for c in f.citations),
             "quotes": "; ".join(c.get("quote") or "" for c in f.citations)}
            for m, f in sorted(found, key=lambda mf: (mf[0], _serious(mf[1])))]
    return Report(page, rows)


def report_html(store: Any, **options: Any) -> str:
    """The report as one HTML string (without its CSV)."""
    return build_report(store, **options).page
