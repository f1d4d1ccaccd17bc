"""The four formats `medgraph export` writes, each a writer fed node by node.

- `neo4j-admin`: one CSV per label and per relationship shape, with the typed headers
  `neo4j-admin database import full` reads (`id:ID(Agency)`, `rate:double`,
  `:START_ID(Person)`...), and `import.sh` holding the command that loads them.
- `graphml` and `gexf`: one file Gephi (and networkx) opens: nodes labelled by their Chinese
  name, the Neo4j label in `labels`, the relationship type in `label`, every property typed;
  GEXF also places each rule, indicator and certificate in time (`start`/`end` from
  `valid_from`/`valid_to`, a case at its date).
- `cypher`: a script of idempotent MERGE statements, one per line, that recreates the
  selection in any Neo4j (`cypher-shell -f graph.cypher`) or in medgraph's embedded store.

Every writer writes into a folder of its own and reports the files it wrote; the command
(cli/cmd_export.py) moves that folder into place only when the writer finished.

>>> cypher_literal({"name_zh": "杭州", "rate": 0.7, "ok": True, "codes": ["a'b"]})
"{name_zh: '杭州', rate: 0.7, ok: true, codes: ['a\\\\'b']}"
"""

from __future__ import annotations

import math
import re
import shlex
from collections import defaultdict
from pathlib import Path
from typing import IO, Any

from medgraph.graph.export import Element
from medgraph.graph.schema import schema_statements

FORMATS = ("neo4j-admin", "graphml", "gexf", "cypher")
ARRAY_DELIMITER = ";"  # neo4j-admin's default; a list value holding it is refused
# neo4j-admin's header types for the schema's (dates are text in the graph and stay text)
NEO4J_TYPES = {"string": "string", "date": "string", "integer": "long", "number": "double",
               "boolean": "boolean", "string_list": "string[]", "integer_list": "long[]"}
GRAPHML_TYPES = {"integer": "long", "number": "double", "boolean": "boolean"}
GEXF_TYPES = {"integer": "long", "number": "double", "boolean": "boolean"}
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ExportError(ValueError):
    """A value the format cannot hold as it is (the command exits 2, nothing is written)."""


Types = dict[str, dict[str, str]]  # label or relationship type -> property -> schema type


class Writer:
    """Receives the selection element by element; `finish` returns the files written."""

    def __init__(self, folder: Path, types: Types) -> None:
        self.folder = folder
        self.types = types
        self.nodes = 0
        self.relationships = 0

    def add(self, element: Element) -> None:
        known = self.types.get(element.type, {})
        for key in element.props:
            if key not in known:
                raise ExportError(
                    f"{element.type} {element.id}: property {key!r} is not in "
                    "graph/schema.yaml, and an export writes only what the schema declares "
                    "(remove the property, or declare it)")
        if element.start is None:
            self.nodes += 1
            self.node(element)
        else:
            self.relationships += 1
            self.relationship(element)

    def node(self, element: Element) -> None:
        raise NotImplementedError

    def relationship(self, element: Element) -> None:
        raise NotImplementedError

    def finish(self) -> list[Path]:
        raise NotImplementedError


def writer(fmt: str, folder: Path, types: Types) -> Writer:
    return {"neo4j-admin": Neo4jAdminWriter, "graphml": GraphMLWriter, "gexf": GEXFWriter,
            "cypher": CypherWriter}[fmt](folder, types)


# -- neo4j-admin --------------------------------------------------------------------------

