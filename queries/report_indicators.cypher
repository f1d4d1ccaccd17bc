// name: report_indicators
// finds: the indicators of a model: targets (with comparator and year or validity) and measured statistics
// why: 002 一 sets the targets (subsidised enrolment 100%, comprehensive coverage ≥80% then ≥85% by 2025, personal burden ≤20% then ≤15%); 004 gives the "three down, three up" indicators; the report prints them beside what the case data measure
// rows: one row per indicator: id, code, name_zh, name_en, target, value, unit, comparator, year, valid_from, valid_to, source, locator, quote, assumption, note
// params: model (text, optional)
MATCH (i:Indicator)
WHERE $model IS NULL OR i.model = $model
RETURN i.id AS id, i.code AS code, i.name_zh AS name_zh, i.name_en AS name_en,
       i.target AS target, i.value AS value, i.unit AS unit, i.comparator AS comparator,
       i.year AS year, i.valid_from AS valid_from, i.valid_to AS valid_to,
       i.source AS source, i.locator AS locator, i.quote AS quote,
       i.assumption AS assumption, i.note AS note
ORDER BY code, coalesce(i.year, 0), coalesce(i.valid_from, ''), id
