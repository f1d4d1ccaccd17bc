"""Observed payments and reconciliation, on hand-built cases settled by the Hangzhou rules.

Every person below has one inpatient case of 50,000 yuan (45,000 within the policy scope);
A, E, F, G, K hold 低保 (minimum_living) in 2024 and so are entitled to medical assistance;
B holds nothing; D is not enrolled; C's case gives insurance payments above its bill.
What the rules entitle is read back from the store (SETTLED_BY), as `medgraph settle` shows
it, not written here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from conftest import wipe

from medgraph.analysis.reconcile import reconcile
from medgraph.graph.store import Store
from medgraph.loaders.cases import load_settled
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import load_model, read_model
from medgraph.loaders.payments import load_payments, parse_records, read_records
from medgraph.settlement import load_rules, parse_input

MIN_LIVING = [{"category": "minimum_living", "valid_from": "2024-01-01",
               "valid_to": "2024-12-31"}]
BILL = {"setting": "inpatient", "total_cost": 50000, "policy_scope_cost": 45000,
        "referred": True, "facility_level": "county"}


def _person(pid: str, certificates: list | None = None, enrolled: bool = True) -> dict:
    return {"id": pid, "household_id": f"H{pid}", "enrolled": enrolled,
            "certificates": certificates or []}


CASES = {
    "persons": [_person(p, MIN_LIVING) for p in "AEFGK"]
    + [_person("B"), _person("C"), _person("D", enrolled=False)],
    "cases": [{"id": f"C{p}", "person_id": p, "date": "2024-03-01", **BILL} for p in "ABEFGK"]
    + [{"id": "CC", "person_id": "C", "date": "2024-05-01", **BILL, "total_cost": 1000,
        "policy_scope_cost": 1000,
        "paid": {"basic_medical_insurance": 800, "critical_illness_insurance": 500}},
       {"id": "CD", "person_id": "D", "date": "2024-05-01", **BILL, "total_cost": 1000,
        "policy_scope_cost": 1000}],
}
MS, CIVIL, RED_CROSS = "hangzhou.medical_security", "hangzhou.civil_affairs", "hangzhou.red_cross"
CHARITY_FED, INSURERS = "hangzhou.charity_federation", "hangzhou.commercial_insurers"


@pytest.fixture(scope="module")
def hand(_scratch: Store) -> Iterator[tuple[Store, float]]:
    """The hand-built cases loaded and settled; the medical assistance one case of 低保 gets."""
    wipe(_scratch)
    load_model(_scratch, read_model("hangzhou"))
    load_settled(_scratch, parse_input(CASES, "hand.json"), load_rules("hangzhou"), "hangzhou",
                 dataset="hand")
    [row] = _scratch.read("MATCH (:Case {id: 'CA'})-[r:SETTLED_BY]->(:Scheme {code: $s}) "
                          "RETURN r.amount AS a", {"s": "medical_assistance"})
    yield _scratch, row["a"]
    wipe(_scratch)


def _payments(ma: float) -> dict:
    return {"payments": [
        # A: assistance as entitled, and the charity federation again (no data path between)
        {"case_id": "CA", "payer": MS, "scheme": "medical_assistance", "amount": ma,
         "date": "2024-03-20", "reference": "MA-A"},
        {"case_id": "CA", "payer": CHARITY_FED, "scheme": "charity_assistance", "amount": 3000,
         "date": "2024-04-02", "reference": "CF-A"},
        # K: assistance as entitled, and the Red Cross again, paying the person (a data path)
        {"case_id": "CK", "payer": MS, "scheme": "medical_assistance", "amount": ma,
         "date": "2024-03-20", "reference": "MA-K"},
        {"person_id": "K", "payer": RED_CROSS, "scheme": "charity_assistance", "amount": 2000,
         "date": "2024-06-01"},
        # E: nothing paid (missed); F: 1,000 too much; G: 1,000 too little
        {"case_id": "CF", "payer": MS, "scheme": "medical_assistance", "amount": ma + 1000,
         "date": "2024-03-20"},
        {"case_id": "CG", "payer": MS, "scheme": "medical_assistance", "amount": ma - 1000,
         "date": "2024-03-20"},
        # B holds no certificate; D is not enrolled in huiminbao, and is paid beyond the bill
        {"case_id": "CB", "payer": CIVIL, "scheme": "medical_assistance", "amount": 2000,
         "date": "2024-04-20"},
        {"case_id": "CD", "payer": INSURERS, "scheme": "huiminbao", "amount": 300,
         "date": "2024-05-20"},
        {"case_id": "CD", "payer": CHARITY_FED, "scheme": "charity_assistance", "amount": 1500,
         "date": "2024-05-21"},
    ]}


@pytest.fixture(scope="module")
def reconciled(hand: tuple[Store, float]) -> dict[tuple[str, str], list]:
    store, ma = hand
    load_payments(store, parse_records(_payments(ma), "pay.json"), "hangzhou", dataset="pay")
    found: dict[tuple[str, str], list] = {}
    for f in reconcile(store).findings:
        found.setdefault((f.kind, f.facts["unit"]), []).append(f)
    return found


def test_a_case_overpaid_by_insurance_loads_and_is_flagged(hand, reconciled) -> None:
    store, _ = hand
    [case] = store.read("MATCH (c:Case {id: 'CC'}) RETURN c.given_over_bill AS flag, "
                        "c.given_excess AS excess, c.out_of_pocket AS oop")
    assert case == {"flag": True, "excess": 300.0, "oop": -300.0}
    [excess] = reconciled[("excess_payment", "CC")]
    assert excess.facts["excess"] == 300.0
    assert "exceed the bill" in excess.explanation


def test_duplicate_aid_without_a_data_path(reconciled) -> None:
    [dup] = reconciled[("duplicate_aid", "CA")]
    assert dup.facts["payers"] == [CHARITY_FED, MS]
    assert dup.facts["pairs"] == [{"a": CHARITY_FED, "b": MS, "data_path": False}]
    assert dup.severity == "high" and dup.facts["excess"] == 3000.0
    assert dup.facts["payer_to_act"] == CHARITY_FED  # charity comes after assistance
    assert "no data path" in dup.explanation
    assert any(c["locator"] == "§4.2" for c in dup.citations)  # 000 §4.2 重复救助
    assert ("overpayment", "CA") not in reconciled  # told once, as the duplicate it is


def test_duplicate_aid_by_a_payer_who_never_saw_the_case(reconciled) -> None:
    [dup] = reconciled[("duplicate_aid", "K|2024")]
    assert dup.facts["cases"] == ["CK"]
    assert dup.facts["pairs"] == [{"a": MS, "b": RED_CROSS, "data_path": True}]
    assert dup.severity == "medium"


def test_missed_aid_names_the_body_accountable(hand, reconciled) -> None:
    _, ma = hand
    [missed] = reconciled[("missed_aid", "CE")]
    assert missed.facts["amount"] == ma and missed.facts["scheme"] == "medical_assistance"
    assert missed.facts["payer_to_act"] == MS
    assert missed.facts["rule"] == "hangzhou.rule.ma_rate_minimum_living"
    assert missed.citations  # the rule and the scheme, from the graph


def test_over_and_underpayment_against_the_rule(reconciled) -> None:
    [over] = reconciled[("overpayment", "CF")]
    [under] = reconciled[("underpayment", "CG")]
    assert over.facts["difference"] == under.facts["difference"] == 1000.0
    assert over.facts["payer_to_act"] == under.facts["payer_to_act"] == MS
    assert over.facts["rule"] == "hangzhou.rule.ma_rate_minimum_living"
    assert ("missed_aid", "CG") not in reconciled


def test_ineligible_without_certificate_or_enrolment(reconciled) -> None:
    [no_cert] = reconciled[("ineligible_payment", "CB")]
    assert no_cert.facts["payer_to_act"] == CIVIL and "certificate" in no_cert.facts["reason"]
    [no_enrolment] = reconciled[("ineligible_payment", "CD")]
    assert "not enrolled in huiminbao" in no_enrolment.facts["reason"]
    [excess] = reconciled[("excess_payment", "CD")]  # 1,800 paid on a bill of 1,000
    assert excess.facts["excess"] == 800.0 and excess.facts["payer_to_act"] == CHARITY_FED


def test_summary_per_payer_and_scheme(hand, reconciled) -> None:
    store, ma = hand
    result = reconcile(store, payer=MS)
    [row] = result.by_payer
    assert row["payer"] == MS and row["records"] == 4
    assert row["paid"] == pytest.approx(4 * ma)
    assert {f.facts["payer_to_act"] for f in result.findings} <= {MS, CHARITY_FED, RED_CROSS}
    assert all(MS in f.facts["payers"] or f.facts["payer_to_act"] == MS
               for f in result.findings)
    schemes = {r["scheme"]: r for r in reconcile(store).by_scheme}
    assert schemes["medical_assistance"]["missed"] == pytest.approx(ma + 1000)  # E, G
    assert schemes["medical_assistance"]["records"] == 5


def test_the_same_payments_loaded_twice_are_one_payment(hand, reconciled, tmp_path) -> None:
    store, ma = hand
    count = store.read("MATCH (p:Payment) RETURN count(p) AS n")[0]["n"]
    again = load_payments(store, parse_records(_payments(ma), "pay.json"), "hangzhou",
                          dataset="pay")
    assert again == {"payments": 9, "created": 0, "updated": 0, "deleted": 0}
    # the same records as CSV are the same payments
    rows = _payments(ma)["payments"]
    columns = ["case_id", "person_id", "payer", "scheme", "amount", "date", "reference"]
    csv = tmp_path / "payments.csv"
    csv.write_text(",".join(columns) + "\n" + "".join(
        ",".join(str(r.get(c, "")) for c in columns) + "\n" for r in rows), "utf-8")
    assert load_payments(store, read_records(tmp_path), "hangzhou", dataset="pay")["created"] == 0
    assert store.read("MATCH (p:Payment) RETURN count(p) AS n")[0]["n"] == count == 9
    assert store.read("MATCH (:Agency)-[:MADE]->(p:Payment)-[:UNDER]->(:Scheme) "
                      "RETURN count(p) AS n")[0]["n"] == 9


def _medgraph(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MEDGRAPH_HOME=str(store.settings.home))
    return subprocess.run([sys.executable, "-m", "medgraph", *args], env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(("line", "field", "says"), [
    ("CA,,hangzhou.nobody,medical_assistance,10,2024-03-01,", "payer", "no agency"),
    ("CA,,hangzhou.medical_security,medical_assistance,-5,2024-03-01,", "amount", "above 0"),
    ("CA,,hangzhou.medical_security,medical_assistance,ten,2024-03-01,", "amount", "yuan"),
    ("CA,,hangzhou.medical_security,medical_assistance,10,2024-02-30,", "date", "YYYY-MM-DD"),
    ("CZ,,hangzhou.medical_security,medical_assistance,10,2024-03-01,", "case_id", "no case"),
    ("CA,,hangzhou.medical_security,dental,10,2024-03-01,", "scheme", "no scheme"),
    (",,hangzhou.medical_security,medical_assistance,10,2024-03-01,", "case_id", "person_id"),
])
def test_bad_records_refused_with_nothing_written(hand, reconciled, tmp_path, line, field,
                                                  says) -> None:
    store, _ = hand
    path = tmp_path / "bad.csv"
    good = "CE,,hangzhou.medical_security,medical_assistance,10,2024-03-01,R9"
    path.write_text("case_id,person_id,payer,scheme,amount,date,reference\n"
                    f"{good}\n{line}\n", "utf-8")
    before = store.read("MATCH (p:Payment) RETURN count(p) AS n")[0]["n"]
    done = _medgraph(store, "load", "payments", str(path), "--dataset", "bad")
    assert done.returncode == 2, done.stderr
    [message] = done.stderr.strip().splitlines()
    assert f"bad.csv:3: {field}:" in message and says in message
    assert "Traceback" not in done.stderr
    assert store.read("MATCH (p:Payment) RETURN count(p) AS n")[0]["n"] == before


def test_json_record_errors_name_the_record(hand) -> None:
    store, _ = hand
    doc = {"payments": [{"case_id": "CA", "payer": MS, "scheme": "medical_assistance",
                         "amount": True, "date": "2024-03-01"}]}
    with pytest.raises(InputError) as err:
        load_payments(store, parse_records(doc, "p.json"), "hangzhou", dataset="x")
    assert str(err.value).startswith("p.json: payments[0].amount:")


def test_reconcile_command(hand, reconciled) -> None:
    store, _ = hand
    done = _medgraph(store, "reconcile", "--year", "2024", "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["summary"]["findings"]["duplicate_aid"] == 2
    assert {r["payer"] for r in doc["summary"]["by_payer"]} >= {MS, CHARITY_FED}
    table = _medgraph(store, "reconcile", "--payer", CIVIL)
    assert table.returncode == 0 and "ineligible_payment" in table.stdout
    assert "duplicate_aid" not in table.stdout
    unknown = _medgraph(store, "reconcile", "--payer", "hangzhou.nobody")
    assert unknown.returncode == 2 and "hangzhou.nobody" in unknown.stderr


def test_reconciliation_over_http_for_analysts(hand, reconciled, tmp_path) -> None:
    from test_api import V1, free_port, is_error, medgraph, start_server, stop_server

    store, ma = hand
    env = dict(os.environ, MEDGRAPH_HOME=str(store.settings.home),
               MEDGRAPH_API_KEYS_FILE=str(tmp_path / "keys.json"),
               MEDGRAPH_API_AUDIT_FILE=str(tmp_path / "audit.jsonl"))
    keys = {}
    for role in ("reader", "analyst"):
        made = medgraph(env, "api-key", "add", f"{role}-key", "--role", role)
        assert made.returncode == 0, made.stderr
        keys[role] = made.stdout.strip()
    port = free_port()
    server = start_server(env, port)
    try:
        url = f"http://127.0.0.1:{port}{V1}/reconciliation"
        denied = httpx.get(url, headers={"X-API-Key": keys["reader"]}, timeout=120)
        assert "analyst" in is_error(denied, 403, "forbidden")["message"]
        got = httpx.get(url, params={"year": 2024, "kind": "missed_aid"},
                        headers={"X-API-Key": keys["analyst"]}, timeout=120)
        assert got.status_code == 200, got.text
        body = got.json()
        assert [f["facts"]["unit"] for f in body["findings"]["items"]] == ["CE"]
        assert body["findings"]["items"][0]["facts"]["amount"] == ma
        payers = {r["payer"]: r for r in body["summary"]["by_payer"]}
        assert payers[MS]["records"] == 4
        assert body["summary"]["findings"]["duplicate_aid"] == 2
        bad = httpx.get(url, params={"kind": "nonsense"},
                        headers={"X-API-Key": keys["analyst"]}, timeout=120)
        is_error(bad, 422)
    finally:
        stop_server(server)
    audited = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [a["action"] for a in audited] == ["reconciliation"]


def test_the_report_has_a_reconciliation_part(hand, reconciled) -> None:
    from medgraph.visualizations.report import build_report

    store, _ = hand
    page = build_report(store, model="hangzhou", lang="en", year=2024).page
    part = page[page.index('id="reconciliation"'):page.index('id="indicators"')]
    assert "Reconciliation of payments" in part and "By payer" in part
    assert "Duplicate aid" in part and CHARITY_FED in part
    assert "§4.2" in page  # the duplicates cite 000 §4.2 in the endnotes


def test_given_payments_above_the_bill_settle_alike_in_both_engines() -> None:
    from medgraph.settlement import settle_reference, settle_vectorised

    inp = parse_input({"persons": CASES["persons"], "cases": CASES["cases"][-2:]}, "x.json")
    rules = load_rules("hangzhou")
    [over, _] = settle_vectorised(inp, rules)
    assert settle_reference(inp, rules) == settle_vectorised(inp, rules)
    assert over["payments"] == {"basic_medical_insurance": 800.0,
                                "critical_illness_insurance": 500.0}  # nothing after them
