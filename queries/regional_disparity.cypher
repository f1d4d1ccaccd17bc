// name: regional_disparity
// finds: what a standard inpatient bill would leave a patient to pay in each city whose basic and
//   critical-illness insurance parameters the model holds (001 Table 3)
// why: 001 三(二) 1.(2): the same illness is protected very differently from city to city
//   (不同区域托底保障补偿标准差异较大); Table 3 gives each city's basic-insurance cap and its
//   critical-illness deductible and cap. Table 3 gives no reimbursement rates, so the comparison
//   uses caps and deductibles only (an assumption: each scheme pays the whole bill between its
//   deductible and its cap); the residual is therefore a floor, and the differences between cities
//   come from the parameters alone
// rows: one row per city and bill: city (the id prefix of the schemes), scheme_id, name_zh, model,
//   bill, basic_cap, basic_deductible, critical_deductible, critical_cap (null = no cap),
//   basic_paid, critical_paid, residual, rule_ids
// params: bills (list of numbers, yuan), model (text, optional)
MATCH (b:Scheme {code: 'basic_medical_insurance'})-[:HAS_RULE]->(rb:BenefitRule)
WHERE ($model IS NULL OR b.model = $model)
WITH b, max(rb.annual_cap) AS basic_cap, max(rb.deductible) AS basic_deductible,
     collect(rb.id) AS basic_rules
WHERE basic_cap IS NOT NULL
WITH b, basic_cap, coalesce(basic_deductible, 0) AS basic_deductible, basic_rules,
     substring(b.id, 0, size(b.id) - size(b.code) - 1) AS city
OPTIONAL MATCH (k:Scheme {code: 'critical_illness_insurance'})-[:HAS_RULE]->(rk:BenefitRule)
WHERE k.id = city + '.critical_illness_insurance'
WITH city, b, basic_cap, basic_deductible, basic_rules, count(rk) AS critical_rules_found,
     max(rk.deductible) AS critical_deductible, max(rk.annual_cap) AS critical_cap,
     collect(rk.id) AS critical_rules
UNWIND $bills AS bill
WITH city, b, basic_cap, basic_deductible, critical_deductible, critical_cap,
     critical_rules_found, basic_rules + critical_rules AS rule_ids, bill,
     CASE WHEN bill <= basic_deductible THEN 0
          WHEN bill - basic_deductible < basic_cap THEN bill - basic_deductible
          ELSE basic_cap END AS basic_paid
WITH city, b, basic_cap, basic_deductible, critical_deductible, critical_cap, rule_ids, bill,
     basic_paid,
     CASE WHEN critical_rules_found = 0 THEN 0
          WHEN bill - basic_paid <= coalesce(critical_deductible, 0) THEN 0
          ELSE bill - basic_paid - coalesce(critical_deductible, 0) END AS over_deductible
WITH city, b, basic_cap, basic_deductible, critical_deductible, critical_cap, rule_ids, bill,
     basic_paid,
     CASE WHEN critical_cap IS NOT NULL AND over_deductible > critical_cap THEN critical_cap
          ELSE over_deductible END AS critical_paid
RETURN city, b.id AS scheme_id, b.name_zh AS name_zh, b.model AS model, bill, basic_cap,
       basic_deductible, critical_deductible, critical_cap, basic_paid, critical_paid,
       bill - basic_paid - critical_paid AS residual, rule_ids
ORDER BY bill, residual DESC, city
