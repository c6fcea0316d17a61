"""SQLAlchemy's asyncio engine and connection, loaded without its asyncio ORM session.

The services speak SQLAlchemy Core through `AsyncEngine` and `AsyncConnection` only. The package
that holds them, `sqlalchemy.ext.asyncio`, imports `AsyncSession` on the way, and with it the whole
ORM: about 7 MiB resident in every process, for classes no service uses. So the engine's module is
imported here with the package's `__init__` skipped: the package stands in sys.modules as a bare
module for that one import and is removed again. A later `import sqlalchemy.ext.asyncio` (Alembic's
environment, a test) runs the package as usual and finds the same engine module, so its classes are
these ones.

Import `AsyncConnection`, `AsyncEngine` and `create_async_engine` from here, not from SQLAlchemy.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

_PACKAGE = "sqlalchemy.ext.asyncio"


def _import_engine_module_alone() -> None:
    if _PACKAGE in sys.modules or f"{_PACKAGE}.engine" in sys.modules:
        return  # the package (or its engine) is loaded already: nothing left to save
    spec = importlib.util.find_spec(_PACKAGE)
    assert spec is not None and spec.submodule_search_locations is not None
    bare = types.ModuleType(_PACKAGE)
    bare.__path__ = list(spec.submodule_search_locations)
    sys.modules[_PACKAGE] = bare
    try:
        importlib.import_module(f"{_PACKAGE}.engine")
    finally:
        del sys.modules[_PACKAGE]


_import_engine_module_alone()

from sqlalchemy.ext.asyncio.engine import AsyncConnection, AsyncEngine, create_async_engine  # noqa: E402

__all__ = ["AsyncConnection", "AsyncEngine", "create_async_engine"]
