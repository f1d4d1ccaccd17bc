// name: duplicate_payment
// finds: cases settled by more than one scheme whose settlements add up to more than the bill
//   (overpaid), and the schemes that settle the same cases; analysis/findings.py turns the groups into overpaid cases and into
//   co-settling pairs of schemes, and keeps the pairs whose payers no data path joins
// why: 000 §4.2 and 001 三(二) 3.(2): without shared settlement data, payers pay twice or pay more
//   than the expense (重复救助、超额救助、重复报销)
// rows: one row per group of cases and scheme paying in it: overpaid (the case id when the group
//   is one overpaid case, else null), schemes (the schemes that paid the group's cases), scheme,
//   payers (agency ids that pay `scheme`), cases (how many), total_cost (their bills), amount
//   (what `scheme` paid on them)
// params: model (text, optional: the model of the case data)
// A case two schemes settle is settled by at least one that is not basic insurance: the
// walk starts from those settlements (a few percent of all) rather than from every case, and
// reads each such case's settlements as a list, so the store holds only the groups (a few
// dozen), not a row per case. A case reached from two of them is kept once, from the one
// with the smallest id.
MATCH (x:Scheme)<-[r:SETTLED_BY]-(c:Case)
WHERE x.code <> 'basic_medical_insurance' AND r.amount > 0
  AND ($model IS NULL OR c.model = $model)
WITH x, c, [(c)-[s:SETTLED_BY]->(y:Scheme) WHERE s.amount > 0 | [y.id, s.amount, y.code]] AS settled
WHERE size(settled) > 1
  AND x.id = reduce(first = x.id, e IN settled |
                    CASE WHEN e[2] <> 'basic_medical_insurance' AND e[0] < first THEN e[0]
                         ELSE first END)
WITH c, settled, reduce(total = 0.0, e IN settled | total + e[1]) AS paid
WITH c, settled, CASE WHEN paid > c.total_cost + 0.01 THEN c.id END AS overpaid
UNWIND settled AS e
WITH overpaid, [x IN settled | x[0]] AS schemes, e[0] AS scheme, count(*) AS cases,
     sum(c.total_cost) AS total_cost, sum(e[1]) AS amount
MATCH (s:Scheme {id: scheme})
RETURN overpaid, schemes, scheme, [(a:Agency)-[:PAYS]->(s) | a.id] AS payers, cases,
       total_cost, amount
