"""API keys: who may call the HTTP API, with which role. Only sha256 hashes are stored.

The keys file is JSON (`MEDGRAPH_API_KEYS_FILE`, default `$MEDGRAPH_HOME/api-keys.json`):

    {"keys": [{"name": "ops", "role": "analyst", "sha256": "9f86d0…", "created": "2026-…"}]}

A key is shown once, when `medgraph api-key add` makes it; the file never holds it.

>>> import tempfile, pathlib
>>> keys = KeyFile(pathlib.Path(tempfile.mkdtemp()) / "api-keys.json")
>>> secret = keys.add("ops", "analyst")
>>> keys.lookup(secret).role, keys.lookup("not a key")
('analyst', None)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from medgraph.loaders.errors import InputError

# Each role can do what the roles before it can.
ROLES = ("reader", "analyst", "admin")


@dataclass(frozen=True)
class ApiKey:
    name: str
    role: str
    sha256: str
    created: str

    def allows(self, role: str) -> bool:
        """Whether this key's role includes `role`.

        >>> ApiKey("a", "analyst", "", "").allows("reader")
        True
        >>> ApiKey("a", "reader", "", "").allows("admin")
        False
        """
        return ROLES.index(self.role) >= ROLES.index(role)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def keys_file_path(home: Path, env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    configured = env.get("MEDGRAPH_API_KEYS_FILE")
    return Path(configured).expanduser() if configured else home / "api-keys.json"


class KeyFile:
    """The keys file, re-read when it changes so that a revoked key stops working at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: list[ApiKey] = []

    # -- reading ---------------------------------------------------------------------
    def entries(self) -> list[ApiKey]:
        with self._lock:
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                self._stamp, self._keys = None, []
                return []
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                self._keys = self._read()
                self._stamp = stamp
            return list(self._keys)

    def _read(self) -> list[ApiKey]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return [ApiKey(k["name"], k["role"], k["sha256"], k.get("created", ""))
                    for k in data.get("keys", [])]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(str(self.path), f"not a medgraph keys file ({exc})") from None

    def lookup(self, secret: str) -> ApiKey | None:
        """The key whose hash matches `secret`, compared in constant time."""
        wanted = digest(secret)
        found = None
        for key in self.entries():
            if hmac.compare_digest(key.sha256, wanted):
                found = key
        return found

    # -- changing --------------------------------------------------------------------
    def add(self, name: str, role: str) -> str:
        """Make a key for `name`; return the secret (the only time it is seen)."""
        if role not in ROLES:
            raise InputError("--role", f"{role!r}: expected one of {', '.join(ROLES)}")
        if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise InputError("NAME", f"{name!r}: use letters, digits, '-', '_' or '.'")
        keys = self.entries()
        if any(k.name == name for k in keys):
            raise InputError(str(self.path), f"a key named {name!r} exists; revoke it first")
        secret = "mgk_" + secrets.token_urlsafe(32)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        self._write([*keys, ApiKey(name, role, digest(secret), created)])
        return secret

    def revoke(self, name: str) -> None:
        keys = self.entries()
        if not any(k.name == name for k in keys):
            raise InputError(str(self.path), f"no key named {name!r}")
        self._write([k for k in keys if k.name != name])

    def _write(self, keys: list[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"keys": [asdict(k) for k in keys]}, indent=2) + "\n",
                             "utf-8")
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)  # readers see the old file or the new one, never half
