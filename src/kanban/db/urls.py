"""Parsing and comparing database URLs, and printing them without credentials."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SERVICE_DATABASES = {"api": "kanban_api", "worker": "kanban_worker"}


class DatabaseUrlError(ValueError):
    """The text is not a PostgreSQL or SQLite URL this system can use."""


@dataclass(frozen=True)
class DatabaseUrl:
    url: URL

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @property
    def database(self) -> str:
        return self.url.database or ""

    @property
    def async_url(self) -> URL:
        driver = "aiosqlite" if self.is_sqlite else "asyncpg"
        return self.url.set(drivername=f"{self.url.get_backend_name()}+{driver}")

    @property
    def libpq_dsn(self) -> str:
        """A plain postgresql:// DSN for asyncpg or the PostgreSQL command-line tools."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def redacted(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def with_database(self, name: str) -> DatabaseUrl:
        return DatabaseUrl(self.url.set(database=name))

    def same_database_as(self, other: DatabaseUrl) -> bool:
        if self.is_sqlite != other.is_sqlite:
            return False
        if self.is_sqlite:
            return _sqlite_identity(self.database) == _sqlite_identity(other.database)
        mine = (self.url.host or "localhost", self.url.port or 5432, self.database)
        theirs = (other.url.host or "localhost", other.url.port or 5432, other.database)
        return _normal_host(mine) == _normal_host(theirs)

    def is_other_service_database(self, service: str) -> bool:
        other = "worker" if service == "api" else "api"
        name = Path(self.database).stem if self.is_sqlite else self.database
        return name == SERVICE_DATABASES[other]


def _normal_host(key: tuple[str, int, str]) -> tuple[str, int, str]:
    host, port, db = key
    return ("127.0.0.1" if host in ("localhost", "::1") else host, port, db)


def _sqlite_identity(path: str) -> str:
    if path in ("", ":memory:"):
        return f":memory:{id(path)}"
    return str(Path(path).expanduser().resolve())


def parse_database_url(text: str) -> DatabaseUrl:
    try:
        url = make_url(text)
    except ArgumentError:
        raise DatabaseUrlError(f"cannot parse {text.split('@')[-1]!r}") from None
    backend = url.get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise DatabaseUrlError(f"unsupported scheme {backend!r} (use postgresql:// or sqlite:///)")
    if not url.database:
        raise DatabaseUrlError("no database name")
    return DatabaseUrl(url)
