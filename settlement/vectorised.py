"""The vectorised settlement: the reference rules over numpy columns, no per-case Python.

Cases are sorted once by (person, date, case id); a person-year is then a run
of consecutive rows. A yearly deductible, threshold or cap consumed in date
order is a grouped cumulative sum: with C the running total of what each case
would take, a case gets `min(C, limit) - min(C - want, limit)`, which is
`min(want, max(0, limit - used_before))` when every case before it took what
the same formula gave it.

Two things break that identity and are handled apart:

* an amount fixed whatever the cap (a payment given on the case, a lifted
  critical-illness cap, the destitute's assistance without cap) still counts
  toward the cap; person-years mixing such amounts with capped ones (rare: a
  certificate starting mid-year) are settled by a short loop over their rows;
* the general-outpatient sub-cap inside medical assistance's shared cap: first
  the sub-cap over the general-outpatient rows alone, then the shared cap over
  all rows. Until the shared cap binds every row takes its sub-capped want, so
  the sub-cap's running total is right; after it binds every row gets 0.

>>> import numpy as np
>>> group = np.array([0, 0, 0, 1]); want = np.array([60, 60, 60, 60])
>>> capped(group, want, 100).tolist()                     # cap 100 per group
[60, 40, 0, 60]
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medgraph.settlement.explain import HALF
from medgraph.settlement.inputs import NOT_GIVEN, SettlementInput, known_categories
from medgraph.settlement.required import check_required
from medgraph.settlement.rules import (
    FACILITY_LEVELS,
    NO_LIMIT,
    PPM,
    SCHEMES,
    SETTINGS,
    Rule,
    RuleSet,
)

BASES = ("policy_scope", "remaining_policy_scope", "remaining_total")


def pay(rate_ppm: np.ndarray, base: np.ndarray) -> np.ndarray:
    """rate x base in fen, rounded half up (explain.pay over arrays)."""
    return (rate_ppm * base + HALF) // PPM


def _starts(group: np.ndarray) -> np.ndarray:
    """For each row, the index of the first row of its group (groups are consecutive)."""
    n = len(group)
    first = np.ones(n, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    return np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else first.astype(int)


def running_before(group: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Sum of `amount` over the earlier rows of the same group."""
    total = np.cumsum(amount)
    before = total - amount
    return before - before[_starts(group)] if len(group) else before


def capped(group: np.ndarray, want: np.ndarray, limit: int | np.ndarray) -> np.ndarray:
    """What each row gets of `want` under a running limit per group, in row order."""
    before = running_before(group, want)
    return np.minimum(before + want, limit) - np.minimum(before, limit)


def _loop(group: np.ndarray, want: np.ndarray, fixed: np.ndarray, limit: int,
          sub: np.ndarray | None = None, sub_limit: int = NO_LIMIT
          ) -> tuple[np.ndarray, np.ndarray]:
    """Row by row, for the few person-years mixing fixed and capped amounts.

    Returns the amounts and which limit bound (0 none, 1 the limit, 2 the sub-limit)."""
    out = np.zeros(len(want), dtype=np.int64)
    bound = np.zeros(len(want), dtype=np.int8)
    used = used_sub = 0
    last = None
    sub_rows = np.zeros(len(want), dtype=bool) if sub is None else sub
    for k, (g, w, f, s) in enumerate(zip(group.tolist(), want.tolist(), fixed.tolist(),
                                         sub_rows.tolist(), strict=True)):
        if g != last:
            used = used_sub = 0
            last = g
        amount = w
        if not f:
            left = max(0, limit - used)
            sub_left = max(0, sub_limit - used_sub) if s else NO_LIMIT
            amount = min(w, left, sub_left)
            if amount < w:
                bound[k] = 2 if s and sub_left <= left else 1
        out[k] = amount
        used += amount
        if s:
            used_sub += amount
    return out, bound


