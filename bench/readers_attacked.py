"""Readers while analysts flood the API with runaway queries: the reader's latency alone and
under attack, on the same server, one after the other.

tests/test_security.py checks that every reader request is answered while 200 runaway
queries arrive; how long the answers take depends on the machine, so it is measured here.
The server caps every statement at 3 s (MEDGRAPH_QUERY_TIMEOUT_CAP) and runs at most
`--places` analyst queries at once (two per key), as the test's server does.

\b
python -m medgraph.bench.readers_attacked
python -m medgraph.bench.readers_attacked --attackers 50 --seconds 8
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import httpx

from medgraph.bench.api_load import MEDGRAPH, MINI, run_level, served

RUNAWAY = ("UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b "
           "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(*) AS n")


@click.command()
@click.option("--attackers", type=int, default=50, show_default=True,
              help="concurrent analyst clients sending runaway queries")
@click.option("--seconds", type=float, default=8.0, show_default=True, help="per phase")
@click.option("--places", type=int, default=4, show_default=True,
              help="analyst queries the store runs at once (MEDGRAPH_ANALYST_QUERIES)")
def main(attackers: int, seconds: float, places: int) -> None:
    """Print one JSON line: the reader alone, the reader attacked, and their ratio."""
    from medgraph.graph.store import embedded_server, settings_from_env

    home = Path(tempfile.mkdtemp(prefix="medgraph-readers-"))
    env = dict(os.environ, MEDGRAPH_HOME=str(home), MEDGRAPH_QUERY_TIMEOUT_CAP="3",
               MEDGRAPH_ANALYST_QUERIES=str(places), MEDGRAPH_ANALYST_QUERIES_PER_CALLER="2")

    def medgraph(*args: str) -> str:
        return subprocess.run([*MEDGRAPH, *args], env=env, capture_output=True, text=True,
                              check=True).stdout.strip()

    medgraph("load", "model", str(MINI))
    reader = medgraph("api-key", "add", "reader", "--role", "reader")
    analysts = [medgraph("api-key", "add", f"analyst-{n}", "--role", "analyst")
                for n in range(max(1, places // 2))]
    try:
        with served(env) as (root, _):
            base = root + "/api/v1"
            measure_readers(base, reader, analysts, attackers, seconds, places)
    finally:
        embedded_server(settings_from_env(env)).stop()


def measure_readers(base: str, reader: str, analysts: list[str], attackers: int,
                    seconds: float, places: int) -> None:
    """The reader alone, then attacked; one JSON line."""
    target = base + "/agencies"
    run_level(target, reader, 1, 1.0)  # warm up
    alone = run_level(target, reader, 1, seconds)
    statuses: list[int] = []
    stop_at = time.monotonic() + seconds

    def attack(n: int) -> None:
        with httpx.Client(timeout=30, headers={"X-API-Key": analysts[n % len(analysts)]}
                          ) as http:
            while time.monotonic() < stop_at:
                statuses.append(http.post(base + "/cypher", json={
                    "query": RUNAWAY, "timeout": 1}).status_code)

    attacked: dict = {}
    measure = threading.Thread(target=lambda: attacked.update(
        run_level(target, reader, 1, seconds)))
    with ThreadPoolExecutor(attackers) as pool:
        measure.start()
        list(pool.map(attack, range(attackers)))
    measure.join()
    click.echo(json.dumps({
        "attackers": attackers, "places": places, "load_average": os.getloadavg()[0],
        "alone": alone, "attacked": attacked,
        "attack_statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "p50_ratio": round(attacked["p50_ms"] / alone["p50_ms"], 1)
        if alone["p50_ms"] else None}))


if __name__ == "__main__":
    main()
