"""Hangzhou's settlement as 杭政办函〔2022〕70号 (Document 002) says, worked by hand with the
model's own rules (data/hangzhou/rules.yaml); each test names its clause. Both engines settle
every case and must agree to the fen (tests/test_settlement.settle).

The Hangzhou figures the tests meet (002 where it gives them, assumptions otherwise):
basic insurance inpatient at a county hospital 80 % above 600 a case, up to 400 000 a year;
critical-illness insurance 60 % of the policy-scope remainder above 20 000 a year, up to
300 000 (no cap for assistance recipients, 002 二(二)); medical assistance 特困 100 % without
cap, 低保 80 %, 低边 70 % (002 二(二)); charity 50 % of the remainder above 20 000 a year, up
to 50 000; special assistance 特困 60 %, others 50 %, up to 100 000 a year, once the yearly
burden after every other aid reaches 14 000 (002 二(四); the threshold and its reading as a
trigger are assumptions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_settlement import FIXTURE, case, cert, person, settle, why

from medgraph import settlement
from medgraph.loaders.errors import InputError

HANGZHOU = settlement.load_rules("hangzhou")


def hz(persons: list[dict], cases: list[dict]) -> dict[str, dict]:
    return settle(persons, cases, HANGZHOU)


def test_the_order_is_the_models() -> None:
    # 002 二(二) 先保险后救助 … 扣除基本医疗保险、大病保险、其他医疗补助后; huiminbao before
    # assistance (000 §3.1.1 5), an assumption); special assistance 经各类救助后 (二(四)): last
    assert HANGZHOU.order == (
        "basic_medical_insurance", "critical_illness_insurance", "other_medical_aid",
        "huiminbao", "medical_assistance", "charity_assistance", "special_assistance")


def test_special_assistance_on_the_reasonable_costs_left_after_every_other_aid() -> None:
    """002 二(四): 经各类救助后，个人年度医疗费用负担仍然较重的，对其合理医疗费用进行特殊救助,
    特困 60 %. Before, special assistance paid only on the policy-scope remainder, which
    medical assistance leaves at 0 for the destitute: this case got none."""
    result = hz([person("P1", cert("destitute"), huiminbao=False)],
                [case("C1", 800000, 600000)])["C1"]
    # basic: 0.8 x (600000 - 600) = 479520, cut to the 400000 yearly cap
    # critical illness: 0.6 x (200000 - 20000) = 108000, no cap for the destitute
    # assistance: 100 % of the 92000 left in scope
    # charity: 0.5 x (200000 - 20000) = 90000, cut to its 50000 cap
    # special assistance: the year's burden 150000 reaches 14000: 0.6 x 150000 = 90000
    assert result["payments"] == {
        "basic_medical_insurance": 400000.0, "critical_illness_insurance": 108000.0,
        "medical_assistance": 92000.0, "charity_assistance": 50000.0,
        "special_assistance": 90000.0}
    assert result["out_of_pocket"] == 60000.0
    special = why(result, "special_assistance")
    assert (special["rule_id"], special["locator"]) == ("hangzhou.rule.sa_rate_destitute", "二(四)")
    assert special["base"] == 150000.0 and special["burden"] == 150000.0
    assert special["threshold_rule"] == "hangzhou.rule.sa_threshold"


def test_heavy_burden_is_the_persons_year_and_a_trigger() -> None:
    """002 二(四) 个人年度医疗费用负担仍然较重: the person's burden over the year. Read as a
    trigger (assumption): once it reaches 14000 the year's burden counts, earlier cases too."""
    holder = person("P1", cert("minimum_living"), huiminbao=False)
    cases = [case("A", 10000, 10000, date="2024-02-01", bmi=0, cii=0),
             case("B", 80000, 50000, date="2024-05-01", bmi=0, cii=0)]
    results = hz([holder], cases)
    # A: assistance 0.8 x 10000 = 8000; 2000 left: below charity's 20000 and the 14000 line
    assert results["A"]["payments"] == {"medical_assistance": 8000.0}
    # B: assistance 0.8 x 50000 = 40000; charity 0.5 x (40000 - 18000 left of its line)
    # = 11000; the year's burden 2000 + 29000 = 31000 reaches 14000: 0.5 x 31000 = 15500
    assert results["B"]["payments"] == {"medical_assistance": 40000.0,
                                        "charity_assistance": 11000.0,
                                        "special_assistance": 15500.0}
    special = why(results["B"], "special_assistance")
    assert special["burden"] == 31000.0 and special["base"] == 31000.0
    assert special["deductible"] == 0.0
    assert results["B"]["out_of_pocket"] == 13500.0


