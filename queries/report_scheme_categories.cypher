// name: report_scheme_categories
// finds: the schemes of a model and the beneficiary categories their rules apply to
// why: the report's summary says, scheme by scheme, who funds, certifies, pays and supervises
//   it (000 §4, 001 三(二)); who certifies depends on the categories the scheme serves
// rows: one row per scheme: id, code, name_zh, name_en, categories (category codes)
// params: model (text, optional)
// From the scheme outwards only: a scheme is a supernode for its incoming SETTLED_BY.
MATCH (s:Scheme)
WHERE $model IS NULL OR s.model = $model
OPTIONAL MATCH (s)-[:HAS_RULE]->(:BenefitRule)-[:APPLIES_TO]->(c:BeneficiaryCategory)
WITH s, collect(DISTINCT c.code) AS by_rule
OPTIONAL MATCH (s)-[:APPLIES_TO]->(d:BeneficiaryCategory)
WITH s, by_rule, collect(DISTINCT d.code) AS direct
RETURN s.id AS id, s.code AS code, s.name_zh AS name_zh, s.name_en AS name_en,
       by_rule + [x IN direct WHERE NOT x IN by_rule] AS categories
ORDER BY id
