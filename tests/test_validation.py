"""Input validation is complete before anything is written, and JSON and CSV agree.

Every value is checked for what a person can be and the store can hold. Each hostile value
is tried in both formats where both can carry it: the refusal names the file, the field and
(for CSV) the line, and a load of it writes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from medgraph import settlement
from medgraph.graph.store import Store
from medgraph.loaders.errors import InputError

PERSON = {"id": "P1", "household_id": "H1", "enrolled": True, "birth_year": 1970,
          "certificates": [{"category": "minimum_living", "valid_from": "2023-01-01",
                            "valid_to": "2025-12-31", "due_to_illness": False}]}
CASE = {"id": "C1", "person_id": "P1", "date": "2024-03-10", "setting": "inpatient",
        "total_cost": 1000.0, "policy_scope_cost": 800.0, "referred": True,
        "facility_level": "county"}


def _json(tmp: Path, person: dict[str, Any] | None = None, case: dict[str, Any] | None = None,
          text: str | None = None) -> Path:
    path = tmp / "input.json"
    if text is None:
        text = json.dumps({"persons": [{**PERSON, **(person or {})}],
                           "cases": [{**CASE, **(case or {})}]})
    path.write_text(text, "utf-8")
    return path


def _csv(tmp: Path, person: dict[str, str] | None = None, case: dict[str, str] | None = None,
         cert: dict[str, str] | None = None) -> Path:
    folder = tmp / "city"
    folder.mkdir(exist_ok=True)
    rows = {
        "persons.csv": {"id": "P1", "household_id": "H1", "enrolled": "true",
                        "birth_year": "1970", **(person or {})},
        "certificates.csv": {"person_id": "P1", "category": "minimum_living",
                             "valid_from": "2023-01-01", "valid_to": "2025-12-31",
                             "due_to_illness": "false", **(cert or {})},
        "cases.csv": {k: str(v).lower() if isinstance(v, bool) else str(v)
                      for k, v in {**CASE, **(case or {})}.items()},
    }
    for name, row in rows.items():
        (folder / name).write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n",
                                   "utf-8")
    return folder


# (what, JSON person or case change, CSV change or None when CSV cannot carry it, field)
HOSTILE = [
    ("fractional birth year", {"birth_year": 1962.7}, {"birth_year": "1962.7"}, "birth_year"),
    ("boolean birth year", {"birth_year": True}, {"birth_year": "true"}, "birth_year"),
    ("negative birth year", {"birth_year": -50000}, {"birth_year": "-50000"}, "birth_year"),
    ("birth year beyond 64 bits", {"birth_year": 99999999999999999999},
     {"birth_year": "99999999999999999999"}, "birth_year"),
    ("birth year 1e400", {"birth_year": 1e400}, {"birth_year": "1e400"}, "birth_year"),
    ("birth year in the future", {"birth_year": 3024}, {"birth_year": "3024"}, "birth_year"),
    ("a 1 MB id", {"id": "P" * 1_000_000}, {"id": "P" * 1_000_000}, "id"),
    ("a lone surrogate in an id", {"id": "P\ud800"}, None, "id"),
    ("a lone surrogate in a household", {"household_id": "H\udfff"}, None, "household_id"),
]
CASE_HOSTILE = [
    ("date of year 0", {"date": "0000-01-01"}, {"date": "0000-01-01"}, "date"),
    ("cost 1e400", {"total_cost": 1e400}, {"total_cost": "1e400"}, "total_cost"),
    ("cost beyond 64 bits", {"total_cost": 99999999999999999999},
     {"total_cost": "99999999999999999999"}, "total_cost"),
    ("negative cost", {"total_cost": -50000}, {"total_cost": "-50000"}, "total_cost"),
    ("a 1 MB case id", {"id": "C" * 1_000_000}, {"id": "C" * 1_000_000}, "id"),
]


@pytest.mark.parametrize(("what", "json_change", "csv_change", "field"), HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_a_hostile_person_value_is_refused_in_both_formats(
        tmp_path: Path, what: str, json_change: dict, csv_change: dict | None,
        field: str) -> None:
    person = {**json_change}  # the case (and in CSV the certificate) point to the person
    with pytest.raises(InputError) as refused:
        settlement.read_input(_json(tmp_path, person=person,
                                    case={"person_id": person.get("id", "P1")}))
    assert field in str(refused.value) and "input.json" in str(refused.value)
    assert len(str(refused.value)) < 400
    if csv_change is not None:
        folder = _csv(tmp_path, person=csv_change, case={"person_id": csv_change.get("id", "P1")},
                      cert={"person_id": csv_change.get("id", "P1")})
        with pytest.raises(InputError) as refused:
            settlement.read_input(folder)
        assert "persons.csv:2" in str(refused.value) and field in str(refused.value)
        assert len(str(refused.value)) < 400


@pytest.mark.parametrize(("what", "json_change", "csv_change", "field"), CASE_HOSTILE,
                         ids=[h[0] for h in CASE_HOSTILE])
def test_a_hostile_case_value_is_refused_in_both_formats(
        tmp_path: Path, what: str, json_change: dict, csv_change: dict, field: str) -> None:
    with pytest.raises(InputError) as refused:
        settlement.read_input(_json(tmp_path, case=json_change))
    assert field in str(refused.value) and len(str(refused.value)) < 400
    with pytest.raises(InputError) as refused:
        settlement.read_input(_csv(tmp_path, case=csv_change))
    assert "cases.csv:2" in str(refused.value) and field in str(refused.value)


def test_the_same_good_values_are_taken_by_both_formats(tmp_path: Path) -> None:
    from_json = settlement.read_input(_json(tmp_path, person={"birth_year": 1880}))
    from_csv = settlement.read_input(_csv(tmp_path, person={"birth_year": "1880"}))
    assert from_json.birth_year == from_csv.birth_year == [1880]
    assert settlement.as_records(from_json) == settlement.as_records(from_csv)


def test_json_nested_deeply_is_refused(tmp_path: Path) -> None:
    path = _json(tmp_path, text='{"persons": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InputError, match="nested too deeply"):
        settlement.read_input(path)


def test_csv_with_cr_only_line_endings_is_refused(tmp_path: Path) -> None:
    folder = _csv(tmp_path)
    cases = folder / "cases.csv"
    cases.write_bytes(cases.read_bytes().replace(b"\n", b"\r"))
    with pytest.raises(InputError, match=r"cases.csv:1: .*CR"):
        settlement.read_input(folder)


def test_csv_with_a_column_twice_names_file_line_and_column(tmp_path: Path) -> None:
    folder = _csv(tmp_path)
    persons = folder / "persons.csv"
    persons.write_text("id,household_id,enrolled,id\nP1,H1,true,P2\n", "utf-8")
    with pytest.raises(InputError, match=r"persons.csv:1: id: column 'id' appears twice"):
        settlement.read_input(folder)


def test_a_refused_value_in_the_last_record_writes_nothing(
        loaded_store: Store, tmp_path: Path) -> None:
    """The birth year that once failed in the last batch, after 7 of 8 were written."""
    from medgraph.loaders.synth import generate_city, records

    persons, cases = records(generate_city(2000, seed=9), "v-")
    persons[-1]["birth_year"] = 99999999999999999999
    path = tmp_path / "city.json"
    path.write_text(json.dumps({"persons": persons, "cases": cases}), "utf-8")
    env = dict(os.environ, MEDGRAPH_HOME=str(loaded_store.settings.home))
    done = subprocess.run([sys.executable, "-m", "medgraph", "load", "cases", str(path),
                           "--batch-size", "300"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "birth_year" in done.stderr, done.stderr
    assert loaded_store.read("MATCH (p:Person) WHERE p.id STARTS WITH 'v-' "
                             "RETURN count(p) AS n")[0]["n"] == 0
