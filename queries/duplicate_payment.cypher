// name: duplicate_payment
// finds: cases whose settlements add up to more than the bill (kind overpaid), and pairs of schemes
//   that settle the same cases (kind co_settled) with the bodies that pay each;
//   analysis/findings.py keeps the co-settling pairs whose payers no data path joins
// why: 000 §4.2 and 001 三(二) 3.(2): without shared settlement data, payers pay twice or pay more
//   than the expense (重复救助、超额救助、重复报销)
// rows: kind, case_id (case id for overpaid, null for co_settled), scheme_a, scheme_b (null for
//   overpaid), payers_a, payers_b (agency ids), cases (how many), total_cost, paid (sum settled)
// params: model (text, optional: the model of the case data)
MATCH (c:Case)-[s:SETTLED_BY]->(:Scheme)
WHERE $model IS NULL OR c.model = $model
WITH c, sum(s.amount) AS paid
WHERE paid > c.total_cost + 0.01
RETURN 'overpaid' AS kind, c.id AS case_id, null AS scheme_a, null AS scheme_b, [] AS payers_a,
       [] AS payers_b, 1 AS cases, c.total_cost AS total_cost, paid
UNION ALL
MATCH (s1:Scheme)<-[r1:SETTLED_BY]-(c:Case)-[r2:SETTLED_BY]->(s2:Scheme)
WHERE ($model IS NULL OR c.model = $model) AND s1.id < s2.id AND r1.amount > 0
  AND r2.amount > 0
WITH s1, s2, count(DISTINCT c) AS cases, sum(c.total_cost) AS total_cost,
     sum(r1.amount + r2.amount) AS paid
RETURN 'co_settled' AS kind, null AS case_id, s1.id AS scheme_a, s2.id AS scheme_b,
       [(a:Agency)-[:PAYS]->(s1) | a.id] AS payers_a, [(a:Agency)-[:PAYS]->(s2) | a.id] AS payers_b,
       cases, total_cost, paid
