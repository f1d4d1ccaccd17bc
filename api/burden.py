"""The year of a case's person and household (analyst): what they paid out of pocket that year.

The case loader sums each person's cases per year into a Burden, with the household's totals;
that is what the warning line is checked against. It is person-level, so analysts only, and
each lookup is written to the audit log, like `/persons/{id}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from medgraph.api.common import jsonable
from medgraph.api.deps import AnalystKey, AuditDep, StoreDep
from medgraph.api.errors import not_found

router = APIRouter(tags=["cases"])

BURDEN = """
MATCH (c:Case {id: $id})
OPTIONAL MATCH (p:Person)-[:HAS_CASE]->(c)
OPTIONAL MATCH (p)-[:HAS_BURDEN]->(b:Burden) WHERE b.year = c.year
RETURN c.year AS year, p.id AS person_id, b {.*} AS burden
"""


@router.get("/cases/{case_id}/burden",
            summary="The out-of-pocket year of the case's person and household (analyst)")
def burden(*, case_id: str = Path(..., max_length=300), key: AnalystKey, store: StoreDep,
           audit: AuditDep) -> dict[str, Any]:
    rows = audit.read(store, key, "burden", "BURDEN", BURDEN, {"id": case_id})
    if not rows:
        raise not_found("case", case_id)
    row = rows[0]
    return jsonable({"case_id": case_id, "year": row["year"], "person_id": row["person_id"],
                     "burden": row["burden"]})
