// name: high_residual_burden
// finds: persons whose out-of-pocket cost in a year, after every scheme has paid, is above the
//   warning line
// why: 002 二(一) puts into poverty-by-illness monitoring every insured person whose yearly personal
//   burden after all benefits reaches the warning line (年度内个人负担医疗费用累计达到预警线); the
//   documents do not give the line, so it is a parameter (an assumption, default 20000 yuan)
// rows: one row per person and year: id, year, burden (yuan, summed out_of_pocket), cases,
//   total_cost; highest burden first
// params: line (number, yuan), year (integer, optional), model (text, optional)
MATCH (p:Person)-[:HAS_CASE]->(c:Case)
WHERE ($year IS NULL OR c.year = $year) AND ($model IS NULL OR p.model = $model)
// Grouped by id, not by node: lighter on the store's query heap at city scale.
WITH p.id AS id, c.year AS year, sum(c.out_of_pocket) AS burden, count(c) AS cases,
     sum(c.total_cost) AS total_cost
WHERE burden > $line
RETURN id, year, burden, cases, total_cost
ORDER BY burden DESC, id
