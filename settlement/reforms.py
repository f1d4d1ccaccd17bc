"""Reforms: changes to a model's benefit rules, held as YAML data (docs/whatif.md).

A reform names the rules it changes by id and the parameters by name; it never changes
code. Reading checks the file's shape; applying it to a model checks every rule id,
scheme, category and parameter against the model and graph/schema.yaml, so a reform that
names something the model lacks is refused with its file, line and field.

>>> reform = parse_reform('''
... name: marginal households at 90 %
... changes:
...   - rule: hangzhou.rule.ma_rate_marginal_low_income
...     set: {rate: 0.9}
... ''', "r.yaml")
>>> reform.name, reform.changes[0].kind, reform.changes[0].line
('marginal households at 90 %', 'set', 4)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from medgraph.graph.schema import load_schema
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import ID, Entity, Model, Relation, _LineLoader
from medgraph.settlement.rules import SCHEMES, RuleSet, rules_from_model

# The keys that say what a change does; each change has exactly one of them.
KINDS = {"rule": "set", "add_rule": "add_rule", "remove_rule": "remove_rule",
         "add_category": "add_category", "order": "order"}
# The keys a change may carry besides its kind: the citation of why (as in the model).
CITATION = ("source", "locator", "quote", "note")
# BenefitRule properties that say where a rule comes from or what it is called: a reform
# cites its own reasons (CITATION) instead of rewriting the rule's.
NOT_PARAMETERS = frozenset({"name_zh", "name_en", "kind", "source", "locator", "quote", "note",
                            "assumption"})


@dataclass(frozen=True)
class Change:
    """One change of a reform, with the line it starts on."""

    kind: str
    target: Any                      # a rule id, a category code, the new rule, the order
    line: int
    values: dict[str, Any] = field(default_factory=dict)   # `set`, or add_category's fields
    lines: dict[str, int] = field(default_factory=dict)    # line of each key of the change
    cite: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reform:
    name: str
    file: str
    description: str = ""
    changes: tuple[Change, ...] = ()


def read_reform(path: str | Path) -> Reform:
    """Read a reform file; InputError (file, line, field) when it is not one."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the reform: {exc}") from None
    return parse_reform(text, str(path))


def _no_aliases(text: str, file: str) -> None:
    """Refuse `*name` aliases: a reform needs none, and nested aliases make a short text a
    value of billions of items (a reform comes over HTTP too)."""
    for event in yaml.parse(text, Loader=_LineLoader):
        if isinstance(event, yaml.AliasEvent):
            raise InputError(file, f"*{event.anchor}: a reform may not use YAML aliases; "
                             "write the value out", line=event.start_mark.line + 1)


def parse_reform(text: str, file: str) -> Reform:
    try:
        _no_aliases(text, file)
        raw = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(file, f"not valid YAML: {' '.join(str(exc).split())}",
                         line=mark.line + 1 if mark else None) from None
    if not isinstance(raw, dict):
        raise InputError(file, "a reform is a mapping with name and changes", line=1)
    lines = raw["__lines__"]
    for key in raw:
        if not key.startswith("__") and key not in ("name", "description", "changes"):
            raise InputError(file, "unknown key of a reform (name, description, changes)",
                             line=lines[key], field=key)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(file, "a reform needs a name (text)", line=lines.get("name", 1),
                         field="name")
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise InputError(file, "description must be text", line=lines["description"],
                         field="description")
    items = raw.get("changes")
    if not isinstance(items, list) or not items:
        raise InputError(file, "a reform needs a list of changes", line=lines.get("changes", 1),
                         field="changes")
    return Reform(name=name.strip(), file=file, description=description.strip(),
                  changes=tuple(_change(item, file, lines["changes"]) for item in items))


