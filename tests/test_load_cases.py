"""Case data into a real store: counts, idempotent re-loads, refusals that write nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from medgraph import settlement
from medgraph.graph.store import Store, StoreError
from medgraph.loaders import synth
from medgraph.loaders.cases import load_cases
from medgraph.loaders.model import load_model, model_names, read_model

MINI = Path(__file__).parent / "fixtures" / "mini"


def _stand_in_results(cases: list[dict]) -> list[dict]:
    """Settlement results for the loader alone: basic insurance pays half the policy scope."""
    return [{"id": c["id"], "payments": {"basic_medical_insurance": round(
        c["policy_scope_cost"] / 2, 2)}, "out_of_pocket": round(
        c["total_cost"] - c["policy_scope_cost"] / 2, 2), "explanations": []} for c in cases]


def _count(store: Store, pattern: str) -> int:
    return store.read(f"MATCH {pattern} RETURN count(*) AS n")[0]["n"]


def _counts(store: Store) -> dict[str, int]:
    return {
        "persons": _count(store, "(:Person)"), "households": _count(store, "(:Household)"),
        "cases": _count(store, "(:Case)"), "member_of": _count(store, "()-[:MEMBER_OF]->()"),
        "holds": _count(store, "()-[:HOLDS]->()"), "has_case": _count(store, "()-[:HAS_CASE]->()"),
        "settled_by": _count(store, "()-[:SETTLED_BY]->()"),
        "enrolled_in": _count(store, "()-[:ENROLLED_IN]->()"),
        "burdens": _count(store, "(:Burden)"), "has_burden": _count(store, "()-[:HAS_BURDEN]->()"),
    }


@pytest.fixture()
def city() -> tuple[list[dict], list[dict]]:
    return synth.records(synth.generate_city(600, seed=8))


def test_first_load_counts_and_second_load_changes_nothing(
        empty_store: Store, city: tuple[list[dict], list[dict]]) -> None:
    persons, cases = city
    results = _stand_in_results(cases)
    load_model(empty_store, read_model(MINI))
    plan = load_cases(empty_store, persons, cases, results, "mini", dataset="city", batch_size=500)
    # An enrolled person is enrolled in every year the data cover, ill that year or not.
    years = {case["date"][:4] for case in cases}
    expected = {
        "persons": len(persons), "households": len({p["household_id"] for p in persons}),
        "cases": len(cases), "member_of": len(persons),
        "holds": sum(len(p["certificates"]) for p in persons), "has_case": len(cases),
        "settled_by": len(cases),
        # in basic insurance, and in huiminbao for those who bought it (000 §3.2 开放投保)
        "enrolled_in": len(years) * sum(p["enrolled"] + p["huiminbao"] for p in persons),
        "burdens": len({(c["person_id"], c["date"][:4]) for c in cases}),
        "has_burden": len({(c["person_id"], c["date"][:4]) for c in cases}),
    }
    assert _counts(empty_store) == expected
    summary = plan.summary()
    assert summary["nodes_created"] == sum(
        expected[k] for k in ("persons", "households", "cases", "burdens"))
    assert summary["relationships_created"] == sum(
        v for k, v in expected.items() if k not in ("persons", "households", "cases", "burdens"))

    again = load_cases(empty_store, persons, cases, results, "mini", dataset="city")
    assert again.changes == 0
    assert _counts(empty_store) == expected
    # A changed case is an update, found by the comparison a re-load makes.
    cases[0] = {**cases[0], "total_cost": cases[0]["total_cost"] + 1}
    changed = load_cases(empty_store, persons, cases, results, "mini", dataset="city")
    # the case and its person's Burden of that year
    assert changed.summary()["nodes_updated"] == 2 and changed.changes == 2
    case_id = cases[0]["id"]
    row = empty_store.read("MATCH (c:Case {id: $id}) RETURN c.total_cost AS t", {"id": case_id})
    assert row[0]["t"] == pytest.approx(cases[0]["total_cost"])


def test_burdens_are_the_sums_of_the_cases(
        empty_store: Store, city: tuple[list[dict], list[dict]]) -> None:
    """Each Burden holds what the store's own cases add up to, for the person and household."""
    persons, cases = city
    load_model(empty_store, read_model(MINI))
    load_cases(empty_store, persons, cases, _stand_in_results(cases), "mini", dataset="city")
    own = {(r["p"], r["y"]): r for r in empty_store.read(
        "MATCH (p:Person)-[:HAS_CASE]->(c:Case) RETURN p.id AS p, c.year AS y, "
        "sum(c.out_of_pocket) AS oop, count(c) AS n, sum(c.total_cost) AS t")}
    home = {(r["h"], r["y"]): r for r in empty_store.read(
        "MATCH (h:Household)<-[:MEMBER_OF]-(p:Person)-[:HAS_CASE]->(c:Case) "
        "WITH h.id AS h, p.id AS p, c.year AS y, sum(c.out_of_pocket) AS oop "
        "RETURN h, y, sum(oop) AS oop, max(oop) AS top, count(p) AS members")}
    burdens = empty_store.read("MATCH (p:Person)-[:HAS_BURDEN]->(b:Burden) "
                               "RETURN p.id AS p, properties(b) AS b")
    assert len(burdens) == len(own)
    for row in burdens:
        b = row["b"]
        mine, theirs = own[(row["p"], b["year"])], home[(b["household"], b["year"])]
        assert (b["person"], b["cases"]) == (row["p"], mine["n"])
        assert b["out_of_pocket"] == pytest.approx(mine["oop"])
        assert b["total_cost"] == pytest.approx(mine["t"])
        assert b["household_out_of_pocket"] == pytest.approx(theirs["oop"])
        assert b["household_top"] == pytest.approx(theirs["top"])
        assert b["household_members"] == theirs["members"]


