"""Loading models (admin): validate, then write what differs in one transaction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query

from medgraph.api.deps import StoreDep, admin, reader
from medgraph.api.errors import not_found
from medgraph.loaders.model import load_model, model_names, read_model

router = APIRouter(tags=["models"])


@router.get("/models", summary="The models shipped with medgraph", dependencies=[Depends(reader)])
def list_models() -> dict[str, Any]:
    return {"items": model_names()}


@router.post("/models/{name}/load", summary="Validate and load one shipped model (admin)",
             dependencies=[Depends(admin)])
def load(*, name: str = Path(..., max_length=100),
         dry_run: bool = Query(False, description="validate and count; write nothing"),
         store: StoreDep) -> dict[str, Any]:
    # Only a shipped model by name: a request never names a path on the server.
    if name not in model_names():
        raise not_found("model", name)
    plan = load_model(store, read_model(name), dry_run=dry_run)
    return {"model": name, "dry_run": dry_run, **plan.summary()}
