// The workspace's pages, filled from /api/v1 with the key kept in session storage.
// Each page reads its state from the URL and writes it back, so every view can be shared.
"use strict";

const STORE = "medgraph.session"; // {key, name, role} of the signed-in key
const main = document.getElementById("main");

// -- small helpers ------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function session() {
  try { return JSON.parse(sessionStorage.getItem(STORE)) || null; } catch { return null; }
}

function allows(role) {
  const order = ["reader", "analyst", "admin"];
  const mine = session();
  return !!mine && order.indexOf(mine.role) >= order.indexOf(role);
}

class ApiFailure extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// One call of the API with the session's key; JSON back, or an ApiFailure with its message.
async function api(path, options = {}) {
  const mine = session();
  const headers = { ...(options.headers || {}), "X-API-Key": mine ? mine.key : "" };
  if (options.json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch("/api/v1" + path, {
    method: options.method || (options.json !== undefined ? "POST" : "GET"),
    headers, body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
  });
  if (response.status === 401) { signOut(); throw new ApiFailure(401, "unauthenticated", "signed out"); }
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok) {
    const body = type.includes("json") ? await response.json() : { error: {} };
    const error = body.error || {};
    throw new ApiFailure(response.status, error.code || "error", error.message || response.statusText);
  }
  if (options.raw) return response;
  return type.includes("json") ? response.json() : response.text();
}

function signOut() {
  sessionStorage.removeItem(STORE);
  const here = location.pathname + location.search;
  location.assign("/login?next=" + encodeURIComponent(here));
}

function q(name) { return new URLSearchParams(location.search).get(name); }

function setUrl(params, push = true) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== null && v !== undefined && v !== "") search.append(name, v);
  }
  const url = location.pathname + (search.toString() ? "?" + search : "");
  if (url !== location.pathname + location.search) history[push ? "pushState" : "replaceState"](null, "", url);
}

function entityHref(id, label) {
  return (label === "Case" ? "/case/" : "/entity/") + encodeURIComponent(id);
}

function nameOf(x) {
  return [x.name_zh, x.name_en].filter(Boolean).join(" · ") || x.id;
}

function cell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toLocaleString("en", { maximumFractionDigits: 4 });
  if (typeof value === "object") {
    if (!Array.isArray(value) && value.id !== undefined && (value.name_zh || value.name_en)) return `${value.name_zh || value.name_en} (${value.id})`;
    if (value.cite) return value.cite;
    return JSON.stringify(value);
  }
  return String(value);
}

function money(value) {
  return value === null || value === undefined ? "" :
    Number(value).toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

// A citation: document and clause, the quote, and the assumption note where flagged.
function citation(c) {
  if (!c || (!c.source && !c.assumption)) return el("span", { class: "muted", text: "—" });
  return el("div", { class: "citation" },
    el("span", { class: "cite", title: c.source || "", text: c.cite || [c.source, c.locator].filter(Boolean).join(" ") }),
    c.quote ? el("q", { text: c.quote }) : null,
    c.assumption ? el("span", { class: "assumption", text: "假设 assumption" }) : null,
    c.assumption && c.note ? el("span", { class: "note", text: c.note }) : null);
}

// A table whose columns sort on a click of their heading (numbers as numbers).
function table(rows, columns, render = {}) {
  if (!rows.length) return el("p", { class: "muted", text: "无 none" });
  const body = el("tbody");
  let order = { column: null, down: false };
  const fill = () => {
    const sorted = [...rows];
    if (order.column !== null) {
      sorted.sort((a, b) => {
        const x = a[order.column], y = b[order.column];
        const c = typeof x === "number" && typeof y === "number" ? x - y :
          cell(x).localeCompare(cell(y), "zh");
        return order.down ? -c : c;
      });
    }
    body.replaceChildren(...sorted.map((row) => el("tr", {}, columns.map((c) =>
      el("td", {}, render[c] ? render[c](row[c], row) : cell(row[c]))))));
  };
  const heads = columns.map((c) => el("th", {
    text: c, title: "sort", onclick: () => {
      order = { column: c, down: order.column === c ? !order.down : false };
      heads.forEach((h) => h.removeAttribute("aria-sort"));
      heads[columns.indexOf(c)].setAttribute("aria-sort", order.down ? "descending" : "ascending");
      fill();
    },
  }));
  fill();
  return el("table", { class: "rows" }, el("thead", {}, el("tr", {}, heads)), body);
}

function failure(error) {
  return el("p", { class: "error", role: "alert", text: error.message || String(error) });
}

function section(title, ...content) {
  return el("section", {}, el("h2", { text: title }), ...content);
}

function title(text) {
  document.title = text + " · medgraph";
  return el("h1", { text });
}

// -- pages --------------------------------------------------------------------------------
const PAGES = {};

PAGES.login = () => {
  const key = el("input", { type: "password", name: "key", id: "key", autocomplete: "off", required: true, size: 50 });
  const message = el("p", { class: "muted", text: "The key comes from `medgraph api-key add NAME --role reader|analyst`; it stays in this browser tab only." });
  const form = el("form", { id: "login" }, el("label", { for: "key", text: "API key " }), key,
    el("button", { type: "submit", text: "登录 Sign in" }), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/v1/me", { headers: { "X-API-Key": key.value.trim() } });
    if (!response.ok) {
      message.className = "error";
      message.textContent = (await response.json()).error.message;
      return;
    }
    const me = await response.json();
    sessionStorage.setItem(STORE, JSON.stringify({ key: key.value.trim(), ...me }));
    const next = q("next") || "/";
    // Only a path of this site: a shared link cannot send a key elsewhere.
    location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/");
  });
  main.replaceChildren(title("登录 Sign in"), form);
};

