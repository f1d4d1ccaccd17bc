"""Graph algorithms over the data-sharing graph, as plain functions.

The data-sharing graph joins agencies and information systems by SHARES_DATA,
OPERATES and USES. Direction is dropped: a system an agency operates or uses is
a place where its data meet other bodies' data, whichever way the flow is
recorded. The graph is read once from the store (`queries/data_sharing_graph`)
and everything else runs in memory, because openCypher's variable-length match
enumerates every trail and does not scale on a graph with cycles.

>>> g = build_graph([
...     {"id": "a", "name_zh": "甲", "label": "Agency", "rel": "OPERATES", "to": "s"},
...     {"id": "b", "name_zh": "乙", "label": "Agency", "rel": "USES", "to": "s"},
...     {"id": "s", "name_zh": "系统", "label": "InformationSystem", "rel": None, "to": None},
...     {"id": "c", "name_zh": "丙", "label": "Agency", "rel": None, "to": None},
... ])
>>> components(g)
[['a', 'b', 's'], ['c']]
>>> articulation_points(g)
['s']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

LINK = "->"


def build_graph(rows: Iterable[dict[str, Any]]) -> nx.Graph:
    """An undirected graph from `data_sharing_graph` rows (a node per id, an edge per relation).

    Each edge keeps the list of relations it stands for (type, direction, data, provenance).

    >>> g = build_graph([{"id": "a", "label": "Agency", "rel": "SHARES_DATA", "to": "b",
    ...                   "data": "名单", "mode": "push"}])
    >>> g.edges["a", "b"]["relations"][0]["data"]
    '名单'
    """
    graph = nx.Graph()
    for row in rows:
        node = row["id"]
        if node not in graph or "label" not in graph.nodes[node]:
            graph.add_node(node, name_zh=row.get("name_zh"), label=row.get("label"),
                           model=row.get("model"))
        target = row.get("to")
        if not row.get("rel") or not target:
            continue
        if target not in graph:
            graph.add_node(target)  # its own row (if it is in scope) fills the attributes
        relation = {key: row.get(key) for key in
                    ("rel", "data", "mode", "source", "locator", "quote")}
        relation["from"], relation["to"] = node, target
        if graph.has_edge(node, target):
            graph.edges[node, target]["relations"].append(relation)
        else:
            graph.add_edge(node, target, relations=[relation])
    return graph


def read_graph(store: Any, model: str | None = None) -> nx.Graph:
    """The data-sharing graph of one model (or of all) read from the store."""
    from medgraph.queries import load_query

    rows = store.read(load_query("data_sharing_graph").text, {"model": model}, limit=None)
    return build_graph(sorted(rows, key=lambda r: (r["id"], r["rel"] or "", r["to"] or "")))


def components(graph: nx.Graph) -> list[list[str]]:
    """Connected components, largest first, each sorted; ties broken by first id.

    >>> components(nx.Graph([("x", "y"), ("z", "w"), ("w", "v")]))
    [['v', 'w', 'z'], ['x', 'y']]
    """
    parts = [sorted(part) for part in nx.connected_components(graph)]
    return sorted(parts, key=lambda part: (-len(part), part[0]))


def has_path(graph: nx.Graph, a: str, b: str) -> bool:
    """Whether any chain of data relations joins `a` and `b`.

    >>> has_path(nx.Graph([("a", "s"), ("s", "b")]), "a", "b")
    True
    >>> has_path(nx.Graph([("a", "s")]), "a", "zzz")
    False
    """
    return a in graph and b in graph and nx.has_path(graph, a, b)


def articulation_points(graph: nx.Graph) -> list[str]:
    """Nodes whose removal splits their component: single points of failure.

    >>> articulation_points(nx.path_graph(["a", "b", "c"]))
    ['b']
    """
    return sorted(nx.articulation_points(graph))


def bridges(graph: nx.Graph) -> list[tuple[str, str]]:
    """Links whose removal splits their component, each as a sorted pair.

    >>> bridges(nx.Graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]))
    [('c', 'd')]
    """
    return sorted(tuple(sorted(edge)) for edge in nx.bridges(graph))


def brokers(graph: nx.Graph, top: int = 5) -> list[tuple[str, float]]:
    """The `top` nodes by betweenness centrality (share of shortest paths through them), > 0 only.

    >>> brokers(nx.path_graph(["a", "b", "c"]), top=2)
    [('b', 1.0)]
    """
    ranked = sorted(nx.betweenness_centrality(graph).items(), key=lambda kv: (-kv[1], kv[0]))
    return [(node, round(score, 4)) for node, score in ranked[:top] if score > 0]


def parse_removal(spec: str) -> tuple[str, ...]:
    """`ID` (a node) or `FROM_ID->TO_ID` (a link) as a tuple of one or two ids.

    >>> parse_removal("hangzhou.civil_affairs")
    ('hangzhou.civil_affairs',)
    >>> parse_removal(" a -> b ")
    ('a', 'b')
    """
    if LINK in spec:
        a, _, b = spec.partition(LINK)
        return (a.strip(), b.strip())
    return (spec.strip(),)


def without(graph: nx.Graph, spec: str) -> nx.Graph:
    """A copy of the graph without the node or link named by `spec`; KeyError when absent.

    >>> sorted(without(nx.path_graph(["a", "b", "c"]), "a->b").edges)
    [('b', 'c')]
    """
    removal = parse_removal(spec)
    copy = graph.copy()
    if len(removal) == 1:
        if removal[0] not in copy:
            raise KeyError(f"{removal[0]!r} is not in the data-sharing graph")
        copy.remove_node(removal[0])
    else:
        if not copy.has_edge(*removal):
            raise KeyError(f"no data link {removal[0]}->{removal[1]} in the data-sharing graph")
        copy.remove_edge(*removal)
    return copy


def cut_off(graph: nx.Graph, spec: str) -> list[list[str]]:
    """What-if: the groups of nodes that would lose their link to the rest if `spec` went.

    Each group is a component of the graph without `spec` that is smaller than the component
    it was part of before; the largest remnant of each old component is not reported.

    >>> cut_off(nx.path_graph(["a", "b", "c", "d"]), "b")
    [['a']]
    """
    after = without(graph, spec)
    groups: list[list[str]] = []
    for before in components(graph):
        remnants = components(after.subgraph(n for n in before if n in after))
        groups.extend(remnants[1:])  # the largest remnant keeps its links; the rest are cut off
    return groups
