"""`medgraph unload` removes payments with what they were loaded as or paid to, so that the
graph is again what its inputs make it: unloading and loading again gives the same graph."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from medgraph.graph.store import Store
from medgraph.loaders import datasets
from medgraph.loaders.cases import load_settled
from medgraph.loaders.model import load_model, read_model
from medgraph.loaders.payments import load_payments, parse_records
from medgraph.settlement import load_rules, parse_input

MS, CHARITY_FED = "hangzhou.medical_security", "hangzhou.charity_federation"
CASES = {
    "persons": [{"id": p, "household_id": f"H{p}", "enrolled": True, "certificates": [
        {"category": "minimum_living", "valid_from": "2024-01-01", "valid_to": "2024-12-31"}]}
        for p in ("UA", "UB")],
    "cases": [{"id": f"C{p}", "person_id": p, "date": "2024-03-01", "setting": "inpatient",
               "total_cost": 20000, "policy_scope_cost": 18000, "referred": True,
               "facility_level": "county"} for p in ("UA", "UB")],
}
PAYMENTS = {"payments": [
    {"case_id": "CUA", "payer": MS, "scheme": "medical_assistance", "amount": 1200,
     "date": "2024-03-20", "reference": "MA-1"},
    {"case_id": "CUA", "payer": CHARITY_FED, "scheme": "charity_assistance", "amount": 500,
     "date": "2024-04-01"},
    {"person_id": "UB", "payer": CHARITY_FED, "scheme": "charity_assistance", "amount": 300,
     "date": "2024-05-01"},
]}
# when a load ran is not what it loaded
VOLATILE = {"started_at", "loaded_at"}


def graph(store: Store) -> tuple[dict, list]:
    """Every node by (label, id) with its properties; every relationship with its ends."""
    nodes = {(r["l"], r["id"]): {k: v for k, v in r["p"].items() if k not in VOLATILE}
             for r in store.read("MATCH (n) RETURN labels(n)[0] AS l, n.id AS id, "
                                 "properties(n) AS p", limit=None)}
    rels = sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in store.read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS a, b.id AS b, properties(r) AS p",
        limit=None))
    return nodes, rels


def _cases(store: Store) -> None:
    load_settled(store, parse_input(CASES, "u.json"), load_rules("hangzhou"), "hangzhou",
                 dataset="u")


def _payments(store: Store) -> dict[str, int]:
    return load_payments(store, parse_records(PAYMENTS, "u-pay.json"), "hangzhou",
                         dataset="u-pay")


def _count(store: Store, statement: str) -> int:
    return store.read(statement)[0]["n"]


def test_unload_removes_payments_and_a_reload_gives_the_same_graph(empty_store: Store) -> None:
    store = empty_store
    load_model(store, read_model("hangzhou"))
    model_only = graph(store)
    _cases(store)
    cases_only = graph(store)
    assert _payments(store)["created"] == 3
    everything = graph(store)
    assert _count(store, "MATCH (p:Payment) RETURN count(p) AS n") == 3

    # the payment records alone, by the name they were loaded under
    deleted = datasets.unload(store, "u-pay")
    assert deleted["payments_deleted"] == 3
    assert deleted["relationships_deleted"] == 3 * 3 + 2  # MADE, UNDER, PAID_TO; 2 PAID_ON
    assert graph(store) == cases_only
    _payments(store)
    assert graph(store) == everything

    # the case data, and with it the payments to its persons (the command, as a user runs it)
    env = dict(os.environ, MEDGRAPH_HOME=str(store.settings.home))
    done = subprocess.run([sys.executable, "-m", "medgraph", "unload", "u", "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["payments_deleted"] == 3
    assert graph(store) == model_only
    assert _count(store, "MATCH (p:Payment) RETURN count(p) AS n") == 0
    assert _count(store, "MATCH (p:Person) RETURN count(p) AS n") == 0
    with pytest.raises(datasets.UnknownDataset, match="known: [(]none[)]"):
        datasets.unload(store, "u-pay")

    _cases(store)
    assert graph(store) == cases_only
    _payments(store)
    assert graph(store) == everything


def test_unknown_names_list_payment_loads_too(empty_store: Store) -> None:
    store = empty_store
    load_model(store, read_model("hangzhou"))
    _cases(store)
    _payments(store)
    with pytest.raises(datasets.UnknownDataset, match="known: u, u-pay"):
        datasets.unload(store, "nothing")
    # a payments load never unloads the case data it was paid on
    datasets.unload(store, "u-pay")
    assert _count(store, "MATCH (c:Case) RETURN count(c) AS n") == 2
