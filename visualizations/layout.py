"""Deterministic layouts, in inches, shared by the static and the interactive renderings.

Two layouts cover every view: `tiers` (top to bottom by a node's `tier`, the coordination
network of 000 Fig. 2) and `layers` (left to right along the flows, longest-path layering
after cycles are broken, then barycentre ordering to uncross edges). Boxes are sized from the
text they hold, so spacing leaves no overlap whatever the names; the same input always gives
the same picture.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("a", text="财政局"); g.add_node("b", text="医疗救助基金")
>>> g.add_node("c", text="医疗救助")
>>> _ = g.add_edge("a", "b"); _ = g.add_edge("b", "c")
>>> placed = layered(g)
>>> [round(placed.pos[n][0], 2) for n in "abc"] == sorted(round(placed.pos[n][0], 2) for n in "abc")
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

NODE_PT = 10.0  # node label size in points
EDGE_PT = 8.0  # edge label size in points
EDGE_WRAP = 12  # ems to a line of an edge label
PAD = 0.10  # inches of padding inside a box
BULGE = 1.0  # inches an edge may bend out past the boxes (the figure grows to hold it)


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def text_width(text: str, size: float = NODE_PT) -> float:
    """Width in inches of one line: a CJK character is one em, Latin about 0.58 em.

    >>> round(text_width("民政局", 10), 3), round(text_width("abc", 10), 3)
    (0.417, 0.242)
    """
    ems = sum(1.0 if is_wide(c) else 0.58 for c in text)
    return ems * size / 72.0


# A line may break between words, between two Chinese characters, never inside a Latin
# word, a number with its unit (24.5万元) or before closing punctuation.
_TOKEN = re.compile(r"[(（][^()（）\s]{1,8}[)）]"  # a short aside: (扶贫办)
                    r"|\d[\d,.]*(?:万元|元|万|年|%)?"  # a number and its unit
                    r"|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+"  # a Latin word
                    r"|\S")  # one Chinese character
_CLOSING = set("，。、；：？！）》」』】)]}%,.;:?!")


def _em(text: str) -> float:
    return sum(1.0 if is_wide(c) else 0.5 for c in text)


def wrap(text: str, width: int = 8) -> list[str]:
    """Lines of at most about `width` ems (a CJK character is one, a Latin letter half),
    balanced, broken between words or between Chinese characters only.

    >>> wrap("杭州市卫生健康委员会")
    ['杭州市卫生', '健康委员会']
    >>> wrap("Hangzhou Medical Security Bureau")
    ['Hangzhou Medical', 'Security Bureau']
    >>> wrap("Hangzhou Poverty Alleviation Office (扶贫部门)")
    ['Hangzhou Poverty', 'Alleviation Office', '(扶贫部门)']
    >>> wrap("病例 C037245 245173.51万元")
    ['病例 C037245', '245173.51万元']
    """
    text = " ".join(str(text).split())
    if not text:
        return [""]
    tokens: list[tuple[bool, str]] = []  # (a space before it, the token)
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        spaced = match.start() > 0 and text[match.start() - 1] == " "
        if tokens and not spaced and token[0] in _CLOSING:
            tokens[-1] = (tokens[-1][0], tokens[-1][1] + token)  # keep 。 with its word
        else:
            tokens.append((spaced, token))
    total = _em(text)
    if total <= width:
        return [text]
    count = -(-total // width)
    target = max(total / count, max(_em(t) for _, t in tokens))
    lines: list[str] = []
    line = ""
    for spaced, token in tokens:
        candidate = f"{line} {token}" if line and spaced else line + token
        # Break when the line would pass the target by more than half of this token.
        if line and _em(candidate) > target + _em(token) / 2:
            lines.append(line)
            line = token
        else:
            line = candidate
    lines.append(line)
    return lines


def box_size(lines: list[str], size: float = NODE_PT) -> tuple[float, float]:
    """Width and height in inches of a box holding these lines."""
    width = max(text_width(line, size) for line in lines) + 2 * PAD
    height = len(lines) * size * 1.35 / 72.0 + 2 * PAD * 0.8
    return width, height


@dataclass
class Placed:
    """Positions (box centres), box sizes and lines of text, in inches; y grows upwards."""

    pos: dict[str, tuple[float, float]] = field(default_factory=dict)
    size: dict[str, tuple[float, float]] = field(default_factory=dict)
    lines: dict[str, list[str]] = field(default_factory=dict)
    bands: list[tuple[float, str]] = field(default_factory=list)  # (y or x, caption) per tier

    def extent(self) -> tuple[float, float, float, float]:
        """xmin, xmax, ymin, ymax of all boxes."""
        if not self.pos:
            return 0.0, 1.0, 0.0, 1.0
        xs = [(x - self.size[n][0] / 2, x + self.size[n][0] / 2) for n, (x, _) in self.pos.items()]
        ys = [(y - self.size[n][1] / 2, y + self.size[n][1] / 2) for n, (_, y) in self.pos.items()]
        return (min(a for a, _ in xs), max(b for _, b in xs),
                min(a for a, _ in ys), max(b for _, b in ys))


def _measure(graph: nx.MultiDiGraph, placed: Placed) -> None:
    for node, attrs in graph.nodes(data=True):
        lines = wrap(attrs.get("text") or str(node))
        placed.lines[node] = lines
        placed.size[node] = box_size(lines)


def acyclic_layers(graph: nx.MultiDiGraph, skip: frozenset[str] = frozenset()) -> dict[str, int]:
    """Longest-path layer of each node along the edges, cycles broken at their closing edge.

    Edge types in `skip` do not push a node to a later layer (coordination is sideways).
    """
    dag = nx.DiGraph()
    dag.add_nodes_from(sorted(graph.nodes))
    for a, b, attrs in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        if a != b and attrs.get("type") not in skip:
            dag.add_edge(a, b)
    while True:
        try:
            cycle = nx.find_cycle(dag)
        except nx.NetworkXNoCycle:
            break
        dag.remove_edge(*cycle[-1][:2])
    layer: dict[str, int] = {}
    for node in nx.lexicographical_topological_sort(dag):
        layer[node] = max((layer[p] + 1 for p in dag.predecessors(node)), default=0)
    # Pull a source next to its first consumer, so that a lone funder does not sit far left.
    for node in sorted(dag.nodes):
        succ = [layer[s] for s in dag.successors(node)]
        if dag.in_degree(node) == 0 and succ:
            layer[node] = min(succ) - 1
    return layer


def _order(graph: nx.MultiDiGraph, layer: dict[str, int], sweeps: int = 6,
           heights: dict[str, float] | None = None, gap: float = 0.32) -> list[list[str]]:
    """Nodes of each layer in an order that uncrosses edges: barycentre sweeps, keeping the
    best order seen, then swaps of neighbours while a swap removes crossings."""
    count = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(count)]
    for node in sorted(layer, key=lambda n: (graph.nodes[n].get("kind", ""), n)):
        rows[layer[node]].append(node)
    undirected = nx.Graph(graph.to_undirected())
    pairs = sorted({tuple(sorted((a, b))) for a, b in undirected.edges()
                    if a != b and a in layer and b in layer})

    def tangle(order: list[list[str]]) -> int:
        """Crossings with the boxes stacked as `layered` stacks them (unit boxes without
        `heights`)."""
        pos = {}
        for k, row in enumerate(order):
            sizes = [(heights or {}).get(n, 1.0) for n in row]
            y = (sum(sizes) + gap * (len(row) - 1)) / 2
            for n, h in zip(row, sizes, strict=True):
                pos[n] = (float(k), y - h / 2)
                y -= h + gap
        return crossings(nx.MultiDiGraph(pairs), Placed(pos=pos))

    best, best_count = [list(r) for r in rows], tangle(rows)
    for sweep in range(sweeps):
        index = {n: i - (len(row) - 1) / 2 for row in rows for i, n in enumerate(row)}
        order = range(count) if sweep % 2 == 0 else range(count - 1, -1, -1)
        for k in order:
            def centre(node: str, k: int = k, index: dict[str, float] = index) -> float:
                around = [index[m] for m in undirected.neighbors(node)
                          if m in layer and layer[m] != k]
                return sum(around) / len(around) if around else index[node]
            rows[k].sort(key=centre)
            index.update({n: i - (len(rows[k]) - 1) / 2 for i, n in enumerate(rows[k])})
        now = tangle(rows)
        if now < best_count:
            best, best_count = [list(r) for r in rows], now
    rows = best
    improved = best_count > 0 and len(pairs) <= 400  # swaps cost O(nodes × edges²)
    while improved:
        improved = False
        for row in rows:
            for i in range(len(row) - 1):
                row[i], row[i + 1] = row[i + 1], row[i]
                now = tangle(rows)
                if now < best_count:
                    best_count, improved = now, True
                else:
                    row[i], row[i + 1] = row[i + 1], row[i]
    return rows


def place(view: Any) -> Placed:
    """The layout of a view (anything with `graph`, `layout` and `captions`): the one used
    by the static and the interactive renderings alike."""
    if view.layout == "tiers":
        return tiered(view.graph, view.captions)
    if view.layout == "columns":
        return layered(view.graph, by_tier=True, captions=view.captions)
    return layered(view.graph)


def layered(graph: nx.MultiDiGraph, skip: frozenset[str] = frozenset(),
            gap_x: float = 1.5, gap_y: float = 0.32, by_tier: bool = False,
            captions: dict[int, str] | None = None) -> Placed:
    """Left-to-right layers along the edges (or, `by_tier`, by each node's `tier`); an edge
    label's room is left between layers."""
    placed = Placed()
    _measure(graph, placed)
    if not graph:
        return placed
    if by_tier:
        tiers = sorted({int(t) for _, t in graph.nodes(data="tier", default=0)})
        dense = {t: i for i, t in enumerate(tiers)}
        layer = {n: dense[int(t)] for n, t in graph.nodes(data="tier", default=0)}
        captions = {dense[t]: (captions or {}).get(t, "") for t in tiers}
    else:
        layer = acyclic_layers(graph, skip)
    rows = _order(graph, layer, heights={n: placed.size[n][1] for n in graph}, gap=gap_y)
    x = 0.0
    for k, row in enumerate(rows):
        if not row:
            continue
        width = max(placed.size[n][0] for n in row)
        labels = [graph.edges[e].get("text") or "" for n in row
                  for e in graph.out_edges(n, keys=True)]
        room = max([gap_x] + [min(3.0, max(text_width(line, EDGE_PT)
                                             for line in wrap(t, EDGE_WRAP)) + 0.9)
                              for t in labels])
        total = sum(placed.size[n][1] for n in row) + gap_y * (len(row) - 1)
        y = total / 2
        for node in row:
            h = placed.size[node][1]
            placed.pos[node] = (x + width / 2, y - h / 2)
            y -= h + gap_y
        placed.bands.append((x + width / 2, (captions or {}).get(k, f"{k}")))
        x += width + room
    return placed


def tiered(graph: nx.MultiDiGraph, captions: dict[int, str] | None = None,
           gap_x: float = 0.45, gap_y: float = 1.25, per_row: int = 9) -> Placed:
    """Top-to-bottom tiers by the node attribute `tier`; a tier wider than `per_row` boxes
    wraps onto a second row, so a large model stays printable."""
    placed = Placed()
    _measure(graph, placed)
    if not graph:
        return placed
    tiers: dict[int, list[str]] = {}
    for node in graph.nodes:
        tiers.setdefault(int(graph.nodes[node].get("tier", 0)), []).append(node)
    layer = {n: t for t, nodes in tiers.items() for n in nodes}
    keys = sorted(tiers)
    dense = {t: i for i, t in enumerate(keys)}
    rows = _order(graph, {n: dense[t] for n, t in layer.items()})
    y = 0.0
    for t, row in zip(keys, rows, strict=True):
        chunks = [row[i:i + per_row] for i in range(0, len(row), per_row)]
        top = y
        for chunk in chunks:
            height = max(placed.size[n][1] for n in chunk)
            total = sum(placed.size[n][0] for n in chunk) + gap_x * (len(chunk) - 1)
            x = -total / 2
            for node in chunk:
                w = placed.size[node][0]
                placed.pos[node] = (x + w / 2, y - height / 2)
                x += w + gap_x
            y -= height + 0.55
        placed.bands.append((top, (captions or {}).get(t, f"{t}")))
        y += 0.55 - gap_y
    return placed


def _crosses(points: list[tuple[float, float]], placed: Placed, skip: tuple[str, ...]) -> bool:
    for node, (x, y) in placed.pos.items():
        if node in skip:
            continue
        w, h = placed.size[node]
        if any(abs(px - x) < w / 2 + 0.04 and abs(py - y) < h / 2 + 0.04 for px, py in points):
            return True
    return False


def _arc(a: tuple[float, float], b: tuple[float, float], rad: float,
         steps: int = 24) -> list[tuple[float, float]]:
    """Points of matplotlib's arc3 curve from a to b (a quadratic Bézier)."""
    (x1, y1), (x2, y2) = a, b
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    out = []
    for i in range(1, steps):
        t = i / steps
        out.append(((1 - t) ** 2 * x1 + 2 * t * (1 - t) * cx + t * t * x2,
                    (1 - t) ** 2 * y1 + 2 * t * (1 - t) * cy + t * t * y2))
    return out


def bends(graph: nx.MultiDiGraph, placed: Placed) -> dict[tuple[str, str, Any], float]:
    """The arc3 `rad` of each edge: 0 (straight) unless it would cross another box or run on
    top of another edge between the same two nodes; then the smallest bend that clears.

    >>> g = nx.MultiDiGraph()
    >>> for n in "abc": g.add_node(n, text=n)
    >>> _ = g.add_edge("a", "c"); _ = g.add_edge("a", "b"); _ = g.add_edge("b", "c")
    >>> p = Placed(pos={"a": (0, 0), "b": (1, 0), "c": (2, 0)})
    >>> _measure(g, p)
    >>> r = bends(g, p); r["a", "c", 0] != 0, r["a", "b", 0]
    (True, 0.0)
    """
    out: dict[tuple[str, str, Any], float] = {}
    taken: dict[frozenset[str], list[float]] = {}
    xmin, xmax, ymin, ymax = placed.extent()
    for a, b, key in sorted(graph.edges(keys=True), key=lambda e: (e[0], e[1], str(e[2]))):
        if a == b or a not in placed.pos or b not in placed.pos:
            continue
        pair = frozenset((a, b))
        sign = 1.0 if a < b else -1.0  # the same bend seen from either end
        used = taken.setdefault(pair, [])
        chosen = None
        # Up to a wide bulge: an edge between two boxes of one column passes the boxes
        # between them only far to the side.
        for rad in (0.0, 0.2, -0.2, 0.35, -0.35, 0.5, -0.5, 0.7, -0.7, 1.0, -1.0, 1.4, -1.4,
                    2.0, -2.0, 3.0, -3.0):
            if any(abs(rad * sign - u) < 0.1 for u in used):
                continue
            arc = _arc(placed.pos[a], placed.pos[b], rad)
            # Within the drawing: a wide bulge that leaves the frame is cut off in print.
            inside = all(xmin - BULGE <= x <= xmax + BULGE and ymin - BULGE <= y <= ymax + BULGE
                         for x, y in arc)
            if inside and not _crosses(arc, placed, (a, b)):
                chosen = rad
                break
        if chosen is None:  # nothing clears: the least bent free one
            chosen = next(r for r in (0.2, -0.2, 0.35, -0.35, 0.5, -0.5, 0.7, -0.7, 0.9)
                          if all(abs(r * sign - u) >= 0.1 for u in used))
        used.append(chosen * sign)
        out[a, b, key] = chosen
    return out


def _ccw(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def crossings(graph: nx.MultiDiGraph, placed: Placed) -> int:
    """Pairs of edges whose straight lines between box centres cross (edges sharing a node,
    and parallel edges between the same two nodes, do not count): how tangled a picture is.

    >>> g = nx.MultiDiGraph([("a", "d"), ("b", "c")])
    >>> crossings(g, Placed(pos={"a": (0, 0), "b": (0, 1), "c": (1, 0), "d": (1, 1)}))
    1
    """
    segments = sorted({tuple(sorted((a, b))) for a, b in graph.edges() if a != b
                       and a in placed.pos and b in placed.pos})
    count = 0
    for i, (a, b) in enumerate(segments):
        p1, p2 = placed.pos[a], placed.pos[b]
        for c, d in segments[i + 1:]:
            if {a, b} & {c, d}:
                continue
            p3, p4 = placed.pos[c], placed.pos[d]
            if (_ccw(p1, p2, p3) * _ccw(p1, p2, p4) < 0
                    and _ccw(p3, p4, p1) * _ccw(p3, p4, p2) < 0):
                count += 1
    return count


def reach(graph: nx.MultiDiGraph, placed: Placed) -> tuple[float, float, float, float]:
    """xmin, xmax, ymin, ymax of the boxes and of the edges as `bends` curves them."""
    xmin, xmax, ymin, ymax = placed.extent()
    for (a, b, _), rad in bends(graph, placed).items():
        for x, y in _arc(placed.pos[a], placed.pos[b], rad):
            xmin, xmax, ymin, ymax = min(xmin, x), max(xmax, x), min(ymin, y), max(ymax, y)
    return xmin, xmax, ymin, ymax
