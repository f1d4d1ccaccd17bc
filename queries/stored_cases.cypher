// name: stored_cases
// finds: every case of the loaded case data with what settling it again needs, and the
//   payments the data gave (a SETTLED_BY whose explanation says given: real settlement data)
// why: `medgraph whatif` without --city settles the loaded cases again under reforms
//   (docs/whatif.md); what the engine computed is computed again, what the data gave is kept
// rows: one row per case of the persons of $ids (of dataset $dataset): id, person_id, date,
//   setting, total_cost, policy_scope_cost, referred, facility_level, given (a list of
//   {scheme, amount})
// params: ids (a list of person ids), dataset (text, or null for every dataset)
UNWIND $ids AS wanted
MATCH (p:Person {id: wanted})-[:HAS_CASE]->(c:Case)
WHERE $dataset IS NULL OR c.dataset = $dataset
OPTIONAL MATCH (c)-[s:SETTLED_BY]->(scheme:Scheme)
WHERE s.explanation CONTAINS '"given": true'
WITH p, c, collect(CASE WHEN scheme IS NULL THEN NULL
                        ELSE {scheme: scheme.code, amount: s.amount} END) AS given
RETURN c.id AS id, p.id AS person_id, c.date AS date, c.setting AS setting,
       c.total_cost AS total_cost, c.policy_scope_cost AS policy_scope_cost,
       c.referred AS referred, c.facility_level AS facility_level, given
