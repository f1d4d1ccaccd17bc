// name: kpi_subsidised_enrolment
// finds: for one year, how many medical-assistance recipients are enrolled in basic medical insurance
// why: 002 一 requires that 100% of people in difficulty be enrolled with a subsidised premium (资助困难群众参加基本医疗保险率达到100%); assistance that depends on enrolment leaves the non-enrolled out (001 三(二))
// rows: one row per district of the persons (district null for persons without one; none when there is no recipient): recipients (persons holding a recipient category valid at some time in the year), enrolled (of them, those ENROLLED_IN the model's basic medical insurance that year)
// params: year (integer), model (text)
MATCH (:Scheme {model: $model, code: 'medical_assistance'})-[:HAS_RULE]->(:BenefitRule)-[:APPLIES_TO]->(category:BeneficiaryCategory)
WITH collect(DISTINCT category.id) AS recipient_categories,
     toString($year) + '-01-01' AS year_start, toString($year) + '-12-31' AS year_end
MATCH (person:Person)-[held:HOLDS]->(category:BeneficiaryCategory)
WHERE category.id IN recipient_categories
  AND held.valid_from <= year_end AND held.valid_to >= year_start
WITH DISTINCT person
OPTIONAL MATCH (person)-[enrolled:ENROLLED_IN {year: $year}]->(:Scheme {model: $model, code: 'basic_medical_insurance'})
RETURN person.district AS district, count(person) AS recipients, count(enrolled) AS enrolled
