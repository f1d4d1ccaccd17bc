// name: latest_case_year
// finds: the latest year of the case data
// why: recipient_not_enrolled checks one year; without --year it checks the latest
// rows: one row: year (null when there are no cases)
// params: none
MATCH (c:Case)
RETURN max(c.year) AS year
