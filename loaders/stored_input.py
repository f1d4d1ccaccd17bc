"""The loaded case data read back as a settlement input, to settle it again (what-if).

`medgraph whatif` without --city reads the persons, certificates and cases the store
holds (queries/stored_*.cypher) into the input `medgraph settle` reads, then settles them
under the baseline and each reform. Payments the data gave (real settlement data, kept as
SETTLED_BY with `given` in the explanation) are given again; what the engine computed is
computed again.

>>> from medgraph.graph.store import connect                          # doctest: +SKIP
>>> with connect() as store:                                          # doctest: +SKIP
...     inp = stored_input(store)
"""

from __future__ import annotations

from typing import Any

from medgraph.graph.store import Store
from medgraph.loaders.errors import InputError
from medgraph.queries import load_query
from medgraph.settlement.inputs import SettlementInput, parse_input

# Persons read at a time: each read stays well under the embedded store's cap (a whole city
# in one read does not: at 100k persons the cases alone would take longer than 60 s), and a
# batch is found by the id index, never by sorting the label.
BATCH = 5_000
PERSON_IDS = ("MATCH (p:Person) WHERE $dataset IS NULL OR p.dataset = $dataset "
              "RETURN p.id AS id")


def stored_input(store: Store, dataset: str | None = None) -> SettlementInput:
    """The loaded persons and cases (of one dataset, or all) as a settlement input."""
    ids = sorted(row["id"] for row in store.stream(PERSON_IDS, {"dataset": dataset}))
    if not ids:
        raise InputError("the store", "holds no case data" + (f" of dataset {dataset!r}"
                         if dataset else "") + "; load some (`medgraph load cases`) or give "
                         "--city", field="dataset" if dataset else None)
    persons: list[dict[str, Any]] = []
    certificates: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    for start in range(0, len(ids), BATCH):
        params = {"ids": ids[start:start + BATCH], "dataset": dataset}
        persons += store.read(load_query("stored_persons").text, params)
        certificates += store.read(load_query("stored_certificates").text, params)
        cases += store.read(load_query("stored_cases").text, params)
    held: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(certificates, key=lambda r: (r["person_id"], str(r["valid_from"]),
                                                   r["category"])):
        held.setdefault(row.pop("person_id"), []).append(row)
    records = [{**{k: v for k, v in p.items() if v is not None}, "certificates":
                held.get(p["id"], [])} for p in sorted(persons, key=lambda r: r["id"])]
    inputs = []
    for row in sorted(cases, key=lambda r: r["id"]):
        given = {g["scheme"]: g["amount"] for g in row.pop("given") if g}
        case = {k: v for k, v in row.items() if v is not None}
        if given:
            case["paid"] = given
        inputs.append(case)
    return parse_input({"persons": records, "cases": inputs},
                       source=f"the store (dataset {dataset})" if dataset else "the store")
