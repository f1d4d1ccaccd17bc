// name: latest_case_year
// finds: the latest year of the case data
// why: recipient_not_enrolled checks one year; without --year it checks the latest
// rows: one row: year (none when no case falls in the years probed)
// params: newest, oldest (integers: the years probed, newest first)
// Probed year by year through the index on Case.year: `max(c.year)` reads every case, and
// the store does not answer it from the index.
UNWIND range($newest, $oldest, -1) AS year
MATCH (c:Case {year: year})
RETURN year
LIMIT 1
