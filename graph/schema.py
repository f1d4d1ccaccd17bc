"""The graph vocabulary, read from `schema.yaml`, and the checks it implies.

The schema is data: this module only reads it and answers questions about it.

>>> schema = load_schema()
>>> "Agency" in schema.labels and "CERTIFIES" in schema.relationships
True
>>> schema.check_value("rate", {"type": "number", "min": 0, "max": 1}, 1.5)
'rate must be at most 1, got 1.5'
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

IDENTIFIER = re.compile(r"^[A-Z][A-Za-z]*$|^[A-Z][A-Z_]*$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Schema:
    labels: dict[str, dict[str, Any]]
    relationships: dict[str, dict[str, Any]]
    provenance: dict[str, dict[str, Any]]
    glossary: dict[str, list[str]]
    sources: list[str]
    indexes: list[list[str]]

    def label_properties(self, label: str) -> dict[str, dict[str, Any]]:
        """Every property an entity of `label` may carry, provenance included."""
        return {**self.provenance, **self.labels[label].get("properties", {})}

    def relationship_properties(self, rel_type: str) -> dict[str, dict[str, Any]]:
        return {**self.provenance, **(self.relationships[rel_type].get("properties") or {})}

    def check_value(self, name: str, spec: dict[str, Any], value: Any) -> str | None:
        """Return what is wrong with `value` for property `name`, or None if it is fine."""
        kind = spec.get("type", "string")
        if value is None:
            return None
        if kind == "string" and not isinstance(value, str):
            return f"{name} must be text, got {_shown(value)}"
        if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            return f"{name} must be a whole number, got {_shown(value)}"
        if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"{name} must be a number, got {_shown(value)}"
        if kind == "number" and not math.isfinite(value):
            return f"{name} must be a finite number, got {value}"
        if kind == "boolean" and not isinstance(value, bool):
            return f"{name} must be true or false, got {_shown(value)}"
        if kind == "date":
            if isinstance(value, dt.date):
                return None
            if not (isinstance(value, str) and DATE.match(value)):
                return f"{name} must be a date YYYY-MM-DD, got {_shown(value)}"
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                return f"{name} is not a real date: {_shown(value)}"
        if kind == "integer_list" and not (
            isinstance(value, list) and all(type(v) is int for v in value)
        ):
            return f"{name} must be a list of whole numbers, got {_shown(value)}"
        if kind == "string_list" and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            return f"{name} must be a list of text, got {_shown(value)}"
        if "enum" in spec and value not in spec["enum"]:
            return f"{name} must be one of {', '.join(map(str, spec['enum']))}; got {_shown(value)}"
        # A category may also be a document-specific one, namespaced (lingqiu.four_party_
        # enrollees); the settlement rules check that the model defines it.
        if "glossary" in spec and value not in self.glossary[spec["glossary"]] and not (
                spec["glossary"] == "category" and isinstance(value, str) and "." in value):
            return f"{name} {_shown(value)} is not a {spec['glossary']} code of the glossary"
        if "min" in spec and value < spec["min"]:
            return f"{name} must be at least {spec['min']}, got {_shown(value)}"
        if "max" in spec and value > spec["max"]:
            return f"{name} must be at most {spec['max']}, got {_shown(value)}"
        return None


@cache
def load_schema() -> Schema:
    text = resources.files("medgraph.graph").joinpath("schema.yaml").read_text("utf-8")
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml's: 5x
    labels = raw["labels"]
    relationships = raw["relationships"]
    # Labels and types are interpolated into Cypher (Cypher cannot take them as
    # parameters); they come only from this file and must be plain identifiers.
    for name in [*labels, *relationships]:
        if not IDENTIFIER.match(name):
            raise ValueError(f"graph/schema.yaml: {name!r} is not a plain identifier")
    return Schema(
        labels=labels,
        relationships=relationships,
        provenance=raw["provenance"],
        glossary=raw["glossary"],
        sources=raw["sources"],
        indexes=raw.get("indexes", []),
    )


def schema_statements(schema: Schema | None = None) -> list[str]:
    """Constraints and indexes in Neo4j 5 syntax, which the embedded store accepts too.

    >>> any("FOR (n:Agency) REQUIRE n.id IS UNIQUE" in s for s in schema_statements())
    True
    """
    schema = schema or load_schema()
    statements = [
        f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS "
        f"FOR (n:{label}) REQUIRE n.id IS UNIQUE"
        for label in schema.labels
    ]
    statements += [
        f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
        for label, prop in schema.indexes
    ]
    return statements


def _shown(value: Any, most: int = 80) -> str:
    """A value as a message shows it: its repr, cut at `most` characters (a value may be a
    list of a million items), without the line bookkeeping of the YAML loader.

    >>> _shown(list(range(100))).endswith("… (390 chars)")
    True
    """
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if not str(k).startswith("__")}
    text = repr(value)
    return text if len(text) <= most else f"{text[:most]}… ({len(text)} chars)"
