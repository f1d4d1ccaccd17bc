"""The workspace's pages: one HTML shell per page, filled in the browser from `/api/v1`.

The server renders the frame (navigation, headings, the page's parameters from its URL); the
data comes from the same endpoints every client calls, with the key the login form keeps in
the browser's session storage. There is no second data path and no build step: the scripts in
static/ are plain JavaScript, shipped with the package, and the pages load nothing from
elsewhere (the Content-Security-Policy forbids it, so a slip shows as a console error).

Pages: /login, / (search), /entity/{id}, /case/{id}, /console, /dashboards, /diagrams.
Every page's state is in its URL, so each can be shared.
"""

from __future__ import annotations

import html
from pathlib import Path as FilePath

from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = FilePath(__file__).parent / "static"
ASSETS = "/assets"

# Scripts and styles from this server only; inline styles for the SVG diagrams matplotlib
# writes; no inline scripts, no other origin.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
          "base-uri 'none'; form-action 'self'")

NAV = (("/", "检索 Search"), ("/dashboards", "看板 Dashboards"), ("/diagrams", "图 Diagrams"),
       ("/console", "Cypher"))

router = APIRouter(include_in_schema=False)


def shell(page: str, title: str, **data: str) -> HTMLResponse:
    """The frame of every page: `page` names the script's entry point, `data` its inputs."""
    attrs = " ".join(f'data-{name.replace("_", "-")}="{html.escape(value)}"'
                     for name, value in data.items())
    links = "".join(f'<a href="{href}">{html.escape(text)}</a>' for href, text in NAV)
    body = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · medgraph</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{ASSETS}/workspace.css">
<script src="{ASSETS}/graph.js" defer></script>
<script src="{ASSETS}/workspace.js" defer></script>
</head>
<body>
<header><a class="brand" href="/">medgraph</a><nav>{links}</nav>
<span id="who"></span></header>
<main id="main" data-page="{page}" {attrs}><h1>{html.escape(title)}</h1>
<p class="loading">…</p></main>
</body>
</html>
"""
    return HTMLResponse(body, headers={"Content-Security-Policy": POLICY,
                                       "Cache-Control": "no-store"})


@router.get("/login")
def login() -> HTMLResponse:
    return shell("login", "登录 Sign in")


@router.get("/")
@router.get("/search")
def search() -> HTMLResponse:
    return shell("search", "检索 Search")


@router.get("/entity/{entity_id:path}")
def entity(entity_id: str = Path(..., max_length=300)) -> HTMLResponse:
    return shell("entity", entity_id, id=entity_id)


@router.get("/case/{case_id:path}")
def case(case_id: str = Path(..., max_length=300)) -> HTMLResponse:
    return shell("case", case_id, id=case_id)


@router.get("/console")
def console() -> HTMLResponse:
    return shell("console", "Cypher 控制台 console")


@router.get("/dashboards")
def dashboards() -> HTMLResponse:
    return shell("dashboards", "看板 Dashboards")


@router.get("/diagrams")
def diagrams() -> HTMLResponse:
    return shell("diagrams", "图 Diagrams")


def install(app: FastAPI) -> None:
    """Serve the pages and their scripts and styles."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="workspace-assets")
    app.include_router(router)
