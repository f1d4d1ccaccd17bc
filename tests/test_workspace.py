"""The workspace at `/` in headless Chromium, against `medgraph serve` on a real store.

The store holds the Hangzhou model and a small synthetic city (settled and loaded with the
CLI). Each test signs in through the login form, as an analyst or a reader would, and checks
what they would see: every page without a failed request or a console error, the search
finding 民政 and a case id, a named query run from its form whose CSV download is what
`medgraph query --format csv` prints, a write refused with nothing changed, the console closed
to a reader. Screenshots of every page go to $MEDGRAPH_SCREENSHOTS (default: a temporary
folder), one PNG per page.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from browser import CHROMIUM, Tab, browser
from test_api import free_port, medgraph, start_server, stop_server

from medgraph.graph.store import Store

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists(),
                                reason="needs Chromium (apt-get install chromium)")
V1 = "/api/v1"


class Server:
    def __init__(self, url: str, env: dict[str, str], keys: dict[str, str], audit: Path,
                 case_id: str) -> None:
        self.url, self.env, self.keys, self.audit, self.case_id = url, env, keys, audit, case_id

    def get(self, path: str, role: str = "analyst", **kw: object) -> httpx.Response:
        return httpx.get(self.url + V1 + path, headers={"X-API-Key": self.keys[role]},
                         timeout=60, **kw)

    def post(self, path: str, role: str = "analyst", **kw: object) -> httpx.Response:
        return httpx.post(self.url + V1 + path, headers={"X-API-Key": self.keys[role]},
                          timeout=60, **kw)


@pytest.fixture(scope="module")
def server(_scratch: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("workspace")
    with _scratch.transaction() as tx:
        tx.run("MATCH (n) DETACH DELETE n")
    env = dict(os.environ, MEDGRAPH_HOME=str(_scratch.settings.home),
               MEDGRAPH_API_KEYS_FILE=str(work / "keys.json"),
               MEDGRAPH_API_AUDIT_FILE=str(work / "audit.jsonl"))
    for step in (["load", "model", "hangzhou"],
                 ["synth", "--persons", "150", "--seed", "7", "-o", str(work / "city")],
                 ["load", "cases", str(work / "city")]):
        done = medgraph(env, *step)
        assert done.returncode == 0, done.stderr
    keys = {}
    for role in ("reader", "analyst"):
        made = medgraph(env, "api-key", "add", f"{role}-key", "--role", role)
        assert made.returncode == 0, made.stderr
        keys[role] = made.stdout.strip()
    case_id = _scratch.read("MATCH (c:Case)-[s:SETTLED_BY]->() RETURN c.id AS id "
                            "ORDER BY c.id LIMIT 1")[0]["id"]
    port = free_port()
    process = start_server(env, port)
    yield Server(f"http://127.0.0.1:{port}", env, keys, work / "audit.jsonl", case_id)
    stop_server(process)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("MEDGRAPH_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def sign_in(tab: Tab, server: Server, role: str, next_path: str = "/") -> None:
    """The login form, as a user fills it."""
    tab.goto(f"{server.url}/login?next={quote(next_path)}", "document.getElementById('key')")
    tab.evaluate(f"document.getElementById('key').value = {json.dumps(server.keys[role])};"
                 "document.getElementById('login').requestSubmit()")
    tab.wait(f"location.pathname === {json.dumps(next_path.split('?')[0])}")


def clean(page: object, origin: str) -> None:
    assert page.failed == [], page.failed
    assert page.errors == [], page.errors
    assert all(url.startswith(origin) for url in page.requests), page.requests


def links(tab: Tab, selector: str) -> list[str]:
    return tab.evaluate(f"[...document.querySelectorAll({json.dumps(selector)})]"
                        ".map(a => a.getAttribute('href'))")


def fingerprint(store: Store) -> tuple[int, int]:
    nodes = store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    relationships = store.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
    return nodes, relationships


# -- every page ---------------------------------------------------------------------------
def test_every_page_loads_with_no_failed_request_or_console_error(server: Server,
                                                                   shots: Path) -> None:
    pages = {
        "search": ("/?q=民政", "document.querySelector('#results table')"),
        # The findings fill in last: the screenshot waits for them.
        "entity": ("/entity/hangzhou.civil_affairs", "document.querySelector('svg.graph .node') "
                   "&& !document.querySelector('.loading')"),
        "case": (f"/case/{server.case_id}", "document.querySelector('.rule-clause .cite') "
                 "&& !document.querySelector('.loading')"),
        "console": ("/console?q=funding_flows&p.model=hangzhou&run=1",
                    "document.getElementById('row-count')"),
        "dashboards": ("/dashboards?model=hangzhou&year=2024",
                       "document.querySelector('#kpis table') && "
                       "document.querySelector('#findings table')"),
        "diagrams": ("/diagrams?view=funding&model=hangzhou",
                     "document.querySelector('#diagram svg')"),
    }
    with browser() as tab:
        sign_in(tab, server, "analyst")
        for name, (path, ready) in pages.items():
            page = tab.goto(server.url + path, ready)
            clean(page, server.url)
            assert "medgraph" in page.text and "Sign out" in page.text
            tab.screenshot(shots / f"{name}.png")
        page = tab.goto(server.url + "/login", "document.getElementById('key')")
        clean(page, server.url)
        tab.screenshot(shots / "login.png")


def test_the_chinese_font_is_shipped_and_used(server: Server) -> None:
    """The pages read the same on a machine without a Chinese font: the font they draw
    民政 with comes from this server."""
    with browser() as tab:
        sign_in(tab, server, "reader", "/?q=民政")
        tab.wait("document.querySelector('#results table')")
        loaded = tab.evaluate("document.fonts.ready.then(() => [...document.fonts]"
                              ".filter(f => f.status === 'loaded').map(f => f.family))")
        assert '"medgraph CJK Sans"' in loaded or "medgraph CJK Sans" in loaded, loaded
        assert tab.evaluate("document.fonts.check('14px \"medgraph CJK Sans\"', '民政医保')")
        fonts = tab.evaluate("performance.getEntriesByType('resource').map(e => e.name)"
                             ".filter(n => n.endsWith('.woff'))")
        assert fonts and all(url.startswith(server.url + "/assets/fonts/") for url in fonts)


def test_the_pages_load_nothing_from_elsewhere(server: Server) -> None:
    answer = httpx.get(server.url + "/")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "http" not in answer.text.replace(server.url, "")  # no CDN, no font service


# -- login ----------------------------------------------------------------------------------
def test_a_page_without_a_key_asks_for_one_then_returns(server: Server) -> None:
    with browser() as tab:
        tab.goto(server.url + "/dashboards", "location.pathname === '/login'")
        assert "next=%2Fdashboards" in tab.evaluate("location.search")
        tab.evaluate(f"document.getElementById('key').value = {json.dumps(server.keys['reader'])};"
                     "document.getElementById('login').requestSubmit()")
        tab.wait("location.pathname === '/dashboards'")
        assert "reader-key (reader)" in tab.page().text
        tab.evaluate("document.getElementById('sign-out').click()")
        tab.wait("location.pathname === '/login'")
        assert tab.evaluate("sessionStorage.length") == 0


def test_a_wrong_key_is_refused_at_the_form(server: Server) -> None:
    with browser() as tab:
        tab.goto(server.url + "/login", "document.getElementById('key')")
        tab.evaluate("document.getElementById('key').value = 'mgk_wrong';"
                     "document.getElementById('login').requestSubmit()")
        tab.wait("document.querySelector('#login .error')")
        assert "not valid" in tab.page().text
        assert tab.evaluate("location.pathname") == "/login"


def test_the_login_form_goes_only_to_this_site(server: Server) -> None:
    with browser() as tab:
        tab.goto(f"{server.url}/login?next={quote('//example.org/')}",
                 "document.getElementById('key')")
        tab.evaluate(f"document.getElementById('key').value = {json.dumps(server.keys['reader'])};"
                     "document.getElementById('login').requestSubmit()")
        tab.wait("location.pathname === '/'")
        assert tab.evaluate("location.origin") == server.url


# -- search ---------------------------------------------------------------------------------
def test_search_finds_minzheng_and_a_case_id(server: Server) -> None:
    expected = server.get("/search", params={"q": "民政", "limit": 200}).json()
    assert any(i["id"] == "hangzhou.civil_affairs" for i in expected["items"])
    with browser() as tab:
        sign_in(tab, server, "reader")
        tab.goto(server.url + "/?q=" + quote("民政"), "document.querySelector('#results table')")
        found = links(tab, "#results td a")
        assert found == [("/case/" if i["type"] == "Case" else "/entity/") + quote(i["id"], "")
                         for i in expected["items"]]
        assert "/entity/hangzhou.civil_affairs" in found
        assert "市民政局" in tab.page().text
        # The form, as typed, and the URL it leaves behind to share.
        tab.evaluate(f"document.querySelector('#search input[name=q]').value = "
                     f"{json.dumps(server.case_id)};"
                     "document.getElementById('search').requestSubmit()")
        tab.wait(f"document.querySelector('#results a[href=\"/case/{server.case_id}\"]')")
        assert tab.evaluate("location.search") == f"?q={server.case_id}"


def test_search_filters_by_type(server: Server) -> None:
    with browser() as tab:
        sign_in(tab, server, "reader")
        tab.goto(server.url + "/?q=" + quote("民政") + "&type=Measure",
                 "document.querySelector('#results table')")
        types = tab.evaluate("[...document.querySelectorAll('#results tbody tr td:first-child')]"
                             ".map(td => td.textContent)")
        assert types and set(types) == {"Measure"}
    answer = server.get("/search", params={"q": "x", "type": "Nothing"})
    assert answer.status_code == 422 and "Nothing" in answer.json()["error"]["message"]


# -- entity and case pages --------------------------------------------------------------------
def test_entity_page_shows_every_relation_with_its_citation(server: Server) -> None:
    detail = server.get("/entities/hangzhou.civil_affairs").json()
    with browser() as tab:
        sign_in(tab, server, "reader")
        tab.goto(server.url + "/entity/hangzhou.civil_affairs",
                 "document.querySelector('svg.graph .node')")
        text = tab.page().text
        assert f"Relations ({len(detail['relations'])})" in text
        cited = next(r for r in detail["relations"] if r["citation"]["quote"])
        assert cited["citation"]["quote"] in text
        assert "假设 assumption" in text  # the model flags some of these links
        before = tab.evaluate("document.querySelectorAll('svg.graph .node').length")
        assert before == 1 + len({r["id"] for r in detail["relations"]})
        # Expand a neighbour: the graph grows by its own neighbours.
        scheme = next(r for r in detail["relations"] if r["label"] == "Scheme")
        tab.evaluate(f"document.querySelector('svg.graph .node[data-id=\"{scheme['id']}\"]')"
                     ".dispatchEvent(new MouseEvent('click', {bubbles: true}))")
        tab.wait(f"document.querySelectorAll('svg.graph .node').length > {before}")
        # Hide a type: its nodes leave the graph.
        tab.evaluate("document.querySelector('.legend input[data-label=\"Scheme\"]').click()")
        assert tab.evaluate(f"document.querySelector('svg.graph .node[data-id=\"{scheme['id']}\"]')"
                            " === null")
        clean(tab.page(), server.url)


def test_case_page_shows_the_trace_settlement_and_year(server: Server) -> None:
    trace = server.get(f"/cases/{server.case_id}/accountability").json()
    burden = server.get(f"/cases/{server.case_id}/burden").json()
    with browser() as tab:
        sign_in(tab, server, "analyst")
        tab.goto(f"{server.url}/case/{server.case_id}",
                 "document.querySelector('.rule-clause .cite')")
        text = tab.page().text
        for payment in trace["payments"]:
            assert f"{payment['amount']:,.2f}" in text and payment["rule_id"] in text
        for section in ("funds", "pays", "supervises"):
            for item in trace[section]:
                assert item["agency_zh" if section != "funds" else "funder_zh"] in text
        assert trace["case"]["person_id"] in text
        assert f"{burden['burden']['household_out_of_pocket']:,.2f}" in text
        # the household's count is of its members with cases, and says so
        assert "members_with_cases" in text
        clean(tab.page(), server.url)
    with browser() as tab:  # a reader: the same trace without the person
        sign_in(tab, server, "reader")
        page = tab.goto(f"{server.url}/case/{server.case_id}",
                        "document.querySelector('.rule-clause .cite')")
        clean(page, server.url)
        assert trace["case"]["person_id"] not in page.text
        assert "withheld from a reader key" in page.text
        assert "needs an analyst key" in page.text


# -- the console ------------------------------------------------------------------------------
def run_console(tab: Tab, server: Server) -> None:
    tab.evaluate("document.getElementById('run').click()")
    tab.wait("document.getElementById('row-count') || document.querySelector('#out .error')")


def test_a_named_query_runs_from_its_form_and_its_csv_is_the_clis(server: Server,
                                                                  tmp_path: Path) -> None:
    with browser(downloads=tmp_path) as tab:
        sign_in(tab, server, "analyst", "/console")
        tab.wait("document.querySelector('#queries a[data-query=\"funding_flows\"]')")
        tab.evaluate("document.querySelector('#queries a[data-query=\"funding_flows\"]').click()")
        assert tab.evaluate("document.getElementById('editor').value.startsWith('MATCH')")
        assert "money on its way" in tab.page().text  # the query's documentation
        tab.evaluate("document.querySelector('#params input[name=model]').value = 'hangzhou'")
        run_console(tab, server)
        shown = tab.evaluate("document.getElementById('row-count').textContent")
        cli = medgraph(server.env, "query", "funding_flows", "--param", "model=hangzhou",
                       "--format", "csv")
        assert cli.returncode == 0, cli.stderr
        rows = list(csv.DictReader(io.StringIO(cli.stdout)))
        assert shown.startswith(f"{len(rows)} rows") and rows
        # The deep link it leaves runs the same query again.
        assert tab.evaluate("location.search") == "?q=funding_flows&p.model=hangzhou&run=1"
        # Sorting by a column, as a click on its heading.
        tab.evaluate("[...document.querySelectorAll('#out th')].find(t => t.textContent === "
                     "'type').click()")
        column = tab.evaluate("[...document.querySelectorAll('#out th')].findIndex(t => "
                              "t.textContent.startsWith('type'))")
        shown_types = tab.evaluate(f"[...document.querySelectorAll('#out tbody tr')].map(r => "
                                   f"r.children[{column}].textContent)")
        assert shown_types == sorted(r["type"] for r in rows)
        tab.evaluate("document.getElementById('csv').click()")
        deadline = time.monotonic() + 30
        while not (tmp_path / "funding_flows.csv").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        # The same bytes, but for the line end the terminal's echo adds after the last row.
        assert (tmp_path / "funding_flows.csv").read_text("utf-8") + "\n" == cli.stdout
        clean(tab.page(), server.url)
        # Both runs are in this key's history, and in the audit log.
        tab.wait("document.querySelectorAll('#history tbody tr').length >= 2")
    audited = [json.loads(line) for line in server.audit.read_text().splitlines()]
    mine = [a for a in audited if a["action"] == "cypher" and a["key"] == "analyst-key"
            and a["params"] == {"model": "hangzhou"}]
    assert len(mine) >= 2 and all(a["outcome"] == "ok" for a in mine)


def test_a_write_in_the_console_is_refused_and_nothing_changes(server: Server,
                                                               _scratch: Store) -> None:
    before = fingerprint(_scratch)
    with browser() as tab:
        sign_in(tab, server, "analyst", "/console")
        for statement in ("CREATE (a:Agency {id: 'x', name_zh: '新'}) RETURN a",
                          "MATCH (a:Agency {id: 'hangzhou.civil_affairs'}) DETACH DELETE a"):
            tab.evaluate(f"{{ const e = document.getElementById('editor'); "
                         f"e.value = {json.dumps(statement)}; "
                         "e.dispatchEvent(new Event('input')); }")
            run_console(tab, server)
            page = tab.page()
            assert "write" in tab.evaluate("document.querySelector('#out .error').textContent")
            # The refusal is the API's 403, which the browser reports; nothing else fails.
            assert all("/api/v1/cypher" in f for f in page.failed) and page.failed
    assert fingerprint(_scratch) == before
    refused = [json.loads(line) for line in server.audit.read_text().splitlines()
               if "DETACH DELETE" in line]
    assert refused and all(r["outcome"] != "ok" for r in refused)


def test_a_reader_key_cannot_open_the_console(server: Server) -> None:
    with browser() as tab:
        sign_in(tab, server, "reader", "/console")
        page = tab.page()
        clean(page, server.url)
        assert "needs an analyst key" in page.text
        assert tab.evaluate("document.getElementById('editor')") is None
        assert not any("/cypher" in url or "/queries" in url for url in page.requests)
    assert server.post("/cypher", role="reader", json={"query": "RETURN 1"}).status_code == 403
    assert server.get("/cypher/history", role="reader").status_code == 403


def test_history_is_the_keys_own(server: Server) -> None:
    server.post("/cypher", json={"query": "RETURN 'mine' AS x"})
    other = medgraph(server.env, "api-key", "add", "other-analyst", "--role", "analyst")
    key = other.stdout.strip()
    httpx.post(server.url + V1 + "/cypher", headers={"X-API-Key": key},
               json={"query": "RETURN 'theirs' AS x"}, timeout=30)
    mine = [h["query"] for h in server.get("/cypher/history").json()["items"]]
    assert "RETURN 'mine' AS x" in mine and "RETURN 'theirs' AS x" not in mine


# -- dashboards and diagrams -----------------------------------------------------------------
def test_dashboard_kpis_and_findings_filter_and_link(server: Server) -> None:
    kpis = server.get("/kpis", params={"year": 2024, "model": "hangzhou"}).json()["items"]
    with browser() as tab:
        sign_in(tab, server, "analyst", "/dashboards?model=hangzhou&year=2024")
        tab.wait("document.querySelector('#kpis table') && "
                 "document.querySelector('#findings table')")
        text = tab.page().text
        for kpi in kpis:  # each KPI of the year, its value against its target
            assert kpi["code"] in text and (kpi["value"] is None or str(kpi["value"]) in text)
        total = tab.evaluate("document.querySelectorAll('#findings tbody tr').length")
        kind = tab.evaluate("document.querySelector('#findings tbody td').textContent")
        tab.evaluate(f"{{ const s = document.getElementById('kind'); s.value = {json.dumps(kind)};"
                     "s.dispatchEvent(new Event('change')); }")
        kinds = tab.evaluate("[...document.querySelectorAll('#findings tbody tr')]"
                             ".map(r => r.children[0].textContent)")
        assert set(kinds) == {kind} and len(kinds) <= total
        assert f"f.kind={quote(kind)}" in tab.evaluate("location.search")
        hrefs = links(tab, "#findings td a")
        assert hrefs and all(h.startswith(("/entity/", "/case/")) for h in hrefs)


def test_diagrams_link_every_entity_to_its_page(server: Server) -> None:
    with browser() as tab:
        sign_in(tab, server, "reader", "/diagrams?view=funding&model=hangzhou")
        tab.wait("document.querySelector('#diagram svg')")
        hrefs = tab.evaluate("[...document.querySelectorAll('#diagram svg a')]"
                             ".map(a => a.getAttribute('xlink:href') || a.getAttribute('href'))")
        assert "/entity/hangzhou.basic_medical_insurance" in hrefs
        assert all(h.startswith("/entity/") for h in hrefs)
        clean(tab.page(), server.url)


def test_the_responsibility_matrix_links_agencies_and_measures(server: Server) -> None:
    svg = server.get("/diagrams/responsibility", params={"format": "svg", "links": "true",
                                                         "model": "hangzhou"}).text
    agencies = {r["id"] for r in server.get("/agencies", params={"limit": 1000}).json()["items"]}
    hrefs = set(re.findall(r'xlink:href="([^"]+)"', svg))
    linked = {h.rsplit("/", 1)[1] for h in hrefs}
    assert hrefs and all(h.startswith("/entity/") for h in hrefs)
    assert linked & agencies and linked - agencies  # the agencies' heads and the measures' rows
    with browser() as tab:
        sign_in(tab, server, "reader", "/diagrams?view=responsibility&model=hangzhou")
        tab.wait("document.querySelector('#diagram svg a')")
        target = tab.evaluate("document.querySelector('#diagram svg a')"
                              ".getAttribute('xlink:href')")
        page = tab.goto(server.url + target, "document.querySelector('h1')")
        clean(page, server.url)
        assert target.rsplit("/", 1)[1] in page.text


# -- the API the pages read -------------------------------------------------------------------
def test_cypher_csv_is_the_clis_and_audited(server: Server) -> None:
    body = {"query": "MATCH (a:Agency {model: $model}) RETURN a.id AS id, a.name_zh AS name "
                     "ORDER BY id", "params": {"model": "hangzhou"}, "format": "csv"}
    answer = server.post("/cypher", json=body)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    cli = medgraph(server.env, "query", body["query"], "--param", "model=hangzhou",
                   "--format", "csv")
    assert answer.text + "\n" == cli.stdout and answer.headers["X-Row-Count"] == str(
        len(cli.stdout.strip().splitlines()) - 1)


def test_entities_and_burden(server: Server) -> None:
    assert server.get(f"/cases/{server.case_id}/burden").json()["burden"]["year"]
    missing = server.get("/entities/nobody")
    assert missing.status_code == 404 and "nobody" in missing.json()["error"]["message"]
    assert server.get(f"/cases/{server.case_id}/burden", role="reader").status_code == 403
    lines = server.audit.read_text().splitlines()
    assert any(json.loads(line)["action"] == "burden" for line in lines)


# -- what-if over the loaded cases ----------------------------------------------------------
def _without_files(doc: dict) -> dict:
    for scenario in doc["scenarios"]:
        scenario.pop("file")  # where the reform was read from: a path, or a shipped name
    return doc


def test_whatif_of_the_loaded_cases_is_the_clis_and_follows_the_store(server: Server,
                                                                      _scratch: Store,
                                                                      tmp_path: Path) -> None:
    body = {"model": "hangzhou", "year": 2024, "reforms": ["marginal_80"]}
    assert server.post("/whatif", role="reader", json=body).status_code == 403
    answer = server.post("/whatif", json=body)
    assert answer.status_code == 200, answer.text
    shipped = Path(__file__).parents[1] / "data" / "hangzhou" / "reforms" / "marginal_80.yaml"
    cli = medgraph(server.env, "whatif", str(shipped), "--year", "2024", "--format", "json")
    assert cli.returncode == 0, cli.stderr
    assert _without_files(answer.json()) == _without_files(json.loads(cli.stdout))
    entry = json.loads(server.audit.read_text().splitlines()[-1])
    assert entry["action"] == "whatif" and entry["outcome"] == "ok"
    # another dataset loaded: the next what-if reads it (nothing stale is kept), and
    # `dataset` narrows to one
    city = tmp_path / "extra"
    made = medgraph(server.env, "synth", "--persons", "40", "--seed", "9", "--prefix", "x9-",
                    "-o", str(city))
    assert made.returncode == 0, made.stderr
    assert medgraph(server.env, "load", "cases", str(city)).returncode == 0
    try:
        both = server.post("/whatif", json=body).json()
        only = server.post("/whatif", json={**body, "dataset": "extra"}).json()
        first = answer.json()
        assert both["persons"] > first["persons"] and 0 < only["persons"] < both["persons"]
        assert both["cases"] == first["cases"] + only["cases"]
        # a dataset whose load has not completed is refused: its cases are not all there
        with _scratch.transaction() as tx:
            tx.run("MATCH (d:Dataset {id: 'extra'}) SET d.status = 'loading'")
        loading = server.post("/whatif", json={**body, "dataset": "extra"})
        assert loading.status_code == 409 and "extra" in loading.json()["error"]["message"]
        assert server.post("/whatif", json=body).status_code == 409
    finally:
        assert medgraph(server.env, "unload", "extra").returncode == 0
    unknown = server.post("/whatif", json={**body, "dataset": "extra"})
    assert unknown.status_code == 422 and "no dataset 'extra'" in unknown.text
    assert server.post("/whatif", json={**body, "dataset": "city", "persons": []}
                       ).status_code == 422  # with cases in the body, dataset has no use
    assert server.post("/whatif", json=body).json()["persons"] == first["persons"]


def test_reforms_are_listed_with_their_citations(server: Server) -> None:
    shipped = server.get("/reforms", role="reader", params={"model": "hangzhou"}).json()
    names = {r["id"]: r for r in shipped["items"]}
    assert {"marginal_80", "shared_cap_200k"} <= set(names)
    change = names["marginal_80"]["changes"][0]
    assert change["target"] == "hangzhou.rule.ma_rate_marginal_low_income"
    assert change["set"] == {"rate": 0.8} and change["cite"]["locator"] == "四(一)"
    assert server.get("/reforms", params={"model": "../etc"}).status_code == 422


OWN_REFORM = ("name: county inpatient at 95 %\nchanges:\n"
              "  - rule: hangzhou.rule.bmi_inpatient_county\n    set: {rate: 0.95}\n")


def test_the_whatif_panel_runs_reforms_and_its_url_runs_them_again(server: Server,
                                                                   shots: Path) -> None:
    expected = server.post("/whatif", json={"model": "hangzhou", "year": 2024, "reforms": [
        "marginal_80", {"yaml": OWN_REFORM}]}).json()
    own = expected["scenarios"][2]
    change = own["change"]["cost"]["basic_medical_insurance"]
    assert change > 0  # the county inpatient cases of 2024 are paid more
    with browser() as tab:
        sign_in(tab, server, "analyst", "/dashboards?model=hangzhou&year=2024")
        tab.wait("document.querySelector('#whatif-reforms input')")
        tab.evaluate("document.querySelector('#whatif-reforms input[value=marginal_80]').click();"
                     f"document.getElementById('whatif-yaml').value = {json.dumps(OWN_REFORM)};"
                     "document.getElementById('whatif-form').requestSubmit()")
        tab.wait("document.querySelector('#whatif-result table')")
        text = tab.page().text
        assert expected["scenarios"][1]["name"] in text and own["name"] in text
        assert f"{change:,.2f}" in text  # what the reform adds to basic insurance, as the API
        assert f"{own['out_of_pocket']:,.2f}" in text
        for kpi in expected["scenarios"][0]["kpis"]:
            assert kpi["code"] in text
        shared = tab.evaluate("location.pathname + location.search")
        assert "w.reform=marginal_80" in shared and "w.yaml=" in shared
        tab.screenshot(shots / "whatif.png")
        # the shared URL opens with the result
        page = tab.goto(server.url + shared, "document.querySelector('#whatif-result table')")
        clean(page, server.url)
        assert f"{change:,.2f}" in page.text
        # a reform of one's own that names no rule is refused with its line and field
        bad = OWN_REFORM.replace("bmi_inpatient_county", "no_such_rule")
        tab.evaluate(f"document.getElementById('whatif-yaml').value = {json.dumps(bad)};"
                     "document.getElementById('whatif-form').requestSubmit()")
        tab.wait("document.querySelector('#whatif-result .error')")
        message = tab.evaluate("document.querySelector('#whatif-result .error').textContent")
        assert "reforms[1]:3: rule:" in message and "no_such_rule" in message, message
    with browser() as tab:
        sign_in(tab, server, "reader", "/dashboards?model=hangzhou&year=2024&w.reform=marginal_80")
        tab.wait("document.querySelector('#whatif p')")
        assert "needs an analyst key" in tab.page().text
        assert tab.evaluate("document.querySelector('#whatif-result')") is None


def test_kpis_by_district_add_up_to_the_city_and_agree_with_the_whatif(server: Server) -> None:
    city = server.get("/kpis", params={"year": 2024, "model": "hangzhou"}).json()["items"]
    split = server.get("/kpis", params={"year": 2024, "model": "hangzhou", "by": "district",
                                        "limit": 1000}).json()["items"]
    assert [{k: v for k, v in row.items() if k != "district"} for row in split
            if row["district"] is None] == city
    districts = {row["district"] for row in split if row["district"] is not None}
    assert len(districts) >= 2  # the districts of the recipients
    for code in ("comprehensive_coverage_rate", "subsidised_enrolment_rate"):
        base = sum(r["base"] for r in split if r["code"] == code and r["district"] is not None)
        assert base == next(r["base"] for r in city if r["code"] == code)  # each person once
    # the same rates by the settlement engine, from the loaded cases (analysis/whatif.py)
    doc = server.post("/whatif", json={"year": 2024, "reforms": ["marginal_80"]}).json()
    engine = {d["district"]: d["comprehensive_coverage_rate"]
              for d in doc["scenarios"][0]["by_district"]}
    store = {r["district"]: r["value"] for r in split
             if r["code"] == "comprehensive_coverage_rate" and r["district"] is not None}
    measured = {d: v for d, v in store.items() if v is not None}
    assert measured and all(round(engine[d], 4) == v for d, v in measured.items())
    cli = medgraph(server.env, "kpi", "--year", "2024", "--by", "district", "--format", "json")
    assert cli.returncode == 0, cli.stderr
    assert {r["district"] for r in json.loads(cli.stdout)} == districts | {"(city)"}
    with browser() as tab:
        sign_in(tab, server, "reader", "/dashboards?model=hangzhou&year=2024")
        tab.wait("document.querySelector('#kpi-districts table')")
        shown = tab.evaluate("[...document.querySelectorAll('#kpi-districts tbody tr')]"
                             ".map(r => r.children[0].textContent)")
        assert set(shown) == districts


def test_findings_naming_an_entity_are_picked_before_paging(server: Server) -> None:
    def every(**params: object) -> tuple[int, list[dict]]:
        """All pages of /gaps."""
        items, offset = [], 0
        while True:
            page = server.get("/gaps", params={**params, "limit": 1000, "offset": offset}).json()
            items += page["items"]
            offset += 1000
            if offset >= page["total"]:
                return page["total"], items

    total, found = every()
    named = [f for f in found if f["entities"]]
    wanted = named[-1]["entities"][0]["id"]  # the last page's, where a client-side cut loses it
    expected = [f for f in found if any(e["id"] == wanted for e in f["entities"])]
    got = server.get("/gaps", params={"entity": wanted, "limit": 1}).json()
    assert got["items"] == expected[:1] and got["total"] == len(expected) < total, got
    other = named[0]["entities"][0]["id"]
    _, two = every(entity=[wanted, other])
    assert len(two) > len(expected) and all(
        {e["id"] for e in f["entities"]} & {wanted, other} for f in two)
    assert server.get("/islands", params={"entity": "nobody"}).json()["items"] == []


def test_person_and_household_findings_carry_their_district(server: Server,
                                                          _scratch: Store) -> None:
    found = server.get("/gaps", params={"limit": 1000}).json()["items"]
    person_level = [f for f in found if f["kind"] in (
        "recipient_not_enrolled", "high_residual_burden", "household_catastrophic",
        "cliff_effect")]
    assert person_level
    for f in person_level:
        entity = f["entities"][0]["id"]
        districts = {r["d"] for r in _scratch.read(
            "MATCH (p:Person) WHERE p.id = $id OR (p)-[:MEMBER_OF]->(:Household {id: $id}) "
            "RETURN DISTINCT p.district AS d", {"id": entity})}
        assert f["facts"]["district"] == (districts.pop() if len(districts) == 1 else None), f
    district = next(f["facts"]["district"] for f in person_level if f["facts"]["district"])
    with browser() as tab:
        sign_in(tab, server, "analyst",
                f"/dashboards?model=hangzhou&year=2024&f.district={district}")
        tab.wait("document.querySelector('#findings tbody tr')")
        shown = tab.evaluate("[...document.querySelectorAll('#findings tbody tr')]"
                             ".map(r => r.querySelector('a.chip').getAttribute('href'))")
        wanted = {f["entities"][0]["id"] for f in found
                  if (f.get("facts") or {}).get("district") == district}
        assert shown and {h.rsplit("/", 1)[1] for h in shown} == wanted
        assert tab.evaluate("document.getElementById('beyond')") is None  # all of them shown
