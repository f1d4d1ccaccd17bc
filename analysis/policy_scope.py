"""Which schemes may pay only within the policy scope (政策范围内费用), and by which rule.

A case carries two amounts: its bill (`total_cost`) and the part of it within the policy
scope, the catalogue costs the schemes pay on (`policy_scope_cost`, GLOSSARY 政策范围内费用).
A scheme whose rules pay on the policy scope (`base: policy_scope` or
`remaining_policy_scope`) may, with every scheme before it in the settlement order, pay at
most that scope: basic insurance pays on the scope, critical-illness insurance and medical
assistance on what is left of it after the schemes before them (002 二(二): 符合医保开支范围的
医疗费，扣除基本医疗保险、大病保险、其他医疗补助后的个人承担部分纳入医疗救助范围). So, in
order, the payments up to and including each such scheme add up to at most the scope; a
payment beyond it is `excess_over_scope` (docs/findings.md, "Reconciliation").

Schemes on the remaining bill (`remaining_total`: special assistance and huiminbao in the
Hangzhou rules, charity) are bound by the bill only (`excess_payment`).

>>> from medgraph.settlement import load_rules
>>> sorted(scope_bound(load_rules("hangzhou")))
['basic_medical_insurance', 'critical_illness_insurance', 'medical_assistance']
"""

from __future__ import annotations

from dataclasses import dataclass

from medgraph.settlement.rules import RuleSet

SCOPE_BASES = frozenset({"policy_scope", "remaining_policy_scope"})


@dataclass(frozen=True)
class Bound:
    """How a scheme is bound: the rules that bind it, and whether it pays on the whole scope
    (`policy_scope`) or on what the schemes before it left of it."""

    rules: tuple[str, ...]
    remaining: bool = True


def scope_bound(rules: RuleSet) -> dict[str, Bound]:
    """The schemes bound by the policy scope, each with the rules that bind it."""
    bound: dict[str, Bound] = {}
    for scheme, insurance in rules.insurance.items():
        # bound only when every rule of the scheme pays on the scope: a scheme with one rule
        # on the remaining bill may pay beyond the scope where that rule applies
        bases = {r.props.get("base") for r in insurance}
        if insurance and bases <= SCOPE_BASES:
            bound[scheme] = Bound(tuple(r.id for r in insurance),
                                  remaining=bases != {"policy_scope"})
    if rules.ma_rates:
        # the engine pays assistance on the remaining scope always; the clause that says so
        # is the out-of-catalogue rule, cited before the rates
        catalogue = [r.id for r in rules.rules
                     if r.kind == "out_of_catalogue" and r.scheme == "medical_assistance"]
        bound["medical_assistance"] = Bound(tuple(catalogue + [
            r.id for rates in rules.ma_rates.values() for r in rates]))
    if rules.sa_rates and rules.sa_base == "remaining_policy_scope":
        bound["special_assistance"] = Bound(tuple(dict.fromkeys(
            r.id for r in rules.sa_rates.values())))
    return bound


def beyond_scope(paid: dict[str, float], scope: float, order: tuple[str, ...],
                 bound: dict[str, Bound]) -> dict[str, float]:
    """What each bound scheme paid beyond the scope left to it: the scope (a scheme on the
    whole scope), or the scope less what the schemes before it paid, never below 0.

    >>> b = {"bmi": Bound(("r1",), remaining=False), "ma": Bound(("r2",))}
    >>> beyond_scope({"bmi": 700.0, "hmb": 100.0, "ma": 300.0}, 800.0, ("bmi", "hmb", "ma"), b)
    {'bmi': 0.0, 'ma': 300.0}
    """
    before = 0.0
    out: dict[str, float] = {}
    for scheme in order:
        amount = paid.get(scheme, 0.0)
        if scheme in bound:
            room = scope if not bound[scheme].remaining else max(0.0, scope - before)
            out[scheme] = max(0.0, amount - room)
        before += amount
    return out
