// name: case_facts
// finds: what one case itself says: its details, the patient and household, what each scheme
//   paid, and the categories the patient held; the first half of trace_case
// why: trace_case answers who FUNDS, CERTIFIES, PAYS and SUPERVISES a case in one statement.
//   Only this half depends on the case; the other (scheme_accountability) depends only on the
//   schemes that paid, so the API answers it once for many cases (analysis/trace.py)
// rows: one row (none when no case has the id): details, person_id, household_id, payments
//   (as in trace_case), models (of the paying schemes), schemes (their ids), held (each category
//   held: category_code, category_zh, certificate_zh, valid_from, valid_to, due_to_illness,
//   valid_on_date)
// params: case_id (text)
MATCH (c:Case {id: $case_id})
OPTIONAL MATCH (person:Person)-[:HAS_CASE]->(c)
OPTIONAL MATCH (person)-[:MEMBER_OF]->(household:Household)
CALL (c) {
  OPTIONAL MATCH (c)-[s:SETTLED_BY]->(scheme:Scheme)
  WITH scheme, s ORDER BY scheme.order
  RETURN collect(CASE WHEN scheme IS NULL THEN NULL ELSE {
    scheme_id: scheme.id, scheme_code: scheme.code, scheme_zh: scheme.name_zh,
    amount: s.amount, rule_id: s.rule_id, explanation: s.explanation,
    contested_by: scheme.contested_by
  } END) AS payments, collect(DISTINCT scheme.model) AS models,
     collect(DISTINCT scheme.id) AS schemes
}
CALL (c, person) {
  OPTIONAL MATCH (person)-[held:HOLDS]->(category:BeneficiaryCategory)
  WITH c, held, category WHERE held IS NOT NULL
  RETURN collect({
    category_code: category.code, category_zh: category.name_zh,
    certificate_zh: category.certificate_zh,
    valid_from: held.valid_from, valid_to: held.valid_to, due_to_illness: held.due_to_illness,
    valid_on_date: held.valid_from <= c.date AND c.date <= held.valid_to
  }) AS held
}
RETURN c {.*} AS details, person.id AS person_id, household.id AS household_id,
       payments, models, schemes, held
