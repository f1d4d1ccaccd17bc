"""`medgraph serve` (the HTTP API) and `medgraph api-key add|list|revoke` (who may call it).

\b
medgraph api-key add ops --role analyst     # prints the key once; only its hash is kept
medgraph serve --port 8000                  # then: curl -H "X-API-Key: KEY" ...
"""

from __future__ import annotations

import copy

import click

from medgraph.output import FORMATS, render


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (0.0.0.0 to serve other machines)")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="worker processes, each with its own connection to the store")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the HTTP API under /api/v1 (docs at /api/v1/docs).

    Starts the embedded store first if it is not running. Keys come from
    `medgraph api-key add`; requests without one are refused (401).
    """
    import uvicorn

    from medgraph.api.settings import api_settings_from_env
    from medgraph.graph.store import connect

    settings = api_settings_from_env()
    connect(settings.store).close()  # start the store and apply the schema before serving
    if not settings.keys_file.exists():
        click.echo(f"medgraph: no API keys yet ({settings.keys_file}); every request will be "
                   "refused until `medgraph api-key add NAME --role reader` makes one", err=True)
    # Access logs name method, path and status; a key travels in a header and is never
    # logged, and the query string is left out in case someone puts one there.
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["filters"] = {"queryless": {"()": "medgraph.api.app.QuerylessAccessLog"}}
    log_config["handlers"]["access"]["filters"] = ["queryless"]
    uvicorn.run("medgraph.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, log_config=log_config)


@click.group("api-key")
def api_key() -> None:
    """Make, list and revoke API keys (stored as sha256 hashes)."""


def _keys():  # noqa: ANN202 - a KeyFile; imported lazily to keep `medgraph --help` fast
    from medgraph.api.keys import KeyFile
    from medgraph.api.settings import api_settings_from_env

    return KeyFile(api_settings_from_env().keys_file)


@api_key.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["reader", "analyst", "admin"]), required=True)
def api_key_add(name: str, role: str) -> None:
    """Make a key for NAME and print it; it is shown this once and never stored."""
    keys = _keys()
    secret = keys.add(name, role)
    click.echo(secret)
    click.echo(f"medgraph: key {name!r} ({role}) added to {keys.path}; keep it now, it cannot "
               "be shown again", err=True)


@api_key.command("list")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def api_key_list(fmt: str) -> None:
    """The keys by name, role and creation time (never the keys themselves)."""
    rows = [{"name": k.name, "role": k.role, "created": k.created} for k in _keys().entries()]
    click.echo(render(rows, fmt, columns=["name", "role", "created"]))


@api_key.command("revoke")
@click.argument("name")
def api_key_revoke(name: str) -> None:
    """Remove NAME's key; a running server refuses it from the next request on."""
    _keys().revoke(name)
    click.echo(f"revoked {name}")


COMMANDS = [serve, api_key]
