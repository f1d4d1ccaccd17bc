// name: responsibility_matrix
// finds: which agency leads (lead) or shares (joint) each measure of a model
// why: 000 §3.1.1 lists 14 measures each with the departments responsible (各级医保、财政、卫生健康等部门按职责分工负责); 002 三 assigns the four measures. The responsibility view prints agencies × measures
// rows: one row per responsibility: agency_id, agency_zh, agency_en, kind, level, measure_id, clause, measure_zh, measure_en, role, source, locator, quote, assumption, note, contested_by (the Conflict another passage raises, or null)
// params: model (text, optional)
MATCH (a:Agency)-[r:RESPONSIBLE_FOR]->(m:Measure)
WHERE $model IS NULL OR r.model = $model
RETURN a.id AS agency_id, a.name_zh AS agency_zh, a.name_en AS agency_en, a.kind AS kind,
       a.level AS level, m.id AS measure_id, m.clause AS clause, m.name_zh AS measure_zh,
       m.name_en AS measure_en, r.role AS role, r.source AS source, r.locator AS locator,
       r.quote AS quote, r.assumption AS assumption, r.note AS note,
       r.contested_by AS contested_by
ORDER BY measure_id, agency_id
