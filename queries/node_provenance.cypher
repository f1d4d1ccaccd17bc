// name: node_provenance
// finds: the provenance (source, locator, quote, or assumption and note) of institutional nodes,
//   by id, and of the schemes of given codes
// why: every finding cites the statements it rests on, read from the graph rather than restated
// rows: one row per node: id, name_zh, source, locator, quote, assumption, note
// params: ids (list of text), codes (list of scheme codes, optional), model (text, optional: limits
//   the schemes found by code)
MATCH (n)
WHERE (n:Agency OR n:Scheme OR n:BenefitRule OR n:BeneficiaryCategory OR n:InformationSystem
       OR n:Measure OR n:Problem OR n:Indicator OR n:Fund)
  AND (n.id IN $ids
       OR (n:Scheme AND n.code IN coalesce($codes, [])
           AND ($model IS NULL OR n.model = $model)))
RETURN n.id AS id, n.name_zh AS name_zh, n.source AS source, n.locator AS locator,
       n.quote AS quote, n.assumption AS assumption, n.note AS note
ORDER BY id
