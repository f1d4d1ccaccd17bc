"""Creating many new nodes and relationships at once: one function, one contract, both stores.

`create(store, nodes, relationships)` writes nodes none of which exist yet, and
relationships from them to each other or to nodes already in the store (schemes,
categories), and returns the counts. The contract, the same on both stores:

- Everything given is created, or StoreError / OSError is raised. The caller must not
  assume that a failure left nothing behind: it records what it is writing before it
  writes (loaders.cases, "a batch in progress") and removes that on the next run.
- A node's `id` is unique per label (the store's unique index refuses a second one).

The mechanisms differ because the stores' fastest paths do:

- The embedded store (ArcadeDB) takes one HTTP request to `/api/v1/batch/{database}` as
  root on the loopback address: a stream of JSON lines, the vertices first, then the
  edges, each edge naming its ends by the position of a vertex in the same request or by
  the record id of one already stored. The server writes them with its GraphBatch, with
  the write-ahead log on (a store killed mid-load must not leave a damaged database).
  It commits the vertices of each label, then the edges, so a failure half way leaves
  some records behind: hence the contract above.
- Neo4j, and the embedded store with `via="bolt"`, run `UNWIND $rows ... CREATE` over
  Bolt in one transaction.
"""

from __future__ import annotations

import contextlib
import http.client
import json
from base64 import b64encode
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from medgraph.graph.server import DATABASE, USER
from medgraph.graph.store import Store, StoreError, WriteTransaction, embedded_server

if TYPE_CHECKING:
    from medgraph.loaders.sync import Edge, Node

PATHS = ("bulk", "bolt")  # `medgraph load cases --path`
ROWS_PER_STATEMENT = 20_000
# Edge ends already in the store, looked up by id this many at a time.
LOOKUP_BATCH = 10_000