def capped_with_fixed(group: np.ndarray, want: np.ndarray, fixed: np.ndarray, limit: int,
                      sub: np.ndarray | None = None, sub_limit: int = NO_LIMIT
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Amounts under a running limit (and a sub-limit over the `sub` rows) per group, with
    the `fixed` rows taking their want whatever the limit but counting toward it.

    Returns (amounts, bound): bound 1 where the limit cut the row, 2 where the sub-limit did.
    """
    n = len(want)
    out = want.copy()
    bound = np.zeros(n, dtype=np.int8)
    if n == 0:
        return out, bound
    if not fixed.any():
        free, mixed = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    elif fixed.all():
        return out, bound
    else:
        # groups are runs of equal ids (rows stay in sorted order), so no np.unique is needed
        first = np.ones(n, dtype=bool)
        first[1:] = group[1:] != group[:-1]
        index = np.cumsum(first) - 1
        with_fixed = np.zeros(index[-1] + 1, dtype=bool)
        with_fixed[index[fixed]] = True
        with_free = np.zeros(index[-1] + 1, dtype=bool)
        with_free[index[~fixed]] = True
        mixed = (with_fixed & with_free)[index]
        free = ~fixed & ~mixed
    if free.any():
        g, w = group[free], want[free]
        w1 = w
        if sub is not None and sub[free].any():
            s = sub[free]
            w1 = w.copy()
            w1[s] = capped(g[s], w[s], sub_limit)
        amount = capped(g, w1, limit)
        out[free] = amount
        bound[free] = np.where(amount < w1, 1, np.where(w1 < w, 2, 0))
    if mixed.any():
        amount, why = _loop(group[mixed], want[mixed], fixed[mixed], limit,
                            None if sub is None else sub[mixed], sub_limit)
        out[mixed] = amount
        bound[mixed] = why
    return out, bound


def months_before(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Day numbers `months` calendar months earlier (the last day of a shorter month)."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month - months.astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64)
    return target.astype("datetime64[D]").astype(np.int64) + np.minimum(day_of_month, length - 1)


@dataclass
class _Stage:
    """What one scheme paid on the (sorted) cases and why, as columns."""

    scheme: str
    amount: np.ndarray
    emit: np.ndarray                         # rows with an explanation
    rule: np.ndarray                         # rule index, -1 = none (a given payment)
    base: np.ndarray
    deductible: np.ndarray
    cap: np.ndarray                          # -1 = no cap
    bound: np.ndarray                        # index of the bounding rule, -1 = none
    extra: dict[str, Any] = field(default_factory=dict)  # name -> (values, rows it is on)
    active: np.ndarray | None = None         # special assistance: rows whose burden counted

    @classmethod
    def paid(cls, scheme: str, amount: np.ndarray, active: np.ndarray | None = None
             ) -> _Stage:
        """The amounts alone (settle_payments): no explanation columns are built."""
        return cls(scheme, amount, _EMPTY_BOOL, _EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY,
                   active=active)


_EMPTY = np.zeros(0, dtype=np.int64)
_EMPTY_BOOL = np.zeros(0, dtype=bool)


class _Tables:
    """The rule set as arrays indexed by rule, category, setting and level."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        n = len(rules.rules)
        self.R = n + 1
        self.from_day = np.array([r.from_day for r in rules.rules] + [0], dtype=np.int64)
        self.to_day = np.array([r.to_day for r in rules.rules] + [0], dtype=np.int64)
        self.rate = np.array([r.rate_ppm or 0 for r in rules.rules] + [0], dtype=np.int64)
        self.no_cap = np.array([bool(r.props.get("no_cap")) for r in rules.rules] + [False])
        self.categories = known_categories()
        self.index_of = {r.id: r.index for r in rules.rules}

        def by_category(table: dict[str, Rule]) -> np.ndarray:
            return np.array([table[c].index if c in table else -1 for c in self.categories] +
                            [-1], dtype=np.int64)

        # assistance rate rule by (category, facility level); the last column: no category
        self.ma = np.array([[-1 if (r := rules.ma_rate(c, v)) is None else r.index
                             for v in FACILITY_LEVELS] for c in self.categories]
                           + [[-1] * len(FACILITY_LEVELS)], dtype=np.int64)
        self.sa = by_category(rules.sa_rates)
        self.waiver = by_category(rules.cap_waivers)
        self.lookback = by_category(rules.lookbacks)
        self.lookback_months = np.array(
            [int(rules.lookbacks[c].props["lookback_months"]) if c in rules.lookbacks else 0
             for c in self.categories] + [0], dtype=np.int64)

    def in_force(self, rule: np.ndarray, day: np.ndarray) -> np.ndarray:
        return (rule >= 0) & (self.from_day[rule] <= day) & (day <= self.to_day[rule])

    def insurance(self, scheme: str) -> np.ndarray:
        table = np.full((len(SETTINGS), len(FACILITY_LEVELS)), -1, dtype=np.int64)
        for s, setting in enumerate(SETTINGS):
            for v, level in enumerate(FACILITY_LEVELS):
                rule = self.rules.insurance_rule(scheme, setting, level)
                table[s, v] = -1 if rule is None else rule.index
        return table


def case_order(inp: SettlementInput) -> np.ndarray:
    """Rows sorted by (person, date, case id): the order cases are settled in. A caller that
    settles the same cases under many rule sets (a what-if) takes it once and passes it on.

    >>> from medgraph.settlement import parse_input
    >>> inp = parse_input({"persons": [{"id": "p1", "enrolled": True}], "cases": [
    ...     {"id": c, "person_id": "p1", "date": d, "setting": "inpatient", "total_cost": 1,
    ...      "policy_scope_cost": 1, "referred": True}
    ...     for c, d in [("c2", "2025-03-01"), ("c1", "2025-03-01"), ("c0", "2025-04-01")]]})
    >>> case_order(inp).tolist()
    [1, 0, 2]
    """
    ids = inp.case_ids
    if sorted(ids) == ids:  # the usual case, checked in C (timsort on sorted data is linear)
        rank = np.arange(len(ids))
    else:
        rank = np.empty(len(ids), dtype=np.int64)
        rank[np.argsort(np.array(ids), kind="stable")] = np.arange(len(ids))
    return np.lexsort((rank, inp.case_day, inp.case_person))


def settle_payments(inp: SettlementInput, rules: RuleSet, order: np.ndarray | None = None
                    ) -> dict[str, np.ndarray]:
    """What each scheme paid on each case, in fen (int64), in the input's case order; no
    per-case Python and no explanations. Memory: these columns and one piece (CHUNK).
    `order`: case_order(inp), when the caller has it.

    >>> from medgraph.settlement import load_rules, read_input          # doctest: +SKIP
    >>> paid = settle_payments(read_input("city"), load_rules("hangzhou"))  # doctest: +SKIP
    >>> paid["medical_assistance"].sum() / 100                         # doctest: +SKIP
    """
    out = {scheme: np.zeros(len(inp), dtype=np.int64) for scheme in SCHEMES}
    for rows, stages in settle_pieces(inp, rules, explain=False, order=order):
        for stage in stages:
            out[stage.scheme][rows] = stage.amount
    return out


def settle_vectorised(inp: SettlementInput, rules: RuleSet) -> list[dict[str, Any]]:
    """Settle every case over arrays; results equal settle_reference's, in input order."""
    return _materialise(inp, rules, settle_pieces(inp, rules))


def _materialise(inp: SettlementInput, rules: RuleSet,
                 parts: Iterable[tuple[np.ndarray, list[_Stage]]]) -> list[dict[str, Any]]:
    # Millions of small dicts would set off the cyclic garbage collector again and again;
    # they hold no cycles, so it is paused while they are built.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _results(inp, rules, parts)
    finally:
        if enabled:
            gc.enable()


# Cases settled at a time. Caps run per person, so the sorted cases are cut at person
# boundaries and settled apart: arrays of this size stay in the processor's cache and in
# memory the allocator reuses, where columns of the whole city are fresh pages for every
# operation (at 4 million cases that halved the throughput).
CHUNK = 1 << 18


# Pieces settled at once, each in a thread of its own. numpy lets go of the interpreter while
# it works on a piece's arrays, so the pieces of a city share the processor's cores; no more
# than this many are held at a time, so memory stays that of a few pieces.
WORKERS = max(1, min(4, os.cpu_count() or 1))


def settle_pieces(inp: SettlementInput, rules: RuleSet, *, explain: bool = True,
                  order: np.ndarray | None = None
                  ) -> Iterator[tuple[np.ndarray, list[_Stage]]]:
    """The cases sorted by (person, date, id) and settled a piece of whole persons at a time:
    for each piece, the input rows of its cases (in that order) and what each scheme paid on
    them and why, as columns (only what it paid with `explain=False`: a quarter less work).
    Pieces come in order; up to WORKERS are settled at once."""
    check_required(inp, rules)
    t = _Tables(rules)
    order = case_order(inp) if order is None else order
    person = inp.case_person[order]
    pieces = [order[lo:hi] for lo, hi in _chunks(person, CHUNK)]
    if WORKERS == 1 or len(pieces) == 1:
        for rows in pieces:
            yield rows, _settle_sorted(inp, rules, t, rows, explain)
        return
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="settle") as pool:
        running: deque[tuple[np.ndarray, Future[list[_Stage]]]] = deque()
        try:
            for rows in pieces:
                running.append((rows, pool.submit(_settle_sorted, inp, rules, t, rows, explain)))
                if len(running) >= WORKERS:
                    done, stages = running.popleft()
                    yield done, stages.result()
            while running:
                done, stages = running.popleft()
                yield done, stages.result()
        finally:  # a caller that stops early (or an error) leaves nothing running
            for _rows, future in running:
                future.cancel()


