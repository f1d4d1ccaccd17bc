// name: case_nodes
// finds: the properties and label of the nodes an accountability trace names (ids given)
// why: the trace (trace_case) names bodies, funds and schemes by id and Chinese name; the case view also needs their kind, English name and citation to colour them and explain them on hover
// rows: one row per node: n (its properties), label
// params: ids (list of text)
MATCH (n)
WHERE n.id IN $ids
RETURN n {.*} AS n, labels(n)[0] AS label
ORDER BY n.id
