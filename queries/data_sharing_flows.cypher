// name: data_sharing_flows
// finds: information systems and the agencies that certify, pay, monitor or move data, with their SHARES_DATA, OPERATES and USES links (a node without links comes once with type null)
// why: 001 三(二) names information islands (信息孤岛) and 000 §4 duplicate aid for want of shared information; the data-sharing view draws the network and marks its islands and single points of failure. Same scope as data_sharing_graph, so the picture and the findings agree
// rows: one row per node and outgoing link: a, a_label, type (or null), rel (or null), b (or null), b_label
// params: model (text, optional)
MATCH (a)
WHERE (a:InformationSystem OR a:Agency) AND ($model IS NULL OR a.model = $model)
  AND (a:InformationSystem
       OR EXISTS { MATCH (a)-[:SHARES_DATA|OPERATES|USES|CERTIFIES|PAYS|MONITORS]->() }
       OR EXISTS { MATCH (a)<-[:SHARES_DATA]-() })
OPTIONAL MATCH (a)-[r:SHARES_DATA|OPERATES|USES]->(b)
WHERE b:InformationSystem OR b:Agency
RETURN a {.*} AS a, labels(a)[0] AS a_label, type(r) AS type,
       CASE WHEN r IS NULL THEN NULL ELSE properties(r) END AS rel,
       CASE WHEN b IS NULL THEN NULL ELSE b {.*} END AS b,
       CASE WHEN b IS NULL THEN NULL ELSE labels(b)[0] END AS b_label
ORDER BY a.id, type, b.id