class Neo4jAdminWriter(Writer):
    def __init__(self, folder: Path, types: Types) -> None:
        super().__init__(folder, types)
        self.files: dict[tuple[str, ...], tuple[IO[str], list[str]]] = {}

    def _file(self, key: tuple[str, ...], path: Path, header: list[str], columns: list[str]
              ) -> tuple[IO[str], list[str]]:
        if key not in self.files:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("w", encoding="utf-8", newline="")
            handle.write(",".join(header) + "\n")
            self.files[key] = (handle, columns)
        return self.files[key]

    def node(self, element: Element) -> None:
        types = self.types[element.type]
        columns = ["id", *sorted(k for k in types if k != "id")]
        header = [f"id:ID({element.type})",
                  *(f"{k}:{NEO4J_TYPES[types[k]]}" for k in columns[1:])]
        handle, columns = self._file(("node", element.type),
                                     self.folder / "nodes" / f"{element.type}.csv",
                                     header, columns)
        handle.write(_csv_row(element.props, columns, element) + "\n")

    def relationship(self, element: Element) -> None:
        assert element.start and element.end
        types = self.types.get(element.type, {})
        columns = sorted(types)
        shape = (element.type, element.start[0], element.end[0])
        header = [f":START_ID({shape[1]})", f":END_ID({shape[2]})",
                  *(f"{k}:{NEO4J_TYPES[types[k]]}" for k in columns)]
        handle, columns = self._file(("rel", *shape),
                                     self.folder / "relationships" / ("-".join(shape) + ".csv"),
                                     header, columns)
        ends = _csv_cell(element.start[1], element) + "," + _csv_cell(element.end[1], element)
        rest = _csv_row(element.props, columns, element)
        handle.write(ends + ("," + rest if columns else "") + "\n")

    def finish(self) -> list[Path]:
        for handle, _ in self.files.values():
            handle.close()
        args = [f"--array-delimiter={ARRAY_DELIMITER}", "--multiline-fields=true"]
        for key in sorted(self.files):
            if key[0] == "node":
                args.append(f"--nodes={key[1]}=nodes/{key[1]}.csv")
            else:
                args.append(f"--relationships={key[1]}=relationships/{'-'.join(key[1:])}.csv")
        script = self.folder / "import.sh"
        script.write_text(
            "#!/bin/sh\n"
            "# Loads these files into an empty Neo4j 5 database named neo4j (stop it first;\n"
            "# add --overwrite-destination to replace one). Run from this folder.\n"
            'cd "$(dirname "$0")"\n'
            # The database first: the file options take every word that follows them.
            "neo4j-admin database import full neo4j \\\n    "
            + " \\\n    ".join(shlex.quote(a) for a in args) + "\n",
            encoding="utf-8")
        script.chmod(0o755)
        return sorted(self.folder.rglob("*.csv")) + [script]


def import_command(folder: Path) -> list[str]:
    """The neo4j-admin arguments `import.sh` in `folder` runs (without the cd)."""
    text = (folder / "import.sh").read_text("utf-8")
    command = text.split('cd "$(dirname "$0")"\n', 1)[1].replace("\\\n", " ")
    return shlex.split(command)


def _csv_row(props: dict[str, Any], columns: list[str], element: Element) -> str:
    return ",".join(_csv_cell(props.get(k), element) for k in columns)


def _csv_cell(value: Any, element: Element) -> str:
    # Absent is an empty field; text is always quoted, so an empty text stays one.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value, element)
    if isinstance(value, list):
        parts = []
        for item in value:
            text = str(item)
            if ARRAY_DELIMITER in text:
                raise ExportError(f"{element.type} {element.id}: a list value holds "
                                  f"{ARRAY_DELIMITER!r}, neo4j-admin's array delimiter")
            parts.append(text)
        return _quoted(ARRAY_DELIMITER.join(parts))
    return _quoted(str(value))


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _number(value: int | float, element: Element) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ExportError(f"{element.type} {element.id}: {value} is not a number a file can "
                          "hold")
    return repr(value)


# -- GraphML and GEXF ----------------------------------------------------------------------

XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;",
               "\r": "&#13;", "\t": "&#9;"}


def xml_text(value: Any) -> str:
    """Text for an XML attribute or element; characters XML 1.0 cannot hold become U+FFFD.

    >>> xml_text('a<b & "c"\\n')
    'a&lt;b &amp; &quot;c&quot;&#10;'
    """
    text = str(value)
    out = []
    for ch in text:
        if ch in XML_ESCAPES:
            out.append(XML_ESCAPES[ch])
        elif ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF or ch in "\ufffe\uffff":
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def _scalar(value: Any) -> Any:
    """A list as one text (`a; b`): neither GraphML nor Gephi's GEXF reader takes lists."""
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return value


def _xml_value(value: Any, element: Element) -> str:
    value = _scalar(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value, element)
    return xml_text(value)


def node_key(element: Element) -> str:
    """A node's id in GraphML and GEXF: ids are unique within a label, not across labels."""
    return f"{element.type}:{element.id}"


def edge_key(element: Element) -> str:
    """A relationship's id in GraphML and GEXF, the same way."""
    return f"{element.type}:{element.id}"


def display_name(props: dict[str, Any]) -> str:
    return str(props.get("name_zh") or props.get("name_en") or props["id"])


class _XMLWriter(Writer):
    """Nodes are written as they come, relationships to a second file appended at the end:
    GEXF wants every node before the first edge, and a dataset's end nodes come last."""

    suffix = ""

    def __init__(self, folder: Path, types: Types) -> None:
        super().__init__(folder, types)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"graph.{self.suffix}"
        self.out = self.path.open("w", encoding="utf-8")
        self.edges_path = folder / f".edges.{self.suffix}"
        self.edges = self.edges_path.open("w+", encoding="utf-8")
        self.node_props = _union(types, lambda name: name[:1].isupper() and not name.isupper())
        self.edge_props = _union(types, lambda name: name.isupper())

    def finish(self) -> list[Path]:
        self.end_nodes()
        self.edges.seek(0)
        while chunk := self.edges.read(1 << 20):
            self.out.write(chunk)
        self.edges.close()
        self.edges_path.unlink()
        self.end_edges()
        self.out.close()
        return [self.path]

    def end_nodes(self) -> None:
        raise NotImplementedError

    def end_edges(self) -> None:
        raise NotImplementedError


