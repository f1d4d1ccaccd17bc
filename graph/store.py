"""The one way medgraph talks to its graph: the official neo4j driver over Bolt.

`connect()` reads the configuration from the environment. With
`MEDGRAPH_NEO4J_URI` set it talks to that Neo4j 5 server, Aura or cluster;
without it, it starts (if need be) the embedded store and talks to that.

Two kinds of reads, each with guarantees kept by the component that can keep them:

- `Store.read` runs medgraph's own statements (named queries, loaders' diffs).
- `Store.query` runs an analyst's Cypher (the CLI without `--write`, the API's `/cypher`).
  It is first checked on its tokens (`graph/cypher_check.py`), then run as a store account
  that cannot write: on the embedded store the server user `medgraph_reader`, whose group may
  only read records (no writes, no schema, no LOAD CSV); on Neo4j a READ transaction, which
  the server refuses to write in (and `MEDGRAPH_NEO4J_READER_USER`, when set, names an account
  with a reader role). At most `MEDGRAPH_ANALYST_QUERIES` run at once, and
  `MEDGRAPH_ANALYST_QUERIES_PER_CALLER` per caller; beyond that `StoreBusy`. A query past its
  time limit is stopped by the server: Neo4j is sent the limit as the transaction timeout; the
  embedded store stops any statement at its cap (`MEDGRAPH_QUERY_TIMEOUT_CAP`), and a query
  whose own limit is shorter keeps its place among the running ones until the server stops
  it, so abandoned queries can never pile up on the server.

Both reads run as that reader account, so neither can write whatever its text says.

>>> with connect() as store:                                  # doctest: +SKIP
...     store.read("MATCH (a:Agency {id: $id}) RETURN a.name_zh AS name",
...                {"id": "hangzhou.civil_affairs"})
[{'name': '杭州市民政局'}]
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import random
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

from medgraph.graph.cypher_check import refusal
from medgraph.graph.errors import StoreError
from medgraph.graph.schema import schema_statements
from medgraph.graph.server import DATABASE, READER, USER, EmbeddedServer, ServerError

T = TypeVar("T")


class WriteRefused(StoreError):
    """A read-only statement tried to write; nothing was written."""


class QueryTimeout(StoreError):
    """A query ran past its time limit and was stopped."""


class QueryError(StoreError):
    """The store rejected a statement (syntax, semantics)."""


class StoreBusy(StoreError):
    """Too many analyst queries run at once (for everyone, or for this caller); retry later."""

    retry_after = 5


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
    reader_user: str | None = None
    reader_password: str | None = None
    analyst_queries: int = 1
    analyst_queries_per_caller: int = 1

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
    # The embedded server's cap follows the limit, and the limit the cap, unless both are set.
    cap_set, timeout_set = "MEDGRAPH_QUERY_TIMEOUT_CAP" in env, "MEDGRAPH_QUERY_TIMEOUT" in env
    cap = _seconds(env, "MEDGRAPH_QUERY_TIMEOUT_CAP", "60")
    timeout = _seconds(env, "MEDGRAPH_QUERY_TIMEOUT", str(min(30.0, cap)))
    if timeout > cap:
        if cap_set and timeout_set:
            raise StoreError(f"MEDGRAPH_QUERY_TIMEOUT={timeout:g} is above "
                             f"MEDGRAPH_QUERY_TIMEOUT_CAP={cap:g}: no query could run so long")
        cap = timeout
    # Analyst queries at once: half the cores, so that the store keeps the other half for
    # everyone else's reads whatever analysts run.
    analysts = _count(env, "MEDGRAPH_ANALYST_QUERIES", str(max(1, (os.cpu_count() or 2) // 2)))
    return Settings(
        uri=env.get("MEDGRAPH_NEO4J_URI") or None,
        user=env.get("MEDGRAPH_NEO4J_USER", "neo4j"),
        password=env.get("MEDGRAPH_NEO4J_PASSWORD"),
        database=env.get("MEDGRAPH_NEO4J_DATABASE", DATABASE),
        home=Path(home).expanduser(),
        heap=env.get("MEDGRAPH_STORE_HEAP", "1g"),
        query_timeout=timeout,
        query_timeout_cap=cap,
        reader_user=env.get("MEDGRAPH_NEO4J_READER_USER") or None,
        reader_password=env.get("MEDGRAPH_NEO4J_READER_PASSWORD"),
        analyst_queries=analysts,
        analyst_queries_per_caller=_count(env, "MEDGRAPH_ANALYST_QUERIES_PER_CALLER",
                                          str(max(1, analysts // 2))),
    )


def _seconds(env: dict[str, str] | os._Environ[str], name: str, default: str) -> float:
    value = env.get(name, default)
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0 or seconds > 86_400:
        raise StoreError(f"{name}={value!r}: expected seconds, more than 0 and at most 86400")
    return seconds


def _count(env: dict[str, str] | os._Environ[str], name: str, default: str) -> int:
    value = env.get(name, default)
    if not value.isdigit() or not 1 <= int(value) <= 1000:
        raise StoreError(f"{name}={value!r}: expected a whole number from 1 to 1000")
    return int(value)


def embedded_server(settings: Settings) -> EmbeddedServer:
    return EmbeddedServer(settings.home, settings.heap, settings.query_timeout_cap)


def check_timeout(timeout: float, cap: float) -> float:
    """A time limit for one query: a finite number of seconds above 0 and at most `cap`.

    >>> check_timeout(5, 60)
    5.0
    >>> check_timeout(float("nan"), 60)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    medgraph.graph.store.QueryError: the time limit must be ... got nan
    """
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not (
            math.isfinite(timeout) and 0 < timeout <= cap):
        raise QueryError(f"the time limit must be a number of seconds above 0 and at most "
                         f"{cap:g} (the store's cap); got {timeout!r}")
    return float(timeout)


def check_params(value: Any, where: str = "params", depth: int = 0) -> None:
    """Refuse a parameter the store cannot take, before anything is sent.

    >>> check_params({"id": "C1", "n": [1, 2.5, None, True]})
    >>> check_params({"id": "\\ud800"})
    Traceback (most recent call last):
    ...
    medgraph.graph.store.QueryError: params.id: text with a lone surrogate is not valid Unicode
    """
    if depth > 32:
        raise QueryError(f"{where}: nested more than 32 deep")
    if isinstance(value, str):
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            raise QueryError(f"{where}: text with a lone surrogate is not valid Unicode")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise QueryError(f"{where}: integers must fit in 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(f"{where}: numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise QueryError(f"{where}: map keys must be text")
            check_params(key, f"{where}.{key[:40]!s}", depth + 1)
            check_params(item, f"{where}.{key[:40]!s}", depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_params(item, f"{where}[{index}]", depth + 1)
    else:
        raise QueryError(f"{where}: values must be numbers, text, booleans, lists or maps")


class _Slots:
    """How many analyst queries run, in all and per caller; a place is held until the store
    has finished with the query, not merely until its caller stopped waiting."""

    def __init__(self, total: int, per_caller: int) -> None:
        self.total, self.per_caller = total, per_caller
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, caller: str) -> None:
        with self._lock:
            if sum(self._running.values()) >= self.total:
                raise StoreBusy(f"{self.total} analyst queries are running, the most the store "
                                "takes at once; retry shortly")
            if self._running.get(caller, 0) >= self.per_caller:
                raise StoreBusy(f"{self.per_caller} of your queries are still running on the "
                                "store (a query stopped waiting for is held until the store "
                                "stops it); retry shortly")
            self._running[caller] = self._running.get(caller, 0) + 1

    def give(self, caller: str) -> None:
        with self._lock:
            self._running[caller] -= 1
            if not self._running[caller]:
                del self._running[caller]

    def running(self) -> int:
        with self._lock:
            return sum(self._running.values())


class Store:
    """A connection to the graph, embedded or Neo4j. Use `connect()` to get one."""

    def __init__(self, driver: neo4j.Driver, settings: Settings,
                 reader: neo4j.Driver | None = None) -> None:
        self.driver = driver  # root (embedded) or the configured user: writes, schema
        self.reader = reader or driver  # the account that may only read: every read
        self.settings = settings
        self.database = settings.database
        self.slots = _Slots(settings.analyst_queries, settings.analyst_queries_per_caller)
        # Write transactions committed through this Store: a cache of answers read from the
        # store (analysis.trace.AccountabilityCache) knows from it that they may be stale.
        self.writes = 0

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.driver.close()
        if self.reader is not self.driver:
            self.reader.close()

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
        """Run one of medgraph's own read statements; return at most `limit` rows as dicts.

        It runs as the reader account, so it cannot write either.
        """
        timeout = self.settings.query_timeout if timeout is None else timeout
        return self._run_read(statement, params or {}, timeout, limit, release=None,
                              own=True)

    def query(
        self,
        statement: str,
        params: dict[str, Any] | None = None,
        *,
        caller: str = "cli",
        timeout: float | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Run an analyst's read-only Cypher; return at most `limit` rows as dicts.

        Raises WriteRefused (the check or the store refused it: nothing was written),
        QueryTimeout, StoreBusy (too many running), QueryError (the store rejected it).
        """
        with self.admit(statement, params, caller=caller, timeout=timeout) as admitted:
            return admitted.rows(limit)

    def admit(self, statement: str, params: dict[str, Any] | None = None, *,
              caller: str = "cli", timeout: float | None = None) -> AdmittedQuery:
        """Check an analyst's query and take its place among the running ones, at once.

        Nothing here waits on the store, so a server may call it on its event loop and
        refuse (WriteRefused, QueryError, StoreBusy) without using a thread; the query runs
        when `rows()` is called, in a `with` block that gives the place back if it never is.
        """
        reason = refusal(statement)
        if reason:
            raise WriteRefused(f"read-only: {reason}; it was not sent to the store and nothing "
                               "was written")
        timeout = check_timeout(self.settings.query_timeout if timeout is None else timeout,
                                self.settings.query_timeout_cap)
        params = params or {}
        check_params(params)
        self.slots.take(caller)
        return AdmittedQuery(self, statement, params, timeout, caller)

    def _run_read(self, statement: str, params: dict[str, Any], timeout: float,
                  limit: int | None, release: Callable[[], None] | None, own: bool = False
                  ) -> list[dict[str, Any]]:
        # A daemon thread, so that a query abandoned at its limit never holds up the caller,
        # nor the exit of the process, while the server stops it. `release` runs when the
        # store has answered, however long after the caller stopped waiting.
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["rows"] = (self._read_own(statement, params, timeout, limit) if own
                                   else self._read(statement, params, timeout, limit))
            except BaseException as exc:  # handed to the caller below
                outcome["error"] = exc
            finally:
                if release is not None:
                    release()

        worker = threading.Thread(target=run, daemon=True, name="medgraph-read")
        worker.start()
        # Where the store stops the query at this limit (Neo4j, or the embedded store at its
        # cap), wait a moment for it to say so; otherwise stop waiting at the limit.
        server_stops = not self.settings.embedded or timeout >= self.settings.query_timeout_cap
        worker.join(timeout + 2 if server_stops else timeout)
        if worker.is_alive():
            if not server_stops:
                raise QueryTimeout(
                    f"the query ran past its time limit of {timeout:g} s; medgraph stopped "
                    f"waiting, and the embedded store stops it at its cap of "
                    f"{self.settings.query_timeout_cap:g} s")
            raise QueryTimeout(f"the query ran past its time limit of {timeout:g} s and the "
                               "store stopped it")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["rows"]

    def _read_own(
        self, statement: str, params: dict[str, Any], timeout: float, limit: int | None
    ) -> list[dict[str, Any]]:
        """One of medgraph's own statements, as an auto-commit transaction of the reader.

        One exchange with the store instead of three (begin, run, roll back): for a small
        read, such as each of the API's lookups, that halves the CPU both sides spend on it.
        Analysts' queries keep the explicit read transaction (`_read`).
        """
        with self.reader.session(database=self.database,
                                 default_access_mode=neo4j.READ_ACCESS) as session, \
                self._reading(timeout):
            return _rows(session.run(neo4j.Query(statement, timeout=timeout), params), limit)

    @contextlib.contextmanager
    def _reading(self, timeout: float) -> Iterator[None]:
        """The store's errors during a read as medgraph's (QueryTimeout, QueryError, ...)."""
        try:
            yield
        except Neo4jError as exc:
            error = _translate(exc, self.settings)
            if isinstance(error, QueryTimeout):  # Neo4j stopped it at the limit it was sent
                error = QueryTimeout(f"the query ran past its time limit of {timeout:g} s "
                                     "and the store stopped it")
            raise error from None
        except (OverflowError, TypeError, ValueError, UnicodeError,
                neo4j.exceptions.BrokenRecordError) as exc:
            # The driver could not encode a parameter or decode a value (a date of year
            # -5000 exists in Cypher, not in Python).
            raise QueryError(f"a value cannot pass between medgraph and the store: "
                             f"{exc}") from None

    def _read(
        self, statement: str, params: dict[str, Any], timeout: float, limit: int | None
    ) -> list[dict[str, Any]]:
        with self.reader.session(database=self.database,
                                 default_access_mode=neo4j.READ_ACCESS) as session:
            tx = session.begin_transaction(timeout=timeout)
            try:
                with self._reading(timeout):
                    return _rows(tx.run(statement, params), limit)
            finally:
                if not tx.closed():
                    tx.rollback()  # a read never commits anything

    def stream(self, statement: str, params: dict[str, Any] | None = None, *,
               timeout: float = 3600.0) -> Iterator[dict[str, Any]]:
        """Run one of medgraph's own reads and yield its rows as the store sends them.

        For reads of millions of rows (an export) in bounded memory. It runs as the reader
        account. Neo4j stops it at `timeout`; the embedded store stops every statement at
        its cap, and the error then says how to raise it.
        """
        with self.reader.session(database=self.database, fetch_size=5000,
                                 default_access_mode=neo4j.READ_ACCESS) as session:
            tx = session.begin_transaction(timeout=timeout)
            try:
                yield from (record.data() for record in tx.run(statement, params or {}))
            except Neo4jError as exc:
                error = _translate(exc, self.settings)
                if isinstance(error, QueryTimeout) and self.settings.embedded:
                    cap = self.settings.query_timeout_cap
                    error = QueryTimeout(
                        f"the embedded store stops every read at its cap of {cap:g} s and "
                        "this one needed longer: restart it with a larger cap (medgraph db "
                        "stop; MEDGRAPH_QUERY_TIMEOUT_CAP=3600 medgraph db start)")
                raise error from None
            finally:
                if not tx.closed():
                    tx.rollback()

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
                raise _translate(exc, self.settings) from None
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


