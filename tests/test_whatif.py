"""What-if: small cities whose every change is worked by hand with Hangzhou's rules
(data/hangzhou/rules.yaml; the figures are those tests/test_settlement_hangzhou.py names),
and the command line on a synthetic city: its baseline is `medgraph settle`, the cost of a
reform is the sum of what it changes case by case, a goal-seek's answer meets the goal and
the next step down does not, and a bad reform is refused with nothing written.

In the small city, basic and critical-illness insurance are given on each case (10,000 of
a 20,000 policy-scope cost), so that what a reform changes is assistance alone; nobody
bought huiminbao.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from medgraph import settlement
from medgraph.analysis import goalseek, whatif
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import data_dir, read_model
from medgraph.settlement.reforms import parse_reform

REFORMS = data_dir() / "hangzhou" / "reforms"

GIVEN = {"basic_medical_insurance": 8000, "critical_illness_insurance": 2000}


def holder(pid: str, category: str) -> dict[str, Any]:
    return {"id": pid, "household_id": "H" + pid, "enrolled": True, "certificates": [
        {"category": category, "valid_from": "2023-01-01", "valid_to": "2025-12-31",
         "due_to_illness": False}]}


def case(cid: str, pid: str, total: float = 30000, scope: float = 20000,
         paid: dict[str, float] | None = None, referred: bool = True) -> dict[str, Any]:
    return {"id": cid, "person_id": pid, "date": "2024-03-10", "setting": "inpatient",
            "total_cost": total, "policy_scope_cost": scope, "referred": referred,
            "facility_level": "county", "paid": paid or GIVEN}


CITY = {
    "persons": [holder("P1", "marginal_low_income"), holder("P2", "minimum_living"),
                holder("P3", "minimum_living"), holder("P5", "temporary_assistance")],
    "cases": [case("C1", "P1"), case("C2", "P2"),
              case("C3", "P3", 300000, 300000,
                   {"basic_medical_insurance": 40000, "critical_illness_insurance": 10000}),
              case("C5", "P5")],
}


def compare(*reforms: str, city: dict[str, Any] = CITY) -> dict[str, Any]:
    runs = whatif.scenarios(read_model("hangzhou"), [
        parse_reform(text, f"reform{k}.yaml") for k, text in enumerate(reforms)])
    inp = settlement.parse_input(city, source="test")
    return whatif.public(whatif.compare(inp, runs))


def test_a_rate_rise_pays_the_difference_on_the_policy_scope_left() -> None:
    # C1: 低边 70 % of the 10,000 left in scope = 7,000 (002 二(二)); at 90 %: 9,000.
    # The 13,000 then 11,000 left stays under special assistance's 14,000 and charity's
    # 20,000: nothing else moves. P2 (低保, 80 %) is unchanged.
    doc = compare("""
name: marginal at 90 %
changes:
  - rule: hangzhou.rule.ma_rate_marginal_low_income
    set: {rate: 0.9}
""")
    base, reform = doc["scenarios"]
    assert reform["change"]["cost"]["medical_assistance"] == 2000.0
    assert reform["change"]["paid"] == 2000.0 and reform["change"]["out_of_pocket"] == -2000.0
    assert {k: v for k, v in reform["change"]["cost"].items() if v} == {
        "medical_assistance": 2000.0}
    rows = {r["category"]: dict(zip(reform["change"]["bands"], r["persons"], strict=True))
            for r in reform["change"]["by_category"]}
    assert rows["marginal_low_income"]["falls 1,000-10,000"] == 1
    assert rows["minimum_living"]["unchanged"] == 2
    assert (reform["change"]["winners"], reform["change"]["losers"]) == (1, 0)
    # medical assistance and special assistance are both paid from the assistance funds
    fund = {r["fund"]: r["yuan"] for r in reform["by_payer"]}
    base_fund = {r["fund"]: r["yuan"] for r in base["by_payer"]}
    assert fund["hangzhou.medical_assistance_fund"] - base_fund[
        "hangzhou.medical_assistance_fund"] == 2000.0


def test_a_cap_that_binds_and_what_the_schemes_after_it_pay() -> None:
    # C3 (低保): 250,000 left in scope, 80 % wants 200,000, the 150,000 cap binds. Then
    # charity 50 % of (100,000 - 20,000) = 40,000 and special assistance 50 % of the 60,000
    # left = 30,000: out of pocket 30,000. With a 200,000 cap: assistance 200,000, charity
    # 50 % of (50,000 - 20,000) = 15,000, special assistance 50 % of 35,000 = 17,500, out
    # of pocket 17,500: across the 20,000 warning line.
    doc = compare("""
