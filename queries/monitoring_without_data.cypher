// name: monitoring_without_data
// finds: bodies charged with monitoring (a MONITORS relation, or responsibility for the dual early
//   warning / active-discovery measure) that receive no data: no SHARES_DATA into them or into a
//   system they operate, and no system they use
// why: 002 二(一) builds the dual early warning (双预警机制) on the 智慧医保 and 大救助 platforms and
//   assigns it to civil affairs, the disabled persons' federation, rural affairs, medical security,
//   data resources, human resources, the trade union and the Red Cross; a monitor that receives no
//   data cannot see who crosses the warning line
// rows: one row per body: id, name_zh, model, duties (ids of what it monitors or is responsible
//   for), source, locator, quote (the provenance of its first duty)
// params: model (text, optional)
MATCH (a:Agency)-[d:MONITORS|RESPONSIBLE_FOR]->(t)
WHERE ($model IS NULL OR a.model = $model)
  AND (type(d) = 'MONITORS'
       OR (t:Measure AND (t.name_zh CONTAINS '预警' OR t.name_zh CONTAINS '监测'
                          OR t.name_zh CONTAINS '主动发现'
                          OR toLower(coalesce(t.name_en, '')) CONTAINS 'warning')))
  AND NOT EXISTS { MATCH ()-[:SHARES_DATA]->(a) }
  AND NOT EXISTS { MATCH (a)-[:USES]->(:InformationSystem) }
  AND NOT EXISTS { MATCH (a)-[:OPERATES]->(:InformationSystem)<-[:SHARES_DATA]-() }
WITH a, d, t ORDER BY t.id
WITH a, collect(t.id) AS duties, collect(d)[0] AS first
RETURN a.id AS id, a.name_zh AS name_zh, a.model AS model, duties,
       first.source AS source, first.locator AS locator, first.quote AS quote
ORDER BY id
