"""Datasets: which load each piece of case data came from, and whose it is to replace.

Every load of case data is recorded as one `(:Dataset {id: NAME})` node: its name, the
path it was read from, the sha256 of its content, when it was loaded, the model that
settled it, its counts and years, and `status` (`loading` while batches are being
written, `complete` at the end). Every Person, Household, Case and Burden it wrote carries
`dataset: NAME`. Two rules follow (docs/schema.md, "Datasets"):

- A load makes its dataset equal to its input: what the dataset holds and the input no
  longer has is removed at the end of the load (`prune`).
- A load never takes over what belongs to another dataset: ids of persons, households or
  cases that another dataset (or a load from before datasets) holds are refused, unless the
  load says `replace`. `unload` removes a dataset whole.

>>> DatasetConflict("x").exit_code
2
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medgraph.graph.store import Store, StoreError

LABELS = ("Person", "Household", "Case", "Burden")  # the labels a dataset's nodes carry
CLAIMED = ("Person", "Household", "Case")           # ids an input names (Burdens follow persons)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DELETE_BATCH = 20_000
READ_BATCH = 10_000


class DatasetConflict(StoreError):
    """The input names ids another dataset holds (the CLI exits 2; nothing was written)."""

    exit_code = 2


class UnknownDataset(StoreError):
    """No dataset of that name is in the store."""


def check_name(name: str) -> str:
    """A dataset name: letters, digits, `_`, `.`, `-`, at most 64 characters.

    >>> check_name("city-2024")
    'city-2024'
    """
    if not isinstance(name, str) or not NAME.match(name):
        raise StoreError(f"dataset name {name!r}: use 1-64 letters, digits, '_', '.' or '-', "
                         "starting with a letter or digit")
    return name


def content_hash(path: str | Path) -> str:
    """sha256 of an input: the file, or the CSV files of a folder in name order."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.suffix == ".csv") if path.is_dir() else [path]
    for file in files:
        if file.is_file():
            digest.update(file.name.encode("utf-8") + b"\0")
            with file.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


def datasets(store: Store) -> list[dict[str, Any]]:
    """Every dataset in the store, by name."""
    return [row["d"] for row in store.read(
        "MATCH (d:Dataset) RETURN properties(d) AS d ORDER BY d.id")]


def _unowned(store: Store) -> bool:
    """Whether the store holds case data written before datasets were recorded."""
    return any(store.read(f"MATCH (n:{label}) WHERE n.dataset IS NULL RETURN n.id AS id LIMIT 1")
               for label in CLAIMED)


def check_claims(store: Store, name: str, source: str, ids: dict[str, Iterable[str]],
                 *, replace: bool) -> None:
    """Refuse (DatasetConflict) a load whose ids belong to another dataset, or a dataset name
    already used for another input path; nothing is written either way."""
    others = [d for d in datasets(store) if d["id"] != name]
    same = next((d for d in datasets(store) if d["id"] == name), None)
    if not replace and same is not None and same.get("source") not in (None, source):
        raise DatasetConflict(
            f"dataset {name!r} was loaded from {same['source']}, not {source}; name this "
            f"load with --dataset, unload the other (medgraph unload {name}), or pass --replace")
    if replace or not (others or _unowned(store)):
        return
    for label in CLAIMED:
        wanted = list(dict.fromkeys(ids.get(label, ())))
        clash: list[tuple[str, str | None]] = []
        for start in range(0, len(wanted), READ_BATCH):
            clash += [(r["id"], r["dataset"]) for r in store.read(
                f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) "
                "WHERE n.dataset IS NULL OR n.dataset <> $name "
                "RETURN n.id AS id, n.dataset AS dataset",
                {"ids": wanted[start:start + READ_BATCH], "name": name})]
        if clash:
            first, owner = clash[0]
            whose = f"dataset {owner!r}" if owner else "a load from before datasets"
            more = f" (and {len(clash) - 1:,} more)" if len(clash) > 1 else ""
            hint = f"unload it first (medgraph unload {owner}), " if owner else ""
            raise DatasetConflict(
                f"{label} {first!r}{more} belongs to {whose}; give the ids a prefix "
                f"(medgraph synth --prefix), {hint}or pass --replace to take them over")


def begin(store: Store, name: str, source: str, digest: str, model: str) -> None:
    """Record the load as started: a load cut off half way leaves `status: loading`."""
    store.write("MERGE (d:Dataset {id: $name}) SET d.name = $name, d.model_settled = $model, "
                "d.source = $source, d.content_hash = $hash, d.status = 'loading', "
                "d.model = 'cases', d.started_at = $now",
                {"name": name, "source": source, "hash": digest, "model": model, "now": _now()})


