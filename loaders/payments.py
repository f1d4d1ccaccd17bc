"""Observed payments: what each payer says it paid, read, checked and written as it is.

A payer holds its own records: the case paid on (`case_id`), or the person and the date
when it paid without seeing the case (`person_id`); its agency id (`payer`), the scheme
code, the amount in yuan, the date, optionally its own `reference`. Two formats carry the
same fields (docs/schema.md, "Observed payments"): a JSON document `{"payments": [...]}`,
or a CSV file (or a folder holding payments.csv) with those columns.

Each record becomes one `(:Payment {observed: true})` node, never recomputed, beside what
the rules entitle (the case's SETTLED_BY):

    (:Agency)-[:MADE]->(:Payment)-[:UNDER]->(:Scheme)
    (:Payment)-[:PAID_ON]->(:Case)        when the payer saw the case
    (:Payment)-[:PAID_TO]->(:Person)

Malformed data (unknown ids, bad amounts, bad dates, a reference twice) is refused naming
file, record and field, before anything is written. Data that is consistent but surprising
(more than the bill, a person without a certificate) loads: reconciliation finds it.

A payment's id is the payer and its reference, or, without a reference, what the record
says (payer, scheme, case or person, date, amount) and its occurrence among identical
records: the same records loaded twice are the same payments.

>>> payment_id({"payer": "a", "reference": "R1"}, 1)
'a|R1'
>>> payment_id({"payer": "a", "scheme": "charity_assistance", "case_id": "C1",
...             "date": "2024-01-02", "amount": 10.0}, 2)
'a|charity_assistance|C1|2024-01-02|1000|2'
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from medgraph.graph.store import Store, WriteTransaction
from medgraph.loaders.datasets import DatasetConflict, check_name
from medgraph.loaders.errors import InputError
from medgraph.settlement.inputs import MAX_TEXT, MAX_YUAN, read_json

TAG = "payments"
FIELDS = ("case_id", "person_id", "payer", "scheme", "amount", "date", "reference")
REQUIRED = ("payer", "scheme", "amount", "date")
READ_BATCH = 10_000
# Payments written in one transaction: the embedded store holds a transaction in its heap.
PER_TRANSACTION = 20_000


@dataclass
class Record:
    """One payment record as read, with where it was read from."""

    fields: dict[str, Any]
    file: str
    line: int | None   # CSV line
    index: int         # position in the input

    def error(self, field: str, message: str) -> InputError:
        ident = self.fields.get("reference") or self.fields.get("case_id") \
            or self.fields.get("person_id")
        what = f"payment {ident!r}: " if isinstance(ident, str) and ident else "payment: "
        if self.line is not None:
            return InputError(self.file, what + message, line=self.line, field=field)
        return InputError(self.file, what + message, field=f"payments[{self.index}].{field}")


# -- reading ---------------------------------------------------------------------------------

def read_records(path: str | Path) -> list[Record]:
    """The records of a JSON file, a CSV file, or a folder holding payments.csv."""
    path = Path(path)
    if path.is_dir():
        path = path / "payments.csv"
    if not path.is_file():
        raise InputError(str(path), "no such file (give a JSON file, a CSV file, or a folder "
                                    "holding payments.csv)")
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    return parse_records(read_json(path), str(path))


def parse_records(obj: Any, source: str = "<request>") -> list[Record]:
    """Records of a JSON-shaped document `{"payments": [...]}`."""
    if not isinstance(obj, dict) or not isinstance(obj.get("payments"), list):
        raise InputError(source, 'expected {"payments": [...]}', field="payments")
    records = []
    for i, item in enumerate(obj["payments"]):
        if not isinstance(item, dict):
            raise InputError(source, f"payments[{i}] is not an object", field=f"payments[{i}]")
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            raise InputError(source, f"unknown field {unknown[0]!r} (a payment gives "
                             f"{', '.join(FIELDS)})", field=f"payments[{i}].{unknown[0]}")
        records.append(Record(dict(item), source, None, i))
    return records


def _read_csv(path: Path) -> list[Record]:
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text: {exc.reason}") from None
    rows = csv.reader(text.splitlines())
    header = [h.strip() for h in next(rows, [])]
    if not header or header == [""]:
        raise InputError(str(path), "empty file: no header", line=1)
    for k, name in enumerate(header):
        if name in header[:k]:
            raise InputError(str(path), f"column {name!r} appears twice", line=1, field=name)
        if name not in FIELDS:
            raise InputError(str(path), f"unknown column {name!r} (payments.csv has "
                             f"{', '.join(FIELDS)})", line=1, field=name)
    for name in REQUIRED:
        if name not in header:
            raise InputError(str(path), f"missing column {name!r}", line=1, field=name)
    records = []
    for i, row in enumerate(rows):
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(str(path), f"{len(row)} fields, the header has {len(header)}",
                             line=i + 2)
        fields = {name: value for name, value in zip(header, row, strict=True) if value != ""}
        records.append(Record(fields, str(path), i + 2, len(records)))
    return records


# -- checking --------------------------------------------------------------------------------

def _text(record: Record, name: str, *, required: bool) -> str | None:
    value = record.fields.get(name)
    if value is None or value == "":
        if required:
            raise record.error(name, "missing")
        return None
    if not isinstance(value, str):
        raise record.error(name, f"expected text, got {value!r}")
    if len(value) > MAX_TEXT:
        raise record.error(name, f"text of {len(value):,} characters; at most {MAX_TEXT}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise record.error(name, "not valid UTF-8 text") from None
    return value


def _amount(record: Record) -> float:
    value = record.fields.get("amount")
    try:
        if isinstance(value, bool) or (record.line is None and not isinstance(value, int | float)):
            raise ValueError
        yuan = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        yuan = math.nan
    if not (math.isfinite(yuan) and 0 < yuan <= MAX_YUAN):
        raise record.error("amount", f"expected an amount in yuan above 0, got {value!r}")
    return round(yuan * 100) / 100


def _date(record: Record) -> str:
    value = _text(record, "date", required=True)
    try:
        if len(value) != 10:  # type: ignore[arg-type]
            raise ValueError
        return date.fromisoformat(value).isoformat()  # type: ignore[arg-type]
    except ValueError:
        raise record.error("date", f"expected a date YYYY-MM-DD, got {value!r}") from None


def payment_id(fields: dict[str, Any], occurrence: int) -> str:
    """The payer's reference, or what the record says and its occurrence (module doc)."""
    if fields.get("reference"):
        return f"{fields['payer']}|{fields['reference']}"
    target = fields.get("case_id") or fields.get("person_id")
    fen = round(float(fields["amount"]) * 100)
    return f"{fields['payer']}|{fields['scheme']}|{target}|{fields['date']}|{fen}|{occurrence}"


