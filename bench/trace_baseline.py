"""The accountability trace answered by networkx on an in-memory copy: the baseline for the store.

The copy holds the institutional models and, for case data, the sampled cases with their
persons and categories: a trace only ever looks at one case's neighbourhood, so the rest of the
city would change networkx's memory, not its lookup time (dictionary access by id).

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("f", label="Agency", name_zh="财政局"); g.add_node("s", label="Scheme", model="m")
>>> g.add_node("c", label="Case", date="2024-01-01"); g.add_node("p", label="Person")
>>> _ = g.add_edge("f", "s", type="FUNDS"); _ = g.add_edge("c", "s", type="SETTLED_BY", amount=5)
>>> _ = g.add_edge("p", "c", type="HAS_CASE")
>>> t = trace_networkx(g, "c")
>>> t["payments"][0]["amount"], t["funds"][0]["funder_id"]
(5, 'f')
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

FUNDING = {"FUNDS", "COLLECTS", "TRANSFERS_TO"}
PAYING = {"PAYS", "ADMINISTERS"}


def read_copy(store: Any, case_ids: Iterable[str]) -> nx.MultiDiGraph:
    """The models plus the given cases' neighbourhoods, read from the store into networkx."""
    graph = nx.MultiDiGraph()
    rows = store.read(
        "MATCH (n) WHERE n.model IS NOT NULL AND n.model <> 'cases' "
        "RETURN n.id AS id, labels(n)[0] AS label, properties(n) AS p", limit=None)
    for row in rows:
        graph.add_node(row["id"], label=row["label"], **row["p"])
    rows = store.read(
        "MATCH (a)-[r]->(b) WHERE r.model IS NOT NULL AND r.model <> 'cases' "
        "RETURN a.id AS a, b.id AS b, type(r) AS t, properties(r) AS p", limit=None)
    for row in rows:
        graph.add_edge(row["a"], row["b"], type=row["t"], **row["p"])
    rows = store.read(
        "UNWIND $ids AS cid MATCH (c:Case {id: cid})<-[:HAS_CASE]-(p:Person) "
        "OPTIONAL MATCH (c)-[s:SETTLED_BY]->(scheme:Scheme) "
        "OPTIONAL MATCH (p)-[h:HOLDS]->(cat:BeneficiaryCategory) "
        "RETURN c.id AS c, properties(c) AS cp, p.id AS p, "
        "collect(DISTINCT {scheme: scheme.id, amount: s.amount, rule_id: s.rule_id}) AS pay, "
        "collect(DISTINCT {cat: cat.id, valid_from: h.valid_from, valid_to: h.valid_to}) AS holds",
        {"ids": list(case_ids)}, limit=None)
    for row in rows:
        graph.add_node(row["c"], label="Case", **row["cp"])
        graph.add_node(row["p"], label="Person")
        graph.add_edge(row["p"], row["c"], type="HAS_CASE")
        for pay in row["pay"]:
            if pay["scheme"]:
                graph.add_edge(row["c"], pay["scheme"], type="SETTLED_BY",
                               amount=pay["amount"], rule_id=pay["rule_id"])
        for held in row["holds"]:
            if held["cat"]:
                graph.add_edge(row["p"], held["cat"], type="HOLDS",
                               valid_from=held["valid_from"], valid_to=held["valid_to"])
    return graph


def _in(graph: nx.MultiDiGraph, node: str, types: set[str]) -> list[tuple[str, dict]]:
    return [(a, d) for a, _, d in graph.in_edges(node, data=True) if d.get("type") in types]


def trace_networkx(graph: nx.MultiDiGraph, case_id: str) -> dict[str, list[dict[str, Any]]]:
    """Who funds, certifies, pays and supervises a case, by walking the in-memory graph."""
    case = graph.nodes[case_id]
    date = str(case.get("date", ""))
    schemes = [(s, d) for _, s, d in graph.out_edges(case_id, data=True)
               if d.get("type") == "SETTLED_BY"]
    out: dict[str, list[dict[str, Any]]] = {
        "payments": [{"scheme_id": s, "amount": d.get("amount"), "rule_id": d.get("rule_id")}
                     for s, d in schemes],
        "funds": [], "certifies": [], "pays": [], "supervises": []}
    models = {graph.nodes[s].get("model") for s, _ in schemes}
    funds: set[str] = set()
    for scheme, _ in schemes:
        frontier, seen = [scheme], {scheme}
        for step in range(3):  # as the named query: three steps back from the paying scheme
            nxt = []
            for node in frontier:
                links = _in(graph, node, FUNDING) if step else [
                    (a, d) for a, d in _in(graph, node, {"FUNDS", "PAYS"})
                    if d["type"] == "FUNDS" or graph.nodes[a].get("label") == "Fund"]
                for funder, data in links:
                    out["funds"].append({"scheme_id": scheme, "funder_id": funder,
                                         "funded_id": node, "relation": data["type"]})
                    for end in (funder, node):
                        if graph.nodes[end].get("label") == "Fund":
                            funds.add(end)
                    if funder not in seen:
                        seen.add(funder)
                        nxt.append(funder)
            frontier = nxt
        out["pays"] += [{"scheme_id": scheme, "agency_id": a, "relation": d["type"]}
                        for a, d in _in(graph, scheme, PAYING)]
        out["supervises"] += [{"target_id": scheme, "agency_id": a}
                              for a, _ in _in(graph, scheme, {"SUPERVISES"})]
    for fund in funds:
        out["supervises"] += [{"target_id": fund, "agency_id": a}
                              for a, _ in _in(graph, fund, {"SUPERVISES"})]
    for person, _ in _in(graph, case_id, {"HAS_CASE"}):
        for _, cat, held in graph.out_edges(person, data=True):
            if held.get("type") != "HOLDS":
                continue
            if not (str(held.get("valid_from") or "") <= date
                    <= str(held.get("valid_to") or "9999")):
                continue
            out["certifies"] += [{"category_id": cat, "agency_id": a}
                                 for a, d in _in(graph, cat, {"CERTIFIES"})
                                 if d.get("model") in models]
    return out
