"""Interactive HTML with pyvis (vis-network), self-contained: it works offline.

pyvis 0.3.2 inlines vis-network with cdn_resources="in_line" but its template still links
bootstrap from a CDN and a local ../node_modules copy of vis; those tags are removed and the
page is checked to load nothing from anywhere (`external_references`). Nodes keep the
positions of the static layout (physics off), so the HTML and the SVG show the same picture.
Tooltips are plain text (vis-network 9 shows a string title as text, never as markup).
"""

from __future__ import annotations

import html
import re

from pyvis.network import Network

from medgraph.visualizations import layout, style
from medgraph.visualizations.views import View

PX = 100  # pixels per inch of layout

_EXTERNAL = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*['\"][^'\"]+['\"][^>]*/?>"
    r"|<script\b[^>]*\bsrc\s*=\s*['\"][^'\"]+['\"][^>]*>\s*</script>",
    re.IGNORECASE | re.DOTALL)
_REFERENCE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=", re.IGNORECASE)

STYLE = """
<style>
  body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; margin: 0 1em; }
  h1 { font-size: 1.25em; margin: 0.6em 0 0.2em; }
  #mynetwork { border: 1px solid #ccc; }
  div.vis-tooltip { white-space: pre-wrap; max-width: 32em; font-size: 13px; }
  .legend { display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; font-size: 0.85em; margin: 0.5em 0; }
  .legend span.swatch { display: inline-block; width: 1.1em; height: 0.8em; margin-right: 0.3em;
                        border: 1px solid #555; vertical-align: middle; }
  .legend span.line { display: inline-block; width: 2.2em; margin-right: 0.3em;
                      vertical-align: middle; }
  .notes { color: #444; font-size: 0.85em; }
  table.matrix { border-collapse: collapse; font-size: 0.9em; }
  table.matrix th, table.matrix td { border: 1px solid #bbb; padding: 0.25em 0.5em; }
  table.matrix td.lead { background: #08519c; color: white; text-align: center; }
  table.matrix td.joint { background: #9ecae1; text-align: center; }
</style>
"""


def external_references(page: str) -> list[str]:
    """Tags of a page that would load something from a URL or a file (should be none).

    >>> external_references('<script src="https://x/y.js"></script><p>ok</p>')
    ['<script src=']
    """
    return _REFERENCE.findall(page)


def _legend(view: View) -> str:
    g = view.graph
    en = view.lang == "en"
    items = []
    for kind in sorted({k for _, k in g.nodes(data="kind")}):
        spec = style.KINDS[kind]
        items.append(f'<span><span class="swatch" style="background:{spec.colour}"></span>'
                     f"{html.escape(spec.en if en else spec.zh + ' ' + spec.en)}</span>")
    for mark in sorted({h for _, h in g.nodes(data="highlight") if h}):
        colour, zh, text_en = style.HIGHLIGHTS[mark]
        items.append(f'<span><span class="swatch" style="background:white;border:3px solid '
                     f'{colour}"></span>{html.escape(text_en if en else zh + " " + text_en)}'
                     "</span>")
    for rel_type in sorted({t for _, _, t in g.edges(data="type")}):
        spec = style.edge_style(rel_type)
        dash = "dashed" if spec.dash_vis else "solid"
        items.append(f'<span><span class="line" style="border-top:3px {dash} {spec.colour}">'
                     f"</span>{html.escape(spec.en if en else spec.zh + ' ' + spec.en)}</span>")
    return f'<div class="legend" id="legend">{"".join(items)}</div>'


