// name: household_catastrophic
// finds: households whose members' combined out-of-pocket cost in a year is above the warning line
//   although no member's own cost is
// why: 001 三(二) 1.(1): thresholds are set per person while the household bears the cost
//   (忽视了家庭才是个人医疗费用的最终承担者); several members each below the threshold can together
//   face catastrophic spending (多个成员的医疗支出总额可能使家庭面临灾难性医疗支出风险). Individual
//   monitoring (002 二(一)) does not see them
// rows: one row per household and year: id, district (its members', null when they differ), size, year, burden (household total), top (the largest
//   member's own burden), members (members with cases)
// params: line (number, yuan), year (integer, optional), model (text, optional)
// Reads the household totals each member's Burden carries (summed by the case loader), not
// every case of every member.
// The store answers `=` from an index but not `>`: the Burdens above the line are those of the
// bands (binary orders of the amount, see docs/schema.md) from the line's up, then filtered.
UNWIND range(CASE WHEN $line < 1 THEN 0 ELSE toInteger(log($line) / log(2)) END, 63) AS band
MATCH (b:Burden {household_band: band})
WHERE b.household_out_of_pocket > $line AND b.household_top <= $line
  AND ($year IS NULL OR b.year = $year) AND ($model IS NULL OR b.model = $model)
WITH DISTINCT b.household AS hid, b.year AS year, b.household_out_of_pocket AS burden,
     b.household_top AS top, b.household_members AS members
MATCH (h:Household {id: hid})
OPTIONAL MATCH (h)<-[:MEMBER_OF]-(m:Person)
WITH h, year, burden, top, members, collect(DISTINCT m.district) AS districts
RETURN h.id AS id, CASE WHEN size(districts) = 1 THEN districts[0] END AS district, h.size AS size,
       year, burden, top, members
ORDER BY burden DESC, id
