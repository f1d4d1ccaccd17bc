"""The targets of 杭政办函〔2022〕70号 measured on case data.

Four indicators for medical-assistance recipients (002 一), each with the
definition used (the documents name them but do not define how to count):

- `comprehensive_coverage_rate` (综合保障率): what all schemes paid ÷ total
  medical cost of recipients' cases in the year.
- `personal_burden_rate` (个人负担率): out-of-pocket ÷ total medical cost.
- `subsidised_enrolment_rate` (资助参保率): recipients enrolled in basic
  medical insurance that year ÷ recipients.
- `high_cost_clearance_rate` (高额医疗费用动态清零化解率): recipients whose
  yearly cost reaches the high-cost line and whose out-of-pocket stays under
  the warning line ÷ recipients whose yearly cost reaches the high-cost line.
  Both lines are parameters, assumptions: the documents give neither.

A recipient is a person holding, on the date of care, a category that a
medical-assistance rule of the model applies to.

>>> kpis(store, year=2024, model="hangzhou")              # doctest: +SKIP
[{'code': 'comprehensive_coverage_rate', 'value': 0.83, 'target': 0.8, 'met': True, ...}, ...]
"""

from __future__ import annotations

import operator
from typing import Any

from medgraph.graph.store import Store
from medgraph.queries import load_query

# Assumptions, not policy: the documents set no number for either line.
HIGH_COST_LINE = 50_000.0
WARNING_LINE = 20_000.0

COMPARATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
               "=": operator.eq}

DEFINITIONS = {
    "comprehensive_coverage_rate": "paid by all schemes ÷ total cost, recipients' cases",
    "personal_burden_rate": "out-of-pocket ÷ total cost, recipients' cases",
    "subsidised_enrolment_rate": "recipients enrolled in basic medical insurance ÷ recipients",
    "high_cost_clearance_rate": "high-cost recipients (yearly cost ≥ high-cost line) whose "
                                "out-of-pocket stays under the warning line ÷ high-cost recipients",
}


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


def kpis(store: Store, year: int, model: str = "hangzhou", *,
         high_cost_line: float = HIGH_COST_LINE,
         warning_line: float = WARNING_LINE) -> list[dict[str, Any]]:
    """Each indicator measured for `year`, with the target in force and whether it is met."""
    costs = store.read(load_query("kpi_recipient_costs").text, {
        "year": year, "model": model, "high_cost_line": high_cost_line,
        "warning_line": warning_line,
    })[0]
    enrolment = store.read(load_query("kpi_subsidised_enrolment").text,
                           {"year": year, "model": model})[0]
    measured = {
        "comprehensive_coverage_rate": (_ratio(costs["paid"] or 0, costs["total_cost"] or 0),
                                        costs["recipients"]),
        "personal_burden_rate": (_ratio(costs["out_of_pocket"] or 0, costs["total_cost"] or 0),
                                 costs["recipients"]),
        "subsidised_enrolment_rate": (_ratio(enrolment["enrolled"], enrolment["recipients"]),
                                      enrolment["recipients"]),
        "high_cost_clearance_rate": (_ratio(costs["high_cost_cleared"] or 0,
                                            costs["high_cost_persons"] or 0),
                                     costs["high_cost_persons"]),
    }
    targets: dict[str, dict[str, Any]] = {}
    for row in store.read(load_query("kpi_targets").text, {"model": model, "year": year}):
        targets.setdefault(row["code"], row)  # the most recent target in force comes first
    out = []
    for code, (value, base) in measured.items():
        target = targets.get(code, {})
        compare = COMPARATORS.get(target.get("comparator") or "")
        met = None if value is None or compare is None else compare(value, target["target"])
        out.append({
            "code": code, "year": year, "value": None if value is None else round(value, 4),
            "base": base, "target": target.get("target"),
            "comparator": target.get("comparator"), "met": met,
            "definition": DEFINITIONS[code],
            "source": target.get("source"), "locator": target.get("locator"),
            "quote": target.get("quote"),
        })
    return out
