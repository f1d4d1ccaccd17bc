"""Read-only Cypher for analysts: parameters, a row limit and a time limit.

`Store.query` keeps the guarantees: the statement is checked on its tokens, then run as the
store's read-only account (the store itself refuses any write), stopped by the store at its
time limit, and admitted only while few enough analyst queries run (else 429). Every call,
whatever its outcome (answered, refused, timed out, failed), is written to the audit log.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from medgraph import output
from medgraph.api.common import jsonable
from medgraph.api.deps import AnalystKey, AuditDep, SettingsDep, Stopwatch, StoreDep

router = APIRouter(tags=["cypher"])


class CypherRequest(BaseModel):
    query: str = Field(..., min_length=1, max_length=100_000,
                       examples=["MATCH (a:Agency {model: $model}) RETURN a.id, a.name_zh"])
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"model": "hangzhou"}])
    limit: int | None = Field(None, ge=1, description="rows to return at most "
                                                      "[default 1000, at most 10000]")
    timeout: float | None = Field(None, gt=0, description="seconds before the query is stopped "
                                                          "[default 10, at most 60]")
    format: Literal["json", "csv"] = Field(  # noqa: A003 - the API's name
        "json", description="csv: the rows as `medgraph query --format csv` prints them")


@router.post("/cypher", summary="Run read-only Cypher (analyst); writes are refused (403)",
             responses={200: {"content": {"text/csv": {}}}})
async def cypher(*, body: CypherRequest, key: AnalystKey,
                 store: StoreDep, settings: SettingsDep,
                 audit: AuditDep) -> Any:
    # Async, so that a query refused or told to wait (429) never takes one of the threads
    # every other endpoint runs in: only an admitted query does, while it runs.
    limit = min(body.limit or settings.cypher_limit, settings.cypher_max_limit)
    timeout = min(body.timeout or settings.cypher_timeout, settings.cypher_max_timeout,
                  store.settings.query_timeout_cap)
    watch = Stopwatch()
    entry = {"query": body.query, "params": body.params, "limit": limit, "timeout": timeout}
    try:
        # One row more than asked, to tell the caller whether the answer was cut.
        with store.admit(body.query, body.params, caller=key.name,
                         timeout=timeout) as admitted:
            rows = await run_in_threadpool(admitted.rows, limit + 1)
        truncated = len(rows) > limit
        rows = rows[:limit]
        csv = output.render(rows, "csv") if body.format == "csv" else None
        answer = {"columns": list(rows[0]) if rows else [], "rows": jsonable(rows),
                  "row_count": len(rows), "truncated": truncated}
    except BaseException as exc:  # audited whatever it is, then answered by errors.py
        audit.write(key, "cypher", **entry, rows=0, ms=watch.ms(),
                    outcome=f"{type(exc).__name__}: {exc}")
        raise
    ms = watch.ms()
    audit.write(key, "cypher", **entry, rows=len(rows), ms=ms, outcome="ok")
    if csv is not None:
        # The row count and whether the answer was cut travel as headers beside the CSV.
        return Response(csv, media_type="text/csv; charset=utf-8",
                        headers={"X-Row-Count": str(len(rows)),
                                 "X-Truncated": str(truncated).lower()})
    return answer | {"ms": ms}
