"""Read, validate and load the institutional models (`data/<model>/*.yaml`).

A model is the files of `data/common/` plus those of `data/<model>/`. Reading
validates everything against `graph/schema.yaml` before anything is written:
unknown labels, types, properties or codes, dangling references, duplicate
ids, missing provenance and out-of-range numbers are errors that name the
file, the line and the field.

>>> model = read_model("hangzhou")                       # doctest: +SKIP
>>> model.entities["hangzhou.medical_security"].props["name_zh"]   # doctest: +SKIP
'杭州市医疗保障局'
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from medgraph.graph.schema import Schema, load_schema
from medgraph.loaders.errors import InputError, InputErrors
from medgraph.loaders.sync import Edge, Node, Plan, apply_plan, clean, plan_sync

if TYPE_CHECKING:  # the driver is imported only where a store is opened
    from medgraph.graph.store import Store

COMMON = "common"
# Labels of case data (loaders.cases): never part of a model, never read to load one.
CASE_LABELS = frozenset({"Person", "Household", "Case", "Burden", "Dataset"})
ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
STRUCTURAL = {"id", "label", "from", "type", "to", "key"}


@dataclass(frozen=True)
class Entity:
    id: str
    label: str
    props: dict[str, Any]
    file: str
    line: int
    model: str


@dataclass(frozen=True)
class Relation:
    type: str
    from_id: str
    to_id: str
    key: str | None
    props: dict[str, Any]
    file: str
    line: int
    model: str

    @property
    def id(self) -> str:
        """The relation's identity: (from, type, to, key)."""
        base = f"{self.from_id}|{self.type}|{self.to_id}"
        return f"{base}|{self.key}" if self.key else base