const TYPES = ["Agency", "Scheme", "BeneficiaryCategory", "BenefitRule", "Document", "Measure",
  "Problem", "Fund", "InformationSystem", "Indicator", "Case"];

PAGES.search = async () => {
  const params = new URLSearchParams(location.search);
  const chosen = new Set(params.getAll("type"));
  const text = el("input", { type: "search", name: "q", value: params.get("q") || "", placeholder: "民政, medical assistance, hangzhou.civil_affairs, a case id…", size: 50, autofocus: true });
  const boxes = TYPES.map((t) => el("label", {}, el("input", { type: "checkbox", name: "type", value: t, checked: chosen.has(t) }), t));
  const results = el("div", { id: "results" });
  const form = el("form", { id: "search" }, text, el("button", { type: "submit", text: "检索 Search" }),
    el("div", { class: "filters" }, boxes));
  const run = async () => {
    const types = boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value);
    if (!text.value.trim()) { results.replaceChildren(); return; }
    const search = new URLSearchParams({ q: text.value.trim(), limit: "200" });
    types.forEach((t) => search.append("type", t));
    results.replaceChildren(el("p", { class: "loading", text: "…" }));
    try {
      const found = await api("/search?" + search);
      const counts = Object.entries(found.counts).filter(([, n]) => n).map(([t, n]) => `${t} ${n}`).join(" · ");
      results.replaceChildren(
        el("p", { class: "summary", text: `${found.total} found${counts ? ": " + counts : ""}` }),
        table(found.items, ["type", "id", "name_zh", "name_en", "code", "model"], {
          id: (v, row) => el("a", { href: entityHref(v, row.type), text: v }),
        }));
    } catch (error) { results.replaceChildren(failure(error)); }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setUrl({ q: text.value.trim(), type: boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value) });
    run();
  });
  main.replaceChildren(title("检索 Search"), form, results);
  await run();
};

// Findings (gaps and islands) that name one of `ids` among their entities: the server picks
// them out before paging, so none is missed however many findings the city has.
async function findingsNaming(ids, model) {
  const search = new URLSearchParams({ limit: "1000" });
  for (const id of new Set(ids.filter(Boolean))) search.append("entity", id);
  if (model) search.set("model", model);
  const [gaps, islands] = await Promise.all([api("/gaps?" + search), api("/islands?" + search)]);
  const items = [...gaps.items, ...islands.items];
  const withheld = (gaps.withheld ? gaps.withheld.count : 0) + (islands.withheld ? islands.withheld.count : 0);
  return { items, withheld };
}

function findingsTable(items) {
  return table(items, ["kind", "severity", "entities", "explanation", "citations"], {
    entities: (list) => el("span", {}, (list || []).map((e) => el("a", { class: "chip", href: entityHref(e.id, e.label), text: e.name_zh || e.id }))),
    citations: (list) => el("div", {}, (list || []).map(citation)),
  });
}

async function findingsSection(ids, model) {
  const box = el("div", {}, el("p", { class: "loading", text: "…" }));
  (async () => {
    try {
      const { items, withheld } = await findingsNaming(ids, model);
      box.replaceChildren(findingsTable(items));
      if (withheld) box.append(el("p", { class: "muted", text: `${withheld} person-level findings are withheld from a reader key` }));
    } catch (error) { box.replaceChildren(failure(error)); }
  })();
  return section("发现 Findings", box);
}

function neighbourhood(graph, id, relations) {
  const edges = relations.map((r) => (r.direction === "out" ?
    { from: id, to: r.id, type: r.relation } : { from: r.id, to: id, type: r.relation }));
  graph.add(relations.map((r) => ({ id: r.id, label: r.label, name: r.name_zh || r.name_en })), edges);
}

PAGES.entity = async () => {
  const id = main.dataset.id;
  let found;
  try { found = await api("/entities/" + encodeURIComponent(id)); } catch (error) {
    main.replaceChildren(title(id), failure(error)); return;
  }
  const node = found.node;
  const { source, locator, quote, assumption, note, cite, ...props } = node;
  const relations = found.relations;
  const selected = el("p", { class: "muted", text: "Click a node to expand it; its page opens from here." });
  const graphBox = el("div", { class: "graph-box" });
  const expanded = new Set([id]);
  const graph = new window.Graph(graphBox, {
    onSelect: async (n) => {
      selected.replaceChildren("Selected: ", el("a", { href: entityHref(n.id, n.label), text: `${n.name || n.id} (${n.label})` }));
      if (expanded.has(n.id) || n.label === "Case") return;
      expanded.add(n.id);
      try {
        const more = await api("/entities/" + encodeURIComponent(n.id));
        neighbourhood(graph, n.id, more.relations);
      } catch (error) { selected.append(" ", failure(error)); }
    },
  });
  main.replaceChildren(
    title(nameOf(node)),
    el("p", { class: "kind", text: `${found.label} · ${id}` }),
    section("属性 Properties", table(Object.entries(props).map(([k, v]) => ({ property: k, value: v })), ["property", "value"]),
      el("div", { class: "own-citation" }, "来源 Source: ", citation({ source, locator, quote, assumption, note, cite }))),
    section("邻域 Neighbourhood", graphBox, selected),
    section(`关系 Relations (${relations.length})`, table(relations, ["relation", "direction", "other", "facts", "citation"], {
      other: (_, r) => el("a", { href: entityHref(r.id, r.label), text: `${r.name_zh || r.id} (${r.label})` }),
      direction: (v) => (v === "out" ? "→" : "←"),
      facts: (_, r) => ["role", "what_zh", "share", "amount", "year", "data", "mode", "certificate_zh"]
        .filter((k) => r[k] !== undefined && r[k] !== null).map((k) => `${k}: ${cell(r[k])}`).join("; "),
      citation: (c) => citation(c),
    })),
    await findingsSection([id], null));
  graph.add([{ id, label: found.label, name: node.name_zh || node.name_en, focus: true }], []);
  neighbourhood(graph, id, relations);
};

