"""The FastAPI application: every route under /api/v1, one error shape, keys with roles.

>>> app = create_app()                                       # doctest: +SKIP
>>> # uvicorn.run(app) — or `medgraph serve --port 8000`

The OpenAPI document is at /api/v1/openapi.json and the interactive docs at /api/v1/docs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medgraph.api import (
    admin,
    burden,
    cases,
    console,
    cypher,
    diagrams,
    entities,
    entity,
    errors,
    findings,
    reconciliation,
    search,
    settlements,
    whatif,
)
from medgraph.api.common import CitedJSONResponse
from medgraph.api.deps import AuditLog, StoreDep, StoreHolder
from medgraph.api.keys import KeyFile
from medgraph.api.settings import ApiSettings, api_settings_from_env
from medgraph.api.workspace import pages as workspace

PREFIX = "/api/v1"

DESCRIPTION = """\
Who is accountable for a patient's bill, and where the safety net leaks: China's layered
schemes against poverty caused by illness as a graph. Every relation carries its citation
(source document, clause, quote) or says it is an assumption.

Send an API key as `X-API-Key` (or `Authorization: Bearer`). Roles: **reader** (everything
but person-level data), **analyst** (plus read-only Cypher and pseudonymous person-level data;
audited), **admin** (plus loading models). Errors are `{"error": {"code", "message"}}`.
"""


class QuerylessAccessLog(logging.Filter):
    """Access log lines without the query string: a key pasted into a URL is never logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class BodyLimit:
    """Refuse request bodies over `max_bytes` (413), declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = HTTPException(413, f"the request body is over the limit of "
                                       f"{self.max_bytes:,} bytes")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await errors.send_error(send, 413, "body_too_large", too_large.detail)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large  # answered 413 by the error handlers
            return message

        await self.app(scope, limited, send)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The API for `settings` (default: from the environment, like the CLI)."""
    settings = settings or api_settings_from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.stores.close()

    app = FastAPI(title="medgraph", version="1", description=DESCRIPTION, lifespan=lifespan,
                  default_response_class=CitedJSONResponse,
                  openapi_url=f"{PREFIX}/openapi.json", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.stores = StoreHolder(settings.store)
    app.state.keys = KeyFile(settings.keys_file)
    app.state.audit = AuditLog(settings.audit_file)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    v1 = APIRouter(prefix=PREFIX, responses={
        401: {"description": "no key, or an unknown one", "model": errors.ErrorBody},
        403: {"description": "the key's role is too low", "model": errors.ErrorBody},
        422: {"description": "invalid input", "model": errors.ErrorBody},
        503: {"description": "the store is unavailable", "model": errors.ErrorBody},
    })

    @v1.get("/health", tags=["health"], summary="Whether the API and its store answer (no key)")
    def health(*, store: StoreDep) -> dict[str, Any]:
        store.read("RETURN 1 AS ok", timeout=5)
        return {"status": "ok", "store": store.describe()}

    for module in (entities, entity, search, cases, burden, findings, settlements, whatif,
                   reconciliation, diagrams, console, cypher, admin):
        v1.include_router(module.router)
    app.include_router(v1)
    workspace.install(app)

    assets = _swagger_assets(app)

    @app.get(f"{PREFIX}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=f"{PREFIX}/openapi.json",
                                   title="medgraph API", **assets)

    return app


def _swagger_assets(app: FastAPI) -> dict[str, str]:
    """Swagger UI served by medgraph when the `swagger-ui-bundle` package is installed, so that
    the docs page works offline; otherwise from a CDN, as FastAPI does by default.

    The OpenAPI document itself (/api/v1/openapi.json) is always served by medgraph.
    """
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return {}
    static = f"{PREFIX}/docs/static"
    app.mount(static, StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    return {"swagger_js_url": f"{static}/swagger-ui-bundle.js",
            "swagger_css_url": f"{static}/swagger-ui.css",
            "swagger_favicon_url": f"{static}/favicon-32x32.png"}
