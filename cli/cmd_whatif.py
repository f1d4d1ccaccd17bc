"""`medgraph whatif`: the same cases settled under the baseline and under reforms."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from medgraph.output import FORMATS, render, to_csv, to_json

CSV_COLUMNS = ["section", "item", "scenario", "value", "change", "target", "met"]


def _names(doc: dict[str, Any]) -> list[str]:
    return [s["name"] for s in doc["scenarios"]]


def _side_by_side(doc: dict[str, Any], items: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Rows of item, baseline, then each reform and its change; `items` pairs a label with a
    function of a scenario giving the value."""
    rows = []
    for label, get in items:
        row: dict[str, Any] = {"": label}
        base = get(doc["scenarios"][0])
        for k, s in enumerate(doc["scenarios"]):
            value = get(s)
            row[s["name"]] = value
            if k:
                row[f"change ({s['name']})"] = None if value is None or base is None \
                    else round(value - base, 4)
        rows.append(row)
    return rows


def district_tables(doc: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Per district: cost, the recipients' coverage, the warning line; each reform's change
    and its winners and losers."""
    first = doc["scenarios"][0]
    if not first["by_district"]:
        return [("By district", [{"note": "the input gives no district (persons' `district`)"}])]
    rows = []
    for k, base in enumerate(first["by_district"]):
        row: dict[str, Any] = {"district": base["district"], "persons": base["persons_with_care"],
                               "paid": base["paid"],
                               "coverage": base["comprehensive_coverage_rate"],
                               "at/above line": base["persons_at_or_above_line"]}
        for s in doc["scenarios"][1:]:
            mine, change = s["by_district"][k], s["change"]["by_district"][k]
            row[f"paid change ({s['name']})"] = round(mine["paid"] - base["paid"], 2)
            row[f"coverage ({s['name']})"] = mine["comprehensive_coverage_rate"]
            row[f"pay less / more ({s['name']})"] = f"{change['winners']} / {change['losers']}"
        rows.append(row)
    return [("By district (baseline, and each reform)", rows)]


def tables(doc: dict[str, Any], by: str | None = None) -> list[tuple[str, list[dict[str, Any]]]]:
    """The comparison as titled tables for people (with the district tables when by)."""
    first = doc["scenarios"][0]
    out: list[tuple[str, list[dict[str, Any]]]] = []
    schemes = first["order"] + [c for c in first["cost"] if c not in first["order"]]
    costs = [(scheme, lambda s, c=scheme: s["cost"][c]) for scheme in schemes
             if any(s["cost"][scheme] for s in doc["scenarios"])]
    costs += [("all schemes", lambda s: s["paid"]), ("out of pocket", lambda s: s["out_of_pocket"])]
    out.append(("Cost by scheme (yuan)", _side_by_side(doc, costs)))
    payers = [(row["name"] or row["fund"],
               lambda s, f=row["fund"]: next(r["yuan"] for r in s["by_payer"] if r["fund"] == f))
              for row in first["by_payer"]]
    out.append(("Cost by payer (the fund paying each scheme; yuan)", _side_by_side(doc, payers)))
    financing = []
    for k, row in enumerate(first["financing"]):
        line: dict[str, Any] = {"fund": row["fund"], "financier": row["financier"],
                                "level": row["level"], "share": row["share"]}
        for s in doc["scenarios"]:
            line[s["name"]] = s["financing"][k]["yuan"]
        financing.append(line)
    out.append(("Financing of each fund (yuan where the model gives the share; empty: the "
                "documents give no share)", financing))
    kpis = []
    for k, row in enumerate(first["kpis"]):
        line = {"indicator": row["code"],
                "target": f"{row['comparator']} {row['target']}" if row["target"] is not None
                else None}
        for s in doc["scenarios"]:
            got = s["kpis"][k]
            line[s["name"]] = got["value"]
            line[f"met ({s['name']})"] = {True: "yes", False: "no"}.get(got["met"])
        kpis.append(line)
    out.append((f"Indicators of 002 一 for recipients, targets in force in {doc['target_year']}",
                kpis))
    warning = [("persons at or above the line", lambda s: s["warning_line"]["persons"]),
               ("households at or above the line", lambda s: s["warning_line"]["households"]),
               ("of them with no member alone at or above it (catastrophic)",
                lambda s: s["warning_line"]["households_catastrophic"]),
               ("of them with no assistance category",
                lambda s: s["warning_line"]["households_without_category"])]
    out.append((f"Warning line ({first['warning_line']['line']:,.0f} yuan a year out of "
                "pocket; person-years and household-years)", _side_by_side(doc, warning)))
    for s in doc["scenarios"][1:]:
        change = s["change"]
        crossings = [{"crossing": k.replace("_", " "), "count": v}
                     for k, v in change["crossings"].items()]
        out.append((f"{s['name']}: warning-line crossings", crossings))
        rows = [{"category": r["category"], **dict(zip(change["bands"], r["persons"],
                                                       strict=True))}
                for r in change["by_category"]]
        out.append((f"{s['name']}: persons by change of out-of-pocket cost (yuan), by "
                    f"category; {change['winners']:,} pay less, {change['losers']:,} more",
                    rows))
    if doc.get("goal"):
        g = doc["goal"]
        if g["value"] is None:
            text = (f"cannot be met by {g['rule']}.{g['parameter']} between {g['low']:g} and "
                    f"{g['high']:g}: at best {g['indicator']} = {g['measured']}")
        else:
            text = (f"{g['rule']}.{g['parameter']} = {g['value']:g} gives {g['indicator']} = "
                    f"{g['measured']:.4f} ({g['comparator']} {g['target']:g})")
            if g["next_value"] is not None:
                text += f"; at {g['next_value']:g}: {g['next_measured']:.4f}"
        out.append((f"Goal: {g['indicator']} {g['comparator']} {g['target']:g} "
                    f"({g['settlements']} settlements)", [{"result": text}]))
    if by == "district":
        out += district_tables(doc)
    return out


def long_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The comparison as one row per measure and scenario (CSV)."""
    rows: list[dict[str, Any]] = []
    for k, s in enumerate(doc["scenarios"]):
        change = s.get("change", {})

        def add(section: str, item: str, value: Any, delta: Any = None, name: str = s["name"],
                **more: Any) -> None:
            rows.append({"section": section, "item": item, "scenario": name,
                         "value": value, "change": delta, **more})

        for scheme, yuan in s["cost"].items():
            add("cost", scheme, yuan, change.get("cost", {}).get(scheme))
        add("cost", "all_schemes", s["paid"], change.get("paid"))
        add("cost", "out_of_pocket", s["out_of_pocket"], change.get("out_of_pocket"))
        for j, row in enumerate(s["by_payer"]):
            base = doc["scenarios"][0]["by_payer"][j]["yuan"]
            add("payer", row["fund"], row["yuan"], round(row["yuan"] - base, 2) if k else None)
        for row in s["financing"]:
            add("financing", f"{row['fund']}<-{row['financier']}", row["yuan"])
        for row in s["kpis"]:
            add("kpi", row["code"], row["value"], target=row["target"], met=row["met"])
        for name, value in s["warning_line"].items():
            add("warning_line", name, value)
        for name, value in change.get("crossings", {}).items():
            add("crossings", name, value)
        for row in change.get("by_category", []):
            for band, persons in zip(change["bands"], row["persons"], strict=True):
                add("persons_by_change", f"{row['category']}|{band}", persons)
        for row in s["by_district"]:
            for name in ("paid", "out_of_pocket", "comprehensive_coverage_rate",
                         "persons_at_or_above_line"):
                add("district", f"{row['district']}|{name}", row[name])
        for row in change.get("by_district", []):
            add("district", f"{row['district']}|winners", row["winners"])
            add("district", f"{row['district']}|losers", row["losers"])
    return rows


def show(doc: dict[str, Any], fmt: str, by: str | None = None) -> str:
    if fmt == "json":
        return to_json(doc)
    if fmt == "csv":
        return to_csv(long_rows(doc), CSV_COLUMNS)
    return "\n\n".join(f"{title}\n{render(rows, 'table')}" for title, rows in tables(doc, by))


@click.command("whatif")
@click.argument("reforms", nargs=-1, type=click.Path(exists=True, dir_okay=False,
                                                     path_type=Path))
@click.option("--city", "city", type=click.Path(exists=True, path_type=Path),
              help="the cases: a JSON file or a CSV folder, as for `medgraph settle` "
                   "[default: the cases loaded in the store]")
@click.option("--dataset", help="without --city: the loaded dataset to read [default: all]")
@click.option("--model", default="hangzhou", show_default=True,
              help="the model the reforms change (a name in data/ or a folder)")
@click.option("--year", type=int, help="settle the cases of this year only [default: all]")
@click.option("--target-year", type=int,
              help="compare with the targets in force this year [default: --year, else the "
                   "latest year of the cases]")
@click.option("--goal", help='a target to reach, e.g. "comprehensive_coverage_rate>=0.85"')
@click.option("--free", "free", metavar="RULE_ID.PARAMETER",
              help="the parameter --goal may change, e.g. "
                   "hangzhou.rule.ma_rate_marginal_low_income.rate")
@click.option("--step", type=float, help="the goal-seek's precision [default: 0.001 for a "
                                         "rate, 1 for an amount]")
@click.option("--per-case", "per_case", type=click.Path(dir_okay=False, path_type=Path),
              help="also write each case under each scenario (CSV: paid, out of pocket)")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the charts (cost by payer, indicators against targets, burden "
                   "before and after, district tile map) as an HTML page")
@click.option("--by", type=click.Choice(["district"]),
              help="also break the results down by the persons' district (the table; json and "
                   "csv always hold by_district)")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="table for people; json or csv for programs")
