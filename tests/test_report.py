"""The report: one self-contained HTML file with the diagrams, findings, KPIs and citations."""

from __future__ import annotations

import csv
import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from browser import CHROMIUM, open_page

from medgraph.analysis.findings import gaps, islands
from medgraph.analysis.kpi import kpis
from medgraph.graph.store import Store
from medgraph.loaders.cases import load_cases
from medgraph.loaders.model import load_model, read_model
from medgraph.visualizations import citations, findings_csv, write_report
from medgraph.visualizations.interactive import external_references
from medgraph.visualizations.report import KINDS, build_report

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


KPI_CODES = ["comprehensive_coverage_rate", "personal_burden_rate", "subsidised_enrolment_rate",
             "high_cost_clearance_rate"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
def test_report_opens_in_a_browser_without_errors(report: Path) -> None:
    shot = report.with_suffix(".png")
    page = open_page(report, screenshot=shot, evaluate={
        "figures": "document.querySelectorAll('figure svg').length",
        "parts": "[...document.querySelectorAll('section.part')].map(s => s.id)",
        "tops": "['summary', 'diagrams', 'findings'].map(id => "
                "document.getElementById(id).getBoundingClientRect().top)",
        "kpis": "[...document.querySelectorAll('#summary div.kpi')].map(k => k.dataset.code)",
        "smallest": "Math.min(...[...document.querySelectorAll('#summary svg text')]"
                    ".map(t => parseFloat(getComputedStyle(t).fontSize)))"})
    assert page.requests == [] and page.failed == [] and page.errors == []
    assert page.values["figures"] >= 5
    # The summary opens the report, then the diagrams, then the findings.
    assert page.values["parts"][:3] == ["summary", "diagrams", "findings"]
    assert page.values["tops"] == sorted(page.values["tops"])
    assert page.values["kpis"] == KPI_CODES  # the four KPIs of 002, a chart each
    assert page.values["smallest"] >= 9  # px on screen: 6.75 pt, read at arm's length
    if os.environ.get("MEDGRAPH_SCREENSHOTS"):
        Path(os.environ["MEDGRAPH_SCREENSHOTS"], "report.png").write_bytes(shot.read_bytes())


def test_report_has_a_section_and_the_diagrams_of_each_model(report: Path) -> None:
    page = report.read_text("utf-8")
    for model in ("viz", "mini"):
        assert f'id="model-{model}"' in page
    # The county has every kind of view; each is an inline SVG with its own ids.
    for view in ("coordination", "mechanism", "funding", "data-sharing", "responsibility"):
        assert re.search(rf'<figure id="viz-{view}"><figcaption>[^<]*</figcaption><svg', page)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "two elements share an id"


def test_summary_counts_and_the_five_most_serious(two_models: Store) -> None:
    found = [f for m in ("viz", "mini") for f in gaps(two_models, model=m)
             + islands(two_models, model=m)]
    page = build_report(two_models).page
    summary = page[page.index('id="summary"'):page.index('id="diagrams"')]
    # The chart says how many findings there are in all, and of each kind.
    assert f"({len(found):,})" in summary
    for kind in {f.kind for f in found}:
        total = sum(f.kind == kind for f in found)
        bar = (rf"{re.escape(KINDS[kind][1])}</text>(?:<rect[^>]*><title>[^<]*</title></rect>)+"
               rf"<text[^>]*>{total:,}</text>")
        assert re.search(bar, summary), kind
    top = re.search(r'<ol class="top">(.*?)</ol>', summary).group(1)
    items = re.findall(r"<li>(.*?)</li>", top)
    assert len(items) == min(5, len({f.kind for f in found}))
    severities = [re.search(r'class="(high|medium|low)"', i).group(1) for i in items]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)
    assert severities[0] == min((f.severity for f in found), key=["high", "medium",
                                                                  "low"].index)
    cited = re.findall(r'<a class="cite" href="#cite-\d+" title="([^"]*)">([^<]*)<sup>', top)
    assert cited, "no finding of the summary says where it comes from"
    # The short form shows; the quote is on hover.
    assert all(html.unescape(full).startswith(html.unescape(shown)) and "「" in full
               for full, shown in cited)


