"""What a batch of a case load was made from, as a short digest recorded on its dataset.

A case load writes whole households a batch at a time (loaders.cases). Once a batch is in,
its digest is recorded on the Dataset node (`batches`, one per batch in order). The digest
covers everything the batch's records are made of: the batch's input columns, the rules
that settle it, the model, the years of the whole input, the dataset's name, and the source
of the code that turns them into records. A re-load whose batch has the digest recorded at
its place therefore asks the store for nothing for that batch: the store holds what that
batch would write. The load still checks, per label, that the dataset holds as many nodes
as the input names, and compares the batches it skipped against the store when not.

>>> key = load_key("hangzhou", "city", [2024], "rules")
>>> len(key), key == load_key("hangzhou", "city", [2024], "rules")
(64, True)
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

# The modules whose code decides what a batch's records are.
_CODE = (("medgraph.loaders", ("cases.py", "sync.py", "batch_digest.py")),
         ("medgraph.settlement", None))


@cache
def _code_digest() -> str:
    digest = hashlib.sha256()
    for package, names in _CODE:
        folder = resources.files(package)
        files = sorted((f for f in folder.iterdir() if f.name.endswith(".py")),
                       key=lambda f: f.name)
        for file in files:
            if names is None or file.name in names:
                digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def load_key(model: str, dataset: str, years: list[int], rules: Any) -> str:
    """What every batch of one load shares: model, dataset, years, rules and code."""
    text = "\0".join([model, dataset, ",".join(map(str, years)), repr(rules), _code_digest()])
    return hashlib.sha256(text.encode()).hexdigest()


def batch_digest(key: str, batch: Any) -> str:
    """The digest of one batch (a SettlementInput subset) under a load's key: 32 hex digits."""
    digest = hashlib.sha256(key.encode())
    for name, value in sorted((f.name, getattr(batch, f.name)) for f in fields(batch)):
        if name in ("source", "csv", "case_row"):  # where it was read, not what it holds
            continue
        digest.update(name.encode() + b"\0")
        if isinstance(value, np.ndarray):
            digest.update(str(value.dtype).encode() + np.ascontiguousarray(value).tobytes())
        else:
            digest.update(repr(value).encode())
    return digest.hexdigest()[:32]
