// name: high_residual_burden
// finds: persons whose out-of-pocket cost in a year, after every scheme has paid, is above the
//   warning line
// why: 002 二(一) puts into poverty-by-illness monitoring every insured person whose yearly personal
//   burden after all benefits reaches the warning line (年度内个人负担医疗费用累计达到预警线); the
//   documents do not give the line, so it is a parameter (an assumption, default 20000 yuan)
// rows: one row per person and year: id, district (the person's), year, burden (yuan, summed out_of_pocket), cases,
//   total_cost; highest burden first
// params: line (number, yuan), year (integer, optional), model (text, optional)
// Reads the Burden the case loader sums per person and year, not every case: at a million
// persons grouping four million cases took the store tens of seconds.
// The store answers `=` from an index but not `>`: the Burdens above the line are those of the
// bands (binary orders of the amount, see docs/schema.md) from the line's up, then filtered.
UNWIND range(CASE WHEN $line < 1 THEN 0 ELSE toInteger(log($line) / log(2)) END, 63) AS band
MATCH (b:Burden {band: band})
WHERE b.out_of_pocket > $line AND ($year IS NULL OR b.year = $year)
  AND ($model IS NULL OR b.model = $model)
OPTIONAL MATCH (p:Person {id: b.person})
RETURN b.person AS id, p.district AS district, b.year AS year, b.out_of_pocket AS burden, b.cases AS cases,
       b.total_cost AS total_cost
ORDER BY burden DESC, id
