// name: category_without_scheme
// finds: beneficiary categories that no scheme, benefit rule or measure applies to
// why: a group the documents name (002 二(一) lists those to monitor) but no scheme pays for falls between schemes (001 三(二))
// rows: one row per category: id, code, name_zh
// params: model (text, optional)
MATCH (c:BeneficiaryCategory)
WHERE ($model IS NULL OR c.model IN [$model, 'common'])
  AND NOT EXISTS {
    MATCH (x)-[:APPLIES_TO]->(c)
    WHERE (x:Scheme OR x:BenefitRule) AND ($model IS NULL OR x.model = $model)
  }
RETURN c.id AS id, c.code AS code, c.name_zh AS name_zh
ORDER BY id
