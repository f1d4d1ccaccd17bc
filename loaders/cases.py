"""Case data into the graph: persons, households, certificates, enrolment, cases, settlements.

Case data is pseudonymous: a person is an id, a household and birth year at
most; no names or ID numbers are stored. Everything goes through
`loaders.sync`, so a load is validated first (by the settlement input reader),
written in one transaction, and a second load of the same data changes
nothing. Case data carries `model: "cases"`.

The shape (see docs/schema.md):

    (:Person)-[:MEMBER_OF]->(:Household)
    (:Person)-[:HOLDS {valid_from, valid_to, due_to_illness}]->(:BeneficiaryCategory)
    (:Person)-[:ENROLLED_IN {year, subsidised_by}]->(:Scheme {code: 'basic_medical_insurance'})
    (:Person)-[:HAS_CASE]->(:Case)-[:SETTLED_BY {amount, rule_id, explanation}]->(:Scheme)

>>> nodes, edges = case_graph(
...     [{"id": "P1", "household_id": "H1", "enrolled": True, "certificates": []}],
...     [{"id": "C1", "person_id": "P1", "date": "2024-03-10", "setting": "inpatient",
...       "total_cost": 100.0, "policy_scope_cost": 90.0, "referred": True,
...       "facility_level": "county"}],
...     [{"id": "C1", "payments": {"basic_medical_insurance": 60.0}, "out_of_pocket": 40.0,
...       "explanations": []}],
...     "hangzhou")
>>> sorted({n.label for n in nodes}), sorted({e.type for e in edges})
(['Case', 'Household', 'Person'], ['ENROLLED_IN', 'HAS_CASE', 'MEMBER_OF', 'SETTLED_BY'])
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from medgraph.graph.store import Store
from medgraph.loaders.sync import Edge, Node, Plan, apply_plan, clean, plan_sync

TAG = "cases"


def _edge(rel_type: str, from_label: str, from_id: str, to_label: str, to_id: str,
          key: str | None = None, **props: Any) -> Edge:
    ident = f"{from_id}|{rel_type}|{to_id}" + (f"|{key}" if key else "")
    return Edge(rel_type, ident, from_label, from_id, to_label, to_id,
                clean({**props, "id": ident, "model": TAG}))


def case_graph(
    persons: Iterable[dict[str, Any]],
    cases: Iterable[dict[str, Any]],
    results: Iterable[dict[str, Any]],
    model: str,
) -> tuple[list[Node], list[Edge]]:
    """Nodes and edges for settled case data; schemes are those of `model`."""
    cases = list(cases)
    years_by_person: dict[str, set[int]] = {}
    for case in cases:
        years_by_person.setdefault(case["person_id"], set()).add(int(case["date"][:4]))
    nodes: list[Node] = []
    edges: list[Edge] = []
    households: set[str] = set()
    for person in persons:
        pid = person["id"]
        nodes.append(Node("Person", pid, clean({"id": pid, "model": TAG,
                                                "birth_year": person.get("birth_year")})))
        household = person.get("household_id")
        if household:
            if household not in households:
                households.add(household)
                nodes.append(Node("Household", household, {"id": household, "model": TAG}))
            edges.append(_edge("MEMBER_OF", "Person", pid, "Household", household))
        for cert in person.get("certificates", []):
            edges.append(_edge(
                "HOLDS", "Person", pid, "BeneficiaryCategory", cert["category"],
                key=cert["valid_from"], valid_from=cert["valid_from"],
                valid_to=cert["valid_to"], due_to_illness=bool(cert.get("due_to_illness")),
            ))
        for year in _enrolled_years(person, years_by_person.get(pid, set())):
            edges.append(_edge("ENROLLED_IN", "Person", pid, "Scheme",
                               f"{model}.basic_medical_insurance", key=str(year), year=year))
    settled = {r["id"]: r for r in results}
    for case in cases:
        result = settled.get(case["id"], {})
        nodes.append(Node("Case", case["id"], clean({
            "id": case["id"], "model": TAG, "date": case["date"], "year": int(case["date"][:4]),
            "setting": case["setting"], "total_cost": float(case["total_cost"]),
            "policy_scope_cost": float(case["policy_scope_cost"]),
            "referred": bool(case.get("referred")), "facility_level": case.get("facility_level"),
            "out_of_pocket": result.get("out_of_pocket"),
        })))
        edges.append(_edge("HAS_CASE", "Person", case["person_id"], "Case", case["id"]))
        explanations = {e.get("scheme"): e for e in result.get("explanations", [])}
        for scheme_code, amount in (result.get("payments") or {}).items():
            if not amount:
                continue
            why = explanations.get(scheme_code, {})
            edges.append(_edge(
                "SETTLED_BY", "Case", case["id"], "Scheme", f"{model}.{scheme_code}",
                amount=float(amount), rule_id=why.get("rule_id"),
                explanation=json.dumps(why, ensure_ascii=False, sort_keys=True) if why else None,
            ))
    return nodes, edges


def _enrolled_years(person: dict[str, Any], case_years: set[int]) -> list[int]:
    """Years of basic-insurance enrolment: given per year, or every year the person has care."""
    if "enrolled_years" in person:
        return sorted(int(y) for y in person["enrolled_years"])
    return sorted(case_years) if person.get("enrolled") else []


def load_cases(
    store: Store,
    persons: list[dict[str, Any]],
    cases: list[dict[str, Any]],
    results: list[dict[str, Any]],
    model: str,
    *,
    dry_run: bool = False,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Write settled case data; only what differs from the store is written."""
    nodes, edges = case_graph(persons, cases, results, model)
    plan = plan_sync(store, nodes, edges)
    if not dry_run and plan.changes:
        with store.transaction() as tx:
            apply_plan(tx, plan, batch_size=batch_size, progress=progress)
    return plan