PAGES.case = async () => {
  const id = main.dataset.id;
  let trace;
  try { trace = await api("/cases/" + encodeURIComponent(id) + "/accountability"); } catch (error) {
    main.replaceChildren(title(id), failure(error)); return;
  }
  const c = trace.case;
  const facts = ["date", "year", "setting", "facility_level", "referred", "total_cost", "policy_scope_cost", "out_of_pocket", "model", "dataset", "person_id", "household_id"]
    .filter((k) => c[k] !== undefined).map((k) => ({ fact: k, value: c[k] }));
  const paid = trace.payments.reduce((sum, p) => sum + (p.amount || 0), 0);
  const rules = el("div", {});
  const payments = table(trace.payments, ["scheme_zh", "amount", "rule_id", "clause", "explanation"], {
    scheme_zh: (v, p) => el("a", { href: entityHref(p.scheme_id, "Scheme"), text: v || p.scheme_id }),
    amount: money,
    rule_id: (v) => (v ? el("a", { href: entityHref(v, "BenefitRule"), text: v }) : ""),
    clause: (_, p) => el("span", { class: "rule-clause", "data-rule": p.rule_id || "" }, "…"),
    explanation,
  });
  const diagram = el("div", { class: "graph-box" });
  const findings = section("发现 Findings", el("p", { class: allows("analyst") ? "loading" : "muted",
    text: allows("analyst") ? "…" : "Findings on a case or household are person-level: they need an analyst key." }));
  main.replaceChildren(
    title(`案例 Case ${id}`),
    section("案例 The case", table(facts, ["fact", "value"]),
      trace.redacted ? el("p", { class: "muted", text: "The person and household are withheld from a reader key." }) : null),
    section(`结算 Settlement: paid ${money(paid)} of ${money(c.total_cost)}, out of pocket ${money(c.out_of_pocket)}`, payments, rules),
    section("问责 Accountability: who funds, certifies, pays and supervises",
      ...Object.entries(ACCOUNTABILITY).map(([name, columns]) => el("div", {}, el("h3", { text: name }),
        table(trace[name], columns, ACCOUNTABILITY_CELLS)))),
    section("图 Diagram", diagram),
    section("负担 The year's burden", await burdenBox(id)),
    findings);
  // Each payment's rule with its clause, read from the rule itself.
  await Promise.all([...main.querySelectorAll(".rule-clause")].map(async (span) => {
    if (!span.dataset.rule) { span.textContent = ""; return; }
    try { span.replaceChildren(citation((await api("/entities/" + encodeURIComponent(span.dataset.rule))).node)); } catch (error) { span.replaceChildren(failure(error)); }
  }));
  drawTrace(diagram, id, trace);
  // The findings last: finding those on one case means running every detector, which takes
  // seconds on a large city, and the rest of the page does not wait for it.
  if (allows("analyst")) findings.replaceWith(await findingsSection([id, c.person_id, c.household_id], null));
};

// The accountability sections of a trace: each name links to its entity page.
const ACCOUNTABILITY = {
  funds: ["funder", "relation", "funded", "share", "amount", "year", "what_zh", "citation"],
  certifies: ["category", "certificate_zh", "valid_from", "valid_to", "valid_on_date", "agency", "citation"],
  pays: ["agency", "relation", "scheme", "what_zh", "citation"],
  supervises: ["agency", "target", "what_zh", "citation"],
};
const linkTo = (prefix, label) => (_, row) => (row[prefix + "_id"] ?
  el("a", { href: entityHref(row[prefix + "_id"], row[prefix + "_label"] || label), text: row[prefix + "_zh"] || row[prefix + "_id"] }) :
  row[prefix + "_zh"] || "");
const ACCOUNTABILITY_CELLS = {
  funder: linkTo("funder"), funded: linkTo("funded"), agency: linkTo("agency", "Agency"),
  target: linkTo("target"), scheme: (_, row) => el("a", { href: entityHref(row.scheme_id, "Scheme"), text: row.scheme_id }),
  category: (_, row) => `${row.category_zh || ""} (${row.category_code})`,
  share: (v) => (v === null || v === undefined ? "" : `${Math.round(v * 1000) / 10}%`),
  citation: (_, row) => citation(row),
};

function explanation(value) {
  if (!value || typeof value !== "object") return cell(value);
  const shown = Object.entries(value).filter(([k, v]) => v !== null && !["cite", "source", "locator", "rule_id", "scheme", "amount"].includes(k));
  return el("span", {}, shown.map(([k, v]) => `${k} ${cell(v)}`).join(" · "), value.cite ? el("span", { class: "cite-inline", text: ` (${value.cite})` }) : null);
}