def _union(types: Types, wanted: Any) -> dict[str, str]:
    """Every property of the labels (or types) `wanted` picks, with one type each: a name
    two labels give different types is text."""
    merged: dict[str, str] = {}
    for name, props in types.items():
        if wanted(name):
            for key, kind in props.items():
                merged[key] = kind if merged.get(key, kind) == kind else "string"
    return dict(sorted(merged.items()))


class GraphMLWriter(_XMLWriter):
    suffix = "graphml"

    def __init__(self, folder: Path, types: Types) -> None:
        super().__init__(folder, types)
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                       '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
                       '<key id="label" for="node" attr.name="label" attr.type="string"/>\n'
                       '<key id="labels" for="node" attr.name="labels" attr.type="string"/>\n'
                       '<key id="e_label" for="edge" attr.name="label" attr.type="string"/>\n')
        for domain, props, prefix in (("node", self.node_props, "n_"),
                                      ("edge", self.edge_props, "e_")):
            for key, kind in props.items():
                self.out.write(f'<key id="{prefix}{xml_text(key)}" for="{domain}" '
                               f'attr.name="{xml_text(key)}" '
                               f'attr.type="{GRAPHML_TYPES.get(kind, "string")}"/>\n')
        self.out.write('<graph id="medgraph" edgedefault="directed">\n')

    def node(self, element: Element) -> None:
        data = [f'<data key="label">{xml_text(display_name(element.props))}</data>',
                f'<data key="labels">:{element.type}</data>']
        data += [f'<data key="n_{xml_text(k)}">{_xml_value(v, element)}</data>'
                 for k, v in sorted(element.props.items()) if v is not None]
        self.out.write(f'<node id="{xml_text(node_key(element))}">{"".join(data)}</node>\n')

    def relationship(self, element: Element) -> None:
        assert element.start and element.end
        data = [f'<data key="e_label">{element.type}</data>']
        data += [f'<data key="e_{xml_text(k)}">{_xml_value(v, element)}</data>'
                 for k, v in sorted(element.props.items()) if v is not None]
        source = xml_text(f"{element.start[0]}:{element.start[1]}")
        target = xml_text(f"{element.end[0]}:{element.end[1]}")
        self.edges.write(f'<edge id="{xml_text(edge_key(element))}" source="{source}" '
                         f'target="{target}">{"".join(data)}</edge>\n')

    def end_nodes(self) -> None:
        pass

    def end_edges(self) -> None:
        self.out.write("</graph>\n</graphml>\n")


class GEXFWriter(_XMLWriter):
    suffix = "gexf"

    def __init__(self, folder: Path, types: Types) -> None:
        super().__init__(folder, types)
        self.node_ids = {k: str(i) for i, k in enumerate(["labels", *self.node_props])}
        self.edge_ids = {k: str(i) for i, k in enumerate(self.edge_props)}
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                       '<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">\n'
                       '<meta><creator>medgraph</creator></meta>\n'
                       '<graph defaultedgetype="directed" mode="dynamic" timeformat="date">\n')
        for domain, ids, props in (("node", self.node_ids, {"labels": "string",
                                                             **self.node_props}),
                                   ("edge", self.edge_ids, self.edge_props)):
            self.out.write(f'<attributes class="{domain}" mode="static">\n')
            for key, ident in ids.items():
                self.out.write(f'<attribute id="{ident}" title="{xml_text(key)}" '
                               f'type="{GEXF_TYPES.get(props[key], "string")}"/>\n')
            self.out.write("</attributes>\n")
        self.out.write("<nodes>\n")

    @staticmethod
    def _period(props: dict[str, Any]) -> str:
        start = props.get("valid_from") or props.get("date")
        end = props.get("valid_to")
        return (f' start="{xml_text(start)}"' if start else "") + \
            (f' end="{xml_text(end)}"' if end else "")

    def node(self, element: Element) -> None:
        values = [f'<attvalue for="0" value=":{element.type}"/>']
        values += [f'<attvalue for="{self.node_ids[k]}" value="{_xml_value(v, element)}"/>'
                   for k, v in sorted(element.props.items()) if v is not None]
        self.out.write(f'<node id="{xml_text(node_key(element))}" '
                       f'label="{xml_text(display_name(element.props))}"'
                       f'{self._period(element.props)}>'
                       f'<attvalues>{"".join(values)}</attvalues></node>\n')

    def relationship(self, element: Element) -> None:
        assert element.start and element.end
        values = [f'<attvalue for="{self.edge_ids[k]}" value="{_xml_value(v, element)}"/>'
                  for k, v in sorted(element.props.items()) if v is not None]
        source = xml_text(f"{element.start[0]}:{element.start[1]}")
        target = xml_text(f"{element.end[0]}:{element.end[1]}")
        self.edges.write(f'<edge id="{xml_text(edge_key(element))}" source="{source}" '
                         f'target="{target}" label="{element.type}"'
                         f'{self._period(element.props)}>'
                         f'<attvalues>{"".join(values)}</attvalues></edge>\n')

    def end_nodes(self) -> None:
        self.out.write("</nodes>\n<edges>\n")

    def end_edges(self) -> None:
        self.out.write("</edges>\n</graph>\n</gexf>\n")