def test_threshold_as_deductible_when_the_model_says_so(tmp_path: Path) -> None:
    """The other reading of 仍然较重, as data: only the burden above the line counts."""
    text = Path(settlement.__file__).parent.parent / "data" / "hangzhou"
    model = tmp_path / "hz"
    model.mkdir()
    for f in text.glob("*.yaml"):
        body = f.read_text("utf-8")
        if f.name == "rules.yaml":
            body = body.replace("threshold_mode: trigger", "threshold_mode: deductible")
        (model / f.name).write_text(body, "utf-8")
    rules = settlement.load_rules(model)
    holder = person("P1", cert("minimum_living"), huiminbao=False)
    cases = [case("A", 10000, 10000, date="2024-02-01", bmi=0, cii=0),
             case("B", 80000, 50000, date="2024-05-01", bmi=0, cii=0)]
    results = settle([holder], cases, rules)
    # B: of the 29000 left, the 12000 the line still holds back does not count:
    # 0.5 x (29000 - 12000) = 8500
    assert results["B"]["payments"]["special_assistance"] == 8500.0
    special = why(results["B"], "special_assistance")
    assert special["base"] == 29000.0 and special["deductible"] == 12000.0


def test_no_special_assistance_without_the_required_referral() -> None:
    """002 二(二) 未按规定转诊的…不纳入医疗救助范围, read to hold for special assistance too
    (hangzhou.rule.sa_referral, an assumption): neither assistance pays; charity still does."""
    result = hz([person("P1", cert("destitute"), huiminbao=False)],
                [case("C1", 50000, 50000, referred=False, bmi=0, cii=0)])["C1"]
    # charity: 0.5 x (50000 - 20000) = 15000
    assert result["payments"] == {"charity_assistance": 15000.0}
    assert result["out_of_pocket"] == 35000.0
    for scheme, rule in (("medical_assistance", "hangzhou.rule.ma_referral"),
                         ("special_assistance", "hangzhou.rule.sa_referral")):
        refusal = why(result, scheme)
        assert (refusal["rule_id"], refusal["reason"], refusal["amount"]) == (
            rule, "no referral", 0.0)


@pytest.mark.parametrize(("date", "assistance"), [
    ("2022-06-01", 5184.0),   # 2022年起…同比例救助并共用年度救助限额: 0.8 x 6480
    ("2021-06-01", None),     # before 2022 no rule of 002 holds
])
def test_assistance_rates_hold_from_2022(date: str, assistance: float | None) -> None:
    """002 二(二): the rates and shared cap 2022年起; the document itself from 2023-01-01."""
    holder = person("P1", cert("minimum_living", "2021-01-01"), huiminbao=False)
    result = hz([holder], [case("C1", 30000, 30000, date=date)])["C1"]
    # basic (no start date in the documents): 0.8 x (30000 - 600) = 23520; critical illness:
    # the 6480 left is below its 20000 deductible; special assistance starts in 2023
    expected = {"basic_medical_insurance": 23520.0}
    if assistance:
        expected["medical_assistance"] = assistance
    assert result["payments"] == expected
    if assistance:
        assert why(result, "medical_assistance")["cap"] == 150000.0


@pytest.mark.parametrize(("setting", "payments"), [
    # general outpatient: basic 0.5 x (200000 - 300) cut to its 5000 cap; no critical
    # illness; charity 0.5 x (195000 - 20000) cut to 50000
    ("outpatient_general", {"basic_medical_insurance": 5000.0, "charity_assistance": 50000.0}),
    # chronic outpatient (慢性病、特殊病种门诊): basic 0.8 x 200000 = 160000; critical illness
    # 0.6 x (40000 - 20000) = 12000; charity 0.5 x (28000 - 20000) = 4000
    ("outpatient_chronic", {"basic_medical_insurance": 160000.0,
                            "critical_illness_insurance": 12000.0,
                            "charity_assistance": 4000.0}),
])
def test_critical_illness_pays_chronic_not_general_outpatient_care(
        setting: str, payments: dict[str, float]) -> None:
    """000 §3.1.1 3): 慢性病、特殊病种门诊费用中，政策范围内个人负担部分，纳入大病保险支付范围."""
    result = hz([person("P1", huiminbao=False)],
                [case("C1", 200000, 200000, setting=setting)])["C1"]
    assert result["payments"] == payments
    if setting == "outpatient_chronic":
        assert why(result, "critical_illness_insurance")["rule_id"] == \
            "hangzhou.rule.cii_outpatient_chronic"


def _reordered(tmp_path: Path, orders: dict[str, int]) -> Path:
    text = (FIXTURE / "rules.yaml").read_text("utf-8")
    for code, order in orders.items():
        start = text.index(f"code: {code},")
        at = text.index("order: ", start)
        end = text.index(",", at)
        text = text[:at] + f"order: {order}" + text[end:]
    (tmp_path / "rules.yaml").write_text(text, "utf-8")
    return tmp_path


def test_the_engine_reads_the_order_from_the_model(tmp_path: Path) -> None:
    """Where huiminbao sits is a choice (000 §3.1.1 5) and 003 三(四) against 000 §4.2): the
    same case settled with the fixture's order (huiminbao after assistance) and with
    huiminbao before assistance."""
    rules = settlement.load_rules(_reordered(tmp_path, {
        "huiminbao": 3, "medical_assistance": 4, "special_assistance": 5}))
    assert rules.order[:4] == ("basic_medical_insurance", "critical_illness_insurance",
                               "huiminbao", "medical_assistance")
    result = settle([person("P1", cert("minimum_living"))], [case("C1", 120000, 100000)],
                    rules)["C1"]
    # basic 59400 and critical illness 15300 as in the fixture's chain; huiminbao
    # 0.5 x (45300 - 20000) = 12650, taken off the policy-scope remainder first;
    # assistance 0.8 x (25300 - 12650) = 10120 (20240 when huiminbao comes after it)
    assert result["payments"] == {"basic_medical_insurance": 59400.0,
                                  "critical_illness_insurance": 15300.0,
                                  "huiminbao": 12650.0, "medical_assistance": 10120.0}
    assert list(result["payments"]) == list(rules.order[:4])


