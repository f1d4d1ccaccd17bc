"""The benchmark harness runs end to end at its smallest scale (numbers are not checked here:
benchmarks are measured with `medgraph bench`, never in the tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from medgraph.graph.store import Store


def test_bench_runs_at_the_smallest_scale(tmp_path: Path) -> None:
    work = tmp_path / "bench"
    markdown = tmp_path / "bench.md"
    env = dict(os.environ, MEDGRAPH_HOME=str(tmp_path / "home"))
    env.pop("MEDGRAPH_NEO4J_URI", None)
    done = subprocess.run(
        [sys.executable, "-m", "medgraph", "bench", "--scale", "1k", "--work", str(work),
         "--skip", "api", "--markdown", str(markdown)],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((work / "results.json").read_text())
    assert {"synth", "settle"} <= set(results)
    embedded = results["backends"]["embedded"]
    assert {"import", "trace", "findings", "memory"} <= set(embedded)
    assert results["settle"]["paths_agree"] is True
    assert embedded["import"]["cases_load"]["cases"] == results["settle"]["cases"]
    assert embedded["import"]["cases_reload"]["changes"] == 0
    text = markdown.read_text(encoding="utf-8")
    assert "### Scale 1k" in text and "| trace |" in text and "#### Store: embedded" in text


def test_bench_on_neo4j_refuses_a_database_that_holds_data(loaded_store: Store,
                                                           tmp_path: Path) -> None:
    """The benchmark fills and empties the database it is given: never one with data in it
    (on the embedded half of the suite: never without a Neo4j server named)."""
    env = dict(os.environ, MEDGRAPH_HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [sys.executable, "-m", "medgraph", "bench", "--scale", "1k", "--work",
         str(tmp_path / "bench"), "--backend", "neo4j", "--skip", "synth", "--skip", "settle"],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    if loaded_store.settings.embedded:
        assert "--backend neo4j needs MEDGRAPH_NEO4J_URI" in done.stderr
    else:
        assert "the benchmark needs an empty database" in done.stderr
        assert loaded_store.read("MATCH (a:Agency) RETURN count(a) AS n")[0]["n"] > 0
    assert "Traceback" not in done.stderr