function drawTrace(box, id, trace) {
  const graph = new window.Graph(box, { onSelect: (n) => location.assign(entityHref(n.id, n.label)), height: 480 });
  const nodes = [{ id, label: "Case", name: id, focus: true }], edges = [];
  for (const p of trace.payments) {
    nodes.push({ id: p.scheme_id, label: "Scheme", name: p.scheme_zh });
    edges.push({ from: id, to: p.scheme_id, type: `SETTLED_BY ${money(p.amount)}` });
  }
  for (const f of trace.funds) {
    nodes.push({ id: f.funder_id, label: f.funder_label, name: f.funder_zh }, { id: f.funded_id, label: f.funded_label, name: f.funded_zh });
    edges.push({ from: f.funder_id, to: f.funded_id, type: f.relation });
  }
  for (const x of trace.pays) {
    nodes.push({ id: x.agency_id, label: "Agency", name: x.agency_zh });
    edges.push({ from: x.agency_id, to: x.scheme_id, type: x.relation });
  }
  for (const x of trace.supervises) {
    nodes.push({ id: x.agency_id, label: "Agency", name: x.agency_zh }, { id: x.target_id, label: x.target_label, name: x.target_zh });
    edges.push({ from: x.agency_id, to: x.target_id, type: "SUPERVISES" });
  }
  for (const x of trace.certifies) {
    if (!x.agency_id) continue;
    nodes.push({ id: x.agency_id, label: "Agency", name: x.agency_zh });
    edges.push({ from: x.agency_id, to: id, type: `CERTIFIES ${x.category_zh || x.category_code}` });
  }
  graph.add(nodes, edges);
}

async function burdenBox(id) {
  if (!allows("analyst")) return el("p", { class: "muted", text: "The person's year is person-level: it needs an analyst key." });
  try {
    const found = await api("/cases/" + encodeURIComponent(id) + "/burden");
    if (!found.burden) return el("p", { class: "muted", text: "No yearly burden recorded for this case's person." });
    const b = found.burden;
    return table([
      // The household's Burden holds its members with cases that year, not its cases.
      { who: "person " + (found.person_id || ""), year: b.year, cases: b.cases, members_with_cases: null, total_cost: b.total_cost, out_of_pocket: b.out_of_pocket, eligible: b.eligible },
      { who: "household " + (b.household || ""), year: b.year, cases: null, members_with_cases: b.household_members, total_cost: null, out_of_pocket: b.household_out_of_pocket, eligible: null },
    ], ["who", "year", "cases", "members_with_cases", "total_cost", "out_of_pocket", "eligible"], { total_cost: money, out_of_pocket: money, eligible: money });
  } catch (error) { return failure(error); }
}

// -- the Cypher console ---------------------------------------------------------------------
function parseValue(text) {
  // As `medgraph query --param NAME=VALUE`: JSON when it parses, else text; empty is null.
  if (text === "") return null;
  try { return JSON.parse(text); } catch { return text; }
}

function graphOfRows(rows) {
  // Nodes are the returned maps with an id and a name (a node's properties; a column `X_label`
  // beside a column `X` gives its label); the nodes of one row are linked in order.
  const nodes = [], edges = [];
  for (const row of rows) {
    const inRow = Object.entries(row).filter(([, v]) => v && typeof v === "object" && !Array.isArray(v) && v.id !== undefined && (v.name_zh || v.name_en))
      .map(([column, v]) => ({ ...v, label: row[column + "_label"] || v.label || "Row" }));
    for (const v of inRow) nodes.push({ id: v.id, label: v.label, name: v.name_zh || v.name_en });
    for (let i = 1; i < inRow.length; i++) edges.push({ from: inRow[i - 1].id, to: inRow[i].id, type: row.type || row.relation || "" });
  }
  return { nodes, edges };
}

