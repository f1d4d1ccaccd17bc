"""The Hangzhou model's facts from Wang (2024), document 000, asked as an analyst would ask them.

Each test loads the Hangzhou model into an empty embedded store and reads it back through
Cypher: Fig. 1's mechanism, the duties of §2.1, the 14 measures of §3.1.1, Xihu Yilianbao,
Fig. 2's coordination tiers and the problems of §4.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from medgraph.graph.store import Store
from medgraph.loaders.model import load_model, read_model

SEED_000 = "000_586b74c66e3f8451.txt"
# The seed documents live beside the project (shared/seeds), or where MEDGRAPH_SEEDS says.
SEED_DIR = Path(os.environ.get("MEDGRAPH_SEEDS")
                or Path(__file__).resolve().parents[2] / "shared" / "seeds")


@pytest.fixture()
def hangzhou(empty_store: Store) -> Store:
    load_model(empty_store, read_model("hangzhou"))
    return empty_store


def test_fig1_every_flow_is_named_and_cited(hangzhou: Store) -> None:
    """Fig. 1: the eight kinds of flow between residents, funds, insurance, health, government."""
    rows = hangzhou.read(
        "MATCH (a)-[r {locator: 'Fig. 1'}]->(b) "
        "RETURN a.id AS a, type(r) AS t, r.what_zh AS what, b.id AS b, r.source AS source"
    )
    assert {r["source"] for r in rows} == {SEED_000}
    assert all(r["what"] for r in rows), "each flow names itself in what_zh"
    whats = " ".join(r["what"] for r in rows)
    for flow in ("缴纳", "筹资管理", "偿付", "提供服务", "监督", "转移支付", "收税", "身份认定"):
        assert flow in whats, flow
    flows = {(r["a"], r["t"], r["b"]) for r in rows}
    # The money chain: residents pay in, the insurance manages the funds and pays health.
    assert ("hangzhou.residents", "FUNDS", "hangzhou.medical_security") in flows
    assert ("hangzhou.medical_security", "COLLECTS", "hangzhou.residents_medical_funds") in flows
    assert ("hangzhou.medical_security", "PAYS", "hangzhou.health_commission") in flows
    assert ("hangzhou.government_departments", "TRANSFERS_TO",
            "hangzhou.residents_medical_funds") in flows
    assert ("hangzhou.health_commission", "SERVES", "hangzhou.residents") in flows
    # §2.1's services element: bought with the available funds, supervised by the government
    assert ("hangzhou.residents_medical_funds", "PAYS", "hangzhou.medical_services") in flows
    assert ("hangzhou.government_departments", "SUPERVISES",
            "hangzhou.medical_services") in flows


def test_fig1_government_element_is_finance_civil_affairs_and_poverty_office(
        hangzhou: Store) -> None:
    rows = hangzhou.read(
        "MATCH (d:Agency)-[:PART_OF]->(:Agency {id: 'hangzhou.government_departments'}) "
        "RETURN d.id AS id"
    )
    assert {r["id"] for r in rows} == {
        "hangzhou.finance", "hangzhou.civil_affairs", "hangzhou.poverty_alleviation_office"}
    certifier = hangzhou.read(
        "MATCH (a:Agency)-[:CERTIFIES]->(:BeneficiaryCategory {code: 'poor_residents'}) "
        "RETURN a.id AS id"
    )
    assert [r["id"] for r in certifier] == ["hangzhou.government_departments"]


def test_section_2_1_duties_per_department(hangzhou: Store) -> None:
    """§2.1 numbers 3 duties for health, insurance and poverty/civil affairs, 2 for finance."""
    rows = hangzhou.read(
        "MATCH (a:Agency)-[r:RESPONSIBLE_FOR {role: 'lead'}]->(m:Measure) "
        "WHERE m.clause STARTS WITH '§2.1' RETURN a.id AS agency, count(m) AS duties"
    )
    assert {r["agency"]: r["duties"] for r in rows} == {
        "hangzhou.health_commission": 3,
        "hangzhou.medical_security": 3,
        "hangzhou.poverty_alleviation_office": 3,
        "hangzhou.finance": 2,
    }
    certified = hangzhou.read(
        "MATCH (:Agency {id: 'hangzhou.civil_affairs'})-[c:CERTIFIES {locator: '§2.1'}]->(k) "
        "RETURN k.code AS code"
    )
    assert {r["code"] for r in certified} == {"destitute", "minimum_living", "marginal_low_income"}


def test_fourteen_measures_each_with_its_departments(hangzhou: Store) -> None:
    rows = hangzhou.read(
        "MATCH (m:Measure) WHERE m.id STARTS WITH 'zhejiang.measure_000.' "
        "AND NOT (m)-[:PART_OF]->(:Measure) "
        "OPTIONAL MATCH (a:Agency)-[r:RESPONSIBLE_FOR]->(m) "
        "RETURN m.clause AS clause, collect(r.role) AS roles, collect(a.id) AS agencies"
    )
    by_number = {int(re.search(r"(\d+)\)", r["clause"]).group(1)): r for r in rows}
    assert sorted(by_number) == list(range(1, 15))
    assert all(r["agencies"] for r in rows), "every measure has someone answering for it"
    for number in range(1, 13):  # 1)-12) name their departments, the first as lead
        assert by_number[number]["roles"].count("lead") == 1, number
    seventh = set(by_number[7]["agencies"])
    assert {"hangzhou.banking_insurance_regulator", "hangzhou.agriculture_rural_affairs",
            "hangzhou.civil_affairs", "hangzhou.finance", "hangzhou.medical_security"} == seventh
    # 13) splits into one duty per department, tax among them.
    duties = hangzhou.read(
        "MATCH (a:Agency)-[:RESPONSIBLE_FOR {role: 'lead'}]->(d:Measure)"
        "-[:PART_OF]->(:Measure {id: 'zhejiang.measure_000.coordination'}) RETURN a.id AS id"
    )
    assert "hangzhou.tax" in {r["id"] for r in duties}
    assert len(duties) == 7


def test_measure_8_pushes_high_cost_data_to_five_receivers(hangzhou: Store) -> None:
    rows = hangzhou.read(
        "MATCH (:Agency {id: 'hangzhou.medical_security'})-[s:SHARES_DATA]->(b) "
        "WHERE s.locator = '§3.1.1 8)' RETURN b.id AS id, s.mode AS mode, s.data AS data"
    )
    assert {r["id"] for r in rows} == {
        "hangzhou.civil_affairs", "hangzhou.agriculture_rural_affairs",
        "hangzhou.disabled_persons_federation", "hangzhou.red_cross",
        "hangzhou.charity_organisations"}
    assert {r["mode"] for r in rows} == {"push"}
    assert all("高额医疗费用" in r["data"] for r in rows)


def test_xihu_yilianbao(hangzhou: Store) -> None:
    """§3.1.2/§3.2: guided by the bureau, underwritten by insurers, 150 yuan for 3 million."""
    guide = hangzhou.read(
        "MATCH (a:Agency)-[s:SUPERVISES {source: $seed}]->(:Scheme {id: 'hangzhou.huiminbao'}) "
        "RETURN a.id AS id, s.what_zh AS what", {"seed": SEED_000}
    )
    assert [(r["id"], r["what"]) for r in guide] == [("hangzhou.medical_security", "指导和支持")]
    underwriters = hangzhou.read(
        "MATCH (u:Agency)-[:ADMINISTERS]->(:Scheme {id: 'hangzhou.huiminbao'}), "
        "(u)-[:PART_OF]->(:Agency {id: 'hangzhou.commercial_insurers'}) RETURN u.kind AS kind"
    )
    assert [r["kind"] for r in underwriters] == ["insurer"]
    issuers = hangzhou.read(
        "MATCH (a:Agency)-[:ISSUED]->(d:Document)"
        "-[:ESTABLISHES]->(:Scheme {id: 'hangzhou.huiminbao'}) "
        "RETURN a.id AS id, d.effective_from AS start"
    )
    assert {r["id"] for r in issuers} == {
        "hangzhou.medical_security", "hangzhou.finance", "hangzhou.tax"}
    assert {str(r["start"]) for r in issuers} == {"2021-01-01"}
    rules = hangzhou.read(
        "MATCH (:Scheme {id: 'hangzhou.huiminbao'})-[:HAS_RULE]->(r:BenefitRule {source: $seed}) "
        "RETURN r.kind AS kind, r.premium AS premium, r.annual_cap AS cap", {"seed": SEED_000}
    )
    kinds = [r["kind"] for r in rules]
    assert kinds.count("coverage_responsibility") == 4, "the four responsibilities"
    assert {r["premium"] for r in rules if r["kind"] == "premium"} == {150}
    assert {r["cap"] for r in rules if r["kind"] == "total_cover"} == {3000000}
    subsidised = hangzhou.read(
        "MATCH (:BenefitRule {id: 'hangzhou.rule.yilianbao_premium_subsidy'})-[:APPLIES_TO]->(c) "
        "RETURN c.code AS code"
    )
    assert {r["code"] for r in subsidised} == {
        "destitute", "minimum_living", "severe_disability", "marginal_low_income"}


def test_fig2_tiers_follow_from_reports_to(hangzhou: Store) -> None:
    """The lead reports to no one; tier 2 answers to it, tier 3 to tier 2."""
    rows = hangzhou.read(
        "MATCH (a:Agency)-[r:REPORTS_TO {locator: 'Fig. 2'}]->(b:Agency) "
        "RETURN a.id AS a, b.id AS b"
    )
    bosses: dict[str, set[str]] = {}
    for r in rows:
        bosses.setdefault(r["a"], set()).add(r["b"])
    leads = {r["b"] for r in rows} - set(bosses)
    assert leads == {"hangzhou.health_commission"}

    def tier(agency: str) -> int:
        return 1 if agency not in bosses else 1 + min(tier(b) for b in bosses[agency])

    tiers: dict[int, set[str]] = {}
    for agency in set(bosses) | leads:
        tiers.setdefault(tier(agency), set()).add(agency)
    assert tiers[2] == {"hangzhou.medical_security", "hangzhou.poverty_alleviation_office",
                        "hangzhou.red_cross"}
    assert tiers[3] == {"hangzhou.designated_providers", "hangzhou.commercial_insurers",
                        "hangzhou.finance", "hangzhou.civil_affairs",
                        "hangzhou.charity_organisations"}
    pairs = hangzhou.read(
        "MATCH (a:Agency)-[:COORDINATES_WITH {locator: 'Fig. 2'}]-(b:Agency) "
        "WHERE a.id IN $tier2 AND b.id IN $tier2 RETURN DISTINCT a.id AS a, b.id AS b",
        {"tier2": sorted(tiers[2])},
    )
    assert len(pairs) == 6, "each of the three coordinates with the two others, both ways"


def test_section_4_problems_and_who_they_involve(hangzhou: Store) -> None:
    rows = hangzhou.read(
        "MATCH (p:Problem {source: $seed}) OPTIONAL MATCH (p)-[:INVOLVES]->(x) "
        "RETURN p.code AS code, p.locator AS locator, collect(x.id) AS involved",
        {"seed": SEED_000},
    )
    involved = {r["code"]: set(r["involved"]) for r in rows}
    assert all(involved.values()), "every problem involves someone or something"
    assert {r["locator"] for r in rows} >= {"§4.1", "§4.2", "§4.3", "§4.4", "§4.5"}
    duplicate = next(v for k, v in involved.items() if "duplicate" in k)
    assert {"hangzhou.medical_security", "hangzhou.civil_affairs", "hangzhou.red_cross",
            "hangzhou.charity_federation", "hangzhou.disabled_persons_federation"} <= duplicate
    assert "zhejiang.measure_000.one_stop_settlement" in involved["incomplete_one_stop_settlement"]
    assert "hangzhou.assistance_database" in involved["identification_difficulty"]


def test_duplicate_aid_bodies_outside_the_data_push(hangzhou: Store) -> None:
    """The information island behind §4.2: aid-givers that 000 shows receiving no data."""
    rows = hangzhou.read(
        "MATCH (:Problem {code: 'duplicate_assistance_unshared_information'})-[:INVOLVES]->"
        "(a:Agency) WHERE NOT EXISTS { MATCH (a)<-[s:SHARES_DATA]-() WHERE s.source = $seed } "
        "RETURN a.id AS id", {"seed": SEED_000}
    )
    islands = {r["id"] for r in rows}
    assert "hangzhou.charity_federation" in islands
    assert "hangzhou.red_cross" not in islands, "measure 8) pushes data to the Red Cross"


@pytest.mark.skipif(not SEED_DIR.is_dir(), reason="the seed documents are not beside the project")
def test_quotes_of_000_are_verbatim(hangzhou: Store) -> None:
    """Every quote citing 000 is the seed's own words (spaces aside), checked in the store."""
    text = re.sub(r"\s+", "", (SEED_DIR / SEED_000).read_text(encoding="utf-8"))
    rows = hangzhou.read(
        "MATCH (n {source: $seed}) WHERE n.quote IS NOT NULL RETURN n.quote AS quote "
        "UNION ALL MATCH ()-[r {source: $seed}]->() WHERE r.quote IS NOT NULL "
        "RETURN r.quote AS quote", {"seed": SEED_000}
    )
    assert len(rows) > 100
    assert [r["quote"] for r in rows if re.sub(r"\s+", "", r["quote"]) not in text] == []
