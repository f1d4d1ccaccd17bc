"""Benchmark results as a Markdown section for docs/benchmarks.md.

>>> print(to_markdown({"scale": "1k", "machine": {"cores": 2, "memory_gb": 24.0, "cpu": "x",
...                    "python": "3.11.7", "system": "Linux"}, "started": "2026-01-01"}))
... # doctest: +ELLIPSIS
### Scale 1k (2026-01-01)
<BLANKLINE>
Machine: 2 cores, 24.0 GB, x, Python 3.11.7.
...
"""

from __future__ import annotations

from typing import Any


def _row(*cells: Any) -> str:
    return "| " + " | ".join("" if c is None else f"{c:,}" if isinstance(c, int | float)
                             and not isinstance(c, bool) else str(c) for c in cells) + " |"


def to_markdown(results: dict[str, Any]) -> str:
    """One section per run: the machine, then a table per step that ran."""
    m = results["machine"]
    lines = [f"### Scale {results['scale']} ({results['started']})", "",
             f"Machine: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu']}, "
             f"Python {m['python']}.", ""]
    if "synth" in results:
        s = results["synth"]
        lines += [f"Synthetic city: {s['persons']:,} persons in {s['seconds']} s.", ""]
    if "settle" in results:
        s = results["settle"]
        lines += ["| settlement | cases | cases/s |", "|---|---:|---:|",
                  _row("vectorised, in memory, payments as columns", s["cases"],
                       s["columns_cases_per_s"]),
                  _row("vectorised, in memory, one result dict per case",
                       s.get("dicts_cases", s["cases"]), s["vectorised_cases_per_s"]),
                  _row("CSV to payment columns", s["cases"],
                       s["end_to_end_columns_cases_per_s"]),
                  _row("CSV to result dicts (dicts at the rate above)", s["cases"],
                       s["end_to_end_cases_per_s"]),
                  _row("reference (same small city)", s["reference_cases"],
                       s["reference_cases_per_s"]),
                  _row("vectorised (same small city)", s["reference_cases"],
                       s["vectorised_same_input_cases_per_s"]),
                  "", f"Reading the CSV folder took {s['read_csv_s']} s. Reference and "
                  f"vectorised paths agree to the fen: {s['paths_agree']}.", ""]
    if "whatif" in results:
        w = results["whatif"]
        lines += ["| what-if (docs/whatif.md) | cases | s | peak MB |", "|---|---:|---:|---:|",
                  _row(f"{w['reform']}, baseline and reform, from the CSV folder "
                       "(`medgraph whatif`, process start included)", w["cases"],
                       w["from_csv_s"], w["from_csv_peak_mb"]),
                  _row("the same, cases already in memory", w["cases"], w["in_memory_s"], ""),
                  _row(f"goal-seek `{w['goal']}` ({w['goal_settlements']} settlements; "
                       f"rate found {w['goal_value']})", w["cases"], w["goal_seek_s"],
                       w["goal_seek_peak_mb"]), ""]
    backends = results.get("backends", {})
    for name, part in backends.items():
        lines += [f"#### Store: {name} ({part.get('store', '?')})", ""]
        lines += _store_section(part)
    if len(backends) == 2:
        lines += side_by_side(backends)
    return "\n".join(lines)


