"""The report: one self-contained HTML file with the diagrams, findings, KPIs and citations."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM, open_page

from medgraph.analysis.findings import gaps, islands
from medgraph.analysis.kpi import kpis
from medgraph.graph.store import Store
from medgraph.loaders.cases import load_cases
from medgraph.loaders.model import load_model, read_model
from medgraph.visualizations import write_report
from medgraph.visualizations.interactive import external_references

FIXTURES = Path(__file__).parent / "fixtures"
PERSONS = [
    {"id": "P1", "household_id": "H1", "enrolled": True,
     "certificates": [{"category": "minimum_living", "valid_from": "2023-01-01",
                       "valid_to": "2025-12-31", "due_to_illness": False}]},
    {"id": "P2", "household_id": "H2", "enrolled_years": [],
     "certificates": [{"category": "minimum_living", "valid_from": "2024-01-01",
                       "valid_to": "2024-12-31", "due_to_illness": False}]},
]
CASES = [
    {"id": "C1", "person_id": "P1", "date": "2024-03-10", "setting": "inpatient",
     "total_cost": 100000, "policy_scope_cost": 90000, "referred": True,
     "facility_level": "county"},
    {"id": "C2", "person_id": "P2", "date": "2024-06-01", "setting": "inpatient",
     "total_cost": 10000, "policy_scope_cost": 10000, "referred": True,
     "facility_level": "county"},
]
RESULTS = [
    {"id": "C1", "payments": {"basic_medical_insurance": 60000, "medical_assistance": 24000},
     "out_of_pocket": 16000, "explanations": []},
    {"id": "C2", "payments": {"basic_medical_insurance": 5000, "medical_assistance": 4000},
     "out_of_pocket": 1000, "explanations": []},
]


@pytest.fixture(scope="module")
def two_models(_scratch: Store) -> Iterator[Store]:
    with _scratch.transaction() as tx:
        tx.run("MATCH (n) DETACH DELETE n")
    load_model(_scratch, read_model(FIXTURES / "viz"))
    load_model(_scratch, read_model(FIXTURES / "mini"))
    load_cases(_scratch, PERSONS, CASES, RESULTS, "mini", dataset="report")
    yield _scratch


@pytest.fixture(scope="module")
def report(two_models: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(two_models, tmp_path_factory.mktemp("report") / "report.html")


def _text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text("utf-8")))


def test_report_is_one_file_that_loads_nothing(report: Path) -> None:
    page = report.read_text("utf-8")
    assert external_references(page) == []
    assert "<script" not in page  # nothing to run: it prints and mails as it is


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
def test_report_opens_in_a_browser_without_errors(report: Path) -> None:
    shot = report.with_suffix(".png")
    page = open_page(report, screenshot=shot, evaluate={
        "figures": "document.querySelectorAll('figure svg').length"})
    assert page.requests == [] and page.failed == [] and page.errors == []
    assert page.values["figures"] >= 5
    if os.environ.get("MEDGRAPH_SCREENSHOTS"):
        Path(os.environ["MEDGRAPH_SCREENSHOTS"], "report.png").write_bytes(shot.read_bytes())


def test_report_has_a_section_and_the_diagrams_of_each_model(report: Path) -> None:
    page = report.read_text("utf-8")
    for model in ("viz", "mini"):
        assert f'id="model-{model}"' in page
    # The county has every kind of view; each is an inline SVG with its own ids.
    for view in ("coordination", "mechanism", "funding", "data-sharing", "responsibility"):
        assert f'<figure id="viz-{view}"><svg' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "two elements share an id"


def test_report_lists_every_finding_with_its_citations(two_models: Store, report: Path) -> None:
    text = " ".join(_text(report).split())
    for model in ("viz", "mini"):
        for finding in gaps(two_models, model=model) + islands(two_models, model=model):
            assert " ".join(finding.explanation.split()) in text
            for citation in finding.citations:
                if citation.get("quote"):
                    assert f"「{citation['quote']}」" in text


def test_report_measures_the_kpis_against_their_targets(two_models: Store,
                                                        report: Path) -> None:
    text = _text(report)
    measured = [k for k in kpis(two_models, 2024, "mini") if k["base"]]
    assert measured
    for k in measured:
        assert k["code"] in text
    assert text.count("未达标 not met") == sum(k["met"] is False for k in measured)
    # "未达标 not met" does not contain "达标 met": the two counts are independent.
    assert text.count("达标 met") == sum(k["met"] is True for k in measured)


def test_cli_report(two_models: Store, tmp_path: Path) -> None:
    env = dict(os.environ, MEDGRAPH_HOME=str(two_models.settings.home))
    done = subprocess.run([sys.executable, "-m", "medgraph", "report", "--model", "viz",
                           "-o", str(tmp_path / "out" / "r.html")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "out" / "r.html").read_text("utf-8")
    assert 'id="model-viz"' in page and 'id="model-mini"' not in page