def _change(item: Any, file: str, line: int) -> Change:
    if not isinstance(item, dict):
        raise InputError(file, f"a change is a mapping, got {item!r}", line=line,
                         field="changes")
    line, lines = item["__line__"], item["__lines__"]
    keys = [k for k in item if not k.startswith("__")]
    kinds = [k for k in keys if k in KINDS]
    if len(kinds) != 1:
        raise InputError(file, "a change has exactly one of " + ", ".join(KINDS), line=line,
                         field="changes")
    key = kinds[0]
    allowed = {key, *CITATION} | ({"set"} if key == "rule" else set()) | \
        ({"scheme", "like"} if key == "add_category" else set())
    for k in keys:
        if k not in allowed:
            raise InputError(file, f"a {key} change may not carry {k!r} (it takes "
                             f"{', '.join(sorted(allowed))})", line=lines[k], field=k)
    cite = {k: item[k] for k in CITATION if k in item}
    target = item[key]
    values: dict[str, Any] = {}
    value_lines = dict(lines)
    if key == "rule":
        given = item.get("set")
        if not isinstance(given, dict) or not [k for k in given if not k.startswith("__")]:
            raise InputError(file, "a rule change needs `set`: the parameters and their new "
                             "values", line=lines.get("set", line), field="set")
        values = {k: v for k, v in given.items() if not k.startswith("__")}
        value_lines.update(given["__lines__"])
    elif key == "add_category":
        for need in ("scheme", "like"):
            if not isinstance(item.get(need), str):
                raise InputError(file, f"add_category needs {need!r} (text)",
                                 line=lines.get(need, line), field=need)
        values = {"scheme": item["scheme"], "like": item["like"]}
    elif key == "add_rule":
        if not isinstance(target, dict):
            raise InputError(file, "add_rule is the new rule: a mapping with id, scheme, kind "
                             "and its parameters", line=lines[key], field=key)
        value_lines.update(target["__lines__"])
        target = {k: v for k, v in target.items() if not k.startswith("__")}
    elif key == "order" and (not isinstance(target, list)
                             or not all(isinstance(s, str) for s in target)):
        raise InputError(file, "order is the list of scheme codes in settlement order",
                         line=lines[key], field=key)
    if key in ("rule", "remove_rule", "add_category") and not isinstance(target, str):
        raise InputError(file, f"{key} must be text, got {target!r}", line=lines[key], field=key)
    return Change(KINDS[key], target, line, values, value_lines, cite)


# -- applying ---------------------------------------------------------------------------------

def apply_reform(model: Model, reform: Reform) -> Model:
    """The model with the reform's changes, in order; InputError naming the reform's file,
    line and field when a change names what the model lacks or sets a value the schema
    refuses. The model given is not changed."""
    out = Model(name=model.name, entities=dict(model.entities), relations=list(model.relations))
    for change in reform.changes:
        _apply(out, change, reform.file)
    return out


def reform_rules(model: Model, reform: Reform | None) -> RuleSet:
    """The rule set of the model under the reform (the baseline's when reform is None).
    Refused as a whole (InputError) when the changed rules cannot be settled together."""
    if reform is None:
        return rules_from_model(model)
    changed = apply_reform(model, reform)
    try:
        return rules_from_model(changed)
    except InputError as exc:
        if exc.file == reform.file:
            raise
        # the rules read apart fine but not together: say so about the reform
        raise InputError(reform.file, f"after the changes: {exc.message}",
                         field=exc.field) from None


def set_parameter(model: Model, rule_id: str, name: str, value: Any, file: str) -> Model:
    """The model with one parameter of one rule set (the free parameter of a goal-seek)."""
    change = Change("set", rule_id, 0, {name: value}, {})
    out = Model(name=model.name, entities=dict(model.entities), relations=list(model.relations))
    _apply(out, change, file)
    return out


def parameter_of(model: Model, dotted: str, file: str = "--free") -> tuple[str, str, Any]:
    """(rule id, parameter, current value) of `RULE_ID.PARAMETER`, checked against the model.

    >>> from medgraph.loaders.model import read_model           # doctest: +SKIP
    >>> parameter_of(read_model("hangzhou"), "hangzhou.rule.ma_rate_marginal_low_income.rate")
    ('hangzhou.rule.ma_rate_marginal_low_income', 'rate', 0.7)  # doctest: +SKIP
    """
    rule_id, _, name = dotted.rpartition(".")
    rule = model.entities.get(rule_id)
    if rule is None or rule.label != "BenefitRule":
        raise InputError(file, f"{rule_id!r} is no BenefitRule of model {model.name}",
                         field="free")
    spec = _parameters().get(name)
    if spec is None or spec.get("type") not in ("number", "integer"):
        numeric = sorted(k for k, v in _parameters().items() if v.get("type") in
                         ("number", "integer"))
        raise InputError(file, f"{name!r} is not a numeric parameter of a benefit rule (one "
                         f"of {', '.join(numeric)})", field="free")
    return rule_id, name, rule.props.get(name)