def _store_section(results: dict[str, Any]) -> list[str]:
    """The tables of the steps that ran on one store."""
    lines: list[str] = []
    if "import" in results:
        s = results["import"]
        lines += ["| import | nodes | relationships | seconds | rows/s |",
                  "|---|---:|---:|---:|---:|"]
        for name, r in s["models"].items():
            rows = r["nodes"] + r["relationships"]
            lines.append(_row(f"model {name}", r["nodes"], r["relationships"], r["seconds"],
                              round(rows / r["seconds"]) if r["seconds"] else 0))
        for r in s["batch_sweep"]:
            lines.append(_row(f"cases sample, batch {r['batch_size']:,}", r["nodes"],
                              r["relationships"], r["seconds"], r["rows_per_s"]))
        c = s["cases_load"]
        loads = [(f"all cases, {c.get('path', 'bolt')} path", c)]
        if "cases_load_bolt" in s:
            loads.insert(0, ("all cases, bolt path (the baseline)", s["cases_load_bolt"]))
        for label, r in loads:
            lines.append(_row(label, r["nodes"], r["relationships"], r["seconds"],
                              r["rows_per_s"]))
        lines += ["", f"Cases loaded: {c['cases']:,} at {c['cases_per_s']:,} cases/s "
                  f"({c['nodes_per_s']:,} nodes/s, {c['relationships_per_s']:,} "
                  "relationships/s)." + (
                      f" A second load changed {s['cases_reload']['changes']} things in "
                      f"{s['cases_reload']['seconds']} s." if "cases_reload" in s else "") + (
                      f" The models loaded again beside the city, nothing to change: "
                      f"{s['models_beside_cases']['seconds']} s."
                      if "models_beside_cases" in s else ""), ""]
        costs = [(label, r) for label, r in loads + [("re-load, nothing to change",
                                                       s.get("cases_reload"))]
                 if r and "store_cpu_s" in r]
        if costs:
            lines += ["| load | seconds | CPU s, medgraph | CPU s, store | load average "
                      "before / after |", "|---|---:|---:|---:|---:|"]
            lines += [_row(label, r["seconds"], r["medgraph_cpu_s"], r["store_cpu_s"],
                           f"{r['load_before']} / {r['load_after']}") for label, r in costs]
            if "cases_load_bolt" in s and s["cases_load_bolt"]["seconds"]:
                base = s["cases_load_bolt"]
                lines += ["", f"Bulk path / baseline: rows/s {_ratio(c, base, 'rows_per_s')}×, "
                          f"store CPU {_ratio(c, base, 'store_cpu_s')}×, medgraph CPU "
                          f"{_ratio(c, base, 'medgraph_cpu_s')}×, rows per CPU second "
                          f"(both processes) {_ratio(c, base, 'rows_per_cpu_s')}×."]
            lines.append("")
    if "trace" in results:
        s = results["trace"]
        lines += ["| trace | p50 ms | p90 ms | p99 ms |", "|---|---:|---:|---:|",
                  _row("store, each trace on its own (`medgraph trace`)", s["store"]["p50_ms"],
                       s["store"]["p90_ms"], s["store"]["p99_ms"]),
                  *([_row("store, model half kept between traces (the API)",
                          s["store_cached"]["p50_ms"], s["store_cached"]["p90_ms"],
                          s["store_cached"]["p99_ms"])] if "store_cached" in s else []),
                  _row("networkx, in-memory copy", s["networkx"]["p50_ms"],
                       s["networkx"]["p90_ms"], s["networkx"]["p99_ms"]), "",
                  f"{s['traces']:,} random cases. The networkx copy "
                  f"({s['networkx']['copy_nodes']:,} nodes, {s['networkx']['copy_edges']:,} "
                  "edges) took "
                  f"{s['networkx']['copy_seconds']} s to read.", ""]
    if "findings" in results:
        s = results["findings"]
        lines += [f"Findings on the whole city: `gaps` {s['gaps']['seconds']} s "
                  f"({s['gaps']['findings']:,} findings), `islands` {s['islands']['seconds']} s "
                  f"({s['islands']['findings']:,} findings), together {s['total_seconds']} s.",
                  ""]
    if "reconcile" in results:
        s = results["reconcile"]
        r = s["reconcile"]
        lines += [f"Reconciliation: {s['load']['payments']:,} payer records (`synth --observed`"
                  f", written in {s['write_seconds']} s) loaded in {s['load']['seconds']} s; "
                  f"`reconcile` over the whole city {r['seconds']} s, {r['units']:,} units, "
                  f"peak {r['peak_mb']:,} MB.", "",
                  "| finding | truth | found | recall | precision |", "|---|---:|---:|---:|---:|",
                  *(_row(kind, v["truth"], v["found"], v["recall"], v["precision"])
                    for kind, v in r["score"].items()), ""]
    if "api" in results:
        s = results["api"]
        if "runs" in s:
            lines += ["| API accountability lookup | clients | requests/s | p50 ms | p99 ms "
                      "| CPU ms per lookup: API + store | load average |",
                      "|---|---:|---:|---:|---:|---:|---:|"]
            for r in s["runs"]:
                cpu = (f"{r['api_cpu_ms_per_lookup']} + {r['store_cpu_ms_per_lookup']} = "
                       f"{round(r['api_cpu_ms_per_lookup'] + r['store_cpu_ms_per_lookup'], 3)}"
                       if r.get("api_cpu_ms_per_lookup") is not None else None)
                lines.append(_row("GET /api/v1/cases/{id}/accountability", r["clients"],
                                  r["rps"], r["p50_ms"], r["p99_ms"], cpu,
                                  r.get("load_average")))
            lines.append("")
        else:
            lines += [f"API: {s}", ""]
    if "memory" in results:
        s = results["memory"]
        store = s.get("store") or {}
        lines += [f"Peak memory: medgraph {s['medgraph_peak_mb']:,} MB (largest subprocess "
                  f"{s['subprocess_peak_mb']:,} MB); store {store.get('peak_rss_mb', '?')} MB "
                  f"resident at peak ({results.get('store', '?')}).", ""]
    return lines


