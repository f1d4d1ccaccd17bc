"""`medgraph export`: every format read back gives the graph that was exported.

The neo4j-admin files are loaded by the real `neo4j-admin database import full` into a new
Neo4j database where Java and Maven are here (as in CI); GraphML and GEXF are read by
networkx; the Cypher script is run statement by statement into an emptied store.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import neo4j
import networkx as nx
import pytest

from medgraph.graph.export import Selection, nodes_and_relationships
from medgraph.graph.export_formats import import_command, statements
from medgraph.graph.store import Store
from medgraph.loaders import synth
from medgraph.loaders.cases import load_cases
from medgraph.loaders.model import load_model, read_model

MINI = Path(__file__).parent / "fixtures" / "mini"

SERVER = Path(__file__).parent.parent / "neo4j-test-server" / "neo4j-test-server"
# The header types of neo4j-admin's CSV format (Neo4j 5 Operations Manual, "Import": CSV
# header format), each optionally an array with [].
NEO4J_TYPES = {"int", "long", "float", "double", "boolean", "byte", "short", "char", "string",
               "point", "date", "localtime", "time", "localdatetime", "datetime", "duration"}
FIELD = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*):(?P<type>[a-z]+)(?P<array>\[\])?$")
HOSTILE = "引号\"与'反斜杠\\ 换行\n回车\r制表\t段落\u2028结束 ;,"


def medgraph(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MEDGRAPH_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "medgraph", *args], env=env, text=True,
                          capture_output=True, timeout=600)


def snapshot(store: Store, selection: Selection | None = None) -> tuple[dict, dict]:
    """What an export should hold: nodes by (label, id), relationships by (type, id)."""
    nodes: dict[tuple[str, str], dict] = {}
    rels: dict[tuple[str, str], tuple] = {}
    for el in nodes_and_relationships(store, selection or Selection()):
        if el.start is None:
            nodes[(el.type, el.id)] = el.props
        else:
            rels[(el.type, el.id)] = (el.start, el.end, el.props)
    return nodes, rels


def graph_of(driver: neo4j.Driver) -> tuple[dict, dict]:
    with driver.session() as session:
        nodes = {(r["l"], r["p"]["id"]): r["p"] for r in session.run(
            "MATCH (n) RETURN labels(n)[0] AS l, properties(n) AS p")}
        rels = {(r["t"], r["p"]["id"]): ((r["a"], r["ai"]), (r["b"], r["bi"]), r["p"])
                for r in session.run(
                    "MATCH (a)-[r]->(b) RETURN type(r) AS t, properties(r) AS p, "
                    "labels(a)[0] AS a, a.id AS ai, labels(b)[0] AS b, b.id AS bi")}
    return nodes, rels


@pytest.fixture()
def hostile_store(empty_store: Store) -> Store:
    """The mini model, a small city, and a node whose text holds every character a format
    must escape."""
    load_model(empty_store, read_model(MINI))
    persons, cases = synth.records(synth.generate_city(300, seed=4))
    results = [{"id": c["id"], "payments": {"basic_medical_insurance": 1.0}, "explanations": [],
                "out_of_pocket": c["total_cost"] - 1.0} for c in cases]
    load_cases(empty_store, persons, cases, results, "mini", dataset="city")
    empty_store.write("CREATE (:Agency {id: 'odd', name_zh: $t, kind: 'government', "
                      "model: 'mini', quote: $t})", {"t": HOSTILE})
    return empty_store


def test_neo4j_admin_files_have_the_documented_headers_and_read_back_whole(
        loaded_store: Store, store_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "admin"
    done = medgraph(store_home, "export", "--format", "neo4j-admin", "--model", "hangzhou",
                    "-o", str(out))
    assert done.returncode == 0, done.stderr
    nodes, rels = snapshot(loaded_store, Selection(model="hangzhou"))
    read_nodes: dict[tuple[str, str], dict] = {}
    read_rels: Counter[str] = Counter()
    for path in sorted((out / "nodes").glob("*.csv")):
        header, rows = _read_csv(path)
        assert header[0] == f"id:ID({path.stem})", path
        for row in rows:
            props = _typed(header[1:], row[1:])
            read_nodes[(path.stem, row[0])] = {"id": row[0], **props}
    for path in sorted((out / "relationships").glob("*.csv")):
        rel_type, start, end = path.stem.split("-")
        header, rows = _read_csv(path)
        assert header[:2] == [f":START_ID({start})", f":END_ID({end})"], path
        for row in rows:
            props = _typed(header[2:], row[2:])
            assert rels[(rel_type, props["id"])] == ((start, row[0]), (end, row[1]), props)
            read_rels[rel_type] += 1
    assert read_nodes == nodes
    assert sum(read_rels.values()) == len(rels)
    command = import_command(out)
    assert command[:5] == ["neo4j-admin", "database", "import", "full", "neo4j"]
    named = {a.split("=", 2)[2] for a in command if a.startswith(("--nodes=", "--relationships="))}
    assert named == {str(p.relative_to(out)) for p in out.rglob("*.csv")}


def _read_csv(path: Path) -> tuple[list[str], list[list[str | None]]]:
    """A file's header, checked against neo4j-admin's format, and its rows; an empty field
    is an absent property (the graph holds no empty texts)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        header = next(reader)
        rows = [[None if cell == "" else cell for cell in row] for row in reader]
    for field in header:
        if field.startswith(":"):
            assert re.match(r"^:(START_ID|END_ID)\([A-Z][A-Za-z]*\)$", field), field
        elif ":ID(" not in field:
            match = FIELD.match(field)
            assert match and match["type"] in NEO4J_TYPES, f"{path.name}: {field}"
    return header, rows


