"""The diagrams: every view as HTML in headless Chromium, as SVG and as PNG, on a test county.

The county (tests/fixtures/viz) has tiers (REPORTS_TO), coordination, named flows of 000
Fig. 1, money with amounts and shares, data flows with an island, and measures with lead and
joint roles; the mini model adds a settled case. What each picture must show is read from the
model files, not from the pictures.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser import CHROMIUM, open_page

from medgraph.analysis.findings import islands
from medgraph.graph.store import Store
from medgraph.loaders.cases import load_cases
from medgraph.loaders.model import load_model, read_model
from medgraph.visualizations import citations, render
from medgraph.visualizations import layout as lay
from medgraph.visualizations.interactive import external_references
from medgraph.visualizations.views import _yuan, build

FIXTURES = Path(__file__).parent / "fixtures"
VIZ = FIXTURES / "viz"
MINI = FIXTURES / "mini"
SVG = "{http://www.w3.org/2000/svg}"

PERSONS = [
    {"id": "P1", "household_id": "H1", "enrolled": True,
     "certificates": [{"category": "minimum_living", "valid_from": "2023-01-01",
                       "valid_to": "2025-12-31", "due_to_illness": False}]},
]
CASES = [
    {"id": "C1", "person_id": "P1", "date": "2024-03-10", "setting": "inpatient",
     "total_cost": 100000, "policy_scope_cost": 90000, "referred": True,
     "facility_level": "county"},
]
RESULTS = [
    {"id": "C1", "payments": {"basic_medical_insurance": 60000, "medical_assistance": 24000},
     "out_of_pocket": 16000, "explanations": []},
]

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason="Debian's chromium is not installed (make browser)")


def _model() -> dict[str, Any]:
    return yaml.safe_load((VIZ / "viz.yaml").read_text("utf-8"))


def _names(ids: set[str]) -> set[str]:
    return {e["name_zh"] for e in _model()["entities"] if e["id"] in ids}


def expected_names(view: str) -> set[str]:
    """The names a view must show, from the model file."""
    relations = _model()["relations"]

    def ends(keep: Any) -> set[str]:
        return _names({r[k] for r in relations if keep(r) for k in ("from", "to")})

    if view == "coordination":
        return ends(lambda r: r["type"] in ("REPORTS_TO", "COORDINATES_WITH"))
    if view == "mechanism":
        return ends(lambda r: "what_zh" in r or "图1" in str(r.get("locator")))
    if view == "funding":
        return ends(lambda r: r["type"] in ("FUNDS", "COLLECTS", "TRANSFERS_TO", "PAYS"))
    if view == "data-sharing":
        return ends(lambda r: r["type"] in ("SHARES_DATA", "OPERATES", "USES"))
    if view == "responsibility":
        return ends(lambda r: r["type"] == "RESPONSIBLE_FOR")
    raise KeyError(view)


VIEWS = ["coordination", "mechanism", "funding", "data-sharing", "responsibility"]


@pytest.fixture(scope="module")
def county(_scratch: Store) -> Iterator[Store]:
    with _scratch.transaction() as tx:
        tx.run("MATCH (n) DETACH DELETE n")
    load_model(_scratch, read_model(VIZ))
    load_model(_scratch, read_model(MINI))
    load_cases(_scratch, PERSONS, CASES, RESULTS, "mini", dataset="viz")
    yield _scratch


def _keep(path: Path) -> None:
    """Copy a picture to $MEDGRAPH_SCREENSHOTS, if set, so that a person can look at it."""
    folder = os.environ.get("MEDGRAPH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


def _svg_texts(content: bytes) -> list[str]:
    root = ET.fromstring(content)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", content[16:24])
    return width, height


# -- interactive HTML ---------------------------------------------------------------------------
@needs_chromium
@pytest.mark.parametrize("view", [*VIEWS, "case"])
def test_html_loads_offline_without_errors_and_shows_the_labels(
        county: Store, view: str, tmp_path: Path) -> None:
    options = {"case_id": "C1"} if view == "case" else {"model": "viz"}
    page_file = tmp_path / f"{view}.html"
    page_file.write_bytes(render(county, view, "html", **options))
    assert external_references(page_file.read_text("utf-8")) == []
    shot = tmp_path / f"{view}-html.png"
    page = open_page(page_file, screenshot=shot, evaluate={
        "labels": "typeof network === 'undefined' ? null : "
                  "network.body.data.nodes.get().map(n => n.label.split('\\n').join(''))",
        "drawn": "document.getElementById('drawn') && "
                 "document.getElementById('drawn').textContent"})
    _keep(shot)
    assert page.requests == [], "the page fetched something: it would not work offline"
    assert page.failed == [] and page.errors == []
    if view == "case":
        names = {p["scheme_zh"] for p in county.read(
            "MATCH (:Case {id: 'C1'})-[:SETTLED_BY]->(s:Scheme) RETURN s.name_zh AS scheme_zh")}
    else:
        names = expected_names(view)
    if view == "responsibility":  # a table, not a network
        assert all(name in page.text for name in names)
        return
    assert page.values["labels"] is not None, "vis-network did not run"
    assert names <= set(page.values["labels"])
    assert page.values["drawn"] == f"drawn {len(page.values['labels'])} nodes"
    assert _png_size(shot.read_bytes())[0] > 0


@needs_chromium
def test_html_tooltips_cite_source_locator_and_quote(county: Store, tmp_path: Path) -> None:
    page_file = tmp_path / "coordination.html"
    page_file.write_bytes(render(county, "coordination", "html", model="viz"))
    page = open_page(page_file, evaluate={
        "titles": "network.body.data.edges.get().map(e => e.title)"
                  ".concat(network.body.data.nodes.get().map(n => n.title))"})
    for relation in _model()["relations"]:
        if relation["type"] == "COORDINATES_WITH":
            # The document's short name and the clause, not the file name; then the quote.
            short = citations.document(_model()["defaults"]["source"])
            assert short != _model()["defaults"]["source"]
            cited = f"来源 source: {short} {relation['locator']}\n「{relation['quote']}」"
            assert any(cited in title for title in page.values["titles"]), cited


def test_english_labels_on_request(county: Store) -> None:
    texts = _svg_texts(render(county, "coordination", "svg", model="viz", lang="en"))
    english = {e["name_en"] for e in _model()["entities"]
               if e["name_zh"] in expected_names("coordination")}
    shown = " ".join(texts)
    assert all(name.split()[0] in shown for name in english)


# -- static SVG and PNG ---------------------------------------------------------------------------
@pytest.mark.parametrize("view", VIEWS)
def test_svg_is_valid_and_keeps_chinese_as_text(county: Store, view: str) -> None:
    content = render(county, view, "svg", model="viz")
    texts = "".join(_svg_texts(content))  # xml.etree refuses malformed SVG
    compact = "".join(texts.split())
    for name in expected_names(view):
        # A long name is wrapped over lines of one <text> each: compare without breaks.
        assert "".join(name.split()) in compact, name
    assert "CJK" in content.decode("utf-8"), "the text is not set in a CJK font"


@pytest.mark.parametrize("view", VIEWS)
def test_png_has_the_size_of_the_figure(county: Store, view: str, tmp_path: Path) -> None:
    svg = ET.fromstring(render(county, view, "svg", model="viz"))
    inches = [float(svg.get(k, "0").removesuffix("pt")) / 72 for k in ("width", "height")]
    png = render(county, view, "png", model="viz", dpi=120)
    (tmp_path / f"{view}.png").write_bytes(png)
    _keep(tmp_path / f"{view}.png")
    width, height = _png_size(png)
    assert abs(width - inches[0] * 120) <= 1 and abs(height - inches[1] * 120) <= 1


@pytest.mark.parametrize("view", ["coordination", "mechanism", "funding", "data-sharing"])
def test_no_two_boxes_overlap(county: Store, view: str) -> None:
    built = build(county, view, model="viz")
    placed = lay.place(built)
    assert set(placed.pos) == set(built.graph.nodes)
    for a, b in combinations(placed.pos, 2):
        (xa, ya), (wa, ha) = placed.pos[a], placed.size[a]
        (xb, yb), (wb, hb) = placed.pos[b], placed.size[b]
        assert abs(xa - xb) >= (wa + wb) / 2 or abs(ya - yb) >= (ha + hb) / 2, (a, b)


def test_edges_bend_around_boxes_in_their_way(county: Store) -> None:
    built = build(county, "mechanism", model="viz")
    placed = lay.place(built)
    for (a, b, _), rad in lay.bends(built.graph, placed).items():
        assert not lay._crosses(lay._arc(placed.pos[a], placed.pos[b], rad), placed, (a, b))


def test_coordination_tiers_follow_reports_to(county: Store) -> None:
    built = build(county, "coordination", model="viz")
    tier = dict(built.graph.nodes(data="tier"))
    reports = [(r["from"], r["to"]) for r in _model()["relations"] if r["type"] == "REPORTS_TO"]
    leads = {b for _, b in reports} - {a for a, _ in reports}
    assert {tier[n] for n in leads} == {0}
    assert all(tier[a] == tier[b] + 1 for a, b in reports)


def test_data_sharing_marks_the_islands_the_analysis_finds(county: Store) -> None:
    built = build(county, "data-sharing", model="viz")
    found = {e["id"] for f in islands(county, model="viz") if f.kind == "data_island"
             for e in f.entities}
    marked = {n for n, h in built.graph.nodes(data="highlight") if h == "island"}
    assert found and marked == found


def test_funding_widths_follow_the_amounts(county: Store) -> None:
    built = build(county, "funding", model="viz")
    amounts = {(r["from"], r["to"]): r["amount"] for r in _model()["relations"]
               if r["type"] == "FUNDS" and "amount" in r}
    widths = {(a, b): w for a, b, w in built.graph.edges(data="width") if (a, b) in amounts}
    ranked = sorted(amounts, key=amounts.get)
    assert [widths[k] for k in ranked] == sorted(widths[k] for k in ranked)
    assert widths[ranked[0]] < widths[ranked[-1]]


def test_case_view_shows_each_payment(county: Store) -> None:
    texts = " ".join(_svg_texts(render(county, "case", "svg", case_id="C1")))
    for amount in RESULTS[0]["payments"].values():
        assert _yuan(amount) in texts


def test_large_graphs_are_aggregated_and_say_so(county: Store) -> None:
    small = build(county, "coordination", model="viz")
    big = build(county, "coordination", model="viz", limit=5)
    assert big.graph.number_of_nodes() < small.graph.number_of_nodes()
    assert any("aggregated" in note for note in big.notes)
    assert any("aggregated" in t for t in _svg_texts(
        render(county, "coordination", "svg", model="viz", limit=5)))


def test_unknown_view_and_missing_case(county: Store) -> None:
    with pytest.raises(KeyError, match="no diagram view"):
        render(county, "nope", "svg")
    with pytest.raises(KeyError, match="NOPE"):
        render(county, "case", "svg", case_id="NOPE")
    with pytest.raises(ValueError, match="format"):
        render(county, "funding", "gif")


def test_missing_cjk_font_names_the_package(county: Store,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
        render(county, "funding", "png", model="viz")


# -- command line ---------------------------------------------------------------------------------
def _cli(store: Store, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MEDGRAPH_HOME=str(store.settings.home))
    return subprocess.run([sys.executable, "-m", "medgraph", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_draw_writes_the_file(county: Store, tmp_path: Path) -> None:
    done = _cli(county, "draw", "funding", "--model", "viz", "-o", "money.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _png_size((tmp_path / "money.png").read_bytes())[0] > 500
    done = _cli(county, "draw", "case", cwd=tmp_path)
    assert done.returncode == 2 and "case id" in done.stderr
    done = _cli(county, "draw", "case", "NOPE", cwd=tmp_path)
    assert done.returncode == 2 and "NOPE" in done.stderr


@pytest.mark.skipif(not (Path(CHROMIUM).exists() and shutil.which("pdfinfo")),
                    reason="chromium or poppler-utils is missing (make browser)")
def test_cli_draw_pdf_is_one_page_on_its_paper(county: Store, tmp_path: Path) -> None:
    from medgraph.visualizations import pdf, static

    done = _cli(county, "draw", "mechanism", "--model", "viz", "--format", "pdf",
                "-o", "mechanism.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    info = subprocess.run(["pdfinfo", str(tmp_path / "mechanism.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\n", info)
    width, height = static.svg_inches(render(county, "mechanism", "svg", model="viz"))
    sheet = pdf.paper(width, height, static.SMALLEST_PT)
    size = tuple(round(float(v)) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)",
                                                       info).groups())
    paper_pt = {"A4": (595, 842), "A3": (842, 1191)}[sheet.size]
    assert size == (paper_pt[::-1] if sheet.landscape else paper_pt)
    text = subprocess.run(["pdftotext", str(tmp_path / "mechanism.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert all("".join(n.split()) in "".join(text.split()) for n in expected_names("mechanism"))


def test_a_large_model_is_drawn_aggregated_quickly(county: Store, tmp_path: Path) -> None:
    """150 bodies answering to one lead: grouped by level and kind, drawn in seconds."""
    folder = tmp_path / "big"
    folder.mkdir()
    levels = ["province", "city", "county", "township"]
    kinds = ["government", "medical_institution", "social_organisation"]
    entities = [{"id": "big.lead", "label": "Agency", "name_zh": "牵头部门", "kind": "government",
                 "level": "province", "locator": "一", "quote": "牵头"}]
    relations = []
    for i in range(150):
        entities.append({"id": f"big.body_{i}", "label": "Agency", "name_zh": f"机构{i}",
                         "kind": kinds[i % 3], "level": levels[i % 4], "locator": "一",
                         "quote": "机构"})
        relations.append({"from": f"big.body_{i}", "type": "REPORTS_TO",
                          "to": "big.lead" if i < 10 else f"big.body_{i % 10}",
                          "locator": "一", "quote": "负责"})
    (folder / "big.yaml").write_text(yaml.safe_dump(
        {"defaults": {"source": "000_586b74c66e3f8451.txt"}, "entities": entities,
         "relations": relations}, allow_unicode=True), "utf-8")
    load_model(county, read_model(folder))
    started = time.perf_counter()
    svg = render(county, "coordination", "svg", model="big")
    png = render(county, "coordination", "png", model="big")
    assert time.perf_counter() - started < 20
    texts = _svg_texts(svg)
    assert any("aggregated" in t and "151 nodes" in t for t in texts)
    assert len([t for t in texts if "×" in t]) >= 4  # groups such as 县级政府部门 ×12
    assert _png_size(png)[0] < 6000  # printable, not a banner


@pytest.mark.parametrize("name", ["layout", "style", "views", "interactive", "static"])
def test_docstring_examples(name: str) -> None:
    import doctest
    import importlib

    module = importlib.import_module(f"medgraph.visualizations.{name}")
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


# -- print: labels, sizes -------------------------------------------------------------------------
OVERLAPS = """(() => {
  const box = g => g.getBoundingClientRect();
  const boxes = [...document.querySelectorAll('g[id^="box-"]')].map(g => [g.id.slice(4), box(g)]);
  const out = [];
  for (const g of document.querySelectorAll('g[id^="boxtext-"], g[id^="edgetext-"]')) {
    const own = g.id.startsWith('boxtext-') ? g.id.slice(8) : null;
    const t = box(g.querySelector('text'));
    for (const [id, b] of boxes) {
      if (id === own) continue;
      const w = Math.min(t.right, b.right) - Math.max(t.left, b.left);
      const h = Math.min(t.bottom, b.bottom) - Math.max(t.top, b.top);
      if (w > 1 && h > 1) out.push(g.textContent.trim() + ' / box ' + id);
    }
  }
  return out;
})()"""
SMALLEST = ("Math.min(...[...document.querySelectorAll('svg text')]"
            ".map(t => parseFloat(getComputedStyle(t).fontSize)))")


@needs_chromium
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("view", ["coordination", "mechanism", "funding", "data-sharing",
                                  "case"])
def test_no_label_covers_a_box_it_does_not_belong_to(county: Store, view: str, lang: str,
                                                    tmp_path: Path) -> None:
    """Measured in the browser on the SVG as drawn, in both languages; text ≥ 7 pt in print."""
    from medgraph.visualizations import pdf, static

    options = {"case_id": "C1"} if view == "case" else {"model": "viz"}
    svg = render(county, view, "svg", lang=lang, **options)
    page = tmp_path / f"{view}-{lang}.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style='
                    '"margin:0">' + svg.decode("utf-8")[svg.index(b"<svg"):] + "</body></html>",
                    "utf-8")
    shot = tmp_path / f"{view}-{lang}-svg.png"
    opened = open_page(page, screenshot=shot, evaluate={"overlaps": OVERLAPS,
                                                        "smallest": SMALLEST,
                                                        "boxes": "document.querySelectorAll("
                                                                 "'g[id^=\"box-\"]').length"})
    _keep(shot)
    assert opened.errors == [] and opened.failed == []
    assert opened.values["boxes"] == build(county, view, lang=lang, **options).graph \
        .number_of_nodes()
    assert opened.values["overlaps"] == []
    # SVG user units are points (matplotlib); the PDF prints at the paper's scale.
    width, height = static.svg_inches(svg)
    scale = pdf.paper(width, height, static.SMALLEST_PT).scale
    assert opened.values["smallest"] * scale >= pdf.MIN_PT


def test_english_wraps_between_words_and_has_english_amounts(county: Store) -> None:
    for view, options in (("coordination", {"model": "viz"}), ("funding", {"model": "viz"}),
                          ("case", {"case_id": "C1"})):
        texts = _svg_texts(render(county, view, "svg", lang="en", **options))
        words = {w for e in _model()["entities"]
                 for w in re.findall(r"[A-Za-z]+", str(e.get("name_en", "")))}
        for line in texts:
            for token in re.findall(r"[A-Za-z]{3,}", line):
                # A piece of a word is not a word of any name: "Hangzho", "viation".
                assert token in words or not any(token in w and token != w for w in words), \
                    (view, line)
        shown = " ".join(texts)
        assert "万元" not in shown and "元" not in shown, view
    case = " ".join(_svg_texts(render(county, "case", "svg", lang="en", case_id="C1")))
    assert _yuan(60000, "en") in case and "病例" not in case


def test_responsibility_matrix_prints_in_parts_that_fit_a_page(county: Store) -> None:
    from medgraph.visualizations import pdf, static

    whole = build(county, "responsibility", model="viz")
    parts = static.matrix_parts(whole, page=(1.0, 1.0))  # a small page: the county splits
    assert len(parts) > 1
    cells: dict[Any, str] = {}
    for part in parts:
        assert part.title.startswith(whole.title)
        width, height = static.svg_inches(static.draw(part, "svg"))
        assert len(part.matrix.agencies) == 1  # one column is all that fits an inch
        cells.update(part.matrix.cells)
    assert cells == whole.matrix.cells  # every role in one part, none lost
    for part in static.matrix_parts(whole):
        width, height = static.svg_inches(static.draw(part, "svg"))
        assert pdf.paper(width, height, static.SMALLEST_PT).scale * static.SMALLEST_PT \
            >= pdf.MIN_PT


def test_mechanism_merges_parallel_flows_and_crosses_less(county: Store) -> None:
    built = build(county, "mechanism", model="viz")
    pairs = [(a, b) for a, b in built.graph.edges()]
    assert len(pairs) == len(set(pairs)), "two edges between the same two boxes"
    placed = lay.place(built)
    # Columns by tier: residents first, then government, funds, insurance, services.
    x = {n: placed.pos[n][0] for n in built.graph}
    tiers = dict(built.graph.nodes(data="tier"))
    assert all(x[a] < x[b] for a in x for b in x if tiers[a] < tiers[b])
    flow = build(county, "mechanism", model="viz")
    flow.layout = "layers"
    assert lay.crossings(built.graph, placed) <= lay.crossings(flow.graph, lay.place(flow)) + 2
