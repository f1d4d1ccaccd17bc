// name: scheme_accountability
// finds: for a set of paying schemes, who FUNDS, PAYS and SUPERVISES them and who CERTIFIES each
//   category in their models: the half of trace_case that does not depend on the case
// why: the same as trace_case (000 §4, 001 三(二)); split out so that the API answers it once
//   for all the cases the same schemes paid (analysis/trace.py), and checked by the tests to
//   give what trace_case gives
// rows: one row: funds, pays, supervises (as in trace_case), certifiers (category_code,
//   agency_id, agency_zh, certificate_zh and the citation of each CERTIFIES relation)
// params: schemes (list of scheme ids), models (list of model names), categories (list of
//   category codes)
OPTIONAL MATCH (paid:Scheme) WHERE paid.id IN $schemes
WITH collect(paid) AS schemes, $models AS models
CALL (schemes) {
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
CALL (models) {
  UNWIND CASE WHEN size($categories) = 0 THEN [null] ELSE $categories END AS code
  OPTIONAL MATCH (agency:Agency)-[cert:CERTIFIES]->(category:BeneficiaryCategory {code: code})
  WHERE cert.model IN models
  WITH agency, cert, category WHERE agency IS NOT NULL
  RETURN collect({
    category_code: category.code, agency_id: agency.id, agency_zh: agency.name_zh,
    certificate_zh: cert.certificate_zh,
    source: cert.source, locator: cert.locator, quote: cert.quote,
    assumption: cert.assumption, note: cert.note, contested_by: cert.contested_by
  }) AS certifiers
}
CALL (schemes) {
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
CALL (models, schemes) {
  OPTIONAL MATCH (fund:Fund)-[:FUNDS|PAYS]->(scheme:Scheme)
  WHERE scheme IN schemes
  WITH models, schemes, collect(DISTINCT fund) AS funds
  WITH models, schemes + funds AS overseen
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
RETURN funds, certifiers, pays, supervises