def _typed(header: list[str], cells: list[str | None]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for field, cell in zip(header, cells, strict=True):
        if cell is None:
            continue
        name, kind = field.split(":")
        base = kind.removesuffix("[]")
        convert = {"long": int, "double": float, "boolean": lambda v: v == "true"}.get(base, str)
        props[name] = [convert(v) for v in cell.split(";")] if kind.endswith("[]") \
            else convert(cell)
    return props


def _neo4j_available() -> bool:
    done = subprocess.run([str(SERVER), "available"], capture_output=True, text=True)
    if done.returncode != 0 and os.environ.get("MEDGRAPH_REQUIRE_NEO4J") == "1":
        pytest.fail(f"MEDGRAPH_REQUIRE_NEO4J=1 but {done.stdout.strip()}")
    return done.returncode == 0


def test_neo4j_admin_import_loads_the_export_into_a_real_neo4j(
        hostile_store: Store, tmp_path: Path) -> None:
    if not _neo4j_available():
        pytest.skip("no Java 17+ and Maven for a Neo4j server")
    out = tmp_path / "admin"
    done = medgraph(hostile_store.settings.home, "export", "--format", "neo4j-admin",
                    "-o", str(out))
    assert done.returncode == 0, done.stderr
    server = tmp_path / "neo4j"
    started = subprocess.run([str(SERVER), "import", str(out), str(server)],
                             capture_output=True, text=True, timeout=600)
    try:
        assert started.returncode == 0, started.stderr
        env = dict(line.removeprefix("export ").split("=", 1)
                   for line in started.stdout.splitlines())
        with neo4j.GraphDatabase.driver(env["MEDGRAPH_NEO4J_URI"], auth=(
                env["MEDGRAPH_NEO4J_USER"], env["MEDGRAPH_NEO4J_PASSWORD"])) as driver:
            imported = graph_of(driver)
    finally:
        subprocess.run([str(SERVER), "stop", str(server)], capture_output=True, timeout=120)
    nodes, rels = snapshot(hostile_store)
    assert imported[0] == nodes
    assert imported[1] == rels
    assert imported[0][("Agency", "odd")]["name_zh"] == HOSTILE


def test_graphml_and_gexf_open_in_networkx_with_names_types_and_periods(
        hostile_store: Store, tmp_path: Path) -> None:
    nodes, rels = snapshot(hostile_store)
    for fmt in ("graphml", "gexf"):
        done = medgraph(hostile_store.settings.home, "export", "--format", fmt,
                        "-o", str(tmp_path / fmt))
        assert done.returncode == 0, done.stderr
        path = tmp_path / fmt / f"graph.{fmt}"
        graph = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
        assert graph.number_of_nodes() == len(nodes)
        assert graph.number_of_edges() == len(rels)
        odd = graph.nodes["Agency:odd"]
        assert odd["label"] == HOSTILE and odd["quote"] == HOSTILE
        labels = Counter(data.get("labels") for _, data in graph.nodes(data=True))
        assert labels == Counter(f":{label}" for label, _ in nodes)
        types = Counter(data["label"] for *_, data in graph.edges(data=True))
        assert types == Counter(rel_type for rel_type, _ in rels)
        settled = [d for *_, d in graph.edges(data=True) if d["label"] == "SETTLED_BY"]
        assert settled and all(isinstance(d["amount"], float) for d in settled)
    gexf = nx.read_gexf(tmp_path / "gexf" / "graph.gexf")
    held = [(a, b, d) for a, b, d in gexf.edges(data=True) if d["label"] == "HOLDS"]
    # GEXF's own edge id is TYPE:id (networkx reads it as the edge's `id`)
    assert held and all(d["start"] == rels[tuple(d["id"].split(":", 1))][2]["valid_from"]
                        for *_, d in held)
    target = gexf.nodes["Indicator:mini.target.coverage"]
    assert (target["start"], target["end"]) == ("2023-01-01", "2024-12-31")
    case_id, case = next((k, v) for k, v in nodes.items() if k[0] == "Case")
    assert gexf.nodes[f"Case:{case_id[1]}"]["start"] == case["date"]


def test_the_cypher_script_recreates_the_graph_and_running_it_twice_changes_nothing(
        hostile_store: Store, tmp_path: Path) -> None:
    before = snapshot(hostile_store)
    done = medgraph(hostile_store.settings.home, "export", "--format", "cypher",
                    "-o", str(tmp_path / "script"))
    assert done.returncode == 0, done.stderr
    script = statements(tmp_path / "script" / "graph.cypher")
    hostile_store.write("MATCH (n) DETACH DELETE n")
    for _ in range(2):
        for statement in script:
            hostile_store.write(statement)
        assert snapshot(hostile_store) == before


def test_a_dataset_exports_with_the_model_nodes_it_points_to(
        hostile_store: Store, tmp_path: Path) -> None:
    nodes, rels = snapshot(hostile_store, Selection(dataset="city"))
    labels = Counter(label for label, _ in nodes)
    assert {"Person", "Case", "Burden", "Scheme"} <= set(labels)
    assert "Agency" not in labels  # the model's agencies are not the dataset's
    ends = {end for _, end, _ in rels.values()}
    assert ends <= set(nodes), "every relationship ends at an exported node"
    done = medgraph(hostile_store.settings.home, "export", "--format", "cypher", "--dataset",
                    "city", "-o", str(tmp_path / "city"))
    assert done.returncode == 0, done.stderr
    hostile_store.write("MATCH (n) DETACH DELETE n")
    for statement in statements(tmp_path / "city" / "graph.cypher"):
        hostile_store.write(statement)
    assert snapshot(hostile_store) == (nodes, rels)


def test_refusals_are_one_line_exit_2_and_leave_the_folder_as_it_was(
        hostile_store: Store, tmp_path: Path) -> None:
    home = hostile_store.settings.home
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "mine.txt").write_text("an analyst's notes", "utf-8")
    cases = [
        (["--format", "graphml", "-o", str(kept)], "exists and is not empty"),
        (["--format", "graphml", "--model", "hangzou", "-o", str(tmp_path / "a")],
         "unknown model 'hangzou'"),
        (["--format", "graphml", "--dataset", "nope", "-o", str(tmp_path / "b")],
         "unknown dataset 'nope'"),
        (["--format", "graphml", "--model", "mini", "--dataset", "city", "-o",
          str(tmp_path / "c")], "not both"),
        (["--format", "pajek", "-o", str(tmp_path / "d")], "pajek"),
    ]
    for args, words in cases:
        done = medgraph(home, "export", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert [p.name for p in kept.iterdir()] == ["mine.txt"]
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())
    # A list value holding neo4j-admin's array delimiter cannot be written: nothing is.
    hostile_store.write("MATCH (d:Dataset {id: 'city'}) SET d.years = ['2023;2024']")
    done = medgraph(home, "export", "--format", "neo4j-admin", "-o", str(tmp_path / "e"))
    assert done.returncode == 2 and "array delimiter" in done.stderr, done.stderr
    assert not (tmp_path / "e").exists()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())
    replaced = medgraph(home, "export", "--format", "graphml", "--overwrite", "-o", str(kept))
    assert replaced.returncode == 0, replaced.stderr
    assert [p.name for p in kept.iterdir()] == ["graph.graphml"]
