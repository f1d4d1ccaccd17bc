// name: category_without_certifier
// finds: beneficiary categories that no body certifies (no incoming CERTIFIES)
// why: eligibility rests on a certificate (002 二(二)); a category nobody certifies cannot be claimed, and 001 names identification as the first failure
// rows: one row per category: id, code, name_zh
// params: model (text, optional: limit to categories a scheme or rule of that model applies to)
MATCH (c:BeneficiaryCategory)
WHERE NOT (:Agency)-[:CERTIFIES]->(c)
  AND ($model IS NULL OR c.model = $model
       OR EXISTS { MATCH (x)-[:APPLIES_TO]->(c) WHERE x.model = $model })
RETURN c.id AS id, c.code AS code, c.name_zh AS name_zh
ORDER BY id
