"""Reconciliation of observed payments with the rules: summary and findings (analyst).

Its findings are about persons and cases, so the route needs the analyst role, and each
call is written to the audit log like the person record.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from medgraph.analysis.reconcile import KINDS, TOLERANCE, reconcile
from medgraph.api.common import PagingDep, jsonable
from medgraph.api.deps import AnalystKey, AuditDep, Stopwatch, StoreDep
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import model_names

router = APIRouter(tags=["findings"])

Kind = Literal[KINDS]  # type: ignore[valid-type]


@router.get("/reconciliation",
            summary="What each payer paid against what the rules entitle: summary per payer "
                    "and scheme, and the excess, duplicate, missed, over-, under- and "
                    "ineligible payments (analyst)")
def reconciliation(*, model: str = Query("hangzhou", max_length=100),
                   year: int | None = Query(None, ge=1900, le=2200),
                   payer: Annotated[str | None, Query(max_length=300,
                                                      description="an agency id")] = None,
                   kind: Kind | None = None,
                   tolerance: float = Query(TOLERANCE, ge=0, le=1e6),
                   paging: PagingDep, key: AnalystKey, store: StoreDep,
                   audit: AuditDep) -> dict[str, Any]:
    if model not in model_names():  # a shipped model's name, never a path
        raise InputError("model", f"{model!r}: no such model; known: "
                         f"{', '.join(model_names())}", field="model")
    watch = Stopwatch()
    params = {"model": model, "year": year, "payer": payer, "kind": kind}
    try:
        result = reconcile(store, model=model, year=year, payer=payer, tolerance=tolerance)
    except BaseException as exc:  # audited whatever it is, then answered by errors.py
        audit.write(key, "reconciliation", params=params, rows=0, ms=watch.ms(),
                    outcome=f"{type(exc).__name__}: {exc}")
        raise
    found = [f.to_dict() for f in result.findings if kind is None or f.kind == kind]
    audit.write(key, "reconciliation", params=params, rows=len(found), ms=watch.ms(),
                outcome="ok")
    summary = result.to_dict()["summary"]
    return jsonable({"summary": summary, "findings": paging.page(found)})
