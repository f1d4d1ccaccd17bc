// name: scheme_without_supervisor
// finds: schemes that no body supervises, directly or through the fund that pays them
// why: 003 describes supervision before, during and after payment as the safeguard against misuse; a scheme without a supervisor has none
// rows: one row per scheme: id, name_zh, model
// params: model (text, optional)
MATCH (s:Scheme)
WHERE ($model IS NULL OR s.model = $model)
  AND NOT (:Agency)-[:SUPERVISES]->(s)
  AND NOT ((:Agency)-[:SUPERVISES]->(:Fund)-[:FUNDS|PAYS]->(s))
RETURN s.id AS id, s.name_zh AS name_zh, s.model AS model
ORDER BY id
