"""`medgraph demo`: the main job in miniature, on the configured store, in about a minute.

It starts the embedded store (or uses the Neo4j server MEDGRAPH_NEO4J_URI names), loads the
three institutional models, writes a synthetic city, settles it through the Hangzhou scheme
chain, loads the settled cases, finds the coverage gaps and information islands, measures the
targets, traces the case that leaves a family most to pay among those that show all four roles
(funds, certifies, pays, supervises), writes the report, and prints where everything is.
Running it twice changes nothing in the store the second time.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import click

MODEL = "hangzhou"


def _say(step: str, detail: str, started: float) -> None:
    click.echo(f"[{time.perf_counter() - started:5.1f} s] {step:<10} {detail}")


@click.command()
@click.option("--persons", type=click.IntRange(min=1), default=20_000, show_default=True,
              help="persons in the synthetic city")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="folder for the city, results, findings and report "
                   "[default: MEDGRAPH_HOME/demo]")
def demo(persons: int, seed: int, out: Path | None) -> None:
    """Load the models and a synthetic city, settle, find gaps and islands, write the report."""
    from medgraph import settlement
    from medgraph.analysis.findings import gaps, islands, latest_case_year
    from medgraph.analysis.kpi import kpis
    from medgraph.analysis.trace import trace_case
    from medgraph.graph.store import connect, settings_from_env
    from medgraph.loaders.cases import load_settled
    from medgraph.loaders.model import load_model, model_names, read_model
    from medgraph.loaders.synth import write_city
    from medgraph.visualizations import write_report

    started = time.perf_counter()
    settings = settings_from_env()
    out = (out or settings.home / "demo").resolve()
    out.mkdir(parents=True, exist_ok=True)
    with connect(settings) as store:
        _say("store", store.describe(), started)
        for name in model_names():
            plan = load_model(store, read_model(name))
            _say("model", f"{name}: {_changes(plan.summary())}", started)

        city = out / "city"
        write_city(city, persons=persons, seed=seed)
        _say("synth", f"{persons:,} persons (seed {seed}) -> {city}", started)

        inp = settlement.read_input(city)
        rules = settlement.load_rules(MODEL)
        results = settlement.settle(inp, rules)
        settled = out / "settlement.json"
        settled.write_text(settlement.results_to_json(results), encoding="utf-8")
        oop = sum(r["out_of_pocket"] for r in results)
        _say("settle", f"{len(results):,} cases, out of pocket {oop:,.2f} yuan -> {settled}",
             started)

        # Named for the demo, not the folder: a demo run with another -o replaces its own city.
        totals = load_settled(store, inp, rules, MODEL, dataset="demo", source="medgraph demo")
        _say("cases", _changes(dict(totals)), started)

        found = [f.to_dict() for f in gaps(store, model=MODEL)]
        found += [f.to_dict() for f in islands(store)]
        findings = out / "findings.json"
        findings.write_text(json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8")
        kinds = Counter(f["kind"] for f in found)
        _say("findings", f"{len(found)} ({', '.join(f'{k} {n}' for k, n in kinds.most_common())})"
             f" -> {findings}", started)

        year = latest_case_year(store)
        for k in kpis(store, year, MODEL):
            _say("kpi", _kpi_line(k), started)

        worst, trace = _showcase(store, results, trace_case)
        payers = sorted({p["scheme_code"] for p in trace["payments"]})
        _say("trace", f"case {worst['id']}: paid by {', '.join(payers) or 'no scheme'}; "
             f"{len(trace['funds'])} funding, {len(trace['certifies'])} certifying, "
             f"{len(trace['pays'])} paying, {len(trace['supervises'])} supervising links "
             f"(medgraph trace {worst['id']})", started)

        report = write_report(store, out / "report.html")
        _say("report", str(report), started)
    click.echo(f"\nEverything is in {out}. Next: medgraph serve, medgraph draw coordination, "
               f"medgraph query -f queries/trace_case.cypher --param case_id={worst['id']}")


SHOWCASE_TRIES = 200
ROLES = ("funds", "certifies", "pays", "supervises")


def _showcase(store: Any, results: list[dict[str, Any]], trace_case: Any
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case that leaves a family most to pay among those whose trace shows all four
    roles (who funds, certifies, pays and supervises): a case of a person nobody certified
    would show "0 certifying" and hide half of what the trace is for. Without one among the
    costliest cases, the costliest."""
    from medgraph.analysis.trace import AccountabilityCache

    ranked = sorted(results, key=lambda r: (-r["out_of_pocket"], r["id"]))
    cache = AccountabilityCache()  # the same schemes answer for many cases: asked once
    for result in ranked[:SHOWCASE_TRIES]:
        trace = trace_case(store, result["id"], cache)
        if all(trace[role] for role in ROLES):
            return result, trace
    return ranked[0], trace_case(store, ranked[0]["id"])


def _changes(summary: dict[str, int]) -> str:
    changed = {k: v for k, v in summary.items() if v}
    return ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in changed.items()) or "no change"


def _kpi_line(k: dict[str, Any]) -> str:
    value = k.get("value")
    target = k.get("target")
    shown = "n/a" if value is None else f"{value:.1%}"
    goal = "" if target is None else f" (target {k.get('comparator', '')} {target:.0%}: " + (
        "met)" if k.get("met") else "not met)")
    return f"{k['code']}: {shown}{goal}"


COMMANDS = [demo]
