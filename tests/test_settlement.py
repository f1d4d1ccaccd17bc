"""The settlement engine: hand-worked cases for each rule, properties, agreement of the two
engines, and bad input refused by `medgraph settle`.

The worked cases use tests/fixtures/rules (Document 002 二(二)/(四) for assistance; round
assumed figures for insurance, huiminbao and charity, given in each comment).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medgraph import settlement
from medgraph.cli import main
from medgraph.loaders.errors import InputError
from medgraph.loaders.synth import write_city
from medgraph.settlement import vectorised

FIXTURE = Path(__file__).parent / "fixtures" / "rules"
RULES = settlement.load_rules(FIXTURE)


def cert(category: str, start: str = "2023-01-01", end: str = "2025-12-31",
         illness: bool = False) -> dict[str, Any]:
    return {"category": category, "valid_from": start, "valid_to": end, "due_to_illness": illness}


def person(pid: str = "P1", *certs: dict[str, Any], enrolled: bool = True,
           huiminbao: bool | None = None) -> dict[str, Any]:
    """A person; in huiminbao when insured unless said otherwise (the input's own default is
    not enrolled, 000 §3.2 开放投保)."""
    return {"id": pid, "household_id": "H" + pid, "enrolled": enrolled,
            "huiminbao": enrolled if huiminbao is None else huiminbao,
            "certificates": list(certs)}


def case(cid: str, total: float, scope: float, *, pid: str = "P1", date: str = "2024-03-10",
         setting: str = "inpatient", level: str = "county", referred: bool = True,
         **paid: float) -> dict[str, Any]:
    out = {"id": cid, "person_id": pid, "date": date, "setting": setting, "total_cost": total,
           "policy_scope_cost": scope, "referred": referred, "facility_level": level}
    if paid:
        out["paid"] = {"basic_medical_insurance": paid.get("bmi", 0),
                       "critical_illness_insurance": paid.get("cii", 0)}
    return out


def settle(persons: list[dict], cases: list[dict], rules: Any = RULES) -> dict[str, dict]:
    """Both engines; they must agree to the fen. Results by case id."""
    inp = settlement.parse_input({"persons": persons, "cases": cases}, source="test")
    reference = settlement.settle(inp, rules, engine="reference")
    vectorised = settlement.settle(inp, rules, engine="vectorised")
    assert vectorised == reference
    return {r["id"]: r for r in reference}


def why(result: dict, scheme: str) -> dict:
    [found] = [e for e in result["explanations"] if e["scheme"] == scheme]
    return found


# -- the chain, worked by hand -------------------------------------------------------------

def test_insurance_before_assistance_for_a_minimum_living_household() -> None:
    result = settle([person("P1", cert("minimum_living"))],
                    [case("C1", 120000, 100000)])["C1"]
    # basic: 60 % of the policy-scope cost above the 1000 deductible: 0.6 x 99000 = 59400
    # critical illness: 50 % of what is left in scope (40600) above 10000: 0.5 x 30600 = 15300
    # assistance (002 二(二), 低保 80 %): 0.8 x (40600 - 15300) = 20240
    # special assistance: 5060 left in scope is below the 10000 threshold: nothing
    # huiminbao: 50 % of the remaining total (120000 - 94940 = 25060) above 20000: 2530
    # charity: 22530 left is below its 30000 threshold: nothing
    assert result["payments"] == {"basic_medical_insurance": 59400.0,
                                  "critical_illness_insurance": 15300.0,
                                  "medical_assistance": 20240.0, "huiminbao": 2530.0}
    assert result["out_of_pocket"] == 22530.0
    assistance = why(result, "medical_assistance")
    assert (assistance["rule_id"], assistance["source"], assistance["locator"]) == (
        "t.ma_minimum_living", "002_5b6d36cec4e37cac.txt", "二(二)")
    assert assistance["base"] == 25300.0 and assistance["rate"] == 0.8
    assert assistance["category"] == "minimum_living" and assistance["cap"] == 150000.0
    assert why(result, "basic_medical_insurance")["deductible"] == 1000.0


def test_the_most_specific_insurance_rule_wins() -> None:
    result = settle([person("P1")], [case("C1", 10000, 10000, level="township")])["C1"]
    # township inpatient rule: 0.8 x (10000 - 300) = 7760, not the any-level 0.6 x 9000
    assert result["payments"]["basic_medical_insurance"] == 7760.0
    assert why(result, "basic_medical_insurance")["rule_id"] == "t.bmi_inpatient_township"


def test_critical_illness_cap_and_its_waiver_for_recipients() -> None:
    persons = [person("P1"), person("P2", cert("marginal_low_income"))]
    cases = [case("C1", 300000, 300000), case("C2", 300000, 300000, pid="P2")]
    results = settle(persons, cases)
    # basic 0.6 x 299000 = 179400; critical illness 0.5 x (120600 - 10000) = 55300
    ordinary, recipient = why(results["C1"], "critical_illness_insurance"), why(
        results["C2"], "critical_illness_insurance")
    assert ordinary["amount"] == 50000.0 and ordinary["bound_by"] == "t.cii"
    # 002 二(二): 取消医疗救助对象大病保险最高支付限额
    assert recipient["amount"] == 55300.0 and recipient["cap"] is None
    assert recipient["cap_waived_by"] == "t.cii_waiver_marginal"


@pytest.mark.parametrize(("certs", "rate", "rule"), [
    ([cert("marginal_low_income")], 0.7, "t.ma_marginal"),
    ([cert("severe_disability")], 0.8, "t.ma_disability"),
    ([cert("marginal_low_income"), cert("severe_disability")], 0.8, "t.ma_disability"),
    ([cert("destitute"), cert("minimum_living")], 1.0, "t.ma_destitute"),
    ([cert("rural_relapse_risk")], 0.0, None),
])
def test_assistance_rate_of_the_best_valid_category(certs: list, rate: float,
                                                    rule: str | None) -> None:
    # basic and critical illness given as paid: 10000 remains in scope
    result = settle([person("P1", *certs)],
                    [case("C1", 30000, 20000, bmi=8000, cii=2000)])["C1"]
    assert result["payments"].get("medical_assistance", 0) == round(10000 * rate, 2)
    if rule:
        assert why(result, "medical_assistance")["rule_id"] == rule


def test_shared_annual_cap_consumed_in_date_order_then_case_id() -> None:
    # each case leaves 125000 in scope after the given insurance: 低保 80 % wants 100000,
    # and the 150000 yearly cap (002 二(二)) is shared
    big = {"bmi": 60000, "cii": 15000}
    cases = [case("C3", 200000, 200000, date="2024-06-01", **big),
             case("C2", 200000, 200000, date="2024-05-01", **big),
             case("C1", 200000, 200000, date="2024-06-01", **big),
             case("C4", 200000, 200000, date="2025-01-02", **big)]
    results = settle([person("P1", cert("minimum_living"))], cases)
    paid = {k: r["payments"].get("medical_assistance", 0) for k, r in results.items()}
    assert paid == {"C2": 100000.0, "C1": 50000.0, "C3": 0, "C4": 100000.0}
    assert why(results["C1"], "medical_assistance")["bound_by"] == "t.ma_cap"
    assert why(results["C3"], "medical_assistance")["bound_by"] == "t.ma_cap"


def test_destitute_have_full_assistance_and_no_cap() -> None:
    big = {"bmi": 60000, "cii": 15000}
    cases = [case(f"C{i}", 200000, 200000, date=f"2024-0{i}-01", **big) for i in (1, 2, 3)]
    results = settle([person("P1", cert("destitute"))], cases)
    assert [r["payments"]["medical_assistance"] for r in results.values()] == [125000.0] * 3
    assert all(r["out_of_pocket"] == 0 for r in results.values())


def test_general_outpatient_sub_cap_inside_the_shared_cap() -> None:
    # outpatient cases leave 10000 in scope (insurance given as 0): 80 % wants 8000 each;
    # 002 二(二): general outpatient up to 20000 a year, inside the 150000 shared cap
    outpatient = [case(f"O{i}", 10000, 10000, date=f"2024-0{i}-01",
                       setting="outpatient_general", bmi=0, cii=0) for i in (1, 2, 3)]
    inpatient = case("I1", 200000, 200000, date="2024-05-01", bmi=0, cii=0)
    results = settle([person("P1", cert("minimum_living"))], [*outpatient, inpatient])
    paid = {k: r["payments"].get("medical_assistance") for k, r in results.items()}
    assert paid == {"O1": 8000.0, "O2": 8000.0, "O3": 4000.0, "I1": 130000.0}
    assert why(results["O3"], "medical_assistance")["bound_by"] == "t.ma_outpatient_cap"
    assert why(results["I1"], "medical_assistance")["bound_by"] == "t.ma_cap"


def test_shared_cap_binds_before_the_sub_cap() -> None:
    inpatient = case("I1", 175000, 175000, date="2024-01-05", bmi=0, cii=0)   # wants 140000
    outpatient = [case(f"O{i}", 10000, 10000, date=f"2024-0{i}-09",
                       setting="outpatient_general", bmi=0, cii=0) for i in (2, 3)]
    results = settle([person("P1", cert("minimum_living"))], [inpatient, *outpatient])
    assert [results[k]["payments"].get("medical_assistance") for k in ("I1", "O2", "O3")] == [
        140000.0, 8000.0, 2000.0]
    assert why(results["O3"], "medical_assistance")["bound_by"] == "t.ma_cap"


def test_no_assistance_without_the_required_referral() -> None:
    result = settle([person("P1", cert("minimum_living"))],
                    [case("C1", 30000, 20000, referred=False, bmi=8000, cii=2000)])["C1"]
    assert "medical_assistance" not in result["payments"]
    refusal = why(result, "medical_assistance")
    assert refusal["rule_id"] == "t.ma_referral" and refusal["reason"] == "no referral"
    assert refusal["amount"] == 0


@pytest.mark.parametrize(("date", "illness", "expected"), [
    ("2024-03-10", False, 8000.0),      # certificate valid on the date
    ("2026-01-02", False, 0),           # expired
    ("2022-08-01", True, 8000.0),       # within 6 months before 2023-01-01, granted for illness
    ("2022-06-30", True, 0),            # more than 6 months before
    ("2022-08-01", False, 0),           # before, but not granted because of illness
])
def test_certificate_valid_on_the_date_of_care_and_the_look_back(
        date: str, illness: bool, expected: float) -> None:
    holder = person("P1", cert("minimum_living", "2023-01-01", "2025-12-31", illness))
    result = settle([holder], [case("C1", 10000, 10000, date=date, bmi=0, cii=0)])["C1"]
    assert result["payments"].get("medical_assistance", 0) == expected
    if expected and illness:
        assert why(result, "medical_assistance")["lookback_rule"] == "t.ma_lookback_minimum_living"


def test_special_assistance_rates_threshold_and_cap() -> None:
    # 002 二(四): 特困 60 %, others 50 %, 100000 a year, above the (assumed) 10000 threshold.
    # Marginal: assistance 70 % of 100000 leaves 30000; 0.5 x (30000 - 10000) = 10000.
    marginal = settle([person("P1", cert("marginal_low_income"))],
                      [case("C1", 200000, 200000, bmi=70000, cii=30000)])["C1"]
    assert marginal["payments"]["special_assistance"] == 10000.0
    assert why(marginal, "special_assistance")["deductible"] == 10000.0
    # Destitute without referral: no assistance, so special assistance on 50000:
    # 0.6 x (50000 - 10000) = 24000; a second such case in the year meets the cap:
    # 0.6 x 200000 = 120000 wanted, 100000 - 24000 = 76000 left.
    cases = [case("C1", 50000, 50000, referred=False, bmi=0, cii=0),
             case("C2", 200000, 200000, referred=False, date="2024-04-01", bmi=0, cii=0)]
    destitute = settle([person("P1", cert("destitute"))], cases)
    assert destitute["C1"]["payments"]["special_assistance"] == 24000.0
    assert destitute["C2"]["payments"]["special_assistance"] == 76000.0
    assert why(destitute["C2"], "special_assistance")["bound_by"] == "t.sa_cap"


def test_not_enrolled_no_insurance_assistance_on_the_whole_scope() -> None:
    result = settle([person("P1", cert("minimum_living"), enrolled=False)],
                    [case("C1", 12000, 10000)])["C1"]
    assert result["payments"] == {"medical_assistance": 8000.0}


def test_rounding_half_up_to_the_fen() -> None:
    # 70 % of 0.15 yuan = 10.5 fen -> 11 fen (half up; banker's rounding would give 10)
    result = settle([person("P1", cert("marginal_low_income"), enrolled=False)],
                    [case("C1", 0.15, 0.15)])["C1"]
    assert result["payments"] == {"medical_assistance": 0.11}
    assert result["out_of_pocket"] == 0.04


def test_paid_amounts_are_taken_as_given() -> None:
    result = settle([person("P1")], [case("C1", 5000, 5000, bmi=1234.56, cii=0)])["C1"]
    assert result["payments"] == {"basic_medical_insurance": 1234.56}
    assert why(result, "basic_medical_insurance")["given"] is True


def test_charity_above_its_threshold() -> None:
    # not enrolled, no certificate: charity pays 0.5 x (100000 - 30000) = 35000, cap 20000
    result = settle([person("P1", enrolled=False)], [case("C1", 100000, 50000)])["C1"]
    assert result["payments"] == {"charity_assistance": 20000.0}
    assert why(result, "charity_assistance")["bound_by"] == "t.charity"


# -- properties -----------------------------------------------------------------------------

CATEGORIES = ["destitute", "minimum_living", "marginal_low_income", "severe_disability",
              "rural_relapse_risk"]
SETTINGS = ["inpatient", "outpatient_general", "outpatient_chronic"]
LEVELS = ["village", "township", "county", "city", "provincial"]


@st.composite
def inputs(draw: st.DrawFn) -> dict[str, Any]:
    n_persons = draw(st.integers(1, 4))
    persons = []
    for p in range(n_persons):
        certs = []
        for _ in range(draw(st.integers(0, 2))):
            start = draw(st.integers(2023, 2024))
            end = start + draw(st.integers(1, 2))
            certs.append(cert(draw(st.sampled_from(CATEGORIES)),
                              f"{start}-{draw(st.integers(1, 12)):02d}-01",
                              f"{end}-{draw(st.integers(1, 12)):02d}-28", draw(st.booleans())))
        persons.append(person(f"P{p}", *certs, enrolled=draw(st.booleans()),
                              huiminbao=draw(st.booleans())))
    cases = []
    for c in range(draw(st.integers(1, 14))):
        scope = draw(st.integers(0, 30_000_000))           # fen
        total = scope + draw(st.integers(0, 5_000_000))
        item = case(f"C{draw(st.integers(0, 50))}x{c}", total / 100, scope / 100,
                    pid=f"P{draw(st.integers(0, n_persons - 1))}",
                    date=f"{draw(st.integers(2023, 2024))}-{draw(st.integers(1, 3)):02d}-"
                         f"{draw(st.integers(1, 28)):02d}",
                    setting=draw(st.sampled_from(SETTINGS)), level=draw(st.sampled_from(LEVELS)),
                    referred=draw(st.booleans()))
        if draw(st.integers(0, 5)) == 0:
            bmi = draw(st.integers(0, scope))
            cii = draw(st.integers(0, scope - bmi))
            item["paid"] = {"basic_medical_insurance": bmi / 100,
                            "critical_illness_insurance": cii / 100}
            if draw(st.booleans()):  # other medical aid (002 二(二)), given on the case
                item["paid"]["other_medical_aid"] = draw(st.integers(0, total - bmi - cii)) / 100
        if draw(st.integers(0, 6)) == 0 and item.get("paid"):
            del item["facility_level"]  # not read when the insurance payments are given
        cases.append(item)
    return {"persons": persons, "cases": cases}


def _fen(yuan: float) -> int:
    return round(yuan * 100)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs(), st.sampled_from(["fixture", "hangzhou"]))
def test_properties(data: dict[str, Any], model: str) -> None:
    rules = RULES if model == "fixture" else HANGZHOU
    results = settle(data["persons"], data["cases"], rules)   # the engines agree to the fen
    cases = {c["id"]: c for c in data["cases"]}
    used: dict[tuple, int] = {}
    for cid, result in results.items():
        total = _fen(cases[cid]["total_cost"])
        pays = [_fen(v) for v in result["payments"].values()]
        # payments plus out of pocket make the total; none is negative or more than remains
        assert sum(pays) + _fen(result["out_of_pocket"]) == total
        assert all(p > 0 for p in pays) and sum(pays) <= total
        for why_ in result["explanations"]:
            if why_["base"] is not None:
                assert _fen(why_["amount"]) <= _fen(why_["base"])
            if why_["cap"] is not None:  # what a cap limited stays within it, per person-year
                key = (cases[cid]["person_id"], cases[cid]["date"][:4], why_["scheme"],
                       why_["cap"])
                used[key] = used.get(key, 0) + _fen(why_["amount"])
                assert used[key] <= _fen(why_["cap"])
    for (_pid, _year, scheme, _cap), amount in used.items():
        limit = {"medical_assistance": rules.ma_cap, "special_assistance": rules.sa_cap,
                 "charity_assistance": rules.charity}.get(scheme)
        if limit is not None:
            assert amount <= limit.cap_fen


HANGZHOU = settlement.load_rules("hangzhou")


@pytest.mark.parametrize(("chunk", "workers"), [(vectorised.CHUNK, 1), (100, 1), (100, 3)])
def test_engines_agree_on_a_synthetic_city(tmp_path: Path, chunk: int, workers: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Also when the vectorised engine settles the city in many pieces (as at city scale),
    one at a time or several at once in threads."""
    monkeypatch.setattr(vectorised, "CHUNK", chunk)
    monkeypatch.setattr(vectorised, "WORKERS", workers)
    write_city(tmp_path / "city", persons=1500, seed=7)
    inp = settlement.read_input(tmp_path / "city")
    reference = settlement.settle(inp, HANGZHOU, engine="reference")
    assert settlement.settle(inp, HANGZHOU) == reference
    assert sum(1 for r in reference if "medical_assistance" in r["payments"]) > 0


