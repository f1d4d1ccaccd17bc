"""The views: each reads the store once and returns a `View`, a graph ready to lay out and draw.

A view's graph is a networkx MultiDiGraph whose nodes carry `text` (the label shown), `kind`
(colour group, see style.KINDS), `tip` (plain-text tooltip with citations) and optionally
`tier` and `highlight`; its edges carry `type`, `text`, `width` and `tip`. The renderers
(static.py, interactive.py) know nothing about the store.

>>> sorted(VIEWS)
['case', 'coordination', 'data-sharing', 'funding', 'mechanism', 'responsibility']
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from medgraph.analysis import network
from medgraph.queries import load_query
from medgraph.visualizations import style

# Above this many nodes a view groups agencies by level and kind.
AGGREGATE_ABOVE = 60

LEVELS_ZH = {"national": "国家级", "province": "省级", "city": "市级", "district": "区级",
             "county": "县级", "township": "乡镇级", "village": "村级"}

TIER_CAPTIONS = {0: ("牵头", "lead"), 1: ("协调", "coordinating"), 2: ("执行", "carrying out")}


@dataclass
class Matrix:
    """Agencies (rows) × measures (columns), each cell 'lead', 'joint' or absent."""

    agencies: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    cells: dict[tuple[str, str], str]
    tips: dict[tuple[str, str], str]


@dataclass
class View:
    name: str
    title: str
    graph: nx.MultiDiGraph = field(default_factory=nx.MultiDiGraph)
    layout: str = "layers"  # layers | columns (layers by tier) | tiers | matrix
    notes: list[str] = field(default_factory=list)
    captions: dict[int, str] = field(default_factory=dict)
    matrix: Matrix | None = None
    lang: str = "zh"

    @property
    def empty(self) -> bool:
        if self.matrix is not None:
            return not self.matrix.cells
        return self.graph.number_of_nodes() == 0


def _read(store: Any, name: str, **params: Any) -> list[dict[str, Any]]:
    return store.read(load_query(name).text, params)


def _cite(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props.get(k) for k in ("source", "locator", "quote", "assumption", "note",
                                      "contested_by")}


def _add_node(g: nx.MultiDiGraph, props: dict[str, Any], label: str | None, lang: str,
              **extra: Any) -> str:
    node = str(props["id"])
    if node in g:
        return node
    kind = style.node_kind(label, props)
    details = [f"{style.KINDS[kind].zh} {style.KINDS[kind].en}"]
    if props.get("level"):
        details.append(f"level: {props['level']}")
    g.add_node(node, text=style.label(props, lang), kind=kind, label=label,
               level=props.get("level"), name_zh=props.get("name_zh"),
               tip=style.tooltip({**props, "details": details, "citations": [_cite(props)]},
                                 lang), **extra)
    return node


def _edge_text(rel_type: str, rel: dict[str, Any], lang: str) -> str:
    if lang == "zh" and rel.get("what_zh"):
        return str(rel["what_zh"])
    edge = style.edge_style(rel_type)
    return edge.zh if lang == "zh" else edge.en


def _add_edge(g: nx.MultiDiGraph, a: str, b: str, rel_type: str, rel: dict[str, Any],
              lang: str, text: str | None = None, width: float = 1.2) -> None:
    text = text if text is not None else _edge_text(rel_type, rel, lang)
    edge = style.edge_style(rel_type)
    head = f"{g.nodes[a]['text']} → {g.nodes[b]['text']}: {edge.zh} {edge.en}"
    if rel.get("what_zh"):
        head += f" ({rel['what_zh']})"
    lines = [head] + style.citation_lines(_cite(rel))
    g.add_edge(a, b, type=rel_type, text=text, width=width, tip="\n".join(lines))


def _add_rows(g: nx.MultiDiGraph, rows: list[dict[str, Any]], lang: str) -> None:
    """Rows of a, a_label, type, rel, b, b_label (the flow queries) into the graph."""
    for row in rows:
        a = _add_node(g, row["a"], row["a_label"], lang)
        if row.get("b") is None or row.get("type") is None:
            continue
        b = _add_node(g, row["b"], row["b_label"], lang)
        _add_edge(g, a, b, row["type"], row["rel"] or {}, lang)


def _title(view: str, lang: str, model: str | None, extra: str = "") -> str:
    zh, en = style.TITLES[view]
    head = zh if lang == "zh" else en
    where = f" · {model}" if model else ""
    return f"{head}{extra}{where}" + (f"  ({en})" if lang == "zh" else "")


# -- the views --------------------------------------------------------------------------------
def coordination(store: Any, model: str | None = None, lang: str = "zh",
                 **_: Any) -> View:
    """000 Fig. 2: tiers from REPORTS_TO (the lead reports to no one), then coordination links."""
    view = View("coordination", _title("coordination", lang, model), layout="tiers", lang=lang)
    g = view.graph
    _add_rows(g, _read(store, "coordination_links", model=model), lang)
    reports = nx.DiGraph((a, b) for a, b, t in g.edges(data="type") if t == "REPORTS_TO")
    for node in g:
        # Depth of the reporting chain; a cycle (bad data) stops at the node seen twice.
        depth, seen, current = 0, {node}, node
        while current in reports and list(reports.successors(current)):
            current = sorted(reports.successors(current))[0]
            if current in seen:
                break
            seen.add(current)
            depth += 1
        if node not in reports:  # only coordinates: put it beside the bodies it talks to
            depth = 1
        g.nodes[node]["tier"] = depth
    for tier in {t for _, t in g.nodes(data="tier")}:
        zh, en = TIER_CAPTIONS[min(tier, 2)]
        view.captions[tier] = zh if lang == "zh" else en
    return view


# 000 Fig. 1 has two levels: residents buy care with their funds; the government taxes,
# certifies and transfers, the insurance finances and reimburses, health serves. Columns by
# the kind of each element: residents, government, funds, insurance, services. Of the orders
# tried this one crosses least on the three models (hangzhou 53 straight-line crossings,
# lingqiu 18, national 4; the flow layering crossed 75, 74 and 7).
MECHANISM_TIERS = {"resident": 0, "category": 0, "person": 0, "case": 0,
                   "government": 1, "jurisdiction": 1, "other": 1, "fund": 2,
                   "scheme": 3, "insurer": 3, "information_system": 3,
                   "medical_institution": 4, "social_organisation": 4,
                   "mass_organisation": 4, "village_committee": 4}
MECHANISM_CAPTIONS = {0: ("居民", "residents"), 1: ("政府部门", "government"),
                      2: ("资金", "funds"), 3: ("医疗保险", "insurance"),
                      4: ("服务与社会力量", "services and society")}


def merge_parallel(g: nx.MultiDiGraph) -> int:
    """One edge for all the flows from one node to another, their names joined; returns how
    many edges were merged away."""
    merged = 0
    for a, b in sorted({(a, b) for a, b in g.edges()}):
        keys = sorted(g[a][b], key=str)
        if len(keys) < 2:
            continue
        edges = [g.edges[a, b, k] for k in keys]
        texts = list(dict.fromkeys(e.get("text") or "" for e in edges))
        first = edges[0]
        for k in keys:
            g.remove_edge(a, b, k)
        g.add_edge(a, b, type=first["type"], text=" / ".join(t for t in texts if t),
                   width=min(6.0, max(e.get("width", 1.2) for e in edges) + 0.3),
                   tip="\n".join(e.get("tip") or "" for e in edges))
        merged += len(keys) - 1
    return merged


def merge_twins(g: nx.MultiDiGraph, lang: str) -> int:
    """Nodes of one kind with the same flows from and to the same nodes become one box
    (the four certificates that make a recipient, say); returns how many nodes went."""
    def signature(n: str) -> tuple[Any, ...]:
        ins = sorted((a, d["type"], d.get("text")) for a, _, d in g.in_edges(n, data=True))
        outs = sorted((b, d["type"], d.get("text")) for _, b, d in g.out_edges(n, data=True))
        return (g.nodes[n].get("kind"), tuple(ins), tuple(outs))

    groups: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for n in sorted(g):
        if g.degree(n) and not g.nodes[n].get("highlight"):
            groups[signature(n)].append(n)
    removed = 0
    for nodes in groups.values():
        if len(nodes) < 2:
            continue
        keep = nodes[0]
        names = [str(g.nodes[n]["text"]) for n in nodes]
        kind = style.KINDS[g.nodes[keep]["kind"]]
        text = ("、".join(names) if sum(len(x) for x in names) <= 24 else
                f"{kind.en if lang == 'en' else kind.zh} ×{len(nodes)}")
        g.nodes[keep]["text"] = text
        g.nodes[keep]["tip"] = "\n\n".join(str(g.nodes[n].get("tip") or "") for n in nodes)
        g.remove_nodes_from(nodes[1:])
        removed += len(nodes) - 1
    return removed


def mechanism(store: Any, model: str | None = None, lang: str = "zh", **_: Any) -> View:
    """000 Fig. 1: the elements and the named flows between them (relations with what_zh),
    in columns from the residents to the government; parallel flows and twin elements merged."""
    view = View("mechanism", _title("mechanism", lang, model), layout="columns", lang=lang)
    g = view.graph
    _add_rows(g, _read(store, "mechanism_flows", model=model), lang)
    twins = merge_twins(g, lang)
    parallel = merge_parallel(g)
    for node, kind in g.nodes(data="kind"):
        g.nodes[node]["tier"] = MECHANISM_TIERS.get(kind, 1)
    for tier in {t for _, t in g.nodes(data="tier")}:
        zh, en = MECHANISM_CAPTIONS[tier]
        view.captions[tier] = en if lang == "en" else zh
    if twins or parallel:
        view.notes.append(_both(lang, f"已合并 {twins} 个同类同向的节点与 {parallel} 条平行的流",
                                f"merged {twins} twin elements and {parallel} parallel flows"))
    return view


def _yuan(amount: float, lang: str = "zh") -> str:
    """An amount as a reader of the documents writes it, or in English.

    >>> _yuan(24000), _yuan(3000000), _yuan(850)
    ('2.4万元', '300万元', '850元')
    >>> _yuan(24000, "en"), _yuan(2451735.1, "en"), _yuan(850, "en")
    ('24,000 yuan', '2.45 million yuan', '850 yuan')
    """
    if lang == "en":
        if amount >= 1_000_000:
            return f"{amount / 1_000_000:,.2f}".rstrip("0").rstrip(".") + " million yuan"
        return f"{amount:,.0f} yuan"
    if amount < 10000:
        return f"{amount:,.0f}元"
    return f"{amount / 10000:,.2f}".rstrip("0").rstrip(".") + "万元"


def _both(lang: str, zh: str, en: str) -> str:
    """A note in the view's language: Chinese with the English after it, or English alone."""
    return en if lang == "en" else f"{zh} · {en}"


