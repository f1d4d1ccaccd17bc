"""The national model's facts from document 003 (transformation of medical assistance).

Each test loads the national model into an empty embedded store and asks it through
Cypher what an analyst would otherwise look up in the article: who pays for assistance at
which level of government, how pooling differs between assistance and insurance, who
approves and who manages, and who supervises before, during and after payment.
"""

from __future__ import annotations

import pytest

from medgraph.graph.store import Store
from medgraph.loaders.model import load_model, read_model

SEED_003 = "003_5bfefaf0f37ff655.txt"
LEVELS = ["national.central_government", "national.provincial_governments",
          "national.municipal_governments", "national.county_governments"]


@pytest.fixture()
def national(empty_store: Store) -> Store:
    load_model(empty_store, read_model("national"))
    return empty_store


def _shares(store: Store, year: int) -> dict[str, float]:
    rows = store.read(
        "MATCH (g:Agency)-[f:FUNDS {year: $year}]->"
        "(:Fund {id: 'national.medical_assistance_fund'}) "
        "WHERE f.share IS NOT NULL RETURN g.id AS level, f.share AS share, f.source AS source",
        {"year": year},
    )
    assert {r["source"] for r in rows} == {SEED_003}
    return {r["level"]: r["share"] for r in rows}


def test_fiscal_shares_of_the_four_levels(national: Store) -> None:
    """一(三): the four levels' shares add up to the whole in both years; the centre's share
    fell while provinces and counties carried more; prefectures pay the least."""
    before, after = _shares(national, 2010), _shares(national, 2017)
    assert set(before) == set(after) == set(LEVELS)
    for shares in (before, after):
        assert sum(shares.values()) == pytest.approx(1.0, abs=0.002)
        assert min(shares, key=lambda k: shares[k]) == "national.municipal_governments"
        assert max(shares, key=lambda k: shares[k]) == "national.central_government"
    assert after["national.central_government"] < before["national.central_government"]
    for level in LEVELS[1:]:
        assert after[level] > before[level], f"{level} should carry more in 2017"
    assert before["national.central_government"] == pytest.approx(0.671)
    assert after["national.county_governments"] == pytest.approx(0.278)


def test_assistance_is_small_beside_health_spending(national: Store) -> None:
    """一(三): the GDP share rose from 2011 to 2020, the share of total health expenditure fell."""
    rows = national.read(
        "MATCH (i:Indicator) WHERE i.code IN ['assistance_spending_gdp_share', "
        "'assistance_share_of_health_expenditure'] "
        "RETURN i.code AS code, i.year AS year, i.value AS value, i.unit AS unit"
    )
    by = {(r["code"], r["year"]): r["value"] for r in rows}
    assert set(by) == {(c, y) for c in ("assistance_spending_gdp_share",
                                        "assistance_share_of_health_expenditure")
                       for y in (2011, 2020)}
    assert {r["unit"] for r in rows} == {"ratio"}
    assert by[("assistance_spending_gdp_share", 2020)] > by[("assistance_spending_gdp_share", 2011)]
    assert (by[("assistance_share_of_health_expenditure", 2020)]
            < by[("assistance_share_of_health_expenditure", 2011)])
    assert all(0 < v < 0.01 for v in by.values()), "shares are ratios, well under 1 %"


def test_civil_affairs_approves_medical_security_manages(national: Store) -> None:
    """一(四): 民政部门主要负责审批医疗救助对象，医保部门负责医保基金筹集与管理."""
    approvers = national.read(
        "MATCH (a:Agency)-[r:APPROVES]->"
        "(c:BeneficiaryCategory {code: 'medical_assistance_recipients'}) "
        "RETURN a.id AS id, r.locator AS locator"
    )
    assert approvers == [{"id": "national.civil_affairs", "locator": "一(四)"}]
    managers = national.read(
        "MATCH (a:Agency)-[:MANAGES]->(f:Fund {id: 'national.medical_insurance_fund'}) "
        "RETURN a.id AS id"
    )
    assert [r["id"] for r in managers] == ["national.medical_security"]
    both = national.read(
        "MATCH (a:Agency)-[:APPROVES]->"
        "(:BeneficiaryCategory {code: 'medical_assistance_recipients'}) "
        "MATCH (a)-[:MANAGES]->(:Fund {id: 'national.medical_insurance_fund'}) RETURN a.id AS id"
    )
    assert both == [], "the split of duties is the fragmentation the article names"
    involved = national.read(
        "MATCH (:Problem {code: 'management_fragmentation'})-[:INVOLVES]->(a:Agency) "
        "RETURN a.id AS id"
    )
    assert {r["id"] for r in involved} == {"national.civil_affairs", "national.medical_security"}


def test_pooling_levels_do_not_match(national: Store) -> None:
    """一(四): assistance is mostly pooled by counties, insurance by prefectures."""
    rows = national.read(
        "MATCH (p:Problem {code: 'pooling_level_mismatch'})-[:INVOLVES]->(f:Fund) "
        "RETURN f.id AS id, f.pooling_level AS level"
    )
    levels = {r["id"]: r["level"] for r in rows}
    assert levels == {"national.medical_assistance_fund": "county",
                      "national.medical_insurance_fund": "city"}
    pooled_by = national.read(
        "MATCH (a:Agency)-[:MANAGES]->(:Fund {id: 'national.medical_assistance_fund'}) "
        "RETURN a.level AS level"
    )
    assert [r["level"] for r in pooled_by] == ["county"]


def test_supervision_before_during_and_after(national: Store) -> None:
    """四(四): each stage of supervision is a measure with a responsible body, and the
    assistance fund is supervised at each stage; only 'before' names its body outright."""
    rows = national.read(
        "MATCH (m:Measure)-[:PART_OF]->"
        "(:Measure {id: 'national.measure.supervision_before_during_after'}) "
        "MATCH (a:Agency)-[r:RESPONSIBLE_FOR {role: 'lead'}]->(m) "
        "RETURN m.id AS measure, a.id AS lead, coalesce(r.assumption, false) AS assumed"
    )
    stages = {r["measure"].rsplit("_", 1)[-1]: r for r in rows}
    assert set(stages) == {"before", "during", "after"}
    assert stages["before"]["lead"] == "national.assistance_leading_groups"
    assert stages["before"]["assumed"] is False
    assert all(stages[s]["assumed"] for s in ("during", "after")), "the text names no body"
    supervision = national.read(
        "MATCH (a:Agency)-[s:SUPERVISES]->(:Fund {id: 'national.medical_assistance_fund'}) "
        "RETURN s.key AS stage, a.id AS agency"
    )
    by_stage = {r["stage"]: r["agency"] for r in supervision}
    assert set(by_stage) == {"before", "during", "after"}
    assert by_stage["after"] == "national.the_public", "接受社会监督"


def test_problems_of_003_each_involve_someone(national: Store) -> None:
    rows = national.read(
        "MATCH (p:Problem {source: $seed}) OPTIONAL MATCH (p)-[:INVOLVES]->(x) "
        "RETURN p.code AS code, collect(x.id) AS involved",
        {"seed": SEED_003},
    )
    involved = {r["code"]: set(r["involved"]) for r in rows}
    assert len(involved) >= 10
    assert all(involved.values()), [c for c, x in involved.items() if not x]
    assert set(LEVELS) <= involved["fiscal_vertical_imbalance"]
    assert "national.medical_assistance" in involved["institutional_barriers"]
    assert "marginal_low_income" in involved["marginal_group_cliff_effect"]
