"""Coverage gaps and information islands: found, explained and cited.

Each detector is a named query in `queries/` (its header says what it finds, why it matters and
how to read a row); this module runs them, adds the graph algorithms of `analysis/network.py`
where a path or a component is needed, and turns every row into a `Finding` that cites the
provenance (source, locator, quote) of the nodes and relations involved, read from the store.

>>> from medgraph.graph.store import connect                     # doctest: +SKIP
>>> with connect() as store:                                      # doctest: +SKIP
...     for f in islands(store, model="hangzhou"):
...         print(f.kind, f.severity, [e["id"] for e in f.entities])
isolated_system medium ['hangzhou.xxx_system']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from itertools import combinations
from typing import Any

import networkx as nx

from medgraph.analysis import network
from medgraph.queries import load_query

# The documents do not fix the early-warning line (002 二(一) only names it); this default is an
# assumption used when the model carries no threshold and the caller gives none.
DEFAULT_WARNING_LINE = 20000.0
# Bills for the regional comparison: 100k and 300k as the documents' usual examples, 1M because
# only there do the caps of 001 Table 3 bite.
DEFAULT_BILLS = (100000, 300000, 1000000)
SEVERITIES = ("high", "medium", "low")

# Model-gap queries of the lead engineer: name -> (severity, what the gap means, in plain words).
MODEL_GAPS: dict[str, tuple[str, str]] = {
    "category_without_scheme": (
        "high", "No scheme or benefit rule applies to this group: its members fall between the "
                "schemes, whatever their need."),
    "category_without_certifier": (
        "high", "No body certifies this group, so nobody can prove they belong to it and no "
                "benefit that depends on it can be claimed."),
    "scheme_without_funder": (
        "high", "No body, jurisdiction or fund finances this scheme: the graph cannot say whose "
                "money it pays with."),
    "scheme_without_administrator": (
        "medium", "No body administers or pays this scheme: nobody is answerable for its "
                  "payments."),
    "scheme_without_supervisor": (
        "medium", "No body supervises this scheme or the fund that pays it: its payments are "
                  "checked by nobody."),
    "measure_without_responsible": (
        "medium", "No agency is responsible for this measure, so nobody is bound to carry it "
                  "out."),
}


@dataclass
class Finding:
    """One gap or island: what kind, how serious, who is involved, why, and where it is written.

    >>> f = Finding("isolated_system", "medium", [{"id": "s", "name_zh": "系统"}], "…", [])
    >>> f.to_dict()["entities"][0]["name_zh"]
    '系统'
    """

    kind: str
    severity: str
    entities: list[dict[str, Any]]
    explanation: str
    citations: list[dict[str, Any]]
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- helpers -------------------------------------------------------------------------------
def run(store: Any, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run the named query `name`, passing null for every parameter it declares but is not given.

    >>> run.__name__
    'run'
    """
    import re

    text = load_query(name).text
    declared = set(re.findall(r"\$([A-Za-z_]\w*)", text))
    return store.read(text, {**{p: None for p in declared}, **(params or {})})


def _citation(row: dict[str, Any], prefix: str = "") -> dict[str, Any] | None:
    """The citation held in a row's provenance columns, or None when it has none."""
    source = row.get(f"{prefix}source")
    if not source and not row.get(f"{prefix}assumption"):
        return None
    citation = {"source": source, "locator": row.get(f"{prefix}locator"),
                "quote": row.get(f"{prefix}quote")}
    if row.get(f"{prefix}assumption"):
        citation |= {"assumption": True, "note": row.get(f"{prefix}note")}
    return citation


