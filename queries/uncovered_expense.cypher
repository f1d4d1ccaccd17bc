// name: uncovered_expense
// finds: kinds of medical expense that no scheme of a model pays: care without the required
//   referral (a rule of kind referral_required, or requires_referral), care before certification
//   beyond the look-back window (a rule of kind lookback with lookback_months), and out-of-catalogue
//   costs (目录外费用) when no rule of the model pays them
// why: 002 二(二) excludes unreferred care from medical assistance (未按规定转诊的医疗救助对象，
//   所发生的医疗费用原则上不纳入医疗救助范围) and reaches back only 6 months before certification;
//   000 §4.3 names high out-of-catalogue costs (医保目录外费用较高) as what keeps the poor paying.
//   Whatever falls in these gaps stays with the patient, whichever category they hold
// rows: one row per gap: expense (without_referral | before_certification | out_of_catalogue),
//   id and name_zh of the rule (or of the model when no rule pays out-of-catalogue cost), model,
//   scheme_id, scheme_name_zh, months (the look-back), source, locator, quote (the rule's
//   provenance, or the problem the documents name). Read a row as "this kind of cost is paid by
//   nobody in this model; the cited clause is why"
// params: model (text, optional)
MATCH (s:Scheme)-[:HAS_RULE]->(r:BenefitRule)
WHERE ($model IS NULL OR r.model = $model)
  AND (r.kind = 'referral_required' OR r.requires_referral = true)
RETURN 'without_referral' AS expense, r.id AS id, r.name_zh AS name_zh, r.model AS model,
       s.id AS scheme_id, s.name_zh AS scheme_name_zh, null AS months,
       r.source AS source, r.locator AS locator, r.quote AS quote
UNION ALL
MATCH (s:Scheme)-[:HAS_RULE]->(r:BenefitRule)
WHERE ($model IS NULL OR r.model = $model)
  AND (r.kind = 'lookback' OR r.lookback_months IS NOT NULL)
RETURN 'before_certification' AS expense, r.id AS id, r.name_zh AS name_zh, r.model AS model,
       s.id AS scheme_id, s.name_zh AS scheme_name_zh, r.lookback_months AS months,
       r.source AS source, r.locator AS locator, r.quote AS quote
UNION ALL
// A model with rules but none paying out-of-catalogue cost: cite the problem the documents name
// (a Problem about the catalogue), else the model's first rule as the place the gap shows.
MATCH (s:Scheme)-[:HAS_RULE]->(:BenefitRule)
WHERE ($model IS NULL OR s.model = $model)
WITH DISTINCT s.model AS model
WHERE NOT EXISTS {
  MATCH (:Scheme)-[:HAS_RULE]->(r:BenefitRule)
  WHERE r.model = model
    AND (r.kind CONTAINS 'out_of_catalogue' OR r.name_zh CONTAINS '目录外')
}
OPTIONAL MATCH (p:Problem)
WHERE p.model = model AND (p.code CONTAINS 'catalogue' OR p.name_zh CONTAINS '目录外')
WITH model, p ORDER BY p.id
WITH model, collect(p)[0] AS p
RETURN 'out_of_catalogue' AS expense, model AS id, '目录外费用' AS name_zh, model,
       null AS scheme_id, null AS scheme_name_zh, null AS months,
       p.source AS source, p.locator AS locator, p.quote AS quote
