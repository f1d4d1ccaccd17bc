"""What-if over HTTP (analysts): the JSON of `medgraph whatif` for a request body.

The body holds the reforms, each a reform as its YAML file would hold it (an object, or
`{"yaml": TEXT}` with the file's text) or the name of a reform shipped with the model
(`marginal_80` for data/hangzhou/reforms/marginal_80.yaml), or with `goal` and `free` the
goal-seek of `medgraph whatif --goal --free`; and the cases, as `medgraph whatif` takes them:

- `persons` and `cases` (the input of `medgraph settle`), as `--city` gives them; or
- neither: the cases the store holds (all datasets, or `dataset`), as `medgraph whatif`
  without `--city` reads them. Reading persons is audited like the person record, and a
  dataset that is still loading is refused (its cases are not all there).

Nothing is stored. `GET /reforms` lists the reforms a model ships, for a client to offer.
"""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.concurrency import run_in_threadpool

from medgraph import settlement
from medgraph.analysis import whatif
from medgraph.api.deps import AnalystKey, AuditDep, ReaderKey, Stopwatch, get_store
from medgraph.api.errors import ApiError
from medgraph.graph.store import Store
from medgraph.loaders.datasets import datasets
from medgraph.loaders.errors import InputError
from medgraph.loaders.model import model_dir, model_names
from medgraph.loaders.stored_input import stored_input
from medgraph.settlement.inputs import SettlementInput
from medgraph.settlement.reforms import Reform, parse_reform, read_reform

router = APIRouter(tags=["settlements"])

EXAMPLE = {"model": "hangzhou", "year": 2024, "persons": [], "cases": [],
           "reforms": ["marginal_80", {"name": "shared cap 200,000", "changes": [
               {"rule": "hangzhou.rule.ma_annual_cap", "set": {"annual_cap": 200000}}]}]}
FIELDS = {"model", "year", "target_year", "persons", "cases", "dataset", "reforms", "goal",
          "free", "step"}


def _model(model: Any) -> str:
    if model not in model_names():  # a shipped model's name, never a path
        raise InputError("request", f"{model!r} is no model; known models: "
                         f"{', '.join(model_names())}", field="model")
    return model


def _shipped(model: str) -> dict[str, Any]:
    folder = model_dir(model) / "reforms"
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def _reform(item: Any, k: int, model: str) -> Reform:
    where = f"reforms[{k}]"
    if isinstance(item, str):
        shipped = _shipped(model)  # looked up by name: a path in `item` finds nothing
        if item not in shipped:
            raise InputError("request", f"{item!r} is no reform shipped with model {model} "
                             f"(one of {', '.join(shipped) or 'none'})", field=where)
        return read_reform(shipped[item])
    if isinstance(item, dict) and set(item) == {"yaml"} and isinstance(item["yaml"], str):
        # A reform as its YAML file holds it, typed by the caller: its line numbers are the
        # text's own, so they are kept in the message.
        return parse_reform(item["yaml"], where)  # "reforms[0]:3: changes[0].rule: ..."
    if not isinstance(item, dict):
        raise InputError("request", "a reform is an object (name, changes), {yaml: TEXT} or "
                         "the name of a shipped reform", field=where)
    try:
        return parse_reform(json.dumps(item, ensure_ascii=False), where)
    except InputError as exc:  # the line of a JSON text means nothing to the caller
        raise InputError("request", exc.message, field=f"{where}.{exc.field}"
                         if exc.field else where) from None


def _int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InputError("request", f"{name} must be a whole number, got {value!r}", field=name)
    return value


