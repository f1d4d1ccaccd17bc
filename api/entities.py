"""Agencies, schemes, categories, documents and measures: search, and detail with citations.

Every relation in a detail carries its `citation` (source, locator, quote, assumption, note).

>>> # GET /api/v1/agencies?q=民政&kind=government
>>> # GET /api/v1/agencies/hangzhou.civil_affairs
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from medgraph.api.common import Paging, PagingDep, jsonable
from medgraph.api.deps import StoreDep, reader
from medgraph.api.graph import neighbourhood
from medgraph.graph.store import Store

router = APIRouter(dependencies=[Depends(reader)])

# One statement per label (the label is fixed text; the filters are parameters; a null
# parameter means "any").
_LIST = """
MATCH (n:LABEL)
WHERE ($q IS NULL OR n.name_zh CONTAINS $q OR toLower(coalesce(n.name_en, '')) CONTAINS toLower($q)
       OR toLower(n.id) CONTAINS toLower($q) OR toLower(coalesce(n.code, '')) = toLower($q))
  AND ($kind IS NULL OR n.kind = $kind)
  AND ($model IS NULL OR n.model = $model)
RETURN n.id AS id, n.name_zh AS name_zh, n.name_en AS name_en, n.code AS code, n.kind AS kind,
       n.level AS level, n.model AS model
ORDER BY id
"""
LIST = {label: _LIST.replace("LABEL", label)
        for label in ("Agency", "Scheme", "BeneficiaryCategory", "Document", "Measure")}

SCHEME_RULES = """
MATCH (s:Scheme {id: $id})-[:HAS_RULE]->(r:BenefitRule)
OPTIONAL MATCH (r)-[:APPLIES_TO]->(c:BeneficiaryCategory)
WITH r, collect(CASE WHEN c IS NULL THEN NULL ELSE
                {id: c.id, code: c.code, name_zh: c.name_zh} END) AS categories
RETURN r {.*} AS rule, categories
ORDER BY r.id
"""

CATEGORY_RULES = """
MATCH (c:BeneficiaryCategory {id: $id})<-[:APPLIES_TO]-(r:BenefitRule)
OPTIONAL MATCH (s:Scheme)-[:HAS_RULE]->(r)
RETURN r {.*} AS rule, s.id AS scheme_id, s.code AS scheme_code, s.name_zh AS scheme_zh
ORDER BY r.id
"""

Select = Callable[[dict[str, Any]], bool]


def _when(relations: tuple[str, ...] | None = None, labels: tuple[str, ...] | None = None,
          direction: str | None = None) -> Select:
    return lambda x: ((relations is None or x["relation"] in relations)
                      and (labels is None or x["label"] in labels)
                      and (direction is None or x["direction"] == direction))


def sections(links: list[dict[str, Any]], spec: list[tuple[str, Select]]) -> dict[str, Any]:
    """Sort relations into named sections, first match wins; the rest go to `other`."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in spec}
    out["other"] = []
    for item in links:
        name = next((name for name, select in spec if select(item)), "other")
        out[name].append(item)
    return out


def _search(store: Store, label: str, paging: Paging, q: str | None = None,
            kind: str | None = None, model: str | None = None) -> dict[str, Any]:
    rows = store.read(LIST[label], {"q": q or None, "kind": kind, "model": model})
    return paging.page(rows)


QParam = Annotated[str | None, Query(max_length=200,
                                     description="substring of the Chinese or English name, "
                                                 "or the id")]
ModelParam = Annotated[str | None, Query(max_length=100,
                                         description="model: common, hangzhou, national, ...")]
IdParam = Annotated[str, Path(max_length=300, description="the entity's id")]

AGENCY_SECTIONS = [
    ("measures", _when(("RESPONSIBLE_FOR",), ("Measure",), "out")),
    ("schemes", _when(None, ("Scheme", "BenefitRule"), "out")),
    ("funds", _when(None, ("Fund",), "out")),
    ("categories", _when(None, ("BeneficiaryCategory",), "out")),
    ("systems", _when(None, ("InformationSystem",), "out")),
    ("reports_to", _when(("REPORTS_TO",), None, "out")),
    ("reported_to_by", _when(("REPORTS_TO",), None, "in")),
    ("coordinates_with", _when(("COORDINATES_WITH",))),
    ("shares_data", _when(("SHARES_DATA",))),
]


@router.get("/agencies", tags=["agencies"], summary="Search agencies by name and kind")
def list_agencies(*, q: QParam = None, kind: str | None = Query(None, max_length=50,
                  description="government, insurer, mass_organisation, ..."),
                  model: ModelParam = None, paging: PagingDep,
                  store: StoreDep) -> dict[str, Any]:
    return _search(store, "Agency", paging, q, kind, model)


@router.get("/agencies/{agency_id}", tags=["agencies"],
            summary="One agency and its responsibilities, each cited")
