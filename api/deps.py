"""What every endpoint depends on: the one store of the process, the caller's key, the audit log.

Endpoints are plain `def` functions, so FastAPI runs them in its threadpool; they share one
`Store` (the neo4j driver is thread-safe and pools its connections). The dependencies here are
`async def`: they do not block (once the store is connected), and a plain `def` dependency
costs every request a trip through the threadpool.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from medgraph.api.errors import ApiError
from medgraph.api.keys import ApiKey, KeyFile
from medgraph.api.settings import ApiSettings
from medgraph.graph.store import Settings, Store, StoreError, connect, embedded_server
from medgraph.loaders.errors import InputError


class StoreHolder:
    """The process's one connection to the store, made again after the store restarts.

    The embedded store takes new ports each time it starts, so after a restart the old driver
    can never reach it: a request that fails with the store unavailable calls `reset()` (and is
    answered 503), and the next request connects afresh. A Neo4j server keeps its address; the
    driver reconnects by itself and `reset()` only costs one new driver.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._lock = threading.Lock()

    def connected(self) -> Store | None:
        """The store if connected, without waiting."""
        return self._store

    def get(self) -> Store:
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is None:
                if self.settings.embedded and embedded_server(self.settings).status() is None:
                    # Starting a store is `medgraph serve`'s job (or `medgraph db start`):
                    # a request during a restart must not start a second one.
                    raise StoreError("the embedded store is not running (restarting?); "
                                     "retry shortly")
                self._store = connect(self.settings, apply_schema=False)
            return self._store

    def reset(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            # A broken driver may fail to close; it is dropped all the same.
            with contextlib.suppress(Exception):
                store.close()

    def close(self) -> None:
        self.reset()


async def get_store(request: Request) -> Store:
    holder: StoreHolder = request.app.state.stores
    return holder.connected() or await run_in_threadpool(holder.get)  # connecting blocks


async def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


# The two ways to present a key; both appear in the OpenAPI document and the docs page.
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="an API key made with `medgraph api-key add`")
bearer = HTTPBearer(auto_error=False, description="the same key as a bearer token")


async def caller(
    request: Request,
    header_key: Annotated[str | None, Depends(api_key_header)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiKey:
    """The key that signs the request; 401 without a valid one."""
    secret = header_key or (credentials.credentials if credentials else None)
    if not secret:
        raise ApiError(401, "unauthenticated",
                       "an API key is required: send it as X-API-Key or Authorization: Bearer",
                       {"WWW-Authenticate": "Bearer"})
    keys: KeyFile = request.app.state.keys
    try:
        key = keys.lookup(secret)
    except InputError as exc:  # the operator's file is broken: their problem, not the caller's
        logging.getLogger("medgraph.api").error("the keys file cannot be read: %s", exc)
        raise ApiError(503, "keys_unavailable", "the API cannot read its keys file; the "
                       "operator has been told in the server log", {"Retry-After": "30"}
                       ) from None
    if key is None:
        raise ApiError(401, "unauthenticated", "this API key is not valid (unknown or revoked)",
                       {"WWW-Authenticate": "Bearer"})
    request.state.key_name = key.name
    request.state.key = key
    return key


def require(role: str) -> Any:
    """A dependency that admits keys whose role includes `role`, else answers 403."""

    async def check(key: Annotated[ApiKey, Depends(caller)]) -> ApiKey:
        if not key.allows(role):
            raise ApiError(403, "forbidden",
                           f"this endpoint needs the {role} role; the key {key.name!r} is "
                           f"{key.role}")
        return key

    check.__name__ = f"require_{role}"
    return check


reader = require("reader")
analyst = require("analyst")
admin = require("admin")


class AuditLog:
    """Analyst calls as JSON lines: who (key name), when, what, with which params, outcome, ms.

    The key itself is never written, only the name it was given. The file is private to the
    user (0600); a value over `max_value` characters (a long query, a large parameter) is cut
    there, with the length and sha256 of the whole, so the log stays readable and bounded; the
    file is rotated at `max_bytes` with `backups` older files kept (`api-audit.jsonl.1` ...).

    >>> import tempfile; log = AuditLog(Path(tempfile.mkdtemp()) / "audit.jsonl", max_value=8)
    >>> log.write(ApiKey("ops", "analyst", "", ""), "cypher", query="MATCH (n) RETURN n")
    >>> cut = json.loads(log.path.read_text())["query"]
    >>> cut["truncated"], cut["sha256"] == hashlib.sha256(b"MATCH (n) RETURN n").hexdigest()
    ('MATCH (n', True)
    """

    def __init__(self, path: Path, *, max_value: int = 4096, max_bytes: int = 10 * 2**20,
                 backups: int = 5) -> None:
        self.path = path
        self.max_value, self.max_bytes, self.backups = max_value, max_bytes, backups
        self._lock = threading.Lock()

    def _bounded(self, value: Any) -> Any:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                               default=str)
        if len(text) <= self.max_value:
            return value
        whole = text.encode("utf-8", "surrogatepass")
        return {"truncated": text[:self.max_value], "chars": len(text),
                "sha256": hashlib.sha256(whole).hexdigest()}

    def write(self, key: ApiKey, action: str, **fields: Any) -> None:
        entry = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                 "key": key.name, "role": key.role, "action": action,
                 **{name: self._bounded(value) for name, value in fields.items()}}
        # ensure_ascii: a lone surrogate in a parameter is written as an escape, never fails.
        line = json.dumps(entry, ensure_ascii=True, default=str) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._rotate(len(line))
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as out:
                out.write(line)

    def read(self, store: Store, key: ApiKey, action: str, name: str, statement: str,
             params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run one of medgraph's named reads for `key`, and write its audit line whatever
        happens (an error is then answered by errors.py)."""
        watch = Stopwatch()
        try:
            rows = store.read(statement, params)
        except BaseException as exc:
            self.write(key, action, query=name, params=params, rows=0, ms=watch.ms(),
                       outcome=f"{type(exc).__name__}: {exc}")
            raise
        self.write(key, action, query=name, params=params, rows=len(rows), ms=watch.ms(),
                   outcome="ok" if rows else "not found")
        return rows

    def _rotate(self, incoming: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size + incoming <= self.max_bytes:
            return
        for index in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))


async def get_audit(request: Request) -> AuditLog:
    return request.app.state.audit


class Stopwatch:
    """Milliseconds since it was made.

    >>> Stopwatch().ms() >= 0
    True
    """

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def ms(self) -> float:
        return round((time.perf_counter() - self._start) * 1000, 1)


# Endpoint parameters, declared once (FastAPI's Annotated form).
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
ReaderKey = Annotated[ApiKey, Depends(reader)]
AnalystKey = Annotated[ApiKey, Depends(analyst)]
