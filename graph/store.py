"""The one way medgraph talks to its graph: the official neo4j driver over Bolt.

`connect()` reads the configuration from the environment. With
`MEDGRAPH_NEO4J_URI` set it talks to that Neo4j 5 server, Aura or cluster;
without it, it starts (if need be) the embedded store and talks to that.

Two guarantees hold on both, and medgraph enforces them itself because the
embedded store does not:

- `Store.read` never writes. It runs in a READ transaction that is always
  rolled back, and refuses a statement whose counters show an update.
- `Store.read` stops at its time limit. The caller gets `QueryTimeout` when
  the limit passes; Neo4j is sent the limit as a transaction timeout, and the
  embedded store is started with a server-wide command timeout (the cap,
  `MEDGRAPH_QUERY_TIMEOUT_CAP`) that aborts the query on the server.

>>> with connect() as store:                                  # doctest: +SKIP
...     store.read("MATCH (a:Agency {id: $id}) RETURN a.name_zh AS name",
...                {"id": "hangzhou.civil_affairs"})
[{'name': '杭州市民政局'}]
"""

from __future__ import annotations

import functools
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import neo4j
import platformdirs
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConfigurationError,
    Neo4jError,
    ServiceUnavailable,
    TransientError,
)

from medgraph.graph.schema import schema_statements
from medgraph.graph.server import DATABASE, USER, EmbeddedServer, ServerError

T = TypeVar("T")


class StoreError(RuntimeError):
    """The store could not be reached or refused the configuration (CLI exit 2)."""


class WriteRefused(StoreError):
    """A read-only statement tried to write; nothing was written."""


class QueryTimeout(StoreError):
    """A query ran past its time limit and was stopped."""


class QueryError(StoreError):
    """The store rejected a statement (syntax, semantics)."""


@dataclass(frozen=True)
class Settings:
    uri: str | None
    user: str
    password: str | None
    database: str
    home: Path
    heap: str
    query_timeout: float
    query_timeout_cap: float

    @property
    def embedded(self) -> bool:
        return not self.uri


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    """Read `MEDGRAPH_*` variables.

    >>> settings_from_env({"MEDGRAPH_HOME": "/tmp/x"}).embedded
    True
    >>> settings_from_env({"MEDGRAPH_NEO4J_URI": "neo4j+s://db.example:7687"}).database
    'neo4j'
    """
    env = os.environ if env is None else env
    home = env.get("MEDGRAPH_HOME") or platformdirs.user_data_dir("medgraph")
    return Settings(
        uri=env.get("MEDGRAPH_NEO4J_URI") or None,
        user=env.get("MEDGRAPH_NEO4J_USER", "neo4j"),
        password=env.get("MEDGRAPH_NEO4J_PASSWORD"),
        database=env.get("MEDGRAPH_NEO4J_DATABASE", DATABASE),
        home=Path(home).expanduser(),
        heap=env.get("MEDGRAPH_STORE_HEAP", "1g"),
        query_timeout=float(env.get("MEDGRAPH_QUERY_TIMEOUT", "30")),
        query_timeout_cap=float(env.get("MEDGRAPH_QUERY_TIMEOUT_CAP", "120")),
    )


def embedded_server(settings: Settings) -> EmbeddedServer:
    return EmbeddedServer(settings.home, settings.heap, settings.query_timeout_cap)


# Clauses that write. Checked on the statement with strings and comments removed,
# before it is sent, so that the usual mistake gets a clear message at once;
# the rolled-back READ transaction and its counters are what guarantee it.
_WRITE = re.compile(
    r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|FOREACH|LOAD\s+CSV|ALTER|GRANT|DENY|REVOKE)\b",
    re.IGNORECASE,
)
_PROCEDURE = re.compile(r"\bCALL\s+(?!\{)(?!db\.)([A-Za-z_][\w.]*)", re.IGNORECASE)
_STRINGS_AND_COMMENTS = re.compile(
    r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL
)


@functools.lru_cache(maxsize=1024)  # named queries are checked once, not on every call
def write_clause(statement: str) -> str | None:
    """The first write clause of a Cypher statement, or None.

    >>> write_clause("MATCH (n {name: 'CREATE'}) RETURN n") is None
    True
    >>> write_clause("MATCH (n) DETACH DELETE n")
    'DETACH'
    """
    bare = _STRINGS_AND_COMMENTS.sub("''", statement)
    match = _WRITE.search(bare)
    if match:
        return match.group(1).upper()
    procedure = _PROCEDURE.search(bare)
    return f"CALL {procedure.group(1)}" if procedure else None