def funding(store: Any, model: str | None = None, lang: str = "zh", **_: Any) -> View:
    """Money from its sources to the schemes; line width follows the amount, else the share."""
    view = View("funding", _title("funding", lang, model), lang=lang)
    g = view.graph
    rows = _read(store, "funding_flows", model=model)
    top = max((r["rel"].get("amount") or 0 for r in rows), default=0) or 1
    for row in rows:
        a = _add_node(g, row["a"], row["a_label"], lang)
        b = _add_node(g, row["b"], row["b_label"], lang)
        rel = row["rel"]
        text = _edge_text(row["type"], rel, lang)
        width = 1.2
        if rel.get("amount") is not None:
            text += f" {_yuan(rel['amount'], lang)}"
            width = 1.0 + 5.0 * rel["amount"] / top
        elif rel.get("share") is not None:
            width = 1.0 + 5.0 * rel["share"]
        if rel.get("share") is not None:
            text += f" {rel['share']:.0%}"
        if rel.get("year"):
            text += f" ({rel['year']})"
        _add_edge(g, a, b, row["type"], rel, lang, text=text, width=width)
    if rows:
        view.notes.append(_both(lang, "线宽与金额(无金额时与份额)成正比",
                                "line width follows the amount, else the share"))
    return view


def data_sharing(store: Any, model: str | None = None, lang: str = "zh", **_: Any) -> View:
    """Systems and agencies with their data flows; islands and articulation points marked."""
    view = View("data-sharing", _title("data-sharing", lang, model), lang=lang)
    g = view.graph
    rows = _read(store, "data_sharing_flows", model=model)
    for row in rows:
        a = _add_node(g, row["a"], row["a_label"], lang)
        if row.get("b") is None:
            continue
        b = _add_node(g, row["b"], row["b_label"], lang)
        rel = row["rel"] or {}
        # The data carried is named in Chinese only: in English it stays in the tooltip.
        text = str(rel["data"]) if rel.get("data") and lang == "zh" else None
        _add_edge(g, a, b, row["type"], rel, lang, text=text)
    # The same analysis as `medgraph islands`, per model: models are separate places.
    shared = network.read_graph(store, model)
    by_model: dict[Any, list[str]] = defaultdict(list)
    for node, attrs in shared.nodes(data=True):
        by_model[attrs.get("model")].append(node)
    for nodes in by_model.values():
        sub = shared.subgraph(nodes)
        for part in network.components(sub)[1:]:
            for node in part:
                if node in g:
                    g.nodes[node]["highlight"] = "island"
        for node in network.articulation_points(sub):
            if node in g:
                g.nodes[node]["highlight"] = "articulation"
    return view