PAGES.console = async () => {
  if (!allows("analyst")) {
    const me = session();
    main.replaceChildren(title("Cypher 控制台 console"), el("p", { class: "error", role: "alert", text: `The console needs an analyst key; the key ${me ? me.name : ""} is ${me ? me.role : "not signed in"}.` }));
    return;
  }
  const params = new URLSearchParams(location.search);
  const { items: named } = await api("/queries");
  const editor = el("textarea", { id: "editor", rows: 10, spellcheck: "false" });
  const doc = el("div", { id: "doc" });
  const form = el("div", { id: "params" });
  const limit = el("input", { type: "number", id: "limit", min: 1, max: 10000, value: params.get("limit") || "1000" });
  const timeout = el("input", { type: "number", id: "timeout", min: 1, max: 60, value: params.get("timeout") || "10" });
  const out = el("div", { id: "out" });
  const historyBox = el("div", { id: "history" });
  const filter = el("input", { type: "search", placeholder: "filter", id: "query-filter" });
  const list = el("ul", { id: "queries" });
  let current = null;

  const fieldsFor = (names, values = {}, required = new Set()) => {
    form.replaceChildren(...names.map((name) => el("label", {}, `${name}${required.has(name) ? " *" : ""} `,
      el("input", { name, "data-param": name, value: values[name] === undefined || values[name] === null ? "" : (typeof values[name] === "string" ? values[name] : JSON.stringify(values[name])) }))));
  };
  const declared = (text) => [...new Set([...text.replace(/\/\/[^\n]*/g, "").matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))];
  const choose = (query, values = {}) => {
    current = query;
    editor.value = query.text;
    doc.replaceChildren(el("h2", { text: query.name }), el("p", { text: query.finds }),
      query.why ? el("p", { class: "muted", text: "Why: " + query.why }) : null,
      query.rows ? el("p", { class: "muted", text: "Rows: " + query.rows }) : null,
      query.params_doc ? el("p", { class: "muted", text: "Parameters: " + query.params_doc }) : null);
    fieldsFor(query.params.map((p) => p.name), values, new Set(query.params.filter((p) => p.required).map((p) => p.name)));
  };
  const showList = () => {
    const text = filter.value.toLowerCase();
    list.replaceChildren(...named.filter((n) => !text || (n.name + n.finds).toLowerCase().includes(text)).map((n) =>
      el("li", {}, el("a", { href: "/console?q=" + encodeURIComponent(n.name), "data-query": n.name, title: n.finds, text: n.name, onclick: (event) => { event.preventDefault(); choose(n); setUrl({ q: n.name }); } }))));
  };
  filter.addEventListener("input", showList);
  editor.addEventListener("input", () => {
    const values = Object.fromEntries([...form.querySelectorAll("input")].map((i) => [i.name, i.value]));
    if (current && editor.value !== current.text) { current = null; doc.replaceChildren(); }
    if (!current) fieldsFor(declared(editor.value), values);
  });
  const body = (format) => {
    const values = Object.fromEntries([...form.querySelectorAll("input")].map((i) => [i.name, parseValue(i.value)]));
    return { query: editor.value, params: values, limit: Number(limit.value) || undefined, timeout: Number(timeout.value) || undefined, format };
  };
  const shareable = () => {
    const state = current ? { q: current.name } : { text: editor.value };
    for (const i of form.querySelectorAll("input")) if (i.value !== "") state["p." + i.name] = i.value;
    return { ...state, limit: limit.value !== "1000" ? limit.value : null, timeout: timeout.value !== "10" ? timeout.value : null, run: "1" };
  };
  const run = async () => {
    out.replaceChildren(el("p", { class: "loading", text: "…" }));
    setUrl(shareable(), false);
    try {
      const answer = await api("/cypher", { json: body("json") });
      const tableView = table(answer.rows, answer.columns);
      const graphBox = el("div", { class: "graph-box" });
      const { nodes } = graphOfRows(answer.rows);
      out.replaceChildren(
        el("p", { class: "summary", id: "row-count", text: `${answer.row_count} rows in ${answer.ms} ms${answer.truncated ? " (cut at the limit)" : ""}` }),
        tableView, ...(nodes.length ? [section("图 Graph", graphBox)] : []));
      if (nodes.length) { const g = graphOfRows(answer.rows); new window.Graph(graphBox, { onSelect: (n) => location.assign(entityHref(n.id, n.label)) }).add(g.nodes, g.edges); }
    } catch (error) { out.replaceChildren(failure(error)); }
    showHistory();
  };
  const download = async () => {
    try {
      const response = await api("/cypher", { json: body("csv"), raw: true });
      const blob = new Blob([await response.text()], { type: "text/csv;charset=utf-8" });
      const a = el("a", { href: URL.createObjectURL(blob), download: (current ? current.name : "query") + ".csv" });
      document.body.append(a); a.click(); a.remove();
    } catch (error) { out.replaceChildren(failure(error)); }
    showHistory();
  };
  const showHistory = async () => {
    try {
      const { items } = await api("/cypher/history?limit=30");
      historyBox.replaceChildren(table(items, ["at", "query", "params", "rows", "ms", "outcome"], {
        query: (v, h) => el("a", { href: "#", class: "again", title: "load into the editor", text: (typeof v === "string" ? v : (v && v.truncated) || "").slice(0, 80), onclick: (event) => {
          event.preventDefault(); current = null; editor.value = typeof v === "string" ? v : v.truncated; doc.replaceChildren(); fieldsFor(declared(editor.value), h.params || {});
        } }),
      }));
    } catch (error) { historyBox.replaceChildren(failure(error)); }
  };
  main.replaceChildren(title("Cypher 控制台 console"),
    el("div", { class: "console" },
      el("aside", {}, el("h2", { text: "命名查询 Named queries" }), filter, list),
      el("div", { class: "work" }, doc, editor, form,
        el("div", { class: "actions" }, el("label", {}, "limit ", limit), el("label", {}, "timeout s ", timeout),
          el("button", { id: "run", text: "运行 Run", onclick: run }),
          el("button", { id: "csv", text: "CSV", onclick: download })),
        el("p", { class: "muted", text: "Read-only: a statement that writes is refused, and every query is written to the audit log with this key's name." }),
        out, section("历史 History (this key)", historyBox))));
  showList();
  const values = {};
  for (const [name, value] of params) if (name.startsWith("p.")) values[name.slice(2)] = value;
  const chosen = named.find((n) => n.name === params.get("q"));
  if (chosen) choose(chosen, values);
  else if (params.get("text")) { editor.value = params.get("text"); fieldsFor(declared(editor.value), values); }
  if (params.get("run") === "1" && editor.value) await run(); else await showHistory();
};

// -- dashboards -----------------------------------------------------------------------------
const SHOWN = 200; // rows of a findings list before "show all"

