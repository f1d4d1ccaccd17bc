// name: conflicts
// finds: the places where two passages of the documents disagree, with both statements, their sources, clauses and quotes, how the model settles it, the nodes it touches and how many statements of the model are marked contested by it
// why: a fact another passage contradicts (000 Fig. 2: the health commission leads; 002 三(二): 医疗保障部门负责牵头) must not be read as settled policy; the graph keeps both and says which is used
// rows: one row per conflict: id, name_zh, model, subject, statement_a, source_a, locator_a, quote_a, statement_b, source_b, locator_b, quote_b, resolution, touches (node ids), contested (number of relations marked contested_by it)
// params: model (text, optional)
MATCH (c:Conflict)
WHERE ($model IS NULL OR c.model = $model)
OPTIONAL MATCH (c)-[:CONTESTS]->(n)
WITH c, collect(DISTINCT n.id) AS touches
// the institutional relationship types only: case data (SETTLED_BY, HOLDS, ...) is never
// contested and would make this a walk through the whole city
OPTIONAL MATCH ()-[r:REPORTS_TO|RESPONSIBLE_FOR|COORDINATES_WITH|FUNDS|PAYS|SUPERVISES|CERTIFIES|MONITORS|ADMINISTERS|MANAGES|SHARES_DATA|APPLIES_TO|HAS_RULE|SERVES|ESTABLISHES]->()
WHERE r.contested_by = c.id
RETURN c.id AS id, c.name_zh AS name_zh, c.model AS model, c.subject AS subject,
       c.statement_a AS statement_a, c.source_a AS source_a, c.locator_a AS locator_a,
       c.quote_a AS quote_a, c.statement_b AS statement_b, c.source_b AS source_b,
       c.locator_b AS locator_b, c.quote_b AS quote_b, c.resolution AS resolution,
       touches, count(r) AS contested
ORDER BY id
