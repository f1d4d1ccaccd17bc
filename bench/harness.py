"""The city-scale benchmark: one synthetic city, every measurement taken on the same data.

`medgraph bench --scale 10k|100k|1m` runs, in order: synthesise the city, settle it (vectorised
and reference), import the models and the cases into a store of its own (batch sizes swept on a
sample), time traces against the store and against networkx, time `gaps` and `islands`, load
the API, and record peak memory. Results are a JSON document (`results.json` in the work
folder) and a Markdown section for docs/benchmarks.md.

`backend` says which stores the store steps (import, trace, findings, api) run on: the
embedded store (a private server under the work folder, so a benchmark never touches the
user's data; stopped at the end), the Neo4j server named by MEDGRAPH_NEO4J_* (its database
must be empty: the benchmark fills it and empties it again), or both, one after the other on
the same city, so that the two can be compared within one run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from medgraph.bench.measure import (
    children_peak_mb,
    costed,
    cpu_seconds,
    load_average,
    machine,
    own_peak_mb,
    percentiles,
    process_memory_mb,
    rate,
    timed,
)

SCALES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
REFERENCE_PERSONS = 20_000  # the reference path is timed on a city of this size (pure Python)
DICT_PERSONS = 100_000  # output dicts are timed on the cases of this many persons
BATCH_SIZES = (1_000, 5_000, 10_000, 20_000)
SWEEP_PERSONS = 5_000  # the batch-size sweep loads the cases of this many persons, per size
TRACES = 1_000
RELOAD_MAX_CASES = 500_000  # the idempotent re-load is timed up to this many cases
API_CLIENTS = (1, 10, 50)
API_SECONDS = 8.0


def _medgraph(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "medgraph", *args], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"medgraph {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def step_synth(ctx: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"persons": ctx["persons"]}
    with timed(out):
        _medgraph("synth", "--persons", str(ctx["persons"]), "--seed", "1", "-o",
                  str(ctx["city"]), env=ctx["env"])
    _medgraph("synth", "--persons", str(min(REFERENCE_PERSONS, ctx["persons"])), "--seed", "1",
              "-o", str(ctx["small_city"]), env=ctx["env"])
    out["synth_peak_mb"] = children_peak_mb()
    return out


def step_settle(ctx: dict[str, Any]) -> dict[str, Any]:
    from medgraph import settlement

    rules = settlement.load_rules("hangzhou")
    out: dict[str, Any] = {}
    read: dict[str, Any] = {}
    with timed(read):
        inp = settlement.read_input(ctx["city"])
    columns: dict[str, Any] = {}
    with timed(columns):  # the engine alone: payments as columns, no per-case Python
        settlement.settle_payments(inp, rules)
    # What callers get: one output dict per case, with explanations. Timed on the cases of
    # the first DICT_PERSONS persons: the dicts of the whole city would not fit the memory
    # medgraph is allowed (at 1m they took 8 GB), and a load builds them a batch at a time.
    part = inp.subset(np.arange(min(DICT_PERSONS, len(inp.person_ids))))
    vec: dict[str, Any] = {}
    with timed(vec):
        results = settlement.settle(part, rules, engine="vectorised")
    dict_cases = len(results)
    del results
    cases = len(inp)
    out.update(cases=cases, read_csv_s=read["seconds"], columns_s=columns["seconds"],
               columns_cases_per_s=rate(cases, columns["seconds"]),
               end_to_end_columns_cases_per_s=rate(cases, read["seconds"] + columns["seconds"]),
               dicts_cases=dict_cases, dicts_s=vec["seconds"],
               vectorised_cases_per_s=rate(dict_cases, vec["seconds"]),
               # the whole city's dicts at the rate measured on the part
               end_to_end_cases_per_s=rate(
                   cases, read["seconds"] + vec["seconds"] * cases / max(dict_cases, 1)))
    small = settlement.read_input(ctx["small_city"])
    ref: dict[str, Any] = {}
    with timed(ref):
        ref_results = settlement.settle(small, rules, engine="reference")
    small_vec: dict[str, Any] = {}
    with timed(small_vec):
        vec_results = settlement.settle(small, rules, engine="vectorised")
    out.update(reference_cases=len(ref_results),
               reference_cases_per_s=rate(len(ref_results), ref["seconds"]),
               vectorised_same_input_cases_per_s=rate(len(vec_results), small_vec["seconds"]),
               paths_agree=ref_results == vec_results)
    ctx["settled"] = inp  # the per-case dicts are not kept: loads settle batch by batch
    return out


# A subprocess that reports its own peak memory: `medgraph whatif` as a user runs it.
# ru_maxrss would carry over the forking parent's peak; VmHWM is the new program's own.
_PEAK = ("import re, sys\nfrom pathlib import Path\nfrom medgraph.cli import main\ntry:\n"
         "    main(sys.argv[1:])\nfinally:\n"
         "    kb = re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text())\n"
         "    print('peak_mb', int(kb.group(1)) / 1024 if kb else 0, file=sys.stderr)")


def _whatif_cli(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with timed(out):
        done = subprocess.run([sys.executable, "-c", _PEAK, "whatif", *args], env=env,
                              capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"medgraph whatif failed: {done.stderr.strip()}")
    peak = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("peak_mb")]
    out["peak_mb"] = round(float(peak[-1]), 1) if peak else None
    out["doc"] = json.loads(done.stdout)
    return out


def step_whatif(ctx: dict[str, Any]) -> dict[str, Any]:
    """A reform over the whole city, baseline and reform (docs/whatif.md): from the CSV
    folder as `medgraph whatif` runs (process start and reading included), from columns
    already in memory, and a goal-seek between the baseline and the rate at 100 %."""
    from medgraph.analysis import whatif
    from medgraph.loaders.model import data_dir
    from medgraph.settlement.reforms import parse_reform, read_reform

    reform = data_dir() / "hangzhou" / "reforms" / "marginal_80.yaml"
    year = "2025"
    cli = _whatif_cli([str(reform), "--city", str(ctx["city"]), "--year", year,
                       "--format", "json"], ctx["env"])
    inp = ctx.get("settled")
    if inp is None:
        from medgraph import settlement

        inp = settlement.read_input(ctx["city"])
    full = parse_reform("name: full\nchanges:\n  - rule: hangzhou.rule.ma_rate_marginal_low_income"
                        "\n    set: {rate: 1.0}\n", "full.yaml")
    memory: dict[str, Any] = {}
    with timed(memory):
        doc = whatif.run("hangzhou", [read_reform(reform)], inp, year=int(year))
    top = whatif.run("hangzhou", [full], inp, year=int(year))
    code = "comprehensive_coverage_rate"
    low, high = (next(k["value"] for k in s["kpis"] if k["code"] == code)
                 for s in (top["scenarios"][0], top["scenarios"][1]))
    goal = f"{code}>={(low + high) / 2:.4f}"
    sought = _whatif_cli(["--city", str(ctx["city"]), "--year", year, "--goal", goal, "--free",
                          "hangzhou.rule.ma_rate_marginal_low_income.rate", "--format", "json"],
                         ctx["env"])
    change = cli["doc"]["scenarios"][1]["change"]
    return {"cases": doc["cases"], "year": int(year), "reform": reform.name,
            "from_csv_s": cli["seconds"], "from_csv_peak_mb": cli["peak_mb"],
            "in_memory_s": memory["seconds"],
            "cost_change_yuan": change["paid"], "goal": goal,
            "goal_value": sought["doc"]["goal"]["value"],
            "goal_settlements": sought["doc"]["goal"]["settlements"],
            "goal_seek_s": sought["seconds"], "goal_seek_peak_mb": sought["peak_mb"]}


def step_import(ctx: dict[str, Any]) -> dict[str, Any]:
    from medgraph.loaders import cases as case_loader
    from medgraph.loaders.model import load_model, model_names, read_model

    store = ctx["store"]
    out: dict[str, Any] = {"models": {}}
    for name in model_names():
        model = read_model(name)
        took: dict[str, Any] = {}
        with timed(took):
            plan = load_model(store, model)
        summary = plan.summary()
        out["models"][name] = {
            "nodes": summary["nodes_created"], "relationships": summary["relationships_created"],
            "seconds": took["seconds"]}
    from medgraph import settlement

    inp = ctx["settled"]
    rules = settlement.load_rules("hangzhou")
    # Rows per statement of the Bolt path, on a sample, each into an emptied case graph.
    sample = inp.subset(np.arange(min(SWEEP_PERSONS, len(inp.person_ids))))
    sweep = []
    for size in BATCH_SIZES:
        _clear_cases(store)
        took = {}
        with timed(took):
            s = case_loader.load_settled(store, sample, rules, "hangzhou", dataset="bench",
                                         rows_per_statement=size, path="bolt")
        sweep.append({"batch_size": size, "nodes": s["nodes_created"],
                      "relationships": s["relationships_created"], "seconds": took["seconds"],
                      "rows_per_s": rate(s["nodes_created"] + s["relationships_created"],
                                         took["seconds"])})
    out["batch_sweep"] = sweep
    best = max(sweep, key=lambda r: r["rows_per_s"])["batch_size"]
    # The whole city on the bulk path (the default), and on the Bolt path as the baseline,
    # each into an empty store: the baseline into a second private store of the same kind,
    # started for it and removed after (deleting a city costs as long as loading it).
    if store.settings.embedded and not ctx.get("no_baseline"):
        out["cases_load_bolt"] = _bolt_baseline(ctx, inp, rules, best)
    _clear_cases(store)
    out["cases_load"] = _load_city(store, ctx.get("store_pid"), inp, rules, best, "bulk")
    if len(inp) <= RELOAD_MAX_CASES:  # a re-load reads everything back: long at 1m
        again = {}
        with costed(again, ctx.get("store_pid")):
            s = case_loader.load_settled(store, inp, rules, "hangzhou", dataset="bench",
                                         rows_per_statement=best)
        out["cases_reload"] = {"changes": sum(s.values()), **again}
    # The models again, nothing to change, beside the whole city: a model load must not read
    # the case data (it once scanned every node and relationship of the store).
    took = {}
    with timed(took):
        changed = sum(load_model(store, read_model(name)).changes for name in model_names())
    out["models_beside_cases"] = {"changes": changed, "seconds": took["seconds"]}
    ctx["case_ids"] = list(inp.case_ids)
    return out


def _load_city(store: Any, store_pid: int | None, inp: Any, rules: Any, batch_size: int,
               path: str) -> dict[str, Any]:
    """Load the whole city on `path`; its counts, time, CPU of medgraph and of the store."""
    from medgraph.loaders import cases as case_loader

    took: dict[str, Any] = {}
    with costed(took, store_pid):  # settling each batch and building its records included
        s = case_loader.load_settled(store, inp, rules, "hangzhou", dataset="bench",
                                     rows_per_statement=batch_size, path=path)
    rows = s["nodes_created"] + s["relationships_created"]
    return {"path": path, "batch_size": batch_size,
            "cases_per_transaction": case_loader.CASES_PER_TRANSACTION,
            "persons": len(inp.person_ids), "cases": len(inp),
            "nodes": s["nodes_created"], "relationships": s["relationships_created"], **took,
            "nodes_per_s": rate(s["nodes_created"], took["seconds"]),
            "relationships_per_s": rate(s["relationships_created"], took["seconds"]),
            "rows_per_s": rate(rows, took["seconds"]),
            "cases_per_s": rate(len(inp), took["seconds"]),
            "rows_per_cpu_s": rate(rows, took["medgraph_cpu_s"] + took["store_cpu_s"])}


def _bolt_baseline(ctx: dict[str, Any], inp: Any, rules: Any, batch_size: int
                   ) -> dict[str, Any]:
    """The city on the Bolt path into a second private embedded store, removed after."""
    from medgraph.graph.store import connect, embedded_server, settings_from_env
    from medgraph.loaders.model import load_model, model_names, read_model

    home = ctx["work"] / "home-bolt"
    shutil.rmtree(home, ignore_errors=True)
    settings = settings_from_env({**ctx["env"], "MEDGRAPH_HOME": str(home)})
    server = embedded_server(settings)
    try:
        with connect(settings) as other:
            for name in model_names():
                load_model(other, read_model(name))
            state = server.status()
            return _load_city(other, state.pid if state else None, inp, rules, batch_size,
                              "bolt")
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def _store_pid(store: Any, env: dict[str, str]) -> int | None:
    """The process id of the store, when it runs on this machine."""
    from medgraph.graph.store import embedded_server

    if store.settings.embedded:
        state = embedded_server(store.settings).status()
        return state.pid if state else None
    return int(env["MEDGRAPH_NEO4J_PID"]) if env.get("MEDGRAPH_NEO4J_PID") else None


def _clear_cases(store: Any) -> None:
    """Delete case data in batches (a single huge DETACH DELETE would hold one transaction)."""
    while True:
        rows = store.write_transaction(lambda tx: tx.rows(
            "MATCH (n) WHERE n.model = 'cases' WITH n LIMIT 20000 "
            "DETACH DELETE n RETURN count(*) AS deleted"))
        if not rows or not rows[0]["deleted"]:
            return


def step_trace(ctx: dict[str, Any]) -> dict[str, Any]:
    from medgraph.analysis.trace import AccountabilityCache, trace_case
    from medgraph.bench.trace_baseline import read_copy, trace_networkx

    store = ctx["store"]
    ids = random.Random(7).sample(ctx["case_ids"], min(TRACES, len(ctx["case_ids"])))
    for case_id in ids[:20]:  # warm the server's caches and the driver's pool
        trace_case(store, case_id)
    latencies = []
    for case_id in ids:  # each trace on its own, as `medgraph trace` runs it
        start = time.perf_counter()
        trace_case(store, case_id)
        latencies.append(time.perf_counter() - start)
    out: dict[str, Any] = {"traces": len(ids), "store": percentiles(latencies)}
    cache = AccountabilityCache()
    latencies = []
    for case_id in ids:  # with the model half kept between lookups, as the API runs it
        start = time.perf_counter()
        trace_case(store, case_id, cache)
        latencies.append(time.perf_counter() - start)
    out["store_cached"] = percentiles(latencies)
    copy: dict[str, Any] = {}
    with timed(copy):
        graph = read_copy(store, ids)
    latencies = []
    for case_id in ids:
        start = time.perf_counter()
        trace_networkx(graph, case_id)
        latencies.append(time.perf_counter() - start)
    out["networkx"] = {**percentiles(latencies), "copy_nodes": graph.number_of_nodes(),
                       "copy_edges": graph.number_of_edges(), "copy_seconds": copy["seconds"]}
    return out


def step_findings(ctx: dict[str, Any]) -> dict[str, Any]:
    from medgraph.analysis.findings import gaps, islands

    store = ctx["store"]
    out: dict[str, Any] = {}
    took: dict[str, Any] = {}
    with timed(took):
        found = gaps(store, model="hangzhou")
    out["gaps"] = {"seconds": took["seconds"], "findings": len(found)}
    took = {}
    with timed(took):
        found = islands(store)
    out["islands"] = {"seconds": took["seconds"], "findings": len(found)}
    out["total_seconds"] = round(out["gaps"]["seconds"] + out["islands"]["seconds"], 3)
    return out


# Run in a process of its own so that its peak memory is its own, not the benchmark's: the
# high-water mark of its own address space (VmHWM), since ru_maxrss after fork and exec may
# still count the benchmark process it was forked from (it reported 750 MB at 100k, where
# /usr/bin/time measured 271 MB for the same reconciliation).
RECONCILE = """
import json, sys, time
from medgraph.analysis.reconcile import reconcile
from medgraph.graph.store import connect
from medgraph.loaders.synth_observed import score
with connect() as store:
    started = time.perf_counter()
    result = reconcile(store, model="hangzhou")
    seconds = time.perf_counter() - started
