// name: data_sharing_graph
// finds: the data-sharing graph: every information system and every agency that certifies, pays,
//   monitors or touches a system or a data flow, with its outgoing SHARES_DATA, OPERATES and USES
//   relations
// why: 001 三(二) 3.(2) names "information islands" (信息孤岛): assistance run on systems of its own
//   cannot see what was already paid (易造成重复救助、重复报销), and certification by several
//   departments leaves data late (信息传递滞后). analysis/network.py builds the graph from these
//   rows for components, articulation points, bridges and brokers (a variable-length match in
//   openCypher enumerates every trail and does not scale, so path questions are answered there)
// rows: one row per node and outgoing data relation: id, name_zh, label, model, rel (type or null),
//   to (target id or null), data, mode, source, locator, quote (the relation's provenance)
// params: model (text, optional)
// One part per label, so that each scans its label only (a label-free MATCH scans every
// node of the store, persons and cases included).
MATCH (n:InformationSystem)
WHERE $model IS NULL OR n.model = $model
OPTIONAL MATCH (n)-[r:SHARES_DATA|OPERATES|USES]->(m)
WHERE m:InformationSystem OR m:Agency
RETURN n.id AS id, n.name_zh AS name_zh, 'InformationSystem' AS label,
       n.model AS model, type(r) AS rel, m.id AS to, r.data AS data, r.mode AS mode,
       r.source AS source, r.locator AS locator, r.quote AS quote
UNION ALL
MATCH (n:Agency)
WHERE ($model IS NULL OR n.model = $model)
  AND (EXISTS { MATCH (n)-[:SHARES_DATA|OPERATES|USES|CERTIFIES|PAYS|MONITORS]->() }
       OR EXISTS { MATCH (n)<-[:SHARES_DATA]-() })
OPTIONAL MATCH (n)-[r:SHARES_DATA|OPERATES|USES]->(m)
WHERE m:InformationSystem OR m:Agency
RETURN n.id AS id, n.name_zh AS name_zh, 'Agency' AS label,
       n.model AS model, type(r) AS rel, m.id AS to, r.data AS data, r.mode AS mode,
       r.source AS source, r.locator AS locator, r.quote AS quote
