"""Reconciliation: what each payer paid (observed payments) against what the rules entitle.

The entitlement is what the case loader settled by the model's rules (`SETTLED_BY`, with its
rule); the observed payments are the payers' own records (`Payment`, loaders/payments.py).
Both are read from the store and compared per unit: a case, or a person-year when a payer
paid the person without seeing the case (then all the person's cases that year are one
unit). Only schemes some payer reported are reconciled: a scheme no payer sent records for
is taken as paid as the rules settle it (basic insurance, whose payment the case data give).

Seven kinds of finding (docs/findings.md, "Reconciliation"), each naming the payer to act:

- `excess_payment`: the payments on a unit add up to more than its bill;
- `excess_over_scope`: the payments under a scheme that may pay only within the policy
  scope (analysis.policy_scope) go beyond what the schemes before it left of that scope;
- `duplicate_aid`: two or more payers paid on the same unit and together beyond what the
  rules entitle; each pair is told with whether a data path joins them (analysis.network);
- `missed_aid`: the rules entitle a payment under a scheme that no payer made;
- `overpayment` / `underpayment`: one payer paid more or less than the rule gives;
- `ineligible_payment`: a payment under a scheme that requires a certificate the person did
  not hold on the date, or enrolment the person did not have that year.

>>> round(_over({"a": 50.0}, 30.0), 2)
20.0
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from medgraph.analysis import network
from medgraph.analysis.findings import Finding, _citation, _unique, provenance
from medgraph.analysis.policy_scope import Bound, beyond_scope, scope_bound
from medgraph.settlement import load_rules

# Differences below a yuan are rounding, not findings (an assumption: the documents give no
# tolerance; payers round to the fen or the yuan).
TOLERANCE = 1.0
READ_BATCH = 10_000
READERS = 2  # reads sent to the store at once
# Schemes paid on enrolment, and the scheme whose ENROLLED_IN the person must have.
ENROLMENT = {"basic_medical_insurance": "basic_medical_insurance",
             "critical_illness_insurance": "basic_medical_insurance",
             "huiminbao": "huiminbao"}
PROBLEM = "duplicate_assistance_unshared_information"
# Schemes that pay only a holder of one of their categories on the day (_Checker).
CERTIFIED = ("medical_assistance", "special_assistance")


@dataclass
class Unit:
    """What is reconciled at once: one case, or one person's cases of a year."""

    id: str
    person: str
    year: int
    cases: list[str] = field(default_factory=list)
    bill: float = 0.0
    scope: float = 0.0                                         # the policy-scope cost
    entitled: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    rules: dict[str, str] = field(default_factory=dict)       # scheme code -> rule id
    settled_paid: float = 0.0                                  # unreported schemes, as settled
    settled: set[str] = field(default_factory=set)  # schemes given above the bill
    payments: list[dict[str, Any]] = field(default_factory=list)
    # the unreported schemes as settled, by scheme: read only for a unit that may have been
    # paid beyond its policy scope (None: it cannot have been)
    unreported: dict[str, float] | None = None


@dataclass
class Reconciliation:
    findings: list[Finding]
    by_payer: list[dict[str, Any]]
    by_scheme: list[dict[str, Any]]
    facts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"summary": {"by_payer": self.by_payer, "by_scheme": self.by_scheme,
                            **self.facts},
                "findings": [f.to_dict() for f in self.findings]}


def _over(paid: dict[str, float], entitled: float) -> float:
    return max(0.0, sum(paid.values()) - entitled)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), READ_BATCH):
        yield items[start:start + READ_BATCH]


# -- reading -------------------------------------------------------------------------------
def _read_by(store: Any, statement: str, ids: Iterable[str], **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(set(ids))):
        rows += store.read(statement, {"ids": chunk, **params}, limit=None)
    return rows


def _schemes(store: Any, model: str) -> dict[str, dict[str, Any]]:
    """The model's schemes by code: order, name, and the agencies that pay or run them."""
    rows = store.read(
        "MATCH (s:Scheme) WHERE s.model = $model "
        "OPTIONAL MATCH (a:Agency)-[r:PAYS|ADMINISTERS]->(s) "
        "RETURN s.id AS id, s.code AS code, s.name_zh AS name_zh, s.order AS order, "
        "collect(DISTINCT [type(r), a.id]) AS bodies", {"model": model})
    out = {}
    for row in rows:
        pays = sorted({b for t, b in row["bodies"] if t == "PAYS" and b})
        runs = sorted({b for t, b in row["bodies"] if t == "ADMINISTERS" and b})
        out[row["code"]] = {**row, "accountable": pays or runs}
    return out


