// name: kpi_targets
// finds: the targets a model sets for a year (Indicator nodes with a target, valid that year)
// why: 002 一 sets targets that change in 2025; the KPI report compares each measured rate with the target in force
// rows: one row per indicator: code, name_zh, target, comparator, year, valid_from, valid_to, source, locator, quote
// params: model (text), year (integer)
MATCH (i:Indicator)
WHERE i.model = $model AND i.target IS NOT NULL
  AND (i.year IS NULL OR i.year <= $year)
  AND (i.valid_from IS NULL OR i.valid_from <= toString($year) + '-12-31')
  AND (i.valid_to IS NULL OR i.valid_to >= toString($year) + '-01-01')
RETURN i.code AS code, i.name_zh AS name_zh, i.target AS target, i.comparator AS comparator,
       i.year AS year, i.valid_from AS valid_from, i.valid_to AS valid_to,
       i.source AS source, i.locator AS locator, i.quote AS quote
ORDER BY code, coalesce(i.year, 0) DESC, coalesce(i.valid_from, '') DESC
