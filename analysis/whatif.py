"""What-if: the same cases settled under a model's rules and under reforms, side by side.

Each scenario (the baseline, then each reform) settles every case with the vectorised
engine; everything reported is computed from those payments, in integer fen until the
last step (docs/whatif.md gives each measure's definition):

- cost by scheme, by the fund that pays each scheme (the model's PAYS links from a Fund)
  and by who finances the fund (FUNDS and TRANSFERS_TO into it, with the level of
  government and the share where the model gives one);
- the four indicators of 002 一 for medical-assistance recipients against the targets
  in force, as analysis/kpi.py defines them on the store;
- persons and households at or above the warning line, crossings each way, households
  above it though no member alone is (catastrophic household burden), and households
  holding no assistance category above it (the cliff of 001 三(二));
- winners and losers: each person's change of out-of-pocket cost, in bands, by category.

>>> from medgraph.settlement import read_input                     # doctest: +SKIP
>>> doc = compare(read_input("city"), scenarios("hangzhou", ["r.yaml"]))  # doctest: +SKIP
>>> doc["scenarios"][1]["cost"]["medical_assistance"]["change"]     # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from medgraph.analysis.kpi import COMPARATORS, DEFINITIONS, HIGH_COST_LINE, WARNING_LINE
from medgraph.loaders.districts import districts
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import Model, model_dir, read_model
from medgraph.settlement.inputs import SettlementInput, cases_of_year, known_categories, years_of
from medgraph.settlement.reforms import Reform, reform_rules, set_parameter
from medgraph.settlement.rules import SCHEMES, RuleSet, to_fen
from medgraph.settlement.vectorised import case_order, settle_payments

# Bands of a person's change of out-of-pocket cost (yuan), as `band` assigns them.
BANDS = ("falls 10,000 or more", "falls 1,000-10,000", "falls under 1,000", "unchanged",
         "rises under 1,000", "rises 1,000-10,000", "rises 10,000 or more")
# 003 一(三) names the four levels that finance assistance; a financier's level is that of
# its jurisdiction (BELONGS_TO), read as one of these.
LEVELS = {"national": "central", "province": "provincial", "city": "municipal",
          "district": "county", "county": "county", "township": "county", "village": "county"}
NO_CATEGORY = "none"
# Bands of a person's yearly out of pocket (yuan, lower bounds) for the burden distribution.
BURDEN_EDGES = (0, 1_000, 5_000, 10_000, 20_000, 50_000)


@dataclass(frozen=True)
class Scenario:
    """A model's rules, changed or not by a reform."""

    name: str
    model: Model
    rules: RuleSet
    reform: Reform | None = None


def scenarios(model: Model, reforms: list[Reform]) -> list[Scenario]:
    """The baseline and one scenario per reform; every reform is checked against the model
    before anything is settled (InputError otherwise)."""
    out = [Scenario("baseline", model, reform_rules(model, None))]
    for reform in reforms:
        if reform.name in [s.name for s in out]:
            raise InputError(reform.file, f"two scenarios are named {reform.name!r}; give "
                             "each reform its own name", field="name")
        out.append(Scenario(reform.name, model, reform_rules(model, reform), reform))
    return out


def run(model: str | Path, reforms: list[Reform], inp: SettlementInput, *,
        year: int | None = None, target_year: int | None = None, goal: str | None = None,
        free: str | None = None, step: float | None = None) -> dict[str, Any]:
    """`medgraph whatif` and `POST /api/v1/whatif`: the reforms (and the goal-seek's answer,
    as one more scenario) compared with the baseline on the cases of `inp`."""
    from medgraph.analysis import goalseek
    from medgraph.settlement.required import check_required

    if (goal is None) != (free is None):
        raise InputError("--goal", "goal and free go together", field="goal")
    base = read_model(model)
    runs = scenarios(base, reforms)
    for scenario in runs:
        check_required(inp, scenario.rules)
    sought, pop = None, None
    if goal is not None and free is not None:
        goalseek.parse_goal(goal)
        pop = Population(cases_of_year(inp, year), base.name)  # compare's too
        sought = goalseek.seek(pop, base, free, goal, step)
        if sought.value is not None:
            changed = set_parameter(base, sought.rule, sought.parameter, sought.value, "--free")
            runs.append(Scenario(f"{free} = {sought.value:g}", changed,
                                 reform_rules(changed, None)))
    doc = compare(inp, runs, year=year, target_year=target_year, population=pop)
    if sought is not None:
        doc["goal"] = sought.to_dict()
    return doc


