// name: isolated_system
// finds: information systems that share data with nothing and that at most one agency operates or
//   uses: a database only its own owner reads
// why: 001 三(二) 3.(2): medical assistance and the other schemes still use separate systems
//   (医疗救助与其他制度仍使用独立的信息系统), so past assistance cannot be checked when a claim is
//   settled, which leads to duplicate assistance (易造成重复救助、重复报销)
// rows: one row per system: id, name_zh, model, users (ids of agencies operating or using it),
//   source, locator, quote
// params: model (text, optional)
MATCH (s:InformationSystem)
WHERE ($model IS NULL OR s.model = $model)
  AND NOT (s)-[:SHARES_DATA]-()
  AND COUNT { MATCH (a:Agency)-[:OPERATES|USES]->(s) RETURN DISTINCT a } <= 1
RETURN s.id AS id, s.name_zh AS name_zh, s.model AS model,
       [(a:Agency)-[:OPERATES|USES]->(s) | a.id] AS users,
       s.source AS source, s.locator AS locator, s.quote AS quote
ORDER BY id
