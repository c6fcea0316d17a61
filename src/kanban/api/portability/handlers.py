"""Export a board or an account as one document; import a file (ours, Trello's, Kanboard's, a CSV) as new boards.

An import is one transaction: the rows, the events that tell the Worker about them, and the
ledger row that makes a second import of the same file a no-op. The events are bounded: one
baseline event per board, tag and project, and the tasks in batches (`tasks.imported`, at most
TASKS_PER_EVENT each), never the per-field updates an equivalent series of API calls would send,
so a thousand tasks are ten events in the Worker's inbox, not a thousand ahead of everyone else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kanban.api.boards.repository import board_state
from kanban.api.errors import InvalidInput, NotFound
from kanban.api.portability import repository as repo
from kanban.api.portability.document import FORMAT, FORMAT_VERSION
from kanban.api.portability.formats import convert
from kanban.api.portability.plan import ImportPlan, plan_import, task_states
from kanban.api.portability.schemas import ImportedBoard, ImportFormat, ImportReport
from kanban.api.portability.validation import (
    ImportLimits,
    check_counts,
    check_references,
    check_schema,
    check_size,
)
from kanban.api.projects.handlers import project_state
from kanban.api.tables import boards, imports, projects, tags, users
from kanban.api.tags.state import tag_state
from kanban.contracts.events import BoardCreatedV1, ProjectCreatedV1, TagCreatedV1, TasksImportedV1
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

TASKS_PER_EVENT = 100


@dataclass(frozen=True)
class ExportAccount:
    user_id: str
    board_id: str | None = None  # one board only


@dataclass(frozen=True)
class ImportFile:
    user_id: str
    format: ImportFormat
    body: bytes
    csv_mapping: dict[str, str] | None = None


async def export_document(query: ExportAccount, uow: UnitOfWork) -> dict[str, Any]:
    """The account's boards (or one of them) with everything under them; the board must be the user's."""
    conn = uow.conn
    user = await repo.user_row(conn, query.user_id)
    if user is None:
        raise NotFound("the account no longer exists")
    board_rows = await repo.owner_boards(conn, query.user_id, query.board_id)
    if query.board_id is not None and not board_rows:
        raise NotFound(f"board {query.board_id} not found")
    owner: dict[str, Any] = {"id": user.id}
    if query.board_id is None:
        owner |= {"email": user.email, "name": user.name, "timezone": user.timezone}
    return {
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "exportId": new_id(),
        "exportedAt": utcnow().isoformat().replace("+00:00", "Z"),
        "scope": "account" if query.board_id is None else "board",
        "owner": owner,
        "defaultBoardId": user.default_board_id,
        "boards": [await repo.board_document(conn, b) for b in board_rows],
    }


@dataclass(frozen=True)
class CheckedFile:
    """A file made into our document and checked (size, schema, counts, references): ready to write."""

    user_id: str
    format: ImportFormat
    key: str
    document: dict[str, Any]
    not_carried: list[str]


def check_file(cmd: ImportFile, limits: ImportLimits) -> CheckedFile:
    """Pure and CPU-bound (parse, convert, validate): callers run it outside any transaction."""
    check_size(len(cmd.body), limits)
    converted = convert(cmd.format, cmd.body, cmd.csv_mapping)
    document = converted.document
    check_schema(document)
    check_counts(document, limits)
    check_references(document)
    return CheckedFile(cmd.user_id, cmd.format, converted.key, document, converted.not_carried)


async def import_file(checked: CheckedFile, uow: UnitOfWork) -> ImportReport:
    """Write a checked file as new boards of the user, or report the earlier import of the same file."""
    conn = uow.conn
    earlier = await repo.earlier_import(conn, checked.user_id, checked.key)
    if earlier is not None:
        return ImportReport.model_validate({**earlier.report, "alreadyImported": True})
    if await repo.user_row(conn, checked.user_id) is None:
        raise NotFound("the account no longer exists")
    plan = plan_import(checked.document, checked.user_id)
    try:
        await repo.insert_rows(conn, plan.rows)
    except IntegrityError as exc:
        raise InvalidInput(f"the file breaks a rule of the database: {str(exc.orig).splitlines()[0][:200]}") from None
    await conn.execute(
        update(users)
        .where(users.c.id == checked.user_id, users.c.default_board_id.is_(None))
        .values(default_board_id=plan.default_board_id)
    )
    await _announce(uow, plan)
    report = ImportReport(
        import_id=new_id(),
        format=checked.format,
        imported_at=utcnow(),
        boards=[ImportedBoard(id=b["id"], name=b["name"]) for b in plan.rows.get("boards", [])],
        counts={key: plan.count(key) for key in plan.rows},
        not_carried=checked.not_carried,
    )
    try:
        await conn.execute(
            imports.insert().values(
                id=report.import_id,
                user_id=checked.user_id,
                key=checked.key,
                format=checked.format,
                board_ids=plan.board_ids,
                report=report.model_dump(mode="json", by_alias=True),
                created_at=report.imported_at,
            )
        )
    except IntegrityError:  # the same file, imported by a concurrent request that committed first
        raise InvalidInput("this file is being imported by another request; retry to see its report") from None
    await uow.commit()
    return report


async def _announce(uow: UnitOfWork, plan: ImportPlan) -> None:
    """One baseline event per imported aggregate, at the version the row keeps, in the import's transaction."""
    conn = uow.conn

    async def rows_of(table: Any) -> list[Any]:
        new_ids = [row["id"] for row in plan.rows.get(table.name, [])]
        if not new_ids:
            return []
        return list(await conn.execute(select(table).where(table.c.id.in_(new_ids)).order_by(table.c.id)))

    for row in await rows_of(boards):
        uow.record(BoardCreatedV1(board=board_state(row)), aggregate_id=row.id, aggregate_version=row.version)
    for row in await rows_of(tags):
        uow.record(TagCreatedV1(tag=tag_state(row)), aggregate_id=row.id, aggregate_version=row.version)
    for row in await rows_of(projects):
        uow.record(ProjectCreatedV1(project=project_state(row)), aggregate_id=row.id, aggregate_version=row.version)
    states = task_states(plan)
    for board_id in plan.board_ids:
        on_board = [s for s in states if s.board_id == board_id]
        for i in range(0, len(on_board), TASKS_PER_EVENT):
            uow.record(
                TasksImportedV1(board_id=board_id, tasks=tuple(on_board[i : i + TASKS_PER_EVENT])),
                aggregate_id=board_id,
            )