PAGES.dashboards = async () => {
  const params = new URLSearchParams(location.search);
  const models = await api("/models");
  const model = el("select", { id: "model" }, models.items.map((m) => el("option", { value: m, selected: m === (params.get("model") || "hangzhou"), text: m })));
  const thisYear = new Date().getFullYear();
  const year = el("input", { type: "number", id: "year", value: params.get("year") || String(thisYear - 2), min: 1900, max: 2200 });
  const from = el("input", { type: "number", id: "from", value: params.get("from") || String(Number(year.value) - 2), min: 1900, max: 2200 });
  const kpiBox = el("div", { id: "kpis" });
  const summaryBox = el("div", { id: "summary" });
  const findingBox = el("div", { id: "findings" });
  const filters = { kind: el("select", { id: "kind" }), severity: el("select", { id: "severity" }), model: el("select", { id: "finding-model" }), district: el("select", { id: "district" }), source: el("select", { id: "source" }) };
  let all = [], withheld = 0, beyond = 0, everything = false;
  const choices = (select, values, chosen) => select.replaceChildren(el("option", { value: "", text: "all" }), ...values.map((v) => el("option", { value: v, selected: v === chosen, text: v })));
  const state = () => ({ model: model.value, year: year.value, from: from.value !== String(Number(year.value) - 2) ? from.value : null });
  const showFindings = () => {
    const wanted = Object.fromEntries(Object.entries(filters).map(([k, s]) => [k, s.value]));
    const rows = all.filter((f) => Object.entries(wanted).every(([k, v]) => !v || f[k] === v));
    setUrl({ ...state(), ...Object.fromEntries(Object.entries(wanted).map(([k, v]) => ["f." + k, v])) }, false);
    const shown = everything ? rows : rows.slice(0, SHOWN);
    findingBox.replaceChildren(el("p", { class: "summary", text: `${rows.length} of ${all.length} findings` }), findingsTable(shown));
    if (shown.length < rows.length) findingBox.append(el("button", { id: "show-all", text: `show all ${rows.length}`, onclick: () => { everything = true; showFindings(); } }));
    if (withheld) findingBox.append(el("p", { class: "muted", text: `${withheld} person-level findings are withheld from a reader key` }));
    if (beyond > 0) findingBox.append(el("p", { class: "error", id: "beyond", text: `${beyond} more findings than the first 1,000 of gaps and of islands are not shown here: use \`medgraph gaps\` or the API's offset` }));
  };
  const summarise = () => {
    // Findings by kind and severity: a click on a count filters the list to it.
    const counts = {};
    for (const f of all) { counts[f.kind] = counts[f.kind] || { kind: f.kind, high: 0, medium: 0, low: 0, total: 0 }; counts[f.kind][f.severity]++; counts[f.kind].total++; }
    const pick = (kind, severity) => (v) => (v ? el("a", { href: "#findings", text: String(v), onclick: () => { filters.kind.value = kind; filters.severity.value = severity || ""; showFindings(); } }) : "");
    summaryBox.replaceChildren(table(Object.values(counts), ["kind", "high", "medium", "low", "total"], {
      high: (v, r) => pick(r.kind, "high")(v), medium: (v, r) => pick(r.kind, "medium")(v), low: (v, r) => pick(r.kind, "low")(v), total: (v, r) => pick(r.kind, "")(v),
    }));
  };
  const loadKpis = async () => {
    // The KPIs of each year from `from` to `year`, each against its target.
    kpiBox.replaceChildren(el("p", { class: "loading", text: "…" }));
    const years = [];
    for (let y = Math.min(Number(from.value), Number(year.value)); y <= Number(year.value); y++) years.push(y);
    try {
      const answers = await Promise.all(years.map((y) => api(`/kpis?year=${y}&model=${encodeURIComponent(model.value)}`)));
      const rows = {};
      answers.forEach((answer, i) => answer.items.forEach((k) => {
        rows[k.code] = rows[k.code] || { code: k.code, target: "", definition: k.definition, source: k };
        // The target of the latest year that has one (a target may start in a later year).
        if (k.target !== null && k.target !== undefined) Object.assign(rows[k.code], { target: `${k.comparator || ""} ${k.target}`, source: k });
        rows[k.code][String(years[i])] = k;
      }));
      const verdict = (k) => (!k ? "" : el("span", { class: k.met === true ? "met" : k.met === false ? "missed" : "muted", title: `base ${k.base}`,
        text: k.value === null ? "no data" : `${k.value}${k.met === true ? " 达标 met" : k.met === false ? " 未达标 missed" : ""}` }));
      kpiBox.replaceChildren(table(Object.values(rows), ["code", "target", ...years.map(String), "definition", "source"],
        { ...Object.fromEntries(years.map((y) => [String(y), verdict])), source: (k) => citation(k) }));
      // The last year by district of the persons (002's 防贫地图), when the data has districts.
      const split = await api(`/kpis?year=${year.value}&model=${encodeURIComponent(model.value)}&by=district&limit=1000`);
      const districts = {};
      for (const k of split.items) if (k.district !== null) (districts[k.district] = districts[k.district] || { district: k.district })[k.code] = k;
      const codes = [...new Set(split.items.map((k) => k.code))];
      if (Object.keys(districts).length) {
        kpiBox.append(el("h3", { text: `${year.value} by district 分区县` }),
          el("div", { id: "kpi-districts" }, table(Object.values(districts), ["district", ...codes], Object.fromEntries(codes.map((c) => [c, verdict])))));
      }
    } catch (error) { kpiBox.replaceChildren(failure(error)); }
  };
  const loadFindings = async () => {
    findingBox.replaceChildren(el("p", { class: "loading", text: "…" }));
    try {
      const m = encodeURIComponent(model.value);
      const [gaps, islands] = await Promise.all([api(`/gaps?limit=1000&model=${m}`), api(`/islands?limit=1000&model=${m}`)]);
      // A finding about a person or household carries its district (facts.district).
      const row = (source) => (f) => ({ ...f, source, model: (f.facts && f.facts.model) || model.value, district: (f.facts && f.facts.district) || "" });
      all = [...gaps.items.map(row("gaps")), ...islands.items.map(row("islands"))];
      withheld = (gaps.withheld ? gaps.withheld.count : 0) + (islands.withheld ? islands.withheld.count : 0);
      beyond = gaps.total + islands.total - all.length; // past the first page of each: said, never hidden
      choices(filters.kind, [...new Set(all.map((f) => f.kind))].sort(), params.get("f.kind"));
      choices(filters.severity, ["high", "medium", "low"], params.get("f.severity"));
      choices(filters.model, [...new Set(all.map((f) => f.model))].sort(), params.get("f.model"));
      choices(filters.district, [...new Set(all.map((f) => f.district).filter(Boolean))].sort(), params.get("f.district"));
      choices(filters.source, ["gaps", "islands"], params.get("f.source"));
      summarise();
      showFindings();
    } catch (error) { findingBox.replaceChildren(failure(error)); }
  };
  for (const s of Object.values(filters)) s.addEventListener("change", () => { everything = false; showFindings(); });
  for (const input of [model, year, from]) input.addEventListener("change", () => { setUrl(state()); loadKpis(); if (input === model) loadFindings(); });
  main.replaceChildren(title("看板 Dashboards"),
    el("div", { class: "filters" }, el("label", {}, "model ", model), el("label", {}, "years ", from), el("label", {}, "to ", year)),
    section("指标 KPIs against their targets, by year", kpiBox),
    section("政策模拟 What-if: the loaded cases under a reform", whatifPanel(model, year)),
    section("发现 Findings by kind and severity", summaryBox),
    section("发现 Findings", el("div", { class: "filters" }, Object.entries(filters).map(([k, s]) => el("label", {}, k + " ", s))), findingBox));
  await Promise.all([loadKpis(), loadFindings()]);
};

