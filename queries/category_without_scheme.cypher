// name: category_without_scheme
// finds: beneficiary categories that no scheme, benefit rule or measure applies to
// why: a group the documents name (002 二(一) lists those to monitor) but no scheme pays for falls between schemes (001 三(二))
// rows: one row per category: id, code, name_zh
// params: model (text, optional)
// With a model: its own categories, and the shared ones it speaks of (a body of the model
// certifies, monitors, serves or approves them). A shared category the model never names is
// outside its scope, not a gap: Lingqiu's pilot has its own classes, and listing the shared
// ones as "no scheme" cited a Hangzhou document for a county in Shanxi.
MATCH (c:BeneficiaryCategory)
WHERE ($model IS NULL OR c.model = $model
       OR (c.model = 'common' AND EXISTS {
         MATCH (:Agency)-[r:CERTIFIES|MONITORS|SERVES|APPROVES]->(c) WHERE r.model = $model
       }))
  AND NOT EXISTS {
    MATCH (x)-[:APPLIES_TO]->(c)
    WHERE (x:Scheme OR x:BenefitRule) AND ($model IS NULL OR x.model = $model)
  }
RETURN c.id AS id, c.code AS code, c.name_zh AS name_zh
ORDER BY id
