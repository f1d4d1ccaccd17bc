"""The accountability trace of one case: who funds, certifies, pays and supervises it.

It runs the named query `queries/trace_case.cypher` and returns its sections
under the JSON keys the CLI and the API share: `case`, `payments`, `funds`,
`certifies`, `pays`, `supervises`. Every row of the last four carries the
citation (`source`, `locator`, `quote`, `assumption`, `note`) of the relation
it rests on, and a one-line `citation` for people.

>>> trace = trace_case(store, "C000001")                 # doctest: +SKIP
>>> sorted(trace)                                          # doctest: +SKIP
['case', 'certifies', 'funds', 'pays', 'payments', 'supervises']
"""

from __future__ import annotations

from typing import Any

from medgraph.graph.store import Store
from medgraph.queries import load_query

SECTIONS = ("payments", "funds", "certifies", "pays", "supervises")


class CaseNotFound(KeyError):
    """No case has this id (the CLI exits 2, the API answers 404)."""


def citation(row: dict[str, Any]) -> str:
    """One line saying where a statement comes from.

    >>> citation({"source": "002_5b6d36cec4e37cac.txt", "locator": "二(二)", "quote": "救助80%"})
    '002_5b6d36cec4e37cac.txt 二(二) 「救助80%」'
    >>> citation({"source": "002_5b6d36cec4e37cac.txt", "locator": "二(四)", "assumption": True,
    ...           "note": "not stated"})
    '002_5b6d36cec4e37cac.txt 二(四) [assumption: not stated]'
    """
    if not row.get("source"):
        return ""
    where = f"{row['source']} {row.get('locator') or ''}".strip()
    if row.get("assumption"):
        return f"{where} [assumption: {row.get('note') or 'not stated in the source'}]"
    return f"{where} 「{row['quote']}」" if row.get("quote") else where


def trace_case(store: Store, case_id: str) -> dict[str, Any]:
    rows = store.read(load_query("trace_case").text, {"case_id": case_id})
    if not rows:
        raise CaseNotFound(f"no case with id {case_id!r}")
    row = rows[0]
    trace: dict[str, Any] = {
        "case": {**row["details"], "person_id": row["person_id"],
                 "household_id": row["household_id"]}
    }
    for section in SECTIONS:
        items = [item for item in row[section] if item is not None]
        if section != "payments":
            for item in items:
                item["citation"] = citation(item)
        trace[section] = items
    return trace
