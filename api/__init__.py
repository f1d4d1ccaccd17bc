"""The HTTP API of medgraph (FastAPI), served by `medgraph serve`.

>>> from medgraph.api import create_app                      # doctest: +SKIP
>>> app = create_app()                                       # doctest: +SKIP
"""

from medgraph.api.app import create_app

__all__ = ["create_app"]