def _districts_of(model: str) -> tuple[Any, ...]:
    """The model's district list, () for a model without one (or one read from a folder)."""
    try:
        model_dir(model)
    except InputError:
        return ()
    return districts(model)  # a list that is there but wrong is refused


def dense(keys: np.ndarray) -> np.ndarray:
    """Each key's rank among the distinct keys: `np.unique(keys, return_inverse=True)[1]`
    for keys that are small non-negative integers (persons x years), by a table the size of
    their range instead of numpy's hash or sort (a second a call at a million cases)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    present = np.zeros(int(keys.max()) + 1, dtype=bool)
    present[keys] = True
    return (np.cumsum(present) - 1)[keys]


def distinct(keys: np.ndarray) -> np.ndarray:
    """`np.unique(keys)` for small non-negative integers (person numbers), by a table."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.bincount(keys) > 0)


def _household_of_person(inp: SettlementInput) -> np.ndarray:
    """Per person, a household number: one per household id given, and a household of their
    own for each person without one (Arrow's hash of the texts, not a dict of a million)."""
    n = len(inp.person_ids)
    if not n:
        return np.zeros(0, dtype=np.int64)
    given = pa.array(inp.household_ids, pa.string())
    empty = pc.fill_null(pc.equal(given, ""), True)
    encoded = pc.if_else(empty, None, given).dictionary_encode()
    number = np.asarray(encoded.indices.fill_null(-1).to_numpy(), dtype=np.int64)
    alone = np.flatnonzero(number < 0)
    number[alone] = len(encoded.dictionary) + np.arange(len(alone))
    return number


def _codes_of(texts: list[str | None] | None, n: int) -> tuple[list[str], np.ndarray]:
    """The distinct non-empty texts, and per row the index of its text in them (-1 for
    none): the persons' district codes."""
    if texts is None:
        return [], np.full(n, -1, dtype=np.int64)
    column = pa.array(texts, pa.string())
    encoded = pc.if_else(pc.fill_null(pc.equal(column, ""), True), None,
                         column).dictionary_encode()
    return (encoded.dictionary.to_pylist(),
            np.asarray(encoded.indices.fill_null(-1).to_numpy(), dtype=np.int64))


