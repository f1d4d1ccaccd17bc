"""Lingqiu's "four-party linkage" settled (Document 004 §3.2-3.4), worked by hand with the
model's own rules (data/lingqiu/eligibility_rules.yaml). 004 gives no insurance parameters,
so basic insurance's payment is given on each case; the linkage pays on the personal share
it leaves (个人自付费用): 40 % at village clinics and township health centres, 35 % on
referral to a county hospital, for the holders of the linkage card only. Both engines
settle every case and must agree to the fen (tests/test_settlement.settle).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_settlement import case, cert, person, settle, why

from medgraph import settlement
from medgraph.cli import main
from medgraph.loaders.errors import InputError

LINGQIU = settlement.load_rules("lingqiu")
CARD = "lingqiu.four_party_enrollees"


def lq(persons: list[dict], cases: list[dict]) -> dict[str, dict]:
    return settle(persons, cases, LINGQIU)


@pytest.mark.parametrize(("level", "setting", "total", "scope", "bmi", "linkage", "rule"), [
    # 004 §3.3 在村卫生室、乡镇卫生院就医发生的，一般按40%: 0.4 x (800 - 500) = 120
    ("village", "outpatient_general", 1000, 800, 500, 120.0, "linkage_rate_village"),
    # 0.4 x (9000 - 6000) = 1200
    ("township", "inpatient", 10000, 9000, 6000, 1200.0, "linkage_rate_township"),
    # 转诊至县属定点二级医疗机构就医发生的，一般按35%: 0.35 x (18000 - 12000) = 2100
    ("county", "inpatient", 20000, 18000, 12000, 2100.0, "linkage_rate_county"),
    # no rate for a city hospital: the linkage pays nothing there
    ("city", "inpatient", 20000, 18000, 12000, None, None),
])
def test_the_linkage_pays_by_facility_level(level: str, setting: str, total: float,
                                            scope: float, bmi: float, linkage: float | None,
                                            rule: str | None) -> None:
    result = lq([person("P1", cert(CARD))],
                [case("C1", total, scope, level=level, setting=setting, bmi=bmi)])["C1"]
    expected = {"basic_medical_insurance": float(bmi)}
    if linkage:
        expected["medical_assistance"] = linkage
    assert result["payments"] == expected
    assert result["out_of_pocket"] == total - bmi - (linkage or 0)
    if rule:
        paid = why(result, "medical_assistance")
        assert (paid["rule_id"], paid["locator"], paid["cap"]) == (
            f"lingqiu.medical_assistance.{rule}", "§3.3", None)
        assert paid["category"] == CARD


def test_county_care_without_referral_gets_no_linkage_benefit() -> None:
    """§3.3 转诊至…按35%: read as on referral only (an assumption, linkage_referral)."""
    result = lq([person("P1", cert(CARD))],
                [case("C1", 20000, 18000, level="county", referred=False, bmi=12000)])["C1"]
    assert result["payments"] == {"basic_medical_insurance": 12000.0}
    refusal = why(result, "medical_assistance")
    assert refusal["rule_id"] == "lingqiu.medical_assistance.linkage_referral"
    assert refusal["reason"] == "no referral"


def test_only_card_holders_not_every_registered_poor_person() -> None:
    """§3.2 通过精准识别和分类进入管理系统的…纳入“四方联动”保障体系; §3.4 凭卡享受保障服务."""
    results = lq([person("P1", cert(CARD)), person("P2", cert("rural_relapse_risk"))],
                 [case("C1", 1000, 800, level="village", bmi=500),
                  case("C2", 1000, 800, pid="P2", level="village", bmi=500)])
    assert results["C1"]["payments"]["medical_assistance"] == 120.0
    assert results["C2"]["payments"] == {"basic_medical_insurance": 500.0}


def test_basic_insurance_payment_must_be_given_for_card_holders() -> None:
    """004 gives no basic-insurance parameters; the linkage pays 在享受基本医疗保险待遇后, so
    an insured card holder's case without the payment is refused, naming the rule."""
    inp = settlement.parse_input({"persons": [person("P1", cert(CARD))],
                                  "cases": [case("C1", 1000, 800, level="village")]},
                                 source="in.json")
    with pytest.raises(InputError) as refused:
        settlement.settle(inp, LINGQIU)
    assert refused.value.field == "cases[0].paid_basic_medical_insurance"
    assert "lingqiu.medical_assistance.linkage_rate" in str(refused.value)


def test_a_card_holders_case_needs_its_facility_level() -> None:
    item = case("C1", 1000, 800, level="village", bmi=500)
    del item["facility_level"]
    inp = settlement.parse_input({"persons": [person("P1", cert(CARD))], "cases": [item]})
    with pytest.raises(InputError, match="facility_level.*linkage_rate"):
        settlement.settle(inp, LINGQIU)


def test_medgraph_settle_model_lingqiu(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text(json.dumps({
        "persons": [person("P1", cert(CARD))],
        "cases": [case("C1", 10000, 9000, level="township", bmi=6000)]}), "utf-8")
    done = CliRunner().invoke(main, ["settle", str(source), "--model", "lingqiu"])
    assert done.exit_code == 0, done.output
    [result] = json.loads(done.stdout)["cases"]
    assert result["payments"] == {"basic_medical_insurance": 6000.0,
                                  "medical_assistance": 1200.0}