name: cap 200,000
changes:
  - rule: hangzhou.rule.ma_annual_cap
    set: {annual_cap: 200000}
""")
    base, reform = doc["scenarios"]
    change = reform["change"]
    assert {k: v for k, v in change["cost"].items() if v} == {
        "medical_assistance": 50000.0, "charity_assistance": -25000.0,
        "special_assistance": -12500.0}
    assert change["out_of_pocket"] == -12500.0
    assert change["crossings"]["persons_above_to_below"] == 1
    assert change["crossings"]["persons_below_to_above"] == 0
    assert base["warning_line"]["persons"] - reform["warning_line"]["persons"] == 1


def test_a_threshold_lowered_reaches_a_burden_below_the_old_one() -> None:
    # C2 (低保): 12,000 left after 8,000 of assistance, under the 14,000 trigger of special
    # assistance (an assumption, 002 二(四)); at 10,000 the trigger is reached and 50 % of
    # the year's 12,000 is paid: 6,000.
    doc = compare("""
name: special assistance from 10,000
changes:
  - rule: hangzhou.rule.sa_threshold
    set: {threshold: 10000}
""")
    change = doc["scenarios"][1]["change"]
    # C1 (低边, 13,000 left) reaches it too: 6,500
    assert {k: v for k, v in change["cost"].items() if v} == {"special_assistance": 12500.0}


def test_a_category_added_to_a_scheme() -> None:
    # P5 holds 因病致贫纳入临时救助 only: no assistance, 20,000 out of pocket, at the warning
    # line, in a household no assistance category reaches. Assisted like 低边: 70 % of
    # 10,000 = 7,000, 13,000 left: below the line, and a recipient now.
    doc = compare((REFORMS / "temporary_assistance_covered.yaml").read_text("utf-8"))
    base, reform = doc["scenarios"]
    assert {k: v for k, v in reform["change"]["cost"].items() if v} == {
        "medical_assistance": 7000.0}
    assert reform["change"]["crossings"]["persons_above_to_below"] == 1
    assert base["warning_line"]["households_without_category"] == 1
    assert reform["warning_line"]["households_without_category"] == 0
    recipients = {k["code"]: k["base"] for k in reform["kpis"]}
    assert recipients["comprehensive_coverage_rate"] == 4  # P1, P2, P3 and now P5
    assert {k["code"]: k["base"] for k in base["kpis"]}["comprehensive_coverage_rate"] == 3


def test_a_rule_added() -> None:
    # 困境儿童 hold no assistance rate in 002; a rule of 80 % gives them 8,000 of the 10,000
    city = {"persons": [holder("P6", "children_in_distress")], "cases": [case("C6", "P6")]}
    doc = compare("""
name: children in distress at 80 %
changes:
  - add_rule: {id: hangzhou.rule.ma_rate_children_in_distress, scheme: hangzhou.medical_assistance,
               kind: assistance_rate, category_code: children_in_distress, rate: 0.8,
               valid_from: 2023-01-01}
""", city=city)
    assert {k: v for k, v in doc["scenarios"][1]["change"]["cost"].items() if v} == {
        "medical_assistance": 8000.0}


def test_a_rule_removed() -> None:
    # Without the referral rule of 002 二(二), a case without referral gets assistance.
    city = {"persons": [holder("P2", "minimum_living")],
            "cases": [case("C2", "P2", referred=False)]}
    doc = compare("""
name: no referral rule
changes:
  - remove_rule: hangzhou.rule.ma_referral
""", city=city)
    assert doc["scenarios"][1]["change"]["cost"]["medical_assistance"] == 8000.0


def test_the_indicators_are_measured_against_the_targets_in_force() -> None:
    doc = compare("""
name: marginal at 90 %
changes:
  - rule: hangzhou.rule.ma_rate_marginal_low_income
    set: {rate: 0.9}
