"""Read the graph, or one model or dataset of it, out of the store for the export formats.

`medgraph export` writes what the store holds in four formats (graph/export_formats.py):
CSV for `neo4j-admin database import full`, GraphML and GEXF for Gephi, and a Cypher script
that recreates it in any Neo4j. This module is the one reader behind all four: it walks the
store label by label in pages ordered by id, so memory stays bounded however large the city.

What is read:

- no selection: every node and relationship;
- `model="hangzhou"`: what `medgraph load model hangzhou` loads, the nodes and relationships
  tagged `hangzhou` and those tagged `common` (the glossary's categories and places);
- `dataset="city"`: the Dataset node, the persons, households, cases and burdens of that
  load and their relationships, and the model nodes those relationships end at (schemes,
  categories), so that the export loads on its own.

>>> Selection().where("n")
''
>>> Selection(model="hangzhou").where("n")
' AND n.model IN $tags'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from medgraph.graph.schema import Schema, load_schema
from medgraph.graph.store import Store
from medgraph.loaders import datasets

CHUNK = 5_000
DATASET_LABELS = (*datasets.LABELS, "Dataset")  # what a dataset selection reads itself
COMMON = "common"  # the tag of data/common, loaded with every model


@dataclass(frozen=True)
class Selection:
    model: str | None = None
    dataset: str | None = None

    def where(self, var: str) -> str:
        """The condition a node (or relationship) bound to `var` must meet, after an AND."""
        if self.model:
            return f" AND {var}.model IN $tags"
        if self.dataset:
            return f" AND {var}.dataset = $dataset"
        return ""

    def params(self) -> dict[str, Any]:
        if self.model:
            return {"tags": [self.model, COMMON]}
        if self.dataset:
            return {"dataset": self.dataset}
        return {}


@dataclass(frozen=True)
class Element:
    """A node (`type` is its label) or a relationship (with its ends)."""

    type: str
    props: dict[str, Any]
    start: tuple[str, str] | None = None  # (label, id) of a relationship's start node
    end: tuple[str, str] | None = None

    @property
    def id(self) -> str:
        return str(self.props["id"])


def labels(schema: Schema | None = None) -> list[str]:
    return list((schema or load_schema()).labels)


def nodes_and_relationships(store: Store, selection: Selection = Selection(), *,
                            chunk: int = CHUNK) -> Iterator[Element]:
    """Every selected node, each chunk of nodes followed by the relationships leaving them.

    A label's ids are read first (one small read), then its nodes and their relationships
    `chunk` ids at a time by the id index. Neither one read of a whole label nor pages
    ordered by id would do: the embedded store stops every read at its cap, and sorts the
    whole label for every page. With a dataset selected, the nodes its relationships end at
    outside the dataset (schemes, categories) follow at the end.
    """
    params = selection.params()
    # Model data: the relationship carries the tag. Case data: its start node does.
    where = selection.where("r") if selection.model else ""
    ends: set[tuple[str, str]] = set()
    for label in labels():
        ids = [row["id"] for row in store.stream(
            f"MATCH (n:{label}) WHERE true{selection.where('n')} RETURN n.id AS id", params)]
        for start in range(0, len(ids), chunk):
            part = {**params, "ids": ids[start:start + chunk]}
            for row in store.read(f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) "
                                  "RETURN properties(n) AS p", part):
                yield Element(label, row["p"])
            for row in store.read(
                    f"UNWIND $ids AS i MATCH (a:{label} {{id: i}})-[r]->(b) WHERE true{where} "
                    "RETURN i AS start, type(r) AS type, labels(b)[0] AS end_label, "
                    "b.id AS end, properties(r) AS p", part):
                end = (row["end_label"], row["end"])
                if selection.dataset and end[0] not in DATASET_LABELS:
                    ends.add(end)  # a scheme or a category: model data, not the dataset's
                yield Element(row["type"], row["p"], (label, row["start"]), end)
    for label, ident in sorted(ends):
        for row in store.read(f"MATCH (n:{label} {{id: $id}}) RETURN properties(n) AS p",
                              {"id": ident}):
            yield Element(label, row["p"])


# Properties every node and relationship carries beside the schema's: its id and the tag of
# the model (or `cases`) that wrote it; a relationship the loader keys by more than its ends
# carries the `key` its id was made from.
NODE_EXTRAS = {"id": "string", "model": "string"}
RELATIONSHIP_EXTRAS = {**NODE_EXTRAS, "key": "string"}


def property_types(schema: Schema | None = None) -> dict[str, dict[str, str]]:
    """For each label and relationship type, the properties it may carry and their types.

    The schema is the contract: graph/schema.yaml's types (string, integer, number,
    boolean, date, integer_list), provenance and the extras above. An export meets a
    property outside it only if someone wrote one by hand, and then refuses (ExportError)
    rather than drop it.

    >>> property_types()["BenefitRule"]["rate"], property_types()["SETTLED_BY"]["amount"]
    ('number', 'number')
    """
    schema = schema or load_schema()
    types = {label: {**NODE_EXTRAS, **_declared(schema.label_properties(label))}
             for label in schema.labels}
    types.update({name: {**RELATIONSHIP_EXTRAS, **_declared(schema.relationship_properties(
        name))} for name in schema.relationships})
    return types


def _declared(properties: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {k: v.get("type", "string") for k, v in properties.items()}
