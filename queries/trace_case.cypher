// name: trace_case
// finds: for one medical case, who FUNDS, CERTIFIES, PAYS and SUPERVISES each part of its bill
// why: 000 §4 and 001 三(二) find that no one sees who is accountable for a case; this answers it from the graph, every line with the clause it rests on
// rows: one row: details (the case's properties), person_id, household_id, payments (scheme, amount, rule), funds (each link on the money's way to a paying scheme, up to three steps back: a fund that PAYS the scheme or a FUNDS link into it, then FUNDS, COLLECTS or TRANSFERS_TO links), certifies (each category the person held at the date of care, and the body that certifies it in the paying model), pays (bodies that pay or administer a paying scheme), supervises (bodies that supervise a paying scheme, a fund behind it, or medical institutions)
// params: case_id (text)
MATCH (c:Case {id: $case_id})
OPTIONAL MATCH (person:Person)-[:HAS_CASE]->(c)
OPTIONAL MATCH (person)-[:MEMBER_OF]->(household:Household)
CALL (c) {
  OPTIONAL MATCH (c)-[s:SETTLED_BY]->(scheme:Scheme)
  WITH scheme, s ORDER BY scheme.order
  RETURN collect(CASE WHEN scheme IS NULL THEN NULL ELSE {
    scheme_id: scheme.id, scheme_code: scheme.code, scheme_zh: scheme.name_zh,
    amount: s.amount, rule_id: s.rule_id, explanation: s.explanation
  } END) AS payments, collect(DISTINCT scheme.model) AS models
}
CALL (c) {
  OPTIONAL MATCH (c)-[:SETTLED_BY]->(paid:Scheme)
  WITH collect(paid) AS schemes
  // The money's way back from each paying scheme, three steps at most. The first step is
  // matched from the few funds and bodies of the model, never by walking into the scheme:
  // a scheme is a supernode (every case it settled points to it) and walking its incoming
  // relationships costs time in proportion to the city. Then a fund that pays the scheme or
  // anyone who funds it, and who funds, collects for or transfers to that, twice more.
  OPTIONAL MATCH (:Fund)-[lf:FUNDS|PAYS]->(sf:Scheme) WHERE sf IN schemes
  WITH schemes, collect(lf) AS firsts
  OPTIONAL MATCH (:Agency)-[la:FUNDS]->(sa:Scheme) WHERE sa IN schemes
  WITH schemes, firsts, collect(la) AS from_agencies
  OPTIONAL MATCH (:Jurisdiction)-[lj:FUNDS]->(sj:Scheme) WHERE sj IN schemes
  WITH firsts, from_agencies, collect(lj) AS from_jurisdictions
  WITH firsts + from_agencies + from_jurisdictions AS firsts
  UNWIND CASE WHEN size(firsts) = 0 THEN [null] ELSE firsts END AS l1
  WITH l1, endNode(l1) AS scheme, startNode(l1) AS n1
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
    assumption: link.assumption, note: link.note, contested_by: link.contested_by
  }) AS funds
}
CALL (c, person, models) {
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
    assumption: cert.assumption, note: cert.note, contested_by: cert.contested_by
  }) AS certifies
}
CALL (c) {
  OPTIONAL MATCH (c)-[:SETTLED_BY]->(paid:Scheme)
  WITH collect(paid) AS schemes
  // From the model's side, as above: never into the scheme.
  OPTIONAL MATCH (agency:Agency)-[role:PAYS|ADMINISTERS]->(scheme:Scheme)
  WHERE scheme IN schemes
  WITH scheme, role, agency WHERE agency IS NOT NULL
  RETURN collect({
    scheme_id: scheme.id, relation: type(role), agency_id: agency.id, agency_zh: agency.name_zh,
    agency_kind: agency.kind, what_zh: role.what_zh,
    source: role.source, locator: role.locator, quote: role.quote,
    assumption: role.assumption, note: role.note, contested_by: role.contested_by
  }) AS pays
}
CALL (c, models) {
  OPTIONAL MATCH (c)-[:SETTLED_BY]->(paid:Scheme)
  WITH c, models, collect(paid) AS schemes
  OPTIONAL MATCH (fund:Fund)-[:FUNDS|PAYS]->(scheme:Scheme)
  WHERE scheme IN schemes
  WITH c, models, schemes, collect(DISTINCT fund) AS funds
  WITH c, models, schemes + funds AS overseen
  OPTIONAL MATCH (agency:Agency)-[sup:SUPERVISES]->(target)
  WHERE target IN overseen
     OR (target:Agency AND target.kind = 'medical_institution' AND sup.model IN models)
  WITH agency, sup, target WHERE agency IS NOT NULL
  RETURN collect({
    agency_id: agency.id, agency_zh: agency.name_zh,
    target_id: target.id, target_zh: target.name_zh, target_label: labels(target)[0],
    what_zh: sup.what_zh, source: sup.source, locator: sup.locator, quote: sup.quote,
    assumption: sup.assumption, note: sup.note, contested_by: sup.contested_by
  }) AS supervises
}
RETURN c {.*} AS details, person.id AS person_id, household.id AS household_id,
       payments, funds, certifies, pays, supervises
