"""Coverage of the documents: per seed document and clause, what the models hold, and which
clauses nothing models (the documents' blind spots and ours).

The clauses are read from the seed texts by their headings: 一、 and （一） (002, 001, 003),
with 001's １． and （１） below them; 2.1. and 3.1.1. with the numbered items 1) of §3.1.1
(000); 2.1 and 3.3 (004); 图 1 and 表 1 (figures and tables). A statement (an entity or a
relation of a model) counts for the deepest clause its `locator` falls under; a locator
that names no clause of its document (the title, a header) is listed apart, so that a
wrong locator shows.

>>> key("§3.1.1 5)"), key("三（一）1（3）"), key("Table ２")
('3.1.1 5)', '三(一)1(3)', 'Table 2')
>>> under("三(一)1(3)", "三(一)"), under("3.11", "3.1"), under("3.1.1 5)", "3.1.1")
(True, False, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medgraph.loaders.model import Model

FULL = str.maketrans("０１２３４５６７８９（）．　", "0123456789(). ")
CN = "一二三四五六七八九十"
LEVEL1 = re.compile(rf"^\s*(?:#+\s*)?([{CN}]+)、\s*(.*)")
LEVEL2 = re.compile(rf"^\s*\(([{CN}]+)\)\s*(.*)")
LEVEL3 = re.compile(r"^\s*([1-9])\.\s*(\S.*)")          # 001: １．
LEVEL4 = re.compile(r"^\s*\(([1-9])\)\s*(.*)")          # 001: （１）
DOTTED = re.compile(r"^\s*([1-9](?:\.\d{1,2})*)\.?\s*([^\d\s.)%].*)")  # 000: 2.1. / 004: 3.3“…
ITEM = re.compile(r"^\s*(\d{1,2})\)\s*(.*)")            # 000 §3.1.1: 1) … 14)
FIGURE = re.compile(r"^\s*(图|表)\s*(\d+)[.\s]*(.*)")


def key(locator: str) -> str:
    """A locator or heading number in one spelling: ASCII digits and brackets, no §."""
    text = locator.translate(FULL).replace("§", "")
    return re.sub(r"\s+", " ", text).strip()


def under(locator: str, clause: str) -> bool:
    """Whether a (normalised) locator falls under a clause: the clause is a prefix not
    followed by another digit of the same number."""
    if not locator.startswith(clause):
        return False
    rest = locator[len(clause):]
    return not (rest[:1].isdigit() and clause[-1:].isdigit())


@dataclass
class Clause:
    document: str
    clause: str
    heading: str
    statements: int = 0          # under this clause, its sub-clauses included
    assumptions: int = 0
    models: set[str] = field(default_factory=set)
    within: str = ""             # a figure or table: the clause it appears in


def clauses(path: Path) -> list[Clause]:
    """The clauses of one seed document, in reading order."""
    doc = path.name
    found: dict[str, Clause] = {}
    level1 = level2 = level3 = ""
    dotted = ""
    lines = path.read_text("utf-8").splitlines()

    def add(name: str, heading: str, within: str = "") -> None:
        if name and name not in found:
            found[name] = Clause(doc, name, heading.strip()[:40], within=within)

    numbered = doc.startswith(("000", "004"))
    for raw in lines:
        line = raw.translate(FULL)
        if m := FIGURE.match(line):
            add(f"{'Fig.' if m.group(1) == '图' else 'Table'} {m.group(2)}", m.group(3),
                within=dotted if numbered else level3 or level2 or level1)
        elif numbered and dotted == "3.1.1" and (m := ITEM.match(line)):
            add(f"3.1.1 {m.group(1)})", m.group(2))
        elif numbered and (m := DOTTED.match(line)) and len(line.strip()) < 60:
            dotted = m.group(1)
            add(dotted, m.group(2))
        elif not numbered and (m := LEVEL1.match(line)) and len(line.strip()) < 60:
            level1, level2, level3 = m.group(1), "", ""
            add(level1, m.group(2))
        elif not numbered and level1 and (m := LEVEL2.match(line)):
            level2, level3 = f"{level1}({m.group(1)})", ""
            add(level2, m.group(2))
        elif doc.startswith("001") and level2 and (m := LEVEL3.match(line)):
            level3 = f"{level2}{m.group(1)}"
            add(level3, m.group(2))
        elif doc.startswith("001") and level3 and (m := LEVEL4.match(line)):
            add(f"{level3}({m.group(1)})", m.group(2))
    return list(found.values())


def coverage(models: list[Model], seeds: Path) -> dict[str, Any]:
    """Rows per document and clause, and the locators that name no clause."""
    table = {path.name: clauses(path) for path in sorted(seeds.glob("0*.txt"))}
    unmatched: dict[tuple[str, str], dict[str, Any]] = {}
    for model in models:
        items = [*(e.props for e in model.entities.values()),
                 *(r.props for r in model.relations)]
        for props in items:
            source, locator = props.get("source"), props.get("locator")
            if source not in table or not locator:
                continue
            loc = key(str(locator))
            hits = [c for c in table[source] if under(loc, c.clause)]
            # a figure or table counts for the clause it appears in, and those above it
            hits += [c for c in table[source] for h in list(hits) if h.within
                     and under(h.within, c.clause) and c not in hits]
            if not hits:
                row = unmatched.setdefault((source, str(locator)), {
                    "document": source, "locator": str(locator), "statements": 0,
                    "models": set()})
                row["statements"] += 1
                row["models"].add(model.name)
            for clause in hits:  # the clause and every clause above it
                clause.statements += 1
                clause.assumptions += bool(props.get("assumption"))
                clause.models.add(model.name)
    rows = [{"document": c.document, "clause": c.clause, "heading": c.heading,
             "statements": c.statements, "assumptions": c.assumptions,
             "models": sorted(c.models),
             "status": "modelled" if c.statements else "not modelled"}
            for cs in table.values() for c in cs]
    elsewhere = [{**row, "models": sorted(row["models"])} for row in unmatched.values()]
    return {"clauses": rows, "locators_outside_the_clauses": elsewhere}
