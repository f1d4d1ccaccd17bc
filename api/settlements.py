"""Settling cases over HTTP: the contract of `medgraph settle`, for a request body.

The body is what `medgraph settle` reads (persons and cases); the answer is the settlement of
each case through the scheme chain, with the rule behind each payment.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from medgraph import settlement
from medgraph.api.deps import reader

router = APIRouter(tags=["settlements"])


@router.post("/settlements/simulate", dependencies=[Depends(reader)],
             summary="Settle cases through the scheme chain with the model's rules; "
                     "nothing is stored")
def simulate(*, body: Annotated[dict[str, Any], Body(examples=[{"persons": [], "cases": []}])],
             model: str = Query("hangzhou", max_length=100,
                                description="the model whose rules settle the cases")
             ) -> dict[str, Any]:
    """The output of `medgraph settle` for the same input: `{"cases": [...], "summary"}`."""
    parsed = settlement.parse_input(body, source="request")  # InputError: 422 naming the field
    results = settlement.settle(parsed, settlement.load_rules(model))
    return {"model": model, **json.loads(settlement.results_to_json(results))}
