"""The bulk path of case loads: the same graph as UNWIND over Bolt, and whole after a kill -9.

On the embedded store the bulk path is its batch endpoint (graph/bulk.py); on Neo4j it is
UNWIND over Bolt, so there the comparison holds trivially and the kill tests still check
that a killed load is completed by running it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from medgraph import settlement
from medgraph.graph.store import Store, connect, embedded_server, settings_from_env
from medgraph.loaders import datasets, synth
from medgraph.loaders.cases import load_settled
from medgraph.loaders.model import load_model, read_model


def case_graph_digest(store: Store) -> dict[str, Any]:
    """Counts and a sha256 of every node and relationship of case data (Datasets aside:
    they hold the times of the load)."""
    nodes = store.read("MATCH (n) WHERE n.model = 'cases' AND n.dataset IS NOT NULL "
                       "RETURN labels(n) AS l, properties(n) AS p")
    rels = store.read("MATCH (a)-[r]->(b) WHERE r.model = 'cases' RETURN type(r) AS t, "
                      "a.id AS a, b.id AS b, properties(r) AS p")

    def digest(rows: list[dict[str, Any]]) -> str:
        text = "\n".join(sorted(json.dumps(r, sort_keys=True, default=str) for r in rows))
        return hashlib.sha256(text.encode()).hexdigest()

    return {"labels": Counter(label for row in nodes for label in row["l"]),
            "types": Counter(row["t"] for row in rels),
            "nodes": digest(nodes), "relationships": digest(rels)}


def test_bulk_and_bolt_paths_write_the_same_graph(empty_store: Store, tmp_path: Path) -> None:
    load_model(empty_store, read_model("hangzhou"))
    city = tmp_path / "city"
    synth.write_city(city, persons=400, seed=3)
    inp = settlement.read_input(city)
    rules = settlement.load_rules("hangzhou")
    bolt = load_settled(empty_store, inp, rules, "hangzhou", dataset="city", path="bolt",
                        cases_per_transaction=500)
    by_bolt = case_graph_digest(empty_store)
    datasets.unload(empty_store, "city")
    assert case_graph_digest(empty_store)["labels"] == Counter()
    bulk = load_settled(empty_store, inp, rules, "hangzhou", dataset="city", path="bulk",
                        cases_per_transaction=500)
    assert bulk == bolt and bulk["nodes_created"] > len(inp) > 1000
    assert case_graph_digest(empty_store) == by_bolt
    # Read back through the trace's own starting point: a case, its person, its payers.
    case_id = inp.case_ids[0]
    rows = empty_store.read("MATCH (p:Person)-[:HAS_CASE]->(c:Case {id: $id})"
                            "-[s:SETTLED_BY]->(x:Scheme) RETURN p.id AS p, x.code AS x",
                            {"id": case_id})
    assert rows and all(r["p"] == inp.person_ids[inp.case_person[0]] for r in rows)
    again = load_settled(empty_store, inp, rules, "hangzhou", dataset="city", path="bulk",
                         cases_per_transaction=500)
    assert sum(again.values()) == 0
    record = datasets.datasets(empty_store)[0]
    assert record["status"] == "complete"
    assert not any(key.startswith("writing_") for key in record)


# -- kill -9 in the middle of a bulk load ------------------------------------------------------
def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, MEDGRAPH_HOME=str(home))


def _medgraph(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medgraph", *args], env=_env(home),
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def kill_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("bulk-kill-home")
    assert _medgraph(home, "load", "model", "hangzhou").returncode == 0
    yield home
    embedded_server(settings_from_env(_env(home))).stop()


def _writing(store: Store) -> dict[str, list[str]] | None:
    """The ids of the batch the load records as being written, or None between batches."""
    rows = store.read("MATCH (d:Dataset) RETURN properties(d) AS d")
    if not rows:
        return None
    held = {key: value for key, value in rows[0]["d"].items() if key.startswith("writing_")}
    return held or None


def _households_whole(store: Store, inp: settlement.SettlementInput,
                      in_progress: set[str]) -> None:
    """Every household the store holds has all its members, each with all its cases,
    except the persons of the batch recorded as being written."""
    members: dict[str, set[str]] = {}
    for person, household in zip(inp.person_ids, inp.household_ids, strict=True):
        members.setdefault(household or person, set()).add(person)
    cases = Counter(inp.person_ids[i] for i in inp.case_person.tolist())
    held = {r["p"]: r["n"] for r in store.read(
        "MATCH (p:Person) OPTIONAL MATCH (p)-[:HAS_CASE]->(c:Case) "
        "RETURN p.id AS p, count(c) AS n")}
    for household, persons in members.items():
        if persons & in_progress:
            continue
        present = persons & held.keys()
        assert present in (set(), persons), f"household {household} is cut"
        for person in present:
            assert held[person] == cases[person], f"person {person} lacks cases"


@pytest.mark.parametrize("kill_at", ["while_a_batch_is_written", "once_persons_are_in"])
def test_a_bulk_load_killed_leaves_whole_households_and_a_rerun_completes_it(
        kill_home: Path, tmp_path: Path, kill_at: str) -> None:
    city = tmp_path / "city"
    synth.write_city(city, persons=3000, seed=12)
    inp = settlement.read_input(city)
    args = ("load", "cases", str(city), "--batch-size", "1500", "--path", "bulk")
    with connect(settings_from_env(_env(kill_home))) as store:
        for name in [d["id"] for d in datasets.datasets(store)]:
            datasets.unload(store, name)
        assert _medgraph(kill_home, *args).returncode == 0
        whole = case_graph_digest(store)
        datasets.unload(store, "city")
        load = subprocess.Popen([sys.executable, "-m", "medgraph", *args], env=_env(kill_home),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        batches_seen = 0
        try:
            while load.poll() is None:
                writing = _writing(store)
                if writing is not None:
                    batches_seen += 1
                    if kill_at == "while_a_batch_is_written" and batches_seen >= 1:
                        break
                elif kill_at == "once_persons_are_in" and store.read(
                        "MATCH (p:Person) RETURN p.id LIMIT 1"):
                    break
                time.sleep(0.01)
        finally:
            load.send_signal(signal.SIGKILL)
            load.wait()
        assert load.returncode == -signal.SIGKILL, "the load ended before it was killed"
        time.sleep(1)  # a request the store had received whole is finished by the store
        writing = _writing(store) or {}
        cut = case_graph_digest(store)
        assert cut["labels"]["Person"] < whole["labels"]["Person"]
        assert datasets.datasets(store)[0]["status"] == "loading"
        _households_whole(store, inp, set(writing.get("writing_Person") or []))
        again = _medgraph(kill_home, *args, "--format", "json")
        assert again.returncode == 0, again.stderr
        assert case_graph_digest(store) == whole
        assert _writing(store) is None
        assert datasets.datasets(store)[0]["status"] == "complete"
        third = json.loads(_medgraph(kill_home, *args, "--format", "json").stdout)
        row = third[0] if isinstance(third, list) else third
        changes = {k: v for k, v in row.items() if k.startswith(("nodes_", "relation"))}
        assert set(changes.values()) == {0}


# -- re-loads: batches recorded as in are not read back, unless the store lost some ------------
def test_a_reload_skips_recorded_batches_yet_restores_what_was_deleted_and_what_changed(
        empty_store: Store, tmp_path: Path) -> None:
    load_model(empty_store, read_model("hangzhou"))
    city = tmp_path / "city"
    synth.write_city(city, persons=400, seed=4)
    inp = settlement.read_input(city)
    rules = settlement.load_rules("hangzhou")

    def load(source: settlement.SettlementInput) -> Counter[str]:
        return load_settled(empty_store, source, rules, "hangzhou", dataset="city",
                            source=str(city), cases_per_transaction=400)

    first = load(inp)
    whole = case_graph_digest(empty_store)
    record = datasets.datasets(empty_store)[0]
    assert len(record["batches"]) > 3
    assert sum(load(inp).values()) == 0
    # A case deleted by hand: the counts say the dataset lacks a node, the batches are compared.
    gone = inp.case_ids[5]
    empty_store.write("MATCH (c:Case {id: $id}) DETACH DELETE c", {"id": gone})
    restored = load(inp)
    assert restored["nodes_created"] == 1 and restored["relationships_created"] >= 2
    assert case_graph_digest(empty_store) == whole
    # One case's cost changed in the input: its batch is written again, the others skipped.
    changed = dataclasses.replace(inp, total_fen=inp.total_fen.copy())
    last = len(changed) - 1
    changed.total_fen[last] += 100_00
    after = load(changed)
    assert 0 < after["nodes_updated"] <= 3 and after["nodes_created"] == 0
    row = empty_store.read("MATCH (c:Case {id: $id}) RETURN c.total_cost AS t",
                           {"id": inp.case_ids[last]})
    assert row[0]["t"] == changed.total_fen[last] / 100
    datasets.unload(empty_store, "city")
    fresh = load(changed)
    assert fresh["nodes_created"] == first["nodes_created"]
    changed_whole = case_graph_digest(empty_store)
    load(inp)
    assert case_graph_digest(empty_store) == whole != changed_whole