def _chunks(person: np.ndarray, size: int) -> list[tuple[int, int]]:
    """[lo, hi) row ranges of about `size` rows, never cutting a person's cases apart.

    >>> _chunks(np.array([0, 0, 1, 1, 1, 2]), 2)
    [(0, 2), (2, 5), (5, 6)]
    """
    bounds = [0]
    while bounds[-1] < len(person):
        cut = bounds[-1] + size
        if cut >= len(person):
            cut = len(person)
        else:  # move the cut to the start of the next person
            cut = int(np.searchsorted(person, person[cut - 1], "right"))
        bounds.append(cut)
    return list(zip(bounds[:-1], bounds[1:], strict=True)) if len(person) else [(0, 0)]


def _settle_sorted(inp: SettlementInput, rules: RuleSet, t: _Tables, order: np.ndarray,
                   explain: bool = True) -> list[_Stage]:
    """Settle the cases `order` picks: whole persons, sorted by (person, date, id)."""
    n = len(order)
    person = inp.case_person[order]
    day = inp.case_day[order]
    year = day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    total, scope = inp.total_fen[order], inp.scope_fen[order]
    setting = inp.case_setting[order]
    # a case without a facility level is settled only where no rule reads it
    # (settlement.check_required), so any level gives the same rules
    level = np.maximum(inp.case_level[order], 0)
    referred = inp.referred[order]
    enrolled = inp.enrolled[person]
    huiminbao = inp.huiminbao[person]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (person[1:] != person[:-1]) | (year[1:] != year[:-1])
    group = np.cumsum(new_group) - 1  # one per person-year
    outpatient = setting == SETTINGS.index("outpatient_general")

    best_ma, best_sa, waiver = _categories(inp, t, person, day, level)
    paid = np.zeros(n, dtype=np.int64)
    stages: list[_Stage] = []

    def none_rows(fill: int = -1) -> np.ndarray:
        return np.full(n, fill, dtype=np.int64)

    def insurance(scheme: str, given: np.ndarray | None, waived: np.ndarray | None) -> _Stage:
        table = t.insurance(scheme)
        rule = table[setting, level]
        applies = (huiminbao if scheme == "huiminbao" else enrolled) & t.in_force(rule, day)
        kinds = np.array([BASES.index(r.props["base"]) if r.kind == "insurance_reimbursement"
                          and r.scheme == scheme else 0 for r in rules.rules] + [0])
        kind = kinds[rule]
        base = np.where(kind == 0, scope, np.maximum(0, np.where(kind == 1, scope, total) - paid))
        base = np.where(applies, base, 0)
        amount = np.zeros(n, dtype=np.int64)
        cap = none_rows()
        bound = none_rows()
        is_given = np.zeros(n, dtype=bool) if given is None else given != NOT_GIVEN
        fixed = is_given.copy() if waived is None else is_given | (applies & (waived >= 0))
        members = rules.insurance.get(scheme, [])
        pools: dict[str, list[Rule]] = {}
        for r in members:
            pools.setdefault(r.pool, []).append(r)
        pool_names = list(pools)
        pool_of = np.full(len(rules.rules) + 1, -1, dtype=np.int64)
        per_year = np.zeros(len(rules.rules) + 1, dtype=bool)
        own_deductible = np.zeros(len(rules.rules) + 1, dtype=np.int64)
        for r in members:
            pool_of[r.index] = pool_names.index(r.pool)
            per_year[r.index] = r.per_year
            own_deductible[r.index] = r.deductible_fen
        rule_pool = np.where(applies, pool_of[rule], -1)
        yearly = per_year[rule]
        # a deductible per case at once; yearly ones run per person-year and pool below
        deductible = np.where(yearly, 0, np.minimum(base, own_deductible[rule]))
        for number, group_rules in enumerate(pools.values()):
            rows = rule_pool == number
            if not rows.any():
                continue
            mine = rows & yearly
            if mine.any():
                limit = next(r.deductible_fen for r in group_rules if r.per_year)
                deductible[mine] = capped(group[mine], base[mine], limit)
        want = pay(t.rate[rule], base - deductible)
        if given is not None:
            want = np.where(is_given, given, want)
        for number, (pool, group_rules) in enumerate(pools.items()):
            rows = rule_pool == number
            if not rows.any():
                continue
            limit = group_rules[0].cap_fen
            got, why = capped_with_fixed(group[rows], want[rows], fixed[rows],
                                         NO_LIMIT if limit is None else limit)
            amount[rows] = got
            bound[rows] = np.where(why > 0, t.index_of[pool], -1)
            cap[rows] = -1 if limit is None else limit
        if given is not None:
            amount[is_given] = given[is_given]
            bound[is_given] = -1
        if not explain:
            return _Stage.paid(scheme, amount)
        extra: dict[str, Any] = {}
        if waived is not None:
            lifted = applies & ~is_given & (waived >= 0)
            cap[lifted] = -1
            extra["cap_waived_by"] = (waived, lifted)
        emit = (applies & ~is_given & ((amount > 0) | (bound >= 0))) | (is_given & (amount > 0))
        rule_out = np.where(is_given, -1, rule)
        extra["given"] = (_same(n, True), is_given)
        return _Stage(scheme, amount, emit, rule_out, np.where(is_given, -1, base),
                      np.where(is_given, 0, deductible), np.where(is_given, -1, cap), bound, extra)

    def add(stage: _Stage) -> None:
        nonlocal paid
        paid = paid + stage.amount
        stages.append(stage)

    stages_of = {
        "basic_medical_insurance": lambda: insurance(
            "basic_medical_insurance", inp.paid_bmi_fen[order], None),
        "critical_illness_insurance": lambda: insurance(
            "critical_illness_insurance", inp.paid_cii_fen[order], waiver),
        "other_medical_aid": lambda: _given("other_medical_aid", inp.paid_oma_fen[order],
                                            explain),
        "medical_assistance": lambda: _assistance(rules, t, n, group, day, scope, paid,
                                                  referred, outpatient, best_ma, explain),
        "special_assistance": lambda: _special(rules, t, n, group, day, scope, total, paid,
                                               referred, best_sa, explain),
        "huiminbao": lambda: insurance("huiminbao", None, None),
        "charity_assistance": lambda: _charity(rules, t, n, group, day, total, paid, explain),
    }
    for scheme in rules.order:  # the model's settlement order (each Scheme's `order`)
        add(stages_of[scheme]())
    special = next((s for s in stages if s.scheme == "special_assistance"), None)
    if special is not None:
        _carry_special(special, total - paid, group, inp.case_ids, order, explain)
    return stages