class AdmittedQuery:
    """An analyst query checked and holding its place; `rows()` runs it, once."""

    def __init__(self, store: Store, statement: str, params: dict[str, Any], timeout: float,
                 caller: str) -> None:
        self.store, self.statement, self.params = store, statement, params
        self.timeout, self.caller = timeout, caller
        self._started = False

    def __enter__(self) -> AdmittedQuery:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._started:  # never ran: its place is free again
            self._started = True
            self.store.slots.give(self.caller)

    def rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        if self._started:
            raise RuntimeError("an admitted query runs once")
        self._started = True
        return self.store._run_read(self.statement, self.params, self.timeout, limit,
                                    release=lambda: self.store.slots.give(self.caller))


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

    def rows_and_counters(self, statement: str, params: dict[str, Any] | None = None
                          ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """The rows of a statement and what it changed (`medgraph query --write`)."""
        result = self._tx.run(statement, params or {})
        rows = [r.data() for r in result]
        c = result.consume().counters
        return rows, {"nodes_created": c.nodes_created, "nodes_deleted": c.nodes_deleted,
                      "relationships_created": c.relationships_created,
                      "relationships_deleted": c.relationships_deleted,
                      "properties_set": c.properties_set, "labels_added": c.labels_added}

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


def _rows(result: neo4j.Result, limit: int | None) -> list[dict[str, Any]]:
    """At most `limit` rows of a result as dicts; the rest is discarded, not fetched."""
    rows = []
    for record in result:
        if limit is not None and len(rows) >= limit:
            break
        rows.append(record.data())
    result.consume()
    return rows


def _translate(exc: Neo4jError, settings: Settings | None = None) -> StoreError:
    code = exc.code or ""
    message = exc.message or str(exc)
    if settings is not None:  # the store's own paths are nobody's business
        message = message.replace(str(settings.home), "$MEDGRAPH_HOME")
    if len(message) > 500:
        message = message[:500] + "..."
    if "AccessMode" in code or "Forbidden" in code:
        return WriteRefused(f"read-only: the store refused it ({message}); nothing was written")
    if "Timeout" in code or "TimedOut" in code or "Terminated" in code:
        return QueryTimeout(f"the query ran past its time limit and the store stopped it: "
                            f"{message}")
    if "OutOfMemory" in code or "MemoryPool" in code or "OutOfMemory" in message:
        return QueryError(f"the store ran out of memory for this query: {message}")
    return QueryError(message)


def connect(settings: Settings | None = None, *, apply_schema: bool = True) -> Store:
    """Connect to the configured store, starting the embedded one if needed."""
    settings = settings or settings_from_env()
    if settings.embedded:
        server = embedded_server(settings)
        try:
            state = server.start()
        except ServerError as exc:
            raise StoreError(str(exc)) from None
        uri, auth = state.uri, (USER, server.password())
        reader_auth: tuple[str, str] | None = (READER, server.reader_password())
        if state.query_timeout_cap != settings.query_timeout_cap:
            # A server started by another process with another cap: its cap is what holds.
            settings = dataclasses.replace(
                settings, query_timeout_cap=state.query_timeout_cap,
                query_timeout=min(settings.query_timeout, state.query_timeout_cap))
    else:
        uri, auth = settings.uri, (settings.user, settings.password or "")
        reader_auth = ((settings.reader_user, settings.reader_password or "")
                       if settings.reader_user else None)
    driver = _driver(uri, auth, settings.database)
    reader = None
    if reader_auth is not None:
        try:
            reader = _driver(uri, reader_auth, settings.database)
        except StoreError:
            if not settings.embedded:
                driver.close()
                raise
            # A server started before its reader account existed, or whose reader password
            # file was replaced: make the account again, once.
            try:
                server.ensure_reader(state, renew=True)
            except ServerError as exc:
                driver.close()
                raise StoreError(str(exc)) from None
            reader = _driver(uri, reader_auth, settings.database)
    store = Store(driver, settings, reader)
    if apply_schema:
        store.apply_schema()
    return store


BOLT_SCHEMES = ("neo4j", "bolt", "neo4j+s", "neo4j+ssc", "bolt+s", "bolt+ssc")


def _driver(uri: str, auth: tuple[str, str], database: str) -> neo4j.Driver:
    """A driver for one account, checked: the server answers, the account and database exist."""
    if uri.partition("://")[0].lower() not in BOLT_SCHEMES:
        # The driver takes http:// for its preview query API, with a warning and a module
        # medgraph does not ship: medgraph speaks Bolt only.
        raise StoreError(f"MEDGRAPH_NEO4J_URI {uri[:80]!r} is not a Neo4j address: medgraph "
                         "speaks Bolt (neo4j:// or bolt://, each also with +s or +ssc)")
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
        _check_database(driver, database, uri)
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
    return driver


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
