// name: earliest_case_year
// finds: the earliest year of the case data
// why: the report compares each KPI of 002 一 in the first year of the case data (the
//   baseline) with the latest year
// rows: one row: year (none when no case falls in the years probed)
// params: oldest, newest (integers: the years probed, oldest first)
// Probed year by year through the index on Case.year, as latest_case_year.
UNWIND range($oldest, $newest) AS year
MATCH (c:Case {year: year})
RETURN year
LIMIT 1