// The what-if panel: the model's shipped reforms over the loaded cases (POST /whatif without
// persons or cases), each beside the baseline. Its choices are in the URL (w.reform, w.dataset),
// and a URL that names reforms runs them when it opens, so a result can be shared.
function whatifPanel(model, year) {
  const box = el("div", { id: "whatif" });
  if (!allows("analyst")) {
    box.append(el("p", { class: "muted", text: "The what-if settles persons' cases: it needs an analyst key." }));
    return box;
  }
  const params = new URLSearchParams(location.search);
  const chosen = new Set(params.getAll("w.reform"));
  const picks = el("span", { id: "whatif-reforms" });
  const dataset = el("input", { id: "whatif-dataset", value: params.get("w.dataset") || "", placeholder: "all datasets", size: 14 });
  // A reform of the analyst's own, as its YAML file would read; refused with its line and field.
  const own = el("textarea", { id: "whatif-yaml", rows: 5, cols: 70, spellcheck: "false",
    placeholder: "your own reform (YAML), e.g.\nname: marginal households at 90 %\nchanges:\n  - rule: hangzhou.rule.ma_rate_marginal_low_income\n    set: {rate: 0.9}" });
  own.value = params.get("w.yaml") || "";
  const result = el("div", { id: "whatif-result" });
  const keep = () => {
    const url = new URLSearchParams(location.search);
    url.delete("w.reform"); url.delete("w.dataset"); url.delete("w.yaml");
    for (const c of picks.querySelectorAll("input:checked")) url.append("w.reform", c.value);
    if (dataset.value) url.set("w.dataset", dataset.value);
    if (own.value.trim()) url.set("w.yaml", own.value);
    history.replaceState(null, "", location.pathname + (url.toString() ? "?" + url : ""));
  };
  const run = async () => {
    const reforms = [...picks.querySelectorAll("input:checked")].map((c) => c.value);
    if (own.value.trim()) reforms.push({ yaml: own.value });
    keep();
    if (!reforms.length) { result.replaceChildren(el("p", { class: "muted", text: "Choose a reform." })); return; }
    result.replaceChildren(el("p", { class: "loading", text: "settling the loaded cases …" }));
    const body = { model: model.value, year: Number(year.value), reforms };
    if (dataset.value) body.dataset = dataset.value;
    try { result.replaceChildren(...whatifTables(await api("/whatif", { json: body }))); } catch (error) { result.replaceChildren(failure(error)); }
  };
  const offer = async () => {
    try {
      const shipped = await api(`/reforms?model=${encodeURIComponent(model.value)}`);
      picks.replaceChildren(...(shipped.items.length ? shipped.items.map((r) => el("label", { class: "reform", title: r.description },
        el("input", { type: "checkbox", name: "reform", value: r.id, checked: chosen.has(r.id) }), ` ${r.name} `)) :
        [el("span", { class: "muted", text: "this model ships no reforms" })]));
    } catch (error) { picks.replaceChildren(failure(error)); }
  };
  const form = el("form", { id: "whatif-form" }, picks, el("label", {}, "dataset ", dataset), el("button", { type: "submit", text: "模拟 Run" }), el("div", {}, own));
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  model.addEventListener("change", () => { chosen.clear(); result.replaceChildren(); offer(); });
  box.append(form, result);
  offer().then(() => { if (chosen.size || own.value.trim()) run(); });
  return box;
}

