// name: stored_certificates
// finds: every certificate the persons of the loaded case data hold, with its dates
// why: `medgraph whatif` without --city settles the loaded cases again (docs/whatif.md): the
//   category held on the date of care decides what assistance pays
// rows: one row per certificate of the persons of $ids: person_id, category, valid_from,
//   valid_to, due_to_illness
// params: ids (a list of person ids)
UNWIND $ids AS wanted
MATCH (p:Person {id: wanted})-[held:HOLDS]->(category:BeneficiaryCategory)
RETURN p.id AS person_id, category.code AS category, held.valid_from AS valid_from,
       held.valid_to AS valid_to, held.due_to_illness AS due_to_illness
