"""The services' SQLAlchemy engine comes without the ORM, and stays the one a full import finds."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
from kanban.db.async_core import AsyncConnection, AsyncEngine, create_async_engine
print("sqlalchemy.orm" in sys.modules, "sqlalchemy.ext.asyncio" in sys.modules)
import sqlalchemy.ext.asyncio as package
print(package.AsyncEngine is AsyncEngine, package.AsyncConnection is AsyncConnection,
      package.create_async_engine is create_async_engine, hasattr(package, "AsyncSession"))
"""


def test_the_engine_loads_without_the_orm_and_a_later_full_import_shares_its_classes() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True)
    alone, shared = out.stdout.splitlines()
    assert alone == "False False"  # neither the ORM nor the package's __init__ ran
    assert shared == "True True True True"  # the package, imported later, is whole and the same
