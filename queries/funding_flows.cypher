// name: funding_flows
// finds: money on its way to the schemes: fiscal levels, premiums and donations through funds to schemes (FUNDS, COLLECTS, TRANSFERS_TO, PAYS), with amount, share and year where the model has them
// why: 003 二 gives the fiscal shares of central, provincial, municipal and county governments; 002 三(二) says finance secures the money and tax collects the premiums; 000 Fig. 1 the transfer payments. The funding view draws the money from its sources to the schemes that pay
// rows: one row per money link: a, a_label, type, rel, b, b_label
// params: model (text, optional)
MATCH (a)-[r:FUNDS|COLLECTS|TRANSFERS_TO|PAYS]->(b)
WHERE ($model IS NULL OR r.model = $model) AND NOT b:Case AND NOT a:Case
RETURN a {.*} AS a, labels(a)[0] AS a_label, type(r) AS type, properties(r) AS rel,
       b {.*} AS b, labels(b)[0] AS b_label
ORDER BY a.id, type, b.id, r.year
