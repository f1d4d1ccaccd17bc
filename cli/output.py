"""Printing rows for people (table) and for programs (json, csv)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import unicodedata
from collections.abc import Sequence
from typing import Any

from medgraph.visualizations import citations

FORMATS = ("table", "json", "csv")
WIDTH: int | None = None  # set by `medgraph --width N`


def _width(text: str) -> int:
    """Display width: Chinese characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_is_citation = citations.is_citation


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:g}"
    if _is_citation(value):  # a citation reads as its document and clause
        return citations.short(value)
    if isinstance(value, list) and value and all(_is_citation(v) for v in value):
        return "; ".join(citations.short(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` columns, broken at a space or between Chinese characters,
    inside a word only when the word alone is wider than the line."""
    lines: list[str] = []
    for paragraph in text.split("\n") or [""]:
        line = ""
        for token in re.findall(r"\S+\s*|\s+", paragraph) or [""]:
            pieces = [token] if _width(token.rstrip()) <= width else list(token)
            for piece in pieces:
                if line and _width(line + piece.rstrip()) > width:
                    lines.append(line.rstrip())
                    line = piece.lstrip() if len(pieces) == 1 else piece
                else:
                    line += piece
        lines.append(line.rstrip())
    return lines


def _tokens_cjk(text: str) -> str:
    """A space-free Chinese run may break anywhere: mark each character as a token."""
    return re.sub(r"([\u2e80-\u9fff\u3000-\u303f\uff00-\uffef])", "\\1\u200b", text)


def terminal_width() -> int:
    """--width if given, else the terminal's (COLUMNS), else 100."""
    return WIDTH or shutil.get_terminal_size((100, 24)).columns


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
          width: int | None = None) -> str:
    """A plain text table that fits `width` columns: long cells wrap onto more lines,
    the widest columns giving way first; nothing is cut.

    >>> print(table([{"id": "a", "n": 1}, {"id": "bb", "n": 22}]))
    id  n
    --  --
    a   1
    bb  22
    >>> print(table([{"id": "a", "text": "one two three four five six"}], width=16))
    id  text
    --  ------------
    a   one two
        three four
        five six
    """
    if not rows:
        return "(no rows)"
    width = width or terminal_width()
    columns = list(columns or rows[0].keys())
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(_width(col), *(max((_width(x) for x in row[i].split("\n")), default=0)
                                 for row in cells)) for i, col in enumerate(columns)]
    room = width - 2 * (len(columns) - 1)
    # A column gives way down to its longest word (up to 24): words are not broken while
    # there is room.
    longest = [max([_width(t) for row in cells for t in re.findall(r"[^\s\u2e80-\u9fff]+",
                                                                    row[i])] + [0])
               for i in range(len(columns))]
    floor = [min(w, max(_width(c), min(n, 24), 6))
             for w, c, n in zip(widths, columns, longest, strict=True)]
    while sum(widths) > room:
        i = max(range(len(widths)), key=lambda k: widths[k] - floor[k])
        if widths[i] <= floor[i]:
            break  # every column at its narrowest: the table runs wider than asked
        widths[i] -= 1

    def lines(values: Sequence[str]) -> list[str]:
        wrapped = [[x.replace("\u200b", "") for x in _wrap(_tokens_cjk(v), w)]
                   for v, w in zip(values, widths, strict=True)]
        height = max(len(w) for w in wrapped)
        out = []
        for k in range(height):
            parts = [(w[k] if k < len(w) else "") for w in wrapped]
            padded = (v + " " * (n - _width(v)) for v, n in zip(parts, widths, strict=True))
            out.append("  ".join(padded).rstrip())
        return out

    out = lines(columns) + ["  ".join("-" * w for w in widths).rstrip()]
    for row in cells:
        out += lines(row)
    return "\n".join(out)


def to_json(data: Any) -> str:
    return json.dumps(citations.with_short(data), ensure_ascii=False, indent=2, default=str)


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    if not rows:
        return ""
    columns = list(columns or rows[0].keys())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _raw(row.get(k)) for k in columns})
    return buffer.getvalue()


def _raw(value: Any) -> str:
    """A CSV cell for programs: numbers as Python writes them (no thousands separators),
    lists and maps as JSON.

    >>> _raw(60000.0), _raw(None), _raw({"a": 1})
    ('60000.0', '', '{"a": 1}')
    """
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str] | None = None,
           document: Any = None) -> str:
    """Rows in the chosen format; `document` (if given) is what json prints instead of rows."""
    if fmt == "json":
        return to_json(rows if document is None else document)
    if fmt == "csv":
        return to_csv(rows, columns)
    return table(rows, columns)
