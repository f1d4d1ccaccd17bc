"""Make the store hold exactly a set of nodes and relationships, changing only what differs.

Both the model loader and the case loader go through `sync`: it reads what the
store holds for the ids concerned, compares, and writes only the difference,
in one transaction. Running a load twice therefore changes nothing, and the
second run reports zero changes; `dry_run` reports the changes without making
them. Statements a model no longer has (same `model` tag, id not in the load)
are deleted.

>>> Plan.empty().changes
0
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the driver is imported only where a store is opened
    from medgraph.graph.store import Store, WriteTransaction

READ_BATCH = 10_000


@dataclass(frozen=True)
class Node:
    label: str
    id: str
    props: dict[str, Any]  # includes `id` and `model`


@dataclass(frozen=True)
class Edge:
    type: str
    id: str
    from_label: str
    from_id: str
    to_label: str
    to_id: str
    props: dict[str, Any]  # includes `id` and `model`


@dataclass
class Plan:
    create_nodes: list[Node] = field(default_factory=list)
    update_nodes: list[Node] = field(default_factory=list)
    delete_nodes: list[tuple[str, str]] = field(default_factory=list)  # (label, id)
    create_edges: list[Edge] = field(default_factory=list)
    update_edges: list[Edge] = field(default_factory=list)
    # (type, id, start label, start id): a relationship is found from its start node
    delete_edges: list[tuple[str, str, str, str]] = field(default_factory=list)
    # relationships that went with deleted nodes (DETACH DELETE), counted as deleted too
    detached: int = 0

    @classmethod
    def empty(cls) -> Plan:
        return cls()

    def summary(self) -> dict[str, int]:
        return {
            "nodes_created": len(self.create_nodes),
            "nodes_updated": len(self.update_nodes),
            "nodes_deleted": len(self.delete_nodes),
            "relationships_created": len(self.create_edges),
            "relationships_updated": len(self.update_edges),
            "relationships_deleted": len(self.delete_edges) + self.detached,
        }

    @property
    def changes(self) -> int:
        return sum(self.summary().values())


def clean(props: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values: a graph property cannot hold null."""
    return {k: v for k, v in props.items() if v is not None}


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan_sync(
    store: Store,
    nodes: list[Node],
    edges: list[Edge],
    *,
    prune_models: Iterable[str] = (),
    prune_labels: Iterable[str] = (),
) -> Plan:
    """Compare what the store holds with `nodes` and `edges`; return what must change.

    Nodes with a `model` of `prune_models` that `nodes` lack are deleted, and so are the
    relationships of that `model` that `edges` lack; both are looked for only under
    `prune_labels` (the labels model data may carry), so that the millions of case nodes
    and relationships beside a model are never read to load it.
    """
    plan = Plan()
    by_label: dict[str, list[Node]] = defaultdict(list)
    for node in nodes:
        by_label[node.label].append(node)
    for label, group in by_label.items():
        existing = read_by_id(
            store, f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) "
            "RETURN n.id AS id, properties(n) AS p", [n.id for n in group])
        for node in group:
            if node.id not in existing:
                plan.create_nodes.append(node)
            elif existing[node.id] != node.props:
                plan.update_nodes.append(node)
    by_start: dict[tuple[str, str], list[Edge]] = defaultdict(list)
    for edge in edges:
        by_start[(edge.from_label, edge.type)].append(edge)
    for (label, rel_type), group in by_start.items():
        # Read from the start node: relationships have no index on either store.
        existing = read_by_id(
            store, f"UNWIND $ids AS i MATCH (:{label} {{id: i}})-[r:{rel_type}]->() "
            "RETURN r.id AS id, properties(r) AS p", sorted({e.from_id for e in group}))
        for edge in group:
            if edge.id not in existing:
                plan.create_edges.append(edge)
            elif existing[edge.id] != edge.props:
                plan.update_edges.append(edge)
    models = list(prune_models)
    if models:
        keep_nodes = {(n.label, n.id) for n in nodes}
        keep_edges = {e.id for e in edges}
        for label in prune_labels:
            for row in store.read(f"MATCH (n:{label}) WHERE n.model IN $models "
                                  "RETURN n.id AS id", {"models": models}):
                if (label, row["id"]) not in keep_nodes:
                    plan.delete_nodes.append((label, row["id"]))
            for row in store.read(f"MATCH (a:{label})-[r]->() WHERE r.model IN $models "
                                  "RETURN type(r) AS type, r.id AS id, a.id AS start",
                                  {"models": models}):
                if row["id"] not in keep_edges:
                    plan.delete_edges.append((row["type"], row["id"], label, row["start"]))
    return plan


def read_by_id(store: Store, statement: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Rows `{id, p}` of a statement over `UNWIND $ids`, read READ_BATCH ids at a time.

    `UNWIND $ids AS i MATCH (n:Label {id: i})` uses the index on `id`; `WHERE n.id IN $ids`
    does not on the embedded store.
    """
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids, READ_BATCH):
        for row in store.read(statement, {"ids": chunk}):
            found[row["id"]] = row["p"]
    return found


def apply_plan(
    tx: WriteTransaction,
    plan: Plan,
    *,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write a plan inside a transaction the caller commits."""
    step = progress or (lambda n: None)
    by_start: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for rel_type, ident, label, start in plan.delete_edges:
        by_start[(label, rel_type)].append({"id": ident, "from": start})
    for (label, rel_type), rows in by_start.items():
        for chunk in _chunks(rows, batch_size):
            tx.run(f"UNWIND $rows AS row MATCH (:{label} {{id: row.from}})-[r:{rel_type}]->() "
                   "WHERE r.id = row.id DELETE r", {"rows": chunk})
    for label, ids in _group(plan.delete_nodes).items():
        for chunk in _chunks(ids, batch_size):
            tx.run(f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) DETACH DELETE n",
                   {"ids": chunk})
    # Rows are the property maps themselves (they hold `id`): one map per row, not a
    # nested one, is measurably faster to send and to read on the server.
    by_label: dict[str, list[dict]] = defaultdict(list)
    for node in plan.create_nodes + plan.update_nodes:
        by_label[node.label].append(node.props)
    for label, rows in by_label.items():
        for chunk in _chunks(rows, batch_size):
            tx.run(f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n = row",
                   {"rows": chunk})
            step(len(chunk))
    by_shape: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for edge in plan.create_edges + plan.update_edges:
        by_shape[(edge.from_label, edge.type, edge.to_label)].append(
            {"from": edge.from_id, "to": edge.to_id, "id": edge.id, "props": edge.props}
        )
    for (from_label, rel_type, to_label), rows in by_shape.items():
        for chunk in _chunks(rows, batch_size):
            tx.run(
                f"UNWIND $rows AS row MATCH (a:{from_label} {{id: row.from}}) "
                f"MATCH (b:{to_label} {{id: row.to}}) "
                f"MERGE (a)-[r:{rel_type} {{id: row.id}}]->(b) SET r = row.props",
                {"rows": chunk},
            )
            step(len(chunk))


def _group(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for kind, ident in pairs:
        grouped[kind].append(ident)
    return grouped
