"""The errors of the operations commands; each message is the one line an operator reads."""

from __future__ import annotations


class OpsError(Exception):
    """Base of every failure an operations command reports and exits non-zero on."""


class SourceUnreachable(OpsError):
    """The legacy database could not be opened."""


class TargetUnreachable(OpsError):
    """A service database could not be opened."""


class LegacyLayoutNotFound(OpsError):
    """The source holds no legacy Kanban tables in any known layout."""


class TargetNotEmpty(OpsError):
    """A target already holds data that this run did not write."""


class SourceChanged(OpsError):
    """The source no longer matches the backup taken of it."""


class InvalidRows(OpsError):
    """Rows that cannot be migrated were found and --skip-invalid was not given."""

    def __init__(self, step: str, invalid: list[tuple[str, str]]) -> None:
        first = "; ".join(f"{row_id}: {reason}" for row_id, reason in invalid[:3])
        more = f" (and {len(invalid) - 3} more)" if len(invalid) > 3 else ""
        super().__init__(
            f"{len(invalid)} {step} row(s) cannot be migrated: {first}{more}; rerun with --skip-invalid to leave them out"
        )
        self.step = step
        self.invalid = invalid


class BackupError(OpsError):
    """A backup could not be written, read or restored."""


class SameDatabase(OpsError):
    """Two of the databases given are the same database."""