def count_held(store: Store, name: str) -> dict[str, int]:
    """How many nodes of each label the dataset holds: one scan per label."""
    return {label: store.read(f"MATCH (n:{label}) WHERE n.dataset = $name RETURN count(n) AS n",
                              {"name": name})[0]["n"] for label in LABELS}


def stale(store: Store, name: str, keep: dict[str, set[str]],
          held: dict[str, int] | None = None) -> list[tuple[str, str]]:
    """The dataset's nodes the input no longer has, as (label, id).

    Counting first (`held`, counted here unless given) is one scan per label; the ids are
    read only when the count says that some are left over, which after a re-load of the
    same input they are not.
    """
    held = held if held is not None else count_held(store, name)
    found: list[tuple[str, str]] = []
    for label in LABELS:
        kept = keep.get(label, set())
        if held[label] > len(kept):
            found += [(label, r["id"]) for r in store.read(
                f"MATCH (n:{label}) WHERE n.dataset = $name RETURN n.id AS id", {"name": name})
                if r["id"] not in kept]
    return found


def delete_nodes(store: Store, nodes: list[tuple[str, str]]) -> dict[str, int]:
    """Delete these nodes with their relationships, a batch per transaction; the counters."""
    deleted = {"nodes_deleted": 0, "relationships_deleted": 0}
    by_label: dict[str, list[str]] = {}
    for label, ident in nodes:
        by_label.setdefault(label, []).append(ident)
    for label, ids in by_label.items():
        for start in range(0, len(ids), DELETE_BATCH):
            counters = store.write(f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) DETACH DELETE n",
                                   {"ids": ids[start:start + DELETE_BATCH]})
            deleted["nodes_deleted"] += counters["nodes_deleted"]
            deleted["relationships_deleted"] += counters["relationships_deleted"]
    return deleted


def finish(store: Store, name: str, counts: dict[str, Any]) -> None:
    """Record the load as complete, with its counts."""
    store.write("MATCH (d:Dataset {id: $name}) SET d += $counts, d.status = 'complete', "
                "d.loaded_at = $now", {"name": name, "counts": counts, "now": _now()})


def payment_datasets(store: Store) -> list[str]:
    """The names observed payments were loaded under (`medgraph load payments --dataset`)."""
    return [r["name"] for r in store.read(
        "MATCH (p:Payment) RETURN DISTINCT p.dataset AS name ORDER BY name") if r["name"]]


def unload(store: Store, name: str) -> dict[str, int]:
    """Remove a dataset whole: its nodes, their relationships, and its record.

    The name may be a load of case data or of payment records (or both). Payments go with
    the case data they were paid on: the payments to the dataset's persons, whatever load
    they came from, since a payment to a person who is not in the store is not an input
    `load payments` accepts. They are deleted first, so that an unload cut off half way
    leaves no payment pointing at nothing and is completed by running it again.
    """
    known = [d["id"] for d in datasets(store)]
    paid = payment_datasets(store)
    if name not in known and name not in paid:
        every = sorted(set(known) | set(paid))
        raise UnknownDataset(f"no dataset {name!r} in the store; known: "
                             f"{', '.join(every) or '(none)'}")
    deleted = {"nodes_deleted": 0, "relationships_deleted": 0, "payments_deleted": 0}

    def drain(match: str, payments: bool = False) -> None:
        while True:
            counters = store.write(f"{match} WITH n LIMIT {DELETE_BATCH} DETACH DELETE n",
                                   {"name": name})
            if not counters["nodes_deleted"]:
                return
            deleted["nodes_deleted"] += counters["nodes_deleted"]
            deleted["relationships_deleted"] += counters["relationships_deleted"]
            if payments:
                deleted["payments_deleted"] += counters["nodes_deleted"]

    drain("MATCH (n:Payment) WHERE n.dataset = $name", payments=True)
    if name in known:
        drain("MATCH (n:Payment)-[:PAID_TO]->(p:Person) WHERE p.dataset = $name", payments=True)
        for label in LABELS:
            drain(f"MATCH (n:{label}) WHERE n.dataset = $name")
        counters = store.write("MATCH (d:Dataset {id: $name}) DETACH DELETE d", {"name": name})
        deleted["nodes_deleted"] += counters["nodes_deleted"]
    return deleted


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
