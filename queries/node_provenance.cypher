// name: node_provenance
// finds: the provenance (source, locator, quote, or assumption and note) of institutional nodes,
//   by id, and of the schemes of given codes
// why: every finding cites the statements it rests on, read from the graph rather than restated
// rows: one row per node: id, name_zh, source, locator, quote, assumption, note
// params: ids (list of text), codes (list of scheme codes, optional), model (text, optional: limits
//   the schemes found by code)
// Each label looked up by id through its index, one OPTIONAL MATCH per label: a label-free
// `MATCH (n)` would scan every node of the store, cases and persons included.
UNWIND coalesce($ids, []) AS wanted
OPTIONAL MATCH (a:Agency {id: wanted})
OPTIONAL MATCH (s:Scheme {id: wanted})
OPTIONAL MATCH (r:BenefitRule {id: wanted})
OPTIONAL MATCH (b:BeneficiaryCategory {id: wanted})
OPTIONAL MATCH (i:InformationSystem {id: wanted})
OPTIONAL MATCH (m:Measure {id: wanted})
OPTIONAL MATCH (p:Problem {id: wanted})
OPTIONAL MATCH (x:Indicator {id: wanted})
OPTIONAL MATCH (f:Fund {id: wanted})
WITH coalesce(a, s, r, b, i, m, p, x, f) AS n
WHERE n IS NOT NULL
RETURN n.id AS id, n.name_zh AS name_zh, n.source AS source, n.locator AS locator,
       n.quote AS quote, n.assumption AS assumption, n.note AS note
UNION
MATCH (n:Scheme)
WHERE n.code IN coalesce($codes, []) AND ($model IS NULL OR n.model = $model)
RETURN n.id AS id, n.name_zh AS name_zh, n.source AS source, n.locator AS locator,
       n.quote AS quote, n.assumption AS assumption, n.note AS note
