"""A load makes the graph equal to its input, and a dataset never overwrites another."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medgraph.graph.store import Store, connect, embedded_server, settings_from_env
from medgraph.loaders import datasets, synth
from medgraph.loaders.cases import load_cases
from medgraph.loaders.datasets import DatasetConflict
from medgraph.loaders.model import load_model, read_model

MINI = Path(__file__).parent / "fixtures" / "mini"


def _results(cases: list[dict], assisted: set[str] = frozenset()) -> list[dict]:
    """Basic insurance pays half the policy scope; cases in `assisted` also get 10 yuan of
    medical assistance."""
    out = []
    for c in cases:
        paid = {"basic_medical_insurance": round(c["policy_scope_cost"] / 2, 2)}
        if c["id"] in assisted:
            paid["medical_assistance"] = 10.0
        out.append({"id": c["id"], "payments": paid, "explanations": [],
                    "out_of_pocket": round(c["total_cost"] - sum(paid.values()), 2)})
    return out


def _one(store: Store, statement: str, **params: object) -> list:
    return [r["x"] for r in store.read(statement, params)]


@pytest.fixture()
def city() -> tuple[list[dict], list[dict]]:
    return synth.records(synth.generate_city(300, seed=4))


@pytest.fixture()
def mini_store(empty_store: Store) -> Store:
    load_model(empty_store, read_model(MINI))
    return empty_store


def test_a_reload_removes_the_relationships_the_input_no_longer_has(
        mini_store: Store, city: tuple[list[dict], list[dict]]) -> None:
    persons, cases = city
    holder = next(p for p in persons if p["certificates"])
    moved = cases[0]
    assisted = {cases[1]["id"]}
    load_cases(mini_store, persons, cases, _results(cases, assisted), "mini", dataset="c")
    assert _one(mini_store, "MATCH (:Case {id: $id})-[:SETTLED_BY]->(s) RETURN s.code AS x",
                id=cases[1]["id"]) != ["basic_medical_insurance"]

    # The next input: a case moves to another person, a person to another household, a
    # certificate is withdrawn, and a payment the settlement made is no longer made.
    persons2, cases2 = copy.deepcopy(persons), copy.deepcopy(cases)
    other = next(p for p in persons2 if p["id"] != moved["person_id"])
    cases2[0]["person_id"] = other["id"]
    mover = next(p for p in persons2 if p["id"] != holder["id"])
    old_home, mover["household_id"] = mover["household_id"], "H-new"
    next(p for p in persons2 if p["id"] == holder["id"])["certificates"] = []
    plan = load_cases(mini_store, persons2, cases2, _results(cases2), "mini", dataset="c")

    assert _one(mini_store, "MATCH (p:Person)-[:HAS_CASE]->(:Case {id: $id}) RETURN p.id AS x",
                id=moved["id"]) == [other["id"]]
    assert _one(mini_store, "MATCH (:Person {id: $id})-[:MEMBER_OF]->(h) RETURN h.id AS x",
                id=mover["id"]) == ["H-new"]
    assert _one(mini_store, "MATCH (:Person {id: $id})-[r:HOLDS]->() RETURN r.id AS x",
                id=holder["id"]) == []
    assert _one(mini_store, "MATCH (:Case {id: $id})-[:SETTLED_BY]->(s) RETURN s.code AS x",
                id=cases[1]["id"]) == ["basic_medical_insurance"]
    # No case has two patients; no person two households.
    assert _one(mini_store, "MATCH (c:Case)<-[:HAS_CASE]-(p) WITH c, count(p) AS n "
                "WHERE n > 1 RETURN c.id AS x") == []
    assert _one(mini_store, "MATCH (p:Person)-[:MEMBER_OF]->(h) WITH p, count(h) AS n "
                "WHERE n > 1 RETURN p.id AS x") == []
    # The old patient's Burden of that year is gone if the moved case was their only one.
    if not any(c["person_id"] == moved["person_id"] and c["date"][:4] == moved["date"][:4]
               for c in cases2):
        assert _one(mini_store, "MATCH (b:Burden {id: $id}) RETURN b.id AS x",
                    id=f"{moved['person_id']}|{moved['date'][:4]}") == []
    summary = plan.summary()
    withdrawn = len(holder["certificates"])
    # moved case, household membership, certificates, assistance payment (and maybe a Burden)
    assert summary["relationships_deleted"] >= 3 + withdrawn
    assert summary["relationships_created"] >= 2
    again = load_cases(mini_store, persons2, cases2, _results(cases2), "mini", dataset="c")
    assert again.changes == 0
    if all(p["household_id"] != old_home for p in persons2):
        assert _one(mini_store, "MATCH (h:Household {id: $id}) RETURN h.id AS x",
                    id=old_home) == []


def test_a_reload_deletes_what_the_dataset_no_longer_names(
        mini_store: Store, city: tuple[list[dict], list[dict]]) -> None:
    persons, cases = city
    load_cases(mini_store, persons, cases, _results(cases), "mini", dataset="c")
    gone = persons[-1]["id"]
    persons2 = persons[:-1]
    cases2 = [c for c in cases if c["person_id"] != gone]
    plan = load_cases(mini_store, persons2, cases2, _results(cases2), "mini", dataset="c")
    assert _one(mini_store, "MATCH (p:Person {id: $id}) RETURN p.id AS x", id=gone) == []
    assert _one(mini_store, "MATCH (c:Case) RETURN count(c) AS x") == [len(cases2)]
    assert plan.summary()["nodes_deleted"] >= 1 + len(cases) - len(cases2)


def test_another_dataset_with_the_same_ids_is_refused_and_writes_nothing(
        mini_store: Store, city: tuple[list[dict], list[dict]]) -> None:
    persons, cases = city
    load_cases(mini_store, persons, cases, _results(cases), "mini", dataset="first")
    before = _one(mini_store, "MATCH (n) RETURN count(n) AS x")
    changed = copy.deepcopy(cases)
    changed[0]["total_cost"] += 1
    with pytest.raises(DatasetConflict, match="belongs to dataset 'first'"):
        load_cases(mini_store, persons, changed, _results(changed), "mini", dataset="second")
    assert _one(mini_store, "MATCH (n) RETURN count(n) AS x") == before
    assert _one(mini_store, "MATCH (d:Dataset) RETURN d.id AS x") == ["first"]
    # --replace takes the ids over.
    load_cases(mini_store, persons, changed, _results(changed), "mini", dataset="second",
               replace=True)
    assert _one(mini_store, "MATCH (c:Case {id: $id}) RETURN c.dataset AS x",
                id=cases[0]["id"]) == ["second"]


def test_two_synthetic_cities_load_side_by_side_and_unload_removes_one(
        mini_store: Store) -> None:
    a = synth.records(synth.generate_city(200, seed=1), synth.id_prefix(1))
    b = synth.records(synth.generate_city(200, seed=2), synth.id_prefix(2))
    load_cases(mini_store, *a, _results(a[1]), "mini", dataset="one")
    load_cases(mini_store, *b, _results(b[1]), "mini", dataset="two")
    assert _one(mini_store, "MATCH (c:Case) RETURN count(c) AS x") == [len(a[1]) + len(b[1])]
    assert _one(mini_store, "MATCH (c:Case)<-[:HAS_CASE]-(p) WITH c, count(p) AS n "
                "WHERE n > 1 RETURN c.id AS x") == []
    record = {d["id"]: d for d in datasets.datasets(mini_store)}
    assert record["one"]["status"] == "complete" and record["one"]["cases"] == len(a[1])
    deleted = datasets.unload(mini_store, "one")
    assert deleted["nodes_deleted"] > len(a[0]) + len(a[1])
    assert _one(mini_store, "MATCH (c:Case) RETURN count(c) AS x") == [len(b[1])]
    assert _one(mini_store, "MATCH (d:Dataset) RETURN d.id AS x") == ["two"]
    with pytest.raises(datasets.UnknownDataset, match="known: two"):
        datasets.unload(mini_store, "one")


# -- the command: kills mid-way -----------------------------------------------------------------
def _medgraph(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MEDGRAPH_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "medgraph", *args], env=env,
                          capture_output=True, text=True, timeout=900)


def _counts(home: Path) -> dict[str, int]:
    with connect(settings_from_env(dict(os.environ, MEDGRAPH_HOME=str(home)))) as store:
        return {label: store.read(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]
                for label in ("Person", "Household", "Case", "Burden")} | {
            rel: store.read(f"MATCH ()-[r:{rel}]->() RETURN count(r) AS n")[0]["n"]
            for rel in ("MEMBER_OF", "HOLDS", "ENROLLED_IN", "HAS_CASE", "SETTLED_BY")}


@pytest.fixture(scope="module")
def private_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of its own: these tests kill the load and the store."""
    home = tmp_path_factory.mktemp("kill-home")
    assert _medgraph(home, "load", "model", "hangzhou").returncode == 0
    yield home
    embedded_server(settings_from_env(dict(os.environ, MEDGRAPH_HOME=str(home)))).stop()