class Population:
    """What does not depend on the rules: each case's person-year and household-year, and
    the certificates held on the date of care."""

    def __init__(self, inp: SettlementInput, model: str = "hangzhou") -> None:
        self.inp = inp
        self.order = case_order(inp)  # the same for every scenario: taken once
        self.year = years_of(inp.case_day)
        person = inp.case_person
        span = int(self.year.max() - self.year.min() + 1) if len(inp) else 1
        base = int(self.year.min()) if len(inp) else 0
        self.person_year = dense(person * span + (self.year - base))
        of_person = _household_of_person(inp)
        self.household_year = dense(of_person[person] * span + (self.year - base))
        self.household_of_person_year = np.zeros(self.person_year.max() + 1 if len(inp) else 0,
                                                 dtype=np.int64)
        self.household_of_person_year[self.person_year] = self.household_year
        self.categories = known_categories()
        self._held = self._pairs()
        # districts: the model's list first (its order), then any other code the input gives
        codes, self.person_district = _codes_of(inp.district, len(inp.person_ids))
        known = [d.code for d in _districts_of(model)]
        order = [d for d in known if d in codes] + sorted(d for d in codes if d not in known)
        self.districts = order
        rank = np.array([order.index(d) for d in codes] + [-1], dtype=np.int64)
        self.person_district = rank[self.person_district]

    def _pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(case, category index) of every certificate valid on the date of a case."""
        inp = self.inp
        order = np.argsort(inp.case_person, kind="stable")
        by_person = inp.case_person[order]
        lo = np.searchsorted(by_person, inp.cert_person, "left")
        hi = np.searchsorted(by_person, inp.cert_person, "right")
        counts = hi - lo
        cert = np.repeat(np.arange(len(counts)), counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = order[np.repeat(lo, counts) + offset]
        day = inp.case_day[rows]
        valid = (inp.cert_from[cert] <= day) & (day <= inp.cert_to[cert])
        return rows[valid], inp.cert_category[cert[valid]]

    def holding(self, codes: frozenset[str]) -> np.ndarray:
        """Per case: the person holds one of these categories on the date of care."""
        wanted = np.array([c in codes for c in self.categories] + [False])
        out = np.zeros(len(self.inp), dtype=bool)
        rows, category = self._held
        out[rows[wanted[category]]] = True
        return out

    def category_names(self) -> list[str]:
        """What person_category_index numbers: the categories, then `none`."""
        return list(self.categories) + [NO_CATEGORY]

    def person_category_index(self) -> np.ndarray:
        """Per person: the first category in the glossary's order held on the date of any
        of their cases, or `none` (a person without a case is `none` too), as an index into
        category_names()."""
        best = np.full(len(self.inp.person_ids), len(self.categories), dtype=np.int64)
        rows, category = self._held
        np.minimum.at(best, self.inp.case_person[rows], category)
        return best


@dataclass
class Settled:
    """One scenario's payments on the cases (fen, input order) and who was a recipient."""

    scenario: Scenario
    paid: dict[str, np.ndarray]
    total_paid: np.ndarray
    out_of_pocket: np.ndarray
    recipient: np.ndarray
    warning_line: float


def settle_scenario(pop: Population, scenario: Scenario) -> Settled:
    paid = settle_payments(pop.inp, scenario.rules, pop.order)
    total = sum(paid.values(), np.zeros(len(pop.inp), dtype=np.int64))
    return Settled(scenario, paid, total, pop.inp.total_fen - total,
                   pop.holding(scenario.rules.ma_categories), warning_line(scenario.model))


def warning_line(model: Model) -> float:
    """The model's warning line (its `warning_line` rule), else analysis.kpi's."""
    for entity in model.entities.values():
        if entity.label == "BenefitRule" and entity.props.get("kind") == "warning_line" \
                and entity.props.get("threshold") is not None:
            return float(entity.props["threshold"])
    return WARNING_LINE


def targets(model: Model, year: int) -> dict[str, dict[str, Any]]:
    """The Indicator targets in force in `year`, by code (the kpi_targets query's choice:
    the most recent one when several are)."""
    start, end = f"{year}-01-01", f"{year}-12-31"
    found: dict[str, dict[str, Any]] = {}
    for e in model.entities.values():
        p = e.props
        if e.label != "Indicator" or p.get("target") is None or e.model != model.name:
            continue
        if (p.get("year") or 0) > year or str(p.get("valid_from") or "") > end or \
                str(p.get("valid_to") or "9999") < start:
            continue
        rank = (p.get("year") or 0, str(p.get("valid_from") or ""))
        if p["code"] not in found or rank > found[p["code"]]["_rank"]:
            found[p["code"]] = {**p, "id": e.id, "_rank": rank}
    return found


