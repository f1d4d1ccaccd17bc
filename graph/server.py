"""The embedded store: an ArcadeDB server with its Bolt plugin, run by medgraph itself.

When no `MEDGRAPH_NEO4J_URI` is configured, medgraph starts ArcadeDB from the
`arcadedb-embedded` wheel (which bundles a JRE) as a background process bound
to 127.0.0.1, with its data, logs and generated password under
`MEDGRAPH_HOME`. A state file (`server.json`) records the Bolt URI and the PID,
so every medgraph process, and any Bolt client, finds the running server.
A server that died is noticed and started again; a stale state file never
blocks a start.

>>> server = EmbeddedServer(Path("/tmp/medgraph-doc"))   # doctest: +SKIP
>>> server.start().uri                                    # doctest: +SKIP
'bolt://127.0.0.1:40123'
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

DATABASE = "neo4j"  # the same database name works on Neo4j and on the embedded store
USER = "root"
# The store account analyst queries run as: it may read records and nothing else (no record
# created, changed or deleted; no schema, settings or security change; no LOAD CSV of files,
# which the store grants only with the security right).
READER = "medgraph_reader"
READER_GROUP = {
    "database": DATABASE, "name": "reader", "resultSetLimit": -1, "readTimeout": -1,
    "access": [], "types": {"*": {"access": ["readRecord"]}},
}
SERVER_CLASS = "com.arcadedb.server.ArcadeDBServer"


class ServerError(RuntimeError):
    """The embedded store could not be started or reached."""


@dataclass(frozen=True)
class ServerState:
    pid: int
    bolt_port: int
    http_port: int
    home: str
    started_at: float
    query_timeout_cap: float = 60.0  # seconds; the server stops any statement after it

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"


def _wheel_dir() -> Path:
    import arcadedb_embedded  # imported lazily: only the embedded store needs it

    return Path(arcadedb_embedded.__file__).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int, timeout: float = 0.2) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout):
        return True
    return False


def _pid_is_server(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return SERVER_CLASS in cmdline


class EmbeddedServer:
    """Start, stop and find the embedded ArcadeDB server that lives under `home`."""

    def __init__(self, home: Path, heap: str = "1g", query_timeout_cap: float = 60.0) -> None:
        self.home = Path(home)
        self.heap = heap
        self.query_timeout_cap = query_timeout_cap
        self.state_file = self.home / "server.json"
        self.password_file = self.home / "root-password"
        self.reader_password_file = self.home / "reader-password"
        self.log_dir = self.home / "logs"

    # -- state ---------------------------------------------------------------
    def _make_home(self) -> None:
        """MEDGRAPH_HOME holds the database, passwords and keys: private to its user."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.home.stat().st_mode & 0o077:
            self.home.chmod(0o700)

    def _secret(self, path: Path) -> str:
        if not path.exists():
            self._make_home()
            with contextlib.suppress(FileExistsError):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(18))
        return path.read_text().strip()

    def password(self) -> str:
        """The root password: loads and medgraph's own statements run as root."""
        return self._secret(self.password_file)

    def reader_password(self) -> str:
        """The password of READER, the account analyst queries run as."""
        return self._secret(self.reader_password_file)

    def _read_state(self) -> ServerState | None:
        try:
            return ServerState(**json.loads(self.state_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def status(self) -> ServerState | None:
        """The running server's state, or None when none is running.

        A state file whose process is gone is removed; a server of this home
        whose state file was lost is found again from its command line.
        """
        state = self._read_state()
        if state is not None and _pid_is_server(state.pid):
            return state
        self.state_file.unlink(missing_ok=True)
        orphan = self._find_orphan()
        if orphan is not None:
            self._write_state(orphan)
        return orphan

    def _find_orphan(self) -> ServerState | None:
        marker = f"-Darcadedb.server.rootPath={self.home / 'arcadedb'}"
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                args = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if SERVER_CLASS not in args or marker not in args:
                continue
            ports = dict(a.split("=", 1) for a in args if a.startswith("-D") and "=" in a)
            return ServerState(
                int(proc.name),
                int(ports["-Darcadedb.bolt.port"]),
                int(ports["-Darcadedb.server.httpIncomingPort"]),
                str(self.home),
                time.time(),
                int(ports.get("-Darcadedb.command.timeout", "60000")) / 1000,
            )
        return None

    def _write_state(self, state: ServerState) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state) | {"uri": state.uri}, indent=2))
        tmp.replace(self.state_file)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise start and stop between processes sharing this home."""
        self._make_home()
        with open(self.home / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- start / stop ----------------------------------------------------------
    def start(self, wait: float = 90.0) -> ServerState:
        """Start the server unless one is running; return its state."""
        with self._lock():
            state = self.status()
            if state is not None:
                # Running, perhaps still opening its database or busy: wait for it.
                if self._wait_ready(state, wait) is not None:
                    return state
                self._kill(state.pid)
            return self._spawn(wait)

    def _command(self, bolt_port: int, http_port: int) -> list[str]:
        wheel = _wheel_dir()
        root = self.home / "arcadedb"
        logging_config = self.home / "logging.properties"
        logging_config.write_text(
            "handlers = java.util.logging.FileHandler\n"
            f"java.util.logging.FileHandler.pattern = {self.log_dir}/arcadedb.%g.log\n"
            "java.util.logging.FileHandler.limit = 10000000\n"
            "java.util.logging.FileHandler.count = 3\n"
            "java.util.logging.FileHandler.formatter = java.util.logging.SimpleFormatter\n"
            ".level = WARNING\n"
        )
        settings = {
            "server.rootPath": root,
            "server.rootPasswordPath": self.password_file,
            "server.databaseDirectory": root / "databases",
            "server.httpIncomingHost": "127.0.0.1",
            "server.httpIncomingPort": http_port,
            "server.plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "bolt.host": "127.0.0.1",
            "bolt.port": bolt_port,
            "bolt.defaultDatabase": DATABASE,
            "server.defaultDatabases": f"{DATABASE}[{USER}]",
            # The store ignores per-query timeouts sent over Bolt; this server-wide
            # limit is what really stops a runaway query on the server side.
            "command.timeout": int(self.query_timeout_cap * 1000),
            # No file or network access from Cypher (LOAD CSV) or from imports, whoever asks.
            "opencypher.loadCsv.allowFileUrls": "false",
            "opencypher.loadCsv.allowRemoteUrls": "false",
            "server.restoreImportAllowLocalUrls": "false",
            "server.security.importAllowedLocalPaths": root / "no-imports",
            "server.security.importBlockLocalNetworks": "true",
        }
        return [
            str(wheel / "jre" / "bin" / "java"),
            f"-Xmx{self.heap}",
            f"-Djava.util.logging.config.file={logging_config}",
            *[f"-Darcadedb.{k}={v}" for k, v in settings.items()],
            "-cp",
            str(wheel / "jars" / "*"),
            SERVER_CLASS,
        ]

    def _spawn(self, wait: float) -> ServerState:
        self.password()
        self.reader_password()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        bolt_port, http_port = _free_port(), _free_port()
        with open(self.log_dir / "server.out", "ab") as out:
            # cwd=home: the server writes relative files (./log) only under MEDGRAPH_HOME.
            proc = subprocess.Popen(
                self._command(bolt_port, http_port),
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives the command that started it
                umask=0o077,  # the database files, logs and config are the user's alone
            )
        state = ServerState(proc.pid, bolt_port, http_port, str(self.home), time.time(),
                            self.query_timeout_cap)
        self._write_state(state)
        ready = self._wait_ready(state, wait, proc)
        if ready is None:
            self._kill(proc.pid)
            self.state_file.unlink(missing_ok=True)
            tail = (self.log_dir / "server.out").read_text(errors="replace")[-2000:]
            raise ServerError(f"the embedded store did not start within {wait:.0f} s; "
                              f"log {self.log_dir / 'server.out'}:\n{tail}")
        self.ensure_reader(ready)
        return ready

    def ensure_reader(self, state: ServerState, *, renew: bool = False) -> None:
        """Make READER, in its read-only group, if the server lacks it (idempotent).

        `renew` makes it again, for a password file changed while the server ran.
        """
        self._http(state, "POST", "/server/groups", READER_GROUP)
        users = self._http(state, "GET", "/server/users") or {}
        names = {u.get("name") for u in users.get("result", users.get("users", []))
                 if isinstance(u, dict)}
        if READER in names and not renew:
            return
        if READER in names:
            self._http(state, "POST", "/server", {"command": f"drop user {READER}"})
        self._http(state, "POST", "/server/users", {
            "name": READER, "password": self.reader_password(),
            "databases": {DATABASE: [READER_GROUP["name"]]}})

    def _http(self, state: ServerState, method: str, path: str,
              body: dict | None = None) -> dict | None:
        """One call to the server's HTTP API as root; ServerError when it fails."""
        token = b64encode(f"{USER}:{self.password()}".encode()).decode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{state.http_port}/api/v1{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except (OSError, ValueError) as exc:
            raise ServerError(f"the embedded store refused {method} {path}: {exc}") from None

    def _wait_ready(
        self, state: ServerState, wait: float, proc: subprocess.Popen | None = None
    ) -> ServerState | None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                return None
            if _port_open(state.bolt_port) and self._database_exists(state):
                return state
            time.sleep(0.1)
        return None

    def _database_exists(self, state: ServerState) -> bool:
        """The Bolt port opens before the database is created: ask the HTTP API."""
        token = b64encode(f"{USER}:{self.password()}".encode()).decode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{state.http_port}/api/v1/exists/{DATABASE}",
            headers={"Authorization": f"Basic {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return json.loads(response.read()).get("result") is True
        except (OSError, ValueError):
            return False

    def stop(self, wait: float = 30.0) -> bool:
        """Stop the server cleanly (SIGTERM); return whether one was running."""
        with self._lock():
            state = self.status()
            self.state_file.unlink(missing_ok=True)
            if state is None:
                return False
            self._kill(state.pid, wait)
            return True

    @staticmethod
    def _kill(pid: int, wait: float = 30.0) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _pid_is_server(pid):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
        if _pid_is_server(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