def _carry_special(stage: _Stage, left: np.ndarray, group: np.ndarray, case_ids: list[str],
                   order: np.ndarray, explain: bool = True) -> None:
    """No case is paid special assistance beyond its bill: what it is entitled to beyond it
    goes to the person's earlier cases of the year whose burden counted, latest first, each
    up to what is left of its bill (reference._carry_special, the definition). `left` is
    each row's bill less every payment on it. Only the case that takes a year to the
    threshold can be entitled beyond its bill (one in a few thousand), so the rows are
    walked one by one, and none when there is none."""
    assert stage.active is not None
    amount, room = stage.amount, left.copy()
    crossing = np.flatnonzero(stage.active & (amount > 0) & (room < 0))
    if not len(crossing):
        return
    n = len(amount)
    beyond = np.zeros(n, dtype=np.int64)
    carried_in = np.zeros(n, dtype=np.int64)
    carried_from = np.full(n, None, dtype=object)
    carried_to = np.full(n, None, dtype=object)
    for k in crossing.tolist():
        move = int(min(amount[k], -room[k]))
        amount[k] -= move
        room[k] += move
        rest, to = move, []
        j = k - 1
        while rest and j >= 0 and group[j] == group[k]:
            if stage.active[j] and room[j] > 0:
                took = int(min(room[j], rest))
                amount[j] += took
                room[j] -= took
                carried_in[j] += took
                carried_from[j] = case_ids[order[k]]
                to.append(case_ids[order[j]])
                rest -= took
            j -= 1
        beyond[k], carried_to[k] = move, to
    if not explain:
        return
    stage.emit = stage.emit | (beyond > 0) | (carried_in > 0)
    stage.extra.update(beyond_bill=(beyond / 100, beyond > 0),
                       carried_to=(carried_to, beyond > 0),
                       carried_from=(carried_from, carried_in > 0),
                       carried_in=(carried_in / 100, carried_in > 0))


