"""Fixtures: a real embedded store (or the Neo4j named by MEDGRAPH_NEO4J_URI).

Two stores run during the tests: `store` holds the shipped models and is shared;
`empty_store` is wiped before each test that builds a small graph of its own.
Against Neo4j both are the one database named by the configuration.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from medgraph.graph.store import Store, connect, embedded_server, settings_from_env
from medgraph.loaders.model import load_model, model_names, read_model


@pytest.fixture(autouse=True)
def _no_store_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A statement the store warns about (deprecated syntax, say) fails its test: Neo4j
    sends such warnings, and the next version refuses what they name."""
    with caplog.at_level(logging.WARNING, logger="neo4j.notifications"):
        yield
    warned = [r.getMessage() for r in caplog.records if r.name == "neo4j.notifications"]
    assert not warned, "the store warned:\n" + "\n".join(warned)


def _settings(home: Path):
    env = dict(os.environ, MEDGRAPH_HOME=str(home))
    return settings_from_env(env)


@pytest.fixture(scope="session")
def store_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("medgraph-home")
    os.environ["MEDGRAPH_HOME"] = str(home)  # CLI and API started by the tests use it too
    yield home
    settings = _settings(home)
    if settings.embedded:
        embedded_server(settings).stop()


@pytest.fixture(scope="session")
def store(store_home: Path) -> Iterator[Store]:
    with connect(_settings(store_home)) as connection:
        yield connection


@pytest.fixture()
def loaded_store(store: Store) -> Store:
    """The shared store holding every shipped model (loading is a no-op when unchanged)."""
    for name in model_names():
        load_model(store, read_model(name))
    return store


@pytest.fixture(scope="session")
def _scratch(tmp_path_factory: pytest.TempPathFactory, store: Store) -> Iterator[Store]:
    settings = _settings(tmp_path_factory.mktemp("medgraph-scratch"))
    if not settings.embedded:
        yield store
        return
    with connect(settings) as connection:
        yield connection
    embedded_server(settings).stop()


@pytest.fixture()
def empty_store(_scratch: Store) -> Store:
    """A store emptied before the test, for graphs a test builds itself."""
    wipe(_scratch)
    return _scratch


def wipe(store: Store) -> None:
    """Delete every node, in batches: Neo4j caps the memory of one transaction, and on Neo4j
    the scratch store is the shared one, which may hold a whole synthetic city."""
    while True:
        rows = store.write_transaction(lambda tx: tx.rows(
            "MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS deleted"))
        if not rows or not rows[0]["deleted"]:
            return
