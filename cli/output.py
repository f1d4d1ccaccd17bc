"""Printing rows for people (table) and for programs (json, csv)."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "json", "csv")


def _width(text: str) -> int:
    """Display width: Chinese characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
          max_width: int = 60) -> str:
    """A plain text table.

    >>> print(table([{"id": "a", "n": 1}, {"id": "bb", "n": 22}]))
    id  n
    --  --
    a   1
    bb  22
    """
    if not rows:
        return "(no rows)"
    columns = list(columns or rows[0].keys())
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    cells = [[c if _width(c) <= max_width else c[: max_width // 2 - 1] + "…" for c in row]
             for row in cells]
    widths = [max(_width(col), *(_width(row[i]) for row in cells)) for i, col in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        padded = (v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True))
        return "  ".join(padded).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


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