def create(store: Store, nodes: list[Node], edges: list[Edge], *, via: str = "bulk",
           rows_per_statement: int = ROWS_PER_STATEMENT,
           progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Create `nodes` and `edges` (none of them in the store yet); the counts created."""
    if via not in PATHS:
        raise ValueError(f"via must be one of {PATHS}, got {via!r}")
    if not nodes and not edges:
        return {"nodes_created": 0, "relationships_created": 0}
    if via == "bulk" and store.settings.embedded:
        return _EmbeddedBatch.of(store).write(store, nodes, edges)
    store.write_transaction(lambda tx: create_in(tx, nodes, edges, rows_per_statement,
                                                 progress or (lambda n: None)))
    return {"nodes_created": len(nodes), "relationships_created": len(edges)}


def create_in(tx: WriteTransaction, nodes: Iterable[Node], edges: Iterable[Edge],
              rows_per_statement: int, progress: Callable[[int], None]) -> None:
    """Create inside a transaction the caller commits, with `UNWIND ... CREATE` over Bolt."""
    by_label: dict[str, list[dict]] = defaultdict(list)
    for node in nodes:
        by_label[node.label].append(node.props)
    for label, rows in by_label.items():
        for start in range(0, len(rows), rows_per_statement):
            chunk = rows[start:start + rows_per_statement]
            tx.run(f"UNWIND $rows AS row CREATE (n:{label}) SET n = row", {"rows": chunk})
            progress(len(chunk))
    by_shape: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for edge in edges:
        by_shape[(edge.from_label, edge.type, edge.to_label)].append(
            {"from": edge.from_id, "to": edge.to_id, "props": edge.props})
    for (from_label, rel_type, to_label), rows in by_shape.items():
        for start in range(0, len(rows), rows_per_statement):
            chunk = rows[start:start + rows_per_statement]
            tx.run(f"UNWIND $rows AS row MATCH (a:{from_label} {{id: row.from}}) "
                   f"MATCH (b:{to_label} {{id: row.to}}) "
                   f"CREATE (a)-[r:{rel_type}]->(b) SET r = row.props", {"rows": chunk})
            progress(len(chunk))


class _EmbeddedBatch:
    """The embedded server's batch endpoint, as root over loopback; one per server."""

    _known: dict[tuple[str, int], _EmbeddedBatch] = {}

    def __init__(self, port: int, password: str) -> None:
        self.port = port
        self.auth = "Basic " + b64encode(f"{USER}:{password}".encode()).decode()
        self.types: set[str] = set()  # vertex and edge types known to exist
        # Record ids of nodes outside a batch that edges point to (schemes, categories),
        # looked up afresh for each batch: a model loaded again, or a store emptied, gives
        # its nodes new record ids, and a stale one would be refused as "not found".
        self.rids: dict[tuple[str, str], str] = {}

    @classmethod
    def of(cls, store: Store) -> _EmbeddedBatch:
        server = embedded_server(store.settings)
        state = server.status()
        if state is None:
            raise ConnectionError("the embedded store is not running")
        key = (str(store.settings.home), state.http_port)
        if key not in cls._known:
            cls._known[key] = cls(state.http_port, server.password())
        return cls._known[key]

    def _request(self, path: str, body: bytes | Iterable[bytes], content_type: str,
                 timeout: float = 3600.0) -> dict[str, Any]:
        """POST `body` (bytes, or pieces sent as they come: chunked) and read the answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Authorization": self.auth, "Content-Type": content_type}
        try:
            # The store may refuse a batch part way and close: its answer then says why.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request("POST", f"/api/v1{path}", body=body, headers=headers,
                                   encode_chunked=not isinstance(body, bytes))
            response = connection.getresponse()
            text = response.read()
        except http.client.HTTPException as exc:  # an answer cut off: the store went away
            raise ConnectionError(f"the embedded store stopped answering: {exc!r}") from None
        finally:
            connection.close()
        try:
            answer = json.loads(text or b"{}")
        except ValueError:
            answer = {"error": text[:300].decode(errors="replace")}
        if response.status != 200:
            detail = answer.get("detail") or answer.get("error") or f"HTTP {response.status}"
            raise StoreError(f"the embedded store refused the batch: {detail}")
        return answer

    def _ensure_types(self, vertex_types: set[str], edge_types: set[str]) -> None:
        """The batch endpoint writes only into types that exist; Cypher makes them on use."""
        for kind, names in (("VERTEX", vertex_types), ("EDGE", edge_types)):
            for name in sorted(names - self.types):
                self._request(f"/command/{DATABASE}", json.dumps(
                    {"language": "sql", "command": f"CREATE {kind} TYPE `{name}` IF NOT EXISTS"}
                ).encode(), "application/json")
                self.types.add(name)

    def _outside(self, store: Store, wanted: set[tuple[str, str]]) -> None:
        """Look up the record ids of edge ends that are not in the batch."""
        by_label: dict[str, list[str]] = defaultdict(list)
        for label, ident in sorted(wanted - self.rids.keys()):
            by_label[label].append(ident)
        for label, ids in by_label.items():
            for start in range(0, len(ids), LOOKUP_BATCH):
                for row in store.read(f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) "
                                      "RETURN i AS id, elementId(n) AS rid",
                                      {"ids": ids[start:start + LOOKUP_BATCH]}):
                    self.rids[(label, row["id"])] = row["rid"]
        missing = sorted(wanted - self.rids.keys())
        if missing:
            label, ident = missing[0]
            raise StoreError(f"{label} {ident!r} (and {len(missing) - 1} more) not in the "
                             "store: a relationship of the batch points to it")

    def write(self, store: Store, nodes: list[Node], edges: list[Edge]) -> dict[str, int]:
        # Vertices grouped by label: the server commits a label's vertices together.
        order = sorted(range(len(nodes)), key=lambda i: nodes[i].label)
        position: dict[tuple[str, str], int] = {}
        for index in order:
            position[(nodes[index].label, nodes[index].id)] = len(position)
        if len(position) != len(nodes):
            raise StoreError("a batch names a node twice; nothing was written")
        outside = {(end_label, end_id) for e in edges
                   for end_label, end_id in ((e.from_label, e.from_id), (e.to_label, e.to_id))
                   if (end_label, end_id) not in position}
        self._ensure_types({n.label for n in nodes}, {e.type for e in edges})
        self.rids = {}
        self._outside(store, outside)
        ends = {**position, **self.rids}

        def lines() -> Iterator[bytes]:
            # Sent while they are encoded, so that the store reads and writes the first
            # records while the rest are still being made (the two run on different cores).
            piece: list[str] = []
            for index in order:
                node = nodes[index]
                piece.append(_ENCODE({"@type": "vertex", "@class": node.label, **node.props}))
                if len(piece) >= _LINES_PER_PIECE:
                    yield ("\n".join(piece) + "\n").encode()
                    piece = []
            for edge in sorted(edges, key=lambda e: e.type):
                piece.append(_ENCODE({"@type": "edge", "@class": edge.type,
                                      "@from": ends[(edge.from_label, edge.from_id)],
                                      "@to": ends[(edge.to_label, edge.to_id)], **edge.props}))
                if len(piece) >= _LINES_PER_PIECE:
                    yield ("\n".join(piece) + "\n").encode()
                    piece = []
            if piece:
                yield "\n".join(piece).encode()

        query = urlencode({
            "wal": "true", "refMode": "ordinal", "idMapping": "false",
            "vertexBatchSize": max(1, len(nodes)), "commitEvery": max(1, len(edges)),
            "expectedVertexCount": len(nodes), "expectedEdgeCount": len(edges),
            "expectedRecords": len(nodes) + len(edges)})
        answer = self._request(f"/batch/{DATABASE}?{query}", lines(), "application/x-ndjson")
        store.writes += 1  # answers cached from the store may now be stale
        created = {"nodes_created": int(answer.get("verticesCreated", -1)),
                   "relationships_created": int(answer.get("edgesCreated", -1))}
        if created != {"nodes_created": len(nodes), "relationships_created": len(edges)}:
            raise StoreError(f"the embedded store created {created['nodes_created']:,} of "
                             f"{len(nodes):,} nodes and {created['relationships_created']:,} "
                             f"of {len(edges):,} relationships of a batch")
        return created


# One encoder for every line: json.dumps with options builds a new encoder per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
_LINES_PER_PIECE = 2_000
