"""Gaps and islands: each detector on a small graph where it must fire, and repaired where it
must not; then the shipped models and the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from medgraph.analysis import findings as F
from medgraph.analysis import network
from medgraph.graph.store import Store
from medgraph.loaders.model import model_names

P = "source: '002_5b6d36cec4e37cac.txt', locator: '二(二)', quote: '引文', model: 't'"


def build(store: Store, *statements: str) -> None:
    with store.transaction() as tx:
        for statement in statements:
            tx.run(statement.replace("$P", P))


def kinds(findings: list[F.Finding], kind: str) -> list[F.Finding]:
    return [f for f in findings if f.kind == kind]


def ids(finding: F.Finding) -> list[str]:
    return [e["id"] for e in finding.entities]


# -- model gaps ------------------------------------------------------------------------------
def test_model_gaps_cite_the_node_that_lacks(empty_store: Store) -> None:
    build(empty_store,
          "CREATE (:Scheme {id: 't.huiminbao', code: 'huiminbao', name_zh: '惠民保', $P})")
    found = F.model_gaps(empty_store, "t")
    assert {f.kind for f in found} >= {"scheme_without_funder", "scheme_without_administrator",
                                       "scheme_without_supervisor"}
    funder = kinds(found, "scheme_without_funder")[0]
    assert ids(funder) == ["t.huiminbao"] and funder.severity == "high"
    assert funder.citations == [{"source": "002_5b6d36cec4e37cac.txt", "locator": "二(二)",
                                 "quote": "引文"}]
    build(empty_store, "MATCH (s:Scheme) CREATE (f:Agency {id: 't.fin', name_zh: '财政局', "
                       "kind: 'government', $P})-[:FUNDS {$P}]->(s), (f)-[:ADMINISTERS {$P}]->(s),"
                       " (f)-[:SUPERVISES {$P}]->(s)")
    assert not [f for f in F.model_gaps(empty_store, "t") if f.kind.startswith("scheme_")]


def test_uncovered_expense(empty_store: Store) -> None:
    build(empty_store, """
      CREATE (s:Scheme {id: 't.medical_assistance', code: 'medical_assistance', name_zh: '医疗救助',
                        $P}),
             (s)-[:HAS_RULE {$P}]->(:BenefitRule {id: 't.referral', kind: 'referral_required',
                                                  name_zh: '未按规定转诊', $P}),
             (s)-[:HAS_RULE {$P}]->(:BenefitRule {id: 't.lookback', kind: 'lookback',
                                                  lookback_months: 6, name_zh: '认定前6个月', $P})
    """)
    found = F.uncovered_expense(empty_store, "t")
    by = {f.facts["expense"]: f for f in found}
    assert set(by) == {"without_referral", "before_certification", "out_of_catalogue"}
    assert by["before_certification"].facts["months"] == 6
    assert by["out_of_catalogue"].severity == "high"
    assert by["without_referral"].citations[0]["locator"] == "二(二)"
    # a rule paying out-of-catalogue cost closes that gap (the other two stay: they are the rules)
    build(empty_store, "MATCH (s:Scheme) CREATE (s)-[:HAS_RULE {$P}]->(:BenefitRule "
                       "{id: 't.ooc', kind: 'out_of_catalogue', name_zh: '目录外', $P})")
    assert "out_of_catalogue" not in {f.facts["expense"] for f in F.uncovered_expense(
        empty_store, "t")}


# -- case gaps -------------------------------------------------------------------------------
MODEL = """
MERGE (low:BeneficiaryCategory {id: 'minimum_living', code: 'minimum_living',
                                name_zh: '低保对象'})
  ON CREATE SET low.source = '002_5b6d36cec4e37cac.txt', low.locator = '二(二)', low.quote = '引文'
CREATE (bmi:Scheme {id: 't.basic_medical_insurance', code: 'basic_medical_insurance',
                    name_zh: '基本医保', $P})
