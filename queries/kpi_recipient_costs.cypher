// name: kpi_recipient_costs
// finds: for one year, the medical costs of medical-assistance recipients, what all schemes paid, and the high-cost cases
// why: 002 一 sets targets for recipients: comprehensive coverage rate ≥80% (≥85% by 2025), personal burden ≤20% (≤15% by 2025) and 100% of high-cost burdens cleared
// rows: one row per district of the persons (district null for persons without one; none when no recipient had care): recipients (persons with a case that year who held a category a medical-assistance rule of the model applies to, on the date of care), cases, total_cost, paid (sum of SETTLED_BY), out_of_pocket, high_cost_persons (person-years whose total cost reaches $high_cost_line), high_cost_cleared (those whose out-of-pocket stays under $warning_line)
// params: year (integer), model (text), high_cost_line (yuan), warning_line (yuan)
MATCH (:Scheme {model: $model, code: 'medical_assistance'})-[:HAS_RULE]->(:BenefitRule)-[:APPLIES_TO]->(category:BeneficiaryCategory)
WITH collect(DISTINCT category.id) AS recipient_categories
MATCH (person:Person)-[:HAS_CASE]->(c:Case {year: $year})
WHERE EXISTS {
  MATCH (person)-[held:HOLDS]->(category:BeneficiaryCategory)
  WHERE category.id IN recipient_categories AND held.valid_from <= c.date AND c.date <= held.valid_to
}
OPTIONAL MATCH (c)-[s:SETTLED_BY]->(:Scheme)
WITH person, c, sum(coalesce(s.amount, 0.0)) AS paid
WITH person, count(c) AS cases, sum(c.total_cost) AS total_cost, sum(paid) AS paid,
     sum(coalesce(c.out_of_pocket, c.total_cost - paid)) AS out_of_pocket
RETURN person.district AS district, count(person) AS recipients, sum(cases) AS cases, sum(total_cost) AS total_cost,
       sum(paid) AS paid, sum(out_of_pocket) AS out_of_pocket,
       sum(CASE WHEN total_cost >= $high_cost_line THEN 1 ELSE 0 END) AS high_cost_persons,
       sum(CASE WHEN total_cost >= $high_cost_line AND out_of_pocket < $warning_line
           THEN 1 ELSE 0 END) AS high_cost_cleared
