"""The `medgraph` command line: one entry point for every job.

Conventions every command keeps: reading commands print a table for people and
take `--format table|json|csv`; exit code 0 is success, 2 is refused or bad
input (one line on stderr naming the file, line and field), 1 is an
unexpected failure.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from medgraph import output
from medgraph.graph.cypher_check import CypherRefused, tokens
from medgraph.graph.errors import StoreError
from medgraph.graph.server import ServerError
from medgraph.loaders.errors import InputError, InputErrors, LoadStopped
from medgraph.output import FORMATS, render

if TYPE_CHECKING:
    from medgraph.graph.store import Store

# The driver and the store are imported by the commands that open one: a command that reads
# only files (settle, whatif --city) starts without them (0.3 s less of each run).

# The driver logs a lost connection at ERROR level, which Python prints on stderr when no
# handler is set; the CLI says it in its own one line instead.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
    help="table for people; json (stable, documented) or csv for programs",
)


class Refused(click.ClickException):
    """Exit 2 with one line on stderr."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"medgraph: {self.message}", err=True)


class Failed(Refused):
    """Exit 1 with one line on stderr: the store or medgraph itself failed, not the input."""

    exit_code = 1


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "(no message)"


def _said(exc: Exception) -> Refused | None:
    """The one line for an error of the store's driver, a missing key or a file; None for
    an error medgraph did not foresee."""
    driver = sys.modules.get("neo4j.exceptions")  # not imported: none of its errors came
    if driver is not None and isinstance(exc, driver.ClientError):  # a statement refused
        return Refused(_one_line(exc.message or str(exc)))
    if isinstance(exc, KeyError):
        return Refused(_one_line(exc.args[0] if exc.args else str(exc)))
    if driver is not None and isinstance(exc, driver.DriverError | driver.Neo4jError):
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return Failed(f"the store failed: {_one_line(message)}")  # it went away or failed
    if isinstance(exc, OSError):  # a file named on the command line
        where = f"{exc.filename}: " if exc.filename else ""
        return Refused(f"{where}{exc.strerror or exc}")
    return None


class MedgraphGroup(click.Group):
    """Turns every error into one line on stderr and the exit codes the CLI promises:
    2 for refused input or arguments, 1 for a failure of the store or of medgraph. No
    traceback reaches the user; MEDGRAPH_DEBUG=1 shows it for a report."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except LoadStopped as exc:
            raise Failed(_one_line(str(exc))) from None
        except InputErrors as exc:  # several bad records: one line each
            raise Refused(str(exc)) from None
        except (InputError, StoreError, ServerError) as exc:
            raise Refused(_one_line(str(exc))) from None
        except Exception as exc:
            said = _said(exc)
            if said is None and os.environ.get("MEDGRAPH_DEBUG"):
                raise
            raise said or Failed(f"unexpected failure ({type(exc).__name__}: "
                                 f"{_one_line(str(exc))}); MEDGRAPH_DEBUG=1 shows where"
                                 ) from None

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Click's usage errors as one line too (`medgraph: ...; see medgraph X --help`)."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "medgraph"
            click.echo(f"medgraph: {_one_line(exc.format_message())} (see {command} --help)",
                       err=True)
            sys.exit(2)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("medgraph: interrupted", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=MedgraphGroup)
@click.version_option(package_name="medgraph")
@click.option("--width", type=click.IntRange(40, 1000),
              help="width of tables in columns; long cells wrap [default: the terminal's]")
def main(width: int | None) -> None:
    """medgraph: who is accountable for a patient's bill, and where the safety net leaks."""
    output.WIDTH = width


def echo(text: str) -> None:
    click.echo(text)


def open_store() -> Store:
    from medgraph.graph.store import connect

    return connect()


# -- db ----------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Start, stop or inspect the store (embedded unless MEDGRAPH_NEO4J_URI is set)."""


