"""The one check for names a user gives: models, years, datasets, query parameters.

A name the store does not know is refused (InputError: the CLI exits 2, the API answers
422) with the list of what it does know, instead of an answer about nothing that reads like
an answer: `gaps --model hangzou` once reported 663 findings, and `kpi` for a year without
cases printed blanks.

>>> require("model", "hangzou", ["hangzhou", "lingqiu"], option="--model")
Traceback (most recent call last):
...
medgraph.loaders.errors.InputError: --model: unknown model 'hangzou'; known: hangzhou, lingqiu
>>> require("year", 2024, [2023, 2024], option="--year")
2024
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from medgraph.graph.store import Store
from medgraph.loaders.errors import InputError

T = TypeVar("T")


def require(kind: str, name: T, known: Iterable[Any], *, option: str, why: str = "") -> T:
    """`name` if it is among `known`; else InputError naming the option and the known."""
    known = sorted(set(known), key=str)
    if name not in known:
        listed = ", ".join(map(str, known)) or "(none)"
        raise InputError(option, f"unknown {kind} {_shown(name)}{why}; known: {listed}")
    return name


def _shown(name: Any) -> str:
    text = repr(name)
    return text if len(text) <= 60 else text[:40] + "..."


def store_models(store: Store) -> list[str]:
    """The institutional models loaded in the store (each has its own schemes)."""
    return sorted(r["m"] for r in store.read(
        "MATCH (s:Scheme) WHERE s.model IS NOT NULL RETURN DISTINCT s.model AS m"))


def require_model(store: Store, model: str | None, option: str = "--model") -> str | None:
    """A model loaded in the store (None passes: every model)."""
    if model is None:
        return None
    return require("model", model, store_models(store), option=option,
                   why=" in the store (medgraph load model NAME loads one)")


def case_datasets(store: Store) -> list[dict[str, Any]]:
    return [r["d"] for r in store.read("MATCH (d:Dataset) RETURN properties(d) AS d")]


def case_years(store: Store) -> list[int]:
    """The years the case data cover, from the datasets' records (one small read)."""
    years = {int(y) for d in case_datasets(store) for y in d.get("years") or []}
    if not years:  # case data loaded before datasets were recorded
        years = {r["y"] for r in store.read(
            "MATCH (b:Burden) WHERE b.year IS NOT NULL RETURN DISTINCT b.year AS y")}
    return sorted(years)


def require_year(store: Store, year: int | None, option: str = "--year") -> int | None:
    """A year the case data cover (None passes)."""
    if year is None:
        return None
    return require("year", year, case_years(store), option=option,
                   why=" (no case data that year)")


def require_case_model(store: Store, model: str, option: str = "--model") -> str:
    """A model some loaded case data were settled with: a KPI of cases settled by another
    model's rules would measure the wrong schemes (0 % enrolment, with no word of why)."""
    settled = {d.get("model_settled") for d in case_datasets(store)} - {None}
    if not settled:
        return require_model(store, model, option) or model
    return require("model", model, settled, option=option,
                   why=" for the case data (they were settled with another model's rules)")


PARAMS_LINE = re.compile(r"[A-Za-z_]\w*")


def required_params(header: str) -> set[str]:
    """The parameters a named query's `params:` header line does not call optional.

    Names are listed with a note in parentheses, which may cover several names before it.

    >>> sorted(required_params("model (text, optional), year (integer), a, b (numbers)"))
    ['a', 'b', 'year']
    """
    required: set[str] = set()
    pending: list[str] = []
    for part in _top_level(header):
        name, _, note = part.partition("(")
        names = PARAMS_LINE.findall(name)
        pending += names[:1]
        if note:
            if "optional" not in note:
                required.update(pending)
            pending = []
    return required | set(pending)


def _top_level(text: str) -> list[str]:
    """`text` split at the commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p.strip() for p in [*parts, current] if p.strip()]
