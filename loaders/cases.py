"""Case data into the graph: persons, households, certificates, enrolment, cases, settlements.

Case data is pseudonymous: a person is an id, a household and birth year at
most; no names or ID numbers are stored. A load is validated first (by the
settlement input reader), then written a batch of whole households at a time:
a batch new to the store through `graph.bulk.create` (the store's fastest
path), any other as its difference from the store (`loaders.sync`), in one
transaction. A second load of the same data changes nothing. Case data
carries `model: "cases"`; docs/schema.md ("Datasets") states the contract.

The shape (see docs/schema.md):

    (:Person)-[:MEMBER_OF]->(:Household)
    (:Person)-[:HOLDS {valid_from, valid_to, due_to_illness}]->(:BeneficiaryCategory)
    (:Person)-[:ENROLLED_IN {year, subsidised_by}]->(:Scheme {code: 'basic_medical_insurance'})
    (:Person)-[:HAS_CASE]->(:Case)-[:SETTLED_BY {amount, rule_id, explanation}]->(:Scheme)
    (:Person)-[:HAS_BURDEN]->(:Burden {year, out_of_pocket, household_out_of_pocket, ...})

A Burden is derived here, not read: one per person and year with cases, the sums of
those cases and of the household's that year. The warning-line detectors read
these instead of every case (at a million persons, grouping four million cases
took the store tens of seconds and more than its query memory). An input holds
every case of the person-years it covers (the yearly caps need them too), so the
sums are whole.

>>> nodes, edges = case_graph(
...     [{"id": "P1", "household_id": "H1", "enrolled": True, "certificates": []}],
...     [{"id": "C1", "person_id": "P1", "date": "2024-03-10", "setting": "inpatient",
...       "total_cost": 100.0, "policy_scope_cost": 90.0, "referred": True,
...       "facility_level": "county"}],
...     [{"id": "C1", "payments": {"basic_medical_insurance": 60.0}, "out_of_pocket": 40.0,
...       "explanations": []}],
...     "hangzhou")
>>> sorted({n.label for n in nodes})
['Burden', 'Case', 'Household', 'Person']
>>> sorted({e.type for e in edges})
['ENROLLED_IN', 'HAS_BURDEN', 'HAS_CASE', 'MEMBER_OF', 'SETTLED_BY']
>>> [n.props["household_out_of_pocket"] for n in nodes if n.label == "Burden"]
[40.0]
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from neo4j.exceptions import DatabaseError, IncompleteCommit, ServiceUnavailable, SessionExpired

from medgraph.graph import bulk
from medgraph.graph.store import Store, StoreError
from medgraph.loaders import batch_digest, datasets
from medgraph.loaders.errors import LoadStopped
from medgraph.loaders.sync import READ_BATCH, Edge, Node, Plan, apply_plan, clean, read_by_id
from medgraph.settlement import RuleSet, SettlementInput, as_records, settle_vectorised
from medgraph.settlement.inputs import known_categories
from medgraph.settlement.vectorised import settle_payments

TAG = "cases"


def _edge(rel_type: str, from_label: str, from_id: str, to_label: str, to_id: str,
          key: str | None = None, **props: Any) -> Edge:
    ident = f"{from_id}|{rel_type}|{to_id}" + (f"|{key}" if key else "")
    return Edge(rel_type, ident, from_label, from_id, to_label, to_id,
                clean({**props, "id": ident, "model": TAG}))


def case_graph(
    persons: Iterable[dict[str, Any]],
    cases: Iterable[dict[str, Any]],
    results: Iterable[dict[str, Any]],
    model: str,
    years: Iterable[int] | None = None,
    dataset: str | None = None,
) -> tuple[list[Node], list[Edge]]:
    """Nodes and edges for settled case data; schemes are those of `model`.

    `years`: the years the data cover (default: those of these cases). A person marked
    `enrolled` is enrolled in each of them, with or without care that year, so that the
    enrolment rate counts recipients who were not ill. `dataset`: the name every node
    carries (loaders.datasets).
    """
    cases = list(cases)
    if years is None:
        years = {int(case["date"][:4]) for case in cases}
    span = sorted(set(years))
    nodes: list[Node] = []
    edges: list[Edge] = []
    households: set[str] = set()
    household_of: dict[str, str | None] = {}
    for person in persons:
        pid = person["id"]
        household_of[pid] = person.get("household_id") or None
        nodes.append(Node("Person", pid, clean({"id": pid, "model": TAG,
                                                "birth_year": person.get("birth_year"),
                                                "district": person.get("district")})))
        household = person.get("household_id")
        if household:
            if household not in households:
                households.add(household)
                nodes.append(Node("Household", household, {"id": household, "model": TAG}))
            edges.append(_edge("MEMBER_OF", "Person", pid, "Household", household))
        for cert in person.get("certificates", []):
            edges.append(_edge(
                "HOLDS", "Person", pid, "BeneficiaryCategory", cert["category"],
                key=cert["valid_from"], valid_from=cert["valid_from"],
                valid_to=cert["valid_to"], due_to_illness=bool(cert.get("due_to_illness")),
            ))
        for year in _enrolled_years(person, span):
            edges.append(_edge("ENROLLED_IN", "Person", pid, "Scheme",
                               f"{model}.basic_medical_insurance", key=str(year), year=year))
        if person.get("huiminbao"):  # bought huiminbao (000 §3.2 开放投保): the years of the data
            for year in span:
                edges.append(_edge("ENROLLED_IN", "Person", pid, "Scheme", f"{model}.huiminbao",
                                   key=str(year), year=year))
    settled = {r["id"]: r for r in results}
    for case in cases:
        result = settled.get(case["id"], {})
        excess = given_excess(case)
        nodes.append(Node("Case", case["id"], clean({
            "id": case["id"], "model": TAG, "date": case["date"], "year": int(case["date"][:4]),
            "setting": case["setting"], "total_cost": float(case["total_cost"]),
            "policy_scope_cost": float(case["policy_scope_cost"]),
            "referred": bool(case.get("referred")), "facility_level": case.get("facility_level"),
            # below 0 when the schemes together paid beyond the bill
            "out_of_pocket": result.get("out_of_pocket"),
            "given_over_bill": True if excess else None, "given_excess": excess or None,
        })))
        edges.append(_edge("HAS_CASE", "Person", case["person_id"], "Case", case["id"]))
        explanations = {e.get("scheme"): e for e in result.get("explanations", [])}
        for scheme_code, amount in (result.get("payments") or {}).items():
            if not amount:
                continue
            why = explanations.get(scheme_code, {})
            edges.append(_edge(
                "SETTLED_BY", "Case", case["id"], "Scheme", f"{model}.{scheme_code}",
                amount=float(amount), rule_id=why.get("rule_id"),
                explanation=json.dumps(why, ensure_ascii=False, sort_keys=True) if why else None,
            ))
    burdens = burden_records(cases, settled, household_of)
    nodes.extend(Node("Burden", b["id"], b) for b in burdens)
    edges.extend(_edge("HAS_BURDEN", "Person", b["person"], "Burden", b["id"]) for b in burdens)
    if dataset is not None:
        for node in nodes:
            node.props["dataset"] = dataset
    return nodes, edges


def given_excess(case: dict[str, Any]) -> float:
    """How far the payments a case gives (`paid`) exceed its bill, in yuan; 0 within it.

    Such a case loads (it is what reconciliation looks for) and is flagged `given_over_bill`.

    >>> given_excess({"total_cost": 100.0, "paid": {"basic_medical_insurance": 80.0,
    ...                                              "critical_illness_insurance": 30.5}})
    10.5
    """
    fen = sum(round(float(v) * 100) for v in (case.get("paid") or {}).values())
    return max(0, fen - round(float(case["total_cost"]) * 100)) / 100


def band(fen: int) -> int:
    """The binary order of an amount: the bit length of its whole yuan (0 below one yuan).

    The embedded store answers `=` from an index but not `>`, so "above a line" is asked as
    "in one of the bands from the line's up, then above the line" (the warning-line queries).

    >>> band(1999_99), band(2000_00), band(20000_00), band(50)
    (11, 11, 15, 0)
    """
    return max(0, fen // 100).bit_length()


def burden_records(cases: Iterable[dict[str, Any]], settled: dict[str, dict[str, Any]],
                   household_of: dict[str, str | None]) -> list[dict[str, Any]]:
    """One Burden per person and year: the sums of the person's cases and of the household's.

    Summed in fen, so that a sum is exact whatever the order of the cases. `eligible` is the
    out-of-pocket cost within the policy scope: out_of_pocket less the out-of-catalogue part
    (total_cost - policy_scope_cost), never below 0.

    >>> case = {"id": "C1", "person_id": "P1", "date": "2024-03-10", "total_cost": 100.0,
    ...         "policy_scope_cost": 90.0}
    >>> burden_records([case], {"C1": {"out_of_pocket": 40.0}}, {"P1": "H1"})[0]["eligible"]
    30.0
    """
    fen: dict[tuple[str, int], list[int]] = {}
    for case in cases:
        oop = settled.get(case["id"], {}).get("out_of_pocket")
        if oop is None:
            continue
        own, total = round(oop * 100), round(float(case["total_cost"]) * 100)
        scope = round(float(case["policy_scope_cost"]) * 100)
        key = (case["person_id"], int(case["date"][:4]))
        sums = fen.setdefault(key, [0, 0, 0, 0])
        sums[0] += 1
        sums[1] += total
        sums[2] += own
        sums[3] += max(0, own - (total - scope))
    household: dict[tuple[str, int], list[int]] = {}
    for (pid, year), (_, _, own, _) in fen.items():
        home = household_of.get(pid)
        if home:
            hh = household.setdefault((home, year), [0, 0, 0])
            hh[0] += own
            hh[1] = max(hh[1], own)
            hh[2] += 1
    out = []
    for (pid, year), (count, total, own, eligible) in fen.items():
        home = household_of.get(pid)
        hh = household.get((home, year)) if home else None
        out.append(clean({
            "id": f"{pid}|{year}", "model": TAG, "person": pid, "household": home, "year": year,
            "cases": count, "total_cost": total / 100, "out_of_pocket": own / 100,
            "eligible": eligible / 100,
            "household_out_of_pocket": hh[0] / 100 if hh else None,
            "household_top": hh[1] / 100 if hh else None,
            "household_members": hh[2] if hh else None,
            "band": band(own), "household_band": band(hh[0]) if hh else None,
        }))
    return out


def _enrolled_years(person: dict[str, Any], span: list[int]) -> list[int]:
    """Years of basic-insurance enrolment: given per year, or every year the data cover."""
    if "enrolled_years" in person:
        return sorted(int(y) for y in person["enrolled_years"])
    return span if person.get("enrolled") else []


def case_data_in_store(store: Store) -> bool:
    """Whether the store holds any case data (persons, households or cases) at all."""
    return any(store.read(f"MATCH (n:{label}) RETURN n.id AS id LIMIT 1")
               for label in ("Case", "Person", "Household"))


def load_cases(
    store: Store,
    persons: list[dict[str, Any]],
    cases: list[dict[str, Any]],
    results: list[dict[str, Any]],
    model: str,
    *,
    dataset: str,
    source: str = "<records>",
    replace: bool = False,
    dry_run: bool = False,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    years: Iterable[int] | None = None,
    path: str = "bulk",
) -> Plan:
    """Make the dataset `dataset` hold exactly this settled case data, in one transaction.

    Only what differs from the store is written, so a second load of the same data changes
    nothing; relationships of these persons and cases that the data no longer give, and the
    dataset's nodes it no longer names, are deleted (loaders.datasets). Refused before
    anything is written (StoreError) when the schemes or categories the cases point to are
    not in the store, or (DatasetConflict) when the ids belong to another dataset and
    `replace` is not given.
    """
    datasets.check_name(dataset)
    require_targets(store, persons, results, model)
    nodes, edges = case_graph(persons, cases, results, model, years, dataset)
    if not dry_run:
        recover(store, dataset)
    first_load = not case_data_in_store(store)
    if not first_load:
        datasets.check_claims(store, dataset, source, _ids(nodes, datasets.CLAIMED),
                              replace=replace)
    if not dry_run:
        datasets.begin(store, dataset, source, "", model)
    plan = _write_batch(store, nodes, edges, first_load=first_load, dry_run=dry_run,
                        batch_size=batch_size, progress=progress,
                        dataset=None if dry_run else dataset, path=path)
    if not first_load:
        _prune(store, dataset, _ids(nodes, datasets.LABELS), plan, dry_run=dry_run)
    if not dry_run:
        datasets.finish(store, dataset, {"persons": len(persons), "cases": len(cases)})
    return plan


def _write_batch(store: Store, nodes: list[Node], edges: list[Edge], *, first_load: bool,
                 dry_run: bool, batch_size: int, progress: Callable[[int], None] | None,
                 dataset: str | None = None, path: str = "bulk") -> Plan:
    """Plan one batch against the store and write it.

    Into a store that held no case data when the load began (`first_load`) every node and
    relationship is new: the comparison with the store is skipped and everything is
    created. Otherwise the store is read, anchored on the ids of the batch. A batch that is
    new as a whole goes through `graph.bulk.create` (on `path`), recorded on its dataset
    while it is written (a load cut off then is completed by `recover`); any other change
    is written in one transaction.
    """
    fresh = first_load and _unique(nodes, edges)
    plan = Plan(create_nodes=nodes, create_edges=edges) if fresh else _diff(store, nodes, edges)
    if dry_run or not plan.changes:
        return plan
    new_whole = fresh or (len(plan.create_nodes) == len(nodes)
                          and len(plan.create_edges) == len(edges)
                          and plan.changes == len(nodes) + len(edges) and _unique(nodes, edges))
    if new_whole and dataset is not None:
        _mark_writing(store, dataset, nodes)
        bulk.create(store, nodes, edges, via=path, rows_per_statement=batch_size,
                    progress=progress)
        _mark_writing(store, dataset, [])
    else:
        store.write_transaction(lambda tx: apply_plan(tx, plan, batch_size=batch_size,
                                                      progress=progress))
    return plan


def _mark_writing(store: Store, dataset: str, nodes: list[Node]) -> None:
    """Record on the dataset the ids of the batch being written (none: the batch is in).

    The bulk path commits a batch in several steps; a load killed between them leaves part
    of the batch, and these ids are what the next load removes before it writes the batch
    again (`recover`).
    """
    ids = _ids(nodes, datasets.LABELS)
    store.write("MATCH (d:Dataset {id: $name}) SET " + ", ".join(
        f"d.writing_{label} = ${label}" for label in datasets.LABELS),  # null removes it
        {"name": dataset, **{label: sorted(ids[label]) or None for label in datasets.LABELS}})


def _recorded_batches(store: Store, dataset: str) -> list[str]:
    """The digests of the batches the dataset records as in (loaders.batch_digest)."""
    rows = store.read("MATCH (d:Dataset {id: $name}) RETURN d.batches AS b", {"name": dataset})
    return list(rows[0]["b"] or []) if rows else []


def _record_batches(store: Store, dataset: str, digests: list[str]) -> None:
    store.write("MATCH (d:Dataset {id: $name}) SET d.batches = $digests",
                {"name": dataset, "digests": digests})


def recover(store: Store, dataset: str) -> int:
    """Remove what a load killed while writing a batch left of it; the nodes removed.

    Every node of such a batch was new when the batch began (loaders write only whole new
    batches this way), so removing them all returns the store to the batch's start.
    """
    rows = store.read("MATCH (d:Dataset {id: $name}) RETURN properties(d) AS d",
                      {"name": dataset})
    if not rows:
        return 0
    held = rows[0]["d"]
    stale = [(label, ident) for label in datasets.LABELS
             for ident in held.get(f"writing_{label}") or []]
    removed = datasets.delete_nodes(store, stale)["nodes_deleted"] if stale else 0
    if stale:
        _mark_writing(store, dataset, [])
    return removed


def _prune(store: Store, dataset: str, keep: dict[str, set[str]], plan: Plan, *,
           dry_run: bool, held: dict[str, int] | None = None) -> None:
    """Delete the dataset's nodes the input no longer names; count them into `plan`."""
    planned = set(plan.delete_nodes)
    stale = [node for node in datasets.stale(store, dataset, keep, held)
             if node not in planned]
    plan.delete_nodes += stale
    if stale and not dry_run:
        plan.detached += datasets.delete_nodes(store, stale)["relationships_deleted"]