def _status_row() -> dict[str, Any]:
    from medgraph.graph.store import embedded_server, settings_from_env

    settings = settings_from_env()
    if not settings.embedded:
        return {"store": "neo4j", "uri": settings.uri, "database": settings.database,
                "running": None}
    state = embedded_server(settings).status()
    return {
        "store": "embedded",
        "running": state is not None,
        "uri": state.uri if state else None,
        "pid": state.pid if state else None,
        "http_port": state.http_port if state else None,
        "home": str(settings.home),
        "user": "root",
        "password_file": str(embedded_server(settings).password_file),
    }


@db.command("start")
@format_option
def db_start(fmt: str) -> None:
    """Start the embedded store (if it is not running) and apply the schema."""
    started = time.monotonic()
    open_store().close()
    row = _status_row() | {"seconds": round(time.monotonic() - started, 2)}
    echo(render([row], fmt, document=row))


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded store cleanly."""
    from medgraph.graph.store import embedded_server, settings_from_env

    settings = settings_from_env()
    if not settings.embedded:
        raise Refused("the store is a Neo4j server named by MEDGRAPH_NEO4J_URI; "
                      "medgraph does not stop it")
    stopped = embedded_server(settings).stop()
    echo("stopped" if stopped else "not running")


@db.command("status")
@format_option
def db_status(fmt: str) -> None:
    """Say whether the store runs, where, and how to reach it with any Bolt client."""
    row = _status_row()
    echo(render([row], fmt, document=row))


# -- query -------------------------------------------------------------------------
def _parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier():
            raise Refused(f"--param {pair[:60]!r}: expected NAME=VALUE, NAME a parameter name")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
        except RecursionError:
            raise Refused(f"--param {name}: the JSON value is nested too deeply") from None
        if not _sendable(params[name]):
            raise Refused(f"--param {name}: integers must fit in 64 bits and numbers be "
                          "finite")
    return params


def _sendable(value: Any) -> bool:
    """Whether the store can take a parameter value (64-bit integers, finite numbers)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(map(_sendable, value))
    if isinstance(value, dict):
        return all(map(_sendable, value.values()))
    return False


def _seconds(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value!r}: give a number of seconds above 0")
    return value


@main.command()
@click.argument("statement", required=False)
@click.option("-f", "--file", "path", type=click.Path(exists=True, dir_okay=False),
              help="read the statement from a .cypher file")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="a parameter; the value is parsed as JSON when it parses, else text")
@click.option("--write", is_flag=True, help="allow the statement to write")
@click.option("--timeout", type=float, default=None, callback=_seconds,
              help="seconds before the query is stopped [default: MEDGRAPH_QUERY_TIMEOUT or 30]")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="return at most this many rows")
