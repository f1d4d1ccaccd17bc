"""Loading models: validation names file, line and field; loads are atomic and idempotent."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from medgraph.graph.store import Store
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import load_model, model_names, read_model

# The seed documents live beside the project (shared/seeds), or where MEDGRAPH_SEEDS says.
SEEDS = Path(os.environ.get("MEDGRAPH_SEEDS")
             or Path(__file__).resolve().parents[2] / "shared" / "seeds")

GOOD = """\
defaults:
  source: 002_5b6d36cec4e37cac.txt
entities:
  - id: t.civil_affairs
    label: Agency
    name_zh: 民政局
    kind: government
    locator: 三(二)
    quote: 民政部门负责
  - id: t.rule
    label: BenefitRule
    name_zh: 救助比例
    kind: assistance_rate
    rate: 0.8
    locator: 二(二)
    quote: 救助80%
relations:
  - {from: t.civil_affairs, type: CERTIFIES, to: minimum_living, locator: 二(二), quote: 民政}
"""


def write_model(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "t"
    folder.mkdir(exist_ok=True)
    (folder / "facts.yaml").write_text(text, "utf-8")
    return folder


def error_for(tmp_path: Path, text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        read_model(write_model(tmp_path, text))
    return caught.value


def test_good_model_reads(tmp_path: Path) -> None:
    model = read_model(write_model(tmp_path, GOOD))
    assert model.entities["t.rule"].props["rate"] == 0.8
    assert model.entities["t.rule"].props["source"] == "002_5b6d36cec4e37cac.txt"
    assert [r.id for r in model.relations if r.model == "t"] == [
        "t.civil_affairs|CERTIFIES|minimum_living"
    ]


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        (("rate: 0.8", "rate: 80"), 14, "rate", "at most 1"),
        (("rate: 0.8", "rate: eighty"), 14, "rate", "must be a number"),
        (("kind: government", "kind: ministry"), 7, "kind", "must be one of"),
        (("label: Agency", "label: Agencyy"), 5, "label", "unknown label"),
        (("    kind: government\n", "    kind: government\n    colour: red\n"), 8, "colour",
         "may not carry"),
        (("to: minimum_living", "to: nobody"), 18, "to", "is not defined"),
        (("id: t.rule", "id: t.civil_affairs"), 10, "id", "duplicate id"),
        (("    quote: 民政部门负责\n", ""), 4, "quote", "needs a quote"),
        (("    quote: 民政部门负责\n", "    assumption: true\n"), 4, "note", "needs a note"),
        (("type: CERTIFIES", "type: CERTIFIED"), 18, "type", "unknown relationship type"),
        (("to: minimum_living", "to: t.rule"), 18, "to", "cannot go to a BenefitRule"),
    ],
)
def test_bad_input_names_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, field: str, words: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    error = error_for(tmp_path, text)
    assert error.file.endswith("facts.yaml")
    assert error.line == line
    assert error.field == field
    assert words in str(error)


def test_bad_date_and_bad_source(tmp_path: Path) -> None:
    text = GOOD.replace("rate: 0.8", "rate: 0.8\n    valid_from: 2023-02-30")
    assert "not a real date" in str(error_for(tmp_path, text))
    text = GOOD.replace("source: 002_5b6d36cec4e37cac.txt", "source: hearsay.txt")
    assert error_for(tmp_path, text).field == "source"


def test_every_shipped_model_is_valid() -> None:
    assert {"hangzhou", "national", "lingqiu"} <= set(model_names())
    for name in model_names():
        read_model(name)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not beside the project")
def test_every_quote_occurs_in_its_source() -> None:
    """A quote is the document's own words: it must be found in the seed, spaces aside."""
    def squash(text: str) -> str:
        return re.sub(r"\s+", "", text)

    texts = {p.name: squash(p.read_text("utf-8")) for p in SEEDS.glob("*.txt")}
    missing = []
    for name in model_names():
        model = read_model(name)
        statements = [*model.entities.values(), *model.relations]
        for s in statements:
            quote = s.props.get("quote")
            if quote and squash(quote) not in texts[s.props["source"]]:
                missing.append(f"{s.file}:{s.line}: {quote}")
    assert missing == []


def test_load_is_idempotent(empty_store: Store) -> None:
    model = read_model("hangzhou")
    first = load_model(empty_store, model)
    assert first.summary()["nodes_created"] == len(model.entities)
    assert first.summary()["relationships_created"] == len(model.relations)
    snapshot = empty_store.read(
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() "
        "RETURN n.id AS id, properties(n) AS p, count(r) AS out ORDER BY id"
    )
    second = load_model(empty_store, model)
    assert second.changes == 0
    assert empty_store.read(
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() "
        "RETURN n.id AS id, properties(n) AS p, count(r) AS out ORDER BY id"
    ) == snapshot


