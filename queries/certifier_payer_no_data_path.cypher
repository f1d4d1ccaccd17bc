// name: certifier_payer_no_data_path
// finds: a beneficiary category certified by one body and paid on by another: the candidate pairs,
//   which analysis/findings.py keeps when no path of SHARES_DATA, OPERATES or USES joins the two
//   bodies in the data-sharing graph
// why: 003 一(四): civil affairs approves the recipients while the medical security bureau manages
//   the funds (民政部门主要负责审批医疗救助对象，医保部门负责医保基金筹集与管理); 001 三(二) 3.(2):
//   certification is spread over departments whose data exchange is limited (多部门间的信息交换在一些
//   地方仍面临一些限制和障碍). Without a data path the payer cannot learn that a certificate was
//   granted or withdrawn
// rows: one row per certifier, payer, category and scheme: certifier, certifier_name_zh, payer,
//   payer_name_zh, category, category_name_zh, scheme, scheme_name_zh, model, and the provenance of
//   the CERTIFIES relation (c_source, c_locator, c_quote) and of the PAYS relation (p_source,
//   p_locator, p_quote)
// params: model (text, optional)
MATCH (cert:Agency)-[cr:CERTIFIES]->(cat:BeneficiaryCategory)
WHERE $model IS NULL OR cert.model = $model
MATCH (s:Scheme)
WHERE s.model = cert.model
  AND ((s)-[:APPLIES_TO]->(cat)
       OR EXISTS { MATCH (s)-[:HAS_RULE]->(:BenefitRule)-[:APPLIES_TO]->(cat) })
MATCH (payer:Agency)-[pr:PAYS]->(s)
WHERE payer.id <> cert.id
RETURN DISTINCT cert.id AS certifier, cert.name_zh AS certifier_name_zh,
       payer.id AS payer, payer.name_zh AS payer_name_zh,
       cat.id AS category, cat.name_zh AS category_name_zh,
       s.id AS scheme, s.name_zh AS scheme_name_zh, s.model AS model,
       cr.source AS c_source, cr.locator AS c_locator, cr.quote AS c_quote,
       pr.source AS p_source, pr.locator AS p_locator, pr.quote AS p_quote
ORDER BY certifier, payer, category, scheme