@format_option
def query(statement: str | None, path: str | None, params: tuple[str, ...], write: bool,
          timeout: float | None, limit: int | None, fmt: str) -> None:
    """Run Cypher: a statement, a file (-f), or a named query from queries/ by name.

    Every parameter the statement uses must be given, except those a named query's header
    calls optional (passed as null). With --write, the counters of what changed go to stderr.

    \b
    medgraph query "MATCH (a:Agency) RETURN a.id, a.name_zh LIMIT 5"
    medgraph query category_without_certifier --param model=hangzhou
    """
    from medgraph.graph.known import required_params
    from medgraph.queries import load_query

    optional: set[str] = set()
    if path:
        try:
            text = Path(path).read_text("utf-8")
        except UnicodeDecodeError as exc:
            raise Refused(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    elif statement and statement.isidentifier():
        named = load_query(statement)
        text = named.text
        declared = _declared(text)
        optional = declared - required_params(named.header.get("params", ""))
    elif statement and statement.strip():
        text = statement
    else:
        raise Refused("give a statement, -f FILE, or the name of a query in queries/")
    values = _parse_params(params)
    missing = sorted(_declared(text) - optional - set(values))
    if missing:
        raise Refused(f"the statement needs {', '.join(f'--param {m}=VALUE' for m in missing)}"
                      + (f" (optional: {', '.join(sorted(optional))})" if optional else ""))
    values = {**dict.fromkeys(optional), **values}
    with open_store() as store:
        if write:
            rows, counters = store.write_transaction(lambda tx: tx.rows_and_counters(text, values))
            changed = {k: v for k, v in counters.items() if v}
            click.echo(", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in changed.items())
                       or "no change", err=True)
        else:
            rows = store.query(text, values, timeout=timeout, limit=limit)
    echo(render(rows, fmt))


def _declared(text: str) -> set[str]:
    """The `$name`s of a statement, from the same tokens the read-only check reads."""
    try:
        found = tokens(text)
    except CypherRefused:  # unreadable: `query` refuses it with the reason
        return set()
    return {t.text[1:] for t in found if t.kind == "param" and t.text[1:].isidentifier()}


# -- load --------------------------------------------------------------------------
@main.group()
def load() -> None:
    """Load models or cases into the store (validated first, one transaction, idempotent)."""


@load.command("model")
@click.argument("names", nargs=-1)
@click.option("--dry-run", is_flag=True, help="validate and show what would change; write nothing")
@format_option
def load_model_command(names: tuple[str, ...], dry_run: bool, fmt: str) -> None:
    """Load one or more models (NAME or PATH); all of them when none is named."""
    from medgraph.loaders.model import load_model, model_names, read_model

    models = [read_model(name) for name in (names or model_names())]  # validate all first
    rows = []
    with open_store() as store:
        for model in models:
            plan = load_model(store, model, dry_run=dry_run)
            rows.append({"model": model.name, "dry_run": dry_run, **plan.summary()})
    echo(render(rows, fmt))


# -- model -------------------------------------------------------------------------
@main.group()
def model() -> None:
    """Inspect the institutional models."""


MODEL_CHECKS = (
    "scheme_without_funder",
    "scheme_without_administrator",
    "scheme_without_supervisor",
    "category_without_certifier",
    "measure_without_responsible",
    "conflicts",  # not a lack: where two passages disagree, listed so that no one misses them
)


@model.command("check")
@click.argument("name", required=False)
@format_option
def model_check(name: str | None, fmt: str) -> None:
    """Report what the loaded model lacks for accountability (exit 0 even when it finds some)."""
    from medgraph.graph.known import require_model
    from medgraph.queries import load_query

    rows = []
    with open_store() as store:
        require_model(store, name, option="NAME")
        for check in MODEL_CHECKS:
            for row in store.read(load_query(check).text, {"model": name}):
                rows.append({"finding": check, **row})
    columns = ["finding", "id", "name_zh", "model"]
    echo(render(rows, fmt, columns=columns, document=rows))


@model.command("validate")
@click.argument("names", nargs=-1)
@format_option
def model_validate(names: tuple[str, ...], fmt: str) -> None:
    """Validate model files without a store; print counts by label and relationship."""
    from medgraph.loaders.model import model_names, read_model

    rows = []
    for name in names or model_names():
        counts = read_model(name).counts()
        for kind, counter in counts.items():
            rows += [{"model": name, "kind": kind[:-1], "name": k, "count": v}
                     for k, v in sorted(counter.items())]
    echo(render(rows, fmt))


def _add_command_modules() -> None:
    """Commands of other parts (settle, trace, gaps, serve, draw, ...) live in
    `cmd_*.py` beside this file, each with a `COMMANDS` list; they are added here."""
    import importlib
    import pkgutil

    import medgraph

    for info in pkgutil.iter_modules(medgraph.__path__):
        if info.name.startswith("cmd_"):
            module = importlib.import_module(f"medgraph.{info.name}")
            for command in module.COMMANDS:
                main.add_command(command)
            for group, commands in getattr(module, "SUBCOMMANDS", {}).items():
                for command in commands:  # e.g. `load cases` beside `load model`
                    main.commands[group].add_command(command)


_add_command_modules()

if __name__ == "__main__":
    sys.exit(main())
