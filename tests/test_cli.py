"""The command line: formats, parameters, named queries, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from medgraph.graph.store import Store


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MEDGRAPH_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "medgraph", *args], env=env, text=True,
                          capture_output=True, timeout=120)


def test_query_with_parameters_in_three_formats(store: Store, store_home: Path) -> None:
    statement = "UNWIND $xs AS x RETURN x, $name AS name"
    args = ("query", statement, "--param", "xs=[1,2]", "--param", "name=民政局")
    as_json = run(*args, "--format", "json", home=store_home)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [{"x": 1, "name": "民政局"}, {"x": 2, "name": "民政局"}]
    as_csv = run(*args, "--format", "csv", home=store_home)
    assert list(csv.DictReader(io.StringIO(as_csv.stdout))) == [
        {"x": "1", "name": "民政局"}, {"x": "2", "name": "民政局"}]
    as_table = run(*args, home=store_home)
    assert as_table.stdout.splitlines()[0].split() == ["x", "name"]


def test_named_query_and_file(store: Store, store_home: Path, tmp_path: Path) -> None:
    named = run("query", "scheme_without_funder", "--param", "model=nowhere", "--format", "json",
                home=store_home)
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout) == []
    path = tmp_path / "q.cypher"
    path.write_text("RETURN 40 + 2 AS answer", "utf-8")
    from_file = run("query", "-f", str(path), "--format", "json", home=store_home)
    assert json.loads(from_file.stdout) == [{"answer": 42}]


def test_refused_write_exits_2_and_writes_nothing(store: Store, store_home: Path) -> None:
    done = run("query", "CREATE (:Agency {id: 'cli-write'})", home=store_home)
    assert done.returncode == 2
    assert done.stderr.startswith("medgraph: read-only")
    assert store.read("MATCH (a:Agency {id: 'cli-write'}) RETURN a") == []
    allowed = run("query", "--write", "CREATE (:Agency {id: 'cli-write'})", home=store_home)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stderr.strip() == "nodes created 1, properties set 1, labels added 1"
    assert len(store.read("MATCH (a:Agency {id: 'cli-write'}) RETURN a")) == 1
    with store.transaction() as tx:
        tx.run("MATCH (a:Agency {id: 'cli-write'}) DELETE a")


def test_timeout_exit_2(store: Store, store_home: Path) -> None:
    done = run("query", "UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b "
               "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(*) AS n", "--timeout", "1",
               home=store_home)
    assert done.returncode == 2
    assert "time limit of 1 s" in done.stderr


def test_bad_cypher_and_unknown_named_query(store: Store, store_home: Path) -> None:
    bad = run("query", "MATCH (n RETURN n", home=store_home)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    unknown = run("query", "no_such_query", home=store_home)
    assert unknown.returncode == 2
    assert "no named query 'no_such_query'" in unknown.stderr
    # A named query without its parameter is refused, not answered with "(no rows)".
    bare = run("query", "trace_case", home=store_home)
    assert bare.returncode == 2 and "needs --param case_id=VALUE" in bare.stderr
    optional = run("query", "scheme_without_funder", "--format", "json", home=store_home)
    assert optional.returncode == 0, optional.stderr


def test_every_named_query_is_documented() -> None:
    from medgraph.queries import list_queries

    for named in list_queries():
        assert named.header.get("finds"), f"{named.name}: header lacks 'finds'"
        assert named.header.get("why"), f"{named.name}: header lacks 'why'"
        assert named.header.get("rows"), f"{named.name}: header lacks 'rows'"
        assert named.text, f"{named.name}: no statement"