def whatif_command(reforms: tuple[Path, ...], city: Path | None, dataset: str | None,
                   model: str, year: int | None,
                   target_year: int | None, goal: str | None, free: str | None,
                   step: float | None, per_case: Path | None, html_out: Path | None,
                   by: str | None, fmt: str) -> None:
    """Settle the cases under the model's rules and under each REFORM (YAML, docs/whatif.md),
    side by side: cost by scheme, payer and financier, the indicators of 002 against their
    targets, warning-line crossings, winners and losers.

    \b
    medgraph whatif data/hangzhou/reforms/marginal_90.yaml --city city --year 2025
    medgraph whatif --city city --goal "comprehensive_coverage_rate>=0.85" \\
        --free hangzhou.rule.ma_rate_marginal_low_income.rate
    """
    from medgraph import settlement
    from medgraph.analysis import whatif
    from medgraph.cmd_settle import write_atomically
    from medgraph.settlement.reforms import read_reform

    if (goal is None) != (free is None):
        raise click.UsageError("--goal and --free go together")
    if not reforms and goal is None:
        raise click.UsageError("give a reform file, or --goal with --free")
    started = time.perf_counter()
    read = [read_reform(path) for path in reforms]
    if city is not None:
        if dataset is not None:
            raise click.UsageError("--dataset reads the store; with --city it has no use")
        # only --year's cases are kept (every record is still checked); InputError: exit 2,
        # nothing written
        inp = settlement.read_input(city, year=year)
    else:
        from medgraph.graph.store import connect
        from medgraph.loaders.stored_input import stored_input

        with connect() as store:
            inp = stored_input(store, dataset)
    doc = whatif.run(model, read, inp, year=year, target_year=target_year, goal=goal,
                     free=free, step=step)
    text = show(whatif.public(doc), fmt, by)
    if per_case is not None:
        write_atomically(per_case, to_csv(whatif.per_case_rows(doc)))
    if html_out is not None:
        from medgraph.visualizations.whatif_section import whatif_page

        write_atomically(html_out, whatif_page(whatif.public(doc)))
    click.echo(text)
    took = time.perf_counter() - started
    click.echo(f"{doc['cases']:,} cases settled under {len(doc['scenarios'])} scenarios "
               f"(model {model}) in {took:.2f} s", err=True)


COMMANDS = [whatif_command]
