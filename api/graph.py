"""Reading one entity and its relations, for the detail endpoints.

Each label has its own statement so that the unique `id` index is used; the label is fixed
text, and every value is a parameter.
"""

from __future__ import annotations

from typing import Any

from medgraph.api.common import citation, jsonable
from medgraph.api.errors import not_found
from medgraph.graph.schema import load_schema
from medgraph.graph.store import Store

# Case data (a scheme may be SETTLED_BY a million cases) is person-level and not part of an
# entity's detail: only the relation types of the models are followed. They come from
# graph/schema.yaml, never from a request.
CASE_RELATIONS = ("MEMBER_OF", "HOLDS", "ENROLLED_IN", "HAS_CASE", "SETTLED_BY")
MODEL_RELATIONS = tuple(t for t in load_schema().relationships if t not in CASE_RELATIONS)

# Every relation of the node, both ways, with its properties and the node at the other end.
_FIELDS = """
  relation: type(r), other_id: x.id, other_label: labels(x)[0],
  other_zh: x.name_zh, other_en: x.name_en, other_code: x.code, other_kind: x.kind,
  role: r.role, what_zh: r.what_zh, share: r.share, amount: r.amount, year: r.year,
  data: r.data, mode: r.mode, certificate_zh: r.certificate_zh, model: r.model,
  source: r.source, locator: r.locator, quote: r.quote, assumption: r.assumption, note: r.note
"""
_TEMPLATE = f"""
OPTIONAL MATCH (n)-[r:TYPES]->(x)
WITH n, collect(CASE WHEN r IS NULL THEN NULL ELSE {{direction: 'out', {_FIELDS}}} END)
     AS outgoing
OPTIONAL MATCH (n)<-[r:TYPES]-(x)
WITH n, outgoing, collect(CASE WHEN r IS NULL THEN NULL ELSE {{direction: 'in', {_FIELDS}}} END)
     AS incoming
RETURN n {{.*}} AS node, outgoing, incoming
"""
RELATIONS = _TEMPLATE.replace("TYPES", "|".join(MODEL_RELATIONS))

NEIGHBOURHOOD = {
    "Agency": "MATCH (n:Agency {id: $id})" + RELATIONS,
    "Scheme": "MATCH (n:Scheme {id: $id})" + RELATIONS,
    "BenefitRule": "MATCH (n:BenefitRule {id: $id})" + RELATIONS,
    "BeneficiaryCategory": "MATCH (n:BeneficiaryCategory {id: $id})" + RELATIONS,
    "Document": "MATCH (n:Document {id: $id})" + RELATIONS,
    "Measure": "MATCH (n:Measure {id: $id})" + RELATIONS,
}

# Only case data is person-level; the model's own nodes are public policy.
PERSON_LEVEL = ("Person", "Household", "Case")

_LINK_FIELDS = ("role", "what_zh", "share", "amount", "year", "data", "mode", "certificate_zh",
                "model")


def link(row: dict[str, Any]) -> dict[str, Any]:
    """One relation as the API shows it: the other end, the relation's own facts, the citation."""
    out: dict[str, Any] = {
        "relation": row["relation"], "direction": row["direction"],
        "id": row["other_id"], "label": row["other_label"], "name_zh": row["other_zh"],
        "name_en": row["other_en"],
    }
    for extra in ("other_code", "other_kind"):
        if row.get(extra) is not None:
            out[extra.removeprefix("other_")] = row[extra]
    out.update({k: row[k] for k in _LINK_FIELDS if row.get(k) is not None})
    out["citation"] = citation(row)
    return jsonable(out)


def neighbourhood(store: Store, label: str, ident: str, what: str
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The node's properties and its relations (minus case data), or 404."""
    rows = store.read(NEIGHBOURHOOD[label], {"id": ident})
    if not rows or rows[0]["node"] is None:
        raise not_found(what, ident)
    row = rows[0]
    links = [link(r) for r in [*row["outgoing"], *row["incoming"]]
             if r is not None and r["other_label"] not in PERSON_LEVEL]
    return jsonable(row["node"]), links


def pick(links: list[dict[str, Any]], relations: tuple[str, ...] | None = None,
         labels: tuple[str, ...] | None = None, direction: str | None = None
         ) -> list[dict[str, Any]]:
    """The links of some relation types, to some labels, in one direction."""
    return [x for x in links
            if (relations is None or x["relation"] in relations)
            and (labels is None or x["label"] in labels)
            and (direction is None or x["direction"] == direction)]
