"""Load on the HTTP API: requests per second and p50/p99 latency of the accountability lookup
(`GET /api/v1/cases/{id}/accountability`) at 1, 10 and 50 concurrent clients.

Without `--url`, it builds its own: a fresh store under a temporary MEDGRAPH_HOME, the mini
model and one settled case, a reader key, and `medgraph serve` on a free port.

\b
python -m medgraph.bench.api_load                       # self-contained
python -m medgraph.bench.api_load --workers 2 --seconds 10
python -m medgraph.bench.api_load --url http://127.0.0.1:8000 --key mgk_... --case s1-C000001
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import httpx

from medgraph.bench.measure import percentiles

MINI = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mini"
MEDGRAPH = [sys.executable, "-m", "medgraph"]


def run_level(url: str | list[str], key: str, clients: int, seconds: float) -> dict[str, Any]:
    """`clients` threads, each with its own keep-alive connection, calling for `seconds`;
    with a list of URLs, each thread walks the list from its own starting point."""
    urls = [url] if isinstance(url, str) else url
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(offset: int) -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        with httpx.Client(headers={"X-API-Key": key}, timeout=30) as http:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                response = http.get(urls[(offset + len(mine)) % len(urls)])
                mine.append(time.perf_counter() - start)
                failed += response.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client, args=(n * 997,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"clients": clients, "requests": len(latencies), "errors": errors,
            "requests_per_s": round(len(latencies) / elapsed, 1), **percentiles(latencies)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(env: dict[str, str], *options: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`medgraph serve` on a free port with `env`, once it answers: its base URL (no path)
    and its process. Stopped at the end."""
    port = _free_port()
    server = subprocess.Popen([*MEDGRAPH, "serve", "--port", str(port), "--log-level",
                               "warning", *options], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        server.wait(30)


@contextmanager
def own_server(workers: int) -> Iterator[tuple[str, str, str]]:
    """A store with the mini model and one case, a reader key and a server: (base, key, case)."""
    from medgraph.graph.store import connect, embedded_server, settings_from_env
    from medgraph.loaders.cases import load_cases
    from medgraph.loaders.model import load_model, read_model

    home = Path(tempfile.mkdtemp(prefix="medgraph-api-load-"))
    env = dict(os.environ, MEDGRAPH_HOME=str(home))
    settings = settings_from_env(env)
    with connect(settings) as store:
        load_model(store, read_model(MINI))
        load_cases(store, [{"id": "P1", "household_id": "H1", "enrolled": True, "certificates": [
            {"category": "minimum_living", "valid_from": "2023-01-01", "valid_to": "2025-12-31",
             "due_to_illness": False}]}],
            [{"id": "C1", "person_id": "P1", "date": "2024-03-10", "setting": "inpatient",
              "total_cost": 100000, "policy_scope_cost": 90000, "referred": True,
              "facility_level": "county"}],
            [{"id": "C1", "payments": {"basic_medical_insurance": 60000,
                                       "medical_assistance": 24000},
              "out_of_pocket": 16000, "explanations": []}], "mini", dataset="api-load")
    key = subprocess.run([*MEDGRAPH, "api-key", "add", "bench", "--role", "reader"], env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    try:
        with served(env, "--workers", str(workers)) as (base, _):
            yield base, key, "C1"
    finally:
        embedded_server(settings).stop()


@click.command()
@click.option("--url", help="a running server (default: start one on a fresh store)")
@click.option("--key", help="a reader key for --url")
@click.option("--case", "case_id", default="C1", show_default=True, help="the case to trace")
@click.option("--clients", default="1,10,50", show_default=True)
@click.option("--seconds", type=float, default=8.0, show_default=True, help="per level")
@click.option("--workers", type=int, default=1, show_default=True,
              help="uvicorn workers of the server it starts")
def main(url: str | None, key: str | None, case_id: str, clients: str, seconds: float,
         workers: int) -> None:
    """Print one JSON line per concurrency level."""
    levels = [int(n) for n in clients.split(",")]

    def measure(base: str, api_key: str, case: str) -> None:
        target = f"{base}/api/v1/cases/{case}/accountability"
        run_level(target, api_key, 1, 1.0)  # warm up the driver pool and the JIT of the store
        for level in levels:
            row = run_level(target, api_key, level, seconds)
            click.echo(json.dumps({"workers": workers if not url else None, **row}))

    if url:
        if not key:
            raise click.UsageError("--url needs --key")
        measure(url.rstrip("/"), key, case_id)
    else:
        with own_server(workers) as (base, api_key, case):
            measure(base, api_key, case)


if __name__ == "__main__":
    main()
