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

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from medgraph.graph.schema import Schema, load_schema
from medgraph.graph.store import Store

PAGE = 20_000
TYPES = ("string", "integer", "number", "boolean", "date", "string_list", "integer_list")
PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
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
                            page: int = PAGE) -> Iterator[Element]:
    """Every selected node, each page of nodes followed by the relationships leaving them.

    A relationship is read with its start node; with a dataset selected, the nodes its
    relationships end at outside the dataset (schemes, categories) follow at the end.
    """
    seen: set[tuple[str, str]] = set()
    ends: set[tuple[str, str]] = set()
    params = selection.params()
    for label in labels():
        after = ""
        while True:
            rows = store.read(
                f"MATCH (n:{label}) WHERE n.id > $after{selection.where('n')} "
                "RETURN properties(n) AS p ORDER BY n.id LIMIT $page",
                {**params, "after": after, "page": page})
            if not rows:
                break
            ids = [row["p"]["id"] for row in rows]
            for row in rows:
                seen.add((label, row["p"]["id"]))
                yield Element(label, row["p"])
            for rel in _leaving(store, label, ids, selection):
                if selection.dataset:
                    ends.add(rel.end)  # type: ignore[arg-type]
                yield rel
            after = ids[-1]
    by_label: dict[str, list[str]] = {}
    for label, ident in sorted(ends - seen):
        by_label.setdefault(label, []).append(ident)
    for label, ids in by_label.items():
        for start in range(0, len(ids), page):
            for row in store.read(f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) "
                                  "RETURN properties(n) AS p", {"ids": ids[start:start + page]}):
                yield Element(label, row["p"])


def _leaving(store: Store, label: str, ids: list[str], selection: Selection
             ) -> Iterator[Element]:
    where = selection.where("r") if selection.model else ""
    for row in store.read(
            f"UNWIND $ids AS i MATCH (a:{label} {{id: i}})-[r]->(b) WHERE true{where} "
            "RETURN i AS start, type(r) AS type, labels(b)[0] AS end_label, b.id AS end, "
            "properties(r) AS p", {**selection.params(), "ids": ids}):
        yield Element(row["type"], row["p"], (label, row["start"]), (row["end_label"], row["end"]))


def property_types(store: Store, selection: Selection = Selection()) -> dict[str, dict[str, str]]:
    """For each label and relationship type present, its property names and their types.

    Types are the schema's (string, integer, number, boolean, date, string_list); a property
    the schema does not declare (`id`, `model`, `dataset`) takes the type of its values.
    """
    schema = load_schema()
    found: dict[str, dict[str, str]] = {}
    params = selection.params()
    for label in labels(schema):
        declared = _declared(schema.label_properties(label))
        rows = store.read(f"MATCH (n:{label}) WHERE true{selection.where('n')} "
                          "UNWIND keys(n) AS k RETURN DISTINCT k", params)
        if rows:
            found[label] = {r["k"]: declared.get(r["k"]) or _sampled(store, label, r["k"])
                            for r in rows}
    rows = store.read("MATCH ()-[r]->() UNWIND keys(r) AS k "
                      "RETURN DISTINCT type(r) AS t, k")
    for row in rows:
        spec = schema.relationships.get(row["t"])
        declared = _declared(schema.relationship_properties(row["t"]) if spec else {})
        found.setdefault(row["t"], {})[row["k"]] = (
            declared.get(row["k"]) or _sampled(store, row["t"], row["k"], relationship=True))
    return found


def _sampled(store: Store, name: str, key: str, *, relationship: bool = False) -> str:
    if not PROPERTY.match(key):  # interpolated below: only plain names are asked about
        return "string"
    pattern = f"()-[x:{name}]->()" if relationship else f"(x:{name})"
    rows = store.read(f"MATCH {pattern} WHERE x.{key} IS NOT NULL RETURN x.{key} AS v LIMIT 1")
    return kind_of(rows[0]["v"]) if rows else "string"


def _declared(properties: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The schema's type of each property, where it is one a value can be checked against."""
    return {k: v.get("type", "string") for k, v in properties.items()
            if v.get("type", "string") in TYPES}


def kind_of(value: Any) -> str:
    """The schema type of a value.

    >>> kind_of(True), kind_of(3), kind_of(0.5), kind_of(["a"]), kind_of("x")
    ('boolean', 'integer', 'number', 'string_list', 'string')
    """
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "integer_list" if value and all(isinstance(v, int) for v in value) \
            else "string_list"
    return "string"