PAYMENT_FIELDS = {name: f"p.{name}" for name in (
    "id", "payer", "scheme", "scheme_id", "case", "person", "date", "year", "amount")}
# what a case's facts are read as, from the case `c` and its person `q`
CASE_FIELDS = {"c": "c.id", "p": "q.id", "y": "c.year", "date": "c.date",
               "bill": "c.total_cost", "scope": "c.policy_scope_cost", "oop": "c.out_of_pocket"}
CASE_FACTS = ", ".join(f"{expression} AS {name}" for name, expression in CASE_FIELDS.items())


def _pages(store: Any, year: int | None) -> list[dict[str, Any]]:
    """The year filters a whole-city read is cut into: one per year the case data hold, and
    one for any other, so that no read of a large city runs near the per-read time limit,
    and the pages can be read side by side."""
    if year is not None:
        return [{"year": year, "years": None}]
    years = sorted({y for row in store.read("MATCH (d:Dataset) RETURN d.years AS ys")
                    for y in row["ys"] or []})
    return [{"year": y, "years": None} for y in years] + [{"year": None, "years": years}]


# a page: one year, or (`years` given) every year but those
PAGE = "($years IS NULL AND {v}.year = $year OR $years IS NOT NULL AND NOT {v}.year IN $years)"


def _read_pages(store: Any, match: str, fields: dict[str, str],
                pages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows of `match` on each page, as dicts of `fields` (name: expression), in the
    order of the pages; the pages are read side by side (the store answers several at
    once). Each page comes back as one collected list: records one by one cost the client
    three times the time to decode."""
    statement = f"{match} RETURN collect([{', '.join(fields.values())}]) AS rows"

    def read(params: dict[str, Any]) -> list[dict[str, Any]]:
        [row] = store.read(statement, params, limit=None)
        return [dict(zip(fields, values, strict=True)) for values in row["rows"]]

    with ThreadPoolExecutor(max_workers=READERS) as pool:
        return list(pool.map(read, pages))


def _read_payments(store: Any, model: str, pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The model's payments, the fields reconciliation reads, in id order. One list per row
    and the order made here: a map per row (properties) and ORDER BY in the store cost a
    quarter of the read."""
    match = (f"MATCH (p:Payment) WHERE {PAGE.format(v='p')} "
             "AND p.scheme_id STARTS WITH $prefix")
    payments = [p for rows in _read_pages(store, match, PAYMENT_FIELDS, [
        {**page, "prefix": f"{model}."} for page in pages]) for p in rows]
    payments.sort(key=lambda p: p["id"])
    return payments


def _eligibility(store: Any, payments: list[dict[str, Any]], certified: Iterable[str]
                 ) -> tuple[dict, dict]:
    """Each paid person's certificates (category, from, to), read for the persons paid under
    a scheme that needs one (`certified`), and enrolment (scheme code, year), for those paid
    under a scheme paid on enrolment: the checks _Checker makes, and no more."""
    certified = set(certified)
    holds: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in _read_by(store, "UNWIND $ids AS i MATCH (:Person {id: i})-[h:HOLDS]->(c) "
                               "RETURN i AS p, c.id AS c, h.valid_from AS f, h.valid_to AS t",
                        {p["person"] for p in payments if p["scheme"] in certified}):
        holds[row["p"]].append((row["c"], row["f"], row["t"]))
    enrolled: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for row in _read_by(store, "UNWIND $ids AS i MATCH (:Person {id: i})-[e:ENROLLED_IN]->(s) "
                               "RETURN i AS p, s.code AS s, e.year AS y",
                        {p["person"] for p in payments if p["scheme"] in ENROLMENT}):
        enrolled[row["p"]].add((row["s"], row["y"]))
    return holds, enrolled


# -- the reconciliation ----------------------------------------------------------------------
def reconcile(store: Any, model: str = "hangzhou", year: int | None = None,
              payer: str | None = None, tolerance: float = TOLERANCE) -> Reconciliation:
    """Every unit with an observed payment or an entitlement under a reported scheme."""
    rules = load_rules(model)
    schemes = _schemes(store, model)
    pages = _pages(store, year)
    payments = _read_payments(store, model, pages)
    reported = sorted({p["scheme"] for p in payments})
    # entitlements of the reported schemes, read from each scheme's settlements: a few
    # percent of all relationships, found from the scheme, not by reading every case; the
    # facts of each case come with them, walked from the scheme rather than looked up by id
    settled: list[tuple[str, str, float, str | None]] = []
    facts: dict[str, dict[str, Any]] = {}
    match = ("MATCH (s:Scheme {id: $sid})<-[r:SETTLED_BY]-(c:Case)<-[:HAS_CASE]-(q:Person) "
             f"WHERE {PAGE.format(v='c')} AND r.amount > 0")
    reads = [(code, {**page, "sid": f"{model}.{code}"}) for code in reported for page in pages]
    for (code, _), rows in zip(reads, _read_pages(
            store, match, {"a": "r.amount", "rule": "r.rule_id", **CASE_FIELDS},
            [params for _, params in reads]), strict=True):
        for r in rows:
            settled.append((r["c"], code, r.pop("a"), r.pop("rule")))
            facts[r["c"]] = r
    # cases whose given insurance payments exceed the bill, flagged by the case loader
    flagged = {r["c"]: r["s"] for r in store.read(
        "MATCH (c:Case {given_over_bill: true})-[:SETTLED_BY]->(s:Scheme) "
        "WHERE $year IS NULL OR c.year = $year RETURN c.id AS c, collect(s.code) AS s",
        {"year": year}, limit=None)}
    by_person = {(p["person"], p["year"]) for p in payments if not p.get("case")}
    person_cases = _read_by(
        store, "UNWIND $ids AS i MATCH (:Person {id: i})-[:HAS_CASE]->(c:Case) "
               "RETURN i AS p, c.id AS c, c.year AS y", {p for p, _ in by_person})
    cases = {c for c, _, _, _ in settled} | set(flagged) \
        | {p["case"] for p in payments if p.get("case")} \
        | {r["c"] for r in person_cases if (r["p"], r["y"]) in by_person}
    # what every scheme paid on a case is its bill less the patient's share (below 0 when
    # the schemes paid beyond the bill): no SETTLED_BY read per case
    facts |= {r["c"]: r for r in _read_by(
        store, f"UNWIND $ids AS i MATCH (c:Case {{id: i}})<-[:HAS_CASE]-(q:Person) "
               f"RETURN {CASE_FACTS}", cases - set(facts))}
    units: dict[str, Unit] = {}
    unit_of: dict[str, Unit] = {}
    for cid in sorted(facts):
        row = facts[cid]
        key = f"{row['p']}|{row['y']}" if (row["p"], row["y"]) in by_person else cid
        unit = units.get(key) or units.setdefault(key, Unit(key, row["p"], row["y"]))
        unit.cases.append(cid)
        unit.bill += row["bill"]
        unit.scope += row["scope"] or 0.0
        unit.settled_paid += row["bill"] - (row["oop"] or 0.0)
        unit.settled |= set(flagged.get(cid, []))
        unit_of[cid] = unit
    for person, pyear in by_person:  # a person paid without cases that year: a unit of none
        key = f"{person}|{pyear}"
        units.setdefault(key, Unit(key, person, pyear))
    for cid, code, amount, rule in settled:
        unit = unit_of[cid]
        unit.entitled[code] += amount
        unit.settled_paid -= amount  # a reported scheme counts by what its payers paid
        if rule:
            unit.rules.setdefault(code, rule)
    for p in payments:
        unit = unit_of[p["case"]] if p.get("case") else units[f"{p['person']}|{p['year']}"]
        unit.payments.append(p)
    bound = {s: b for s, b in scope_bound(rules).items() if s in reported}
    _read_unreported(store, model, [u for u in units.values() if _may_exceed_scope(
        u, bound, rules.order, tolerance)], reported)
    holds, enrolled = _eligibility(store, payments, CERTIFIED)
    graph = network.read_graph(store, model)
    checker = _Checker(rules, holds, enrolled, facts)
    findings: list[Finding] = []
    ledger = _Ledger(reported, schemes)
    for unit in sorted(units.values(), key=lambda u: u.id):
        findings += _unit_findings(unit, checker, graph, schemes, tolerance, ledger)
        findings += _scope_findings(unit, bound, rules.order, tolerance)
    findings = _cite(store, findings, model)
    if payer is not None:
        findings = [f for f in findings if payer in f.facts.get("payers", [])
                    or f.facts.get("payer_to_act") == payer]
    by_payer, by_scheme = ledger.rows(payer)
    return Reconciliation(findings, by_payer, by_scheme, {
        "model": model, "year": year, "payer": payer, "payments": len(payments),
        "units": len(units), "reported_schemes": reported, "tolerance": tolerance,
        "findings": {kind: sum(f.kind == kind for f in findings) for kind in KINDS}})


KINDS = ("excess_payment", "excess_over_scope", "duplicate_aid", "missed_aid", "overpayment",
         "underpayment", "ineligible_payment")


def _observed(unit: Unit) -> dict[str, float]:
    """What the payers paid on the unit under each scheme, eligible or not."""
    paid: dict[str, float] = defaultdict(float)
    for p in unit.payments:
        paid[p["scheme"]] += p["amount"]
    return paid


def _may_exceed_scope(unit: Unit, bound: dict[str, Bound], order: tuple[str, ...],
                      tol: float) -> bool:
    """Whether the unit may have been paid beyond its scope, before reading how the
    unreported schemes split: they all count as paid first, which can only make a bound
    scheme's room smaller (analysis.policy_scope.beyond_scope)."""
    paid = _observed(unit)
    if not any(s in bound for s in paid):
        return False
    paid[""] = unit.settled_paid
    return sum(beyond_scope(paid, unit.scope, ("", *order), bound).values()) > tol


def _read_unreported(store: Any, model: str, units: list[Unit], reported: list[str]) -> None:
    """Each unit's unreported schemes as settled, by scheme (a batched read of their cases)."""
    unit_of = {cid: unit for unit in units for cid in unit.cases}
    for unit in units:
        unit.unreported = defaultdict(float)
    for row in _read_by(store, "UNWIND $ids AS i MATCH (:Case {id: i})-[r:SETTLED_BY]->(s:Scheme) "
                               "WHERE s.model = $model RETURN i AS c, s.code AS s, r.amount AS a",
                        unit_of, model=model):
        if row["s"] not in reported:
            unit_of[row["c"]].unreported[row["s"]] += row["a"] or 0.0  # type: ignore[index]


def _scope_findings(unit: Unit, bound: dict[str, Bound], order: tuple[str, ...],
                    tol: float) -> list[Finding]:
    """excess_over_scope: payments under bound schemes beyond the scope left to them."""
    if unit.unreported is None:
        return []
    paid = _observed(unit)
    by_scheme = {s: v for s, v in beyond_scope({**unit.unreported, **paid}, unit.scope, order,
                                               bound).items() if s in paid and v > 0}
    excess = sum(by_scheme.values())
    if excess <= tol:
        return []
    where = (f"case {unit.cases[0]}" if unit.id in unit.cases else
             f"person {unit.person} in {unit.year}")
    # the last bound scheme that paid beyond, and its largest payer: it should have seen
    # what the schemes before it had paid
    last = max(by_scheme, key=order.index)
    amounts: dict[str, float] = defaultdict(float)
    for p in unit.payments:
        if p["scheme"] == last:
            amounts[p["payer"]] += p["amount"]
    actor = max(sorted(amounts), key=lambda w: amounts[w])
    entitling = unit.rules.get(last)
    # assistance cites the clause that puts its base within the scope (the out-of-catalogue
    # rule, first); a scheme whose own rule says so, the rule that entitled the case
    rule = bound[last].rules[0] if last == "medical_assistance" \
        or entitling not in bound[last].rules else entitling
    names = ", ".join(f"{s} {by_scheme[s]:,.2f}" for s in sorted(by_scheme, key=order.index))
    return [Finding(
        kind="excess_over_scope", severity="high",
        entities=[{"id": unit.id, "name_zh": None}, {"id": actor, "name_zh": None}],
        explanation=(f"The payments on {where} under schemes that may pay only within the "
                     f"policy scope (政策范围内费用, {unit.scope:,.2f} yuan of a bill of "
                     f"{unit.bill:,.2f}) go {excess:,.2f} yuan beyond the scope left to them "
                     f"({names}; rule {rule}). {actor}, paying {last}, should recover it."),
        citations=[], facts={"unit": unit.id, "person": unit.person, "year": unit.year,
                             "cases": unit.cases, "bill": round(unit.bill, 2),
                             "policy_scope": round(unit.scope, 2), "scheme": last,
                             "beyond_scope": {s: round(v, 2) for s, v in by_scheme.items()},
                             "excess": round(excess, 2), "payers": sorted(amounts),
                             "payer_to_act": actor, "rule": rule})]


class _Checker:
    """Whether a payment's person could be paid under its scheme on its date."""

    def __init__(self, rules: Any, holds: dict, enrolled: dict, facts: dict) -> None:
        categories = {"medical_assistance": rules.ma_categories,
                      "special_assistance": rules.sa_rates}
        self.needs = {scheme: frozenset(categories[scheme]) for scheme in CERTIFIED}
        self.holds, self.enrolled, self.facts = holds, enrolled, facts

    def why_not(self, p: dict[str, Any], entitled: bool = False) -> str | None:
        scheme, person = p["scheme"], p["person"]
        if scheme in ENROLMENT:
            wanted = ENROLMENT[scheme]
            if (wanted, p["year"]) not in self.enrolled.get(person, set()):
                return f"person {person} was not enrolled in {wanted} in {p['year']}"
        needed = self.needs.get(scheme)
        if needed and not entitled:
            # the day of care when the payer saw the case, else the day it paid
            on = self.facts[p["case"]]["date"] if p.get("case") else p["date"]
            valid = [c for c, start, end in self.holds.get(person, [])
                     if c in needed and start <= on <= end]
            if not valid:
                return (f"person {person} held no certificate of {', '.join(sorted(needed))} "
                        f"valid on {on}")
        return None


class _Ledger:
    """The summary per payer and per scheme, added up unit by unit."""

    def __init__(self, reported: list[str], schemes: dict) -> None:
        self.schemes = schemes
        zero = {"records": 0, "paid": 0.0, "entitled": 0.0, "excess": 0.0, "missed": 0.0}
        self.scheme: dict[str, dict[str, float]] = {s: dict(zero) for s in reported}
        self.payer: dict[str, dict[str, float]] = defaultdict(lambda: dict(zero))

    def add(self, scheme: str, who: str | None, **amounts: float) -> None:
        for book in ([self.scheme[scheme]] + ([self.payer[who]] if who else [])):
            for key, value in amounts.items():
                book[key] += value

    def rows(self, payer: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        def rounded(book: dict[str, float]) -> dict[str, Any]:
            return {k: (round(v, 2) if k != "records" else int(v)) for k, v in book.items()}
        payers = [{"payer": p, **rounded(b)} for p, b in sorted(self.payer.items())
                  if payer is None or p == payer]
        schemes = [{"scheme": s, "name_zh": self.schemes.get(s, {}).get("name_zh"),
                    **rounded(b)} for s, b in sorted(self.scheme.items())]
        return payers, schemes


def _unit_findings(unit: Unit, checker: _Checker, graph: Any, schemes: dict,
                   tol: float, ledger: _Ledger) -> list[Finding]:
    found: list[Finding] = []
    where = (f"case {unit.cases[0]}" if unit.id in unit.cases else
             f"person {unit.person} in {unit.year}")
    entities = [{"id": unit.id, "name_zh": None}]
    base = {"unit": unit.id, "person": unit.person, "year": unit.year, "cases": unit.cases,
            "bill": round(unit.bill, 2)}
    order = {code: s.get("order") or 0 for code, s in schemes.items()}
    paid: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    records: dict[tuple[str, str], int] = defaultdict(int)
    for p in unit.payments:
        # a certificate the rules reach back to (the look-back before certification, 002
        # 二(二)) entitles: only a payment the rules give nothing for is checked
        reason = checker.why_not(p, entitled=unit.entitled.get(p["scheme"], 0.0) > tol)
        if reason:
            ledger.add(p["scheme"], p["payer"], records=1, paid=p["amount"], excess=p["amount"])
            found.append(Finding(
                kind="ineligible_payment", severity="high",
                entities=[*entities, {"id": p["payer"], "name_zh": None}],
                explanation=(f"{p['payer']} paid {p['amount']:,.2f} yuan of {p['scheme']} to "
                             f"{where} on {p['date']}, but {reason}: the scheme may not pay "
                             f"this person. {p['payer']} should recover it or show the "
                             "certificate or enrolment it relied on."),
                citations=[], facts={**base, "payment": p["id"], "scheme": p["scheme"],
                                     "amount": p["amount"], "reason": reason,
                                     "payers": [p["payer"]], "payer_to_act": p["payer"],
                                     "rule": None}))
            continue
        records[(p["scheme"], p["payer"])] += 1
        paid[p["scheme"]][p["payer"]] += p["amount"]
    # excess: every payment (eligible or not) and the unreported schemes as settled
    total = unit.settled_paid + sum(p["amount"] for p in unit.payments)
    if total > unit.bill + tol:
        # the last to pay in the settlement order should have seen what was already paid
        late = sorted(unit.payments, key=lambda p: (order.get(p["scheme"], 0), p["date"]))
        actor = late[-1]["payer"] if late else None
        if actor is None:  # only the insurance the case data give: its payer
            last = max(unit.settled, key=lambda s: order.get(s, 0), default=None)
            actor = next(iter(schemes.get(last or "", {}).get("accountable", [])), None)
        found.append(Finding(
            kind="excess_payment", severity="high",
            entities=entities + ([{"id": actor, "name_zh": None}] if actor else []),
            explanation=(f"The payments on {where} add up to {total:,.2f} yuan against a bill of "
                         f"{unit.bill:,.2f} yuan: {total - unit.bill:,.2f} yuan beyond the "
                         "expense (超额救助). "
                         + (f"{actor}, the last in the settlement order to pay, should recover "
                            "it." if unit.payments else "The insurance payments the case data "
                            f"give exceed the bill: {actor or 'the insurer'} should recover it.")),
            citations=[], facts={**base, "paid": round(total, 2),
                                 "excess": round(total - unit.bill, 2),
                                 "payers": sorted({p["payer"] for p in unit.payments}),
                                 "payer_to_act": actor, "rule": None}))
    # duplicate aid: two or more payers, together beyond the entitlement
    payers = sorted({who for by in paid.values() for who in by})
    over = {s: _over(by, unit.entitled.get(s, 0.0)) for s, by in paid.items()}
    duplicate = len(payers) >= 2 and sum(over.values()) > tol
    if duplicate:
        overpaid = sorted((s for s in over if over[s] > tol), key=lambda s: order.get(s, 0))
        actor = max((w for s in overpaid for w in paid[s]),
                    key=lambda w: max(order.get(s, 0) for s in paid if w in paid[s]))
        pairs = [{"a": a, "b": b, "data_path": network.has_path(graph, a, b)}
                 for a, b in combinations(payers, 2)]
        joined = all(pair["data_path"] for pair in pairs)
        text = "; ".join(f"{x['a']} and {x['b']} " + ("are joined by a data path"
                                                         if x["data_path"] else
                                                         "have no data path between them")
                         for x in pairs)
        found.append(Finding(
            kind="duplicate_aid", severity="medium" if joined else "high",
            entities=[*entities, *({"id": w, "name_zh": None} for w in payers)],
            explanation=(f"{len(payers)} payers paid on {where} ("
                         + ", ".join(f"{w} {sum(paid[s].get(w, 0) for s in paid):,.2f}"
                                     for w in payers)
                         + f" yuan), {sum(over.values()):,.2f} yuan beyond what the rules "
                         f"entitle under {', '.join(overpaid)}: each paid on the same remaining "
                         f"burden without seeing the other (重复救助). {text}. {actor}, later in "
                         "the settlement order, should deduct what the others paid."),
            citations=[], facts={**base, "payers": payers, "pairs": pairs, "schemes": overpaid,
                                 "excess": round(sum(over.values()), 2),
                                 "payer_to_act": actor,
                                 "rule": next((unit.rules.get(s) for s in overpaid
                                               if unit.rules.get(s)), None)}))
    for scheme in sorted(set(unit.entitled) | set(paid)):
        entitled = unit.entitled.get(scheme, 0.0)
        by = paid.get(scheme, {})
        got = sum(by.values())
        rule = unit.rules.get(scheme)
        accountable = schemes.get(scheme, {}).get("accountable", [])
        for who, amount in by.items():
            share = amount / got if got else 0.0
            ledger.add(scheme, who, records=records[(scheme, who)], paid=amount,
                       entitled=entitled * share, excess=max(0.0, got - entitled) * share,
                       missed=max(0.0, entitled - got) * share)
        if not by:
            ledger.add(scheme, accountable[0] if accountable else None, entitled=entitled,
                       missed=entitled)
        fact = {**base, "scheme": scheme, "entitled": round(entitled, 2), "paid": round(got, 2),
                "rule": rule}
        if not by and entitled > tol:
            actor = accountable[0] if accountable else None
            found.append(Finding(
                kind="missed_aid", severity="high",
                entities=[*entities, *({"id": a, "name_zh": None} for a in accountable)],
                explanation=(f"The rules entitle {where} to {entitled:,.2f} yuan of {scheme}"
                             + (f" (rule {rule})" if rule else "") + ", and no payer paid it. "
                             + (f"Accountable: {', '.join(accountable)}." if accountable else
                                "The graph names no body that pays this scheme.")),
                citations=[], facts={**fact, "amount": round(entitled, 2),
                                     "accountable": accountable, "payers": accountable,
                                     "payer_to_act": actor}))
        elif by and len(by) == 1 and not duplicate and got > entitled + tol:
            who = next(iter(by))
            found.append(Finding(
                kind="overpayment", severity="medium",
                entities=[*entities, {"id": who, "name_zh": None}],
                explanation=(f"{who} paid {got:,.2f} yuan of {scheme} on {where}; the rules "
                             f"entitle {entitled:,.2f}" + (f" (rule {rule})" if rule else "")
                             + f": {got - entitled:,.2f} yuan too much. {who} should recover "
                             "it."),
                citations=[], facts={**fact, "difference": round(got - entitled, 2),
                                     "payers": [who], "payer_to_act": who}))
        elif by and got < entitled - tol:
            who = max(by, key=lambda w: by[w])
            found.append(Finding(
                kind="underpayment", severity="medium",
                entities=[*entities, *({"id": w, "name_zh": None} for w in sorted(by))],
                explanation=(f"{', '.join(sorted(by))} paid {got:,.2f} yuan of {scheme} on "
                             f"{where}; the rules entitle {entitled:,.2f}"
                             + (f" (rule {rule})" if rule else "")
                             + f": {entitled - got:,.2f} yuan short. {who} should pay the rest."),
                citations=[], facts={**fact, "difference": round(entitled - got, 2),
                                     "payers": sorted(by), "payer_to_act": who}))
    return found


def _cite(store: Any, findings: list[Finding], model: str) -> list[Finding]:
    """Cite each finding: its rule, its scheme, the payers' PAYS, and the problem of 000 §4.2
    for duplicate and excess payments; names filled in from the graph."""
    ids = {e["id"] for f in findings for e in f.entities}
    ids |= {f.facts["rule"] for f in findings if f.facts.get("rule")}
    ids |= {f"{model}.{f.facts['scheme']}" for f in findings if f.facts.get("scheme")}
    problem = f"{model}.problem.{PROBLEM}"
    cited = provenance(store, ids | {problem})
    for f in findings:
        for entity in f.entities:
            entity["name_zh"] = cited.get(entity["id"], {}).get("name_zh")
        wanted = [f.facts.get("rule"), f"{model}.{f.facts['scheme']}" if f.facts.get("scheme")
                  else None]
        if f.kind in ("duplicate_aid", "excess_payment", "excess_over_scope"):
            wanted.append(problem)
        f.citations = _unique(_citation(cited[i]) for i in wanted if i in cited)
    return findings