def _given(scheme: str, given: np.ndarray, explain: bool = True) -> _Stage:
    """A scheme whose payment only the case data gives (other medical aid, 002 二(二))."""
    n = len(given)
    is_given = given != NOT_GIVEN
    amount = np.where(is_given, given, 0)
    if not explain:
        return _Stage.paid(scheme, amount)
    none = np.full(n, -1, dtype=np.int64)
    return _Stage(scheme, amount, is_given & (amount > 0), none, none, np.zeros(n, np.int64),
                  none, none, {"given": (_same(n, True), is_given)})


def _same(n: int, value: Any) -> np.ndarray:
    """`value` on every one of n rows, as a read-only view (no n-element array is made)."""
    return np.broadcast_to(np.array(value, dtype=object), (n,))


def _categories(inp: SettlementInput, t: _Tables, person: np.ndarray, day: np.ndarray,
                level: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sorted case: the best assistance offer, the best special-assistance offer and the
    critical-illness cap waiver, each an integer key (-1 = none) from the certificates of the
    person valid on the date (for assistance, also within a look-back)."""
    n = len(person)
    R = t.R
    best_ma = np.full(n, -1, dtype=np.int64)
    best_sa = np.full(n, -1, dtype=np.int64)
    waiver = np.full(n, -1, dtype=np.int64)
    if len(inp.cert_person) == 0 or n == 0:
        return best_ma, best_sa, waiver
    low, high = int(person[0]), int(person[-1]) + 1    # the persons of these (sorted) cases
    first = np.searchsorted(person, np.arange(low, high), "left")
    count = np.searchsorted(person, np.arange(low, high), "right") - first
    certs = np.flatnonzero((inp.cert_person >= low) & (inp.cert_person < high))
    holder = inp.cert_person[certs] - low
    per_cert = count[holder]
    cert = np.repeat(certs, per_cert)                                # one row per (cert, case)
    offset = np.cumsum(per_cert) - per_cert
    row = np.arange(len(cert)) - np.repeat(offset, per_cert) + np.repeat(first[holder], per_cert)
    d = day[row]
    category = inp.cert_category[cert]
    start, end = inp.cert_from[cert], inp.cert_to[cert]
    strict = (start <= d) & (d <= end)
    lb_rule = t.lookback[category]
    lb_start = months_before(start, t.lookback_months[category])
    looked = (~strict & inp.cert_illness[cert] & t.in_force(lb_rule, d) & (lb_start <= d)
              & (d < start))
    ma = t.ma[category, level[row]]
    ok = (strict | looked) & t.in_force(ma, d)
    key = ((t.rate[ma] * 2 + t.no_cap[ma]) * 2 + strict) * R + (R - 1 - ma)
    np.maximum.at(best_ma, row[ok], key[ok])
    sa = t.sa[category]
    ok = strict & t.in_force(sa, d)
    np.maximum.at(best_sa, row[ok], (t.rate[sa] * R + (R - 1 - sa))[ok])
    wv = t.waiver[category]
    ok = strict & t.in_force(wv, d)
    np.maximum.at(waiver, row[ok], (R - 1 - wv)[ok])
    return best_ma, best_sa, np.where(waiver >= 0, R - 1 - waiver, -1)


def _refused(rules: RuleSet, t: _Tables, scheme: str, eligible: np.ndarray, day: np.ndarray,
             referred: np.ndarray) -> tuple[np.ndarray, int]:
    """Rows a scheme's referral rule refuses (002 二(二)), and the rule's index."""
    rule = rules.referral.get(scheme)
    if rule is None:
        return np.zeros(len(eligible), dtype=bool), -1
    return eligible & ~referred & t.in_force(np.full(len(day), rule.index), day), rule.index


def _assistance(rules: RuleSet, t: _Tables, n: int, group: np.ndarray, day: np.ndarray,
                scope: np.ndarray, paid: np.ndarray, referred: np.ndarray,
                outpatient: np.ndarray, best: np.ndarray, explain: bool = True) -> _Stage:
    R = t.R
    eligible = best >= 0
    rule = np.where(eligible, R - 1 - best % R, -1)
    strict = (best // R) % 2 == 1
    no_cap = (best // R // 2) % 2 == 1
    base = np.where(eligible, np.maximum(0, scope - paid), 0)
    refused, referral = _refused(rules, t, "medical_assistance", eligible, day, referred)
    active = eligible & ~refused
    want = np.where(active, pay(t.rate[rule], base), 0)
    amount = want.copy()
    bound = np.full(n, -1, dtype=np.int64)
    cap = np.full(n, -1, dtype=np.int64)
    if rules.ma_cap is not None and active.any():
        sub = rules.ma_outpatient_cap
        # a row without a cap in force (the destitute, or a date outside the cap rule) takes
        # its want and still counts toward the cap of the person's later cases
        capped_row = ~no_cap & t.in_force(np.full(n, rules.ma_cap.index), day)
        sub_rows = None
        if sub is not None:
            sub_rows = (outpatient & t.in_force(np.full(n, sub.index), day))[active]
        got, why = capped_with_fixed(
            group[active], want[active], ~capped_row[active], rules.ma_cap.cap_fen,
            sub_rows, sub.cap_fen if sub is not None else NO_LIMIT)
        amount[active] = got
        bound[active] = np.select([why == 1, why == 2],
                                  [rules.ma_cap.index, sub.index if sub else -1], -1)
        cap[active & capped_row] = rules.ma_cap.cap_fen
    if not explain:
        return _Stage.paid("medical_assistance", amount)
    category_of_rule = np.array([r.category or "" for r in rules.rules] + [""], dtype=object)
    via = np.array([rules.lookbacks[c].index if c in rules.lookbacks else -1
                    for c in category_of_rule], dtype=np.int64)
    rule_out = np.where(refused, referral, rule)
    extra = {
        "category": (category_of_rule[rule], eligible),
        "lookback_rule": (via[rule], eligible & ~strict),
        "reason": (_same(n, "no referral"), refused),
    }
    emit = refused | (active & ((amount > 0) | (bound >= 0)))
    return _Stage("medical_assistance", amount, emit, rule_out, base, np.zeros(n, np.int64),
                  cap, bound, extra)


def _counted(threshold: Rule, burden: np.ndarray) -> np.ndarray:
    """reference.counted over arrays: what a yearly burden lets count toward the payment."""
    limit = threshold.deductible_fen
    if threshold.props["threshold_mode"] == "trigger":
        return np.where(burden >= limit, burden, 0)
    return np.maximum(0, burden - limit)


def _special(rules: RuleSet, t: _Tables, n: int, group: np.ndarray, day: np.ndarray,
             scope: np.ndarray, total: np.ndarray, paid: np.ndarray, referred: np.ndarray,
             best: np.ndarray, explain: bool = True) -> _Stage:
    R = t.R
    eligible = best >= 0
    rule = np.where(eligible, R - 1 - best % R, -1)
    own = np.where(eligible, np.maximum(
        0, (scope if rules.sa_base == "remaining_policy_scope" else total) - paid), 0)
    refused, referral = _refused(rules, t, "special_assistance", eligible, day, referred)
    active = eligible & ~refused
    count = own.copy()
    threshold = rules.sa_threshold
    burden = np.zeros(n, dtype=np.int64)
    tested = np.zeros(n, dtype=bool)
    if threshold is not None and active.any():
        # the person's yearly burden after every other aid, up to and including each case
        before = np.zeros(n, dtype=np.int64)
        before[active] = running_before(group[active], own[active])
        burden = before + own
        tested = active & t.in_force(np.full(n, threshold.index), day)
        count = np.where(tested, _counted(threshold, burden) - _counted(threshold, before), own)
    base = np.maximum(own, count)          # as reference.special: rate x (base - deductible)
    want = np.where(active, pay(t.rate[rule], count), 0)
    amount = want.copy()
    bound = np.full(n, -1, dtype=np.int64)
    cap = np.full(n, -1, dtype=np.int64)
    if rules.sa_cap is not None and active.any():
        capped_row = t.in_force(np.full(n, rules.sa_cap.index), day)
        got, why = capped_with_fixed(group[active], want[active], ~capped_row[active],
                                     rules.sa_cap.cap_fen)
        amount[active] = got
        bound[active] = np.where(why > 0, rules.sa_cap.index, -1)
        cap[active & capped_row] = rules.sa_cap.cap_fen
    if not explain:
        return _Stage.paid("special_assistance", amount, active)
    category_of_rule = np.array([r.category or "" for r in rules.rules] + [""], dtype=object)
    extra = {"category": (category_of_rule[rule], eligible),
             "threshold_rule": (_same(n, threshold.id if threshold else None), tested),
             "burden": (burden / 100, tested),
             "reason": (_same(n, "no referral"), refused)}
    emit = refused | (active & ((amount > 0) | (bound >= 0)))
    return _Stage("special_assistance", amount, emit, np.where(refused, referral, rule),
                  np.where(refused, own, base), np.where(active, base - count, 0), cap, bound,
                  extra, active=active)


def _charity(rules: RuleSet, t: _Tables, n: int, group: np.ndarray, day: np.ndarray,
             total: np.ndarray, paid: np.ndarray, explain: bool = True) -> _Stage:
    charity = rules.charity
    rule = np.full(n, -1 if charity is None else charity.index, dtype=np.int64)
    active = t.in_force(rule, day)
    base = np.where(active, np.maximum(0, total - paid), 0)
    deductible = np.zeros(n, dtype=np.int64)
    amount = np.zeros(n, dtype=np.int64)
    bound = np.full(n, -1, dtype=np.int64)
    cap = np.full(n, -1, dtype=np.int64)
    if charity is not None and active.any():
        if charity.per_year:
            deductible[active] = capped(group[active], base[active], charity.deductible_fen)
        else:
            deductible = np.minimum(base, charity.deductible_fen)
        want = np.where(active, pay(t.rate[rule], base - deductible), 0)
        amount = want.copy()
        if charity.cap_fen is not None:
            got = capped(group[active], want[active], charity.cap_fen)
            amount[active] = got
            bound[active] = np.where(got < want[active], charity.index, -1)
            cap[active] = charity.cap_fen
    if not explain:
        return _Stage.paid("charity_assistance", amount)
    emit = active & ((amount > 0) | (bound >= 0))
    return _Stage("charity_assistance", amount, emit, rule, base, deductible, cap, bound)


def _results(inp: SettlementInput, rules: RuleSet,
             parts: Iterable[tuple[np.ndarray, list[_Stage]]]) -> list[dict[str, Any]]:
    """The output dicts, in input order: the only per-case Python of this engine.

    The same dicts as explain.explanation and explain.case_result build, field by field
    (tests/test_settlement.py checks that both engines' results are equal); column values are
    converted by numpy first (fen / 100 is the same double either way)."""
    n = len(inp)
    rule_ids = np.array([r.id for r in rules.rules] + [None], dtype=object)
    sources = np.array([r.source for r in rules.rules] + [None], dtype=object)
    locators = np.array([r.locator for r in rules.rules] + [None], dtype=object)
    rates = np.array([None if r.rate_ppm is None else r.rate_ppm / PPM for r in rules.rules]
                     + [None], dtype=object)
    explanations: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    payments: list[dict[str, float]] = [{} for _ in range(n)]
    paid = np.zeros(n, dtype=np.int64)  # in input order
    for order, stages in parts:
        for stage in stages:
            paying = np.flatnonzero(stage.amount)
            for case, amount in zip(order[paying].tolist(),
                                    (stage.amount[paying] / 100).tolist(), strict=True):
                payments[case][stage.scheme] = amount
            paid[order] += stage.amount
            rows = np.flatnonzero(stage.emit)
            rule, bound, cap = stage.rule[rows], stage.bound[rows], stage.cap[rows]
            built = [
                {"scheme": stage.scheme, "rule_id": rid, "source": src, "locator": loc,
                 "base": base, "deductible": ded, "rate": rate, "cap": limit, "bound_by": bid,
                 "amount": amount}
                for rid, src, loc, base, ded, rate, limit, bid, amount in zip(
                    rule_ids[rule].tolist(), sources[rule].tolist(), locators[rule].tolist(),
                    (stage.base[rows] / 100).tolist(), (stage.deductible[rows] / 100).tolist(),
                    rates[rule].tolist(), np.where(cap < 0, None, cap / 100).tolist(),
                    rule_ids[bound].tolist(), (stage.amount[rows] / 100).tolist(),
                    strict=True)]
            for name, (values, mask) in stage.extra.items():
                picked = np.flatnonzero(mask[rows])
                chosen = values[rows[picked]]
                if name in ("cap_waived_by", "lookback_rule"):
                    chosen = rule_ids[chosen]
                for k, value in zip(picked.tolist(), chosen.tolist(), strict=True):
                    if name == "given":  # a payment given on the case: no base of ours
                        built[k]["base"] = None
                        value = True
                    built[k][name] = value
            for case, why in zip(order[rows].tolist(), built, strict=True):
                explanations[case].append(why)
    out_of_pocket = (inp.total_fen - paid) / 100
    return [{"id": cid, "payments": pays, "out_of_pocket": oop, "explanations": why}
            for cid, pays, oop, why in zip(inp.case_ids, payments, out_of_pocket.tolist(),
                                           explanations, strict=True)]
