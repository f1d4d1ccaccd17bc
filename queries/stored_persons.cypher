// name: stored_persons
// finds: every person of the loaded case data with what settling them again needs: household,
//   birth year, district, enrolment in basic medical insurance and in huiminbao (any year)
// why: `medgraph whatif` without --city settles the loaded cases again under reforms
//   (docs/whatif.md); the case loader writes an enrolled person's ENROLLED_IN for every year
//   of the data, so one enrolment edge says the person was enrolled
// rows: one row per person: id, household_id, birth_year, district, enrolled, huiminbao
// params: dataset (text, or null for every dataset)
MATCH (p:Person)
WHERE $dataset IS NULL OR p.dataset = $dataset
OPTIONAL MATCH (p)-[:MEMBER_OF]->(h:Household)
RETURN p.id AS id, h.id AS household_id, p.birth_year AS birth_year, p.district AS district,
       EXISTS { MATCH (p)-[:ENROLLED_IN]->(:Scheme {code: 'basic_medical_insurance'}) } AS enrolled,
       EXISTS { MATCH (p)-[:ENROLLED_IN]->(:Scheme {code: 'huiminbao'}) } AS huiminbao
ORDER BY id