@dataclass
class Model:
    name: str
    entities: dict[str, Entity] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def counts(self) -> dict[str, Counter]:
        """Entities by label and relations by type.

        >>> Model("x").counts()
        {'labels': Counter(), 'relationships': Counter()}
        """
        return {
            "labels": Counter(e.label for e in self.entities.values()),
            "relationships": Counter(r.type for r in self.relations),
        }


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: 5x faster
    """A YAML loader that remembers the line of every mapping and of each of its keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        mapping = super().construct_mapping(node, deep=True)
        mapping["__line__"] = node.start_mark.line + 1
        mapping["__lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value}
        return mapping


# Dates stay ISO text (YYYY-MM-DD): both stores compare them correctly as strings.
_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def data_dir() -> Path:
    return Path(str(resources.files("medgraph.data")))


def model_names() -> list[str]:
    """The models shipped in `data/`.

    >>> "hangzhou" in model_names()
    True
    """
    return sorted(
        p.name
        for p in data_dir().iterdir()
        if p.is_dir() and p.name != COMMON and not p.name.startswith(("_", "."))
        and any(p.glob("*.yaml"))
    )


def model_dir(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.is_dir():
        return path
    candidate = data_dir() / str(name_or_path)
    if candidate.is_dir() and str(name_or_path) != COMMON:
        return candidate
    raise InputError(
        str(name_or_path), f"no such model; known models: {', '.join(model_names())}"
    )


def read_model(name_or_path: str | Path, schema: Schema | None = None) -> Model:
    """Read and validate one model (with `data/common/`). Raises InputErrors."""
    schema = schema or load_schema()
    folder = model_dir(name_or_path)
    model = Model(name=folder.name)
    errors: list[InputError] = []
    for model_name, path in _files(folder):
        _read_file(path, model_name, model, schema, errors)
    _check_relations(model, schema, errors)
    if errors:
        raise InputErrors(errors)
    return model


def _files(folder: Path) -> list[tuple[str, Path]]:
    common = data_dir() / COMMON
    files = [(COMMON, p) for p in sorted(common.glob("*.yaml"))]
    return files + [(folder.name, p) for p in sorted(folder.glob("*.yaml"))]


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(data_dir().parent))
    except ValueError:
        return str(path)


def _read_file(
    path: Path, model_name: str, model: Model, schema: Schema, errors: list[InputError]
) -> None:
    name = _display(path)
    try:
        raw = yaml.load(path.read_text("utf-8"), Loader=_LineLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        errors.append(InputError(name, f"not valid YAML: {exc}", line=line))
        return
    if not isinstance(raw, dict):
        errors.append(InputError(name, "expected a mapping with entities and relations", line=1))
        return
    unknown = set(raw) - {"defaults", "entities", "relations", "__line__", "__lines__"}
    for key in sorted(unknown):
        line = raw["__lines__"][key]
        errors.append(InputError(name, "unknown top-level key", line=line, field=key))
    defaults = {k: v for k, v in (raw.get("defaults") or {}).items() if not k.startswith("__")}
    for item in raw.get("entities") or []:
        entity = _entity(item, defaults, name, model_name, schema, errors)
        if entity is None:
            continue
        if entity.id in model.entities:
            first = model.entities[entity.id]
            errors.append(InputError(
                name, f"duplicate id {entity.id!r} (first defined at {first.file}:{first.line})",
                line=entity.line, field="id"))
            continue
        model.entities[entity.id] = entity
    for item in raw.get("relations") or []:
        relation = _relation(item, defaults, name, model_name, schema, errors)
        if relation is not None:
            model.relations.append(relation)


def _fields(item: dict, defaults: dict) -> dict[str, Any]:
    merged = {**defaults, **{k: v for k, v in item.items() if not k.startswith("__")}}
    return {k: v for k, v in merged.items() if k not in STRUCTURAL}


def _check_props(
    props: dict, allowed: dict, item: dict, file: str, what: str, errors: list[InputError],
    schema: Schema,
) -> None:
    lines = item.get("__lines__", {})
    line = item.get("__line__")
    for key, value in props.items():
        if key not in allowed:
            errors.append(InputError(file, f"{what} may not carry {key!r} (graph/schema.yaml)",
                                     line=lines.get(key, line), field=key))
            continue
        problem = schema.check_value(key, allowed[key], value)
        if problem:
            errors.append(InputError(file, problem, line=lines.get(key, line), field=key))
    for key, spec in allowed.items():
        if spec.get("required") and props.get(key) in (None, ""):
            errors.append(InputError(file, f"{what} needs {key!r}", line=line, field=key))
    # Provenance: every statement says where it comes from.
    if props.get("source") not in schema.sources:
        errors.append(InputError(file, f"{what}: source must be one of the seed files, got "
                                 f"{props.get('source')!r}", line=lines.get("source", line),
                                 field="source"))
    if not props.get("locator"):
        errors.append(InputError(file, f"{what} needs a locator (section, table or figure)",
                                 line=line, field="locator"))
    if props.get("assumption"):
        if not props.get("note"):
            errors.append(InputError(file, f"{what} is an assumption and needs a note saying why",
                                     line=line, field="note"))
    elif not props.get("quote"):
        errors.append(InputError(file, f"{what} needs a quote from its source, or "
                                 "assumption: true with a note", line=line, field="quote"))


def _entity(
    item: Any, defaults: dict, file: str, model_name: str, schema: Schema,
    errors: list[InputError],
) -> Entity | None:
    if not isinstance(item, dict):
        errors.append(InputError(file, f"an entity must be a mapping, got {item!r}"))
        return None
    line = item["__line__"]
    entity_id, label = item.get("id"), item.get("label")
    if not isinstance(entity_id, str) or not ID.match(entity_id):
        errors.append(InputError(file, f"id must be dotted snake_case text, got {entity_id!r}",
                                 line=line, field="id"))
        return None
    if label not in schema.labels:
        errors.append(InputError(file, f"{entity_id}: unknown label {label!r}",
                                 line=item["__lines__"].get("label", line), field="label"))
        return None
    props = _fields(item, defaults)
    _check_props(props, schema.label_properties(label), item, file, f"{label} {entity_id}",
                 errors, schema)
    return Entity(entity_id, label, props, file, line, model_name)


def _relation(
    item: Any, defaults: dict, file: str, model_name: str, schema: Schema,
    errors: list[InputError],
) -> Relation | None:
    if not isinstance(item, dict):
        errors.append(InputError(file, f"a relation must be a mapping, got {item!r}"))
        return None
    line = item["__line__"]
    rel_type = item.get("type")
    if rel_type not in schema.relationships:
        errors.append(InputError(file, f"unknown relationship type {rel_type!r}", line=line,
                                 field="type"))
        return None
    for end in ("from", "to"):
        if not isinstance(item.get(end), str):
            errors.append(InputError(file, f"{rel_type} needs {end!r}", line=line, field=end))
            return None
    key = item.get("key")
    props = _fields(item, defaults)
    what = f"{item['from']} -{rel_type}-> {item['to']}"
    _check_props(props, schema.relationship_properties(rel_type), item, file, what, errors, schema)
    return Relation(rel_type, item["from"], item["to"], None if key is None else str(key),
                    props, file, line, model_name)


def _check_relations(model: Model, schema: Schema, errors: list[InputError]) -> None:
    seen: dict[str, Relation] = {}
    for rel in model.relations:
        spec = schema.relationships[rel.type]
        for end, ref in (("from", rel.from_id), ("to", rel.to_id)):
            target = model.entities.get(ref)
            if target is None:
                errors.append(InputError(rel.file, f"{rel.type}: {end} {ref!r} is not defined in "
                                         f"this model or data/common", line=rel.line, field=end))
            elif target.label not in spec[end]:
                errors.append(InputError(
                    rel.file, f"{rel.type} cannot go {end} a {target.label} ({ref}); allowed: "
                    f"{', '.join(spec[end])}", line=rel.line, field=end))
        if rel.id in seen:
            first = seen[rel.id]
            errors.append(InputError(rel.file, f"duplicate relation {rel.id} (first at "
                                     f"{first.file}:{first.line}); give one a `key`",
                                     line=rel.line, field="key"))
        seen[rel.id] = rel


def to_graph(model: Model) -> tuple[list[Node], list[Edge]]:
    """The model as store nodes and edges, each tagged with the model it came from."""
    nodes = [
        Node(e.label, e.id, clean({**e.props, "id": e.id, "model": e.model}))
        for e in model.entities.values()
    ]
    edges = []
    for r in model.relations:
        props = clean({**r.props, "id": r.id, "model": r.model})
        if r.key is not None:
            props["key"] = r.key
        edges.append(Edge(r.type, r.id, model.entities[r.from_id].label, r.from_id,
                          model.entities[r.to_id].label, r.to_id, props))
    return nodes, edges


def load_model(store: Store, model: Model, *, dry_run: bool = False) -> Plan:
    """Make the store hold exactly this model (and data/common), in one transaction."""
    nodes, edges = to_graph(model)
    plan = plan_sync(store, nodes, edges, prune_models=[COMMON, model.name],
                     prune_labels=[label for label in load_schema().labels
                                   if label not in CASE_LABELS])
    if not dry_run and plan.changes:
        store.write_transaction(lambda tx: apply_plan(tx, plan))
    return plan


if __name__ == "__main__":  # python -m medgraph.loaders.model NAME: validate only
    import sys

    for arg in sys.argv[1:] or model_names():
        try:
            m = read_model(arg)
        except InputError as exc:
            print(exc, file=sys.stderr)
            sys.exit(2)
        print(arg, dict(m.counts()["labels"]), dict(m.counts()["relationships"]))
