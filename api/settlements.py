"""Settling cases over HTTP: the contract of `medgraph settle`, for a request body.

The body is what `medgraph settle` reads (persons and cases); the answer is the settlement of
each case through the scheme chain, with the rule behind each payment.
"""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from medgraph.api.common import jsonable
from medgraph.api.deps import reader
from medgraph.api.errors import ApiError

router = APIRouter(tags=["settlements"])

CONTRACT = ("parse_input", "load_rules", "settle")


def settlement_engine() -> ModuleType:
    """The settlement engine, or 503 while the installed medgraph has none."""
    try:
        engine = importlib.import_module("medgraph.settlement")
    except ImportError as exc:
        raise ApiError(503, "not_available", f"the settlement engine cannot load: {exc}") from None
    missing = [name for name in CONTRACT if not hasattr(engine, name)]
    if missing:
        raise ApiError(503, "not_available",
                       "the settlement engine is not available in this installation (missing "
                       f"medgraph.settlement.{', '.join(missing)}); settle with `medgraph settle` "
                       "once it is")
    return engine


@router.post("/settlements/simulate", dependencies=[Depends(reader)],
             summary="Settle cases through the scheme chain with the model's rules; "
                     "nothing is stored")
def simulate(*, body: Annotated[dict[str, Any], Body(examples=[{"persons": [], "cases": []}])],
             model: str = Query("hangzhou", max_length=100,
                                description="the model whose rules settle the cases")
             ) -> dict[str, Any]:
    engine = settlement_engine()
    parsed = engine.parse_input(body, source="request")  # InputError: 422 naming the field
    results = engine.settle(parsed, engine.load_rules(model))
    if hasattr(engine, "results_to_json"):
        results = json.loads(engine.results_to_json(results))
    return {"model": model, "results": jsonable(results)}
