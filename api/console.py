"""What the workspace's Cypher console reads besides `/cypher` itself: who the key is, the
named queries of queries/ with their documentation and parameters, and the key's own history.

The history is the audit log's record of the key's `/cypher` calls, newest first: the one
record of what ran, so the console never keeps a second one.

>>> # GET /api/v1/me ; GET /api/v1/queries ; GET /api/v1/cypher/history?limit=20
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from fastapi import APIRouter, Query

from medgraph.api.deps import AnalystKey, AuditDep, ReaderKey
from medgraph.graph.cypher_check import CypherRefused, tokens
from medgraph.graph.known import required_params
from medgraph.queries import list_queries

router = APIRouter()

# The audit log is rotated at 10 MB; the newest lines of the current file are enough for a
# history, and reading no more bounds the work of a request.
HISTORY_SCAN = 20_000


@router.get("/me", tags=["keys"], summary="The calling key's name and role")
def me(*, key: ReaderKey) -> dict[str, str]:
    return {"name": key.name, "role": key.role}


def declared_params(text: str) -> list[str]:
    """The `$name`s of a statement in order of first use, from the read-only check's tokens.

    >>> declared_params("MATCH (n {id: $id}) WHERE $model IS NULL OR n.model = $model")
    ['id', 'model']
    """
    try:
        found = tokens(text)
    except CypherRefused:
        return []
    names = [t.text[1:] for t in found if t.kind == "param" and t.text[1:].isidentifier()]
    return list(dict.fromkeys(names))


@router.get("/queries", tags=["cypher"],
            summary="The named queries of queries/: documentation, parameters and text")
def queries(*, key: ReaderKey) -> dict[str, Any]:
    items = []
    for named in list_queries():
        required = required_params(named.header.get("params", ""))
        items.append({
            "name": named.name, "finds": named.header.get("finds", ""),
            "why": named.header.get("why", ""), "rows": named.header.get("rows", ""),
            "params_doc": named.header.get("params", ""),
            "params": [{"name": p, "required": p in required}
                       for p in declared_params(named.text)],
            "text": named.text,
        })
    return {"total": len(items), "items": items}


@router.get("/cypher/history", tags=["cypher"],
            summary="The calling key's own Cypher calls, newest first (analyst)")
def history(*, key: AnalystKey, audit: AuditDep,
            limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    try:
        with audit.path.open(encoding="utf-8") as lines:
            newest = deque(lines, maxlen=HISTORY_SCAN)
    except FileNotFoundError:
        newest = deque()
    items: list[dict[str, Any]] = []
    for line in reversed(newest):
        try:
            entry = json.loads(line)
        except ValueError:  # a line cut by a crash mid-write: not part of anyone's history
            continue
        if entry.get("key") != key.name or entry.get("action") != "cypher":
            continue
        items.append({name: entry.get(name) for name in
                      ("at", "query", "params", "rows", "ms", "outcome")})
        if len(items) == limit:
            break
    return {"total": len(items), "items": items}
