"""The settlement engine: a case through basic insurance, critical-illness insurance, medical
assistance, special assistance, huiminbao and charity, with the rules of a model.

>>> inp = parse_input({"persons": [{"id": "P1", "household_id": "H1", "enrolled": True,
...     "certificates": [{"category": "minimum_living", "valid_from": "2023-01-01",
...                       "valid_to": "2025-12-31", "due_to_illness": False}]}],
...     "cases": [{"id": "C1", "person_id": "P1", "date": "2024-03-10",
...     "setting": "inpatient", "total_cost": 120000, "policy_scope_cost": 100000,
...     "referred": True, "facility_level": "county"}]})
>>> [result] = settle(inp, load_rules("hangzhou"))
>>> result["payments"]["basic_medical_insurance"]    # 80 % of 100000 - 600 at a county hospital
79520.0
>>> result["payments"]["medical_assistance"]         # 80 % of the policy-scope cost left
16153.6

See docs/settlement.md for the order, the rules and the rounding rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medgraph.loaders.errors import InputError
from medgraph.settlement.explain import results_to_json, summary
from medgraph.settlement.inputs import SettlementInput, as_records, parse_input, read_input
from medgraph.settlement.reference import settle_reference
from medgraph.settlement.required import check_required
from medgraph.settlement.rules import SCHEMES, RuleSet, load_rules
from medgraph.settlement.vectorised import settle_payments, settle_vectorised

ENGINES = ("vectorised", "reference")

__all__ = ["ENGINES", "SCHEMES", "RuleSet", "SettlementInput", "as_records", "check_required",
           "load_rules",
           "parse_input", "read_input", "results_to_json", "settle", "settle_payments",
           "settle_reference", "settle_vectorised", "summary"]


def settle(inp: SettlementInput, rules: RuleSet | str | Path,
           engine: str = "vectorised") -> list[dict[str, Any]]:
    """Settle every case of `inp`; one output dict per case, in the input's order."""
    if not isinstance(rules, RuleSet):
        rules = load_rules(rules)
    if engine not in ENGINES:
        raise InputError("--engine", f"{engine!r} is not one of {', '.join(ENGINES)}",
                         field="engine")
    if engine == "vectorised":
        return settle_vectorised(inp, rules)
    return settle_reference(inp, rules)
