"""The Lingqiu model (document 004, the "four-party linkage" pilot), asked as an analyst would.

Each test loads the model into an empty embedded store and reads it back through Cypher:
the application chain and its order, the disease-by-labour classes and who sorts people
into them, the benefit rates by facility level, who funds and pays each party, and the
"three down, three up" targets.
"""

from __future__ import annotations

import pytest

from medgraph.graph.store import Store
from medgraph.loaders.model import load_model, read_model

SEED_004 = "004_6814364df8006cb0.txt"
ENROLLEES = "lingqiu.four_party_enrollees"


@pytest.fixture()
def lingqiu(empty_store: Store) -> Store:
    load_model(empty_store, read_model("lingqiu"))
    return empty_store


def test_application_chain_in_order(lingqiu: Store) -> None:
    """§3.4: 申请表由村委会审核，村卫生室受理，乡镇政府审批 - in that order."""
    rows = lingqiu.read(
        "MATCH (a:Agency)-[r:APPROVES]->(:BeneficiaryCategory {code: $code}) "
        "RETURN r.step AS step, a.id AS agency, a.level AS level, r.what_zh AS what "
        "ORDER BY step",
        {"code": ENROLLEES},
    )
    assert [r["agency"] for r in rows] == [
        "lingqiu.village_committees", "lingqiu.village_clinics", "lingqiu.township_governments"]
    assert [r["what"] for r in rows] == ["审核申请表", "受理", "审批"]
    assert [r["level"] for r in rows] == ["village", "village", "township"]
    # the same chain as a path of hand-offs, ending with whoever grants the card
    path = lingqiu.read(
        "MATCH (v:Agency {id: 'lingqiu.village_committees'})-[r1:REPORTS_TO]->(c:Agency)"
        "-[r2:REPORTS_TO]->(t:Agency)-[k:CERTIFIES]->(:BeneficiaryCategory {code: $code}) "
        "RETURN c.id AS middle, t.id AS last, r1.step < r2.step AS ordered, "
        "k.certificate_zh AS card",
        {"code": ENROLLEES},
    )
    assert path == [{"middle": "lingqiu.village_clinics", "last": "lingqiu.township_governments",
                     "ordered": True, "card": "“四方联动”保障专用卡"}]


def test_disease_classes_by_labour_capacity(lingqiu: Store) -> None:
    """§2.2: classes A-D, each split by whether the household has labour; every class has
    someone who sorts people into it, and the CDC's register defines class C."""
    rows = lingqiu.read(
        "MATCH (c:BeneficiaryCategory {model: 'lingqiu'}) WHERE c.disease_class IS NOT NULL "
        "OPTIONAL MATCH (a:Agency)-[:CERTIFIES]->(c) "
        "RETURN c.code AS code, c.disease_class AS cls, c.labour_capacity AS labour, "
        "collect(a.id) AS certifiers"
    )
    grid = {(r["cls"], r["labour"]) for r in rows}
    assert grid == {(c, lab) for c in "ABCD" for lab in ("none", "present")}
    assert all(r["code"].startswith("lingqiu.class_") for r in rows)
    for r in rows:
        assert {"lingqiu.village_clinics", "lingqiu.township_hospitals"} <= set(r["certifiers"])
        assert ("lingqiu.cdc" in r["certifiers"]) == (r["cls"] == "C")
    covered = lingqiu.read(
        "MATCH (:Scheme {id: 'lingqiu.medical_assistance'})-[:APPLIES_TO]->"
        "(c:BeneficiaryCategory) WHERE c.disease_class IS NOT NULL RETURN count(c) AS n"
    )
    assert covered[0]["n"] == len(rows), "差别补偿: assistance applies to every class"


def test_linkage_rates_by_facility_level(lingqiu: Store) -> None:
    """§3.3: after basic insurance, 40 % at village clinics and township centres, 35 % after
    referral to a county second-level hospital; the kind says it is assistance."""
    rows = lingqiu.read(
        "MATCH (s:Scheme)-[:HAS_RULE]->(r:BenefitRule) WHERE r.facility_level IS NOT NULL "
        "RETURN s.code AS scheme, r.kind AS kind, r.facility_level AS level, r.rate AS rate, "
        "r.category_code AS category, r.note AS note, r.locator AS locator"
    )
    rate = {r["level"]: r["rate"] for r in rows}
    assert rate == {"village": pytest.approx(0.4), "township": pytest.approx(0.4),
                    "county": pytest.approx(0.35)}
    assert rate["county"] < rate["township"], "referral upward pays less"
    assert {(r["scheme"], r["kind"], r["category"], r["locator"]) for r in rows} == {
        ("medical_assistance", "assistance_rate", "lingqiu.four_party_enrollees", "§3.3")}
    assert all("assistance_rate" in r["note"] for r in rows), "the note says which kind"
    exclusive = lingqiu.read(
        "MATCH (:Scheme {id: 'lingqiu.medical_assistance'})-[:HAS_RULE]->"
        "(r:BenefitRule {kind: 'exclusive_benefit'}) RETURN r.name_zh AS name"
    )
    assert len(exclusive) == 1 and "资金必须退还" in exclusive[0]["name"]


