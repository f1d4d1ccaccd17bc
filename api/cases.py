"""The accountability trace of a case, and (analysts only) a pseudonymous person's record.

Readers see a case without the ids of its person and household; analysts see them, and each
person-level lookup is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from medgraph.analysis.trace import AccountabilityCache, trace_case
from medgraph.api.common import CitedJSONResponse, jsonable
from medgraph.api.deps import AnalystKey, AuditDep, ReaderKey, StoreDep
from medgraph.api.errors import not_found

router = APIRouter()
# Who funds, pays, supervises and certifies around a set of schemes, shared by every case they
# paid: kept for 10 s, and dropped at once when this server loads a model.
ACCOUNTABILITY = AccountabilityCache(ttl=10.0)

PERSON = """
MATCH (p:Person {id: $id})
OPTIONAL MATCH (p)-[:MEMBER_OF]->(h:Household)
CALL (p) {
  OPTIONAL MATCH (p)-[held:HOLDS]->(k:BeneficiaryCategory)
  RETURN collect(CASE WHEN k IS NULL THEN NULL ELSE {
    code: k.code, name_zh: k.name_zh, valid_from: held.valid_from, valid_to: held.valid_to,
    due_to_illness: held.due_to_illness} END) AS categories
}
CALL (p) {
  OPTIONAL MATCH (p)-[e:ENROLLED_IN]->(s:Scheme)
  RETURN collect(CASE WHEN s IS NULL THEN NULL ELSE {scheme_id: s.id, year: e.year} END)
         AS enrolments
}
CALL (p) {
  OPTIONAL MATCH (p)-[:HAS_CASE]->(c:Case)
  WITH c ORDER BY c.date
  RETURN collect(CASE WHEN c IS NULL THEN NULL ELSE {
    id: c.id, date: c.date, setting: c.setting, total_cost: c.total_cost,
    out_of_pocket: c.out_of_pocket} END) AS cases
}
RETURN p {.*} AS person, h.id AS household_id, categories, enrolments, cases
"""


@router.get("/cases/{case_id}/accountability", tags=["cases"],
            response_model=dict[str, Any],
            summary="Who funds, certifies, pays and supervises one case, each line cited")
def accountability(*, case_id: str = Path(..., max_length=300),
                   key: ReaderKey,
                   store: StoreDep) -> CitedJSONResponse:
    """The same content as `medgraph trace CASE_ID --format json`."""
    trace = jsonable(trace_case(store, case_id, ACCOUNTABILITY))
    if not key.allows("analyst"):
        trace["case"]["person_id"] = trace["case"]["household_id"] = None
        trace["redacted"] = ["case.person_id", "case.household_id"]
    # Already JSON values: answered as they are (see CitedJSONResponse).
    return CitedJSONResponse(trace)


@router.get("/persons/{person_id}", tags=["cases"],
            summary="A pseudonymous person: household, categories held, enrolment, cases "
                    "(analyst)")
def person(*, person_id: str = Path(..., max_length=300), key: AnalystKey,
           store: StoreDep,
           audit: AuditDep) -> dict[str, Any]:
    rows = audit.read(store, key, "person", "PERSON", PERSON, {"id": person_id})
    if not rows:
        raise not_found("person", person_id)
    row = rows[0]
    return jsonable({"person": row["person"], "household_id": row["household_id"],
                     **{k: [x for x in row[k] if x] for k in ("categories", "enrolments",
                                                               "cases")}})