doc = result.to_dict()
print(json.dumps({"seconds": round(seconds, 3), "findings": doc["summary"]["findings"],
                  "units": doc["summary"]["units"],
                  "peak_mb": round(int(next(l.split()[1] for l in open("/proc/self/status")
                                            if l.startswith("VmHWM"))) / 1024, 1),
                  "score": score(doc["findings"], sys.argv[1])}))
"""


def step_reconcile(ctx: dict[str, Any]) -> dict[str, Any]:
    """Payer records for the city (`synth --observed`), loaded, then reconciled whole."""
    from medgraph.loaders.payments import load_payments, read_records
    from medgraph.loaders.synth_observed import write_observed

    out: dict[str, Any] = {}
    took: dict[str, Any] = {}
    with timed(took):
        payments, truth = write_observed(ctx["city"], ctx["work"], seed=1)
    out["write_seconds"] = took["seconds"]
    records = read_records(payments)
    took = {}
    with timed(took):
        counts = load_payments(ctx["store"], records, "hangzhou", dataset="bench-payments")
    out["load"] = {"payments": counts["payments"], "seconds": took["seconds"],
                   "per_s": rate(counts["payments"], took["seconds"])}
    done = subprocess.run([sys.executable, "-c", RECONCILE, str(truth)], env=ctx["env"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"reconcile failed: {done.stderr.strip()[-500:]}")
    out["reconcile"] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def step_api(ctx: dict[str, Any]) -> dict[str, Any]:
    """`medgraph serve` on the benchmark's store; random cases of the whole city looked up."""

    from medgraph.bench.api_load import run_level, served

    env = ctx["env"]
    key = _medgraph("api-key", "add", f"bench-{time.time_ns()}", "--role", "reader",
                    env=env).stdout.strip()
    with served(env) as (root, server):
        base = root + "/api/v1"
        ids = random.Random(11).sample(ctx["case_ids"], min(5_000, len(ctx["case_ids"])))
        urls = [f"{base}/cases/{case_id}/accountability" for case_id in ids]
        run_level(urls, key, 1, 1.0)  # warm up
        runs = []
        for clients in API_CLIENTS:
            # CPU of the API and of the store per lookup (not the load generator's, which
            # shares the cores here but would not on a real deployment).
            api, store = cpu_seconds(server.pid), cpu_seconds(ctx.get("store_pid"))
            run = run_level(urls, key, clients, API_SECONDS)
            run["api_cpu_s"] = round(cpu_seconds(server.pid) - api, 3)
            run["store_cpu_s"] = round(cpu_seconds(ctx.get("store_pid")) - store, 3)
            run["load_average"] = load_average()
            runs.append(run)
    return {"runs": [{"clients": r["clients"], "requests": r["requests"], "errors": r["errors"],
                      "rps": r["requests_per_s"], "p50_ms": r["p50_ms"],
                      "p99_ms": r["p99_ms"],
                      "api_cpu_ms_per_lookup": round(1000 * r["api_cpu_s"] / r["requests"], 3)
                      if r["requests"] else None,
                      "store_cpu_ms_per_lookup": round(1000 * r["store_cpu_s"] / r["requests"], 3)
                      if r["requests"] else None,
                      "load_average": r["load_average"]} for r in runs]}


STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "synth": step_synth, "settle": step_settle, "whatif": step_whatif, "import": step_import,
    "trace": step_trace, "findings": step_findings, "reconcile": step_reconcile, "api": step_api,
}


BACKENDS = ("embedded", "neo4j", "both")
STORE_STEPS = ("import", "trace", "findings", "reconcile", "api")


def run(scale: str, work: Path, *, skip: tuple[str, ...] = (), backend: str = "embedded",
        progress: Callable[[str], None] = lambda _msg: None) -> dict[str, Any]:
    """Run every step at `scale` in `work`; return the results (also written to results.json).

    The store steps' results are under `results["backends"][name]`, one entry per store.
    """
    from medgraph.graph.store import StoreError

    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    neo4j_env = {k: v for k, v in os.environ.items() if k.startswith("MEDGRAPH_NEO4J_")}
    stores = ["embedded", "neo4j"] if backend == "both" else [backend]
    if "neo4j" in stores and not neo4j_env.get("MEDGRAPH_NEO4J_URI"):
        raise StoreError("--backend neo4j needs MEDGRAPH_NEO4J_URI (and _USER, _PASSWORD): "
                         "a server whose database is empty, e.g. from `make neo4j-up`")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDGRAPH_NEO4J_")}
    env["MEDGRAPH_HOME"] = str(home)
    results: dict[str, Any] = {"scale": scale, "machine": machine(),
                               "started": time.strftime("%Y-%m-%d %H:%M:%S"), "backends": {}}
    ctx: dict[str, Any] = {"persons": SCALES[scale], "work": work, "env": env,
                           "city": work / "city", "small_city": work / "small_city"}

    def save() -> None:
        (work / "results.json").write_text(json.dumps(results, indent=2))

    def step(name: str, into: dict[str, Any], label: str = "") -> None:
        if name in skip:
            return
        progress(f"{label}{name} ...")
        into[name] = STEPS[name](ctx)
        progress(f"{label}{name}: {json.dumps(into[name], ensure_ascii=False)[:300]}")
        save()

    if "neo4j" in stores:  # refused before minutes of the other steps, not after them
        _require_empty({**env, **neo4j_env})
    for name in STEPS:
        if name not in STORE_STEPS:
            step(name, results)
    for store_name in stores:
        into: dict[str, Any] = {}
        results["backends"][store_name] = into
        store_env = {**env, **neo4j_env} if store_name == "neo4j" else env
        with _bench_store(store_name, store_env, into) as store:
            ctx.update(store=store, env=store_env, store_pid=_store_pid(store, store_env))
            for name in STORE_STEPS:
                step(name, into, f"[{store_name}] ")
        save()
    return results


