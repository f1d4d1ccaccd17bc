"""Print-quality SVG and PNG with matplotlib, on the deterministic layouts of layout.py.

Axes are in inches (the figure is sized from the layout), so boxes sized from their text never
overlap and a label keeps its size whatever the graph. Chinese needs a CJK font: the first
Noto Sans CJK (Debian: fonts-noto-cjk) or other CJK family matplotlib's font manager knows.
SVG keeps text as text (svg.fonttype none), so a reader can search it for 医疗救助.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the diagrams are files

from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch, Rectangle  # noqa: E402

from medgraph.visualizations import layout, style  # noqa: E402
from medgraph.visualizations.views import View  # noqa: E402

DPI = 150
MARGIN = 0.5  # inches around the drawing
SMALLEST_PT = 8.0  # edge labels and legends; print keeps it at 7 pt or more (pdf.paper)
PREFERRED = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "Noto Sans CJK JP", "Noto Serif CJK SC")


class FontMissing(RuntimeError):
    """No CJK font: Chinese labels would print as boxes."""


def cjk_font() -> str:
    """The family name of an installed CJK font, preferred ones first.

    >>> "CJK" in cjk_font() or "Hei" in cjk_font() or "Han" in cjk_font()  # doctest: +SKIP
    True
    """
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED:
        if name in names:
            return name
    found = sorted(n for n in names if "CJK" in n or "Hei" in n or "Han Sans" in n)
    if found:
        return found[0]
    raise FontMissing(
        "no CJK font for the Chinese labels; install Debian's fonts-noto-cjk "
        "(apt-get install fonts-noto-cjk, or `make browser`), then remove matplotlib's font "
        "cache (~/.cache/matplotlib) so that it is found")


def svg_inches(svg: bytes) -> tuple[float, float]:
    """Width and height in inches of an SVG that matplotlib wrote (sizes in pt).

    >>> svg_inches(b'<svg width="144pt" height="72pt">')
    (2.0, 1.0)
    """
    head = svg[svg.index(b"<svg"):svg.index(b">", svg.index(b"<svg"))].decode("utf-8")
    sizes = dict(re.findall(r'\b(width|height)="([\d.]+)pt"', head))
    return float(sizes["width"]) / 72, float(sizes["height"]) / 72


def _rc() -> dict[str, Any]:
    return {"font.family": [cjk_font(), "DejaVu Sans"], "svg.fonttype": "none",
            "svg.hashsalt": "medgraph", "axes.unicode_minus": False}


def _save(fig: Any, fmt: str, dpi: int) -> bytes:
    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    plt.close(fig)
    return buf.getvalue()


def _clip(centre: tuple[float, float], size: tuple[float, float],
          towards: tuple[float, float]) -> tuple[float, float]:
    """Where the line from a box centre towards a point leaves the box."""
    (x, y), (w, h) = centre, size
    dx, dy = towards[0] - x, towards[1] - y
    if dx == 0 and dy == 0:
        return centre
    scale = min(w / 2 / abs(dx) if dx else math.inf, h / 2 / abs(dy) if dy else math.inf)
    return x + dx * scale, y + dy * scale


def _legend(view: View) -> tuple[list[Any], list[str]]:
    g = view.graph
    handles: list[Any] = []
    texts: list[str] = []
    en = view.lang == "en"
    for kind in sorted({k for _, k in g.nodes(data="kind")}):
        spec = style.KINDS[kind]
        handles.append(Patch(facecolor=spec.colour, edgecolor="#555555"))
        texts.append(spec.en if en else f"{spec.zh} {spec.en}")
    for mark in sorted({h for _, h in g.nodes(data="highlight") if h}):
        colour, zh, text_en = style.HIGHLIGHTS[mark]
        handles.append(Patch(facecolor="white", edgecolor=colour, linewidth=2.5))
        texts.append(text_en if en else f"{zh} {text_en}")
    for rel_type in sorted({t for _, _, t in g.edges(data="type")}):
        spec = style.edge_style(rel_type)
        handles.append(Line2D([], [], color=spec.colour, linestyle=spec.dash_mpl, lw=1.8))
        texts.append(spec.en if en else f"{spec.zh} {spec.en}")
    return handles, texts


def _frame(width: float, height: float, view: View, legend: list[str]
           ) -> tuple[Any, float, float, int]:
    """A figure of the drawing's size plus title, notes and legend.

    Returns the figure, the heights in inches below and above the drawing, and the number of
    legend columns that fit the figure's width.
    """
    fig_w = max(width + 2 * MARGIN, 7.0, max((layout.text_width(n, 8.5) for n in view.notes),
                                             default=0) + 2 * MARGIN)
    # A legend entry is its text plus the handle and the gap matplotlib puts around it.
    entry = max((layout.text_width(t, 8) for t in legend), default=1.0) + 0.75
    columns = max(1, min(4, int((fig_w - MARGIN) // entry), len(legend)))
    legend_h = 0.25 * math.ceil(len(legend) / columns) + 0.2 if legend else 0.0
    notes_h = 0.22 * len(view.notes)
    title_h = 0.55
    bottom = MARGIN / 2 + legend_h + notes_h
    fig_h = height + 2 * MARGIN + bottom + title_h
    fig = plt.figure(figsize=(fig_w, fig_h))
    fig.text(0.5, 1 - 0.3 / fig_h, view.title, ha="center", va="center", fontsize=13,
             weight="bold")
    for i, note in enumerate(view.notes):
        fig.text(0.5, (MARGIN / 2 + legend_h + 0.22 * (len(view.notes) - i - 0.5)) / fig_h,
                 note, ha="center", va="center", fontsize=8.5, color="#444444")
    return fig, bottom, title_h, columns


def draw_graph(view: View, fmt: str = "svg", dpi: int = DPI,
               link: Callable[[str, str], str] | None = None) -> bytes:
    """SVG or PNG of a network view; in SVG, `link(id, label)` is where each entity's box and
    name lead (groups of many entities, drawn when a view is aggregated, lead nowhere)."""
    with plt.rc_context(_rc()):
        g = view.graph
        placed = layout.place(view)
        xmin, xmax, ymin, ymax = layout.reach(g, placed)  # the curves too: none is cut off
        left_room = 1.0 if view.layout == "tiers" else 0.0  # tier captions
        top_room = 0.35 if view.layout == "columns" else 0.0  # column captions
        width, height = xmax - xmin + left_room, ymax - ymin + top_room
        handles, texts = _legend(view)
        fig, bottom, top, columns = _frame(width, height, view, texts)
        fig_w, fig_h = fig.get_size_inches()
        ax = fig.add_axes((0, bottom / fig_h, 1, 1 - (bottom + top) / fig_h))
        ax.set_axis_off()
        # Data units are inches: the axes span exactly the figure's width and the drawing's height.
        cx = (xmin - left_room + xmax) / 2
        ax.set_xlim(cx - fig_w / 2, cx + fig_w / 2)
        ax.set_ylim(ymin - MARGIN, ymax + top_room + MARGIN)
        if not g:
            ax.text(cx, 0.5, "此视图在模型中无数据 · nothing in the model for this view",
                    ha="center", va="center", fontsize=11, color="#666666")
        for y, caption in placed.bands if view.layout == "tiers" else []:
            ax.text(xmin - left_room, y - 0.15, caption, ha="left", va="top", fontsize=10,
                    color="#08519c", weight="bold")
        for x, caption in placed.bands if view.layout == "columns" else []:
            ax.text(x, ymax + top_room / 2, caption, ha="center", va="center", fontsize=10,
                    color="#08519c", weight="bold")
        _edges(ax, g, placed)
        # Ids on boxes and labels (SVG groups box-N, boxtext-N, edgetext-N): what a test,
        # or a reader's script, needs to tell which label belongs to which box.
        for number, (node, (x, y)) in enumerate(placed.pos.items()):
            attrs = g.nodes[node]
            w, h = placed.size[node]
            mark = attrs.get("highlight")
            url = link(str(node), attrs["label"]) if link and attrs.get("label") else None
            ax.add_patch(FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.06",
                facecolor=style.KINDS[attrs.get("kind", "other")].colour,
                edgecolor=style.HIGHLIGHTS[mark][0] if mark else "#555555",
                linewidth=2.6 if mark else 0.8, zorder=3, gid=f"box-{number}", url=url))
            ax.text(x, y, "\n".join(placed.lines[node]), ha="center", va="center",
                    fontsize=layout.NODE_PT, zorder=4, linespacing=1.15,
                    gid=f"boxtext-{number}", url=url)
        if texts:
            fig.legend(handles, texts, loc="lower center", ncol=columns, fontsize=8, frameon=False,
                       bbox_to_anchor=(0.5, MARGIN / 4 / fig_h))
        return _save(fig, fmt, dpi)


def _edges(ax: Any, g: Any, placed: layout.Placed) -> None:
    """Arrows from box border to box border; parallel edges bend apart; labels on white."""
    rads = layout.bends(g, placed)
    labels: list[tuple[float, float, float, float]] = []
    ordered = sorted(rads.items(), key=lambda e: (e[0][0], e[0][1], str(e[0][2])))
    for number, ((a, b, key), rad) in enumerate(ordered):
        attrs = g.edges[a, b, key]
        (x1, y1), (x2, y2) = placed.pos[a], placed.pos[b]
        # A curved edge leaves its box towards the curve's control point, not the other box.
        control = ((x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1))
        start = _clip(placed.pos[a], placed.size[a], control if rad else placed.pos[b])
        end = _clip(placed.pos[b], placed.size[b], control if rad else placed.pos[a])
        spec = style.edge_style(attrs["type"])
        ax.add_patch(FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=11, color=spec.colour,
            linewidth=attrs.get("width", 1.2), linestyle=spec.dash_mpl,
            connectionstyle=f"arc3,rad={rad}", zorder=2, shrinkA=1, shrinkB=1))
        text = attrs.get("text") or ""
        if text and text not in (spec.zh, spec.en):
            # A long flow name in lines of 12 ems: it fits between two columns of boxes.
            text = "\n".join(layout.wrap(text, layout.EDGE_WRAP))
            mx, my = _label_spot(text, start, end, rad, placed, labels)
            # Under the boxes: a label that found no free spot never hides a name.
            ax.text(mx, my, text, ha="center", va="center", fontsize=layout.EDGE_PT,
                    color=spec.colour, zorder=2.5, gid=f"edgetext-{number}",
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                          "edgecolor": "none", "alpha": 0.9})


def _label_spot(text: str, start: tuple[float, float], end: tuple[float, float], rad: float,
                placed: layout.Placed, labels: list[tuple[float, float, float, float]]
                ) -> tuple[float, float]:
    """A point on the edge where its label covers no box and no other label (else the middle).

    `labels` holds the rectangles (x, y, half width, half height) already taken; the chosen
    one is added.
    """
    lines = text.split("\n")
    half_w = max(layout.text_width(line, layout.EDGE_PT) for line in lines) / 2 + 0.05
    half_h = len(lines) * layout.EDGE_PT * 0.7 / 72 + 0.03
    points = layout._arc(start, end, rad, steps=20)
    middle = len(points) // 2
    # From the middle outwards: 9, 8, 10, 7, 11, ... of the 19 inner points.
    order = [middle + (i + 1) // 2 * (1 if i % 2 else -1) for i in range(len(points) - 4)]

    def overlap(x: float, y: float) -> float:
        """Area this label would share with boxes and labels already drawn."""
        rects = [(bx, by, placed.size[n][0] / 2, placed.size[n][1] / 2)
                 for n, (bx, by) in placed.pos.items()] + labels
        return sum(max(0.0, half_w + rw - abs(x - rx)) * max(0.0, half_h + rh - abs(y - ry))
                   for rx, ry, rw, rh in rects)

    # Beside the line too (above, below, further out): a long label between close boxes
    # finds room off its edge rather than under a box.
    spots = [points[i] for i in order] + [
        (points[i][0], points[i][1] + dy) for dy in (0.2, -0.2, 0.4, -0.4, 0.6, -0.6)
        for i in order]
    # The free spot nearest the middle; if none is free, the one that hides the least.
    free = [p for p in spots if overlap(*p) == 0]
    spot = free[0] if free else min(spots, key=lambda p: overlap(*p))
    labels.append((spot[0], spot[1], half_w, half_h))
    return spot


# The most a part of the responsibility matrix may take (inches), title and legend aside:
# A3 landscape at full size (pdf.PAPERS less about 1.3 in for the title and the legend).
MATRIX_PAGE = (14.2, 7.6)


def _matrix_lines(m: Any) -> tuple[list[list[str]], list[list[str]]]:
    """Measures down (clause and text, wrapped), agencies across (short names, wrapped):
    59 measures of one sentence each read as rows, 19 body names fit as columns."""
    # Latin text is wider than the wrap's half an em a letter: narrower lines in English.
    wide = 22 if all(not a["text"].isascii() for a in m.agencies[:3]) else 16
    rows = [layout.wrap(f"{c['clause'] + ' ' if c.get('clause') else ''}{c['text']}", wide)
            for c in m.measures]
    # Column heads are set vertically, in at most two lines: a column is as wide as that.
    cols = [_head(a["text"]) for a in m.agencies]
    return rows, cols


def _head(text: str) -> list[str]:
    """A column head in two lines (a column is as wide as its lines are many), longer lines
    rather than more: 19 columns of English names fit A3."""
    for width, most in ((7, 2), (11, 2), (15, 2), (20, 3)):
        lines = layout.wrap(text, width)
        if len(lines) <= most:
            return lines
    return layout.wrap(text, 20)


def _matrix_size(m: Any) -> tuple[float, float, float, list[float]]:
    """Label width, column width, header height and each row's height, in inches."""
    size = layout.NODE_PT - 1
    rows, cols = _matrix_lines(m)
    label_w = max([layout.box_size(lines, size)[0] for lines in rows] + [1.0])
    # Vertical heads: a box's height is the column's width, its width the header's height.
    col_w = max([layout.box_size(lines, size)[1] for lines in cols] + [0.5])
    head_h = max([layout.box_size(lines, size)[0] for lines in cols] + [0.4])
    heights = [max(layout.box_size(lines, size)[1], 0.3) for lines in rows]
    return label_w, col_w, head_h, heights