def test_load_into_a_store_with_case_data_of_other_persons(
        empty_store: Store, city: tuple[list[dict], list[dict]]) -> None:
    """Only the first load into a store without case data skips the comparison."""
    persons, cases = city
    load_model(empty_store, read_model(MINI))
    half = {p["id"] for p in persons[: len(persons) // 2]}
    first = [c for c in cases if c["person_id"] in half]
    load_cases(empty_store, [p for p in persons if p["id"] in half], first,
               _stand_in_results(first), "mini", dataset="city")
    plan = load_cases(empty_store, persons, cases, _stand_in_results(cases), "mini", dataset="city")
    assert plan.summary()["nodes_created"] < len(persons) + len(cases)
    assert _count(empty_store, "(:Case)") == len(cases)
    assert _count(empty_store, "()-[:HAS_CASE]->()") == len(cases)


def test_refused_without_the_model_and_nothing_written(
        empty_store: Store, city: tuple[list[dict], list[dict]]) -> None:
    persons, cases = city
    with pytest.raises(StoreError, match="load the model first"):
        load_cases(empty_store, persons, cases, _stand_in_results(cases), "mini", dataset="city")
    assert _count(empty_store, "(:Person)") == _count(empty_store, "(:Case)") == 0


# -- the command: needs the settlement engine and the Hangzhou model ---------------------------
needs_settlement = pytest.mark.skipif(
    not hasattr(settlement, "read_input") or "hangzhou" not in model_names(),
    reason="settlement engine or Hangzhou model not there yet")


def _medgraph(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MEDGRAPH_HOME=str(store.settings.home))
    return subprocess.run([sys.executable, "-m", "medgraph", *args], env=env,
                          capture_output=True, text=True, timeout=600)


@needs_settlement
def test_command_loads_then_reports_zero_changes(empty_store: Store, tmp_path: Path) -> None:
    load_model(empty_store, read_model("hangzhou"))
    city = tmp_path / "city"
    synth.write_city(city, persons=400, seed=3)
    first = _medgraph(empty_store, "load", "cases", str(city), "--batch-size", "300",
                      "--format", "csv")
    assert first.returncode == 0, first.stderr
    n_cases = sum(1 for _ in (city / "cases.csv").open()) - 1
    assert _count(empty_store, "(:Case)") == n_cases
    assert _count(empty_store, "()-[:SETTLED_BY]->()") > 0
    second = _medgraph(empty_store, "load", "cases", str(city), "--format", "json")
    assert second.returncode == 0, second.stderr
    assert '"nodes_created": 0' in second.stdout and '"relationships_created": 0' in second.stdout


@needs_settlement
def test_command_refuses_a_bad_record_naming_file_line_field(
        empty_store: Store, tmp_path: Path) -> None:
    load_model(empty_store, read_model("hangzhou"))
    city = tmp_path / "city"
    synth.write_city(city, persons=200, seed=3)
    lines = (city / "cases.csv").read_text("utf-8").splitlines(keepends=True)
    lines[4] = lines[4].replace(",outpatient_general,", ",outpatient_nowhere,").replace(
        ",inpatient,", ",outpatient_nowhere,").replace(",outpatient_chronic,",
                                                       ",outpatient_nowhere,")
    (city / "cases.csv").write_text("".join(lines), "utf-8")
    done = _medgraph(empty_store, "load", "cases", str(city))
    assert done.returncode == 2
    assert "cases.csv:5" in done.stderr and "setting" in done.stderr
    assert _count(empty_store, "(:Person)") == _count(empty_store, "(:Case)") == 0
