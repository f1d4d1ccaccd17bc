"""Special assistance is paid within each case's bill (docs/rules.md, "Special assistance
within the bill"), worked by hand on the Hangzhou rules.

The person holds 低保 (minimum_living: special assistance 50 %, 002 二(四) 其他医疗救助对象救助
50%) and is not enrolled, and no cost is within the policy scope: insurance and medical
assistance pay nothing, and charity nothing below its 20,000 yuan a year. So each case's
remaining burden is its bill, and special assistance, triggered once the year's burden
reaches 14,000 yuan, pays half of the year's burden:

    A 2024-02-01   8,000   burden  8,000   below the threshold: nothing
    B 2024-03-01   5,000   burden 13,000   below the threshold: nothing
    C 2024-06-01   1,500   burden 14,500   reaches it: 50 % x 14,500 = 7,250 for the year
    D 2024-08-01   1,000   burden 15,500   50 % x 1,000 = 500

C's bill is 1,500: it is paid 1,500, and the 5,750 beyond it is booked on the earlier cases
whose burden it pays, latest first: 5,000 on B (all of its bill), 750 on A. The year is
paid 7,750 = 50 % of 15,500, as before; no case beyond its bill.
"""

from __future__ import annotations

import pytest

from medgraph.settlement import (
    load_rules,
    parse_input,
    settle_payments,
    settle_reference,
    settle_vectorised,
)

CASES = {
    "persons": [{"id": "P", "household_id": "HP", "enrolled": False, "certificates": [
        {"category": "minimum_living", "valid_from": "2024-01-01", "valid_to": "2024-12-31"}]}],
    "cases": [{"id": f"C{k}", "person_id": "P", "date": day, "setting": "inpatient",
               "total_cost": bill, "policy_scope_cost": 0, "referred": True,
               "facility_level": "county"}
              for k, day, bill in (("A", "2024-02-01", 8000), ("B", "2024-03-01", 5000),
                                   ("C", "2024-06-01", 1500), ("D", "2024-08-01", 1000))],
}


@pytest.fixture(scope="module")
def settled() -> dict[str, dict]:
    inp = parse_input(CASES, "special.json")
    rules = load_rules("hangzhou")
    reference = settle_reference(inp, rules)
    assert settle_vectorised(inp, rules) == reference  # the two engines agree
    return {r["id"]: r for r in reference}


def _special(result: dict) -> dict:
    [why] = [e for e in result["explanations"] if e["scheme"] == "special_assistance"]
    return why


def test_no_case_is_paid_beyond_its_bill(settled) -> None:
    paid = {cid: r["payments"].get("special_assistance", 0.0) for cid, r in settled.items()}
    assert paid == {"CA": 750.0, "CB": 5000.0, "CC": 1500.0, "CD": 500.0}
    assert {cid: r["out_of_pocket"] for cid, r in settled.items()} == {
        "CA": 7250.0, "CB": 0.0, "CC": 0.0, "CD": 500.0}
    assert sum(paid.values()) == 0.5 * 15500  # the year's entitlement is unchanged
    # the amounts alone (what-if, reconciliation) are carried the same way
    columns = settle_payments(parse_input(CASES, "special.json"), load_rules("hangzhou"))
    assert (columns["special_assistance"] / 100).tolist() == [750.0, 5000.0, 1500.0, 500.0]


def test_the_explanations_say_where_it_went(settled) -> None:
    crossing = _special(settled["CC"])
    assert crossing["beyond_bill"] == 5750.0 and crossing["carried_to"] == ["CB", "CA"]
    assert crossing["amount"] == 1500.0 and crossing["burden"] == 14500.0
    assert crossing["locator"] == "二(四)"
    for cid, took in (("CB", 5000.0), ("CA", 750.0)):
        booked = _special(settled[cid])
        assert booked["carried_from"] == "CC" and booked["carried_in"] == took
        assert booked["amount"] == took
    assert "carried_in" not in _special(settled["CD"])


def test_a_year_that_never_reaches_the_threshold_is_paid_nothing() -> None:
    inp = parse_input({"persons": CASES["persons"], "cases": CASES["cases"][:2]}, "x.json")
    rules = load_rules("hangzhou")
    results = settle_reference(inp, rules)
    assert results == settle_vectorised(inp, rules)
    assert all("special_assistance" not in r["payments"] for r in results)
