"""A fingerprint of a whole store: what a hostile query must not change.

Counts of nodes by label and relationships by type, a sha256 of every node's labels and
properties and of every relationship's type, ends and properties, and the schema (constraints
and indexes as the store itself lists them). Two fingerprints are equal only when nothing of
that changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from medgraph.graph.server import EmbeddedServer
from medgraph.graph.store import Store


def _digest(rows: list[Any]) -> str:
    text = json.dumps(sorted(json.dumps(r, sort_keys=True, default=str) for r in rows))
    return hashlib.sha256(text.encode()).hexdigest()


def schema(store: Store) -> list[Any]:
    """The constraints and indexes the store holds, read as root from the store's own list."""
    if store.settings.embedded:
        server = EmbeddedServer(store.settings.home)
        answer = server._http(server.status(), "POST", f"/command/{store.database}",
                              {"language": "sql", "command": "SELECT FROM schema:indexes"})
        indexes = [(i["name"], i["typeName"], i["properties"], i["unique"])
                   for i in answer["result"]]
        types = server._http(server.status(), "POST", f"/command/{store.database}",
                             {"language": "sql", "command": "SELECT name FROM schema:types"})
        return sorted(map(str, indexes)) + sorted(t["name"] for t in types["result"])
    with store.driver.session(database=store.database) as session:
        indexes = [r.data() for r in session.run(
            "SHOW INDEXES YIELD name, labelsOrTypes, properties, type")]
        constraints = [r.data() for r in session.run(
            "SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties, type")]
    return sorted(map(str, indexes + constraints))


def fingerprint(store: Store) -> dict[str, Any]:
    nodes = store.read("MATCH (n) RETURN labels(n) AS l, properties(n) AS p", limit=None)
    rels = store.read("MATCH (a)-[r]->(b) RETURN type(r) AS t, labels(a) AS la, a.id AS a, "
                      "labels(b) AS lb, b.id AS b, properties(r) AS p", limit=None)
    labels: dict[str, int] = {}
    for row in nodes:
        for label in row["l"]:
            labels[label] = labels.get(label, 0) + 1
    types: dict[str, int] = {}
    for row in rels:
        types[row["t"]] = types.get(row["t"], 0) + 1
    return {"labels": labels, "types": types, "nodes": _digest(nodes),
            "relationships": _digest(rels), "schema": schema(store)}