def case(store: Any, case_id: str | None = None, lang: str = "zh", **_: Any) -> View:
    """One case: who funds, certifies, pays and supervises each payment, with amounts."""
    from medgraph.analysis.trace import trace_case

    if not case_id:
        raise ValueError("the case view needs a case id (medgraph draw case CASE_ID)")
    trace = trace_case(store, case_id)
    view = View("case", _title("case", lang, None, f" {case_id}"), lang=lang)
    g = view.graph
    ids = {case_id}
    for section in ("payments", "funds", "certifies", "pays", "supervises"):
        for item in trace[section]:
            ids.update(str(v) for k, v in item.items() if k.endswith("_id") and v)
    props = {r["n"]["id"]: (r["n"], r["label"]) for r in _read(store, "case_nodes",
                                                                   ids=sorted(ids))}

    def node(node_id: str, fallback_zh: str | None = None, label: str | None = None) -> str:
        found, found_label = props.get(node_id, ({"id": node_id, "name_zh": fallback_zh},
                                                 label))
        return _add_node(g, found, found_label, lang)

    info = trace["case"]
    c = node(case_id, f"病例 {case_id}", "Case")
    cost = info.get("total_cost")
    g.nodes[c]["text"] = (f"{'case' if lang == 'en' else '病例'} {case_id}"
                          + (f" {_yuan(cost, lang)}" if cost else ""))
    for pay in trace["payments"]:
        s = node(pay["scheme_id"], pay["scheme_zh"], "Scheme")
        why = pay.get("explanation")
        why = json.dumps(why, ensure_ascii=False) if isinstance(why, dict) else why
        _add_edge(g, s, c, "SETTLED_BY", {"what_zh": why}, lang,
                  text=_yuan(pay["amount"] or 0, lang))
    for fund in trace["funds"]:
        a = node(fund["funder_id"], fund["funder_zh"], fund["funder_label"])
        b = node(fund["funded_id"], fund["funded_zh"], fund["funded_label"])
        text = _edge_text(fund["relation"], fund, lang)
        if fund.get("share") is not None:
            text += f" {fund['share']:.0%}"
        _add_edge(g, a, b, fund["relation"], fund, lang, text=text)
    for pay in trace["pays"]:
        _add_edge(g, node(pay["agency_id"], pay["agency_zh"], "Agency"),
                  node(pay["scheme_id"]), pay["relation"], pay, lang)
    for cert in trace["certifies"]:
        category = f"category:{cert['category_code']}"
        shown = (cert["category_code"].replace("_", " ") if lang == "en"
                 else cert.get("category_zh") or cert["category_code"])
        g.add_node(category, text=shown,
                   kind="category", tip=f"{cert.get('category_zh')}\n"
                   f"{cert.get('certificate_zh') or ''}\n{cert.get('valid_from')} – "
                   f"{cert.get('valid_to')}")
        _add_edge(g, category, c, "HOLDS", {}, lang,
                  text=(("valid" if lang == "en" else "有效") if cert.get("valid_on_date")
                        else _both(lang, "就诊日无效", "not valid on the day of care")))
        if cert.get("agency_id"):
            _add_edge(g, node(cert["agency_id"], cert["agency_zh"], "Agency"), category,
                      "CERTIFIES", cert, lang)
    for sup in trace["supervises"]:
        _add_edge(g, node(sup["agency_id"], sup["agency_zh"], "Agency"),
                  node(sup["target_id"], sup["target_zh"], sup["target_label"]),
                  "SUPERVISES", sup, lang)
    paid = sum(p["amount"] or 0 for p in trace["payments"])
    view.notes.append(
        _both(lang, f"各制度共支付 {_yuan(paid)}" + (f" / 总费用 {_yuan(cost)}" if cost else ""),
              f"paid by the schemes: {_yuan(paid, 'en')}"
              + (f" of a total cost of {_yuan(cost, 'en')}" if cost else "")))
    return view