def _ids(nodes: Iterable[Node], labels: Iterable[str]) -> dict[str, set[str]]:
    wanted = set(labels)
    found: dict[str, set[str]] = {label: set() for label in wanted}
    for node in nodes:
        if node.label in wanted:
            found[node.label].add(node.id)
    return found


# Rows sent in one UNWIND statement: at 100k cases, 20,000 wrote about 20 % faster than
# 5,000 into the embedded store.
ROWS_PER_STATEMENT = 20_000
# Cases written in one transaction: the embedded store holds a transaction in its heap;
# 400k cases in one, and then 100k cases at a time into a store that already held 100k
# persons, ran its 1 GB heap out of memory.
CASES_PER_TRANSACTION = 25_000


def load_settled(
    store: Store,
    inp: SettlementInput,
    rules: RuleSet,
    model: str,
    *,
    dataset: str,
    source: str | None = None,
    replace: bool = False,
    cases_per_transaction: int = CASES_PER_TRANSACTION,
    rows_per_statement: int = ROWS_PER_STATEMENT,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    path: str = "bulk",
) -> Counter[str]:
    """Settle an input with `rules` and make the dataset `dataset` hold exactly it, whole
    households at a time, one transaction per batch of about `cases_per_transaction` cases.

    Each batch is settled on its own (caps and deductibles run per person, so the result is
    the same) and turned into records only then: memory stays bounded by the batch, whatever
    the size of the city. Before anything is written the whole input is settled once, as
    columns, so that bad rules and missing schemes or categories are refused, and its ids
    are checked against the other datasets. A second load of the same input changes
    nothing; a load cut off half way (the process killed, the store gone) is completed by
    running it again: the dataset stays `status: loading` until the last batch is in, and
    the nodes it no longer names are deleted only then. A failure of the store raises
    LoadStopped naming the batch and what is already in. `progress` is called with the
    number of cases of each batch written. Returns the summed plan summaries
    (nodes_created, ..., relationships_deleted).
    """
    datasets.check_name(dataset)
    source = source or str(Path(inp.source).resolve())
    paid = settle_payments(inp, rules)
    categories = known_categories()
    _require(store, model,
             categories={categories[c] for c in np.unique(inp.cert_category).tolist()},
             schemes={f"{model}.{code}" for code, fen in paid.items() if fen.any()}
             | ({f"{model}.basic_medical_insurance"} if inp.enrolled.any() else set())
             | ({f"{model}.huiminbao"} if inp.huiminbao.any() else set()))
    days = inp.case_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    years = sorted((np.unique(days) + 1970).tolist())  # enrolment spans the whole input
    if not dry_run:
        _stopping("removing the half-written batch of an earlier load",
                  lambda: recover(store, dataset))
    first_load = not case_data_in_store(store)
    households = {h for h in inp.household_ids if h}
    if not first_load:
        datasets.check_claims(store, dataset, source, {
            "Person": inp.person_ids, "Household": households, "Case": inp.case_ids},
            replace=replace)
    digest = datasets.content_hash(inp.source) if Path(inp.source).exists() else ""
    if not dry_run:
        _stopping("before the first batch", lambda: datasets.begin(
            store, dataset, source, digest, model))
    totals: Counter[str] = Counter()
    batches = list(household_batches(inp, cases_per_transaction))
    key = batch_digest.load_key(model, dataset, years, rules)
    recorded = [] if first_load else _recorded_batches(store, dataset)
    # Each batch's digest first: a batch whose digest is recorded at its place is skipped,
    # and the others are built one ahead (below).
    every = [batch_digest.batch_digest(key, inp.subset(persons)) for persons in batches]
    unchanged = [number <= len(recorded) and recorded[number - 1] == every[number - 1]
                 for number in range(1, len(batches) + 1)]
    digests: list[str] = []
    skipped: list[int] = []
    done = {"persons": 0, "cases": 0}

    def records(batch: SettlementInput) -> tuple[list[Node], list[Edge]]:
        results = settle_vectorised(batch, rules)
        person_rows, case_rows = as_records(batch)
        return case_graph(person_rows, case_rows, results, model, years, dataset)

    def write(number: int, batch: SettlementInput, compare: bool,
              built: tuple[list[Node], list[Edge]] | None = None) -> None:
        nodes, edges = built if built is not None else records(batch)
        where = (f"batch {number} of {len(batches)} (persons {batch.person_ids[0]} to "
                 f"{batch.person_ids[-1]}); {number - 1} batches are in ({done['persons']:,} "
                 f"persons, {done['cases']:,} cases)")
        plan = _stopping(where, lambda: _write_batch(
            store, nodes, edges, first_load=first_load and not compare, dry_run=dry_run,
            batch_size=rows_per_statement, progress=None, dataset=dataset, path=path))
        totals.update(plan.summary())

    # While the store writes a batch, the next one is settled and made into records on a
    # second thread (the store's wait releases the interpreter): at most two batches are
    # held. Writing stays one batch at a time, in order, so what a killed load leaves is
    # what it was without this.
    to_write = [n for n in range(1, len(batches) + 1) if not unchanged[n - 1]]
    following = dict(zip(to_write, to_write[1:], strict=False))
    builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="medgraph-records")
    building: dict[int, Future[tuple[list[Node], list[Edge]]]] = {}

    def build(number: int | None) -> None:
        if number is not None and number not in building:
            building[number] = builder.submit(records, inp.subset(batches[number - 1]))

    try:
        build(to_write[0] if to_write else None)
        for number, persons in enumerate(batches, start=1):
            batch = inp.subset(persons)
            digests.append(every[number - 1])
            if unchanged[number - 1]:
                skipped.append(number)  # the store holds what this batch writes
            else:
                build(following.get(number))
                write(number, batch, compare=False, built=building.pop(number).result())
                if not dry_run:  # the batch is in: recorded in place of what was there
                    _stopping(f"recording batch {number}", lambda: _record_batches(
                        store, dataset, digests + recorded[len(digests):]))
            done["persons"] += len(batch.person_ids)
            done["cases"] += len(batch)
            if progress is not None:
                progress(len(batch))
    finally:
        builder.shutdown(wait=False, cancel_futures=True)
    if not first_load:
        keep = {"Person": set(inp.person_ids), "Household": households,
                "Case": set(inp.case_ids), "Burden": _burden_ids(inp)}
        held = datasets.count_held(store, dataset)
        if skipped and any(held[label] < len(ids) for label, ids in keep.items()):
            # Something the skipped batches wrote is gone (deleted by hand, taken over by
            # another dataset): compare them with the store after all.
            for number in skipped:
                write(number, inp.subset(batches[number - 1]), compare=True)
            held = None
        pruned = Plan()
        _stopping("removing what the input no longer has (every batch is in)",
                  lambda: _prune(store, dataset, keep, pruned, dry_run=dry_run, held=held))
        totals.update(pruned.summary())
    if not dry_run and recorded[len(digests):]:
        _record_batches(store, dataset, digests)
    if not dry_run:
        _stopping("recording the dataset as complete (every batch is in)",
                  lambda: datasets.finish(store, dataset, {
                      "persons": len(inp.person_ids), "households": len(households),
                      "cases": len(inp), "certificates": len(inp.cert_person),
                      "years": years}))
    return totals