"""
LOW = [{"category": "minimum_living", "valid_from": "2022-06-01", "valid_to": "2024-05-31"}]
# Household H1: A (低保 until May 2024), B and C, each with one 2023 case below 20000 yuan.
PERSONS = [{"id": p, "household_id": "H1", "enrolled": False, "certificates": LOW if p == "A"
            else []} for p in "ABC"]
CASES = [("A1", "A", 40000, 40000, 9000), ("B1", "B", 40000, 40000, 8000),
         ("C1", "C", 40000, 40000, 7000)]


def load_people(store: Store, persons: list[dict], cases: list[tuple]) -> None:
    """Case data as the case loader writes it (with the Burdens it derives), from
    (id, person, total_cost, policy_scope_cost, out_of_pocket) in 2023, settled by hand."""
    from medgraph.loaders.cases import load_cases

    rows = [{"id": c, "person_id": p, "date": "2023-05-01", "setting": "inpatient",
             "total_cost": t, "policy_scope_cost": s, "referred": True,
             "facility_level": "county"} for c, p, t, s, _ in cases]
    results = [{"id": c, "payments": {}, "out_of_pocket": o, "explanations": []}
               for c, _, _, _, o in cases]
    load_cases(store, persons, rows, results, "t", dataset="findings")


def test_recipient_not_enrolled(empty_store: Store) -> None:
    build(empty_store, MODEL)
    load_people(empty_store, PERSONS, CASES)
    found = F.recipient_not_enrolled(empty_store, 2023)
    assert [ids(f) for f in found] == [["A"]]
    assert found[0].facts["categories"] == ["minimum_living"]
    assert found[0].citations[0]["source"] == "002_5b6d36cec4e37cac.txt"
    assert F.recipient_not_enrolled(empty_store, 2025) == []  # the certificate expired
    build(empty_store, "MATCH (a:Person {id: 'A'}), (s:Scheme) "
                       "CREATE (a)-[:ENROLLED_IN {year: 2023, subsidised_by: 'x'}]->(s)")
    assert F.recipient_not_enrolled(empty_store, 2023) == []


def test_high_residual_burden_and_household_catastrophic(empty_store: Store) -> None:
    build(empty_store, MODEL)
    load_people(empty_store, PERSONS, CASES)
    # no member above 20000 alone, the household (24000) is
    assert F.high_residual_burden(empty_store, 20000, []) == []
    household = F.household_catastrophic(empty_store, 20000, [])
    assert [ids(f) for f in household] == [["H1"]]
    assert household[0].facts["burden"] == 24000 and household[0].facts["top"] == 9000
    # a member alone above the line: the person is seen, the household finding goes
    load_people(empty_store, PERSONS, [*CASES, ("A2", "A", 30000, 30000, 15000)])
    person = F.high_residual_burden(empty_store, 20000, [])
    assert [(ids(f), f.facts["burden"], f.facts["cases"]) for f in person] == [(["A"], 24000, 2)]
    assert F.household_catastrophic(empty_store, 20000, []) == []
    assert F.high_residual_burden(empty_store, 20000, [], year=2022) == []


def test_warning_line_from_the_model_or_assumed(empty_store: Store) -> None:
    line, cites = F.warning_line(empty_store)
    assert line == F.DEFAULT_WARNING_LINE and cites[-1]["assumption"] is True
    build(empty_store, "CREATE (:BenefitRule {id: 't.warn', kind: 'warning_line', "
                       "threshold: 15000, name_zh: '预警线', $P})")
    assert F.warning_line(empty_store)[0] == 15000


RATES = """
CREATE (s:Scheme {id: 't.medical_assistance', code: 'medical_assistance', name_zh: '医疗救助',
                  $P}),
       (s)-[:HAS_RULE {$P}]->(:BenefitRule {id: 't.rate_low', kind: 'rate', rate: 0.8,
                 annual_cap: 150000, category_code: 'minimum_living', name_zh: '低保80%', $P}),
       (s)-[:HAS_RULE {$P}]->(:BenefitRule {id: 't.rate_edge', kind: 'rate', rate: 0.7,
                 annual_cap: 150000, category_code: 'marginal_low_income', name_zh: '低边70%', $P})
