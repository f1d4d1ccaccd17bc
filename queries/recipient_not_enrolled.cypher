// name: recipient_not_enrolled
// finds: persons holding an assistance category valid in the year who are not enrolled in basic
//   medical insurance that year
// why: 002 一 sets subsidised enrolment of people in difficulty at 100% (确保资助困难群众参加基本医疗
//   保险率达到100%) and 二(一) asks to watch their enrolment status (确保参保全覆盖、待遇不中断);
//   001 三(二) warns that assistance conditional on enrolment leaves out whoever is not enrolled
//   (以参保作为救助条件势必会遗漏部分应保对象). Such a person falls through the first layer
// rows: one row per person: id, district (the person's), year, categories (codes held that year), category_ids
// params: year (integer, required), model (text, optional: the model of the case data)
MATCH (c:BeneficiaryCategory)<-[h:HOLDS]-(p:Person)
WHERE c.code <> 'general_enrollee'
  AND ($model IS NULL OR p.model = $model)
  AND (h.valid_from IS NULL OR toString(h.valid_from) <= toString($year) + '-12-31')
  AND (h.valid_to IS NULL OR toString(h.valid_to) >= toString($year) + '-01-01')
  AND NOT EXISTS {
    MATCH (p)-[e:ENROLLED_IN]->(s:Scheme)
    WHERE s.code = 'basic_medical_insurance' AND e.year = $year
  }
RETURN p.id AS id, p.district AS district, $year AS year, collect(DISTINCT c.code) AS categories,
       collect(DISTINCT c.id) AS category_ids
ORDER BY id
