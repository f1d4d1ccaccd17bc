"""Named Cypher queries: one documented `.cypher` file each.

A file starts with a header of `//` comment lines, `key: value`:

    // name: scheme_without_funder
    // finds: schemes that no body or fund finances
    // why: ... (the source it rests on)
    // rows: one row per scheme: id, name_zh, model
    // params: model (text, optional)

followed by one portable openCypher statement (no APOC, no GDS).

>>> "scheme_without_funder" in [q.name for q in list_queries()]
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    header: dict[str, str]

    @property
    def doc(self) -> str:
        return self.header.get("finds", "")


def _parse(name: str, source: str) -> NamedQuery:
    header: dict[str, str] = {}
    body: list[str] = []
    last = None
    for line in source.splitlines():
        stripped = line.strip()
        if not body and stripped.startswith("//"):
            content = stripped[2:].strip()
            key, sep, value = content.partition(":")
            if sep and key.strip().isidentifier() and " " not in key.strip():
                last = key.strip()
                header[last] = value.strip()
            elif last:  # continuation of the previous header field
                header[last] = f"{header[last]} {content}".strip()
            continue
        if stripped or body:
            body.append(line)
    return NamedQuery(name=header.get("name", name), text="\n".join(body).strip(), header=header)


def list_queries() -> list[NamedQuery]:
    folder = resources.files("medgraph.queries")
    return [
        _parse(entry.name[: -len(".cypher")], entry.read_text("utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".cypher")
    ]


@functools.cache
def load_query(name: str) -> NamedQuery:
    """The named query `name`; KeyError naming the known ones if there is none.

    Read once per process: the API runs the same few queries for every request."""
    path = resources.files("medgraph.queries").joinpath(f"{name}.cypher")
    if not path.is_file():
        known = ", ".join(q.name for q in list_queries())
        raise KeyError(f"no named query {name!r}; known: {known}")
    return _parse(name, path.read_text("utf-8"))