def test_summary_says_who_funds_certifies_pays_and_supervises(two_models: Store) -> None:
    page = build_report(two_models, model="mini").page
    table = re.search(r'<table class="roles">(.*?)</table>', page).group(1)
    rows = {re.sub("<[^>]+>", "", r[0]): [re.sub("<[^>]+>", "", c) for c in r[1:]]
            for r in (re.findall(r"<td>(.*?)</td>", row) for row in table.split("<tr>")[2:])}
    # From tests/fixtures/mini: the fund finances basic insurance, the bureau supervises the
    # fund; civil affairs certifies the group medical assistance serves and the bureau pays.
    model = yaml.safe_load((FIXTURES / "mini" / "mini.yaml").read_text("utf-8"))
    name = {e["id"]: e.get("name_zh") for e in model["entities"]}

    def who(kind: str, to: str) -> str:
        return next(name[r["from"]] for r in model["relations"]
                    if r["type"] == kind and r["to"] == to)

    funds, certifies, pays, _ = rows[name["mini.medical_assistance"]]
    assert who("FUNDS", "mini.medical_assistance") in funds
    assert who("CERTIFIES", "minimum_living") in certifies
    assert who("PAYS", "mini.medical_assistance") in pays
    assert who("SUPERVISES", "mini.insurance_fund") in rows[
        name["mini.basic_medical_insurance"]][3]


def test_long_groups_are_cut_and_the_csv_holds_every_finding(two_models: Store,
                                                            tmp_path: Path) -> None:
    found = [f for m in ("viz", "mini") for f in gaps(two_models, model=m)
             + islands(two_models, model=m)]
    built = build_report(two_models, group_rows=1, csv_name="r-findings.csv")
    for kind in {f.kind for f in found}:
        group = re.search(rf'<section class="group" id="kind-{kind}">(.*?)</section>',
                          built.page).group(1)
        assert group.count(html.escape(KINDS[kind][2])) == 1  # what the kind means, once
        assert group.count("<tr>") == 2  # the header and the most serious row
        total = sum(f.kind == kind for f in found)
        assert ('href="r-findings.csv"' in group) == (total > 1)
    path = write_report(two_models, tmp_path / "r.html")
    rows = list(csv.DictReader(findings_csv(path).open(encoding="utf-8")))
    assert len(rows) == len(found)
    assert sorted((r["kind"], r["explanation"], r["citations"]) for r in rows) == sorted(
        (f.kind, f.explanation, "; ".join(citations.short(c) for c in f.citations))
        for f in found)


def test_report_lists_every_finding_with_its_citations(two_models: Store, report: Path) -> None:
    """Each finding is in the page with its quotes, or its group is cut and it is in the CSV."""
    text = " ".join(_text(report).split())
    listed = {(r["kind"], r["explanation"], r["quotes"])
              for r in csv.DictReader(findings_csv(report).open(encoding="utf-8"))}
    shown = 0
    for model in ("viz", "mini"):
        for finding in gaps(two_models, model=model) + islands(two_models, model=model):
            quotes = [c["quote"] for c in finding.citations if c.get("quote")]
            assert (finding.kind, finding.explanation, "; ".join(
                c.get("quote") or "" for c in finding.citations)) in listed
            if " ".join(finding.explanation.split()) not in text:
                assert f'href="{findings_csv(report).name}"' in report.read_text("utf-8")
                continue
            shown += 1
            assert all(f"「{quote}」" in text for quote in quotes)
    assert shown > 0


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


# -- PDF ------------------------------------------------------------------------------------------
needs_pdf = pytest.mark.skipif(not (Path(CHROMIUM).exists() and shutil.which("pdftotext")),
                               reason="chromium or poppler-utils is missing (make browser)")


def _pdf_pages(path: Path) -> list[str]:
    """The text of each page (pdftotext puts a form feed between pages)."""
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True)
    return done.stdout.split("\f")[:-1]