def _known(store: Store, label: str, ids: set[str], extra: str = "",
           params: dict[str, Any] | None = None, returns: str = "") -> dict[str, dict]:
    wanted = sorted(ids)
    found: dict[str, dict] = {}
    for start in range(0, len(wanted), READ_BATCH):
        for row in store.read(
                f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) {extra} "
                f"RETURN n.id AS id{returns}",
                {"ids": wanted[start:start + READ_BATCH], **(params or {})}):
            found[row["id"]] = row
    return found


def check(store: Store, records: list[Record], model: str) -> list[dict[str, Any]]:
    """The records as Payment properties, or InputError for the first malformed one.

    Checked against the store: the payer an Agency and the scheme a Scheme of `model`, the
    case a Case, the person a Person (and the case's person when both are given).
    """
    rows = []
    for record in records:
        fields = {name: _text(record, name, required=name in ("payer", "scheme"))
                  for name in ("case_id", "person_id", "payer", "scheme", "reference")}
        if not fields["case_id"] and not fields["person_id"]:
            raise record.error("case_id", "give the case paid on (case_id), or the person "
                                          "(person_id) when the payer did not see the case")
        fields["amount"] = _amount(record)
        fields["date"] = _date(record)
        rows.append(fields)
    agencies = {r["id"] for r in store.read(
        "MATCH (a:Agency) WHERE a.model = $model RETURN a.id AS id", {"model": model})}
    schemes = {r["code"] for r in store.read(
        "MATCH (s:Scheme) WHERE s.model = $model RETURN s.code AS code", {"model": model})}
    if not schemes:
        raise InputError(records[0].file if records else "<input>",
                         f"model {model!r} is not in the store; load it first "
                         f"(medgraph load model {model})")
    cases = _known(store, "Case", {r["case_id"] for r in rows if r["case_id"]},
                   "MATCH (p:Person)-[:HAS_CASE]->(n)", returns=", p.id AS person, n.year AS year")
    persons = _known(store, "Person", {r["person_id"] for r in rows if r["person_id"]})
    seen: Counter[str] = Counter()
    references: dict[str, int] = {}
    out = []
    for record, fields in zip(records, rows, strict=True):
        if fields["payer"] not in agencies:
            raise record.error("payer", f"no agency {fields['payer']!r} in model {model!r}")
        if fields["scheme"] not in schemes:
            raise record.error("scheme", f"no scheme {fields['scheme']!r} in model {model!r}; "
                                         f"known: {', '.join(sorted(schemes))}")
        case = cases.get(fields["case_id"]) if fields["case_id"] else None
        if fields["case_id"] and case is None:
            raise record.error("case_id", f"no case {fields['case_id']!r} in the store; load "
                                          "the cases first (medgraph load cases)")
        if fields["person_id"] and fields["person_id"] not in persons:
            raise record.error("person_id", f"no person {fields['person_id']!r} in the store")
        if case and fields["person_id"] and case["person"] != fields["person_id"]:
            raise record.error("person_id", f"case {fields['case_id']!r} is of person "
                                            f"{case['person']!r}, not {fields['person_id']!r}")
        if fields["reference"]:
            key = f"{fields['payer']}|{fields['reference']}"
            if key in references:
                raise record.error("reference", f"reference {fields['reference']!r} of "
                                   f"{fields['payer']} is given twice (first at record "
                                   f"{references[key] + 1})")
            references[key] = record.index
            occurrence = 1
        else:
            plain = payment_id(fields, 0)
            seen[plain] += 1
            occurrence = seen[plain]
        out.append({
            "id": payment_id(fields, occurrence), "model": TAG, "observed": True,
            "payer": fields["payer"], "scheme": fields["scheme"],
            "scheme_id": f"{model}.{fields['scheme']}", "case": fields["case_id"],
            "person": case["person"] if case else fields["person_id"],
            "date": fields["date"],
            "year": case["year"] if case else int(fields["date"][:4]),
            "amount": fields["amount"], "reference": fields["reference"],
        })
    return out