def kpis(pop: Population, s: Settled) -> dict[str, dict[str, Any]]:
    """The four indicators of 002 一 over the cases of recipients (analysis/kpi.py)."""
    rec = s.recipient
    total, paid = int(pop.inp.total_fen[rec].sum()), int(s.total_paid[rec].sum())
    persons = distinct(pop.inp.case_person[rec])
    groups = pop.person_year[rec]
    size = int(groups.max()) + 1 if len(groups) else 0
    cost = np.bincount(groups, pop.inp.total_fen[rec], minlength=size)
    oop = np.bincount(groups, s.out_of_pocket[rec], minlength=size)
    seen = np.bincount(groups, minlength=size) > 0
    high = seen & (cost >= to_fen(HIGH_COST_LINE))
    cleared = high & (oop < to_fen(s.warning_line))

    def ratio(a: float, b: float) -> float | None:
        return None if not b else a / b

    return {
        "comprehensive_coverage_rate": {"value": ratio(paid, total), "base": len(persons)},
        "personal_burden_rate": {"value": ratio(total - paid, total), "base": len(persons)},
        "subsidised_enrolment_rate": {
            "value": ratio(int(pop.inp.enrolled[persons].sum()), len(persons)),
            "base": len(persons)},
        "high_cost_clearance_rate": {"value": ratio(int(cleared.sum()), int(high.sum())),
                                     "base": int(high.sum())},
    }


def _above(pop: Population, s: Settled) -> tuple[np.ndarray, np.ndarray]:
    """Person-years and household-years at or above the warning line (out of pocket)."""
    line = to_fen(s.warning_line)
    person = np.bincount(pop.person_year, s.out_of_pocket) >= line
    household = np.bincount(pop.household_year, s.out_of_pocket) >= line
    return person, household


def _catastrophic(pop: Population, person_above: np.ndarray,
                  household_above: np.ndarray) -> int:
    """Household-years at or above the warning line in which no member's own year is: the
    burden a line set per person does not see (household_catastrophic of docs/findings.md)."""
    member_above = np.bincount(pop.household_of_person_year[: len(person_above)],
                               person_above, minlength=len(household_above)) > 0
    return int((household_above & ~member_above).sum())


def _cliff(pop: Population, s: Settled, household_above: np.ndarray) -> int:
    """Household-years above the warning line in which nobody held an assistance category
    on the date of care: the households the eligibility line leaves out (cliff_effect)."""
    size = len(household_above)
    any_recipient = np.bincount(pop.household_year, s.recipient, minlength=size) > 0
    return int((household_above & ~any_recipient).sum())


def _yuan(fen: int | np.integer) -> float:
    return int(fen) / 100


def payers(model: Model) -> dict[str, list[str]]:
    """Scheme code -> the Funds paying it (PAYS from a Fund), else the agencies that do."""
    funds: dict[str, list[str]] = {}
    agencies: dict[str, list[str]] = {}
    for r in model.relations:
        source, target = model.entities.get(r.from_id), model.entities.get(r.to_id)
        if r.type != "PAYS" or source is None or target is None or target.label != "Scheme":
            continue
        code = target.props.get("code")
        into = funds if source.label == "Fund" else agencies
        if r.from_id not in into.setdefault(code, []):
            into[code].append(r.from_id)
    return {code: funds.get(code) or agencies.get(code) or [] for code in SCHEMES}


def financiers(model: Model, fund_id: str) -> list[dict[str, Any]]:
    """Who finances a fund (FUNDS or TRANSFERS_TO into it), the level of government, and
    the share of the fund's financing where the model gives one (the latest year's)."""
    out: dict[str, dict[str, Any]] = {}
    for r in model.relations:
        if r.to_id != fund_id or r.type not in ("FUNDS", "TRANSFERS_TO"):
            continue
        row = out.setdefault(r.from_id, {"financier": r.from_id, "level": _level(model,
                                         r.from_id), "share": None, "share_year": None,
                                         "source": r.props.get("source"),
                                         "locator": r.props.get("locator")})
        share, year = r.props.get("share"), r.props.get("year")
        if share is not None and (row["share_year"] is None or (year or 0) > row["share_year"]):
            row.update(share=share, share_year=year, source=r.props.get("source"),
                       locator=r.props.get("locator"))
    return list(out.values())


