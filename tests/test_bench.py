"""The benchmark harness runs end to end at its smallest scale (numbers are not checked here:
benchmarks are measured with `medgraph bench`, never in the tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


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
    assert {"synth", "settle", "import", "trace", "findings", "memory"} <= set(results)
    assert results["settle"]["paths_agree"] is True
    assert results["import"]["cases_load"]["cases"] == results["settle"]["cases"]
    assert results["import"]["cases_reload"]["changes"] == 0
    text = markdown.read_text(encoding="utf-8")
    assert "### Scale 1k" in text and "| trace |" in text