def test_two_schemes_in_one_place_of_the_order_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as refused:
        settlement.load_rules(_reordered(tmp_path, {"huiminbao": 3}))
    assert refused.value.field == "order" and "medical_assistance" in str(refused.value)


@pytest.mark.parametrize(("bought", "payments", "out_of_pocket"), [
    # huiminbao 0.6 x (36480 - 20000) = 9888; charity 0.5 x (26592 - 20000) = 3296
    (True, {"huiminbao": 9888.0, "charity_assistance": 3296.0}, 23296.0),
    # not bought: charity 0.5 x (36480 - 20000) = 8240
    (False, {"charity_assistance": 8240.0}, 28240.0),
])
def test_huiminbao_pays_those_who_bought_it(bought: bool, payments: dict[str, float],
                                            out_of_pocket: float) -> None:
    """000 §3.2: 西湖益联保 is bought (开放投保，每人每年 150 元); basic insurance pays
    0.8 x (80000 - 600) = 63520 and critical illness nothing (16480 left, below 20000)."""
    result = hz([person("P1", huiminbao=bought)], [case("C1", 100000, 80000)])["C1"]
    assert result["payments"] == {"basic_medical_insurance": 63520.0, **payments}
    assert result["out_of_pocket"] == out_of_pocket


def test_huiminbao_enrolment_defaults_to_not_bought() -> None:
    inp = settlement.parse_input({"persons": [{"id": "P1", "household_id": "H1",
                                               "enrolled": True}], "cases": []})
    assert inp.huiminbao.tolist() == [False]


def test_other_medical_aid_is_deducted_before_assistance() -> None:
    """002 二(二): 扣除基本医疗保险、大病保险、其他医疗补助后的个人承担部分纳入医疗救助范围."""
    item = case("C1", 20000, 20000, bmi=0, cii=0)
    item["paid"]["other_medical_aid"] = 4000
    result = hz([person("P1", cert("minimum_living"), huiminbao=False)], [item])["C1"]
    # assistance 0.8 x (20000 - 4000) = 12800; 3200 left, below charity's line
    assert result["payments"] == {"other_medical_aid": 4000.0, "medical_assistance": 12800.0}
    assert why(result, "other_medical_aid")["given"] is True
    assert settlement.as_records(settlement.parse_input(
        {"persons": [person("P1")], "cases": [item]}))[1][0]["paid"]["other_medical_aid"] == 4000


def _no_level(item: dict[str, Any]) -> dict[str, Any]:
    del item["facility_level"]
    return item


def test_facility_level_required_only_where_a_rule_reads_it() -> None:
    """Basic insurance pays by facility level (002 二(三) 差异化支付): a case must give the
    level unless its insurance payments are given; medical assistance does not read it."""
    given = _no_level(case("C1", 30000, 20000, bmi=8000, cii=2000))
    result = hz([person("P1", cert("minimum_living"))], [given])["C1"]
    assert result["payments"]["medical_assistance"] == 8000.0     # 0.8 x 10000
    not_insured = _no_level(case("C2", 30000, 20000))
    assert hz([person("P1", cert("minimum_living"), enrolled=False)],
              [not_insured])["C2"]["payments"]["medical_assistance"] == 16000.0
    computed = _no_level(case("C3", 30000, 20000))
    inp = settlement.parse_input({"persons": [person("P1")], "cases": [given, computed]},
                                 source="in.json")
    with pytest.raises(InputError) as refused:
        settlement.settle(inp, HANGZHOU)
    assert refused.value.field == "cases[1].facility_level"
    assert "hangzhou.rule.bmi_inpatient_village" in str(refused.value)


def test_a_missing_facility_level_is_named_by_csv_line(tmp_path: Path) -> None:
    folder = tmp_path / "city"
    folder.mkdir()
    (folder / "persons.csv").write_text("id,household_id,enrolled\nP1,H1,true\n", "utf-8")
    (folder / "cases.csv").write_text(
        "id,person_id,date,setting,total_cost,policy_scope_cost,referred,facility_level\n"
        "C1,P1,2024-03-10,inpatient,1000,800,true,county\n"
        "C2,P1,2024-04-10,inpatient,1000,800,true,\n", "utf-8")
    inp = settlement.read_input(folder)
    with pytest.raises(InputError) as refused:
        settlement.settle(inp, HANGZHOU, engine="reference")
    assert refused.value.line == 3 and refused.value.field == "facility_level"
    assert "cases.csv" in str(refused.value) and "bmi_inpatient" in str(refused.value)
