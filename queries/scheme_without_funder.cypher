// name: scheme_without_funder
// finds: schemes that no body, jurisdiction or fund finances (no incoming FUNDS)
// why: a scheme nobody funds cannot pay; Hu & Wang (001 Table 1) define every tier by who finances and manages it
// rows: one row per scheme: id, name_zh, model
// params: model (text, optional: limit to one model)
MATCH (s:Scheme)
WHERE ($model IS NULL OR s.model = $model)
  // Each kind of funder by its label: an anonymous `()-[:FUNDS]->(s)` makes the embedded
  // store walk every relationship into the scheme, every settled case included.
  AND NOT (:Agency)-[:FUNDS]->(s)
  AND NOT (:Jurisdiction)-[:FUNDS]->(s)
  AND NOT (:BeneficiaryCategory)-[:FUNDS]->(s)
  AND NOT (:Fund)-[:FUNDS|PAYS]->(s)
RETURN s.id AS id, s.name_zh AS name_zh, s.model AS model
ORDER BY id
