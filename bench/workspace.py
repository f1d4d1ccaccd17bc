"""Timings of the workspace in headless Chromium against a running `medgraph serve`: the first
paint and the data shown of the case page, and the search, both in the page and as the API's
own response time.

A page's first paint is Chromium's `first-contentful-paint` (the frame, before any data); its
data shown is the page's `medgraph:ready` mark, set when every call it waits for has answered
(the case page: the trace, each payment's rule, the person's year; the findings fill in after,
and the next run waits for them).
Each page is loaded `--runs` times in one browser, after one warm-up load; medians are printed.

\b
python -m medgraph.bench.workspace --url http://127.0.0.1:8000 --key mgk_... \\
    --case s1-C000001 --runs 10
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

import click
import httpx

TESTS = Path(__file__).resolve().parent.parent / "tests"  # the Chromium driver the tests use


def _timings(tab: object, url: str, ready: str) -> tuple[float, float]:
    tab.goto(url, ready)
    paint = tab.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime")
    shown = tab.evaluate("performance.getEntriesByName('medgraph:ready')[0]?.startTime")
    return float(paint or 0), float(shown or 0)


@click.command()
@click.option("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
@click.option("--key", required=True, help="an analyst key")
@click.option("--case", "case_id", required=True, help="a case id of the loaded city")
@click.option("--query", default="民政", show_default=True, help="what to search for")
@click.option("--runs", type=click.IntRange(1, 100), default=10, show_default=True)
def main(url: str, key: str, case_id: str, query: str, runs: int) -> None:
    sys.path.insert(0, str(TESTS))
    from browser import browser

    api: dict[str, list[float]] = {"search": [], "search_case": [], "accountability": []}
    with httpx.Client(base_url=url + "/api/v1", headers={"X-API-Key": key}, timeout=60) as http:
        for _ in range(runs + 1):
            for name, path, params in (("search", "/search", {"q": query}),
                                       ("search_case", "/search", {"q": case_id}),
                                       ("accountability", f"/cases/{case_id}/accountability",
                                        {})):
                start = time.perf_counter()
                http.get(path, params=params).raise_for_status()
                api[name].append((time.perf_counter() - start) * 1000)
    pages = {
        # Waits for the findings too, so that one run's detectors do not slow the next run.
        "case": (f"{url}/case/{quote(case_id)}", "document.querySelector('.rule-clause .cite') "
                 "&& !document.querySelector('.loading')"),
        "search": (f"{url}/?q={quote(query)}", "document.querySelector('#results table')"),
        "search_case": (f"{url}/?q={quote(case_id)}", "document.querySelector('#results a')"),
    }
    seen: dict[str, dict[str, list[float]]] = {n: {"paint": [], "shown": []} for n in pages}
    with browser() as tab:
        tab.goto(f"{url}/login", "document.getElementById('key')")
        tab.evaluate(f"document.getElementById('key').value = {json.dumps(key)};"
                     "document.getElementById('login').requestSubmit()")
        tab.wait("location.pathname === '/'")
        for name, (page, ready) in pages.items():
            _timings(tab, page, ready)  # warm-up: the browser's cache of scripts and styles
            for _ in range(runs):
                paint, shown = _timings(tab, page, ready)
                seen[name]["paint"].append(paint)
                seen[name]["shown"].append(shown)
    result = {
        "runs": runs,
        "api_ms": {n: round(statistics.median(v[1:]), 1) for n, v in api.items()},
        "pages_ms": {n: {k: round(statistics.median(v), 1) for k, v in t.items()}
                     for n, t in seen.items()},
    }
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