def _page_sizes(path: Path) -> list[tuple[float, float]]:
    done = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(path)], capture_output=True,
                          text=True, check=True)
    return [(float(w), float(h)) for w, h in
            re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", done.stdout)]


@pytest.fixture(scope="module")
def pdf_en(two_models: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(two_models, tmp_path_factory.mktemp("pdf") / "report.pdf", lang="en")


@needs_pdf
def test_pdf_pages_are_numbered_and_the_summary_comes_first(pdf_en: Path) -> None:
    assert pdf_en.read_bytes()[:5] == b"%PDF-"
    pages = _pdf_pages(pdf_en)
    total = len(pages)
    assert total >= 1 + 5  # the summary, then a page per diagram of the county at least
    for number, text in enumerate(pages, 1):
        assert f"{number} / {total}" in text, f"page {number} has no page number"
    assert "Summary" in pages[0]
    for code in KPI_CODES:
        assert code in pages[0] or code in pages[1], code
    # The citations are endnotes with their quotes, on the last pages.
    assert "Citations" in "".join(pages[-3:]) and "「" in pages[-1]


@needs_pdf
def test_pdf_figures_have_a_page_each_on_their_paper(two_models: Store, pdf_en: Path) -> None:
    from medgraph.visualizations import pdf, static
    from medgraph.visualizations.views import build

    pages, sizes = _pdf_pages(pdf_en), _page_sizes(pdf_en)
    assert len(sizes) == len(pages)
    for name in ("coordination", "mechanism", "funding", "data-sharing", "responsibility"):
        view = build(two_models, name, model="viz", lang="en")
        width, height = static.svg_inches(static.draw(view, "svg"))
        sheet = pdf.paper(width, height, static.SMALLEST_PT)
        assert sheet.scale * static.SMALLEST_PT >= pdf.MIN_PT  # legible in print
        title = " ".join(view.title.split())
        found = [i for i, text in enumerate(pages) if title in " ".join(text.split())]
        assert found, title
        w_pt, h_pt = sizes[found[0]]
        expected = {"A4": (595, 842), "A3": (842, 1191)}[sheet.size]
        assert sorted((round(w_pt), round(h_pt))) == sorted(expected)
        assert (w_pt > h_pt) == sheet.landscape, title


@needs_pdf
def test_pdf_english_breaks_lines_between_words(two_models: Store, pdf_en: Path) -> None:
    """No line of the PDF ends in the middle of a word of the report."""
    page = build_report(two_models, lang="en").page
    vocabulary = {w.lower() for w in re.findall(r"[A-Za-z]+", html.unescape(
        re.sub(r"<[^>]+>", " ", page[page.index("<body"):])))}
    lines = "".join(_pdf_pages(pdf_en)).split("\n")
    split = []
    for first, second in zip(lines, lines[1:], strict=False):
        a, b = re.search(r"([A-Za-z]+)$", first), re.match(r"([a-z]+)", second)
        if not (a and b):
            continue
        head, tail = a.group(1).lower(), b.group(1).lower()
        if head + tail in vocabulary and not (head in vocabulary and tail in vocabulary):
            split.append(f"{a.group(1)}|{b.group(1)}")
    assert split == [], f"words split by a line break: {split}"


@needs_pdf
def test_pdf_keeps_the_chinese(two_models: Store, tmp_path: Path) -> None:
    path = write_report(two_models, tmp_path / "zh.pdf", model="mini")
    text = "".join(_pdf_pages(path))
    model = yaml.safe_load((FIXTURES / "mini" / "mini.yaml").read_text("utf-8"))
    # The indicator names as the document writes them, extracted from the PDF's text layer.
    for entity in model["entities"]:
        if entity["label"] == "Indicator":
            assert entity["name_zh"] in text, entity["name_zh"]
    assert "杭政办函" not in text or "〔2022〕" in text


def test_cli_report_pdf_refuses_a_mismatched_name(two_models: Store, tmp_path: Path) -> None:
    env = dict(os.environ, MEDGRAPH_HOME=str(two_models.settings.home))
    done = subprocess.run([sys.executable, "-m", "medgraph", "report", "--format", "pdf",
                           "-o", str(tmp_path / "r.html")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2 and "does not end in .pdf" in done.stderr
    assert not (tmp_path / "r.html").exists() and "Traceback" not in done.stderr


def test_cli_tables_wrap_to_the_width_and_cite_documents(two_models: Store) -> None:
    from medgraph.output import _width

    env = dict(os.environ, MEDGRAPH_HOME=str(two_models.settings.home))
    done = subprocess.run([sys.executable, "-m", "medgraph", "--width", "100", "islands",
                           "--model", "viz"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.rstrip("\n").split("\n")
    assert max(_width(line) for line in lines) <= 100
    # Read the table back column by column: the dashes give each column's place.
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[1])]

    def cut(line: str) -> list[str]:
        out, col, cells = "", 0, [""] * len(spans)
        for ch in line:
            k = next((i for i, (a, b) in enumerate(spans) if a <= col < b), None)
            if k is not None:
                cells[k] += ch
            col += _width(ch)
        del out
        return cells

    rows: list[list[str]] = []
    for line in lines[2:]:
        cells = cut(line)
        if cells[0].strip():
            rows.append(cells)
        else:
            rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]
    columns = lines[0].split()
    read = [{c: "".join(v.split()) for c, v in zip(columns, row, strict=True)} for row in rows]
    found = islands(two_models, model="viz")
    assert len(read) == len(found)
    for row, finding in zip(read, found, strict=True):
        # Wrapped, never cut: every explanation is there in full, citations as documents.
        assert row["explanation"] == "".join(finding.explanation.split())
        assert row["citations"] == "".join("; ".join(
            citations.short(c) for c in finding.citations).split())
