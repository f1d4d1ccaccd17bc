// name: stored_persons
// finds: persons of the loaded case data with what settling them again needs: household,
//   birth year, district, enrolment in basic medical insurance and in huiminbao (any year)
// why: `medgraph whatif` without --city settles the loaded cases again under reforms
//   (docs/whatif.md); the case loader writes an enrolled person's ENROLLED_IN for every year
//   of the data, so one enrolment edge says the person was enrolled. Read a batch of persons
//   at a time (loaders/stored_input.py): one read of a whole city would pass the store's cap
// rows: one row per person of $ids: id, household_id, birth_year, district, enrolled, huiminbao
// params: ids (a list of person ids)
UNWIND $ids AS wanted
MATCH (p:Person {id: wanted})
OPTIONAL MATCH (p)-[:MEMBER_OF]->(h:Household)
OPTIONAL MATCH (p)-[:ENROLLED_IN]->(s:Scheme)
WITH p, h, collect(DISTINCT s.code) AS enrolled_in
RETURN p.id AS id, h.id AS household_id, p.birth_year AS birth_year, p.district AS district,
       'basic_medical_insurance' IN enrolled_in AS enrolled,
       'huiminbao' IN enrolled_in AS huiminbao
