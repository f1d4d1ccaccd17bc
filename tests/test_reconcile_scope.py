"""Payments beyond the policy scope (excess_over_scope), on hand-built cases.

Each person holds 低保 (minimum_living) in 2024 and has one inpatient case of 50,000 yuan, of
which 45,000 is within the policy scope (政策范围内费用). Basic and critical-illness insurance
pay on the scope; medical assistance on what they left of it (002 二(二): 扣除基本医疗保险、
大病保险、其他医疗补助后的个人承担部分纳入医疗救助范围). So assistance may pay at most
45,000 less what the insurance paid, however much of the 5,000 outside the scope is left:
the payments can stay within the bill and still be beyond the scope.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import wipe

from medgraph.analysis.reconcile import reconcile
from medgraph.graph.store import Store
from medgraph.loaders.cases import load_settled
from medgraph.loaders.model import load_model, read_model
from medgraph.loaders.payments import load_payments, parse_records
from medgraph.settlement import load_rules, parse_input

MS, CHARITY_FED = "hangzhou.medical_security", "hangzhou.charity_federation"
BILL = {"setting": "inpatient", "total_cost": 50000, "policy_scope_cost": 45000,
        "referred": True, "facility_level": "county", "date": "2024-03-01"}
CASES = {
    "persons": [{"id": p, "household_id": f"H{p}", "enrolled": True, "certificates": [
        {"category": "minimum_living", "valid_from": "2024-01-01", "valid_to": "2024-12-31"}]}
        for p in "STU"],
    "cases": [{"id": f"C{p}", "person_id": p, **BILL} for p in "STU"],
}


@pytest.fixture(scope="module")
def scope_store(_scratch: Store) -> Iterator[tuple[Store, dict[str, float]]]:
    """The cases loaded and settled; what each scheme is entitled to on one of them."""
    wipe(_scratch)
    load_model(_scratch, read_model("hangzhou"))
    load_settled(_scratch, parse_input(CASES, "scope.json"), load_rules("hangzhou"),
                 "hangzhou", dataset="scope")
    settled = {r["s"]: r["a"] for r in _scratch.read(
        "MATCH (:Case {id: 'CS'})-[r:SETTLED_BY]->(s:Scheme) RETURN s.code AS s, r.amount AS a")}
    yield _scratch, settled
    wipe(_scratch)


def _room(settled: dict[str, float]) -> float:
    """The scope insurance left for assistance: 45,000 less what the insurance paid."""
    return round(45000 - settled["basic_medical_insurance"]
                 - settled.get("critical_illness_insurance", 0.0), 2)


@pytest.fixture(scope="module")
def found(scope_store) -> dict[tuple[str, str], list]:
    store, settled = scope_store
    ma, room = settled["medical_assistance"], _room(settled)
    payments = [
        # S: assistance pays all the scope left and 2,000 yuan more, within the bill
        {"case_id": "CS", "payer": MS, "scheme": "medical_assistance", "amount": room + 2000,
         "date": "2024-03-20", "reference": "MA-S"},
        # T: assistance as entitled, and charity 3,000 on the remaining bill: charity pays on
        # the bill, not the scope, so beyond the scope is no finding of this kind
        {"case_id": "CT", "payer": MS, "scheme": "medical_assistance", "amount": ma,
         "date": "2024-03-20", "reference": "MA-T"},
        {"case_id": "CT", "payer": CHARITY_FED, "scheme": "charity_assistance",
         "amount": 3000, "date": "2024-04-01", "reference": "CF-T"},
        # U: assistance pays all the scope left and half a yuan: rounding, not a finding
        {"case_id": "CU", "payer": MS, "scheme": "medical_assistance", "amount": room + 0.5,
         "date": "2024-03-20", "reference": "MA-U"},
    ]
    load_payments(store, parse_records({"payments": payments}, "scope-pay.json"), "hangzhou",
                  dataset="scope-pay")
    out: dict[tuple[str, str], list] = {}
    for f in reconcile(store).findings:
        out.setdefault((f.kind, f.facts["unit"]), []).append(f)
    return out


def test_assistance_beyond_the_scope_within_the_bill(scope_store, found) -> None:
    _, settled = scope_store
    [beyond] = found[("excess_over_scope", "CS")]
    # hand-worked: assistance paid room + 2,000 where the scope left it room
    assert beyond.facts["excess"] == 2000.0
    assert beyond.facts["beyond_scope"] == {"medical_assistance": 2000.0}
    assert beyond.facts["policy_scope"] == 45000.0 and beyond.facts["bill"] == 50000.0
    assert beyond.facts["payer_to_act"] == MS and beyond.severity == "high"
    assert beyond.facts["rule"] == "hangzhou.rule.ma_out_of_catalogue"
    locators = {c["locator"] for c in beyond.citations}
    assert "二(二)" in locators and "§4.2" in locators  # the rule's clause, and 超额救助
    assert "政策范围内费用" in beyond.explanation
    # within the bill: 45,000 + 2,000 of 50,000, so no excess over the bill
    assert ("excess_payment", "CS") not in found
    assert ("overpayment", "CS") in found  # and above the rule, as before
    assert settled["medical_assistance"] < _room(settled)


def test_charity_on_the_remaining_bill_is_not_bound_by_the_scope(found) -> None:
    assert ("excess_over_scope", "CT") not in found
    assert ("excess_payment", "CT") not in found


def test_within_the_tolerance_is_no_finding(scope_store, found) -> None:
    store, _ = scope_store
    assert ("excess_over_scope", "CU") not in found
    loose = reconcile(store, tolerance=2500.0).findings
    assert not [f for f in loose if f.kind == "excess_over_scope"]
    assert reconcile(store).facts["findings"]["excess_over_scope"] == 1
