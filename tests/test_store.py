"""The store: start, stop, restart, crash recovery, read-only and time limits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medgraph.graph.store import (
    QueryTimeout,
    Store,
    StoreError,
    WriteRefused,
    connect,
    embedded_server,
    settings_from_env,
)

EMBEDDED = not os.environ.get("MEDGRAPH_NEO4J_URI")
needs_embedded = pytest.mark.skipif(not EMBEDDED, reason="about the embedded store only")
RUNAWAY = (
    "UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b "
    "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(*) AS n"
)


def medgraph(*args: str, home: Path, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, MEDGRAPH_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "medgraph", *args], env=env, text=True,
                          capture_output=True, timeout=kw.pop("timeout", 120), **kw)


def test_read_returns_rows(store: Store) -> None:
    assert store.read("RETURN 1 AS one, '民政局' AS name") == [{"one": 1, "name": "民政局"}]


def test_a_refused_write_leaves_the_store_unchanged(empty_store: Store) -> None:
    with empty_store.transaction() as tx:
        tx.run("CREATE (:Agency {id: 'a', name_zh: '甲'})")
    for statement in (
        "MATCH (a:Agency) SET a.name_zh = '乙' RETURN a",
        "CREATE (:Agency {id: 'b'})",
        "MATCH (n) DETACH DELETE n",
        "MERGE (:Agency {id: 'c'})",
    ):
        with pytest.raises(WriteRefused):
            empty_store.query(statement)
    assert empty_store.read("MATCH (a:Agency) RETURN a.id AS id, a.name_zh AS n") == [
        {"id": "a", "n": "甲"}
    ]


def test_a_write_that_slips_past_the_text_check_is_refused_by_the_store(
        empty_store: Store) -> None:
    # Call the transaction layer directly, as if the text check had missed the write.
    with pytest.raises(WriteRefused):
        empty_store._read("CREATE (:Agency {id: 'sneaky'})", {}, 10, None)
    assert empty_store.read("MATCH (a:Agency {id: 'sneaky'}) RETURN a") == []


def test_strings_that_look_like_writes_are_fine(empty_store: Store) -> None:
    rows = empty_store.query("RETURN 'CREATE and DELETE' AS text")
    assert rows == [{"text": "CREATE and DELETE"}]


def test_a_runaway_query_is_stopped_at_its_time_limit(store: Store) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        store.query(RUNAWAY, timeout=1.0, caller="runaway")
    assert time.monotonic() - started < 3.0
    # The store still answers afterwards.
    assert store.read("RETURN 2 AS two") == [{"two": 2}]


def test_row_limit(store: Store) -> None:
    rows = store.read("UNWIND range(1, 100) AS x RETURN x", limit=7)
    assert [r["x"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]


@needs_embedded
def test_server_side_cap_aborts_a_query_on_the_server(tmp_path: Path) -> None:
    env = dict(os.environ, MEDGRAPH_HOME=str(tmp_path), MEDGRAPH_QUERY_TIMEOUT_CAP="2")
    settings = settings_from_env(env)
    try:
        with connect(settings) as store:
            started = time.monotonic()
            with pytest.raises(QueryTimeout, match="store stopped it"):
                # The client waits as long as the cap: the server is what stops it.
                store.query(RUNAWAY, timeout=2)
            assert time.monotonic() - started < 10
    finally:
        embedded_server(settings).stop()


@needs_embedded
def test_start_status_stop_restart_keeps_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    started = medgraph("db", "start", "--format", "json", home=home, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    assert state["running"] is True and state["uri"].startswith("bolt://127.0.0.1:")
    write = medgraph("query", "--write", "CREATE (:Agency {id: 'kept', name_zh: '留'})",
                     home=home, cwd=tmp_path)
    assert write.returncode == 0, write.stderr
    assert medgraph("db", "stop", home=home, cwd=tmp_path).stdout.strip() == "stopped"
    status = json.loads(medgraph("db", "status", "--format", "json", home=home).stdout)
    assert status["running"] is False
    # A command that needs the store starts it again; the data is still there.
    read = medgraph("query", "MATCH (a:Agency {id: 'kept'}) RETURN a.name_zh AS n",
                    "--format", "json", home=home, cwd=tmp_path)
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout) == [{"n": "留"}]
    medgraph("db", "stop", home=home)
    # Nothing was written to the working directory.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


@needs_embedded
def test_killed_server_is_restarted_with_data_kept(tmp_path: Path) -> None:
    settings = settings_from_env({"MEDGRAPH_HOME": str(tmp_path)})
    with connect(settings) as store, store.transaction() as tx:
        tx.run("CREATE (:Agency {id: 'survivor', name_zh: '存'})")
    server = embedded_server(settings)
    pid = server.status().pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{pid}/cmdline").exists():
        time.sleep(0.1)
    try:
        with connect(settings) as store:
            assert server.status().pid != pid
            rows = store.read("MATCH (a:Agency {id: 'survivor'}) RETURN a.name_zh AS n")
            assert rows == [{"n": "存"}]
    finally:
        server.stop()


@needs_embedded
def test_stale_state_file_does_not_block_a_start(tmp_path: Path) -> None:
    settings = settings_from_env({"MEDGRAPH_HOME": str(tmp_path)})
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "server.json").write_text(json.dumps(
        {"pid": 999999, "bolt_port": 1, "http_port": 2, "home": str(tmp_path),
         "started_at": 0}))
    try:
        with connect(settings) as store:
            assert store.read("RETURN 1 AS x") == [{"x": 1}]
    finally:
        embedded_server(settings).stop()


def test_two_processes_use_the_store_at_once(store: Store, store_home: Path) -> None:
    script = (
        "from medgraph.graph.store import connect\n"
        "import sys\n"
        "with connect() as s:\n"
        "    for i in range(50):\n"
        "        s.write('MERGE (:Person {id: $id, model: \"concurrency\"})',"
        " {'id': sys.argv[1] + str(i)})\n"
    )
    env = dict(os.environ, MEDGRAPH_HOME=str(store_home))
    procs = [subprocess.Popen([sys.executable, "-c", script, tag], env=env) for tag in "ab"]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    rows = store.read("MATCH (p:Person {model: 'concurrency'}) RETURN count(p) AS n")
    assert rows == [{"n": 100}]
    with store.transaction() as tx:
        tx.run("MATCH (p:Person {model: 'concurrency'}) DELETE p")


def test_wrong_uri_or_password_is_a_clear_error_and_exit_2(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot reach"):
        connect(settings_from_env({"MEDGRAPH_NEO4J_URI": "bolt://127.0.0.1:1",
                                   "MEDGRAPH_NEO4J_PASSWORD": "x"}))
    env = dict(os.environ, MEDGRAPH_NEO4J_URI="bolt://127.0.0.1:1", MEDGRAPH_NEO4J_PASSWORD="x")
    done = subprocess.run([sys.executable, "-m", "medgraph", "query", "RETURN 1"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "cannot reach the store at bolt://127.0.0.1:1" in done.stderr
    assert "Traceback" not in done.stderr


@needs_embedded
def test_wrong_password_on_the_embedded_store(store: Store, store_home: Path) -> None:
    state = embedded_server(settings_from_env({"MEDGRAPH_HOME": str(store_home)})).status()
    with pytest.raises(StoreError, match="authentication failed"):
        connect(settings_from_env({"MEDGRAPH_NEO4J_URI": state.uri,
                                   "MEDGRAPH_NEO4J_USER": "root",
                                   "MEDGRAPH_NEO4J_PASSWORD": "wrong"}))


def test_a_parameter_the_driver_cannot_send_is_a_clear_query_error(store: Store) -> None:
    from medgraph.graph.store import QueryError

    with pytest.raises(QueryError, match="64 bits"):
        store.query("RETURN $x AS x", {"x": 2**70})


def _server_uri(store: Store) -> tuple[str, str]:
    """The Bolt address and user of the store the tests run on, embedded or Neo4j."""
    if store.settings.embedded:
        return embedded_server(store.settings).status().uri, "root"
    return store.settings.uri, store.settings.user


@pytest.mark.parametrize(("change", "message"), [
    ({"MEDGRAPH_NEO4J_PASSWORD": "wrong"}, "authentication failed"),
    ({"MEDGRAPH_NEO4J_DATABASE": "nosuch"}, "has no database 'nosuch'"),
    ({"MEDGRAPH_NEO4J_URI": "htp://127.0.0.1:7687"}, "is not a Neo4j address"),
    # the driver's preview HTTP API: medgraph speaks Bolt only
    ({"MEDGRAPH_NEO4J_URI": "http://127.0.0.1:7474"}, "is not a Neo4j address"),
])
def test_wrong_password_database_or_scheme_is_one_line_and_exit_2(
        store: Store, change: dict[str, str], message: str) -> None:
    uri, user = _server_uri(store)
    password = (embedded_server(store.settings).password() if store.settings.embedded
                else store.settings.password or "")
    env = dict(os.environ, MEDGRAPH_NEO4J_URI=uri, MEDGRAPH_NEO4J_USER=user,
               MEDGRAPH_NEO4J_PASSWORD=password) | change
    done = subprocess.run([sys.executable, "-m", "medgraph", "query", "RETURN 1"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.skipif(EMBEDDED, reason="on the embedded store the reader account is the guard "
                    "(tests/test_security.py)")
def test_neo4j_itself_refuses_a_write_in_a_read_transaction(empty_store: Store) -> None:
    import neo4j
    from neo4j.exceptions import ClientError

    with empty_store.driver.session(database=empty_store.database,
                                    default_access_mode=neo4j.READ_ACCESS) as session:
        tx = session.begin_transaction()
        with pytest.raises(ClientError, match="(?i)write|access"):
            tx.run("CREATE (:Agency {id: 'refused'})").consume()
        if not tx.closed():
            tx.rollback()
    assert empty_store.read("MATCH (a:Agency {id: 'refused'}) RETURN a") == []


@pytest.mark.skipif(EMBEDDED, reason="SHOW TRANSACTIONS is Neo4j's")
def test_neo4j_stops_a_timed_out_query_on_the_server(store: Store) -> None:
    with pytest.raises(QueryTimeout):
        store.read(RUNAWAY, timeout=1.0)
    # The limit went to the server as the transaction's timeout: it stops the query itself.
    deadline = time.monotonic() + 10
    while True:
        with store.driver.session(database="system") as session:
            running = [r["q"] for r in session.run(
                "SHOW TRANSACTIONS YIELD currentQuery AS q, status "
                "WHERE status = 'Running' RETURN q")]
        if not any("range(1, 20000)" in q for q in running) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not any("range(1, 20000)" in q for q in running), running
