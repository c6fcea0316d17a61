"""The split writes its seeding envelopes' JSON itself; it must be exactly what the contract path writes.

The contract path: an `Envelope` built with envelope_for's fields (the id and time fixed by the run
and the row) and the event's JSON-mode dump as its payload, then `model_dump_json()`. The Worker
reads either the same way; byte equality also keeps a resumed split's outbox identical to the
rows an earlier version of the split wrote.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kanban.contracts.base import Event
from kanban.contracts.envelope import Envelope
from kanban.contracts.events import (
    BoardCreatedV1,
    BoardState,
    ProjectCreatedV1,
    ProjectState,
    TagCreatedV1,
    TagState,
    TaskSnapshottedV1,
    TaskState,
)
from kanban.contracts.registry import decode
from kanban.ops.migrate.seeding import _correlation, event_id, seeding_row

RUN = "3f1e0c9a-run"
TASK_ID = "0b8f6c2e-5d0a-4c8e-9a39-6b0b3a3c9d11"


def _task(**changes: object) -> TaskState:
    fields: dict[str, object] = dict(
        task_id=TASK_ID, board_id="b1", owner_id="u1", column_id="c1", column_type="CONTEXT", title="Call the plumber",
        version=1, updated_at=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
    )  # fmt: skip
    return TaskState(**(fields | changes))


EVENTS: list[tuple[str, Event, datetime]] = [
    ("a bare task", TaskSnapshottedV1(task=_task()), datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
    (
        "a task with every field, unicode, quotes and control characters",
        TaskSnapshottedV1(
            task=_task(
                title='Écrire à "Zoë" \\ 日本語 \u2028 tab\tnewline\n',
                description="<b>x</b> & y " * 40,
                context="PHONE",
                priority="HIGH",
                duration_minutes=45,
                due_at=datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
                project_id="p1",
                waiting_for="Ann",
                needs_breakdown=True,
                is_done=True,
                tags=("errand", "ünï"),
                checklist=("first", "second 😀"),
                updated_at=datetime(2024, 5, 1, 10, 0, 0, 5, tzinfo=UTC),
            )
        ),
        datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC),
    ),  # fmt: skip
    (
        "a board",
        BoardCreatedV1(
            board=BoardState(
                board_id="b1",
                owner_id="u1",
                name="Home",
                auto_apply_hints=True,
                auto_apply_threshold=0.75,
                stale_after_days=3,
                version=1,
            )
        ),
        datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC),
    ),  # fmt: skip
    (
        "a project",
        ProjectCreatedV1(
            project=ProjectState(
                project_id="p1",
                board_id="b1",
                name="Move",
                description=None,
                desired_outcome="Settled in",
                status="ACTIVE",
                version=1,
            )
        ),
        datetime(2024, 2, 29, 12, 0, tzinfo=UTC),
    ),  # fmt: skip
    (
        "a tag, at a time with an offset",
        TagCreatedV1(tag=TagState(tag_id="t1", board_id="b1", name="Errand", color="#aabbcc", version=1)),
        datetime(2024, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
    ),
]


def _contract_envelope(event: Event, aggregate_id: str, occurred_at: datetime) -> Envelope:
    return Envelope(
        id=event_id(RUN, event, aggregate_id), type=event.TYPE, version=event.VERSION, occurred_at=occurred_at,
        source="api", correlation_id=_correlation(RUN), aggregate_type=event.AGGREGATE, aggregate_id=aggregate_id,
        aggregate_version=1, payload=event.model_dump(mode="json"),
    )  # fmt: skip


@pytest.mark.parametrize(("label", "event", "occurred_at"), EVENTS, ids=[e[0] for e in EVENTS])
def test_a_seeding_row_holds_the_envelope_the_contract_would_write(
    label: str, event: Event, occurred_at: datetime
) -> None:
    created_at = datetime(2026, 1, 1, tzinfo=UTC)
    row = seeding_row(event, TASK_ID, RUN, occurred_at, created_at)
    expected = _contract_envelope(event, TASK_ID, occurred_at)

    assert row["envelope"] == expected.model_dump_json()
    assert row == {
        "event_id": expected.key, "event_type": event.TYPE, "destination": "worker", "aggregate_id": TASK_ID,
        "envelope": row["envelope"], "created_at": created_at,
    }  # fmt: skip
    parsed = Envelope.model_validate_json(row["envelope"])
    assert parsed == expected
    assert decode(parsed) == event


@pytest.mark.parametrize("aggregate_id", [TASK_ID, "b1", "ünï/code 😀", ""])
def test_an_event_id_is_the_uuid5_of_its_name(aggregate_id: str) -> None:
    event = TaskSnapshottedV1(task=_task())
    expected = uuid.uuid5(uuid.UUID("6f7c1c8e-2d0a-4f5e-9a39-6b0b3a3c9d11"), f"{RUN}/task.snapshotted/{aggregate_id}")
    assert event_id(RUN, event, aggregate_id) == str(expected)


def test_seeding_ids_depend_on_the_run_the_event_and_the_aggregate_only() -> None:
    event = TaskSnapshottedV1(task=_task())
    at = datetime(2024, 5, 1, tzinfo=UTC)
    one = seeding_row(event, TASK_ID, RUN, at, at)
    assert one == seeding_row(event, TASK_ID, RUN, at, at)  # a resumed run writes the same rows
    assert seeding_row(event, TASK_ID, "another-run", at, at)["event_id"] != one["event_id"]
    assert seeding_row(event, "another-task", RUN, at, at)["event_id"] != one["event_id"]
