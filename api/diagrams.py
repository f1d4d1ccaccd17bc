"""Network diagrams of the graph as HTML (interactive, self-contained), SVG or PNG.

Views: coordination, mechanism, funding, data-sharing, responsibility, and case (one case's
accountability, for analysts: it shows the person).
"""

from __future__ import annotations

import threading
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from medgraph.api.deps import ReaderKey, StoreDep
from medgraph.api.errors import ApiError

router = APIRouter(tags=["diagrams"])

MEDIA = {"html": "text/html; charset=utf-8", "svg": "image/svg+xml", "png": "image/png"}
# matplotlib's figures are not thread-safe; endpoints run in a threadpool.
_DRAWING = threading.Lock()


@router.get("/diagrams/{view}",
            summary="One diagram view: coordination, mechanism, funding, data-sharing, "
                    "responsibility, case",
            responses={200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}}})
def diagram(*, view: str = Path(..., max_length=100),
            format: Literal["html", "svg", "png"] = Query("svg"),  # noqa: A002 - the API's name
            model: str | None = Query(None, max_length=100),
            lang: Literal["zh", "en"] = Query("zh"),
            case_id: str | None = Query(None, max_length=300,
                                        description="the case, for the case view"),
            limit: int | None = Query(None, ge=1, le=10_000,
                                      description="aggregate above this many nodes"),
            dpi: int | None = Query(None, ge=50, le=600, description="PNG resolution"),
            links: bool = Query(False, description="SVG: each entity's box links to its "
                                                   "workspace page (/entity/ID, /case/ID)"),
            key: ReaderKey, store: StoreDep) -> Response:
    try:
        from medgraph.visualizations import render
    except ImportError:
        raise ApiError(503, "not_available",
                       "diagrams are not available in this installation (no "
                       "medgraph.visualizations.render); use `medgraph draw` once it is") from None
    if view == "case" and not key.allows("analyst"):
        raise ApiError(403, "forbidden", "the case view shows a person: it needs the analyst "
                                         f"role; the key {key.name!r} is {key.role}")
    options = {"model": model, "lang": lang, "case_id": case_id, "limit": limit, "dpi": dpi}
    options = {name: value for name, value in options.items() if value is not None}
    if links:
        options["link"] = workspace_link
    try:
        with _DRAWING:
            content = render(store, view, format, **options)
    except KeyError as exc:
        raise ApiError(404, "not_found", str(exc.args[0]) if exc.args else
                       f"no diagram view {view!r}") from None
    except ValueError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from None
    return Response(content, media_type=MEDIA[format])


def workspace_link(ident: str, label: str) -> str:
    """The workspace page of a node in a diagram.

    >>> workspace_link("hz.civil affairs", "Agency"), workspace_link("C1", "Case")
    ('/entity/hz.civil%20affairs', '/case/C1')
    """
    return f"/{'case' if label == 'Case' else 'entity'}/{quote(ident, safe='')}"
