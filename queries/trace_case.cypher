// name: trace_case
// finds: for one medical case, who FUNDS, CERTIFIES, PAYS and SUPERVISES each part of its bill
// why: 000 §4 and 001 三(二) find that no one sees who is accountable for a case; this answers it from the graph, every line with the clause it rests on
// rows: one row: details (the case's properties), person_id, household_id, payments (scheme, amount, rule), funds (each link on the money's way to a paying scheme, up to three steps back: a fund that PAYS the scheme or a FUNDS link into it, then FUNDS, COLLECTS or TRANSFERS_TO links), certifies (each category the person held at the date of care, and the body that certifies it in the paying model), pays (bodies that pay or administer a paying scheme), supervises (bodies that supervise a paying scheme, a fund behind it, or medical institutions)
// params: case_id (text)
MATCH (c:Case {id: $case_id})
OPTIONAL MATCH (person:Person)-[:HAS_CASE]->(c)
OPTIONAL MATCH (person)-[:MEMBER_OF]->(household:Household)
CALL {
  WITH c
  OPTIONAL MATCH (c)-[s:SETTLED_BY]->(scheme:Scheme)
  WITH scheme, s ORDER BY scheme.order
  RETURN collect(CASE WHEN scheme IS NULL THEN NULL ELSE {
    scheme_id: scheme.id, scheme_code: scheme.code, scheme_zh: scheme.name_zh,
    amount: s.amount, rule_id: s.rule_id, explanation: s.explanation
  } END) AS payments, collect(DISTINCT scheme.model) AS models
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:SETTLED_BY]->(scheme:Scheme)
  // The money's way back from the paying scheme, one hop at a time from the scheme (fixed
  // hops anchored on it are ~10x faster than a variable-length path on the embedded store):
  // a fund that pays the scheme or anyone who funds it, then who funds, collects for or
  // transfers to that, twice more.
  OPTIONAL MATCH (scheme)<-[l1:FUNDS|PAYS]-(n1)
  WHERE type(l1) = 'FUNDS' OR n1:Fund
  OPTIONAL MATCH (n1)<-[l2:FUNDS|COLLECTS|TRANSFERS_TO]-(n2)
  OPTIONAL MATCH (n2)<-[l3:FUNDS|COLLECTS|TRANSFERS_TO]-(n3)
  WITH scheme, [l1, l2, l3] AS hops
  UNWIND hops AS link
  WITH scheme, link WHERE link IS NOT NULL
  WITH DISTINCT scheme, link, startNode(link) AS funder, endNode(link) AS funded
  RETURN collect({
    scheme_id: scheme.id, relation: type(link),
    funder_id: funder.id, funder_zh: funder.name_zh, funder_label: labels(funder)[0],
    funded_id: funded.id, funded_zh: funded.name_zh, funded_label: labels(funded)[0],
    share: link.share, amount: link.amount, year: link.year, what_zh: link.what_zh,
    source: link.source, locator: link.locator, quote: link.quote,
    assumption: link.assumption, note: link.note
  }) AS funds
}
CALL {
  WITH c, person, models
  OPTIONAL MATCH (person)-[held:HOLDS]->(category:BeneficiaryCategory)
  OPTIONAL MATCH (agency:Agency)-[cert:CERTIFIES]->(category)
  WHERE cert.model IN models
  WITH c, held, category, agency, cert WHERE held IS NOT NULL
  RETURN collect({
    category_code: category.code, category_zh: category.name_zh,
    certificate_zh: coalesce(cert.certificate_zh, category.certificate_zh),
    valid_from: held.valid_from, valid_to: held.valid_to, due_to_illness: held.due_to_illness,
    valid_on_date: held.valid_from <= c.date AND c.date <= held.valid_to,
    agency_id: agency.id, agency_zh: agency.name_zh,
    source: cert.source, locator: cert.locator, quote: cert.quote,
    assumption: cert.assumption, note: cert.note
  }) AS certifies
}
CALL {
  WITH c
  OPTIONAL MATCH (c)-[:SETTLED_BY]->(scheme:Scheme)<-[role:PAYS|ADMINISTERS]-(agency:Agency)
  WITH scheme, role, agency WHERE agency IS NOT NULL
  RETURN collect({
    scheme_id: scheme.id, relation: type(role), agency_id: agency.id, agency_zh: agency.name_zh,
    agency_kind: agency.kind, what_zh: role.what_zh,
    source: role.source, locator: role.locator, quote: role.quote,
    assumption: role.assumption, note: role.note
  }) AS pays
}
CALL {
  WITH c, models
  OPTIONAL MATCH (c)-[:SETTLED_BY]->(scheme:Scheme)
  OPTIONAL MATCH (fund:Fund)-[:FUNDS|PAYS]->(scheme)
  WITH c, models, collect(DISTINCT scheme) + collect(DISTINCT fund) AS overseen
  OPTIONAL MATCH (agency:Agency)-[sup:SUPERVISES]->(target)
  WHERE target IN overseen
     OR (target:Agency AND target.kind = 'medical_institution' AND sup.model IN models)
  WITH agency, sup, target WHERE agency IS NOT NULL
  RETURN collect({
    agency_id: agency.id, agency_zh: agency.name_zh,
    target_id: target.id, target_zh: target.name_zh, target_label: labels(target)[0],
    what_zh: sup.what_zh, source: sup.source, locator: sup.locator, quote: sup.quote,
    assumption: sup.assumption, note: sup.note
  }) AS supervises
}
RETURN c {.*} AS details, person.id AS person_id, household.id AS household_id,
       payments, funds, certifies, pays, supervises