def _network(view: View) -> Network:
    g = view.graph
    placed = layout.place(view)
    net = Network(height="720px", width="100%", directed=True, cdn_resources="in_line",
                  heading="")
    for node, (x, y) in sorted(placed.pos.items()):
        attrs = g.nodes[node]
        mark = attrs.get("highlight")
        net.add_node(node, label="\n".join(placed.lines[node]), title=attrs.get("tip") or "",
                     shape="box", x=x * PX, y=-y * PX, physics=False,
                     color={"background": style.KINDS[attrs.get("kind", "other")].colour,
                            "border": style.HIGHLIGHTS[mark][0] if mark else "#555555"},
                     borderWidth=4 if mark else 1,
                     font={"size": 15, "face": "Noto Sans CJK SC, sans-serif"})
    rads = layout.bends(g, placed)
    for (a, b, key), rad in sorted(rads.items(), key=lambda e: (e[0][0], e[0][1], str(e[0][2]))):
        attrs = g.edges[a, b, key]
        spec = style.edge_style(attrs["type"])
        text = attrs.get("text") or ""
        # The y axis points down on screen: matplotlib's bend becomes the other rotation.
        net.add_edge(a, b, title=attrs.get("tip") or "", color=spec.colour,
                     dashes=spec.dash_vis, width=attrs.get("width", 1.2) * 1.5,
                     label=text if text not in (spec.zh, spec.en) else "",
                     font={"size": 12, "align": "horizontal", "color": spec.colour,
                           "background": "rgba(255,255,255,0.9)", "strokeWidth": 0},
                     smooth={"enabled": bool(rad), "type": "curvedCCW" if rad > 0
                             else "curvedCW", "roundness": min(abs(rad), 1.0)})
    net.toggle_physics(False)
    return net


def _page(title: str, body: str, notes: list[str]) -> str:
    notes_html = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return (f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>'
            f"{html.escape(title)}</title>{STYLE}</head><body><h1>{html.escape(title)}</h1>"
            f'<div class="notes">{notes_html}</div>{body}</body></html>')


def _matrix_html(view: View) -> str:
    assert view.matrix is not None
    m = view.matrix
    en = view.lang == "en"
    head = "".join(f"<th>{html.escape((c.get('clause') or '') + ' ' + c['text'])}</th>"
                   for c in m.measures)
    rows = []
    for agency in m.agencies:
        cells = []
        for measure in m.measures:
            role = m.cells.get((agency["id"], measure["id"]))
            tip = html.escape(m.tips.get((agency["id"], measure["id"]), ""), quote=True)
            mark = {"lead": "lead" if en else "●牵头", "joint": "joint" if en else "○配合"}
            cells.append(f'<td class="{role}" title="{tip}">{mark[role]}</td>' if role
                         else "<td></td>")
        rows.append(f"<tr><th>{html.escape(agency['text'])}</th>{''.join(cells)}</tr>")
    if not rows:
        return "<p>此视图在模型中无数据 · nothing in the model for this view</p>"
    return (f'<table class="matrix" id="matrix"><tr><th></th>{head}</tr>{"".join(rows)}'
            "</table>")


def render_html(view: View) -> bytes:
    """The view as one HTML page with everything inline."""
    if view.matrix is not None:
        return _page(view.title, _matrix_html(view), view.notes).encode("utf-8")
    net = _network(view)
    page = net.generate_html(notebook=False)
    page = _EXTERNAL.sub("", page)
    # A list of what is drawn: printable, searchable, read by screen readers.
    nodes = "".join(f"<li>{html.escape(str(a.get('text')))}</li>"
                    for _, a in sorted(view.graph.nodes(data=True)))
    # Fit the drawing to the frame (vis-network starts at scale 1 with fixed positions), then
    # say what was drawn: a reader, and the tests, see that the script ran.
    status = ("<script>window.addEventListener('load', function () {"
              "if (typeof network !== 'undefined') { network.fit(); }"
              "var s = document.getElementById('drawn');"
              "s.textContent = 'drawn ' + (typeof network === 'undefined' ? 'nothing' :"
              " network.body.data.nodes.length + ' nodes');});</script>")
    top = (f"{STYLE}")
    extra = (f"<h1>{html.escape(view.title)}</h1>"
             + "".join(f'<p class="notes">{html.escape(n)}</p>' for n in view.notes)
             + _legend(view))
    tail = (f'<p class="notes" id="drawn"></p><details><summary>节点 nodes '
            f"({view.graph.number_of_nodes()})</summary><ul id=\"nodes\">{nodes}</ul>"
            f"</details>{status}")
    page = page.replace("</head>", f"<title>{html.escape(view.title)}</title>{top}</head>", 1)
    page = re.sub(r"<body>", lambda _: f"<body>{extra}", page, count=1)
    page = page.replace("</body>", f"{tail}</body>", 1)
    if external_references(page):
        raise RuntimeError(f"the page still loads {external_references(page)}")
    return page.encode("utf-8")
