"""The benefit rules of a model, read into the shape the settlement engine needs.

Every amount, rate, cap and threshold comes from the model's `BenefitRule`
nodes (docs/rules.md); this module only arranges them: money in integer fen,
rates in parts per million (so that a payment is exact integer arithmetic),
and lookup tables by setting, facility level and category.

>>> rules = load_rules("hangzhou")                                # doctest: +SKIP
>>> rules.ma_rates["minimum_living"].rate_ppm                     # doctest: +SKIP
800000
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from medgraph.loaders.errors import InputError
from medgraph.loaders.model import Model, read_model

# The schemes the engine can settle, in the glossary's order (used to list totals). The
# order in which a model settles them is data: each Scheme's `order` (RuleSet.order).
SCHEMES = ("basic_medical_insurance", "critical_illness_insurance", "other_medical_aid",
           "medical_assistance", "special_assistance", "huiminbao", "charity_assistance")
INSURANCE = ("basic_medical_insurance", "critical_illness_insurance", "huiminbao")
# Schemes whose payment only the case data gives (real settlement data): none of the
# documents gives their terms (002 二(二) 其他医疗补助, e.g. 优抚对象医疗补助).
GIVEN_ONLY = ("other_medical_aid",)
THRESHOLD_MODES = ("trigger", "deductible")
SA_BASES = ("remaining_policy_scope", "remaining_total")
SETTINGS = ("inpatient", "outpatient_general", "outpatient_chronic")
FACILITY_LEVELS = ("village", "township", "county", "city", "provincial")
PPM = 1_000_000
NO_LIMIT = 2**62  # an int64 "no cap": larger than any sum of fen the engine can meet
EPOCH = dt.date(1970, 1, 1)


def to_fen(yuan: Any) -> int:
    """Yuan (number or text) to integer fen, half-up.

    >>> to_fen(0.1), to_fen("120000"), to_fen(1.005)
    (10, 12000000, 101)
    """
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_ppm(rate: float) -> int:
    """A rate 0-1 in integer parts per million.

    >>> to_ppm(0.85)
    850000
    """
    return int((Decimal(str(rate)) * PPM).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def day_number(value: Any) -> int:
    """Days since 1970-01-01 of a date or YYYY-MM-DD text (the engine's date unit)."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return (day - EPOCH).days


@dataclass(frozen=True)
class Rule:
    """One BenefitRule with what the engine reads from it in exact units."""

    index: int
    id: str
    scheme: str
    kind: str
    source: str
    locator: str
    props: dict[str, Any]
    from_day: int
    to_day: int
    rate_ppm: int | None = None
    cap_fen: int | None = None          # annual_cap (or outpatient_general_cap); None = no cap
    deductible_fen: int = 0             # deductible or threshold
    per_year: bool = False              # deductible / threshold per person per calendar year
    pool: str = ""                      # the cap this rule consumes (shares_cap_with or own id)

    @property
    def category(self) -> str | None:
        return self.props.get("category_code")


@dataclass
class RuleSet:
    """The rules of one model, by the part of the settlement they drive."""

    model: str
    rules: list[Rule] = field(default_factory=list)
    insurance: dict[str, list[Rule]] = field(default_factory=dict)
    cap_waivers: dict[str, Rule] = field(default_factory=dict)
    # assistance rates by category, each list holding the rules of the category by facility
    # level ("any" or one level; Lingqiu pays by level, 004 §3.3)
    ma_rates: dict[str, list[Rule]] = field(default_factory=dict)
    lookbacks: dict[str, Rule] = field(default_factory=dict)
    ma_cap: Rule | None = None
    ma_outpatient_cap: Rule | None = None
    referral: dict[str, Rule] = field(default_factory=dict)   # by scheme
    sa_rates: dict[str, Rule] = field(default_factory=dict)
    sa_cap: Rule | None = None
    sa_threshold: Rule | None = None
    sa_base: str = "remaining_policy_scope"
    charity: Rule | None = None
    categories: frozenset[str] = frozenset()
    # the schemes in the order the model settles them (each Scheme's `order`)
    order: tuple[str, ...] = ()

    def ma_rate(self, category: str, level: str) -> Rule | None:
        """The assistance rate rule of a category at a facility level: exact level over
        `any` (docs/rules.md)."""
        best: Rule | None = None
        for rule in self.ma_rates.get(category, []):
            r_level = rule.props.get("facility_level", "any")
            if r_level == level:
                return rule
            if r_level == "any":
                best = rule
        return best

    @property
    def ma_categories(self) -> frozenset[str]:
        """The categories that make a person a medical-assistance recipient."""
        return frozenset(self.ma_rates)

    def threshold_mode(self) -> str:
        return str(self.sa_threshold.props["threshold_mode"]) if self.sa_threshold else ""

    def insurance_rule(self, scheme: str, setting: str, level: str) -> Rule | None:
        """The most specific rule of an insurance scheme for a setting and facility level:
        exact setting over `all`, then exact level over `any` (docs/rules.md)."""
        best: tuple[int, Rule] | None = None
        for rule in self.insurance.get(scheme, []):
            r_setting = rule.props.get("setting", "all")
            r_level = rule.props.get("facility_level", "any")
            if r_setting not in (setting, "all") or r_level not in (level, "any"):
                continue
            score = 2 * (r_setting == setting) + (r_level == level)
            if best is None or score > best[0]:
                best = (score, rule)
        return best[1] if best else None


def load_rules(model: str | Path = "hangzhou") -> RuleSet:
    """Read a model (a name in data/ or a folder) and arrange its benefit rules.

    Raises InputError when the rules cannot be settled consistently (two rules sharing a
    cap with different caps, a rate rule without its category, ...).
    """
    return rules_from_model(read_model(model))


def rules_from_model(model: Model) -> RuleSet:
    scheme_of: dict[str, str] = {}
    for rel in model.relations:
        if rel.type == "HAS_RULE":
            scheme = model.entities.get(rel.from_id)
            if scheme is not None and scheme.props.get("code"):
                scheme_of[rel.to_id] = scheme.props["code"]
    categories = frozenset(e.props["code"] for e in model.entities.values()
                           if e.label == "BeneficiaryCategory" and e.props.get("code"))
    rs = RuleSet(model=model.name, categories=categories, order=_scheme_order(model))
    for entity in model.entities.values():
        if entity.label != "BenefitRule" or entity.id not in scheme_of:
            continue
        rule = _rule(len(rs.rules), entity.id, scheme_of[entity.id], entity.props, entity.file,
                     entity.line)
        rs.rules.append(rule)
        _place(rs, rule, entity.file, entity.line)
    _check_pools(rs)
    _check_sa_base(rs)
    return rs


def _scheme_order(model: Model) -> tuple[str, ...]:
    """The model's schemes in settlement order: the `order` of each Scheme node (data, with
    its source; where the documents disagree the model says so, docs/settlement.md)."""
    placed: dict[int, tuple[str, Any]] = {}
    for entity in model.entities.values():
        code = entity.props.get("code")
        if entity.label != "Scheme" or code not in SCHEMES or entity.props.get("order") is None:
            continue
        order = int(entity.props["order"])
        if order in placed and placed[order][0] != code:
            raise InputError(entity.file, f"scheme {entity.id}: order {order} is also that of "
                             f"{placed[order][0]}; the settlement order must be one sequence",
                             line=entity.line, field="order")
        placed[order] = (code, entity)
    return tuple(code for _, (code, _e) in sorted(placed.items()))


def _rule(index: int, rule_id: str, scheme: str, props: dict[str, Any], file: str,
          line: int) -> Rule:
    def day(name: str, default: int) -> int:
        return day_number(props[name]) if props.get(name) else default

    cap = props.get("annual_cap", props.get("outpatient_general_cap"))
    deductible = props.get("deductible", props.get("threshold", 0)) or 0
    return Rule(
        index=index, id=rule_id, scheme=scheme, kind=props["kind"],
        source=str(props.get("source", "")), locator=str(props.get("locator", "")), props=props,
        from_day=day("valid_from", -(2**40)), to_day=day("valid_to", 2**40),
        rate_ppm=to_ppm(props["rate"]) if props.get("rate") is not None else None,
        cap_fen=None if cap is None or props.get("no_cap") else to_fen(cap),
        deductible_fen=to_fen(deductible), per_year=props.get("per") == "year",
        pool=str(props.get("shares_cap_with") or rule_id),
    )


def _place(rs: RuleSet, rule: Rule, file: str, line: int) -> None:
    kind, scheme = rule.kind, rule.scheme

    def need(*names: str) -> None:
        for name in names:
            if rule.props.get(name) is None:
                raise InputError(file, f"rule {rule.id} ({kind}) needs {name!r} (docs/rules.md)",
                                 line=line, field=name)

    if rule.category is not None and rule.category not in rs.categories:
        raise InputError(file, f"rule {rule.id}: category_code {rule.category!r} is no "
                         "BeneficiaryCategory of the model", line=line, field="category_code")

    if kind == "insurance_reimbursement" and scheme in INSURANCE:
        need("rate", "base")
        rs.insurance.setdefault(scheme, []).append(rule)
    elif kind == "cap_waiver":
        need("category_code")
        rs.cap_waivers.setdefault(rule.category, rule)
    elif kind == "assistance_rate":
        need("category_code", "rate")
        level = rule.props.get("facility_level", "any")
        if level != "any" and level not in FACILITY_LEVELS:
            raise InputError(file, f"rule {rule.id}: facility_level {level!r} is not one of "
                             f"any, {', '.join(FACILITY_LEVELS)}", line=line,
                             field="facility_level")
        for before in rs.ma_rates.get(rule.category, []):
            if before.props.get("facility_level", "any") == level and \
                    before.from_day <= rule.to_day and rule.from_day <= before.to_day:
                # One rate per category and facility level at a time: a second one would
                # silently replace the first, so it is refused instead.
                raise InputError(file, f"rule {rule.id}: a second assistance_rate for "
                                 f"{rule.category} at facility level {level} in force with "
                                 f"{before.id}", line=line, field="category_code")
        rs.ma_rates.setdefault(rule.category, []).append(rule)
    elif kind == "lookback":
        need("category_code", "lookback_months")
        rs.lookbacks[rule.category] = rule
    elif kind == "annual_cap" and scheme == "medical_assistance":
        need("annual_cap")
        rs.ma_cap = rule
    elif kind == "annual_cap" and scheme == "special_assistance":
        need("annual_cap")
        rs.sa_cap = rule
    elif kind == "outpatient_general_cap":
        need("outpatient_general_cap")
        rs.ma_outpatient_cap = rule
    elif kind == "referral_required" and rule.props.get("requires_referral"):
        if scheme not in ("medical_assistance", "special_assistance"):
            raise InputError(file, f"rule {rule.id}: referral_required is read for "
                             "medical_assistance and special_assistance only", line=line,
                             field="kind")
        rs.referral[scheme] = rule
    elif kind == "special_assistance_rate":
        need("category_code", "rate")
        rs.sa_rates[rule.category] = rule
    elif kind == "special_assistance_threshold":
        need("threshold", "threshold_mode")
        if rule.props["threshold_mode"] not in THRESHOLD_MODES or not rule.per_year:
            raise InputError(file, f"rule {rule.id}: threshold_mode is one of "
                             f"{', '.join(THRESHOLD_MODES)}, with per: year", line=line,
                             field="threshold_mode")
        rs.sa_threshold = rule
    elif kind == "charity_grant":
        need("rate")
        rs.charity = rule
    # Other kinds (premium_subsidy, warning_line, out_of_catalogue) do not change a payment:
    # out_of_catalogue is what `remaining_policy_scope` means for assistance.


def _check_sa_base(rs: RuleSet) -> None:
    """Special assistance pays on one base for every category (docs/rules.md)."""
    bases = {str(r.props.get("base", "remaining_policy_scope")) for r in rs.sa_rates.values()}
    if len(bases) > 1 or not bases <= set(SA_BASES):
        raise InputError(rs.model, "special_assistance_rate rules must share one base, one of "
                         f"{', '.join(SA_BASES)}; got {', '.join(sorted(bases))}", field="base")
    if bases:
        rs.sa_base = bases.pop()


def _check_pools(rs: RuleSet) -> None:
    """Rules sharing a cap must agree on it, and on a yearly deductible: a case consumes one
    running amount per person and year, whichever of the rules it was settled by."""
    caps: dict[str, int | None] = {}
    deductibles: dict[str, int] = {}
    for rules in rs.insurance.values():
        for rule in rules:
            if rule.pool not in {r.id for r in rules}:
                raise InputError(rs.model, f"rule {rule.id}: shares_cap_with names "
                                 f"{rule.pool!r}, not a rule of the same scheme",
                                 field="shares_cap_with")
            for seen, value, what in ((caps, rule.cap_fen, "annual_cap"),
                                      (deductibles, rule.deductible_fen, "deductible")):
                if what == "deductible" and not rule.per_year:
                    continue
                if seen.setdefault(rule.pool, value) != value:
                    raise InputError(rs.model, f"rule {rule.id} shares the cap of {rule.pool} "
                                     f"but its yearly {what} differs", field=what)
