"""Network diagrams of the graph as HTML (interactive), SVG or PNG."""

from __future__ import annotations

import importlib
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from medgraph.api.deps import StoreDep, reader
from medgraph.api.errors import ApiError

router = APIRouter(tags=["diagrams"])

MEDIA = {"html": "text/html; charset=utf-8", "svg": "image/svg+xml", "png": "image/png"}


@router.get("/diagrams/{view}", dependencies=[Depends(reader)],
            summary="One diagram view (responsibility, funding, data sharing, ...)",
            responses={200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}}})
def diagram(*, view: str = Path(..., max_length=100),
            format: Literal["html", "svg", "png"] = Query("svg"),  # noqa: A002 - the API's name
            model: str | None = Query(None, max_length=100),
            store: StoreDep) -> Response:
    try:
        render = importlib.import_module("medgraph.visualizations").render
    except (ImportError, AttributeError):
        raise ApiError(503, "not_available",
                       "diagrams are not available in this installation (no "
                       "medgraph.visualizations.render); use `medgraph draw` once it is") from None
    options = {"model": model} if model else {}
    try:
        content = render(store, view, format, **options)
    except KeyError:
        raise ApiError(404, "not_found", f"no diagram view {view!r}") from None
    except ValueError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from None
    return Response(content, media_type=MEDIA[format])