@contextmanager
def _bench_store(name: str, env: dict[str, str], into: dict[str, Any]) -> Iterator[Any]:
    """The store the store steps run on; its memory is recorded in `into` at the end."""
    from medgraph.graph.store import connect, embedded_server, settings_from_env

    settings = settings_from_env(env)
    # The steps and the API subprocess read the configuration from the environment.
    for key in [k for k in os.environ if k.startswith("MEDGRAPH_NEO4J_")]:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith("MEDGRAPH_")})
    into["store"] = ("embedded ArcadeDB, Java heap " + settings.heap if settings.embedded
                     else "Neo4j " + _neo4j_sizes(env))
    with connect(settings) as store:
        if not settings.embedded:
            _require_empty(env, store)
            into["store_version"] = store.driver.get_server_info().agent  # "Neo4j/5.26.30"
        try:
            yield store
        finally:
            if settings.embedded:
                server = embedded_server(settings)
                state = server.status()
                pid = state.pid if state else None
            else:
                pid = int(env["MEDGRAPH_NEO4J_PID"]) if env.get("MEDGRAPH_NEO4J_PID") else None
            into["memory"] = {"medgraph_peak_mb": own_peak_mb(),
                              "subprocess_peak_mb": children_peak_mb(),
                              "store": process_memory_mb(pid) if pid else {}}
            if settings.embedded:
                server.stop()
            else:  # it was empty: leave it so
                while store.write_transaction(lambda tx: tx.rows(
                        "MATCH (n) WITH n LIMIT 20000 DETACH DELETE n "
                        "RETURN count(*) AS deleted"))[0]["deleted"]:
                    pass


def _require_empty(env: dict[str, str], store: Any = None) -> None:
    """StoreError unless the Neo4j database named by `env` holds no node: the benchmark
    fills it and empties it afterwards."""
    from medgraph.graph.store import StoreError, connect, settings_from_env

    if store is None:
        with connect(settings_from_env(env), apply_schema=False) as own:
            return _require_empty(env, own)
    held = store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    if held:
        raise StoreError(f"the benchmark needs an empty database; {store.describe()} "
                         f"holds {held:,} nodes")
    return None


def _neo4j_sizes(env: dict[str, str]) -> str:
    """The heap and page cache of a server started by neo4j-test-server, when known."""
    if env.get("MEDGRAPH_NEO4J_PID"):
        return (f"heap {env.get('MEDGRAPH_NEO4J_HEAP', '1g')}, page cache "
                f"{env.get('MEDGRAPH_NEO4J_PAGECACHE', '512m')}")
    return "(sizes as its operator set them)"