""")
    assert doc["target_year"] == 2024  # the cases' year: the 2023-2024 targets of 002 一
    base = {k["code"]: k for k in doc["scenarios"][0]["kpis"]}
    # recipients P1, P2, P3: cost 360,000, out of pocket 13,000 + 12,000 + 30,000
    assert base["personal_burden_rate"]["value"] == pytest.approx(55000 / 360000)
    assert (base["personal_burden_rate"]["target"], base["personal_burden_rate"]["met"]) == (
        0.2, True)
    assert base["comprehensive_coverage_rate"]["value"] == pytest.approx(305000 / 360000)


@pytest.mark.parametrize(("text", "line", "field", "words"), [
    ("name: x\nchanges:\n  - rule: hangzhou.rule.no_such_rule\n    set: {rate: 0.9}\n",
     3, "rule", "no BenefitRule"),
    ("name: x\nchanges:\n  - rule: hangzhou.rule.ma_annual_cap\n    set: {anual_cap: 1}\n",
     4, "anual_cap", "not a parameter"),
    ("name: x\nchanges:\n  - rule: hangzhou.rule.ma_rate_destitute\n    set:\n"
     "      rate: 1.5\n", 5, "rate", "at most 1"),
    ("name: x\nchanges:\n  - add_category: no_such\n    scheme: hangzhou.medical_assistance\n"
     "    like: minimum_living\n", 3, "add_category", "no BeneficiaryCategory"),
    ("name: x\nchanges:\n  - order: [huiminbao]\n", 3, "order", "each scheme"),
    ("name: x\nchanges:\n  - add_rule: {id: hangzhou.rule.x, scheme: hangzhou.medical_assistance,"
     " kind: assistance_rate, category_code: minimum_living, rate: 0.9}\n", 3, "category_code",
     "a second assistance_rate"),
    ("name: x\nchanges:\n  - rule: hangzhou.rule.bmi_inpatient_village\n"
     "    set: {annual_cap: 1}\n", None, "annual_cap", "shares the cap"),
])
def test_a_reform_naming_what_the_model_lacks_is_refused(text: str, line: int | None,
                                                         field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        compare(text)
    error = caught.value
    assert (error.file, error.line, error.field) == ("reform0.yaml", line, field)
    assert words in error.message


# -- the command line, on a synthetic city ---------------------------------------------------

def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MEDGRAPH_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "medgraph", *args], env=env, text=True,
                          capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("whatif") / "city"
    done = run("synth", "--persons", "3000", "--seed", "7", "-o", str(folder),
               home=folder.parent)
    assert done.returncode == 0, done.stderr
    return folder


def reform_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def test_the_baseline_is_what_settle_pays_and_a_reforms_cost_is_its_cases(
        city: Path, tmp_path: Path) -> None:
    reform = reform_file(tmp_path, "r.yaml", """
name: rate and cap
changes:
  - rule: hangzhou.rule.ma_rate_marginal_low_income
    set: {rate: 0.9}
  - rule: hangzhou.rule.ma_annual_cap
    set: {annual_cap: 200000}