def matrix_parts(view: View, page: tuple[float, float] = MATRIX_PAGE) -> list[View]:
    """The matrix split into parts that each fit `page` at full size: rows (measures) in
    clause order, columns (agencies) as they come; each part's title says which it is."""
    assert view.matrix is not None
    m = view.matrix
    label_w, col_w, head_h, heights = _matrix_size(m)
    fits = max(1, int((page[0] - label_w) // col_w))
    # As many columns in each part as the parts need, shared out evenly: 10 and 9, not 18
    # and 1.
    per_row = -(-len(m.agencies) // -(-len(m.agencies) // fits)) if m.agencies else 1
    column_chunks = [m.agencies[i:i + per_row] for i in range(0, len(m.agencies), per_row)]
    room = max(page[1] - head_h, max(heights, default=1.0))  # a row never splits
    pages = max(1, -(-sum(heights) // room))
    share = sum(heights) / pages  # rows shared out evenly too, none past the page
    row_chunks: list[list[Any]] = [[]]
    used = 0.0
    for measure, h in zip(m.measures, heights, strict=True):
        if row_chunks[-1] and (used + h > room or used + h / 2 > share):
            row_chunks.append([])
            used = 0.0
        row_chunks[-1].append(measure)
        used += h
    chunks = [(r, c) for r in row_chunks for c in column_chunks if r and c]
    if len(chunks) <= 1:
        return [view]
    parts = []
    for i, (measures, agencies) in enumerate(chunks, 1):
        keep = {(a["id"], x["id"]) for a in agencies for x in measures}
        part = View(view.name, f"{view.title} ({i}/{len(chunks)})", layout="matrix",
                    notes=list(view.notes), lang=view.lang, matrix=type(m)(
                        agencies, measures, {k: v for k, v in m.cells.items() if k in keep},
                        {k: v for k, v in m.tips.items() if k in keep}))
        parts.append(part)
    return parts


def draw_matrix(view: View, fmt: str = "svg", dpi: int = DPI,
                link: Callable[[str, str], str] | None = None) -> bytes:
    """The responsibility matrix: measures down, agencies across, ● lead, ○ joint; in SVG,
    `link(id, label)` is where each agency's head, measure's row and cell lead (a cell to
    its measure)."""

    def url(entity_id: str, label: str) -> str | None:
        return link(entity_id, label) if link else None

    assert view.matrix is not None
    m = view.matrix
    size = layout.NODE_PT - 1
    with plt.rc_context(_rc()):
        row_lines, col_lines = _matrix_lines(m)
        label_w, col_w, head_h, heights = _matrix_size(m)
        width = label_w + col_w * len(m.agencies)
        height = head_h + sum(heights)
        lead, joint = "#08519c", "#9ecae1"
        en = view.lang == "en"
        handles = [Patch(facecolor=lead), Patch(facecolor=joint)]
        texts = (["lead", "joint"] if en else ["● 牵头 lead", "○ 配合 joint"])
        fig, bottom, top, columns = _frame(width, height, view, texts)
        fig_w, fig_h = fig.get_size_inches()
        ax = fig.add_axes((0, bottom / fig_h, 1, 1 - (bottom + top) / fig_h))
        ax.set_axis_off()
        x0 = (fig_w - width) / 2
        ax.set_xlim(0, fig_w)
        ax.set_ylim(-height - MARGIN, MARGIN)
        if not m.cells:
            ax.text(fig_w / 2, -height / 2, "此视图在模型中无数据 · nothing in the model for "
                    "this view", ha="center", va="center", fontsize=11, color="#666666")
        for j, lines in enumerate(col_lines):
            ax.text(x0 + label_w + (j + 0.5) * col_w, -head_h / 2, "\n".join(lines),
                    ha="center", va="center", fontsize=size, weight="bold", rotation=90,
                    linespacing=1.15, url=url(m.agencies[j]["id"], "Agency"))
        y = -head_h
        for i, (measure, lines, row_h) in enumerate(zip(m.measures, row_lines, heights,
                                                       strict=True)):
            if i % 2 == 0:  # banding helps the eye follow a row in print
                ax.add_patch(Rectangle((x0, y - row_h), width, row_h, facecolor="#f4f4f4",
                                       edgecolor="none", zorder=0))
            ax.text(x0 + 0.08, y - row_h / 2, "\n".join(lines), ha="left", va="center",
                    fontsize=size, url=url(measure["id"], "Measure"))
            for j, agency in enumerate(m.agencies):
                role = m.cells.get((agency["id"], measure["id"]))
                if not role:
                    continue
                cx, cy = x0 + label_w + (j + 0.5) * col_w, y - row_h / 2
                ax.add_patch(Rectangle((cx - col_w / 2 + 0.04, cy - row_h / 2 + 0.03),
                                       col_w - 0.08, row_h - 0.06, zorder=1,
                                       facecolor=lead if role == "lead" else joint,
                                       url=url(measure["id"], "Measure")))
                mark = ("lead" if en else "●牵头") if role == "lead" else \
                       ("joint" if en else "○配合")
                ax.text(cx, cy, mark, ha="center", va="center", zorder=2, fontsize=8.5,
                        color="white" if role == "lead" else "black")
            y -= row_h
        ax.plot([x0, x0 + width], [-head_h, -head_h], color="#333333", lw=1)
        for j in range(len(m.agencies) + 1):
            x = x0 + label_w + j * col_w
            ax.plot([x, x], [0, -height], color="#bbbbbb", lw=0.5)
        fig.legend(handles, texts, loc="lower center", ncol=columns, fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, MARGIN / 4 / fig_h))
        return _save(fig, fmt, dpi)


def draw(view: View, fmt: str = "svg", dpi: int = DPI,
         link: Callable[[str, str], str] | None = None) -> bytes:
    if view.matrix is not None:
        return draw_matrix(view, fmt, dpi, link)
    return draw_graph(view, fmt, dpi, link)
