"""Where the documents disagree or are silent, the graph says so: conflicts kept as data
with both statements, flagged assumptions, located provenance, and the omissions of a first
reading filled. Each test names the passage it rests on.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from medgraph.analysis.trace import citation
from medgraph.graph.store import Store
from medgraph.loaders.model import model_names, read_model
from medgraph.queries import load_query
from medgraph.visualizations import views

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("MEDGRAPH_SEEDS") or ROOT.parent / "shared" / "seeds")
HANGZHOU = read_model("hangzhou")
NATIONAL = read_model("national")


def _relations(model, **match: str) -> list:
    return [r for r in model.relations
            if all(getattr(r, k, None) == v or r.props.get(k) == v for k, v in match.items())]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not beside the project")
def test_every_quote_of_every_model_is_verbatim() -> None:
    """A quote is the seed's own words (spaces aside): statements, both sides of a conflict
    and the passage a scheme's place in the order rests on."""
    text = {p.name: re.sub(r"\s+", "", p.read_text("utf-8")) for p in SEEDS.glob("0*.txt")}
    wrong = []
    for name in model_names():
        model = read_model(name)
        items = [*((e.id, e.props) for e in model.entities.values()),
                 *((r.id, r.props) for r in model.relations)]
        for ident, props in items:
            for quote, source in (("quote", "source"), ("quote_a", "source_a"),
                                  ("quote_b", "source_b"), ("order_quote", "order_source")):
                if props.get(quote):
                    seed = props.get(source) or props["source"]
                    if re.sub(r"\s+", "", props[quote]) not in text[seed]:
                        wrong.append((ident, quote))
    assert wrong == []


def test_the_lead_conflict_keeps_both_statements() -> None:
    """000 Fig. 2 / §3.3: 由卫健委作为…牵头机构; 002 三(二): 医疗保障部门负责牵头."""
    conflict = HANGZHOU.entities["hangzhou.conflict.coordination_lead"].props
    assert (conflict["source_a"], conflict["source_b"]) == (
        "000_586b74c66e3f8451.txt", "002_5b6d36cec4e37cac.txt")
    assert "卫健委" in conflict["quote_a"] and "医疗保障部门负责牵头" in conflict["quote_b"]
    contested = _relations(HANGZHOU, contested_by="hangzhou.conflict.coordination_lead")
    # both sides are marked: Fig. 2's REPORTS_TO to the commission, the bureau's lead in 002
    assert {(r.type, r.to_id) for r in contested} >= {
        ("REPORTS_TO", "hangzhou.health_commission"),
        ("RESPONSIBLE_FOR", "hangzhou.measure.coordination_mechanism")}
    assert all(r.props["contested_by"] in HANGZHOU.entities for r in HANGZHOU.relations
               if r.props.get("contested_by"))


