"""The examples in docstrings are run: they must stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "medgraph.graph.schema",
    "medgraph.graph.store",
    "medgraph.loaders.errors",
    "medgraph.loaders.model",
    "medgraph.loaders.sync",
    "medgraph.loaders.cases",
    "medgraph.analysis.trace",
    "medgraph.settlement.inputs",
    "medgraph.settlement.vectorised",
    "medgraph.output",
    "medgraph.queries",
    "medgraph.api",
    "medgraph.api.app",
    "medgraph.api.common",
    "medgraph.api.deps",
    "medgraph.api.entities",
    "medgraph.api.keys",
    "medgraph.api.settings",
    "medgraph.bench.measure",
    "medgraph.bench.report",
    "medgraph.bench.trace_baseline",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