"""


def test_cliff_effect(empty_store: Store) -> None:
    build(empty_store, MODEL, RATES)
    # household H2: no category, 30000 out of pocket, 5000 of it out of catalogue
    load_people(empty_store, [*PERSONS, {"id": "D", "household_id": "H2", "enrolled": False}],
                [*CASES, ("D1", "D", 60000, 55000, 30000)])
    found = F.cliff_effect(empty_store, 20000, 2023)
    # H1 holds a category (A is 低保) so only H2; 25000 eligible: 70% -> 17500 paid, 80% -> 20000
    assert [ids(f) for f in found] == [["H2"]]
    assert found[0].facts["residual_marginal"] == pytest.approx(12500)
    assert found[0].facts["residual_minimum_living"] == pytest.approx(10000)
    assert found[0].severity == "high"
    assert {c["quote"] for c in found[0].citations} == {"引文"}
    build(empty_store, "MATCH (d:Person {id: 'D'}), (c:BeneficiaryCategory) "
                       "CREATE (d)-[:HOLDS {valid_from: '2023-01-01'}]->(c)")
    assert F.cliff_effect(empty_store, 20000, 2023) == []


def test_regional_disparity_uses_caps_and_deductibles(empty_store: Store) -> None:
    for city, cap, ded, ccap in (("lanzhou", 40000, 5000, None),
                                 ("shijiazhuang", 200000, 13400, 300000)):
        build(empty_store, f"""
          CREATE (b:Scheme {{id: '{city}.basic_medical_insurance', code: 'basic_medical_insurance',
                            name_zh: '{city}基本医保', $P}})-[:HAS_RULE {{$P}}]->
                 (:BenefitRule {{id: '{city}.bmi_cap', kind: 'annual_cap', annual_cap: {cap},
                                 name_zh: '封顶线', $P}}),
                 (k:Scheme {{id: '{city}.critical_illness_insurance', name_zh: '大病保险',
                            code: 'critical_illness_insurance', $P}})-[:HAS_RULE {{$P}}]->
                 (:BenefitRule {{id: '{city}.cii', kind: 'deductible', deductible: {ded},
                   annual_cap: {'null' if ccap is None else ccap}, name_zh: '起付线', $P}})""")
    found = F.regional_disparity(empty_store, bills=[1000000])
    assert len(found) == 1
    facts = found[0].facts
    # Shijiazhuang: 200k + 300k (cap) paid, 500k left; Lanzhou: 40k + 955k paid, 5k left
    assert facts["residuals"] == {"shijiazhuang": 500000, "lanzhou": 5000}
    assert found[0].severity == "high" and "Caps and deductibles only" in found[0].explanation
    assert found[0].citations
    # one city alone: nothing to compare
    build(empty_store, "MATCH (n) WHERE n.id STARTS WITH 'lanzhou' DETACH DELETE n")
    assert F.regional_disparity(empty_store, bills=[1000000]) == []


# -- islands ---------------------------------------------------------------------------------
NET = """
CREATE (civ:Agency {id: 't.civil', name_zh: '民政局', kind: 'government', $P}),
       (med:Agency {id: 't.medsec', name_zh: '医保局', kind: 'government', $P}),
       (red:Agency {id: 't.red_cross', name_zh: '红十字会', kind: 'mass_organisation', $P}),
       (cha:Agency {id: 't.charity', name_zh: '慈善总会', kind: 'social_organisation', $P}),
       (sys:InformationSystem {id: 't.smart', name_zh: '智慧医保', $P}),
       (big:InformationSystem {id: 't.big', name_zh: '大救助', $P}),
       (lone:InformationSystem {id: 't.lone', name_zh: '扶贫系统', $P}),
       (low:BeneficiaryCategory {id: 'minimum_living', code: 'minimum_living', name_zh: '低保对象',
                                 $P}),
       (ma:Scheme {id: 't.medical_assistance', code: 'medical_assistance', tier: 'core',
                   name_zh: '医疗救助', $P}),
       (ch:Scheme {id: 't.charity_assistance', code: 'charity_assistance', tier: 'supplement',
                   name_zh: '慈善救助', $P}),
       (civ)-[:CERTIFIES {$P}]->(low), (ma)-[:APPLIES_TO {$P}]->(low),
       (med)-[:PAYS {$P}]->(ma), (cha)-[:PAYS {$P}]->(ch), (red)-[:PAYS {$P}]->(low),
       (med)-[:OPERATES {$P}]->(sys), (civ)-[:OPERATES {$P}]->(big),
       (med)-[:MONITORS {$P}]->(low),
       (p:Problem {id: 't.dup', code: 'duplicate_assistance', name_zh: '重复救助', $P}),
       (p)-[:INVOLVES {$P}]->(red), (p)-[:INVOLVES {$P}]->(cha), (p)-[:INVOLVES {$P}]->(med)