def _burden_ids(inp: SettlementInput) -> set[str]:
    """The ids of the Burdens an input gives: one per person and year with cases."""
    years = inp.case_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    pairs = np.unique(np.stack([inp.case_person, years]), axis=1)
    return {f"{inp.person_ids[p]}|{y}" for p, y in zip(pairs[0].tolist(), pairs[1].tolist(),
                                                       strict=True)}


def _stopping(where: str, work: Callable[[], Any]) -> Any:
    """Run `work`; a failure of the store itself becomes LoadStopped saying `where`."""
    try:
        return work()
    except (ServiceUnavailable, SessionExpired, DatabaseError, IncompleteCommit, OSError) as exc:
        reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise LoadStopped(f"the store failed at {where}: {reason.splitlines()[0]}; run the "
                          "same load again to complete it") from None


def household_batches(inp: SettlementInput, size: int) -> Iterator[np.ndarray]:
    """Person indices of `inp`, cut into batches of whole households of about `size` cases.

    A household is never split, so each Household node is written by one batch only.
    """
    cases_of = np.bincount(inp.case_person, minlength=len(inp.person_ids))
    households: dict[str, list[int]] = {}
    for index, (person, household) in enumerate(zip(inp.person_ids, inp.household_ids,
                                                     strict=True)):
        households.setdefault(household or person, []).append(index)
    batch: list[int] = []
    count = 0
    for members in households.values():
        batch.extend(members)
        count += int(cases_of[members].sum())
        if count >= size:
            yield np.array(batch, dtype=np.int64)
            batch, count = [], 0
    if batch:
        yield np.array(batch, dtype=np.int64)


