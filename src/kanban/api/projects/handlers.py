"""Project commands: create, edit, delete. Deleting a project leaves its tasks on the board without one.

Every change records the project's event with its whole state; each task that loses its project
records a task change, so the Worker's view of the task follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row

from kanban.api.errors import InvalidInput
from kanban.api.ownership import owned_board, owned_on_board
from kanban.api.projects import repository as repo
from kanban.api.tables import projects
from kanban.api.tasks.state import record_task_change
from kanban.contracts.events import ProjectCreatedV1, ProjectDeletedV1, ProjectState, ProjectUpdatedV1
from kanban.db.types import new_id, utcnow
from kanban.messaging.unit_of_work import UnitOfWork

EDITABLE = ("name", "description", "desired_outcome", "status")


@dataclass(frozen=True)
class CreateProject:
    user_id: str
    board_id: str
    name: str
    description: str | None = None
    desired_outcome: str | None = None
    status: str = "active"


@dataclass(frozen=True)
class UpdateProject:
    user_id: str
    project_id: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteProject:
    user_id: str
    project_id: str


@dataclass(frozen=True)
class ListProjects:
    user_id: str
    board_id: str
    status: str | None = None
    limit: int = 100
    offset: int = 0


def project_state(row: Row) -> ProjectState:
    m = row._mapping
    return ProjectState(
        project_id=m["id"], board_id=m["board_id"], name=m["name"], description=m["description"],
        desired_outcome=m["desired_outcome"], status=m["status"], version=m["version"],
    )  # fmt: skip


async def _owned_project(uow: UnitOfWork, project_id: str, user_id: str, *, for_update: bool = False) -> Row:
    return await owned_on_board(uow.conn, projects, project_id, user_id, label="project", for_update=for_update)


async def list_projects(query: ListProjects, uow: UnitOfWork) -> tuple[list[Row], int]:
    await owned_board(uow.conn, query.board_id, query.user_id)
    return await repo.board_projects(
        uow.conn, query.board_id, status=query.status, limit=query.limit, offset=query.offset
    )


async def get_project(project_id: str, user_id: str, uow: UnitOfWork) -> Row:
    await _owned_project(uow, project_id, user_id)
    return await repo.project_with_counts(uow.conn, project_id)


async def create_project(cmd: CreateProject, uow: UnitOfWork) -> Row:
    row = await add_project(cmd, uow)
    await uow.commit()
    return row


async def add_project(cmd: CreateProject, uow: UnitOfWork) -> Row:
    """Create a project inside the caller's unit of work; no commit."""
    await owned_board(uow.conn, cmd.board_id, cmd.user_id)
    now = utcnow()
    project_id = new_id()
    await repo.insert_project(
        uow.conn,
        {
            "id": project_id, "board_id": cmd.board_id, "owner_id": cmd.user_id, "name": cmd.name,
            "description": cmd.description, "desired_outcome": cmd.desired_outcome, "status": cmd.status,
            "version": 1, "created_at": now, "updated_at": now,
        },
    )  # fmt: skip
    row = await repo.project_with_counts(uow.conn, project_id)
    uow.record(ProjectCreatedV1(project=project_state(row)), aggregate_id=project_id, aggregate_version=1)
    return row


async def update_project(cmd: UpdateProject, uow: UnitOfWork) -> Row:
    project = await _owned_project(uow, cmd.project_id, cmd.user_id, for_update=True)
    for required in ("name", "status"):
        if required in cmd.changes and cmd.changes[required] is None:
            raise InvalidInput(f"{required} cannot be null", field=required)
    values = {k: v for k, v in cmd.changes.items() if k in EDITABLE and v != project._mapping[k]}
    if not values:
        return await repo.project_with_counts(uow.conn, project.id)
    values.update(version=project.version + 1, updated_at=utcnow())
    await repo.update_project(uow.conn, project.id, values)
    row = await repo.project_with_counts(uow.conn, project.id)
    uow.record(ProjectUpdatedV1(project=project_state(row)), aggregate_id=project.id, aggregate_version=row.version)
    await uow.commit()
    return row


async def delete_project(cmd: DeleteProject, uow: UnitOfWork) -> None:
    project = await _owned_project(uow, cmd.project_id, cmd.user_id)
    task_ids = await repo.detach_tasks(uow.conn, project.id)
    for task_id in task_ids:
        await record_task_change(
            uow, task_id, kind="updated", changed_fields=("project_id",),
            payload={"projectRemoved": project.name}, triggered_by=f"user:{cmd.user_id}",
        )  # fmt: skip
    await repo.delete_project(uow.conn, project.id)
    uow.record(
        ProjectDeletedV1(project_id=project.id, board_id=project.board_id),
        aggregate_id=project.id,
        aggregate_version=project.version + 1,
    )
    await uow.commit()