def _parameters() -> dict[str, dict[str, Any]]:
    props = load_schema().labels["BenefitRule"].get("properties", {})
    return {k: v for k, v in props.items() if k not in NOT_PARAMETERS}


def _check_parameter(name: str, value: Any, file: str, lines: dict[str, int],
                     line: int | None = None) -> None:
    spec = _parameters().get(name)
    if spec is None:
        raise InputError(file, f"{name!r} is not a parameter of a benefit rule (one of "
                         f"{', '.join(sorted(_parameters()))}; graph/schema.yaml)",
                         line=lines.get(name, line), field=name)
    problem = load_schema().check_value(name, spec, value)
    if problem:
        raise InputError(file, problem, line=lines.get(name, line), field=name)


def _rule(model: Model, rule_id: str, file: str, line: int | None, key: str) -> Entity:
    entity = model.entities.get(rule_id)
    if entity is None or entity.label != "BenefitRule":
        raise InputError(file, f"{rule_id!r} is no BenefitRule of model {model.name}",
                         line=line, field=key)
    return entity


def _scheme(model: Model, scheme_id: str, file: str, line: int | None) -> Entity:
    entity = model.entities.get(scheme_id)
    if entity is None or entity.label != "Scheme":
        schemes = sorted(e.id for e in model.entities.values() if e.label == "Scheme"
                         and e.model == model.name)
        raise InputError(file, f"{scheme_id!r} is no Scheme of model {model.name} (one of "
                         f"{', '.join(schemes)})", line=line, field="scheme")
    return entity


def _apply(model: Model, change: Change, file: str) -> None:
    lines = change.lines
    _cited(change, file)  # a change's citation names a seed file, as the model's do
    if change.kind == "set":
        entity = _rule(model, change.target, file, lines.get("rule", change.line), "rule")
        props = dict(entity.props)
        for name, value in change.values.items():
            _check_parameter(name, value, file, lines, change.line)
            if value is None:  # null takes the parameter away (annual_cap: null = no cap)
                props.pop(name, None)
            else:
                props[name] = value
        model.entities[entity.id] = dataclasses.replace(entity, props=props, file=file,
                                                        line=lines.get("set", change.line))
    elif change.kind == "remove_rule":
        entity = _rule(model, change.target, file, lines.get("remove_rule"), "remove_rule")
        del model.entities[entity.id]
        model.relations[:] = [r for r in model.relations
                              if entity.id not in (r.from_id, r.to_id)]
    elif change.kind == "add_rule":
        _add_rule(model, change, file)
    elif change.kind == "add_category":
        _add_category(model, change, file)
    elif change.kind == "order":
        _order(model, change, file)


def _add_rule(model: Model, change: Change, file: str) -> None:
    rule = dict(change.target)
    lines = change.lines
    rule_id, scheme_id = rule.pop("id", None), rule.pop("scheme", None)
    if not isinstance(rule_id, str) or not ID.match(rule_id):
        raise InputError(file, f"the new rule's id must be dotted snake_case text, got "
                         f"{rule_id!r}", line=lines.get("id", change.line), field="id")
    if rule_id in model.entities:
        raise InputError(file, f"{rule_id!r} is already in model {model.name}; change it with "
                         "`rule:` and `set:`", line=lines.get("id", change.line), field="id")
    scheme = _scheme(model, str(scheme_id), file, lines.get("scheme", change.line))
    if not isinstance(rule.get("kind"), str):
        raise InputError(file, "the new rule needs its kind (docs/rules.md)",
                         line=change.line, field="kind")
    props = {"kind": rule.pop("kind"), "name_zh": str(rule.pop("name_zh", rule_id)),
             **{k: rule.pop(k) for k in ("name_en",) if k in rule}}
    for name, value in rule.items():
        _check_parameter(name, value, file, lines, change.line)
        props[name] = value
    props.update(_cited(change, file))
    _with_category(model, props, file, lines, change.line)
    model.entities[rule_id] = Entity(rule_id, "BenefitRule", props, file, change.line,
                                     model.name)
    model.relations.append(Relation("HAS_RULE", scheme.id, rule_id, None, {}, file,
                                    change.line, model.name))