# -- writing ---------------------------------------------------------------------------------

def load_payments(store: Store, records: list[Record], model: str, *, dataset: str,
                  replace: bool = False, dry_run: bool = False,
                  per_transaction: int = PER_TRANSACTION,
                  progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Make the payments of `dataset` exactly these records; the counts of what changed.

    Everything is checked before anything is written. Payments whose record changed are
    written anew; those the input no longer has are deleted; a second load of the same
    records changes nothing, and a load cut off half way is completed by running it again.
    Ids another dataset holds are refused (DatasetConflict) unless `replace`.
    """
    check_name(dataset)
    rows = [{k: v for k, v in row.items() if v is not None} | {"dataset": dataset}
            for row in check(store, records, model)]
    held = {r["p"]["id"]: r["p"] for r in store.read(
        "MATCH (p:Payment) WHERE p.dataset = $name RETURN properties(p) AS p",
        {"name": dataset}, limit=None)}
    wanted = {row["id"]: row for row in rows}
    if not replace:
        others = _known(store, "Payment", set(wanted) - set(held),
                        returns=", n.dataset AS dataset")
        if others:
            first = next(iter(sorted(others.values(), key=lambda r: r["id"])))
            raise DatasetConflict(
                f"payment {first['id']!r} belongs to dataset {first['dataset']!r}; load it "
                "under that name, or pass --replace to take it over")
    changed = [row for pid, row in wanted.items() if pid in held and held[pid] != row]
    created = [row for pid, row in wanted.items() if pid not in held or held[pid] != row]
    stale = [pid for pid in held if pid not in wanted]
    counts = {"payments": len(rows), "created": len(created) - len(changed),
              "updated": len(changed), "deleted": len(stale)}
    if dry_run:
        return counts
    gone = stale + [row["id"] for row in changed]
    for start in range(0, len(gone), per_transaction):
        store.write("UNWIND $ids AS i MATCH (p:Payment {id: i}) DETACH DELETE p",
                    {"ids": gone[start:start + per_transaction]})
    for start in range(0, len(created), per_transaction):
        chunk = created[start:start + per_transaction]
        store.write_transaction(lambda tx, chunk=chunk: _create(tx, chunk))
        if progress is not None:
            progress(len(chunk))
    return counts


def _create(tx: WriteTransaction, rows: list[dict[str, Any]]) -> None:
    """New payments and their relationships, with CREATE: the load deleted every payment it
    writes anew, and a batch is one transaction (in whole or not at all). MERGE on a
    relationship reads every relationship of the agency, thousands, for each row."""
    tx.run("UNWIND $rows AS row CREATE (p:Payment) SET p = row", {"rows": rows})
    for statement in (
            "MATCH (a:Agency {id: row.payer}) CREATE (a)-[:MADE]->(p)",
            "MATCH (s:Scheme {id: row.scheme_id}) CREATE (p)-[:UNDER]->(s)",
            "MATCH (n:Person {id: row.person}) CREATE (p)-[:PAID_TO]->(n)"):
        tx.run(f"UNWIND $rows AS row MATCH (p:Payment {{id: row.id}}) {statement}",
               {"rows": rows})
    on_case = [row for row in rows if row.get("case")]
    if on_case:
        tx.run("UNWIND $rows AS row MATCH (p:Payment {id: row.id}) MATCH (c:Case {id: row.case}) "
               "CREATE (p)-[:PAID_ON]->(c)", {"rows": on_case})


def unload_payments(store: Store, dataset: str) -> int:
    """Delete the payments of `dataset`; how many there were."""
    total = 0
    while True:
        counters = store.write("MATCH (p:Payment) WHERE p.dataset = $name WITH p LIMIT 20000 "
                               "DETACH DELETE p", {"name": dataset})
        if not counters["nodes_deleted"]:
            return total
        total += counters["nodes_deleted"]