def _wait_for_persons(home: Path, load: subprocess.Popen) -> None:
    """Until the load has written some persons but is not done."""
    env = settings_from_env(dict(os.environ, MEDGRAPH_HOME=str(home)))
    with connect(env) as store:
        while load.poll() is None:
            if store.read("MATCH (p:Person) RETURN p.id LIMIT 1"):
                return
            time.sleep(0.2)
    raise AssertionError("the load ended before it could be cut off")


def _clear(home: Path) -> None:
    with connect(settings_from_env(dict(os.environ, MEDGRAPH_HOME=str(home)))) as store:
        for name in [d["id"] for d in datasets.datasets(store)]:
            datasets.unload(store, name)


def test_a_killed_load_is_completed_by_running_it_again(
        private_home: Path, tmp_path: Path) -> None:
    city = tmp_path / "city"
    synth.write_city(city, persons=2500, seed=5)
    args = ("load", "cases", str(city), "--batch-size", "300")
    _clear(private_home)
    assert _medgraph(private_home, *args).returncode == 0
    whole = _counts(private_home)
    _clear(private_home)
    env = dict(os.environ, MEDGRAPH_HOME=str(private_home))
    load = subprocess.Popen([sys.executable, "-m", "medgraph", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_persons(private_home, load)
    load.send_signal(signal.SIGKILL)
    load.wait()
    cut = _counts(private_home)
    assert 0 < cut["Person"] < whole["Person"], "the load was not cut off half way"
    again = _medgraph(private_home, *args, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert _counts(private_home) == whole
    assert _medgraph(private_home, *args, "--format", "json").stdout.count(": 0") >= 6


@pytest.mark.skipif(bool(os.environ.get("MEDGRAPH_NEO4J_URI")),
                    reason="kills the embedded store mid-load")
def test_a_store_failure_mid_load_is_one_line_and_exit_1_and_a_rerun_completes(
        private_home: Path, tmp_path: Path) -> None:
    city = tmp_path / "city"
    synth.write_city(city, persons=2500, seed=6)
    args = ("load", "cases", str(city), "--batch-size", "300")
    _clear(private_home)
    assert _medgraph(private_home, *args).returncode == 0
    whole = _counts(private_home)
    _clear(private_home)
    env = dict(os.environ, MEDGRAPH_HOME=str(private_home))
    load = subprocess.Popen([sys.executable, "-m", "medgraph", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_persons(private_home, load)
    server = embedded_server(settings_from_env(env))
    os.kill(server.status().pid, signal.SIGKILL)
    _, stderr = load.communicate(timeout=300)
    assert load.returncode == 1, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert "batch" in lines[0] and "run the same load again" in lines[0]
    again = _medgraph(private_home, *args)
    assert again.returncode == 0, again.stderr
    assert _counts(private_home) == whole
