"""What-if over HTTP (analysts): the JSON of `medgraph whatif` for a request body.

The body holds the cases (the input of `medgraph settle`: persons and cases) and the
reforms, each a reform as its YAML file would hold it (an object) or the name of a reform
shipped with the model (`marginal_80` for data/hangzhou/reforms/marginal_80.yaml); with
`goal` and `free`, the goal-seek of `medgraph whatif --goal --free`. Nothing is stored.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from medgraph import settlement
from medgraph.analysis import whatif
from medgraph.api.deps import analyst
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import model_dir, model_names
from medgraph.settlement.reforms import Reform, parse_reform, read_reform

router = APIRouter(tags=["settlements"])

EXAMPLE = {"model": "hangzhou", "year": 2024, "persons": [], "cases": [],
           "reforms": ["marginal_80", {"name": "shared cap 200,000", "changes": [
               {"rule": "hangzhou.rule.ma_annual_cap", "set": {"annual_cap": 200000}}]}]}
FIELDS = {"model", "year", "target_year", "persons", "cases", "reforms", "goal", "free",
          "step"}


def _reform(item: Any, k: int, model: str) -> Reform:
    where = f"reforms[{k}]"
    if isinstance(item, str):
        path = model_dir(model) / "reforms" / f"{item}.yaml"
        if "/" in item or "\\" in item or item.startswith(".") or not path.is_file():
            names = sorted(p.stem for p in (model_dir(model) / "reforms").glob("*.yaml"))
            raise InputError("request", f"{item!r} is no reform shipped with model {model} "
                             f"(one of {', '.join(names) or 'none'})", field=where)
        return read_reform(path)
    if not isinstance(item, dict):
        raise InputError("request", "a reform is an object (name, changes) or the name of a "
                         "shipped reform", field=where)
    try:
        return parse_reform(json.dumps(item, ensure_ascii=False), where)
    except InputError as exc:  # the line of a JSON text means nothing to the caller
        raise InputError("request", exc.message, field=f"{where}.{exc.field}"
                         if exc.field else where) from None


def _int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InputError("request", f"{name} must be a whole number, got {value!r}", field=name)
    return value


@router.post("/whatif", dependencies=[Depends(analyst)],
             summary="Settle the cases of the body under the model's rules and under each "
                     "reform, side by side (analyst); nothing is stored")
def whatif_post(*, body: Annotated[dict[str, Any], Body(examples=[EXAMPLE])]) -> dict[str, Any]:
    """The JSON of `medgraph whatif --format json` for the same cases and reforms."""
    for key in body:
        if key not in FIELDS:
            raise InputError("request", f"unknown field (one of {', '.join(sorted(FIELDS))})",
                             field=key)
    model = body.get("model", "hangzhou")
    if model not in model_names():
        raise InputError("request", f"{model!r} is no model; known models: "
                         f"{', '.join(model_names())}", field="model")
    reforms = body.get("reforms") or []
    goal, free, step = body.get("goal"), body.get("free"), body.get("step")
    if not isinstance(reforms, list):
        raise InputError("request", "reforms must be a list", field="reforms")
    if (goal is None) != (free is None) or not isinstance(goal or "", str) \
            or not isinstance(free or "", str):
        raise InputError("request", "goal and free are text and go together",
                         field="goal" if goal is None else "free")
    if not reforms and goal is None:
        raise InputError("request", "give reforms, or goal with free", field="reforms")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int | float)):
        raise InputError("request", f"step must be a number, got {step!r}", field="step")
    read = [_reform(item, k, model) for k, item in enumerate(reforms)]
    inp = settlement.parse_input({"persons": body.get("persons") or [],
                                  "cases": body.get("cases") or []}, source="request")
    try:
        doc = whatif.run(model, read, inp, year=_int(body, "year"),
                         target_year=_int(body, "target_year"), goal=goal, free=free,
                         step=step)
    except InputError as exc:
        if not exc.file.startswith("reforms["):
            raise
        raise InputError("request", exc.message, field=f"{exc.file}.{exc.field}"
                         if exc.field else exc.file) from None
    return whatif.public(doc)