def require_targets(
    store: Store,
    persons: Iterable[dict[str, Any]],
    results: Iterable[dict[str, Any]],
    model: str,
) -> None:
    """Refuse (StoreError) case data whose schemes or categories the store lacks."""
    wanted: dict[str, set[str]] = {"BeneficiaryCategory": set(), "Scheme": set()}
    for person in persons:
        wanted["BeneficiaryCategory"].update(c["category"] for c in person.get("certificates", []))
        if person.get("enrolled") or person.get("enrolled_years"):
            wanted["Scheme"].add(f"{model}.basic_medical_insurance")
        if person.get("huiminbao"):
            wanted["Scheme"].add(f"{model}.huiminbao")
    for result in results:
        wanted["Scheme"].update(f"{model}.{code}"
                                for code, amount in (result.get("payments") or {}).items()
                                if amount)
    _require(store, model, wanted["BeneficiaryCategory"], wanted["Scheme"])


def _require(store: Store, model: str, categories: set[str], schemes: set[str]) -> None:
    for label, ids in (("BeneficiaryCategory", categories), ("Scheme", schemes)):
        found = {r["id"] for r in store.read(
            f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN n.id AS id",
            {"ids": sorted(ids)})}
        missing = sorted(ids - found)
        if missing:
            raise StoreError(
                f"model {model!r}: {label} {', '.join(missing[:5])} not in the store; "
                f"load the model first (medgraph load model {model})")


