"""The output of a settlement: one dict per case, the same from both engines.

Money is integer fen inside the engine; here it becomes yuan with two decimals.
Rounding rule (the only one): each computed payment is rate x base rounded half
up to the fen, `(rate_ppm * base_fen + 500_000) // 1_000_000`; caps, deductibles
and sums are exact in fen.

>>> pay(800_000, 12_345)        # 80 % of 123.45 yuan = 98.76 yuan
9876
>>> pay(500_000, 1)             # half a fen rounds up
1
"""

from __future__ import annotations

import json
from typing import Any

from medgraph.settlement.rules import PPM, SCHEMES, Rule

HALF = PPM // 2


def pay(rate_ppm: int, base_fen: int) -> int:
    """rate x base in fen, rounded half up (base >= 0)."""
    return (rate_ppm * base_fen + HALF) // PPM


def yuan(fen: int) -> float:
    """Fen to yuan; a float with at most two decimals (exact for any int64 fen we meet)."""
    return fen / 100


def explanation(scheme: str, rule: Rule | None, *, amount: int, base: int | None = None,
                deductible: int = 0, cap: int | None = None, bound_by: str | None = None,
                **extra: Any) -> dict[str, Any]:
    """Why a scheme paid what it paid on a case: rule, source clause, base, rate and cap."""
    out: dict[str, Any] = {
        "scheme": scheme,
        "rule_id": rule.id if rule else None,
        "source": rule.source if rule else None,
        "locator": rule.locator if rule else None,
        "base": None if base is None else yuan(base),
        "deductible": yuan(deductible),
        "rate": None if rule is None or rule.rate_ppm is None else rule.rate_ppm / PPM,
        "cap": None if cap is None else yuan(cap),
        "bound_by": bound_by,
        "amount": yuan(amount),
    }
    out.update(extra)
    return out


def case_result(case_id: str, payments: dict[str, int], total: int,
                explanations: list[dict[str, Any]]) -> dict[str, Any]:
    """The output dict of one case; `payments` holds the schemes that paid, in order."""
    return {"id": case_id, "payments": {k: yuan(v) for k, v in payments.items()},
            "out_of_pocket": yuan(total - sum(payments.values())),
            "explanations": explanations}


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals by scheme and out of pocket, in yuan (summed in fen)."""
    by_scheme: dict[str, int] = {}
    oop = 0
    for result in results:
        for code, amount in result["payments"].items():
            by_scheme[code] = by_scheme.get(code, 0) + round(amount * 100)
        oop += round(result["out_of_pocket"] * 100)
    ordered = [code for code in SCHEMES if code in by_scheme]
    return {"cases": len(results), "payments": {k: yuan(by_scheme[k]) for k in ordered},
            "out_of_pocket": yuan(oop)}


def results_to_json(results: list[dict[str, Any]], *, indent: int | None = None) -> str:
    """The output document: `{"cases": [...], "summary": {...}}`."""
    return json.dumps({"cases": results, "summary": summary(results)}, ensure_ascii=False,
                      indent=indent)