def test_csv_and_json_inputs_read_alike(tmp_path: Path) -> None:
    write_city(tmp_path / "csv", persons=300, seed=2)
    write_city(tmp_path / "json", persons=300, seed=2, fmt="json")
    from_csv = settlement.read_input(tmp_path / "csv")
    from_json = settlement.read_input(tmp_path / "json" / "city.json")
    assert settlement.as_records(from_csv) == settlement.as_records(from_json)
    assert settlement.settle(from_csv, HANGZHOU) == settlement.settle(from_json, HANGZHOU)


# -- the command and bad input ---------------------------------------------------------------

GOOD = {"persons": [person("P1", cert("minimum_living"))],
        "cases": [case("C1", 120000, 100000, bmi=60000, cii=10000)]}


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, ["settle", *args])


def test_command_writes_the_results(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text(json.dumps(GOOD), "utf-8")
    out = tmp_path / "out.json"
    done = _run(str(source), "--model", str(FIXTURE), "-o", str(out))
    assert done.exit_code == 0, done.output
    written = json.loads(out.read_text("utf-8"))
    [result] = written["cases"]
    # given insurance leaves 30000 in scope; 低保 80 % = 24000
    assert result["payments"]["medical_assistance"] == 24000.0
    assert written["summary"]["cases"] == 1
    reference = _run(str(source), "--model", str(FIXTURE), "--engine", "reference")
    assert reference.exit_code == 0
    assert json.loads(reference.stdout)["cases"] == written["cases"]


def test_command_settles_with_the_hangzhou_model_by_default(tmp_path: Path) -> None:
    write_city(tmp_path / "city", persons=50, seed=1)
    out = tmp_path / "out.json"
    done = _run(str(tmp_path / "city"), "-o", str(out))
    assert done.exit_code == 0, done.output
    rules = {e["rule_id"] for r in json.loads(out.read_text("utf-8"))["cases"]
             for e in r["explanations"]}
    assert any(r and r.startswith("hangzhou.rule.") for r in rules)


def _bad(tmp_path: Path, edit: Any) -> Any:
    data = json.loads(json.dumps(GOOD))
    edit(data)
    source = tmp_path / "in.json"
    source.write_text(json.dumps(data), "utf-8")
    out = tmp_path / "out.json"
    done = _run(str(source), "--model", str(FIXTURE), "-o", str(out))
    assert done.exit_code == 2, done.output
    assert not out.exists() and not list(tmp_path.glob(".out.json*"))
    return done.output


@pytest.mark.parametrize(("edit", "where"), [
    (lambda d: d["persons"][0]["certificates"][0].update(category="rich"),
     "persons[0].certificates[0].category"),
    (lambda d: d["cases"][0]["paid"].update(lottery=5), "cases[0].paid"),
    (lambda d: d["cases"][0].update(total_cost=-1), "cases[0].total_cost"),
    (lambda d: d["cases"][0].update(total_cost="lots"), "cases[0].total_cost"),
    (lambda d: d["cases"][0].update(date="2024-02-30"), "cases[0].date"),
    (lambda d: d["cases"][0].update(policy_scope_cost=130000), "cases[0].policy_scope_cost"),
    (lambda d: d["cases"][0].update(person_id="P9"), "cases[0].person_id"),
    (lambda d: d["cases"].append(dict(d["cases"][0])), "cases[1].id"),
    (lambda d: d["cases"][0].update(setting="spa"), "cases[0].setting"),
])
def test_bad_json_refused_naming_record_and_field(tmp_path: Path, edit: Any, where: str) -> None:
    message = _bad(tmp_path, edit)
    assert "in.json" in message and where in message


def test_bad_csv_refused_naming_file_line_and_field(tmp_path: Path) -> None:
    city = tmp_path / "city"
    write_city(city, persons=40, seed=1)
    lines = (city / "cases.csv").read_text("utf-8").splitlines(keepends=True)
    fields = lines[6].split(",")
    fields[2] = "2024-13-01"
    lines[6] = ",".join(fields)
    (city / "cases.csv").write_text("".join(lines), "utf-8")
    out = tmp_path / "out.json"
    done = _run(str(city), "-o", str(out))
    assert done.exit_code == 2
    assert "cases.csv:7" in done.output and "date" in done.output and not out.exists()


@pytest.mark.parametrize(("edit", "message"), [
    (lambda line: line.replace(",", ",,", 1), "cases.csv:5: 11 fields, the header has 10"),
    (lambda line: line.replace("C", "\xe9", 1), "cases.csv:5: not UTF-8"),
    # " 12.50 " as an amount: Arrow does not read it, Python does, and so does medgraph
    (lambda line: ",".join(f" {f} " if k == 4 else f for k, f in enumerate(line.split(","))),
     None),
])
def test_malformed_csv_lines_are_named(tmp_path: Path, edit: Any, message: str | None) -> None:
    city = tmp_path / "city"
    write_city(city, persons=40, seed=1)
    good = settlement.read_input(city)
    lines = (city / "cases.csv").read_text("utf-8").splitlines(keepends=True)
    lines[4] = edit(lines[4])
    (city / "cases.csv").write_bytes("".join(lines).encode("utf-8").replace(
        "\xe9".encode(), b"\xe9"))
    if message is None:
        assert settlement.read_input(city).total_fen.tolist() == good.total_fen.tolist()
        return
    with pytest.raises(InputError, match=message):
        settlement.read_input(city)


def test_unknown_engine_and_model_refused() -> None:
    inp = settlement.parse_input(GOOD)
    with pytest.raises(InputError, match="engine"):
        settlement.settle(inp, RULES, engine="quantum")
    with pytest.raises(InputError, match="no such model"):
        settlement.load_rules("atlantis")


def test_csv_with_quotes_and_without_certificates(tmp_path: Path) -> None:
    folder = tmp_path / "city"
    folder.mkdir()
    (folder / "persons.csv").write_text(
        'id,household_id,enrolled\nP1,"H1, village 3",false\n', "utf-8")
    (folder / "cases.csv").write_text(
        "id,person_id,date,setting,total_cost,policy_scope_cost,referred,facility_level\r\n"
        "C1,P1,2024-03-10,inpatient,100000,50000,true,county\r\n", "utf-8")
    # A missing certificates.csv is refused, not read as "nobody holds one" ...
    with pytest.raises(InputError, match="certificates.csv: missing.*only its header"):
        settlement.read_input(folder)
    # ... which a file with only its header says.
    (folder / "certificates.csv").write_text(
        "person_id,category,valid_from,valid_to,due_to_illness\n", "utf-8")
    inp = settlement.read_input(folder)
    persons, cases = settlement.as_records(inp)
    assert persons[0]["household_id"] == "H1, village 3" and persons[0]["certificates"] == []
    assert cases[0]["total_cost"] == 100000.0
    [result] = settlement.settle(inp, RULES)
    assert result["payments"] == {"charity_assistance": 20000.0}   # as in the charity test


@pytest.mark.parametrize(("chunk", "workers"), [(vectorised.CHUNK, 1), (50, 3)])
def test_columnar_settlement_matches_the_output_dicts(tmp_path: Path, chunk: int, workers: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """settle_payments builds no explanation: what it pays is still what settle says."""
    monkeypatch.setattr(vectorised, "CHUNK", chunk)
    monkeypatch.setattr(vectorised, "WORKERS", workers)
    write_city(tmp_path / "city", persons=400, seed=5)
    inp = settlement.read_input(tmp_path / "city")
    results = settlement.settle(inp, HANGZHOU)
    paid = settlement.settle_payments(inp, HANGZHOU)
    for k, result in enumerate(results):
        assert {code: int(paid[code][k]) for code in settlement.SCHEMES if paid[code][k]} == {
            code: _fen(amount) for code, amount in result["payments"].items()}
    out_of_pocket = inp.total_fen - sum(paid.values())
    assert out_of_pocket.tolist() == [_fen(r["out_of_pocket"]) for r in results]


def test_two_rates_for_one_category_and_level_at_once_are_refused(tmp_path: Path) -> None:
    """Rates may differ by facility level (Lingqiu, 004 §3.3), but two for the same category
    and level in force together are refused, naming the rule, not settled with the last."""
    text = (FIXTURE / "rules.yaml").read_text("utf-8")
    again = ("{id: t.ma_minimum_living_again, label: BenefitRule, name_zh: 低保90%, "
             "kind: assistance_rate, category_code: minimum_living, rate: 0.9, "
             "locator: 二(二), assumption: true, note: test}")
    link = ("{from: t.medical_assistance, type: HAS_RULE, to: t.ma_minimum_living_again, "
            "locator: 二(二), assumption: true, note: test}")
    text = text.replace("\nrelations:\n", f"\n  - {again}\n\nrelations:\n  - {link}\n")
    (tmp_path / "rules.yaml").write_text(text, "utf-8")
    with pytest.raises(InputError) as refused:
        settlement.load_rules(tmp_path)
    assert refused.value.field == "category_code"
    assert "t.ma_minimum_living_again" in str(refused.value)
    assert "t.ma_minimum_living" in str(refused.value)


def test_settling_households_apart_gives_what_settling_everyone_gives(tmp_path: Path) -> None:
    """Caps, deductibles and thresholds run per person and year, so the case loader may settle
    a city a batch of households at a time (in bounded memory) without changing a payment."""
    import numpy as np

    write_city(tmp_path / "city", persons=600, seed=5)
    inp = settlement.read_input(tmp_path / "city")
    whole = {r["id"]: r for r in settlement.settle(inp, HANGZHOU)}
    people = np.arange(len(inp.person_ids))
    parts = {}
    for part in (people[0::3], people[1::3], people[2::3]):
        sub = inp.subset(part)
        assert set(sub.person_ids) == {inp.person_ids[i] for i in part}
        parts.update({r["id"]: r for r in settlement.settle(sub, HANGZHOU)})
    assert parts == whole and len(whole) == len(inp)


def test_a_cases_file_with_only_its_header_settles_nothing(tmp_path: Path) -> None:
    """No case is no bad amount: the amounts Arrow reads are checked only where there are."""
    write_city(tmp_path / "city", persons=20, seed=3)
    cases = tmp_path / "city" / "cases.csv"
    cases.write_text(cases.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    inp = settlement.read_input(tmp_path / "city")
    assert len(inp) == 0 and len(inp.person_ids) == 20
    assert settlement.settle(inp, HANGZHOU) == []