""")
    per_case = tmp_path / "cases.csv"
    done = run("whatif", str(reform), "--city", str(city), "--format", "json",
               "--per-case", str(per_case), home=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    settled = run("settle", str(city), "-o", str(tmp_path / "settled.json"), home=tmp_path)
    assert settled.returncode == 0, settled.stderr
    cases = json.loads((tmp_path / "settled.json").read_text("utf-8"))["cases"]
    by_scheme: dict[str, float] = {}
    for c in cases:
        for scheme, amount in c["payments"].items():
            by_scheme[scheme] = by_scheme.get(scheme, 0) + amount
    base, changed = doc["scenarios"]
    assert {k: v for k, v in base["cost"].items() if v} == pytest.approx(by_scheme, abs=0.005)
    assert base["out_of_pocket"] == pytest.approx(sum(c["out_of_pocket"] for c in cases),
                                                  abs=0.005)
    rows = list(csv.DictReader(io.StringIO(per_case.read_text("utf-8"))))
    baseline = {r["case_id"]: r for r in rows if r["scenario"] == "baseline"}
    assert {cid: float(r["out_of_pocket"]) for cid, r in baseline.items()} == {
        c["id"]: c["out_of_pocket"] for c in cases}
    deltas = [float(r["paid"]) - float(baseline[r["case_id"]]["paid"]) for r in rows
              if r["scenario"] == "rate and cap"]
    assert len(deltas) == len(cases)
    assert changed["change"]["paid"] > 0  # the reform pays more; here is where
    assert changed["change"]["paid"] == pytest.approx(sum(deltas), abs=0.005)
    assert sum(changed["change"]["cost"].values()) == pytest.approx(sum(deltas), abs=0.005)


def test_goal_seek_meets_the_goal_and_one_step_less_does_not(city: Path,
                                                             tmp_path: Path) -> None:
    full = reform_file(tmp_path, "full.yaml", "name: full\nchanges:\n"
                       "  - rule: hangzhou.rule.ma_rate_marginal_low_income\n"
                       "    set: {rate: 1.0}\n")
    done = run("whatif", str(full), "--city", str(city), "--format", "json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    [base, top] = [{k["code"]: k["value"] for k in s["kpis"]}
                   for s in json.loads(done.stdout)["scenarios"]]
    code = "comprehensive_coverage_rate"
    assert top[code] > base[code]
    goal = f"{code}>={(base[code] + top[code]) / 2:.4f}"
    free = "hangzhou.rule.ma_rate_marginal_low_income.rate"
    sought = run("whatif", "--city", str(city), "--goal", goal, "--free", free,
                 "--format", "json", home=tmp_path)
    assert sought.returncode == 0, sought.stderr
    found = json.loads(sought.stdout)["goal"]
    assert 0.7 < found["value"] < 1.0
    assert found["next_value"] == pytest.approx(found["value"] - 0.001)
    # checked apart: the value found meets the goal, one step less does not
    target = goalseek.parse_goal(goal)[2]
    for rate, meets in ((found["value"], True), (found["next_value"], False)):
        path = reform_file(tmp_path, f"r{rate}.yaml", "name: at rate\nchanges:\n"
                           "  - rule: hangzhou.rule.ma_rate_marginal_low_income\n"
                           f"    set: {{rate: {rate}}}\n")
        check = run("whatif", str(path), "--city", str(city), "--format", "json",
                    home=tmp_path)
        value = {k["code"]: k["value"] for k in json.loads(check.stdout)["scenarios"][1]
                 ["kpis"]}[code]
        assert (value >= target) is meets, (rate, value, target)


def test_a_goal_no_value_can_meet_says_so(city: Path, tmp_path: Path) -> None:
    done = run("whatif", "--city", str(city), "--goal", "comprehensive_coverage_rate>=0.999",
               "--free", "hangzhou.rule.ma_rate_marginal_low_income.rate", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cannot be met by hangzhou.rule.ma_rate_marginal_low_income.rate" in done.stdout


def test_an_invalid_reform_is_refused_with_nothing_written(city: Path, tmp_path: Path) -> None:
    good = reform_file(tmp_path, "good.yaml", "name: good\nchanges:\n"
                       "  - rule: hangzhou.rule.ma_annual_cap\n    set: {annual_cap: 1}\n")
    bad = reform_file(tmp_path, "bad.yaml", "name: bad\nchanges:\n"
                      "  - rule: hangzhou.rule.ma_annual_cap\n    set: {rate: 0.5, cap: 1}\n")
    out, page = tmp_path / "cases.csv", tmp_path / "whatif.html"
    done = run("whatif", str(good), str(bad), "--city", str(city), "--per-case", str(out),
               "--html", str(page), home=tmp_path)
    assert done.returncode == 2
    assert done.stdout == "" and not out.exists() and not page.exists()
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"medgraph: {bad}:4: cap: ")
    assert "Traceback" not in done.stderr


def test_the_shipped_reforms_are_valid_and_pay_more(city: Path,
                                                                  tmp_path: Path) -> None:
    files = sorted(REFORMS.glob("*.yaml"))
    assert len(files) >= 3
    done = run("whatif", *map(str, files), "--city", str(city), "--format", "json",
               home=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    changes = {s["name"]: s["change"]["paid"] for s in doc["scenarios"][1:]}
    assert len(changes) == len(files)
    assert all(paid >= 0 for paid in changes.values()), changes
    assert changes["marginal households at 80 %"] > 0


def test_the_charts_page_and_the_district_table(city: Path, tmp_path: Path) -> None:
    page = tmp_path / "whatif.html"
    done = run("whatif", str(REFORMS / "marginal_80.yaml"), "--city", str(city), "--by",
               "district", "--html", str(page), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "By district" in done.stdout and "xiaoshan" in done.stdout
    text = page.read_text("utf-8")
    # cost by payer, indicators with their targets, burden before and after, the tile map
    assert text.count("<svg") == 4
    assert "marginal households at 80 %" in text and "≥ 85%" in text  # 2025: the latest year
    assert "萧山区" in text and "Medical assistance funds" in text


def test_the_loaded_cases_settle_again_as_their_input(empty_store: Any, tmp_path: Path) -> None:
    """Without --city, whatif reads the cases the store holds: the same answer as from the
    input they were loaded from (basic and critical-illness insurance given on each case,
    kept as given)."""
    from medgraph.loaders.model import load_model

    load_model(empty_store, read_model("hangzhou"))
    source = tmp_path / "city.json"
    source.write_text(json.dumps(CITY), "utf-8")
    home = empty_store.settings.home
    loaded = run("load", "cases", str(source), "--dataset", "whatif", home=home)
    assert loaded.returncode == 0, loaded.stderr
    reform = REFORMS / "shared_cap_200k.yaml"
    from_store = run("whatif", str(reform), "--format", "json", home=home)
    assert from_store.returncode == 0, from_store.stderr
    from_input = run("whatif", str(reform), "--city", str(source), "--format", "json",
                     home=home)
    assert json.loads(from_store.stdout) == json.loads(from_input.stdout)
    assert json.loads(from_store.stdout)["scenarios"][1]["change"]["cost"][
        "medical_assistance"] == 50000.0  # C3's cap, worked by hand above
    missing = run("whatif", str(reform), "--dataset", "nothing", home=home)
    assert missing.returncode == 2 and "holds no case data of dataset 'nothing'" in \
        missing.stderr


def test_the_report_carries_the_what_if_section(empty_store: Any, tmp_path: Path) -> None:
    """`medgraph report --whatif REFORM` adds the section `whatif --html` draws, over the
    loaded cases; a bad reform is refused before anything is written."""
    from medgraph.loaders.model import load_model

    load_model(empty_store, read_model("hangzhou"))
    source = tmp_path / "city.json"
    source.write_text(json.dumps(CITY), "utf-8")
    home = empty_store.settings.home
    assert run("load", "cases", str(source), "--dataset", "whatif", home=home).returncode == 0
    reform = REFORMS / "shared_cap_200k.yaml"
    out = tmp_path / "report.html"
    done = run("report", "--model", "hangzhou", "--whatif", str(reform), "-o", str(out),
               home=home)
    assert done.returncode == 0, done.stderr
    page = out.read_text("utf-8")
    section = page[page.index('<section class="part" id="whatif">'):]
    assert page.index('id="indicators"') < page.index('id="whatif"') < page.index(
        'id="citations"')
    name = json.loads(run("whatif", str(reform), "--format", "json", home=home).stdout)[
        "scenarios"][1]["name"]
    assert name in section and section.count("<svg") >= 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nchanges:\n  - rule: hangzhou.rule.nothing\n    set: {rate: 0.5}\n",
                   "utf-8")
    refused = run("report", "--whatif", str(bad), "-o", str(tmp_path / "r2.html"), home=home)
    assert refused.returncode == 2 and "bad.yaml" in refused.stderr, refused.stderr
    assert not (tmp_path / "r2.html").exists()


def test_a_household_above_the_line_whose_members_are_each_below_it_is_catastrophic() -> None:
    # HQ: Q1 and Q2 each pay 22,000 - 8,000 - 2,000 = 12,000, under the 20,000 line; together
    # 24,000, over it. HR: Q3 pays 35,000 - 10,000 - charity's 2,500 = 22,500 alone, over it,
    # so HR is above the line but not by a burden the per-person line misses.
    def plain(pid: str, household: str) -> dict[str, Any]:
        return {"id": pid, "household_id": household, "enrolled": True, "certificates": []}

    city = {"persons": [plain("Q1", "HQ"), plain("Q2", "HQ"), plain("Q3", "HR")],
            "cases": [case("D1", "Q1", 22000, 15000), case("D2", "Q2", 22000, 15000),
                      case("D3", "Q3", 35000, 20000)]}
    doc = compare("""
name: shared cap 200,000
changes:
  - rule: hangzhou.rule.ma_annual_cap
    set: {annual_cap: 200000}
""", city=city)
    line = doc["scenarios"][0]["warning_line"]
    assert doc["scenarios"][0]["out_of_pocket"] == 12000 + 12000 + 22500
    assert (line["persons"], line["households"], line["households_catastrophic"]) == (1, 2, 1)
