"""The accountability trace of one case: who funds, certifies, pays and supervises it.

The named query `queries/trace_case.cypher` answers it in one statement, for
analysts. `trace_case` here gives the same answer (tests/test_trace_kpi.py
checks it) from two: `case_facts`, what the case itself says, and
`scheme_accountability`, who funds, pays, supervises and certifies around the
schemes that paid it. The second depends only on those schemes, their models
and the categories held, which a city's cases share by the thousand, so a
server keeps its answers in an `AccountabilityCache`: a lookup then costs the
store one small read instead of a walk through the institutional model.

Sections come under the JSON keys the CLI and the API share: `case`,
`payments`, `funds`, `certifies`, `pays`, `supervises`. Every row of the last
four carries the citation (`source`, `locator`, `quote`, `assumption`, `note`)
of the relation it rests on, and a one-line `citation` for people.

>>> trace = trace_case(store, "s1-C000001")                 # doctest: +SKIP
>>> sorted(trace)                                          # doctest: +SKIP
['case', 'certifies', 'funds', 'pays', 'payments', 'supervises']
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
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
    # another passage says otherwise: the statement is contested (queries/conflicts.cypher)
    contested = f" [contested: {row['contested_by']}]" if row.get("contested_by") else ""
    if row.get("assumption"):
        return (f"{where} [assumption: {row.get('note') or 'not stated in the source'}]"
                f"{contested}")
    return (f"{where} 「{row['quote']}」" if row.get("quote") else where) + contested


class AccountabilityCache:
    """Answers of `scheme_accountability`, kept for `ttl` seconds.

    The model they come from changes only when a model is loaded. A load made through the
    same Store empties the cache at once (its `writes` count moves on); a load made by
    another process is seen after at most `ttl` seconds.

    >>> cache = AccountabilityCache(ttl=10)
    >>> cache.get(store, ("s",), ("m",), ())                   # doctest: +SKIP
    """

    def __init__(self, ttl: float = 10.0, size: int = 4096) -> None:
        self.ttl, self.size = ttl, size
        self._answers: dict[tuple, tuple[float, int, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, store: Store, schemes: tuple[str, ...], models: tuple[str, ...],
            categories: tuple[str, ...]) -> dict[str, Any]:
        key = (id(store), schemes, models, categories)
        now = time.monotonic()
        with self._lock:
            hit = self._answers.get(key)
        if hit and now - hit[0] < self.ttl and hit[1] == store.writes:
            return hit[2]
        answer = scheme_accountability(store, schemes, models, categories)
        with self._lock:
            if len(self._answers) >= self.size:
                self._answers.clear()
            self._answers[key] = (now, store.writes, answer)
        return answer


def scheme_accountability(store: Store, schemes: Iterable[str], models: Iterable[str],
                          categories: Iterable[str]) -> dict[str, Any]:
    """Funds, certifiers, pays and supervises around these schemes (the named query)."""
    rows = store.read(load_query("scheme_accountability").text, {
        "schemes": list(schemes), "models": list(models), "categories": list(categories)})
    return rows[0]


def _decoded(explanation: Any) -> Any:
    if isinstance(explanation, str):
        try:
            return json.loads(explanation)
        except ValueError:
            return explanation
    return explanation


def trace_case(store: Store, case_id: str, cache: AccountabilityCache | None = None
               ) -> dict[str, Any]:
    """The trace of one case; CaseNotFound when no case has the id."""
    rows = store.read(load_query("case_facts").text, {"case_id": case_id})
    if not rows:
        raise CaseNotFound(f"no case with id {case_id!r}")
    row = rows[0]
    key = (tuple(sorted(row["schemes"])), tuple(sorted(row["models"])),
           tuple(sorted({h["category_code"] for h in row["held"]})))
    around = cache.get(store, *key) if cache else scheme_accountability(store, *key)
    trace: dict[str, Any] = {
        "case": {**row["details"], "person_id": row["person_id"],
                 "household_id": row["household_id"]},
        # The store holds a payment's explanation as JSON text (a property cannot be a map);
        # callers get the object, not JSON inside JSON.
        "payments": [{**p, "explanation": _decoded(p.get("explanation"))}
                     for p in row["payments"] if p is not None],
    }
    certifiers: dict[str, list[dict[str, Any]]] = {}
    for cert in around["certifiers"]:
        certifiers.setdefault(cert["category_code"], []).append(cert)
    # copies: the rows of `around` may be a cache's, and each gets its citation below
    trace["funds"] = [dict(item) for item in around["funds"]]
    trace["certifies"] = [
        {**held, "certificate_zh": cert.get("certificate_zh") or held["certificate_zh"],
         **{k: cert.get(k) for k in ("agency_id", "agency_zh", "source", "locator", "quote",
                                     "assumption", "note", "contested_by")}}
        for held in row["held"]
        for cert in certifiers.get(held["category_code"]) or [{}]]
    trace["pays"] = [dict(item) for item in around["pays"]]
    trace["supervises"] = [dict(item) for item in around["supervises"]]
    for section in SECTIONS[1:]:
        for item in trace[section]:
            item["citation"] = citation(item)
    return trace
