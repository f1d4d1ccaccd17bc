// name: scheme_without_administrator
// finds: schemes with no body that administers or pays them (no ADMINISTERS, no PAYS)
// why: 000 §4 and 001 三(二) complain that no one is seen to be accountable for a case; a scheme nobody runs is where accountability starts to leak
// rows: one row per scheme: id, name_zh, model
// params: model (text, optional)
MATCH (s:Scheme)
WHERE ($model IS NULL OR s.model = $model)
  AND NOT (:Agency)-[:ADMINISTERS]->(s)
  AND NOT (:Agency)-[:PAYS]->(s)
RETURN s.id AS id, s.name_zh AS name_zh, s.model AS model
ORDER BY id