def _level(model: Model, entity_id: str) -> str | None:
    entity = model.entities.get(entity_id)
    if entity is None:
        return None
    if entity.props.get("level"):  # a Jurisdiction's, or an agency's own (各区、县（市）政府)
        return LEVELS.get(str(entity.props["level"]))
    for r in model.relations:
        if r.type == "BELONGS_TO" and r.from_id == entity_id:
            target = model.entities.get(r.to_id)
            if target is not None and target.label == "Jurisdiction":
                return LEVELS.get(str(target.props.get("level")))
    return None


def _name(model: Model, entity_id: str) -> str:
    entity = model.entities.get(entity_id)
    if entity is None:
        return entity_id
    return str(entity.props.get("name_en") or entity.props.get("name_zh") or entity_id)


def summarise(pop: Population, s: Settled, target_year: int) -> dict[str, Any]:
    """One scenario's measures, in yuan (JSON-ready)."""
    model, rules = s.scenario.model, s.scenario.rules
    cost = {scheme: _yuan(s.paid[scheme].sum()) for scheme in SCHEMES}
    by_payer: dict[str, dict[str, Any]] = {}
    for scheme, who in payers(model).items():
        key = " + ".join(who) or "(no payer in the model)"
        row = by_payer.setdefault(key, {"fund": key, "name": " + ".join(_name(model, w)
                                                                         for w in who),
                                        "schemes": [], "yuan": 0.0})
        row["schemes"].append(scheme)
        row["yuan"] = round(row["yuan"] + cost[scheme], 2)
    financing = []
    for row in by_payer.values():
        for f in (financiers(model, row["fund"]) if " + " not in row["fund"] else []):
            financing.append({"fund": row["fund"], **f,
                              "yuan": None if f["share"] is None
                              else round(f["share"] * row["yuan"], 2)})
    person_above, household_above = _above(pop, s)
    found = targets(model, target_year)
    measured = kpis(pop, s)
    indicators = []
    for code, m in measured.items():
        t = found.get(code, {})
        compare = COMPARATORS.get(t.get("comparator") or "")
        value = m["value"]
        indicators.append({
            "code": code, "value": value, "base": m["base"],
            "target": t.get("target"), "comparator": t.get("comparator"),
            "met": None if value is None or compare is None else compare(value, t["target"]),
            "target_year": target_year, "source": t.get("source"), "locator": t.get("locator"),
            "definition": DEFINITIONS[code]})
    return {
        "name": s.scenario.name,
        "file": s.scenario.reform.file if s.scenario.reform else None,
        "description": s.scenario.reform.description if s.scenario.reform else "",
        "order": list(rules.order),
        "cost": cost,
        "paid": _yuan(s.total_paid.sum()),
        "out_of_pocket": _yuan(s.out_of_pocket.sum()),
        "by_payer": list(by_payer.values()),
        "financing": financing,
        "kpis": indicators,
        "warning_line": {"line": s.warning_line, "persons": int(person_above.sum()),
                         "households": int(household_above.sum()),
                         "households_catastrophic": _catastrophic(pop, person_above,
                                                                  household_above),
                         "households_without_category": _cliff(pop, s, household_above)},
        "by_district": by_district(pop, s),
        "burden": burden_distribution(pop, s),
    }


def bands(change: np.ndarray) -> np.ndarray:
    """The index in BANDS of each change of out-of-pocket cost, in yuan.

    >>> bands(np.array([-20000, -10000, -500, 0, 0.01, 1000, 10000])).tolist()
    [0, 0, 2, 3, 4, 5, 6]
    """
    return np.select([change <= -10_000, change <= -1_000, change < 0, change == 0,
                      change < 1_000, change < 10_000], [0, 1, 2, 3, 4, 5], 6)


