"""`medgraph model coverage`: which clauses of the documents the models hold, and which
nothing models, read from the seed texts' own headings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from medgraph.analysis.coverage import clauses
from medgraph.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("MEDGRAPH_SEEDS") or ROOT.parent / "shared" / "seeds")
pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not here")


def test_the_clauses_of_002_are_its_headings() -> None:
    [doc] = SEEDS.glob("002_*.txt")
    assert [c.clause for c in clauses(doc)] == [
        "一", "二", "二(一)", "二(二)", "二(三)", "二(四)", "三", "三(一)", "三(二)", "三(三)",
        "三(四)"]


def test_coverage_lists_what_is_modelled_and_what_is_not() -> None:
    done = CliRunner().invoke(main, ["model", "coverage", "--seeds", str(SEEDS),
                                     "--format", "json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    rows = {(r["document"][:3], r["clause"]): r for r in result["clauses"]}
    # 002 二(二), the operative rules: many statements, some assumptions, two models cite it
    rules = rows[("002", "二(二)")]
    assert rules["status"] == "modelled" and rules["statements"] > 50
    assert rules["assumptions"] > 0 and "hangzhou" in rules["models"]
    # 000 §3.1.1 12) (住院起付线连续计算) is modelled; 000's recommendations (§5) are not
    assert rows[("000", "3.1.1 12)")]["statements"] > 0
    assert rows[("000", "5.1")]["status"] == "not modelled"
    # every clause of 002 is modelled; a parent counts what its sub-clauses hold
    assert all(r["status"] == "modelled" for (doc, _), r in rows.items() if doc == "002")
    assert rows[("002", "二")]["statements"] >= rules["statements"]
    # a figure counts for its section: 000 §2.3 holds Fig. 1
    assert rows[("000", "2.3")]["statements"] >= rows[("000", "Fig. 1")]["statements"] > 0
    # locators naming no clause are listed, and 002's are only its title, header, preamble
    outside = {r["locator"] for r in result["locators_outside_the_clauses"]
               if r["document"].startswith("002")}
    assert outside <= {"title", "header", "preamble"}


def test_missing_only_and_a_folder_without_documents(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["model", "coverage", "--seeds", str(SEEDS), "--missing",
                                        "--format", "json"])
    assert missing.exit_code == 0
    assert {r["status"] for r in json.loads(missing.stdout)["clauses"]} == {"not modelled"}
    empty = CliRunner().invoke(main, ["model", "coverage", "--seeds", str(tmp_path)])
    assert empty.exit_code == 2 and "no seed documents" in empty.output
