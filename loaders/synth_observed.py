"""Synthetic payer records for a synthetic city, with known duplicate, excess and missed aid.

`medgraph synth --observed` settles the city it wrote with the model's rules and writes, in
`OUT/observed/`, what the payers of aid after insurance would hold if each paid exactly what
the rules entitle (`payments.csv`), with anomalies injected at the rates of `RATES`, and
the anomalies themselves (`truth.csv`: kind and unit), so that the reconciliation's
detectors can be measured for recall and precision (docs/findings.md, "Reconciliation").

Only the aid after insurance is written (medical assistance, special assistance, charity):
the layers 000 §4.2 names as paying "without shared information". Insurance is what the
case data give, and is not repeated.

Every injection lands on its own person-year (one anomaly each), so that each is one
finding of its kind on its unit:

- `missed`: an entitled record left out. Truth: missed_aid.
- `duplicate`: a second body (the Red Cross, the charity federation or the disabled
  persons' federation, in turn) pays charity on a case that received medical assistance,
  the assistance amount again; half of them pay the person without the case (person_id and
  date), on person-years of one case. Truth: duplicate_aid.
- `excess`: medical security pays assistance on a case it alone pays, its entitlement plus
  the patient's share plus a tenth of the bill. Truth: excess_payment and overpayment.
- `beyond_scope`: medical security pays assistance on a case it alone pays, with at least
  20 yuan of its bill outside the policy scope: all the scope the schemes before it left,
  and half the cost outside the scope; within the bill. Truth: excess_over_scope and
  overpayment.
- `ineligible`: medical security pays 500 yuan of assistance on a case of a person who
  holds no certificate. Truth: ineligible_payment.

Whenever the records of a unit add up to more than its bill, excess_payment is in the truth
too, and excess_over_scope whenever a record under a scheme bound by the policy scope
(analysis.policy_scope) goes beyond the scope left to it: the generator knows what it paid.

All rates are assumptions (the documents give no rates of 重复救助 or 超额救助): each is a
share of the records, or of the cases, that could carry it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from medgraph.analysis.policy_scope import scope_bound
from medgraph.settlement import load_rules, read_input
from medgraph.settlement.vectorised import settle_payments

RATES = {"missed": 0.05, "duplicate": 0.03, "excess": 0.02, "beyond_scope": 0.02,
         "ineligible": 0.002}
OUTSIDE_SCOPE_FEN = 20_00  # the least cost outside the scope a beyond_scope case has
PAYERS = {"medical_assistance": "hangzhou.medical_security",
          "special_assistance": "hangzhou.medical_security",
          "charity_assistance": "hangzhou.charity_organisations"}
SECOND_PAYERS = ("hangzhou.red_cross", "hangzhou.charity_federation",
                 "hangzhou.disabled_persons_federation")
INELIGIBLE_FEN = 500_00
HEADER = ("case_id", "person_id", "payer", "scheme", "amount", "date", "reference")


def _iso(days: np.ndarray) -> list[str]:
    return np.datetime_as_string(days.astype("datetime64[D]")).tolist()


def write_observed(city: Path, out: Path, seed: int, model: str = "hangzhou",
                   rates: dict[str, float] | None = None) -> list[Path]:
    """Write `out`/observed/payments.csv and truth.csv for the city read from `city`."""
    rates = {**RATES, **(rates or {})}
    inp = read_input(city)
    rules = load_rules(model)
    paid = settle_payments(inp, rules)
    rng = np.random.default_rng(seed + 7919)
    n = len(inp)
    year = inp.case_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    person_year = inp.case_person.astype(np.int64) * 4096 + (year - 1900)
    _, py_index, py_cases = np.unique(person_year, return_inverse=True, return_counts=True)
    used = np.zeros(len(py_cases), dtype=bool)  # person-years that carry an anomaly

    def take(candidates: np.ndarray, rate: float) -> np.ndarray:
        """A share `rate` of the candidate cases, one per free person-year, marked used."""
        candidates = candidates[~used[py_index[candidates]]]
        picked = candidates[rng.random(len(candidates)) < rate]
        _, first = np.unique(py_index[picked], return_index=True)
        picked = picked[np.sort(first)]
        used[py_index[picked]] = True
        return picked

    ma = paid["medical_assistance"]
    others = sum(paid[s] for s in PAYERS if s != "medical_assistance")
    total = inp.total_fen
    patient = total - sum(paid.values())
    # (case, scheme, payer, fen, by person) of every record, and the truth
    rows: list[tuple[int, str, str, int, bool]] = []
    truth: set[tuple[str, str]] = set()
    drop: set[tuple[int, str]] = set()
    entitled = [(s, np.flatnonzero(paid[s] > 0)) for s in PAYERS]
    all_entitled = np.unique(np.concatenate([rows_ for _, rows_ in entitled]))
    for case in take(all_entitled, rates["missed"]).tolist():
        scheme = next(s for s, _ in entitled if paid[s][case] > 0)
        drop.add((case, scheme))
        truth.add(("missed_aid", inp.case_ids[case]))
    duplicates = take(np.flatnonzero(ma > 0), rates["duplicate"])
    excess = take(np.flatnonzero((ma > 0) & (others == 0)), rates["excess"])
    # what the schemes before assistance in the settlement order paid (none of them a payer
    # of these records, in the Hangzhou order); a case of the injection is chosen where that
    # and assistance stay within the scope
    first = rules.order[:rules.order.index("medical_assistance")]
    before_ma = sum((paid[s] for s in first if s not in PAYERS), np.zeros(n, dtype=np.int64))
    outside = total - inp.scope_fen
    beyond = take(np.flatnonzero((ma > 0) & (others == 0) & (outside >= OUTSIDE_SCOPE_FEN)
                                 & (before_ma + ma <= inp.scope_fen)), rates["beyond_scope"])
    beyond_fen = {int(c): int(inp.scope_fen[c] - before_ma[c] - ma[c] + outside[c] // 2)
                  for c in beyond.tolist()}
    holders = np.zeros(len(inp.person_ids), dtype=bool)
    holders[inp.cert_person] = True
    bare = np.flatnonzero(~holders[inp.case_person] & (ma == 0) & (others == 0))
    ineligible = take(bare, rates["ineligible"])
    excess_set = set(excess.tolist())
    for scheme, cases in entitled:
        for case in cases.tolist():
            if (case, scheme) in drop:
                continue
            fen = int(paid[scheme][case])
            if case in excess_set and scheme == "medical_assistance":
                fen += int(patient[case]) + int(total[case]) // 10
            if case in beyond_fen and scheme == "medical_assistance":
                fen += beyond_fen[case]
            rows.append((case, scheme, PAYERS[scheme], fen, False))
    person_keyed: set[int] = set()
    for k, case in enumerate(duplicates.tolist()):
        by_person = k % 2 == 1 and py_cases[py_index[case]] == 1
        if by_person:
            person_keyed.add(case)
        rows.append((case, "charity_assistance", SECOND_PAYERS[k % len(SECOND_PAYERS)],
                     int(ma[case]), by_person))
        unit = f"{inp.person_ids[inp.case_person[case]]}|{year[case]}" if by_person \
            else inp.case_ids[case]
        truth.add(("duplicate_aid", unit))
    for case in (*excess.tolist(), *beyond.tolist()):
        truth.add(("overpayment", inp.case_ids[case]))
    for case in ineligible.tolist():
        rows.append((case, "medical_assistance", PAYERS["medical_assistance"], INELIGIBLE_FEN,
                     False))
        truth.add(("ineligible_payment", inp.case_ids[case]))
    # beyond the bill: the records and the insurance the case data give (settled) together
    insurance = sum(paid[s] for s in paid if s not in PAYERS)
    on_case = np.zeros(n, dtype=np.int64)
    for case, _, _, fen, _ in rows:
        on_case[case] += fen
    for case in np.flatnonzero(insurance + on_case > total + 100).tolist():
        unit = f"{inp.person_ids[inp.case_person[case]]}|{year[case]}" \
            if case in person_keyed else inp.case_ids[case]
        truth.add(("excess_payment", unit))
    # beyond the scope: each record's scheme bound by it, in the settlement order, on what
    # the schemes before it (insurance as settled, records as written) left of the scope
    recorded = {s: np.zeros(n, dtype=np.int64) for s in PAYERS}
    for case, scheme, _, fen, by_person in rows:
        if not by_person:  # a person-keyed record is charity's, bound by the bill only
            recorded[scheme][case] += fen
    bound = scope_bound(rules)
    before = np.zeros(n, dtype=np.int64)
    for scheme in rules.order:
        amount = recorded[scheme] if scheme in PAYERS else paid[scheme]
        if scheme in PAYERS and scheme in bound:
            room = inp.scope_fen if not bound[scheme].remaining \
                else np.maximum(0, inp.scope_fen - before)
            for case in np.flatnonzero(amount - room > 100).tolist():
                truth.add(("excess_over_scope", inp.case_ids[case]))
        before = before + amount
    out = Path(out) / "observed"
    out.mkdir(parents=True, exist_ok=True)
    days = _iso(inp.case_day)
    payments, truth_file = out / "payments.csv", out / "truth.csv"
    with payments.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for number, (case, scheme, payer, fen, by_person) in enumerate(sorted(rows), start=1):
            person = inp.person_ids[inp.case_person[case]]
            writer.writerow(("" if by_person else inp.case_ids[case],
                             person if by_person else "", payer, scheme,
                             f"{fen / 100:.2f}", days[case], f"R{number}"))
    with truth_file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("kind", "unit"))
        writer.writerows(sorted(truth))
    return [payments, truth_file]


def score(findings: list[dict], truth_path: Path) -> dict[str, dict[str, float]]:
    """Recall and precision per kind of the findings (`to_dict()` form) against truth.csv."""
    with Path(truth_path).open(encoding="utf-8") as handle:
        truth = {(row["kind"], row["unit"]) for row in csv.DictReader(handle)}
    found = {(f["kind"], f["facts"]["unit"]) for f in findings}
    out = {}
    for kind in sorted({k for k, _ in truth} | {k for k, _ in found}):
        t = {u for k, u in truth if k == kind}
        f = {u for k, u in found if k == kind}
        hit = len(t & f)
        out[kind] = {"truth": len(t), "found": len(f), "hits": hit,
                     "recall": round(hit / len(t), 4) if t else None,
                     "precision": round(hit / len(f), 4) if f else None}
    return out
