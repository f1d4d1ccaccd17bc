"""The Hangzhou model (杭政办函〔2022〕70号, document 002), asked as an analyst would ask it.

Each test loads the model into an empty embedded store and reads it back through Cypher.
Where the document itself lists something (the agencies of a measure), the expected set is
read from the seed text, so the test fails if the graph and the document drift apart.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from medgraph.graph.store import Store
from medgraph.loaders.model import load_model, read_model
from medgraph.queries import load_query

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("MEDGRAPH_SEEDS") or ROOT.parent / "shared" / "seeds")
SEED_002 = "002_5b6d36cec4e37cac.txt"
RECIPIENTS = {"destitute", "minimum_living", "marginal_low_income", "severe_disability"}


@pytest.fixture()
def hangzhou(empty_store: Store) -> Store:
    load_model(empty_store, read_model("hangzhou"))
    return empty_store


def _rules(store: Store, scheme: str, kind: str) -> dict[str | None, dict]:
    """The rules of one kind of a scheme, by category code."""
    rows = store.read(
        "MATCH (:Scheme {id: $scheme})-[:HAS_RULE]->(r:BenefitRule {kind: $kind}) "
        "RETURN r.category_code AS code, properties(r) AS rule",
        {"scheme": scheme, "kind": kind},
    )
    return {r["code"]: r["rule"] for r in rows}


def test_four_certificates_and_who_issues_them(hangzhou: Store) -> None:
    """二(二): the four certificates make a recipient; civil affairs issues three, 残联 one."""
    rows = hangzhou.read(
        "MATCH (a:Agency)-[r:CERTIFIES]->(c:BeneficiaryCategory) "
        "WHERE c.code IN $codes AND r.source = $seed "
        "RETURN c.code AS code, a.id AS agency, r.certificate_zh AS certificate, "
        "r.source AS source",
        {"codes": sorted(RECIPIENTS), "seed": SEED_002},
    )
    issued = {r["code"]: (r["agency"], r["certificate"]) for r in rows}
    assert issued == {
        "destitute": ("hangzhou.civil_affairs", "《特困人员救助供养证》"),
        "minimum_living": ("hangzhou.civil_affairs", "《最低生活保障家庭证》"),
        "marginal_low_income": ("hangzhou.civil_affairs", "《最低生活保障边缘家庭证》"),
        "severe_disability": ("hangzhou.disabled_persons_federation",
                              "二级及以上《中华人民共和国残疾人证》"),
    }
    # docs/rules.md: the recipient categories are those with an assistance_rate rule
    assert set(_rules(hangzhou, "hangzhou.medical_assistance", "assistance_rate")) == RECIPIENTS


def test_other_categories_certified_per_section_3_2(hangzhou: Store) -> None:
    rows = hangzhou.read(
        "MATCH (a:Agency)-[r:CERTIFIES]->(c:BeneficiaryCategory) "
        "WHERE a.model = 'hangzhou' RETURN c.code AS code, a.id AS agency, "
        "coalesce(r.assumption, false) AS assumed"
    )
    by_code = {r["code"]: r for r in rows}
    for code in ("temporary_assistance", "children_in_distress", "illness_expenditure_poor"):
        assert by_code[code]["agency"] == "hangzhou.civil_affairs"
        assert not by_code[code]["assumed"]
    # 三(二) gives these two bodies support duties only, so their certifying is an assumption
    assert by_code["entitled_veteran"]["agency"] == "hangzhou.veterans_affairs"
    assert by_code["rural_relapse_risk"]["agency"] == "hangzhou.agriculture_rural_affairs"
    assert by_code["entitled_veteran"]["assumed"] and by_code["rural_relapse_risk"]["assumed"]


def test_assistance_rates_caps_and_conditions(hangzhou: Store) -> None:
    ma = "hangzhou.medical_assistance"
    rates = _rules(hangzhou, ma, "assistance_rate")
    assert rates["destitute"]["rate"] == 1.0 and rates["destitute"]["no_cap"] is True
    assert rates["minimum_living"]["rate"] == rates["severe_disability"]["rate"] == 0.8
    assert rates["marginal_low_income"]["rate"] == 0.7
    assert _rules(hangzhou, ma, "annual_cap")[None]["annual_cap"] == 150000
    assert _rules(hangzhou, ma, "outpatient_general_cap")[None]["outpatient_general_cap"] == 20000
    assert _rules(hangzhou, ma, "referral_required")[None]["requires_referral"] is True
    assert None in _rules(hangzhou, ma, "out_of_catalogue")
    lookback = _rules(hangzhou, ma, "lookback")
    assert {code: r["lookback_months"] for code, r in lookback.items()} == {
        "minimum_living": 6, "marginal_low_income": 6}
    # every rate rule is joined to its category, as the engine reads it (APPLIES_TO)
    joined = hangzhou.read(
        "MATCH (:Scheme {id: $ma})-[:HAS_RULE]->(r:BenefitRule {kind: 'assistance_rate'})"
        "-[:APPLIES_TO]->(c:BeneficiaryCategory) WHERE c.code = r.category_code "
        "RETURN count(r) AS n", {"ma": ma})
    assert joined[0]["n"] == len(RECIPIENTS)


def test_special_assistance_and_cap_waiver(hangzhou: Store) -> None:
    sa = "hangzhou.special_assistance"
    rates = {code: r["rate"] for code, r in _rules(hangzhou, sa, "special_assistance_rate").items()}
    assert rates == {"destitute": 0.6, "minimum_living": 0.5, "marginal_low_income": 0.5,
                     "severe_disability": 0.5}
    assert _rules(hangzhou, sa, "annual_cap")[None]["annual_cap"] == 100000
    threshold = _rules(hangzhou, sa, "special_assistance_threshold")[None]
    assert threshold["assumption"] is True and threshold["note"] and threshold["per"] == "year"
    waived = _rules(hangzhou, "hangzhou.critical_illness_insurance", "cap_waiver")
    assert set(waived) == RECIPIENTS
    assert {r["quote"] for r in waived.values()} == {"取消医疗救助对象大病保险最高支付限额"}


def test_premium_subsidies(hangzhou: Store) -> None:
    """二(二): children in distress fully subsidised; 二(四): huiminbao for three certificates."""
    basic = _rules(hangzhou, "hangzhou.basic_medical_insurance", "premium_subsidy")
    assert basic["children_in_distress"]["rate"] == 1.0
    assert not basic["children_in_distress"].get("assumption")
    # 000 §3.1.1 1): 对特困人员给予全额资助，对其他对象给予定额资助 (an amount not given: no rate)
    assert (basic["destitute"]["rate"], basic["destitute"]["locator"]) == (1.0, "§3.1.1 1)")
    assert all(basic[c].get("rate") is None
               for c in ("minimum_living", "severe_disability", "marginal_low_income"))
    huiminbao = _rules(hangzhou, "hangzhou.huiminbao", "premium_subsidy")
    assert set(huiminbao) == {"destitute", "minimum_living", "marginal_low_income"}
    # "按其参加的基本医疗保险政府补贴标准": the same rate as the basic-insurance subsidy, and
    # a rate the text does not give outright is an assumption
    assert all(huiminbao[c].get("rate") == basic[c].get("rate") for c in huiminbao)
    assert all(r.get("assumption") for r in huiminbao.values() if r.get("rate"))
    payers = hangzhou.read(
        "MATCH (a:Agency)-[:FUNDS]->(r:BenefitRule {kind: 'premium_subsidy'}) "
        "WHERE r.category_code = 'children_in_distress' RETURN a.id AS id")
    assert [p["id"] for p in payers] == ["hangzhou.district_governments"]


def _document_agency_lists() -> list[list[str]]:
    """The agency lists closing the four 主要措施, as the seed text gives them."""
    text = (SEEDS / SEED_002).read_text("utf-8")
    lists = re.findall(r"[\[（]((?:[^\[\]（）]|（市）)*?)按职责分工负责[\]）]", text)
    # the district governments' name holds the list separator, so stand it in first
    lists = [chunk.replace("各区、县（市）政府", "DISTRICTS") for chunk in lists]
    return [re.split(r"[、，]", chunk) for chunk in lists]


@pytest.mark.skipif(not (SEEDS / SEED_002).is_file(), reason="the seed documents are absent")
def test_every_measure_names_every_agency_of_the_document(hangzhou: Store) -> None:
    measures = ["active_discovery", "three_schemes", "medical_services", "comprehensive_backstop"]
    lists = _document_agency_lists()
    assert len(lists) == len(measures)
    names = {r["name"]: r["id"] for r in hangzhou.read(
        "MATCH (a:Agency {model: 'hangzhou'}) RETURN a.name_zh AS name, a.id AS id")}
    names["DISTRICTS"] = "hangzhou.district_governments"
    for measure, listed in zip(measures, lists, strict=True):
        rows = hangzhou.read(
            "MATCH (a:Agency)-[r:RESPONSIBLE_FOR]->(:Measure {id: $m}) "
            "RETURN a.id AS id, r.role AS role", {"m": f"hangzhou.measure.{measure}"})
        roles = {r["id"]: r["role"] for r in rows}
        expected = [names[name] for name in listed]
        assert set(roles) == set(expected), measure
        assert roles[expected[0]] == "lead"
        assert all(roles[a] == "joint" for a in expected[1:])
    # 三(四) 加强评价激励 names nobody: the gap query finds it
    orphans = hangzhou.read(load_query("measure_without_responsible").text, {"model": "hangzhou"})
    assert "hangzhou.measure.evaluation_incentives" in {r["id"] for r in orphans}


def test_targets_change_in_2025(hangzhou: Store) -> None:
    def targets(year: int) -> dict[str, tuple[float, str]]:
        rows = hangzhou.read(load_query("kpi_targets").text, {"model": "hangzhou", "year": year})
        out: dict[str, tuple[float, str]] = {}
        for r in rows:  # the most recent target in force comes first
            out.setdefault(r["code"], (r["target"], r["comparator"]))
        return out

    early, late = targets(2023), targets(2025)
    assert early["comprehensive_coverage_rate"] == (0.8, ">=")
    assert late["comprehensive_coverage_rate"] == (0.85, ">=")
    assert early["personal_burden_rate"] == (0.2, "<=")
    assert late["personal_burden_rate"] == (0.15, "<=")
    assert early["subsidised_enrolment_rate"][0] == late["high_cost_clearance_rate"][0] == 1.0


def test_rules_follow_the_engine_contract(hangzhou: Store) -> None:
    """Every kind 002's rules use is one docs/rules.md defines; insurance rules cover every
    setting and level. (Rules describing a product from 000 may use other, descriptive kinds.)"""
    kinds = set(re.findall(r"^\| `(\w+)` \|", (ROOT / "docs" / "rules.md").read_text("utf-8"),
                           re.MULTILINE))
    rules = [r["rule"] for r in hangzhou.read(
        "MATCH (s:Scheme {model: 'hangzhou'})-[:HAS_RULE]->(r:BenefitRule) "
        "WHERE r.source = $seed RETURN properties(r) AS rule", {"seed": SEED_002})]
    assert {r["kind"] for r in rules} <= kinds
    # a rule 002 states is dated by 002 (2022年起 or 2023-01-01); an assumed one may carry no
    # start date (the scheme predates the documents) and says so in its note
    assert all(r.get("valid_from") in ("2022-01-01", "2023-01-01")
               for r in rules if not r.get("assumption"))
    assert all("start date" in r["note"] for r in rules if not r.get("valid_from"))
    # a number 002 does not give is an assumption with a note saying what it rests on
    assumed = [r for r in rules if r.get("assumption")]
    assert all(r.get("note") for r in assumed)
    assert {r["kind"] for r in assumed} >= {"special_assistance_threshold", "warning_line",
                                           "charity_grant"}
    # basic insurance: a rule for every setting and facility level a case can have
    reimb = [r["rule"] for r in hangzhou.read(
        "MATCH (:Scheme {id: 'hangzhou.basic_medical_insurance'})-[:HAS_RULE]->(r:BenefitRule) "
        "WHERE r.kind = 'insurance_reimbursement' RETURN properties(r) AS rule")]
    have = {(r["setting"], r["facility_level"]) for r in reimb}
    for setting in ("inpatient", "outpatient_general", "outpatient_chronic"):
        for level in ("village", "township", "county", "city", "provincial"):
            matches = {(setting, level), (setting, "any"), ("all", level), ("all", "any")}
            assert matches & have, (setting, level)
    assert {r["base"] for r in reimb} == {"policy_scope"}
    critical = _rules(hangzhou, "hangzhou.critical_illness_insurance", "insurance_reimbursement")
    assert critical[None]["base"] == "remaining_policy_scope" and critical[None]["per"] == "year"
    huiminbao = _rules(hangzhou, "hangzhou.huiminbao", "insurance_reimbursement")[None]
    # 000 §3.2: 150 元即可享受全年 300 万元高额保障
    assert (huiminbao["base"], huiminbao["premium"], huiminbao["annual_cap"]) == (
        "remaining_total", 150, 3000000)


def test_platforms_and_the_disability_island(hangzhou: Store) -> None:
    users = hangzhou.read(
        "MATCH (a:Agency)-[:USES|OPERATES]->(s:InformationSystem) "
        "RETURN s.id AS system, collect(a.id) AS agencies")
    by_system = {r["system"]: set(r["agencies"]) for r in users}
    assert "hangzhou.medical_security" in by_system["zhejiang.smart_medical_security"]
    assert by_system["hangzhou.poverty_prevention_map"] == {"hangzhou.medical_security"}
    # every data flow read from 002 is marked an assumption: 002 says none moves
    flows = hangzhou.read("MATCH ()-[f:SHARES_DATA {source: $seed}]->() "
                          "RETURN f.assumption AS assumed", {"seed": SEED_002})
    assert flows and all(f["assumed"] for f in flows)
    # the disabled persons' federation certifies a recipient group but reaches no platform
    reach = hangzhou.read(
        "MATCH (a:Agency {id: 'hangzhou.disabled_persons_federation'}) "
        "OPTIONAL MATCH (a)-[:USES|OPERATES|SHARES_DATA]->(x) RETURN count(x) AS n")
    assert reach[0]["n"] == 0


def test_duties_of_section_3_2(hangzhou: Store) -> None:
    rows = hangzhou.read(
        "MATCH (a:Agency)-[r:COLLECTS|FUNDS|SUPERVISES|PAYS]->(x) "
        "WHERE r.locator = '三(二)' RETURN a.id AS agency, type(r) AS type, x.id AS target")
    facts = {(r["agency"], r["type"], r["target"]) for r in rows}
    assert ("hangzhou.tax", "COLLECTS", "hangzhou.medical_insurance_fund") in facts
    assert ("hangzhou.finance", "FUNDS", "hangzhou.medical_assistance_fund") in facts
    assert ("hangzhou.health_commission", "SUPERVISES", "hangzhou.designated_providers") in facts
    assert ("hangzhou.veterans_affairs", "PAYS", "entitled_veteran") in facts
    cited = hangzhou.read(
        "MATCH (:Document {id: 'hangzhou.doc.hzbh_2022_70'})-[:CITES]->(d:Document) "
        "RETURN d.number AS number")
    assert {r["number"] for r in cited} == {"浙政办发〔2022〕42号", "浙医保联发〔2021〕25号"}
