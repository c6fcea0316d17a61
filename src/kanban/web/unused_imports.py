"""Imports that libraries make on the side and a service process never uses, refused up front.

A None entry in sys.modules makes `import name` raise ModuleNotFoundError, and both importers
below treat that as "not installed":

- `httpx._main`: `import httpx` imports its command-line client, and with it click, rich and
  pygments when they are installed (as in a development environment): about 3 MiB.
- `pydantic.v1`: FastAPI asks of every route's models whether they are pydantic v1 models, and
  imports the whole v1 package to ask (about 1.6 MiB). No model here is one.

Call before anything imports httpx or declares a route; a module already imported is left as it is.
"""

from __future__ import annotations

import sys

NEVER_USED_BY_A_SERVICE = ("httpx._main", "pydantic.v1")


def leave_out_unused_imports() -> None:
    for name in NEVER_USED_BY_A_SERVICE:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
