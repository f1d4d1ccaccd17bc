"""The national model (Hu & Wang 2022, document 001), asked as an analyst would ask it.

Each test loads the model into an empty embedded store and reads it back through Cypher,
so it checks the data files, the loader and the named queries together.
"""

from __future__ import annotations

import pytest

from medgraph.graph.store import Store
from medgraph.loaders.model import load_model, read_model
from medgraph.queries import load_query

SEED_001 = "001_6450fddc9f5ed277.txt"


@pytest.fixture()
def national(empty_store: Store) -> Store:
    load_model(empty_store, read_model("national"))
    return empty_store


def test_table_1_four_tiers(national: Store) -> None:
    """Base, tilt, core and supplement, in the order insurance before assistance (Table 1)."""
    rows = national.read(
        "MATCH (s:Scheme) WHERE s.id STARTS WITH 'national.' "
        "RETURN s.code AS code, s.tier AS tier, s.order AS ord, s.covers_zh AS covers "
        "ORDER BY ord"
    )
    tiers = {r["code"]: r["tier"] for r in rows}
    assert tiers == {
        "basic_medical_insurance": "base",
        "critical_illness_insurance": "tilt",
        "medical_assistance": "core",
        "huiminbao": "supplement",
        "charity_assistance": "supplement",
    }
    assert [r["code"] for r in rows][:3] == [
        "basic_medical_insurance", "critical_illness_insurance", "medical_assistance"]
    assert all(r["covers"] for r in rows), "Table 1 says whom each tier covers"


def test_who_administers_medical_assistance(national: Store) -> None:
    """Table 1, 管理主体 of the core tier: 医保局，民政部门，卫健部门."""
    rows = national.read(
        "MATCH (a:Agency)-[r:ADMINISTERS]->(:Scheme {id: 'national.medical_assistance'}) "
        "RETURN a.id AS id, r.locator AS locator"
    )
    assert {r["id"] for r in rows} == {
        "national.medical_security", "national.civil_affairs", "national.health_commission"}
    assert {r["locator"] for r in rows} == {"Table 1"}
    insurers = national.read(
        "MATCH (a:Agency)-[:ADMINISTERS]->(:Scheme {id: 'national.critical_illness_insurance'}) "
        "RETURN a.kind AS kind"
    )
    assert "insurer" in {r["kind"] for r in insurers}


def test_who_certifies_whom(national: Store) -> None:
    """三(二)3(2): civil affairs certifies 低保 and 特困, the poverty office 建档立卡, health
    the major-disease patients."""
    rows = national.read(
        "MATCH (a:Agency)-[r:CERTIFIES {model: 'national'}]->(c:BeneficiaryCategory) "
        "RETURN c.code AS code, a.id AS agency, r.locator AS locator"
    )
    certifiers = {r["code"]: r["agency"] for r in rows}
    assert certifiers["minimum_living"] == "national.civil_affairs"
    assert certifiers["destitute"] == "national.civil_affairs"
    assert certifiers["rural_relapse_risk"] == "national.poverty_alleviation_office"
    assert certifiers["major_disease_patients"] == "national.health_commission"
    assert {r["locator"] for r in rows} == {"三(二)3(2)"}


def test_information_island_and_the_other_failures(national: Store) -> None:
    rows = national.read(
        "MATCH (p:Problem {model: 'national'}) OPTIONAL MATCH (p)-[:INVOLVES]->(x) "
        "RETURN p.code AS code, collect(x.id) AS involved"
    )
    involved = {r["code"]: set(r["involved"]) for r in rows}
    for part in ("information_island", "duplicate", "cliff_effect", "individual_threshold",
                 "enrolment_conditional", "regional_disparity"):
        codes = [c for c in involved if part in c]
        assert codes, f"no problem whose code contains {part}"
        assert all(involved[c] for c in codes), f"{codes} involve nobody"
    assert "national.medical_assistance" in involved["information_island"]
    assert "national.medical_assistance" in involved["enrolment_conditional"]
    assert "marginal_low_income" in involved["cliff_effect"]


