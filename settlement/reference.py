"""The reference settlement: plain Python, one case at a time, in the order of the rules.

Cases are taken in the order the yearly caps and deductibles are consumed:
by person, date, then case id. Each case goes through the six schemes in
order; every running amount (a cap used, a deductible or threshold used) is
kept per person, calendar year and cap in a dict. This is the definition the
vectorised engine is tested against (tests/test_settlement.py).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from medgraph.settlement.explain import case_result, explanation, pay, yuan
from medgraph.settlement.inputs import NOT_GIVEN, SettlementInput, known_categories
from medgraph.settlement.required import check_required
from medgraph.settlement.rules import EPOCH, FACILITY_LEVELS, SETTINGS, Rule, RuleSet


def months_before(day: int, months: int) -> int:
    """The day `months` calendar months earlier (the last day of a shorter month).

    >>> from medgraph.settlement.rules import day_number
    >>> months_before(day_number("2024-08-31"), 6) == day_number("2024-02-29")
    True
    """
    date = EPOCH + dt.timedelta(days=day)
    month0 = date.year * 12 + date.month - 1 - months
    year, month = divmod(month0, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return (dt.date(year, month + 1, min(date.day, last)) - EPOCH).days


def in_force(rule: Rule | None, day: int) -> bool:
    return rule is not None and rule.from_day <= day <= rule.to_day


class _Running:
    """Amounts used so far per (person, year, what)."""

    def __init__(self) -> None:
        self.used: dict[tuple[Any, ...], int] = {}

    def get(self, *key: Any) -> int:
        return self.used.get(key, 0)

    def add(self, amount: int, *key: Any) -> None:
        self.used[key] = self.used.get(key, 0) + amount


def settle_reference(inp: SettlementInput, rules: RuleSet) -> list[dict[str, Any]]:
    """Settle every case; results in the input's case order."""
    check_required(inp, rules)
    categories = known_categories()
    certs: list[list[tuple[str, int, int, bool]]] = [[] for _ in inp.person_ids]
    for person, category, start, end, illness in zip(
            inp.cert_person.tolist(), inp.cert_category.tolist(), inp.cert_from.tolist(),
            inp.cert_to.tolist(), inp.cert_illness.tolist(), strict=True):
        certs[person].append((categories[category], start, end, illness))
    order = sorted(range(len(inp)), key=lambda i: (
        int(inp.case_person[i]), int(inp.case_day[i]), inp.case_ids[i]))
    running = _Running()
    results: list[dict[str, Any] | None] = [None] * len(inp)
    special: dict[int, dict[str, Any]] = {}
    for i in order:
        results[i] = _settle_case(inp, rules, i, certs[int(inp.case_person[i])], running,
                                  special)
    _carry_special(inp, rules, order, results, special)  # type: ignore[arg-type]
    return results  # type: ignore[return-value]


def _fen(value: float) -> int:
    return round(value * 100)


def _carry_special(inp: SettlementInput, rules: RuleSet, order: list[int],
                   results: list[dict[str, Any]], special: dict[int, dict[str, Any]]) -> None:
    """No case is paid special assistance beyond its bill (docs/rules.md, "Special assistance
    within the bill"): what the rules entitle a case to beyond it (in trigger mode, the case
    that takes the year to the threshold brings the year's earlier burden in) is booked on
    the person's earlier cases of that year whose burden counted, latest first, each up to
    what is left of its bill; what none can take is not paid.

    `special` holds the special-assistance explanation of every case whose burden counted,
    written or not (a case paid nothing has none in its result until something is booked
    on it)."""
    group: list[int] = []
    key: tuple[int, int] | None = None
    for i in order:
        here = (int(inp.case_person[i]), (EPOCH + dt.timedelta(days=int(inp.case_day[i]))).year)
        if here != key:
            group, key = [], here
        if i not in special:
            continue
        result = results[i]
        over = -_fen(result["out_of_pocket"])
        move = min(_fen(result["payments"].get("special_assistance", 0.0)), over)
        if move > 0:
            left, to = move, []
            _book(inp, rules, results, special, i, -move)
            for j in reversed(group):
                room = _fen(results[j]["out_of_pocket"])
                if room > 0 and left:
                    took = min(room, left)
                    _book(inp, rules, results, special, j, took)
                    special[j]["carried_from"] = inp.case_ids[i]
                    special[j]["carried_in"] = yuan(_fen(special[j].get("carried_in", 0.0))
                                                    + took)
                    to.append(inp.case_ids[j])
                    left -= took
            special[i].update(beyond_bill=yuan(move), carried_to=to)
        group.append(i)