def burden_distribution(pop: Population, s: Settled) -> list[dict[str, Any]]:
    """Person-years by yearly out of pocket, in the bands of BURDEN_EDGES (the report's
    before-and-after chart)."""
    yearly = np.bincount(pop.person_year, s.out_of_pocket) / 100 if len(pop.inp) else \
        np.zeros(0)
    band = np.searchsorted(np.array(BURDEN_EDGES[1:]), yearly, side="right")
    counts = np.bincount(band, minlength=len(BURDEN_EDGES))
    labels = [f"{low:,}-{high:,}" for low, high in zip(BURDEN_EDGES, BURDEN_EDGES[1:],
                                                         strict=False)]
    labels.append(f"{BURDEN_EDGES[-1]:,} or more")
    return [{"band": label, "person_years": int(n)} for label, n in zip(labels, counts.tolist(),
                                                                        strict=True)]


def by_district(pop: Population, s: Settled) -> list[dict[str, Any]]:
    """Per district (of the person): cost, out of pocket, the recipients' coverage and burden
    rates, persons at or above the warning line. [] when the input gives no districts."""
    if not pop.districts:
        return []
    n = len(pop.districts)
    of_case = pop.person_district[pop.inp.case_person]
    rows = of_case >= 0
    where = of_case[rows]

    def per(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        keep = rows if mask is None else rows & mask
        return np.bincount(of_case[keep], values[keep], minlength=n)

    total = per(pop.inp.total_fen)
    paid = per(s.total_paid)
    rec_total = per(pop.inp.total_fen, s.recipient)
    rec_paid = per(s.total_paid, s.recipient)
    above = np.bincount(pop.person_year, s.out_of_pocket) >= to_fen(s.warning_line)
    year_district = np.full(len(above), -1, dtype=np.int64)
    year_district[pop.person_year] = of_case
    above_by = np.bincount(year_district[above & (year_district >= 0)], minlength=n)
    persons = np.bincount(pop.person_district[distinct(pop.inp.case_person[rows])],
                          minlength=n) if where.size else np.zeros(n, dtype=np.int64)
    return [{"district": code, "persons_with_care": int(persons[k]),
             "total_cost": _yuan(total[k]), "paid": _yuan(paid[k]),
             "out_of_pocket": _yuan(total[k] - paid[k]),
             "comprehensive_coverage_rate": rec_paid[k] / rec_total[k] if rec_total[k] else None,
             "personal_burden_rate": 1 - rec_paid[k] / rec_total[k] if rec_total[k] else None,
             "persons_at_or_above_line": int(above_by[k])}
            for k, code in enumerate(pop.districts)]


def differences(pop: Population, base: Settled, reform: Settled,
                categories: np.ndarray) -> dict[str, Any]:
    """What changes from the baseline to a reform: cost, crossings, winners and losers;
    `categories` is pop.person_category_index()."""
    p0, h0 = _above(pop, base)
    p1, h1 = _above(pop, reform)
    persons = len(pop.inp.person_ids)
    change = np.bincount(pop.inp.case_person, reform.out_of_pocket - base.out_of_pocket,
                         minlength=persons) / 100
    has_case = np.bincount(pop.inp.case_person, minlength=persons) > 0
    band = np.where(has_case, bands(change), -1)
    # persons with a case, by category (in the glossary's order, `none` last) and band
    names = pop.category_names()
    counts = np.bincount(categories[has_case] * len(BANDS) + band[has_case],
                         minlength=len(names) * len(BANDS)).reshape(len(names), len(BANDS))
    # per district at once (bincount over the persons with a case and a district)
    n = len(pop.districts)
    mine = has_case & (pop.person_district >= 0)
    district = pop.person_district[mine]
    by_band = np.bincount(district * len(BANDS) + band[mine],
                          minlength=n * len(BANDS)).reshape(n, len(BANDS))
    winners = np.bincount(district, change[mine] < 0, minlength=n)
    losers = np.bincount(district, change[mine] > 0, minlength=n)
    spent = [float(part.sum()) for part in np.split(  # in person order, as one by one
        change[mine][np.argsort(district, kind="stable")], np.cumsum(np.bincount(
            district, minlength=n))[:-1])] if n else []
    districts_of = [{"district": code, "persons": by_band[k].tolist(),
                     "winners": int(winners[k]), "losers": int(losers[k]),
                     "out_of_pocket": round(spent[k], 2)}
                    for k, code in enumerate(pop.districts)]
    return {
        "cost": {scheme: _yuan(reform.paid[scheme].sum() - base.paid[scheme].sum())
                 for scheme in SCHEMES},
        "paid": _yuan(reform.total_paid.sum() - base.total_paid.sum()),
        "out_of_pocket": _yuan(reform.out_of_pocket.sum() - base.out_of_pocket.sum()),
        "crossings": {
            "persons_above_to_below": int((p0 & ~p1).sum()),
            "persons_below_to_above": int((~p0 & p1).sum()),
            "households_above_to_below": int((h0 & ~h1).sum()),
            "households_below_to_above": int((~h0 & h1).sum()),
        },
        "winners": int((has_case & (change < 0)).sum()),
        "losers": int((has_case & (change > 0)).sum()),
        "bands": list(BANDS),
        "by_category": [{"category": name, "persons": row}
                        for name, row in zip(names, counts.tolist(), strict=True) if any(row)],
        "by_district": districts_of,
    }


def compare(inp: SettlementInput, runs: list[Scenario], *, year: int | None = None,
            target_year: int | None = None, population: Population | None = None
            ) -> dict[str, Any]:
    """Settle the cases (of `year`, or all) under each scenario; the JSON document of
    `medgraph whatif` and `POST /api/v1/whatif`. The first scenario is the baseline.
    `population`: the Population of those cases when the caller has built it already."""
    inp = cases_of_year(inp, year) if population is None else population.inp
    pop = population or Population(inp, runs[0].model.name)
    if target_year is None:
        target_year = year or (int(pop.year.max()) if len(inp) else dt.date.today().year)
    # Two scenarios at a time: the parts of a settlement that hold the interpreter leave the
    # second core idle, which the other scenario's numpy work then takes (1.0 s instead of
    # 1.1 for two at a million persons).
    with ThreadPoolExecutor(min(2, len(runs)) or 1, thread_name_prefix="scenario") as pool:
        settled = list(pool.map(lambda scenario: settle_scenario(pop, scenario), runs))
    categories = pop.person_category_index()
    out = []
    for k, s in enumerate(settled):
        row = summarise(pop, s, target_year)
        if k:
            row["change"] = differences(pop, settled[0], s, categories)
        out.append(row)
    return {"model": runs[0].model.name, "year": year, "target_year": target_year,
            "cases": len(inp), "persons": int(len(distinct(inp.case_person))),
            "total_cost": _yuan(inp.total_fen.sum()), "scenarios": out,
            "_settled": settled, "_population": pop}


def per_case_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each case under each scenario: what all schemes paid and the out-of-pocket cost."""
    pop: Population = doc["_population"]
    rows = []
    for s in doc["_settled"]:
        for cid, person, paid, oop in zip(pop.inp.case_ids, pop.inp.case_person.tolist(),
                                          (s.total_paid / 100).tolist(),
                                          (s.out_of_pocket / 100).tolist(), strict=True):
            rows.append({"scenario": s.scenario.name, "case_id": cid,
                         "person_id": pop.inp.person_ids[person], "paid": paid,
                         "out_of_pocket": oop})
    return rows


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without the arrays kept for per-case output."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}
