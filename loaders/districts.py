"""The districts and counties of a model's city (`data/<model>/districts/districts.yaml`).

The documents give the level (002 三(一) 各区、县（市）政府), not the list: the file says so
and every district is an assumption (docs/whatif.md). `medgraph synth` draws households
over them with probability population / total; what-if results break down by them.

>>> [d.code for d in districts("hangzhou")][:3]
['shangcheng', 'gongshu', 'xihu']
>>> round(sum(d.share for d in districts("hangzhou")), 9)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from medgraph.loaders.errors import InputError
from medgraph.loaders.model import ID, _LineLoader, model_dir

LEVELS = ("district", "county")


@dataclass(frozen=True)
class District:
    code: str
    name_zh: str
    name_en: str
    level: str
    population: int
    share: float
    tile: tuple[int, int]


def districts_file(model: str | Path = "hangzhou") -> Path:
    return model_dir(model) / "districts" / "districts.yaml"


@cache
def districts(model: str | Path = "hangzhou") -> tuple[District, ...]:
    """The model's districts, in the file's order; () when the model has no list."""
    path = districts_file(model)
    if not path.is_file():
        return ()
    raw = yaml.load(path.read_text("utf-8"), Loader=_LineLoader) or {}
    items = raw.get("districts") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise InputError(str(path), "expected `districts:`, a list", line=1, field="districts")
    rows: list[tuple[dict, int]] = []
    for item in items:
        line = item.get("__line__") if isinstance(item, dict) else None
        if not isinstance(item, dict):
            raise InputError(str(path), "a district is a mapping", field="districts")
        for name, kind in (("code", str), ("name_zh", str), ("name_en", str), ("level", str),
                           ("population", int)):
            if not isinstance(item.get(name), kind) or isinstance(item.get(name), bool):
                raise InputError(str(path), f"{name} must be {kind.__name__}", line=line,
                                 field=name)
        if not ID.match(item["code"]) or "." in item["code"]:
            raise InputError(str(path), f"code {item['code']!r} must be snake_case", line=line,
                             field="code")
        if item["level"] not in LEVELS or item["population"] <= 0:
            raise InputError(str(path), f"level is one of {', '.join(LEVELS)} and population "
                             "above 0", line=line, field="level")
        tile = item.get("tile")
        if not (isinstance(tile, list) and len(tile) == 2 and all(isinstance(t, int)
                                                                  for t in tile)):
            raise InputError(str(path), "tile is [row, column]", line=line, field="tile")
        rows.append((item, int(line or 0)))
    codes = [item["code"] for item, _ in rows]
    for (_item, line), code in zip(rows, codes, strict=True):
        if codes.count(code) > 1:
            raise InputError(str(path), f"code {code!r} twice", line=line, field="code")
    total = sum(item["population"] for item, _ in rows)
    return tuple(District(item["code"], item["name_zh"], item["name_en"], item["level"],
                          item["population"], item["population"] / total,
                          (item["tile"][0], item["tile"][1])) for item, _ in rows)
