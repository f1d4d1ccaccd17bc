// name: measure_without_responsible
// finds: measures no agency is responsible for (no incoming RESPONSIBLE_FOR)
// why: 002 三(二) assigns every duty to a department; a measure nobody owns is not carried out
// rows: one row per measure: id, clause, name_zh, model
// params: model (text, optional)
MATCH (m:Measure)
WHERE ($model IS NULL OR m.model = $model)
  AND NOT (:Agency)-[:RESPONSIBLE_FOR]->(m)
RETURN m.id AS id, m.clause AS clause, m.name_zh AS name_zh, m.model AS model
ORDER BY id
