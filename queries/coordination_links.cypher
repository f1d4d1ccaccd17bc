// name: coordination_links
// finds: the coordination network of a model: who answers to whom (REPORTS_TO) and who coordinates with whom (COORDINATES_WITH)
// why: 000 §3.3 Fig. 2: the health commission leads; the medical insurance bureau, the poverty-alleviation office and the Red Cross answer to it and coordinate with each other; hospitals, insurers, finance, civil affairs and charity foundations carry out the work. The coordination view draws it in these tiers
// rows: one row per link: a (the agency's properties), a_label, type, rel (the relation's properties, provenance included), b, b_label
// params: model (text, optional)
MATCH (a:Agency)-[r:REPORTS_TO|COORDINATES_WITH]->(b:Agency)
WHERE $model IS NULL OR r.model = $model
RETURN a {.*} AS a, 'Agency' AS a_label, type(r) AS type, properties(r) AS rel,
       b {.*} AS b, 'Agency' AS b_label
ORDER BY a.id, type, b.id
