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
from typing import TYPE_CHECKING, Any

from medgraph.queries import load_query

if TYPE_CHECKING:  # the driver is imported only where a store is opened
    from medgraph.graph.store import Store

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


# The sums kpi_recipient_costs gives for each district.
COSTS = ("recipients", "cases", "total_cost", "paid", "out_of_pocket", "high_cost_persons",
         "high_cost_cleared")


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


def kpis(store: Store, year: int, model: str = "hangzhou", *,
         high_cost_line: float = HIGH_COST_LINE,
         warning_line: float = WARNING_LINE) -> list[dict[str, Any]]:
    """Each indicator measured for `year`, with the target in force and whether it is met."""
    return by_district(store, year, model, high_cost_line=high_cost_line,
                       warning_line=warning_line, whole=True)[None]


def by_district(store: Store, year: int, model: str = "hangzhou", *,
                high_cost_line: float = HIGH_COST_LINE, warning_line: float = WARNING_LINE,
                whole: bool = False) -> dict[str | None, list[dict[str, Any]]]:
    """The indicators of each district of the persons (002's 防贫地图 thinks in districts),
    each against the city's target; with `whole`, the city's alone, under the key None.
    The counts and sums behind the indicators add up across districts, so the city's are
    the sums of the districts' (persons without a district count in the city only).

    >>> by_district(store, 2024)["xihu"][0]["code"]        # doctest: +SKIP
    'comprehensive_coverage_rate'
    """
    params = {"year": year, "model": model, "high_cost_line": high_cost_line,
              "warning_line": warning_line}
    costs = store.read(load_query("kpi_recipient_costs").text, params)
    enrolment = store.read(load_query("kpi_subsidised_enrolment").text,
                           {"year": year, "model": model})
    targets: dict[str, dict[str, Any]] = {}
    for row in store.read(load_query("kpi_targets").text, {"model": model, "year": year}):
        targets.setdefault(row["code"], row)  # the most recent target in force comes first
    groups: dict[str | None, dict[str, float]] = {}

    def add(row: dict[str, Any], names: dict[str, str]) -> None:
        district = row["district"]
        for key in [None] if whole or district is None else [district, None]:
            into = groups.setdefault(key, {})
            for column, name in names.items():
                into[name] = into.get(name, 0) + (row[column] or 0)

    for row in costs:
        add(row, {name: name for name in COSTS})
    for row in enrolment:  # its recipients are those of the year, not those with care
        add(row, {"recipients": "enrolment_recipients", "enrolled": "enrolled"})
    groups.setdefault(None, {})  # the city, measured even when no recipient had care
    return {key: _measured(sums, year, targets) for key, sums in sorted(
        groups.items(), key=lambda item: (item[0] is None, item[0] or ""))}


def _measured(sums: dict[str, float], year: int,
              targets: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    def get(name: str) -> float:
        return sums.get(name, 0)

    measured = {
        "comprehensive_coverage_rate": (_ratio(get("paid"), get("total_cost")),
                                        int(get("recipients"))),
        "personal_burden_rate": (_ratio(get("out_of_pocket"), get("total_cost")),
                                 int(get("recipients"))),
        "subsidised_enrolment_rate": (_ratio(get("enrolled"), get("enrolment_recipients")),
                                      int(get("enrolment_recipients"))),
        "high_cost_clearance_rate": (_ratio(get("high_cost_cleared"),
                                            get("high_cost_persons")),
                                     int(get("high_cost_persons"))),
    }
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


def district_rows(measured: dict[str | None, list[dict[str, Any]]],
                  city: str | None = "(city)") -> list[dict[str, Any]]:
    """`by_district`'s answer as rows with a `district` column, the city's last as `city`."""
    return [{"district": city if key is None else key, **row}
            for key, rows in measured.items() for row in rows]
