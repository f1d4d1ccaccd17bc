"""Case data in the graph, the accountability trace and the KPIs, on a small hand-made city."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medgraph.analysis.kpi import kpis
from medgraph.analysis.trace import AccountabilityCache, CaseNotFound, trace_case
from medgraph.graph.store import Store
from medgraph.loaders.cases import load_cases
from medgraph.loaders.model import load_model, read_model

MINI = Path(__file__).parent / "fixtures" / "mini"

PERSONS = [
    {"id": "P1", "household_id": "H1", "enrolled": True,
     "certificates": [{"category": "minimum_living", "valid_from": "2023-01-01",
                       "valid_to": "2025-12-31", "due_to_illness": False}]},
    {"id": "P2", "household_id": "H1", "enrolled_years": [],
     "certificates": [{"category": "minimum_living", "valid_from": "2024-01-01",
                       "valid_to": "2024-12-31", "due_to_illness": False}]},
    {"id": "P3", "household_id": "H2", "enrolled": True, "certificates": []},
]
CASES = [
    {"id": "C1", "person_id": "P1", "date": "2024-03-10", "setting": "inpatient",
     "total_cost": 100000, "policy_scope_cost": 90000, "referred": True,
     "facility_level": "county"},
    {"id": "C2", "person_id": "P2", "date": "2024-06-01", "setting": "inpatient",
     "total_cost": 10000, "policy_scope_cost": 10000, "referred": True,
     "facility_level": "county"},
    {"id": "C3", "person_id": "P3", "date": "2024-06-01", "setting": "inpatient",
     "total_cost": 50000, "policy_scope_cost": 50000, "referred": True,
     "facility_level": "city"},
]
RESULTS = [
    {"id": "C1", "payments": {"basic_medical_insurance": 60000, "medical_assistance": 24000},
     "out_of_pocket": 16000, "explanations": [
         {"scheme": "medical_assistance", "rule_id": "mini.rule.rate", "base": 30000,
          "rate": 0.8}]},
    {"id": "C2", "payments": {"basic_medical_insurance": 5000, "medical_assistance": 4000},
     "out_of_pocket": 1000, "explanations": []},
    {"id": "C3", "payments": {"basic_medical_insurance": 30000}, "out_of_pocket": 20000,
     "explanations": []},
]


@pytest.fixture()
def mini_city(empty_store: Store) -> Store:
    load_model(empty_store, read_model(MINI))
    load_cases(empty_store, PERSONS, CASES, RESULTS, "mini", dataset="mini")
    return empty_store


def test_trace_answers_the_four_questions(mini_city: Store) -> None:
    trace = trace_case(mini_city, "C1")
    assert set(trace) == {"case", "payments", "funds", "certifies", "pays", "supervises"}
    assert trace["case"]["person_id"] == "P1" and trace["case"]["household_id"] == "H1"
    assert {p["scheme_code"]: p["amount"] for p in trace["payments"]} == {
        "basic_medical_insurance": 60000, "medical_assistance": 24000}
    # Money: finance → assistance fund → assistance; tax collects → insurance fund → insurance.
    links = {(f["funder_id"], f["relation"], f["funded_id"]) for f in trace["funds"]}
    assert links == {
        ("mini.finance", "FUNDS", "mini.assistance_fund"),
        ("mini.assistance_fund", "FUNDS", "mini.medical_assistance"),
        ("mini.tax", "COLLECTS", "mini.insurance_fund"),
        ("mini.insurance_fund", "FUNDS", "mini.basic_medical_insurance"),
    }
    finance = next(f for f in trace["funds"] if f["funder_id"] == "mini.finance")
    assert finance["share"] == 1.0
    assert finance["citation"] == (
        "002_5b6d36cec4e37cac.txt 三(二) 「财政部门负责按规定落实相关补助资金」")
    [cert] = trace["certifies"]
    assert (cert["category_code"], cert["agency_id"], cert["valid_on_date"]) == (
        "minimum_living", "mini.civil_affairs", True)
    assert {(p["agency_id"], p["relation"]) for p in trace["pays"]} == {
        ("mini.medical_security", "PAYS"), ("mini.medical_security", "ADMINISTERS")}
    assert {(s["agency_id"], s["target_id"]) for s in trace["supervises"]} == {
        ("mini.medical_security", "mini.insurance_fund"), ("mini.health", "mini.hospital")}
    explanation = next(p for p in trace["payments"] if p["scheme_code"] == "medical_assistance")
    assert explanation["explanation"]["base"] == 30000  # an object, not JSON text


def test_trace_is_what_the_single_named_query_answers(mini_city: Store) -> None:
    """trace_case (two queries, the model half cacheable) answers what trace_case.cypher does."""
    from medgraph.queries import load_query

    cache = AccountabilityCache()
    for case_id in ("C1", "C2", "C3"):
        [row] = mini_city.read(load_query("trace_case").text, {"case_id": case_id})
        trace = trace_case(mini_city, case_id)
        assert trace["case"] == {**row["details"], "person_id": row["person_id"],
                                 "household_id": row["household_id"]}
        for section in ("payments", "funds", "certifies", "pays", "supervises"):
            expected = [item for item in row[section] if item is not None]
            if section == "payments":  # the named query gives the stored JSON text
                expected = [{**p, "explanation": json.loads(p["explanation"])
                             if p["explanation"] else None} for p in expected]
            assert [{k: v for k, v in item.items() if k != "citation"}
                    for item in trace[section]] == expected, section
        assert trace_case(mini_city, case_id, cache) == trace


def test_cached_model_half_is_dropped_when_the_store_is_written(mini_city: Store) -> None:
    cache = AccountabilityCache(ttl=3600)
    before = trace_case(mini_city, "C1", cache)
    mini_city.write("MATCH (a:Agency {id: 'mini.health'})-[s:SUPERVISES]->() DELETE s")
    after = trace_case(mini_city, "C1", cache)
    assert "mini.health" in {s["agency_id"] for s in before["supervises"]}
    assert "mini.health" not in {s["agency_id"] for s in after["supervises"]}


def test_trace_of_unknown_case(mini_city: Store) -> None:
    with pytest.raises(CaseNotFound):
        trace_case(mini_city, "nope")


def test_case_load_is_idempotent(mini_city: Store) -> None:
    plan = load_cases(mini_city, PERSONS, CASES, RESULTS, "mini", dataset="mini")
    assert plan.changes == 0
    counts = mini_city.read("MATCH (c:Case) RETURN count(c) AS n")
    assert counts == [{"n": 3}]
    # No names or ID numbers: a person carries only pseudonymous fields.
    keys = mini_city.read("MATCH (p:Person) UNWIND keys(p) AS k RETURN collect(DISTINCT k) AS k")
    assert set(keys[0]["k"]) <= {"id", "model", "birth_year", "dataset"}


def test_kpis_measured_against_the_target_in_force(mini_city: Store) -> None:
    by_code = {k["code"]: k for k in kpis(mini_city, 2024, "mini")}
    coverage = by_code["comprehensive_coverage_rate"]
    # Recipients' cases in 2024: C1 and C2 (P3 holds no category).
    # Paid (60000+24000+5000+4000) / cost (100000+10000) = 93000 / 110000.
    assert coverage["value"] == round(93000 / 110000, 4)
    assert (coverage["target"], coverage["met"]) == (0.8, True)  # 0.845 ≥ 0.8
    assert by_code["personal_burden_rate"]["value"] == round(17000 / 110000, 4)
    # P1 enrolled in 2024 (the year of its case), P2 not enrolled: 1 of 2.
    enrolment = by_code["subsidised_enrolment_rate"]
    assert (enrolment["value"], enrolment["base"], enrolment["met"]) == (0.5, 2, False)
    # High-cost: P1 (100000 ≥ 50000) with 16000 out of pocket < 20000: cleared.
    assert by_code["high_cost_clearance_rate"]["value"] == 1.0
    # 2025 has no cases; the 2025 target is the one in force.
    later = {k["code"]: k for k in kpis(mini_city, 2025, "mini")}
    assert later["comprehensive_coverage_rate"]["target"] == 0.85
    assert later["comprehensive_coverage_rate"]["value"] is None


def test_trace_cli_json_and_exit_codes(mini_city: Store, tmp_path: Path) -> None:
    # The scratch store is not the CLI's default: point the CLI at its home.
    env = dict(os.environ, MEDGRAPH_HOME=str(mini_city.settings.home))
    done = subprocess.run([sys.executable, "-m", "medgraph", "trace", "C1", "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    traced = json.loads(done.stdout)
    assert traced["case"]["id"] == "C1"
    why = next(p for p in traced["payments"] if p["scheme_code"] == "medical_assistance")
    assert why["explanation"]["rate"] == 0.8  # a JSON object, not JSON inside a string
    as_csv = subprocess.run([sys.executable, "-m", "medgraph", "trace", "C1", "--format", "csv"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))  # one table, one header
    assert [r["section"] for r in rows] == [
        section for section in ("payments", "funds", "certifies", "pays", "supervises")
        for _ in traced[section]]
    assert {float(r["amount"]) for r in rows if r["section"] == "payments"} == {60000, 24000}
    missing = subprocess.run([sys.executable, "-m", "medgraph", "trace", "C404"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2
    assert "no case with id 'C404'" in missing.stderr


def test_trace_on_the_hangzhou_model_follows_the_money_to_the_treasury(empty_store: Store) -> None:
    """A minimum-living holder's assistance payment, settled by the engine with Hangzhou's rules:
    the assistance fund pays it, the finance bureau funds that fund (002 三(二)), civil affairs
    certified the person (002 二(二)), and the medical security bureau pays out."""
    from medgraph import settlement

    load_model(empty_store, read_model("hangzhou"))
    inp = settlement.parse_input({"persons": PERSONS[:1], "cases": CASES[:1]})
    results = settlement.settle(inp, settlement.load_rules("hangzhou"))
    persons, cases = settlement.as_records(inp)
    load_cases(empty_store, persons, cases, results, "hangzhou", dataset="hz")
    trace = trace_case(empty_store, "C1")
    paid = {p["scheme_code"]: p["amount"] for p in trace["payments"]}
    assert paid["medical_assistance"] == results[0]["payments"]["medical_assistance"] > 0
    funders = {(f["funder_id"], f["funded_id"]) for f in trace["funds"]
               if f["scheme_id"] == "hangzhou.medical_assistance"}
    assert ("hangzhou.medical_assistance_fund", "hangzhou.medical_assistance") in funders
    assert ("hangzhou.finance", "hangzhou.medical_assistance_fund") in funders
    assert {"hangzhou.civil_affairs"} <= {c["agency_id"] for c in trace["certifies"]
                                          if c["category_code"] == "minimum_living"}
    assert "hangzhou.medical_security" in {p["agency_id"] for p in trace["pays"]
                                           if p["scheme_id"] == "hangzhou.medical_assistance"}
    assert all(f["citation"] for f in trace["funds"])


def test_kpi_refuses_a_year_without_cases_and_a_model_the_cases_were_not_settled_with(
        mini_city: Store) -> None:
    """Once blanks, and 0 % enrolment with no word of why."""
    env = dict(os.environ, MEDGRAPH_HOME=str(mini_city.settings.home))

    def kpi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "medgraph", "kpi", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    no_cases = kpi("--year", "2019", "--model", "mini")
    assert no_cases.returncode == 2
    assert no_cases.stderr.strip() == ("medgraph: --year: unknown year 2019 (no case data "
                                       "that year); known: 2024")
    other = kpi("--year", "2024", "--model", "hangzhou")
    assert other.returncode == 2 and "known: mini" in other.stderr
    measured = kpi("--year", "2024", "--model", "mini", "--format", "json")
    assert measured.returncode == 0, measured.stderr