"""


def test_islands_on_a_fragmented_network(empty_store: Store) -> None:
    build(empty_store, NET)
    found = F.islands(empty_store, model="t")
    assert [ids(f) for f in kinds(found, "isolated_system")] == [["t.big"], ["t.lone"],
                                                                 ["t.smart"]]
    pair = kinds(found, "certifier_payer_no_data_path")
    assert [ids(f) for f in pair] == [["t.civil", "t.medsec"]]
    assert {c["quote"] for c in pair[0].citations} == {"引文"}
    dup = {tuple(ids(f)): f.severity for f in kinds(found, "duplicate_assistance_risk")}
    assert dup[("t.charity", "t.red_cross")] == "high"
    assert ("t.medsec", "t.red_cross") in dup
    assert [ids(f) for f in kinds(found, "monitoring_without_data")] == [["t.medsec"]]
    assert len(kinds(found, "data_island")) >= 3


def test_islands_repaired(empty_store: Store) -> None:
    build(empty_store, NET, """
      MATCH (civ:Agency {id: 't.civil'}), (med:Agency {id: 't.medsec'}),
            (red:Agency {id: 't.red_cross'}), (cha:Agency {id: 't.charity'}),
            (sys:InformationSystem {id: 't.smart'}), (big:InformationSystem {id: 't.big'}),
            (lone:InformationSystem {id: 't.lone'})
      CREATE (big)-[:SHARES_DATA {data: '名单', mode: 'push', $P}]->(sys),
             (red)-[:USES {$P}]->(big), (cha)-[:USES {$P}]->(sys),
             (lone)-[:SHARES_DATA {data: '名单', mode: 'push', $P}]->(big),
             (red)-[:SHARES_DATA {data: '救助', mode: 'report', $P}]->(cha),
             (sys)-[:SHARES_DATA {data: '预警', mode: 'push', $P}]->(big)""")
    found = F.islands(empty_store, model="t")
    for kind in ("isolated_system", "certifier_payer_no_data_path", "duplicate_assistance_risk",
                 "monitoring_without_data", "data_island"):
        assert kinds(found, kind) == [], kind
    spof = kinds(found, "single_point_of_failure")
    # 大救助 joins 扶贫系统 to the rest; the broker finding ranks it first
    assert ["t.big"] in [ids(f) for f in spof if f.facts["role"] == "articulation_point"]
    assert [f for f in spof if f.facts["role"] == "broker"][0].entities[0]["id"] == "t.big"


def test_what_if_removal(empty_store: Store) -> None:
    build(empty_store, NET, """
      MATCH (red:Agency {id: 't.red_cross'}), (big:InformationSystem {id: 't.big'}),
            (sys:InformationSystem {id: 't.smart'})
      CREATE (red)-[:USES {$P}]->(big), (big)-[:SHARES_DATA {data: 'x', mode: 'push', $P}]->(sys)
    """)
    before = F.islands(empty_store, model="t")
    assert not [f for f in kinds(before, "certifier_payer_no_data_path")]
    after = F.islands(empty_store, model="t", without="t.big->t.smart")
    what = kinds(after, "what_if")
    assert what and what[0].severity == "high"
    assert set(ids(what[0])) == {"t.medsec", "t.smart"} or set(ids(what[0])) == {
        "t.big", "t.civil", "t.red_cross"}
    assert [ids(f) for f in kinds(after, "certifier_payer_no_data_path")] == [
        ["t.civil", "t.medsec"]]
    with pytest.raises(Exception, match="not in the data-sharing graph"):
        F.islands(empty_store, model="t", without="t.nowhere")


def test_duplicate_payment(empty_store: Store) -> None:
    build(empty_store, NET, """
      MATCH (ma:Scheme {id: 't.medical_assistance'}), (ch:Scheme {id: 't.charity_assistance'})
      CREATE (p:Person {id: 'P', model: 'cases'})-[:HAS_CASE]->(c:Case {id: 'C1', year: 2023,
               total_cost: 1000, out_of_pocket: 0}),
             (c)-[:SETTLED_BY {amount: 700}]->(ma), (c)-[:SETTLED_BY {amount: 500}]->(ch)""")
    found = kinds(F.islands(empty_store, model="t"), "duplicate_payment")
    by = {f.facts.get("paid"): f for f in found}
    over = [f for f in found if ids(f) == ["C1"]]
    assert over and over[0].facts["paid"] == 1200
    co = [f for f in found if ids(f) == ["t.charity_assistance", "t.medical_assistance"]]
    assert co and co[0].facts["payers_a"] == ["t.charity"] and by
    build(empty_store, "MATCH ()-[r:SETTLED_BY {amount: 500}]->() SET r.amount = 300",
          "MATCH (a:Agency {id: 't.charity'}), (b:Agency {id: 't.medsec'}) "
          "CREATE (a)-[:SHARES_DATA {data: '结算', mode: 'query', $P}]->(b)")
    assert kinds(F.islands(empty_store, model="t"), "duplicate_payment") == []


def test_network_functions() -> None:
    g = network.build_graph([{"id": "a", "rel": "SHARES_DATA", "to": "b", "label": "Agency"},
                             {"id": "b", "rel": "USES", "to": "c", "label": "Agency"},
                             {"id": "d", "rel": None, "to": None, "label": "Agency"}])
    assert network.components(g) == [["a", "b", "c"], ["d"]]
    assert network.articulation_points(g) == ["b"]
    assert network.bridges(g) == [("a", "b"), ("b", "c")]
    assert network.cut_off(g, "a->b") == [["a"]]
    with pytest.raises(KeyError):
        network.without(g, "a->c")


# -- the shipped models ------------------------------------------------------------------------
SECTION_4_2 = ("医保", "民政", "慈善", "红十字会", "残联")


@pytest.mark.skipif(not model_names(), reason="no model shipped yet")
def test_shipped_models(loaded_store: Store) -> None:
    found_gaps = F.gaps(loaded_store)
    found_islands = F.islands(loaded_store)
    for f in found_gaps + found_islands:
        assert f.severity in F.SEVERITIES and f.explanation and f.entities
    # every institutional finding cites the documents or states its assumption
    for f in found_islands:
        if f.kind not in ("duplicate_payment", "what_if"):
            assert f.citations, (f.kind, f.entities)
    names = {e["name_zh"] or "" for f in kinds(found_islands, "duplicate_assistance_risk")
             for e in f.entities}
    present = [body for body in SECTION_4_2 if any(body in n for n in names)]
    if "hangzhou" in model_names():
        assert len(present) >= 3, names  # 000 §4.2 names these bodies as duplicate payers
    if "national" in model_names():
        assert kinds(found_gaps, "regional_disparity")


# -- the CLI -----------------------------------------------------------------------------------
def test_cli_gaps_and_islands_json(empty_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from medgraph.cli import main

    build(empty_store, NET, MODEL)
    load_people(empty_store, PERSONS, CASES)
    home = empty_store.settings.home
    monkeypatch.setenv("MEDGRAPH_HOME", str(home))
    runner = CliRunner()
    result = runner.invoke(main, ["gaps", "--warning-line", "20000", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert {"recipient_not_enrolled", "household_catastrophic"} <= {f["kind"] for f in document}
    line = [f for f in document if f["kind"] == "household_catastrophic"][0]
    assert line["facts"]["line"] == 20000 and line["entities"] == [{"id": "H1", "name_zh": None}]
    result = runner.invoke(main, ["gaps", "--warning-line", "30000", "--format", "json"])
    assert "household_catastrophic" not in {f["kind"] for f in json.loads(result.output)}

    result = runner.invoke(main, ["islands", "--model", "t", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "certifier_payer_no_data_path" in {f["kind"] for f in json.loads(result.output)}
    result = runner.invoke(main, ["islands", "--model", "t", "--without", "t.nope"])
    assert result.exit_code == 2 and "t.nope" in result.output
    result = runner.invoke(main, ["islands", "--model", "t", "--format", "csv"])
    assert result.output.splitlines()[0] == "kind,severity,entities,explanation,citations"


def test_a_model_is_not_faulted_for_shared_categories_it_never_names(
        loaded_store: Store) -> None:
    """`gaps --model lingqiu` once listed the shared categories (低保 and the rest) as "no
    scheme applies", citing a Hangzhou document for a county in Shanxi."""
    found = [f for f in F.gaps(loaded_store, model="lingqiu")
             if f.kind == "category_without_scheme"]
    shared = {r["id"] for r in loaded_store.read(
        "MATCH (c:BeneficiaryCategory {model: 'common'}) RETURN c.id AS id")}
    named = {r["id"] for r in loaded_store.read(
        "MATCH (:Agency)-[r]->(c:BeneficiaryCategory {model: 'common'}) "
        "WHERE r.model = 'lingqiu' RETURN DISTINCT c.id AS id")}
    assert not {e["id"] for f in found for e in f.entities} & (shared - named)
    # Hangzhou still answers for the shared categories it names but no scheme covers.
    hangzhou = {e["id"] for f in F.gaps(loaded_store, model="hangzhou")
                if f.kind == "category_without_scheme" for e in f.entities}
    assert "temporary_assistance" in hangzhou
