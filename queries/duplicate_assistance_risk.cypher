// name: duplicate_assistance_risk
// finds: the bodies that pay on what remains after insurance (medical assistance, special
//   assistance, huiminbao, charity, or paying a category or a case directly), and the bodies a
//   documented duplicate-assistance problem involves; analysis/findings.py pairs them and keeps the
//   pairs no data path joins
// why: 000 §4.2: after basic, critical-illness, assistance and commercial insurance, 医保、民政、
//   慈善总会、红十字会、残联、乡镇(街道)、社会慈善基金 each give aid again, and since the
//   information is not shared (救助信息未实现共享) duplicate and excess assistance follow
//   (重复救助、超额救助). "先保险后救助" (002 二(二)) means all of them pay on the same remainder
// rows: one row per body and what it pays on: id, name_zh, model, what (id of the scheme, category,
//   case or problem), what_name_zh, via (PAYS or INVOLVES), source, locator, quote
// params: model (text, optional)
MATCH (a:Agency)-[r:PAYS]->(x)
WHERE ($model IS NULL OR a.model = $model)
  AND ((x:Scheme AND (x.tier IN ['core', 'supplement']
                      OR x.code IN ['medical_assistance', 'special_assistance', 'huiminbao',
                                    'charity_assistance']))
       OR x:BeneficiaryCategory OR x:Case)
RETURN a.id AS id, a.name_zh AS name_zh, a.model AS model, x.id AS what,
       x.name_zh AS what_name_zh, 'PAYS' AS via,
       r.source AS source, r.locator AS locator, r.quote AS quote
UNION ALL
MATCH (p:Problem)-[r:INVOLVES]->(a:Agency)
WHERE ($model IS NULL OR a.model = $model)
  AND (p.code CONTAINS 'duplicate' OR p.name_zh CONTAINS '重复')
RETURN a.id AS id, a.name_zh AS name_zh, a.model AS model, p.id AS what,
       p.name_zh AS what_name_zh, 'INVOLVES' AS via,
       r.source AS source, r.locator AS locator, r.quote AS quote
