"""Rows of an append-only log, written by the unit of work at commit together with its events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, MetaData, String, Table, event, func, select

from kanban.api.tables import messaging as api_messaging
from kanban.contracts.events import TagCreatedV1, TagState
from kanban.db.async_core import AsyncEngine
from kanban.db.engine import make_engine
from kanban.db.types import UtcDateTime, utcnow
from kanban.db.urls import DatabaseUrl
from kanban.messaging.unit_of_work import UnitOfWork

# A log of the test's own, in the API's database: no foreign key to satisfy.
notes = Table(
    "uow_test_notes",
    MetaData(),
    Column("id", String(36), primary_key=True),
    Column("text", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)


def _note(text: str) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "text": text, "created_at": utcnow()}


def _tag_created(uow: UnitOfWork) -> str:
    tag = TagState(tag_id=str(uuid.uuid4()), board_id="b", name="t", version=1)
    return uow.record(TagCreatedV1(tag=tag), aggregate_id=tag.tag_id, aggregate_version=1).key


@pytest.fixture
async def engine(api_db: DatabaseUrl) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(api_db, "kanban-test")
    async with engine.begin() as conn:
        await conn.run_sync(notes.metadata.create_all)
    yield engine
    await engine.dispose()


async def _texts(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.scalars(select(notes.c.text).order_by(notes.c.text))).all())


async def _outbox_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.scalar(select(func.count()).select_from(api_messaging.outbox))) or 0)


async def test_appended_rows_are_written_at_commit_and_on_postgresql_in_the_events_statement(
    engine: AsyncEngine, backend: str
) -> None:
    statements: list[str] = []
    async with UnitOfWork(engine, api_messaging, "api") as uow:
        uow.append_at_commit(notes, [_note("a"), _note("b")])
        _tag_created(uow)
        uow.append_at_commit(notes, [_note("c")])
        assert await uow.conn.scalar(select(func.count()).select_from(notes)) == 0  # nothing written yet

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        await uow.commit()
        event.remove(engine.sync_engine, "before_cursor_execute", _count)
    assert await _texts(engine) == ["a", "b", "c"]
    assert await _outbox_count(engine) == 1
    # PostgreSQL: the log rows, the outbox row and the NOTIFY are one statement; SQLite: one per table.
    assert len(statements) == (1 if backend == "postgres" else 2)


async def test_rows_appended_without_events_are_written_too(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine, api_messaging, "api") as uow:
        uow.append_at_commit(notes, [_note("alone")])
        await uow.commit()
    assert await _texts(engine) == ["alone"]
    assert await _outbox_count(engine) == 0


async def test_a_unit_left_without_commit_writes_none_of_its_rows(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine, api_messaging, "api") as uow:
        uow.append_at_commit(notes, [_note("lost")])
        _tag_created(uow)
    async with UnitOfWork(engine, api_messaging, "api") as uow:  # a later unit does not inherit them
        uow.append_at_commit(notes, [_note("kept")])
        await uow.commit()
    assert await _texts(engine) == ["kept"]
    assert await _outbox_count(engine) == 0


async def test_rewind_forgets_the_rows_appended_after_the_mark(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine, api_messaging, "api") as uow:
        uow.append_at_commit(notes, [_note("before")])
        mark = uow.mark()
        uow.append_at_commit(notes, [_note("after")])
        _tag_created(uow)
        uow.rewind(mark)  # as after a savepoint rolled back
        await uow.commit()
    assert await _texts(engine) == ["before"]
    assert await _outbox_count(engine) == 0


async def test_a_second_commit_of_the_unit_writes_only_what_came_after_the_first(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine, api_messaging, "api") as uow:
        uow.append_at_commit(notes, [_note("first")])
        await uow.commit()
        await uow.conn.begin()
        uow.append_at_commit(notes, [_note("second")])
        await uow.commit()
    assert await _texts(engine) == ["first", "second"]


async def _add_notes(engine: AsyncEngine, *texts: str) -> list[str]:
    rows = [_note(text) for text in texts]
    async with UnitOfWork(engine, api_messaging, "api") as uow:
        uow.append_at_commit(notes, rows)
        await uow.commit()
    return [str(row["id"]) for row in rows]


async def test_updates_at_commit_go_with_the_events_and_the_appended_rows(engine: AsyncEngine, backend: str) -> None:
    first, second = await _add_notes(engine, "a", "b")
    statements: list[str] = []
    async with UnitOfWork(engine, api_messaging, "api") as uow:
        uow.update_at_commit(notes, "id", first, {"text": "a2"})
        uow.update_at_commit(notes, "id", second, {"text": "b2"})
        uow.append_at_commit(notes, [_note("c")])
        _tag_created(uow)
        assert await _texts(engine) == ["a", "b"]  # nothing changed before the commit

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        await uow.commit()
        event.remove(engine.sync_engine, "before_cursor_execute", _count)
    assert await _texts(engine) == ["a2", "b2", "c"]
    # PostgreSQL: both updates, the appended row, the outbox row and the NOTIFY in one statement.
    assert len(statements) == (1 if backend == "postgres" else 4)


async def test_an_update_rewound_or_left_uncommitted_is_not_applied(engine: AsyncEngine) -> None:
    (note,) = await _add_notes(engine, "a")
    async with UnitOfWork(engine, api_messaging, "api") as uow:
        uow.update_at_commit(notes, "id", note, {"text": "never"})
        _tag_created(uow)
    async with UnitOfWork(engine, api_messaging, "api") as uow:
        mark = uow.mark()
        uow.update_at_commit(notes, "id", note, {"text": "rewound"})
        uow.rewind(mark)
        _tag_created(uow)
        await uow.commit()
    assert await _texts(engine) == ["a"]
    assert await _outbox_count(engine) == 1