def test_assistance_system_is_an_island(national: Store) -> None:
    """The assistance system shares no data: the isolated_system query finds it."""
    query = load_query("isolated_system")
    rows = national.read(query.text, {"model": "national"})
    assert "national.medical_assistance_information_system" in {r["id"] for r in rows}


def test_table_2_assistance_spending_grows_every_year(national: Store) -> None:
    """三(一)2: 救助金额逐年增长 (Table 2, 2015-2020); 2020 spending is 5,468,400.0 万元."""
    rows = national.read(
        "MATCH (i:Indicator {code: 'assistance_fund_spending'}) "
        "RETURN i.year AS year, i.value AS value, i.unit AS unit ORDER BY year"
    )
    assert [r["year"] for r in rows] == list(range(2015, 2021))
    values = [r["value"] for r in rows]
    assert all(a < b for a, b in zip(values, values[1:], strict=False))
    assert values[-1] == pytest.approx(5468400.0 * 10000)
    assert {r["unit"] for r in rows} == {"yuan"}
    missing = national.read(
        "MATCH (i:Indicator {code: 'subsidised_enrolment_spending', year: 2020}) RETURN i.id"
    )
    assert missing == [], "Table 2 gives no 2020 subsidised-enrolment spending (—)"


def test_table_3_cities_and_their_rules(national: Store) -> None:
    rows = national.read(
        "MATCH (c:Jurisdiction {level: 'city'})-[:PART_OF]->(p:Jurisdiction)"
        "-[:PART_OF]->(:Jurisdiction {id: 'china'}) "
        "MATCH (s:Scheme)-[:HAS_RULE]->(r:BenefitRule {kind: 'insurance_reimbursement'}) "
        "WHERE s.id = c.id + '.critical_illness_insurance' "
        "RETURN c.id AS city, p.id AS province, r.base AS base, r.deductible AS deductible, "
        "r.annual_cap AS cap, r.no_cap AS no_cap, r.rate AS rate"
    )
    by_city = {r["city"]: r for r in rows}
    assert set(by_city) >= {"shijiazhuang", "lanzhou", "taiyuan", "nanchang", "hefei", "harbin"}
    assert by_city["taiyuan"]["province"] == "shanxi"
    # 无 in the cap column: no cap, stated as such
    assert {c for c, r in by_city.items() if r["no_cap"]} == {"lanzhou", "hefei", "harbin"}
    assert all(r["cap"] is None for r in rows if r["no_cap"])
    assert by_city["nanchang"]["deductible"] == pytest.approx(14067.5)
    assert {r["base"] for r in rows} == {"remaining_policy_scope"}
    assert {r["rate"] for r in rows} == {None}, "Table 3 gives no reimbursement rate"


def test_regional_disparity_query(national: Store) -> None:
    """Lanzhou's basic cap is only 4万 (三(二)2); with no critical cap the bill is covered
    above the deductible, whereas capped cities leave more once the caps are exhausted."""
    query = load_query("regional_disparity")
    rows = national.read(query.text, {"bills": [600000], "model": "national"})
    by_city = {r["city"]: r for r in rows}
    assert len(by_city) == 6
    assert min(by_city, key=lambda c: by_city[c]["basic_cap"]) == "lanzhou"
    for r in rows:
        assert r["basic_paid"] + r["critical_paid"] + r["residual"] == pytest.approx(600000)
    # Taiyuan: 7万 basic + 40万 critical cap leave more than the uncapped Lanzhou
    assert by_city["taiyuan"]["residual"] > by_city["lanzhou"]["residual"]
    lanzhou = by_city["lanzhou"]
    assert lanzhou["residual"] == pytest.approx(lanzhou["critical_deductible"])


def test_every_statement_carries_its_provenance(national: Store) -> None:
    bare = national.read(
        "MATCH (n {model: 'national'}) WHERE n.source IS NULL "
        "OR (n.quote IS NULL AND coalesce(n.assumption, false) = false) RETURN n.id AS id"
    )
    assert bare == []
    sources = national.read(
        "MATCH ()-[r {model: 'national'}]->() RETURN DISTINCT r.source AS source"
    )
    assert SEED_001 in {r["source"] for r in sources}