class LoadedCases:
    """The loaded cases as a settlement input, read once per state of the store's datasets.

    Reading a city back takes seconds; the answer is kept while every dataset it was read
    from is unchanged (name, content hash, load time, status), so a second reform over the
    same cases settles at once. One input is kept: a city's cases are large.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: tuple[Any, SettlementInput] | None = None

    def read(self, store: Store, dataset: str | None) -> SettlementInput:
        held = datasets(store)
        chosen = [d for d in held if dataset is None or d.get("id") == dataset]
        if dataset is not None and not chosen:
            raise InputError("request", f"no dataset {dataset!r} is loaded (loaded: "
                             f"{', '.join(str(d.get('id')) for d in held) or 'none'})",
                             field="dataset")
        loading = [str(d.get("id")) for d in chosen if d.get("status") != "complete"]
        if loading:
            raise ApiError(409, "dataset_loading", f"dataset {', '.join(loading)} is being "
                           "loaded (or its load was cut off): its cases are not all there; "
                           "run the what-if when `medgraph load cases` has completed it")
        state = (dataset, tuple((d.get("id"), d.get("content_hash"), d.get("loaded_at"),
                                 d.get("status")) for d in chosen))
        with self._lock:  # one reader at a time: two requests never read a city twice
            if self._kept is not None and self._kept[0] == state:
                return self._kept[1]
            inp = stored_input(store, dataset)
            self._kept = (state, inp)
            return inp


LOADED = LoadedCases()


@router.get("/reforms", summary="The reforms a model ships, for `reforms` of POST /whatif")
def reforms_get(*, model: str = Query("hangzhou", max_length=100),
                key: ReaderKey) -> dict[str, Any]:
    """Each shipped reform: its name for POST /whatif, its title, description and changes
    with their citations (policy data, so a reader key may list them)."""
    items = []
    for name, path in _shipped(_model(model)).items():
        reform = read_reform(path)
        items.append({"id": name, "name": reform.name, "description": reform.description,
                      "changes": [{"kind": c.kind, "target": c.target, "set": c.values,
                                   "cite": c.cite} for c in reform.changes]})
    return {"model": model, "items": items}


@router.post("/whatif",
             summary="Settle the cases of the body, or the loaded cases, under the model's "
                     "rules and under each reform, side by side (analyst); nothing is stored")
async def whatif_post(*, body: Annotated[dict[str, Any], Body(examples=[EXAMPLE])],
                      request: Request, key: AnalystKey, audit: AuditDep) -> dict[str, Any]:
    """The JSON of `medgraph whatif --format json` for the same cases and reforms."""
    if not any(name in body for name in ("persons", "cases")):
        store = await get_store(request)  # only a what-if of the loaded cases needs it
        watch = Stopwatch()
        params = {"dataset": body.get("dataset"), "model": body.get("model"),
                  "year": body.get("year")}
        try:
            answer = await run_in_threadpool(_whatif, body, store)
        except BaseException as exc:  # audited whatever it is, then answered by errors.py
            audit.write(key, "whatif", params=params, ms=watch.ms(),
                        outcome=f"{type(exc).__name__}: {exc}")
            raise
        audit.write(key, "whatif", params=params, ms=watch.ms(), outcome="ok")
        return answer
    return await run_in_threadpool(_whatif, body, None)


def _whatif(body: dict[str, Any], store: Store | None) -> dict[str, Any]:
    for key in body:
        if key not in FIELDS:
            raise InputError("request", f"unknown field (one of {', '.join(sorted(FIELDS))})",
                             field=key)
    model = _model(body.get("model", "hangzhou"))
    dataset = body.get("dataset")
    if dataset is not None and (store is None or not isinstance(dataset, str)):
        raise InputError("request", "dataset names loaded cases to read (text); with persons "
                         "and cases it has no use", field="dataset")
    reforms = body.get("reforms") or []
    goal, free, step = body.get("goal"), body.get("free"), body.get("step")
    if not isinstance(reforms, list):
        raise InputError("request", "reforms must be a list", field="reforms")
    if (goal is None) != (free is None) or not isinstance(goal or "", str) \
            or not isinstance(free or "", str):
        raise InputError("request", "goal and free are text and go together",
                         field="goal" if goal is None else "free")
    if not reforms and goal is None:
        raise InputError("request", "give reforms, or goal with free", field="reforms")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int | float)):
        raise InputError("request", f"step must be a number, got {step!r}", field="step")
    read = [_reform(item, k, model) for k, item in enumerate(reforms)]
    typed = {f"reforms[{k}]" for k, item in enumerate(reforms)
             if isinstance(item, dict) and set(item) == {"yaml"}}
    if store is not None:
        inp = LOADED.read(store, dataset)
    else:
        inp = settlement.parse_input({"persons": body.get("persons") or [],
                                      "cases": body.get("cases") or []}, source="request")
    try:
        doc = whatif.run(model, read, inp, year=_int(body, "year"),
                         target_year=_int(body, "target_year"), goal=goal, free=free,
                         step=step)
    except InputError as exc:
        if not exc.file.startswith("reforms[") or exc.file in typed:
            raise  # a reform typed as YAML keeps the line of its text
        raise InputError("request", exc.message, field=f"{exc.file}.{exc.field}"
                         if exc.field else exc.file) from None
    return whatif.public(doc)
