"""The realtime hub: per-board fan-out, after-commit publishing, a slow stream losing its oldest messages."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from kanban.api.realtime.hub import RealtimeHub
from kanban.contracts import events as ev
from kanban.contracts.registry import envelope_for


def task_envelope(board_id: str) -> object:
    state = ev.TaskState(
        task_id="t1", board_id=board_id, owner_id="u", column_id="c1", column_type="INPUT", title="x", version=2,
        updated_at=datetime.now(UTC),
    )  # fmt: skip
    event = ev.TaskUpdatedV1(task=state, changed_fields=("title",))
    return envelope_for(event, source="api", aggregate_id="t1", aggregate_version=2, correlation_id=uuid4())


async def test_each_board_s_streams_get_only_that_board_s_messages() -> None:
    hub = RealtimeHub()
    async with hub.subscribe("b1") as mine, hub.subscribe("b2") as theirs:
        hub.publish("b1", "agent.progress", {"percent": 50})
        message = mine.get_nowait()
        assert message is not None and (message.event, message.data) == ("agent.progress", {"percent": 50})
        assert theirs.empty()
    assert hub.subscribers("b1") == 0


async def test_task_events_become_board_messages() -> None:
    hub = RealtimeHub()
    async with hub.subscribe("b1") as stream:
        hub.publish_task_changes([task_envelope("b1")])  # type: ignore[list-item]
        message = stream.get_nowait()
        assert message is not None
        assert (message.event, message.data) == (
            "task.updated",
            {"taskId": "t1", "version": 2, "columnId": "c1", "changedFields": ["title"]},
        )


async def test_a_slow_stream_loses_its_oldest_messages_and_closing_ends_it() -> None:
    hub = RealtimeHub(queue_size=2)
    async with hub.subscribe("b1") as stream:
        for percent in (10, 20, 30):
            hub.publish("b1", "agent.progress", {"percent": percent})
        kept = [stream.get_nowait(), stream.get_nowait()]
        assert [m.data["percent"] for m in kept if m is not None] == [20, 30]
        await hub.close()
        assert stream.get_nowait() is None