class Store:
    """A connection to the graph, embedded or Neo4j. Use `connect()` to get one."""

    def __init__(self, driver: neo4j.Driver, settings: Settings) -> None:
        self.driver = driver
        self.settings = settings
        self.database = settings.database
        # Write transactions committed through this Store: a cache of answers read from the
        # store (analysis.trace.AccountabilityCache) knows from it that they may be stale.
        self.writes = 0

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.driver.close()

    def describe(self) -> str:
        """Where the graph lives, in one line for people (no password)."""
        if self.settings.embedded:
            return (f"embedded ArcadeDB, database {self.database!r}, data in "
                    f"{self.settings.home}")
        return f"{self.settings.uri}, database {self.database!r}"

    # -- reading ------------------------------------------------------------------
    def read(
        self,
        statement: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Run a read-only statement; return at most `limit` rows as dicts."""
        clause = write_clause(statement)
        if clause:
            raise WriteRefused(f"read-only: the statement writes ({clause}); nothing was written")
        timeout = self.settings.query_timeout if timeout is None else timeout
        # A daemon thread, so that a query abandoned at its limit never holds up the
        # caller, nor the exit of the process, while the server stops it.
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["rows"] = self._read(statement, params or {}, timeout, limit)
            except BaseException as exc:  # handed to the caller below
                outcome["error"] = exc

        worker = threading.Thread(target=run, daemon=True, name="medgraph-read")
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise QueryTimeout(f"the query ran past its time limit of {timeout:g} s and was "
                               "stopped")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["rows"]

    def _read(
        self, statement: str, params: dict[str, Any], timeout: float, limit: int | None
    ) -> list[dict[str, Any]]:
        with self.driver.session(database=self.database,
                                 default_access_mode=neo4j.READ_ACCESS) as session:
            tx = session.begin_transaction(timeout=timeout)
            try:
                result = tx.run(statement, params)
                rows = []
                for record in result:
                    if limit is not None and len(rows) >= limit:
                        break
                    rows.append(record.data())
                summary = result.consume()
                if summary.counters.contains_updates or summary.counters.contains_system_updates:
                    raise WriteRefused("read-only: the statement tried to write; it was rolled "
                                       "back and nothing was written")
                return rows
            except ClientError as exc:
                raise _translate(exc) from None
            except (OverflowError, TypeError) as exc:  # the driver cannot encode a parameter
                raise QueryError(f"a parameter cannot be sent to the store: {exc} (integers "
                                 "must fit in 64 bits; values must be numbers, text, "
                                 "booleans, lists or maps)") from None
            finally:
                tx.rollback()  # a read never commits anything

    # -- writing -------------------------------------------------------------------
    def write(self, statement: str, params: dict[str, Any] | None = None) -> dict[str, int]:
        """Run one statement in its own write transaction; return its counters."""
        return self.write_transaction(lambda tx: tx.run(statement, params))

    def write_transaction(self, work: Callable[[WriteTransaction], T], *,
                          attempts: int = 5) -> T:
        """Run `work` in one write transaction and commit it; return what `work` returns.

        Two writers that change the same record at once (the embedded store reports it as a
        transient error, e.g. two loads adding relationships to the same scheme) are not an
        error for the user: the transaction is rolled back and `work` runs again from the
        start, after a short random wait, up to `attempts` times.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as tx:
                    return work(tx)
            except TransientError as exc:
                if "MemoryPoolOutOfMemoryError" in (exc.code or ""):
                    # Transient for the server, but the same work would fail again.
                    raise StoreError(f"the change is too large for one transaction on this "
                                     f"server: {exc.message}") from None
                if attempt == attempts:
                    raise StoreError(f"the store stayed busy with concurrent changes after "
                                     f"{attempts} attempts: {exc.message}") from None
                time.sleep(0.05 * 2 ** attempt * (1 + random.random()))
        raise AssertionError("unreachable")

    @contextmanager
    def transaction(self) -> Iterator[WriteTransaction]:
        """A write transaction: everything in it is committed together or not at all."""
        with self.driver.session(database=self.database) as session:
            tx = session.begin_transaction()
            try:
                yield WriteTransaction(tx)
                tx.commit()
                self.writes += 1
            except ClientError as exc:
                if not tx.closed():
                    tx.rollback()
                raise _translate(exc) from None
            except BaseException:
                if not tx.closed():
                    tx.rollback()
                raise

    def apply_schema(self) -> None:
        """Create constraints and indexes; idempotent (IF NOT EXISTS).

        An account that may not change the schema (an analyst's role on a Neo4j server
        that grants reads only) leaves it as it is: the schema is then the job of the
        account that loads, and any write of this one is refused anyway.
        """
        with self.driver.session(database=self.database) as session:
            for statement in schema_statements():
                try:
                    session.run(statement).consume()
                except ClientError as exc:
                    if "Security.Forbidden" in (exc.code or ""):
                        return
                    raise _translate(exc) from None


class WriteTransaction:
    def __init__(self, tx: neo4j.Transaction) -> None:
        self._tx = tx

    def run(self, statement: str, params: dict[str, Any] | None = None) -> dict[str, int]:
        summary = self._tx.run(statement, params or {}).consume()
        c = summary.counters
        return {
            "nodes_created": c.nodes_created,
            "nodes_deleted": c.nodes_deleted,
            "relationships_created": c.relationships_created,
            "relationships_deleted": c.relationships_deleted,
            "properties_set": c.properties_set,
        }

    def rows(self, statement: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [r.data() for r in self._tx.run(statement, params or {})]

    def batches(
        self, statement: str, rows: Iterable[dict[str, Any]], size: int = 5000
    ) -> None:
        """Run `UNWIND $rows AS row ...` over rows in batches of `size`."""
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                self.run(statement, {"rows": batch})
                batch = []
        if batch:
            self.run(statement, {"rows": batch})


def _translate(exc: Neo4jError) -> StoreError:
    code = exc.code or ""
    if "AccessMode" in code or "Forbidden" in code:
        return WriteRefused(f"read-only: {exc.message}; nothing was written")
    if "Timeout" in code or "TimedOut" in code:
        return QueryTimeout(f"the query was stopped at its time limit: {exc.message}")
    return QueryError(exc.message or str(exc))


def connect(settings: Settings | None = None, *, apply_schema: bool = True) -> Store:
    """Connect to the configured store, starting the embedded one if needed."""
    settings = settings or settings_from_env()
    if settings.embedded:
        try:
            state = embedded_server(settings).start()
        except ServerError as exc:
            raise StoreError(str(exc)) from None
        uri, auth = state.uri, (USER, embedded_server(settings).password())
    else:
        uri, auth = settings.uri, (settings.user, settings.password or "")
    try:
        # Neo4j warns of every label, type or property a statement names that the graph does
        # not hold (yet), and the driver logs each warning with the whole statement: the
        # schema's statements name them all, so stderr would fill (and a server whose stderr
        # is a pipe nobody reads would stop). Neither store is asked for those warnings.
        driver = neo4j.GraphDatabase.driver(
            uri, auth=auth, max_connection_pool_size=100,
            notifications_disabled_classifications=[
                neo4j.NotificationDisabledClassification.UNRECOGNIZED])
    except (ConfigurationError, ValueError) as exc:
        raise StoreError(f"MEDGRAPH_NEO4J_URI {uri!r} is not a Neo4j address: {exc}") from None
    try:
        driver.verify_connectivity()
        _check_database(driver, settings.database, uri)
    except AuthError:
        driver.close()
        raise StoreError(f"{uri}: authentication failed for user {auth[0]!r}; check "
                         "MEDGRAPH_NEO4J_USER and MEDGRAPH_NEO4J_PASSWORD") from None
    except (ServiceUnavailable, ValueError, OSError) as exc:
        driver.close()
        raise StoreError(f"cannot reach the store at {uri}: {exc}") from None
    except StoreError:
        driver.close()
        raise
    store = Store(driver, settings)
    if apply_schema:
        store.apply_schema()
    return store


def _check_database(driver: neo4j.Driver, database: str, uri: str) -> None:
    """Fail at once, and clearly, when the configured database is missing or offline.

    The driver checks only the server; without this, a mistyped
    MEDGRAPH_NEO4J_DATABASE would surface as an error deep inside the first query.
    """
    try:
        with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as s:
            s.run("RETURN 1").consume()
    except ClientError as exc:
        if "DatabaseNotFound" in (exc.code or ""):
            raise StoreError(f"{uri} has no database {database!r}; check "
                             "MEDGRAPH_NEO4J_DATABASE") from None
        raise StoreError(f"{uri}, database {database!r}: {exc.message}") from None
    except TransientError as exc:  # e.g. DatabaseUnavailable: stopped, or still starting
        raise StoreError(f"{uri}, database {database!r} is not available: "
                         f"{exc.message}") from None