def test_dry_run_writes_nothing_and_change_is_seen(empty_store: Store, tmp_path: Path) -> None:
    folder = write_model(tmp_path, GOOD)
    plan = load_model(empty_store, read_model(folder), dry_run=True)
    assert plan.summary()["nodes_created"] > 0
    assert empty_store.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    load_model(empty_store, read_model(folder))
    (folder / "facts.yaml").write_text(GOOD.replace("rate: 0.8", "rate: 0.7"), "utf-8")
    plan = load_model(empty_store, read_model(folder))
    assert plan.summary() | {"nodes_updated": 1} == plan.summary()
    assert plan.changes == 1
    rows = empty_store.read("MATCH (r:BenefitRule {id: 't.rule'}) RETURN r.rate AS rate")
    assert rows == [{"rate": 0.7}]
    # A statement removed from the files is removed from the store.
    (folder / "facts.yaml").write_text(GOOD.split("relations:")[0], "utf-8")
    plan = load_model(empty_store, read_model(folder))
    assert plan.summary()["relationships_deleted"] == 1


def test_cli_refuses_bad_model_and_writes_nothing(tmp_path: Path, store_home: Path,
                                                  store: Store) -> None:
    folder = write_model(tmp_path, GOOD.replace("rate: 0.8", "rate: 80"))
    before = store.read("MATCH (n) RETURN count(n) AS n")
    env = dict(os.environ, MEDGRAPH_HOME=str(store_home))
    done = subprocess.run([sys.executable, "-m", "medgraph", "load", "model", str(folder)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert re.search(r"facts\.yaml:14: rate: rate must be at most 1", done.stderr)
    assert store.read("MATCH (n) RETURN count(n) AS n") == before


def test_cli_load_reports_changes_as_json(store_home: Path, loaded_store: Store) -> None:
    env = dict(os.environ, MEDGRAPH_HOME=str(store_home))
    done = subprocess.run(
        [sys.executable, "-m", "medgraph", "load", "model", "hangzhou", "--format", "json"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report[0]["model"] == "hangzhou"
    assert sum(v for k, v in report[0].items() if k.endswith(("created", "updated",
                                                              "deleted"))) == 0


def test_every_folder_of_files_is_a_listed_package() -> None:
    """A folder missing from pyproject's packages is left out of a wheel's package list and
    makes setuptools warn at every install: each folder under a package's directory that
    holds files (data/'s models, their reforms, the pages' static files) is listed, with the
    files it ships."""
    import tomllib

    root = Path(__file__).parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    folders = set()
    for package, directory in config["package-dir"].items():
        for path in (root / directory).rglob("*"):
            if path.is_dir() and any(f.is_file() for f in path.iterdir()) and not any(
                    part.startswith(("_", ".")) for part in path.relative_to(root).parts):
                folders.add(".".join([package, *path.relative_to(root / directory).parts]))
    assert "medgraph.data.hangzhou.reforms" in folders  # the walk finds nested folders
    assert folders <= set(config["packages"])
    data_folders = {f for f in folders if f.startswith(("medgraph.data.", "medgraph.api."
                                                                          "workspace.static"))}
    assert data_folders <= set(config["package-data"])


def test_a_model_load_reads_no_case_data(empty_store: Store, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    """With a city loaded, `load model` with nothing to change took 12-13 s against 1.9 s
    on an empty store: it read every node and relationship to find what to prune. Every
    statement it sends now starts from a label of the model's own, never from case data."""
    from medgraph.loaders import synth
    from medgraph.loaders.cases import load_cases
    from medgraph.loaders.model import CASE_LABELS

    model = read_model(Path(__file__).parent / "fixtures" / "mini")
    load_model(empty_store, model)
    persons, cases = synth.records(synth.generate_city(200, seed=2))
    load_cases(empty_store, persons, cases, [
        {"id": c["id"], "payments": {"basic_medical_insurance": 1.0}, "out_of_pocket": 1.0,
         "explanations": []} for c in cases], "mini", dataset="city")
    sent: list[str] = []
    real = Store.read

    def recording(self: Store, statement: str, *args: object, **kwargs: object) -> object:
        sent.append(statement)
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(Store, "read", recording)
    assert load_model(empty_store, model).changes == 0
    assert sent
    for statement in sent:
        starts = re.findall(r"MATCH\s*\((\w*)(:\w+)?", statement)
        assert all(label for _, label in starts), statement  # no label-free MATCH
        assert not {label[1:] for _, label in starts} & CASE_LABELS, statement
