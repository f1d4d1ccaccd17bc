// name: warning_line
// finds: what the model says about the early-warning line: a rule of kind warning_line, an
//   indicator about the warning line, or the early-warning measure itself, with the threshold in
//   yuan when one is given
// why: 002 二(一) monitors whoever's yearly personal burden reaches the warning line (预警线) but
//   does not set it; the high_residual_burden and household_catastrophic detectors use the model's
//   threshold when it carries one, else a parameter
// rows: one row per node: id, name_zh, threshold (yuan or null), source, locator, quote, assumption,
//   note
// params: model (text, optional)
// One part per label: a label-free MATCH would scan every node of the store.
MATCH (n:BenefitRule)
WHERE ($model IS NULL OR n.model = $model) AND n.kind = 'warning_line'
RETURN n.id AS id, n.name_zh AS name_zh, n.threshold AS threshold,
       n.source AS source, n.locator AS locator, n.quote AS quote, n.assumption AS assumption,
       n.note AS note
UNION ALL
MATCH (n:Indicator)
WHERE ($model IS NULL OR n.model = $model)
  AND (n.code CONTAINS 'warning' OR n.name_zh CONTAINS '预警线')
RETURN n.id AS id, n.name_zh AS name_zh, CASE WHEN n.unit = 'yuan' THEN coalesce(n.target, n.value) END AS threshold,
       n.source AS source, n.locator AS locator, n.quote AS quote, n.assumption AS assumption,
       n.note AS note
UNION ALL
MATCH (n:Measure)
WHERE ($model IS NULL OR n.model = $model) AND n.name_zh CONTAINS '预警'
RETURN n.id AS id, n.name_zh AS name_zh, null AS threshold,
       n.source AS source, n.locator AS locator, n.quote AS quote, n.assumption AS assumption,
       n.note AS note