// A what-if answer as tables: the 002 indicators against their targets, cost by scheme, the
// warning line, and persons by band of their change, each reform beside the baseline.
function whatifTables(doc) {
  const [base, ...reforms] = doc.scenarios;
  const names = doc.scenarios.map((s) => s.name);
  const head = el("p", { class: "summary", text: `${doc.cases.toLocaleString("en")} cases of ${doc.persons.toLocaleString("en")} persons${doc.year ? ", " + doc.year : ""}; targets of ${doc.target_year}` });
  const verdict = (k) => el("span", { class: k.met === true ? "met" : k.met === false ? "missed" : "muted",
    text: k.value === null ? "no data" : `${(k.value * 100).toFixed(2)} %${k.met === true ? " 达标 met" : k.met === false ? " 未达标 missed" : ""}` });
  const kpis = base.kpis.map((k, i) => ({ code: k.code, target: k.target === null ? "" : `${k.comparator} ${(k.target * 100).toFixed(0)} %`,
    ...Object.fromEntries(doc.scenarios.map((s) => [s.name, s.kpis[i]])), source: k }));
  const cost = Object.keys(base.cost).map((scheme) => ({ scheme, ...Object.fromEntries(doc.scenarios.map((s) => [s.name, s.cost[scheme]])),
    ...Object.fromEntries(reforms.map((s) => ["Δ " + s.name, s.change.cost[scheme]])) }));
  cost.push({ scheme: "out of pocket 自付", ...Object.fromEntries(doc.scenarios.map((s) => [s.name, s.out_of_pocket])),
    ...Object.fromEntries(reforms.map((s) => ["Δ " + s.name, s.change.out_of_pocket])) });
  const line = ["persons", "households", "households_catastrophic", "households_without_category"].map((what) => ({ [`at or above ${money(base.warning_line.line)}`]: what,
    ...Object.fromEntries(doc.scenarios.map((s) => [s.name, s.warning_line[what]])) }));
  const crossing = reforms.map((s) => ({ reform: s.name, ...s.change.crossings, winners: s.change.winners, losers: s.change.losers }));
  const bands = reforms.length ? reforms[0].change.bands.map((band, b) => ({ band, ...Object.fromEntries(reforms.map((s) =>
    [s.name, s.change.by_category.reduce((n, c) => n + c.persons[b], 0)])) })) : [];
  const yuan = Object.fromEntries([...names, ...reforms.map((s) => "Δ " + s.name)].map((n) => [n, money]));
  return [head,
    el("h3", { text: "指标 Indicators of 002 一" }), table(kpis, ["code", "target", ...names, "source"], { ...Object.fromEntries(names.map((n) => [n, verdict])), source: (k) => citation(k) }),
    el("h3", { text: "费用 Cost by scheme (yuan)" }), table(cost, ["scheme", ...names, ...reforms.map((s) => "Δ " + s.name)], yuan),
    el("h3", { text: "预警线 The warning line" }), table(line, [`at or above ${money(base.warning_line.line)}`, ...names]),
    table(crossing, ["reform", "persons_above_to_below", "persons_below_to_above", "households_above_to_below", "households_below_to_above", "winners", "losers"]),
    el("h3", { text: "受益与受损 Persons by change of their out of pocket" }), table(bands, ["band", ...reforms.map((s) => s.name)])];
}

// -- diagrams ---------------------------------------------------------------------------------
const VIEWS = ["coordination", "mechanism", "funding", "data-sharing", "responsibility", "case"];

PAGES.diagrams = async () => {
  const params = new URLSearchParams(location.search);
  const view = el("select", { id: "view" }, VIEWS.map((v) => el("option", { value: v, selected: v === (params.get("view") || "coordination"), text: v })));
  const model = el("input", { id: "model", value: params.get("model") || "hangzhou", size: 12 });
  const lang = el("select", { id: "lang" }, ["zh", "en"].map((v) => el("option", { value: v, selected: v === (params.get("lang") || "zh"), text: v })));
  const caseId = el("input", { id: "case_id", value: params.get("case_id") || "", placeholder: "case id (case view)", size: 16 });
  const box = el("div", { id: "diagram", class: "diagram" });
  const show = async (push) => {
    setUrl({ view: view.value, model: model.value, lang: lang.value, case_id: view.value === "case" ? caseId.value : null }, push);
    if (view.value === "case" && !allows("analyst")) {
      box.replaceChildren(el("p", { class: "muted", text: "The case view shows a person: it needs an analyst key." })); return;
    }
    if (view.value === "case" && !caseId.value) { box.replaceChildren(el("p", { class: "muted", text: "Give a case id." })); return; }
    box.replaceChildren(el("p", { class: "loading", text: "…" }));
    const search = new URLSearchParams({ format: "svg", links: "true", lang: lang.value });
    if (model.value) search.set("model", model.value);
    if (view.value === "case") search.set("case_id", caseId.value);
    try {
      const svg = await api(`/diagrams/${view.value}?` + search);
      // The SVG is matplotlib's, from this server; parsed as XML, never run as script.
      const parsed = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
      parsed.querySelectorAll("script").forEach((s) => s.remove());
      box.replaceChildren(document.importNode(parsed, true));
    } catch (error) { box.replaceChildren(failure(error)); }
  };
  const form = el("form", { id: "diagram-form" }, el("label", {}, "view ", view), el("label", {}, "model ", model),
    el("label", {}, "lang ", lang), caseId, el("button", { type: "submit", text: "显示 Show" }));
  form.addEventListener("submit", (event) => { event.preventDefault(); show(true); });
  main.replaceChildren(title("图 Diagrams"), form, box);
  await show(false);
};

// -- the frame -------------------------------------------------------------------------------
async function start() {
  const page = main.dataset.page;
  const mine = session();
  if (page !== "login" && !mine) { signOut(); return; }
  if (mine) {
    document.getElementById("who").replaceChildren(`${mine.name} (${mine.role}) `,
      el("button", { id: "sign-out", text: "退出 Sign out", onclick: () => { sessionStorage.removeItem(STORE); location.assign("/login"); } }));
  }
  try { await PAGES[page](); } catch (error) { main.append(failure(error)); }
  main.dataset.ready = "true"; // what a test waits for
  performance.mark("medgraph:ready"); // the page's data shown: what bench/workspace.py times
}

window.addEventListener("popstate", () => location.reload());
start();
