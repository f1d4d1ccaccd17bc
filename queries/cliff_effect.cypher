// name: cliff_effect
// finds: households holding no assistance category whose yearly out-of-pocket cost is above the
//   warning line, with what the minimum_living and marginal_low_income categories would have left
//   them (the cliff at the eligibility line)
// why: 001 三(二) 1.(1): people just above the minimum-living or registration lines face a cliff
//   (处于建档立卡、低保等标准边缘的人群会面临托底保障的“悬崖效应”). The rates and caps come from
//   the model's medical-assistance rules (002 二(二): 低保 80%, 低边 70%, 15万元 cap), read by
//   analysis/findings.py and passed as parameters. Assumption: assistance would pay its rate on the
//   policy-scope part of each case's out-of-pocket cost (a Burden's `eligible`: out_of_pocket
//   minus the out-of-catalogue cost, total_cost - policy_scope_cost), per person, up to the
//   person's cap
// rows: one row per household and year: id, district (its members', null when they differ), size, year, burden, residual_minimum_living,
//   residual_marginal (what each category would have left the household), members
// params: line (number), rate_min, cap_min, rate_marg, cap_marg (numbers; a null cap = no cap),
//   year (integer, optional), model (text, optional)
// Reads the members' Burdens (summed per person and year by the case loader), not every case.
// The store answers `=` from an index but not `>`: the Burdens above the line are those of the
// bands (binary orders of the amount, see docs/schema.md) from the line's up, then filtered.
UNWIND range(CASE WHEN $line < 1 THEN 0 ELSE toInteger(log($line) / log(2)) END, 63) AS band
MATCH (b:Burden {household_band: band})
WHERE b.household_out_of_pocket > $line
  AND ($year IS NULL OR b.year = $year) AND ($model IS NULL OR b.model = $model)
WITH b.household AS hid, b.year AS year, b.out_of_pocket AS own,
     CASE WHEN $cap_min IS NULL OR b.eligible * $rate_min < $cap_min
          THEN b.eligible * $rate_min ELSE $cap_min END AS paid_min,
     CASE WHEN $cap_marg IS NULL OR b.eligible * $rate_marg < $cap_marg
          THEN b.eligible * $rate_marg ELSE $cap_marg END AS paid_marg
WITH hid, year, sum(own) AS burden, sum(own - paid_min) AS residual_minimum_living,
     sum(own - paid_marg) AS residual_marginal, count(*) AS members
MATCH (h:Household {id: hid})
WHERE NOT EXISTS {
    MATCH (h)<-[:MEMBER_OF]-(:Person)-[k:HOLDS]->(cat:BeneficiaryCategory)
    WHERE cat.code <> 'general_enrollee'
      AND (k.valid_from IS NULL OR toString(k.valid_from) <= toString(year) + '-12-31')
      AND (k.valid_to IS NULL OR toString(k.valid_to) >= toString(year) + '-01-01')
  }
OPTIONAL MATCH (h)<-[:MEMBER_OF]-(m:Person)
WITH h, year, burden, residual_minimum_living, residual_marginal,
       members, collect(DISTINCT m.district) AS districts
RETURN h.id AS id, CASE WHEN size(districts) = 1 THEN districts[0] END AS district, h.size AS size,
       year, burden, residual_minimum_living, residual_marginal,
       members
ORDER BY burden DESC, id