def _clause_key(clause: Any) -> tuple[Any, ...]:
    """Clauses in reading order: "2" before "10", numbers before text.

    >>> sorted(["10", "2", "三(一)", None], key=_clause_key)
    ['2', '10', '三(一)', None]
    """
    if clause is None:
        return (2,)
    parts = re.findall(r"\d+|\D+", str(clause))
    return (0 if parts and parts[0].isdigit() else 1,
            [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts])


def responsibility(store: Any, model: str | None = None, lang: str = "zh",
                   **_: Any) -> View:
    """Agencies × measures: who leads (牵头) and who shares (配合) each measure."""
    rows = _read(store, "responsibility_matrix", model=model)
    agencies: dict[str, dict[str, Any]] = {}
    measures: dict[str, dict[str, Any]] = {}
    cells: dict[tuple[str, str], str] = {}
    tips: dict[tuple[str, str], str] = {}
    for row in rows:
        agencies.setdefault(row["agency_id"], {
            "id": row["agency_id"], "text": style.label(
                {"name_zh": row["agency_zh"], "name_en": row["agency_en"]}, lang),
            "lead": 0})
        measures.setdefault(row["measure_id"], {
            "id": row["measure_id"], "clause": row["clause"], "text": style.label(
                {"name_zh": row["measure_zh"], "name_en": row["measure_en"]}, lang)})
        key = (row["agency_id"], row["measure_id"])
        # A lead wins over a joint role stated elsewhere for the same pair.
        if cells.get(key) != "lead":
            cells[key] = row["role"]
        tips[key] = "\n".join(style.citation_lines(_cite(row)))
        agencies[row["agency_id"]]["lead"] += row["role"] == "lead"
    # Agencies that lead the most come first, so the table reads from the top.
    ordered = sorted(agencies.values(), key=lambda a: (-a["lead"], a["id"]))
    columns = sorted(measures.values(), key=lambda m: (_clause_key(m.get("clause")), m["id"]))
    view = View("responsibility", _title("responsibility", lang, model), layout="matrix",
                lang=lang, matrix=Matrix(ordered, columns, cells, tips))
    return view