def test_four_parties_and_who_funds_and_pays(lingqiu: Store) -> None:
    """§3.1: services from village, township and county providers; insurance, government
    assistance and social organisations, each with money behind it."""
    providers = lingqiu.read(
        "MATCH (a:Agency {kind: 'medical_institution'})-[:SERVES]->"
        "(:BeneficiaryCategory {code: $code}) WHERE a.level IS NOT NULL "
        "RETURN collect(DISTINCT a.level) AS levels",
        {"code": ENROLLEES},
    )
    assert set(providers[0]["levels"]) == {"village", "township", "county"}
    funded = lingqiu.read(
        "MATCH (s:Scheme {model: 'lingqiu'}) OPTIONAL MATCH (f)-[:FUNDS]->(s) "
        "RETURN s.code AS code, collect(f.id) AS funders"
    )
    funders = {r["code"]: set(r["funders"]) for r in funded}
    assert set(funders) >= {"basic_medical_insurance", "medical_assistance", "charity_assistance"}
    assert all(funders.values()), [c for c, f in funders.items() if not f]
    assert "lingqiu.poverty_relief_fund" in funders["basic_medical_insurance"]
    assert "lingqiu.red_cross" in funders["charity_assistance"]
    payers = lingqiu.read(
        "MATCH (a:Agency)-[p:PAYS]->(:Scheme {id: 'lingqiu.medical_assistance'}) "
        "RETURN a.kind AS kind, p.what_zh AS what"
    )
    assert {r["kind"] for r in payers} == {"medical_institution"}
    assert {r["what"] for r in payers} == {"医院窗口即时结算"}


def test_nobody_named_to_supervise(lingqiu: Store) -> None:
    """004 names no supervisor: any SUPERVISES in the model must be a marked assumption."""
    rows = lingqiu.read(
        "MATCH (:Agency)-[s:SUPERVISES {model: 'lingqiu'}]->() "
        "RETURN coalesce(s.assumption, false) AS assumed, s.note AS note"
    )
    assert rows, "the pilot's evaluation is modelled as oversight"
    assert all(r["assumed"] and r["note"] for r in rows)


def test_three_down_three_up(lingqiu: Store) -> None:
    """§4: three reductions and three improvements; only the primary-level drug supply has
    a number (90 % or more)."""
    rows = lingqiu.read(
        "MATCH (:Measure {id: 'lingqiu.measure.three_down_three_up'})-[:ESTABLISHES]->"
        "(i:Indicator) RETURN i.code AS code, i.target AS target, i.comparator AS cmp"
    )
    codes = {r["code"] for r in rows}
    assert len([c for c in codes if c.startswith("three_down_")]) == 3
    assert len([c for c in codes if c.startswith("three_up_")]) == 3
    numeric = [r for r in rows if r["target"] is not None]
    assert numeric == [{"code": "chronic_drugs_at_primary_level", "target": pytest.approx(0.9),
                        "cmp": ">="}]


def test_problems_and_provenance(lingqiu: Store) -> None:
    problems = lingqiu.read(
        "MATCH (p:Problem {model: 'lingqiu'}) OPTIONAL MATCH (p)-[:INVOLVES]->(x) "
        "RETURN p.code AS code, count(x) AS n"
    )
    assert len(problems) >= 5
    assert all(r["n"] > 0 for r in problems), problems
    bare = lingqiu.read(
        "MATCH (n {model: 'lingqiu'}) WHERE n.source <> $seed OR n.locator IS NULL "
        "OR (n.quote IS NULL AND coalesce(n.assumption, false) = false) RETURN n.id AS id",
        {"seed": SEED_004},
    )
    assert bare == []
    bare_rels = lingqiu.read(
        "MATCH ()-[r {model: 'lingqiu'}]->() WHERE r.source <> $seed OR r.locator IS NULL "
        "OR (r.quote IS NULL AND coalesce(r.assumption, false) = false) RETURN type(r) AS t",
        {"seed": SEED_004},
    )
    assert bare_rels == []