def _unique(nodes: list[Node], edges: list[Edge]) -> bool:
    """No id twice: then CREATE is as correct as MERGE (and faster)."""
    return (len({(n.label, n.id) for n in nodes}) == len(nodes)
            and len({e.id for e in edges}) == len(edges))


# The relationships a Person or Case of case data owns: the input gives all of them, so
# those it no longer gives (a case moved to another person, a person to another household,
# a certificate withdrawn, a payment the new settlement no longer makes) are deleted.
OWNED = {"Person": ("MEMBER_OF", "HOLDS", "ENROLLED_IN", "HAS_CASE", "HAS_BURDEN"),
         "Case": ("SETTLED_BY",)}


def _diff(store: Store, nodes: list[Node], edges: list[Edge]) -> Plan:
    """What differs from the store, read by id through the id index.

    Relationships have no index at all, so they are read from their start node: every
    relationship of OWNED from the persons and cases of the batch, to find both those that
    changed and those the input no longer has. A Burden whose person no longer has cases
    that year goes with its relationship.
    """
    plan = Plan()
    by_label: dict[str, list[Node]] = defaultdict(list)
    for node in nodes:
        by_label[node.label].append(node)
    for label, group in by_label.items():
        existing = read_by_id(store, f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) "
                              "RETURN n.id AS id, properties(n) AS p", [n.id for n in group])
        for node in group:
            if node.id not in existing:
                plan.create_nodes.append(node)
            elif existing[node.id] != node.props:
                plan.update_nodes.append(node)
    wanted = {edge.id: edge for edge in edges}
    burdens = {n.id for n in by_label.get("Burden", [])}
    seen: set[str] = set()
    for label, rel_types in OWNED.items():
        starts = [n.id for n in by_label.get(label, [])]
        for rel_type in rel_types:
            for chunk in range(0, len(starts), READ_BATCH):
                for row in store.read(
                        f"UNWIND $ids AS i MATCH (:{label} {{id: i}})-[r:{rel_type}]->(b) "
                        "RETURN i AS start, r.id AS id, properties(r) AS p, b.id AS end",
                        {"ids": starts[chunk:chunk + READ_BATCH]}):
                    edge = wanted.get(row["id"])
                    if edge is None or row["id"] in seen:  # gone from the input, or twice
                        plan.delete_edges.append((rel_type, row["id"], label, row["start"]))
                        if rel_type == "HAS_BURDEN" and row["end"] not in burdens:
                            plan.delete_nodes.append(("Burden", row["end"]))
                    else:
                        seen.add(row["id"])
                        if edge.props != row["p"]:
                            plan.update_edges.append(edge)
    plan.create_edges = [edge for edge in edges if edge.id not in seen]
    return plan
