"""Any entity of a model by its id: its label, properties and every relation with its citation.

The typed endpoints (`/agencies/{id}`, `/schemes/{id}`, ...) sort relations into sections for
one kind of entity; this one answers for every label of the models alike, which is what the
workspace's entity page and its neighbourhood graph (expand a node) need.

>>> # GET /api/v1/entities/hangzhou.civil_affairs
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from medgraph.api.common import jsonable
from medgraph.api.deps import StoreDep, reader
from medgraph.api.entities import IdParam
from medgraph.api.errors import not_found
from medgraph.api.graph import PERSON_LEVEL, RELATIONS, link

router = APIRouter(tags=["entities"], dependencies=[Depends(reader)])

# The labels of the models' own nodes (public policy); case data is not an entity here.
LABELS = ("Agency", "Scheme", "BenefitRule", "BeneficiaryCategory", "Document", "Measure",
          "Problem", "Fund", "InformationSystem", "Indicator", "Jurisdiction", "Conflict")
# Which label holds an id: one statement per label, so each uses its unique index.
_FIND = {label: f"MATCH (n:{label} {{id: $id}}) RETURN '{label}' AS label LIMIT 1"
         for label in LABELS}
_DETAIL = {label: f"MATCH (n:{label} {{id: $id}})" + RELATIONS for label in LABELS}


def find_label(store: Any, ident: str) -> str | None:
    for label in LABELS:
        if store.read(_FIND[label], {"id": ident}):
            return label
    return None


@router.get("/entities/{entity_id}", summary="Any entity of a model: label, properties and "
                                               "every relation, each cited")
def entity(*, entity_id: IdParam, store: StoreDep) -> dict[str, Any]:
    label = find_label(store, entity_id)
    if label is None:
        raise not_found("entity", entity_id)
    row = store.read(_DETAIL[label], {"id": entity_id})[0]
    relations = [link(r) for r in [*row["outgoing"], *row["incoming"]]
                 if r is not None and r["other_label"] not in PERSON_LEVEL]
    return {"label": label, "node": jsonable(row["node"]), "relations": relations}