def _book(inp: SettlementInput, rules: RuleSet, results: list[dict[str, Any]],
          special: dict[int, dict[str, Any]], i: int, fen: int) -> None:
    """Add `fen` (or take it, below 0) to case i's special assistance, with its explanation
    written in the place of the scheme in the settlement order."""
    result, why = results[i], special[i]
    payments = result["payments"]
    amount = _fen(payments.get("special_assistance", 0.0)) + fen
    if amount:
        payments["special_assistance"] = yuan(amount)
    else:
        payments.pop("special_assistance", None)
    result["out_of_pocket"] = yuan(int(inp.total_fen[i]) - sum(_fen(v) for v in payments.values()))
    why["amount"] = yuan(amount)
    explanations = result["explanations"]
    if not any(e is why for e in explanations):
        after = set(rules.order[rules.order.index("special_assistance") + 1:])
        place = next((k for k, e in enumerate(explanations) if e["scheme"] in after),
                     len(explanations))
        explanations.insert(place, why)


def _settle_case(inp: SettlementInput, rules: RuleSet, i: int,
                 certs: list[tuple[str, int, int, bool]], running: _Running,
                 special_why: dict[int, dict[str, Any]]) -> dict[str, Any]:
    person = int(inp.case_person[i])
    day = int(inp.case_day[i])
    year = (EPOCH + dt.timedelta(days=day)).year
    setting = SETTINGS[int(inp.case_setting[i])]
    # A case without a facility level is settled only where no rule reads it
    # (settlement.check_required), so any level gives the same rules.
    level = FACILITY_LEVELS[max(0, int(inp.case_level[i]))]
    total, scope = int(inp.total_fen[i]), int(inp.scope_fen[i])
    referred = bool(inp.referred[i])
    # Certificates valid on the date of care; for assistance also those whose six-month (or
    # whatever the rule says) look-back covers the date because they were granted for illness.
    strict = [c for c, start, end, _ in certs if start <= day <= end]
    lookback: list[tuple[str, Rule]] = []
    for category, start, _end, illness in certs:
        rule = rules.lookbacks.get(category)
        if illness and in_force(rule, day) and \
                months_before(start, int(rule.props["lookback_months"])) <= day < start:
            lookback.append((category, rule))

    payments: dict[str, int] = {}
    explanations: list[dict[str, Any]] = []
    paid = 0  # by the schemes before, on this case

    def record(scheme: str, amount: int, why: dict[str, Any] | None) -> None:
        nonlocal paid
        if amount:
            payments[scheme] = amount
            paid += amount
        if why is not None and (amount or why["bound_by"] or why.get("reason")):
            explanations.append(why)

    def refused(scheme: str, base: int, **extra: Any) -> bool:
        """Care without the required referral is outside the scheme (002 二(二))."""
        rule = rules.referral.get(scheme)
        if rule is None or referred or not in_force(rule, day):
            return False
        record(scheme, 0, explanation(scheme, rule, amount=0, base=base, reason="no referral",
                                      **extra))
        return True

    def insurance(scheme: str, given: int, cap_waiver: Rule | None = None) -> None:
        rule = rules.insurance_rule(scheme, setting, level)
        member = bool(inp.huiminbao[person] if scheme == "huiminbao" else inp.enrolled[person])
        applies = member and in_force(rule, day)
        if not applies and given == NOT_GIVEN:
            return
        base = deductible = 0
        if applies:
            base = {"policy_scope": scope, "remaining_policy_scope": max(0, scope - paid),
                    "remaining_total": max(0, total - paid)}[rule.props["base"]]
            if rule.per_year:
                left = max(0, rule.deductible_fen - running.get(person, year, "ded", rule.pool))
                deductible = min(base, left)
                running.add(deductible, person, year, "ded", rule.pool)
            else:
                deductible = min(base, rule.deductible_fen)
        if given != NOT_GIVEN:  # real settlement data: the scheme's own payment, as given
            if applies:
                running.add(given, person, year, "cap", rule.pool)
            record(scheme, given, explanation(scheme, None, amount=given, given=True))
            return
        want = pay(rule.rate_ppm, base - deductible)
        cap = None if cap_waiver is not None else rule.cap_fen
        amount, bound = want, None
        if cap is not None:
            amount = min(want, max(0, cap - running.get(person, year, "cap", rule.pool)))
            bound = rule.pool if amount < want else None
        running.add(amount, person, year, "cap", rule.pool)
        extra = {"cap_waived_by": cap_waiver.id} if cap_waiver is not None else {}
        record(scheme, amount, explanation(scheme, rule, amount=amount, base=base,
                                           deductible=deductible, cap=cap, bound_by=bound,
                                           **extra))

    def basic() -> None:
        insurance("basic_medical_insurance", int(inp.paid_bmi_fen[i]))

    def critical() -> None:
        # the critical-illness cap is lifted for assistance recipients (002 二(二))
        waivers = [rules.cap_waivers[c] for c in strict
                   if c in rules.cap_waivers and in_force(rules.cap_waivers[c], day)]
        waiver = min(waivers, key=lambda r: r.index) if waivers else None
        insurance("critical_illness_insurance", int(inp.paid_cii_fen[i]), waiver)

    def other_aid() -> None:
        given = int(inp.paid_oma_fen[i])
        if given != NOT_GIVEN:
            record("other_medical_aid", given,
                   explanation("other_medical_aid", None, amount=given, given=True))

    def assistance() -> None:
        # the best rate of the categories held on the date (or within a look-back)
        offers = [(r.rate_ppm, bool(r.props.get("no_cap")), True, -r.index, c, None)
                  for c in strict if in_force(r := rules.ma_rate(c, level), day)]
        offers += [(r.rate_ppm, bool(r.props.get("no_cap")), False, -r.index, c, via)
                   for c, via in lookback if in_force(r := rules.ma_rate(c, level), day)]
        if not offers:
            return
        best = max(offers, key=lambda o: o[:4])
        rule = rules.rules[-best[3]]
        extra: dict[str, Any] = {"category": best[4]}
        if best[5] is not None:
            extra["lookback_rule"] = best[5].id
        base = max(0, scope - paid)
        if refused("medical_assistance", base, **extra):
            return
        want = pay(rule.rate_ppm, base)
        amount, bound, cap = want, None, None
        if not best[1] and in_force(rules.ma_cap, day):
            cap = rules.ma_cap.cap_fen
            cap_left = max(0, cap - running.get(person, year, "ma"))
            sub = rules.ma_outpatient_cap
            sub_left = None
            if in_force(sub, day) and setting == "outpatient_general":
                sub_left = max(0, sub.cap_fen - running.get(person, year, "ma_og"))
            amount = min(want, cap_left, want if sub_left is None else sub_left)
            if amount < want:
                # the sub-cap is named when it is the smaller (or equal) remaining amount
                bound = sub.id if sub_left is not None and sub_left <= cap_left \
                    else rules.ma_cap.id
        running.add(amount, person, year, "ma")
        if setting == "outpatient_general" and in_force(rules.ma_outpatient_cap, day):
            running.add(amount, person, year, "ma_og")
        record("medical_assistance", amount, explanation(
            "medical_assistance", rule, amount=amount, base=base, cap=cap, bound_by=bound,
            **extra))

    def special() -> None:
        # 002 二(四): recipients whose yearly burden after every other aid is still heavy
        offers = [(r.rate_ppm, -r.index, c) for c in strict
                  if in_force(r := rules.sa_rates.get(c), day)]
        if not offers:
            return
        rate_ppm, neg_index, category = max(offers, key=lambda o: o[:2])
        rule = rules.rules[-neg_index]
        own = max(0, (scope if rules.sa_base == "remaining_policy_scope" else total) - paid)
        if refused("special_assistance", own, category=category):
            return
        threshold = rules.sa_threshold
        before = running.get(person, year, "sa_burden")
        running.add(own, person, year, "sa_burden")
        burden = before + own
        count = own
        extra: dict[str, Any] = {"category": category}
        if in_force(threshold, day):
            count = counted(threshold, burden) - counted(threshold, before)
            extra.update(threshold_rule=threshold.id, burden=yuan(burden))
        # as for the other schemes, the rate applies to base - deductible: the threshold
        # holds back part of this case's burden, or (trigger) brings the year's earlier in
        base = max(own, count)
        deductible = base - count
        want = pay(rate_ppm, count)
        amount, bound, cap = want, None, None
        if in_force(rules.sa_cap, day):
            cap = rules.sa_cap.cap_fen
            amount = min(want, max(0, cap - running.get(person, year, "sa")))
            bound = rules.sa_cap.id if amount < want else None
        running.add(amount, person, year, "sa")
        why = explanation("special_assistance", rule, amount=amount, base=base,
                          deductible=deductible, cap=cap, bound_by=bound, **extra)
        special_why[i] = why  # kept for what is booked on the case later (_carry_special)
        record("special_assistance", amount, why)

    def charity() -> None:
        rule = rules.charity
        if not in_force(rule, day):
            return
        base = max(0, total - paid)
        deductible = _deductible(rule, base, running, person, year, "ch_ded")
        want = pay(rule.rate_ppm, base - deductible)
        amount, bound = want, None
        if rule.cap_fen is not None:
            amount = min(want, max(0, rule.cap_fen - running.get(person, year, "ch")))
            bound = rule.id if amount < want else None
        running.add(amount, person, year, "ch")
        record("charity_assistance", amount, explanation(
            "charity_assistance", rule, amount=amount, base=base, deductible=deductible,
            cap=rule.cap_fen, bound_by=bound))

    stages = {"basic_medical_insurance": basic, "critical_illness_insurance": critical,
              "other_medical_aid": other_aid, "medical_assistance": assistance,
              "special_assistance": special,
              "huiminbao": lambda: insurance("huiminbao", NOT_GIVEN),
              "charity_assistance": charity}
    for scheme in rules.order:  # the model's settlement order (each Scheme's `order`)
        stages[scheme]()
    return case_result(inp.case_ids[i], payments, total, explanations)


def counted(threshold: Rule, burden: int) -> int:
    """How much of a yearly burden a special-assistance threshold lets count: all of it once
    the burden reaches the threshold (`trigger`), or the part above it (`deductible`).

    The payment on a case is the rate of what its burden adds to the count, so in trigger mode
    the case that takes the year's burden to the threshold also brings the earlier ones in.
    """
    limit = threshold.deductible_fen
    if threshold.props["threshold_mode"] == "trigger":
        return burden if burden >= limit else 0
    return max(0, burden - limit)


def _deductible(rule: Rule, base: int, running: _Running, person: int, year: int,
                key: str) -> int:
    """The part of `base` a rule's deductible or threshold takes: per case, or what is left of
    it this person-year (and then consumed)."""
    if not rule.per_year:
        return min(base, rule.deductible_fen)
    taken = min(base, max(0, rule.deductible_fen - running.get(person, year, key)))
    running.add(taken, person, year, key)
    return taken