VIEWS: dict[str, Callable[..., View]] = {
    "coordination": coordination, "mechanism": mechanism, "case": case,
    "data-sharing": data_sharing, "funding": funding, "responsibility": responsibility,
}


def aggregate(view: View, limit: int = AGGREGATE_ABOVE) -> View:
    """Group agencies by tier, level and kind when the view has over `limit` nodes.

    Edges between groups are merged per type and counted; the picture says what was merged.
    """
    g = view.graph
    if g.number_of_nodes() <= limit:
        return view
    group: dict[str, str] = {}
    for node, attrs in g.nodes(data=True):
        if attrs.get("label") == "Agency":
            # Within its tier, so that the coordination view keeps 000 Fig. 2's structure.
            group[node] = (f"group:{attrs.get('tier', '')}:{attrs.get('level') or '-'}:"
                           f"{attrs['kind']}")
        else:
            group[node] = node
    merged = nx.MultiDiGraph()
    members: dict[str, list[str]] = defaultdict(list)
    for node, key in group.items():
        members[key].append(node)
    for nodes in members.values():
        if len(nodes) == 1:  # a group of one stays itself
            group[nodes[0]] = nodes[0]
    for key, nodes in members.items():
        if len(nodes) == 1:
            merged.add_node(nodes[0], **g.nodes[nodes[0]])
            continue
        first = g.nodes[nodes[0]]
        kind = style.KINDS[first["kind"]]
        level = first.get("level") or ""
        text = (f"{LEVELS_ZH.get(level, level)}{kind.zh} ×{len(nodes)}" if view.lang == "zh"
                else f"{level} {kind.en} ×{len(nodes)}").strip()
        names = sorted(str(g.nodes[n].get("text")) for n in nodes)
        tiers = [g.nodes[n].get("tier", 0) for n in nodes]
        highlight = next((g.nodes[n]["highlight"] for n in nodes
                          if g.nodes[n].get("highlight")), None)
        merged.add_node(key, text=text, kind=first["kind"], tier=min(tiers),
                        highlight=highlight, tip="\n".join([text, *names]))
    counts: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for a, b, attrs in g.edges(data=True):
        ga, gb = group[a], group[b]
        if ga != gb:
            counts[ga, gb, attrs["type"]].append(attrs)
    for (a, b, rel_type), edges in counts.items():
        text = edges[0]["text"]
        spec = style.edge_style(rel_type)
        if len(edges) > 1 and text not in (spec.zh, spec.en):  # a named flow: say how many
            text = f"{text} ×{len(edges)}"
        merged.add_edge(a, b, type=rel_type, text=text,
                        width=min(6.0, max(e["width"] for e in edges) + 0.3 * (len(edges) - 1)),
                        tip="\n".join(e["tip"].split("\n")[0] for e in edges[:20]))
    view.notes.append(_both(
        view.lang, f"节点过多,已按层级与类型合并:{g.number_of_nodes()} 个节点合并为 "
                   f"{merged.number_of_nodes()} 个",
        f"aggregated by level and kind: {g.number_of_nodes()} nodes shown as "
        f"{merged.number_of_nodes()}"))
    view.graph = merged
    return view


def build(store: Any, view: str, **options: Any) -> View:
    """The view named `view`, aggregated when large. KeyError for an unknown view."""
    if view not in VIEWS:
        raise KeyError(f"no diagram view {view!r}; known: {', '.join(sorted(VIEWS))}")
    lang = options.get("lang") or "zh"
    if lang not in style.LANGS:
        raise ValueError(f"lang must be one of {', '.join(style.LANGS)}, not {lang!r}")
    built = VIEWS[view](store, **{**options, "lang": lang})
    return aggregate(built, int(options.get("limit") or AGGREGATE_ABOVE))