# What the side-by-side table compares: a label, where to find it, and whether more is better.
_COMPARED: list[tuple[str, tuple[str, ...], bool]] = [
    ("import, all cases: rows/s", ("import", "cases_load", "rows_per_s"), True),
    ("trace on its own: p50 ms", ("trace", "store", "p50_ms"), False),
    ("trace on its own: p99 ms", ("trace", "store", "p99_ms"), False),
    ("trace, model half kept: p50 ms", ("trace", "store_cached", "p50_ms"), False),
    ("trace, model half kept: p99 ms", ("trace", "store_cached", "p99_ms"), False),
    ("`gaps` s", ("findings", "gaps", "seconds"), False),
    ("`islands` s", ("findings", "islands", "seconds"), False),
    ("store resident memory at peak, MB", ("memory", "store", "peak_rss_mb"), False),
]


def _ratio(top: dict[str, Any], bottom: dict[str, Any], key: str) -> float | str:
    """top[key] / bottom[key], two decimals; '?' when it cannot be told."""
    return round(top[key] / bottom[key], 2) if bottom.get(key) else "?"


def _get(results: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(results, dict) or key not in results:
            return None
        results = results[key]
    return results


def side_by_side(backends: dict[str, dict[str, Any]]) -> list[str]:
    """One table: each measure on both stores and their ratio (Neo4j / embedded).

    >>> print("\\n".join(side_by_side({
    ...     "embedded": {"findings": {"gaps": {"seconds": 2.0}}},
    ...     "neo4j": {"findings": {"gaps": {"seconds": 1.0}}}})))
    ... # doctest: +NORMALIZE_WHITESPACE
    #### Side by side (same city, same run)
    <BLANKLINE>
    | measure | embedded | neo4j | neo4j / embedded |
    |---|---:|---:|---:|
    | `gaps` s | 2.0 | 1.0 | 0.5 (better) |
    <BLANKLINE>
    """
    (a, first), (b, second) = backends.items()
    lines = ["#### Side by side (same city, same run)", "",
             f"| measure | {a} | {b} | {b} / {a} |", "|---|---:|---:|---:|"]
    rows: list[tuple[str, Any, Any, bool]] = [
        (label, _get(first, path), _get(second, path), more) for label, path, more in _COMPARED]
    runs = {name: {r["clients"]: r for r in _get(part, ("api", "runs")) or []}
            for name, part in backends.items()}
    for clients in sorted(set(runs[a]) & set(runs[b])):
        rows.append((f"API lookups/s, {clients} clients", runs[a][clients]["rps"],
                     runs[b][clients]["rps"], True))
        rows.append((f"API p99 ms, {clients} clients", runs[a][clients]["p99_ms"],
                     runs[b][clients]["p99_ms"], False))
    for label, x, y, more in rows:
        if x is None or y is None:
            continue
        ratio = round(y / x, 2) if x else None
        verdict = "" if ratio in (None, 1.0) else (
            " (better)" if (ratio > 1) == more else " (worse)")
        lines.append(_row(label, x, y, f"{ratio}{verdict}"))
    return [*lines, ""]

