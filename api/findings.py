"""Coverage gaps, information islands and KPIs: the findings of the CLI, filtered and paged.

Findings about one person or household (not enrolled, high burden, household burden, cliff
effect) are person-level: readers get a count of them, analysts get them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from medgraph.analysis import findings as detectors
from medgraph.analysis import kpi as k
from medgraph.api.common import Paging, PagingDep, jsonable
from medgraph.api.deps import ReaderKey, StoreDep
from medgraph.api.keys import ApiKey

router = APIRouter(tags=["findings"])

PERSON_LEVEL_KINDS = frozenset({"recipient_not_enrolled", "high_residual_burden",
                                "household_catastrophic", "cliff_effect"})

Severity = Literal["high", "medium", "low"]
ModelParam = Annotated[str | None, Query(max_length=100,
                                         description="limit to one model: hangzhou, ...")]
KindParam = Annotated[str | None, Query(max_length=100, description="only findings of this kind")]
EntityParam = Annotated[list[str] | None, Query(
    max_length=20, description="only findings that name one of these entities (ids; "
                               "repeat the parameter), before paging")]


def _filtered(found: list[Any], key: ApiKey, kind: str | None, severity: str | None,
              paging: Paging, entity: list[str] | None = None) -> dict[str, Any]:
    named = set(entity or ())
    rows = [f.to_dict() for f in found
            if (kind is None or f.kind == kind) and (severity is None or f.severity == severity)
            and (not named or any(e.get("id") in named for e in f.entities))]
    withheld = 0
    if not key.allows("analyst"):
        withheld = sum(r["kind"] in PERSON_LEVEL_KINDS for r in rows)
        rows = [r for r in rows if r["kind"] not in PERSON_LEVEL_KINDS]
    page = jsonable(paging.page(rows))
    if withheld:
        page["withheld"] = {"count": withheld,
                            "reason": "person-level findings need the analyst role"}
    return page


@router.get("/gaps", summary="Coverage gaps, each explained and cited")
def gaps(*, model: ModelParam = None, year: int | None = Query(None, ge=1900, le=2200),
         kind: KindParam = None, severity: Severity | None = None, entity: EntityParam = None,
         warning_line: float | None = Query(None, gt=0, le=1e9,
                                            description="yearly out-of-pocket line, yuan"),
         paging: PagingDep, key: ReaderKey,
         store: StoreDep) -> dict[str, Any]:
    found = detectors.gaps(store, model=model, year=year,
                           params={"warning_line": warning_line})
    return _filtered(found, key, kind, severity, paging, entity)


@router.get("/islands", summary="Information islands, each explained and cited")
def islands(*, model: ModelParam = None,
            without: str | None = Query(None, max_length=300,
                                        description="what-if: an agency or system id, or "
                                                    "FROM_ID->TO_ID"),
            kind: KindParam = None, severity: Severity | None = None,
            entity: EntityParam = None, paging: PagingDep, key: ReaderKey,
            store: StoreDep) -> dict[str, Any]:
    found = detectors.islands(store, model=model, without=without)
    return _filtered(found, key, kind, severity, paging, entity)


@router.get("/kpis", summary="The targets of 杭政办函〔2022〕70号 measured for one year")
def kpis(*, year: int = Query(..., ge=1900, le=2200),
         model: str = Query("hangzhou", max_length=100),
         high_cost_line: float = Query(k.HIGH_COST_LINE, gt=0, le=1e9),
         warning_line: float = Query(k.WARNING_LINE, gt=0, le=1e9),
         by: Literal["district"] | None = Query(None, description="also each district of "
                                                "the persons; the city's rows have district "
                                                "null"),
         paging: PagingDep, key: ReaderKey,
         store: StoreDep) -> dict[str, Any]:
    lines = {"high_cost_line": high_cost_line, "warning_line": warning_line}
    if by is None:
        rows = k.kpis(store, year, model, **lines)
    else:
        rows = k.district_rows(k.by_district(store, year, model, **lines), city=None)
    return jsonable(paging.page(rows))
