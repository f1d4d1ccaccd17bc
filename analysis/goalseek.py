"""Goal-seek: the least generous value of one rule parameter that meets a goal.

`--goal "comprehensive_coverage_rate>=0.85" --free RULE_ID.PARAMETER` settles the cases
again and again, bisecting over a grid of the parameter (`step` apart, between the bounds
graph/schema.yaml gives it or, for an amount without a bound, 0 and ten times its value).
The indicator is taken to move one way with the parameter (a higher rate pays more, a
higher deductible less): the goal is tried at both ends of the range first, which gives
the direction, and the answer is the value nearest the end that misses the goal: the
smallest rate, the highest threshold. When neither end meets the goal it cannot be met
by this parameter alone, and the result says so with the best value reached.

>>> parse_goal("comprehensive_coverage_rate >= 0.85")
('comprehensive_coverage_rate', '>=', 0.85)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from medgraph.analysis import whatif
from medgraph.analysis.kpi import COMPARATORS, DEFINITIONS
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import Model
from medgraph.settlement.reforms import _parameters, parameter_of, set_parameter
from medgraph.settlement.rules import rules_from_model

GOAL = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|>|<|=)\s*([0-9]*\.?[0-9]+)\s*$")
# The grid step when none is given: a rate to a tenth of a percentage point, an amount to
# one yuan, a count (months) to one.
RATE_STEP, YUAN_STEP = 0.001, 1.0


def parse_goal(text: str) -> tuple[str, str, float]:
    match = GOAL.match(text or "")
    if not match or match.group(1) not in DEFINITIONS:
        raise InputError("--goal", f"{text!r}: write INDICATOR>=VALUE (or <=, >, <, =) with "
                         f"one of {', '.join(DEFINITIONS)}", field="goal")
    return match.group(1), match.group(2), float(match.group(3))


@dataclass
class Seek:
    """What a goal-seek found; `value` is None when the goal cannot be met."""

    indicator: str
    comparator: str
    target: float
    rule: str
    parameter: str
    baseline_value: Any
    low: float
    high: float
    step: float
    value: float | None
    measured: float | None          # the indicator at `value` (or the best reached)
    next_value: float | None         # one step further toward the end that misses the goal
    next_measured: float | None
    settlements: int
    met_everywhere: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def bounds(model: Model, rule: str, name: str, current: Any, step: float | None
           ) -> tuple[float, float, float]:
    spec = _parameters()[name]
    low = float(spec.get("min", 0))
    high = spec.get("max")
    if high is None:
        high = max(10 * float(current or 0), 1_000_000.0 if spec.get("unit") == "yuan" else 100)
    if step is None:
        step = 1.0 if spec.get("type") == "integer" else \
            RATE_STEP if spec.get("max") == 1 else YUAN_STEP
    if not (math.isfinite(step) and step > 0):
        raise InputError("--step", f"{step!r}: give a step above 0", field="step")
    return low, float(high), step


def seek(pop: whatif.Population, model: Model, free: str, goal: str,
         step: float | None = None) -> Seek:
    """Bisect `free` (RULE_ID.PARAMETER of `model`) for the goal over the population."""
    indicator, comparator, target = parse_goal(goal)
    rule, name, current = parameter_of(model, free)
    low, high, step = bounds(model, rule, name, current, step)
    integer = _parameters()[name].get("type") == "integer"
    # The indicators read recipients' cases only, and what a person is paid depends on that
    # person's cases only (caps run per person and year): so the persons with a recipient
    # case settle exactly as in the whole city, and they are all that is settled again.
    # (A parameter cannot change who is a recipient: that is which categories have rules.)
    recipient = pop.holding(rules_from_model(model).ma_categories)
    pop = whatif.Population(pop.inp.subset(np.unique(pop.inp.case_person[recipient])),
                            model.name)
    points = int(math.floor((high - low) / step + 1e-9))
    met = COMPARATORS[comparator]
    count = 0

    def value_at(k: int) -> float:
        # a decimal sum, so that 0.7 + 0.001 * 200 is 0.9 and not 0.9000000000000001
        v = float(Decimal(str(low)) + Decimal(str(step)) * k)
        return int(v) if integer else v

    def measure(k: int) -> float | None:
        nonlocal count
        count += 1
        changed = set_parameter(model, rule, name, value_at(k), "--free")
        scenario = whatif.Scenario("goal", changed, rules_from_model(changed))
        return whatif.kpis(pop, whatif.settle_scenario(pop, scenario))[indicator]["value"]

    def ok(value: float | None) -> bool:
        return value is not None and met(value, target)

    at_low, at_high = measure(0), measure(points)
    result = Seek(indicator, comparator, target, rule, name, current, low, high, step,
                  None, None, None, None, 0)
    if ok(at_low) and ok(at_high):
        result.value, result.measured, result.met_everywhere = value_at(0), at_low, True
    elif not ok(at_low) and not ok(at_high):
        best = max((v for v in (at_low, at_high) if v is not None), default=None,
                   key=lambda v: v if comparator in (">=", ">") else -v)
        result.measured = best
    else:
        rising = ok(at_high)  # the goal is met from some k up (rising) or down to some k
        miss, hit = (0, points) if rising else (points, 0)
        hit_value = at_high if rising else at_low
        miss_value = at_low if rising else at_high
        while abs(hit - miss) > 1:
            mid = (hit + miss) // 2
            value = measure(mid)
            if ok(value):
                hit, hit_value = mid, value
            else:
                miss, miss_value = mid, value
        result.value, result.measured = value_at(hit), hit_value
        result.next_value, result.next_measured = value_at(miss), miss_value
    result.settlements = count
    return result
