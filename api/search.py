"""One search across the model's entities and the cases, for the workspace's search box.

Entities (agencies, schemes, categories, rules, documents, measures, problems, funds, systems,
indicators) are matched by a substring of the Chinese or English name or the id; a case only
by its exact id, which the unique index answers at once on a city of a million cases (a
substring would read them all). Each label has its own statement, its label fixed text.

>>> # GET /api/v1/search?q=民政&type=Agency
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from medgraph.api.common import PagingDep, jsonable
from medgraph.api.deps import ReaderKey, StoreDep
from medgraph.api.errors import ApiError

router = APIRouter(tags=["search"])

# The labels a search covers, in the order their results are listed.
ENTITY_LABELS = ("Agency", "Scheme", "BeneficiaryCategory", "BenefitRule", "Document", "Measure",
                 "Problem", "Fund", "InformationSystem", "Indicator")
TYPES = (*ENTITY_LABELS, "Case")

_ENTITY = """
MATCH (n:LABEL)
WHERE (n.name_zh CONTAINS $q OR toLower(coalesce(n.name_en, '')) CONTAINS toLower($q)
       OR toLower(n.id) CONTAINS toLower($q))
  AND ($model IS NULL OR n.model = $model)
RETURN n.id AS id, 'LABEL' AS type, n.name_zh AS name_zh, n.name_en AS name_en,
       n.code AS code, n.model AS model
ORDER BY id
"""
SEARCH = {label: _ENTITY.replace("LABEL", label) for label in ENTITY_LABELS}
SEARCH["Case"] = """
MATCH (c:Case {id: $q})
RETURN c.id AS id, 'Case' AS type, NULL AS name_zh, c.setting AS name_en,
       toString(c.date) AS code, c.model AS model
"""


@router.get("/search", summary="Search entities by name or id, and cases by id")
def search(*, q: Annotated[str, Query(min_length=1, max_length=200,
                                      description="substring of the Chinese or English name, "
                                                  "or the id; a case by its exact id")],
           type: Annotated[list[str] | None, Query(  # noqa: A002 - the API's name
               description=f"only these types: {', '.join(TYPES)}")] = None,
           model: Annotated[str | None, Query(max_length=100)] = None,
           paging: PagingDep, key: ReaderKey, store: StoreDep) -> dict[str, Any]:
    wanted = type or list(TYPES)
    unknown = sorted(set(wanted) - set(TYPES))
    if unknown:
        raise ApiError(422, "invalid_input", f"type: unknown {', '.join(unknown)}; "
                                             f"expected some of {', '.join(TYPES)}")
    text = q.strip()
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for label in (t for t in TYPES if t in wanted):
        found = store.read(SEARCH[label], {"q": text, "model": model})
        counts[label] = len(found)
        rows.extend(found)
    return jsonable(paging.page(rows) | {"counts": counts})