def test_conflicts_are_listed_by_the_named_query_and_model_check(
        loaded_store: Store, store_home: Path) -> None:
    rows = loaded_store.read(load_query("conflicts").text, {"model": "hangzhou"})
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"hangzhou.conflict.coordination_lead",
                          "hangzhou.conflict.huiminbao_order"}
    lead = by_id["hangzhou.conflict.coordination_lead"]
    assert lead["locator_b"] == "三(二)" and lead["contested"] >= 4
    assert set(lead["touches"]) == {"hangzhou.health_commission", "hangzhou.medical_security"}
    env = dict(os.environ, MEDGRAPH_HOME=str(store_home))
    done = subprocess.run([sys.executable, "-m", "medgraph", "model", "check", "hangzhou",
                           "--format", "json"], env=env, text=True, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    listed = [r for r in json.loads(done.stdout) if r["finding"] == "conflicts"]
    assert {r["id"] for r in listed} == set(by_id)
    assert all(r["quote_a"] and r["quote_b"] for r in listed)


def test_a_contested_statement_says_so_in_a_citation_and_a_view(loaded_store: Store) -> None:
    assert citation({"source": "002_5b6d36cec4e37cac.txt", "locator": "三(二)", "quote": "牵头",
                     "contested_by": "hangzhou.conflict.coordination_lead"}).endswith(
        "[contested: hangzhou.conflict.coordination_lead]")
    matrix = views.responsibility(loaded_store, model="hangzhou").matrix
    tip = matrix.tips[("hangzhou.medical_security", "hangzhou.measure.coordination_mechanism")]
    assert "contested: hangzhou.conflict.coordination_lead" in tip
    coordination = views.coordination(loaded_store, model="hangzhou").graph
    reports = [d for a, b, d in coordination.edges(data=True)
               if (a, b) == ("hangzhou.medical_security", "hangzhou.health_commission")]
    assert reports and "contested" in json.dumps(reports, ensure_ascii=False, default=str)


def test_what_the_text_does_not_say_is_flagged() -> None:
    # a lead read from the first place of 按职责分工负责 lists is an assumption
    leads = [r for r in HANGZHOU.relations if r.type == "RESPONSIBLE_FOR"
             and r.props["role"] == "lead" and "按职责分工负责" in r.props.get("quote", "")]
    assert len(leads) >= 18 and all(r.props.get("assumption") for r in leads)
    # pooling levels the documents do not give (003 一(四): assistance mostly county-pooled)
    funds = [e for e in HANGZHOU.entities.values() if e.label == "Fund"
             and e.props.get("pooling_level")]
    assert funds and all(e.props.get("assumption") for e in funds)
    # 002 二(四) says 支持 and 000 §3.1.2 指导和支持, not supervision
    assert all(r.props.get("assumption") for r in _relations(
        HANGZHOU, type="SUPERVISES", to_id="hangzhou.huiminbao"))
    # 000 §2.1 做好因病致贫返贫风险监测 names no group
    assert all(r.props.get("assumption") for r in HANGZHOU.relations
               if r.type == "MONITORS" and r.props.get("quote") == "做好因病致贫返贫风险监测")
    # 001/003 proposals are not facts: lottery and charity money, supervising insurers
    proposals = [*_relations(NATIONAL, type="FUNDS", to_id="national.medical_assistance_fund"),
                 *_relations(NATIONAL, type="SUPERVISES", to_id="national.huiminbao")]
    assert {r.from_id for r in proposals if r.props.get("assumption")} >= {
        "national.lottery_welfare_fund", "national.charity_organisations",
        "national.medical_security"}


def test_provenance_points_at_the_passage() -> None:
    common = read_model("lingqiu").entities
    # 灵丘县 is named in 004 §4 总结与思考, not in the title
    assert common["lingqiu"].props["locator"] == "§4 总结与思考"
    # 西湖 is 西湖益联保's brand, not a district (000 §3.2 市域统筹)
    assert "hangzhou.xihu" not in HANGZHOU.entities
    # 003 names the four levels of government in 一(二)/一(三)
    for level in ("central_government", "provincial_governments", "municipal_governments",
                  "county_governments"):
        assert NATIONAL.entities[f"national.{level}"].props["locator"] in ("一(二)", "一(三)")
    # Fig. 1: residents buy the services, the government supervises them (§2.1 服务)
    flows = {(r.from_id, r.type, r.to_id) for r in HANGZHOU.relations
             if r.props.get("locator") == "Fig. 1"}
    assert ("hangzhou.residents_medical_funds", "PAYS", "hangzhou.medical_services") in flows
    assert ("hangzhou.government_departments", "SUPERVISES", "hangzhou.medical_services") in flows
    # the warning line is not "the usual yardstick for catastrophic health expenditure"
    note = HANGZHOU.entities["hangzhou.rule.warning_line"].props["note"]
    assert "usual yardstick" not in note and "critical-illness deductible" in note


def test_the_omissions_are_in_the_model() -> None:
    # 002 二(一) 县级以上政府规定的其他特殊困难人员, monitored by the dual early warning
    assert ("hangzhou.measure.dual_early_warning", "hangzhou.other_special_hardship") in {
        (r.from_id, r.to_id) for r in HANGZHOU.relations if r.type == "APPLIES_TO"}
    # 002 二(四) 低收入农户政策性补充医疗保险
    assert "hangzhou.measure.low_income_farmer_supplementary_insurance" in HANGZHOU.entities
    # 000 §3.1.1 12) 住院起付线连续计算, as a rule of basic insurance
    rule = HANGZHOU.entities["hangzhou.rule.bmi_continuous_inpatient_deductible"].props
    assert (rule["kind"], rule["locator"]) == ("continuous_deductible", "§3.1.1 12)")
    # 001: the 2018 subsidised-enrolment policy and the local examples
    for ident in ("national.measure.subsidised_enrolment_2018", "anhui.measure.outpatient_180",
                  "fujian.measure.three_subsidies", "jiangmen.measure.expenditure_threshold",
                  "guangzhou.zhuzhu_charity_platform"):
        assert ident in NATIONAL.entities, ident
