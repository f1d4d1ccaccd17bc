"""One error shape for every failure: `{"error": {"code": ..., "message": ...}}`.

| status | code | when |
|---|---|---|
| 401 | `unauthenticated` | no key, or a key the keys file does not hold |
| 403 | `forbidden` / `write_refused` | the key's role is too low; a Cypher statement writes |
| 404 | `not_found` | no entity, case, model or route with this id |
| 413 | `body_too_large` | the request body passes the size limit |
| 422 | `invalid_input` / `cypher_error` | bad parameters or body; Cypher the store rejects |
| 429 | `too_many_queries` | too many analyst queries run (in all or for the key) |
| 503 | `store_unavailable` | the store is down or restarting |
| 503 | `not_available` / `keys_unavailable` | a part not built; the keys file is unreadable |
| 504 | `query_timeout` | a query ran past its time limit and was stopped |
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from medgraph.analysis.trace import CaseNotFound
from medgraph.graph.store import QueryError, QueryTimeout, StoreBusy, StoreError, WriteRefused
from medgraph.loaders.errors import InputError

log = logging.getLogger("medgraph.api")


class ApiError(Exception):
    """An error the API answers with its status, code and message."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "not_found", f"no {what} with id {ident!r}")


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _respond(status: int, code: str, message: str,
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def _audited_action(path: str) -> str | None:
    """The audit action of an analyst route (`/cypher`, `/persons/{id}`), else None.

    >>> _audited_action("/api/v1/cypher"), _audited_action("/api/v1/persons/P1")
    ('cypher', 'person')
    """
    parts = path.rstrip("/").split("/")
    if parts[-1] == "cypher":
        return "cypher"
    return "person" if len(parts) >= 2 and parts[-2] == "persons" else None


_HTTP_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "body_too_large", 422: "invalid_input"}


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc if part not in ("body",)) or "body"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the one JSON shape."""

    @app.exception_handler(ApiError)
    def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _respond(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such route: {request.method} {request.url.path}"
        return _respond(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{_field(e.get('loc', ()))}: {e.get('msg', 'invalid')}"
                    for e in exc.errors()]
        message = "; ".join(problems) or "invalid input"
        key = getattr(request.state, "key", None)
        action = _audited_action(request.url.path)
        if key is not None and action:  # an analyst call refused before its endpoint ran
            request.app.state.audit.write(key, action, path=request.url.path, rows=0,
                                          outcome=f"invalid_input: {message}")
        return _respond(422, "invalid_input", message)

    @app.exception_handler(InputError)
    def input_error(request: Request, exc: InputError) -> JSONResponse:
        return _respond(422, "invalid_input", str(exc))

    @app.exception_handler(CaseNotFound)
    def case_not_found(request: Request, exc: CaseNotFound) -> JSONResponse:
        return _respond(404, "not_found", exc.args[0])

    @app.exception_handler(WriteRefused)
    def write_refused(request: Request, exc: WriteRefused) -> JSONResponse:
        return _respond(403, "write_refused", str(exc))

    @app.exception_handler(QueryTimeout)
    def query_timeout(request: Request, exc: QueryTimeout) -> JSONResponse:
        return _respond(504, "query_timeout", str(exc))

    @app.exception_handler(StoreBusy)
    def store_busy(request: Request, exc: StoreBusy) -> JSONResponse:
        return _respond(429, "too_many_queries", str(exc),
                        {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(QueryError)
    def query_error(request: Request, exc: QueryError) -> JSONResponse:
        return _respond(422, "cypher_error", f"the store rejected the query: {exc}")

    @app.exception_handler(StoreError)
    def store_error(request: Request, exc: StoreError) -> JSONResponse:
        return _respond(503, "store_unavailable", f"the store is unavailable: {exc}",
                        {"Retry-After": "2"})

    def unavailable(request: Request, exc: Exception) -> JSONResponse:
        request.app.state.stores.reset()  # the next request reconnects
        return _respond(503, "store_unavailable",
                        "the store is unavailable (stopped or restarting); retry shortly",
                        {"Retry-After": "2"})

    app.add_exception_handler(ServiceUnavailable, unavailable)
    app.add_exception_handler(SessionExpired, unavailable)

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _respond(500, "internal_error",
                        f"unexpected {type(exc).__name__}; the server log has the details")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


async def send_error(send: Send, status: int, code: str, message: str) -> None:
    """Answer an error from ASGI middleware, before the application sees the request."""
    body = json.dumps(error_body(code, message)).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
