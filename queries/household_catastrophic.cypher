// name: household_catastrophic
// finds: households whose members' combined out-of-pocket cost in a year is above the warning line
//   although no member's own cost is
// why: 001 三(二) 1.(1): thresholds are set per person while the household bears the cost
//   (忽视了家庭才是个人医疗费用的最终承担者); several members each below the threshold can together
//   face catastrophic spending (多个成员的医疗支出总额可能使家庭面临灾难性医疗支出风险). Individual
//   monitoring (002 二(一)) does not see them
// rows: one row per household and year: id, size, year, burden (household total), top (the largest
//   member's own burden), members (members with cases)
// params: line (number, yuan), year (integer, optional), model (text, optional)
MATCH (h:Household)<-[:MEMBER_OF]-(p:Person)-[:HAS_CASE]->(c:Case)
WHERE ($year IS NULL OR c.year = $year) AND ($model IS NULL OR p.model = $model)
// Grouped by ids, not by nodes: a grouping key that is a node holds the whole record in the
// store's query heap, and at city scale that ran past the embedded store's query budget.
WITH h.id AS hid, p.id AS pid, c.year AS year, sum(c.out_of_pocket) AS own
WITH hid, year, sum(own) AS burden, max(own) AS top, count(pid) AS members
WHERE burden > $line AND top <= $line
MATCH (h:Household {id: hid})
RETURN h.id AS id, h.size AS size, year, burden, top, members
ORDER BY burden DESC, id
