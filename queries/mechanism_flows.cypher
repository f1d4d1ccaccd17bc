// name: mechanism_flows
// finds: the elements of the anti-poverty mechanism and the flows between them (contributions, financing, reimbursement, services, supervision, transfers, taxation, certification)
// why: 000 §2.3 Fig. 1 draws residents, residents' available medical funds, medical insurance, health and government departments and the flows between them; a flow is a relation whose what_zh names it. fig1 is true when the relation cites Fig. 1 (图 1) itself, so the view can keep to the figure when the model marks it
// rows: one row per flow: a, a_label, type, rel, b, b_label, fig1
// params: model (text, optional)
// The institutional relationship types, named: an untyped pattern makes the store scan every
// relationship, and case data (MEMBER_OF, HOLDS, ENROLLED_IN, HAS_CASE, SETTLED_BY) holds
// nearly all of them.
MATCH (a)-[r:PART_OF|BELONGS_TO|REPORTS_TO|COORDINATES_WITH|ISSUED|CITES|RESPONSIBLE_FOR|
            HAS_RULE|APPLIES_TO|ADMINISTERS|PAYS|FUNDS|COLLECTS|MANAGES|CERTIFIES|SUPERVISES|
            OPERATES|USES|SHARES_DATA|ESTABLISHES|INVOLVES|SERVES|TRANSFERS_TO|MONITORS|
            APPROVES]->(b)
WHERE ($model IS NULL OR r.model = $model)
  AND (r.what_zh IS NOT NULL
       OR (r.source = '000_586b74c66e3f8451.txt'
           AND (r.locator CONTAINS 'Fig. 1' OR r.locator CONTAINS '图1' OR r.locator CONTAINS '图 1')))
  AND NOT a:Case AND NOT b:Case
RETURN a {.*} AS a, labels(a)[0] AS a_label, type(r) AS type, properties(r) AS rel,
       b {.*} AS b, labels(b)[0] AS b_label,
       (r.source = '000_586b74c66e3f8451.txt' AND r.locator IS NOT NULL
        AND (r.locator CONTAINS 'Fig. 1' OR r.locator CONTAINS '图1' OR r.locator CONTAINS '图 1'))
         AS fig1
ORDER BY a.id, type, b.id
