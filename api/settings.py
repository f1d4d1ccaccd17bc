"""What the HTTP API is configured with: the store, the keys file, the audit log, the limits.

>>> s = api_settings_from_env({"MEDGRAPH_HOME": "/tmp/mg"})
>>> str(s.keys_file), str(s.audit_file), s.max_body_bytes
('/tmp/mg/api-keys.json', '/tmp/mg/api-audit.jsonl', 10485760)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from medgraph.api.keys import keys_file_path
from medgraph.graph.store import Settings, settings_from_env


@dataclass(frozen=True)
class ApiSettings:
    store: Settings
    keys_file: Path
    audit_file: Path
    max_body_bytes: int = 10 * 1024 * 1024
    # Analyst Cypher: defaults when the request names none, and ceilings it cannot pass.
    cypher_limit: int = 1000
    cypher_max_limit: int = 10_000
    cypher_timeout: float = 10.0
    cypher_max_timeout: float = 60.0


def api_settings_from_env(env: dict[str, str] | None = None) -> ApiSettings:
    env = os.environ if env is None else env
    store = settings_from_env(dict(env))
    return ApiSettings(
        store=store,
        keys_file=keys_file_path(store.home, dict(env)),
        audit_file=Path(env.get("MEDGRAPH_API_AUDIT_FILE") or store.home / "api-audit.jsonl"),
        max_body_bytes=int(env.get("MEDGRAPH_API_MAX_BODY", 10 * 1024 * 1024)),
    )
