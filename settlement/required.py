"""Which case fields a model's rules read, so that a case must give them.

A field is required only where a rule of the chosen model reads it: Hangzhou's basic
insurance pays by facility level (002 二(三) 差异化支付), but a case that gives the insurance
payments needs no level; Lingqiu's linkage benefit pays by facility level (004 §3.3) for
the people who hold its card only. `check_required` names the first case that lacks a
field a rule needs, with the rule.
"""

from __future__ import annotations

import numpy as np

from medgraph.settlement.inputs import NO_LEVEL, NOT_GIVEN, SettlementInput, known_categories
from medgraph.settlement.rules import FACILITY_LEVELS, INSURANCE, SETTINGS, Rule, RuleSet


def _level_rule(rules: RuleSet, scheme: str, setting: str) -> Rule | None:
    """The rule of an insurance scheme that pays differently by facility level for a
    setting, or None when the level does not change which rule applies."""
    chosen = [rules.insurance_rule(scheme, setting, level) for level in FACILITY_LEVELS]
    if len({None if r is None else r.id for r in chosen}) > 1:
        return next(r for r in chosen if r is not None)
    return None


def check_required(inp: SettlementInput, rules: RuleSet) -> None:
    """Raise InputError for the first case lacking a field one of the model's rules reads."""
    _check_given_basic(inp, rules)
    missing = np.flatnonzero(inp.case_level == NO_LEVEL)
    if len(missing) == 0:
        return
    given = {"basic_medical_insurance": inp.paid_bmi_fen,
             "critical_illness_insurance": inp.paid_cii_fen}
    # categories whose assistance rate depends on the facility level, and the rule saying so
    by_level: dict[int, Rule] = {}
    for k, category in enumerate(known_categories()):
        chosen = [rules.ma_rate(category, level) for level in FACILITY_LEVELS]
        if len({None if r is None else r.id for r in chosen}) > 1:
            by_level[k] = next(r for r in chosen if r is not None)
    holds: dict[int, set[int]] = {}
    if by_level:
        for person, category in zip(inp.cert_person.tolist(), inp.cert_category.tolist(),
                                    strict=True):
            if category in by_level:
                holds.setdefault(person, set()).add(category)
    for i in missing.tolist():
        person = int(inp.case_person[i])
        setting = SETTINGS[int(inp.case_setting[i])]
        for scheme in INSURANCE:
            if scheme not in rules.order:
                continue
            member = inp.huiminbao[person] if scheme == "huiminbao" else inp.enrolled[person]
            if not member or (scheme in given and given[scheme][i] != NOT_GIVEN):
                continue
            rule = _level_rule(rules, scheme, setting)
            if rule is not None:
                raise inp.case_error(i, "facility_level", f"missing; rule {rule.id} of "
                                     f"{scheme} reads it (it pays by facility level)")
        for category in sorted(holds.get(person, ())):
            rule = by_level[category]
            raise inp.case_error(i, "facility_level", f"missing; rule {rule.id} of "
                                 f"medical_assistance reads it (it pays by facility level)")


def _check_given_basic(inp: SettlementInput, rules: RuleSet) -> None:
    """A model without basic-insurance rules (Lingqiu: 004 gives none) cannot compute what
    basic insurance paid, yet its assistance pays on what basic insurance left (004 §3.3
    在享受基本医疗保险待遇后): an insured recipient's case must give that payment."""
    if "basic_medical_insurance" not in rules.order or rules.insurance.get(
            "basic_medical_insurance") or not rules.ma_rates:
        return
    categories = known_categories()
    recipient = np.zeros(len(inp.person_ids), dtype=bool)
    held = np.isin(inp.cert_category, [k for k, c in enumerate(categories)
                                       if c in rules.ma_rates])
    recipient[inp.cert_person[held]] = True
    lacking = np.flatnonzero(recipient[inp.case_person] & inp.enrolled[inp.case_person]
                             & (inp.paid_bmi_fen == NOT_GIVEN))
    if len(lacking):
        rule = next(r for rules_ in rules.ma_rates.values() for r in rules_)
        raise inp.case_error(int(lacking[0]), "paid_basic_medical_insurance",
                             f"missing; model {rules.model} has no basic-insurance rule to "
                             f"compute it, and rule {rule.id} pays on what basic insurance "
                             "left")
