"""Everything of one user, removed from the API database inside the caller's transaction.

Their boards go with all that is under them (the same deletion as DELETE /boards/{id}); their
sign-ins, throttling rows, imports ledger and the user row follow. Messaging rows that carry
their data (sent or pending outbox envelopes, inbox rows, dead letters, cursors of their
aggregates) are removed too: an envelope holds a task's title, so it is the user's data.
"""

from __future__ import annotations

from sqlalchemy import Select, delete, select, union

from kanban.api.boards.repository import delete_board_rows
from kanban.api.security.rate_limit import email_key
from kanban.api.tables import (
    boards,
    login_attempts,
    messaging,
    metadata,
    projects,
    tags,
    task_events,
    tasks,
    users,
)
from kanban.db.async_core import AsyncConnection


def aggregates_of(user_id: str) -> Select[tuple[str]]:
    """Ids of every aggregate of the user that events may name: boards, tasks (deleted ones too), tags, projects."""
    own_boards = select(boards.c.id).where(boards.c.owner_id == user_id)
    return select(
        union(
            own_boards,
            select(tasks.c.id).where(tasks.c.owner_id == user_id),
            select(task_events.c.task_id).where(task_events.c.board_id.in_(own_boards)),
            select(tags.c.id).where(tags.c.board_id.in_(own_boards)),
            select(projects.c.id).where(projects.c.owner_id == user_id),
        ).subquery()
    )


async def erase_user(conn: AsyncConnection, user_id: str, email: str) -> list[str]:
    """Delete the user and all of theirs; returns the ids of the boards that were deleted."""
    board_ids = list((await conn.execute(select(boards.c.id).where(boards.c.owner_id == user_id))).scalars())
    theirs = aggregates_of(user_id)
    for table in (messaging.outbox, messaging.inbox, messaging.dead_letters, messaging.cursors):
        await conn.execute(delete(table).where(table.c.aggregate_id.in_(theirs)))
    for board_id in board_ids:
        await delete_board_rows(conn, board_id)
    # Every table of per-user rows (sign-ins, tokens, feeds, digests, imports...) has a user_id:
    # children before parents, so no foreign key can stop a deletion, whatever tables are added later.
    for table in reversed(metadata.sorted_tables):
        if table is not users and "user_id" in table.c:
            await conn.execute(delete(table).where(table.c.user_id == user_id))
    await conn.execute(
        delete(login_attempts).where(login_attempts.c.key.in_([email_key(email), f"password:{user_id}"]))
    )
    await conn.execute(delete(users).where(users.c.id == user_id))
    return board_ids
