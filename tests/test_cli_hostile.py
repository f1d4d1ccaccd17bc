"""No traceback reaches a user: every command, given hostile arguments, says one line and exits 2.

Each row is run as a user runs it, `medgraph ...` in a process of its own, against the
shared store (which holds the shipped models). A refusal is one line on stderr beginning
`medgraph: `, exit code 2, and writes nothing. (Exit 1, a failure of the store itself, is
tested in test_datasets.py by killing the store in the middle of a load.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medgraph.graph.store import Store
from medgraph.loaders.synth import write_city

GOOD_PERSON = {"id": "P1", "household_id": "H1", "enrolled": True, "birth_year": 1970,
               "certificates": []}
GOOD_CASE = {"id": "C1", "person_id": "P1", "date": "2024-03-10", "setting": "inpatient",
             "total_cost": 1000.0, "policy_scope_cost": 800.0, "referred": True,
             "facility_level": "county"}


def _input(person: dict | None = None, case: dict | None = None) -> str:
    return json.dumps({"persons": [{**GOOD_PERSON, **(person or {})}],
                       "cases": [{**GOOD_CASE, **(case or {})}]})


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The odd files the table points to, as {name} in its arguments."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "latin1.cypher").write_bytes("RETURN 'café' AS x".encode("latin-1"))
    (root / "deep.json").write_text('{"persons": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (root / "bigint.json").write_text(_input({"birth_year": 99999999999999999999}))
    (root / "inf.json").write_text(_input({"birth_year": 1e400}).replace("Infinity", "1e400"))
    (root / "fraction.json").write_text(_input({"birth_year": 1962.7}))
    (root / "bool.json").write_text(_input({"birth_year": True}))
    (root / "year0.json").write_text(_input(case={"date": "0000-01-01"}))
    # json.dumps writes the lone surrogate as the escape \ud800, as JSON carries it
    (root / "surrogate.json").write_text(_input({"id": "P\ud800"}, {"person_id": "P\ud800"}))
    (root / "bigid.json").write_text(_input({"id": "P" * 1_000_000},
                                            {"person_id": "P" * 1_000_000}))
    (root / "notutf8.json").write_bytes(_input().encode("utf-16"))
    (root / "empty.json").write_text("")
    (root / "list.json").write_text("[1, 2, 3]")
    city = root / "city"
    write_city(city, persons=50, seed=1)
    for name, change in {
        "cronly": lambda d: (d / "cases.csv").write_bytes(
            (d / "cases.csv").read_bytes().replace(b"\n", b"\r")),
        "dupcol": lambda d: (d / "persons.csv").write_text(
            "id,household_id,enrolled,id\nP1,H1,true,P2\n", "utf-8"),
        "nocert": lambda d: (d / "certificates.csv").unlink(),
    }.items():
        folder = root / name
        write_city(folder, persons=50, seed=1)
        change(folder)
    (root / "a-dir").mkdir()
    return root


HOSTILE: list[tuple[str, ...]] = [
    # query: timeouts, limits, parameters, files, statements
    ("query", "RETURN 1", "--timeout", "0"),
    ("query", "RETURN 1", "--timeout", "-1"),
    ("query", "RETURN 1", "--timeout", "nan"),
    ("query", "RETURN 1", "--timeout", "inf"),
    ("query", "RETURN 1", "--timeout", "soon"),
    ("query", "RETURN 1", "--limit", "-1"),
    ("query", "RETURN 1", "--param", "novalue"),
    ("query", "RETURN $x AS x", "--param", "x=99999999999999999999"),
    ("query", "RETURN $x AS x"),
    ("query", "trace_case"),
    ("query", "no_such_query"),
    ("query", ""),
    ("query", "MATCH (n RETURN n"),
    ("query", "-f", "{files}/latin1.cypher"),
    ("query", "-f", "{files}/missing.cypher"),
    ("query", "-f", "{files}/a-dir"),
    # load cases: odd files, odd values, odd names
    ("load", "cases", "{files}/nowhere"),
    ("load", "cases", "{files}/deep.json"),
    ("load", "cases", "{files}/bigint.json"),
    ("load", "cases", "{files}/inf.json"),
    ("load", "cases", "{files}/fraction.json"),
    ("load", "cases", "{files}/bool.json"),
    ("load", "cases", "{files}/year0.json"),
    ("load", "cases", "{files}/surrogate.json"),
    ("load", "cases", "{files}/bigid.json"),
    ("load", "cases", "{files}/notutf8.json"),
    ("load", "cases", "{files}/empty.json"),
    ("load", "cases", "{files}/list.json"),
    ("load", "cases", "{files}/cronly"),
    ("load", "cases", "{files}/dupcol"),
    ("load", "cases", "{files}/nocert"),
    ("load", "cases", "{files}/city", "--model", "hangzou"),
    ("load", "cases", "{files}/city", "--batch-size", "0"),
    ("load", "cases", "{files}/city", "--dataset", "../etc"),
    ("load", "model", "hangzou"),
    ("model", "validate", "hangzou"),
    ("model", "check", "hangzou"),
    # unknown names and years
    ("gaps", "--model", "hangzou"),
    ("gaps", "--year", "1800"),
    ("gaps", "--warning-line", "-5"),
    ("gaps", "--warning-line", "nan"),
    ("islands", "--model", "hangzou"),
    ("islands", "--without", "nowhere"),
    ("kpi", "--year", "1999"),
    ("kpi", "--year", "twenty"),
    ("kpi", "--year", "2024", "--model", "hangzou"),
    ("draw", "nowhere"),
    ("draw", "coordination", "--model", "hangzou"),
    ("draw", "case"),
    ("draw", "case", "NO-SUCH-CASE"),
    ("report", "--model", "hangzou"),
    ("report", "--year", "1800"),
    ("trace", "NO-SUCH-CASE"),
    ("unload", "nowhere"),
    # settle, synth, serve, others
    ("settle", "{files}/nowhere"),
    ("settle", "{files}/city", "--model", "hangzou"),
    ("settle", "{files}/city", "--engine", "quantum"),
    ("settle", "{files}/city", "-o", "/proc/no/out.json"),
    ("synth", "--persons", "0", "--seed", "1", "-o", "{files}/out"),
    ("synth", "--persons", "10", "--seed", "1", "--years", "2025-2023", "-o", "{files}/out"),
    ("synth", "--persons", "10", "--seed", "one", "-o", "{files}/out"),
    ("synth", "--persons", "10", "--seed", "1", "--prefix", "a b", "-o", "{files}/out"),
    ("synth", "--persons", "10", "--seed", "1", "-o", "/proc/no"),
    ("serve", "--port", "99999"),
    ("serve", "--workers", "0"),
    ("demo", "--persons", "0"),
    ("bench", "--scale", "7"),
    ("api-key", "revoke", "nobody"),
    ("db", "nonsense"),
    ("nonsense",),
]


@pytest.mark.parametrize("args", HOSTILE, ids=[" ".join(a)[:60] for a in HOSTILE])
def test_hostile_arguments_get_one_line_and_exit_2(
        loaded_store: Store, files: Path, args: tuple[str, ...]) -> None:
    argv = [a.replace("{files}", str(files)) for a in args]
    env = dict(os.environ, MEDGRAPH_HOME=str(loaded_store.settings.home))
    env.pop("MEDGRAPH_DEBUG", None)
    persons = loaded_store.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
    done = subprocess.run([sys.executable, "-m", "medgraph", *argv], env=env,
                          capture_output=True, text=True, timeout=300)
    lines = done.stderr.splitlines()
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("medgraph: "), done.stderr[-2000:]
    assert len(lines[0]) < 2000
    assert "Traceback" not in done.stdout + done.stderr
    assert loaded_store.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"] == persons