def _unique(citations: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for c in citations:
        if c is None:
            continue
        key = (c.get("source"), c.get("locator"), c.get("quote"))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def provenance(store: Any, ids: Iterable[str], codes: Iterable[str] = (),
               model: str | None = None) -> dict[str, dict[str, Any]]:
    """Provenance rows of institutional nodes by id (and of schemes by code), keyed by id."""
    ids, codes = sorted(set(ids)), sorted(set(codes))
    if not ids and not codes:
        return {}
    rows = run(store, "node_provenance", {"ids": ids, "codes": codes, "model": model})
    return {row["id"]: row for row in rows}


def _name(graph: nx.Graph, node: str) -> dict[str, Any]:
    return {"id": node, "name_zh": graph.nodes[node].get("name_zh") if node in graph else None}


def _yuan(value: float | None) -> str:
    return "no cap" if value is None else f"{value:,.0f} yuan"


# -- model gaps ----------------------------------------------------------------------------
def model_gaps(store: Any, model: str | None = None) -> list[Finding]:
    """The six model-gap queries, each row a finding citing the node that lacks something."""
    found: list[tuple[str, dict[str, Any]]] = []
    for name in MODEL_GAPS:
        found += [(name, row) for row in run(store, name, {"model": model})]
    cited = provenance(store, (row["id"] for _, row in found))
    findings = []
    for name, row in found:
        severity, meaning = MODEL_GAPS[name]
        label = row.get("name_zh") or row["id"]
        findings.append(Finding(
            kind=name, severity=severity,
            entities=[{"id": row["id"], "name_zh": row.get("name_zh")}],
            explanation=f"{label}: {meaning}",
            citations=_unique([_citation(cited.get(row["id"], {}))]),
            facts={"model": row.get("model")},
        ))
    return findings


def uncovered_expense(store: Any, model: str | None = None) -> list[Finding]:
    """Kinds of cost no scheme pays: unreferred care, care before the look-back, out-of-catalogue.

    >>> [f.facts["expense"] for f in uncovered_expense(store, "hangzhou")]   # doctest: +SKIP
    ['without_referral', 'before_certification', 'out_of_catalogue']
    """
    findings = []
    for row in run(store, "uncovered_expense", {"model": model}):
        expense, scheme = row["expense"], row.get("scheme_name_zh") or row.get("scheme_id")
        if expense == "without_referral":
            severity = "medium"
            text = (f"{scheme} does not pay for care received without the required referral "
                    f"(rule {row['id']}); no other scheme of the model pays it either, so that "
                    "cost stays with the patient.")
        elif expense == "before_certification":
            severity = "medium"
            months = row.get("months")
            text = (f"{scheme} reaches back only {months} months before a person is certified "
                    f"(rule {row['id']}); care paid before that window is covered by no scheme.")
        else:
            severity = "high"
            text = (f"No benefit rule of the {row['model']} model pays out-of-catalogue costs "
                    "(目录外费用): whatever a patient spends outside the insurance catalogue is "
                    "paid by no scheme, whatever category the patient holds.")
        findings.append(Finding(
            kind="uncovered_expense", severity=severity,
            entities=[{"id": row["id"], "name_zh": row.get("name_zh")}],
            explanation=text, citations=_unique([_citation(row)]),
            facts={"expense": expense, "model": row.get("model"), "scheme": row.get("scheme_id"),
                   "months": row.get("months")},
        ))
    return findings


# -- case gaps -----------------------------------------------------------------------------
def latest_case_year(store: Any) -> int | None:
    """The latest year with a case (from next year back to 1949), or None without cases."""
    rows = run(store, "latest_case_year", {"newest": date.today().year + 1, "oldest": 1949})
    return rows[0]["year"] if rows else None


def warning_line(store: Any, model: str | None = None) -> tuple[float, list[dict[str, Any]]]:
    """The model's warning line (or the default) and the citations that speak of it."""
    rows = sorted(run(store, "warning_line", {"model": model}),
                  key=lambda row: (row.get("threshold") is None, row["id"]))
    citations = _unique(_citation(row) for row in rows)
    for row in rows:
        if row.get("threshold") is not None:
            return float(row["threshold"]), citations
    assumption = {"source": None, "locator": None, "quote": None, "assumption": True,
                  "note": f"The documents do not set the warning line; {DEFAULT_WARNING_LINE:,.0f} "
                          "yuan is a parameter of medgraph (--warning-line)."}
    return DEFAULT_WARNING_LINE, [*citations, assumption]


def recipient_not_enrolled(store: Any, year: int, model: str | None = None,
                           case_model: str | None = None) -> list[Finding]:
    rows = run(store, "recipient_not_enrolled", {"year": year, "model": case_model})
    cited = provenance(store, (c for r in rows for c in r["category_ids"]),
                       codes=["basic_medical_insurance"] if rows else [], model=model)
    schemes = [p for p in cited.values() if p["id"].endswith(".basic_medical_insurance")]
    return [Finding(
        kind="recipient_not_enrolled", severity="high",
        entities=[{"id": row["id"], "name_zh": None}],
        explanation=(f"Person {row['id']} holds {', '.join(row['categories'])} in {year} but is "
                     "not enrolled in basic medical insurance that year: the first layer pays "
                     "nothing, and assistance tied to enrolment may pay nothing either."),
        citations=_unique([*(_citation(cited.get(c, {})) for c in row["category_ids"]),
                           *(_citation(s) for s in schemes)]),
        facts={"year": year, "categories": row["categories"], "district": row["district"]},
    ) for row in rows]


def high_residual_burden(store: Any, line: float, citations: list[dict[str, Any]],
                         year: int | None = None, case_model: str | None = None
                         ) -> list[Finding]:
    rows = run(store, "high_residual_burden", {"line": line, "year": year, "model": case_model})
    return [Finding(
        kind="high_residual_burden",
        severity="high" if row["burden"] > 2 * line else "medium",
        entities=[{"id": row["id"], "name_zh": None}],
        explanation=(f"Person {row['id']} paid {row['burden']:,.0f} yuan out of pocket in "
                     f"{row['year']} over {row['cases']} case(s), after every scheme paid: above "
                     f"the warning line of {line:,.0f} yuan, so the person is at risk of poverty "
                     "caused by illness and should be under monitoring."),
        citations=citations,
        facts={"year": row["year"], "burden": row["burden"], "cases": row["cases"],
               "total_cost": row["total_cost"], "line": line, "district": row["district"]},
    ) for row in rows]


def household_catastrophic(store: Any, line: float, citations: list[dict[str, Any]],
                           year: int | None = None, case_model: str | None = None
                           ) -> list[Finding]:
    rows = run(store, "household_catastrophic", {"line": line, "year": year, "model": case_model})
    return [Finding(
        kind="household_catastrophic", severity="high",
        entities=[{"id": row["id"], "name_zh": None}],
        explanation=(f"Household {row['id']} paid {row['burden']:,.0f} yuan out of pocket in "
                     f"{row['year']} across {row['members']} members, above the warning line of "
                     f"{line:,.0f} yuan, though no member alone paid more than "
                     f"{row['top']:,.0f} yuan: thresholds set per person do not see it."),
        citations=citations,
        facts={"year": row["year"], "burden": row["burden"], "top": row["top"],
               "members": row["members"], "size": row.get("size"), "line": line,
               "district": row["district"]},
    ) for row in rows]


def assistance_rates(store: Any, model: str | None = None) -> dict[str, dict[str, Any]]:
    """Rate and cap of medical assistance for minimum_living and marginal_low_income, one model.

    Without a model, the first model (by name) that has rates for both categories.
    """
    by_model: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in run(store, "assistance_rates", {"model": model}):
        by_model[row["model"]].setdefault(row["category"], row)  # highest rate first
    for name in sorted(by_model):
        rates = by_model[name]
        if "minimum_living" in rates and "marginal_low_income" in rates:
            return rates
    return {}


def cliff_effect(store: Any, line: float, year: int | None = None, model: str | None = None,
                 case_model: str | None = None) -> list[Finding]:
    rates = assistance_rates(store, model)
    if not rates:
        return []  # no model gives the rates to compare with
    low, edge = rates["minimum_living"], rates["marginal_low_income"]
    rows = run(store, "cliff_effect", {
        "line": line, "year": year, "model": case_model,
        "rate_min": low["rate"], "cap_min": low["annual_cap"],
        "rate_marg": edge["rate"], "cap_marg": edge["annual_cap"],
    })
    citations = _unique([_citation(low), _citation(edge)])
    findings = []
    for row in rows:
        saved = row["burden"] - row["residual_marginal"]
        findings.append(Finding(
            kind="cliff_effect",
            severity="high" if row["residual_marginal"] <= line else "medium",
            entities=[{"id": row["id"], "name_zh": None}],
            explanation=(f"Household {row['id']} holds no assistance category and paid "
                         f"{row['burden']:,.0f} yuan out of pocket in {row['year']}. Had it held "
                         f"the marginal (低边) category it would have paid about "
                         f"{row['residual_marginal']:,.0f} yuan ({saved:,.0f} less); with "
                         f"minimum living (低保), about {row['residual_minimum_living']:,.0f}. "
                         "The eligibility line, not the need, makes the difference."),
            citations=citations,
            facts={"year": row["year"], "burden": row["burden"],
                   "residual_marginal": row["residual_marginal"],
                   "residual_minimum_living": row["residual_minimum_living"],
                   "rates": {"minimum_living": low["rate"], "marginal_low_income": edge["rate"]},
                   "line": line, "district": row["district"]},
        ))
    return findings


def regional_disparity(store: Any, model: str | None = None,
                       bills: Iterable[float] = DEFAULT_BILLS) -> list[Finding]:
    """One finding per bill: what the same bill leaves a patient to pay in each city."""
    rows = run(store, "regional_disparity", {"model": model, "bills": list(bills)})
    by_bill: dict[float, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_bill[row["bill"]].append(row)
    cited = provenance(store, (rule for row in rows for rule in row["rule_ids"]))
    findings = []
    for bill, cities in sorted(by_bill.items()):
        if len(cities) < 2:
            continue
        worst, best = cities[0], cities[-1]  # the query orders by residual, highest first
        spread = worst["residual"] - best["residual"]
        share = spread / bill if bill else 0.0
        severity = "high" if share >= 0.2 else "medium" if share >= 0.05 else "low"
        table = "; ".join(f"{c['city']} {c['residual']:,.0f}" for c in cities)
        findings.append(Finding(
            kind="regional_disparity", severity=severity,
            entities=[{"id": c["scheme_id"], "name_zh": c.get("name_zh")} for c in cities],
            explanation=(f"An inpatient bill of {bill:,.0f} yuan leaves the patient "
                         f"{worst['residual']:,.0f} yuan to pay in {worst['city']} but "
                         f"{best['residual']:,.0f} in {best['city']} ({share:.0%} of the bill "
                         f"apart). Residual by city: {table}. Caps and deductibles only: "
                         "Table 3 gives no rates, so each scheme is taken to pay all of the bill "
                         "between its deductible and its cap."),
            citations=_unique(_citation(cited.get(r, {})) for c in cities for r in c["rule_ids"]),
            facts={"bill": bill, "spread": spread,
                   "residuals": {c["city"]: c["residual"] for c in cities},
                   "caps": {c["city"]: {"basic_cap": c["basic_cap"],
                                        "critical_deductible": c["critical_deductible"],
                                        "critical_cap": c["critical_cap"]} for c in cities}},
        ))
    return findings


def gaps(store: Any, model: str | None = None, year: int | None = None,
         params: dict[str, Any] | None = None) -> list[Finding]:
    """Every coverage gap: model gaps, uncovered expenses, then the gaps the case data show.

    `params`: warning_line (yuan; default the model's threshold, else 20000), bills (for
    regional_disparity), case_model (to limit case data to one `model` value).

    >>> [f.kind for f in gaps(store, model="hangzhou")][:1]          # doctest: +SKIP
    ['category_without_scheme']
    """
    params = dict(params or {})
    case_model = params.get("case_model")
    line, line_citations = warning_line(store, model)
    if params.get("warning_line") is not None:
        line = float(params["warning_line"])
        line_citations = [c for c in line_citations if not c.get("assumption")] + [
            {"source": None, "locator": None, "quote": None, "assumption": True,
             "note": f"Warning line of {line:,.0f} yuan given by the caller."}]
    findings = model_gaps(store, model) + uncovered_expense(store, model)
    findings += regional_disparity(store, model, params.get("bills") or DEFAULT_BILLS)
    enrolment_year = year
    if enrolment_year is None:
        enrolment_year = latest_case_year(store)
    if enrolment_year is not None:
        findings += recipient_not_enrolled(store, enrolment_year, model, case_model)
        findings += high_residual_burden(store, line, line_citations, year, case_model)
        findings += household_catastrophic(store, line, line_citations, year, case_model)
        findings += cliff_effect(store, line, year, model, case_model)
    return findings


# -- islands -------------------------------------------------------------------------------
def _edge_citations(graph: nx.Graph, a: str, b: str) -> list[dict[str, Any]]:
    return _unique(_citation(r) for r in graph.edges[a, b]["relations"])


def _node_citations(store: Any, nodes: Iterable[str]) -> list[dict[str, Any]]:
    cited = provenance(store, nodes)
    return _unique(_citation(cited.get(n, {})) for n in sorted(set(nodes)))


def _by_model(graph: nx.Graph) -> dict[str | None, nx.Graph]:
    """One subgraph per model: models are separate places, not islands of each other."""
    groups: dict[str | None, list[str]] = defaultdict(list)
    for node, attrs in graph.nodes(data=True):
        groups[attrs.get("model")].append(node)
    return {name: graph.subgraph(nodes) for name, nodes in groups.items()}


def data_islands(store: Any, graph: nx.Graph) -> list[Finding]:
    """Components of each model's data-sharing graph other than its largest."""
    findings = []
    for name, sub in sorted(_by_model(graph).items(), key=lambda kv: str(kv[0])):
        parts = network.components(sub)
        for part in parts[1:]:
            names = ", ".join(sub.nodes[n].get("name_zh") or n for n in part)
            lone = len(part) == 1
            explanation = (
                f"{names} {'is' if lone else 'are'} cut off from the main data network of the "
                f"{name} model ({len(parts[0])} bodies and systems): "
                + ("it neither shares data with any body nor uses a shared system."
                   if lone else "they share data only among themselves.")
            )
            edges = [(a, b) for a, b in sub.subgraph(part).edges]
            findings.append(Finding(
                kind="data_island", severity="medium" if lone else "low",
                entities=[_name(sub, n) for n in part], explanation=explanation,
                citations=_unique([*(c for a, b in edges for c in _edge_citations(sub, a, b)),
                                   *_node_citations(store, part)]),
                facts={"model": name, "size": len(part), "main_component": len(parts[0])},
            ))
    return findings


def isolated_systems(store: Any, model: str | None = None) -> list[Finding]:
    return [Finding(
        kind="isolated_system", severity="medium",
        entities=[{"id": row["id"], "name_zh": row.get("name_zh")}],
        explanation=(f"{row.get('name_zh') or row['id']} shares data with no other body or "
                     f"system and is used by {len(row['users'])} body: what it holds cannot be "
                     "checked by the schemes that pay after it."),
        citations=_unique([_citation(row)]),
        facts={"model": row.get("model"), "users": row["users"]},
    ) for row in run(store, "isolated_system", {"model": model})]


def certifier_payer_no_data_path(store: Any, graph: nx.Graph,
                                 model: str | None = None) -> list[Finding]:
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in run(store, "certifier_payer_no_data_path", {"model": model}):
        pairs[row["certifier"], row["payer"]].append(row)
    findings = []
    for (certifier, payer), rows in sorted(pairs.items()):
        if network.has_path(graph, certifier, payer):
            continue
        first = rows[0]
        categories = sorted({r["category_name_zh"] or r["category"] for r in rows})
        schemes = sorted({r["scheme_name_zh"] or r["scheme"] for r in rows})
        findings.append(Finding(
            kind="certifier_payer_no_data_path", severity="high",
            entities=[{"id": certifier, "name_zh": first["certifier_name_zh"]},
                      {"id": payer, "name_zh": first["payer_name_zh"]}],
            explanation=(f"{first['certifier_name_zh']} certifies {', '.join(categories)} and "
                         f"{first['payer_name_zh']} pays {', '.join(schemes)} on them, but no "
                         "data path joins the two: the payer cannot learn from the graph's data "
                         "flows when a certificate is granted, renewed or withdrawn."),
            citations=_unique([*(_citation(r, "c_") for r in rows),
                               *(_citation(r, "p_") for r in rows)]),
            facts={"model": first["model"], "categories": [r["category"] for r in rows],
                   "schemes": sorted({r["scheme"] for r in rows})},
        ))
    return findings


def duplicate_assistance_risk(store: Any, graph: nx.Graph,
                              model: str | None = None) -> list[Finding]:
    bodies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in run(store, "duplicate_assistance_risk", {"model": model}):
        bodies[row["id"]].append(row)
    findings = []
    for a, b in combinations(sorted(bodies), 2):
        ra, rb = bodies[a], bodies[b]
        if ra[0]["model"] != rb[0]["model"] or network.has_path(graph, a, b):
            continue
        named = all(any(r["via"] == "INVOLVES" for r in rows) for rows in (ra, rb))

        def what(rows: list[dict[str, Any]]) -> str:
            paid = sorted({r["what_name_zh"] or r["what"] for r in rows if r["via"] == "PAYS"})
            return ", ".join(paid) if paid else "aid after insurance"

        findings.append(Finding(
            kind="duplicate_assistance_risk", severity="high" if named else "medium",
            entities=[{"id": a, "name_zh": ra[0]["name_zh"]},
                      {"id": b, "name_zh": rb[0]["name_zh"]}],
            explanation=(f"{ra[0]['name_zh']} ({what(ra)}) and {rb[0]['name_zh']} ({what(rb)}) "
                         "both pay on what remains after insurance, and no data path joins "
                         "them: neither sees what the other paid, so the same remainder can be "
                         "paid twice or more than the expense."),
            citations=_unique(_citation(r) for r in ra + rb),
            facts={"model": ra[0]["model"], "named_by_problem": named},
        ))
    return findings


def duplicate_payment(store: Any, graph: nx.Graph) -> list[Finding]:
    rows = run(store, "duplicate_payment")
    groups: dict[tuple[Any, tuple[str, ...]], dict[str, dict[str, Any]]] = defaultdict(dict)
    payers: dict[str, set[str]] = {}
    for row in rows:
        groups[(row["overpaid"], tuple(row["schemes"]))][row["scheme"]] = row
        payers[row["scheme"]] = set(row["payers"])
    findings = []
    pairs: dict[tuple[str, str], dict[str, float]] = defaultdict(
        lambda: {"cases": 0, "total_cost": 0.0, "paid": 0.0})
    for (overpaid, _), by_scheme in sorted(groups.items(), key=lambda kv: str(kv[0])):
        first = next(iter(by_scheme.values()))  # every row of a group has its cases and bills
        if overpaid is not None:
            paid = sum(r["amount"] for r in by_scheme.values())
            findings.append(Finding(
                kind="duplicate_payment", severity="high",
                entities=[{"id": overpaid, "name_zh": None}],
                explanation=(f"Case {overpaid} cost {first['total_cost']:,.2f} yuan but its "
                             f"settlements add up to {paid:,.2f} yuan: paid more than the "
                             "expense."),
                citations=[],  # the case data are the evidence; the SETTLED_BY rows name the rules
                facts={"total_cost": first["total_cost"], "paid": paid},
            ))
        for a, b in combinations(sorted(by_scheme), 2):
            pair = pairs[(a, b)]
            pair["cases"] += first["cases"]
            pair["total_cost"] += first["total_cost"]
            pair["paid"] += by_scheme[a]["amount"] + by_scheme[b]["amount"]
    cited = provenance(store, {s for pair in pairs for s in pair})
    for (a, b), pair in sorted(pairs.items()):
        payers_a, payers_b = payers[a], payers[b]
        if payers_a & payers_b or not payers_a or not payers_b:
            continue  # one body pays both, or the graph does not say who pays: nothing to join
        if any(network.has_path(graph, x, y) for x in payers_a for y in payers_b):
            continue
        names = {n: graph.nodes[n].get("name_zh") if n in graph else n for n in payers_a | payers_b}
        findings.append(Finding(
            kind="duplicate_payment", severity="medium",
            entities=[{"id": a, "name_zh": cited.get(a, {}).get("name_zh")},
                      {"id": b, "name_zh": cited.get(b, {}).get("name_zh")}],
            explanation=(f"{pair['cases']} case(s) were settled by both {a} (paid "
                         f"by {', '.join(str(names[n]) for n in sorted(payers_a))}) and "
                         f"{b} (paid by "
                         f"{', '.join(str(names[n]) for n in sorted(payers_b))}), and no data "
                         "path joins their payers: each pays without seeing the other's "
                         "settlement."),
            citations=_unique(_citation(cited.get(s, {})) for s in (a, b)),
            facts={"cases": pair["cases"], "total_cost": pair["total_cost"],
                   "paid": pair["paid"], "payers_a": sorted(payers_a),
                   "payers_b": sorted(payers_b)},
        ))
    return findings


def monitoring_without_data(store: Any, model: str | None = None) -> list[Finding]:
    return [Finding(
        kind="monitoring_without_data", severity="high",
        entities=[{"id": row["id"], "name_zh": row.get("name_zh")}],
        explanation=(f"{row.get('name_zh') or row['id']} is charged with monitoring "
                     f"({', '.join(row['duties'])}) but receives no data: no body shares data "
                     "with it and it uses no system, so it cannot see who crosses the warning "
                     "line."),
        citations=_unique([_citation(row)]),
        facts={"model": row.get("model"), "duties": row["duties"]},
    ) for row in run(store, "monitoring_without_data", {"model": model})]


def single_points_of_failure(store: Any, graph: nx.Graph, top: int = 5) -> list[Finding]:
    """Articulation points and bridges of each model's graph, and its top brokers."""
    findings = []
    for name, sub in sorted(_by_model(graph).items(), key=lambda kv: str(kv[0])):
        for node in network.articulation_points(sub):
            lost = network.cut_off(sub, node)
            names = "; ".join(", ".join(sub.nodes[n].get("name_zh") or n for n in g) for g in lost)
            findings.append(Finding(
                kind="single_point_of_failure", severity="high",
                entities=[_name(sub, node)],
                explanation=(f"{sub.nodes[node].get('name_zh') or node} is the only data link of "
                             f"{names}: if it fails, they become islands."),
                citations=_unique(c for nb in sub.neighbors(node)
                                  for c in _edge_citations(sub, node, nb)),
                facts={"model": name, "role": "articulation_point", "cut_off": lost},
            ))
        for a, b in network.bridges(sub):
            if sub.degree(a) == 1 or sub.degree(b) == 1:
                continue  # a leaf's only link: already told by the articulation point it hangs on
            findings.append(Finding(
                kind="single_point_of_failure", severity="medium",
                entities=[_name(sub, a), _name(sub, b)],
                explanation=(f"The link between {sub.nodes[a].get('name_zh') or a} and "
                             f"{sub.nodes[b].get('name_zh') or b} is the only one between two "
                             "parts of the data network: without it they no longer exchange "
                             "data."),
                citations=_edge_citations(sub, a, b),
                facts={"model": name, "role": "bridge", "cut_off": network.cut_off(
                    sub, f"{a}{network.LINK}{b}")},
            ))
        ranked = network.brokers(sub, top)
        if ranked:
            findings.append(Finding(
                kind="single_point_of_failure", severity="low",
                entities=[_name(sub, n) for n, _ in ranked],
                explanation=("Most data flows of the model pass through these bodies and "
                             "systems (betweenness): " + ", ".join(
                                 f"{sub.nodes[n].get('name_zh') or n} {s:.2f}" for n, s in ranked)
                             + "; their failure or delay reaches the most others."),
                citations=_unique(c for n, _ in ranked for nb in sub.neighbors(n)
                                  for c in _edge_citations(sub, n, nb))[:10],
                facts={"model": name, "role": "broker", "betweenness": dict(ranked)},
            ))
    return findings


def what_if(store: Any, graph: nx.Graph, spec: str) -> list[Finding]:
    """What would become an island if the agency, system or link `spec` went away."""
    try:
        lost = network.cut_off(graph, spec)
    except KeyError as exc:
        from medgraph.loaders.errors import InputError

        raise InputError("--without", exc.args[0]) from None
    if not lost:
        return [Finding(
            kind="what_if", severity="low", entities=[_name(graph, n) for n in
                                                      network.parse_removal(spec)],
            explanation=f"Without {spec}, every other body and system keeps a data path.",
            citations=[], facts={"without": spec, "cut_off": []})]
    return [Finding(
        kind="what_if", severity="high", entities=[_name(graph, n) for n in group],
        explanation=(f"Without {spec}, " + ", ".join(graph.nodes[n].get("name_zh") or n
                                                     for n in group)
                     + " would lose every data path to the rest of the network."),
        citations=_node_citations(store, group), facts={"without": spec, "cut_off": group},
    ) for group in lost]


def islands(store: Any, model: str | None = None, without: str | None = None) -> list[Finding]:
    """Every information island: isolated systems, data islands, unlinked certifiers and payers,
    duplicate-assistance and duplicate-payment risks, blind monitors, single points of failure.

    With `without` (an agency or system id, or `FROM_ID->TO_ID`), the graph without it is the one
    examined, and the first findings say what would become an island.

    >>> [f.kind for f in islands(store, without="hangzhou.civil_affairs")][:1]  # doctest: +SKIP
    ['what_if']
    """
    graph = network.read_graph(store, model)
    findings: list[Finding] = []
    if without:
        findings += what_if(store, graph, without)
        graph = network.without(graph, without)
    findings += isolated_systems(store, model)
    findings += data_islands(store, graph)
    findings += certifier_payer_no_data_path(store, graph, model)
    findings += duplicate_assistance_risk(store, graph, model)
    findings += duplicate_payment(store, graph)
    findings += monitoring_without_data(store, model)
    findings += single_points_of_failure(store, graph)
    return findings