def get_agency(*, agency_id: IdParam, store: StoreDep) -> dict[str, Any]:
    """The measures it leads or joins; the schemes and funds it administers, funds, pays or
    supervises; the categories it certifies; the systems it operates or uses; whom it reports to
    and coordinates with. `other` holds the rest (documents it issued, transfers, ...)."""
    node, links = neighbourhood(store, "Agency", agency_id, "agency")
    return {"agency": node, "responsibilities": sections(links, AGENCY_SECTIONS)}


@router.get("/schemes", tags=["schemes"], summary="List schemes")
def list_schemes(*, q: QParam = None, model: ModelParam = None, paging: PagingDep,
                 store: StoreDep) -> dict[str, Any]:
    return _search(store, "Scheme", paging, q, None, model)


@router.get("/schemes/{scheme_id}", tags=["schemes"],
            summary="One scheme: its rules, who funds, pays, administers and supervises it")
def get_scheme(*, scheme_id: IdParam, store: StoreDep) -> dict[str, Any]:
    node, links = neighbourhood(store, "Scheme", scheme_id, "scheme")
    rules = [jsonable({**r["rule"], "categories": [c for c in r["categories"] if c]})
             for r in store.read(SCHEME_RULES, {"id": scheme_id})]
    related = sections(links, [
        ("rules_link", _when(("HAS_RULE",))),
        ("responsible", _when(None, ("Agency",), "in")),
        ("funded_by", _when(("FUNDS", "COLLECTS", "PAYS", "TRANSFERS_TO"), None, "in")),
        ("established_by", _when(("ESTABLISHES",), None, "in")),
        ("applies_to", _when(("APPLIES_TO",), None, "out")),
    ])
    related.pop("rules_link")  # the rules are given in full below
    return {"scheme": node, "rules": rules, **related}


@router.get("/categories", tags=["categories"], summary="List beneficiary categories")
def list_categories(*, q: QParam = None, model: ModelParam = None, paging: PagingDep,
                    store: StoreDep) -> dict[str, Any]:
    return _search(store, "BeneficiaryCategory", paging, q, None, model)


@router.get("/categories/{category_id}", tags=["categories"],
            summary="One category: who certifies it and the rules that apply to it")
def get_category(*, category_id: IdParam, store: StoreDep) -> dict[str, Any]:
    node, links = neighbourhood(store, "BeneficiaryCategory", category_id, "category")
    rules = [jsonable({**r["rule"], "scheme": {"id": r["scheme_id"], "code": r["scheme_code"],
                                               "name_zh": r["scheme_zh"]}})
             for r in store.read(CATEGORY_RULES, {"id": category_id})]
    related = sections(links, [
        ("certified_by", _when(("CERTIFIES",), None, "in")),
        ("rules_link", _when(("APPLIES_TO",), ("BenefitRule",), "in")),
        ("schemes_and_measures", _when(("APPLIES_TO",), ("Scheme", "Measure"), "in")),
        ("responsible", _when(None, ("Agency",), "in")),
    ])
    related.pop("rules_link")
    return {"category": node, "rules": rules, **related}


@router.get("/documents", tags=["documents"], summary="List source and cited documents")
def list_documents(*, q: QParam = None, model: ModelParam = None, paging: PagingDep,
                   store: StoreDep) -> dict[str, Any]:
    return _search(store, "Document", paging, q, None, model)


@router.get("/documents/{document_id}", tags=["documents"],
            summary="One document: who issued it, what it establishes, what it cites")
def get_document(*, document_id: IdParam, store: StoreDep) -> dict[str, Any]:
    node, links = neighbourhood(store, "Document", document_id, "document")
    return {"document": node, **sections(links, [
        ("issued_by", _when(("ISSUED",), None, "in")),
        ("establishes", _when(("ESTABLISHES",), None, "out")),
        ("cites", _when(("CITES",), None, "out")),
        ("cited_by", _when(("CITES",), None, "in")),
        ("parts", _when(("PART_OF",), None, "in")),
    ])}


@router.get("/measures", tags=["measures"], summary="List measures and duties")
def list_measures(*, q: QParam = None, model: ModelParam = None, paging: PagingDep,
                  store: StoreDep) -> dict[str, Any]:
    return _search(store, "Measure", paging, q, None, model)


@router.get("/measures/{measure_id}", tags=["measures"],
            summary="One measure: the lead and joint agencies, what it establishes")
def get_measure(*, measure_id: IdParam, store: StoreDep) -> dict[str, Any]:
    node, links = neighbourhood(store, "Measure", measure_id, "measure")
    return {"measure": node, **sections(links, [
        ("responsible", _when(("RESPONSIBLE_FOR",), None, "in")),
        ("established_by", _when(("ESTABLISHES",), None, "in")),
        ("establishes", _when(("ESTABLISHES",), None, "out")),
        ("applies_to", _when(("APPLIES_TO",), None, "out")),
        ("part_of", _when(("PART_OF",), None, "out")),
        ("parts", _when(("PART_OF",), None, "in")),
    ])}
