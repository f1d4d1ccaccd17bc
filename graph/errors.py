"""The error every store operation may raise, in a module of its own so that commands which
never open a store (settle, whatif --city) need not import the driver to name it."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The store could not be reached or refused the configuration (CLI exit 2)."""
