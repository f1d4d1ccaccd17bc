// name: assistance_rates
// finds: the medical-assistance rate and annual cap each beneficiary category gets, per model
// why: the cliff_effect detector compares households without a category with what a category
//   would have paid; 002 二(二) gives the rates (低保 80%, 低边 70%) and the 15万元 cap
// rows: one row per model and category: model, category (code), rate, annual_cap (null when the
//   rule sets none or says no_cap), rule_id, source, locator, quote
// params: model (text, optional)
MATCH (s:Scheme {code: 'medical_assistance'})-[:HAS_RULE]->(r:BenefitRule)
WHERE ($model IS NULL OR s.model = $model) AND r.rate IS NOT NULL
  AND (r.setting IS NULL OR r.setting IN ['all', 'inpatient'])
OPTIONAL MATCH (r)-[:APPLIES_TO]->(c:BeneficiaryCategory)
WITH s, r, coalesce(c.code, r.category_code) AS category
WHERE category IS NOT NULL
RETURN s.model AS model, category, r.rate AS rate,
       CASE WHEN r.no_cap = true THEN null ELSE r.annual_cap END AS annual_cap, r.id AS rule_id,
       r.source AS source, r.locator AS locator, r.quote AS quote
ORDER BY model, category, rate DESC, rule_id