def _add_category(model: Model, change: Change, file: str) -> None:
    """Copies of the scheme's rules for category `like`, for the new category."""
    lines = change.lines
    code, like = change.target, change.values["like"]
    scheme = _scheme(model, change.values["scheme"], file, lines.get("scheme"))
    category = _category(model, code, file, lines.get("add_category"), "add_category")
    _category(model, like, file, lines.get("like"), "like")
    rule_ids = [r.to_id for r in model.relations
                if r.type == "HAS_RULE" and r.from_id == scheme.id]
    templates = [model.entities[i] for i in rule_ids if i in model.entities
                 and model.entities[i].props.get("category_code") == like]
    if not templates:
        raise InputError(file, f"scheme {scheme.id} has no rule for category {like!r} to copy",
                         line=lines.get("like"), field="like")
    if any(model.entities[i].props.get("category_code") == code for i in rule_ids
           if i in model.entities):
        raise InputError(file, f"scheme {scheme.id} already has rules for {code!r}; change "
                         "them with `rule:` and `set:`", line=lines.get("add_category"),
                         field="add_category")
    for template in templates:
        new_id = f"{template.id}.for_{code}"
        props = {**template.props, "category_code": code, **_cited(change, file)}
        model.entities[new_id] = Entity(new_id, "BenefitRule", props, file, change.line,
                                        model.name)
        model.relations.append(Relation("HAS_RULE", scheme.id, new_id, None, {}, file,
                                        change.line, model.name))
        model.relations.append(Relation("APPLIES_TO", new_id, category.id, None, {}, file,
                                        change.line, model.name))


def _category(model: Model, code: Any, file: str, line: int | None, key: str) -> Entity:
    for entity in model.entities.values():
        if entity.label == "BeneficiaryCategory" and entity.props.get("code") == code:
            return entity
    codes = sorted(str(e.props.get("code")) for e in model.entities.values()
                   if e.label == "BeneficiaryCategory")
    raise InputError(file, f"{code!r} is no BeneficiaryCategory code (one of "
                     f"{', '.join(codes)})", line=line, field=key)


def _with_category(model: Model, props: dict[str, Any], file: str, lines: dict[str, int],
                   line: int) -> None:
    code = props.get("category_code")
    if code is not None:
        category = _category(model, code, file, lines.get("category_code", line),
                             "category_code")
        props["category_code"] = category.props["code"]


def _order(model: Model, change: Change, file: str) -> None:
    line = change.lines.get("order", change.line)
    schemes = {e.props["code"]: e for e in model.entities.values()
               if e.label == "Scheme" and e.model == model.name
               and e.props.get("code") in SCHEMES and e.props.get("order") is not None}
    wanted = list(change.target)
    if sorted(wanted) != sorted(schemes) or len(set(wanted)) != len(wanted):
        raise InputError(file, "order must list each scheme the model settles once: "
                         f"{', '.join(sorted(schemes))}", line=line, field="order")
    for place, code in enumerate(wanted, start=1):
        entity = schemes[code]
        model.entities[entity.id] = dataclasses.replace(
            entity, props={**entity.props, "order": place}, file=file, line=line)


def _cited(change: Change, file: str) -> dict[str, Any]:
    """A new rule's provenance: the change's citation, else the reform itself."""
    cite = dict(change.cite)
    if "source" in cite and cite["source"] not in load_schema().sources:
        raise InputError(file, f"source must be one of the seed files, got {cite['source']!r}",
                         line=change.lines.get("source"), field="source")
    if not cite.get("quote"):
        cite["assumption"] = True
        cite.setdefault("note", f"added by the reform in {Path(file).name}")
    return cite