# -- Cypher --------------------------------------------------------------------------------

CYPHER_BATCH = 200
# Characters str.splitlines() breaks on: escaped, so that every statement is one line.
LINE_BREAKS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def cypher_literal(value: Any) -> str:
    """A Cypher literal for a property value or map, safe to put in a script."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExportError(f"{value} cannot be written as a Cypher number")
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_name(k)}: {cypher_literal(v)}"
                               for k, v in value.items()) + "}"
    return "'" + "".join(_cypher_char(ch) for ch in str(value)) + "'"


def _cypher_char(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if ch == "'":
        return "\\'"
    if ch in LINE_BREAKS:
        return LINE_BREAKS[ch]
    if ord(ch) < 0x20 or ch in "\x7f\x85\u2028\u2029" or "\x1c" <= ch <= "\x1e":
        return f"\\u{ord(ch):04x}"
    return ch


def _name(key: str) -> str:
    return key if IDENTIFIER.match(key) else "`" + key.replace("`", "``") + "`"


class CypherWriter(Writer):
    def __init__(self, folder: Path, types: Types) -> None:
        super().__init__(folder, types)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "graph.cypher"
        self.out = self.path.open("w", encoding="utf-8")
        self.edges_path = folder / ".edges.cypher"
        self.edges = self.edges_path.open("w+", encoding="utf-8")
        self.out.write("// medgraph export: idempotent statements, one per line; "
                       "cypher-shell -f graph.cypher\n")
        for statement in schema_statements():
            self.out.write(statement + ";\n")
        self.node_rows: dict[str, list[dict]] = defaultdict(list)
        self.edge_rows: dict[tuple[str, str, str], list[dict]] = defaultdict(list)

    def node(self, element: Element) -> None:
        rows = self.node_rows[element.type]
        rows.append(element.props)
        if len(rows) >= CYPHER_BATCH:
            self._flush_nodes(element.type)

    def relationship(self, element: Element) -> None:
        assert element.start and element.end
        shape = (element.start[0], element.type, element.end[0])
        rows = self.edge_rows[shape]
        rows.append({"start": element.start[1], "end": element.end[1], "p": element.props})
        if len(rows) >= CYPHER_BATCH:
            self._flush_edges(shape)

    def _flush_nodes(self, label: str) -> None:
        rows = self.node_rows.pop(label)
        self.out.write(f"UNWIND {cypher_literal(rows)} AS row "
                       f"MERGE (n:{label} {{id: row.id}}) SET n = row;\n")

    def _flush_edges(self, shape: tuple[str, str, str]) -> None:
        start, rel_type, end = shape
        rows = self.edge_rows.pop(shape)
        self.edges.write(f"UNWIND {cypher_literal(rows)} AS row "
                         f"MATCH (a:{start} {{id: row.start}}) MATCH (b:{end} {{id: row.end}}) "
                         f"MERGE (a)-[r:{rel_type} {{id: row.p.id}}]->(b) SET r = row.p;\n")

    def finish(self) -> list[Path]:
        for label in list(self.node_rows):
            self._flush_nodes(label)
        for shape in list(self.edge_rows):
            self._flush_edges(shape)
        self.edges.seek(0)
        while chunk := self.edges.read(1 << 20):
            self.out.write(chunk)
        self.edges.close()
        self.edges_path.unlink()
        self.out.close()
        return [self.path]


def statements(path: Path) -> list[str]:
    """The statements of an exported script, without their `;` (comments left out)."""
    with path.open(encoding="utf-8") as handle:
        return [line.rstrip("\n").removesuffix(";") for line in handle
                if line.strip() and not line.startswith("//")]
